"""Small decoders for the tests: PNG, APNG and GIF back to RGB frames, written from the formats'
specifications independently of playground/media/animation.py's encoders, so a misread of the format
there shows up as a mismatch here."""

from __future__ import annotations

import struct
import zlib

import numpy as np


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    out, pos = [], 8
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n : pos + 12 + n])
        assert crc == zlib.crc32(kind + body), f"bad CRC in {kind!r}"
        out.append((kind, body))
        pos += 12 + n
    return out


def _unfilter(raw: bytes, w: int, h: int, bpp: int) -> np.ndarray:
    """Undo PNG's per-row filters: None, Sub and Up vectorised, Average and Paeth pixel by pixel."""
    stride = w * bpp
    rows = np.frombuffer(raw, np.uint8).reshape(h, stride + 1)
    out = np.zeros((h, stride), np.int64)
    prev = np.zeros(stride, np.int64)
    for y in range(h):
        kind, line = rows[y, 0], rows[y, 1:].astype(np.int64)
        if kind == 0:
            cur = line
        elif kind == 1:
            cur = np.cumsum(line.reshape(w, bpp), axis=0).ravel() & 0xFF
        elif kind == 2:
            cur = (line + prev) & 0xFF
        else:
            cur = np.zeros(stride, np.int64)
            for x in range(stride):
                a = cur[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                if kind == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                cur[x] = (line[x] + pred) & 0xFF
        out[y] = cur
        prev = cur
    return out.astype(np.uint8).reshape(h, w, bpp)


def read_apng(data: bytes) -> list[np.ndarray]:
    """Every frame of a PNG or APNG as shown (composited), RGB or RGBA as stored. Slow (a Python
    loop per byte): for small test images."""
    chunks = _chunks(data)
    w, h, depth, color = struct.unpack(">IIBB", chunks[0][1][:10])
    assert depth == 8 and color in (2, 6), (depth, color)
    bpp = 3 if color == 2 else 4
    canvas = np.zeros((h, w, bpp), np.uint8)
    frames: list[np.ndarray] = []
    region = (w, h, 0, 0)
    pending = b""
    animated = any(k == b"acTL" for k, _ in chunks)

    def flush() -> None:
        nonlocal pending
        if pending:
            fw, fh, fx, fy = region
            canvas[fy : fy + fh, fx : fx + fw] = _unfilter(zlib.decompress(pending), fw, fh, bpp)
            frames.append(canvas.copy())
            pending = b""

    for kind, body in chunks:
        if kind == b"fcTL":
            flush()
            _seq, fw, fh, fx, fy = struct.unpack(">IIIII", body[:20])
            region = (fw, fh, fx, fy)
        elif kind == b"IDAT":
            pending += body
        elif kind == b"fdAT":
            pending += body[4:]
        elif kind == b"acTL":
            (n_frames,) = struct.unpack(">I", body[:4])
    flush()
    if animated:
        assert len(frames) == n_frames, (len(frames), n_frames)
    return frames


def read_png(data: bytes) -> np.ndarray:
    """A still PNG's pixels (h, w, 3 or 4)."""
    return read_apng(data)[0]


def _lzw_decode(data: bytes, min_size: int, n: int) -> list[int]:
    bits = np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little")
    clear, end = 1 << min_size, (1 << min_size) + 1
    pos, width = 0, min_size + 1
    table: list[list[int]] = []
    out: list[int] = []
    prev: list[int] | None = None

    def reset() -> None:
        nonlocal table, width
        table = [[i] for i in range(clear)] + [[], []]
        width = min_size + 1

    reset()
    while pos + width <= bits.size:
        code = int(np.dot(bits[pos : pos + width], 1 << np.arange(width)))
        pos += width
        if code == clear:
            reset()
            prev = None
            continue
        if code == end:
            break
        if prev is None:
            entry = table[code]
        else:
            entry = table[code] if code < len(table) else prev + prev[:1]
            if len(table) < 4096:
                table.append(prev + entry[:1])
        out += entry
        prev = entry
        if len(table) == (1 << width) and width < 12:
            width += 1
    assert code == end, "no end code"
    assert len(out) == n, (len(out), n)
    return out


def read_gif(data: bytes) -> tuple[list[np.ndarray], list[int]]:
    """Every frame of a GIF as shown (RGB) and each frame's delay in hundredths of a second."""
    assert data[:6] == b"GIF89a"
    w, h, packed = struct.unpack("<HHB", data[6:11])
    pos = 13
    glob = None
    if packed & 0x80:
        size = 3 << ((packed & 7) + 1)
        glob = np.frombuffer(data[pos : pos + size], np.uint8).reshape(-1, 3)
        pos += size
    canvas = np.zeros((h, w, 3), np.uint8)
    frames, delays = [], []
    delay = 0
    while True:
        kind = data[pos]
        if kind == 0x3B:
            break
        if kind == 0x21:
            label = data[pos + 1]
            pos += 2
            if label == 0xF9:
                delay = struct.unpack("<H", data[pos + 2 : pos + 4])[0]
            while data[pos]:
                pos += data[pos] + 1
            pos += 1
            continue
        assert kind == 0x2C, f"unexpected block {kind:#x}"
        x, y, fw, fh, packed = struct.unpack("<HHHHB", data[pos + 1 : pos + 10])
        pos += 10
        palette = glob
        if packed & 0x80:
            size = 3 << ((packed & 7) + 1)
            palette = np.frombuffer(data[pos : pos + size], np.uint8).reshape(-1, 3)
            pos += size
        min_size = data[pos]
        pos += 1
        body = b""
        while data[pos]:
            body += data[pos + 1 : pos + 1 + data[pos]]
            pos += data[pos] + 1
        pos += 1
        index = np.array(_lzw_decode(body, min_size, fw * fh)).reshape(fh, fw)
        canvas[y : y + fh, x : x + fw] = palette[index]
        frames.append(canvas.copy())
        delays.append(delay)
    return frames, delays
