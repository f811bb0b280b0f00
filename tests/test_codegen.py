"""Code export: PyTorch and Keras scripts that rebuild the network and match its predictions."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import project

from engine.data.features import FEATURES
from engine.exports.codegen import FEATURE_CODE, docstring_literal, export_script
from engine.project.files import apply_weights, read_weights
from engine.run.training import Trainer

ALL_FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]
CASES = {
    "default": project(),
    "features_standardized_alpha_activations": project(
        data={"source": "spiral", "features": ALL_FEATURES, "normalize": "standardize"},
        network={
            "layers": [
                {"units": 5, "activation": {"name": "leaky_relu", "alpha": 0.1}},
                {"units": 4, "activation": {"name": "elu", "alpha": 0.5}, "dropout": 0.2},
                {"units": 3, "activation": "softplus"},
            ]
        },
    ),
    "multiclass_float32": project(
        data={"source": "blobs", "classes": 3},
        network={"layers": [{"units": 6, "activation": "relu"}], "output_activation": "softmax", "dtype": "float32"},
        training={"loss": "categorical_crossentropy"},
    ),
    "regression_linear": project(
        data={"source": "plane", "problem": "regression", "features": ["x1^2", "x2"]},
        network={"layers": [{"units": 3, "activation": "sigmoid"}], "output_activation": "linear"},
        training={"loss": "mse"},
    ),
    "cnn_strides_even_kernel_float32": project(  # 'same' with stride 2 and a 4×4 kernel pads unevenly
        data={"source": "shapes", "classes": 4, "samples": 120, "normalize": "unit", "features": None},
        network={"layers": [
            {"type": "conv2d", "filters": 3, "kernel_size": 4, "strides": 2, "padding": "same",
             "activation": {"name": "leaky_relu", "alpha": 0.1}},
            {"type": "average_pooling2d", "pool_size": 2},
            {"type": "conv2d", "filters": 4, "kernel_size": 2, "padding": "valid", "activation": "relu"},
            {"type": "flatten"}, {"units": 5, "activation": {"name": "elu", "alpha": 0.5}, "dropout": 0.2}],
            "output_activation": "softmax", "dtype": "float32"},
        training={"loss": "categorical_crossentropy"},
    ),
    "cnn_same_max_pool_float64": project(
        data={"source": "shapes", "classes": 3, "samples": 90, "normalize": "standardize", "features": None},
        network={"layers": [
            {"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": "same", "activation": "tanh"},
            {"type": "max_pooling2d", "pool_size": 3}, {"units": 4, "activation": "sigmoid"}],
            "output_activation": "softmax"},
        training={"loss": "categorical_crossentropy"},
    ),
    "recurrent_stacked_standardized": project(  # every kind, return_sequences on the first two
        data={"source": "adding", "samples": 60, "sequence_length": 5, "normalize": "standardize"},
        network={"layers": [{"type": "gru", "units": 4, "return_sequences": True},
                            {"type": "simple_rnn", "units": 3, "activation": "relu", "return_sequences": True},
                            {"type": "lstm", "units": 3}, {"units": 2}], "output_activation": "linear"},
        training={"loss": "mse"},
    ),
    "recurrent_lstm_float32_classes": project(
        data={"source": "parity", "samples": 60, "sequence_length": 4},
        network={"layers": [{"type": "lstm", "units": 3}], "output_activation": "sigmoid", "dtype": "float32"},
        training={"loss": "binary_crossentropy"},
    ),
    "dense_batch_norm_standardized": project(
        data={"source": "spiral", "normalize": "standardize"},
        network={"layers": [{"units": 6, "activation": "relu", "batch_norm": True, "dropout": 0.1},
                            {"type": "batch_normalization", "momentum": 0.9, "scale": False},
                            {"units": 4, "activation": "tanh"}]},
    ),
    "cnn_batch_norm_float64": project(
        data={"source": "shapes", "classes": 3, "samples": 90, "normalize": "unit", "features": None},
        network={"layers": [
            {"type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same", "activation": "relu",
             "batch_norm": True},
            {"type": "max_pooling2d", "pool_size": 2}, {"type": "batch_normalization", "center": False},
            {"type": "activation", "activation": {"name": "leaky_relu", "alpha": 0.1}},
            {"units": 4, "activation": "elu", "batch_norm": True}],
            "output_activation": "softmax"},
        training={"loss": "categorical_crossentropy"},
    ),
    "images_unit_no_hidden_layer": project(
        data={"source": "shapes", "classes": 4, "samples": 120, "normalize": "unit"},
        network={"layers": [], "output_activation": "softmax"},
        training={"loss": "categorical_crossentropy"},
    ),
}


def test_every_registered_feature_has_code():
    assert set(FEATURE_CODE) == set(FEATURES.names())


def _exported(tmp_path: Path, framework: str) -> list[tuple[Path, np.ndarray, np.ndarray]]:
    """Train each case briefly, export it, and keep raw inputs with the engine's predictions."""
    out = []
    for name, p in CASES.items():
        tr = Trainer(p)
        tr.fit(2)
        (tmp_path / name).mkdir(parents=True)
        script, weights = export_script(tmp_path / name / "model.py", framework, tr.network, p, tr.data)
        assert weights == script.with_name("model_weights.npz") and weights.exists()
        raw = tr.data.dataset.x[:25]
        out.append((script, raw, tr.network.predict(tr.data.transform(raw).astype(tr.network.dtype))))
    return out


