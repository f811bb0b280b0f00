"""Tools → Optimizer paths, driven as a user drives it: every lane's path is the engine's own."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QCheckBox, QDialog, QPushButton

from engine.teaching.surfaces import SURFACES, get_surface, optimizer_path
from playground.windows.optimizer_paths import LANES, SLOW_STEPS, PathsWindow


@pytest.fixture
def paths(qtbot):
    win = PathsWindow()
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def drawn(win, lane):
    x, y = win.items[lane].path.getData()
    return np.zeros((0, 2)) if x is None else np.column_stack([x, y])


def test_opens_from_the_tools_menu(window, qtbot):
    window.findChild(type(window.actions()[0]), "actionPaths").trigger()
    win = window.findChild(PathsWindow, "pathsWindow")
    assert win is not None and win.isVisible()
    assert [lane.optimizer.currentData() for lane in win.lanes] == list(LANES)
    win.close()


def test_each_step_follows_the_engines_path(paths, qtbot):
    s = get_surface("rosenbrock")
    assert [lane.lr.value() for lane in paths.lanes] == [s.rate(n) for n in LANES]
    for _ in range(5):
        qtbot.mouseClick(paths.step, Qt.MouseButton.LeftButton)
    for i, name in enumerate(LANES):
        want = optimizer_path("rosenbrock", {"name": name, "learning_rate": s.rate(name)}, s.start, 5)
        assert np.allclose(drawn(paths, i), want["points"], rtol=1e-12)
        assert paths.lanes[i].status.text().startswith("5 · ")
    assert "step 5" in paths.caption.text()


def test_play_walks_until_paused(paths, qtbot):
    paths.slow.setChecked(False)
    paths.speed.setCurrentIndex(paths.speed.count() - 1)
    qtbot.mouseClick(paths.play, Qt.MouseButton.LeftButton)
    assert paths.play.text() == "Pause"
    qtbot.waitUntil(lambda: paths.steps_taken() >= 40, timeout=10_000)
    qtbot.mouseClick(paths.play, Qt.MouseButton.LeftButton)
    held = paths.steps_taken()
    assert not paths.timer.isActive() and len(drawn(paths, 5)) == held + 1


def test_slow_start_takes_the_first_steps_one_at_a_time(paths, qtbot):
    paths.slow.setChecked(True)
    paths.speed.setCurrentIndex(paths.speed.count() - 1)
    paths.play.setChecked(True)
    qtbot.waitUntil(lambda: paths.steps_taken() >= 1, timeout=5000)
    assert paths.steps_taken() < SLOW_STEPS  # 300 steps/s would have gone far past it
    paths.play.setChecked(False)


def test_dragging_the_start_restarts_every_lane_there(paths, qtbot):
    qtbot.mouseClick(paths.step, Qt.MouseButton.LeftButton)
    paths.target.setPos(QPointF(0.5, -0.5))
    paths.target.sigPositionChangeFinished.emit(paths.target)
    assert paths.start == (0.5, -0.5) and paths.steps_taken() == 0
    assert paths.start_x.value() == 0.5 and paths.start_y.value() == -0.5
    assert np.allclose(drawn(paths, 0), [[0.5, -0.5]])
    paths.start_x.setText("-1")
    paths.start_x.editingFinished.emit()
    assert paths.start == (-1.0, -0.5)


def test_changing_the_surface_redraws_and_takes_its_rates(paths, qtbot):
    before = paths.contour_pixels.copy()
    paths.surface_box.setCurrentIndex(paths.surface_box.findData("quadratic"))
    s = get_surface("quadratic")
    assert paths.start == s.start and [lane.lr.value() for lane in paths.lanes] == [s.rate(n) for n in LANES]
    assert paths.contour_pixels.shape == before.shape and not np.array_equal(paths.contour_pixels, before)
    assert "Condition number" in paths.formula.text() and set(paths.param_fields) == {"a", "b"}
    # A steeper bowl: the condition number follows and SGD's path is the closed form's.
    paths.param_fields["b"].setText("15")
    paths.param_fields["b"].editingFinished.emit()
    assert "= 15" in paths.formula.text()
    for _ in range(3):
        paths.step_once()
    lr = s.rate("sgd")
    t = np.arange(4)
    want = np.column_stack([(1 - lr) ** t * s.start[0], (1 - lr * 15) ** t * s.start[1]])
    assert np.allclose(drawn(paths, 0), want)
    paths.surface_box.setCurrentIndex(paths.surface_box.findData("beale"))
    assert paths.param_fields == {}


def test_every_surface_draws(paths):
    for name in SURFACES.names():
        paths.surface_box.setCurrentIndex(paths.surface_box.findData(name))
        paths.step_once()
        assert paths.contour_pixels.shape == (400, 400, 3)
        assert len(paths.minima.data) == len(get_surface(name).minima)


def test_a_lanes_other_hyperparameters_are_editable(paths, qtbot):
    lane = paths.lanes[1]  # momentum
    dlg = lane.edit_settings()
    field = dlg.findChild(type(paths.start_x), "pathSetting_momentum")
    field.setText("0.5")
    field.editingFinished.emit()
    dlg.findChild(QCheckBox, "pathSetting_nesterov").setChecked(True)
    ok = next(b for b in dlg.findChildren(QPushButton) if b.text().replace("&", "") == "OK")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert lane.extra == {"momentum": 0.5, "nesterov": True} and "changed" in lane.more.toolTip()
    for _ in range(4):
        paths.step_once()
    spec = {"name": "momentum", "learning_rate": lane.lr.value(), "momentum": 0.5, "nesterov": True}
    assert np.allclose(drawn(paths, 1), optimizer_path("rosenbrock", spec, paths.start, 4)["points"])
    assert not dlg.isVisible() or dlg.result() == QDialog.DialogCode.Accepted


def test_a_lane_that_leaves_or_diverges_says_so_and_stops(paths, qtbot):
    paths.lanes[0].lr.setText("0.01")
    paths.lanes[0].lr.editingFinished.emit()  # SGD at Keras's default leaves Rosenbrock's valley
    for _ in range(10):
        paths.step_once()
    assert paths.lanes[0].status.text().endswith("left the plot")
    assert len(drawn(paths, 0)) == 5 and paths.steps_taken() == 10  # the others walk on
    paths.lanes[0].lr.setText("0.1")
    paths.lanes[0].lr.editingFinished.emit()
    paths.step_once()
    paths.step_once()
    paths.walkers[0].step(20)  # past the plot's edge it would not be stepped: the engine's verdict
    paths.step_once()
    assert paths.lanes[0].status.text().startswith("diverged at step ")


def test_lanes_can_be_turned_off(paths, qtbot):
    for lane in paths.lanes[2:]:
        lane.enabled.setChecked(False)
    paths.step_once()
    assert [w is None for w in paths.walkers] == [False, False, True, True, True, True]
    assert paths.lanes[3].status.text() == "off" and len(drawn(paths, 3)) == 0


def test_random_search_walks_as_the_engines(paths, qtbot):
    """A lane set to random search takes 2% of the plot as σ and walks RandomSearch's seeded path;
    its ⋯ settings change the tries and the seed."""
    from PySide6.QtWidgets import QSpinBox

    from engine.teaching.walkers import RANDOM_SEARCH, RandomSearch, default_step

    lane = paths.lanes[5]
    lane.optimizer.setCurrentIndex(lane.optimizer.findData(RANDOM_SEARCH))
    assert lane.lr.value() == default_step(paths.surface) == 0.08 and "step size σ" in lane.lr.toolTip()
    dlg = lane.edit_settings()
    dlg.findChild(QSpinBox, "pathSetting_tries").setValue(5)
    dlg.findChild(QSpinBox, "pathSetting_seed").setValue(11)
    ok = next(b for b in dlg.findChildren(QPushButton) if b.text().replace("&", "") == "OK")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert lane.extra == {"tries": 5, "seed": 11}
    for _ in range(25):
        paths.step_once()
    want = RandomSearch("rosenbrock", {"step_size": 0.08, "tries": 5, "seed": 11})
    want.step(25)
    assert np.allclose(drawn(paths, 5), want.points, rtol=0, atol=0)
    assert f"kept {want.accepted} of 25" in lane.status.text() and want.values[-1] < want.values[0]


def test_the_forward_difference_shows_its_numbers(paths, qtbot):
    from engine.teaching.walkers import forward_difference

    fd = forward_difference("rosenbrock", -1.5, 2.0, 1e-5)
    text = paths.numeric.text()
    assert "f(x, y) = 12.5" in text and f"f(x + h, y) = {fd.f_x:.12g}" in text
    assert f"∂f/∂x ≈ {fd.numeric[0]:.8g}".replace("-", "−") in text and "analytic ∇f = (−155, −50)" in text
    paths.h.setText("0.1")
    paths.h.editingFinished.emit()  # the error grows to about h·f″/2
    coarse = forward_difference("rosenbrock", -1.5, 2.0, 0.1)
    assert f"∂f/∂y ≈ {coarse.numeric[1]:.8g}".replace("-", "−") in paths.numeric.text()
    assert coarse.numeric[1] - coarse.analytic[1] == pytest.approx(200 * 0.1 / 2)  # f_yy = 200
    for _ in range(3):
        paths.step_once()
    paths.grad_at.setCurrentIndex(paths.grad_at.findData(5))  # Adam's head
    x, y = paths.walkers[5].position
    at = forward_difference("rosenbrock", x, y, 0.1)
    assert f"f(x, y) = {at.f:.12g}" in paths.numeric.text() and (x, y) != (-1.5, 2.0)
    paths.lanes[5].enabled.setChecked(False)
    assert "that lane is off" in paths.numeric.text()
