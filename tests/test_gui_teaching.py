"""The teaching windows of Tools (issue 29): activation statistics, convex or not, the loss explorer
and the perceptron, driven from the real window's menu."""

import math

import numpy as np
import pytest
from conftest import TIMEOUT
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QPushButton

from engine.teaching.activation_stats import activation_statistics, standard_inputs
from engine.teaching.convexity import CONVEXITY_DATA, surface
from engine.teaching.scores import score_losses
from playground.windows.activation_stats import ActivationWindow
from playground.windows.convex import ConvexWindow
from playground.windows.loss_explorer import LossExplorer
from playground.windows.perceptron import PerceptronWindow


def open_tool(window, action, cls, name):
    window.findChild(QAction, action).trigger()
    win = window.findChild(cls, name)
    assert win is not None and win.isVisible()
    return win


def test_loss_explorer_works_out_cs231ns_example(window, qtbot):
    win = open_tool(window, "actionLossExplorer", LossExplorer, "lossExplorer")
    assert "= 5.267" in win.totals.text() and "= 2.759" in win.totals.text()
    text = win.working.toPlainText()
    assert "max(0, 5.1 − 3.2 + 1) + max(0, −1.7 − 3.2 + 1)" in text and "= 2.9 + 0 = 2.9" in text
    assert "−ln p_cat = −ln 0.13 = 2.04" in text and "−log₁₀ 0.13 = 0.886" in text
    assert "max(0, 2.2 − (−3.1) + 1)" in text and "= 6.3 + 6.6 = 12.9" in text
    # A typed score: the cat image's frog score rises past the cat's by 0.5, adding a hinge of 1.5.
    win.set_score(0, 2, 3.7)
    assert win.result.examples[0].svm == pytest.approx(2.9 + 1.5)
    assert f"= {(4.4 + 0 + 12.9) / 3:.4g}" in win.totals.text()
    win.table.item(1, 0).setText("abc")
    assert "is not a number" in win.message.text() and win.table.item(1, 0).text() == "1.3"
    win.table.cellWidget(2, 3).setCurrentIndex(1)  # the frog image is now called a car
    want = score_losses(win.scores(), np.array([0, 1, 1]))
    assert win.result.svm == pytest.approx(want.svm) and win.result.examples[2].label == 1
    qtbot.mouseClick(win.findChild(QPushButton, "lossZero"), Qt.MouseButton.LeftButton)
    assert win.result.svm == 2 and win.result.softmax == pytest.approx(math.log(3))
    assert "(C − 1)·Δ = 2" in win.message.text() and "ln 3 = 1.099" in win.message.text()
    win.class_edit.setText("cat, car, frog, ship")
    win.class_edit.editingFinished.emit()
    assert win.table.columnCount() == 5 and win.result.svm == 3
    win.add_example()
    assert win.table.rowCount() == 4 and len(win.result.examples) == 4
    assert window.findChild(QAction, "actionLossExplorer").trigger() is None
    assert window.findChildren(LossExplorer) == [win]  # one window: raised again
    win.close()


def test_perceptron_learns_and_and_never_xor(window, qtbot):
    win = open_tool(window, "actionPerceptron", PerceptronWindow, "perceptronWindow")
    qtbot.mouseClick(win.step_button, Qt.MouseButton.LeftButton)
    # AND from w = (0.3, −0.2), b = 0.1, η = 0.5: (0, 0) gives z = 0.1 > 0, ŷ = 1, a mistake.
    assert "z = w·x + b = 0.3·0 + (−0.2)·0 + 0.1 = 0.1" in win.working.text()
    assert "b ← b + η(y − ŷ) = 0.1 + 0.5·(−1) = −0.4" in win.working.text()
    assert "= 1·0·(0, 0) = (0, 0)" in win.gradient.text() and "never moves" in win.gradient.text()
    for _ in range(10):
        qtbot.mouseClick(win.epoch_button, Qt.MouseButton.LeftButton)
    assert win.perceptron.mistakes() == 0 and "made no mistake" in win.status.text()
    win.data_box.setCurrentIndex(win.data_box.findData("xor"))
    assert win.perceptron.visits == 0 and "no line separates them" in win.data_note.text()
    for _ in range(6):
        win.run_epoch()
    assert win.perceptron.mistakes() > 0 and "never stops" in win.status.text()
    win.rate.setText("2")
    win.rate.editingFinished.emit()
    assert win.perceptron.rate == 2 and win.perceptron.visits == 0
    win.play.setChecked(True)
    qtbot.waitUntil(lambda: win.perceptron.visits >= 2, timeout=TIMEOUT)
    win.play.setChecked(False)
    win.data_box.setCurrentIndex(win.data_box.findData("two_groups"))
    qtbot.mouseClick(win.play, Qt.MouseButton.LeftButton)  # plays until a pass without a mistake, then stops
    qtbot.waitUntil(lambda: not win.play.isChecked(), timeout=TIMEOUT)
    assert win.settled() and win.perceptron.mistakes() == 0 and not win.timer.isActive()
    win.close()


