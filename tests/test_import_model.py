"""Model import (issue 33, item 2): ONNX, Keras and PyTorch files as a project and its weights."""

import copy
import json
import warnings

import numpy as np
import pytest

from engine.cli import main
from engine.core.errors import PlaygroundError
from engine.imports import import_model
from engine.project import build_network, normalize_project, prepare_data
from engine.project.files import load_project, onnx_model_bytes, read_weights, weight_arrays
from playground.resources import PRESETS

onnx = pytest.importorskip("onnx")


def preset(name, **layer_type):
    project = normalize_project(json.loads((PRESETS / f"{name}.json").read_text()))
    for i, kind in layer_type.items():
        project["network"]["layers"][int(i[1:])]["type"] = kind
    return normalize_project(project)


def network_of(project, seed=1):
    """The project's network with weights moved off their initial values (and batch statistics
    away from 0 and 1), so a layout mistake shows."""
    data = prepare_data(project)
    ds = data.dataset
    classes = ds.classes if project["data"]["problem"] == "classification" else None
    net = build_network(project, data.n_inputs, classes, ds.image_shape, ds.sequence_shape)
    rng = np.random.default_rng(seed)
    net.set_weights([np.abs(w) + 0.5 if name.endswith("moving_variance") else w + rng.normal(0, 0.1, w.shape)
                     for name, w in zip(net.param_names(), net.get_weights())])  # fmt: skip
    return net, data


def without_dropout(layers):
    return [{**layer, "dropout": 0.0} if "dropout" in layer else layer for layer in layers]


ROUND_TRIPS = [
    ("03-spiral-relu", {}),  # dense
    ("19-cnn-digits", {}),  # conv, pooling, flatten
    ("18-cnn-shapes", {}),
    ("21-deep-sigmoid-batch-norm", {}),  # dense layers with batch_norm
    ("22-adding-problem-simplernn-vs-lstm", {}),  # simple_rnn
    ("22-adding-problem-simplernn-vs-lstm", {"l0": "lstm"}),
    ("22-adding-problem-simplernn-vs-lstm", {"l0": "gru"}),
    ("12-regression", {}),
    ("14-iris", {}),
]


@pytest.mark.parametrize(("name", "change"), ROUND_TRIPS)
def test_the_playgrounds_own_onnx_export_imports_back_to_the_same_project_and_weights(tmp_path, name, change):
    project = preset(name, **change)
    net, data = network_of(project)
    path = tmp_path / "model.onnx"
    path.write_bytes(onnx_model_bytes(net))
    result = import_model(path)
    got, want = result.project["network"], project["network"]
    assert got["layers"] == without_dropout(want["layers"])  # ONNX holds no dropout (inference)
    assert got["output_activation"] == want["output_activation"] and got["dtype"] == "float64"
    assert result.project["data"]["problem"] == project["data"]["problem"]
    exported = weight_arrays(net)
    assert set(result.weights) == set(exported)
    for key, value in exported.items():  # float32 in the file: equal to float32's precision
        np.testing.assert_allclose(result.weights[key], value.astype(np.float32), rtol=0, atol=0)
    # The imported model gives what the original gives (float32 weights, float64 maths).
    x = data.x_test[:32]
    model = result.model()
    original = copy.deepcopy(net)
    original.set_weights([w.astype(np.float32).astype(np.float64) for w in net.get_weights()])
    np.testing.assert_allclose(model.predict(x.reshape(len(x), *model.input_shape)),
                               original.predict(x), rtol=0, atol=1e-9)  # fmt: skip
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(path))
    shape = session.get_inputs()[0].shape
    feed = x.reshape(len(x), *shape[1:]).astype(np.float32)
    # onnxruntime computes in float32: its own rounding, relative to the values
    np.testing.assert_allclose(model.predict(x.reshape(len(x), *model.input_shape)),
                               session.run(None, {"input": feed})[0], rtol=1e-5, atol=1e-6)  # fmt: skip


