"""The dense layer: every input connected to every unit, z = x·W + b, a = f(z), W of shape
(in, units) as Keras stores it. The engine's fast path lives here: `np.dot` (half the cost of
matmul on a playground's small matrices), gradients written with `out=` straight into the model's
flat gradient buffer, the bias's column sums as one BLAS call, and the output layer's δ taken
from the loss fused with its activation (`backward_z`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..activations import get_activation
from ..errors import PlaygroundError
from ..i18n import N_, _
from ..numbers import number
from .base import (
    LAYERS,
    MAX_UNITS,
    CodeContext,
    Derivation,
    Key,
    Layer,
    LayerTrace,
    OnnxGraph,
    Shape,
    whole,
)
from .batchnorm import BATCH_NORM, normalised
from .dropout import Dropout


@LAYERS.register_kind(default=True)
@dataclass(eq=False)
class Dense(Layer):
    """z = x·W + b, a = f(z), as Keras's Dense.

    Forward, for a batch x (N, in):  z = x·W + b,  a = f(z).
    Backward, from g = ∂L/∂a:        δ = ∂L/∂z = f′(z) ⊙ g  (Jᵀ·g for softmax),
                                     ∂L/∂W = xᵀ·δ,  ∂L/∂b = Σ_rows δ,  ∂L/∂x = δ·Wᵀ.
    """

    name = "dense"
    keras = "Dense"
    help = N_("Every input connected to every unit: y = f(x·W + b).")
    formula = "z = x·W + b, a = f(z);  δ = f′(z) ⊙ ∂L/∂a,  ∂L/∂W = xᵀ·δ,  ∂L/∂b = Σ δ,  ∂L/∂x = δ·Wᵀ"
    keys = (
        Key("units", "integer", N_("neurons"), required=True, lo=1, hi=MAX_UNITS,
            help=N_("Units (neurons) of this layer"), shown=N_("{} units")),
        Key("activation", "activation", N_("activation"), default="tanh", help=N_("f, applied to each unit's z")),
        Key("dropout", "number", N_("dropout"), default=0.0, lo=0, hi=1, hi_open=True,
            help=N_("In training each unit is dropped with this probability (inverted dropout)"), shown=N_("drop {}")),
        BATCH_NORM,
    )  # fmt: skip
    new: ClassVar[dict[str, Any]] = {"units": 32, "activation": "relu", "dropout": 0.0, "batch_norm": False}
    takes = "flat"
    gives = "flat"
    can_output = True
    forward_words = N_("z = a_prev·W + b, then a = {act}(z)")
    backward_words = N_("∂L/∂W = a_prevᵀ·δ, ∂L/∂b = δ")

    units: int
    activation: Any = "tanh"  # a name, or {"name": ..., "alpha": ...} as in the project file

    def __post_init__(self) -> None:
        whole(self.units, "units")
        self.act = get_activation(self.activation)

    @classmethod
    def build(cls, entry: dict[str, Any]) -> list[Layer]:
        """The dense layer; with batch_norm, made linear and followed by BatchNormalization and
        its activation (z normalised, then f); a Dropout layer last when the entry's dropout is above 0."""
        s = cls.settings(entry)
        if s["batch_norm"]:
            dense: list[Layer] = [cls(s["units"], "linear"), *normalised(s["activation"])]
        else:
            dense = [cls(s["units"], s["activation"])]
        return dense + ([Dropout(s["dropout"])] if s["dropout"] else [])

    @classmethod
    def label(cls, entry: dict[str, Any]) -> str:
        return f"{entry['units']}{' BN' if entry.get('batch_norm') else ''}"

    @classmethod
    def neurons(cls, entry: dict[str, Any]) -> int:
        return int(entry["units"])

    # ----------------------------------------------------------------- shapes
    def param_shapes(self, inp: Shape) -> dict[str, Shape]:
        if len(inp) != 1:
            raise PlaygroundError(_("a dense layer takes a flat input, got {inp}: put a flatten layer before it")
                                    .format(inp=inp))
        return {"kernel": (inp[0], self.units), "bias": (self.units,)}

    def output_shape(self, inp: Shape) -> Shape:
        return (self.units,)

    def macs(self, inp: Shape, out: Shape) -> int:
        return inp[0] * self.units

    def step_values(self, inp: Shape, out: Shape, first: bool, item: int) -> tuple[float, float]:
        return 2 * out[0], 0.0  # z and a (what the activation budget has always counted)

    # ----------------------------------------------------------------- maths
    def bind(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.kernel, self.bias = params["kernel"], params["bias"]
        self.kernel_t = self.kernel.T
        self.kernel_grad, self.bias_grad = grads["kernel"], grads["bias"]
        self._ones = np.ones(0, dtype=self.kernel.dtype)

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        """z = x·W + b, a = f(z)."""
        z = np.dot(x, self.kernel)
        z += self.bias
        a = self.act.forward(z)
        self.x, self.z, self.a = x, z, a
        return a

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """δ = f′(z) ⊙ ∂L/∂a, then as `backward_z` (written out again: one call less a layer)."""
        dz = self.act.backward(self.z, self.a, grad)
        if self._ones.shape[0] != dz.shape[0]:
            self._ones = np.ones(dz.shape[0], dtype=dz.dtype)
        np.dot(self.x.T, dz, out=self.kernel_grad)
        np.dot(self._ones, dz, out=self.bias_grad)
        return np.dot(dz, self.kernel_t) if input_grad else None

    def backward_z(self, dz: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """From δ = ∂L/∂z (what a loss fused with the output activation gives): ∂L/∂W = xᵀ·δ and
        ∂L/∂b = Σ_rows δ into the gradient buffer, ∂L/∂x = δ·Wᵀ returned."""
        if self._ones.shape[0] != dz.shape[0]:  # a vector of ones per batch size, kept
            self._ones = np.ones(dz.shape[0], dtype=dz.dtype)
        np.dot(self.x.T, dz, out=self.kernel_grad)
        np.dot(self._ones, dz, out=self.bias_grad)  # the column sums, as a BLAS call
        return np.dot(dz, self.kernel_t) if input_grad else None

    # ----------------------------------------------------------------- the walk
    def trace(self, upstream: np.ndarray, index: int, weights: int | None,
              delta: np.ndarray | None = None) -> LayerTrace:  # fmt: skip
        """δ = f′(z) ⊙ ∂L/∂a (Jᵀ·∂L/∂a for softmax) unless the loss gave it; ∂L/∂W = a_prevᵀ δ as
        an outer product; ∂L/∂a_prev = W δ (Σ_k w_jk δ_k for every unit j below)."""
        x, z, a = self.x[0], self.z[0], self.a[0]
        if delta is None:
            delta = self.act.backward(self.z, self.a, upstream[None, :])[0]
        mixes = not self.act.elementwise
        return LayerTrace(
            self.name, index, x.copy(), a.copy(), upstream.copy(), self.kernel @ delta, z.copy(),
            None if mixes else self.act.derivative(self.z, self.a)[0], delta.copy(), np.outer(x, delta), delta.copy(),
            self.act.jacobian(z, a) if mixes else None, weights=weights, activation=self.act.name,
        )  # fmt: skip

    def explain(self, step: LayerTrace, row: Any, column: int, where: dict[str, str]) -> Derivation:
        """∂L/∂w_ij = a_prev_i · f′(z_j) · ∂L/∂a_j (δ_j from the Jacobian for softmax); ∂L/∂b_j = δ_j."""
        up_name = where["upstream"]
        if row is None:
            analytic = float(step.grad_bias[column])
            head = _("∂L/∂b for {unit}").format(unit=where["unit"])
            factors = [("1", 1.0)]
        else:
            analytic = float(step.grad_kernel[row, column])
            head = _("∂L/∂w from {source} to {unit}").format(source=where["source"], unit=where["unit"])
            factors = [("a_prev", float(step.inputs[row]))]
        if step.fprime is not None:
            factors += [(f"f′(z) = {self.act.name}′({number(step.z[column])})", float(step.fprime[column])),
                        (up_name, float(step.upstream[column]))]  # fmt: skip
        else:
            factors += [(_("δ{k} = Σₖ J[k, {k}]·{upstream}ₖ (the softmax's Jacobian, below)").format(
                k=column + 1, upstream=up_name.split(" (")[0]), float(step.delta[column]))]  # fmt: skip
        formula = " · ".join(name.split(" =")[0] for name, __ in factors)
        product = float(np.prod([v for __, v in factors]))
        numbers = " × ".join(number(v, 6) for __, v in factors) + f" = {number(product, 6)}"
        details = [f"    {name}: {number(v, 6)}" for name, v in factors if name != "1"]
        return Derivation(head, formula, numbers, details, analytic)

    # ----------------------------------------------------------------- exports
    def onnx(self, graph: OnnxGraph, src: str, out: str, inp: Shape, shape: Shape) -> str:
        """MatMul, Add and the activation: z = x·W + b as Keras computes it."""
        name = graph.weights(self.kernel, self.bias)
        graph.node("MatMul", [src, f"{name}.kernel"], [f"{out}.matmul"])
        graph.node("Add", [f"{out}.matmul", f"{name}.bias"], [f"{out}.z"])
        graph.activation(self.act, f"{out}.z", out)
        return out

    def torch(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        return [code.holder(0, f"nn.Linear({inp[0]}, {self.units}),", (1, 0)), *code.torch_activation(self.act)]

    def keras_code(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        act, extra = code.keras_activation(self.act)
        return [f'layers.Dense({self.units}, activation="{act}", name="{code.weight_name()}"),', *extra]
