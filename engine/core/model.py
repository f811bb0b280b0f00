"""The model: one class for every project, a stack of layers over one flat parameter buffer.

The buffer has three sections, each in layer order and in Keras's weight order within a layer:
every regularized array (the kernels), every other trainable array (the biases, batch
normalization's gamma and beta), every non-trainable array (its moving statistics):

    params = [kernels … | biases, gammas, betas … | moving means and variances …]
              :n_kernel            :n_trainable

L1/L2 act on one contiguous slice (params[:n_kernel]); an optimizer steps the trainable part
(`trainable_params`, params[:n_trainable]) in a few NumPy calls, and everything that steps or
perturbs weights (the landscape's directions, the walk's one-step preview) stays inside it.
Everything that copies weights (snapshots, the NaN backup, early stopping's best weights, copy())
copies the whole buffer, so moving statistics travel with the weights. `grads` is laid out as
`params`; its non-trainable section stays zero.

Each layer gets named views of its parameters and of their gradients. Weight names follow the
project file's rule, `layers.{k}.{name}` in Keras's order (`layers.0.kernel`, `layers.0.bias`),
k counting the layers with any parameter (`param_layers`), the output layer last. `weighted` lists
the layers with a kernel (dense, convolution): `kernels`, `biases`, `activations`,
`pre_activations()`, `neuron_outputs()` and a trace's `weights` index run parallel to it (what the
neuron graph, the histograms and the walk draw); for a model without other kinds the two lists
are the same. Inputs come as rows (N, features), as the data hold them; a model on images lays
each row out as (H, W, C) for its first layer, one on sequences as (T, F) (step-major rows).

The fast path is the layers' own (see `engine.core.layers.dense`): the loss fused with the output
activation gives δ of the output layer directly, gradients are written into `grads` with `out=`,
and backward stops at the first layer with trainable weights (the data need no gradient).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .activations import Activation
from .errors import PlaygroundError
from .i18n import _
from .initializers import INITIALIZERS
from .layers import (
    Layer,
    LayerTrace,
    batch_need,
    check_params,
    image_input,
    layer_label,
    plan,
    stack,
    step_name,
)
from .losses import Loss
from .notation import NOTE, keras_shapes, ng_shapes
from .numbers import cells, line_up
from .regularizers import Regularizer

PREDICT_BYTES = 16 * 2**20  # the largest temporary (a convolution's im2col matrix) inference makes
UNBOUNDED = 1 << 62  # rows per inference chunk of a model whose layers make no large temporary


@runtime_checkable
class Model(Protocol):
    """The model every project builds, as its users see it: the trainer, the exporters, the
    backprop walk and the app type against this (`LayerStack` is the one implementation)."""

    dtype: np.dtype
    params: np.ndarray
    grads: np.ndarray
    n_kernel: int
    n_trainable: int
    layers: list[Layer]

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray: ...
    def loss_and_grad(self, x: np.ndarray, y: np.ndarray, loss: Loss, regularizer: Regularizer | None = None,
                      training: bool = True, rng: np.random.Generator | None = None
                      ) -> tuple[float, float]: ...  # fmt: skip
    def views(self, flat: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]: ...
    def layer_views(self, flat: np.ndarray) -> list[dict[str, np.ndarray]]: ...
    def param_views(self, flat: np.ndarray) -> list[tuple[Layer, str, np.ndarray]]: ...
    def backward(self, grad_z_out: np.ndarray) -> None: ...
    def trace_example(self, x: np.ndarray, y: np.ndarray, loss: Loss) -> tuple[float, np.ndarray, list[LayerTrace]]: ...
    def param_names(self) -> list[str]: ...
    def layer_weight_names(self) -> list[list[str]]: ...
    def get_weights(self) -> list[np.ndarray]: ...
    def set_weights(self, weights: Sequence[np.ndarray]) -> None: ...
    def summary(self, name: str = "model", measure: Callable[[str], float] | None = None) -> str: ...


class LayerStack:
    """Layers applied in order to inputs of `input_shape` ((H, W, C) for images, (d,) for rows),
    the output layer last, over one flat parameter buffer (see the module's docstring).

    `origin`, `notes` and `hidden` say where each layer came from in a project (None for a flatten
    added for the user, -1 for the output): what the summary, the budget's messages and the app's
    layer view name. A model built from a project comes from `build_model`."""

    def __init__(self, input_shape: Sequence[int], layers: Sequence[Layer], dtype: Any = np.float64,
                 initializer: str = "glorot_uniform", bias_init: float = 0.0,
                 seed: int | np.random.Generator | None = 0, origin: Sequence[int | None] | None = None,
                 notes: Sequence[str] = (), hidden: Sequence[dict[str, Any]] = ()) -> None:  # fmt: skip
        if not layers or not layers[-1].can_output:
            raise PlaygroundError(_("the last layer must be a dense layer (the output)"))
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise PlaygroundError(_("dtype must be float32 or float64, got {dtype}").format(dtype=self.dtype))
        self.input_shape = tuple(int(v) for v in input_shape)
        self.n_inputs = math.prod(self.input_shape)
        if self.n_inputs < 1:
            raise PlaygroundError(_("a network needs at least one input, got {input_shape}").format(
                                      input_shape=self.input_shape))
        self.layers = list(layers)
        self.origin = list(origin) if origin is not None else [*range(len(layers) - 1), -1]
        self.notes = list(notes)
        self.hidden = [dict(h) for h in hidden]
        self.initializer, self.bias_init = initializer, float(bias_init)
        INITIALIZERS.get(initializer)
        self.shapes: list[tuple[int, ...]] = [self.input_shape]
        wanted: list[dict[str, tuple[int, ...]]] = []
        for i, layer in enumerate(self.layers):
            try:
                out = tuple(layer.output_shape(self.shapes[-1]))
                wanted.append({k: tuple(v) for k, v in layer.param_shapes(self.shapes[-1]).items()})
                self.shapes.append(out)
            except PlaygroundError as exc:
                raise PlaygroundError(_("layers[{i}]: {exc}").format(i=i, exc=exc)) from None
        self.n_outputs = self.shapes[-1][-1]
        # Three sections (regularized, other trainable, non-trainable), each in layer order and
        # Keras's order within a layer; the slots themselves are listed in Keras's order.
        sections: list[list[tuple[int, str]]] = [[], [], []]
        for i, w in enumerate(wanted):
            for name in w:
                sections[self._section(i, name)].append((i, name))
        offsets: dict[tuple[int, str], int] = {}
        total = 0
        for part in sections:
            for i, name in part:
                offsets[i, name] = total
                total += math.prod(wanted[i][name])
        sizes = [sum(math.prod(wanted[i][name]) for i, name in part) for part in sections]
        self.n_kernel = sizes[0]
        #: Entries an optimizer steps: params[:n_trainable] (the moving statistics come after).
        self.n_trainable = sizes[0] + sizes[1]
        check_params(total)  # before anything is allocated
        self.params = np.zeros(total, dtype=self.dtype)
        self.grads = np.zeros_like(self.params)
        #: (layer, name, offset, shape) of every array, in Keras's order (layer by layer).
        self._slots: list[tuple[int, str, int, tuple[int, ...]]] = [
            (i, name, offsets[i, name], shape) for i, w in enumerate(wanted) for name, shape in w.items()
        ]
        #: Stack indices of the layers with any parameter, in order (the k of layers.{k}).
        self.param_layers = [i for i, w in enumerate(wanted) if w]
        #: Stack indices of the layers with a kernel, in order (`kernels`, `biases`, `activations`).
        self.weighted = [i for i, w in enumerate(wanted) if "kernel" in w]
        self._bind()
        #: For each layer with a kernel, the stack layer whose output is its project entry's a: itself,
        #: or the last layer its entry's keys made after it (batch normalization, then the activation;
        #: dropout, which passes values unchanged at inference, aside). What the neuron views draw.
        self.shown = [self._entry_end(i) for i in self.weighted]
        self.activations: list[Activation] = [self.layers[i].act for i in self.weighted]  # type: ignore[misc]
        self._output = self.layers[-1]
        self._shaped = len(self.input_shape) > 1  # rows are laid out as images (H, W, C) or sequences (T, F)
        # Backward walks down to the first layer with trainable weights; that one needs no input gradient.
        first = self._first = min(i for i, name, _o, _s in self._slots if self._section(i, name) < 2)
        self._output_input_grad = len(self.layers) - 1 > first
        self._backward = [(self.layers[i], i > first) for i in range(len(self.layers) - 2, first - 1, -1)]
        per_row = max((layer.inference_values(a, b) for layer, a, b in self._steps()), default=0)
        #: Rows per chunk of inference (a grid, a split): no convolution's im2col passes PREDICT_BYTES
        #: (2,048 images through LeNet's first layer would make one of 236 MB).
        self.inference_chunk = max(1, min(2048, PREDICT_BYTES // (per_row * self.dtype.itemsize))) if per_row else (
            UNBOUNDED)  # fmt: skip
        self.initialize(seed)

    def _entry_end(self, i: int) -> int:
        j = i
        while (j + 1 < len(self.layers) and self.origin[j + 1] == self.origin[i] and self.layers[j + 1].drawn
               and j + 1 not in self.weighted):  # fmt: skip
            j += 1
        return j

    def _bind(self) -> None:
        """Every layer bound to its views of `params` and `grads`, and the kernels' and biases' views."""
        params, grads = self.layer_views(self.params), self.layer_views(self.grads)
        for i in self.param_layers:
            trainable = {k: v for k, v in grads[i].items() if k not in self.layers[i].non_trainable}
            self.layers[i].bind(params[i], trainable)
        self.kernels, self.biases = self.views(self.params)
        self.kernel_grads, self.bias_grads = self.views(self.grads)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickled (a model sent from the trainer's process, the walk's copy): a pickle copies
        each view apart from the buffer it viewed, so the layers are bound to `params` again."""
        self.__dict__.update(state)
        self._bind()

    def _section(self, i: int, name: str) -> int:
        """Which section of the flat buffer layer `i`'s parameter `name` lives in: 0 regularized,
        1 other trainable, 2 non-trainable."""
        layer = self.layers[i]
        return 0 if name in layer.regularized else 2 if name in layer.non_trainable else 1

    def _steps(self) -> list[tuple[Layer, tuple[int, ...], tuple[int, ...]]]:
        """(layer, its input shape, its output shape) along the stack."""
        return list(zip(self.layers, self.shapes, self.shapes[1:]))

    def layer_views(self, flat: np.ndarray) -> list[dict[str, np.ndarray]]:
        """Per stack layer, its arrays by name as views into a buffer laid out as `params` (or as
        its trainable part, `trainable_params`: then the non-trainable arrays are left out)."""
        out: list[dict[str, np.ndarray]] = [{} for _ in self.layers]
        for i, name, offset, shape in self._slots:
            end = offset + math.prod(shape)
            if end <= flat.size:
                out[i][name] = flat[offset:end].reshape(shape)
        return out

    def param_views(self, flat: np.ndarray) -> list[tuple[Layer, str, np.ndarray]]:
        """(layer, name, view) of every array in a buffer laid out as `params`, in Keras's order."""
        views = self.layer_views(flat)
        return [(self.layers[i], name, views[i][name]) for i, name, _o, _s in self._slots if name in views[i]]

    # ----------------------------------------------------------------- parameters
    def initialize(self, seed: int | np.random.Generator | None = 0) -> None:
        """Fresh parameters, each from its layer's `initial`: kernels from the initializer (seeded,
        drawn layer by layer in Keras's order, each only its own values, scaled by Keras's fans),
        biases constant, batch normalization's γ 1, β 0, moving mean 0 and moving variance 1."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        init = INITIALIZERS.get(self.initializer)
        for layer, name, view in self.param_views(self.params):
            view[...] = layer.initial(name, view.shape, rng, init, self.bias_init)

    def views(self, flat: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Each layer's kernel and bias as views into any buffer laid out as `params` (its
        gradient, an optimizer's moment, a direction through weight space)."""
        views = self.layer_views(flat)
        return [views[i]["kernel"] for i in self.weighted], [views[i]["bias"] for i in self.weighted]

    @property
    def kernel_params(self) -> np.ndarray:
        """Every kernel weight as one flat view (what L1/L2 and weight decay act on)."""
        return self.params[: self.n_kernel]

    @property
    def kernel_grad(self) -> np.ndarray:
        return self.grads[: self.n_kernel]

    @property
    def trainable_params(self) -> np.ndarray:
        """The entries an optimizer steps, as one flat view (params[:n_trainable])."""
        return self.params[: self.n_trainable]

    @property
    def trainable_grads(self) -> np.ndarray:
        return self.grads[: self.n_trainable]

    @property
    def n_layers(self) -> int:
        """Layers with a kernel, the output layer included (the neuron graph's layers)."""
        return len(self.weighted)

    @property
    def spatial(self) -> bool:
        """Whether a layer works on image maps (a convolution, pooling): then the exported graphs
        and scripts take images; otherwise they take rows as the data hold them."""
        return any(layer.takes == "image" and layer.gives == "image" for layer in self.layers)

    @property
    def exports_images(self) -> bool:
        """Whether exported graphs and scripts take images (N, H, W, C) rather than rows: a model
        on images does, unless the image's only use is a flatten added for the user before its
        first dense layer (a dense project on image data, whose exports have always taken rows)."""
        first = self.layers[0]
        added = first.takes == "image" and first.gives == "flat" and self.origin[0] is None
        return len(self.input_shape) == 3 and not added

    @property
    def stochastic(self) -> bool:
        """Whether a training pass draws random numbers (dropout)."""
        return any(layer.random_in_training() for layer in self.layers)

    def param_spans(self) -> list[tuple[int, int]]:
        """(offset, size) of each named array in the flat buffer, in Keras's order."""
        return [(offset, math.prod(shape)) for _i, _n, offset, shape in self._slots]

    def param_names(self) -> list[str]:
        """Names in Keras order: layers.0.kernel, layers.0.bias, layers.1.kernel, ..."""
        return [f"layers.{self.param_layers.index(i)}.{name}" for i, name, _o, _s in self._slots]

    def layer_weight_names(self) -> list[list[str]]:
        """Per layer with any parameter (layers.{k}), its arrays' names in Keras's order: what an
        exported script loads into each of its layers."""
        return [list(self.layers[i].param_shapes(self.shapes[i])) for i in self.param_layers]

    def _targets(self) -> list[np.ndarray]:
        views = self.layer_views(self.params)
        return [views[i][name] for i, name, _o, _s in self._slots]

    def get_weights(self) -> list[np.ndarray]:
        """Copies in Keras order [W1, b1, W2, b2, ...]."""
        return [t.copy() for t in self._targets()]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Load arrays in Keras order; every shape and value is checked before anything is written."""
        names, targets = self.param_names(), self._targets()
        if len(weights) != len(names):
            raise PlaygroundError(_("expected {count} weight arrays ({names}), got {count2}").format(
                                      count=len(names), names=', '.join(names), count2=len(weights)))
        arrays = []
        for name, target, value in zip(names, targets, weights):
            arr = np.asarray(value)
            if arr.shape != target.shape:
                raise PlaygroundError(_("{name} has shape {shape}, expected {target_shape}").format(
                                          name=name, shape=arr.shape, target_shape=target.shape))
            if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
                raise PlaygroundError(_("{name} must hold real numbers, got dtype {dtype}").format(
                                          name=name, dtype=arr.dtype))
            if not np.all(np.isfinite(arr)):
                raise PlaygroundError(_("{name} contains NaN or infinite values").format(name=name))
            arrays.append(arr)
        for target, arr in zip(targets, arrays):
            target[...] = arr

    def count_params(self) -> int:
        return int(self.params.size)

    def copy(self, dtype: Any = None) -> LayerStack:
        """An independent model with the same layers and weights (optionally recast)."""
        layers = [layer.clone() for layer in self.layers]
        net = LayerStack(self.input_shape, layers, dtype or self.dtype, self.initializer, self.bias_init, seed=0,
                         origin=self.origin, notes=self.notes, hidden=self.hidden)  # fmt: skip
        net.params[...] = self.params
        return net

    # ----------------------------------------------------------------- forward / backward
    def _rows(self, x: np.ndarray) -> np.ndarray:
        """Inputs as the first layer takes them: rows (N, features), laid out as images (N, H, W, C)
        or sequences (N, T, F) when the model starts on them; inputs of that shape are taken as
        they are."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim == 2 and x.shape[1] == self.n_inputs:
            return x.reshape(-1, *self.input_shape) if self._shaped else x
        if x.shape[1:] == self.input_shape:
            return x
        raise PlaygroundError(_("input has shape {shape}, expected (N, {n_inputs})").format(
                                  shape=x.shape, n_inputs=self.n_inputs))

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        """Output activations for a batch; each layer keeps what backward needs.

        In training mode, dropout keeps each unit with probability 1 − p and scales kept units by
        1/(1 − p) (inverted dropout), so inference needs no rescaling."""
        h = self._rows(x)
        for layer in self.layers:
            h = layer.forward(h, training, rng)
        return h

    def backward(self, grad_z_out: np.ndarray) -> None:
        """Fill `grads` from ∂J/∂z of the output layer (the chain rule, layer by layer down to
        the first layer with weights)."""
        g = self._output.backward_z(np.asarray(grad_z_out, dtype=self.dtype), self._output_input_grad)  # type: ignore[attr-defined]
        for layer, input_grad in self._backward:
            g = layer.backward(g, input_grad)

    def loss_and_grad(self, x: np.ndarray, y: np.ndarray, loss: Loss, regularizer: Regularizer | None = None,
                      training: bool = True, rng: np.random.Generator | None = None
                      ) -> tuple[float, float]:  # fmt: skip
        """One forward and backward pass. Returns (data loss J, objective J + penalty); `grads`
        then holds ∂(objective)/∂(params)."""
        out = self._output
        self.forward(x, training=training, rng=rng)
        data_loss, grad_z = loss.value_and_grad(out.z, out.a, y, out.act)  # type: ignore[attr-defined]
        self.backward(grad_z)
        objective = data_loss
        if regularizer is not None and regularizer.active:
            objective += regularizer.penalty(self.kernel_params)
            regularizer.add_gradient(self.kernel_params, self.kernel_grad)
        return data_loss, objective

    def objective(self, x: np.ndarray, y: np.ndarray, loss: Loss, regularizer: Regularizer | None = None,
                  training: bool = False, rng: np.random.Generator | None = None) -> float:  # fmt: skip
        """J + penalty without touching `grads` (what a numerical gradient differentiates)."""
        out = self._output
        self.forward(x, training=training, rng=rng)
        value = loss.value(out.z, out.a, y, out.act)  # type: ignore[attr-defined]
        if regularizer is not None:
            value += regularizer.penalty(self.kernel_params)
        return value

    def predict(self, x: np.ndarray, batch_size: int = 8192) -> np.ndarray:
        """Inference-mode outputs (dropout off), in chunks so a big grid or split stays small in memory."""
        x = np.asarray(x, dtype=self.dtype)
        batch = min(batch_size, self.inference_chunk)
        if x.shape[0] <= batch:
            return self.forward(x)
        return np.concatenate([self.forward(x[i : i + batch]) for i in range(0, x.shape[0], batch)])

    def neuron_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        """Each layer with weights' output (N, features), flattened, in inference mode, the output last."""
        if len(x) <= self.inference_chunk:
            self.forward(x)
            return self.neuron_outputs_cached()
        step = self.inference_chunk
        parts = [[o.copy() for o in self.neuron_outputs(x[i : i + step])] for i in range(0, len(x), step)]
        return [np.concatenate(layer) for layer in zip(*parts)]

    def neuron_outputs_cached(self) -> list[np.ndarray]:
        """The activations of each layer with weights from the last forward pass (before dropout):
        its project entry's output, after the batch normalization and activation its keys add."""
        n = self._output.a.shape[0]  # type: ignore[attr-defined]
        return [self.layers[j].a.reshape(n, -1) for j in self.shown]  # type: ignore[attr-defined]

    def pre_activations(self) -> list[np.ndarray]:
        """The z of each layer with weights from the last forward pass, the output's last."""
        return [self.layers[i].z for i in self.weighted]  # type: ignore[attr-defined]

    def layer_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        """Every layer's output for inputs `x` in inference mode, images unflattened: what the
        layer view draws."""
        h = self._rows(x)
        outs = []
        for layer in self.layers:
            h = layer.forward(h)
            outs.append(h)
        return outs

    def step_name(self, i: int) -> str:
        """Stack layer `i` in the walk's words (`engine.core.layers.step_name`): "layer 3", "output
        layer", "added flatten", "layer 3 (BatchNormalization)"."""
        return step_name(self.layers, self.origin, i)

    def min_batch(self) -> tuple[int, str]:
        """The fewest examples a training batch needs (batch normalization per unit needs two), and
        why, naming the layer; (1, "") when any batch does."""
        return batch_need(self.layers, self.origin, self.input_shape)

    def trace_example(self, x: np.ndarray, y: np.ndarray, loss: Loss) -> tuple[float, np.ndarray, list[LayerTrace]]:
        """One example (x: one row, y: its label) forward in inference mode and back, every layer's
        numbers kept by its own `trace` (worked out from its formula, apart from `backward`): the
        loss, the target shaped like the output, and the layers' traces input first."""
        from .losses import as_targets

        x = np.asarray(x, dtype=self.dtype).reshape(1, -1)
        if x.shape[1] != self.n_inputs:
            raise PlaygroundError(_("the network takes {n_inputs} inputs, got {shape}").format(
                                      n_inputs=self.n_inputs, shape=x.shape[1]))
        out = self._output
        self.forward(x)
        value, delta = loss.value_and_grad(out.z, out.a, y, out.act)  # type: ignore[attr-defined]
        target = as_targets(y, self.n_outputs, self.dtype)[0]
        upstream = _output_upstream(loss, out.act, out.z, out.a, target, delta[0])  # type: ignore[attr-defined]
        steps: list[LayerTrace] = []
        last = len(self.layers) - 1
        for i in range(last, -1, -1):
            weights = self.weighted.index(i) if i in self.weighted else None
            step = self.layers[i].trace(upstream, i, weights, delta[0] if i == last else None)
            steps.append(replace(step, name=self.step_name(i)))
            upstream = step.grad_input
        steps.reverse()
        return float(value), target, steps

    # ----------------------------------------------------------------- costs
    def macs(self) -> int:
        """Multiply-adds per example of a forward pass."""
        return sum(layer.macs(a, b) for layer, a, b in self._steps())

    def step_bytes(self, rows: int) -> tuple[int, list[int]]:
        """The peak of one training step on `rows` inputs, in bytes, and each layer's own share:
        what every layer keeps from the forward pass for backward, and the largest temporary of
        one of them (a convolution's col2im makes two matrices of its im2col's size). Checked
        before a batch is drawn, as `loss_and_grad` would otherwise die allocating it."""
        item = self.dtype.itemsize
        first = self._first
        values = [layer.step_values(a, b, i <= first, item) for i, (layer, a, b) in enumerate(self._steps())]
        peak = sum(c for c, _t in values) + max((t for _c, t in values), default=0.0)
        return int(rows * peak * item), [int(rows * (c + t) * item) for c, t in values]

    def step_memory(self, rows: int) -> tuple[int, str, int, str]:
        """(bytes one training step on `rows` inputs peaks at, the project layer that costs the
        most in the user's words, its bytes, what to change there): what the trainer's budget checks."""
        total, shares = self.step_bytes(rows)
        by_origin: dict[int | None, int] = {}
        for origin, share in zip(self.origin, shares):
            by_origin[origin] = by_origin.get(origin, 0) + share
        worst = max(by_origin, key=lambda o: by_origin[o])
        fix = _("narrower layers")
        if worst is None:
            words = _("the flatten layer added before the dense layers")
        elif worst == -1:
            words = _("the output layer")
        else:
            i = self.origin.index(worst)
            layer, inp, out = self.layers[i], self.shapes[i], self.shapes[i + 1]
            label = layer_label(self.hidden[worst]) if worst < len(self.hidden) else layer.name
            words = layer.memory_words(inp, out, _("layer {number} ({label})").format(number=worst + 1, label=label))
            fix = _(layer.memory_fix)
        return total, words, by_origin[worst], fix

    # ----------------------------------------------------------------- summary
    def summary(self, name: str = "model", measure: Callable[[str], float] | None = None) -> str:
        """Keras's table (a Sequential model lists no InputLayer): each layer, its output shape
        and parameter count, the totals and any layer added for the user; then each dense
        layer's weight shapes in Keras's and Ng's notation. `measure` counts a heading's columns in the
        font that shows it (`cells`: a terminal's), so columns line up under headings in any language."""
        measure = measure or cells
        counts: dict[str, int] = {}
        rows = []
        last = len(self.layers) - 1
        for i, (layer, inp, out) in enumerate(self._steps()):
            counts[layer.name] = counts.get(layer.name, 0) + 1
            label = layer.summary_name("output" if i == last else f"{layer.name}_{counts[layer.name]}")
            rows.append((label, str((None, *out)), layer.count_params(inp)))
        head = (_("Layer (type)"), _("Output Shape"), _("Param #"))  # Keras's words, in the user's language
        w0 = max(28, max(len(r[0]) for r in rows) + 2, math.ceil(measure(head[0])) + 2)
        w1 = max(16, max(len(r[1]) for r in rows) + 2, math.ceil(measure(head[1])) + 2)
        w2 = max(12, math.ceil(measure(head[2])) + 1)
        width = w0 + w1 + w2
        lines = [_('Model: "{name}"').format(name=name), "─" * width,
                 line_up([(head[0], w0, False), (head[1], w1, False), (head[2], w2, True)], measure),
                 "═" * width]  # fmt: skip
        lines += [f"{label:<{w0}}{shape:<{w1}}{n:>{w2},}" for label, shape, n in rows]
        item = self.dtype.itemsize
        total, trainable = self.count_params(), self.n_trainable
        fixed = total - trainable
        lines += ["═" * width,
                  _("Total params: {count} ({size})").format(count=f"{total:,}", size=_human_bytes(total * item)),
                  _("Trainable params: {count} ({size})").format(count=f"{trainable:,}",
                                                                 size=_human_bytes(trainable * item)),
                  _("Non-trainable params: {count} ({size})").format(count=f"{fixed:,}",
                                                                     size=_human_bytes(fixed * item))]  # fmt: skip
        lines += [_("Note: {note}").format(note=note) for note in self.notes]
        # Ng's W[l] for the dense layers, l counting every layer with weights (a convolution's are his too).
        dense = [(k + 1, w.shape) for k, (i, w) in enumerate(zip(self.weighted, self.kernels))
                 if self.layers[i].takes == "flat"]  # fmt: skip
        names = [f"dense_{k + 1}" for k in range(len(dense) - 1)] + ["output"]
        return "\n".join(lines + notation_block(names, [s for _l, s in dense], [number for number, _s in dense]))


def _output_upstream(loss: Loss, act: Activation, z: np.ndarray, a: np.ndarray, target: np.ndarray,
                     delta: np.ndarray) -> np.ndarray:  # fmt: skip
    """∂L/∂a at the output, for the chain-rule panel. A loss fused with its activation (binary
    cross-entropy on logits) gives δ = ∂L/∂z directly; there ∂L/∂a is δ / f′(z)."""
    try:
        return loss.grad_output(a, target[None, :])[0]
    except NotImplementedError:
        fprime = act.derivative(z, a)[0]
        return np.divide(delta, fprime, out=np.full_like(delta, np.nan), where=fprime != 0)


def notation_block(names: Sequence[str], shapes: Sequence[tuple[int, ...]],
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
    return ["", _("Weights: Keras's (in, out) kernel beside Ng's W[l], its transpose."), *rows, _(NOTE)]


def _human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} MB"


def build_model(input_shape: Sequence[int], hidden: Sequence[dict[str, Any]], n_outputs: int,
                output_activation: Any = "softmax", initializer: str = "glorot_uniform", bias_init: float = 0.0,
                dtype: Any = np.float64, seed: int | np.random.Generator | None = 0,
                sequence: bool = False) -> LayerStack:  # fmt: skip
    """The model of a project's layers on inputs of `input_shape`: (d,) for rows of features,
    (H, W) or (H, W, C) for images (a flatten is added before the first dense layer), or with
    `sequence` (T, F) for sequences (a (T, F) sequence is never taken for an (H, W) image). On
    images and sequences every layer's fit is checked from shapes first, so a misfit names its key."""
    shape = tuple(int(v) for v in input_shape)
    image = len(shape) > 1 and not sequence
    if sequence and len(shape) != 2:
        raise PlaygroundError(_("sequences are (steps, features), got {shape}").format(shape=shape))
    if image:
        shape = image_input(shape)
    if image or sequence:
        plan(shape, hidden, n_outputs, output_activation, sequence=sequence)
    layers, origin, notes = stack(hidden, n_outputs, output_activation, image=image, sequence=sequence)
    return LayerStack(shape, layers, dtype, initializer, bias_init, seed, origin=origin, notes=notes, hidden=hidden)
