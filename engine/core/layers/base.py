"""What a layer kind is, and the registry of kinds (`LAYERS`).

A layer kind is one class in one module: it declares the keys its project entry holds (type,
range, default, help), builds itself from that entry, gives its output shape and parameter count
from shapes alone, its labels, forward and backward side by side (the formula in the docstring),
its step of the backprop walk, and its export forms (ONNX nodes, PyTorch and Keras code). The
project validator, the field table, the layer stack, the summary, the exporters and the walk ask
the kind; none of them names one. `engine.core.layers` imports (registers) every kind.

An instance is one layer of one model: `bind` gives it views of its parameters and of their
gradients in the model's flat buffers, `forward` keeps what `backward` needs on the instance, and
`backward` writes the parameters' gradients into their views (no copies) and returns the input's.
Images keep Keras's axes (N, H, W, C) at every layer's door; the image layers lay their arrays out
as planes (C, H, W, N) in memory and pass views (`planes`, `images`), which NumPy works on in long
runs (see `planes`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from ..activations import Activation
from ..errors import PlaygroundError
from ..i18n import N_, _
from ..limits import MAX_UNITS  # noqa: F401  (the kinds and the neuron graph read it here)
from ..registry import Registry

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Key:
    """One setting of a layer kind's project entry: its type, range or choices, the default a file
    that leaves it out means, the words the app uses for it, and what changing it does."""

    name: str
    kind: str  # "integer", "number", "boolean", "choice" or "activation" (a registered one, maybe with parameters)
    label: str  # in the user's words: "neurons", "kernel size"
    default: Any = None
    required: bool = False  # a file must give it (no default)
    lo: float | None = None
    hi: float | None = None
    hi_open: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""
    shown: str = "{}"  # how the layer stack writes the value in its control: "k {}", "{} filters"
    #: False for a key added to a kind after files without it were written (a dense layer's
    #: batch_norm): a project leaves it out while it holds its default, so those files read and
    #: save as they always have (and older versions still open them).
    written_at_default: bool = True


@dataclass(frozen=True)
class LayerTrace:
    """One layer's numbers for one example in the backprop walk (no batch axis): what it received,
    what it gave, the gradient reaching its output and the one it passes down. Layers with weights
    add z, f′(z) (or the softmax's Jacobian), δ = ∂L/∂z and their weights' gradients."""

    kind: str  # the layer kind's name ("dense", "conv2d", ...)
    index: int  # its place in the model's stack
    inputs: np.ndarray  # a⁽ˡ⁻¹⁾: what the layer receives (the features for the first layer)
    a: np.ndarray  # its output
    upstream: np.ndarray  # ∂L/∂a: the gradient reaching its output
    grad_input: np.ndarray | None = None  # ∂L/∂inputs: what it passes down (None below the first weights)
    z: np.ndarray | None = None
    fprime: np.ndarray | None = None  # f′(z) where f acts elementwise; None for softmax (a Jacobian)
    delta: np.ndarray | None = None  # ∂L/∂z
    grad_kernel: np.ndarray | None = None
    grad_bias: np.ndarray | None = None
    jacobian: np.ndarray | None = None  # softmax: J = diag(s) − s sᵀ, J[k, j] = ∂s_k/∂z_j; δ = Jᵀ·upstream
    routing: np.ndarray | None = None  # max pooling: per output, the window offset (row-major) that took δ
    weights: int | None = None  # the index among the layers with a kernel (the model's `kernels`)
    name: str = ""  # in the walk's words: "layer 2", "output layer", "added flatten"
    activation: str = ""  # its activation's name, for layers with one
    #: Its other parameters' gradients by name (batch normalization's gamma and beta).
    param_grads: dict[str, np.ndarray] | None = None
    #: A recurrent layer's values at every step for this example, (T, U) each: the state "h", each
    #: gate by its name, an LSTM's cell "c", and "grad_h", the whole ∂L/∂h_t reaching step t.
    states: dict[str, np.ndarray] | None = None

    def gradients(self) -> dict[str, np.ndarray]:
        """Every trainable parameter's gradient by name: kernel, bias and any other."""
        out = {} if self.grad_kernel is None else {"kernel": self.grad_kernel}
        if self.grad_bias is not None:
            out["bias"] = self.grad_bias
        return out | (self.param_grads or {})


@dataclass(frozen=True)
class Derivation:
    """The chain rule for one parameter, its numbers filled in, as the walk's panel shows it."""

    head: str  # "∂L/∂w from x1 to unit 2 of layer 1"
    formula: str  # "a_prev · f′(z) · ∂L/∂a"
    numbers: str  # "0.3 × 0.2 × 0.5 = 0.03"
    details: list[str]  # one line per factor or term
    analytic: float  # the gradient the trace holds


class Layer:
    """Base of every layer kind (see the module's docstring)."""

    #: The kind's name: the project's "type" and the registry's key.
    name: ClassVar[str] = ""
    #: Keras's class name, for the summary and the layer stack.
    keras: ClassVar[str] = ""
    #: What it does, a line for the app's menus and tooltips.
    help: ClassVar[str] = ""
    #: Its forward and backward maths, for the docs and the walk.
    formula: ClassVar[str] = ""
    #: The keys of its project entry besides "type", in the order a file stores them.
    keys: ClassVar[tuple[Key, ...]] = ()
    #: The layer stack's settings for a layer the user adds (may differ from a file's defaults).
    new: ClassVar[dict[str, Any]] = {}
    #: The input it needs ("image": (H, W, C), "sequence": (T, F), "flat": a vector, "any") and
    #: what it gives ("image", "sequence", "flat", or "same" as its input; `gives_for` says it
    #: for a kind whose output depends on its settings).
    takes: ClassVar[str] = "any"
    gives: ClassVar[str] = "same"
    #: False for a kind another kind's key makes (dropout, from a dense layer's "dropout"): it has
    #: no project "type" of its own and the layer stack does not offer it.
    written: ClassVar[bool] = True
    #: Whether it may be the output layer (z, a and an activation the loss can fuse with).
    can_output: ClassVar[bool] = False
    #: Whether the walk draws it (dropout passes its input unchanged at inference).
    drawn: ClassVar[bool] = True
    #: Whether the layer stack draws its output for the picked image (not when it holds the same
    #: values as the layer before: dropout at inference, a flatten's vector of the maps above).
    pictured: ClassVar[bool] = True
    #: What the layer stack says beside its output shape, for a layer the user does not edit.
    note: ClassVar[str] = ""
    #: What to change when a training step through this layer is too big for the memory budget.
    memory_fix: ClassVar[str] = N_("narrower layers")
    #: What the walk says at its forward and backward steps ("{act}": its activation).
    forward_words: ClassVar[str] = ""
    backward_words: ClassVar[str] = ""
    #: Source of the torch.nn modules its torch lines use beyond torch's own, written once into an
    #: exported PyTorch script that holds a layer of this kind.
    torch_helpers: ClassVar[str] = ""

    #: Its parameters that L1/L2 and weight decay act on (the first section of the model's flat
    #: buffer, params[:n_kernel]); a recurrent layer says ("kernel", "recurrent_kernel").
    regularized: ClassVar[tuple[str, ...]] = ("kernel",)
    #: Its parameters no optimizer steps and no gradient reaches (batch normalization's moving
    #: statistics): in weight files and get/set_weights, at the end of the flat buffer.
    non_trainable: ClassVar[tuple[str, ...]] = ()

    act: Activation | None = None  # set by kinds with an activation

    # ----------------------------------------------------------------- from a project entry
    @classmethod
    def build(cls, entry: dict[str, Any]) -> list[Layer]:
        """The layer objects a project entry makes: one, by default (its keys' defaults where it
        is silent)."""
        return [cls(**cls.settings(entry))]

    @classmethod
    def settings(cls, entry: dict[str, Any]) -> dict[str, Any]:
        """The entry's value of every key, defaults filled in; a missing required key is named."""
        missing = [k.name for k in cls.keys if k.required and k.name not in entry]
        if missing:
            raise PlaygroundError(_("a {name} layer needs {missing}, got {entry!r}").format(
                                      name=cls.name, missing=' and '.join(missing), entry=entry))
        return {k.name: entry.get(k.name, k.default) for k in cls.keys}

    @classmethod
    def gives_for(cls, entry: dict[str, Any]) -> str:
        """What a layer of this entry gives (a recurrent layer: "sequence" with return_sequences,
        else "flat"); `gives` for most kinds."""
        return cls.gives

    @classmethod
    def label(cls, entry: dict[str, Any]) -> str:
        """The entry in a few characters, for run summaries, the CLI and link notes."""
        return cls.name

    @classmethod
    def neurons(cls, entry: dict[str, Any]) -> int:
        """What a lesson's neuron budget counts of this entry (a filter is a unit too)."""
        return 0

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """What a file that leaves each optional key out means."""
        return {k.name: k.default for k in cls.keys if not k.required}

    def clone(self) -> Layer:
        """The same layer, unbound (for another model)."""
        return replace(self)  # type: ignore[type-var]

    # ----------------------------------------------------------------- shapes alone
    def param_shapes(self, inp: Shape) -> dict[str, Shape]:
        """The shapes of its parameters for inputs of shape `inp`, by name in Keras's weight order
        ("kernel", "bias"; "gamma", "beta", "moving_mean", "moving_variance")."""
        return {}

    def initial(self, name: str, shape: Shape, rng: np.random.Generator, kernel_init: Callable[..., np.ndarray],
                bias_init: float) -> np.ndarray:  # fmt: skip
        """The starting value of its parameter `name`: a regularized one (a kernel) drawn by the
        model's initializer, any other the constant `bias_init`. The model asks in Keras's order,
        layer by layer, so the draws follow one another as Keras's do."""
        if name in self.regularized:
            return kernel_init(shape, rng)
        return np.full(shape, bias_init)

    def output_shape(self, inp: Shape) -> Shape:
        return inp

    def check_fits(self, inp: Shape) -> None:
        """Raise a PlaygroundError naming the key that does not fit `inp` ("kernel_size 9 is
        larger than its 4×4 input"); the caller adds the layer's place."""

    def count_params(self, inp: Shape) -> int:
        return sum(math.prod(s) for s in self.param_shapes(inp).values())

    def macs(self, inp: Shape, out: Shape) -> int:
        """Multiply-adds per example of its forward pass (what a grid of points costs)."""
        return 0

    def step_values(self, inp: Shape, out: Shape, first: bool, item: int) -> tuple[float, float]:
        """Values per example a training step keeps from its forward pass for backward, and the
        largest temporary it makes (`first`: it is the first layer, whose input needs no gradient;
        `item`: bytes a value, for parts kept in smaller types)."""
        return 0.0, 0.0

    def inference_values(self, inp: Shape, out: Shape) -> int:
        """The largest temporary of its forward pass, values per example (bounds inference chunks)."""
        return 0

    def min_batch(self, inp: Shape) -> tuple[int, str]:
        """The fewest examples a training batch needs through it on inputs `inp`, and why in the
        user's words with {layer} where the layer's name goes (batch normalization per unit needs two);
        (1, "") for most kinds."""
        return 1, ""

    def memory_words(self, inp: Shape, out: Shape, layer: str) -> str:
        """The layer (`layer`: "layer 2 (conv2d)") and why a training step through it is big, for
        the budget's message: one phrase, so a language orders it its own way."""
        return layer

    def title(self) -> str:
        """Its name in the layer stack when the stack shows it without controls: "Dropout 0.2"."""
        return self.keras

    def random_in_training(self) -> bool:
        """Whether its training pass draws random numbers (dropout's masks)."""
        return False

    def summary_name(self, prefix: str) -> str:
        """Its row in the model summary, after its name (`prefix`: "dense_1", "output"):
        "dense_1 (Dense, relu)"."""
        act = f", {self.act.name}" if self.act is not None else ""
        return f"{prefix} ({self.keras}{act})"

    # ----------------------------------------------------------------- maths
    def bind(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Views of its parameters and of their gradients in the model's flat buffers (`grads`
        holds its trainable parameters only: nothing differentiates a moving statistic)."""

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        """Its output for a batch `x`; keeps what `backward` needs."""
        raise NotImplementedError

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """From ∂L/∂(its output) of the last forward pass: its parameters' gradients written into
        their views, and ∂L/∂(its input) returned (None when `input_grad` is False). May change
        `grad` in place."""
        raise NotImplementedError

    # ----------------------------------------------------------------- the backprop walk
    def trace(self, upstream: np.ndarray, index: int, weights: int | None,
              delta: np.ndarray | None = None) -> LayerTrace:  # fmt: skip
        """Its step of the walk for the example of the last forward pass (a batch of one, in
        inference mode), each number kept and worked out from the formula, separately from
        `backward`. `upstream` is ∂L/∂(its output); the output layer gets δ = ∂L/∂z fused with
        the loss as `delta`."""
        raise NotImplementedError

    def explain(self, step: LayerTrace, row: Any, column: int, where: dict[str, str]) -> Derivation | None:
        """The chain rule for one of its parameters (row None: the bias of unit or filter
        `column`), in the walk's words (`where`: "unit", "source", "upstream" names)."""
        return None

    @classmethod
    def table_lines(cls, step: LayerTrace, vec: Callable[[np.ndarray], str]) -> list[str]:
        """Its block of the walk's table (`nn-playground backprop`), `vec` writing a vector; []
        where the table's own blocks fit it (dense, convolution, pooling, flatten)."""
        return []

    @classmethod
    def routing_words(cls, step: LayerTrace, channel: int) -> list[str]:
        """What the walk's panel says of one of its output maps (layers without weights), from
        the step's numbers alone: a headline, then the first windows' numbers."""
        return []

    # ----------------------------------------------------------------- exports
    def onnx(self, graph: OnnxGraph, src: str, out: str, inp: Shape, shape: Shape) -> str:
        """Add its ONNX nodes reading tensor `src`; returns the name of its output (`out`, or
        `src` when it adds nothing)."""
        raise NotImplementedError

    def torch(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        """Its torch.nn modules, one a line."""
        raise NotImplementedError

    def keras_code(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        """Its keras.layers, one a line (layers with weights named by `code.weight_name()`)."""
        raise NotImplementedError


class LayerRegistry(Registry[type[Layer]]):
    """The layer kinds, with the one an entry without "type" is (dense)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.default = ""

    def register_kind(self, default: bool = False) -> Callable[[type[Layer]], type[Layer]]:
        """Decorator: register a Layer subclass under its `name`."""

        def deco(cls: type[Layer]) -> type[Layer]:
            self.register(cls.name, cls.keras or None)(cls)  # shown by its Keras class name: "Conv2D"
            if default:
                self.default = cls.name
            return cls

        return deco

    def written(self) -> list[str]:
        """The kinds a project file may name as a "type", in registration order."""
        return [n for n in self.names() if self.get(n).written]


LAYERS = LayerRegistry(N_("layer type"))


def kind_of(entry: dict[str, Any]) -> type[Layer]:
    """The kind of a project layer entry (one without a "type" is the default kind, dense)."""
    return LAYERS.get(entry.get("type", LAYERS.default))


# ----------------------------------------------------------------- helpers the kinds share
def window_pads(size: int, k: int, s: int, padding: str) -> tuple[int, int, int]:
    """(output size, pad before, pad after) along one axis, as TensorFlow and Keras compute them."""
    if padding == "valid":
        if size < k:
            raise PlaygroundError(_("a {k}-wide window does not fit a {size}-wide input").format(k=k, size=size))
        return (size - k) // s + 1, 0, 0
    out = math.ceil(size / s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def whole(value: Any, name: str, lo: int = 1) -> int:
    """`value` as a whole number >= lo, or a PlaygroundError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise PlaygroundError(_("{name} must be a whole number >= {lo}, got {value!r}").format(
                                  name=name, lo=lo, value=value))
    return int(value)


def needs_image(inp: Shape, what: str) -> None:
    if len(inp) != 3:
        raise PlaygroundError(_("{what} needs image input (H, W, C), got {inp}").format(what=_(what), inp=inp))


def planes(x: np.ndarray) -> np.ndarray:
    """Images (N, H, W, C) as planes (C, H, W, N), the batch innermost in memory: a window's shift
    then moves whole runs of N values, so im2col, col2im and pooling are long strided copies and
    adds, not runs of C. A view when `x` already lies so (what `images` of planes gives), one copy
    otherwise."""
    t = x.transpose(3, 1, 2, 0)
    return t if t.flags.c_contiguous else np.ascontiguousarray(t)


def images(p: np.ndarray) -> np.ndarray:
    """Planes (C, H, W, N) seen as images (N, H, W, C), a view: what a layer returns, so every
    caller sees Keras's channels-last axes whatever the memory layout."""
    return p.transpose(3, 1, 2, 0)


def shape_text(shape: Shape) -> str:
    return "×".join(map(str, shape))


class OnnxGraph:
    """The ONNX graph an export builds, layer by layer: nodes, initializers, the layout of the
    tensor between layers ("flat", "nhwc" as the data, or "nchw" as ONNX's Conv wants) and the
    count of layers with weights (their initializers are named layers.{k}.kernel and .bias)."""

    def __init__(self, helper: Any, numpy_helper: Any, layout: str) -> None:
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.layout = layout
        self.weighted = 0

    def node(self, op: str, inputs: list[str], outputs: list[str], **attrs: Any) -> None:
        self.nodes.append(self.helper.make_node(op, inputs, outputs, **attrs))

    def weights(self, kernel: np.ndarray, bias: np.ndarray) -> str:
        """Add a layer's kernel and bias (float32); returns their prefix, layers.{k}."""
        return self.named_weights({"kernel": kernel, "bias": bias})

    def named_weights(self, arrays: dict[str, np.ndarray]) -> str:
        """Add a layer's arrays (float32) as initializers layers.{k}.{name}; returns layers.{k}.
        Every layer with parameters calls this (or `weights`) once, so k is its weight files' k."""
        name = f"layers.{self.weighted}"
        self.weighted += 1
        for part, values in arrays.items():
            array = np.ascontiguousarray(values, dtype=np.float32)
            self.inits.append(self.numpy_helper.from_array(array, f"{name}.{part}"))
        return name

    def activation(self, act: Activation, src: str, out: str) -> None:
        attrs: dict[str, Any] = {k: float(v) for k, v in act.params().items()}
        if not act.elementwise:  # softmax: over the row of units
            attrs["axis"] = -1
        self.node(act.onnx, [src], [out], **attrs)

    def nchw(self, src: str) -> str:
        """`src` in ONNX's channels-first layout (one Transpose when it is channels-last)."""
        if self.layout == "nhwc":
            self.node("Transpose", [src], [f"{src}.nchw"], perm=[0, 3, 1, 2])
            src, self.layout = f"{src}.nchw", "nchw"
        return src

    def nhwc(self, src: str) -> str:
        """`src` channels-last again (Keras's order, which the dense kernels after a flatten expect)."""
        if self.layout == "nchw":
            self.node("Transpose", [src], [f"{src}.nhwc"], perm=[0, 2, 3, 1])
            src, self.layout = f"{src}.nhwc", "nhwc"
        return src


#: How an exported torch script fills one tensor of a module: (the playground's array, its axes in
#: torch's order), and for a recurrent layer two more, (its gate blocks in torch's order along the
#: first axis or None, the row of the array to take first or None); array None: zeros.
TorchTensor = tuple[Any, ...]


class CodeContext:
    """What the code exporters track between layers: whether the tensor is still an image (the
    scripts feed images to a model with convolutions or pooling, flat rows otherwise) and the
    count of layers with parameters (named layer_0, layer_1, ... in Keras; each layer with
    parameters calls `weight_name` and `holder` once, so k is its weight files' layers.{k})."""

    def __init__(self, image: bool) -> None:
        self.image = image
        self.weighted = 0
        self.modules = 0  # torch modules before the layer being written
        #: torch, per layer with parameters: (module index, {torch attribute: (the playground's array, its axes
        #: in torch's order)}).
        self.holders: list[tuple[int, dict[str, TorchTensor]]] = []

    def holder(self, offset: int, line: str, axes: tuple[int, ...] = (),
               tensors: dict[str, TorchTensor] | None = None) -> str:  # fmt: skip
        """`line`, the torch module that holds a layer's parameters, `offset` lines into the layer's
        own. By default it holds a kernel (`axes` turn it into torch's weight) and a bias; `tensors`
        says otherwise, torch attribute → (array name, axes[, gate order, row]) (the script loads them so)."""
        if tensors is None:
            tensors = {"weight": ("kernel", tuple(axes)), "bias": ("bias", (0,))}
        self.holders.append((self.modules + offset, tensors))
        return line

    def weight_name(self) -> str:
        name = f"layer_{self.weighted}"
        self.weighted += 1
        return name

    @staticmethod
    def torch_activation(act: Activation) -> list[str]:
        return [f"{act.torch.format(**act.params())},"] if act.torch is not None else []

    @staticmethod
    def keras_activation(act: Activation) -> tuple[str, list[str]]:
        """(Keras's activation= name, the layer that follows a linear one, if any)."""
        name, extra = act.keras
        return name, ([f"{extra.format(**act.params())},"] if extra is not None else [])
