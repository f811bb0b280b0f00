"""Loss functions, registered by name. The reported loss is the data loss, the mean over samples
(CS231n's name; Ng's cost J adds the L1/L2 penalty to it).

Each loss returns the mean of its per-sample values and the gradient of that mean with respect
to the output layer's *pre-activations* z. Cross-entropies fuse with their output activation
(sigmoid, softmax) and work from the logits, so they never take log(0): dJ/dz = (ŷ − y) / N.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .activations import ACTIVATIONS, Activation, sigmoid
from .errors import PlaygroundError
from .i18n import N_, _
from .limits import either
from .registry import Registry, spec_name

LOSSES: Registry[type[Loss]] = Registry(N_("loss"))


def one_hot(labels: np.ndarray, k: int, dtype: type = np.float64) -> np.ndarray:
    """(N,) integer labels -> (N, k) one-hot rows."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise PlaygroundError(_("class labels must lie in 0..{k}, got {min}..{max}").format(
                                  k=k - 1, min=labels.min(), max=labels.max()))
    out = np.zeros((labels.shape[0], k), dtype=dtype)
    out[np.arange(labels.shape[0]), labels.astype(np.intp)] = 1
    return out


def as_targets(y: np.ndarray, n_out: int, dtype: type = np.float64) -> np.ndarray:
    """Targets shaped like the output: (N,) labels become (N, 1) or one-hot (N, k)."""
    y = np.asarray(y)
    if y.ndim == 1:
        if n_out == 1:
            return y.astype(dtype, copy=False).reshape(-1, 1)
        return one_hot(y, n_out, dtype)
    if y.ndim == 2 and y.shape[1] == n_out:
        return y.astype(dtype, copy=False)
    raise PlaygroundError(_("targets of shape {shape} do not fit an output of width {n_out}").format(
                              shape=y.shape, n_out=n_out))


def as_labels(y: np.ndarray) -> np.ndarray:
    """Integer class labels from (N,) labels or (N, k) one-hot rows."""
    y = np.asarray(y)
    if y.ndim == 2:
        return y.argmax(axis=1)
    return y.astype(np.intp)


class Loss:
    """Base class: subclasses give `per_sample` and `grad_output` (dJ/dŷ for the batch mean)."""

    name = ""
    formula = ""
    #: Output activations this loss is defined for; None means any.
    output_activations: tuple[str, ...] | None = None
    #: Whether a two-class problem uses a single output unit with this loss.
    single_output = True
    #: Output value that separates class 0 from class 1 when there is a single output.
    decision_threshold = 0.5
    #: The problems it is for, and the most classes it handles (None: any number).
    problems: tuple[str, ...] = ("classification",)
    max_classes: int | None = None

    def per_sample(self, z: np.ndarray, a: np.ndarray, y: np.ndarray, act: Activation) -> np.ndarray:
        raise NotImplementedError

    def grad_output(self, a: np.ndarray, t: np.ndarray) -> np.ndarray:
        """dJ/da for J the batch mean, with t the targets shaped like a."""
        raise NotImplementedError

    def torch_per_sample(self, z: Any, a: Any, t: Any) -> Any:
        """`per_sample`'s formula on torch tensors (t: the targets shaped like the output, as
        `as_targets` makes them), written with tensor methods only so that autograd gives the
        gradient and this module needs no torch: what the PyTorch backend trains and evaluates."""
        raise NotImplementedError

    def value(self, z: np.ndarray, a: np.ndarray, y: np.ndarray, act: Activation) -> float:
        """The data loss (1/N) Σ_i L_i."""
        per = self.per_sample(z, a, y, act)
        return float(np.add.reduce(per, axis=None)) / per.shape[0]

    def value_and_grad(self, z: np.ndarray, a: np.ndarray, y: np.ndarray, act: Activation) -> tuple[float, np.ndarray]:
        """(J, dJ/dz) for one batch; fused losses override this to share work."""
        return self.value(z, a, y, act), self.grad_z(z, a, y, act)

    def grad_z(self, z: np.ndarray, a: np.ndarray, y: np.ndarray, act: Activation) -> np.ndarray:
        """dJ/dz, chaining dJ/da through the output activation."""
        t = as_targets(y, a.shape[1], a.dtype)
        return act.backward(z, a, self.grad_output(a, t))


