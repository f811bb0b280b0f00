"""What the batch-normalization views draw, made on the worker thread (no Qt), as layer_maps.py
makes the layer view's pictures.

A layer that keeps moving statistics (batch normalization: the kind declares them as its
non-trainable arrays) normalises by the batch's own mean and variance in training and by its
moving ones at inference. Two things here show the difference:

- `batch_forward`: the network on inputs taken as one training batch for those layers (each
  normalises by the batch's statistics) and as at inference for every other layer (no dropout),
  the moving statistics left as they were. The output plane's "training" mode is the grid of
  the plane through it, the grid as one batch.
- `batch_norm_stats`: for each such layer, its input z and its output y = γ·x̂ + β on the
  current batch (the rows of the last training step, through today's weights), summarised per
  unit (or channel) as quantiles, with the batch's mean and variance beside the moving ones.
  Computed only while the batch-norm view is on screen.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from engine.core.layers import passes_between
from engine.core.model import LayerStack
from engine.run.training import Trainer

MAX_UNITS = 32  # units (or channels) summarised per layer at most; the view says "+N more"
MAX_VALUES = 4096  # values per unit the quantiles are read from (the mean and variance use all)
QUANTILES = (0.02, 0.25, 0.5, 0.75, 0.98)  # a box from the quartiles, whiskers to the 2nd and 98th percentiles


def normalizing_layers(net: LayerStack) -> list[int]:
    """Stack indices of the layers that keep moving statistics (batch normalization)."""
    return [i for i, layer in enumerate(net.layers) if layer.non_trainable]


def layer_words(net: LayerStack, i: int) -> str:
    """Stack layer `i` in the walk's words with its kind: "layer 1 (BatchNormalization)" whether a
    dense layer's key made it or it is an entry of its own."""
    name = net.step_name(i)
    return name if name.endswith(")") else f"{name} ({net.layers[i].title()})"


def batch_forward(net: LayerStack, x: np.ndarray, keep: Collection[int] = ()
                  ) -> tuple[np.ndarray, dict[int, tuple[np.ndarray, np.ndarray]]]:  # fmt: skip
    """The output for rows `x` taken as one training batch by the layers that keep moving
    statistics (x̂ = (x − μ_B)/√(σ²_B + ε) with the batch's μ_B and σ²_B) and as at inference by
    every other layer (dropout off); the moving statistics are put back as they were. Also each
    layer in `keep`'s (input, output). Every layer's cached output (`a`) is this pass's after."""
    saved = net.params[net.n_trainable :].copy()
    h = np.asarray(x, dtype=net.dtype)
    if len(net.input_shape) > 1 and h.ndim == 2:
        h = h.reshape(-1, *net.input_shape)
    kept: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    try:
        for i, layer in enumerate(net.layers):
            out = layer.forward(h, training=bool(layer.non_trainable))
            if i in keep:
                kept[i] = (h, out)
            h = out
    finally:
        net.params[net.n_trainable :] = saved
    return h, kept


def graph_ends(net: LayerStack) -> list[int]:
    """Per layer with a kernel, the stack layer whose output its neuron-graph column shows: its
    entry's own end (after the batch normalization and activation its keys add), then any typed
    layers after it that pass values through unit by unit (a BatchNormalization or Activation
    entry of their own), skipping what passes its input unchanged at inference (dropout)."""
    ends = []
    weighted = set(net.weighted)
    for j in net.shown:
        k = j
        while k + 1 < len(net.layers) and k + 1 not in weighted:
            layer = net.layers[k + 1]
            if passes_between(type(layer)):
                j = k + 1
            elif layer.drawn:
                break
            k += 1
        ends.append(j)
    return ends


