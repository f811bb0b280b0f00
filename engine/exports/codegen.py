"""Export a trained network as a runnable PyTorch or Keras script.

The script rebuilds the same layers, loads the weights from the `.npz` file written next to it
(the app's own weight format, so it can be imported back), and repeats the input pipeline the
playground used (feature maps, then normalisation with the training split's statistics), so
`predict(raw_inputs)` gives the playground's outputs. Nothing from the playground is imported.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import _
from ..core.layers.base import CodeContext
from ..core.model import Model
from ..project.files import atomic_write_text, save_weights
from ..run.build import PreparedData

#: Each feature map as a NumPy expression of the raw columns x1, x2 (one entry per FEATURES name).
FEATURE_CODE = {
    "x1": "x1",
    "x2": "x2",
    "x1^2": "x1 * x1",
    "x2^2": "x2 * x2",
    "x1*x2": "x1 * x2",
    "sin(x1)": "np.sin(x1)",
    "sin(x2)": "np.sin(x2)",
}

FRAMEWORKS = ("pytorch", "keras")


def _array_literal(values: np.ndarray | float) -> str:
    """A NumPy literal that round-trips exactly (repr of each float64)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        return repr(float(arr))
    return "np.array([" + ", ".join(repr(float(v)) for v in arr) + "])"


def _prepare_code(data: PreparedData) -> str:
    ds = data.dataset
    lines = ["def prepare(raw_x):", '    """Raw inputs (as in the playground) to network inputs."""']
    lines.append("    x = np.asarray(raw_x, dtype=np.float64)")
    lines.append(f"    if x.ndim != 2 or x.shape[1] != {ds.x.shape[1]}:")
    lines.append(f'        raise ValueError(f"expected inputs of shape (N, {ds.x.shape[1]}), got {{x.shape}}")')
    point_data = ds.columns == ["x1", "x2"]
    if point_data and data.features != ["x1", "x2"]:
        lines.append("    x1, x2 = x[:, 0], x[:, 1]")
        lines.append("    x = np.column_stack([" + ", ".join(FEATURE_CODE[f] for f in data.features) + "])")
    norm = data.normalizer
    if norm.kind != "none":
        lines.append("    x = (x - SHIFT) / SCALE  # normalisation fitted on the training split")
    lines.append("    return x.astype(DTYPE)")
    return "\n".join(lines)


def _inputs_code(network: Model, data: PreparedData, weights: str) -> str:
    """The constants and the prepare() function both scripts share."""
    ds = data.dataset
    return (
        f"{_constants(network, data, weights)}\nINPUTS = {ds.x.shape[1]}\n"
        f"INPUT_COLUMNS = {list(ds.columns)!r}  # the raw columns, as named in the data file\n\n\n{_prepare_code(data)}"
    )


def docstring_literal(text: str) -> str:
    """`text` as a triple-quoted Python literal that evaluates to exactly `text`.

    Names from the user's files (a data file called `x\"\"\"; import os ...`) end up in generated
    docstrings, so every character that could end the literal or start an escape is escaped, and
    anything unprintable is written as a \\x/\\u escape: no text can turn into code.
    """
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n" or ch.isprintable():
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return '"""' + "".join(out) + '"""'


def _header(
    framework: str, network: Model, project: dict[str, Any], data: PreparedData, weights: str, script: str
) -> str:
    t = project["training"]
    opt = ", ".join(f"{k}={v!r}" for k, v in t["optimizer"].items() if k != "name")
    ds = data.dataset
    what = {"pytorch": "PyTorch", "keras": "Keras"}[framework]
    norm = data.normalizer
    doc = f"""{what} rebuild of a network trained in nn-playground ({datetime.date.today():%Y-%m-%d}).

Layers: {_layers_text(network)} \
({network.count_params():,} parameters); weights from {weights}, next to this file.
Data: {ds.name or "file"} ({ds.problem}{f", {ds.classes} classes" if ds.problem == "classification" else ""}); \
inputs: {", ".join(data.features) if ds.columns == ["x1", "x2"] else f"{ds.x.shape[1]} columns"}; \
normalisation: {norm.kind}.
Trained with: loss {t["loss"]}, optimizer {t["optimizer"]["name"]}({opt}), batch size {t["batch_size"]}.

Run it to print the predictions for the first rows of a CSV file of raw inputs
(`python {script} inputs.csv`), or import it and call predict(raw_inputs).
"""
    return f'''{docstring_literal(doc)}

import csv
import sys
from pathlib import Path

import numpy as np
'''