def test_imported_projects_pick_data_that_fit_or_say_what_to_supply(tmp_path):
    project = preset("19-cnn-digits")
    net, _ = network_of(project)
    (tmp_path / "cnn.onnx").write_bytes(onnx_model_bytes(net))
    result = import_model(tmp_path / "cnn.onnx")
    assert result.project["data"]["source"] == "digits" and result.project["data"]["classes"] == 10
    assert result.project["app"]["title"] == "cnn.onnx (imported from ONNX)"
    # A model on 3 inputs: no data set fits; the note says which file to put beside the project.
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.ones((3, 2), np.float32), "w")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="dense")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])], [w])  # fmt: skip
    (tmp_path / "three.onnx").write_bytes(helper.make_model(graph).SerializeToString())
    result = import_model(tmp_path / "three.onnx")
    assert result.project["data"]["source"] == {"npz": "data.npz"}
    assert any("data.npz beside it" in n and "shape (3,)" in n for n in result.notes)
    assert result.project["training"]["loss"] == "multiclass_hinge"  # two raw scores: logits


def _graph_with(node, inputs=(), shape=("N", 1, 8, 8)):
    from onnx import TensorProto, helper

    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N"])], list(inputs))  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def test_an_operator_the_engine_lacks_is_refused_naming_its_node_and_type(tmp_path):
    from onnx import helper, numpy_helper

    path = tmp_path / "odd.onnx"
    path.write_bytes(_graph_with(helper.make_node("Selu", ["x"], ["y"], name="Act_3", alpha=1.5)))
    with pytest.raises(PlaygroundError, match=r"odd.onnx: node 'Act_3' is Selu with alpha 1.5: the playground has no "
                       "such layer"):  # fmt: skip
        import_model(path)
    w = numpy_helper.from_array(np.ones((4, 1, 3, 3), np.float32), "w")
    path.write_bytes(_graph_with(helper.make_node("Conv", ["x", "w"], ["y"], name="Conv_0", pads=[2, 2, 2, 2]), [w]))
    with pytest.raises(PlaygroundError, match=r"node 'Conv_0' is Conv with pads \[2, 2, 2, 2\]"):
        import_model(path)
    path.write_bytes(_graph_with(helper.make_node("GlobalAveragePool", ["x"], ["y"], name="gap")))
    with pytest.raises(PlaygroundError, match="node 'gap' is GlobalAveragePool: the playground has no such layer"):
        import_model(path)
    path.write_bytes(b"not a model")
    with pytest.raises(PlaygroundError, match="odd.onnx: not a valid ONNX model"):
        import_model(path)


def test_the_cli_writes_both_files_or_none(tmp_path, capsys):
    project = preset("21-deep-sigmoid-batch-norm")
    net, _ = network_of(project)
    model = tmp_path / "bn.onnx"
    model.write_bytes(onnx_model_bytes(net))
    out = tmp_path / "p.json"
    assert main(["import-model", str(model), str(out)]) == 0
    said = capsys.readouterr().out
    assert "ONNX model: layers" in said and f"saved {out} and {tmp_path / 'p.npz'}" in said
    arrays, config = read_weights(tmp_path / "p.npz")
    assert config == load_project(out) and set(arrays) == set(weight_arrays(net))
    assert main(["train", str(out), "--weights", str(tmp_path / "p.npz"), "--epochs", "0"]) == 0
    # Bad input: exit 2, one line, nothing written.
    from onnx import helper

    bad = tmp_path / "bad.onnx"
    bad.write_bytes(_graph_with(helper.make_node("Selu", ["x"], ["y"], name="s")))
    capsys.readouterr()
    assert main(["import-model", str(bad), str(tmp_path / "q.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "node 's' is Selu" in err
    assert not (tmp_path / "q.json").exists() and not (tmp_path / "q.npz").exists()
    assert main(["import-model", str(model), str(tmp_path / "q.txt")]) == 2
    assert "can be saved as .json" in capsys.readouterr().err
    assert main(["import-model", str(tmp_path / "p.json"), str(tmp_path / "q.json")]) == 2
    assert "models are imported from .onnx, .keras, .pt, .pth files" in capsys.readouterr().err


# ----------------------------------------------------------------- PyTorch and Keras (parity stage)
def _torch_models(torch):
    nn = torch.nn
    torch.manual_seed(0)
    dense = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 6), nn.Tanh(), nn.Linear(6, 1),
                          nn.Sigmoid())  # fmt: skip
    cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.ReLU(),
                        nn.Flatten(), nn.Linear(6 * 2 * 2, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 10),
                        nn.Softmax(dim=1))  # fmt: skip
    with torch.no_grad():
        dense[1].running_mean.uniform_(-1, 1)
        dense[1].running_var.uniform_(0.5, 2)
    return {"dense": (dense.eval(), (2,)), "cnn": (cnn.eval(), (8, 8, 1))}


