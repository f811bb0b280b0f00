"""Recurrent networks in the window, driven by object name on the real window: an LSTM built by
clicking in the layer stack on sequence data, trained, and watched in the unrolled view and the
gradient-through-time view (their numbers against the engine's); the backprop walk through time;
the recurrent presets and the lesson; exports from the File menu."""

import json

import numpy as np
import pytest
from conftest import TIMEOUT
from helpers import wait_for
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QSpinBox, QToolButton

from engine.core.numbers import number
from engine.run.training import Trainer
from playground.resources import PRESETS as PRESET_DIR
from playground.run.sequence_probe import TIME_ROWS, time_gradient, time_verdict


def stepped(window, qtbot, unit="epoch", times=1):
    s = window.session
    for _ in range(times):
        seq = s.step(unit)
        qtbot.waitUntil(lambda seq=seq: s.snapshot.applied >= seq, timeout=TIMEOUT)
    return s.snapshot


def control(panel, cls, name):
    """The one live control of that name (a rebuilt stack's old rows are disabled until deleted)."""
    found = [w for w in panel.findChildren(cls, name) if w.isEnabled()]
    assert len(found) == 1, (name, len(found))
    return found[0]


def adding_data(window, qtbot, length=12):
    """The adding problem picked by its thumbnail, T set in the data panel, the samples made few."""
    panel = window.data_panel
    gen = window.session.snapshot.generation
    qtbot.mouseClick(panel.source_buttons["adding"], Qt.MouseButton.LeftButton)
    wait_for(qtbot, window, lambda s: s.generation > gen and s.data.dataset.sequence_shape is not None)
    length_box = panel.findChild(QSpinBox, "sequenceLength")
    assert length_box.isVisible() and length_box.isEnabled() and length_box.value() == 20
    gen = window.session.snapshot.generation
    length_box.setValue(length)
    panel.findChild(QSpinBox, "samples").setValue(300)
    return wait_for(qtbot, window, lambda s: s.generation > gen and s.data.dataset.sequence_shape == (length, 2)
                    and len(s.data.dataset.y) == 300)  # fmt: skip


