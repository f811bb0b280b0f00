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
    # The output plane is the imported network's own output over the plane.
    from playground.run.snapshot import grid_points

    n = snap.output_grid.shape[0]
    grid = snap.data.transform(grid_points(snap.extent, n))
    np.testing.assert_allclose(snap.output_grid.reshape(n * n, -1), net.predict(grid), rtol=0, atol=1e-12)
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
