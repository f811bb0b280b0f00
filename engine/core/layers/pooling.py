"""Max and average pooling, as Keras's MaxPooling2D and AveragePooling2D with their defaults:
a pool_size × pool_size window moved by pool_size (strides = pool_size), 'valid' padding, no
weights. Each output is one window of one channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import PlaygroundError
from ..i18n import N_, _
from ..numbers import number
from .base import (
    LAYERS,
    CodeContext,
    Key,
    Layer,
    LayerTrace,
    OnnxGraph,
    Shape,
    images,
    needs_image,
    planes,
    whole,
    window_pads,
)


@dataclass(eq=False)
class _Pooling(Layer):
    keys = (Key("pool_size", "integer", N_("pool size"), default=2, lo=1, hi=16,
                help=N_("Pool size: the window (and the stride)"), shown=N_("pool {}")),)  # fmt: skip
    new: ClassVar[dict[str, Any]] = {"pool_size": 2}
    takes = "image"
    gives = "image"
    short: ClassVar[str] = ""  # "max", "avg": the label's word
    onnx_op: ClassVar[str] = ""
    torch_module: ClassVar[str] = ""

    pool_size: int = 2

    def __post_init__(self) -> None:
        whole(self.pool_size, "pool_size")

    @classmethod
    def label(cls, entry: dict[str, Any]) -> str:
        return f"{cls.short} pool {entry.get('pool_size', 2)}"

    def output_shape(self, inp: Shape) -> Shape:
        needs_image(inp, N_("a pooling layer"))
        p = self.pool_size
        return window_pads(inp[0], p, p, "valid")[0], window_pads(inp[1], p, p, "valid")[0], inp[2]

    def check_fits(self, inp: Shape) -> None:
        if self.pool_size > min(inp[0], inp[1]):
            raise PlaygroundError(_("pool_size {pool_size} is larger than its {inp}×{inp2} input").format(
                                      pool_size=self.pool_size, inp=inp[0], inp2=inp[1]))

    def macs(self, inp: Shape, out: Shape) -> int:
        return int(np.prod(inp))

    def _windows(self, x: np.ndarray) -> np.ndarray:
        """(N, oh, ow, C, p, p) views of x's windows."""
        p = self.pool_size
        oh, ow, _ = self.output_shape(x.shape[1:])
        return x[:, : oh * p, : ow * p, :].reshape(x.shape[0], oh, p, ow, p, x.shape[3]).transpose(0, 1, 3, 5, 2, 4)

    def onnx(self, graph: OnnxGraph, src: str, out: str, inp: Shape, shape: Shape) -> str:
        p = self.pool_size
        graph.node(self.onnx_op, [graph.nchw(src)], [out], kernel_shape=[p, p], strides=[p, p])
        return out

    def torch(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        return [f"nn.{self.torch_module}({self.pool_size}),"]

    def keras_code(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        return [f"layers.{self.keras}({self.pool_size}),"]


def _first_max(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The elementwise maximum of `parts` and the index of the first part that holds it (a later
    part wins only when strictly larger), as int8 (int32 past 127 parts). A NaN propagates to the
    maximum, as in torch. Plain maxima and products: NumPy's masked copies (copyto's where=) are
    ten times slower."""
    if len(parts) == 1:
        return parts[0].copy(), np.zeros(parts[0].shape, dtype=np.int8)
    larger = np.greater(parts[1], parts[0])
    best = np.maximum(parts[0], parts[1])
    if len(parts) == 2:
        return best, larger.view(np.int8)  # False, True: 0, 1
    index = np.int8 if len(parts) < 128 else np.int32
    arg = larger.astype(index)
    for k in range(2, len(parts)):
        np.greater(parts[k], best, out=larger)
        np.maximum(best, parts[k], out=best)
        np.maximum(arg, np.multiply(larger, k, dtype=index), out=arg)  # k beats every earlier index
    return best, arg


@LAYERS.register_kind()
@dataclass(eq=False)
class MaxPooling2D(_Pooling):
    """Forward: y[p, q, c] = max of its window.  Backward: the window's gradient goes to the
    position that held the maximum (the first one, as TensorFlow), 0 to the others."""

    name = "max_pooling2d"
    keras = "MaxPooling2D"
    help = (N_("Keeps the largest value of each pool_size × pool_size window: smaller maps, a little shift invariance, "
            "no weights."))
    formula = "y = max of the window;  ∂L/∂x = ∂L/∂y at the window's maximum, 0 elsewhere (the gradient is routed)"
    short = "max"
    forward_words = N_("each output is the largest value of its window, map by map")
    backward_words = N_("∂L/∂x = δ at each window's maximum and 0 at the other positions: the gradient is routed "
                      "(the maps below show where)")
    onnx_op = "MaxPool"
    torch_module = "MaxPool2d"

    def step_values(self, inp: Shape, out: Shape, first: bool, item: int) -> tuple[float, float]:
        n_in, n_out = int(np.prod(inp)), int(np.prod(out))
        p = self.pool_size
        # the output and the winners (int8: a column per row, a row per window); backward's dx,
        # the gradient sent to the rows and a mask
        return n_out + (n_in / p + n_out) / item, n_in + n_out * p + n_in / p / item

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        """The first maximum of each window in row-major order, as TensorFlow: across each row's p
        columns first (a value replaces the running maximum only when strictly larger), then
        across the p rows' maxima the same way. On planes (batch innermost) every pass is a long
        strided run; which column and which row won is kept (int8) for backward."""
        p = self.pool_size
        oh, ow, c = self.output_shape(x.shape[1:])
        xt = planes(x)
        best, col = _first_max([xt[:, : oh * p, j : ow * p : p] for j in range(p)])  # (C, oh·p, ow, N)
        rows = best.reshape(c, oh, p, ow, -1)
        out, row = _first_max([rows[:, :, i] for i in range(p)])  # (C, oh, ow, N)
        self.x, self.arg = x, (col, row)
        return images(out)

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """∂L/∂x = ∂L/∂y where the window's maximum was, 0 elsewhere: to the winning row, then
        within it to the winning column."""
        p = self.pool_size
        col, row = self.arg
        g = planes(grad)
        c, oh, ow, n = g.shape
        to_rows = np.empty((c, oh, p, ow, n), dtype=g.dtype)
        for i in range(p):
            np.multiply(g, row == i, out=to_rows[:, :, i])
        to_rows = to_rows.reshape(c, oh * p, ow, n)
        h, w = self.x.shape[1:3]
        covered = h == oh * p and w == ow * p  # else the rows and columns past the last window stay 0
        dx = (np.empty if covered else np.zeros)((c, h, w, n), dtype=g.dtype)
        for j in range(p):
            np.multiply(to_rows, col == j, out=dx[:, : oh * p, j : ow * p : p])
        return images(dx)

    def trace(self, upstream: np.ndarray, index: int, weights: int | None,
              delta: np.ndarray | None = None) -> LayerTrace:  # fmt: skip
        """Each window's maximum found again (argmax takes the first, as the forward pass), and
        its gradient routed there: the routing is each output's window offset, row-major."""
        x = self.x[0]
        p = self.pool_size
        windows = self._windows(self.x)[0]  # (oh, ow, C, p, p)
        oh, ow, c = windows.shape[:3]
        routing = windows.reshape(oh, ow, c, p * p).argmax(axis=-1)
        a = np.take_along_axis(windows.reshape(oh, ow, c, p * p), routing[..., None], axis=-1)[..., 0]
        grad_input = np.zeros_like(x, dtype=upstream.dtype)
        for k in range(p * p):
            i, j = divmod(k, p)
            grad_input[i : i + oh * p : p, j : j + ow * p : p, :] = np.where(routing == k, upstream, 0.0)
        return LayerTrace(self.name, index, x.copy(), a, upstream.copy(), grad_input, routing=routing)

    @classmethod
    def routing_words(cls, step: LayerTrace, channel: int) -> list[str]:
        oh, ow = step.a.shape[:2]
        p = step.inputs.shape[0] // oh  # windows of pool_size, moved by pool_size
        lines = [_("Max pooling {size}, map {map}: each output is the largest value of its {size} window; backward, "
                   "the window's gradient goes to that position and the others get 0 (routing):").format(
                     size=f"{p}×{p}", map=channel + 1)]  # fmt: skip
        for k in range(min(4, oh * ow)):
            r, q = divmod(k, ow)
            window = step.inputs[r * p : r * p + p, q * p : q * p + p, channel]
            di, dj = divmod(int(step.routing[r, q, channel]), p)
            cells = ", ".join(number(v, 3) for v in window.ravel())
            lines.append("  " + _("output ({r}, {q}) = max[{cells}] = {value} at input ({i}, {j}): ∂L/∂x there = δ "
                                  "{delta}, 0 at the other {others}").format(
                r=r, q=q, cells=cells, value=number(step.a[r, q, channel]), i=r * p + di, j=q * p + dj,
                delta=number(step.upstream[r, q, channel]), others=p * p - 1))  # fmt: skip
        if oh * ow > 4:
            lines.append("  " + _("(the first 4 of {count} windows)").format(count=oh * ow))
        return lines


@LAYERS.register_kind()
@dataclass(eq=False)
class AveragePooling2D(_Pooling):
    """Forward: y[p, q, c] = the mean of its window.  Backward: each of the window's p² inputs
    gets ∂L/∂y / p²."""

    name = "average_pooling2d"
    keras = "AveragePooling2D"
    help = N_("Averages each pool_size × pool_size window: smaller, smoother maps, no weights.")
    formula = "y = mean of the window;  ∂L/∂x = ∂L/∂y / p² at each of its p² inputs"
    short = "avg"
    forward_words = N_("each output is the mean of its window, map by map")
    backward_words = N_("each of a window's inputs gets δ / pool_size²")
    onnx_op = "AveragePool"
    torch_module = "AvgPool2d"

    def step_values(self, inp: Shape, out: Shape, first: bool, item: int) -> tuple[float, float]:
        n_in, n_out = int(np.prod(inp)), int(np.prod(out))
        return n_out, 2 * n_in + 2 * n_out

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        """The mean of each window."""
        self.x_shape = x.shape
        self.x = x
        return self._windows(x).mean(axis=(-2, -1))

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """∂L/∂y / p² to each input of the window (0 to rows and columns no window covers)."""
        p = self.pool_size
        _, oh, ow, _ = grad.shape
        dx = np.zeros(self.x_shape, dtype=grad.dtype)
        share = np.repeat(np.repeat(grad / (p * p), p, axis=1), p, axis=2)
        dx[:, : oh * p, : ow * p, :] = share
        return dx

    def trace(self, upstream: np.ndarray, index: int, weights: int | None,
              delta: np.ndarray | None = None) -> LayerTrace:  # fmt: skip
        """The mean of each window, and ∂L/∂y / p² back to each of its inputs."""
        x = self.x[0]
        p = self.pool_size
        oh, ow, _ = upstream.shape
        a = self._windows(self.x)[0].mean(axis=(-2, -1))
        grad_input = np.zeros_like(x, dtype=upstream.dtype)
        for i in range(p):
            for j in range(p):
                grad_input[i : i + oh * p : p, j : j + ow * p : p, :] = upstream / (p * p)
        return LayerTrace(self.name, index, x.copy(), a, upstream.copy(), grad_input)

    @classmethod
    def routing_words(cls, step: LayerTrace, channel: int) -> list[str]:
        p = step.inputs.shape[0] // step.a.shape[0]
        return [_("Average pooling {size}, map {map}: each output is the mean of its window; backward, each of the "
                  "window's {count} inputs gets ∂L/∂y / {count}.").format(size=f"{p}×{p}", map=channel + 1,
                                                                         count=p * p),
                "  " + _("output (0, 0) = {value}, δ {delta}: each input of its window gets {share}").format(
                    value=number(step.a[0, 0, channel]), delta=number(step.upstream[0, 0, channel]),
                    share=number(step.upstream[0, 0, channel] / (p * p)))]  # fmt: skip
