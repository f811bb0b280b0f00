"""Image folders as data: one subfolder per class, read as Keras's image_dataset_from_directory reads
them (class names are the subfolders' names, sorted; files in a class folder and its subfolders, sorted).

Pillow decodes PNG, JPEG, BMP, GIF (its first frame) and WebP, and nothing else: each file is opened
with only those decoders allowed, whatever its name says. Budgets are checked before any pixel is
decoded: files and bytes from the listing, the values the images will make from the file count, and
each image's size from its header. A file that cannot be read is left out and named in a note, unless
more than a quarter of the images are bad: then the folder is refused (the wrong folder, or a damaged
copy), naming the first few.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import N_, _, ngettext
from .dataset import Dataset
from .loaders import MAX_BYTES, MAX_DATA_VALUES, _report

#: File name endings read as images (the content decides the decoder, among FORMATS).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
#: The only Pillow decoders used: Keras's formats (PNG, JPEG, BMP, GIF) and WebP. TIFF, PSD, EPS
#: (which runs Ghostscript) and the rest are never tried, even on a file named .png.
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")
#: data.source.color: the Pillow mode each image is converted to (grayscale: ITU-R 601-2 luma).
COLORS = {"grayscale": "L", "rgb": "RGB"}
#: Each colour mode in the user's words (the identifiers stay in files).
COLOR_WORDS = {"grayscale": N_("grayscale"), "rgb": N_("rgb")}
MAX_SIDE = 512  # data.source.size: at most 512 × 512 pixels after resizing
MAX_FILES = 100_000  # images in one folder
MAX_ENTRIES = 4 * MAX_FILES  # files and folders looked at while listing (images or not)
#: The most pixels one image may have, read from its header before decoding (a 64-megapixel
#: photo decodes to 192 MB of RGB); below Pillow's own decompression-bomb warning (89 M).
MAX_IMAGE_PIXELS = 2**26
MAX_IMAGE_BYTES = 64 * 2**20  # one image file
MAX_BAD_SHARE = 0.25  # more bad images than this share refuses the folder
SHOWN = 5  # files named in a note; the rest are counted
REPORT_EVERY = 16  # images between progress reports (and checks for Cancel)


class _Bad(Exception):
    """One image that cannot be used, and why, in the user's words."""


@dataclass
class FolderListing:
    """What an image folder holds, found without opening an image: the class names, each image
    as (class index, path relative to the folder, bytes), and what was left out."""

    root: Path
    classes: list[str]
    files: list[tuple[int, str, int]]
    bad: list[tuple[str, str]] = field(default_factory=list)  # (relative path, why): unreadable already
    others: list[str] = field(default_factory=list)  # files that are not images, or beside the class folders
    empty: list[str] = field(default_factory=list)  # class folders with no images

    @property
    def total_bytes(self) -> int:
        return sum(size for _, _, size in self.files)


def _listing_fail(root: Path, problem: str) -> PlaygroundError:
    return PlaygroundError(_("{value}: {problem}").format(value=root.name or root, problem=problem))


