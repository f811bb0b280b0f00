"""The bundled real data in the window: a thumbnail click gives the digits or iris, ready to train."""

import numpy as np
from helpers import wait_for
from PySide6.QtCore import Qt


def test_the_digits_and_iris_thumbnails_give_the_real_sets(qtbot, window):
    gen = window.session.snapshot.generation
    qtbot.mouseClick(window.data_panel.source_buttons["digits"], Qt.MouseButton.LeftButton)
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    d = snap.project["data"]
    assert d["source"] == "digits" and d["classes"] == 10 and d["samples"] == 1797 and d["normalize"] == "unit"
    assert snap.project["training"]["loss"] == "categorical_crossentropy"
    assert snap.data.dataset.image_shape == (8, 8) and snap.data.x_train.max() <= 1.0
    window.session.step("epoch")
    snap = wait_for(
        qtbot, window, lambda s: s.epoch >= 1 and s.image_eval is not None and s.image_eval.steps == s.steps
    )
    assert window.images.isVisible() and snap.image_eval.confusion.shape == (10, 10)
    assert window.data_panel.source_buttons["digits"].isChecked()
    # Iris: a table of four columns, no plane.
    gen = window.session.snapshot.generation
    qtbot.mouseClick(window.data_panel.source_buttons["iris"], Qt.MouseButton.LeftButton)
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    assert snap.project["data"]["classes"] == 3 and snap.project["data"]["normalize"] == "standardize"
    assert snap.extent is None and snap.data.x_train.shape[1] == 4
    assert abs(float(np.mean(snap.data.x_train[:, 0]))) < 0.3  # standardised on the training split
    assert "4 input columns" in window.output.empty.text()
