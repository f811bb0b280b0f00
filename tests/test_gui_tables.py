"""Table data get as much as images (issue 31, item 13): with a CSV like the wine data the output
panel shows the held-out rows' confusion matrix (classification) or predicted against true values
(regression); Noise and Regenerate are off for file data and say why; columns of very different
sizes under no normalisation get the suggestion to standardise; Export Data keeps the file's own
label column."""

import csv

import numpy as np
import pytest
from conftest import TIMEOUT
from helpers import ink, wait_for
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from engine.core.losses import as_labels
from engine.data.loaders import load_csv
from engine.run.training import Trainer

WINE_COLUMNS = ["alcohol", "malic_acid", "ash", "magnesium", "hue", "proline"]


def wine_like(path, rows=150, regression=False, label="target", seed=0):
    """A table shaped like UCI's wine data (three cultivars; proline in the hundreds to thousands,
    hue near 1), written as sklearn's frame writes it: the label column is "target"."""
    rng = np.random.default_rng(seed)
    y = np.arange(rows) % 3
    centre = np.array([[13.7, 2.0, 2.45, 106, 1.06, 1116], [12.3, 1.9, 2.24, 94, 1.06, 520],
                       [13.2, 3.3, 2.44, 99, 0.68, 630]])  # fmt: skip
    spread = np.array([0.5, 0.8, 0.25, 12, 0.15, 220])
    x = centre[y] + rng.normal(size=(rows, 6)) * spread
    target = x[:, 0] * 0.5 + x[:, 4] if regression else y
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow([*WINE_COLUMNS, label])
        for row, t in zip(x, target):
            out.writerow([*(f"{v:.4f}" for v in row), f"{t:.4f}" if regression else int(t)])
    return path


def open_table(qtbot, window, path, problem="classification"):
    if problem == "regression":  # a file is read as the problem in use: a regression set's first
        gen = window.session.snapshot.generation
        window.session.state.choose_source("plane")
        wait_for(qtbot, window, lambda s: s.generation > gen, TIMEOUT)
    gen = window.session.snapshot.generation
    assert window.files.load_data_source({"csv": str(path)})
    return wait_for(qtbot, window, lambda s: s.generation > gen and s.data.dataset.name == path.stem, TIMEOUT)


def test_a_table_classification_shows_the_confusion_matrix_of_its_held_out_rows(qtbot, window, tmp_path):
    open_table(qtbot, window, wine_like(tmp_path / "wine.csv"))
    for _ in range(3):
        seq = window.session.step("epoch")
        qtbot.waitUntil(lambda seq=seq: window.session.snapshot.applied >= seq, timeout=TIMEOUT)
    snap = wait_for(qtbot, window, lambda s: s.image_eval is not None and s.image_eval.steps == s.steps)
    out = window.output
    assert out.table.isVisible() and not out.square.isVisible()
    assert not out.discretize.isVisible()  # the plane's options go with the plane
    matrix = out.table.confusion
    qtbot.waitUntil(lambda: matrix.matrix is not None and matrix.matrix is window.session.snapshot.image_eval.confusion)
    snap = window.session.snapshot
    ev = snap.image_eval
    # The engine's own predictions on the test split, counted by (true, predicted).
    tr = Trainer(snap.project, data=snap.data)
    tr.network.set_weights(snap.weights)
    x, y = snap.data.split("test")
    predicted = as_labels(tr.network.predict(x))
    assert ev.split == "test" and tr.network.n_outputs == 3
    want = np.zeros((3, 3), dtype=np.int64)
    np.add.at(want, (y, predicted), 1)
    np.testing.assert_array_equal(matrix.matrix, want)
    assert matrix.matrix.sum() == snap.data.test.size
    assert "predictions on held-out rows" in out.empty.text() and out.table.caption.isHidden()
    assert not matrix.clickable  # a table's rows have no pictures to open
    # The matrix is drawn: the widget is not a blank box.
    image = matrix.grab().toImage()
    assert len({image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}) > 5