def _torch_input(x, shape):
    return x.transpose(0, 3, 1, 2) if len(shape) == 3 else x


#: PyTorch deprecates its TorchScript-based exporter and torch.jit (both still the ones that need no
#: extra package), and Keras's torch backend trips NumPy 2's copy keyword: the tests use them as
#: users with these versions do.
TORCH_WARNINGS = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@TORCH_WARNINGS
@pytest.mark.parametrize("kind", ["dense", "cnn"])
def test_pytorch_models_reproduce_their_predictions(torch, tmp_path, kind):
    model, shape = _torch_models(torch)[kind]
    x = np.random.default_rng(0).normal(size=(16, *shape))
    with torch.no_grad():
        want = model(torch.tensor(_torch_input(x, shape), dtype=torch.float32)).numpy()
    # Exported by PyTorch's own ONNX exporter (the TorchScript-based one: no onnxscript needed).
    path = tmp_path / f"{kind}.onnx"
    torch.onnx.export(model, torch.zeros(1, *_torch_input(x[:1], shape).shape[1:]), str(path), dynamo=False,
                      input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})  # fmt: skip
    result = import_model(path)
    np.testing.assert_allclose(result.model().predict(x), want, rtol=0, atol=1e-6)
    assert result.project["data"]["source"] == ("digits" if kind == "cnn" else "circle")
    # Saved natively: TorchScript carries the architecture, a state dict only the weights.
    torch.jit.script(model).save(str(tmp_path / f"{kind}.pt"))
    scripted = import_model(tmp_path / f"{kind}.pt", input_shape=shape if kind == "cnn" else None)
    np.testing.assert_allclose(scripted.model().predict(x), want, rtol=0, atol=1e-6)
    if kind == "cnn":  # without the shape: the one square size the dense layers fit
        found = import_model(tmp_path / "cnn.pt")
        assert found.input_shape == (8, 8, 1) and any("images of 8×8×1" in n for n in found.notes)
    if kind == "dense":
        torch.save(model.state_dict(), tmp_path / "state.pt")
        plain = import_model(tmp_path / "state.pt", activation="relu", output_activation="sigmoid")
        assert plain.project["network"]["layers"][-1]["activation"] == "relu"  # the state dict holds no tanh
        model[4] = torch.nn.ReLU()
        with torch.no_grad():
            relu = model(torch.tensor(x, dtype=torch.float32)).numpy()
        np.testing.assert_allclose(plain.model().predict(x), relu, rtol=0, atol=1e-6)
    else:
        torch.save(model.state_dict(), tmp_path / "state.pt")
        with pytest.raises(PlaygroundError, match="a state dict holds no strides, padding or pooling"):
            import_model(tmp_path / "state.pt")


@TORCH_WARNINGS
def test_a_float64_pytorch_model_reproduces_its_predictions_to_1e_9(torch, tmp_path):
    model = _torch_models(torch)["dense"][0].double()
    x = np.random.default_rng(1).normal(size=(16, 2))
    with torch.no_grad():
        want = model(torch.tensor(x)).numpy()
    torch.jit.script(model).save(str(tmp_path / "d.pt"))
    np.testing.assert_allclose(import_model(tmp_path / "d.pt").model().predict(x), want, rtol=0, atol=1e-9)


def test_pytorch_recurrent_state_dicts_take_keras_gate_order(torch, tmp_path):
    nn = torch.nn
    torch.manual_seed(0)
    for module, kind in ((nn.LSTM, "lstm"), (nn.GRU, "gru"), (nn.RNN, "simple_rnn")):
        rnn, head = module(2, 5, batch_first=True), nn.Linear(5, 1)
        torch.save({**{f"0.{k}": v for k, v in rnn.state_dict().items()},
                    **{f"1.{k}": v for k, v in head.state_dict().items()}}, tmp_path / "r.pt")  # fmt: skip
        steps = 20 if kind == "gru" else 7  # the GRU imported without --input-shape: 20 steps, said in a note
        x = np.random.default_rng(2).normal(size=(8, steps, 2))
        with torch.no_grad():
            want = head(rnn(torch.tensor(x, dtype=torch.float32))[0][:, -1]).numpy()
        result = import_model(tmp_path / "r.pt", input_shape=(7, 2) if kind != "gru" else None)
        assert result.input_shape == (steps, 2)
        assert result.project["network"]["layers"][0]["type"] == kind
        np.testing.assert_allclose(result.model().predict(x), want, rtol=0, atol=1e-6)


