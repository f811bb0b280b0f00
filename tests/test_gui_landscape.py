"""Tools → Loss landscape on the real window: each job's numbers are the engine's own."""

import numpy as np
import pytest
from conftest import TIMEOUT
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from engine.run.training import Trainer
from engine.teaching.landscape import lr_range_test
from playground.windows.landscape import LandscapeWindow


def trained(window, qtbot, epochs=4):
    s = window.session
    for _ in range(epochs):
        seq = s.step("epoch")
        qtbot.waitUntil(lambda seq=seq: s.snapshot.applied >= seq, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: len(s.timeline) >= epochs, timeout=TIMEOUT)
    return s.snapshot


def open_window(window) -> LandscapeWindow:
    window.findChild(QAction, "actionLandscape").trigger()
    win = window.findChild(LandscapeWindow, "landscapeWindow")
    assert win is not None and win.isVisible()
    return win


def wait_result(qtbot, win, kind):
    qtbot.waitUntil(lambda: win.job is None and kind in win.results, timeout=TIMEOUT)
    return win.results[kind]


def run_trainer(snap):
    tr = Trainer(snap.project, data=snap.data)
    tr.network.set_weights(snap.weights)
    return tr


def test_the_planes_centre_is_the_runs_training_loss_and_its_own_directions_hold_its_path(window, qtbot):
    snap = trained(window, qtbot, 5)
    win = open_window(window)
    win.resolution.setCurrentIndex(0)  # 11 × 11
    assert win.bar.isHidden() and not win.cancel.isEnabled()
    qtbot.mouseClick(win.plane_go, Qt.MouseButton.LeftButton)
    assert win.cancel.isEnabled() and win.bar.isVisible()
    r = wait_result(qtbot, win, "plane")
    assert r.loss.shape == (11, 11) and r.rows == r.of_rows
    assert r.centre == r.loss[5, 5] == run_trainer(snap).evaluate()["train"]["loss"]
    kept = [k for k in window.session.timeline.snapshots if k.steps < snap.steps]
    assert r.coords.shape == (len(kept) + 1, 2) and np.allclose(r.coords[-1], 0)
    # Issue 31, item 8: a finished job leaves nothing to cancel and no full bar standing.
    assert not win.cancel.isEnabled() and win.bar.isHidden() and win.status.text() == "Done: the landscape computed."
    assert "Star: the current weights" in win.plane_info.text()
    assert win.plane_pixels.shape[2] == 3 and win.plane_pixels.shape[0] > 11  # drawn smooth
    # The run's own directions hold most of its path.
    win.results.clear()
    win.directions.setCurrentIndex(win.directions.findData("path"))
    assert not win.span.isEnabled()
    win.resolution.setCurrentIndex(0)
    win.compute_plane()
    r = wait_result(qtbot, win, "plane")
    assert r.directions == "path" and r.held > 0.5 and "variance" in win.plane_info.text()
    reach = np.max(np.abs(r.coords))
    assert r.alpha[-1] == pytest.approx(1.25 * reach)  # the plane is sized to the path
    win.close()


def test_the_slice_runs_from_the_start_weights_to_now(window, qtbot):
    snap = trained(window, qtbot)
    win = open_window(window)
    win.tabs.setCurrentIndex(1)
    qtbot.mouseClick(win.slice_go, Qt.MouseButton.LeftButton)
    r = wait_result(qtbot, win, "slice")
    one = int(np.argmin(np.abs(r.ts - 1)))
    assert r.ts[one] == pytest.approx(1.0) and r.start_step == 0
    tr = run_trainer(snap)
    assert r.curves["train"][one] == pytest.approx(tr.evaluate()["train"]["loss"], rel=1e-9)
    first = window.session.timeline.snapshots[0]
    tr.network.set_weights(first.weights)
    zero = int(np.argmin(np.abs(r.ts)))
    assert r.curves["train"][zero] == pytest.approx(tr.evaluate()["train"]["loss"], rel=1e-9)
    assert "the run's initial weights" in win.slice_info.text()
    assert set(win.slice_curves) == set(r.curves)
    # A job has its own thread: the run trains and the window stays live while a plane is computed.
    win.resolution.setCurrentIndex(1)
    win.compute_plane()
    s = window.session
    start = s.snapshot.steps
    s.set_playing(True)
    qtbot.waitUntil(lambda: s.snapshot.steps > start + 50, timeout=TIMEOUT)
    s.set_playing(False)
    assert wait_result(qtbot, win, "plane").loss.shape == (21, 21)
    win.close()


def test_the_range_test_suggests_a_rate_and_one_click_uses_it(window, qtbot):
    snap = trained(window, qtbot, 1)
    win = open_window(window)
    win.tabs.setCurrentIndex(2)
    win.range_steps.setValue(40)
    assert not win.use_rate.isEnabled()
    qtbot.mouseClick(win.range_go, Qt.MouseButton.LeftButton)
    r = wait_result(qtbot, win, "range")
    # Issue 29, item 9: from the run's initial weights by default (a fresh trainer's are the run's).
    assert win.range_start.currentData() == "initial" and r.start_step == 0
    want = lr_range_test(Trainer(snap.project, data=snap.data), 1e-5, 10.0, 40)
    assert np.array_equal(r.smoothed, want.smoothed) and r.suggestion == want.suggestion
    assert "From the run's initial weights" in win.range_info.text() and "bias" not in win.range_info.text()
    legend = " ".join(label.text() for label in win.findChildren(type(win.range_info)))
    assert "Smith's (2017" in legend and "fastai's lr_find" in legend
    win.range_start.setCurrentIndex(win.range_start.findData("current"))
    qtbot.mouseClick(win.range_go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.job is None and win.results["range"] is not r, timeout=TIMEOUT)
    r = win.results["range"]
    want = lr_range_test(run_trainer(snap), 1e-5, 10.0, 40)
    assert np.array_equal(r.smoothed, want.smoothed) and r.start_step == snap.steps > 0
    assert f"From the weights of step {snap.steps:,}" in win.range_info.text()
    assert "Trained weights bias the test" in win.range_info.text()
    assert win.use_rate.isEnabled() and f"{win.suggested:g}" in win.use_rate.text()
    qtbot.mouseClick(win.use_rate, Qt.MouseButton.LeftButton)
    assert window.session.state.project["training"]["optimizer"]["learning_rate"] == win.suggested
    assert "Learning rate set" in win.status.text()
    win.lr_min.set_value(1.0)
    win.lr_max.set_value(0.5)
    assert win.compute_range() is None and "must rise" in win.status.text()
    win.close()


def test_cancel_ends_a_job_and_the_next_one_runs(window, qtbot):
    trained(window, qtbot, 2)
    win = open_window(window)
    win.resolution.setCurrentIndex(win.resolution.count() - 1)
    win.compute_plane()
    qtbot.mouseClick(win.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.job is None, timeout=TIMEOUT)
    assert win.status.text() == "Cancelled." and "plane" not in win.results
    assert win.bar.isHidden() and not win.cancel.isEnabled()
    win.resolution.setCurrentIndex(0)
    win.compute_plane()
    assert wait_result(qtbot, win, "plane").loss.shape == (11, 11)
    # Closing mid-job ends the job's thread.
    win.resolution.setCurrentIndex(win.resolution.count() - 1)
    win.compute_plane()
    thread = win.handle.thread
    win.close()
    assert thread.isFinished()
