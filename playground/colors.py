"""The app's palette: TensorFlow Playground's orange/blue for two classes, distinct hues for more."""

from __future__ import annotations

import functools

import numpy as np

from engine.core.i18n import N_, _

NEGATIVE = (245, 147, 34)  # class 0, negative weights
POSITIVE = (8, 119, 189)  # class 1, positive weights
NEUTRAL = (232, 234, 235)
CLASS_COLORS = [POSITIVE, NEGATIVE, (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75)]
LAYER_COLORS = [
    POSITIVE,
    NEGATIVE,
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (23, 190, 207),
    (127, 127, 127),
    (188, 189, 34),
]
SPLIT_COLORS = {"train": (8, 119, 189), "validation": (44, 160, 44), "test": (214, 39, 40)}


#: The colours' names in English (the catalog's keys): class_color_name and color_name give them in
#: the user's language.
CLASS_COLOR_NAMES = {POSITIVE: N_("blue"), NEGATIVE: N_("orange"), (44, 160, 44): N_("green"),
                     (214, 39, 40): N_("red"), (148, 103, 189): N_("purple"), (140, 86, 75): N_("brown")}  # fmt: skip


LAYER_COLOR_NAMES = {(23, 190, 207): N_("cyan"), (127, 127, 127): N_("grey"), (188, 189, 34): N_("olive")}


def class_color_name(label: int, classes: int) -> str:
    """The name of a class's colour in the user's language, for legends."""
    return _(CLASS_COLOR_NAMES[class_color(label, classes)])


def color_name(color: tuple[int, int, int]) -> str:
    """The name of one of the palette's colours in the user's language (another colour as rgb(…))."""
    name = CLASS_COLOR_NAMES.get(color) or LAYER_COLOR_NAMES.get(color)
    return _(name) if name else f"rgb{color}"


