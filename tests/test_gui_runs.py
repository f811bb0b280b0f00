"""Run history: runs kept with their settings, overlaid on the curves, compared, exported as CSV."""

import csv
import io

import numpy as np
from helpers import wait_for
from PySide6.QtCore import Qt

from playground.panels.runs_view import CompareDialog


def _train_epochs(qtbot, window, n):
    start = window.session.snapshot.epoch
    for _ in range(n):
        window.session.step("epoch")
    return wait_for(qtbot, window, lambda s: s.epoch >= start + n)


def _two_runs(qtbot, window):
    first = _train_epochs(qtbot, window, 3)
    gen = first.generation
    window.session.state.set("training.optimizer.learning_rate", 0.1)  # live: the same run goes on
    window.session.state.set("network.layers.0.units", 5)  # structural: a new run
    wait_for(qtbot, window, lambda s: s.generation > gen)
    second = _train_epochs(qtbot, window, 2)
    window.runs.refresh()
    return first, second


def test_each_rebuild_starts_a_run_that_keeps_its_settings_and_curves(qtbot, window):
    first, second = _two_runs(qtbot, window)
    assert second.generation > first.generation
    runs = window.session.run_history.runs
    assert [r.number for r in runs] == [1, 2]  # the rebuild that never trained left no run
    assert runs[0].epochs == 3 and runs[1].epochs == 2
    assert list(runs[0].history["loss"]) == list(first.history["loss"])
    assert runs[0].project["network"]["layers"][0]["units"] == 4
    assert runs[1].project["network"]["layers"][0]["units"] == 5
    assert "SGD α=0.03" in runs[0].summary() and "4-2 Tanh" in runs[0].summary()
    table = window.runs.table
    assert table.rowCount() == 2
    assert table.item(1, 1).text() == "Run 2 (now)" and table.item(0, 3).text() == "3"


def test_overlaying_a_run_draws_its_curves_under_the_current_ones(qtbot, window):
    first, _second = _two_runs(qtbot, window)
    assert window.curves.overlay_items == []
    window.runs.set_overlay(1, True)
    items = window.curves.overlay_items
    assert [(run.number, prefix) for _i, run, prefix in items] == [(1, ""), (1, "test_")]
    x, y = items[0][0].getData()
    np.testing.assert_allclose(y, first.history["loss"])
    np.testing.assert_array_equal(x, [1, 2, 3])
    window.curves.metric_box.setCurrentIndex(window.curves.metric_box.findData("accuracy"))
    _x, y = items[1][0].getData()
    np.testing.assert_allclose(y, first.history["test_accuracy"])
    window.runs.set_overlay(1, False)
    assert window.curves.overlay_items == []


def test_comparing_two_runs_lists_the_settings_that_differ(qtbot, window):
    _two_runs(qtbot, window)
    table = window.runs.table
    table.selectAll()
    assert window.runs.compare.isEnabled()
    qtbot.mouseClick(window.runs.compare, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.findChild(CompareDialog, "compareDialog") is not None)
    dlg = window.findChild(CompareDialog, "compareDialog")
    keys = {k: (a, b) for k, a, b in dlg.differences}
    assert keys == {"network.layers.0.units": (4, 5), "training.optimizer.learning_rate": (0.03, 0.1)}
    assert dlg.table.rowCount() == 2
    dlg.only.setChecked(False)
    assert dlg.table.rowCount() == len(dlg.rows) > 20
    dlg.close()


def test_runs_export_as_csv_with_every_epoch_of_every_run(qtbot, window, tmp_path):
    first, second = _two_runs(qtbot, window)
    assert window.files.export_runs(tmp_path / "runs.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "runs.csv").read_text())))
    assert [(r["run"], r["epoch"]) for r in rows] == [("1", "1"), ("1", "2"), ("1", "3"), ("2", "1"), ("2", "2")]
    assert float(rows[2]["test_loss"]) == first.history["test_loss"][2]
    assert float(rows[4]["loss"]) == second.history["loss"][1]
    assert rows[0]["val_loss"] == ""  # no validation split in the default project
    window.runs.clear.click()
    assert [r.number for r in window.session.run_history.runs] == [2]


def test_a_project_file_that_names_only_the_optimizer_trains_and_lists_its_run(qtbot, window, tmp_path):
    # {"name": "adam"} alone: the run history showed α from the file and raised on every frame.
    path = tmp_path / "terse.json"
    path.write_text('{"format": "nn-playground/1", "training": {"optimizer": {"name": "adam"}}}')
    window.files.open_project(str(path))
    gen = wait_for(qtbot, window, lambda s: s.project["training"]["optimizer"]["name"] == "adam").generation
    _train_epochs(qtbot, window, 2)
    window.runs.refresh()
    run = window.session.run_history.current
    assert run.generation == gen and "Adam α=0.001" in run.summary()
