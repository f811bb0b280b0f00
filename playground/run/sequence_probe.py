"""What the window shows of a recurrent network on sequence data, made on the worker (no Qt), as
layer_maps.py does for images: the unrolled view's picked sequence (every recurrent layer's
hidden state and gates at every step, the model's prediction over time) and the gradient through
time (‖∂ℓ/∂h_t‖ at every step, averaged over a fixed set of training sequences), with its
verdict in words. The views only draw what these give.

The prediction over time is the output the model would give if the sequence ended at step t:
every layer after the last recurrent one reads that layer's state h_t (all of them take one
vector, since the plan puts recurrent layers first), and a recurrent state h_t depends on steps
1…t only. For the sine wave the model also continues the wave, fed its own predictions.

The gradient through time is measured on a copy of the network (the trainer's own gradients stay
those of the batch it trained), on the first TIME_ROWS training sequences in inference mode, as
the gradient of one sequence's loss (the batch mean's gradient times the rows averaged over).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.core.i18n import _
from engine.core.model import LayerStack
from engine.core.numbers import number
from engine.run.training import Trainer

from .layer_maps import default_row

MAX_UNITS = 64  # hidden units drawn per layer in the heat strips
MAX_CONTINUE = 40  # steps the model continues a sine wave at most (as many as the sequence has, up to this)
TIME_ROWS = 128  # training sequences the gradient through time averages over
#: The verdict's bands for step 1's share of the last step's gradient.
VANISHED, FADING, GROWING = 1e-2, 1e-1, 10.0
#: The sine wave's frequencies the fit searches (cycles per step), a little wider than the generator's.
SINE_SEARCH = (1 / 60, 1 / 4)


@dataclass(frozen=True)
class RecurrentStates:
    """One recurrent layer's values at every step of the picked sequence."""

    index: int  # in the network's stack
    name: str  # in the walk's words: "layer 1"
    kind: str  # Keras's class name: "LSTM"
    units: int  # all of its units (the arrays hold at most MAX_UNITS)
    sequences: bool  # return_sequences
    h: np.ndarray  # (T, U) float32: the hidden state
    gates: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (T, U) float32, Keras's order
    c: np.ndarray | None = None  # (T, U) float32: an LSTM's cell state


@dataclass(frozen=True)
class SequencePicture:
    """One sequence through a recurrent network: what the unrolled view draws."""

    row: int  # the data set's row
    split: str  # which split it is in: "test", "validation" or "train"
    position: int  # its place in that split (from 0)
    source: str  # the data set's name ("sine", "adding", ...; a file's name)
    problem: str
    features: tuple[str, ...]  # each step's feature names ("value", "marker")
    inputs: np.ndarray  # (T, F) float32, as the data hold it (before normalisation)
    target: float  # the target value, or the class
    output: np.ndarray  # (outputs,) the model's output for the whole sequence
    readout: np.ndarray | None  # (T, outputs): the output if the sequence ended at step t
    layers: tuple[RecurrentStates, ...]
    class_names: tuple[str, ...] = ()
    continuation: np.ndarray | None = None  # sine: K more values, the model fed its own predictions
    truth: np.ndarray | None = None  # sine: the wave's own next K values (truth[0] is the target)

    @property
    def steps(self) -> int:
        return int(self.inputs.shape[0])


@dataclass(frozen=True)
class LayerGradient:
    """The gradient through time reaching one recurrent layer's states."""

    index: int
    name: str  # "layer 1"
    kind: str  # "LSTM"
    layer: str  # its kind's name: "lstm"
    norms: np.ndarray  # (T,) ‖∂ℓ/∂h_t‖ of one sequence's loss, averaged over the sequences
    #: The gate that carries the state on (an LSTM's forget gate, a GRU's update gate) of its most
    #: open unit: the largest of the units' means over the sequences and steps; None for a SimpleRNN.
    #: A unit whose gate averages k passes on about k^(T−1) of its gradient over T steps.
    keep: float | None = None


