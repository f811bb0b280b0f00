"""A synthetic image set that needs no download: 16×16 grayscale shapes with jitter and noise.

Pixels run 0..255 like real image files, so "unit" normalisation (÷ the maximum) matters.
"""

from __future__ import annotations

import numpy as np

from ..core.i18n import N_
from .dataset import Dataset
from .generators import _check_classes, register_dataset

SIZE = 16
HALF_SIZE = (3.0, 5.5)  # a shape's half-width, drawn uniformly (bars are 1.5 px longer each way)
BRIGHTNESS = (150.0, 255.0)  # a shape's grey level, drawn uniformly, on a black background
SHAPE_NAMES = ["square", "disc", "triangle", "cross", "horizontal bar", "vertical bar"]


def _draw(kind: int, rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    half = rng.uniform(*HALF_SIZE)
    cx, cy = rng.uniform(half + 0.5, SIZE - half - 0.5, 2)
    dx, dy = xx - cx, yy - cy
    if kind == 0:
        mask = (np.abs(dx) <= half) & (np.abs(dy) <= half)
    elif kind == 1:
        mask = dx * dx + dy * dy <= half * half
    elif kind == 2:
        mask = (dy <= half) & (dy >= -half) & (np.abs(dx) <= (dy + half) / 2)
    elif kind == 3:
        w = max(1.0, half / 3)
        mask = ((np.abs(dx) <= w) & (np.abs(dy) <= half)) | ((np.abs(dy) <= w) & (np.abs(dx) <= half))
    elif kind == 4:
        mask = (np.abs(dy) <= max(1.0, half / 3)) & (np.abs(dx) <= half + 1.5)
    else:
        mask = (np.abs(dx) <= max(1.0, half / 3)) & (np.abs(dy) <= half + 1.5)
    return mask.astype(float)


def shapes(samples: int = 600, noise: float = 0.1, rng: np.random.Generator | None = None, classes: int = 4) -> Dataset:
    """`classes` kinds of shape (square, disc, triangle, cross, bars), random size and place,
    brightness 150..255, plus Gaussian pixel noise of 255·noise."""
    rng = rng or np.random.default_rng(0)
    _check_classes("shapes", classes)
    labels = np.arange(samples) % classes
    rng.shuffle(labels)
    images = np.empty((samples, SIZE * SIZE))
    for i, kind in enumerate(labels):
        img = _draw(int(kind), rng) * rng.uniform(*BRIGHTNESS)
        img += rng.normal(0, 255 * noise, img.shape)
        images[i] = np.clip(img, 0, 255).ravel()
    columns = [f"px{r}_{c}" for r in range(SIZE) for c in range(SIZE)]
    return Dataset(
        images,
        labels.astype(np.intp),
        "classification",
        columns,
        classes,
        SHAPE_NAMES[:classes],
        image_shape=(SIZE, SIZE),
        name="shapes",
    )


register_dataset(
    "shapes",
    "classification",
    N_("Images: 16×16 shapes (square, disc, triangle, ...)."),
    (2, 6),
    default_classes=4,
    samples=600,
    kind="images",
    normalize="unit",
    title=N_("Shapes"),
)(shapes)
