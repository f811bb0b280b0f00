"""A stack of layer objects over one flat parameter buffer: the model of convolutional
networks (issue 16). Each layer gets named views into the buffer (`ParamLayout`), so an
optimizer steps the whole model in a few NumPy calls, and a decay mask marks the kernels (what
L1/L2 act on). Weight names follow the project file's rule: `layers.{i}.kernel` and
`layers.{i}.bias`, i counting the layers that hold parameters, the output layer last.

`plan()` works out each layer's output shape and parameter count from shapes alone (what the
app's layer stack shows while the user edits); `ConvNetwork` is what the trainer trains.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import PlaygroundError
from .fields import MAX_PARAMS
from .initializers import INITIALIZERS
from .layers import Conv2D, Dense, Dropout
from .losses import Loss
from .network import notation_block

PREDICT_BYTES = 16 * 2**20  # the largest im2col matrix inference makes


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
        """Every kernel first, then every bias (as `Network` lays them out): the kernels are one
        contiguous slice, params[:n_kernel], which L1/L2 and the L1 rule act on."""
        wanted = [(i, name, tuple(shape)) for i, (layer, inp) in enumerate(zip(layers, shapes))
                  for name, shape in layer.param_shapes(inp).items()]  # fmt: skip
        self.slots: list[Slot] = []
        offset = 0
        for part in ("kernel", "bias"):
            for i, name, shape in wanted:
                if name == part:
                    self.slots.append(Slot(i, name, offset, shape))
                    offset += int(np.prod(shape))
        self.n_kernel = sum(s.size for s in self.slots if s.name == "kernel")
        self.slots.sort(key=lambda s: (s.layer, s.name != "kernel"))  # Keras's order: kernel, bias per layer
        self.size = offset
        self.layers = len(layers)

    def views(self, flat: np.ndarray) -> list[dict[str, np.ndarray]]:
        """Per layer, its parameters as views into `flat` (empty for layers without any)."""
        out: list[dict[str, np.ndarray]] = [{} for _ in range(self.layers)]
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


class Sequential:
    """Layers applied in order to inputs of `input_shape` (H, W, C for images, (d,) for tables)."""

    def __init__(self, input_shape: tuple[int, ...], layers: Sequence[Any], dtype: Any = np.float64,
                 initializer: str = "glorot_uniform", seed: int | np.random.Generator = 0) -> None:  # fmt: skip
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
        self.decay = self.layout.decay_mask()
        rng = np.random.default_rng(seed)
        init = INITIALIZERS.get(initializer)
        for s in self.layout.slots:
            if s.name == "kernel":  # only the kernel's own values, scaled by Keras's fans
                self.views[s.layer]["kernel"][...] = init(s.shape, rng)
        self._caches: list[Any] = []
        self.outputs: list[np.ndarray] = []  # each layer's output from the last forward pass

    def count_params(self) -> int:
        return int(self.params.size)

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        h = np.asarray(x, dtype=self.dtype)
        if h.shape[1:] != self.shapes[0]:
            raise PlaygroundError(f"input has shape {h.shape}, expected (N, {', '.join(map(str, self.shapes[0]))})")
        self._caches, self.outputs = [], []
        for layer, p in zip(self.layers, self.views):
            h, cache = layer.forward(h, p, training, rng)
            self._caches.append(cache)
            self.outputs.append(h)  # references, no copies: what the views show of one image
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
            if i == 0 and isinstance(self.layers[0], Conv2D):  # the data need no gradient
                g, pg = self.layers[0].backward(g, self._caches[0], self.views[0], input_grad=False)
            else:
                g, pg = self.layers[i].backward(g, self._caches[i], self.views[i])
            self._store(i, pg)
        return float(value)

    def step_bytes(self, rows: int) -> tuple[int, list[int]]:
        """The peak of one training step on `rows` inputs, in bytes, and each layer's own share:
        the batch, every layer's forward cache (a convolution keeps its im2col matrix, k²·C
        values per output position) and the largest temporary of the forward or backward pass
        (col2im makes two matrices of the im2col's size). Checked before a batch is drawn, as
        `loss_and_grad` would otherwise die allocating it."""
        from .layers import AveragePooling2D, MaxPooling2D, window_pads

        item = self.dtype.itemsize
        caches, temps = [], []
        for i, (layer, a, b) in enumerate(zip(self.layers, self.shapes, self.shapes[1:])):
            inn, out = int(np.prod(a)), int(np.prod(b))
            cache, temp = 0, 0  # values per input
            if isinstance(layer, Conv2D):
                k = layer.kernel_size
                cols = b[0] * b[1] * k * k * a[2]
                pads = [window_pads(n, k, layer.strides, layer.padding) for n in a[:2]]
                padded = (a[0] + pads[0][1] + pads[0][2]) * (a[1] + pads[1][1] + pads[1][2]) * a[2]
                cache = cols + 2 * out  # cols, z, a
                temp = max(padded + cols + out, 3 * out + (2 * cols + padded + inn if i else 0))
            elif isinstance(layer, MaxPooling2D):
                cache, temp = out + out / item, inn + out + out / item  # int8 argmax; dx, the grad, a mask
            elif isinstance(layer, AveragePooling2D):
                cache, temp = out, 2 * inn + 2 * out
            elif isinstance(layer, (Dense, Dropout)):
                cache, temp = 2 * out, 3 * out + inn  # z and a (the mask and output); dz, a derivative, dx
            caches.append(cache)
            temps.append(temp)
        first = int(np.prod(self.shapes[0]))
        peak = first + sum(caches) + max(temps)
        return int(rows * peak * item), [int(rows * (c + t) * item) for c, t in zip(caches, temps)]

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


@dataclass(frozen=True)
class LayerKind:
    """What the layer stack offers of one layer type: Keras's class name, a new layer's settings
    and a line of help."""

    name: str  # the project file's "type"
    keras: str
    default: dict[str, Any]
    help: str
    image: bool  # works on image-shaped input (before the flatten)


LAYER_KINDS: dict[str, LayerKind] = {k.name: k for k in (
    LayerKind("conv2d", "Conv2D", {"type": "conv2d", "filters": 8, "kernel_size": 3, "strides": 1, "padding": "same",
                                   "activation": "relu"},
              "Slides each filter (kernel_size × kernel_size × input channels weights and a bias) over the image: "
              "one feature map per filter. Far fewer weights than a dense layer, shared at every position.", True),
    LayerKind("max_pooling2d", "MaxPooling2D", {"type": "max_pooling2d", "pool_size": 2},
              "Keeps the largest value of each pool_size × pool_size window: smaller maps, a little shift "
              "invariance, no weights.", True),
    LayerKind("average_pooling2d", "AveragePooling2D", {"type": "average_pooling2d", "pool_size": 2},
              "Averages each pool_size × pool_size window: smaller, smoother maps, no weights.", True),
    LayerKind("flatten", "Flatten", {"type": "flatten"},
              "Lays the maps out as one vector (channels last, as Keras does) for the dense layers after it.", False),
    LayerKind("dense", "Dense", {"units": 32, "activation": "relu", "dropout": 0.0},
              "Every input connected to every unit: y = f(x·W + b).", False),
)}  # fmt: skip
LAYER_TYPES = tuple(LAYER_KINDS)


def kind_of(spec: dict[str, Any]) -> LayerKind:
    """The kind of a project layer (a layer without a "type" is dense)."""
    return LAYER_KINDS[spec.get("type", "dense")]


def is_convolutional(layers: Sequence[dict[str, Any]]) -> bool:
    """Whether a project's hidden layers hold anything but dense layers."""
    return any(layer.get("type", "dense") != "dense" for layer in layers)


def layer_label(spec: dict[str, Any]) -> str:
    """A project layer in a few characters: "32" (dense units), "conv 8@3×3", "max pool 2",
    "avg pool 2", "flatten" (run summaries, the CLI, link notes)."""
    kind = spec.get("type", "dense")
    if kind == "conv2d":
        stride = f"/{spec['strides']}" if spec.get("strides", 1) != 1 else ""
        return f"conv {spec['filters']}@{spec['kernel_size']}×{spec['kernel_size']}{stride}"
    if kind in ("max_pooling2d", "average_pooling2d"):
        return f"{kind[:3]} pool {spec.get('pool_size', 2)}"
    return "flatten" if kind == "flatten" else str(spec["units"])


def _layer(spec: dict[str, Any]) -> list[Any]:
    from .layers import AveragePooling2D, Flatten, MaxPooling2D

    kind = spec.get("type", "dense")
    act = spec.get("activation", "linear")  # a name or {"name": ..., "alpha": ...}: parameters kept
    if kind == "conv2d":
        return [Conv2D(spec["filters"], spec["kernel_size"], spec.get("strides", 1), spec.get("padding", "valid"), act)]
    if kind == "max_pooling2d":
        return [MaxPooling2D(spec.get("pool_size", 2))]
    if kind == "average_pooling2d":
        return [AveragePooling2D(spec.get("pool_size", 2))]
    if kind == "flatten":
        return [Flatten()]
    dense = [Dense(spec["units"], act)]
    return dense + ([Dropout(spec["dropout"])] if spec.get("dropout") else [])


def stack(hidden: Sequence[dict[str, Any]], n_outputs: int,
          output_activation: Any = "softmax") -> tuple[list[Any], list[int | None], list[str]]:  # fmt: skip
    """The layer objects a project's hidden layers make, the output layer last; for each, the
    index of the project layer it came from (None for a flatten added for the user, -1 for the
    output); and notes saying what was added."""
    from .layers import Flatten

    layers: list[Any] = []
    origin: list[int | None] = []
    notes: list[str] = []
    flat = False
    for i, spec in enumerate(hidden):
        built = _layer(spec)
        if isinstance(built[0], Dense) and not flat:
            layers.append(Flatten())
            origin.append(None)
            notes.append(f"a flatten layer was added before layer {i + 1} (a dense layer needs flat input)")
            flat = True
        if isinstance(built[0], Flatten):
            if flat:
                raise PlaygroundError(f"network.layers[{i}].type: the input is already flat here")
            flat = True
        elif not isinstance(built[0], Dense) and flat:
            raise PlaygroundError(f"network.layers[{i}].type: a {spec['type']} layer cannot follow a flatten or dense "
                                  "layer (its input is no longer an image)")  # fmt: skip
        layers += built
        origin += [i] * len(built)
    if not flat:
        layers.append(Flatten())
        origin.append(None)
    layers.append(Dense(int(n_outputs), output_activation))
    origin.append(-1)
    return layers, origin, notes


@dataclass(frozen=True)
class PlanRow:
    """One row of the model summary: a layer, where it came from, its output shape and size."""

    source: int | None  # index in network.layers; None for an added flatten, -1 for the output
    kind: str  # Keras's class name: Conv2D, MaxPooling2D, Flatten, Dense, Dropout, ...
    output_shape: tuple[int, ...]
    params: int


def image_input(image_shape: Sequence[int]) -> tuple[int, int, int]:
    """(H, W, C) for an image shape given as (H, W) or (H, W, C)."""
    shape = tuple(int(v) for v in image_shape)
    return (*shape, 1) if len(shape) == 2 else shape  # type: ignore[return-value]


def plan(image_shape: Sequence[int], hidden: Sequence[dict[str, Any]], n_outputs: int,
         output_activation: Any = "softmax") -> tuple[list[PlanRow], list[str]]:  # fmt: skip
    """Each layer's output shape and parameter count, from shapes alone (no weights are made),
    and the notes of `stack`. A layer that does not fit raises PlaygroundError naming its key:
    `network.layers[1].kernel_size 9 is larger than its 4×4 input`."""
    layers, origin, notes = stack(hidden, n_outputs, output_activation)
    shape: tuple[int, ...] = image_input(image_shape)
    rows, total = [], 0
    for layer, src in zip(layers, origin):
        window = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
        if window is not None and len(shape) == 3 and (getattr(layer, "padding", "valid") == "valid"):
            part = "kernel_size" if hasattr(layer, "kernel_size") else "pool_size"
            if window > min(shape[0], shape[1]):
                raise PlaygroundError(f"network.layers[{src}].{part} {window} is larger than its "
                                      f"{shape[0]}×{shape[1]} input")  # fmt: skip
        n = sum(int(np.prod(s)) for s in layer.param_shapes(shape).values())
        shape = tuple(layer.output_shape(shape))
        total += n
        rows.append(PlanRow(src, type(layer).__name__, shape, n))
    if total > MAX_PARAMS:
        raise PlaygroundError(f"network.layers: this network has {total:,} parameters; the limit is {MAX_PARAMS:,}")
    return rows, notes


class ConvNetwork:
    """A project's convolutional network with the part of `Network`'s interface the trainer,
    the CLI and the weight files use: flat inputs (N, H·W·C) in, one flat parameter buffer,
    the output layer's z and a after each forward pass."""

    def __init__(self, image_shape: tuple[int, ...], hidden: Sequence[dict[str, Any]], n_outputs: int,
                 output_activation: Any = "softmax", initializer: str = "glorot_uniform", bias_init: float = 0.0,
                 dtype: Any = np.float64, seed: int | np.random.Generator = 0) -> None:  # fmt: skip
        from .activations import get_activation

        shape = image_input(image_shape)
        plan(shape, hidden, n_outputs, output_activation)  # every shape error names its key first
        layers, self.origin, self.notes = stack(hidden, n_outputs, output_activation)
        self.model = Sequential(shape, layers, dtype, initializer, seed)
        m = self.model
        self.hidden = list(hidden)
        self.image_shape = shape
        self.dtype = m.dtype
        self.params, self.grads = m.params, m.grads
        self.n_kernel = m.layout.n_kernel
        self.n_inputs = int(np.prod(shape))
        self.n_outputs = int(n_outputs)
        self.output_activation_spec = output_activation
        self.initializer, self.bias_init = initializer, float(bias_init)
        for s in m.layout.slots:
            if s.name == "bias":
                m.views[s.layer]["bias"][...] = self.bias_init
        holders = [i for i, v in enumerate(m.views) if v]
        self.kernels = [m.views[i]["kernel"] for i in holders]
        self.biases = [m.views[i]["bias"] for i in holders]
        self.kernel_grads = [m.grad_views[i]["kernel"] for i in holders]
        self.holders = holders  # stack indices of the layers with parameters
        self.activations = [get_activation(getattr(m.layers[i], "activation", "linear")) for i in holders]
        # (in, out) sizes per layer, flattened: what a mini-batch's activations cost.
        self.shapes = [(int(np.prod(a)), int(np.prod(b))) for a, b in itertools.pairwise(m.shapes)]
        self.n_layers = len(holders)

        self.dropouts = [layer.rate for layer in m.layers if isinstance(layer, Dropout)]
        # Images per inference chunk: no convolution's im2col matrix passes PREDICT_BYTES (2,048
        # images through LeNet's first layer would make one of 236 MB).
        per_image = max([int(np.prod(out[:2])) * layer.kernel_size**2 * inp[2]
                         for layer, inp, out in zip(m.layers, m.shapes, m.shapes[1:])
                         if isinstance(layer, Conv2D)] + [1])  # fmt: skip
        self.inference_chunk = max(1, min(2048, PREDICT_BYTES // (per_image * m.dtype.itemsize)))
        self._build = (image_shape, list(hidden), n_outputs, output_activation, initializer, bias_init)

    def step_memory(self, rows: int) -> tuple[int, str, int]:
        """(bytes one training step on `rows` images peaks at, the project layer that costs the
        most in the user's words, its bytes): what the trainer's memory budget checks."""
        total, shares = self.model.step_bytes(rows)
        by_origin: dict[int | None, int] = {}
        for origin, share in zip(self.origin, shares):
            by_origin[origin] = by_origin.get(origin, 0) + share
        worst = max(by_origin, key=lambda o: by_origin[o])
        if worst is None:
            words = "the flatten layer added before the dense layers"
        elif worst == -1:
            words = "the output layer"
        else:
            words = f"layer {worst + 1} ({layer_label(self.hidden[worst])})"
            i = self.origin.index(worst)
            layer, inp, out = self.model.layers[i], self.model.shapes[i], self.model.shapes[i + 1]
            if isinstance(layer, Conv2D):
                k = layer.kernel_size
                channels = f"{inp[2]:,} channel{'s' if inp[2] != 1 else ''}"
                words += (f", whose {k}×{k} window over {channels} unfolds {k * k * inp[2]:,} values "
                          f"at each of its {out[0] * out[1]:,} positions")  # fmt: skip
        return total, words, by_origin[worst]

    @property
    def kernel_params(self) -> np.ndarray:
        return self.params[: self.n_kernel]

    @property
    def kernel_grad(self) -> np.ndarray:
        return self.grads[: self.n_kernel]

    def views(self, flat: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Each parameter layer's kernel and bias as views into any buffer laid out as `params`
        (a gradient, an optimizer's moment, a direction through weight space)."""
        views = self.model.layout.views(flat)
        return [views[i]["kernel"] for i in self.holders], [views[i]["bias"] for i in self.holders]

    def param_spans(self) -> list[tuple[int, int]]:
        """(offset, size) of each named array in the flat buffer, in Keras's order."""
        return [(s.offset, s.size) for s in self.model.layout.slots]

    def copy(self, dtype: Any = None) -> ConvNetwork:
        """An independent network with the same layers and weights (optionally recast)."""
        shape, hidden, n_out, out_act, init, bias = self._build
        net = ConvNetwork(shape, hidden, n_out, out_act, init, bias, dtype or self.dtype, seed=0)
        net.params[...] = self.params
        return net

    def objective(self, x: np.ndarray, y: np.ndarray, loss: Loss, regularizer: Any = None, training: bool = False,
                  rng: np.random.Generator | None = None) -> float:  # fmt: skip
        """J + penalty without touching `grads` (what a numerical gradient differentiates)."""
        self.forward(x, training, rng)
        _, z, a = self.model._caches[-1]
        value = loss.value(z, a, y, self.activations[-1])
        if regularizer is not None:
            value += regularizer.penalty(self.kernel_params)
        return value

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise PlaygroundError(f"input has shape {x.shape}, expected (N, {self.n_inputs})")
        return self.model.forward(x.reshape(-1, *self.image_shape), training, rng)

    def neuron_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        """Each parameter layer's output (N, features), flattened, in inference mode, output last
        (what `Network.neuron_outputs` gives: the hidden-space view and per-point losses use it)."""
        if len(x) <= self.inference_chunk:
            self.forward(x)
            return [o.copy() for o in self.neuron_outputs_cached()]
        parts = [self.neuron_outputs(x[i : i + self.inference_chunk]) for i in range(0, len(x), self.inference_chunk)]
        return [np.concatenate(layer) for layer in zip(*parts)]

    def neuron_outputs_cached(self) -> list[np.ndarray]:
        n = self.model.outputs[-1].shape[0]
        return [self.model.outputs[i].reshape(n, -1) for i in self.holders]

    def layer_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        """Every layer's output for inputs `x` (N, H·W·C) in inference mode, images unflattened:
        the feature maps the layer view draws."""
        self.forward(x)
        return list(self.model.outputs)

    def pre_activations(self) -> list[np.ndarray]:
        """The z of each layer with parameters from the last forward pass, the output's last."""
        caches = self.model._caches
        return [caches[i][4] if isinstance(self.model.layers[i], Conv2D) else caches[i][1] for i in self.holders]

    def loss_and_grad(self, x: np.ndarray, y: np.ndarray, loss: Loss, regularizer: Any = None, training: bool = True,
                      rng: np.random.Generator | None = None) -> tuple[float, float]:  # fmt: skip
        """(data loss, objective with the penalty); `grads` holds ∂objective/∂params."""
        x = np.asarray(x, dtype=self.dtype).reshape(-1, *self.image_shape)
        data_loss = self.model.loss_and_grad(x, y, loss, training, rng)
        objective = data_loss
        if regularizer is not None and regularizer.active:
            objective += regularizer.penalty(self.kernel_params)
            regularizer.add_gradient(self.kernel_params, self.grads[: self.n_kernel])
        return data_loss, objective

    def predict(self, x: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        x = np.asarray(x, dtype=self.dtype)
        batch = min(batch_size, self.inference_chunk)
        return np.concatenate([self.forward(x[i : i + batch]) for i in range(0, len(x), batch)])

    def count_params(self) -> int:
        return int(self.params.size)

    def param_names(self) -> list[str]:
        return self.model.param_names()

    def get_weights(self) -> list[np.ndarray]:
        return self.model.get_weights()

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Arrays in Keras's order, every shape checked before anything is written."""
        names, slots = self.param_names(), self.model.layout.slots
        if len(weights) != len(names):
            raise PlaygroundError(f"expected {len(names)} weight arrays ({', '.join(names)}), got {len(weights)}")
        arrays = []
        for name, slot, value in zip(names, slots, weights):
            arr = np.asarray(value)
            if arr.shape != slot.shape:
                raise PlaygroundError(f"{name} has shape {arr.shape}, expected {slot.shape}")
            if not np.issubdtype(arr.dtype, np.number) or not np.all(np.isfinite(arr)):
                raise PlaygroundError(f"{name} must hold finite real numbers")
            arrays.append(arr)
        for slot, arr in zip(slots, arrays):
            self.model.views[slot.layer][slot.name][...] = arr

    def summary(self, name: str = "model") -> str:
        """Keras's summary: each layer with its output shape and parameter count."""
        m = self.model
        counts = [sum(int(np.prod(s)) for s in layer.param_shapes(inp).values())
                  for layer, inp in zip(m.layers, m.shapes)]  # fmt: skip
        rows = [f'Model: "{name}"', f"{'Layer (type)':<28}{'Output Shape':<22}{'Param #':>10}"]
        for layer, out, n in zip(m.layers, m.shapes[1:], counts):
            rows.append(f"{type(layer).__name__:<28}{(None, *out)!s:<22}{n:>10,}")
        rows.append(f"Total params: {self.count_params():,}")
        rows += [f"Note: {note}" for note in self.notes]
        # Ng's W[l] for the dense layers, l counting every layer with weights (a convolution's are his too).
        dense = [(k + 1, m.shapes[i][-1], m.layers[i].units) for k, i in enumerate(self.holders)
                 if isinstance(m.layers[i], Dense)]  # fmt: skip
        names = [f"dense_{k + 1}" for k in range(len(dense) - 1)] + ["output"]
        rows += notation_block(names, [(i, o) for _l, i, o in dense], [number for number, _i, _o in dense])
        return "\n".join(rows)
