"""What the layer view draws of one picked image, made on the worker thread: every layer's
output (the feature maps of a convolution or pooling layer, the values of a dense one) and every
convolution's filters, already turned into pixels, so the UI thread only paints.

Feature maps share one grey scale per layer (black: the layer's lowest value, white: its
highest), so a filter that stays dark next to bright ones is one that found nothing; filters are
drawn in the diverging colours (blue positive, orange negative), each scaled by its own largest
|w|, as the first layer's weight images are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.run.training import Trainer

from ..colors import diverging_rgb

MAX_MAPS = 32  # feature maps drawn per layer at most
MAX_FILTER_INPUTS = 16  # input channels drawn per filter at most
MAX_VALUES = 128  # values drawn of a flat layer at most


@dataclass(frozen=True)
class LayerPicture:
    source: int | None  # index in network.layers; None for an added flatten, -1 for the output
    kind: str  # Keras's class name
    shape: tuple[int, ...]  # the layer's output shape for one image
    maps: np.ndarray | None = None  # (C, h, w) uint8 grey: an image-shaped output
    values: np.ndarray | None = None  # (units,) float32: a flat output, as it is
    filters: np.ndarray | None = None  # (F, in, k, k, 3) uint8: a convolution's kernels
    low: float = 0.0  # the layer's lowest and highest output value (the grey scale's ends)
    high: float = 0.0


@dataclass(frozen=True)
class LayerMaps:
    """One image through the network: its row in the data set, its label and every layer."""

    row: int  # -1: an image of the user's (drawn or opened on the draw pad), not a row of the data
    label: int  # -1 when unknown
    pixels: np.ndarray  # (h, w) or (h, w, 3) uint8: the image as the data set holds it
    layers: tuple[LayerPicture, ...]


def default_row(trainer: Trainer) -> int:
    """The image shown before the user picks one: the first test sample (else validation, train)."""
    data = trainer.data
    for rows in (data.test, data.validation, data.train):
        if rows.size:
            return int(rows[0])
    return 0


def layer_maps(trainer: Trainer, picked: int | np.ndarray | None) -> LayerMaps | None:
    """Dataset row `picked` (None or out of range: `default_row`), or a user's image given as
    one raw data row (a PickImage's pixels), through the trainer's network."""
    data, net = trainer.data, trainer.network
    ds = data.dataset
    if ds.image_shape is None or not len(ds.x):
        return None
    if isinstance(picked, np.ndarray) and picked.size == ds.x.shape[1]:
        row, raw = -1, picked.reshape(1, -1)
    else:
        picked = None if isinstance(picked, np.ndarray) else picked  # another data set's image: the default
        row = default_row(trainer) if picked is None or not 0 <= picked < len(ds.x) else int(picked)
        raw = ds.x[row : row + 1]
    x = data.transform(raw).astype(net.dtype)
    outs = net.layer_outputs(x)
    kinds = [layer.keras for layer in net.layers]
    kernels: list[np.ndarray | None] = [None] * len(net.layers)
    for i, j, kernel in zip(net.weighted, net.shown, net.kernels):
        kernels[i] = kernel
        outs[i] = outs[j]  # a layer with batch_norm shows its entry's output: after the normalization and f
    pictures = tuple(_picture(*parts) for parts in zip(net.origin, kinds, [o[0] for o in outs], kernels))
    label = int(ds.y[row]) if ds.problem == "classification" and row >= 0 else -1
    return LayerMaps(row, label, _pixels(raw[0], ds.image_shape), pictures)


def _picture(source: int | None, kind: str, out: np.ndarray, kernel: np.ndarray | None) -> LayerPicture:
    with np.errstate(all="ignore"):
        finite = out[np.isfinite(out)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
        filters = None if kernel is None or kernel.ndim != 4 else _filters(kernel)
        if out.ndim == 3:
            maps = np.moveaxis(out[:, :, :MAX_MAPS], 2, 0)
            span = high - low if high > low else 1.0
            grey = np.clip(np.nan_to_num((maps - low) * (255.0 / span)), 0, 255).astype(np.uint8)
            return LayerPicture(source, kind, tuple(out.shape), maps=grey, filters=filters, low=low, high=high)
        values = np.asarray(out[:MAX_VALUES], dtype=np.float32)
        return LayerPicture(source, kind, tuple(out.shape), values=values, low=low, high=high)


def _filters(kernel: np.ndarray) -> np.ndarray:
    """(k, k, in, F) to (F, in, k, k, 3) diverging pixels, each filter scaled by its largest |w|."""
    w = np.moveaxis(kernel[:, :, :MAX_FILTER_INPUTS, :MAX_MAPS], (3, 2), (0, 1))
    top = np.max(np.abs(w), axis=(1, 2, 3), keepdims=True)
    return diverging_rgb(np.nan_to_num(w / np.where(top > 0, top, 1.0)))


def _pixels(flat: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    img = np.asarray(flat, dtype=np.float64).reshape(shape)
    if img.ndim == 3 and img.shape[2] != 3:
        img = img.mean(axis=2)
    lo, hi = float(img.min()), float(img.max())
    return np.clip((img - lo) * (255.0 / (hi - lo if hi > lo else 1.0)), 0, 255).astype(np.uint8)
