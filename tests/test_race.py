"""The optimizer race: same initial weights and batches in every lane; the window drives it live."""

import numpy as np
import pytest
from helpers import project
from PySide6.QtCore import Qt

from engine import PlaygroundError
from engine.run.training import Trainer
from engine.teaching.race import DEFAULT_RACE, Race
from playground.windows.race import RaceWindow


def test_every_lane_starts_from_the_same_weights_and_sees_the_same_batches():
    p = project(network={"layers": [{"units": 4, "dropout": 0.2}]})
    race = Race(p, DEFAULT_RACE)
    params = [lane.trainer.network.params.copy() for lane in race.lanes]
    assert all(np.array_equal(params[0], q) for q in params[1:])
    for _ in range(30):
        race.step()
    orders = [lane.trainer._order for lane in race.lanes]
    assert all(np.array_equal(orders[0], o) for o in orders[1:])
    # Each lane equals a plain trainer with that optimizer: the race adds nothing of its own.
    for lane, opt in zip(race.lanes, DEFAULT_RACE):
        alone = Trainer({**p, "training": {**p["training"], "optimizer": opt}}, data=race.data)
        for _ in range(30):
            alone.train_batch()
        np.testing.assert_array_equal(alone.network.params, lane.trainer.network.params)
    assert [lane.label for lane in race.lanes][:2] == ["SGD α=0.01", "Momentum α=0.01"]


def test_a_diverging_lane_stops_alone():
    p = project(
        data={"source": "plane", "problem": "regression"},
        network={"layers": [{"units": 8, "activation": "relu"}], "output_activation": "linear"},
        training={"loss": "mse"},
    )
    race = Race(p, [{"name": "sgd", "learning_rate": 100}, {"name": "adam"}])
    for _ in range(10):
        race.step()
    bad, good = race.lanes
    assert not bad.running and "diverged" in bad.message
    assert good.running and good.trainer.steps == 10


def test_a_race_needs_known_optimizers_and_at_most_six_lanes():
    with pytest.raises(PlaygroundError, match="unknown optimizer"):
        Race(project(), [{"name": "lbfgs"}])
    with pytest.raises(PlaygroundError, match="1 to 6 lanes"):
        Race(project(), [{"name": "sgd"}] * 7)


def test_the_race_window_trains_every_lane_and_draws_curves_and_boundaries(qtbot, window):
    race = window.tools.open_race()
    assert isinstance(race, RaceWindow)
    qtbot.waitUntil(lambda: race.snapshot is not None and len(race.curves) == 6)
    qtbot.mouseClick(race.play, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: min(lane.epoch for lane in race.snapshot.lanes) >= 3, timeout=15_000)
    qtbot.mouseClick(race.play, Qt.MouseButton.LeftButton)  # pause
    qtbot.waitUntil(lambda: not race.snapshot.playing)
    snap = race.snapshot
    main = window.session.state.project["training"]["optimizer"]
    assert main["name"] == "sgd" and main["learning_rate"] == 0.03  # lane 1 is the main window's optimizer
    assert [lane.label for lane in snap.lanes] == [
        "SGD α=0.03",
        "Momentum α=0.01",
        "Nesterov (NAG) α=0.01",
        "Adagrad α=0.001",
        "RMSprop α=0.001",
        "Adam α=0.001",
    ]
    for i, curve in enumerate(race.curves):
        x, y = curve.getData()
        np.testing.assert_allclose(y, np.array(snap.lanes[i].history["loss"]))
        np.testing.assert_array_equal(x, np.arange(1, len(y) + 1))
    pic, text = race.thumbs[0]
    assert pic.pixmap().width() == 128 and "epoch" in text.text()
    # Two lanes with different learning rates: a learning-rate race.
    for row in race.rows[2:]:
        row.enabled.setChecked(False)
    race.rows[1].optimizer.setCurrentIndex(race.rows[1].optimizer.findData("sgd"))
    race.rows[1].lr.set_value(0.3)
    gen = snap.generation
    qtbot.mouseClick(race.restart, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: race.snapshot.generation > gen)
    assert [lane.label for lane in race.snapshot.lanes] == ["SGD α=0.03", "SGD α=0.3"]
    qtbot.mouseClick(race.step, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: all(lane.epoch == 1 for lane in race.snapshot.lanes))
    race.close()
    qtbot.waitUntil(race.handle.thread.isFinished)


def test_every_lane_keeps_the_projects_schedule():
    p = project(training={"schedule": {"name": "exponential", "decay_rate": 0.5, "decay_steps": 10}})
    race = Race(p, [{"name": "sgd", "learning_rate": 0.1}, {"name": "adam", "learning_rate": 0.01}])
    for _ in range(10):
        race.step()
    assert [lane.trainer.current_lr for lane in race.lanes] == pytest.approx([0.05, 0.005])


def test_the_race_offers_only_metrics_the_data_has_and_a_same_rate_button(qtbot, window):
    from playground.windows.race import race_metrics

    p = window.session.state.project
    assert p["data"]["validation_fraction"] == 0
    assert race_metrics(p) == ["loss", "test_loss", "accuracy", "test_accuracy"]
    window.session.state.set("data.validation_fraction", 0.2)
    assert "val_loss" in race_metrics(window.session.state.project)
    race = window.tools.open_race()
    qtbot.waitUntil(lambda: race.snapshot is not None)
    race.same_rate.click()
    assert {row.lr.value() for row in race.rows} == {0.03}
    assert race.plot.getPlotItem().legend is None  # the lanes' rows carry the colours
    race.close()
    qtbot.waitUntil(race.handle.thread.isFinished)


def test_image_data_races_without_empty_boundary_boxes(qtbot, window):
    from playground.resources import PRESETS

    assert window.files.open_project(PRESETS / "10-image-shapes.json", preset=True)
    race = window.tools.open_race()
    qtbot.waitUntil(lambda: race.snapshot is not None and len(race.thumbs) == len(race.snapshot.lanes))
    assert race.no_plane.isVisibleTo(race)
    assert not any(pic.isVisibleTo(race) for pic, _text in race.thumbs)
    race.close()
    qtbot.waitUntil(race.handle.thread.isFinished)
