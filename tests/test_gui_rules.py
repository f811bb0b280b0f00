"""Issue 29's training rules in the window: the L1 rule beside the regularization, the split and the
last batch in the data panel, which L1 rule the Weights tab is under, TensorFlow Playground's dead
links in the network view and what "Use nn-playground's defaults" says it switched."""

import numpy as np
from conftest import TIMEOUT
from helpers import wait_for
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QComboBox, QScrollArea, QToolTip
from test_links import DEFAULT

from engine.core.regularizers import L1_RULES
from engine.project import prepare_data
from engine.project.fields import field
from engine.project.links import from_tfp
from playground.panels.network_layout import edge_at

DEAD_TIP = "dead: TensorFlow Playground's L1 dropped this link"  # what the issue asks the tooltip to say


def choose(combo: QComboBox, value: str) -> None:
    """What a user's pick in a combo does: the item becomes current, then `activated`."""
    combo.setCurrentIndex(combo.findData(value))
    combo.activated.emit(combo.currentIndex())


def items(combo: QComboBox) -> list[tuple[str, str]]:
    return [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())]


def test_the_l1_rule_sits_beside_the_regularization_while_l1_is_chosen_and_changes_live(qtbot, window):
    bar = window.controls
    rule = window.findChild(QComboBox, "l1Rule")
    assert rule is bar.l1_rule and rule.parentWidget() is bar.l1_box
    f = field("training.regularization.l1_rule")
    assert items(rule) == [(c, f.name_of(c)) for c in ("subgradient", "proximal", "tfp")]
    assert [rule.itemText(i) for i in range(3)] == ["subgradient (Keras)", "soft threshold", "TF Playground's"]
    assert not bar.l1_box.isVisible()  # no penalty: nothing to choose
    choose(bar.reg, "l2")
    assert not bar.l1_box.isVisible()
    choose(bar.reg, "l1")
    assert bar.l1_box.isVisible() and rule.currentData() == "subgradient"
    assert f.help in rule.toolTip() and L1_RULES["subgradient"] in rule.toolTip()
    # Beside the regularization and its rate in the bar, in reading order.
    assert bar.reg_rate.mapTo(bar, bar.reg_rate.rect().topRight()).x() < rule.mapTo(bar, rule.rect().topLeft()).x()
    gen = window.session.snapshot.generation
    choose(rule, "tfp")
    assert window.session.state.project["training"]["regularization"]["l1_rule"] == "tfp"
    snap = wait_for(qtbot, window, lambda s: s.project["training"]["regularization"]["l1_rule"] == "tfp")
    assert snap.generation == gen  # live: the same run, no rebuild
    assert L1_RULES["tfp"] in rule.toolTip() and "TensorFlow Playground" in bar.reg.toolTip()
    choose(bar.reg, "none")
    assert not bar.l1_box.isVisible()


def test_the_split_and_the_last_batch_are_chosen_in_the_data_panel(qtbot, window):
    panel = window.data_panel
    split, last = window.findChild(QComboBox, "dataSplit"), window.findChild(QComboBox, "lastBatch")
    assert split is panel.split and last is panel.last_batch
    assert items(split) == [("stratified", "stratified by class"), ("shuffled", "shuffled once")]
    assert items(last) == [("partial", "a smaller step"), ("carry", "carried over")]
    assert field("data.split").help in split.toolTip() and field("training.last_batch").help in last.toolTip()
    assert "new run" in split.toolTip() and "live" in last.toolTip()
    assert split.currentData() == "stratified" and last.currentData() == "partial"
    # The split is data: a new run on the rows the engine's shuffled split gives.
    gen = window.session.snapshot.generation
    choose(split, "shuffled")
    snap = wait_for(qtbot, window, lambda s: s.generation > gen and s.project["data"]["split"] == "shuffled")
    np.testing.assert_array_equal(snap.data.train, prepare_data(window.session.state.project).train)
    # 250 training rows in batches of 30: 8 full batches and 10 rows left. A smaller step of their
    # own makes 9 steps an epoch; carried, they join the next epoch's first step: 8.
    window.session.state.set("training.batch_size", 30)
    seq = window.session.step("epoch")
    snap = wait_for(qtbot, window, lambda s: s.applied >= seq)
    assert snap.project["training"]["batch_size"] == 30 and (snap.epoch, snap.steps) == (1, 9)
    gen = snap.generation
    choose(last, "carry")
    assert window.session.state.project["training"]["last_batch"] == "carry"
    seq = window.session.step("epoch")
    snap = wait_for(qtbot, window, lambda s: s.applied >= seq)
    assert snap.generation == gen and snap.project["training"]["last_batch"] == "carry"  # live
    assert (snap.epoch, snap.steps) == (2, 17)
    # A project that changes them elsewhere (an import, the defaults button) shows in the panel.
    window.session.state.apply({"data.split": "stratified", "training.last_batch": "carry"})
    assert split.currentData() == "stratified" and last.currentData() == "carry"
    # The two rows fit the data panel of a 1280×720 window: no sideways scrolling.
    window.resize(1280, 720)
    scroll = window.findChild(QScrollArea, "dataScroll")
    qtbot.waitUntil(lambda: window.width() <= 1280 and scroll.viewport().width() > 0)
    QApplication.processEvents()
    assert scroll.horizontalScrollBar().maximum() == 0, scroll.widget().minimumSizeHint().width()


