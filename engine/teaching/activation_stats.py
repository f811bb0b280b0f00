"""Activation statistics per layer at initialisation (CS231n lecture 6): push data through a
freshly initialised stack of dense layers and look at each layer's activations.

With weights too small every layer scales its input down by about σ·√fan_in, so the activations
shrink geometrically towards 0 (and so do the gradients that flow back through them); too large
and tanh or sigmoid units sit at their flat ends (|tanh| near 1), where almost no gradient
passes. Glorot (Xavier) and He scale σ by the layer's fans to keep the spread from collapsing.

Weights come from the registered initializers (`random_normal` with any σ stands for
CS231n's `0.01 * np.random.randn(fan_in, fan_out)`); biases are 0, as Keras's Dense starts them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.activations import get_activation
from ..core.errors import PlaygroundError
from ..core.i18n import _
from ..core.initializers import INITIALIZERS

BINS = 41
FLAT = 0.01  # f'(z) below this counts as "almost no gradient passes back"
MAX_LAYERS = 30
MAX_UNITS = 2000
MAX_ROWS = 5000
MAX_INPUTS = 5000


@dataclass(frozen=True)
class LayerStats:
    """One layer's activations a = f(x·W): their mean and spread, a histogram, and how many units
    pass almost no gradient back (f'(z) < FLAT)."""

    units: int
    activation: str
    mean: float
    std: float
    counts: np.ndarray  # (BINS,) on the shared edges
    flat: float  # share of activations with f'(z) < FLAT
    zero: float  # share exactly 0 (ReLU's off side)


@dataclass(frozen=True)
class ActivationStats:
    layers: list[LayerStats]
    edges: np.ndarray  # (BINS + 1,) one axis for every layer, so their widths compare
    initializer: str
    stddev: float | None  # random_normal's σ
    rows: int
    inputs: int

    @property
    def stds(self) -> np.ndarray:
        return np.array([layer.std for layer in self.layers])

    def label(self) -> str:
        """How the weights were drawn, in a few words."""
        if self.initializer == "random_normal":
            return f"N(0, {self.stddev:g}²)"
        return INITIALIZERS.words(self.initializer)


def _weights(initializer: str, stddev: float | None, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    init = INITIALIZERS.get(initializer)
    if initializer == "random_normal" and stddev is not None:
        return init(shape, rng, stddev=stddev)
    return init(shape, rng)


def activation_statistics(
    x: np.ndarray,
    layers: list[tuple[int, Any]],
    initializer: str = "glorot_uniform",
    stddev: float | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> ActivationStats:
    """Each hidden layer's activation statistics for inputs `x` (rows × features) through dense
    layers `layers` = [(units, activation spec), ...] with weights freshly drawn by `initializer`
    (σ = `stddev` for random_normal) from `seed`, biases 0. `progress(done, total)` after each layer."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or not 1 <= x.shape[0] <= MAX_ROWS or not 1 <= x.shape[1] <= MAX_INPUTS:
        raise PlaygroundError(_("inputs are 1 to {max_rows:,} rows of 1 to {max_inputs:,} features, got {shape}")
                                .format(max_rows=MAX_ROWS, max_inputs=MAX_INPUTS, shape=x.shape))
    if not 1 <= len(layers) <= MAX_LAYERS:
        raise PlaygroundError(_("give 1 to {max_layers} layers, got {count}").format(
                                  max_layers=MAX_LAYERS, count=len(layers)))
    for units, _act in layers:
        if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= MAX_UNITS:
            raise PlaygroundError(_("a layer has 1 to {max_units:,} units, got {units!r}").format(
                                      max_units=MAX_UNITS, units=units))
    INITIALIZERS.get(initializer)
    if stddev is not None and not 0 < stddev <= 100:
        raise PlaygroundError(_("σ must be above 0 and at most 100, got {stddev!r}").format(stddev=stddev))
    rng = np.random.default_rng(seed)
    acts, outs = [], []
    a = x
    for i, (units, spec) in enumerate(layers):
        act = get_activation(spec)
        if not act.elementwise:
            raise PlaygroundError(_("{name} is an output activation: a hidden layer here takes an elementwise one")
                                    .format(name=act.name))
        z = a @ _weights(initializer, stddev, (a.shape[1], units), rng)
        with np.errstate(over="ignore", invalid="ignore"):
            a = act.forward(z)
            slope = act.derivative(z, a)
        outs.append(a)
        acts.append((act.name, float(np.mean(np.abs(slope) < FLAT))))
        if progress is not None:
            progress(i + 1, len(layers))
    edges = shared_edges(outs)
    stats = []
    for (name, flat), a in zip(acts, outs):
        finite = a[np.isfinite(a)]
        counts = np.histogram(np.clip(finite, edges[0], edges[-1]), bins=edges)[0]
        stats.append(LayerStats(a.shape[1], name, float(np.mean(a)), float(np.std(a)), counts, flat,
                                float(np.mean(a == 0))))  # fmt: skip
    return ActivationStats(stats, edges, initializer, stddev if initializer == "random_normal" else None,
                           x.shape[0], x.shape[1])  # fmt: skip


def shared_edges(outs: list[np.ndarray]) -> np.ndarray:
    """One histogram axis for every layer: at least [−1, 1] (or [0, 1] when nothing is negative),
    widened to the largest activation, so a layer that collapsed shows as a spike at 0."""
    finite = [a[np.isfinite(a)] for a in outs]
    lo = min((float(f.min()) for f in finite if f.size), default=0.0)
    hi = max((float(f.max()) for f in finite if f.size), default=1.0)
    lo = 0.0 if lo >= 0 else min(-1.0, lo)
    hi = max(1.0, hi)
    return np.linspace(lo, hi, BINS + 1)


def standard_inputs(rows: int, features: int, seed: int = 0) -> np.ndarray:
    """CS231n's input: `rows` samples of `features` independent N(0, 1) values."""
    if not 1 <= rows <= MAX_ROWS or not 1 <= features <= MAX_INPUTS:
        raise PlaygroundError(_("give 1 to {max_rows:,} rows of 1 to {max_inputs:,} features").format(
                                  max_rows=MAX_ROWS, max_inputs=MAX_INPUTS))
    return np.random.default_rng(seed + 1).standard_normal((rows, features))
