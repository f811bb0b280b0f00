"""The model: a stack of Dense layers, y = x @ W + b with W of shape (in, out), as Keras.

All parameters live in one flat buffer (every kernel first, then every bias) and each layer's
W and b are views into it, so an optimizer updates the whole network in a few NumPy calls and
a regularizer sees every kernel as one contiguous slice.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .activations import Activation, get_activation
from .errors import PlaygroundError
from .fields import MAX_PARAMS
from .initializers import INITIALIZERS
from .losses import Loss
from .notation import NOTE, keras_shapes, ng_shapes
from .regularizers import Regularizer


@dataclass
class LayerSpec:
    """A hidden layer: width, activation (a name or {"name", **params}) and dropout rate."""

    units: int
    activation: str | dict[str, Any] = "tanh"
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.units, (int, np.integer)) or isinstance(self.units, bool) or self.units < 1:
            raise PlaygroundError(f"a layer needs units >= 1, got {self.units!r}")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise PlaygroundError(f"dropout must be in [0, 1), got {self.dropout}")
        get_activation(self.activation)  # validates the name early


def _as_spec(layer: LayerSpec | dict[str, Any] | int) -> LayerSpec:
    if isinstance(layer, LayerSpec):
        return layer
    if isinstance(layer, (int, np.integer)):
        return LayerSpec(int(layer))
    if isinstance(layer, dict):
        try:
            return LayerSpec(**layer)
        except TypeError as exc:
            raise PlaygroundError(f"bad layer {layer!r}: {exc}") from None
    raise PlaygroundError(f"a layer is a dict like {{'units': 4}}, got {layer!r}")


@dataclass
class _Cache:
    """What the last forward pass kept for backward."""

    x: np.ndarray | None = None
    z: list[np.ndarray] = field(default_factory=list)
    a: list[np.ndarray] = field(default_factory=list)
    masks: list[np.ndarray | None] = field(default_factory=list)


class Network:
    """A fully connected network with per-layer activations and inverted dropout.

    Zero hidden layers is valid: with a sigmoid output it is logistic regression,
    ŷ = σ(xW + b).
    """

    inference_chunk = 8192  # rows per chunk of inference-mode evaluation (a grid, a split)

    def __init__(
        self,
        n_inputs: int,
        hidden: Sequence[LayerSpec | dict[str, Any] | int],
        n_outputs: int,
        output_activation: str | dict[str, Any] = "sigmoid",
        initializer: str = "glorot_uniform",
        bias_init: float = 0.0,
        dtype: Any = np.float64,
        seed: int | np.random.Generator | None = 0,
        image_shape: tuple[int, ...] | None = None,
    ) -> None:
        if n_inputs < 1 or n_outputs < 1:
            raise PlaygroundError(f"a network needs at least one input and one output, got {n_inputs} and {n_outputs}")
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise PlaygroundError(f"dtype must be float32 or float64, got {self.dtype}")
        self.n_inputs = int(n_inputs)
        #: The images each input row was flattened from, if any: the summary starts with Keras's
        #: Flatten for them, as the Keras model of the same network would.
        self.image_shape = tuple(image_shape) if image_shape is not None else None
        self.hidden = [_as_spec(h) for h in hidden]
        self.n_outputs = int(n_outputs)
        self.output_activation_spec = output_activation
        self.initializer = initializer
        self.bias_init = float(bias_init)
        INITIALIZERS.get(initializer)

        widths = [self.n_inputs] + [h.units for h in self.hidden] + [self.n_outputs]
        self.shapes: list[tuple[int, int]] = list(itertools.pairwise(widths))
        self.activations: list[Activation] = [get_activation(h.activation) for h in self.hidden]
        self.activations.append(get_activation(output_activation))
        self.dropouts = [float(h.dropout) for h in self.hidden] + [0.0]

        n_kernel = sum(i * o for i, o in self.shapes)
        n_bias = sum(o for _, o in self.shapes)
        if n_kernel + n_bias > MAX_PARAMS:  # checked before anything is allocated
            raise PlaygroundError(
                f"this network has {n_kernel + n_bias:,} parameters; the limit is {MAX_PARAMS:,} "
                f"(training keeps about five copies of them, {5 * 8 * MAX_PARAMS / 2**20:,.0f} MB at the limit): "
                "use fewer or narrower layers"
            )
        self.n_kernel = n_kernel
        self.params = np.zeros(n_kernel + n_bias, dtype=self.dtype)
        self.grads = np.zeros_like(self.params)
        self.kernels, self.biases = self.views(self.params)
        self.kernel_grads, self.bias_grads = self.views(self.grads)
        # What a forward pass walks, bundled once: (W, b, activation, dropout rate in training).
        self._layers = list(zip(self.kernels, self.biases, self.activations, self.dropouts))
        self._kernels_t = [w.T for w in self.kernels]
        self._ones = np.ones(0, dtype=self.dtype)
        self._cache = _Cache()
        self.initialize(seed)

    # ----------------------------------------------------------------- parameters
    def views(self, flat: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Each layer's kernel (in, out) and bias as views into any buffer laid out as `params`
        (its gradient, an optimizer's moment, a direction through weight space)."""
        kernels, biases = [], []
        k = 0
        b = self.n_kernel
        for i, o in self.shapes:
            kernels.append(flat[k : k + i * o].reshape(i, o))
            biases.append(flat[b : b + o])
            k += i * o
            b += o
        return kernels, biases

    @property
    def kernel_params(self) -> np.ndarray:
        """Every kernel weight as one flat view (what L1/L2 and weight decay act on)."""
        return self.params[: self.n_kernel]

    @property
    def kernel_grad(self) -> np.ndarray:
        return self.grads[: self.n_kernel]

    @property
    def n_layers(self) -> int:
        """Dense layers, the output layer included."""
        return len(self.shapes)

    def initialize(self, seed: int | np.random.Generator | None = 0) -> None:
        """Fresh kernels from the initializer (seeded) and constant biases."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        init = INITIALIZERS.get(self.initializer)
        for w in self.kernels:
            w[...] = init(w.shape, rng)
        for b in self.biases:
            b[...] = self.bias_init

    def param_spans(self) -> list[tuple[int, int]]:
        """(offset, size) of each named array in the flat buffer, in Keras's order."""
        spans, k_off, b_off = [], 0, self.n_kernel
        for i, o in self.shapes:
            spans += [(k_off, i * o), (b_off, o)]
            k_off += i * o
            b_off += o
        return spans

    def param_names(self) -> list[str]:
        """Names in Keras order: layers.0.kernel, layers.0.bias, layers.1.kernel, ..."""
        return [f"layers.{i}.{part}" for i in range(self.n_layers) for part in ("kernel", "bias")]

    def get_weights(self) -> list[np.ndarray]:
        """Copies in Keras order [W1, b1, W2, b2, ...]."""
        out: list[np.ndarray] = []
        for w, b in zip(self.kernels, self.biases):
            out += [w.copy(), b.copy()]
        return out

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Load arrays in Keras order; every shape is checked before anything is written."""
        names = self.param_names()
        if len(weights) != len(names):
            raise PlaygroundError(f"expected {len(names)} weight arrays ({', '.join(names)}), got {len(weights)}")
        targets = [t for pair in zip(self.kernels, self.biases) for t in pair]
        arrays = []
        for name, target, value in zip(names, targets, weights):
            arr = np.asarray(value)
            if arr.shape != target.shape:
                raise PlaygroundError(f"{name} has shape {arr.shape}, expected {target.shape}")
            if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
                raise PlaygroundError(f"{name} must hold real numbers, got dtype {arr.dtype}")
            if not np.all(np.isfinite(arr)):
                raise PlaygroundError(f"{name} contains NaN or infinite values")
            arrays.append(arr)
        for target, arr in zip(targets, arrays):
            target[...] = arr

    def count_params(self) -> int:
        return int(self.params.size)

    def copy(self, dtype: Any = None) -> Network:
        """An independent network with the same architecture and weights (optionally recast)."""
        net = Network(
            self.n_inputs,
            self.hidden,
            self.n_outputs,
            self.output_activation_spec,
            self.initializer,
            self.bias_init,
            dtype or self.dtype,
            seed=0,
            image_shape=self.image_shape,
        )
        net.params[...] = self.params
        return net

    def config(self) -> dict[str, Any]:
        """The architecture as plain data (what a project file stores under "network")."""
        return {
            "inputs": self.n_inputs,
            "layers": [asdict(h) for h in self.hidden],
            "outputs": self.n_outputs,
            "output_activation": self.output_activation_spec,
            "initializer": self.initializer,
        }

    # ----------------------------------------------------------------- forward / backward
    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        """Output activations for a batch; keeps what backward needs.

        In training mode, hidden layers with dropout keep each unit with probability 1 − p and
        scale kept units by 1/(1 − p) (inverted dropout), so inference needs no rescaling.
        """
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise PlaygroundError(f"input has shape {x.shape}, expected (N, {self.n_inputs})")
        zs: list[np.ndarray] = []
        outs: list[np.ndarray] = []
        masks: list[np.ndarray | None] = []
        h = x
        # np.dot, not matmul: for the small matrices of a playground it costs half as much.
        for w, b, act, p in self._layers:
            z = np.dot(h, w)
            z += b
            a = act.forward(z)
            zs.append(z)
            outs.append(a)
            if training and p > 0:
                if rng is None:
                    raise PlaygroundError("dropout in training mode needs a random generator")
                mask = (rng.random(a.shape) >= p).astype(self.dtype)
                mask *= 1.0 / (1.0 - p)
                masks.append(mask)
                h = a * mask
            else:
                masks.append(None)
                h = a
        self._cache = _Cache(x, zs, outs, masks)
        return h

    def backward(self, grad_z_out: np.ndarray) -> None:
        """Fill `grads` from dJ/dz of the output layer (chain rule, layer by layer)."""
        c = self._cache
        if c.x is None:
            raise PlaygroundError("backward called before forward")
        g = np.asarray(grad_z_out, dtype=self.dtype)
        n = g.shape[0]
        if self._ones.shape[0] < n:
            self._ones = np.ones(n, dtype=self.dtype)
        ones = self._ones[:n]
        for i in range(self.n_layers - 1, -1, -1):
            if i == 0:
                inp = c.x
            else:
                inp = c.a[i - 1] if c.masks[i - 1] is None else c.a[i - 1] * c.masks[i - 1]
            np.dot(inp.T, g, out=self.kernel_grads[i])
            np.dot(ones, g, out=self.bias_grads[i])  # the column sums, as a BLAS call
            if i > 0:
                ga = np.dot(g, self._kernels_t[i])
                if c.masks[i - 1] is not None:
                    ga *= c.masks[i - 1]
                g = self.activations[i - 1].backward(c.z[i - 1], c.a[i - 1], ga)

    def loss_and_grad(
        self,
        x: np.ndarray,
        y: np.ndarray,
        loss: Loss,
        regularizer: Regularizer | None = None,
        training: bool = True,
        rng: np.random.Generator | None = None,
    ) -> tuple[float, float]:
        """One forward and backward pass. Returns (data loss J, objective J + penalty).

        `grads` then holds d(objective)/d(params).
        """
        self.forward(x, training=training, rng=rng)
        c = self._cache
        data_loss, grad_z = loss.value_and_grad(c.z[-1], c.a[-1], y, self.activations[-1])
        self.backward(grad_z)
        objective = data_loss
        if regularizer is not None and regularizer.active:
            objective += regularizer.penalty(self.kernel_params)
            regularizer.add_gradient(self.kernel_params, self.kernel_grad)
        return data_loss, objective

    def objective(
        self,
        x: np.ndarray,
        y: np.ndarray,
        loss: Loss,
        regularizer: Regularizer | None = None,
        training: bool = False,
        rng: np.random.Generator | None = None,
    ) -> float:
        """J + penalty without touching `grads` (what a numerical gradient differentiates)."""
        self.forward(x, training=training, rng=rng)
        c = self._cache
        value = loss.value(c.z[-1], c.a[-1], y, self.activations[-1])
        if regularizer is not None:
            value += regularizer.penalty(self.kernel_params)
        return value

    def predict(self, x: np.ndarray, batch_size: int = 8192) -> np.ndarray:
        """Inference-mode outputs (dropout off), in chunks so a big grid stays small in memory."""
        x = np.asarray(x, dtype=self.dtype)
        if x.shape[0] <= batch_size:
            return self.forward(x)
        return np.concatenate([self.forward(x[i : i + batch_size]) for i in range(0, x.shape[0], batch_size)])

    def neuron_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        """Every layer's activations (N, units) in inference mode, output layer last."""
        self.forward(x)
        return list(self._cache.a)

    def neuron_outputs_cached(self) -> list[np.ndarray]:
        """The activations of each layer from the last forward pass (before dropout)."""
        return list(self._cache.a)

    def pre_activations(self) -> list[np.ndarray]:
        """The z of each layer from the last forward pass."""
        return list(self._cache.z)

    # ----------------------------------------------------------------- summary
    def summary(self, name: str = "model") -> str:
        """Keras's table (a Sequential model lists no InputLayer; image rows start with its Flatten):
        layer, output shape, parameter count, totals; then each layer's weight shapes in Keras's
        and Ng's notation."""
        rows = [("flatten (Flatten)", f"(None, {self.n_inputs})", 0)] if self.image_shape else []
        for i, ((fan_in, units), act) in enumerate(zip(self.shapes, self.activations)):
            last = i == self.n_layers - 1
            label = "output" if last else f"dense_{i + 1}"
            rows.append((f"{label} (Dense, {act.name})", f"(None, {units})", fan_in * units + units))
            if not last and self.dropouts[i] > 0:
                rows.append((f"dropout_{i + 1} (Dropout {self.dropouts[i]:g})", f"(None, {units})", 0))
        w0 = max(28, max(len(r[0]) for r in rows) + 2)
        w1, w2 = 16, 12
        width = w0 + w1 + w2
        lines = [
            f'Model: "{name}"',
            "─" * width,
            f"{'Layer (type)':<{w0}}{'Output Shape':<{w1}}{'Param #':>{w2}}",
            "═" * width,
        ]
        for label, shape, n in rows:
            lines.append(f"{label:<{w0}}{shape:<{w1}}{n:>{w2},}")
        total = self.count_params()
        size = total * self.dtype.itemsize
        lines += [
            "═" * width,
            f"Total params: {total:,} ({_human_bytes(size)})",
            f"Trainable params: {total:,} ({_human_bytes(size)})",
            "Non-trainable params: 0 (0.00 B)",
        ]
        names = [f"dense_{i + 1}" for i in range(self.n_layers - 1)] + ["output"]
        return "\n".join(lines + notation_block(names, self.shapes))


def notation_block(names: Sequence[str], shapes: Sequence[tuple[int, int]],
                   numbers: Sequence[int] | None = None) -> list[str]:  # fmt: skip
    """The summary's closing lines: each dense layer's weight shapes in Keras's and Ng's notation
    (`numbers`: each one's l, counting every layer with weights; 1, 2, ... by default)."""
    if not shapes:
        return []
    numbers = list(numbers) if numbers is not None else list(range(1, len(shapes) + 1))
    w0 = max(len(n) for n in names) + 2
    w1 = max(len(keras_shapes(i, o)) for i, o in shapes) + 3
    rows = [f"  {n:<{w0}}{keras_shapes(i, o):<{w1}}{ng_shapes(k, i, o)}" for k, n, (i, o) in
            zip(numbers, names, shapes)]  # fmt: skip
    return ["", "Weights: Keras's (in, out) kernel beside Ng's W[l], its transpose.", *rows, NOTE]


def _human_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} MB"
