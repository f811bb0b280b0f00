"""ONNX models in: the graph walked from its input to its output as one stack of layers, as
PyTorch's exporter, Keras's and the playground's own write them.

Layouts are followed along the way: an input of rank 4 is NCHW (PyTorch) unless a Transpose to
NCHW comes first (NHWC: Keras and the playground); Conv kernels (out, in, kh, kw) become Keras's
(kh, kw, in, out); a Flatten of a channels-first tensor is PyTorch's C, H, W order, so the next
dense kernel's rows are reordered to Keras's H, W, C (a Transpose back to NHWC before it, as
Keras's and the playground's exports write, needs nothing). Gemm (transB) and MatMul + Add are
dense layers; LSTM, GRU and RNN nodes (forward, time-major, their last state Y_h or every step Y)
are recurrent layers with their gate blocks put in Keras's order. An operator the engine has no
layer for is refused by its node's name and type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import N_, _
from ..core.layers import LAYERS
from ..core.layers.base import window_pads
from ..core.layers.recurrent import ONNX_RECURRENT
from .result import Builder, Imported, activation_spec

ONNX_IMPORT_HINT = N_("importing ONNX models needs the onnx package: pip install 'nn-playground[import]'")
MAX_MODEL_BYTES = 1024**3

#: ONNX's elementwise activations and the playground's names.
ACTIVATIONS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softplus", "Elu": "elu",
               "LeakyRelu": "leaky_relu"}  # fmt: skip
#: Operators that pass their input on at inference (a Cast to float or double too).
PASS = ("Identity", "Dropout", "Cast")
FLOATS = (1, 11)  # ONNX's FLOAT and DOUBLE
#: Elementwise arithmetic with a constant: a dense or conv layer's bias (MatMul or Conv, then Add),
#: the fitted normalisation before the first layer, and elsewhere a per-feature affine map (Keras's
#: export writes batch normalization as Sub, Mul, Add), read as batch normalization.
ARITHMETIC = ("Sub", "Mul", "Add", "Div")
RECURRENT = {"RNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}
_FROM_ONNX = {v: k for k, v in ONNX_RECURRENT.items()}


def _attrs(node: Any) -> dict[str, Any]:
    """A node's attributes; floats (stored as float32) as the shortest decimal that reads back
    to them, so epsilon 1e-3 comes back 0.001, not 0.0010000000474974513."""
    from onnx import helper

    out = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    return {k: float(str(np.float32(v))) if isinstance(v, float) else v for k, v in out.items()}


def _words(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(_words(v) for v in value) + "]"
    return str(value) if not hasattr(value, "dims") else "a tensor"


def _named(node: Any, index: int) -> str:
    return f"node {node.name!r}" if node.name else f"node {index + 1} ({node.op_type})"


class _Walk:
    """One pass along the graph: `current` is the tensor reaching the next node, `layout` how it
    is laid out (flat, nchw, nhwc, ntf: batch-first sequences, tnf: time-major ones)."""

    def __init__(self, model: Any) -> None:
        from onnx import numpy_helper

        graph = model.graph
        self.nodes = list(graph.node)
        self.consts: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        for node in self.nodes:
            if node.op_type == "Constant":
                value = _attrs(node).get("value")
                if value is not None and hasattr(value, "dims"):
                    self.consts[node.output[0]] = numpy_helper.to_array(value)
            elif node.op_type == "Identity" and node.input[0] in self.consts:  # a weight shared by name
                self.consts[node.output[0]] = self.consts[node.input[0]]
        inputs = [i for i in graph.input if i.name not in self.consts]
        if len(inputs) != 1 or not graph.output:
            raise PlaygroundError(_("the graph has {count} inputs and {count2} outputs: the playground imports a "
                                    "network with one input and one output").format(
                                      count=len(inputs), count2=len(graph.output)))  # fmt: skip
        self.input = inputs[0]
        self.output = graph.output[0].name
        self.current = self.input.name
        self.done: set[int] = set()
        dims = [d.dim_value if d.HasField("dim_value") else None for d in self.input.type.tensor_type.shape.dim]
        self.dims = dims
        self.builder: Builder | None = None
        self.layout = {2: "flat", 3: "ntf", 4: "nchw"}.get(len(dims), "")
        if not self.layout or any(d is None or d < 1 for d in dims[1:]):
            raise PlaygroundError(_("the graph's input {name!r} has shape {dims}: the playground imports inputs (N, "
                                    "features), (N, C, H, W) or (N, H, W, C), and (N, steps, features), with every "
                                    "size but N fixed").format(name=self.input.name, dims=_words(dims)))  # fmt: skip
        self.normalised = False
        self.bias_open = False  # the last dense or conv layer had no bias: an Add of a constant is it
        self.affine: tuple[np.ndarray, np.ndarray, str] | None = None  # scale, shift, the first node's name
        self.input_layout = self.layout  # an image input: NCHW unless a Transpose to NCHW comes first

    # ----------------------------------------------------------------- the chain
    def consumers(self, name: str) -> list[int]:
        return [i for i, n in enumerate(self.nodes) if name in n.input and n.op_type not in ("Shape", "Constant")
                and not (n.op_type == "Identity" and n.input[0] in self.consts)]  # fmt: skip

    def next_node(self) -> tuple[int, Any] | None:
        found = [i for i in self.consumers(self.current) if i not in self.done]
        if not found:
            return None
        if len(found) > 1:
            names = ", ".join(f"{self.nodes[i].name or self.nodes[i].op_type}" for i in found)
            raise PlaygroundError(_("the graph branches at {current!r} (into {names}): the playground's networks "
                                    "are one stack of layers").format(
                                      current=self.current, names=names))  # fmt: skip
        self.done.add(found[0])
        return found[0], self.nodes[found[0]]

    def const(self, name: str, where: str) -> np.ndarray:
        if name not in self.consts:
            raise PlaygroundError(_("{where} takes {name!r}, which is computed in the graph: the playground imports "
                                    "weights stored in the file").format(where=where, name=name))  # fmt: skip
        return self.consts[name]

    def follow(self, index: int, node: Any, slot: int = 0) -> None:
        self.current = node.output[slot]

    def b(self) -> Builder:
        """The builder, made at the first layer (the input's shape is known for sure by then)."""
        if self.builder is None:
            d = self.dims
            if self.layout == "flat":
                self.builder = Builder("ONNX", (d[1],))
            elif self.layout in ("nchw", "nhwc") and len(d) == 4:
                nchw = self.input_layout == "nchw"
                self.builder = Builder("ONNX", (d[2], d[3], d[1]) if nchw else (d[1], d[2], d[3]))
            elif self.layout in ("ntf", "tnf"):  # dims are batch-first: (N, T, F)
                self.builder = Builder("ONNX", (d[1], d[2]), sequence=True)
            else:
                raise PlaygroundError(_("the input {name!r} of shape {d} does not reach a layer the playground has")
                                        .format(name=self.input.name, d=_words(d)))  # fmt: skip
        return self.builder

    # ----------------------------------------------------------------- the walk
    def run(self) -> Builder:
        while self.current != self.output:
            step = self.next_node()
            if step is None:
                raise PlaygroundError(_("nothing in the graph takes {current!r}, and it is not the output {output!r}")
                                        .format(current=self.current, output=self.output))  # fmt: skip
            self.handle(*step)
        self.flush()
        builder = self.b()
        rest = [n for i, n in enumerate(self.nodes) if i not in self.done and n.op_type not in ("Constant", "Shape")
                and any(o in n.input for o in self._chain_outputs())]  # fmt: skip
        if rest:
            raise PlaygroundError(_("node {name!r} ({op_type}) is off the network's one stack of layers").format(
                                      name=rest[0].name, op_type=rest[0].op_type))
        return builder

    def _chain_outputs(self) -> set[str]:
        return {o for i in self.done for o in self.nodes[i].output}

    def handle(self, index: int, node: Any) -> None:
        op, where, attrs = node.op_type, _named(node, index), _attrs(node)
        if op not in PASS and not (op in ARITHMETIC and self.builder is not None):
            self.flush()
        if op not in (*PASS, *ARITHMETIC, "Transpose"):
            self.bias_open = False  # a layer's bias comes before the next layer
        if op == "Cast" and attrs.get("to") not in FLOATS:
            raise PlaygroundError(_("{where} is Cast to ONNX type {value}: the playground computes in floating "
                                    "point only").format(where=where, value=attrs.get('to')))  # fmt: skip
        if op in PASS:
            if op == "Dropout" and len(node.input) > 1 and node.input[1] in self.consts and self.builder:
                self.b().dropout(float(self.consts[node.input[1]]), where)
            elif op == "Dropout" and self.builder and attrs.get("ratio"):
                self.b().dropout(float(attrs["ratio"]), where)
            self.follow(index, node)
        elif op == "Transpose":
            self.transpose(node, where, attrs)
        elif op in ARITHMETIC and self.builder is None:
            self.normalisation(node, where)
        elif op in ARITHMETIC:
            self.arithmetic(node, where)
        elif op == "MatMul":
            self.matmul(index, node, where)
        elif op == "Gemm":
            self.gemm(node, where, attrs)
        elif op == "Conv":
            self.conv(node, where, attrs)
        elif op in ("MaxPool", "AveragePool"):
            self.pool(node, where, attrs)
        elif op in ("Flatten", "Reshape"):
            self.reshape(node, where, attrs)
        elif op == "BatchNormalization":
            self.batch_norm(node, where, attrs)
        elif op in ACTIVATIONS:
            alpha = attrs.get("alpha")
            if op == "Elu" and alpha is None:
                alpha = 1.0
            if op == "LeakyRelu" and alpha is None:
                alpha = 0.01
            self.b().activation(activation_spec(ACTIVATIONS[op], f"{where} ({op})", alpha), where)
            self.follow(index, node)
        elif op == "Softmax":
            if self.layout != "flat" or attrs.get("axis", -1) not in (-1, 1):
                raise PlaygroundError(_("{where} is Softmax over axis {value} of a {layout} tensor: the "
                                        "playground's softmax is over a dense layer's units").format(
                                          where=where, value=attrs.get('axis', -1), layout=self.layout))  # fmt: skip
            self.b().activation("softmax", where)
            self.follow(index, node)
        elif op in RECURRENT:
            self.recurrent(node, where, attrs)
        elif op == "Gather" and self.builder is not None:
            self.last_step(node, where, attrs)
        else:
            said = ", ".join(f"{k} {_words(v)}" for k, v in attrs.items())
            if said:
                raise PlaygroundError(_("{where} is {op} with {attributes}: the playground has no such layer").format(
                                          where=where, op=op, attributes=said))
            raise PlaygroundError(_("{where} is {op}: the playground has no such layer").format(where=where, op=op))

    def transpose(self, node: Any, where: str, attrs: dict[str, Any]) -> None:
        perm = list(attrs.get("perm", []))
        moves = {("nhwc", (0, 3, 1, 2)): "nchw", ("nchw", (0, 2, 3, 1)): "nhwc", ("ntf", (1, 0, 2)): "tnf",
                 ("tnf", (1, 0, 2)): "ntf"}  # fmt: skip
        if self.builder is None and self.layout == "nchw" and tuple(perm) == (0, 3, 1, 2):
            self.layout = self.input_layout = "nhwc"  # the input was NHWC all along (Keras, the playground)
        key = (self.layout, tuple(perm))
        if key not in moves:
            raise PlaygroundError(_("{where} is Transpose with perm {perm} of a {layout} tensor: the playground "
                                    "moves channels first or last and steps first or last only").format(
                                      where=where, perm=perm, layout=self.layout))  # fmt: skip
        self.layout = moves[key]
        self.current = node.output[0]

    def normalisation(self, node: Any, where: str) -> None:
        """The playground's export subtracts and divides by the fitted normalisation first: left to
        the project's data.normalize (said in a note)."""
        other = [i for i in node.input if i != self.current]
        if len(other) != 1 or other[0] not in self.consts:
            raise PlaygroundError(_("{where} is {op_type} of two computed tensors: the playground has no such layer")
                                    .format(where=where, op_type=node.op_type))  # fmt: skip
        self.normalised = True
        self.current = node.output[0]

    def arithmetic(self, node: Any, where: str) -> None:
        """x − c, x·c, x + c or x / c with c a constant per feature (or one for all): a pending
        bias, or a step of an affine map x·scale + shift kept until the next other node."""
        other = [i for i in node.input if i != self.current]
        if len(other) != 1 or other[0] not in self.consts or (node.op_type in ("Sub", "Div")
                                                                and node.input[0] != self.current):  # fmt: skip
            raise PlaygroundError(_("{where} is {op_type} of computed tensors: the playground has no such layer")
                                    .format(where=where, op_type=node.op_type))
        features = self.b().shape[-1]
        c = self.consts[other[0]].astype(np.float64)
        if self.layout == "nchw" and c.ndim >= 3:
            c = np.moveaxis(c.reshape(c.shape[-3:]), 0, -1)  # (C, 1, 1) → (1, 1, C)
        c = c.reshape(-1)
        if c.size not in (1, features):
            raise PlaygroundError(_("{where} is {op_type} by {size} values, not one per feature ({features}): the "
                                    "playground has no such layer").format(
                                      where=where, op_type=node.op_type, size=c.size, features=features))  # fmt: skip
        c = np.broadcast_to(c, (features,))
        self.current = node.output[0]
        if node.op_type == "Add" and self.bias_open and self.affine is None:
            self.b().set_bias(c, where)
            self.bias_open = False
            return
        scale, shift, first = self.affine or (np.ones(features), np.zeros(features), where)
        if node.op_type == "Sub":
            shift = shift - c
        elif node.op_type == "Add":
            shift = shift + c
        elif node.op_type == "Mul":
            scale, shift = scale * c, shift * c
        else:
            scale, shift = scale / c, shift / c
        self.affine = (scale, shift, first)

    def flush(self) -> None:
        """An affine map x·scale + shift as batch normalization's inference form: γ = scale,
        β = shift, moving mean 0 and moving variance 1 − ε (so √(σ² + ε) = 1)."""
        if self.affine is None:
            return
        scale, shift, first = self.affine
        self.affine = None
        eps = 1e-3
        self.b().batch_norm(scale, shift, np.zeros_like(scale), np.full_like(scale, 1 - eps), eps, 0.99, first)
        self.b().notes.append(_("{first}: a per-feature affine map (batch normalization at inference, as Keras's "
                                "export writes it) read as batch normalization: γ and β hold it, with moving mean 0 "
                                "and variance 1 − ε").format(first=first))  # fmt: skip

    def matmul(self, index: int, node: Any, where: str) -> None:
        kernel = self.const(node.input[1], where)
        if self.layout in ("ntf", "tnf"):
            raise PlaygroundError(_("{where} is MatMul on a sequence: a recurrent layer written out step by step "
                                    "(Keras's ONNX export unrolls them so); import the .keras file instead").format(
                                      where=where))  # fmt: skip
        if kernel.ndim != 2 or self.layout != "flat":
            raise PlaygroundError(_("{where} is MatMul by a {ndim}-D array on a {layout} tensor: the playground's "
                                    "dense layers multiply rows by a matrix").format(
                                      where=where, ndim=kernel.ndim, layout=self.layout))  # fmt: skip
        self.current = node.output[0]
        bias = None
        add = [i for i in self.consumers(self.current) if i not in self.done]
        if len(add) == 1 and self.nodes[add[0]].op_type == "Add":
            other = [i for i in self.nodes[add[0]].input if i != self.current]
            if other and other[0] in self.consts and self.consts[other[0]].size == kernel.shape[1]:
                bias = self.consts[other[0]].reshape(-1)
                self.done.add(add[0])
                self.current = self.nodes[add[0]].output[0]
        self.b().dense(kernel, bias, where)
        self.bias_open = bias is None

    def gemm(self, node: Any, where: str, attrs: dict[str, Any]) -> None:
        if attrs.get("transA", 0) or self.layout != "flat":
            raise PlaygroundError(_("{where} is Gemm with its input transposed: the playground's dense layers take "
                                    "rows").format(where=where))
        kernel = self.const(node.input[1], where) * float(attrs.get("alpha", 1.0))
        kernel = kernel.T if attrs.get("transB", 0) else kernel
        bias = None
        if len(node.input) > 2 and node.input[2]:
            bias = np.broadcast_to(self.const(node.input[2], where) * float(attrs.get("beta", 1.0)),
                                   (kernel.shape[1],))  # fmt: skip
        self.b().dense(kernel, bias, where)
        self.current = node.output[0]

    def conv(self, node: Any, where: str, attrs: dict[str, Any]) -> None:
        if self.layout != "nchw":
            raise PlaygroundError(_("{where} is Conv on a {layout} tensor: ONNX's Conv takes NCHW images").format(
                                      where=where, layout=self.layout))
        weight = self.const(node.input[1], where)
        bias = self.const(node.input[2], where) if len(node.input) > 2 and node.input[2] else None
        if weight.ndim != 4 or attrs.get("group", 1) != 1 or any(d != 1 for d in attrs.get("dilations", [1, 1])):
            raise PlaygroundError(_("{where} is a grouped, dilated or non-2-D Conv: the playground's conv2d is a "
                                    "plain 2-D convolution").format(where=where))  # fmt: skip
        strides = list(attrs.get("strides", [1, 1]))
        if strides[0] != strides[1]:
            raise PlaygroundError(_("{where} is Conv with strides {strides}: the playground's strides are equal")
                                    .format(where=where, strides=strides))
        builder = self.b()
        k, s = weight.shape[2], strides[0]
        padding = self._padding(where, attrs, k, s, builder.shape)
        builder.conv2d(weight.transpose(2, 3, 1, 0), bias, s, padding, where)
        self.current = node.output[0]
        self.bias_open = bias is None

    @staticmethod
    def _padding(where: str, attrs: dict[str, Any], k: int, s: int, shape: tuple[int, ...]) -> str:
        """'valid' or 'same' (TensorFlow's pads: the extra one after) from Conv's pads or auto_pad."""
        auto = _words(attrs.get("auto_pad", "NOTSET"))
        if auto == "SAME_UPPER":
            return "same"
        if auto == "VALID":
            return "valid"
        pads = list(attrs.get("pads", [0, 0, 0, 0]))
        if not any(pads):
            return "valid"
        __, top, bottom = window_pads(shape[0], k, s, "same")
        __, left, right = window_pads(shape[1], k, s, "same")
        if pads == [top, left, bottom, right]:
            return "same"
        raise PlaygroundError(_("{where} is Conv with pads {pads}: the playground pads 'valid' (none) or 'same' "
                                "({value} here)").format(
                                  where=where, pads=pads, value=[top, left, bottom, right]))  # fmt: skip

    def pool(self, node: Any, where: str, attrs: dict[str, Any]) -> None:
        k = list(attrs.get("kernel_shape", []))
        s = list(attrs.get("strides", k))
        if self.layout != "nchw" or len(k) != 2 or k[0] != k[1] or s != k or any(attrs.get("pads", [0])) \
                or attrs.get("ceil_mode", 0) or any(d != 1 for d in attrs.get("dilations", [1, 1])):  # fmt: skip
            if any(attrs.get("pads", [0])):
                raise PlaygroundError(_("{where} is {op_type} with kernel {k} and strides {s} and pads {pads}: the "
                                        "playground pools square windows moved by their size, unpadded").format(
                                          where=where, op_type=node.op_type, k=k, s=s, pads=_words(attrs["pads"])))
            raise PlaygroundError(_("{where} is {op_type} with kernel {k} and strides {s}: the playground "
                                    "pools square windows moved by their size, unpadded").format(
                                      where=where, op_type=node.op_type, k=k, s=s))
        self.b().pool("max" if node.op_type == "MaxPool" else "average", k[0], where)
        self.current = node.output[0]

    def reshape(self, node: Any, where: str, attrs: dict[str, Any]) -> None:
        """A flatten (Flatten axis 1, or Reshape to (N, -1)); or, before any layer, rows reshaped to
        (N, T, F) sequences (the playground's export of a recurrent network)."""
        target: list[int] | None = None
        if node.op_type == "Reshape":
            if node.input[1] in self.consts:
                target = [int(v) for v in self.consts[node.input[1]].reshape(-1)]
            if target is not None and len(target) == 3 and self.layout == "flat" and self.builder is None:
                steps, feats = target[1], target[2]
                if steps * feats != self.dims[1]:
                    raise PlaygroundError(_("{where} reshapes {dims} inputs to {target}").format(
                                              where=where, dims=self.dims[1], target=target))
                self.dims = [self.dims[0], steps, feats]
                self.layout = "ntf"
                self.current = node.output[0]
                return
            if target is not None and len(target) != 2:
                raise PlaygroundError(_("{where} is Reshape to {target}: the playground reshapes only to flatten")
                                        .format(where=where, target=target))
        elif attrs.get("axis", 1) != 1:
            raise PlaygroundError(_("{where} is Flatten at axis {axis}: the playground flattens each example").format(
                                      where=where, axis=attrs['axis']))
        if self.layout in ("nchw", "nhwc"):
            self.b().flatten(where, channels_first=self.layout == "nchw")
        elif self.layout != "flat":
            raise PlaygroundError(_("{where} flattens a sequence: the playground's recurrent layers give their last "
                                    "state or a sequence for another recurrent layer").format(
                                      where=where))  # fmt: skip
        self.layout = "flat"
        self.current = node.output[0]

    def batch_norm(self, node: Any, where: str, attrs: dict[str, Any]) -> None:
        if self.layout not in ("flat", "nchw"):
            raise PlaygroundError(_("{where} is BatchNormalization of a {layout} tensor").format(
                                      where=where, layout=self.layout))
        gamma, beta, mean, var = (self.const(n, where) for n in node.input[1:5])
        momentum = float(attrs["momentum"]) if "momentum" in attrs else 0.99
        self.b().batch_norm(gamma, beta, mean, var, float(attrs.get("epsilon", 1e-5)), momentum, where)
        self.current = node.output[0]

    def recurrent(self, node: Any, where: str, attrs: dict[str, Any]) -> None:
        """W (1, k·U, F), R (1, k·U, U), B (1, 2k·U) in ONNX's gate order to Keras's kernels (F, k·U),
        (U, k·U) and bias: one row Wb + Rb, or a GRU's two rows [Wb, Rb] (reset_after)."""
        op, kind = node.op_type, RECURRENT[node.op_type]
        if self.layout != "tnf":
            raise PlaygroundError(_("{where} is {op} on a {layout} tensor: it needs (steps, N, features)").format(
                                      where=where, op=op, layout=self.layout))
        extra = [n for i, n in enumerate(node.input[4:], 4) if n and not (i >= 5 and self._zeros(n))]
        direction = _words(attrs.get("direction", "forward"))
        odd = attrs.get("clip") or attrs.get("input_forget", 0) or attrs.get("layout", 0)
        if extra or direction != "forward" or odd:
            if extra:
                message = _("{where} is {op} ({direction}, with initial states, lengths or peepholes): the "
                            "playground's {kind} runs forward, time-major, from zero states")
            elif odd:
                message = _("{where} is {op} ({direction}, clipped or batch-first): the playground's {kind} runs "
                            "forward, time-major, from zero states")
            else:
                message = _("{where} is {op} ({direction}): the playground's {kind} runs forward, time-major, "
                            "from zero states")
            raise PlaygroundError(message.format(where=where, op=op, direction=direction, kind=kind))
        builder = self.b()  # before the output's layout is followed
        if op == "GRU" and not attrs.get("linear_before_reset", 0):
            raise PlaygroundError(_("{where} is GRU with linear_before_reset 0: the playground's GRU is Keras's "
                                    "reset_after=True (PyTorch's form, linear_before_reset 1)").format(
                                      where=where))  # fmt: skip
        cls = LAYERS.get(kind)
        order = list(cls.onnx_order)
        back = [order.index(j) for j in range(len(order))]
        w, r = self.const(node.input[1], where)[0], self.const(node.input[2], where)[0]
        units = int(attrs.get("hidden_size", r.shape[-1]))
        k = len(order)
        b = self.const(node.input[3], where)[0] if len(node.input) > 3 and node.input[3] else np.zeros(2 * k * units)
        kernel, rec = _blocks(w, back).T, _blocks(r, back).T
        wb, rb = _blocks(b[: k * units], back), _blocks(b[k * units :], back)
        bias = np.stack([wb, rb]) if kind == "gru" else wb + rb
        acts = self._recurrent_acts(where, op, attrs)
        outs = {"activation": acts[-1]} if kind == "simple_rnn" else {"recurrent_activation": acts[0],
                                                                       "activation": acts[1]}  # fmt: skip
        if kind == "lstm" and acts[2] != acts[1]:
            raise PlaygroundError(_("{where} is LSTM with cell activation {acts} and output activation {acts2}: "
                                    "Keras's and the playground's LSTM use one activation for both").format(
                                      where=where, acts=acts[1], acts2=acts[2]))  # fmt: skip
        ys = self._recurrent_output(node, where)
        builder.recurrent(kind, kernel, rec, bias, ys, where, **outs)

    def _zeros(self, name: str) -> bool:
        """Whether tensor `name` is all zeros: a constant, or ConstantOfShape of 0 (PyTorch's
        exporter writes the zero initial states so)."""
        if name in self.consts:
            return not np.any(self.consts[name])
        maker = next((n for n in self.nodes if name in n.output), None)
        if maker is None or maker.op_type != "ConstantOfShape":
            return False
        value = _attrs(maker).get("value")
        from onnx import numpy_helper

        return value is None or not np.any(numpy_helper.to_array(value))

    def last_step(self, node: Any, where: str, attrs: dict[str, Any]) -> None:
        """Gather of the last step of a recurrent layer's every-step output (PyTorch's out[:, -1]):
        that layer gives its last state (return_sequences false)."""
        axis = attrs.get("axis", 0)
        index = self.consts.get(node.input[1]) if len(node.input) > 1 else None
        time_axis = {"ntf": 1, "tnf": 0}.get(self.layout)
        steps = self.b().shape[0] if len(self.b().shape) == 2 else None
        if time_axis is None or axis != time_axis or index is None or index.size != 1 or \
                int(index.reshape(-1)[0]) not in (-1, (steps or 0) - 1):  # fmt: skip
            raise PlaygroundError(_("{where} is Gather along axis {axis}: the playground takes a recurrent layer's "
                                    "last step only").format(where=where, axis=axis))  # fmt: skip
        self.b().last_step(where)
        self.layout = "flat"
        self.current = node.output[0]

    def _recurrent_acts(self, where: str, op: str, attrs: dict[str, Any]) -> list[Any]:
        given = [_words(a) for a in attrs.get("activations", [])]
        default = {"RNN": ["Tanh"], "LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"]}[op]
        names = given[: len(default)] or default
        alphas = list(attrs.get("activation_alpha", []))
        out = []
        for name in names:
            if name not in _FROM_ONNX or name == "Affine":
                raise PlaygroundError(_("{where} is {op} with activation {name}: the playground has no such "
                                        "activation").format(where=where, op=op, name=name))
            alpha = alphas.pop(0) if name in ("LeakyRelu", "Elu") and alphas else None
            out.append(activation_spec(_FROM_ONNX[name], f"{where} ({op})", alpha))
        return out

    def _recurrent_output(self, node: Any, where: str) -> bool:
        """Which output goes on: Y_h (the last state, then Squeeze of axis 0) or Y (every state,
        then Squeeze of axis 1, time-major for the next recurrent layer). True: every state."""
        for slot in (0, 1):
            if len(node.output) <= slot or not node.output[slot]:
                continue
            users = [i for i in self.consumers(node.output[slot]) if i not in self.done]
            if not users:
                continue
            if len(users) != 1 or self.nodes[users[0]].op_type != "Squeeze":
                raise PlaygroundError(_("{where}'s output {output!r} goes on in a way the playground does not "
                                        "follow (it takes Y_h, or Y squeezed at its direction axis)").format(
                                          where=where, output=node.output[slot]))
            squeeze = self.nodes[users[0]]
            axes = (self.consts.get(squeeze.input[1]) if len(squeeze.input) > 1 else None)
            axes = list(np.reshape(axes, -1)) if axes is not None else list(_attrs(squeeze).get("axes", []))
            if axes != [slot ^ 1]:
                raise PlaygroundError(_("{where}'s output is squeezed at {axes}").format(where=where, axes=axes))
            self.done.add(users[0])
            self.current = squeeze.output[0]
            self.layout = "tnf" if slot == 0 else "flat"
            return slot == 0
        raise PlaygroundError(_("{where}: nothing takes its outputs").format(where=where))