def _run_scripts(
    cases: list[tuple[Path, np.ndarray, np.ndarray]], env: dict[str, str] | None = None, tol64: float = 1e-9
) -> None:
    """Import every script in one fresh interpreter (only the framework, no playground) and compare."""
    jobs = []
    for script, raw, _expected in cases:
        np.save(script.with_name("raw.npy"), raw)
        jobs.append(str(script))
    driver = (
        "import importlib.util, sys, numpy as np\n"
        "for path in sys.argv[1:]:\n"
        "    spec = importlib.util.spec_from_file_location('exported', path)\n"
        "    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
        "    raw = np.load(path.replace('model.py', 'raw.npy'))\n"
        "    np.save(path.replace('model.py', 'pred.npy'), mod.predict(raw))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", driver, *jobs],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    for script, _raw, expected in cases:
        got = np.load(script.with_name("pred.npy"))
        tol = 1e-5 if expected.dtype == np.float32 else tol64
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, err_msg=script.parent.name)


def test_scripts_compile_and_their_weights_load_back_into_the_playground(tmp_path):
    for framework in ("pytorch", "keras"):
        for script, _raw, _expected in _exported(tmp_path / framework, framework):
            source = script.read_text()
            compile(source, str(script), "exec")
            imports = {line.split()[1] for line in source.splitlines() if line.startswith(("import ", "from "))}
            assert imports <= {"csv", "sys", "pathlib", "numpy", "torch", "keras"}  # stands alone
            assert "allow_pickle=False" in source
            name = script.parent.name
            arrays, config = read_weights(script.with_name("model_weights.npz"))
            tr = Trainer(CASES[name])
            apply_weights(tr.network, arrays)
            assert config["network"] == CASES[name]["network"]


def test_the_pytorch_script_predicts_what_the_engine_predicts(tmp_path, torch):
    _run_scripts(_exported(tmp_path, "pytorch"))


def test_the_keras_script_predicts_what_the_engine_predicts(tmp_path, keras):
    # Keras 3's torch backend multiplies float64 Dense inputs in float32 (measured: 1e-8 off on
    # a lone 1×1 Dense), so float64 agreement is to float32 precision here.
    _run_scripts(_exported(tmp_path, "keras"), env={"KERAS_BACKEND": "torch"}, tol64=1e-6)


