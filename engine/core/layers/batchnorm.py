"""Batch normalization, as Keras's BatchNormalization (Ioffe and Szegedy, 2015): each feature (a
dense layer's unit, a convolution's channel: the last axis) normalised over the batch in
training and by its moving statistics at inference, then scaled by γ and shifted by β.

A project names it as a layer of its own ("type": "batch_normalization") or through a dense or
conv2d entry's `batch_norm` key, which makes [that layer with a linear activation,
BatchNormalization, Activation(its activation)]: z is normalised, then f applied (`normalised`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import PlaygroundError
from ..i18n import N_, _
from ..numbers import number
from .activation import ActivationLayer
from .base import LAYERS, CodeContext, Derivation, Key, Layer, LayerTrace, OnnxGraph, Shape


@LAYERS.register_kind()
@dataclass(eq=False)
class BatchNormalization(Layer):
    """y = γ·x̂ + β per feature c (the last axis), the sums below over every other axis (the
    batch, and a convolution's positions: m values per feature).

    Training:   μ = (1/m) Σ x,  σ² = (1/m) Σ (x − μ)²  (biased, as Keras),
                x̂ = (x − μ) / √(σ² + ε),  y = γ x̂ + β;
                moving_mean ← momentum·moving_mean + (1 − momentum)·μ, and moving_variance so with σ².
    Inference:  x̂ = (x − moving_mean) / √(moving_variance + ε),  y = γ x̂ + β.

    Backward, from g = ∂L/∂y:  ∂L/∂γ = Σ g ⊙ x̂,  ∂L/∂β = Σ g,  and with ĝ = γ g
      training:   ∂L/∂x = (1 / (m √(σ² + ε))) · (m ĝ − Σ ĝ − x̂ ⊙ Σ (ĝ ⊙ x̂))
                  (μ and σ² depend on every x of the batch: the standard batch-norm backward)
      inference:  ∂L/∂x = ĝ / √(moving_variance + ε)  (an affine map per feature).
    The moving statistics are not trained: no gradient reaches them.
    """

    name = "batch_normalization"
    keras = "BatchNormalization"
    help = (N_("Normalises each unit (or channel) over the batch in training, by its moving averages at inference, "
            "then scales by γ and shifts by β."))  # fmt: skip
    formula = ("x̂ = (x − μ_B)/√(σ²_B + ε), y = γ·x̂ + β (training; moving averages at inference);  "
               "∂L/∂γ = Σ ∂L/∂y·x̂,  ∂L/∂β = Σ ∂L/∂y,  ∂L/∂x = γ/(m√(σ²+ε))·(m g − Σg − x̂ Σ g x̂)")  # fmt: skip
    keys = (
        Key("momentum", "number", N_("momentum"), default=0.99, lo=0, hi=1,
            help=N_("How much of the moving mean and variance carries over at each training step "
                 "(moving ← momentum·moving + (1 − momentum)·batch)"), shown=N_("momentum {}")),
        Key("epsilon", "number", N_("epsilon"), default=1e-3, lo=1e-10, hi=1,
            help=N_("ε added to the variance before its square root, so a constant feature does not divide by 0"),
            shown="ε {}"),
        Key("center", "boolean", N_("center (β)"), default=True, help=N_("Learn a shift β per feature (else β = 0)"),
            shown=N_("center {}")),
        Key("scale", "boolean", N_("scale (γ)"), default=True, help=N_("Learn a scale γ per feature (else γ = 1)"),
            shown=N_("scale {}")),
    )  # fmt: skip
    new: ClassVar[dict[str, Any]] = {"momentum": 0.99, "epsilon": 1e-3, "center": True, "scale": True}
    takes = "any"
    gives = "same"
    regularized: ClassVar[tuple[str, ...]] = ()
    non_trainable: ClassVar[tuple[str, ...]] = ("moving_mean", "moving_variance")
    forward_words = N_("each feature normalised by its moving mean and variance (the walk is an inference pass), "
                     "x̂ = (x − mean)/√(var + ε), then y = γ·x̂ + β")  # fmt: skip
    backward_words = N_(
        "∂L/∂γ = ∂L/∂y·x̂, ∂L/∂β = ∂L/∂y, ∂L/∂x = γ/√(var + ε)·∂L/∂y (moving statistics: "
        "an affine map; in training the batch's own statistics add the terms through μ and σ²)"
    )

    momentum: float = 0.99
    epsilon: float = 1e-3
    center: bool = True
    scale: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.momentum <= 1:
            raise PlaygroundError(_("momentum must be in [0, 1], got {momentum!r}").format(momentum=self.momentum))
        if not self.epsilon > 0:
            raise PlaygroundError(_("epsilon must be > 0, got {epsilon!r}").format(epsilon=self.epsilon))
        self.training = False

    @classmethod
    def label(cls, entry: dict[str, Any]) -> str:
        return "BN"

    def title(self) -> str:
        return "BatchNormalization"

    # ----------------------------------------------------------------- shapes
    def param_shapes(self, inp: Shape) -> dict[str, Shape]:
        """Keras's weights, those present, in its order: gamma, beta, moving_mean, moving_variance."""
        c = (inp[-1],)
        names = ["gamma"] * self.scale + ["beta"] * self.center + ["moving_mean", "moving_variance"]
        return {name: c for name in names}

    def initial(self, name: str, shape: Shape, rng: np.random.Generator, kernel_init: Any, bias_init: float
                ) -> np.ndarray:  # fmt: skip
        """Keras's: γ 1, β 0, moving mean 0, moving variance 1 (the initializer and bias_init are not used)."""
        return np.full(shape, 1.0 if name in ("gamma", "moving_variance") else 0.0)

    def macs(self, inp: Shape, out: Shape) -> int:
        return math.prod(inp)  # one multiply-add a value once γ/√(var + ε) is folded

    def step_values(self, inp: Shape, out: Shape, first: bool, item: int) -> tuple[float, float]:
        """x̂ and y are kept; x − μ and its square are the temporaries (backward's are as big)."""
        n = math.prod(inp)
        return 2.0 * n, 2.0 * n

    def min_batch(self, inp: Shape) -> tuple[int, str]:
        """Per unit (one value a feature an example), a batch of one normalises every value to 0."""
        if math.prod(inp[:-1]) > 1:
            return 1, ""
        return 2, _("{layer} normalises each unit over the batch: with one example a batch, x − μ_B is 0, so the "
                    "layer gives β whatever the input and no gradient reaches the layers below (Keras trains on like "
                    "that without a word; PyTorch refuses)")

    # ----------------------------------------------------------------- maths
    def bind(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.params, self.grads = params, grads
        self._ones = np.ones(0, dtype=params["moving_mean"].dtype)

    def _column_sums(self, rows: np.ndarray) -> np.ndarray:
        """Σ over the rows of (M, C) as one BLAS call (a vector of ones kept per M)."""
        if self._ones.shape[0] != rows.shape[0]:
            self._ones = np.ones(rows.shape[0], dtype=rows.dtype)
        return np.dot(self._ones, rows)

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        """x̂ from the batch's statistics (training, the moving ones updated) or the moving ones, y = γ x̂ + β."""
        c = x.shape[-1]
        rows = x.reshape(-1, c)
        self.x, self.training = x, training
        if training:
            m = rows.shape[0]
            mean = self._column_sums(rows) / m
            centred = rows - mean
            var = np.einsum("ij,ij->j", centred, centred) / m
            keep = self.momentum
            for name, batch in (("moving_mean", mean), ("moving_variance", var)):
                moving = self.params[name]
                moving *= keep
                moving += (1.0 - keep) * batch
        else:
            centred = rows - self.params["moving_mean"]
            var = self.params["moving_variance"]
        self.inv = 1.0 / np.sqrt(var + self.epsilon)
        centred *= self.inv
        self.xhat = centred
        y = centred * self.params["gamma"] if self.scale else centred.copy()
        if self.center:
            y += self.params["beta"]
        self.a = y.reshape(x.shape)
        return self.a

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """∂L/∂γ = Σ g x̂ and ∂L/∂β = Σ g into their views; ∂L/∂x by the training rule, written with
        those two sums (Σ ĝ = γ Σ g, Σ ĝ x̂ = γ Σ g x̂): k = γ/√(σ² + ε), ∂L/∂x = k·(g − (Σg + x̂ Σ g x̂)/m);
        or by the inference one, k·g."""
        c = grad.shape[-1]
        g = grad.reshape(-1, c)
        sum_g = self._column_sums(g)
        sum_gx = np.einsum("ij,ij->j", g, self.xhat)
        if self.center:
            self.grads["beta"][...] = sum_g
        if self.scale:
            self.grads["gamma"][...] = sum_gx
        if not input_grad:
            return None
        k = self.params["gamma"] * self.inv if self.scale else self.inv
        dx = g * k
        if self.training:
            shift = self.xhat * sum_gx
            shift += sum_g
            shift *= k / g.shape[0]
            dx -= shift
        return dx.reshape(grad.shape)

    # ----------------------------------------------------------------- the walk
    def trace(self, upstream: np.ndarray, index: int, weights: int | None,
              delta: np.ndarray | None = None) -> LayerTrace:  # fmt: skip
        """The inference pass for one example, worked out again: x̂ = (x − moving_mean)/√(moving_var + ε),
        y = γ x̂ + β; ∂L/∂x = γ/√(moving_var + ε)·∂L/∂y, ∂L/∂γ = Σ ∂L/∂y·x̂, ∂L/∂β = Σ ∂L/∂y (sums over a
        convolution's positions). z holds x̂ and fprime ∂y/∂x = γ/√(moving_var + ε), value by value."""
        x = self.x[0]
        inv = 1.0 / np.sqrt(self.params["moving_variance"] + self.epsilon)
        xhat = (x - self.params["moving_mean"]) * inv
        gamma = self.params["gamma"] if self.scale else np.ones_like(inv)
        y = gamma * xhat + (self.params["beta"] if self.center else 0.0)
        local = np.broadcast_to(gamma * inv, x.shape).copy()
        axes = tuple(range(x.ndim - 1))
        grads = {}
        if self.scale:
            grads["gamma"] = np.sum(upstream * xhat, axis=axes)
        if self.center:
            grads["beta"] = np.sum(upstream, axis=axes)
        return LayerTrace(self.name, index, x.copy(), y, upstream.copy(), local * upstream, xhat, local,
                          weights=weights, param_grads=grads)  # fmt: skip

    def explain(self, step: LayerTrace, row: Any, column: int, where: dict[str, str]) -> Derivation | None:
        """∂L/∂β_c = Σ ∂L/∂y_c (row None, or γ when there is no β) and ∂L/∂γ_c = Σ ∂L/∂y_c·x̂_c (any other
        row, or β when there is no γ), the sums over a convolution's positions."""
        grads = step.param_grads or {}
        name = ("beta" if "beta" in grads else "gamma") if row is None else ("gamma" if "gamma" in grads else "beta")
        if name not in grads:
            return None
        up = step.upstream[..., column].ravel()
        xhat = step.z[..., column].ravel()
        terms = up * xhat if name == "gamma" else up
        many = terms.size > 1
        symbol = "γ" if name == "gamma" else "β"
        head = _("∂L/∂{symbol} for {unit}").format(symbol=symbol, unit=where["unit"])
        each = "∂L/∂y · x̂" if name == "gamma" else "∂L/∂y"
        formula = _("Σ over its {positions} positions of {terms}").format(positions=terms.size, terms=each) if many \
            else each
        if name == "gamma" and not many:
            numbers = f"{number(float(up[0]), 6)} × {number(float(xhat[0]), 6)} = {number(float(terms[0]), 6)}"
        else:
            numbers = " + ".join(number(float(t)) for t in terms[:6]) + (" + …" if terms.size > 6 else "")
            numbers += f" = {number(float(terms.sum()), 6)}"
        at = _("{values} at the first position") if many else "{values}"
        details = ["    " + at.format(values=_("x̂ = (x − moving mean)/√(moving variance + ε) = {value}").format(
                       value=number(float(xhat[0]), 6))),
                   "    " + at.format(values=f"{where['upstream']}: {number(float(up[0]), 6)}")]  # fmt: skip
        return Derivation(head, formula, numbers, details, float(grads[name][column]))

    @classmethod
    def routing_words(cls, step: LayerTrace, channel: int) -> list[str]:
        """Per feature: x̂ from the moving statistics, y, and the local gradient γ/√(var + ε)."""
        xhat, a, local = step.z[..., channel].ravel(), step.a[..., channel].ravel(), step.fprime[..., channel].ravel()
        grads = step.param_grads or {}
        parts = [f"∂L/∂{s} = {number(float(grads[n][channel]), 6)}"
                 for n, s in (("gamma", "γ"), ("beta", "β")) if n in grads]  # fmt: skip
        values = f"x̂ {number(float(xhat[0]), 6)} → y {number(float(a[0]), 6)}"
        values = _("{values} (first position)").format(values=values) if xhat.size > 1 else values
        return [_("Feature {number}: x̂ = (x − moving mean)/√(moving variance + ε), y = γ·x̂ + β; ∂L/∂x = γ/√(moving "
                  "variance + ε)·∂L/∂y = {local}·∂L/∂y").format(number=channel + 1, local=number(float(local[0]), 6)),
                "  " + values + (f"; {', '.join(parts)}" if parts else "")]  # fmt: skip

    # ----------------------------------------------------------------- exports
    def _arrays(self) -> dict[str, np.ndarray]:
        """The four arrays ONNX and a frozen layer need: γ 1 and β 0 where the layer learns none."""
        ones = np.ones_like(self.params["moving_mean"])
        return {"gamma": self.params["gamma"] if self.scale else ones,
                "beta": self.params["beta"] if self.center else 0 * ones,
                "moving_mean": self.params["moving_mean"],
                "moving_variance": self.params["moving_variance"]}  # fmt: skip

    def onnx(self, graph: OnnxGraph, src: str, out: str, inp: Shape, shape: Shape) -> str:
        """BatchNormalization (inference) on channels-first images or on rows (N, C)."""
        if len(inp) == 3:
            src = graph.nchw(src)
        name = graph.named_weights(self._arrays())
        graph.node("BatchNormalization", [src, *(f"{name}.{k}" for k in self._arrays())], [out],
                   epsilon=float(self.epsilon))  # fmt: skip
        return out

    def torch(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        """nn.BatchNorm1d or 2d: torch's momentum is 1 − Keras's; torch keeps an unbiased running variance."""
        module = "nn.BatchNorm2d" if len(inp) == 3 else "nn.BatchNorm1d"
        affine = self.center or self.scale
        tensors = {"running_mean": ("moving_mean", (0,)), "running_var": ("moving_variance", (0,))}
        if self.scale:
            tensors["weight"] = ("gamma", (0,))
        if self.center:
            tensors["bias"] = ("beta", (0,))
        line = (f"{module}({inp[-1]}, eps={self.epsilon!r}, momentum={1 - self.momentum!r}"
                f"{'' if affine else ', affine=False'}),")  # fmt: skip
        note = (
            "  # torch's momentum is 1 − Keras's; in training torch keeps the unbiased batch variance in "
            "running_var, Keras the biased one"
        )
        return [code.holder(0, line + note, tensors=tensors)]

    def keras_code(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        return [f"layers.BatchNormalization(momentum={self.momentum!r}, epsilon={self.epsilon!r}, "
                f'center={self.center}, scale={self.scale}, name="{code.weight_name()}"),']  # fmt: skip


#: The key of a dense or conv2d entry that puts batch normalization between its z and its activation.
BATCH_NORM = Key("batch_norm", "boolean", N_("batch norm"), default=False, shown=N_("BN {}"), written_at_default=False,
                 help=N_("Normalise z over the batch (BatchNormalization) before the activation: "
                      "the layer turns linear, then BatchNormalization, then its activation"))  # fmt: skip


def normalised(activation: Any) -> list[Layer]:
    """What a dense or conv2d entry's `batch_norm` adds after its layer (made with a linear
    activation): BatchNormalization with Keras's defaults, then the entry's activation."""
    return [BatchNormalization(), ActivationLayer(activation)]
