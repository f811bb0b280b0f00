"""A stack of layer objects over one flat parameter buffer: the model convolutional networks
will train with (issue 16). Each layer gets named views into the buffer (`ParamLayout`), so an
optimizer steps the whole model in a few NumPy calls, and a decay mask marks the kernels (what
L1/L2 act on). Weight names follow the project file's rule: `layers.{i}.kernel` and
`layers.{i}.bias`, i counting the layers that hold parameters, the output layer last.

`Network` and the trainer do not use it yet; the tests train a small CNN with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import PlaygroundError
from .fields import MAX_PARAMS
from .initializers import INITIALIZERS
from .layers import Conv2D, Dense
from .losses import Loss


@dataclass(frozen=True)
class Slot:
    layer: int  # index in the stack
    name: str  # "kernel" or "bias"
    offset: int
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


class ParamLayout:
    """Where each layer's parameters live in the flat buffer."""

    def __init__(self, layers: Sequence[Any], shapes: Sequence[tuple[int, ...]]) -> None:
        self.slots: list[Slot] = []
        offset = 0
        for i, (layer, inp) in enumerate(zip(layers, shapes)):
            for name, shape in layer.param_shapes(inp).items():
                self.slots.append(Slot(i, name, offset, tuple(shape)))
                offset += int(np.prod(shape))
        self.size = offset

    def views(self, flat: np.ndarray) -> list[dict[str, np.ndarray]]:
        """Per layer, its parameters as views into `flat` (empty for layers without any)."""
        out: list[dict[str, np.ndarray]] = [{} for _ in range(max((s.layer for s in self.slots), default=-1) + 1)]
        for s in self.slots:
            out[s.layer][s.name] = flat[s.offset : s.offset + s.size].reshape(s.shape)
        return out

    def decay_mask(self) -> np.ndarray:
        """True for kernel entries (penalised, decayed), False for biases."""
        mask = np.zeros(self.size, dtype=bool)
        for s in self.slots:
            if s.name == "kernel":
                mask[s.offset : s.offset + s.size] = True
        return mask

    def names(self) -> list[str]:
        """layers.{i}.kernel / layers.{i}.bias, i counting the layers with parameters."""
        order = sorted({s.layer for s in self.slots})
        return [f"layers.{order.index(s.layer)}.{s.name}" for s in self.slots]


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Keras's fans: a dense kernel's (in, out); a conv kernel's receptive field times in and out."""
    if len(shape) == 2:
        return shape[0], shape[1]
    field = int(np.prod(shape[:-2]))
    return field * shape[-2], field * shape[-1]


class Sequential:
    """Layers applied in order to inputs of `input_shape` (H, W, C for images, (d,) for tables)."""

    def __init__(self, input_shape: tuple[int, ...], layers: Sequence[Any], dtype: Any = np.float64,
                 initializer: str = "glorot_uniform", seed: int = 0) -> None:  # fmt: skip
        if not layers or not isinstance(layers[-1], Dense):
            raise PlaygroundError("the last layer must be a dense layer (the output)")
        self.layers = list(layers)
        self.dtype = np.dtype(dtype)
        self.shapes: list[tuple[int, ...]] = [tuple(input_shape)]
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Conv2D) and len(self.shapes[-1]) != 3:
                raise PlaygroundError(f"layers[{i}]: a convolution needs image input (H, W, C), got {self.shapes[-1]}")
            try:
                self.shapes.append(tuple(layer.output_shape(self.shapes[-1])))
            except PlaygroundError as exc:
                raise PlaygroundError(f"layers[{i}]: {exc}") from None
        self.layout = ParamLayout(self.layers, self.shapes)
        if self.layout.size > MAX_PARAMS:
            raise PlaygroundError(f"this network has {self.layout.size:,} parameters; the limit is {MAX_PARAMS:,}")
        self.params = np.zeros(self.layout.size, dtype=self.dtype)
        self.grads = np.zeros_like(self.params)
        self.views = self.layout.views(self.params)
        self.grad_views = self.layout.views(self.grads)
        self.views += [{} for _ in range(len(self.layers) - len(self.views))]
        self.grad_views += [{} for _ in range(len(self.layers) - len(self.grad_views))]
        self.decay = self.layout.decay_mask()
        rng = np.random.default_rng(seed)
        init = INITIALIZERS.get(initializer)
        for s in self.layout.slots:
            if s.name == "kernel":
                fan_in, fan_out = _fans(s.shape)
                # The initializer draws independent values scaled by Keras's fans; a conv kernel
                # takes the first of them (fan_in · fan_out is at least its size).
                w = init((fan_in, fan_out), rng).reshape(-1)[: s.size]
                self.views[s.layer]["kernel"][...] = w.reshape(s.shape)
        self._caches: list[Any] = []

    def count_params(self) -> int:
        return int(self.params.size)

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        h = np.asarray(x, dtype=self.dtype)
        if h.shape[1:] != self.shapes[0]:
            raise PlaygroundError(f"input has shape {h.shape}, expected (N, {', '.join(map(str, self.shapes[0]))})")
        self._caches = []
        for layer, p in zip(self.layers, self.views):
            h, cache = layer.forward(h, p, training, rng)
            self._caches.append(cache)
        return h

    def loss_and_grad(self, x: np.ndarray, y: np.ndarray, loss: Loss, training: bool = True,
                      rng: np.random.Generator | None = None) -> float:  # fmt: skip
        """One forward and backward pass; `grads` then holds ∂J/∂params."""
        from .activations import get_activation

        self.forward(x, training, rng)
        out = self.layers[-1]
        _, z, a = self._caches[-1]
        value, dz = loss.value_and_grad(z, a, y, get_activation(out.activation))
        g, pg = out.backward_from_z(dz, self._caches[-1], self.views[-1])
        self._store(len(self.layers) - 1, pg)
        for i in range(len(self.layers) - 2, -1, -1):
            g, pg = self.layers[i].backward(g, self._caches[i], self.views[i])
            self._store(i, pg)
        return float(value)

    def _store(self, i: int, grads: dict[str, np.ndarray]) -> None:
        for name, value in grads.items():
            self.grad_views[i][name][...] = value

    def predict(self, x: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        return np.concatenate([self.forward(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])

    def get_weights(self) -> list[np.ndarray]:
        """Copies in Keras's order: each parameter layer's kernel then bias."""
        return [self.views[s.layer][s.name].copy() for s in self.layout.slots]

    def param_names(self) -> list[str]:
        return self.layout.names()
