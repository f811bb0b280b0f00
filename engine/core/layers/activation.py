"""An activation as a layer of its own, as Keras's Activation: a = f(x) value by value (softmax
over the last axis). A dense or conv2d entry's `batch_norm` puts one after its batch
normalization, so f acts on the normalised z (Ioffe and Szegedy's placement)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..activations import get_activation
from ..i18n import N_, _
from ..numbers import number
from .base import LAYERS, CodeContext, Key, Layer, LayerTrace, OnnxGraph, Shape


@LAYERS.register_kind()
@dataclass(eq=False)
class ActivationLayer(Layer):
    """Forward: a = f(x).  Backward: ∂L/∂x = f′(x) ⊙ ∂L/∂a (Jᵀ·∂L/∂a for softmax, J = diag(s) − s sᵀ)."""

    name = "activation"
    keras = "Activation"
    help = N_("Applies an activation to each value: a = f(x).")
    formula = "a = f(x);  ∂L/∂x = f′(x) ⊙ ∂L/∂a  (Jᵀ·∂L/∂a for softmax)"
    keys = (Key("activation", "activation", N_("activation"), required=True, help=N_("f, applied to each value")),)
    new: ClassVar[dict[str, Any]] = {"activation": "relu"}
    takes = "any"
    gives = "same"
    forward_words = N_("a = {act}(x), value by value")
    backward_words = N_("∂L/∂x = {act}′(x) ⊙ ∂L/∂a")

    activation: Any = "relu"  # a name, or {"name": ..., "alpha": ...} as in the project file

    def __post_init__(self) -> None:
        self.act = get_activation(self.activation)

    @classmethod
    def label(cls, entry: dict[str, Any]) -> str:
        act = entry.get("activation", "relu")
        return act["name"] if isinstance(act, dict) else str(act)

    def title(self) -> str:
        return f"Activation {self.act.name}"

    def macs(self, inp: Shape, out: Shape) -> int:
        return 0

    def step_values(self, inp: Shape, out: Shape, first: bool, item: int) -> tuple[float, float]:
        """Its output is kept (its input is the layer below's); f′ is a temporary as big."""
        n = float(np.prod(out))
        return n, n

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        """a = f(x)."""
        self.x = self.z = x
        self.a = self.act.forward(x)
        return self.a

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """∂L/∂x = f′(x) ⊙ ∂L/∂a."""
        return self.act.backward(self.x, self.a, grad) if input_grad else None

    def trace(self, upstream: np.ndarray, index: int, weights: int | None,
              delta: np.ndarray | None = None) -> LayerTrace:  # fmt: skip
        """f′(x) value by value (the Jacobian for softmax), ∂L/∂x = f′(x) ⊙ ∂L/∂a, from the formula."""
        x = self.x[0]
        a = self.act.forward(x[None])[0]
        if self.act.elementwise:
            fprime = self.act.derivative(x, a)
            grad = fprime * upstream
            return LayerTrace(self.name, index, x.copy(), a, upstream.copy(), grad, x.copy(), fprime, grad.copy(),
                              weights=weights, activation=self.act.name)  # fmt: skip
        grad = self.act.backward(x[None], a[None], upstream[None])[0]  # Jᵀ·∂L/∂a over the last axis
        jacobian = self.act.jacobian(x, a) if x.ndim == 1 else None
        return LayerTrace(self.name, index, x.copy(), a, upstream.copy(), grad, x.copy(), None, grad.copy(),
                          jacobian=jacobian, weights=weights, activation=self.act.name)  # fmt: skip

    @classmethod
    def routing_words(cls, step: LayerTrace, channel: int) -> list[str]:
        z, a = step.z[..., channel].ravel(), step.a[..., channel].ravel()
        first = f"x {number(float(z[0]), 6)} → a {number(float(a[0]), 6)}"
        return [_("{f}: a = {f}(x) value by value; ∂L/∂x = {f}′(x)·∂L/∂a").format(f=step.activation),
                "  " + (_("{values} (first position)").format(values=first) if z.size > 1 else first)]  # fmt: skip

    def onnx(self, graph: OnnxGraph, src: str, out: str, inp: Shape, shape: Shape) -> str:
        """Its ONNX operator; softmax needs the features on the last axis (channels last)."""
        if not self.act.elementwise:
            src = graph.nhwc(src)
        graph.activation(self.act, src, out)
        return out

    def torch(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        return code.torch_activation(self.act) or ["nn.Identity(),"]

    def keras_code(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        act, extra = code.keras_activation(self.act)
        return extra or [f'layers.Activation("{act}"),']