def list_image_folder(path: str | Path) -> FolderListing:
    """The class folders and image files under `path`, bounded by MAX_ENTRIES and MAX_FILES (refused
    as soon as one is passed). Hidden files and folders (names starting with '.') are skipped, and
    symbolic links to folders are followed only for the class folders themselves (no loops)."""
    root = Path(path)
    seen = [0]

    def count() -> None:
        seen[0] += 1
        if seen[0] > MAX_ENTRIES:
            raise _listing_fail(root, _("more than {max_entries:,} files and folders: this is not an image folder "
                                        "of a size this app reads").format(max_entries=MAX_ENTRIES))  # fmt: skip
        if seen[0] % 1024 == 0:
            _report(0, 0)  # lets Cancel stop a long listing

    classes, others = [], []
    try:
        with os.scandir(root) as it:
            for entry in it:
                count()
                if entry.name.startswith("."):
                    continue
                if entry.is_dir():
                    classes.append(entry.name)
                else:
                    others.append(entry.name)
    except OSError as exc:
        raise _listing_fail(root, _("the folder could not be read ({value})").format(
                                      value=exc.strerror or exc.__class__.__name__)) from None
    classes.sort()
    out = FolderListing(root, [], [], others=sorted(others))
    for name in classes:
        found: list[tuple[str, str]] = []
        unlisted: list[str] = []
        for here, dirs, names in os.walk(root / name, onerror=lambda e, u=unlisted: u.append(str(e.filename))):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            rel = Path(here).relative_to(root).as_posix()
            for n in names:
                count()
                if n.startswith("."):
                    continue
                if n.lower().endswith(IMAGE_SUFFIXES):
                    found.append((rel, n))
                else:
                    out.others.append(f"{rel}/{n}")
            for _d in dirs:
                count()
        out.bad += [(Path(u).relative_to(root).as_posix(), _("the folder could not be listed")) for u in unlisted]
        if not found:
            out.empty.append(name)
            continue
        k = len(out.classes)
        out.classes.append(name)
        for rel, n in sorted(found):  # Keras's order: by folder, then by name
            if len(out.files) >= MAX_FILES:
                raise _listing_fail(root, _("more than {max_files:,} images (the limit for an image folder); use a "
                                            "smaller folder").format(max_files=MAX_FILES))  # fmt: skip
            relative = f"{rel}/{n}"
            try:
                st = os.stat(root / relative)
            except OSError as exc:
                out.bad.append((relative, _("could not be read ({reason})").format(
                    reason=exc.strerror or exc.__class__.__name__)))
                continue
            if not stat.S_ISREG(st.st_mode):
                out.bad.append((relative, _("not a regular file")))  # a FIFO would block the read for ever
                continue
            out.files.append((k, relative, st.st_size))
    return out


def _names(items: Sequence[str], most: int = SHOWN) -> str:
    """The first few names, then how many more."""
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most:,} more" if len(items) > most else "")


def _bad_names(bad: Sequence[tuple[str, str]]) -> str:
    """The first few bad files with why each was left out."""
    return _names([f"{r} ({why})" for r, why in bad])


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a dependency
        raise PlaygroundError(_("reading image folders needs Pillow: pip install Pillow")) from None
    return Image


def _convert(image_module: Any, im: Any, mode: str) -> Any:
    """`im` as 8-bit grayscale ("L") or RGB. 16-bit greys are scaled (÷ 257) where Pillow's own
    conversion would clip them at 255; palette and transparent images go through RGBA first."""
    if im.mode.startswith(("I", "F")):
        a = np.asarray(im, dtype=np.float64) / (257.0 if im.mode.startswith("I") else 1.0)
        grey = image_module.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8))
        return grey if mode == "L" else grey.convert("RGB")
    if im.mode in ("P", "PA") or "transparency" in im.info:
        im = im.convert("RGBA")
    return im if im.mode == mode else im.convert(mode)


def _decode(image_module: Any, path: Path, nbytes: int, mode: str, size: tuple[int, int]) -> tuple[np.ndarray, bool]:
    """One image as uint8 pixels (H, W) or (H, W, 3), and whether it was resized. Its size is read
    from the header and refused before decoding when it is over MAX_IMAGE_PIXELS."""
    if nbytes > MAX_IMAGE_BYTES:
        raise _Bad(_("the file is too large ({nbytes:,} bytes; the limit is {max_image_bytes:,})").format(
                       nbytes=nbytes, max_image_bytes=MAX_IMAGE_BYTES))
    h, w = size
    try:
        with open(path, "rb") as f, image_module.open(f, formats=FORMATS) as im:
            width, height = im.size  # from the header: nothing is decoded yet
            if width * height > MAX_IMAGE_PIXELS:
                raise _Bad(_too_big(f"{width:,}×{height:,}"))
            out = _convert(image_module, im, mode)
            resized = out.size != (w, h)
            if resized:
                out = out.resize((w, h), image_module.Resampling.BILINEAR)
            return np.asarray(out, dtype=np.uint8), resized
    except _Bad:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # a decoder meeting a damaged file may raise almost anything
        raise _Bad(_why(image_module, exc)) from None