@LOSSES.register("mse", N_("Mean squared error"))
class MeanSquaredError(Loss):
    name = "mse"
    problems = ("regression", "classification")
    formula = N_("L = mean_j (ŷ_j − y_j)²   (no ½, as Keras)")

    def per_sample(self, z, a, y, act):
        t = as_targets(y, a.shape[1], a.dtype)
        e = a - t
        return np.add.reduce(e * e, axis=1) / a.shape[1]

    def torch_per_sample(self, z, a, t):
        e = a - t
        return (e * e).sum(1) / a.shape[1]

    def grad_output(self, a, t):
        return 2.0 * (a - t) / a.size


@LOSSES.register("mae", N_("Mean absolute error"))
class MeanAbsoluteError(Loss):
    name = "mae"
    problems = ("regression", "classification")
    formula = "L = mean_j |ŷ_j − y_j|"

    def per_sample(self, z, a, y, act):
        t = as_targets(y, a.shape[1], a.dtype)
        return np.mean(np.abs(a - t), axis=1)

    def torch_per_sample(self, z, a, t):
        return (a - t).abs().mean(1)

    def grad_output(self, a, t):
        return np.sign(a - t) / a.size


@LOSSES.register("huber", N_("Huber"))
class Huber(Loss):
    name = "huber"
    problems = ("regression", "classification")
    formula = N_("L = mean_j ½e² if |e| ≤ δ else δ(|e| − ½δ),  e = ŷ − y, δ = 1")

    def __init__(self, delta: float = 1.0) -> None:
        self.delta = float(delta)

    def per_sample(self, z, a, y, act):
        e = np.abs(a - as_targets(y, a.shape[1], a.dtype))
        d = self.delta
        return np.mean(np.where(e <= d, 0.5 * e * e, d * (e - 0.5 * d)), axis=1)

    def torch_per_sample(self, z, a, t):
        e, d = (a - t).abs(), self.delta
        return (0.5 * e * e).where(e <= d, d * (e - 0.5 * d)).mean(1)

    def grad_output(self, a, t):
        return np.clip(a - t, -self.delta, self.delta) / a.size


@LOSSES.register("binary_crossentropy", N_("Binary cross-entropy"))
class BinaryCrossentropy(Loss):
    name = "binary_crossentropy"
    max_classes = 2
    formula = N_("L = −[y ln ŷ + (1 − y) ln(1 − ŷ)],  ŷ = σ(z);  computed from z as max(z,0) − zy + ln(1 + e^−|z|)")
    output_activations = ("sigmoid",)

    def per_sample(self, z, a, y, act):
        t = as_targets(y, z.shape[1], z.dtype)
        return np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))), axis=1)

    def torch_per_sample(self, z, a, t):
        return (z.clamp(min=0) - z * t + (-z.abs()).exp().log1p()).mean(1)

    def grad_z(self, z, a, y, act):
        t = as_targets(y, z.shape[1], z.dtype)
        return (sigmoid(z) - t) / z.size

    def value_and_grad(self, z, a, y, act):
        # ln(1 + e^z) − z·t from the logits; the gradient (σ(z) − t)/size reuses the forward's σ(z).
        t = as_targets(y, z.shape[1], z.dtype)
        per = np.logaddexp(0.0, z)
        per -= z * t
        value = float(np.add.reduce(per, axis=None)) / z.size
        grad = a - t
        grad *= 1.0 / z.size
        return value, grad


