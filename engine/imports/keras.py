"""Keras 3 `.keras` files in: a zip of config.json (the architecture) and model.weights.h5 (the
weights, read with h5py), for Sequential models of the layers the playground has.

Keras's layouts are the playground's own (kernels (in, out) and (kh, kw, in, out), channels
last, gate blocks i, f, c, o and z, r, h), so the weights go in as they are; a GRU must be
Keras's default reset_after=True. The weights file holds each layer's arrays under
layers/<name>/vars/<i> (a recurrent layer's under layers/<name>/cell/vars/<i>), in the layer's
own order, where <name> is Keras's path name for the layer: its class in snake case, numbered
from the second of a class on (dense, dense_1, ...), whatever the layer's own name."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import N_, _
from ..data.loaders import regular_file
from .result import Builder, Imported, activation_spec

H5_HINT = N_("importing .keras files needs h5py: pip install 'nn-playground[import]'")
MAX_MODEL_BYTES = 1024**3
#: Keras's recurrent layer classes and the playground's kinds.
RECURRENT = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}
#: Activation layers of their own and the activation each is.
ACTIVATION_LAYERS = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu", "Softmax": "softmax"}


def _activation(value: Any, where: str) -> Any:
    """A Keras activation (a name, or a serialised function) as a project's."""
    if isinstance(value, dict):
        value = value.get("config", {}).get("name", value.get("class_name"))
    return activation_spec(str(value or "linear"), where)


def _square(value: Any, key: str, where: str) -> int:
    values = list(value) if isinstance(value, (list, tuple)) else [value, value]
    if len(set(values)) != 1:
        raise PlaygroundError(_("{where} has {key} {values}: the playground's are square").format(
                                  where=where, key=key, values=values))
    return int(values[0])


class _Weights:
    """The arrays of model.weights.h5 by layer name."""

    def __init__(self, data: bytes) -> None:
        try:
            import h5py
        except ImportError:
            raise PlaygroundError(_(H5_HINT)) from None
        self.file = h5py.File(io.BytesIO(data), "r")

        self.seen: dict[str, int] = {}

    def next(self, kind: str, name: str) -> list[np.ndarray]:
        """The arrays of the next layer of class `kind` (its own `name` where the file uses it)."""
        snake = re.sub("([a-z])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", kind)).lower()
        count = self.seen.get(snake, 0)
        self.seen[snake] = count + 1
        path = snake if count == 0 else f"{snake}_{count}"
        return self.of(path) or self.of(name)

    def of(self, name: str) -> list[np.ndarray]:
        group = self.file.get(f"layers/{name}")
        if group is None:
            return []
        vars_ = group.get("cell/vars") if "cell" in group else group.get("vars")
        if vars_ is None:
            return []
        return [np.asarray(vars_[k]) for k in sorted(vars_.keys(), key=int)]


def import_keras(path: str | Path, dtype: str = "float64") -> Imported:
    """A .keras file's Sequential model as a project and weights (see the module's docstring)."""
    p = regular_file(path, MAX_MODEL_BYTES)
    try:
        with zipfile.ZipFile(p) as z:
            config = json.loads(z.read("config.json"))
            weights = _Weights(z.read("model.weights.h5"))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise PlaygroundError(_("{name}: not a Keras 3 .keras file (a zip of config.json and model.weights.h5: "
                                "{exc})").format(name=p.name, exc=exc)) from None  # fmt: skip
    try:
        return _model(config, weights, dtype)
    except PlaygroundError as exc:
        raise PlaygroundError(_("{name}: {exc}").format(name=p.name, exc=exc)) from None


def _model(config: dict[str, Any], weights: _Weights, dtype: str) -> Imported:
    if config.get("class_name") != "Sequential":
        raise PlaygroundError(_("the model is a Keras {value}: the playground imports Sequential models (one stack "
                                "of layers)").format(value=config.get('class_name')))  # fmt: skip
    layers = config.get("config", {}).get("layers", [])
    shape = None
    start = 0
    if layers and layers[0].get("class_name") == "InputLayer":
        cfg = layers[0]["config"]
        shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
        start = 1
    elif layers:
        shape = (layers[0].get("build_config") or {}).get("input_shape")
    if not shape or any(v is None for v in shape[1:]):
        raise PlaygroundError(_("the model's input shape is {shape}: the playground needs every size but the batch's")
                                .format(shape=shape))
    dims = [int(v) for v in shape[1:]]
    first = layers[start] if start < len(layers) else {}
    sequence = len(dims) == 2 and first.get("class_name") in RECURRENT
    if first.get("class_name") == "Reshape" and len(first["config"]["target_shape"]) == 2 and len(dims) == 1:
        dims, sequence, start = [int(v) for v in first["config"]["target_shape"]], True, start + 1  # rows as (T, F)
    builder = Builder("Keras", tuple(dims), sequence=sequence)
    for layer in layers[start:]:
        _layer(builder, layer, weights)
    return builder.finish(dtype)