def test_an_lstm_is_built_by_clicking_in_the_layer_stack_and_watched_unrolled(qtbot, window):
    area, layers = window.area, window.layers
    adding_data(window, qtbot)
    # Sequence data: the area offers the layer stack and the unrolled view; the stack shows the data's shape.
    qtbot.mouseClick(area.findChild(QToolButton, "layersPage"), Qt.MouseButton.LeftButton)
    assert area.page() == "layers" and area.findChild(QToolButton, "unrolledPage").isVisible()
    assert layers.input_row.detail.text() == "sequences: 12 steps × 2 features each (T × F)"
    # The dense layers the window had go; an LSTM is added from the Add layer menu.
    for _ in range(len(window.session.state.project["network"]["layers"])):
        qtbot.mouseClick(control(layers, QToolButton, "layerRemove0"), Qt.MouseButton.LeftButton)
    assert window.session.state.project["network"]["layers"] == []
    menu = layers.add.menu()
    assert not menu.findChild(QAction, "addLayer_conv2d").isEnabled()  # images only
    menu.findChild(QAction, "addLayer_lstm").trigger()
    units = control(layers, QSpinBox, "stack_units0")
    units.setValue(6)
    assert window.session.state.project["network"]["layers"] == [
        {"type": "lstm", "units": 6, "activation": "tanh", "recurrent_activation": "sigmoid",
         "return_sequences": False}]  # fmt: skip
    # A second recurrent layer goes after it, and the first then returns every step's state.
    menu.findChild(QAction, "addLayer_gru").trigger()
    assert control(layers, QCheckBox, "stack_return_sequences0").isChecked()
    assert [r.output_shape for r in layers.plan] == [(12, 6), (16,), (1,)]
    # Removed again, the LSTM is the last recurrent layer: it gives its last state to the output.
    qtbot.mouseClick(control(layers, QToolButton, "layerRemove1"), Qt.MouseButton.LeftButton)
    assert not control(layers, QCheckBox, "stack_return_sequences0").isChecked()
    assert not window.session.state.project["network"]["layers"][0]["return_sequences"]
    # Every step's state cannot reach the output: the check box is refused, in words.
    control(layers, QCheckBox, "stack_return_sequences0").click()
    assert not window.session.state.project["network"]["layers"][0]["return_sequences"]
    assert "set return_sequences to false" in window.statusBar().currentMessage()
    assert area.findChild(QToolButton, "neuronsPage").toolTip().endswith("this one has LSTM layers")
    snap = wait_for(qtbot, window, lambda s: [w.shape for w in s.weights[:3]] == [(2, 24), (6, 24), (24,)])
    # Train, then the unrolled view: its picture is the worker's, of the first test sequence.
    qtbot.mouseClick(area.findChild(QToolButton, "unrolledPage"), Qt.MouseButton.LeftButton)
    assert area.page() == "unrolled"
    snap = stepped(window, qtbot, times=2)
    snap = wait_for(qtbot, window, lambda s: s.sequence is not None and s.steps == snap.steps)
    view = window.unrolled
    qtbot.waitUntil(lambda: view.picture is snap.sequence, timeout=TIMEOUT)
    pic = snap.sequence
    row = int(snap.data.test[0])
    assert (pic.row, pic.split, pic.position) == (row, "test", 0)
    lstm = pic.layers[0]
    assert lstm.kind == "LSTM" and lstm.h.shape == (12, 6) and lstm.c.shape == (12, 6)
    assert list(lstm.gates) == ["input", "forget", "cell", "output"] and lstm.gates["forget"].shape == (12, 6)
    net = window.session.network()
    x = snap.data.transform(snap.data.dataset.x[row : row + 1])
    np.testing.assert_allclose(pic.output, net.forward(x)[0], rtol=1e-6)
    np.testing.assert_allclose(lstm.h, net.layers[0].h[0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(pic.readout[-1], pic.output, rtol=1e-6)
    # What the view holds: every step fits at this width, each layer's strip and the gates in rows.
    canvas = view.canvas
    canvas.repaint()
    assert canvas.window[:2] == (0, 12) and not view.scroll.isVisible()
    assert {"x0", "x1", "cells0", "h0", "c0", "gate:input", "gate:forget", "gate:cell", "gate:output", "predict",
            "steps"} <= set(canvas.rows)  # fmt: skip
    marked = np.flatnonzero(pic.inputs[:, 1] == 1)
    assert list(canvas.marked()) == list(marked) and len(marked) == 2
    legend = [name for name, *_ in canvas.prediction_series()]
    assert legend == [f"╌ target {number(pic.target, 3)}", "— the output if it ended at t"]
    words = view.range_label.text()
    assert words.startswith(f"test sequence 1: target {number(pic.target)}") and "all 12 steps" in words
    assert f"marked steps {marked[0] + 1}, {marked[1] + 1}" in words
    # Hovering a unit of the strip names its value.
    rect = canvas.rows["h0"]
    t, unit = 4, 2
    pos = QPoint(int(canvas.column_x(t)), int(rect.top() + (unit + 0.5) * rect.height() / 6))
    assert canvas.describe(pos.toPointF()) == f"layer 1 (LSTM), unit 3, step 5: h = {number(float(lstm.h[t, unit]))}"
    # A gate's row names it in words (the canvas paints its labels: they are read here as it draws them).
    rect = canvas.rows["gate:forget"]
    tip = canvas.describe(QPointF(canvas.column_x(t), rect.center().y()))
    assert tip.startswith("forget gate at step 5: mean "), tip
    painted = []
    canvas._label = lambda _p, _rect, text: painted.append(text)
    canvas.repaint()
    assert {"input gate", "forget gate", "cell candidate", "output gate", "prediction"} <= set(painted), painted
    from engine.core import i18n

    try:  # painted through the catalog: in Korean when the window speaks it
        i18n.install("ko")
        painted.clear()
        canvas.repaint()
        assert {"망각 게이트", "셀 후보", "예측"} <= set(painted), painted
    finally:
        i18n.install("en")
    # Another sequence, picked in the view.
    view.findChild(QSpinBox, "unrolledSequence").setValue(4)
    later = wait_for(qtbot, window, lambda s: s.sequence is not None and s.sequence.position == 3)
    assert later.sequence.row == int(snap.data.test[3])


def test_a_long_sequence_scrolls_and_says_which_steps_are_shown(qtbot, window):
    path = PRESET_DIR / "22-adding-problem-simplernn-vs-lstm.json"
    gen = window.session.snapshot.generation
    assert window.files.open_project(path, preset=True)
    snap = wait_for(qtbot, window, lambda s: s.generation > gen and s.sequence is not None)
    view, canvas = window.unrolled, window.unrolled.canvas
    assert window.area.page() == "unrolled"  # a recurrent network on sequences opens unrolled
    qtbot.waitUntil(lambda: view.picture is not None, timeout=TIMEOUT)
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: canvas.window[1] < 50, timeout=TIMEOUT)
    _first, count, width = canvas.window
    assert view.scroll.isVisible() and width >= 15 and snap.sequence.steps == 50
    assert f"steps 1–{count} of 50 (scroll for the others)" in view.range_label.text()
    view.scroll.setValue(view.scroll.maximum())
    assert canvas.window[0] == 50 - count
    assert f"steps {51 - count}–50 of 50" in view.range_label.text()




def test_a_preset_asking_for_the_through_time_tab_gets_it_even_if_a_frame_before_its_data_hid_it(qtbot, window):
    """From the command line, preset 22 asked for its tab while it was still shown; the first frame, of
    the project before it (no sequences), hid the tab, and the window stayed on the next one."""
    tabs, follow = window.tabs, window.sequence_tabs.follow
    follow(True)  # as the window starts: every tab shown
    gen = window.session.snapshot.generation
    assert window.files.open_project(PRESET_DIR / "22-adding-problem-simplernn-vs-lstm.json", preset=True)
    assert tabs.tabText(tabs.currentIndex()) == "Through time"
    follow(False)  # a frame of the project before
    assert tabs.tabText(tabs.currentIndex()) != "Through time"
    wait_for(qtbot, window, lambda s: s.generation > gen and s.sequence is not None)
    qtbot.waitUntil(lambda: tabs.tabText(tabs.currentIndex()) == "Through time", timeout=TIMEOUT)


def test_the_gradient_through_time_tab_draws_the_engines_norms_and_says_why(qtbot, window):
    gen = window.session.snapshot.generation
    assert window.files.open_project(PRESET_DIR / "22-adding-problem-simplernn-vs-lstm.json", preset=True)
    wait_for(qtbot, window, lambda s: s.generation > gen)
    assert window.show_view("time")  # the preset's own tab, on screen
    tabs = window.tabs
    assert tabs.tabText(tabs.currentIndex()) == "Through time"
    snap = stepped(window, qtbot, "batch", 3)
    snap = wait_for(qtbot, window, lambda s: s.time_gradient is not None and s.time_gradient.steps == snap.steps)
    grad = snap.time_gradient
    view = window.time_gradient
    qtbot.waitUntil(lambda: view.gradient is grad, timeout=TIMEOUT)
    # The engine's own: the batch gradient of the first training sequences at the snapshot's weights.
    net = window.session.network()
    tr = Trainer(snap.project)
    want = time_gradient(net, tr.loss, snap.data.x_train[:TIME_ROWS], snap.data.y_train[:TIME_ROWS])
    assert grad.rows == TIME_ROWS and len(grad.layers) == 1 and grad.layers[0].norms.shape == (50,)
    np.testing.assert_allclose(grad.layers[0].norms, want.layers[0].norms, rtol=1e-5)
    # The view holds those numbers: one line over steps 1..50, and the verdict's ratio is theirs.
    xs, ys = view.curves[0].getData()
    assert list(xs) == list(range(1, 51)) and np.allclose(10**ys, grad.layers[0].norms)  # drawn on a log scale
    norms = want.layers[0].norms
    ratio = norms[-1] / norms[0]
    text = view.verdict.text()
    assert text.startswith(time_verdict(want)) and text == view.words()
    shown = float(text.split("Step 1 gets 1/")[1].split(" of")[0].replace(",", ""))
    assert shown == pytest.approx(ratio, rel=0.05)  # two significant digits of the engine's ratio
    assert "a SimpleRNN forgets; try an LSTM" in text and f"at step {snap.steps:,}" in text
    # Points data: the tab goes.
    gen = window.session.snapshot.generation
    assert window.files.open_project(PRESET_DIR / "04-spiral-tanh.json", preset=True)
    wait_for(qtbot, window, lambda s: s.generation > gen and s.data.dataset.sequence_shape is None)
    index = next(i for i in range(tabs.count()) if tabs.widget(i).objectName() == "tab_time")
    qtbot.waitUntil(lambda: not tabs.isTabVisible(index), timeout=TIMEOUT)


@pytest.mark.parametrize("name", ["22-adding-problem-simplernn-vs-lstm", "23-continue-a-sine-wave",
                                  "24-lesson-adding-problem"])  # fmt: skip
def test_the_recurrent_presets_load_and_train_in_the_window(qtbot, window, name):
    gen = window.session.snapshot.generation
    assert window.files.open_project(PRESET_DIR / f"{name}.json", preset=True)
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    assert window.area.page() == "unrolled"
    if name != "23-continue-a-sine-wave":  # their own tab, once their data are in
        tabs = window.tabs
        qtbot.waitUntil(lambda: tabs.tabText(tabs.currentIndex()) == "Through time", timeout=TIMEOUT)
    snap = stepped(window, qtbot)
    assert snap.epoch == 1 and np.isfinite(snap.history["loss"][-1])
    snap = wait_for(qtbot, window, lambda s: s.sequence is not None and s.steps == snap.steps)
    if "sine" in name:
        pic = snap.sequence
        assert pic.continuation is not None and pic.truth[0] == pytest.approx(pic.target, abs=1e-9)
        legend = [n for n, *_ in window.unrolled.canvas.prediction_series()]
        assert legend == ["— the sequence", "╌ the true wave", "• one step ahead", "— the model continuing"]
    if "lesson" in name:
        assert window.lessons.bar.isVisible()


def test_exports_of_a_recurrent_model_from_the_file_menu(qtbot, window, tmp_path, monkeypatch):
    gen = window.session.snapshot.generation
    assert window.files.open_project(PRESET_DIR / "23-continue-a-sine-wave.json", preset=True)
    wait_for(qtbot, window, lambda s: s.generation > gen)
    snap = stepped(window, qtbot, "batch", 2)
    paths = iter([tmp_path / "model.onnx", tmp_path / "model_torch.py", tmp_path / "model_keras.py"])
    monkeypatch.setattr(window.dialogs, "save_path", lambda *a, **k: str(next(paths)))
    for action in ("actionExportOnnx", "actionExportPytorch", "actionExportKeras"):
        window.findChild(QAction, action).trigger()
    for name in ("model.onnx", "model_torch.py", "model_torch_weights.npz", "model_keras.py"):
        assert (tmp_path / name).exists(), name
    assert "nn.LSTM(" in (tmp_path / "model_torch.py").read_text()
    assert "layers.LSTM(" in (tmp_path / "model_keras.py").read_text()
    ort = pytest.importorskip("onnxruntime")
    sess = ort.InferenceSession(str(tmp_path / "model.onnx"))
    raw = snap.data.dataset.x[snap.data.test[:6]]
    got = sess.run(None, {sess.get_inputs()[0].name: raw.astype(np.float32)})[0]
    np.testing.assert_allclose(got, window.session.network().predict(snap.data.transform(raw)), atol=1e-4)
    assert json.loads(json.dumps(snap.project))["network"]["layers"][0]["type"] == "lstm"


def test_the_walk_steps_through_time_and_sums_a_recurrent_weight_over_its_steps(qtbot, window, tmp_path):
    from playground.windows.backprop import BackpropWindow
    from playground.windows.backprop_time import time_stages
    from playground.windows.backprop_walk import short

    path = tmp_path / "lstm.json"
    path.write_text(json.dumps({
        "format": "nn-playground/1", "seed": 1,
        "data": {"source": "adding", "sequence_length": 6, "samples": 200, "test_fraction": 0.25},
        "network": {"layers": [{"type": "lstm", "units": 3}], "output_activation": "linear"},
        "training": {"loss": "mse", "optimizer": {"name": "adam", "learning_rate": 0.01}, "batch_size": 16},
    }))  # fmt: skip
    gen = window.session.snapshot.generation
    assert window.files.open_project(path)
    wait_for(qtbot, window, lambda s: s.generation > gen)
    stepped(window, qtbot)
    window.findChild(QAction, "actionBackprop").trigger()
    win = window.findChild(BackpropWindow, "backpropWindow")
    assert not win.next.isEnabled()  # nothing to walk before an example is traced
    win.row.setValue(2)
    qtbot.mouseClick(win.row_go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.pending is None and win.result is not None, timeout=TIMEOUT)
    r = win.result
    walk = r.trace.walk
    lstm = walk[0]
    # One stage per step each way: input, 6 steps forward, the output, the loss, the output back, 6 steps back, update.
    assert win.stage_list == time_stages(walk) and len(win.stage_list) == 17
    assert win.stage_list[1:3] == [("forward", 0, 0), ("forward", 0, 1)] and win.stage_list[-2] == ("backward", 0, 0)
    assert win.canvases.currentWidget() is win.time_canvas
    assert "layer 1 a 3" not in win.inspector.text() and "training row 2" in win.inspector.text()
    # Forward, step 3: the step's vectors, the states of the trace.
    win.go(win.stage_list.index(("forward", 0, 2)))
    canvas = win.time_canvas
    canvas.repaint()
    names = [row.name for row in canvas.rows]
    assert names == ["x_t", "h_{t−1}", "input gate", "forget gate", "cell (tanh)", "output gate",
                     "c_t (cell)", "h_t"]  # fmt: skip
    assert canvas.rows[0].top == ["value", "marker"] and canvas.rows[0].bottom == [short(v) for v in lstm.inputs[2]]
    np.testing.assert_allclose(canvas.rows[1].values, lstm.states["h"][1])
    np.testing.assert_allclose(canvas.rows[3].values, lstm.states["forget"][2])
    assert "Forward, layer 1, step 3 of 6" in win.stage_label.text()
    cells = canvas.cells
    assert set(cells) == {(0, s) for s in range(6)}
    # Back through time to step 1: what reaches its state, as a share of the last step's.
    win.go(win.stage_list.index(("backward", 0, 0)))
    canvas.repaint()
    assert [row.name for row in canvas.rows][:5] == ["∂L/∂h_t", "δ input", "δ forget", "δ cell", "δ output"]
    np.testing.assert_allclose(canvas.rows[0].values, lstm.states["grad_h"][0])
    text = win.stage_label.text()
    assert "Backward through time, layer 1, step 1 of 6" in text and "of step 6's" in text
    # A forget gate's unit (its bias), then the recurrent weight into it from unit 1 of h_{t−1}.
    forget = names.index("forget gate")
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.boxes[(2, 1)].center().toPoint())
    assert canvas.column == 3 + 1 and forget == 3
    bias = win.panel.toPlainText()
    assert bias.startswith("∂L/∂b for unit 2 of the forget gate of layer 1:") and "Σ over its 6 steps t of δ_t" in bias
    h_row = [row.name for row in canvas.rows].index("h_{t−1}")
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.boxes[(h_row, 0)].center().toPoint())
    assert canvas.selected == (0, ("recurrent_kernel", 0), 4)
    chain = win.panel.toPlainText()
    assert chain.startswith("∂L/∂u from unit 1 of h_{t−1} to unit 2 of the forget gate of layer 1:")
    assert "Σ over its 6 steps t of h_{t−1} · δ_t" in chain
    want = lstm.param_grads["recurrent_kernel"][0, 4]
    assert f"= {number(want, 6)}" in chain.splitlines()[2]
    assert float(chain.split("relative error ")[1].split()[0]) < 1e-5
    assert f"Δ = {number(r.preview.arrays[lstm.index]['recurrent_kernel'][0, 4], 6)}" in chain
    # The input's weight into the same column.
    x_row = [row.name for row in canvas.rows].index("x_t")
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.boxes[(x_row, 1)].center().toPoint())
    assert win.panel.toPlainText().startswith("∂L/∂w from input marker to unit 2 of the forget gate of layer 1:")
    # Every stage draws, to the update, and back to the start.
    for index in range(len(win.stage_list)):
        win.go(index)
        canvas.repaint()
        assert win.stage_label.text().startswith(f"{index + 1}/17 · ")
    assert canvas.rows and canvas.rows[0].name.startswith("Δb")
    win.close()