def test_the_weights_tab_says_which_l1_rule_is_on_and_what_it_does_to_zeros(qtbot, window):
    zeros = window.histograms.zeros
    window.show_view("weights")
    window.session.state.apply({"training.optimizer.learning_rate": 0.3, "training.regularization.kind": "l1",
                                "training.regularization.rate": 0.03})  # fmt: skip
    window.session.set_playing(True)
    qtbot.waitUntil(lambda: zeros.text().startswith("L1 by subgradient (Keras): ") and zeros.isVisible(),
                    timeout=TIMEOUT)  # fmt: skip
    assert "seldom to exactly 0" in zeros.toolTip() and zeros.text().endswith(" (weights shrink, seldom to 0)")
    window.session.state.set("training.regularization.l1_rule", "proximal")
    qtbot.waitUntil(lambda: zeros.text().startswith("L1 by soft threshold: "), timeout=TIMEOUT)
    assert "exactly 0 whenever" in zeros.toolTip() and "may leave 0 again" in zeros.toolTip()
    assert zeros.text().endswith(" exactly 0 (small weights land on 0)")
    window.session.state.set("training.regularization.l1_rule", "tfp")
    snap = wait_for(qtbot, window, lambda s: s.dead is not None and s.project["training"]["regularization"][
        "l1_rule"] == "tfp")  # fmt: skip
    qtbot.waitUntil(lambda: zeros.text().startswith("L1 by TF Playground's rule: "), timeout=TIMEOUT)
    assert "dead for the rest of the run" in zeros.toolTip()
    window.session.set_playing(False)
    qtbot.waitUntil(lambda: not window.session.snapshot.playing, timeout=TIMEOUT)
    snap = window.session.snapshot
    window.histograms.set_snapshot(snap)
    n_dead = sum(int(d.sum()) for d in snap.dead)
    n_zero = sum(int((k == 0).sum()) for k in snap.weights[0::2])
    total = sum(k.size for k in snap.weights[0::2])
    assert zeros.text() == f"L1 by TF Playground's rule: {n_zero:,} of {total:,} exactly 0, {n_dead:,} dead for good"
    assert n_dead > 0
    # Without L1 the line says only how many weights are exactly 0, and goes when none is.
    window.session.state.set("training.regularization.kind", "l2")
    qtbot.waitUntil(lambda: not zeros.text().startswith("L1"), timeout=TIMEOUT)
    window.session.reset()
    qtbot.waitUntil(lambda: not zeros.isVisible(), timeout=TIMEOUT)


def _on(view, edge) -> QPointF:
    """A point of `edge` that no other edge is nearer to (edges cross), where hovering reads it."""
    p, q = edge[0], edge[1]
    for t in np.linspace(0.1, 0.9, 33):
        at = p + (q - p) * float(t)
        if edge_at(view.edges, at)[2:5] == edge[2:5]:
            return at
    raise AssertionError(f"edge {edge[2:5]} is under others all along")