@LOSSES.register("categorical_crossentropy", N_("Categorical cross-entropy"))
class CategoricalCrossentropy(Loss):
    name = "categorical_crossentropy"
    formula = N_(
        "L = −Σ_k y_k ln ŷ_k,  ŷ = softmax(z);  computed as logsumexp(z) − z_y. ln is the natural log, as in Keras "
        "and PyTorch: CS231n's slide example, scores (3.2, 5.1, −1.7) for a cat, gives 2.04 with ln; the slide's "
        "0.89 takes log₁₀ (the same loss divided by ln 10)"
    )
    output_activations = ("softmax",)
    single_output = False

    def per_sample(self, z, a, y, act):
        t = as_targets(y, z.shape[1], z.dtype)
        m = z.max(axis=1, keepdims=True)
        log_probs = z - m - np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
        return -np.sum(t * log_probs, axis=1)

    def torch_per_sample(self, z, a, t):
        return z.logsumexp(1) - (t * z).sum(1)

    def grad_z(self, z, a, y, act):
        t = as_targets(y, z.shape[1], z.dtype)
        return (act.forward(z) - t) / z.shape[0]

    def grad_output(self, a, t):
        """−y/ŷ per row (0 where y is 0): what the softmax's Jacobian turns into ŷ − y. Training
        never uses it (it works from the logits); the backprop walk shows it."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(t != 0, -t / a, 0.0) / a.shape[0]

    def value_and_grad(self, z, a, y, act):
        # logsumexp(z) − z_y from the logits, with the forward's a = e^(z − m)/s: its largest entry is
        # e⁰/s exactly, so logsumexp(z) = m + ln s = max z − ln max a (no exponentials again; max a ≥ 1/k,
        # so its log never overflows). The gradient (softmax(z) − t)/N reuses a too.
        t = as_targets(y, z.shape[1], z.dtype)
        lse = np.subtract(np.maximum.reduce(z, axis=1), np.log(np.maximum.reduce(a, axis=1)))
        value = (float(np.add.reduce(lse)) - float(np.add.reduce((t * z).ravel()))) / z.shape[0]
        grad = a - t
        grad *= 1.0 / z.shape[0]
        return value, grad


@LOSSES.register("hinge", N_("Hinge"))
class Hinge(Loss):
    name = "hinge"
    max_classes = 2
    formula = "L = mean_j max(0, 1 − t·ŷ),  t = 2y − 1 ∈ {−1, +1}"
    output_activations = ("linear", "tanh")
    decision_threshold = 0.0

    @staticmethod
    def _signed(t: np.ndarray) -> np.ndarray:
        # Keras maps 0/1 labels to -1/+1; labels already in {-1, +1} are kept.
        return np.where(t == 0, -1.0, np.sign(t)).astype(t.dtype)

    @staticmethod
    def _torch_signed(t: Any) -> Any:
        return t.sign() - (t == 0).to(t.dtype)  # -1 where t is 0, else its sign, as _signed

    def torch_per_sample(self, z, a, t):
        return (1.0 - self._torch_signed(t) * a).clamp(min=0).mean(1)

    def per_sample(self, z, a, y, act):
        t = self._signed(as_targets(y, a.shape[1], a.dtype))
        return np.mean(np.maximum(0.0, 1.0 - t * a), axis=1)

    def grad_output(self, a, t):
        s = self._signed(t)
        return np.where(1.0 - s * a > 0, -s, 0.0) / a.size


@LOSSES.register("multiclass_hinge", N_("Multiclass hinge (SVM)"))
class MulticlassHinge(Loss):
    name = "multiclass_hinge"
    formula = N_("L_i = Σ_{j ≠ y_i} max(0, s_j − s_{y_i} + 1)   (multiclass SVM loss, CS231n)")
    output_activations = ("linear",)
    single_output = False

    @staticmethod
    def _margins(s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        labels = as_labels(y)
        rows = np.arange(s.shape[0])
        margins = np.maximum(0.0, s - s[rows, labels][:, None] + 1.0)
        margins[rows, labels] = 0.0
        return margins, labels

    def per_sample(self, z, a, y, act):
        return self._margins(a, y)[0].sum(axis=1)

    def torch_per_sample(self, z, a, t):
        correct = a.gather(1, t.argmax(1, keepdim=True))
        return ((a - correct + 1.0).clamp(min=0) * (1.0 - t)).sum(1)  # the label's own margin left out

    def grad_z(self, z, a, y, act):
        margins, labels = self._margins(a, y)
        g = (margins > 0).astype(a.dtype)
        g[np.arange(a.shape[0]), labels] = -g.sum(axis=1)
        return act.backward(z, a, g / a.shape[0])


@LOSSES.register("half_squared", N_("Half squared error (TF Playground)"))
class HalfSquared(Loss):
    """TensorFlow Playground's regression loss: half the squared error, so ∂L/∂ŷ = ŷ − y."""

    name = "half_squared"
    problems = ("regression",)
    formula = N_("L = ½(ŷ − y)²   (TensorFlow Playground's square error)")

    def _t(self, t: np.ndarray) -> np.ndarray:
        return t

    def per_sample(self, z, a, y, act):
        d = a - self._t(as_targets(y, a.shape[1], a.dtype))
        return 0.5 * np.sum(d * d, axis=1)

    def torch_per_sample(self, z, a, t):
        d = a - self._torch_t(t)
        return 0.5 * (d * d).sum(1)

    def _torch_t(self, t: Any) -> Any:
        return t

    def grad_output(self, a, t):
        return (a - self._t(t)) / a.shape[0]


