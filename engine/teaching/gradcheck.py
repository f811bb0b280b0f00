"""Gradient checking: central-difference numerical gradients against backpropagation.

For each parameter θ_i, dJ/dθ_i ≈ (J(θ + ε e_i) − J(θ − ε e_i)) / 2ε, in float64. The report
gives, per parameter array, the largest relative error |a − n| / max(|a|, |n|, floor) and the
course's norm form ‖a − n‖ / (‖a‖ + ‖n‖). The floor (1e-4) is there because round-off makes
the numerical derivative uncertain by ~1e-11, so an entry that is truly 0 (a dead ReLU) would
otherwise show an error of 1; below the floor the check is absolute, to 1e-10. Below 1e-6
means backprop is right; near a ReLU kink (z within ε of 0) a larger error is expected.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.i18n import _
from ..core.losses import Loss
from ..core.model import Model
from ..core.numbers import cells, line_up, number
from ..core.regularizers import Regularizer

#: The table's column widths (in a terminal's columns): array, max rel. error, norm form, checked.
WIDTHS = (18, 16, 20, 12)


@dataclass
class ArrayCheck:
    """The comparison for one parameter array (e.g. layers.0.kernel)."""

    name: str
    max_rel_error: float
    norm_rel_error: float
    checked: int
    size: int


@dataclass
class GradCheckReport:
    arrays: list[ArrayCheck]
    #: Pre-activations within ε of an activation kink (there the check is not meaningful).
    near_kinks: int

    @property
    def max_rel_error(self) -> float:
        return max((a.max_rel_error for a in self.arrays), default=0.0)

    def passed(self, tol: float = 1e-6) -> bool:
        return self.max_rel_error < tol

    def table(self, measure: Callable[[str], float] = cells) -> str:
        """One row per array, layers counted from 1 (the output layer by name), in the user's language.
        `measure` counts a text's columns in the font that shows it (`cells`: a terminal's, where Hangul
        takes two), so the columns line up under their headings in any language."""
        layers = [int(p[1]) for p in (a.name.split(".") for a in self.arrays) if len(p) == 3 and p[1].isdigit()]
        n = max(layers, default=-1) + 1
        w_name, w_max, w_norm = WIDTHS[:3]
        heads = (_("array"), _("max rel. error"), "‖a−n‖/(‖a‖+‖n‖)", _("checked"))  # the formula stays a formula
        lines = [line_up(list(zip(heads, WIDTHS, (False, True, True, True))), measure)]
        for a in self.arrays:
            name = display_name(a.name, n)
            # A name wider than its column pushes the row on, as it always did (the English table is unchanged).
            row = line_up([(name, max(w_name, math.ceil(measure(name))), False),
                           (number(a.max_rel_error, 3), w_max, True), (number(a.norm_rel_error, 3), w_norm, True),
                           (str(a.checked), 7, True)], measure)  # fmt: skip
            lines.append(f"{row}/{a.size}")
        return "\n".join(lines)


def display_name(name: str, n_layers: int) -> str:
    """A weight file's array name for people, in the user's language: "layers.0.kernel" → "layer 1
    kernel", the last layer's arrays → "output kernel"."""
    parts = name.split(".")
    if len(parts) == 3 and parts[0] == "layers" and parts[1].isdigit():
        i = int(parts[1])  # the array's own name (kernel, bias) is the weight file's identifier: it stays
        if i == n_layers - 1:
            return _("output {array}").format(array=parts[2])
        return _("layer {number} {array}").format(number=i + 1, array=parts[2])
    return name


def _rel_errors(a: np.ndarray, n: np.ndarray, floor: float) -> tuple[float, float]:
    denom = np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)
    max_rel = float(np.max(np.abs(a - n) / denom)) if a.size else 0.0
    norms = np.linalg.norm(a) + np.linalg.norm(n)
    norm_rel = float(np.linalg.norm(a - n) / norms) if norms > 0 else 0.0
    return max_rel, norm_rel


def check_gradients(
    network: Model,
    x: np.ndarray,
    y: np.ndarray,
    loss: Loss,
    regularizer: Regularizer | None = None,
    eps: float = 1e-5,
    max_per_array: int | None = None,
    seed: int = 0,
    floor: float = 1e-4,
    progress: Callable[[int, int], None] | None = None,
) -> GradCheckReport:
    """Compare analytic and numerical gradients of J + penalty on (x, y).

    Works on a float64 copy, so the caller's network is untouched. Dropout is checked too: each
    evaluation re-seeds the same generator, so every pass drops the same units.
    `max_per_array` samples that many entries per array (for large layers); None checks all.
    `progress(done, total)` is called after each entry (two forward passes): a caller on another
    thread shows it, and stops the check by raising from it.
    """
    net = network.copy(dtype=np.float64)
    if regularizer is not None:
        regularizer = regularizer.derivative()  # L1's rule says how a step is taken, not what J is
    x = np.asarray(x, dtype=np.float64)
    has_dropout = net.stochastic

    def rng() -> np.random.Generator | None:
        return np.random.default_rng(seed) if has_dropout else None

    net.loss_and_grad(x, y, loss, regularizer, training=has_dropout, rng=rng())
    analytic = net.grads.copy()
    near = 0
    for z, act in ((layer.z, layer.act) for layer in net.layers if layer.act is not None):  # an Activation layer's too
        for k in act.kinks:
            near += int(np.sum(np.abs(z - k) < 2 * eps))

    # Each trainable array's place in the flat buffer, in Keras order (nothing differentiates a
    # moving statistic: training never steps one).
    named = [(n, span) for n, span in zip(net.param_names(), net.param_spans()) if span[0] < net.n_trainable]
    names, spans = [n for n, _s in named], [span for _n, span in named]
    pick = np.random.default_rng(seed + 1)
    picked = []
    for start, size in spans:
        idx = np.arange(start, start + size)
        if max_per_array is not None and size > max_per_array:
            idx = np.sort(pick.choice(idx, max_per_array, replace=False))
        picked.append(idx)
    total, done = sum(idx.size for idx in picked), 0
    results = []
    for name, (_start, size), idx in zip(names, spans, picked):
        numeric = np.empty(idx.size)
        for j, p in enumerate(idx):
            old = net.params[p]
            net.params[p] = old + eps
            up = net.objective(x, y, loss, regularizer, training=has_dropout, rng=rng())
            net.params[p] = old - eps
            down = net.objective(x, y, loss, regularizer, training=has_dropout, rng=rng())
            net.params[p] = old
            numeric[j] = (up - down) / (2 * eps)
            done += 1
            if progress is not None:
                progress(done, total)
        max_rel, norm_rel = _rel_errors(analytic[idx], numeric, floor)
        results.append(ArrayCheck(name, max_rel, norm_rel, int(idx.size), size))
    return GradCheckReport(results, near)
