"""The real main window, driven with pytest-qt (offscreen)."""

import json

import numpy as np
import pytest
from helpers import engine_widths, wait_for
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QToolButton, QWidget

from engine import get_loss
from engine.core.numbers import number
from engine.project import build_network
from engine.project.files import load_weights
from playground.main_window import MainWindow
from playground.resources import PRESETS as PRESETS_DIR
from playground.run.commands import SetViews
from playground.widgets import plain

TIMEOUT = 15_000


def test_window_opens_with_the_default_project(window):
    snap = window.session.snapshot
    assert "untitled" in window.windowTitle()
    assert engine_widths(snap) == [4, 2, 1]
    assert snap.output_grid is not None and snap.output_grid.shape[:2] == (80, 80)
    assert window.params_label.text().startswith("25 parameters")
    assert window.output.image.image is not None
    assert len(window.network.nodes) == 7 + 4 + 2 + 1  # every input feature, the neurons, the output


def test_adding_and_removing_layers_and_neurons_changes_the_engine(qtbot, window):
    gen = window.session.snapshot.generation
    qtbot.mouseClick(window.network.add_layer, Qt.MouseButton.LeftButton)
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    assert engine_widths(snap) == [4, 2, 2, 1]
    assert window.params_label.text().startswith(f"{4 * 2 + 4 + 4 * 2 + 2 + 2 * 2 + 2 + 2 + 1} parameters")
    plus = window.network.findChild(QToolButton, "addNeuron0")
    gen = snap.generation
    qtbot.mouseClick(plus, Qt.MouseButton.LeftButton)
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    assert engine_widths(snap) == [5, 2, 2, 1]
    assert [layer["units"] for layer in window.session.state.project["network"]["layers"]] == [5, 2, 2]
    gen = snap.generation
    qtbot.mouseClick(window.network.remove_layer, Qt.MouseButton.LeftButton)
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    assert engine_widths(snap) == [5, 2, 1]
    assert window.params_label.text().startswith(f"{2 * 5 + 5 + 5 * 2 + 2 + 2 + 1} parameters")


def test_choosing_adam_shows_its_hyperparameters(qtbot, window):
    combo = window.controls.optimizer
    assert window.controls.findChild(QLineEdit, "opt_momentum") is not None
    combo.setCurrentIndex(combo.findData("adam"))
    combo.activated.emit(combo.currentIndex())
    for key in ("beta_1", "beta_2", "epsilon"):
        field = window.controls.findChild(QLineEdit, f"opt_{key}")
        assert field is not None and field.isVisibleTo(window)
    assert window.controls.findChild(QLineEdit, "opt_beta_1").text() == "0.9"
    assert window.controls.findChild(QLineEdit, "opt_momentum") is None
    assert window.session.state.project["training"]["optimizer"]["name"] == "adam"


def test_each_hyperparameters_tooltip_says_this_optimizers_rule(qtbot, window):
    """Issue 29, item 5: ε was "added to √v" everywhere; it is not under Keras's rules or in Adadelta."""
    from PySide6.QtWidgets import QComboBox

    bar = window.controls

    def choose(name: str) -> None:
        bar.optimizer.setCurrentIndex(bar.optimizer.findData(name))
        bar.optimizer.activated.emit(bar.optimizer.currentIndex())

    def tip(key: str) -> str:
        return bar.findChild(QWidget, f"opt_{key}").toolTip()

    choose("rmsprop")
    assert "added to √v" in tip("epsilon")
    rules = bar.findChild(QComboBox, "opt_rules")
    rules.setCurrentIndex(rules.findData("keras"))
    rules.activated.emit(rules.currentIndex())
    assert window.session.state.project["training"]["optimizer"]["rules"] == "keras"
    assert "inside the root" in tip("epsilon") and "added to √v" not in tip("epsilon")
    choose("adadelta")
    assert "inside both roots" in tip("epsilon") and "squared updates" in tip("rho")
    choose("adam")
    assert "m is not capped" in tip("amsgrad")


def test_play_trains_the_loss_falls_and_the_heatmap_changes(qtbot, window):
    window.session.state.set("training.optimizer.learning_rate", 0.1)
    start_image = window.output.image.image.copy()
    qtbot.mouseClick(window.controls.play_button, Qt.MouseButton.LeftButton)
    assert window.session.playing
    snap = wait_for(qtbot, window, lambda s: s.epoch >= 15)
    losses = snap.history["loss"]
    assert losses[-1] < losses[0]
    qtbot.waitUntil(lambda: not np.array_equal(window.output.image.image, start_image), timeout=TIMEOUT)


