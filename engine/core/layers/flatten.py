"""Flatten, as Keras's: image maps (N, H, W, C) laid out as one vector per example in
channels-last order, so the dense kernels after it are Keras's own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import PlaygroundError
from ..i18n import N_, _
from .base import LAYERS, CodeContext, Layer, LayerTrace, OnnxGraph, Shape


@LAYERS.register_kind()
@dataclass(eq=False)
class Flatten(Layer):
    """Forward: (N, H, W, C) → (N, H·W·C), channels last.  Backward: the gradient reshaped back."""

    name = "flatten"
    keras = "Flatten"
    help = N_("Lays the maps out as one vector (channels last, as Keras does) for the dense layers after it.")
    formula = "y = x laid out as a vector (h, w, c order);  ∂L/∂x = ∂L/∂y laid back out as maps"
    takes = "image"
    gives = "flat"
    pictured = False
    forward_words = N_("the maps laid out as one vector, channels last (as Keras)")
    backward_words = N_("the gradient laid back out as maps")

    @classmethod
    def label(cls, entry: dict[str, Any]) -> str:
        return "flatten"

    def summary_name(self, prefix: str) -> str:
        return "flatten (Flatten)"

    def output_shape(self, inp: Shape) -> Shape:
        if len(inp) != 3:
            raise PlaygroundError(_("a flatten layer takes image input (H, W, C), got {inp}: it is already flat")
                                    .format(inp=inp))
        return (inp[0] * inp[1] * inp[2],)

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        self.x = x
        return x.reshape(x.shape[0], -1)

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        return grad.reshape(self.x.shape)

    def trace(self, upstream: np.ndarray, index: int, weights: int | None,
              delta: np.ndarray | None = None) -> LayerTrace:  # fmt: skip
        x = self.x[0]
        return LayerTrace(self.name, index, x.copy(), x.reshape(-1).copy(), upstream.copy(), upstream.reshape(x.shape))

    @classmethod
    def routing_words(cls, step: LayerTrace, channel: int) -> list[str]:
        _h, w, c = step.inputs.shape
        return [_("Flatten: value k of the vector is map (k mod {c}) + 1 at row k // {row}, column (k // {c}) mod {w} "
                  "(channels last, as Keras); backward, each gradient goes back to its place in the maps.").format(
                    c=c, row=w * c, w=w)]  # fmt: skip

    def onnx(self, graph: OnnxGraph, src: str, out: str, inp: Shape, shape: Shape) -> str:
        """Back to channels-last, then Flatten; nothing when the rows come in flat (no layer before
        it needed the image)."""
        if graph.layout == "flat":
            return src
        graph.node("Flatten", [graph.nhwc(src)], [out], axis=1)
        graph.layout = "flat"
        return out

    def torch(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        if not code.image:
            return []
        code.image = False
        return ["ChannelsLastFlatten(),"]

    def keras_code(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        if not code.image:
            return []
        code.image = False
        return ["layers.Flatten(),"]
