"""The 2-D convolution, as Keras's Conv2D: images channels-last (N, H, W, C), a kernel of shape
(kh, kw, in, filters) as Keras stores it (so Keras's `set_weights` takes it unchanged), 'valid'
or TensorFlow's 'same' padding (the extra row and column bottom and right), one stride both ways.
The batch goes through im2col on planes (C, H, W, N, the batch innermost in memory: see
layer_base.planes): every window unfolded into a column, then one matrix product."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..activations import get_activation
from ..errors import PlaygroundError
from ..i18n import N_, _, ngettext
from ..numbers import number
from .base import (
    LAYERS,
    CodeContext,
    Derivation,
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
from .batchnorm import BATCH_NORM, normalised


@LAYERS.register_kind()
@dataclass(eq=False)
class Conv2D(Layer):
    """Each filter f slides over the (padded) image; at output position (p, q):

    Forward:   z[p, q, f] = Σ_{i, j, c} x[p·s + i, q·s + j, c] · W[i, j, c, f] + b[f],  a = f(z).
    Backward:  δ = f′(z) ⊙ ∂L/∂a;  ∂L/∂W[i, j, c, f] = Σ_{p, q} x[p·s + i, q·s + j, c] · δ[p, q, f]
               (one weight serves every position: its gradient is the sum over them);
               ∂L/∂b[f] = Σ_{p, q} δ[p, q, f];  ∂L/∂x[p·s + i, q·s + j, c] += Σ_f W[i, j, c, f] · δ[p, q, f].
    """

    name = "conv2d"
    keras = "Conv2D"
    help = (N_("Slides each filter (kernel_size × kernel_size × input channels weights and a bias) over the image: "
            "one feature map per filter. Far fewer weights than a dense layer, shared at every position."))  # fmt: skip
    formula = ("z[p,q,f] = Σ x[p·s+i, q·s+j, c]·W[i,j,c,f] + b[f];  "
               "∂L/∂W[i,j,c,f] = Σ_{p,q} x[p·s+i, q·s+j, c]·δ[p,q,f], the sum over every position the weight serves")
    keys = (
        Key("filters", "integer", N_("filters"), required=True, lo=1, hi=512, help=N_("Filters: one feature map each"),
            shown=N_("{} filters")),
        Key("kernel_size", "integer", N_("kernel size"), required=True, lo=1, hi=31,
            help=N_("Kernel size: each filter sees k × k pixels"), shown="k {}"),
        Key("strides", "integer", N_("strides"), default=1, lo=1, hi=16,
            help=N_("Strides: how far the filter moves each step"),
            shown="s {}"),
        Key("padding", "choice", N_("padding"), default="valid", choices=("valid", "same"),
            help=N_("same: zeros around the image keep its size (at strides 1); valid: no padding, the maps shrink")),
        Key("activation", "activation", N_("activation"), default="relu", help=N_("f, applied to each position's z")),
        BATCH_NORM,
    )  # fmt: skip
    #: A new layer in the stack pads 'same' (a file that leaves padding out means 'valid', Keras's
    #: default): a layer that keeps the maps' size fits anywhere a user puts it.
    new: ClassVar[dict[str, Any]] = {"filters": 8, "kernel_size": 3, "strides": 1, "padding": "same",
                                     "activation": "relu", "batch_norm": False}  # fmt: skip
    takes = "image"
    gives = "image"
    memory_fix = N_("fewer filters or a smaller kernel there")
    forward_words = N_("each filter slides over the maps, z = Σ x·W + b over its window at every position, "
                     "then a = {act}(z)")
    backward_words = N_("∂L/∂W[i, j, c] = Σ over the positions of x·δ (one weight serves every position: its gradient "
                      "is the sum), ∂L/∂b = Σ δ")

    filters: int
    kernel_size: int
    strides: int = 1
    padding: str = "valid"
    activation: Any = "relu"  # a name, or {"name": ..., "alpha": ...} as in the project file

    def __post_init__(self) -> None:
        whole(self.filters, "filters")
        whole(self.kernel_size, "kernel_size")
        whole(self.strides, "strides")
        if self.padding not in ("valid", "same"):
            raise PlaygroundError(_("padding must be 'valid' or 'same', got {padding!r}").format(
                                      padding=self.padding))
        self.act = get_activation(self.activation)

    @classmethod
    def build(cls, entry: dict[str, Any]) -> list[Layer]:
        """The convolution; with batch_norm, made linear and followed by BatchNormalization (per
        channel) and its activation."""
        s = cls.settings(entry)
        conv = {k: s[k] for k in ("filters", "kernel_size", "strides", "padding")}
        if s["batch_norm"]:
            return [cls(**conv, activation="linear"), *normalised(s["activation"])]
        return [cls(**conv, activation=s["activation"])]

    @classmethod
    def label(cls, entry: dict[str, Any]) -> str:
        stride = f"/{entry['strides']}" if entry.get("strides", 1) != 1 else ""
        bn = " BN" if entry.get("batch_norm") else ""
        return f"conv {entry['filters']}@{entry['kernel_size']}×{entry['kernel_size']}{stride}{bn}"

    @classmethod
    def neurons(cls, entry: dict[str, Any]) -> int:
        return int(entry["filters"])  # a filter is a unit too

    # ----------------------------------------------------------------- shapes
    def param_shapes(self, inp: Shape) -> dict[str, Shape]:
        k = self.kernel_size
        return {"kernel": (k, k, inp[2], self.filters), "bias": (self.filters,)}

    def output_shape(self, inp: Shape) -> Shape:
        needs_image(inp, N_("a convolution"))
        h, w, _ = inp
        oh = window_pads(h, self.kernel_size, self.strides, self.padding)[0]
        ow = window_pads(w, self.kernel_size, self.strides, self.padding)[0]
        return oh, ow, self.filters

    def check_fits(self, inp: Shape) -> None:
        if self.padding == "valid" and self.kernel_size > min(inp[0], inp[1]):
            raise PlaygroundError(_("kernel_size {kernel_size} is larger than its {inp}×{inp2} input").format(
                                      kernel_size=self.kernel_size, inp=inp[0], inp2=inp[1]))

    def _pads(self, inp: Shape) -> tuple[int, int, int, int]:
        k, s = self.kernel_size, self.strides
        _, top, bottom = window_pads(inp[0], k, s, self.padding)
        _, left, right = window_pads(inp[1], k, s, self.padding)
        return top, bottom, left, right

    def macs(self, inp: Shape, out: Shape) -> int:
        return out[0] * out[1] * self.kernel_size**2 * inp[2] * self.filters

    def step_values(self, inp: Shape, out: Shape, first: bool, item: int) -> tuple[float, float]:
        """The im2col matrix (k²·C values at each output position), z and a are kept; col2im is
        counted as two matrices of the im2col's size (it makes one, W·δ, and the padded input's
        gradient: a bound kept from the channels-last code, which made two); none for the first
        layer, whose data need no gradient."""
        cols = self.inference_values(inp, out)
        top, bottom, left, right = self._pads(inp)
        padded = (inp[0] + top + bottom) * (inp[1] + left + right) * inp[2]
        n_in, n_out = int(np.prod(inp)), int(np.prod(out))
        return cols + 2 * n_out, max(padded + cols + n_out, 3 * n_out + (0 if first else 2 * cols + padded + n_in))

    def inference_values(self, inp: Shape, out: Shape) -> int:
        return out[0] * out[1] * self.kernel_size**2 * inp[2]

    def memory_words(self, inp: Shape, out: Shape, layer: str) -> str:
        k = self.kernel_size
        return ngettext("{layer}, whose {k}×{k} window over {channels:,} channel unfolds {values:,} values at each "
                        "of its {positions:,} positions",
                        "{layer}, whose {k}×{k} window over {channels:,} channels unfolds {values:,} values at each "
                        "of its {positions:,} positions", inp[2]).format(
            layer=layer, k=k, channels=inp[2], values=k * k * inp[2], positions=out[0] * out[1])

    # ----------------------------------------------------------------- maths
    def bind(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.kernel, self.bias = params["kernel"], params["bias"]
        self.kernel_grad, self.bias_grad = grads["kernel"], grads["bias"]
        self._ones = np.ones(0, dtype=self.kernel.dtype)

    def _padded(self, x: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
        top, bottom, left, right = self._pads(x.shape[1:])
        if top or bottom or left or right:
            x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
        return x, (top, bottom, left, right)

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        """im2col on planes (C, H, W, N): row (i, j, c) of the matrix is plane c shifted by the
        offset (i, j), a copy in runs of ow·N values; then zᵀ = Wᵀ·cols + b as one matrix product
        over the batch (the kernel (k, k, C, F) is already W laid out (i, j, c) × F), a = f(z)."""
        k, s, f = self.kernel_size, self.strides, self.filters
        n, h, w, c = x.shape
        top, bottom, left, right = self._pads(x.shape[1:])
        if top or bottom or left or right:  # zeros around, written once into the planes
            xp = np.zeros((c, h + top + bottom, w + left + right, n), dtype=x.dtype)
            xp[:, top : top + h, left : left + w, :] = x.transpose(3, 1, 2, 0)
        else:
            xp = planes(x)
        windows = sliding_window_view(xp, (k, k), axis=(1, 2))[:, ::s, ::s]  # (C, oh, ow, N, k, k)
        oh, ow = windows.shape[1:3]
        cols = np.ascontiguousarray(windows.transpose(4, 5, 0, 1, 2, 3)).reshape(k * k * c, oh * ow * n)
        z = np.dot(self.kernel.reshape(-1, f).T, cols)  # (F, oh·ow·N)
        z += self.bias[:, None]
        z4 = images(z.reshape(f, oh, ow, n))
        a = self.act.forward(z4)  # on Keras's axes: softmax acts across the filters
        self.x, self.z, self.a = x, z4, a
        self._cache = (xp.shape, (top, left), cols)
        return a

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """∂L/∂W = cols·δᵀ and ∂L/∂b = Σ δ into the gradient buffer; ∂L/∂x by col2im: δ's
        share of every matrix row (W·δ) added back to plane c at offset (i, j), k² adds in runs
        of ow·N. Skipped when `input_grad` is False (the first layer: the costliest part)."""
        xp_shape, (top, left), cols = self._cache
        k, s, f = self.kernel_size, self.strides, self.filters
        dz = planes(self.act.backward(self.z, self.a, grad)).reshape(f, -1)  # (F, oh·ow·N)
        np.dot(cols, dz.T, out=self.kernel_grad.reshape(-1, f))
        if self._ones.shape[0] != dz.shape[1]:  # a vector of ones per batch size, kept
            self._ones = np.ones(dz.shape[1], dtype=dz.dtype)
        np.dot(dz, self._ones, out=self.bias_grad)  # Σ δ per filter, as a BLAS call
        if not input_grad:
            return None
        c, _, _, n = xp_shape
        _, oh, ow, _ = grad.shape
        dcols = np.dot(self.kernel.reshape(-1, f), dz).reshape(k, k, c, oh, ow, n)
        dxp = np.zeros(xp_shape, dtype=dz.dtype)
        for i in range(k):  # col2im: k² vectorised adds, one per kernel offset
            for j in range(k):
                dxp[:, i : i + s * oh : s, j : j + s * ow : s] += dcols[i, j]
        h, w = self.x.shape[1:3]
        return images(dxp[:, top : top + h, left : left + w])

    # ----------------------------------------------------------------- the walk
    def _windows(self, x: np.ndarray) -> np.ndarray:
        """One image's windows (oh, ow, k, k, C) over its padded form: the x of each position."""
        k, s = self.kernel_size, self.strides
        xp, _ = self._padded(x[None])
        return sliding_window_view(xp[0], (k, k), axis=(0, 1))[::s, ::s].transpose(0, 1, 3, 4, 2)

    def trace(self, upstream: np.ndarray, index: int, weights: int | None,
              delta: np.ndarray | None = None) -> LayerTrace:  # fmt: skip
        """δ = f′(z) ⊙ ∂L/∂a at every position; each weight's gradient the sum over the positions
        it served, Σ_{p,q} x[p·s+i, q·s+j, c]·δ[p,q,f]; ∂L/∂x gathered back window by window."""
        x = self.x[0]
        oh, ow, f = upstream.shape
        z, a = self.z.reshape(oh, ow, f), self.a.reshape(oh, ow, f)
        if delta is None:
            delta = self.act.backward(z, a, upstream)
        windows = self._windows(x)
        grad_kernel = np.einsum("pqijc,pqf->ijcf", windows, delta)
        k, s = self.kernel_size, self.strides
        top, bottom, left, right = self._pads(x.shape)
        padded = np.zeros((x.shape[0] + top + bottom, x.shape[1] + left + right, x.shape[2]), dtype=delta.dtype)
        for i in range(k):
            for j in range(k):
                padded[i : i + s * oh : s, j : j + s * ow : s, :] += delta @ self.kernel[i, j].T
        grad_input = padded[top : top + x.shape[0], left : left + x.shape[1], :]
        return LayerTrace(
            self.name, index, x.copy(), a.copy(), upstream.copy(), grad_input, z.copy(),
            self.act.derivative(z, a), delta.copy(), grad_kernel, delta.sum(axis=(0, 1)), weights=weights,
            activation=self.act.name,
        )  # fmt: skip

    def explain(self, step: LayerTrace, row: Any, column: int, where: dict[str, str]) -> Derivation:
        """A shared weight's gradient as the sum over the positions it served (row: its (i, j, c);
        None: filter `column`'s bias, Σ δ over the positions)."""
        oh, ow, __ = step.delta.shape
        d = step.delta[:, :, column]
        if row is None:
            terms, xs = d, None
            head = _("∂L/∂b for {unit}").format(unit=where["unit"])
            formula = _("Σ over its {positions} positions (p, q) of δ[p, q]").format(positions=oh * ow)
            analytic = float(step.grad_bias[column])
        else:
            i, j, c = row
            xs = self._windows(step.inputs)[:, :, i, j, c]
            terms = xs * d
            head = _("∂L/∂w[{i}, {j}, {c}] of {unit} (kernel row {i}, column {j}, input channel {c})").format(
                i=i, j=j, c=c, unit=where["unit"])
            s = self.strides
            top, __, left, ___ = self._pads(step.inputs.shape)
            terms_of = f"x[p·{s} + {i}, q·{s} + {j}, {c}] · δ[p, q]"
            if top or left:
                formula = _("Σ over its {positions} positions (p, q) of {terms} (x zero-padded by {top} above, {left} "
                            "left): the weight serves every position, so its gradient is the sum").format(
                    positions=oh * ow, terms=terms_of,
                    top=ngettext("{count} row", "{count} rows", top).format(count=top),
                    left=ngettext("{count} column", "{count} columns", left).format(count=left))
            else:
                formula = _("Σ over its {positions} positions (p, q) of {terms}: the weight serves every position, "
                            "so its gradient is the sum").format(positions=oh * ow, terms=terms_of)  # fmt: skip
            analytic = float(step.grad_kernel[i, j, c, column])
        order = np.argsort(-np.abs(terms), axis=None)[:6]
        shown = " + ".join(number(float(terms.flat[k])) for k in order)
        more = " + … " + _("({count} more)").format(count=oh * ow - len(order)) if oh * ow > len(order) else ""
        numbers = f"{shown}{more} = {number(float(terms.sum()), 6)}"
        details = ["    " + _("the largest terms:")]
        for k in order:
            p, q = divmod(int(k), ow)
            if xs is None:
                details.append("      " + _("position ({p}, {q}): δ {delta}").format(
                    p=p, q=q, delta=number(float(d[p, q]), 6)))
            else:
                details.append("      " + _("position ({p}, {q}): x {x} × δ {delta} = {term}").format(
                    p=p, q=q, x=number(float(xs[p, q]), 6), delta=number(float(d[p, q]), 6),
                    term=number(float(terms[p, q]), 6)))  # fmt: skip
        return Derivation(head, formula, numbers, details, analytic)

    # ----------------------------------------------------------------- exports
    def onnx(self, graph: OnnxGraph, src: str, out: str, inp: Shape, shape: Shape) -> str:
        """Conv with TensorFlow's pads written out, the kernel as ONNX's (out, in, kh, kw)."""
        src = graph.nchw(src)
        name = graph.weights(self.kernel.astype(np.float32).transpose(3, 2, 0, 1), self.bias)
        k, s = self.kernel_size, self.strides
        top, bottom, left, right = self._pads(inp)
        graph.node("Conv", [src, f"{name}.kernel", f"{name}.bias"], [f"{out}.z"], kernel_shape=[k, k],
                   strides=[s, s], pads=[top, left, bottom, right])  # fmt: skip
        graph.activation(self.act, f"{out}.z", out)
        return out

    def torch(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        """ZeroPad2d where TensorFlow's 'same' pads (unevenly when the total is odd), then Conv2d."""
        top, bottom, left, right = self._pads(inp)
        pad = [f"nn.ZeroPad2d(({left}, {right}, {top}, {bottom})),"] if top or bottom or left or right else []
        conv = f"nn.Conv2d({inp[2]}, {self.filters}, {self.kernel_size}, stride={self.strides}),"
        return [*pad, code.holder(len(pad), conv, (3, 2, 0, 1)), *code.torch_activation(self.act)]

    def keras_code(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        act, extra = code.keras_activation(self.act)
        return [f"layers.Conv2D({self.filters}, {self.kernel_size}, strides={self.strides}, "
                f'padding="{self.padding}", activation="{act}", name="{code.weight_name()}"),', *extra]  # fmt: skip
