"""Image folders written for tests: real PNG files made with Pillow, and PNG headers that claim a
size no file holds (cheap stand-ins for huge images)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def write_png(path: Path, pixels: np.ndarray) -> Path:
    """`pixels` (H, W) or (H, W, 3) uint8 as a lossless PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(path)
    return path


def write_classes(root: Path, images: np.ndarray, labels: np.ndarray, names: list[str] | None = None) -> list[str]:
    """One PNG per image in root/<class>/<row>.png, the row numbered in `images`' order so sorting
    the names keeps it within a class. The files written, relative to root."""
    written = []
    for i, (img, label) in enumerate(zip(images, labels)):
        cls = names[int(label)] if names else str(int(label))
        write_png(root / cls / f"{i:05d}.png", img)
        written.append(f"{cls}/{i:05d}.png")
    return written


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def header_only_png(path: Path, width: int, height: int) -> Path:
    """A PNG of a few dozen bytes whose header claims width × height grey pixels: its one IDAT
    holds almost nothing, so decoding it would fail as truncated, never succeed."""
    body = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", body) + _chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + _chunk(b"IEND", b""))  # fmt: skip
    return path


def stripes(n: int, classes: int, size: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n small grey images that a network learns in a few steps: class c lights row 2c + 1."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    images = rng.integers(0, 40, (n, size, size)).astype(np.uint8)
    for k, c in enumerate(labels):
        images[k, 2 * c + 1] = 220
    return images, labels
