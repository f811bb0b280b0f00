"""Issue 33, item 2: an imported model opens with its weights and every view works on it, driven
through the real window. The model files are the engine's own ONNX export of networks whose
weights were moved off their initial values, so no other framework is needed."""

import numpy as np
import pytest
from conftest import TIMEOUT
from helpers import project, wait_for
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from engine.imports import import_model
from engine.project import build_network, prepare_data
from engine.project.files import onnx_model_bytes

pytest.importorskip("onnx")


def _model_file(tmp_path, name, spec, seed=1):
    """An ONNX file of `spec`'s network with weights off their initial values (batch statistics
    away from 0 and 1), so an import that fell back to fresh weights shows."""
    p = project(**spec)
    data = prepare_data(p)
    ds = data.dataset
    classes = ds.classes if p["data"]["problem"] == "classification" else None
    net = build_network(p, data.n_inputs, classes, ds.image_shape, ds.sequence_shape)
    rng = np.random.default_rng(seed)
    net.set_weights([np.abs(w) + 0.5 if n.endswith("moving_variance") else w + rng.normal(0, 0.3, w.shape)
                     for n, w in zip(net.param_names(), net.get_weights())])  # fmt: skip
    path = tmp_path / f"{name}.onnx"
    path.write_bytes(onnx_model_bytes(net))
    return path


def _same(a, b):
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b))


def _import(qtbot, window, path):
    """File → Import Model… of `path`; waits for the first snapshot that holds the model's weights."""
    want = import_model(path)
    window.files.dialogs.open_path = lambda *a: path
    window.findChild(QAction, "actionImportModel").trigger()
    weights = want.weight_list()
    snap = wait_for(qtbot, window, lambda s: window.files.importing is None and _same(s.weights, weights)
                    and s.project["network"] == want.project["network"])  # fmt: skip
    return snap, want


def _steps(qtbot, window, n):
    s = window.session
    for _ in range(n):
        seq = s.step("batch")
    return wait_for(qtbot, window, lambda snap: snap.applied >= seq)


def _walk(qtbot, window, row=2):
    """Tools → Backpropagation, one training row walked; the window's result."""
    from playground.windows.backprop import BackpropWindow

    window.findChild(QAction, "actionBackprop").trigger()
    win = window.findChild(BackpropWindow, "backpropWindow")
    win.row.setValue(row)
    qtbot.mouseClick(win.row_go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.pending is None and win.result is not None and win.result.row == row, timeout=TIMEOUT)
    return win


def _landscape_plane(qtbot, window):
    """Tools → Loss landscape, the smallest plane; its result."""
    from playground.windows.landscape import LandscapeWindow

    window.findChild(QAction, "actionLandscape").trigger()
    win = window.findChild(LandscapeWindow, "landscapeWindow")
    win.resolution.setCurrentIndex(0)
    qtbot.mouseClick(win.plane_go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.job is None and "plane" in win.results, timeout=TIMEOUT)
    result = win.results["plane"]
    win.close()
    return result


def _train_loss(snap):
    from engine.run.training import Trainer

    tr = Trainer(snap.project, data=snap.data)
    tr.network.set_weights(snap.weights)
    return tr.evaluate()["train"]["loss"]


DENSE = {"data": {"source": "circle", "samples": 120},
         "network": {"layers": [{"units": 5, "activation": "tanh"}, {"units": 3, "activation": "relu"}],
                     "output_activation": "sigmoid"},
         "training": {"batch_size": 10}}  # fmt: skip