@dataclass(frozen=True)
class TimeGradient:
    """‖∂ℓ/∂h_t‖ at every step of every recurrent layer, measured at one set of weights."""

    layers: tuple[LayerGradient, ...]
    rows: int  # the training sequences averaged over
    steps: int  # the optimizer's steps when it was measured

    def verdict(self) -> str:
        """What the gradient through time says, in words (`time_verdict`)."""
        return time_verdict(self)


def recurrent_layers(net: LayerStack) -> list[int]:
    """Stack indices of the network's recurrent layers (those with a hidden state per step)."""
    return [i for i, layer in enumerate(net.layers) if layer.takes == "sequence"]


def _where(trainer: Trainer, row: int) -> tuple[str, int]:
    data = trainer.data
    for name, rows in (("test", data.test), ("validation", data.validation), ("train", data.train)):
        hits = np.flatnonzero(rows == row)
        if hits.size:
            return name, int(hits[0])
    return "train", 0


def sequence_picture(trainer: Trainer, picked: int | None) -> SequencePicture | None:
    """Data set row `picked` (None, another kind of pick or out of range: `default_row`) through
    the trainer's network, every recurrent layer's states kept; None when the data are not
    sequences or the network has no recurrent layer."""
    data, net = trainer.data, trainer.network
    ds = data.dataset
    rec = recurrent_layers(net)
    if ds.sequence_shape is None or not rec or not len(ds.x):
        return None
    row = int(picked) if isinstance(picked, (int, np.integer)) and 0 <= picked < len(ds.x) else default_row(trainer)
    raw = ds.x[row : row + 1]
    steps, width = ds.sequence_shape
    x = data.transform(raw).astype(net.dtype)
    out = net.forward(x)[0].astype(np.float64)
    layers = []
    for i in rec:
        layer = net.layers[i]
        gates = {name: _units(g[0]) for name, g in getattr(layer, "gates", {}).items()}
        c = getattr(layer, "c", None)
        layers.append(RecurrentStates(i, net.step_name(i), layer.keras, int(layer.units), bool(layer.return_sequences),
                                      _units(layer.h[0]), gates, None if c is None else _units(c[0])))  # fmt: skip
    readout = _readout(net, rec[-1])
    split, position = _where(trainer, row)
    target = float(ds.y[row])
    continuation = truth = None
    if ds.name == "sine" and width == 1 and ds.problem == "regression" and out.size == 1:
        k = min(steps, MAX_CONTINUE)
        continuation = _continue(trainer, raw[0], k)
        truth = sine_continuation(raw[0], target, k)
    return SequencePicture(
        row, split, position, ds.name, ds.problem, tuple(_feature_names(ds.columns, width)),
        raw[0].reshape(steps, width).astype(np.float32), target, out, readout, tuple(layers),
        tuple(ds.class_names), continuation, truth,
    )  # fmt: skip


def _units(values: np.ndarray) -> np.ndarray:
    """(T, U) states as float32, at most MAX_UNITS units."""
    return np.array(values[:, :MAX_UNITS], dtype=np.float32)  # a copy: the next forward pass must not reach it


def _feature_names(columns: list[str], width: int) -> list[str]:
    """The step features' names from the first step's columns ("t0_value" → "value")."""
    names = [c.split("_", 1)[1] if c.startswith("t0_") else c for c in columns[:width]]
    return names if len(names) == width else [_("feature {number}").format(number=k + 1) for k in range(width)]


def _readout(net: LayerStack, last: int) -> np.ndarray | None:
    """The output at every step: the layers after the last recurrent layer `last` applied to each
    of its states (they follow the forward pass that just ran), in inference mode."""
    layer = net.layers[last]
    if layer.return_sequences:  # only another recurrent layer can follow it: `last` would be that one
        return None
    h = np.asarray(layer.h[0])  # (T, U): the state after each step
    for after in net.layers[last + 1 :]:
        h = after.forward(h)
    return np.asarray(h, dtype=np.float64)