@TORCH_WARNINGS
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_pytorch_recurrent_models_exported_to_onnx_reproduce_their_predictions(torch, tmp_path, kind):
    """PyTorch's exporter writes the module time-major with zero initial states (ConstantOfShape),
    then out[:, -1] as a Gather of the last step: a recurrent layer with return_sequences false."""
    nn = torch.nn

    class Last(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn, self.head = getattr(nn, kind)(2, 4, batch_first=True), nn.Linear(4, 1)

        def forward(self, x):
            return self.head(self.rnn(x)[0][:, -1])

    torch.manual_seed(0)
    model = Last().eval()
    with warnings.catch_warnings():  # the tracer warns from C code, where a warning cannot become an error
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(1, 5, 2), str(tmp_path / "r.onnx"), dynamo=False, input_names=["x"],
                          dynamic_axes={"x": {0: "N"}})  # fmt: skip
    result = import_model(tmp_path / "r.onnx")
    assert result.project["network"]["layers"][0]["return_sequences"] is False
    x = np.random.default_rng(0).normal(size=(6, 5, 2))
    with torch.no_grad():
        want = model(torch.tensor(x, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(result.model().predict(x), want, rtol=0, atol=1e-6)


@TORCH_WARNINGS
def test_a_whole_pickled_pytorch_model_is_refused_unread(torch, tmp_path):
    nn = torch.nn
    torch.save(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)), tmp_path / "whole.pt")
    with pytest.raises(PlaygroundError, match=r"whole.pt: not a state dict or TorchScript file \(a whole pickled "
                       r"model.*save model.state_dict\(\)"):  # fmt: skip
        import_model(tmp_path / "whole.pt")


def test_pytorch_chw_flatten_puts_the_next_dense_rows_and_batch_norm_in_keras_order(torch, tmp_path):
    """nn.Flatten lays (C, H, W) out channel by channel; the imported kernel's rows and a
    BatchNorm1d's statistics after it must follow Keras's (H, W, C) order."""
    nn = torch.nn
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.BatchNorm1d(3 * 4 * 4), nn.Linear(48, 5),
                          nn.Softmax(dim=1)).eval()  # fmt: skip
    with torch.no_grad():
        model[3].running_mean.uniform_(-1, 1)
        model[3].running_var.uniform_(0.5, 2)
        model[3].weight.uniform_(0.5, 2)
    with pytest.warns(DeprecationWarning):
        torch.jit.script(model).save(str(tmp_path / "c.pt"))
    result = import_model(tmp_path / "c.pt", input_shape=(6, 6, 2))
    x = np.random.default_rng(0).normal(size=(5, 6, 6, 2))
    with torch.no_grad():
        want = model(torch.tensor(x.transpose(0, 3, 1, 2), dtype=torch.float32)).numpy()
    np.testing.assert_allclose(result.model().predict(x), want, rtol=0, atol=1e-6)


def _keras_models(keras):
    layers = keras.layers
    keras.utils.set_random_seed(0)
    dense = keras.Sequential([keras.Input((2,)), layers.Dense(8), layers.BatchNormalization(),
                              layers.Activation("relu"), layers.Dense(6, activation="tanh"), layers.Dropout(0.2),
                              layers.Dense(3, activation="softmax")])  # fmt: skip
    cnn = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(4, 3, padding="same", activation="relu"),
                            layers.MaxPooling2D(2), layers.Conv2D(6, 3, activation="relu"), layers.Flatten(),
                            layers.Dense(16, activation="relu"), layers.Dense(10, activation="softmax")])  # fmt: skip
    bn = dense.layers[1]
    rng = np.random.default_rng(3)
    bn.set_weights([w + rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in bn.get_weights()])
    return {"dense": (dense, (2,)), "cnn": (cnn, (8, 8, 1))}