def _hover(view, point: QPointF) -> str:
    """The tooltip the view shows with the mouse at `point`."""
    event = QMouseEvent(QEvent.Type.MouseMove, point, view.mapToGlobal(point), Qt.MouseButton.NoButton,
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(view, event)
    return QToolTip.text()


def test_links_tensorflow_playgrounds_l1_dropped_are_drawn_dead(qtbot, window):
    """TFP's rule stops a weight its penalty step carries across 0 and drops the link for the rest
    of the run (trainer.dead): the snapshot carries the mask, the view draws those edges grey and
    dashed, apart from the weights, and says so when one is hovered."""
    gen = window.session.snapshot.generation
    window.session.state.apply({
        "data.features": ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"],
        "training.optimizer.learning_rate": 0.3,
        "training.regularization": {"kind": "l1", "rate": 0.03, "l1_rule": "tfp"},
    })  # fmt: skip
    wait_for(qtbot, window, lambda s: s.generation > gen)
    window.session.set_playing(True)
    wait_for(qtbot, window, lambda s: s.dead is not None and sum(int(d.sum()) for d in s.dead) >= 3)
    window.session.set_playing(False)
    qtbot.waitUntil(lambda: not window.session.snapshot.playing, timeout=TIMEOUT)
    snap = window.session.snapshot
    view = window.network
    view.set_snapshot(snap)
    assert [d.shape for d in snap.dead] == [k.shape for k in snap.weights[0::2]]
    for d, k in zip(snap.dead, snap.weights[0::2]):
        assert np.all(k[d] == 0.0)  # a dead link stays at 0
    edges = view.edges
    dead = [e for e in edges if snap.dead[e[2]][e[3], e[4]]]
    live = [e for e in edges if not snap.dead[e[2]][e[3], e[4]]]
    assert dead and live and len(view.weights.dead_lines) == len(dead)
    drawn = {(line.p1().toTuple(), line.p2().toTuple()) for lines in view.weights.buckets.values() for line in lines}
    assert not any((p.toTuple(), q.toTuple()) in drawn for p, q, *_ in dead)  # not drawn as weights too
    p, q, layer, i, j, _w = dead[0]
    tip = _hover(view, _on(view, dead[0]))
    assert tip.startswith(DEAD_TIP) and f"input {i + 1} → neuron {j + 1}" in tip and "back to 0" in tip
    assert DEAD_TIP not in _hover(view, _on(view, live[0]))
    # Pixels: the middle of a dead edge is painted grey (no weight's blue or orange).
    image = view.grab().toImage()
    ratio = image.devicePixelRatio()
    colours = []
    for t in np.linspace(0.3, 0.7, 9):
        at = p + (q - p) * float(t)
        c = image.pixelColor(int(at.x() * ratio), int(at.y() * ratio))
        colours.append((c.red(), c.green(), c.blue()))
    grey = [c for c in colours if max(c) - min(c) < 12 and max(c) < 235]
    assert grey, colours
    # What the tooltip says of an edit: it lasts until the next step, which sets the link back to 0.
    seq = window.session.edit_weight(layer, i, j, 0.5)
    assert wait_for(qtbot, window, lambda s: s.applied >= seq).weights[2 * layer][i, j] == 0.5
    seq = window.session.step("batch")
    snap = wait_for(qtbot, window, lambda s: s.applied >= seq)
    assert snap.weights[2 * layer][i, j] == 0.0 and snap.dead[layer][i, j]
    # Another rule brings the links back (the engine forgets the mask): nothing is drawn dead.
    window.session.state.set("training.regularization.l1_rule", "proximal")
    seq = window.session.step("batch")
    snap = wait_for(qtbot, window, lambda s: s.applied >= seq)
    view.set_snapshot(snap)
    assert snap.dead is None and not view.weights.dead_lines and DEAD_TIP not in view.edge_tip(layer, i, j, 0.0)


def test_nn_playgrounds_defaults_say_they_bring_keras_rules_too(qtbot, window, monkeypatch):
    said = []
    monkeypatch.setattr(window.files.dialogs, "status", said.append)
    monkeypatch.setattr(window.files.dialogs, "info", lambda *a: None)
    link = DEFAULT.replace("regularizationRate=0", "regularization=L1&regularizationRate=0.01")
    project, _notes = from_tfp(link)
    assert project["training"]["regularization"]["l1_rule"] == "tfp" and project["data"]["split"] == "shuffled"
    assert window.sharing.open_text(link)
    p = window.session.state.project
    assert (p["data"]["split"], p["training"]["shuffle"], p["training"]["last_batch"]) == ("shuffled", False, "carry")
    assert window.controls.l1_rule.currentData() == "tfp" and window.data_panel.last_batch.currentData() == "carry"
    qtbot.mouseClick(window.sharing.bar.button, Qt.MouseButton.LeftButton)
    p = window.session.state.project
    assert (p["data"]["split"], p["training"]["shuffle"], p["training"]["last_batch"]) == (
        "stratified", True, "partial")  # fmt: skip
    assert p["training"]["regularization"]["l1_rule"] == "subgradient"
    text = said[-1]
    assert text.startswith("Defaults: sigmoid, cross-entropy, Glorot; Keras's ")
    for words in ("stratified split", "reshuffling", "partial last batch", "L1 subgradient"):
        assert words in text, text
    assert "Keras's rules" in window.sharing.bar.button.toolTip()
    # The whole line fits the status bar of a 1280-pixel screen, beside its counters.
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.width() <= 1280)
    window.show_message(text)
    bar = window.statusBar()
    qtbot.waitUntil(lambda: bar.currentMessage() == text)
    room = min(w.x() for w in (window.view_label, window.loss_label, window.rate_label) if w.isVisible())
    assert bar.fontMetrics().horizontalAdvance(text) < room - 8, (room, text)


def test_a_lesson_that_hides_or_locks_the_regularization_takes_the_l1_rule_with_it(qtbot, window):
    from engine.project import default_project

    bar = window.controls
    project = default_project()
    project["training"]["regularization"] = {"kind": "l1", "rate": 0.01, "l1_rule": "subgradient"}
    lesson = {"hide": ["training.regularization"], "steps": [{"text": "Watch."}]}
    window.session.state.replace({**project, "app": {"lesson": lesson}})
    assert window.lessons.bar.isVisible()
    assert not bar.l1_rule.isVisibleTo(window) and not bar.l1_box.isVisibleTo(window)
    window.session.state.replace({**project, "app": {"lesson": {**lesson, "hide": [], "lock": [
        "training.regularization"]}}})  # fmt: skip
    assert bar.l1_box.isVisibleTo(window) and not bar.l1_rule.isEnabled()
    # The lesson over (a project without one), the rule is back, and shown only under L1.
    window.session.state.replace(default_project())
    assert bar.l1_rule.isEnabled() and not bar.l1_box.isVisibleTo(window)
    window.session.state.set("training.regularization.kind", "l1")
    assert bar.l1_box.isVisibleTo(window) and bar.l1_rule.isVisibleTo(window)