def fade(rgb: np.ndarray, strength: float) -> np.ndarray:
    """uint8 colours faded towards white (strength 1 keeps them), in one NumPy pass."""
    return (255 - (255 - rgb.astype(np.uint16)) * int(strength * 256) // 256).astype(np.uint8)


def class_color(label: int, classes: int) -> tuple[int, int, int]:
    """Class 1 blue and class 0 orange for two classes (as TFP), a palette for more."""
    if classes <= 2:
        return POSITIVE if label == 1 else NEGATIVE
    return CLASS_COLORS[label % len(CLASS_COLORS)]


@functools.lru_cache(maxsize=4)
def diverging_lut(n: int = 256) -> np.ndarray:
    """Orange (−1 / class 0) through near-white to blue (+1 / class 1), as (n, 3) uint8."""
    t = np.linspace(0, 1, n)[:, None]
    lo, mid, hi = np.array(NEGATIVE, float), np.array(NEUTRAL, float), np.array(POSITIVE, float)
    out = np.where(t < 0.5, lo + (mid - lo) * (t / 0.5), mid + (hi - mid) * ((t - 0.5) / 0.5))
    return out.astype(np.uint8)


def blend_white(color: tuple[int, int, int], strength: float) -> tuple[int, int, int]:
    """`color` faded towards white: an opaque stand-in for transparency on a white background
    (translucent pens are ten times slower to draw)."""
    return tuple(int(255 + (c - 255) * strength) for c in color)  # type: ignore[return-value]


NAN_COLOR = (190, 60, 190)  # "not a number": a value that overflowed shows, it never breaks a view


def diverging_rgb(values: np.ndarray, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    """Map values in [lo, hi] to RGB through the diverging colour map (any shape → shape + (3,));
    NaN shows as NAN_COLOR, ±inf as the map's ends."""
    lut = diverging_lut()
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = (np.asarray(values, dtype=np.float64) - lo) * (255.0 / (hi - lo))
    bad = np.isnan(scaled)
    idx = np.clip(np.where(bad, 0.0, scaled), 0, 255).astype(np.intp)
    out = lut[idx]
    if bad.any():
        out[bad] = NAN_COLOR
    return out


def class_rgb(probs: np.ndarray, classes: int) -> np.ndarray:
    """Multiclass heatmap: the argmax class's colour, faded towards white where the net is unsure."""
    colors = np.array([class_color(c, classes) for c in range(classes)], float)
    bad = ~np.all(np.isfinite(probs), axis=-1)
    probs = np.where(bad[..., None], 0.0, probs)
    winner = probs.argmax(axis=-1)
    conf = probs.max(axis=-1)
    strength = np.clip((conf - 1.0 / classes) / (1 - 1.0 / classes), 0, 1)[..., None] * 0.75 + 0.1
    out = (np.array(NEUTRAL, float) + (colors[winner] - NEUTRAL) * strength).astype(np.uint8)
    out[bad] = NAN_COLOR
    return out


def layer_color(i: int) -> tuple[int, int, int]:
    """One colour per layer, the same in every view that plots layers side by side."""
    return LAYER_COLORS[i % len(LAYER_COLORS)]


#: Low values light, high values dark: a sequential map for surfaces and loss landscapes (the
#: minimum, where paths end, is the lightest place; the walls are dark).
SEQUENTIAL = ((255, 252, 222), (199, 233, 180), (127, 205, 187), (65, 182, 196), (44, 127, 184), (37, 52, 148))
CONTOUR_DARKEN = 0.72  # a contour line is its band's colour at this brightness


@functools.lru_cache(maxsize=2)
def sequential_lut(n: int = 256) -> np.ndarray:
    """SEQUENTIAL interpolated to (n, 3) uint8."""
    anchors = np.array(SEQUENTIAL, float)
    t = np.linspace(0, len(anchors) - 1, n)
    lo = np.minimum(t.astype(int), len(anchors) - 2)
    frac = (t - lo)[:, None]
    return (anchors[lo] + (anchors[lo + 1] - anchors[lo]) * frac).astype(np.uint8)


def contour_levels(values: np.ndarray, log: bool, lowest: float | None = None) -> np.ndarray:
    """Values scaled to [0, 1] for colouring: log10 of the height above `lowest` when `log`
    (a valley 100× deeper than its walls still shows), linear otherwise; the top 2% is clipped
    so one steep corner does not wash out the rest. NaN stays NaN."""
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v)
    if not finite.any():
        return np.full(v.shape, np.nan)
    if log:
        base = np.nanmin(v[finite]) if lowest is None else min(lowest, np.nanmin(v[finite]))
        height = np.where(finite, v - base, np.nan)
        positive = height[height > 0]
        floor = np.percentile(positive, 1) if positive.size else 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.log10(np.maximum(height, floor))
        finite = np.isfinite(v)
    lo, hi = np.min(v[finite]), np.percentile(v[finite], 98)
    if hi <= lo:
        hi = lo + 1.0
    with np.errstate(invalid="ignore"):
        return np.clip((v - lo) / (hi - lo), 0.0, 1.0)


def contour_rgb(values: np.ndarray, log: bool, bands: int = 14, lowest: float | None = None) -> np.ndarray:
    """A filled contour picture (h, w, 3) of a 2-D array: the sequential map, and a darker line
    wherever the value crosses one of `bands` equal steps (of log height when `log`)."""
    t = contour_levels(values, log, lowest)
    bad = np.isnan(t)
    t = np.where(bad, 1.0, t)
    rgb = sequential_lut()[np.clip((t * 255).astype(np.intp), 0, 255)]
    band = np.minimum((t * bands).astype(np.intp), bands - 1)
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    rgb[edge] = (rgb[edge] * CONTOUR_DARKEN).astype(np.uint8)
    rgb[bad] = NAN_COLOR
    return rgb


def upsample(grid: np.ndarray, factor: int) -> np.ndarray:
    """A 2-D grid sampled `factor` times finer by bilinear interpolation between its points (the
    outer points stay where they are), so a coarse landscape draws with smooth contours."""
    rows, cols = grid.shape
    ys = np.linspace(0, rows - 1, (rows - 1) * factor + 1)
    xs = np.linspace(0, cols - 1, (cols - 1) * factor + 1)
    y0 = np.minimum(ys.astype(int), rows - 2)
    x0 = np.minimum(xs.astype(int), cols - 2)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    g = np.asarray(grid, dtype=np.float64)
    top = g[y0][:, x0] * (1 - fx) + g[y0][:, x0 + 1] * fx
    bottom = g[y0 + 1][:, x0] * (1 - fx) + g[y0 + 1][:, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy
