"""Snapshots: immutable copies of what the views draw, made on the worker thread.

The UI never reads a live engine array; everything here is a fresh copy, data the worker
created once and never mutates (the prepared data set), or the part of the history that can
no longer change (a `Series`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.core.i18n import _
from engine.project import PreparedData
from engine.run.training import Trainer

from .batchnorm_probe import layer_words, normalizing_layers, plane_outputs

GRID = 80  # heatmap resolution over the input plane (the most the view budget allows)
GRID_STEPS = (GRID, 60, 40, 20)  # the resolutions the budget chooses from; thumbnails stay 20 × 20
THUMB_SIZE = 20
HIST_BINS = 30
GRAD_BINS = np.linspace(-12.0, 2.0, 57)  # log10 |∂J/∂W| from 1e-12 to 100, quarter-decade bins
HIDDEN_LINES = 15  # grid lines each way in the hidden-space view
HIDDEN_LINE_POINTS = 60
HIDDEN_MAX_POINTS = 600  # data points mapped into the hidden space
HIDDEN_CONV_POINTS = 200  # for a convolutional network, whose every point passes the convolutions
IMAGE_EVAL_ROWS = 10_000  # rows of the evaluated split behind the confusion matrix
IMAGE_EVAL_CONV_ROWS = 2_000  # for a convolutional network: MNIST's 10,000 test images through LeNet take 1.7 s


class Thinned:
    """At most `cap` items of a growing series. When full, every other item goes and from then
    on only every 2nd (then 4th, ...) new item is kept: memory stays bounded while the whole run
    stays covered at an even stride."""

    def __init__(self, cap: int) -> None:
        self.cap = max(2, int(cap))
        self.items: list[Any] = []
        self.stride = 1
        self._seen = 0

    def add(self, item: Any) -> bool:
        """Offer the next item; True when it was kept."""
        keep = self._seen % self.stride == 0
        self._seen += 1
        if not keep:
            return False
        self.items.append(item)
        while len(self.items) > self.cap:  # a loop: the cap may have been lowered meanwhile
            self.items = self.items[::2]
            self.stride *= 2
        return True

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class GradientFlow:
    """How big each layer's gradient is, per weight: over the run and today's distribution."""

    epochs: np.ndarray  # (n,) fractional epoch of each record
    #: (n, layers): each layer's kernel gradient for the batch just trained, as the root mean square
    #: per weight, √(mean (∂J/∂w)²): layers of different sizes compare (a norm grows with the count).
    rms: np.ndarray
    histograms: list[np.ndarray]  # per layer: counts of log10 |∂J/∂W| over GRAD_BINS


@dataclass(frozen=True)
class HiddenSpace:
    """The input plane and the data as each hidden layer sees them (all of its units)."""

    lines: list[np.ndarray]  # per hidden layer (2·HIDDEN_LINES, HIDDEN_LINE_POINTS, units); empty without a plane
    points: list[np.ndarray]  # per hidden layer (n, units): data points mapped
    labels: np.ndarray  # (n,) class or target of each point
    names: tuple[str, ...] = ()  # each layer's name when not simply "layer k" (a CNN's dense layers)


@dataclass(frozen=True)
class ImageEval:
    """Predictions on (up to IMAGE_EVAL_ROWS of) one split, for the views of data without an
    output plane: the image views, and a table's confusion matrix or predicted-vs-true plot."""

    split: str
    indices: np.ndarray  # dataset rows evaluated
    predicted: np.ndarray  # predicted class of each (empty for a regression)
    confusion: np.ndarray  # (k, k): row = true class, column = predicted ((0, 0) for a regression)
    steps: int  # optimizer steps when it was computed
    top: np.ndarray | None = None  # (n, ≤3) the most likely classes of each, best first
    top_p: np.ndarray | None = None  # (n, ≤3) their probabilities (float16)
    values: np.ndarray | None = None  # a table regression's predicted value of each (float32)


@dataclass(frozen=True)
class Snapshot:
    generation: int  # bumps when the trainer is rebuilt (structure, data or reset)
    epoch: int
    steps: int
    epoch_progress: float
    last_loss: float
    learning_rate: float
    history: dict[str, Sequence[float]]  # per metric (a Series: shared, fixed length), NaN where a split is empty
    weights: list[np.ndarray]  # Keras order [W1, b1, ...]
    histograms: list[tuple[np.ndarray, np.ndarray]]  # per layer: counts, bin edges of the kernel
    data: PreparedData
    extent: tuple[float, float, float, float] | None  # x0, x1, y0, y1 of the grid; None for non-2-D data
    output_grid: np.ndarray | None  # (n, n, outputs): network output over the plane, n ≤ GRID
    neuron_grids: list[np.ndarray] = field(default_factory=list)  # per layer: (units, g, g)
    project: dict[str, Any] = field(default_factory=dict)  # the project this run was built from
    output_activation: str = "sigmoid"
    threshold: float = 0.5  # output value between class 0 and class 1 when there is one output
    steps_per_second: float = 0.0
    playing: bool = False
    message: str = ""  # divergence, early stop or error text; empty when all is well
    stopped: bool = False
    gradients: GradientFlow | None = None
    hidden: HiddenSpace | None = None  # only while the hidden-space view is open
    image_eval: ImageEval | None = None  # data without an output plane only (images, tables): see evaluated()
    warnings: tuple[str, ...] = ()  # about this run's settings (early stopping with nothing to watch...)
    applied: int = 0  # sequence number of the last worker command applied before this snapshot
    thinned: str = ""  # how the views are held to their budget, for the status bar ("" when they are not)
    point_losses: np.ndarray | None = None  # each training row's loss, while points are sized by it
    layer_maps: Any = None  # a layer_maps.LayerMaps of the picked image, while the layer view is open
    #: sequence_probe.SequencePicture of the picked sequence, while the unrolled view is open.
    sequence: Any = None
    #: sequence_probe.TimeGradient, while the gradient-through-time view is open.
    time_gradient: Any = None
    #: Per kernel (its shape, True = dead): the links TensorFlow Playground's L1 rule stopped at 0
    #: for the rest of the run; None while that rule has killed none (or is not in use).
    dead: list[np.ndarray] | None = None
    #: Where each layer with a kernel has it in `weights` (its bias right after); None: every other
    #: array from the first (a model of kernels and biases only).
    kernel_at: tuple[int, ...] | None = None
    #: Where each layer with a kernel has its bias in `weights`, where it is not right after its
    #: kernel (a recurrent layer's recurrent kernel comes between); None: right after it.
    bias_at: tuple[int, ...] | None = None
    #: The layers that normalise by batch statistics (batch normalization), in the walk's words:
    #: empty for a network without one (the batch-norm view then says so, the plane has one mode).
    normalized: tuple[str, ...] = ()
    #: Whether the output plane and the neuron pictures were computed with the grid as one training
    #: batch (each batch-normalization layer by the grid's own statistics) instead of at inference.
    plane_batch: bool = False
    batch_norm: Any = None  # a batchnorm_probe.BatchNormStats, while the batch-norm view is open
    #: The loss watch's words (engine/run/loss_watch.py): the loss bounces or climbs without diverging.
    loss_warning: str = ""
    diverged: bool = False  # the last step diverged (the weights are the last finite ones)

    @property
    def kernels(self) -> list[np.ndarray]:
        """The kernel of each layer with one (dense, convolution), the output's last: what the neuron
        graph, the histograms and the weight images draw (batch normalization's arrays are not)."""
        return self.weights[0::2] if self.kernel_at is None else [self.weights[j] for j in self.kernel_at]

    @property
    def biases(self) -> list[np.ndarray]:
        """The bias of each layer with a kernel, parallel to `kernels`."""
        if self.bias_at is not None:
            return [self.weights[j] for j in self.bias_at]
        return self.weights[1::2] if self.kernel_at is None else [self.weights[j + 1] for j in self.kernel_at]


def grid_extent(data: PreparedData) -> tuple[float, float, float, float] | None:
    """The input-plane window for 2-D point data: [−6, 6]² for generated sets, else the data's bounds."""
    if data.dataset.columns != ["x1", "x2"] or data.dataset.image_shape is not None:
        return None
    x = data.dataset.x
    lo, hi = x.min(axis=0), x.max(axis=0)
    if np.all(lo >= -6.5) and np.all(hi <= 6.5):
        return (-6.0, 6.0, -6.0, 6.0)
    pad = 0.08 * (hi - lo + 1e-9)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def grid_points(extent: tuple[float, float, float, float], n: int = GRID) -> np.ndarray:
    """(n·n, 2) raw points, row-major with y increasing by row."""
    xs = np.linspace(extent[0], extent[1], n)
    ys = np.linspace(extent[2], extent[3], n)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def take_snapshot(
    trainer: Trainer,
    generation: int,
    grid_inputs: np.ndarray | None,
    extent: tuple[float, float, float, float] | None,
    **extra: Any,
) -> Snapshot:
    """Copy everything the views need from a trainer (call on the thread that owns it)."""
    with np.errstate(all="ignore"):  # a diverging run may hold huge values; show them, don't warn
        return _snapshot(trainer, generation, grid_inputs, extent, **extra)