def _constants(network: Model, data: PreparedData, weights: str) -> str:
    norm = data.normalizer
    ds = data.dataset
    lines = [f"WEIGHTS = Path(__file__).with_name({weights!r})", f"DTYPE = np.{network.dtype.name}"]
    if norm.kind != "none":
        lines.append(f"SHIFT = {_array_literal(norm.shift)}")
        lines.append(f"SCALE = {_array_literal(norm.scale)}")
    if ds.problem == "classification":
        lines.append(f"CLASS_NAMES = {list(ds.class_names)!r}")
    return "\n".join(lines)


_MAIN = """

def read_inputs(path):
    \"\"\"The raw input columns of a CSV file: found by name when the file has a header (so a
    label, a class-name or a split column anywhere is skipped), else the first INPUTS columns.\"\"\"
    with open(path, newline="", encoding="utf-8-sig") as f:
        text = f.read()
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\\t|").delimiter
    except csv.Error:
        delimiter = ","
    rows = [r for r in csv.reader(text.splitlines(), delimiter=delimiter) if any(c.strip() for c in r)]
    if not rows:
        return np.zeros((0, INPUTS))

    def number(cell):
        try:
            float(cell)
            return True
        except ValueError:
            return False

    columns = list(range(INPUTS))
    if not all(number(c) for c in rows[0][:INPUTS]):  # a header row
        names = [c.strip() for c in rows.pop(0)]
        if all(name in names for name in INPUT_COLUMNS):
            columns = [names.index(name) for name in INPUT_COLUMNS]
    return np.array([[float(row[j]) for j in columns] for row in rows], dtype=np.float64).reshape(-1, INPUTS)


def main(argv):
    if len(argv) > 1:
        raw = read_inputs(argv[1])
    else:
        raw = np.zeros((1, INPUTS))
        print("no CSV given: predicting for one all-zero input")
    out = predict(raw[:10])
    np.set_printoptions(precision=4, suppress=True)
    print(out)


if __name__ == "__main__":
    main(sys.argv)
"""


def _layers_text(network: Model) -> str:
    """The layers in one line for the script's docstring: "input 2 -> Dense 4 -> Dense 1"."""
    shown = [f"{layer.keras} {'x'.join(map(str, out))}" for layer, out in zip(network.layers, network.shapes[1:])
             if layer.drawn]  # fmt: skip
    return " -> ".join(["input " + "x".join(map(str, network.input_shape)), *shown])


#: The module a PyTorch rebuild flattens images with, in Keras's channels-last order: source shared by
#: the exported script and the PyTorch backend (engine/backends/pytorch.py), which runs it.
TORCH_FLATTEN = '''class ChannelsLastFlatten(nn.Module):
    """Flatten (N, C, H, W) in Keras's channels-last order, as the playground's dense kernels expect."""

    def forward(self, x):
        return torch.flatten(x.permute(0, 2, 3, 1), 1)
'''

#: How one torch tensor is made from the playground's arrays (see HOLDERS): source shared as TORCH_FLATTEN is.
TORCH_TENSOR = '''def torch_tensor(weights, k, name, axes, order=None, row=None):
    """One tensor of a torch module from the playground's array layers.{k}.{name}: its row
    `row` first (a GRU's bias holds the input's and the recurrent's), then transposed by `axes`,
    then its gate blocks along the first axis in torch's `order`; zeros where name is None (a
    Keras LSTM's one bias is torch's bias_ih, its bias_hh 0)."""
    if name is None:
        return None
    value = weights[f"layers.{k}.{name}"]
    value = (value if row is None else value[row]).transpose(axes)
    if order is not None:
        blocks = np.split(value, len(order))
        value = np.concatenate([blocks[j] for j in order])
    return value
'''