@LOSSES.register("tfp_square", N_("Half squared error on ±1 (TF Playground)"))
class TfpSquare(HalfSquared):
    """TensorFlow Playground's classification: a tanh output against the labels as −1 and +1,
    half the squared error; a point is class 1 when the output is above 0."""

    name = "tfp_square"
    problems = ("classification",)
    max_classes = 2
    output_activations = ("tanh",)
    decision_threshold = 0.0
    formula = N_("L = ½(ŷ − t)²,  t = 2y − 1 ∈ {−1, +1}   (TensorFlow Playground's classification)")

    def _t(self, t: np.ndarray) -> np.ndarray:
        return Hinge._signed(t)

    def _torch_t(self, t: Any) -> Any:
        return Hinge._torch_signed(t)


def get_loss(name: str | Loss) -> Loss:
    """A loss instance by registered name (instances pass through)."""
    if isinstance(name, Loss):
        return name
    return LOSSES.get(name)()


# Keras's names for the same losses (class names like "MeanSquaredError" match case-insensitively).
# Labels here are class indices, so Keras's sparse and one-hot cross-entropies are one loss.
LOSSES.alias("mse", "mean_squared_error")
LOSSES.alias("mae", "mean_absolute_error")
LOSSES.alias("huber", "huber_loss")
LOSSES.alias("categorical_crossentropy", "sparse_categorical_crossentropy")


# ----------------------------------------------------------------- what fits the data
# The one place that decides whether a loss and an output activation fit the data (the problem
# and the class count), from what each loss declares: its problems, max_classes and
# output_activations. The project validator, the trainer and the app's switches all ask here.
def misfit(loss: str, activation: Any, problem: str, classes: int) -> str | None:
    """Why `loss` with the output `activation` (a name or {"name": ...}) does not fit data of
    `problem` with `classes` classes, naming the settings as a project file does; None when
    they fit."""
    desc = get_loss(loss)
    if problem not in desc.problems:
        fits = either(n for n in LOSSES.names() if problem in LOSSES.get(n).problems)
        return _("training.loss must be {fits} for {problem}, got {loss!r}").format(
            fits=fits, problem=problem, loss=loss)
    if problem == "classification" and desc.max_classes is not None and classes > desc.max_classes:
        multi = either(n for n in LOSSES.names() if LOSSES.get(n).max_classes is None and "regression" not in
                        LOSSES.get(n).problems)  # fmt: skip
        if desc.max_classes == 2:
            return _("training.loss {loss!r} is for two classes; use {multi} for the data's {classes}").format(
                loss=loss, multi=multi, classes=classes)
        return _("training.loss {loss!r} is for {most} classes; use {multi} for the data's {classes}").format(
            loss=loss, most=desc.max_classes, multi=multi, classes=classes)
    out = spec_name(activation)
    if desc.output_activations and out not in desc.output_activations:
        return _("training.loss {loss!r} needs network.output_activation {activations}, got {out!r}").format(
            loss=loss, activations=_(" or ").join(repr(a) for a in desc.output_activations), out=out)
    return None


def check_fit(loss: str, activation: Any, problem: str, classes: int) -> None:
    """Raise a PlaygroundError saying why, when `loss` and the output `activation` do not fit the data."""
    why = misfit(loss, activation, problem, classes)
    if why is not None:
        raise PlaygroundError(why)


def default_output_activation(loss: str, problem: str) -> str:
    """The output activation a loss is usually paired with: the first it is defined for, else
    linear for regression and sigmoid (a probability) for classification."""
    allowed = get_loss(loss).output_activations
    if allowed:
        return allowed[0]
    return "linear" if problem == "regression" else "sigmoid"


def output_for(loss: str, activation: Any, problem: str) -> Any:
    """The output activation to use with `loss`: `activation` when the loss is defined for it,
    else the one the loss is usually paired with."""
    allowed = get_loss(loss).output_activations
    return default_output_activation(loss, problem) if allowed and spec_name(activation) not in allowed else activation


def fitting(loss: str, activation: Any, problem: str, classes: int) -> tuple[str, Any]:
    """A loss and output activation that fit the data, changing as little of `loss` and
    `activation` as it takes (what the app does when a data change makes them unusable): a
    regression loss and output for regression, the cross-entropies back on classification, a
    multiclass loss for more classes than the loss handles."""
    desc = get_loss(loss)
    out = spec_name(activation)
    if problem == "regression":
        if "regression" not in desc.problems:
            loss = "mse"
        if ACTIVATIONS.get(out).probabilities:  # a regression output is not one
            activation = "linear"
    elif "regression" in desc.problems and out == "linear":  # back from a regression set
        loss = "binary_crossentropy" if classes == 2 else "categorical_crossentropy"
    elif desc.max_classes is not None and classes > desc.max_classes:
        loss = "categorical_crossentropy"
    return loss, output_for(loss, activation, problem)