def plane_outputs(net: LayerStack, grid: np.ndarray, batch: bool = False) -> list[np.ndarray]:
    """Each neuron-graph column's output over the plane's points `grid` (N, features), the output
    layer last: at inference (the moving statistics), or with `batch` the grid as one training
    batch (`batch_forward`: every batch-normalization layer by the grid's own statistics)."""
    n = grid.shape[0]
    if batch:
        batch_forward(net, grid)
    elif n > net.inference_chunk:  # a model that makes large temporaries: the engine's chunks
        return net.neuron_outputs(grid)
    else:
        net.forward(grid)
    return [net.layers[j].a.reshape(n, -1) for j in graph_ends(net)]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NormLayer:
    """One batch-normalization layer on the current batch, per unit (or channel), the first
    MAX_UNITS of them: its input z and its output y as quantiles (QUANTILES, one row each), the
    batch's mean and (biased) variance of z beside the moving ones, and γ and β."""

    name: str  # in the walk's words: "layer 2 (BatchNormalization)"
    units: int  # units (or channels) in all
    per: str  # "unit" or "channel"
    values: int  # values each unit's statistics are taken over: the batch (times a map's positions)
    before: np.ndarray  # (shown, 5) quantiles of z
    after: np.ndarray  # (shown, 5) quantiles of y = γ·x̂ + β
    batch_mean: np.ndarray  # (shown,)
    batch_var: np.ndarray
    moving_mean: np.ndarray
    moving_var: np.ndarray
    gamma: np.ndarray  # 1 where the layer learns no scale
    beta: np.ndarray  # 0 where it learns no shift
    epsilon: float


@dataclass(frozen=True)
class BatchNormStats:
    """Every batch-normalization layer of the network on one batch."""

    rows: int  # examples in the batch
    steps: int  # optimizer steps when it was taken
    trained: bool  # the rows of the last step (False: the first batch of the training split, before any step)
    layers: tuple[NormLayer, ...]
    batch: np.ndarray  # the batch: indices into the training split (x_train), carried rows first

    @property
    def nbytes(self) -> int:
        """What keeping it costs (time travel keeps it with its snapshot)."""
        arrays = [self.batch] + [
            a
            for n in self.layers
            for a in (n.before, n.after, n.batch_mean, n.batch_var, n.moving_mean, n.moving_var, n.gamma, n.beta)
        ]
        return sum(a.nbytes for a in arrays)


def current_batch(trainer: Trainer) -> tuple[np.ndarray, bool]:
    """The rows of the last training step, or before any step the first batch_size rows of the
    training split; and whether they were trained on."""
    rows = trainer.batch_rows
    if rows.size:
        return rows, True
    return np.arange(min(trainer.batch_size, trainer.n_train)), False


def batch_norm_stats(trainer: Trainer) -> BatchNormStats | None:
    """Each batch-normalization layer's statistics on the current batch (see the module's
    docstring); None for a network without one."""
    net = trainer.network
    where = normalizing_layers(net)
    if not where:
        return None
    rows, trained = current_batch(trainer)
    _out, kept = batch_forward(net, trainer.data.x_train[rows], keep=where)
    views = net.layer_views(net.params)
    layers = []
    for i in where:
        z, y = kept[i]
        layers.append(_summary(net, i, z, y, views[i]))
    return BatchNormStats(int(rows.size), trainer.steps, trained, tuple(layers), rows.copy())


def _summary(net: LayerStack, i: int, z: np.ndarray, y: np.ndarray, arrays: dict[str, np.ndarray]) -> NormLayer:
    layer = net.layers[i]
    c = z.shape[-1]
    shown = min(c, MAX_UNITS)
    zs = z.reshape(-1, c)
    ys = y.reshape(-1, c)
    m = zs.shape[0]
    with np.errstate(all="ignore"):  # a diverging run: show what there is
        mean = zs.mean(axis=0)
        var = np.mean((zs - mean) ** 2, axis=0)  # biased, as the layer normalises by
        step = max(1, m // MAX_VALUES)
        before = np.quantile(zs[::step, :shown], QUANTILES, axis=0).T
        after = np.quantile(ys[::step, :shown], QUANTILES, axis=0).T
    mean_name, var_name = layer.non_trainable
    ones = np.ones(shown)
    return NormLayer(
        name=layer_words(net, i),
        units=c,
        per="channel" if z.ndim > 2 else "unit",
        values=m,
        before=before,
        after=after,
        batch_mean=mean[:shown].copy(),
        batch_var=var[:shown].copy(),
        moving_mean=arrays[mean_name][:shown].copy(),
        moving_var=arrays[var_name][:shown].copy(),
        gamma=arrays["gamma"][:shown].copy() if "gamma" in arrays else ones,
        beta=arrays["beta"][:shown].copy() if "beta" in arrays else 0 * ones,
        epsilon=float(getattr(layer, "epsilon", 0.0)),
    )