def test_pause_then_step_advances_exactly_one_epoch(qtbot, window):
    window.session.set_playing(True)
    wait_for(qtbot, window, lambda s: s.epoch >= 2)
    qtbot.mouseClick(window.controls.play_button, Qt.MouseButton.LeftButton)
    assert not window.session.playing
    steps = window.session.snapshot.steps
    paused = window.session.last_sent
    snap = wait_for(qtbot, window, lambda s: s.applied >= paused and not s.playing)
    before = snap.epoch
    assert _acknowledged(qtbot, window).epoch == before  # paused: a later command finds nothing moved
    window.controls.step_unit.setCurrentText("epoch")
    qtbot.mouseClick(window.controls.step_button, Qt.MouseButton.LeftButton)
    snap = wait_for(qtbot, window, lambda s: s.epoch == before + 1)
    assert _acknowledged(qtbot, window).epoch == before + 1  # exactly one
    assert window.controls.epoch_label.text().replace(",", "").lstrip("0") == str(before + 1)
    assert snap.steps > steps


def _acknowledged(qtbot, window):
    """The snapshot after a no-op command the worker confirms: every earlier command is applied
    and, when paused, nothing trained since."""
    seq = window.session.send(SetViews(frozenset(window.session.views)))
    return wait_for(qtbot, window, lambda s: s.applied >= seq)


def test_reset_zeroes_the_counter_and_reinitialises_the_weights(qtbot, window):
    initial = [w.copy() for w in window.session.snapshot.weights]
    window.session.step("epoch")
    window.session.step("epoch")
    trained = wait_for(qtbot, window, lambda s: s.epoch == 2)
    assert not np.array_equal(trained.weights[0], initial[0])
    qtbot.mouseClick(window.controls.reset_button, Qt.MouseButton.LeftButton)
    snap = wait_for(qtbot, window, lambda s: s.generation > trained.generation)
    assert snap.epoch == 0 and window.controls.epoch_label.text() == "000,000"
    assert not np.array_equal(snap.weights[0], trained.weights[0])
    np.testing.assert_array_equal(snap.weights[0], initial[0])  # the seed's initial weights: reproducible
    window.findChild(type(window.play_action), "actionNewWeights").trigger()
    drawn = wait_for(qtbot, window, lambda s: s.generation > snap.generation)
    assert drawn.epoch == 0 and not np.array_equal(drawn.weights[0], initial[0])  # a new draw
    np.testing.assert_array_equal(drawn.data.x_train, snap.data.x_train)  # on the same data
    assert drawn.project == window.session.state.project  # the project itself is unchanged


def test_export_npz_then_import_gives_the_same_predictions(qtbot, window, tmp_path):
    window.session.step("epoch")
    trained = wait_for(qtbot, window, lambda s: s.epoch == 1)
    assert window.files.export_weights(tmp_path / "w.npz")
    net = build_network(window.session.state.project, 2)
    load_weights(tmp_path / "w.npz", net)
    x = trained.data.x_test
    reference = build_network(window.session.state.project, 2)
    reference.set_weights(trained.weights)
    np.testing.assert_allclose(net.predict(x), reference.predict(x))
    qtbot.mouseClick(window.controls.reset_button, Qt.MouseButton.LeftButton)
    fresh = wait_for(qtbot, window, lambda s: s.generation > trained.generation)
    assert window.files.import_weights(tmp_path / "w.npz")
    snap = wait_for(
        qtbot, window, lambda s: s.generation == fresh.generation and np.array_equal(s.weights[0], trained.weights[0])
    )
    for a, b in zip(snap.weights, trained.weights):
        np.testing.assert_array_equal(a, b)


