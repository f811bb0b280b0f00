"""A drawing or a photo made into one of a data set's images, framed the way that set's own
images were made, so a network trained on them is shown the same kind of picture.

- MNIST-style 28×28 grey images (LeCun's preparation): the digit's bounding box scaled to fit
  20×20 keeping its aspect ratio (area averaging makes the grey edges), then moved in whole
  pixels so that its centre of mass sits at the centre (14, 14) of the 28×28 field.
- The bundled UCI digits (8×8, bundled.py): NIST's normalisation into a 32×32 bitmap (the
  bounding box scaled to 32 pixels high, its width in proportion but at most 20, centred: every
  one of the 1,797 digits spans all 8 rows, and columns 0 and 7 stay almost empty), then the ink
  counted in 4×4 blocks: 0 to 16 per pixel.
- The synthetic shapes (16×16, images.py): one filled shape on black; the bounding box fitted
  to the generator's middle size and centred, at its middle brightness.
- Any other image set: MNIST's idea at its size (a box 20/28 of the field, centred by mass),
  background and ink levels read from the data's own border and range.

NumPy only: the app decodes files and renders strokes, and hands arrays in. `ink` arrays run
from 0 (paper) to 1 (full ink).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.i18n import _
from .dataset import Dataset
from .images import BRIGHTNESS, HALF_SIZE
from .images import SIZE as SHAPES_SIZE

MNIST_FIELD, MNIST_BOX = 28, 20
UCI_FIELD, UCI_BOX, UCI_BLOCK = 32, (32, 20), 4  # (height, width) of the box; ink counted per 4×4 block
INK_EDGE = 0.5  # ink at least this strong belongs to the drawing's bounding box (a bilevel scan's "on")
LEVEL_ROWS = 500  # images sampled to read a data set's background and ink levels


@dataclass(frozen=True)
class Framing:
    """How one data set's images were made, as far as a drawing needs it."""

    style: str  # "mnist", "uci", "shapes" or "centred"
    shape: tuple[int, ...]  # the data's image shape: (h, w) or (h, w, channels)
    field: tuple[int, int]  # the picture the drawing is placed in (a multiple of the image by `block`)
    box: tuple[int, int]  # (height, width) the bounding box is scaled to fit, keeping its aspect ratio
    fill_height: bool  # the height always fills the box, the width squeezed to fit it (UCI's digits)
    by_mass: bool  # centred by the centre of mass (else by the bounding box's middle)
    block: int  # pixels of the field summed into one image pixel (UCI's 4×4 ink counts)
    binary: bool  # the field is a bitmap (ink on or off) before counting
    background: float  # a paper pixel, in the data's units
    ink: float  # a fully inked pixel, in the data's units
    low: float  # the data's range, in their units
    high: float
    how: str  # what is done, for the user

    @property
    def channels(self) -> int:
        return int(self.shape[2]) if len(self.shape) == 3 else 1

    @property
    def light_on_dark(self) -> bool:
        """Whether the ink is brighter than the paper (MNIST's white digits on black)."""
        return self.ink >= self.background


