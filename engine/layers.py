"""Layers as objects, forward and backward side by side (the first step of convolutional
networks): Conv2D, MaxPooling2D, AveragePooling2D and Flatten, with Keras's names, shapes and
semantics. Images are channels-last (N, H, W, C); a Conv2D kernel is (kh, kw, in, filters), as
Keras stores it, so Keras's `set_weights` takes these arrays unchanged.

Each layer declares its parameters (`param_shapes`), its output shape from its input shape,
`forward(x, params)` returning the output and what backward needs, and `backward(grad, cache,
params)` returning the input's gradient and the parameters'. `engine.sequential.Sequential`
stacks them over one flat parameter buffer; `Network` does not use them yet. The tests check
every one against central differences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .activations import get_activation
from .errors import PlaygroundError

Shape = tuple[int, int, int]  # (H, W, C)


def window_pads(size: int, k: int, s: int, padding: str) -> tuple[int, int, int]:
    """(output size, pad before, pad after) along one axis, as TensorFlow and Keras compute them."""
    if padding == "valid":
        if size < k:
            raise PlaygroundError(f"a {k}-wide window does not fit a {size}-wide input")
        return (size - k) // s + 1, 0, 0
    out = math.ceil(size / s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def _check(value: Any, name: str, lo: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise PlaygroundError(f"{name} must be a whole number >= {lo}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Conv2D:
    filters: int
    kernel_size: int
    strides: int = 1
    padding: str = "valid"
    activation: Any = "linear"  # a name, or {"name": ..., "alpha": ...} as in the project file

    def __post_init__(self) -> None:
        _check(self.filters, "filters")
        _check(self.kernel_size, "kernel_size")
        _check(self.strides, "strides")
        if self.padding not in ("valid", "same"):
            raise PlaygroundError(f"padding must be 'valid' or 'same', got {self.padding!r}")
        get_activation(self.activation)

    def param_shapes(self, inp: Shape) -> dict[str, tuple[int, ...]]:
        k = self.kernel_size
        return {"kernel": (k, k, inp[2], self.filters), "bias": (self.filters,)}

    def output_shape(self, inp: Shape) -> Shape:
        h, w, _ = inp
        oh = window_pads(h, self.kernel_size, self.strides, self.padding)[0]
        ow = window_pads(w, self.kernel_size, self.strides, self.padding)[0]
        return oh, ow, self.filters

    def _padded(self, x: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
        _, h, w, _ = x.shape
        k, s = self.kernel_size, self.strides
        _, top, bottom = window_pads(h, k, s, self.padding)
        _, left, right = window_pads(w, k, s, self.padding)
        if top or bottom or left or right:
            x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
        return x, (top, bottom, left, right)

    def forward(self, x: np.ndarray, params: dict[str, np.ndarray], training: bool = False,
                rng: np.random.Generator | None = None) -> tuple[np.ndarray, Any]:  # fmt: skip
        k, s = self.kernel_size, self.strides
        xp, pads = self._padded(x)
        windows = sliding_window_view(xp, (k, k), axis=(1, 2))[:, ::s, ::s]  # (N, oh, ow, C, k, k)
        n, oh, ow, c = windows.shape[:4]
        cols = np.ascontiguousarray(windows.transpose(0, 1, 2, 4, 5, 3)).reshape(n * oh * ow, k * k * c)
        z = np.dot(cols, params["kernel"].reshape(k * k * c, self.filters)) + params["bias"]
        act = get_activation(self.activation)
        a = act.forward(z)
        return a.reshape(n, oh, ow, self.filters), (x.shape, xp.shape, pads, cols, z, a)

    def backward(self, grad: np.ndarray, cache: Any, params: dict[str, np.ndarray],
                 input_grad: bool = True) -> tuple[np.ndarray | None, dict]:  # fmt: skip
        """`input_grad` False (the first layer: its input is the data) skips col2im, the costliest part."""
        x_shape, xp_shape, (top, _, left, _), cols, z, a = cache
        k, s = self.kernel_size, self.strides
        n, oh, ow, f = grad.shape
        dz = get_activation(self.activation).backward(z, a, grad.reshape(n * oh * ow, f))
        grads = {"kernel": np.dot(cols.T, dz).reshape(params["kernel"].shape), "bias": dz.sum(axis=0)}
        if not input_grad:
            return None, grads
        dcols = np.dot(dz, params["kernel"].reshape(-1, f).T).reshape(n, oh, ow, k, k, xp_shape[3])
        # Kernel offsets first, once: each of col2im's k² adds then reads one contiguous block
        # (a third faster in float32 than reading a strided slice k² times).
        dcols = np.ascontiguousarray(dcols.transpose(3, 4, 0, 1, 2, 5))
        dxp = np.zeros(xp_shape, dtype=grad.dtype)
        for i in range(k):  # col2im: k² vectorised adds, one per kernel offset
            for j in range(k):
                dxp[:, i : i + s * oh : s, j : j + s * ow : s, :] += dcols[i, j]
        return dxp[:, top : top + x_shape[1], left : left + x_shape[2], :], grads


@dataclass(frozen=True)
class _Pooling:
    pool_size: int = 2

    def __post_init__(self) -> None:
        _check(self.pool_size, "pool_size")

    def param_shapes(self, inp: Shape) -> dict[str, tuple[int, ...]]:
        return {}

    def output_shape(self, inp: Shape) -> Shape:
        p = self.pool_size
        return window_pads(inp[0], p, p, "valid")[0], window_pads(inp[1], p, p, "valid")[0], inp[2]

    def _windows(self, x: np.ndarray) -> np.ndarray:
        """(N, oh, ow, C, p, p): strides = pool_size, valid padding (Keras's defaults)."""
        p = self.pool_size
        oh, ow, _ = self.output_shape(x.shape[1:])
        return x[:, : oh * p, : ow * p, :].reshape(x.shape[0], oh, p, ow, p, x.shape[3]).transpose(0, 1, 3, 5, 2, 4)


class MaxPooling2D(_Pooling):
    def forward(self, x: np.ndarray, params: dict[str, np.ndarray], training: bool = False,
                rng: np.random.Generator | None = None) -> tuple[np.ndarray, Any]:  # fmt: skip
        """One pass per window offset (p² of them, in row-major order): a value replaces the
        running maximum only when strictly larger, so the first maximum takes the gradient, as
        in TensorFlow. Strided slices, no transposed copy of the windows."""
        p = self.pool_size
        oh, ow, _ = self.output_shape(x.shape[1:])
        best = x[:, 0 : oh * p : p, 0 : ow * p : p, :].copy()
        arg = np.zeros(best.shape, dtype=np.int8 if p * p < 128 else np.int32)
        for k in range(1, p * p):
            i, j = divmod(k, p)
            part = x[:, i : i + oh * p : p, j : j + ow * p : p, :]
            larger = part > best
            np.copyto(best, part, where=larger)
            np.copyto(arg, k, where=larger)
        return best, (x.shape, arg)

    def backward(self, grad: np.ndarray, cache: Any, params: dict[str, np.ndarray]) -> tuple[np.ndarray, dict]:
        x_shape, arg = cache
        p = self.pool_size
        _, oh, ow, _ = grad.shape
        dx = np.zeros(x_shape, dtype=grad.dtype)
        for k in range(p * p):
            i, j = divmod(k, p)
            np.multiply(grad, arg == k, out=dx[:, i : i + oh * p : p, j : j + ow * p : p, :])
        return dx, {}


class AveragePooling2D(_Pooling):
    def forward(self, x: np.ndarray, params: dict[str, np.ndarray], training: bool = False,
                rng: np.random.Generator | None = None) -> tuple[np.ndarray, Any]:  # fmt: skip
        return self._windows(x).mean(axis=(-2, -1)), x.shape

    def backward(self, grad: np.ndarray, cache: Any, params: dict[str, np.ndarray]) -> tuple[np.ndarray, dict]:
        x_shape = cache
        p = self.pool_size
        _, oh, ow, _ = grad.shape
        dx = np.zeros(x_shape, dtype=grad.dtype)
        share = np.repeat(np.repeat(grad / (p * p), p, axis=1), p, axis=2)
        dx[:, : oh * p, : ow * p, :] = share
        return dx, {}


@dataclass(frozen=True)
class Dense:
    """y = f(x @ W + b) with W of shape (in, units), as Keras's Dense."""

    units: int
    activation: Any = "linear"  # a name, or {"name": ..., "alpha": ...} as in the project file

    def __post_init__(self) -> None:
        _check(self.units, "units")
        get_activation(self.activation)

    def param_shapes(self, inp: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
        if len(inp) != 1:
            raise PlaygroundError(f"a dense layer takes a flat input, got {inp}: put a flatten layer before it")
        return {"kernel": (inp[0], self.units), "bias": (self.units,)}

    def output_shape(self, inp: tuple[int, ...]) -> tuple[int]:
        return (self.units,)

    def forward(self, x: np.ndarray, params: dict[str, np.ndarray], training: bool = False,
                rng: np.random.Generator | None = None) -> tuple[np.ndarray, Any]:  # fmt: skip
        z = np.dot(x, params["kernel"]) + params["bias"]
        a = get_activation(self.activation).forward(z)
        return a, (x, z, a)

    def backward(self, grad: np.ndarray, cache: Any, params: dict[str, np.ndarray]) -> tuple[np.ndarray, dict]:
        _, z, a = cache
        return self.backward_from_z(get_activation(self.activation).backward(z, a, grad), cache, params)

    def backward_from_z(self, dz: np.ndarray, cache: Any, params: dict[str, np.ndarray]) -> tuple[np.ndarray, dict]:
        """From ∂L/∂z (what a fused loss gives for the output layer)."""
        x = cache[0]
        return np.dot(dz, params["kernel"].T), {"kernel": np.dot(x.T, dz), "bias": dz.sum(axis=0)}


@dataclass(frozen=True)
class Dropout:
    """Inverted dropout: in training each value is kept with probability 1 − rate and scaled by
    1/(1 − rate); at inference it passes unchanged."""

    rate: float

    def __post_init__(self) -> None:
        if not 0 <= self.rate < 1:
            raise PlaygroundError(f"dropout rate must be in [0, 1), got {self.rate}")

    def param_shapes(self, inp: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
        return {}

    def output_shape(self, inp: tuple[int, ...]) -> tuple[int, ...]:
        return inp

    def forward(self, x: np.ndarray, params: dict[str, np.ndarray], training: bool = False,
                rng: np.random.Generator | None = None) -> tuple[np.ndarray, Any]:  # fmt: skip
        if not training or self.rate == 0:
            return x, None
        if rng is None:
            raise PlaygroundError("dropout in training mode needs a random generator")
        mask = (rng.random(x.shape) >= self.rate).astype(x.dtype) / (1 - self.rate)
        return x * mask, mask

    def backward(self, grad: np.ndarray, cache: Any, params: dict[str, np.ndarray]) -> tuple[np.ndarray, dict]:
        return (grad if cache is None else grad * cache), {}


@dataclass(frozen=True)
class Flatten:
    """(N, H, W, C) → (N, H·W·C) in channels-last order, as Keras's Flatten."""

    def param_shapes(self, inp: Shape) -> dict[str, tuple[int, ...]]:
        return {}

    def output_shape(self, inp: Shape) -> tuple[int]:
        return (inp[0] * inp[1] * inp[2],)

    def forward(self, x: np.ndarray, params: dict[str, np.ndarray], training: bool = False,
                rng: np.random.Generator | None = None) -> tuple[np.ndarray, Any]:  # fmt: skip
        return x.reshape(x.shape[0], -1), x.shape

    def backward(self, grad: np.ndarray, cache: Any, params: dict[str, np.ndarray]) -> tuple[np.ndarray, dict]:
        return grad.reshape(cache), {}
