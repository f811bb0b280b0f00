"""PyTorch files in: TorchScript modules (torch.jit.script of an nn.Sequential: the architecture
with every setting) and state dicts of nn.Sequential models (weights only: "0.weight", "2.bias"...).

Never an unsafe unpickle: a state dict is read with torch.load(weights_only=True), TorchScript
with torch.jit.load (its own format). Layouts: Linear's weight (out, in) is Keras's kernel
transposed, Conv2d's (out, in, kh, kw) becomes (kh, kw, in, out), nn.Flatten lays an image out
C, H, W (the next kernel's rows are put in Keras's H, W, C order), BatchNorm's momentum is 1 −
Keras's, and a recurrent layer's gate blocks (LSTM i, f, g, o; GRU r, z, n) go in Keras's order
with its two biases summed (a GRU keeps both, as Keras's reset_after). A state dict holds no
activations, strides, padding or pooling: its hidden layers take `activation` and the output
`output_activation` (default: softmax over several outputs, linear for one), and a convolution
needs the TorchScript form."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import N_, _
from ..core.layers import LAYERS
from ..data.loaders import regular_file
from .onnx import _Walk
from .result import Builder, Imported, activation_spec

TORCH_HINT = N_("importing PyTorch files needs PyTorch: pip install torch")
MAX_MODEL_BYTES = 1024**3
ACTIVATIONS = {"ReLU": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softplus", "ELU": "elu",
               "LeakyReLU": "leaky_relu", "Identity": "linear"}  # fmt: skip
RECURRENT = {"RNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}
DEFAULT_STEPS = 20  # a recurrent model's sequence length when none is given (its weights fit any)
MAX_SIDE = 256  # the largest square image tried for a convolutional model without --input-shape


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise PlaygroundError(_(TORCH_HINT)) from None
    return torch


def _numpy(t: Any) -> np.ndarray:
    return t.detach().cpu().numpy()


def import_torch(path: str | Path, dtype: str = "float64", activation: Any = "relu", output_activation: Any = None,
                 input_shape: tuple[int, ...] | None = None) -> Imported:  # fmt: skip
    """A TorchScript file or a state dict as a project and weights (see the module's docstring)."""
    torch = _torch()
    p = regular_file(path, MAX_MODEL_BYTES)
    script = zipfile.is_zipfile(p) and any(n.endswith("constants.pkl") or "/code/" in n
                                           for n in zipfile.ZipFile(p).namelist())  # fmt: skip
    try:
        if script:
            with warnings.catch_warnings():  # torch.jit is deprecated, and still what loads TorchScript
                warnings.simplefilter("ignore", DeprecationWarning)
                module = torch.jit.load(str(p), map_location="cpu")
            return _scripted(module, dtype, input_shape)
        try:
            state = torch.load(str(p), map_location="cpu", weights_only=True)
        except Exception:  # torch's unpickler raises many kinds for a whole pickled model
            raise PlaygroundError(_("not a state dict or TorchScript file (a whole pickled model, "
                                    "torch.save(model), could only be read by running the code inside it, which the "
                                    "playground never does): save model.state_dict(), or "
                                    "torch.jit.script(model).save(path)")) from None
        if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
            state = state["state_dict"]
        if not isinstance(state, dict) or not all(hasattr(v, "shape") for v in state.values()):
            raise PlaygroundError(_("not a state dict (a mapping of names to tensors)"))
        return _state_dict({k: _numpy(v) for k, v in state.items()}, dtype, activation, output_activation,
                           input_shape)  # fmt: skip
    except PlaygroundError as exc:
        raise PlaygroundError(_("{name}: {exc}").format(name=p.name, exc=exc)) from None


# ----------------------------------------------------------------- state dicts
def _groups(state: dict[str, np.ndarray]) -> list[tuple[str, dict[str, np.ndarray]]]:
    """The tensors by module ("0", "2", "features.1"), in the order they come."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for key, value in state.items():
        prefix, _, name = key.rpartition(".")
        out.setdefault(prefix, {})[name] = value
    return list(out.items())


def _state_dict(state: dict[str, np.ndarray], dtype: str, activation: Any, output_activation: Any,
                input_shape: tuple[int, ...] | None) -> Imported:  # fmt: skip
    groups = _groups(state)
    if not groups:
        raise PlaygroundError(_("the state dict is empty"))
    hidden_act = activation_spec(str(activation), "--activation")
    first_name, first = groups[0]
    builder: Builder
    if "weight_ih_l0" in first:
        shape = input_shape or (DEFAULT_STEPS, int(first["weight_ih_l0"].shape[1]))
        if len(shape) != 2:
            raise PlaygroundError(_("sequences are STEPS,FEATURES: --input-shape takes two numbers for them"))
        builder = Builder("PyTorch", shape, sequence=True)
        if input_shape is None:
            builder.notes.append(_("sequences of {default_steps} steps (the weights fit any length; --input-shape "
                                   "STEPS,FEATURES sets it)").format(default_steps=DEFAULT_STEPS))  # fmt: skip
    elif "weight" in first and first["weight"].ndim == 2:
        builder = Builder("PyTorch", input_shape or (int(first["weight"].shape[1]),))
    else:
        what = f"a {first['weight'].ndim}-D weight" if "weight" in first else ", ".join(first)
        raise PlaygroundError(_("module {first_name!r} holds {what}: a state dict holds no strides, padding or "
                                "pooling, so a convolutional model must come as TorchScript "
                                "(torch.jit.script(model).save(path)) or ONNX").format(
                                  first_name=first_name, what=what))  # fmt: skip
    weighted = [i for i, (_n, g) in enumerate(groups)
                if "weight_ih_l0" in g or ("weight" in g and g["weight"].ndim == 2)]  # fmt: skip
    last = weighted[-1]
    for i, (name, tensors) in enumerate(groups):
        where = f"module {name!r}"
        if "weight_ih_l0" in tensors:
            sequences = any("weight_ih_l0" in g for _n, g in groups[i + 1 :])
            _recurrent(builder, tensors, sequences, where)
        elif "running_mean" in tensors:
            builder.batch_norm(tensors.get("weight"), tensors.get("bias"), tensors["running_mean"],
                               tensors["running_var"], 1e-5, 0.9, where)  # fmt: skip
            builder.notes.append(_("{where}: batch normalization with PyTorch's default eps 1e-5 and momentum 0.1 "
                                   "(a state dict does not hold them)").format(where=where))  # fmt: skip
            if i - 1 in weighted and i - 1 != last:
                builder.activation(hidden_act, where)
        elif "weight" in tensors and tensors["weight"].ndim == 2:
            builder.dense(tensors["weight"].T, tensors.get("bias"), where)
            if i == last:
                units = tensors["weight"].shape[0]
                out = output_activation or ("softmax" if units > 1 else "linear")
                builder.activation(activation_spec(str(out), "--output-activation"), where)
            elif not (i + 1 < len(groups) and "running_mean" in groups[i + 1][1]):
                builder.activation(hidden_act, where)
        else:
            held = ", ".join(f"{k} {tuple(v.shape)}" for k, v in tensors.items())
            raise PlaygroundError(_("{where} holds {tensors}: the playground has no such layer").format(
                                      where=where, tensors=held))
    builder.notes.append(_("a state dict holds no activations: hidden layers take {activation}, the output "
                           "{activation2}").format(
                             activation=activation,
                             activation2=builder.entries[-1]['activation'] if builder.entries else ''))  # fmt: skip
    return builder.finish(dtype)


def _recurrent(builder: Builder, t: dict[str, np.ndarray], sequences: bool, where: str, kind: str | None = None,
               activation: Any = "tanh") -> None:  # fmt: skip
    """torch's weight_ih_l0 (k·U, F), weight_hh_l0 (k·U, U) and two biases to Keras's kernels (gate
    blocks in Keras's order) and bias (b_ih + b_hh; a GRU's two rows)."""
    if any(k.endswith("_l1") or k.endswith("_reverse") for k in t):
        raise PlaygroundError(_("{where} is a stacked or bidirectional recurrent module: the playground's runs one "
                                "layer forward (stack modules of one layer each)").format(where=where))  # fmt: skip
    w_ih, w_hh = t["weight_ih_l0"], t["weight_hh_l0"]
    units = w_hh.shape[1]
    blocks = w_ih.shape[0] // units
    kind = kind or {1: "simple_rnn", 4: "lstm", 3: "gru"}[blocks]
    order = list(LAYERS.get(kind).torch_order)
    back = [order.index(j) for j in range(len(order))]

    def keras(values: np.ndarray) -> np.ndarray:
        parts = np.split(values, len(order), axis=0)
        return np.concatenate([parts[j] for j in back], axis=0)

    b_ih = t.get("bias_ih_l0", np.zeros(blocks * units))
    b_hh = t.get("bias_hh_l0", np.zeros(blocks * units))
    bias = np.stack([keras(b_ih), keras(b_hh)]) if kind == "gru" else keras(b_ih) + keras(b_hh)
    builder.recurrent(kind, keras(w_ih).T, keras(w_hh).T, bias, sequences, where, activation=activation)


# ----------------------------------------------------------------- TorchScript
def _children(module: Any) -> list[tuple[str, Any]]:
    """The leaf modules in order (nested Sequentials opened)."""
    out = []
    for name, child in module.named_children():
        if getattr(child, "original_name", "") == "Sequential":
            out += [(f"{name}.{n}", c) for n, c in _children(child)]
        else:
            out.append((name, child))
    return out


def _setting(child: Any, key: str, where: str) -> Any:
    value = getattr(child, key, None)
    if value is None:
        raise PlaygroundError(_("{where} does not say its {key} (a traced module loses its settings): save "
                                "torch.jit.script(model) instead").format(where=where, key=key))  # fmt: skip
    return value


def _pair(value: Any, key: str, where: str) -> int:
    values = list(value) if isinstance(value, (list, tuple)) else [value, value]
    if len(set(values)) != 1:
        raise PlaygroundError(_("{where} has {key} {values}: the playground's are square").format(
                                  where=where, key=key, values=values))
    return int(values[0])


def _scripted(module: Any, dtype: str, input_shape: tuple[int, ...] | None) -> Imported:
    children = _children(module)
    if not children:
        raise PlaygroundError(_("the TorchScript module has no layers (the playground imports nn.Sequential models)"))
    kinds = [getattr(c, "original_name", "") for _n, c in children]
    first = next((k for k in kinds if k in ("Linear", "Conv2d", *RECURRENT)), "")
    if first == "Conv2d" and input_shape is None:
        return _square_images(module, dtype, children[kinds.index("Conv2d")][1])
    if first == "Conv2d":
        if len(input_shape) != 3:
            raise PlaygroundError(_("images are H,W,C: --input-shape {shape} is not").format(
                                      shape=",".join(map(str, input_shape))))
        builder = Builder("PyTorch", input_shape)
    elif first in RECURRENT:
        rnn = children[kinds.index(first)][1]
        shape = input_shape or (DEFAULT_STEPS, int(getattr(rnn, "input_size", 0)) or 1)
        if len(shape) != 2:
            raise PlaygroundError(_("sequences are STEPS,FEATURES: --input-shape takes two numbers for them"))
        builder = Builder("PyTorch", shape, sequence=True)
        if input_shape is None:
            builder.notes.append(_("sequences of {default_steps} steps (the weights fit any length; --input-shape "
                                   "STEPS,FEATURES sets it)").format(default_steps=DEFAULT_STEPS))  # fmt: skip
    elif first == "Linear":
        lin = children[kinds.index("Linear")][1]
        builder = Builder("PyTorch", input_shape or (int(_numpy(lin.weight).shape[1]),))
    else:
        raise PlaygroundError(_("the module has no Linear, Conv2d or recurrent layer"))
    for i, (name, child) in enumerate(children):
        _scripted_layer(builder, kinds[i], child, f"module {name!r}", kinds[i + 1 :])
    return builder.finish(dtype)


def _square_images(module: Any, dtype: str, conv: Any) -> Imported:
    """A convolutional model imported without --input-shape: the square images the first dense
    layer after the flatten fits (the only size, for most models), said in a note."""
    channels = int(_numpy(conv.weight).shape[1])
    for side in range(1, MAX_SIDE + 1):
        try:
            result = _scripted(module, dtype, (side, side, channels))
        except PlaygroundError:
            continue
        result.notes.append(_("images of {shape}: the square size the model's dense layers fit (--input-shape H,W,C "
                              "gives another)").format(shape=f"{side}×{side}×{channels}"))  # fmt: skip
        return result
    raise PlaygroundError(_("no square image up to {max_side}×{max_side} fits this model: give --input-shape H,W,C")
                            .format(max_side=MAX_SIDE))


def _scripted_layer(b: Builder, kind: str, child: Any, where: str, after: list[str]) -> None:
    params = {k: _numpy(v) for k, v in child.named_parameters()} | {k: _numpy(v) for k, v in child.named_buffers()}
    if kind == "Linear":
        b.dense(params["weight"].T, params.get("bias"), where)
    elif kind == "Conv2d":
        k = _pair(_setting(child, "kernel_size", where), "kernel_size", where)
        s = _pair(_setting(child, "stride", where), "stride", where)
        if _pair(_setting(child, "dilation", where), "dilation", where) != 1 or _setting(child, "groups", where) != 1:
            raise PlaygroundError(_("{where} is a dilated or grouped Conv2d: the playground has no such layer").format(
                                      where=where))
        pad = _setting(child, "padding", where)
        if isinstance(pad, str):
            padding = pad
        else:
            p = _pair(pad, "padding", where)
            padding = _Walk._padding(where, {"pads": [p, p, p, p]}, k, s, b.shape)
        b.conv2d(params["weight"].transpose(2, 3, 1, 0), params.get("bias"), s, padding, where)
    elif kind in ("MaxPool2d", "AvgPool2d"):
        k = _pair(_setting(child, "kernel_size", where), "kernel_size", where)
        s = _pair(getattr(child, "stride", None) or k, "stride", where)
        if s != k or _pair(getattr(child, "padding", 0), "padding", where) or getattr(child, "ceil_mode", False):
            raise PlaygroundError(_("{where} is {kind} with kernel {k} and stride {s}: the playground pools square "
                                    "windows moved by their size, unpadded").format(
                                      where=where, kind=kind, k=k, s=s))  # fmt: skip
        b.pool("max" if kind == "MaxPool2d" else "average", k, where)
    elif kind == "Flatten":
        b.flatten(where, channels_first=True)
    elif kind == "Dropout":
        b.dropout(float(getattr(child, "p", 0.0)), where)
    elif kind in ("BatchNorm1d", "BatchNorm2d"):
        momentum = getattr(child, "momentum", 0.1)
        b.batch_norm(params.get("weight"), params.get("bias"), params["running_mean"], params["running_var"],
                     float(getattr(child, "eps", 1e-5)), 1 - float(momentum if momentum is not None else 0.01), where)
    elif kind in ACTIVATIONS:
        alpha = getattr(child, "negative_slope", None) if kind == "LeakyReLU" else getattr(child, "alpha", None)
        if kind == "Softplus" and (getattr(child, "beta", 1) != 1):
            raise PlaygroundError(_("{where} is Softplus with beta {beta}: the playground's has beta 1").format(
                                      where=where, beta=child.beta))
        b.activation(activation_spec(ACTIVATIONS[kind], where, None if alpha is None else float(alpha)), where)
    elif kind == "Softmax":
        if getattr(child, "dim", -1) not in (-1, 1, None):
            raise PlaygroundError(_("{where} is Softmax over dim {dim}: the playground's is over the units").format(
                                      where=where, dim=child.dim))
        b.activation("softmax", where)
    elif kind in RECURRENT:
        if not getattr(child, "batch_first", False):
            raise PlaygroundError(_("{where} is {kind} with batch_first false: the playground's sequences are batch "
                                    "first").format(where=where, kind=kind))  # fmt: skip
        act = getattr(child, "nonlinearity", "tanh") if kind == "RNN" else "tanh"
        nxt = next((k for k in after if k in (*RECURRENT, "Linear")), "")
        _recurrent(b, params, nxt in RECURRENT, where, RECURRENT[kind], act)
    elif kind == "RecurrentOutput":  # the playground's own exported scripts: the last step or all
        pass
    else:
        raise PlaygroundError(_("{where} is {value}: the playground has no such layer").format(
                                  where=where, value=kind or type(child).__name__))