def framing_for(ds: Dataset) -> Framing | None:
    """How drawings become images of `ds` (None when its rows are not images)."""
    shape = ds.image_shape
    if shape is None or len(shape) not in (2, 3):
        return None
    shape = tuple(int(s) for s in shape)
    h, w = shape[:2]
    low, high, background, ink = _levels(ds.x, shape)
    plain = {"fill_height": False, "block": 1, "binary": False}
    if ds.name == "digits" and shape == (8, 8):
        return Framing("uci", shape, (UCI_FIELD, UCI_FIELD), UCI_BOX, fill_height=True, by_mass=False,
                       block=UCI_BLOCK, binary=True, background=0.0, ink=16.0, low=0.0, high=16.0,
                       how=_("As the UCI digits were made: the drawing scaled to 32 pixels high (its width in "
                             "proportion, at most 20), centred in a 32×32 bitmap, and its ink counted in 4×4 blocks "
                             "(0 to 16)."))  # fmt: skip
    if ds.name == "shapes" and shape == (SHAPES_SIZE, SHAPES_SIZE):
        side = int(sum(HALF_SIZE) + 0.5)  # twice the mean half-width: the shapes' middle size
        bright = sum(BRIGHTNESS) / 2
        return Framing("shapes", shape, (h, w), (side, side), by_mass=False, background=0.0, ink=bright, low=0.0,
                       high=255.0, **plain,
                       how=_("As the shapes were made: one filled shape, its bounding box fitted to {side}×{side} "
                             "(the shapes are 6 to 11 pixels), centred, at brightness {bright:g} on black. "
                             "Fill your shape in: theirs are solid.").format(side=side, bright=bright))  # fmt: skip
    levels = {"background": background, "ink": ink, "low": low, "high": high}
    if (h, w) == (MNIST_FIELD, MNIST_FIELD):
        return Framing("mnist", shape, (h, w), (MNIST_BOX, MNIST_BOX), by_mass=True, **plain, **levels,
                       how=_("As MNIST was made: the drawing's bounding box scaled to fit 20×20 keeping its shape, "
                             "then centred in 28×28 by its centre of mass."))  # fmt: skip
    box = (max(1, round(h * MNIST_BOX / MNIST_FIELD)), max(1, round(w * MNIST_BOX / MNIST_FIELD)))
    return Framing("centred", shape, (h, w), box, by_mass=True, **plain, **levels,
                   how=_("As MNIST was made, at this size: the drawing's bounding box scaled to fit {box} keeping its "
                         "shape, then centred in {field} by its centre of mass.").format(
                       box=f"{box[0]}×{box[1]}", field=f"{h}×{w}"))  # fmt: skip