def torch_sequential(network: Model) -> tuple[str, list[tuple[int, dict[str, tuple[Any, ...]]]]]:
    """Source that defines `make_layers()`, the network's torch.nn.Sequential (each layer's own
    `torch` lines, with the helper modules they use and `torch_tensor`), run with torch, nn and np
    in scope; and the holders (`_torch_layers`): what the PyTorch backend trains."""
    lines, holders = _torch_layers(network)
    body = "\n".join(" " * 8 + m for m in lines)
    source = f"{TORCH_FLATTEN}{_torch_helpers(network)}\n\n{TORCH_TENSOR}\n\n"
    return source + f"def make_layers():\n    return nn.Sequential(\n{body}\n    )\n", holders


def _torch_helpers(network: Model) -> str:
    """The source of the helper modules its layers' torch lines use (each kind's `torch_helpers`, once)."""
    kinds = dict.fromkeys(layer.torch_helpers for layer in network.layers if layer.torch_helpers)
    return "".join(f"\n\n{code.strip()}\n" for code in kinds)


def _torch_layers(network: Model) -> tuple[list[str], list[tuple[int, dict[str, tuple[Any, ...]]]]]:
    """torch.nn modules, one per line, each layer's own (its kind's `torch`): ZeroPad2d where
    TensorFlow's 'same' pads, a channels-last flatten so the dense kernels read the maps in Keras's
    order; and for each layer with parameters, its module's place and which array fills which of
    its tensors, the axes in torch's order (a recurrent layer's gate blocks reordered too)."""
    code = CodeContext(network.exports_images)
    mods: list[str] = []
    for layer, a, b in zip(network.layers, network.shapes, network.shapes[1:]):
        code.modules = len(mods)
        mods += layer.torch(code, a, b)
    return mods, code.holders


def _keras_layers(network: Model) -> list[str]:
    """keras.layers, one per line (its kind's `keras_code`); the layers with weights are named
    layer_0, layer_1, ..."""
    code = CodeContext(network.exports_images)
    shape = tuple(network.input_shape) if network.exports_images else (network.n_inputs,)
    mods = [f"keras.Input(shape={shape!r}),"]
    return mods + [m for layer, a, b in zip(network.layers, network.shapes, network.shapes[1:])
                   for m in layer.keras_code(code, a, b)]  # fmt: skip


def _image_input(network: Model, layout: str) -> str:
    """How predict() shapes prepare()'s rows for the model: images for one with convolutions."""
    if not network.exports_images:
        return "prepare(raw_x)"
    h, w, c = network.input_shape
    shaped = f"prepare(raw_x).reshape(-1, {h}, {w}, {c})"
    return f"{shaped}.transpose(0, 3, 1, 2).copy()" if layout == "nchw" else shaped