def test_an_imported_dense_model_opens_with_its_weights_and_every_view_works(qtbot, window, tmp_path):
    path = _model_file(tmp_path, "dense", DENSE)
    snap, want = _import(qtbot, window, path)
    net = want.model()
    assert window.session.state.dirty and window.area.page() == "neurons"
    # The neuron graph (the layer view of point data) holds the imported layers, a picture per unit.
    assert [h["units"] for h in window.network.hidden] == [5, 3]
    assert [g.shape[0] for g in snap.neuron_grids] == [5, 3, 1]
    # The output plane is the imported network's own output over the plane.
    from playground.run.snapshot import THUMB_SIZE, grid_points

    n = snap.output_grid.shape[0]
    grid = snap.data.transform(grid_points(snap.extent, n))
    np.testing.assert_allclose(snap.output_grid.reshape(n * n, -1), net.predict(grid), rtol=0, atol=1e-12)
    step = max(1, n // THUMB_SIZE)
    first = net.neuron_outputs(grid)[0].reshape(n, n, -1)[::step, ::step]
    np.testing.assert_allclose(snap.neuron_grids[0], np.moveaxis(first, 2, 0), rtol=0, atol=1e-12)
    # The weights tab: a histogram per layer of the imported kernels.
    assert window.show_view("weights")
    counts = [int(c.sum()) for c, _e in snap.histograms]
    assert counts == [k.size for k in net.kernels] == [10, 15, 3]
    qtbot.waitUntil(lambda: len(window.histograms.curves) == 3 and window.histograms.layer.count() == 3)
    # Model summary: the imported layers and their parameter count.
    summary = window.tools.show_summary()
    assert f"Total params: {sum(w.size for w in snap.weights)}" in summary
    # The backprop walk from the imported weights.
    win = _walk(qtbot, window)
    trace = win.result.trace
    x = snap.data.x_train[2:3]
    np.testing.assert_allclose(trace.layers[-1].a.ravel(), net.predict(x).ravel(), rtol=0, atol=1e-12)
    win.close()
    # The landscape around the imported weights: its centre is their training loss.
    plane = _landscape_plane(qtbot, window)
    mid = plane.loss.shape[0] // 2
    assert plane.centre == plane.loss[mid, mid] == pytest.approx(_train_loss(window.session.snapshot), rel=1e-12)
    # The hidden space through the imported layers.
    assert window.show_view("hidden")
    snap = wait_for(qtbot, window, lambda s: s.hidden is not None)
    rows = snap.hidden.points[0].shape[0]
    np.testing.assert_allclose(snap.hidden.points[0], net.neuron_outputs(snap.data.x_train[:rows])[0], atol=1e-12)
    qtbot.waitUntil(lambda: window.hidden_space.layer.count() == 2)
    # Training from the imported weights: a few steps move them, and the gradient flow draws each layer.
    assert window.show_view("gradients")
    snap = _steps(qtbot, window, 6)
    assert snap.steps >= 6 and not _same(snap.weights, want.weight_list())
    snap = wait_for(qtbot, window, lambda s: s.gradients is not None and s.gradients.rms.shape[0] >= 2)
    assert snap.gradients.rms.shape[1] == 3 and np.all(np.isfinite(snap.gradients.rms))
    window.gradients.set_snapshot(snap)
    assert len(window.gradients.norm_curves) == 3 and window.gradients.readout.text()
    window.session.set_playing(True)
    wait_for(qtbot, window, lambda s: s.steps >= snap.steps + 20)
    window.session.set_playing(False)
    # Reset is epoch 0 with the run's initial weights: the imported ones, not the initializer's.
    gen = snap.generation
    window.findChild(QAction, "actionReset").trigger()
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    assert snap.steps == 0 and _same(snap.weights, want.weight_list())
    assert _same(window.session.timeline.snapshots[0].weights, want.weight_list())


CNN = {"data": {"source": "digits", "test_fraction": 0.3},
       "network": {"layers": [{"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same",
                               "activation": "relu"},
                              {"type": "max_pooling2d", "pool_size": 2}, {"type": "flatten"},
                              {"units": 12, "activation": "relu"}],
                   "output_activation": "softmax"},
       "training": {"loss": "categorical_crossentropy", "batch_size": 32}}  # fmt: skip


def test_an_imported_cnn_opens_in_the_layer_stack_with_its_feature_maps_and_every_view_works(qtbot, window, tmp_path):
    path = _model_file(tmp_path, "cnn", CNN)
    snap, want = _import(qtbot, window, path)
    net = want.model()
    assert net.input_shape == (8, 8, 1) and snap.output_grid is None
    # The layer stack: a row per layer, the picked image's feature maps from the imported weights.
    assert window.area.page() == "layers"
    layers = window.layers
    assert [r.kind for r in layers.plan] == ["Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
    snap = wait_for(qtbot, window, lambda s: s.layer_maps is not None and _same(s.weights, want.weight_list()))
    maps = snap.layer_maps
    assert maps.row == int(snap.data.test[0])  # the first test image
    x = snap.data.x_test[:1]
    outs = net.layer_outputs(x.reshape(1, *net.input_shape))
    conv = maps.layers[0]
    assert conv.kind == "Conv2D" and conv.maps.shape == (4, 8, 8) and conv.filters is not None
    expected = np.clip((np.moveaxis(outs[0][0], 2, 0) - conv.low) * 255 / (conv.high - conv.low), 0, 255)
    assert np.abs(conv.maps.astype(int) - expected.astype(int)).max() <= 1
    np.testing.assert_allclose(maps.layers[-1].values, outs[-1][0], rtol=1e-6, atol=1e-9)  # kept as float32
    qtbot.waitUntil(lambda: layers.rows[0].strip.picture is not None)
    # Model summary, the weights tab, the backprop walk.
    summary = window.tools.show_summary()
    assert f"Total params: {sum(w.size for w in snap.weights)}" in summary
    assert window.show_view("weights")
    assert [int(c.sum()) for c, _e in snap.histograms] == [k.size for k in net.kernels]
    win = _walk(qtbot, window, 5)
    assert [layer.kind for layer in win.result.trace.layers] == ["conv2d", "dense", "dense"]
    np.testing.assert_allclose(win.result.trace.layers[-1].a.ravel(),
                               net.predict(snap.data.x_train[5:6].reshape(1, *net.input_shape)).ravel(),
                               rtol=0, atol=1e-12)  # fmt: skip
    win.close()
    # The hidden space: the dense layer after the flatten.
    assert window.show_view("hidden")
    snap = wait_for(qtbot, window, lambda s: s.hidden is not None)
    assert snap.hidden.names == ("layer 4",)
    rows = snap.hidden.points[0].shape[0]
    dense = net.neuron_outputs(snap.data.x_train[:rows].reshape(rows, *net.input_shape))[1]  # per layer with a kernel
    np.testing.assert_allclose(snap.hidden.points[0], dense, rtol=0, atol=1e-12)
    # Training: a step moves the weights and the gradient flow has each layer with a kernel.
    assert window.show_view("gradients")
    snap = _steps(qtbot, window, 3)
    assert not _same(snap.weights, want.weight_list())
    snap = wait_for(qtbot, window, lambda s: s.gradients is not None and s.gradients.rms.shape[0] >= 2)
    assert snap.gradients.rms.shape[1] == 3
    # The landscape's slice runs from the run's initial weights, the imported ones, to now.
    from playground.windows.landscape import LandscapeWindow

    window.findChild(QAction, "actionLandscape").trigger()
    land = window.findChild(LandscapeWindow, "landscapeWindow")
    land.tabs.setCurrentIndex(1)
    qtbot.mouseClick(land.slice_go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: land.job is None and "slice" in land.results, timeout=TIMEOUT)
    r = land.results["slice"]
    zero = int(np.argmin(np.abs(r.ts)))
    imported = window.session.snapshot
    from engine.run.training import Trainer

    tr = Trainer(imported.project, data=imported.data)
    tr.network.set_weights(want.weight_list())
    assert r.curves["train"][zero] == pytest.approx(tr.evaluate()["train"]["loss"], rel=1e-9)
    land.close()


BN = {"data": {"source": "circle", "samples": 120},
      "network": {"layers": [{"units": 5, "activation": "sigmoid", "batch_norm": True},
                             {"units": 4, "activation": "tanh", "batch_norm": True}],
                  "output_activation": "sigmoid"},
      "training": {"batch_size": 10}}  # fmt: skip


def test_an_imported_batch_norm_model_shows_its_statistics_in_the_batch_norm_tab(qtbot, window, tmp_path):
    path = _model_file(tmp_path, "bn", BN)
    snap, want = _import(qtbot, window, path)
    assert [entry.get("batch_norm") for entry in snap.project["network"]["layers"]] == [True, True]
    net = want.model()
    moving = {n: w for n, w in zip(net.param_names(), net.get_weights()) if "moving" in n}
    assert len(moving) == 4 and all(np.abs(w - w.round()).max() > 0 for w in moving.values())
    assert window.show_view("batchnorm")
    view = window.batch_norm
    snap = wait_for(qtbot, window, lambda s: s.batch_norm is not None)
    qtbot.waitUntil(lambda: view.stats is not None and view.layer.count() == 2)
    names = sorted(n for n in moving if n.endswith("moving_mean"))
    np.testing.assert_array_equal(view.stats.layers[0].moving_mean, moving[names[0]][: view.stats.layers[0].units])
    assert window.output.plane_mode.isVisible()
    # The output plane at inference (moving statistics) is the imported model's prediction.
    from playground.run.snapshot import grid_points

    n = snap.output_grid.shape[0]
    grid = snap.data.transform(grid_points(snap.extent, n))
    np.testing.assert_allclose(snap.output_grid.reshape(n * n, -1), net.predict(grid), rtol=0, atol=1e-12)
    win = _walk(qtbot, window)
    assert "batch_normalization" in [step.kind for step in win.result.trace.steps]
    np.testing.assert_allclose(win.result.trace.steps[-1].a.ravel(), net.predict(snap.data.x_train[2:3]).ravel(),
                               rtol=0, atol=1e-12)  # at inference: the moving statistics imported
    win.close()
    snap = _steps(qtbot, window, 4)
    snap = wait_for(qtbot, window, lambda s: s.batch_norm is not None and s.batch_norm.steps == s.steps >= 4)
    assert snap.batch_norm.trained
    # Saved, the project names its initial weights, written beside it; reopened, it starts from them.
    import json

    from engine.project.files import read_weights

    saved = tmp_path / "mine.json"
    assert window.files.save_as(saved) and not window.session.state.dirty
    assert json.loads(saved.read_text())["app"]["weights"] == "mine.weights.npz"
    arrays, config = read_weights(tmp_path / "mine.weights.npz")
    assert _same(list(arrays.values()), want.weight_list()) and config["network"] == want.project["network"]
    window.files.new_project()
    wait_for(qtbot, window, lambda s: s.project["network"] != want.project["network"])
    assert window.session.start is None
    assert window.files.open_project(saved)
    snap = wait_for(qtbot, window, lambda s: s.project["network"] == want.project["network"])
    assert snap.steps == 0 and _same(snap.weights, want.weight_list())
    assert "its initial weights from mine.weights.npz" in window.statusBar().currentMessage()
    snap = _steps(qtbot, window, 2)
    assert snap.steps == 2 and not _same(snap.weights, want.weight_list())
    # A new draw of initial weights leaves the imported ones: saved again, the project names none.
    gen = snap.generation
    window.findChild(QAction, "actionNewWeights").trigger()
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    assert not _same(snap.weights, want.weight_list())
    assert window.files.save() and "weights" not in json.loads(saved.read_text())["app"]


@pytest.mark.parametrize("name", ["../w.npz", "sub/w.npz", "w.json", ".npz", 3])
def test_a_project_names_its_initial_weights_only_as_a_npz_file_beside_it(name):
    from engine.core.errors import PlaygroundError

    with pytest.raises(PlaygroundError, match="app.weights must name a .npz file beside the project"):
        project(app={"weights": name})
    assert project(app={"weights": "w.npz"})["app"]["weights"] == "w.npz"


RNN = {"data": {"source": "adding", "sequence_length": 8, "samples": 200},
       "network": {"layers": [{"type": "lstm", "units": 4}], "output_activation": "linear"},
       "training": {"loss": "mse", "batch_size": 16}}  # fmt: skip


def test_an_imported_recurrent_model_opens_unrolled_and_its_gradient_through_time_is_drawn(qtbot, window, tmp_path):
    from engine.run.training import Trainer
    from playground.run.sequence_probe import TIME_ROWS, time_gradient

    path = _model_file(tmp_path, "lstm", RNN)
    snap, want = _import(qtbot, window, path)
    net = want.model()
    assert snap.data.dataset.sequence_shape == (8, 2) and window.area.page() == "unrolled"
    snap = wait_for(qtbot, window, lambda s: s.sequence is not None and _same(s.weights, want.weight_list()))
    pic = snap.sequence
    x = snap.data.transform(snap.data.dataset.x[pic.row : pic.row + 1])
    np.testing.assert_allclose(pic.output, net.predict(x)[0], rtol=1e-6)
    assert pic.layers[0].kind == "LSTM" and pic.layers[0].h.shape == (8, 4)
    assert window.show_view("time")
    snap = wait_for(qtbot, window, lambda s: s.time_gradient is not None)
    want_grad = time_gradient(net, Trainer(snap.project, data=snap.data).loss, snap.data.x_train[:TIME_ROWS],
                              snap.data.y_train[:TIME_ROWS])  # fmt: skip
    np.testing.assert_allclose(snap.time_gradient.layers[0].norms, want_grad.layers[0].norms, rtol=1e-9)
    win = _walk(qtbot, window, 1)
    np.testing.assert_allclose(win.result.trace.steps[-1].a.ravel(), net.predict(snap.data.x_train[1:2]).ravel(),
                               rtol=0, atol=1e-12)  # fmt: skip
    win.close()
    assert f"Total params: {sum(w.size for w in snap.weights)}" in window.tools.show_summary()
    plane = _landscape_plane(qtbot, window)
    mid = plane.loss.shape[0] // 2
    assert plane.centre == plane.loss[mid, mid] == pytest.approx(_train_loss(window.session.snapshot), rel=1e-12)
    snap = _steps(qtbot, window, 3)
    assert snap.steps == 3 and not _same(snap.weights, want.weight_list())


def test_a_project_import_model_wrote_opens_in_the_window_with_its_weights(qtbot, window, tmp_path, capsys):
    """`nn-playground import-model m.onnx m.json`, then opening m.json (as `nn-playground m.json`
    does): the run starts from the imported weights, and Reset returns to them. Weights that do
    not fit the network are said on the banner; a missing file is said and the open project stays."""
    from engine.cli import main

    path = _model_file(tmp_path, "m", DENSE)
    assert main(["import-model", str(path), str(tmp_path / "m.json")]) == 0
    capsys.readouterr()
    want = import_model(path)
    assert window.files.open_project(tmp_path / "m.json")
    snap = wait_for(qtbot, window, lambda s: s.project["network"] == want.project["network"])
    assert snap.steps == 0 and _same(snap.weights, want.weight_list())
    assert window.banner.text() == "" and "its initial weights from m.npz" in window.statusBar().currentMessage()
    np.testing.assert_allclose(window.session.network().predict(snap.data.x_train[:5]),
                               want.model().predict(snap.data.x_train[:5]), rtol=0, atol=0)  # fmt: skip
    snap = _steps(qtbot, window, 2)
    assert not _same(snap.weights, want.weight_list())
    gen = snap.generation
    window.findChild(QAction, "actionReset").trigger()
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    assert snap.steps == 0 and _same(snap.weights, want.weight_list())
    # The network edited in the file: the initializer's weights, and the banner says why.
    import json

    doc = json.loads((tmp_path / "m.json").read_text())
    doc["network"]["layers"][0]["units"] = 4
    (tmp_path / "edited.json").write_text(json.dumps(doc))
    assert window.files.open_project(tmp_path / "edited.json")
    snap = wait_for(qtbot, window, lambda s: s.project["network"] == window.session.state.project["network"]
                    and s.project["network"]["layers"][0]["units"] == 4)  # fmt: skip
    qtbot.waitUntil(lambda: "do not fit its network" in window.banner.text(), timeout=TIMEOUT)
    assert window.banner.property("kind") == "error" and snap.steps == 0
    assert "array 1 of m.npz has shape (2, 5), this network's (2, 4)" in window.banner.text()
    # The weights file gone: the dialog says so, and the project open before stays as it was.
    (tmp_path / "m.npz").rename(tmp_path / "kept.npz")
    errors = []
    window.files.dialogs.error = lambda title, text: errors.append(text)
    before = window.session.state.project
    assert not window.files.open_project(tmp_path / "m.json")
    assert "app.weights names m.npz, which is not in" in errors[0] and "remove app.weights" in errors[0]
    assert window.session.state.project == before and window.session.state.path == tmp_path / "edited.json"