def test_convex_or_not_shows_the_engines_numbers(window, qtbot):
    win = open_tool(window, "actionConvexity", ConvexWindow, "convexWindow")
    qtbot.waitUntil(lambda: win.result is not None, timeout=TIMEOUT)
    d = CONVEXITY_DATA.get("overlapping")
    se = surface("squared_error", d.x, d.y, 4.0, 301)
    assert win.result.surfaces["squared_error"].negative_share == se.negative_share
    info = win.infos["squared_error"].text()
    assert f"on {se.negative_share:.0%} of the grid" in info and "2 minima" in info and "not convex" in info
    assert "(0.181, −0.586) L = 0.221" in info and "ends at (6.05, 2.91)" in info
    ce_info = win.infos["cross_entropy"].text()
    assert "never negative: convex" in ce_info and "One minimum" in ce_info and "ends at (0.202, −0.694)" in ce_info
    # Drag the start: both descents run again from there, on the surfaces already drawn.
    before = win.result
    target = win.targets["squared_error"]
    target.setPos(QPointF(2.0, -3.0))
    target.sigPositionChangeFinished.emit(target)
    qtbot.waitUntil(lambda: win.result is not before, timeout=TIMEOUT)
    assert win.result.start == (2.0, -3.0) and win.result.surfaces is not before.surfaces
    assert win.result.surfaces["squared_error"] is before.surfaces["squared_error"]
    assert win.targets["cross_entropy"].pos() == QPointF(2.0, -3.0)
    assert "ends at (0.676, −0.457)" in win.infos["squared_error"].text()  # the worse minimum
    win.y_edit.setText("0, 1, 2")
    win.y_edit.editingFinished.emit()
    assert "one label per input" in win.message.text()
    win.data_box.setCurrentIndex(win.data_box.findData("separable"))
    qtbot.waitUntil(lambda: win.result is not None and len(win.result.x) == 6, timeout=TIMEOUT)
    assert "No minimum on the grid" in win.infos["cross_entropy"].text()
    win.close()
    qtbot.waitUntil(win.jobs.handle.thread.isFinished, timeout=TIMEOUT)


def test_activation_statistics_of_the_project_and_of_cs231ns_stack(window, qtbot):
    win = open_tool(window, "actionActivationStats", ActivationWindow, "activationStats")
    qtbot.waitUntil(lambda: win.result is not None, timeout=TIMEOUT)
    layers = window.session.snapshot.project["network"]["layers"]
    assert [(lay.units, lay.activation) for lay in win.result.layers] == [(la["units"], la["activation"])
                                                                          for la in layers]  # fmt: skip
    assert win.result.rows == min(1000, window.session.snapshot.data.x_train.shape[0])
    assert not win.layers.isEnabled()
    # A stack of 8 tanh layers of 100 with N(0, 0.01²): the spread shrinks ×0.01·√100 = 0.1 a layer.
    win.source.setCurrentIndex(win.source.findData("stack"))
    win.layers.setValue(8)
    win.units.setValue(100)
    win.initializer.setCurrentIndex(win.initializer.findData("random_normal"))
    win.sigma.setText("0.01")
    win.sigma.editingFinished.emit()
    first = win.result
    qtbot.mouseClick(win.compute_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.result is not first, timeout=TIMEOUT)
    r = win.result
    want = activation_statistics(standard_inputs(1000, 100), [(100, "tanh")] * 8, "random_normal", 0.01)
    assert np.array_equal(r.stds, want.stds)
    assert r.stds[1:] / r.stds[:-1] == pytest.approx([0.1] * 7, rel=0.05)
    assert "collapse towards 0" in win.summary.text() and "×0.099 a layer" in win.summary.text()
    assert len(win.histograms.ci.items) == 8
    qtbot.mouseClick(win.compare_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.jobs.busy and not win.queue and win.result.initializer == "glorot_normal",
                    timeout=TIMEOUT)  # fmt: skip
    names = [name for name, _r in win.kept]
    assert names[-3:] == ["N(0, 0.01²), 8 × Tanh", "N(0, 1²), 8 × Tanh", "Glorot normal, 8 × Tanh"]
    saturated = dict(win.kept)["N(0, 1²), 8 × Tanh"]
    assert all(layer.flat > 0.5 for layer in saturated.layers)
    assert "no collapse to 0 and no saturation" in win.summary.text()
    qtbot.mouseClick(win.clear_button, Qt.MouseButton.LeftButton)
    assert [r for _n, r in win.kept] == [win.result]
    win.close()
    qtbot.waitUntil(win.jobs.handle.thread.isFinished, timeout=TIMEOUT)


def test_teaching_windows_leave_nothing_behind(window, qtbot):
    """Closed, each window takes its widgets (pyqtgraph's parentless menus too) and its job thread."""
    from PySide6.QtWidgets import QApplication

    def opened_and_closed():
        for open_ in (window.tools.open_activation_stats, window.tools.open_convexity,
                      window.tools.open_loss_explorer, window.tools.open_perceptron):  # fmt: skip
            win = open_()
            if hasattr(win, "jobs"):
                qtbot.waitUntil(lambda w=win: w.result is not None, timeout=TIMEOUT)
            QApplication.processEvents()
            win.close()
            if hasattr(win, "jobs"):
                qtbot.waitUntil(win.jobs.handle.thread.isFinished, timeout=TIMEOUT)
        for _ in range(3):
            QApplication.sendPostedEvents(None, 0)
            QApplication.processEvents()
        return len(QApplication.allWidgets())

    first = opened_and_closed()
    assert opened_and_closed() == first and opened_and_closed() == first


def test_quitting_with_teaching_windows_open_ends_their_threads(window, qtbot):
    stats, convex = window.tools.open_activation_stats(), window.tools.open_convexity()
    threads = [stats.jobs.handle.thread, convex.jobs.handle.thread]
    assert all(t.isRunning() for t in threads)
    window.shutdown()  # what closing the app does
    assert not any(t.isRunning() for t in threads)