def pytorch_script(
    network: Model, project: dict[str, Any], data: PreparedData, weights: str, script: str = "model.py"
) -> str:
    """Source of a script that rebuilds `network` with torch.nn and loads `weights` (.npz)."""
    lines, holders = _torch_layers(network)
    mods = [" " * 8 + m for m in lines]
    cast = "double" if network.dtype == np.float64 else "float"
    helpers = _torch_helpers(network)
    body = f'''import torch
from torch import nn

{_inputs_code(network, data, weights)}


{TORCH_FLATTEN}{helpers}

#: Each layer with parameters (layers.{{k}} of the weight file): its module in the Sequential and,
#: per torch tensor, the playground's array and the axes that turn it into torch's (a dense kernel
#: is (in, out), torch's (out, in); a conv kernel (kh, kw, in, out), torch's (out, in, kh, kw));
#: for a recurrent layer also its gate blocks in torch's order and the bias row (see torch_tensor).
HOLDERS = {holders!r}


{TORCH_TENSOR}

def build_model():
    """The layers, with the playground's weights."""
    model = nn.Sequential(
{chr(10).join(mods)}
    )
    model = model.{cast}()  # before loading, so no weight passes through float32
    weights = np.load(WEIGHTS, allow_pickle=False)
    with torch.no_grad():
        for k, (i, tensors) in enumerate(HOLDERS):
            for attribute, spec in tensors.items():
                value = torch_tensor(weights, k, *spec)
                target = getattr(model[i], attribute)
                if value is None:
                    target.zero_()
                else:
                    target.copy_(torch.from_numpy(value.copy()))
    return model.eval()


def predict(raw_x):
    """The playground's outputs for raw inputs (dropout is off at inference, as there)."""
    model = build_model()
    with torch.no_grad():
        return model(torch.from_numpy({_image_input(network, "nchw")})).numpy()
'''
    return _header("pytorch", network, project, data, weights, script) + body + _MAIN


def keras_script(
    network: Model, project: dict[str, Any], data: PreparedData, weights: str, script: str = "model.py"
) -> str:
    """Source of a script that rebuilds `network` as a keras.Sequential and loads `weights` (.npz)."""
    mods = [" " * 12 + m for m in _keras_layers(network)]
    body = f'''import keras
from keras import layers

{_inputs_code(network, data, weights)}


#: Each layer with parameters (layer_{{k}}, layers.{{k}} of the weight file): its arrays in Keras's order.
LAYER_WEIGHTS = {network.layer_weight_names()!r}


def build_model():
    """The layers, with the playground's weights (Keras stores kernels as the playground does:
    (in, out) dense, (kh, kw, in, out) conv, (in, gates·units) recurrent, and flattens channels last)."""
    model = keras.Sequential(
        [
{chr(10).join(mods)}
        ]
    )
    weights = np.load(WEIGHTS, allow_pickle=False)
    for i, names in enumerate(LAYER_WEIGHTS):
        model.get_layer(f"layer_{{i}}").set_weights([weights[f"layers.{{i}}.{{name}}"] for name in names])
    return model


def predict(raw_x):
    """The playground's outputs for raw inputs (dropout is off at inference, as there)."""
    return np.asarray(build_model().predict({_image_input(network, "nhwc")}, verbose=0))
'''
    if network.dtype == np.float64:
        body = body.replace("import keras\n", 'import keras\n\nkeras.config.set_floatx("float64")\n', 1)
    return _header("keras", network, project, data, weights, script) + body + _MAIN


GENERATORS: dict[str, Callable[[Model, dict[str, Any], PreparedData, str, str], str]] = {
    "pytorch": pytorch_script,
    "keras": keras_script,
}


def script_paths(path: str | Path) -> tuple[Path, Path]:
    """Where an export to `path` writes: the script (`.py` added when the name has no extension;
    a name the user gave is kept as given) and its weights, `<stem>_weights.npz`, beside it."""
    p = Path(path)
    if not p.suffix:
        p = p.with_name(p.name + ".py")
    return p, p.with_name(f"{p.stem}_weights.npz")


def export_script(
    path: str | Path, framework: str, network: Model, project: dict[str, Any], data: PreparedData
) -> tuple[Path, Path]:
    """Write the script and its weights (both atomic) where `script_paths(path)` says."""
    if framework not in GENERATORS:
        raise PlaygroundError(_("code export knows {frameworks}, not {framework!r}").format(
                                  frameworks=', '.join(FRAMEWORKS), framework=framework))
    p, weights = script_paths(path)
    source = GENERATORS[framework](network, project, data, weights.name, p.name)
    compile(source, str(p), "exec")  # a generator bug must fail here, not in the user's hands
    save_weights(weights, network, project)
    atomic_write_text(p, source)
    return p, weights