def test_save_and_open_round_trip_every_setting(qtbot, window, tmp_path):
    s = window.session.state
    s.update(
        {
            "data.noise": 0.25,
            "data.test_fraction": 0.3,
            "data.validation_fraction": 0.1,
            "seed": 7,
            "training.batch_size": 25,
            "network.initializer": "he_normal",
        }
    )
    s.set("training.optimizer", {"name": "rmsprop", "learning_rate": 0.003})
    s.set("training.optimizer.rho", 0.8)
    s.set("training.regularization.kind", "l1")
    s.set("training.regularization.rate", 0.001)
    s.set("network.layers", [{"units": 3, "activation": "relu", "dropout": 0.2}])
    saved = json.loads(json.dumps(s.project))
    assert window.files.save_as(tmp_path / "p.json")
    assert not s.dirty and "p.json" in window.windowTitle()
    window.files.new_project()
    assert s.project != saved
    assert window.files.open_project(tmp_path / "p.json")
    assert s.project == saved
    assert window.controls.reg.currentData() == "l1"
    assert window.controls.findChild(QLineEdit, "opt_rho").text() == "0.8"
    assert window.data_panel.batch.value() == 25
    assert window.files.recent()[0] == str(tmp_path / "p.json")


def test_a_corrupt_file_shows_an_error_and_the_app_keeps_working(qtbot, window, tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": "nn-playground/1", "training": {"batch_size": 0}')
    before = json.dumps(window.session.state.project)
    assert not window.files.open_project(bad)
    box = window.findChild(QMessageBox, "errorDialog")
    assert box is not None and box.isVisible() and "broken.json" in box.text()
    box.accept()
    assert json.dumps(window.session.state.project) == before
    bad_weights = tmp_path / "w.npz"
    bad_weights.write_bytes(b"PK\x03\x04 not really")
    assert not window.files.import_weights(bad_weights)
    epoch = window.session.snapshot.epoch
    window.session.step("epoch")
    wait_for(qtbot, window, lambda s: s.epoch == epoch + 1)


def test_closing_during_training_leaves_no_thread_running(qtbot, window):
    window.session.set_playing(True)
    wait_for(qtbot, window, lambda s: s.epoch >= 1)
    window.session.state.set_dirty(False)
    assert window.close()
    qtbot.waitUntil(window.session.handle.thread.isFinished, timeout=TIMEOUT)
    assert not window.session.handle.thread.isRunning()


def test_closing_an_idle_window_ends_the_trainer_without_a_wait_or_a_word(qtbot, window):
    """The trainer waits for commands until told to stop: closing tells it first, so the window is
    not greyed out behind "Finishing the step in progress…" for a step that does not exist."""
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    window.session.state.set_dirty(False)
    assert window.close()
    assert window.session.handle.thread.isFinished() and window.isEnabled()
    assert not any("Finishing" in m for m in messages)


def test_closing_with_unsaved_changes_asks_first(qtbot, window, monkeypatch):
    window.session.state.set("data.noise", 0.1)
    asked = []
    monkeypatch.setattr(plain, "ask", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Cancel)
    assert not window.close()
    assert asked and window.isVisible() and window.session.handle.thread.isRunning()


def test_draw_mode_adds_a_point_of_the_chosen_class(qtbot, window):
    panel = window.data_panel
    panel.draw.setChecked(True)
    panel.draw_class.setCurrentIndex(1)
    n = window.session.snapshot.data.dataset.n
    window.output.point_added.emit(1.5, -2.0)
    snap = wait_for(qtbot, window, lambda s: s.data.dataset.n == n + 1)
    ds = snap.data.dataset
    np.testing.assert_allclose(ds.x[-1], [1.5, -2.0])
    assert ds.y[-1] == 1
    assert "points" in window.session.state.project["data"]["source"]
    window.output.point_erased.emit(1.5, -2.0)
    wait_for(qtbot, window, lambda s: s.data.dataset.n == n)


def test_clicking_the_output_plot_in_draw_mode_adds_a_point(qtbot, window):
    window.data_panel.draw.setChecked(True)
    n = window.session.snapshot.data.dataset.n
    vb = window.output.plot.getPlotItem().getViewBox()
    scene_pos = vb.mapViewToScene(QPointF(2.0, 2.0))
    view_pos = window.output.plot.mapFromScene(scene_pos)
    qtbot.mouseClick(window.output.plot.viewport(), Qt.MouseButton.LeftButton, pos=view_pos)
    wait_for(qtbot, window, lambda s: s.data.dataset.n == n + 1)


def test_learning_rate_change_mid_run_is_used_by_the_next_step(qtbot, window):
    # Full-batch SGD without shuffling: the next step is w − α·∇J(w), which we can compute here.
    window.session.state.update({"training.batch_size": 1000, "training.shuffle": False})
    gen = window.session.snapshot.generation
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    window.session.step("batch")
    snap = wait_for(qtbot, window, lambda s: s.steps == 1)
    lr_box = window.controls.lr
    lr_box.setEditText("0.5")
    lr_box.lineEdit().editingFinished.emit()
    assert window.session.state.project["training"]["optimizer"]["learning_rate"] == 0.5
    net = build_network(window.session.state.project, 2)
    net.set_weights(snap.weights)
    net.loss_and_grad(snap.data.x_train, snap.data.y_train, get_loss("binary_crossentropy"))
    expected = net.params - 0.5 * net.grads
    window.session.step("batch")
    after = wait_for(qtbot, window, lambda s: s.steps == 2)
    got = build_network(window.session.state.project, 2)
    got.set_weights(after.weights)
    np.testing.assert_allclose(got.params, expected, rtol=1e-10, atol=1e-12)
    assert after.learning_rate == 0.5


def test_divergence_pauses_with_a_clear_message(qtbot, window):
    window.session.state.update({"data.source": "plane", "data.problem": "regression"})
    window.session.state.set("training.optimizer.learning_rate", 10.0)
    window.session.set_playing(True)
    snap = wait_for(qtbot, window, lambda s: "diverged" in s.message)
    qtbot.waitUntil(lambda: not window.session.playing, timeout=TIMEOUT)
    assert window.banner.isVisible() and "too high" in window.banner.text()
    assert all(np.isfinite(w).all() for w in snap.weights)


def test_gradient_check_and_summary_dialogs(qtbot, window):
    dlg = window.tools.check_gradients()
    qtbot.waitUntil(lambda: dlg.text is not None, timeout=TIMEOUT)
    text = dlg.text
    assert "layer 1 kernel" in text and "layers.0" not in text and "agrees" in text
    assert dlg.view.toPlainText() == text and not dlg.cancel.isEnabled() and dlg.bar.value() == dlg.bar.maximum()
    dlg.close()
    summary = window.tools.show_summary()
    assert "Total params: 25" in summary


PRESETS = sorted((__import__("playground.resources", fromlist=["PRESETS"]).PRESETS).glob("*.json"))


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_every_preset_opens_in_the_window_and_trains(qtbot, window, path):
    gen = window.session.snapshot.generation
    assert window.files.open_project(path, preset=True)
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    assert window.session.state.path is None  # a preset is a template: saving asks for a new file
    ds = snap.data.dataset  # the worker built the network the editor shows, layer for layer
    expected = build_network(window.session.state.project, snap.data.n_inputs, ds.classes, ds.image_shape,
                             ds.sequence_shape)
    assert [w.shape for w in snap.weights] == [w.shape for w in expected.get_weights()]
    window.session.step("epoch")
    wait_for(qtbot, window, lambda s: s.epoch == 1)
    assert window.note_bar.isVisible() and window.note_bar.text.text()  # the preset's note stays


def test_an_exception_in_a_qt_override_reaches_the_excepthook_not_the_binding(qtbot, window, monkeypatch):
    def broken():
        raise RuntimeError("layout bug")

    monkeypatch.setattr(window.network, "_relayout", broken)
    with qtbot.captureExceptions() as exceptions:
        window.network.resize(window.network.width() + 10, window.network.height())
        qtbot.waitUntil(lambda: any("layout bug" in str(e[1]) for e in exceptions))
        monkeypatch.undo()  # later layout passes run the real code again
    assert any("layout bug" in str(e[1]) for e in exceptions)
    assert window.isVisible()


def test_keyboard_shortcuts_play_step_and_reset(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=TIMEOUT)
    window.network.setFocus()
    qtbot.keyClick(window.network, Qt.Key.Key_Space)
    assert window.session.playing and window.controls.play_button.isChecked()
    qtbot.keyClick(window.network, Qt.Key.Key_Space)
    assert not window.session.playing
    epoch = _acknowledged(qtbot, window).epoch  # the pause applied: nothing more is on its way
    window.controls.step_unit.setCurrentText("epoch")
    qtbot.keyClick(window.network, Qt.Key.Key_S)
    wait_for(qtbot, window, lambda s: s.epoch == epoch + 1)
    gen = window.session.snapshot.generation
    qtbot.keyClick(window.network, Qt.Key.Key_R)
    wait_for(qtbot, window, lambda s: s.generation > gen and s.epoch == 0)
    assert window.findChild(type(window.play_action), "actionExportNpz").shortcut().toString() == "Ctrl+E"


def test_export_plot_and_data(qtbot, window, tmp_path):
    assert window.files.export_plot(tmp_path / "out.png")
    assert (tmp_path / "out.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert window.files.export_plot(tmp_path / "out.svg")
    assert b"<svg" in (tmp_path / "out.svg").read_bytes()[:2000]
    assert window.files.export_data(tmp_path / "d.csv")
    assert (tmp_path / "d.csv").read_text().startswith("x1,x2,label,split\n")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_onnx_export_from_the_app(qtbot, window, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    assert window.files.export_weights(tmp_path / "m.onnx", fmt="onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    snap = window.session.snapshot
    net = build_network(window.session.state.project, 2)
    net.set_weights(snap.weights)
    (out,) = session.run(None, {"input": snap.data.x_test.astype(np.float32)})
    np.testing.assert_allclose(out, net.predict(snap.data.x_test), atol=1e-5)


def test_live_regularization_and_batch_size_do_not_rebuild(qtbot, window):
    gen = window.session.snapshot.generation
    window.controls.reg.setCurrentIndex(window.controls.reg.findData("l2"))
    window.controls.reg.activated.emit(window.controls.reg.currentIndex())
    window.data_panel.batch.setValue(32)
    window.session.step("epoch")
    snap = wait_for(qtbot, window, lambda s: s.epoch == 1)
    assert snap.generation == gen  # same run: live settings
    assert snap.steps == -(-snap.data.x_train.shape[0] // 32)
    window.controls.loss.setCurrentIndex(window.controls.loss.findData("mse"))
    window.controls.loss.activated.emit(window.controls.loss.currentIndex())
    wait_for(qtbot, window, lambda s: s.generation > gen)  # structural: rebuilt


def test_hovering_and_clicking_an_edge_edits_that_weight(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from playground.panels.network_layout import edge_at

    view = window.network
    qtbot.waitUntil(lambda: len(view.edges) > 0, timeout=TIMEOUT)
    start, end, layer, i, j, w = view.edges[0]
    assert w == pytest.approx(window.session.snapshot.weights[2 * layer][i, j])
    mid = QPointF((start.x() + end.x()) / 2, (start.y() + end.y()) / 2)
    assert edge_at(view.edges, mid)[2:5] == (layer, i, j)
    monkeypatch.setattr(QInputDialog, "getDouble", lambda *a, **k: (1.2345, True))
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=mid.toPoint())
    wait_for(qtbot, window, lambda s: s.weights[2 * layer][i, j] == pytest.approx(1.2345))
    thumb = view.pictures.neuron_image(0, 0)
    assert thumb is not None and (thumb.width(), thumb.height()) == (20, 20)


def test_unsaved_work_is_autosaved_and_offered_at_the_next_start(qtbot, window, tmp_path, monkeypatch):
    window.session.state.update({"data.noise": 0.35, "seed": 11})
    snap = wait_for(qtbot, window, lambda s: s.project == window.session.state.project)
    with qtbot.waitSignal(window.files.autosaver.saved, timeout=TIMEOUT):  # written on its own thread
        assert window.files.autosave()
    assert window.files.recovery.path.exists() and window.files.recovery.path.parent == tmp_path
    edited = json.loads(json.dumps(window.session.state.project))
    # A crash: the window goes away without closeEvent, so the recovery file stays.
    window.shutdown()
    qtbot.waitUntil(window.session.handle.thread.isFinished, timeout=TIMEOUT)
    again = MainWindow(settings=window.settings)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.session.snapshot is not None, timeout=TIMEOUT)
    monkeypatch.setattr(plain, "ask", lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert again.files.offer_recovery()
    assert again.session.state.project == edited and again.session.state.dirty
    restored = wait_for(qtbot, again, lambda s: s.project == edited and np.array_equal(s.weights[0], snap.weights[0]))
    assert restored.epoch == 0
    # A clean close removes the recovery file: nothing is offered next time.
    again.session.state.set_dirty(False)
    again.close()
    assert not again.files.recovery.path.exists()
    qtbot.waitUntil(again.session.handle.thread.isFinished, timeout=TIMEOUT)


def test_nothing_to_recover_when_everything_is_saved(qtbot, window, tmp_path):
    assert not window.files.autosave()  # clean state: no file written
    assert not window.files.recovery.path.exists()
    window.files.recovery.path.write_text("{broken")
    assert not window.files.offer_recovery() and not window.files.recovery.path.exists()


def test_an_uncaught_exception_autosaves_before_it_is_reported(qtbot, window, monkeypatch):
    import sys

    from playground.app import _install_crash_handler

    reported = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: reported.append(exc))
    _install_crash_handler(window)
    window.session.state.set("data.noise", 0.2)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    assert reported and reported[0][0] is RuntimeError
    assert json.loads(window.files.recovery.path.read_text())["project"]["data"]["noise"] == 0.2


@pytest.mark.parametrize("n", [10, 2000, 2001, 40_000, 40_001])
def test_long_curves_are_drawn_from_bucket_minima_and_maxima(n):
    from playground.panels.plotting import peak_decimate

    rng = np.random.default_rng(n)
    x = np.arange(1, n + 1)
    y = rng.normal(size=n)
    y[n // 3] = 50.0  # a spike must survive
    xs, ys = peak_decimate(x, y, buckets=1000)
    if n <= 2000:
        assert xs is x and ys is y
        return
    assert xs.size == ys.size <= 2000 and ys.max() == 50.0 and ys.min() == y.min()
    size = -(-n // 1000)
    for b in (0, 7, xs.size // 2 - 1):  # every bucket is its min then its max, at its first x
        chunk = y[b * size : (b + 1) * size]
        assert (xs[2 * b], ys[2 * b], ys[2 * b + 1]) == (x[b * size], chunk.min(), chunk.max())


@pytest.mark.parametrize("alpha", [0.01, 0.3, 0.9, 0.95])
def test_curve_smoothing_is_the_exponential_moving_average(alpha):
    from playground.panels.plotting import ema

    x = np.random.default_rng(0).normal(size=1500) + np.linspace(0, 5, 1500)
    expected = x.copy()
    for i in range(1, x.size):
        expected[i] = alpha * expected[i - 1] + (1 - alpha) * x[i]
    np.testing.assert_allclose(ema(x, alpha), expected, rtol=1e-10, atol=1e-12)


def test_while_playing_the_slow_views_redraw_in_turn_one_group_a_frame(qtbot, window, monkeypatch):
    import dataclasses

    calls = []
    monkeypatch.setattr(window.curves, "set_snapshot", lambda s: calls.append("curves"))
    monkeypatch.setattr(window.histograms, "set_snapshot", lambda s: calls.append("histograms"))
    monkeypatch.setattr(window.runs, "refresh", lambda: calls.append("runs"))
    playing = dataclasses.replace(window.session.snapshot, playing=True)
    for _ in range(6):
        window.router.slow_at = 0.0  # each frame finds a slow redraw due
        window.router.show(playing)
    assert calls == ["histograms", "runs", "curves"] * 2
    window.router.show(playing)  # due again only after a third of SLOW_VIEWS_PERIOD
    assert len(calls) == 6
    calls.clear()
    window.router.show(dataclasses.replace(playing, playing=False))  # paused: every view at once
    assert sorted(calls) == ["curves", "histograms", "runs"]


def test_a_new_snapshot_repaints_the_neurons_but_not_the_layer_controls(qtbot, window):
    import dataclasses

    from PySide6.QtCore import QEvent, QObject

    class PaintCounter(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.count = 0

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                self.count += 1
            return False

    view = window.network
    box = view._layer_boxes[0]
    on_view, on_box = PaintCounter(), PaintCounter()
    view.installEventFilter(on_view)
    box.installEventFilter(on_box)
    QApplication.processEvents()
    on_view.count = on_box.count = 0
    snap = window.session.snapshot
    view.set_snapshot(dataclasses.replace(snap, weights=[w * 1.01 for w in snap.weights]))
    qtbot.waitUntil(lambda: on_view.count > 0)
    QApplication.processEvents()
    assert on_box.count == 0  # the controls above the neurons were left alone
    view.removeEventFilter(on_view)
    box.removeEventFilter(on_box)


def test_hovering_a_weight_or_a_neuron_names_it_in_keras_and_ngs_notation(qtbot, window, monkeypatch):
    """Concept of issue 29: Keras's kernel[i, j] of an (in, out) kernel is row j + 1, column i + 1
    of Ng's W[l], (out, in); both are said on hover."""
    import html

    from PySide6.QtWidgets import QToolTip

    shown: list[str] = []  # what the view asks Qt to show (an offscreen platform draws no tooltip)
    monkeypatch.setattr(QToolTip, "showText", staticmethod(lambda _pos, text, *_a: shown.append(text)))
    net = window.network
    qtbot.waitUntil(lambda: len(net.edges) > 0, timeout=15_000)
    start, end, *_ = next(e for e in net.edges if e[2] == 1 and e[3] == 3 and e[4] == 1)
    mid = (start + end) / 2
    qtbot.mouseMove(net, QPoint(round(mid.x()), round(mid.y())))
    qtbot.waitUntil(lambda: bool(shown) and "Ng: W[2] row 2, column 4" in shown[-1], timeout=15_000)
    text = shown[-1]
    assert "Keras: kernel[3, 1]" in text and "kernel (4, 2), bias (2,) · W[2] (2, 4), b[2] (2, 1)" in text
    kernel = window.session.snapshot.weights[2]
    assert kernel[3, 1] == kernel.T[1, 3]  # the same number, transposed
    assert f"weight {number(kernel[3, 1], sign=True)}\n" in text
    node = next(n for n in net.nodes if n.layer == 0 and n.index == 2)
    qtbot.mouseMove(net, node.rect.center().toPoint())
    qtbot.waitUntil(lambda: "row 3 of W[1] (4, 2) in Ng" in html.unescape(shown[-1]), timeout=15_000)
    assert "column 3 of the kernel (2, 4) in Keras" in html.unescape(shown[-1])


def test_a_project_with_older_keras_keys_opens_and_says_what_it_read(qtbot, window, tmp_path):
    """Issue 29, item 13: lr and decay from older Keras are read as today's keys, with a note."""
    import json

    path = tmp_path / "old.json"
    path.write_text(json.dumps({"format": "nn-playground/1",
                                "training": {"optimizer": {"name": "sgd", "lr": 0.05, "decay": 0.001}}}))  # fmt: skip
    assert window.files.open_project(path)
    message = window.statusBar().currentMessage()
    assert "older Keras's name for learning_rate" in message and '"name": "inverse_time"' in message
    t = window.session.state.project["training"]
    assert t["optimizer"]["learning_rate"] == 0.05 and t["schedule"]["name"] == "inverse_time"
    assert window.controls.schedule.currentData() == "inverse_time"


def test_the_gradient_check_of_a_cnn_runs_off_the_ui_thread_with_progress_and_cancel(qtbot, window):
    """Issue 36: the check of a 26,698-parameter CNN froze the window for 12 s. It runs on its own
    thread now: the event loop keeps turning, the bar counts the entries, Cancel stops it."""
    from PySide6.QtCore import QTimer

    gen = window.session.snapshot.generation
    assert window.files.open_project(PRESETS_DIR / "18-cnn-shapes.json", preset=True)
    wait_for(qtbot, window, lambda s: s.generation > gen)
    dlg = window.tools.check_gradients()
    qtbot.waitUntil(lambda: dlg.bar.maximum() > 1 and dlg.bar.value() > 0, timeout=TIMEOUT)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=TIMEOUT)  # the event loop turns...
    timer.stop()
    assert dlg.busy  # ...while the check runs
    # 40 entries of each kernel, every bias: 4 layers.
    assert dlg.bar.maximum() == 4 * 40 + 8 + 16 + 32 + 4 and 0 < dlg.bar.value() < dlg.bar.maximum()
    qtbot.mouseClick(dlg.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.busy, timeout=TIMEOUT)
    assert dlg.text.startswith("Cancelled after") and not dlg.cancel.isEnabled()
    # Once more to the end, on the small CNN of preset 19: every layer's arrays against central differences.
    gen = window.session.snapshot.generation
    assert window.files.open_project(PRESETS_DIR / "19-cnn-digits.json", preset=True)
    wait_for(qtbot, window, lambda s: s.generation > gen)
    dlg = window.tools.check_gradients()
    qtbot.waitUntil(lambda: dlg.text is not None, timeout=4 * TIMEOUT)
    rows = {line[:18].strip(): float(line[18:34]) for line in dlg.text.splitlines() if "/" in line[-12:]}
    assert set(rows) == {"layer 1 kernel", "layer 1 bias", "output kernel", "output bias"}
    assert rows["layer 1 kernel"] < 1e-6 and rows["output kernel"] < 1e-6  # a digit's blank border: ReLU at 0
    assert "pre-activations sit within ε of a kink" in dlg.text  # ... where a moved bias crosses it
    dlg.close()
