"""Frames to files without Pillow: PNG, animated PNG and GIF encoded here (NumPy and zlib, so the
same frames always give the same bytes), numbered PNGs in a folder, and MP4 through ffmpeg.

Frames are (h, w, 3) uint8 RGB arrays of one size. After the first, a frame stores only the
rectangle that changed since the one before (the rest stays on screen), which keeps a slide's
animation small: its margins, axes and labels never change. GIF has 256 colours a frame: each
changed rectangle gets its own palette by median cut (no dithering: noise would defeat the
compression and the plots' flat areas stay flat). MP4 needs an encoder: ffmpeg from the
imageio-ffmpeg package (pip install 'nn-playground[video]') or one on PATH.
"""

from __future__ import annotations

import contextlib
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

import numpy as np

from engine import PlaygroundError
from engine.core.i18n import N_, _
from engine.project.files import atomic_write, atomic_write_bytes, check_writable

#: What `write_animation` makes, by the output's extension; a name ending in / (or a folder) is
#: numbered PNGs.
FORMATS = (".gif", ".apng", ".mp4")
FRAME_PREFIX = "frame-"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ZLIB_LEVEL = 6
VIDEO_HINT = N_(
    "MP4 needs ffmpeg: pip install 'nn-playground[video]' (imageio-ffmpeg brings its own), "
    "or put ffmpeg on PATH; GIF, APNG and a folder of PNGs need nothing more"
)