def _levels(x: np.ndarray, shape: tuple[int, ...]) -> tuple[float, float, float, float]:
    """The data's range, their background (the median pixel of the images' borders) and their
    ink (the end of the range farther from the background), from a sample of the rows."""
    rows = x[:: max(1, len(x) // LEVEL_ROWS)][:LEVEL_ROWS].reshape(-1, *shape)
    border = np.concatenate([rows[:, 0].ravel(), rows[:, -1].ravel(), rows[:, :, 0].ravel(), rows[:, :, -1].ravel()])
    low, high, background = float(rows.min()), float(rows.max()), float(np.median(border))
    return low, high, background, high if high - background >= background - low else low


def area_resize(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """`img` (H, W) or (H, W, C) at height × width: each new pixel the mean of the area of the
    old picture it covers (anti-aliased going down, blocky going up)."""
    a, b = _area_matrix(img.shape[0], height), _area_matrix(img.shape[1], width)
    rows = np.tensordot(a, img.astype(np.float64), axes=(1, 0))  # (height, W, ...)
    return np.moveaxis(np.tensordot(rows, b, axes=(1, 1)), -1, 1)  # (height, width, ...)


def _area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in): the share of each old pixel in each new one along one axis."""
    step = n_in / n_out
    lo = np.arange(n_out)[:, None] * step
    j = np.arange(n_in)[None, :]
    return np.clip(np.minimum(lo + step, j + 1) - np.maximum(lo, j), 0, None) / step


def ink_box(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right), bottom and right exclusive, of the ink at least INK_EDGE strong."""
    rows, cols = np.flatnonzero((ink >= INK_EDGE).any(axis=1)), np.flatnonzero((ink >= INK_EDGE).any(axis=0))
    if not rows.size:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def frame_ink(ink: np.ndarray, framing: Framing) -> np.ndarray | None:
    """A drawing's ink (H, W) as one row of the data (h·w·channels values in their units), framed
    as `framing` says; None when there is no ink to frame."""
    field = framing_field(ink, framing)
    if field is None:
        return None
    b = framing.block
    fh, fw = framing.field
    image = field.reshape(fh // b, b, fw // b, b).sum(axis=(1, 3)) / (b * b)
    return to_row(image, framing)


def framing_field(ink: np.ndarray, framing: Framing) -> np.ndarray | None:
    """The field before any block counting: the bounding box scaled into the box and placed."""
    edges = ink_box(ink)
    if edges is None:
        return None
    top, bottom, left, right = edges
    crop = np.clip(ink[top:bottom, left:right], 0.0, 1.0)
    (bh, bw), (fh, fw) = framing.box, framing.field
    scale = bh / crop.shape[0] if framing.fill_height else min(bh / crop.shape[0], bw / crop.shape[1])
    rh, rw = (max(1, min(n, round(m * scale))) for n, m in ((bh, crop.shape[0]), (bw, crop.shape[1])))
    small = area_resize(crop, rh, rw)
    if framing.binary:
        small = (small >= INK_EDGE).astype(np.float64)
    if framing.by_mass and small.sum() > 0:
        yy, xx = np.indices(small.shape)
        cy, cx = (yy * small).sum() / small.sum(), (xx * small).sum() / small.sum()
        top, left = round(fh / 2 - cy), round(fw / 2 - cx)  # whole pixels, as MNIST was shifted
    else:
        top, left = round((fh - rh) / 2), round((fw - rw) / 2)
    top, left = min(max(top, 0), fh - rh), min(max(left, 0), fw - rw)
    field = np.zeros((fh, fw))
    field[top : top + rh, left : left + rw] = small
    return field


def to_row(image: np.ndarray, framing: Framing) -> np.ndarray:
    """An (h, w) ink picture (0..1) as one data row: paper at the background level, full ink at
    the data's ink level, the same value in every channel."""
    values = framing.background + (framing.ink - framing.background) * np.clip(image, 0.0, 1.0)
    return np.repeat(values[:, :, None], framing.channels, axis=2).ravel()


def fit_picture(rgb: np.ndarray, framing: Framing) -> np.ndarray:
    """A colour picture (H, W, 3, 0..1) as one row of colour data: the whole picture resized to
    the images' size, its values stretched over the data's range (photos are not framed)."""
    h, w = framing.shape[:2]
    small = area_resize(rgb, h, w)
    if framing.channels != 3:
        small = np.repeat(small.mean(axis=2, keepdims=True), framing.channels, axis=2)
    return (framing.low + (framing.high - framing.low) * np.clip(small, 0.0, 1.0)).ravel()


@dataclass(frozen=True)
class PhotoInk:
    """What a photo's grey pixels say as ink, and how that was read."""

    ink: np.ndarray  # (H, W) 0..1
    dark_on_light: bool  # the photo's border is light: its ink is the dark part
    border: float  # the border's mean grey level (0 black .. 1 white)


def photo_ink(grey: np.ndarray) -> PhotoInk:
    """The ink of a photo's grey pixels (0..1): the side that differs from its border (the dark
    strokes on a light page, or the light ones on a dark board), stretched so the page is 0 and
    the strongest strokes 1; shadows and paper texture within a quarter of the way are dropped."""
    g = np.clip(np.asarray(grey, dtype=np.float64), 0.0, 1.0)
    ring = max(1, round(0.05 * min(g.shape)))
    border = float(np.concatenate([g[:ring].ravel(), g[-ring:].ravel(), g[:, :ring].ravel(),
                                   g[:, -ring:].ravel()]).mean())  # fmt: skip
    dark_on_light = border > 0.5
    v = 1.0 - g if dark_on_light else g
    paper = 1.0 - border if dark_on_light else border
    peak = float(np.percentile(v, 99.5))
    if peak - paper < 0.1:  # nothing stands out from the page
        return PhotoInk(np.zeros_like(v), dark_on_light, border)
    floor = paper + 0.25 * (peak - paper)
    return PhotoInk(np.clip((v - floor) / (peak - floor), 0.0, 1.0), dark_on_light, border)