def _snapshot(
    trainer: Trainer,
    generation: int,
    grid_inputs: np.ndarray | None,
    extent: tuple[float, float, float, float] | None,
    plane_batch: bool = False,
    **extra: Any,
) -> Snapshot:
    net = trainer.network
    weights = net.get_weights()
    names = net.param_names()
    kernel_at = tuple(names.index(f"layers.{net.param_layers.index(i)}.kernel") for i in net.weighted)
    bias_at = tuple(names.index(f"layers.{net.param_layers.index(i)}.bias") for i in net.weighted)
    hists = []
    for w in net.kernels:
        flat = w.ravel()
        lim = float(np.max(np.abs(flat))) if flat.size else 1.0
        lim = lim if np.isfinite(lim) and lim > 0 else 1.0
        hists.append(np.histogram(flat, bins=HIST_BINS, range=(-lim, lim)))
    normalized = tuple(layer_words(net, i) for i in normalizing_layers(net))
    output_grid = None
    neuron_grids: list[np.ndarray] = []
    if grid_inputs is not None:
        n = round(grid_inputs.shape[0] ** 0.5)  # the view budget picks n from GRID_STEPS
        step = max(1, n // THUMB_SIZE)
        outs = plane_outputs(net, grid_inputs, batch=plane_batch)  # each neuron-graph column's output
        output_grid = outs[-1].reshape(n, n, -1).copy()
        for layer in outs:
            g = layer.reshape(n, n, -1)[::step, ::step]
            neuron_grids.append(np.ascontiguousarray(np.moveaxis(g, 2, 0)))
    history = trainer.history.shared()  # no copy: the values below today's length never change
    dead = None
    if trainer.dead is not None and trainer.regularizer.kills_links:
        full = np.zeros(net.params.size, dtype=bool)  # laid out as the parameters, biases never dead
        full[: net.n_kernel] = trainer.dead
        dead = net.views(full)[0]
    return Snapshot(
        generation=generation,
        epoch=trainer.epoch,
        steps=trainer.steps,
        epoch_progress=trainer.epoch_progress,
        last_loss=trainer.last_loss,
        learning_rate=trainer.current_lr,
        history=history,
        weights=weights,
        histograms=hists,
        data=trainer.data,
        extent=extent,
        output_grid=output_grid,
        neuron_grids=neuron_grids,
        stopped=trainer.stopped,
        output_activation=net.activations[-1].name,
        threshold=trainer.loss.decision_threshold,
        project=trainer.project,  # built from a deep copy the worker never changes
        warnings=tuple(trainer.warnings),
        dead=dead,
        kernel_at=kernel_at,
        bias_at=bias_at,
        normalized=normalized,
        plane_batch=plane_batch and grid_inputs is not None and bool(normalized),
        loss_warning=trainer.loss_warning,
        diverged=trainer.diverged is not None,
        **extra,
    )


def point_losses(trainer: Trainer) -> np.ndarray:
    """Each training row's data loss at the current weights (inference mode), float32."""
    net = trainer.network
    x, y = trainer.data.x_train, trainer.data.y_train
    net.forward(x)
    per = trainer.loss.per_sample(net.pre_activations()[-1], net.neuron_outputs_cached()[-1], y, net.activations[-1])
    return np.asarray(per, dtype=np.float32)


def gradient_record(trainer: Trainer) -> tuple[float, np.ndarray] | None:
    """(epoch, per-layer RMS of ∂J/∂w per kernel weight) from the gradient of the batch just
    trained; None before a step."""
    if trainer.steps == 0:
        return None
    rms = np.array([np.sqrt(np.add.reduce(g.ravel() * g.ravel()) / g.size) for g in trainer.network.kernel_grads])
    return trainer.epoch + trainer.epoch_progress, rms


def gradient_flow(trainer: Trainer, log: Thinned) -> GradientFlow:
    """The recorded RMS per weight plus each layer's current histogram of log10 |∂J/∂w|."""
    hists = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for g in trainer.network.kernel_grads:
            mag = np.log10(np.abs(g.ravel()))
            mag = np.clip(mag[np.isfinite(mag)], GRAD_BINS[0], GRAD_BINS[-1])
            hists.append(np.histogram(mag, bins=GRAD_BINS)[0] if trainer.steps else np.zeros(GRAD_BINS.size - 1))
    if log.items:
        epochs = np.array([e for e, _ in log.items])
        rms = np.array([n for __, n in log.items])
    else:
        epochs, rms = np.zeros(0), np.zeros((0, len(hists)))
    return GradientFlow(epochs, rms, hists)


def hidden_space(trainer: Trainer, extent: tuple[float, float, float, float] | None) -> HiddenSpace:
    """Map grid lines of the input plane (2-D data) and a fixed sample of training points
    through the network, keeping every hidden layer's activations."""
    data = trainer.data
    net = trainer.network
    # A feature map's pixels are not neurons to put on axes: the hidden layers whose outputs are
    # units (a CNN's dense layers after the flatten), on fewer points when each goes through
    # convolutions first.
    keep = [k for k, w in enumerate(net.kernels[:-1]) if w.ndim == 2]
    rows = data.train[: HIDDEN_CONV_POINTS if net.spatial else HIDDEN_MAX_POINTS]
    names = tuple(_("layer {number}").format(number=net.origin[net.weighted[k]] + 1) for k in keep)
    lines: list[np.ndarray] = []
    if extent is not None and keep:
        x0, x1, y0, y1 = extent
        t = np.linspace(0.0, 1.0, HIDDEN_LINE_POINTS)
        pos = np.linspace(0.0, 1.0, HIDDEN_LINES)
        vertical = [np.column_stack([np.full_like(t, x0 + p * (x1 - x0)), y0 + t * (y1 - y0)]) for p in pos]
        horizontal = [np.column_stack([x0 + t * (x1 - x0), np.full_like(t, y0 + p * (y1 - y0))]) for p in pos]
        grid = np.concatenate(vertical + horizontal)
        outs = net.neuron_outputs(data.transform(grid).astype(net.dtype))
        shape = (2 * HIDDEN_LINES, HIDDEN_LINE_POINTS)
        lines = [outs[k].reshape(*shape, -1).copy() for k in keep]
    outs = net.neuron_outputs(data.x_train[: rows.size]) if keep else []
    points = [outs[k].copy() for k in keep]
    default = names == tuple(_("layer {number}").format(number=k + 1) for k in range(len(keep)))
    return HiddenSpace(lines, points, data.dataset.y[rows].copy(), () if default else names)


def evaluated(data: PreparedData) -> bool:
    """Whether the views need held-out predictions (image_eval): data with no output plane, whose
    views show predictions instead (images; a table's confusion matrix or predicted-vs-true plot)."""
    return data.dataset.image_shape is not None or grid_extent(data) is None


def image_eval(trainer: Trainer, between: Any = None) -> ImageEval | None:
    """Predictions and the confusion matrix on the test split (else validation, else train); for
    a table regression, the predicted values. `between()` is called between chunks (the worker
    sends frames there)."""
    data = trainer.data
    ds = data.dataset
    if ds.problem != "classification" and ds.image_shape is not None:
        return None
    splits = (("test", data.test), ("validation", data.validation), ("train", data.train))
    split, rows = next((name, r) for name, r in splits if r.size)
    x, y = data.split(split)
    n = IMAGE_EVAL_CONV_ROWS if trainer.network.spatial else IMAGE_EVAL_ROWS
    rows, x, y = rows[:n], x[:n], y[:n]
    net = trainer.network
    chunk = min(2048, net.inference_chunk)
    parts = []
    for i in range(0, x.shape[0], chunk):
        parts.append(np.array(net.predict(x[i : i + chunk], batch_size=chunk), copy=True))
        if between is not None and i + chunk < x.shape[0]:
            between()  # may run the network on other inputs: this chunk's outputs are a copy
    out = np.concatenate(parts) if parts else np.zeros((0, net.n_outputs))
    if ds.problem != "classification":
        empty = np.zeros(0, dtype=np.uint8)
        return ImageEval(split, rows, empty, np.zeros((0, 0), dtype=np.int64), trainer.steps,
                         values=out[:, 0].astype(np.float32))  # fmt: skip
    predicted = trainer.predict_labels(out)
    k = max(ds.classes, 2)
    probs = class_probabilities(out)
    top = np.argsort(-probs, axis=1)[:, : min(3, probs.shape[1])]
    top_p = np.take_along_axis(probs, top, axis=1).astype(np.float16)
    confusion = np.bincount(y.astype(np.intp) * k + predicted, minlength=k * k).reshape(k, k)
    # `rows` is a view of the split, which nobody mutates: every evaluation of a run shares it.
    # Labels fit a byte for up to 256 classes; the time-travel buffer keeps one per epoch.
    small = np.min_scalar_type(k - 1)
    return ImageEval(split, rows, predicted.astype(small), confusion, trainer.steps, top.astype(small), top_p)


def class_probabilities(out: np.ndarray) -> np.ndarray:
    """Class probabilities for display: a single output as (1 − p, p), scores (hinge) softmaxed."""
    if out.shape[1] == 1:
        p = np.clip(out[:, 0], 0.0, 1.0)
        return np.column_stack([1 - p, p])
    if np.all(out >= 0) and np.allclose(out.sum(axis=1), 1.0, atol=1e-3):
        return out
    e = np.exp(out - out.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