# ----------------------------------------------------------------- changed rectangles
def changed_box(previous: np.ndarray | None, frame: np.ndarray) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the pixels that differ from `previous` (all of them for the first frame);
    a frame equal to the one before still stores one pixel, as both formats need a rectangle."""
    h, w = frame.shape[:2]
    if previous is None:
        return 0, 0, w, h
    diff = np.any(previous != frame, axis=2)
    rows, cols = np.flatnonzero(diff.any(axis=1)), np.flatnonzero(diff.any(axis=0))
    if not rows.size:
        return 0, 0, 1, 1
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


# ----------------------------------------------------------------- PNG and APNG
def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _filtered(rgb: np.ndarray) -> bytes:
    """The scanlines with PNG's filter byte, each row filtered None, Sub or Up, whichever leaves
    the smallest sum of magnitudes (the usual heuristic; all three are vectorised)."""
    h, w = rgb.shape[:2]
    rows = np.ascontiguousarray(rgb).reshape(h, w * 3)
    sub = rows.copy()
    sub[:, 3:] -= rows[:, :-3]  # uint8 arithmetic wraps modulo 256, as PNG's filters do
    up = rows.copy()
    up[1:] -= rows[:-1]
    options = np.stack([rows, sub, up])  # (3, h, 3w)
    cost = np.abs(options.view(np.int8).astype(np.int16)).sum(axis=2)  # (3, h)
    choice = cost.argmin(axis=0)  # the first of equals: deterministic
    out = np.empty((h, w * 3 + 1), dtype=np.uint8)
    out[:, 0] = choice
    out[:, 1:] = options[choice, np.arange(h)]
    return out.tobytes()


def _ihdr(w: int, h: int) -> bytes:
    return _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))  # 8-bit RGB


def png_bytes(rgb: np.ndarray) -> bytes:
    """An (h, w, 3) uint8 image as a PNG file."""
    h, w = rgb.shape[:2]
    data = zlib.compress(_filtered(rgb), ZLIB_LEVEL)
    return PNG_SIGNATURE + _ihdr(w, h) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


class ApngWriter:
    """Animated PNG (acTL, fcTL, IDAT, fdAT chunks), looping forever. The frame count goes in
    acTL before the first frame, so it is written as 0 and set at `close()` (the file seeks)."""

    def __init__(self, f: IO[bytes], fps: float) -> None:
        self.f, self.fps = f, fps
        self.previous: np.ndarray | None = None
        self.frames = 0
        self.sequence = 0  # fcTL and fdAT chunks share one sequence
        self._actl_at = -1

    def add(self, frame: np.ndarray) -> None:
        h, w = frame.shape[:2]
        if self.previous is None:
            self.f.write(PNG_SIGNATURE + _ihdr(w, h))
            self._actl_at = self.f.tell()
            self.f.write(_chunk(b"acTL", struct.pack(">II", 0, 0)))
        x, y, bw, bh = changed_box(self.previous, frame)
        num, den = _delay(self.fps)
        # dispose_op 0 (leave the frame), blend_op 0 (replace the rectangle's pixels)
        fctl = struct.pack(">IIIIIHHBB", self.sequence, bw, bh, x, y, num, den, 0, 0)
        self.f.write(_chunk(b"fcTL", fctl))
        self.sequence += 1
        data = zlib.compress(_filtered(frame[y : y + bh, x : x + bw]), ZLIB_LEVEL)
        if self.previous is None:
            self.f.write(_chunk(b"IDAT", data))
        else:
            self.f.write(_chunk(b"fdAT", struct.pack(">I", self.sequence) + data))
            self.sequence += 1
        self.previous = frame
        self.frames += 1

    def close(self) -> None:
        if self.previous is None:
            raise PlaygroundError(_("there were no frames to write"))
        self.f.write(_chunk(b"IEND", b""))
        end = self.f.tell()
        self.f.seek(self._actl_at)
        self.f.write(_chunk(b"acTL", struct.pack(">II", self.frames, 0)))  # 0 plays: loop forever
        self.f.seek(end)


def _delay(fps: float) -> tuple[int, int]:
    """A frame's duration as APNG's fraction of a second."""
    return (100, round(100 * fps)) if fps != int(fps) else (1, int(fps))


# ----------------------------------------------------------------- GIF
def median_cut(pixels: np.ndarray, colours: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """A palette of at most `colours` for (n, 3) uint8 pixels and each pixel's index into it.

    Exact when there are few enough colours. Otherwise the colours are counted in 32 levels a
    channel, and the box of counted colours with the widest channel (weighted by how many pixels
    it holds) is split at its median until there are `colours` boxes; each box's colour is the
    mean of its pixels. Stable sorts and fixed tie rules make it deterministic."""
    q = pixels >> 3
    bins = (q[:, 0].astype(np.int32) << 10) | (q[:, 1].astype(np.int32) << 5) | q[:, 2]
    counts = np.bincount(bins, minlength=1 << 15)
    if np.count_nonzero(counts) <= colours:  # perhaps few colours: then they are the palette
        packed = (pixels[:, 0].astype(np.int32) << 16) | (pixels[:, 1].astype(np.int32) << 8) | pixels[:, 2]
        unique, index = np.unique(packed, return_inverse=True)
        if unique.size <= colours:
            palette = np.column_stack([unique >> 16, (unique >> 8) & 0xFF, unique & 0xFF]).astype(np.uint8)
            return palette, index.astype(np.uint8).ravel()
    sums = np.stack([np.bincount(bins, weights=pixels[:, c], minlength=1 << 15) for c in range(3)], axis=1)
    used = np.flatnonzero(counts)
    levels = np.column_stack([used >> 10, (used >> 5) & 31, used & 31]).astype(np.uint8)  # uint8: radix sorts
    boxes = [np.arange(used.size)]
    scores = [_box_score(boxes[0], levels, counts[used])]
    while len(boxes) < colours:
        best = max(range(len(boxes)), key=lambda k: scores[k][0])  # the first of equals
        score, axis = scores[best]
        if score == 0:
            break  # every box holds one level of each channel
        box = boxes[best]
        order = box[np.argsort(levels[box, axis], kind="stable")]
        weight = np.cumsum(counts[used[order]])
        median = int(np.searchsorted(weight, weight[-1] / 2))
        vals = levels[order, axis]
        # Cut between two different levels (so equal colours stay together), nearest the median.
        bounds = np.flatnonzero(vals[1:] != vals[:-1])
        cut = int(bounds[np.argmin(np.abs(bounds - median))])
        halves = [order[: cut + 1], order[cut + 1 :]]
        boxes[best : best + 1] = halves
        scores[best : best + 1] = [_box_score(h, levels, counts[used]) for h in halves]
    lut = np.zeros(1 << 15, dtype=np.uint8)
    palette = np.zeros((len(boxes), 3), dtype=np.uint8)
    for k, box in enumerate(boxes):
        members = used[box]
        lut[members] = k
        palette[k] = np.round(sums[members].sum(axis=0) / counts[members].sum())
    return palette, lut[bins]


def _box_score(box: np.ndarray, levels: np.ndarray, counts: np.ndarray) -> tuple[int, int]:
    """How much a box needs splitting (its widest channel's span times its pixels) and along which channel."""
    spans = levels[box].max(axis=0) - levels[box].min(axis=0)
    axis = int(spans.argmax())
    return int(spans[axis]) * int(counts[box].sum()), axis


def lzw(indices: bytes, min_code_size: int) -> bytes:
    """GIF's variable-width LZW of palette indices, as the image data's sub-blocks.

    Plain LZW, one dictionary look-up a pixel, except inside a run of one index: the table's
    strings of that index alone (c, cc, ccc, ...) are kept in a chain, so the encoder jumps to
    the longest that the run holds instead of walking to it pixel by pixel. The codes are the
    same; a slide's flat areas cost a look-up per run, not per pixel."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    n = len(indices)
    values = np.frombuffer(indices, dtype=np.uint8)
    starts = np.flatnonzero(np.diff(values, prepend=np.int16(-1)))  # where each run begins
    run_end = np.repeat(np.append(starts[1:], n), np.diff(np.append(starts, n)))  # where each pixel's run ends
    codes: list[int] = [clear]
    widths: list[int] = [min_code_size + 1]
    table: dict[int, int] = {}
    chains: dict[int, list[int]] = {}  # index c -> codes of c, cc, ccc, ... in the table
    next_code, width = end + 1, min_code_size + 1
    prefix = symbol = indices[0]
    pure = 1  # the prefix is `symbol` this many times over (0: it is not a run of one index)
    i = 1
    while i < n:
        c = indices[i]
        if pure and c == symbol:
            chain = chains.get(c)
            longest = min(pure + int(run_end[i]) - i, len(chain) + 1) if chain else pure
            if longest > pure:
                i += longest - pure
                pure = longest
                prefix = chain[pure - 2]  # type: ignore[index]
                continue
        key = (prefix << 8) | c
        code = table.get(key)
        if code is not None:
            prefix, pure = code, 0
            i += 1
            continue
        codes.append(prefix)
        widths.append(width)
        if next_code < 4096:
            table[key] = next_code
            if pure and c == symbol:
                chains.setdefault(c, []).append(next_code)
            next_code += 1
            if next_code > (1 << width) and width < 12:
                width += 1
        else:  # the table is full: start a new one
            codes.append(clear)
            widths.append(width)
            table.clear()
            chains.clear()
            next_code, width = end + 1, min_code_size + 1
        prefix = symbol = c
        pure = 1
        i += 1
    codes += [prefix, end]
    # The reader has added the last code's entry by the end code: its width may be one more.
    widths += [width, max(min_code_size + 1, min(12, next_code.bit_length()))]
    data = _pack_bits(np.array(codes, dtype=np.int64), np.array(widths, dtype=np.int64))
    blocks = [bytes([len(data[i : i + 255])]) + data[i : i + 255] for i in range(0, len(data), 255)]
    return bytes([min_code_size]) + b"".join(blocks) + b"\x00"


def _pack_bits(codes: np.ndarray, widths: np.ndarray) -> bytes:
    """Codes of the given widths, least significant bit first, as bytes."""
    bits = (codes[:, None] >> np.arange(12)) & 1
    keep = np.arange(12) < widths[:, None]
    return np.packbits(bits[keep].astype(np.uint8), bitorder="little").tobytes()


class GifWriter:
    """GIF89a looping forever; each frame's changed rectangle with its own palette."""

    def __init__(self, f: IO[bytes], fps: float) -> None:
        self.f = f
        self.delay = max(2, round(100 / fps))  # hundredths of a second (browsers slow 0 and 1 down)
        self.previous: np.ndarray | None = None

    def add(self, frame: np.ndarray) -> None:
        h, w = frame.shape[:2]
        if self.previous is None:
            # Header, a screen with no global palette, and the NETSCAPE2.0 loop forever.
            self.f.write(b"GIF89a" + struct.pack("<HHBBB", w, h, 0, 0, 0))
            self.f.write(b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00")
        x, y, bw, bh = changed_box(self.previous, frame)
        palette, index = median_cut(frame[y : y + bh, x : x + bw].reshape(-1, 3))
        bits = max(1, int(np.ceil(np.log2(max(2, len(palette))))))
        table = np.zeros((1 << bits, 3), dtype=np.uint8)
        table[: len(palette)] = palette
        # Graphic control: leave the frame in place (disposal 1), this frame's delay.
        self.f.write(b"\x21\xf9\x04" + struct.pack("<BHB", 1 << 2, self.delay, 0) + b"\x00")
        self.f.write(b"\x2c" + struct.pack("<HHHHB", x, y, bw, bh, 0x80 | (bits - 1)) + table.tobytes())
        self.f.write(lzw(index.astype(np.uint8).tobytes(), max(2, bits)))
        self.previous = frame

    def close(self) -> None:
        if self.previous is None:
            raise PlaygroundError(_("there were no frames to write"))
        self.f.write(b"\x3b")


# ----------------------------------------------------------------- MP4
def ffmpeg() -> str | None:
    """The ffmpeg to encode MP4 with: imageio-ffmpeg's, else one on PATH; None when neither."""
    with contextlib.suppress(Exception):  # not installed, or its binary missing for this platform
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    return shutil.which("ffmpeg")


class Mp4Writer:
    """H.264 in MP4 (yuv420p, which every player takes) by an ffmpeg process fed raw frames; it
    writes to a temporary file that `close()` copies into `f`."""

    def __init__(self, f: IO[bytes], fps: float) -> None:
        exe = ffmpeg()
        if exe is None:
            raise PlaygroundError(_(VIDEO_HINT))
        self.f, self.fps, self.exe = f, fps, exe
        self.folder = tempfile.TemporaryDirectory(prefix="nnp-mp4-")
        self.path = Path(self.folder.name) / "out.mp4"
        self.process: subprocess.Popen[bytes] | None = None

    def add(self, frame: np.ndarray) -> None:
        if self.process is None:
            h, w = frame.shape[:2]
            self.process = subprocess.Popen(
                [self.exe, "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
                 "-s", f"{w}x{h}", "-r", f"{self.fps:g}", "-i", "-",
                 "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2:color=white",  # yuv420p needs even sides
                 "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-movflags", "+faststart",
                 "-fflags", "+bitexact", "-y", str(self.path)],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(np.ascontiguousarray(frame).tobytes())
        except BrokenPipeError:
            self._end()  # ffmpeg stopped: say why

    def _end(self) -> None:
        """Close ffmpeg's input, wait for it to finish the file and refuse a failure in its words."""
        assert self.process is not None
        err = self.process.communicate()[1]
        if self.process.returncode != 0:
            lines = err.decode(errors="replace").strip().splitlines()
            raise PlaygroundError(_("ffmpeg could not encode the video: {reason}").format(reason=lines[-1]) if lines
                                  else _("ffmpeg could not encode the video (it gave no reason)"))  # fmt: skip

    def close(self) -> None:
        if self.process is None:
            raise PlaygroundError(_("there were no frames to write"))
        try:
            self._end()
            with open(self.path, "rb") as src:
                shutil.copyfileobj(src, self.f, 1 << 20)
        finally:
            self.abort()

    def abort(self) -> None:
        """End ffmpeg (if still running) and remove its temporary file."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        self.folder.cleanup()


WRITERS: dict[str, Callable[[IO[bytes], float], ApngWriter | GifWriter | Mp4Writer]] = {
    ".gif": GifWriter, ".apng": ApngWriter, ".mp4": Mp4Writer,
}  # fmt: skip


# ----------------------------------------------------------------- writing
def is_folder(out: str | Path) -> bool:
    """Whether `out` names a folder for numbered PNGs: it ends in a slash or is one already."""
    return str(out).endswith(("/", "\\")) or Path(out).is_dir()


def check_output(out: str | Path) -> None:
    """Refuse an output before any work: a wrong extension, a folder that cannot be written, no
    ffmpeg for MP4."""
    if is_folder(out):
        folder = Path(out)
        if folder.exists() and not folder.is_dir():
            raise PlaygroundError(_("{out}: is a file, not a folder").format(out=out))
        check_writable(folder / frame_name(0) if folder.is_dir() else folder)
        return
    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        said = (_("{out}: an animation is saved as .gif, .apng or .mp4, or as numbered PNGs in a folder (a name "
                  "ending in /), not {suffix!r}") if suffix else
                _("{out}: an animation is saved as .gif, .apng or .mp4, or as numbered PNGs in a folder (a name "
                  "ending in /); the name has no extension"))  # fmt: skip
        raise PlaygroundError(said.format(out=out, suffix=suffix))
    if suffix == ".mp4" and ffmpeg() is None:
        raise PlaygroundError(_("{out}: {reason}").format(out=out, reason=_(VIDEO_HINT)))
    check_writable(out)


def write_animation(out: str | Path, frames: Iterable[np.ndarray], fps: float) -> int:
    """Encode `frames` (an iterable that may compute them as it goes) into `out`, atomically: a
    failure or an exception from `frames` (Cancel) leaves any old file as it was. Returns the
    number of frames written."""
    check_output(out)
    if is_folder(out):
        return _write_folder(Path(out), frames)
    count = 0

    def write(f: IO[bytes]) -> None:
        nonlocal count
        writer = WRITERS[Path(out).suffix.lower()](f, fps)
        try:
            for frame in frames:
                writer.add(frame)
                count += 1
            writer.close()
        finally:
            if isinstance(writer, Mp4Writer):
                writer.abort()

    atomic_write(out, write)
    return count


def _write_folder(folder: Path, frames: Iterable[np.ndarray]) -> int:
    """Numbered PNGs (frame-0000.png, ...), each written atomically; the folder is made if its
    parent exists."""
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise PlaygroundError(_("{folder}: the folder could not be made ({value})").format(
                                  folder=folder, value=exc.strerror or exc)) from None
    count = 0
    for frame in frames:
        atomic_write_bytes(folder / frame_name(count), png_bytes(frame))
        count += 1
    return count


def frame_name(index: int) -> str:
    """The file name of frame `index` in a folder of numbered PNGs."""
    return f"{FRAME_PREFIX}{index:04d}.png"