def _layer(b: Builder, layer: dict[str, Any], weights: _Weights) -> None:
    kind, cfg = layer.get("class_name"), layer.get("config", {})
    name = cfg.get("name", kind)
    where = f"layer {name!r}"
    arrays = weights.next(str(kind), name)
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise PlaygroundError(_("{where} is {kind} with data_format {data_format}: the playground's images are "
                                "channels last").format(
                                  where=where, kind=kind, data_format=cfg['data_format']))  # fmt: skip
    if kind in ("Dense", "Conv2D", "BatchNormalization", *RECURRENT) and not arrays:
        raise PlaygroundError(_("{where} ({kind}) has no weights in model.weights.h5").format(
                                  where=where, kind=kind))
    if kind == "Dense":
        b.dense(arrays[0], arrays[1] if cfg.get("use_bias", True) else None, where)
        b.activation(_activation(cfg.get("activation"), where), where)
    elif kind == "Conv2D":
        if _square(cfg.get("dilation_rate", 1), "dilation_rate", where) != 1 or cfg.get("groups", 1) != 1:
            raise PlaygroundError(_("{where} is a dilated or grouped Conv2D: the playground has no such layer").format(
                                      where=where))
        if cfg.get("padding") not in ("valid", "same"):
            raise PlaygroundError(_("{where} has padding {value!r}: the playground's is valid or same").format(
                                      where=where, value=cfg.get('padding')))
        _square(cfg["kernel_size"], "kernel_size", where)
        b.conv2d(arrays[0], arrays[1] if cfg.get("use_bias", True) else None,
                 _square(cfg.get("strides", 1), "strides", where), cfg["padding"], where)  # fmt: skip
        b.activation(_activation(cfg.get("activation"), where), where)
    elif kind in ("MaxPooling2D", "AveragePooling2D"):
        size = _square(cfg.get("pool_size", 2), "pool_size", where)
        strides = _square(cfg.get("strides") or size, "strides", where)
        if strides != size or cfg.get("padding", "valid") != "valid":
            raise PlaygroundError(_("{where} is {kind} with pool_size {size}, strides {strides} and padding "
                                    "{value}: the playground's windows move by their size, unpadded").format(
                                      where=where, kind=kind, size=size, strides=strides,
                                      value=cfg.get('padding')))
        b.pool("max" if kind.startswith("Max") else "average", size, where)
    elif kind == "Flatten":
        b.flatten(where)
    elif kind == "Dropout":
        b.dropout(float(cfg.get("rate", 0.0)), where)
    elif kind == "BatchNormalization":
        axis = cfg.get("axis", -1)
        if axis not in (-1, [-1], len(b.shape), [len(b.shape)]):
            raise PlaygroundError(_("{where} normalises axis {axis}: the playground's normalises the last").format(
                                      where=where, axis=axis))
        center, scale = cfg.get("center", True), cfg.get("scale", True)
        parts = list(arrays)
        gamma = parts.pop(0) if scale else None
        beta = parts.pop(0) if center else None
        b.batch_norm(gamma, beta, parts[0], parts[1], float(cfg.get("epsilon", 1e-3)),
                     float(cfg.get("momentum", 0.99)), where)  # fmt: skip
    elif kind == "Activation":
        b.activation(_activation(cfg.get("activation"), where), where)
    elif kind in ACTIVATION_LAYERS:
        alpha = cfg.get("negative_slope", cfg.get("alpha"))
        if kind == "ReLU" and (cfg.get("max_value") is not None or cfg.get("threshold") or alpha):
            raise PlaygroundError(_("{where} is ReLU with a cap, threshold or slope: the playground's relu has none")
                                    .format(where=where))
        if kind == "Softmax" and cfg.get("axis", -1) != -1:
            raise PlaygroundError(_("{where} is Softmax over axis {axis}").format(where=where, axis=cfg['axis']))
        b.activation(activation_spec(ACTIVATION_LAYERS[kind], where, None if alpha is None else float(alpha)), where)
    elif kind in RECURRENT:
        _recurrent(b, kind, cfg, arrays, where)
    else:
        raise PlaygroundError(_("{where} is {kind}: the playground has no such layer").format(
                                  where=where, kind=kind))


def _recurrent(b: Builder, kind: str, cfg: dict[str, Any], arrays: list[np.ndarray], where: str) -> None:
    odd = [k for k in ("go_backwards", "stateful", "return_state", "unroll") if cfg.get(k)]
    if odd or (kind == "GRU" and not cfg.get("reset_after", True)):
        what = ", ".join(odd) or "reset_after false"
        if kind == "GRU":
            raise PlaygroundError(_("{where} is {kind} with {what}: the playground's runs forward from zero "
                                    "states with reset_after true").format(where=where, kind=kind, what=what))
        raise PlaygroundError(_("{where} is {kind} with {what}: the playground's runs forward from zero "
                                "states").format(where=where, kind=kind, what=what))
    units = int(cfg["units"])
    blocks = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[kind]
    bias = arrays[2] if cfg.get("use_bias", True) else np.zeros((2, 3 * units) if kind == "GRU" else blocks * units)
    extra = {} if kind == "SimpleRNN" else {"recurrent_activation": _activation(cfg.get("recurrent_activation",
                                                                                         "sigmoid"), where)}
    b.recurrent(RECURRENT[kind], arrays[0], arrays[1], bias, bool(cfg.get("return_sequences", False)), where,
                activation=_activation(cfg.get("activation", "tanh"), where), **extra)  # fmt: skip