def _too_big(claim: str) -> str:
    return _("its header claims {claim} pixels, more than the {most:,} an image may have (not decoded)").format(
        claim=claim, most=MAX_IMAGE_PIXELS)


def _why(image_module: Any, exc: Exception) -> str:
    """A decoder's failure in the user's words."""
    if isinstance(exc, (image_module.DecompressionBombError, image_module.DecompressionBombWarning)):
        claim = re.search(r"\((\d+) pixels\)", str(exc))  # Pillow's own check, at twice its 89 M pixels
        if not claim:
            return _("its header claims more pixels than the {most:,} an image may have (not decoded)").format(
                most=MAX_IMAGE_PIXELS)
        return _too_big(f"{int(claim.group(1)):,}")
    if isinstance(exc, image_module.UnidentifiedImageError):
        return _("not a PNG, JPEG, BMP, GIF or WebP image")
    text = str(exc)
    if "truncated" in text:
        return _("the image is cut short (truncated)")
    text = text if len(text) <= 80 else text[:77] + "..."
    return _("could not be decoded ({kind}: {text})").format(kind=exc.__class__.__name__, text=text)


def load_image_folder(path: str | Path, size: Sequence[int], color: str = "rgb",
                      problem: str = "classification") -> Dataset:  # fmt: skip
    """The images under `path`, one subfolder per class, resized to `size` (height, width) with
    Pillow's bilinear filter without keeping the aspect ratio (Keras's default), as 0..255 pixels
    of `color` ("grayscale" or "rgb"). Every budget is checked before the first image is decoded."""
    root = Path(path)
    if problem != "classification":
        raise _listing_fail(root, _("an image folder's labels are its class folders: data.problem must be "
                                    "classification"))  # fmt: skip
    if color not in COLORS:
        raise _listing_fail(root, _("color must be {colors}, got {color!r}").format(
                                      colors=_(" or ").join(COLORS), color=color))
    h, w = (int(v) for v in size)
    if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
        raise _listing_fail(root, _("the size must be 1 to {max_side} pixels a side, got {h}×{w}").format(
                                      max_side=MAX_SIDE, h=h, w=w))
    listing = list_image_folder(root)
    name = root.name or str(root)
    if not listing.classes:
        loose = [n for n in listing.others if n.lower().endswith(IMAGE_SUFFIXES)]
        empty = _names(listing.empty) if listing.empty else ""
        if loose and empty:
            where = ngettext("{name} holds {count:,} image and no class folders with images (empty: {empty})",
                             "{name} holds {count:,} images and no class folders with images (empty: {empty})",
                             len(loose)).format(name=name, count=len(loose), empty=empty)
        elif loose:
            where = ngettext("{name} holds {count:,} image and no class folders",
                             "{name} holds {count:,} images and no class folders", len(loose)).format(
                name=name, count=len(loose))
        elif empty:
            where = _("{name} has no class folders with images (empty: {empty})").format(name=name, empty=empty)
        else:
            where = _("{name} has no class folders").format(name=name)
        raise _listing_fail(root, _("an image folder holds one subfolder of images per class ({name}/cats/1.png, "
                                    "{name}/dogs/2.png); {where}").format(name=name, where=where))
    if len(listing.classes) < 2:
        if listing.empty:
            raise _listing_fail(root, _("a classification needs at least two class folders with images; only {only} "
                                        "has any (empty: {empty})").format(
                                          only=listing.classes[0], empty=_names(listing.empty)))
        raise _listing_fail(root, _("a classification needs at least two class folders with images; only {only} "
                                    "has any").format(only=listing.classes[0]))
    if len(listing.classes) > 256:
        raise _listing_fail(root, _("{count:,} class folders; a classification has at most 256").format(
                                      count=len(listing.classes)))
    if listing.total_bytes > MAX_BYTES:
        raise _listing_fail(root, _("the images take {total_bytes:,} bytes; the limit is {max_bytes:,}").format(
                                      total_bytes=listing.total_bytes, max_bytes=MAX_BYTES))
    channels = 3 if color == "rgb" else 1
    n = len(listing.files)
    values = n * h * w * channels
    if values > MAX_DATA_VALUES:
        if channels == 3:
            raise _listing_fail(root, _("{n:,} images of {h}×{w} RGB make {values:,} values; the limit is {most:,} "
                                        "(choose a smaller size, grayscale, or fewer images)").format(
                                          n=n, h=h, w=w, values=values, most=MAX_DATA_VALUES))
        raise _listing_fail(root, _("{n:,} images of {h}×{w} make {values:,} values; the limit is {most:,} (choose "
                                    "a smaller size, grayscale, or fewer images)").format(
                                      n=n, h=h, w=w, values=values, most=MAX_DATA_VALUES))
    image_module = _pillow()
    shape = (h, w) if channels == 1 else (h, w, 3)
    pixels = np.empty((n, *shape), dtype=np.uint8)
    keep = np.ones(n, dtype=bool)
    bad = list(listing.bad)
    allowed = int(MAX_BAD_SHARE * (n + len(listing.bad)))
    resized = done = 0
    total = listing.total_bytes
    for i, (_k, relative, nbytes) in enumerate(listing.files):
        if i % REPORT_EVERY == 0:
            _report(done, total)
        try:
            pixels[i], changed = _decode(image_module, root / relative, nbytes, COLORS[color], (h, w))
            resized += changed
        except _Bad as exc:
            keep[i] = False
            bad.append((relative, str(exc)))
        if len(bad) > allowed:
            raise _listing_fail(root, _("more than a quarter of the images cannot be read ({bad:,} of {seen:,} so "
                                        "far), so the folder was not opened: {names}").format(
                                          bad=len(bad), seen=n + len(listing.bad), names=_bad_names(bad)))
        done += nbytes
    _report(total, total)
    labels = np.array([k for k, __, ___ in listing.files], dtype=np.intp)[keep]
    names = [r for (__, r, ___), ok in zip(listing.files, keep) if ok]
    used = np.unique(labels)  # a class whose every image was bad is left out like an empty one
    classes = [listing.classes[k] for k in used]
    empty = listing.empty + [c for k, c in enumerate(listing.classes) if k not in used]
    if len(classes) < 2:
        raise _listing_fail(root, _("a classification needs at least two class folders with images that can be read"))
    y = np.searchsorted(used, labels).astype(np.intp)
    x = pixels[keep].reshape(int(keep.sum()), -1).astype(np.float64)
    del pixels
    read = _("{name}: {count:,} images in {classes} classes ({names}) read as {size} {color}").format(
        name=name, count=len(y), classes=len(classes), names=_names(classes, 10), size=f"{h}×{w}",
        color=_(COLOR_WORDS[color]))  # fmt: skip
    if resized:
        read = _("{read}; {count:,} resized (bilinear, aspect ratio not kept)").format(read=read, count=resized)
    notes = [read]
    if bad:
        notes.append(ngettext("{name}: {count:,} image file could not be read and was left out: {files}",
                              "{name}: {count:,} image files could not be read and were left out: {files}",
                              len(bad)).format(name=name, count=len(bad), files=_bad_names(bad)))  # fmt: skip
    if empty:
        notes.append(_("{name}: class folders with no images that can be read were left out: {folders}").format(
            name=name, folders=_names(sorted(empty))))
    if listing.others:
        notes.append(ngettext("{name}: {count:,} file left out (not an image, or beside the class folders): {files}; "
                              "images end in {suffixes} and sit in a class folder",
                              "{name}: {count:,} files left out (not an image, or beside the class folders): {files}; "
                              "images end in {suffixes} and sit in a class folder", len(listing.others)).format(
            name=name, count=len(listing.others), files=_names(sorted(listing.others)),
            suffixes=", ".join(IMAGE_SUFFIXES)))  # fmt: skip
    columns = [f"px{i}" for i in range(x.shape[1])]
    return Dataset(x, y, "classification", columns, len(classes), classes, shape, name=name, notes=notes,
                   sample_names=names)  # fmt: skip