def test_the_script_runs_from_the_command_line_on_a_csv(tmp_path, torch):
    tr = Trainer(CASES["default"])
    script, _ = export_script(tmp_path / "net", "pytorch", tr.network, CASES["default"], tr.data)
    assert script.name == "net.py"
    (tmp_path / "in.csv").write_text("x1,x2,label\n0.5,-1,1\n2,3,0\n")
    run = subprocess.run([sys.executable, str(script), str(tmp_path / "in.csv")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    expected = tr.network.predict(np.array([[0.5, -1], [2, 3]]))
    values = [float(v) for v in run.stdout.replace("[", " ").replace("]", " ").split()]
    np.testing.assert_allclose(values, expected.ravel(), atol=1e-4)


HOSTILE = 'evil"""\nimport pathlib; pathlib.Path("PWNED").write_text("x")\n"""\\ \'\'\' {script} \r\x00'


def _hostile_export(tmp_path: Path, framework: str, name: str) -> Path:
    """Export a trained net whose data file and class names carry `name`."""
    folder = tmp_path / f"{framework}-{len(name)}"
    folder.mkdir()
    csv = folder / "data.csv"
    csv.write_text("x1,x2,label\n" + "".join(f"{i / 10},{-i / 7},{i % 2}\n" for i in range(20)))
    p = project(data={"source": {"csv": str(csv)}, "features": None})
    tr = Trainer(p)
    tr.data.dataset.name = name
    tr.data.dataset.class_names = [name + "0", name + "1"]
    script, _ = export_script(folder / "model.py", framework, tr.network, p, tr.data)
    return script


def _shape(tree: ast.AST) -> list[str]:
    return [type(node).__name__ for node in ast.walk(tree)]


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
def test_hostile_names_stay_text_in_the_exported_script(tmp_path, framework):
    plain = ast.parse(_hostile_export(tmp_path, framework, "").read_text())
    script = _hostile_export(tmp_path, framework, HOSTILE)
    tree = ast.parse(script.read_text())
    assert _shape(tree) == _shape(plain)  # the same statements: the name added no code
    doc = ast.get_docstring(tree, clean=False)
    assert f"Data: {HOSTILE} (classification" in doc  # and it reads back exactly as the name
    # Import the script with stand-ins for the frameworks: nothing at module level may run.
    stub = (
        "import sys, types, unittest.mock as m, importlib.util\n"
        "for mod in ('torch', 'torch.nn', 'keras', 'keras.layers'):\n"
        "    sys.modules[mod] = m.MagicMock()\n"
        "spec = importlib.util.spec_from_file_location('exported', sys.argv[1])\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
    )
    run = subprocess.run([sys.executable, "-c", stub, str(script)], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "PWNED").exists()


def test_a_docstring_literal_evaluates_to_its_text():
    for text in (HOSTILE, "", '"', "\\", 'a"""b', "tab\there", "é ∂J/∂w"):
        assert ast.literal_eval(docstring_literal(text)) == text


def _import_with_stub_frameworks(script: Path, call: str) -> subprocess.CompletedProcess:
    """Import an exported script with stand-ins for torch and keras, then run `call` (prints JSON)."""
    code = (
        "import sys, json, unittest.mock as m, importlib.util\n"
        "for mod in ('torch', 'torch.nn', 'keras', 'keras.layers'):\n"
        "    sys.modules[mod] = m.MagicMock()\n"
        "spec = importlib.util.spec_from_file_location('exported', sys.argv[1])\n"
        "mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
        f"print(json.dumps({call}))\n"
    )
    return subprocess.run([sys.executable, "-c", code, str(script)], capture_output=True, text=True)


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
def test_the_scripts_read_only_the_input_columns_of_a_csv(tmp_path, framework):
    """A class-name label or export-data's split column once made every row NaN and dropped it."""
    from engine.project.files import export_data

    tr = Trainer(CASES["default"])
    script, _ = export_script(tmp_path / "net.py", framework, tr.network, CASES["default"], tr.data)
    names = tmp_path / "names.csv"
    names.write_text("kind,x2,x1\ncat,-1,0.5\ndog,3,2\n")  # label first, inputs out of order
    export_data(tmp_path / "exported.csv", tr.data)
    plain = tmp_path / "plain.csv"
    plain.write_text("0.5,-1,cat\n2,3,dog\n")
    for csv_file, expected in (
        (names, [[0.5, -1.0], [2.0, 3.0]]),
        (tmp_path / "exported.csv", tr.data.dataset.x[:3].tolist()),
        (plain, [[0.5, -1.0], [2.0, 3.0]]),
    ):
        run = _import_with_stub_frameworks(script, f"mod.read_inputs({str(csv_file)!r})[:3].tolist()")
        assert run.returncode == 0, run.stderr
        np.testing.assert_allclose(json.loads(run.stdout), expected, err_msg=csv_file.name)


def test_the_pytorch_script_loads_each_kernel_into_the_module_its_layer_made(tmp_path):
    """Each layer kind says which of its torch lines holds its weights and how its kernel's axes
    map to torch's; the script loads by that list (issue 36: no isinstance on torch modules)."""
    for name in ("features_standardized_alpha_activations", "cnn_strides_even_kernel_float32"):
        tr = Trainer(CASES[name])
        (tmp_path / name).mkdir()
        script, _ = export_script(tmp_path / name / "model.py", "pytorch", tr.network, CASES[name], tr.data)
        tree = ast.parse(script.read_text())
        holders = next(ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                       and node.targets[0].id == "HOLDERS")  # fmt: skip
        build = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "build_model")
        seq = next(n for n in ast.walk(build) if isinstance(n, ast.Call) and ast.unparse(n.func) == "nn.Sequential")
        modules = [ast.unparse(arg.func) for arg in seq.args]
        assert len(holders) == len(tr.network.kernels)
        for (i, tensors), kernel in zip(holders, tr.network.kernels):
            assert set(tensors) == {"weight", "bias"} and tensors["bias"] == ("bias", (0,))
            name, axes = tensors["weight"]
            assert name == "kernel" and modules[i] == ("nn.Conv2d" if kernel.ndim == 4 else "nn.Linear")
            assert len(axes) == kernel.ndim
            torch_shape = kernel.transpose(axes).shape  # torch's (out, in) or (out, in, kh, kw)
            assert torch_shape[0] == kernel.shape[-1] and torch_shape[1] == kernel.shape[-2]