def test_a_table_regression_plots_predicted_against_true(qtbot, window, tmp_path):
    open_table(qtbot, window, wine_like(tmp_path / "wine_r.csv", regression=True), "regression")
    seq = window.session.step("epoch")
    qtbot.waitUntil(lambda: window.session.snapshot.applied >= seq, timeout=TIMEOUT)
    snap = wait_for(qtbot, window, lambda s: s.image_eval is not None and s.image_eval.steps == s.steps)
    view = window.output.table
    qtbot.waitUntil(lambda: view.stack.currentWidget() is view.scatter_plot and view.points.data.size > 0)
    tr = Trainer(snap.project, data=snap.data)
    tr.network.set_weights(snap.weights)
    x, y = snap.data.split("test")
    want = tr.network.predict(x)[:, 0]
    tx, ty = view.points.getData()
    np.testing.assert_allclose(tx, y)
    np.testing.assert_allclose(ty, want, rtol=1e-5, atol=1e-6)
    rmse = float(np.sqrt(np.mean((want - y) ** 2)))
    assert f"RMSE {rmse:.4g}" in view.caption.text() and "R²" in view.caption.text()


def test_noise_and_regenerate_are_off_for_file_data_and_say_why(qtbot, window, tmp_path):
    panel = window.data_panel
    assert panel.noise.isEnabled() and panel.regenerate.isEnabled()
    enabled_ink = ink(panel.regenerate)
    open_table(qtbot, window, wine_like(tmp_path / "wine.csv"))
    qtbot.waitUntil(lambda: not panel.regenerate.isEnabled())
    assert not panel.noise.isEnabled()
    for w in (panel.noise, panel.regenerate):
        assert "Off for data from a file" in w.toolTip()
    assert ink(panel.regenerate) > enabled_ink + 60  # drawn greyed, not only refusing clicks
    seed = window.session.state.project["seed"]
    qtbot.mouseClick(panel.regenerate, Qt.MouseButton.LeftButton)
    assert window.session.state.project["seed"] == seed
    gen = window.session.snapshot.generation
    qtbot.mouseClick(panel.source_buttons["circle"], Qt.MouseButton.LeftButton)
    wait_for(qtbot, window, lambda s: s.generation > gen)
    assert panel.noise.isEnabled() and panel.regenerate.isEnabled() and "Off for" not in panel.regenerate.toolTip()


def test_columns_of_very_different_sizes_get_the_suggestion_to_standardise(qtbot, window, tmp_path):
    panel = window.data_panel
    assert panel.normalize_hint.isHidden()  # the circle's two columns are alike
    window.session.state.update({"data.normalize": "none"})
    open_table(qtbot, window, wine_like(tmp_path / "wine.csv"))
    qtbot.waitUntil(lambda: panel.normalize_hint.isVisible())
    assert "choose Standardize" in panel.normalize_hint.text()
    text = panel.normalize_hint.toolTip()
    assert "'proline'" in text and "'hue'" in text and "Standardize" in text
    banner = window.findChild(QWidget, "banner")  # the run's banner says it in full
    assert banner.isVisible() and "'proline' runs from" in banner.text() and "Standardize" in banner.text()
    combo = panel.normalize
    combo.setCurrentIndex(combo.findData("standardize"))
    combo.activated.emit(combo.currentIndex())
    assert window.session.state.project["data"]["normalize"] == "standardize"
    qtbot.waitUntil(lambda: panel.normalize_hint.isHidden())


@pytest.mark.parametrize("label", ["target", "cultivar"])
def test_export_data_keeps_the_files_label_column(qtbot, window, tmp_path, label):
    src = wine_like(tmp_path / "wine.csv", label=label)
    open_table(qtbot, window, src)
    out = tmp_path / "out.csv"
    assert window.files.export_data(out)
    header = out.read_text().splitlines()[0].split(",")
    assert header == [*WINE_COLUMNS, label, "split"]
    again, first = load_csv(out), load_csv(src)
    assert again.label_column == label and again.columns == first.columns
    np.testing.assert_allclose(again.x, first.x)
    np.testing.assert_array_equal(again.y, first.y)
    assert again.class_names == first.class_names