def _blocks(values: np.ndarray, order: list[int]) -> np.ndarray:
    parts = np.split(np.asarray(values), len(order), axis=0)
    return np.concatenate([parts[j] for j in order], axis=0)


def read_onnx(data: bytes, name: str = "model.onnx") -> Any:
    """The parsed, checked ONNX model in `data`."""
    try:
        import onnx
    except ImportError:
        raise PlaygroundError(_(ONNX_IMPORT_HINT)) from None
    try:
        model = onnx.load_from_string(data)
        onnx.checker.check_model(model)
    except Exception as exc:  # protobuf's and the checker's errors have no common base
        raise PlaygroundError(_("{name}: not a valid ONNX model ({splitlines})").format(
                                  name=name, splitlines=str(exc).splitlines()[0][:200])) from None
    return model


def import_onnx(path: str | Path, dtype: str = "float64") -> Imported:
    """An ONNX file's network as a project and weights (see the module's docstring)."""
    from ..data.loaders import regular_file

    p = regular_file(path, MAX_MODEL_BYTES)
    model = read_onnx(p.read_bytes(), p.name)
    walk = _Walk(model)
    try:
        builder = walk.run()
        result = builder.finish(dtype)
    except PlaygroundError as exc:
        raise PlaygroundError(_("{name}: {exc}").format(name=p.name, exc=exc)) from None
    if walk.normalised:
        result.notes.append(_("the graph normalises its input first (Sub, Div): left to the project's data "
                              "normalisation, fitted on the data it trains on"))
    return result