def _continue(trainer: Trainer, raw: np.ndarray, k: int) -> np.ndarray:
    """The model's next k values after `raw` (one row of T values), each fed back as the newest
    step of the window it reads (T values, the oldest dropped)."""
    data, net = trainer.data, trainer.network
    window = np.asarray(raw, dtype=np.float64).copy()
    out = np.empty(k)
    for j in range(k):
        out[j] = float(net.forward(data.transform(window[None]).astype(net.dtype))[0, 0])
        window = np.concatenate([window[1:], out[j : j + 1]])
    return out


def sine_continuation(values: np.ndarray, target: float, k: int) -> np.ndarray:
    """The wave a sine sequence came from, continued k steps from its target on: sin(ω·t + φ) with
    the frequency whose least-squares fit a·sin(ωt) + b·cos(ωt) to the T values and the clean
    target leaves the least residual (exact for noiseless data), searched on a grid and refined."""
    v = np.append(np.asarray(values, dtype=np.float64), float(target))
    t = np.arange(v.size, dtype=np.float64)

    def fit(omegas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Residual sums and (a, b) for each ω, from the 2 × 2 normal equations, all at once."""
        sin, cos = np.sin(np.outer(omegas, t)), np.cos(np.outer(omegas, t))
        ss, cc, sc = (sin * sin).sum(1), (cos * cos).sum(1), (sin * cos).sum(1)
        sv, cv = sin @ v, cos @ v
        det = np.where(np.abs(ss * cc - sc * sc) > 1e-12, ss * cc - sc * sc, np.inf)
        a, b = (cc * sv - sc * cv) / det, (ss * cv - sc * sv) / det
        residual = ((a[:, None] * sin + b[:, None] * cos - v) ** 2).sum(1)  # not v·v − …: no cancellation at 0
        return residual, np.column_stack([a, b])

    grid = np.linspace(2 * np.pi * SINE_SEARCH[0], 2 * np.pi * SINE_SEARCH[1], 400)
    best = float(grid[int(np.argmin(fit(grid)[0]))])
    lo, hi = best - (grid[1] - grid[0]), best + (grid[1] - grid[0])
    g = (math.sqrt(5) - 1) / 2
    for _step in range(40):  # golden-section search between the grid's best point's neighbours
        c, d = hi - g * (hi - lo), lo + g * (hi - lo)
        rc, rd = fit(np.array([c, d]))[0]
        if rc < rd:
            hi = d
        else:
            lo = c
    best = (lo + hi) / 2
    coef = fit(np.array([best]))[1][0]
    ahead = np.arange(v.size - 1, v.size - 1 + k, dtype=np.float64)
    return coef[0] * np.sin(best * ahead) + coef[1] * np.cos(best * ahead)


class TimeProbe:
    """Measures the gradient through time on its own copy of the trainer's network (made once per
    network, its weights refreshed from the trainer's at each measure)."""

    def __init__(self) -> None:
        self._net: LayerStack | None = None
        self._source: LayerStack | None = None

    def measure(self, trainer: Trainer) -> TimeGradient | None:
        """‖∂ℓ/∂h_t‖ per step of each recurrent layer, averaged over the first TIME_ROWS training
        sequences, at the trainer's weights; None without sequence data or a recurrent layer."""
        net = trainer.network
        rec = recurrent_layers(net)
        data = trainer.data
        if data.dataset.sequence_shape is None or not rec or not data.train.size:
            return None
        if self._source is not net:
            self._net, self._source = net.copy(), net
        probe = self._net
        assert probe is not None
        probe.params[...] = net.params
        return time_gradient(probe, trainer.loss, data.x_train[:TIME_ROWS], data.y_train[:TIME_ROWS], trainer.steps)


def time_gradient(net: LayerStack, loss: Any, x: np.ndarray, y: np.ndarray, steps: int = 0) -> TimeGradient:
    """One forward and backward pass of `net` on (x, y) in inference mode, without a penalty (it
    changes `net`'s gradients): each recurrent layer's ‖∂ℓ/∂h_t‖ for one sequence's loss ℓ (the
    batch mean's gradient times the rows), averaged over the rows."""
    rows = int(x.shape[0])
    with np.errstate(all="ignore"):
        net.loss_and_grad(x, y, loss, training=False)
        layers = []
        for i in recurrent_layers(net):
            layer = net.layers[i]
            norms = layer.grad_h_norms().astype(np.float64).mean(axis=0) * rows
            gate = {"lstm": "forget", "gru": "update"}.get(layer.name)
            held = getattr(layer, "gates", {})
            keep = float(np.max(np.mean(held[gate], axis=(0, 1)))) if gate in held else None
            layers.append(LayerGradient(i, net.step_name(i), layer.keras, layer.name, norms, keep))
    return TimeGradient(tuple(layers), rows, steps)


def about(v: float) -> str:
    """A ratio in two significant digits, grouped below a million and in scientific notation past
    it, as the shared formatter writes numbers: 4823.4 → "4,800", 2.46 → "2.5", 2.5e15 → "2.5e15"."""
    if not math.isfinite(v) or v <= 0:
        return number(v)
    rounded = float(f"{v:.2g}")
    return number(rounded, 2, grouped=True) if rounded < 1e6 else number(rounded, 2)


def share(first: float, last: float) -> str:
    """Step 1's gradient as a share of the last step's, in words: "1/4,800", "0.6×", "35×"."""
    ratio = first / last
    if ratio < 0.5:
        return f"1/{about(1 / ratio)}"
    return f"{about(ratio)}×"


def time_verdict(grad: TimeGradient) -> str:
    """Step 1's share of the last step's gradient for the first recurrent layer (the one the
    gradient crosses every step of), and advice by its kind and that share: a SimpleRNN that
    forgets should become an LSTM; an LSTM's or GRU's keeping gate is given with its mean."""
    if not grad.layers:
        return _("No recurrent layer: add a SimpleRNN, LSTM or GRU layer to see the gradient through time.")
    g = grad.layers[0]
    n = g.norms
    steps = n.size
    if not np.all(np.isfinite(n)):
        return _("The gradient through time is not finite: training diverged (lower the learning rate, then Reset).")
    first, last = float(n[0]), float(n[-1])
    if steps < 2:
        return _("One step: there is no time for the gradient to cross.")
    if last <= 0:
        return _("No gradient reaches step {steps} of {layer} ({kind}): its units are saturated or dead, so it does "
                 "not learn.").format(steps=steps, layer=g.name, kind=g.kind)
    ratio = first / last
    head = _("Step 1 gets {share} of step {steps}'s gradient").format(share=share(first, last), steps=steps)
    keep = ""
    if g.keep is not None:
        k = round(g.keep, 2)
        gate = f"{k:.2f}"  # two decimals: the gate a learner reads, its power worked out from what is shown
        keep = " " + (_("(its most open forget gate averages {gate}, and {gate}^{power} = {value}: the share a unit "
                        "keeping that much passes back)") if g.layer == "lstm" else
                      _("(its most open update gate averages {gate}, and {gate}^{power} = {value}: the share a unit "
                        "keeping that much passes back)")).format(
            gate=gate, power=steps - 1, value=number(k ** (steps - 1), 2))  # fmt: skip
    if ratio < VANISHED:
        if g.layer == "simple_rnn":
            return _("{head}: a SimpleRNN forgets; try an LSTM (or a GRU).").format(head=head)
        return _("{head}: this {kind} forgets the first steps so far{keep}; training opens its gates where the task "
                 "needs memory, so watch the line rise.").format(head=head, kind=g.kind, keep=keep)
    if ratio < FADING:
        longer = " " + _("a longer sequence would lose it; an LSTM keeps it.") if g.layer == "simple_rnn" else ""
        return _("{head}: it fades through time but still reaches the first steps{keep}.").format(
            head=head, keep=keep) + longer
    if ratio <= GROWING:
        held = g.keep is not None and round(g.keep, 2) ** (steps - 1) >= 0.1  # the keeping gate explains it
        return _("{head}: the gradient reaches the first steps, so they can be learned from{keep}.").format(
            head=head, keep=keep if held else "")
    return _("{head}: it grows going back (exploding gradients); a smaller learning rate helps.").format(head=head)
