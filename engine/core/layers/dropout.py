"""Inverted dropout, the layer a dense entry's "dropout" key makes (it has no project type of its
own): in training each value is kept with probability 1 − rate and scaled by 1/(1 − rate), so
inference needs no rescaling and passes values unchanged."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import PlaygroundError
from ..i18n import N_, _
from .base import LAYERS, CodeContext, Layer, LayerTrace, OnnxGraph, Shape


@LAYERS.register_kind()
@dataclass(eq=False)
class Dropout(Layer):
    """Forward in training: m ~ Bernoulli(1 − p) / (1 − p) per value, y = x ⊙ m; at inference y = x.
    Backward: ∂L/∂x = ∂L/∂y ⊙ m (the same mask)."""

    name = "dropout"
    keras = "Dropout"
    help = N_("In training, drops each value with probability rate and scales the rest by 1/(1 − rate).")
    formula = "y = x ⊙ m, m ~ Bernoulli(1 − p)/(1 − p) in training, y = x at inference;  ∂L/∂x = m ⊙ ∂L/∂y"
    written = False
    drawn = False
    pictured = False
    note = N_("in training only")
    forward_words = N_("values pass unchanged (dropout is off at inference)")
    backward_words = N_("gradients pass unchanged")

    rate: float

    def __post_init__(self) -> None:
        if not 0 <= self.rate < 1:
            raise PlaygroundError(_("dropout rate must be in [0, 1), got {rate}").format(rate=self.rate))
        self.mask: np.ndarray | None = None

    def title(self) -> str:
        return f"Dropout {self.rate:g}"

    def random_in_training(self) -> bool:
        return self.rate > 0

    def summary_name(self, prefix: str) -> str:
        return f"{prefix} (Dropout {self.rate:g})"

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        """y = x ⊙ m in training, x at inference."""
        p = self.rate
        self.x = x
        if not training or p == 0:
            self.mask = None
            return x
        if rng is None:
            raise PlaygroundError(_("dropout in training mode needs a random generator"))
        mask = (rng.random(x.shape) >= p).astype(x.dtype)
        mask *= 1.0 / (1.0 - p)
        self.mask = mask
        return x * mask

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """∂L/∂x = m ⊙ ∂L/∂y (in place)."""
        if self.mask is not None:
            grad *= self.mask
        return grad

    def trace(self, upstream: np.ndarray, index: int, weights: int | None,
              delta: np.ndarray | None = None) -> LayerTrace:  # fmt: skip
        """The walk is an inference pass: the layer passes values and gradients unchanged."""
        x = self.x[0].copy()
        return LayerTrace(self.name, index, x, x, upstream.copy(), upstream.copy())

    def onnx(self, graph: OnnxGraph, src: str, out: str, inp: Shape, shape: Shape) -> str:
        return src  # left out, as at inference

    def torch(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        return [f"nn.Dropout({self.rate!r}),"]

    def keras_code(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        return [f"layers.Dropout({self.rate!r}),"]
