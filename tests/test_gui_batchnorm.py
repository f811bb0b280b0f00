"""Batch normalization in the window, driven by object name and waited on by snapshot: the BN box
above a layer, the Batch norm tab's statistics against the engine's, the output plane's
train/inference switch against the engine's forward in each mode, the warning for a batch of
one, the layer stack's boxes for boolean keys and its epsilon, BatchNormalization and Activation
entries in the neuron graph, and the exports of a BN model."""

import json

import numpy as np
import pytest
from helpers import wait_for
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QCheckBox, QDoubleSpinBox, QSpinBox, QToolButton

from playground.panels.batchnorm_view import NO_BN, fmt
from playground.run.snapshot import grid_points

DENSE = {"data": {"source": "circle", "samples": 200, "noise": 0.1},
         "network": {"layers": [{"units": 5, "activation": "sigmoid", "batch_norm": True},
                                {"units": 4, "activation": "tanh", "batch_norm": True}]},
         "training": {"batch_size": 10}}  # fmt: skip


def _open(qtbot, window, tmp_path, spec, name="bn.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"format": "nn-playground/1", **spec}))
    gen = window.session.snapshot.generation
    assert window.files.open_project(path)
    return wait_for(qtbot, window, lambda s: s.generation > gen)


def _control(window, cls, name):
    """A layer control of the neuron view by name, shown in full or in its layer's popup."""
    found = window.network.findChild(cls, name)
    if found is None:
        i = int("".join(c for c in name if c.isdigit()))
        found = window.network.findChild(QToolButton, f"layer{i}Button").menu().findChild(cls, name)
    return found


def _row_control(layers, cls, name):
    """A layer-stack control by name, from the rows on screen (a rebuild's old rows linger, disabled,
    until Qt deletes them)."""
    return next((w for w in layers.findChildren(cls, name) if w.isEnabled()), None)


def _steps(qtbot, window, n):
    start = window.session.snapshot.steps
    for _ in range(n):
        window.session.step("batch")
    return wait_for(qtbot, window, lambda s: s.steps >= start + n)


def _batch_stats(net, x):
    """Per batch-normalization layer, the batch's mean and variance as the engine's own training pass
    moves its moving statistics: new = m·old + (1 − m)·batch."""
    ref = net.copy()
    where = [i for i, layer in enumerate(ref.layers) if layer.non_trainable]
    old = [{k: v.copy() for k, v in ref.layer_views(ref.params)[i].items()} for i in where]
    ref.forward(x, training=True)
    out = []
    for i, before in zip(where, old):
        new, m = ref.layer_views(ref.params)[i], ref.layers[i].momentum
        out.append(((new["moving_mean"] - m * before["moving_mean"]) / (1 - m),
                    (new["moving_variance"] - m * before["moving_variance"]) / (1 - m)))  # fmt: skip
    return out


def test_the_bn_box_above_a_layer_turns_batch_normalization_on_and_the_model_trains(qtbot, window):
    window.resize(1600, 1000)
    QApplication.processEvents()
    box = _control(window, QCheckBox, "batchNorm0")
    assert box is not None and not box.isChecked() and "Batch norm tab" in box.toolTip()
    gen = window.session.snapshot.generation
    box.click()
    layers = window.session.state.project["network"]["layers"]
    assert layers[0]["batch_norm"] is True and not layers[1].get("batch_norm")
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    assert snap.normalized == ("layer 1 (BatchNormalization)",)
    # kernel, bias, then γ, β, moving mean and variance of layer 1; two more layers' kernel and bias
    assert [w.shape for w in snap.weights[:6]] == [(2, 4), (4,), (4,), (4,), (4,), (4,)] and len(snap.weights) == 10
    qtbot.waitUntil(lambda: window.network.graph.marks.get(1, ("",))[0] == "BN")
    assert _control(window, QCheckBox, "batchNorm0").isChecked()
    window.session.step("epoch")
    later = wait_for(qtbot, window, lambda s: s.epoch >= 1)
    assert np.isfinite(later.last_loss)
    assert not np.allclose(later.weights[2], 1.0) and not np.allclose(later.weights[4], 0.0)  # γ learns, the mean moves
    gen = later.generation
    _control(window, QCheckBox, "batchNorm0").click()  # and off again
    assert not window.session.state.project["network"]["layers"][0].get("batch_norm", False)
    off = wait_for(qtbot, window, lambda s: s.generation > gen)
    assert off.normalized == () and len(off.weights) == 6
    qtbot.waitUntil(lambda: not window.network.graph.marks)


def test_the_batch_norm_tab_shows_each_units_statistics_of_the_last_batch(qtbot, window, tmp_path):
    spec = {**DENSE, "network": {"layers": [{"units": 14, "activation": "sigmoid", "batch_norm": True},
                                            {"units": 4, "activation": "tanh", "batch_norm": True}]},
            "app": {"view": "batchnorm"}}  # fmt: skip
    _open(qtbot, window, tmp_path, spec)
    assert window.tabs.currentWidget().objectName() == "tab_batchnorm"
    view = window.batch_norm
    snap = _steps(qtbot, window, 5)
    snap = wait_for(qtbot, window, lambda s: s.batch_norm is not None and s.batch_norm.steps == s.steps)
    qtbot.waitUntil(lambda: view.stats is not None and view.stats.steps == snap.batch_norm.steps)
    stats = view.stats
    assert stats.trained and stats.rows == 10 and view.layer.count() == 2
    assert view.layer.itemText(0) == "layer 1 · 14 units" and view.rows.isVisible()
    # The same batch through the same weights in the engine's own training pass.
    net = window.session.network()
    expected = _batch_stats(net, snap.data.x_train[stats.batch])
    for k, (mean, var) in enumerate(expected):
        view.layer.setCurrentIndex(k)
        shown = view.rows.layer
        assert shown is stats.layers[k]
        np.testing.assert_allclose(shown.batch_mean, mean[: shown.batch_mean.size], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(shown.batch_var, var[: shown.batch_var.size], rtol=1e-9, atol=1e-12)
        names = [n for n in net.param_names() if n.startswith(f"layers.{2 * k + 1}.")]  # layer k's BN arrays
        moving = dict(zip(net.param_names(), net.get_weights()))
        np.testing.assert_array_equal(shown.moving_mean, moving[names[2]][: shown.units])
        words = view.rows.row_words(0)
        assert f"batch mean {fmt(mean[0])}" in words and f"moving mean {fmt(shown.moving_mean[0])}" in words
    # Rows that do not fit say "+N more": every unit is drawn or counted.
    view.layer.setCurrentIndex(0)
    view.rows.grab()  # paints at its size now
    assert view.rows.drawn + view.rows.more == 14 and view.rows.drawn >= 2
    # A network without batch normalization: the tab says how to get it, the plane has one mode.
    _open(qtbot, window, tmp_path, {**DENSE, "network": {"layers": [{"units": 3}]}}, "plain.json")
    qtbot.waitUntil(lambda: view.empty.text() == NO_BN)
    assert view.empty.isVisibleTo(view), (view.isVisible(), view.empty.isVisible())
    assert not window.output.plane_mode.isVisible()


def test_the_plane_switch_redraws_the_boundary_with_batch_or_moving_statistics(qtbot, window, tmp_path):
    _open(qtbot, window, tmp_path, DENSE)
    snap = _steps(qtbot, window, 12)
    output, mode = window.output, window.output.plane_mode
    qtbot.waitUntil(mode.isVisible)
    assert mode.mode.currentText() == "inference" and "moving mean and variance" in mode.mode.toolTip()
    net = window.session.network()
    n = snap.output_grid.shape[0]
    grid = snap.data.transform(grid_points(snap.extent, n)).astype(net.dtype)
    assert not snap.plane_batch
    np.testing.assert_allclose(snap.output_grid.reshape(n * n, -1), net.predict(grid), rtol=1e-9)
    before = output.image.image.copy()
    mode.mode.setCurrentIndex(1)  # training: the grid as one batch
    batch = wait_for(qtbot, window, lambda s: s.plane_batch)
    expected = net.copy().forward(grid, training=True)  # the engine's training pass over the grid
    np.testing.assert_allclose(batch.output_grid.reshape(n * n, -1), expected, rtol=1e-9)
    assert np.abs(batch.output_grid - snap.output_grid).max() > 1e-3
    qtbot.waitUntil(lambda: "training mode" in output.legend.text())
    assert not np.array_equal(output.image.image, before)
    mode.mode.setCurrentIndex(0)
    back = wait_for(qtbot, window, lambda s: not s.plane_batch and s.applied >= window.session.last_sent)
    np.testing.assert_allclose(back.output_grid.reshape(n * n, -1), net.predict(grid), rtol=1e-9)
    assert "training mode" not in output.legend.text() or not back.plane_batch


def test_a_batch_of_one_is_warned_about_in_words_before_the_trainer_refuses_it(qtbot, window):
    errors = []
    window.session.error.connect(lambda title, text: errors.append(text))
    state = window.session.state
    seq = window.session.last_sent
    state.set("training.batch_size", 1)  # fine without batch normalization
    assert window.session.last_sent > seq
    wait_for(qtbot, window, lambda s: s.applied >= window.session.last_sent)
    window.resize(1600, 1000)
    QApplication.processEvents()
    sent = window.session.last_sent
    _control(window, QCheckBox, "batchNorm0").click()
    assert not state.project["network"]["layers"][0].get("batch_norm", False)  # taken back
    assert window.session.last_sent == sent  # nothing reached the trainer
    banner = window.banner
    assert banner.isVisible() and banner.property("kind") == "error"
    text = banner.text()
    assert text.startswith("Batch normalization needs at least 2 examples in each training batch, and the batch "
                           "size is 1: layer 1 (BatchNormalization) normalises each unit over the batch")  # fmt: skip
    assert "Set Batch size (left panel) to 2 or more first; this change was not made." in text
    qtbot.waitUntil(lambda: not _control(window, QCheckBox, "batchNorm0").isChecked())
    # With a batch of 10 it goes on; then the batch-size control starts at 2 and says why.
    state.set("training.batch_size", 10)
    gen = window.session.snapshot.generation
    _control(window, QCheckBox, "batchNorm0").click()
    wait_for(qtbot, window, lambda s: s.generation > gen and bool(s.normalized))
    spin = window.data_panel.findChild(QSpinBox, "batchSize")
    assert spin.minimum() == 2 and "At least 2 here: layer 1 (BatchNormalization) normalises" in spin.toolTip()
    spin.setValue(1)
    assert spin.value() == 2 and state.project["training"]["batch_size"] == 2
    sent = window.session.last_sent
    state.set("training.batch_size", 1)  # however it comes (a lesson, a script): taken back, said
    assert state.project["training"]["batch_size"] == 2 and window.session.last_sent == sent
    assert "the batch size is 1" in window.banner.text() and not errors


CNN = {"data": {"source": "shapes", "classes": 3, "samples": 90, "normalize": "unit", "features": None},
       "network": {"layers": [{"type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same", "batch_norm": True},
                              {"type": "max_pooling2d", "pool_size": 2}, {"type": "batch_normalization"},
                              {"units": 4}], "output_activation": "softmax"},
       "training": {"loss": "categorical_crossentropy", "batch_size": 8}}  # fmt: skip


def test_the_layer_stack_ticks_boolean_keys_and_writes_epsilon_as_it_is(qtbot, window, tmp_path):
    snap = _open(qtbot, window, tmp_path, CNN)
    layers = window.layers
    qtbot.waitUntil(lambda: _row_control(layers, QCheckBox, "stack_center2") is not None)
    conv_bn = _row_control(layers, QCheckBox, "stack_batch_norm0")
    assert conv_bn.isChecked() and conv_bn.text() == "batch norm"
    center, scale = _row_control(layers, QCheckBox, "stack_center2"), _row_control(layers, QCheckBox, "stack_scale2")
    assert center.isChecked() and scale.isChecked() and center.text() == "center (β)"
    eps = _row_control(layers, QDoubleSpinBox, "stack_epsilon2")
    momentum = _row_control(layers, QDoubleSpinBox, "stack_momentum2")
    assert eps.text() == "ε 0.001" and momentum.text() == "momentum 0.99"
    # Unticking center takes β out of the typed layer: one array fewer.
    gen, count = snap.generation, len(snap.weights)
    center.click()
    assert window.session.state.project["network"]["layers"][2]["center"] is False
    later = wait_for(qtbot, window, lambda s: s.generation > gen)
    assert len(later.weights) == count - 1
    # Epsilon steps by decades and a typed 0 becomes its least value, never the 0 the validator refuses.
    messages = []
    layers.message.connect(messages.append)
    eps = _row_control(layers, QDoubleSpinBox, "stack_epsilon2")
    eps.stepBy(-1)
    assert window.session.state.project["network"]["layers"][2]["epsilon"] == pytest.approx(1e-4)
    qtbot.waitUntil(lambda: _row_control(layers, QDoubleSpinBox, "stack_epsilon2").text() == "ε 0.0001")
    eps = _row_control(layers, QDoubleSpinBox, "stack_epsilon2")
    eps.setFocus()
    eps.lineEdit().selectAll()
    qtbot.keyClicks(eps.lineEdit(), "0")
    qtbot.keyClick(eps.lineEdit(), Qt.Key.Key_Return)
    epsilon = window.session.state.project["network"]["layers"][2]["epsilon"]
    assert epsilon == pytest.approx(1e-10) and epsilon > 0 and not messages
    # Dense is offered before the kinds that go between layers.
    names = [a.text() for a in layers.add.menu().actions()]
    assert names.index("Dense") < names.index("BatchNormalization") and names.index("Dense") < names.index("Activation")
    # Ticking the conv's batch norm off rebuilds it without BN.
    _row_control(layers, QCheckBox, "stack_batch_norm0").click()
    seq = window.session.last_sent
    off = wait_for(qtbot, window, lambda s: s.applied >= seq)
    assert off.normalized == ("layer 3 (BatchNormalization)",)


def test_batch_normalization_and_activation_entries_are_drawn_as_marks_in_the_neuron_graph(qtbot, window, tmp_path):
    spec = {**DENSE, "network": {"layers": [{"units": 5, "activation": "linear"}, {"type": "batch_normalization"},
                                            {"type": "activation", "activation": "tanh"},
                                            {"units": 3, "activation": "relu"}]}}  # fmt: skip
    window.resize(1600, 1000)
    snap = _open(qtbot, window, tmp_path, spec)
    assert window.area.page() == "neurons" and [h["units"] for h in window.network.hidden] == [5, 3]
    qtbot.waitUntil(lambda: window.network.graph.marks.get(1, ("",))[0] == "BN → tanh")
    typed = _control(window, QCheckBox, "batchNorm0")
    assert typed.isChecked() and not typed.isEnabled()  # a BatchNormalization entry of its own
    assert snap.normalized == ("layer 2 (BatchNormalization)",)
    snap = wait_for(qtbot, window, lambda s: s.neuron_grids and s.generation == snap.generation)
    first = snap.neuron_grids[0]
    assert first.shape[0] == 5 and np.abs(first).max() <= 1  # layer 1's pictures are tanh's output
    # Editing a column edits its entry: layer 2's neurons are entry 3.
    gen = snap.generation
    window.network.editor.set_units(1, +1)
    assert window.session.state.project["network"]["layers"][3]["units"] == 4
    wait_for(qtbot, window, lambda s: s.generation > gen)
    window.network.editor.remove_layer()
    assert [e.get("type", "dense") for e in window.session.state.project["network"]["layers"]] == [
        "dense", "batch_normalization", "activation"]  # fmt: skip


def test_file_exports_of_a_batch_norm_model(qtbot, window, tmp_path, monkeypatch):
    _open(qtbot, window, tmp_path, DENSE)
    snap = _steps(qtbot, window, 10)
    targets = iter([tmp_path / "bn.onnx", tmp_path / "bn_torch.py", tmp_path / "bn_keras.py"])
    monkeypatch.setattr(window.files.dialogs, "save_path", lambda *a: next(targets))
    for name in ("actionExportOnnx", "actionExportPytorch", "actionExportKeras"):
        window.findChild(QAction, name).trigger()
    torch_script = (tmp_path / "bn_torch.py").read_text()
    assert "nn.BatchNorm1d(5, eps=0.001, momentum=0.01" in torch_script
    assert "layers.BatchNormalization(momentum=0.99, epsilon=0.001" in (tmp_path / "bn_keras.py").read_text()
    with np.load(tmp_path / "bn_torch_weights.npz") as weights:
        assert {"layers.1.moving_mean", "layers.1.moving_variance", "layers.3.gamma"} <= set(weights.files)
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(tmp_path / "bn.onnx"), providers=["CPUExecutionProvider"])
    raw = snap.data.dataset.x[:20]
    got = session.run(None, {session.get_inputs()[0].name: raw.astype(np.float32)})[0]
    net = window.session.network()
    np.testing.assert_allclose(got, net.predict(snap.data.transform(raw)), rtol=1e-4, atol=1e-5)