@TORCH_WARNINGS
@pytest.mark.parametrize("kind", ["dense", "cnn"])
def test_keras_models_reproduce_their_predictions(keras, tmp_path, kind):
    model, shape = _keras_models(keras)[kind]
    x = np.random.default_rng(0).normal(size=(16, *shape))
    want = np.asarray(model.predict(x.astype("float32"), verbose=0))
    model.save(tmp_path / f"{kind}.keras")
    result = import_model(tmp_path / f"{kind}.keras")
    np.testing.assert_allclose(result.model().predict(x), want, rtol=0, atol=1e-6)
    if kind == "dense":  # Dense, BatchNormalization, Activation: one dense entry with batch_norm
        assert result.project["network"]["layers"][0] == {"units": 8, "activation": "relu", "dropout": 0.0,
                                                          "batch_norm": True}  # fmt: skip
    try:  # Keras's own ONNX export, where its exporter's packages are installed
        with warnings.catch_warnings():  # its tracer warns from C code, where an error cannot be raised
            warnings.simplefilter("ignore")
            model.export(str(tmp_path / f"{kind}.onnx"), format="onnx", verbose=False)
    except (ImportError, ModuleNotFoundError) as exc:
        pytest.skip(f"Keras's ONNX export needs {exc.name}")
    exported = import_model(tmp_path / f"{kind}.onnx")
    np.testing.assert_allclose(exported.model().predict(x), want, rtol=0, atol=1e-6)
    # The same layers as the .keras file (its dropout aside): a bias after the channels-last Transpose
    # is the convolution's, and batch normalization's Sub/Mul/Add folds back into the dense entry.
    assert exported.project["network"]["layers"] == without_dropout(result.project["network"]["layers"])


# ----------------------------------------------------------------- the window
def test_file_import_model_opens_the_project_with_its_weights_and_the_walk_works(window, qtbot, tmp_path):
    from conftest import TIMEOUT
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QAction

    from playground.windows.backprop import BackpropWindow

    project = preset("19-cnn-digits")
    net, _ = network_of(project)
    path = tmp_path / "digits.onnx"
    path.write_bytes(onnx_model_bytes(net))
    window.files.dialogs.open_path = lambda *a: path
    window.findChild(QAction, "actionImportModel").trigger()
    want = import_model(path)
    s = window.session
    qtbot.waitUntil(lambda: window.files.importing is None and s.snapshot is not None
                    and s.snapshot.project["network"] == want.project["network"]
                    and s.network() is not None
                    and all(np.array_equal(a, b) for a, b in zip(s.network().get_weights(), want.weight_list()))
                    , timeout=TIMEOUT)  # fmt: skip
    assert window.session.state.dirty and window.session.state.path is None
    window.findChild(QAction, "actionBackprop").trigger()
    win = window.findChild(BackpropWindow, "backpropWindow")
    win.row.setValue(3)
    qtbot.mouseClick(win.row_go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.pending is None and win.result is not None, timeout=TIMEOUT)
    kinds = [layer.kind for layer in win.result.trace.layers]
    assert win.result.row == 3 and kinds[0] == "conv2d" and kinds[-1] == "dense"
    out = win.result.trace.layers[-1]
    assert out.grad_kernel is not None and np.isclose(out.a.sum(), 1.0)  # the softmax output, its gradients
    win.close()
    # A model the engine cannot take: said, and the project stays.
    from onnx import helper

    bad = tmp_path / "bad.onnx"
    bad.write_bytes(_graph_with(helper.make_node("Selu", ["x"], ["y"], name="s")))
    errors = []
    window.files.dialogs.error = lambda title, text: errors.append(text)
    window.files.dialogs.open_path = lambda *a: bad
    window.session.state.set_dirty(False)
    assert window.files.import_model()
    qtbot.waitUntil(lambda: bool(errors), timeout=TIMEOUT)
    assert "node 's' is Selu" in errors[0] and s.state.project["network"] == want.project["network"]


@TORCH_WARNINGS
def test_keras_recurrent_models_reproduce_their_predictions(keras, tmp_path):
    layers = keras.layers
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 2)), layers.LSTM(3, return_sequences=True), layers.GRU(4),
                              layers.Dense(1)])  # fmt: skip
    x = np.random.default_rng(0).normal(size=(8, 6, 2))
    want = np.asarray(model.predict(x.astype("float32"), verbose=0))
    model.save(tmp_path / "r.keras")
    result = import_model(tmp_path / "r.keras")
    assert [layer["type"] for layer in result.project["network"]["layers"]] == ["lstm", "gru"]
    assert result.project["data"]["source"] == "adding" and result.project["data"]["sequence_length"] == 6
    np.testing.assert_allclose(result.model().predict(x), want, rtol=0, atol=1e-6)
