"""Tools → Draw an Input…: a model trained in the window reads a digit drawn on the pad or opened
from a PNG; the Layers view follows the drawn image; the pad is for image data only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import TIMEOUT
from helpers import wait_for
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QAction, QColor, QDragEnterEvent, QDropEvent, QImage, QPainter, QPen
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from test_framing import FOUR, ZERO

from playground.resources import PRESETS
from playground.windows import drawpad
from playground.windows.drawpad import DrawPad


def trained_on_digits(qtbot, window) -> None:
    """The dense digits preset trained in the window to at least 90% test accuracy, then paused."""
    assert window.files.open_project(PRESETS / "13-real-digits.json", preset=True)
    wait_for(qtbot, window, lambda s: s.data.dataset.name == "digits")
    window.session.set_playing(True)
    wait_for(qtbot, window, lambda s: s.epoch >= 3 and s.history["test_accuracy"][-1] >= 0.9, timeout=60_000)
    window.session.set_playing(False)
    wait_for(qtbot, window, lambda s: not s.playing)


def open_pad(qtbot, window) -> DrawPad:
    window.findChild(QAction, "actionDrawInput").trigger()
    pad = window.findChild(DrawPad, "drawPad")
    qtbot.waitUntil(pad.isVisible, timeout=TIMEOUT)
    return pad


def draw_with_mouse(canvas, strokes) -> None:
    """Each stroke as a press, moves and a release on the canvas, as a hand would draw it."""
    sq = canvas._square()
    for stroke in strokes:
        pts = [QPoint(round(sq.x() + x * sq.width()), round(sq.y() + y * sq.height())) for x, y in stroke]
        QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[0])
        for p in pts[1:]:
            QTest.mouseMove(canvas, p)
        QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[-1])


def write_photo(path: Path, paper: QColor, ink: QColor) -> Path:
    """A 300×400 'photo' of a handwritten 4: `ink` strokes on `paper` with a shadow across it."""
    img = QImage(300, 400, QImage.Format.Format_RGB32)
    img.fill(paper)
    p = QPainter(img)
    p.fillRect(0, 300, 300, 100, paper.darker(115))  # the page is not evenly lit
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(ink, 18, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    for stroke in FOUR:
        p.drawPolyline([QPointF(60 + 180 * x, 80 + 240 * y) for x, y in stroke])
    p.end()
    assert img.save(str(path))
    return path


def drop(pad, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(QPoint(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    assert QApplication.sendEvent(pad, enter) and enter.isAccepted()
    event = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(pad, event)


def test_the_pad_is_for_image_data_only(qtbot, window):
    act = window.findChild(QAction, "actionDrawInput")
    assert window.session.snapshot.data.dataset.image_shape is None  # the default project: points
    qtbot.waitUntil(lambda: not act.isEnabled(), timeout=TIMEOUT)
    assert "output plane" in act.toolTip()  # says why, and what answers "what about this point" here
    assert window.tools.open_draw_pad() is None and window.findChild(DrawPad) is None
    assert window.files.open_project(PRESETS / "18-cnn-shapes.json", preset=True)
    qtbot.waitUntil(act.isEnabled, timeout=TIMEOUT)
    pad = open_pad(qtbot, window)
    assert pad.how.text().startswith("As the shapes were made") and pad.brush.value() == drawpad.BRUSH["shapes"]
    pad.canvas.add_stroke([(0.2, 0.5), (0.8, 0.5)], width=10)
    thin = pad.canvas.ink().sum()
    pad.brush.setValue(40)
    pad.canvas.add_stroke([(0.2, 0.7), (0.8, 0.7)])
    assert pad.canvas.ink().sum() - thin > 3 * thin  # the brush size draws wider strokes
    qtbot.waitUntil(lambda: pad.row is not None and pad.row.size == 256, timeout=TIMEOUT)
    assert window.tools.open_draw_pad() is pad  # one pad: asking again raises it


def test_a_model_trained_on_the_digits_reads_a_drawn_digit(qtbot, window, monkeypatch):
    trained_on_digits(qtbot, window)
    window.area.show_page("layers")
    pad = open_pad(qtbot, window)
    assert pad.how.text().startswith("As the UCI digits were made")
    draw_with_mouse(pad.canvas, ZERO)
    qtbot.waitUntil(lambda: pad.predicted == 0, timeout=TIMEOUT)
    assert len(pad.canvas.strokes) == 1 and len(pad.canvas.strokes[0][0]) > 30
    assert pad.prediction.text().startswith("It says: 0") and pad.probabilities.sum() == pytest.approx(1.0)
    img = pad.row.reshape(8, 8)
    assert img.any(axis=1).all() and not img[:, 0].any() and not img[:, 7].any()  # framed as the UCI digits
    # The Layers view shows the drawn image's maps, computed by the worker: the same output as the pad's.
    snap = wait_for(qtbot, window, lambda s: not pad.pending and s.layer_maps is not None and s.layer_maps.row == -1)
    assert np.array_equal(snap.layer_maps.pixels > 0, img > 0)
    np.testing.assert_allclose(snap.layer_maps.layers[-1].values, pad.output, rtol=1e-5, atol=1e-6)
    assert window.layers.input_row.detail.text().startswith("your image from the draw pad")
    # Clear; a 4 drawn through the stroke API; Undo takes its strokes back one by one.
    pad.clear.click()
    qtbot.waitUntil(lambda: pad.row is None and pad.predicted is None, timeout=TIMEOUT)
    assert pad.prediction.text() == "Draw a digit."
    for stroke in FOUR:
        pad.canvas.add_stroke(stroke)
    qtbot.waitUntil(lambda: pad.predicted == 4, timeout=TIMEOUT)
    four = pad.row
    pad.undo.click()
    qtbot.waitUntil(lambda: pad.row is not four and pad.row is not None, timeout=TIMEOUT)
    assert len(pad.canvas.strokes) == 1
    pad.undo.click()
    qtbot.waitUntil(lambda: pad.row is None, timeout=TIMEOUT)
    # A network too big for the UI thread gets its answer from the worker's maps of the image (made
    # for the pad even with the Layers view off screen).
    window.area.show_page("neurons")
    qtbot.waitUntil(lambda: "maps" not in window.session.views, timeout=TIMEOUT)
    monkeypatch.setattr(drawpad, "UI_PARAMS", 0)
    monkeypatch.setattr(drawpad.UiForward, "outputs", lambda *a: pytest.fail("the UI thread ran a big network"))
    for stroke in FOUR:
        pad.canvas.add_stroke(stroke)
    qtbot.waitUntil(lambda: pad.predicted == 4, timeout=TIMEOUT)
    # Closing gives the Layers view back to the data's own images.
    window.area.show_page("layers")
    pad.close()
    wait_for(qtbot, window, lambda s: s.layer_maps is not None and s.layer_maps.row >= 0)
    assert window.layers.input_row.detail.text().startswith("sample ")


def test_an_image_file_goes_the_same_way(qtbot, window, tmp_path, monkeypatch):
    trained_on_digits(qtbot, window)
    pad = open_pad(qtbot, window)
    for stroke in ZERO:
        pad.canvas.add_stroke(stroke)
    qtbot.waitUntil(lambda: pad.predicted == 0, timeout=TIMEOUT)
    photo = write_photo(tmp_path / "four.png", QColor(235, 232, 225), QColor(35, 35, 50))
    monkeypatch.setattr(pad, "_open_path", lambda *a: photo)
    pad.open.click()
    qtbot.waitUntil(lambda: pad.predicted == 4, timeout=TIMEOUT)
    assert pad.yours.text() == "YOUR PHOTO" and not pad.seen.pixmap().isNull()
    assert "is dark on light" in pad.notes.text() and "sees it inverted" in pad.notes.text()
    img = pad.row.reshape(8, 8)
    assert img.max() >= 12 and img[0].any() and img[7].any() and not img[:, 0].any()  # the ink, framed, bright
    # Undo brings the drawing back; a dropped PNG opens as the button does.
    pad.undo.click()
    qtbot.waitUntil(lambda: pad.predicted == 0, timeout=TIMEOUT)
    chalk = write_photo(tmp_path / "chalk.png", QColor(30, 40, 35), QColor(240, 240, 240))
    drop(pad, chalk)
    qtbot.waitUntil(lambda: pad.predicted == 4, timeout=TIMEOUT)
    assert "is light on dark" in pad.notes.text() and "not inverted" in pad.notes.text()
    # A dropped file that is not an image is said in words, and the input stays as it was.
    before = pad.row.copy()
    (tmp_path / "notes.txt").write_text("not a picture")
    drop(pad, tmp_path / "notes.txt")
    assert pad.message.text().startswith("notes.txt could not be opened as an image")
    assert "Open a PNG or JPEG" in pad.message.text() and "unchanged" in pad.message.text()
    assert pad.canvas.photo.name == "chalk.png" and np.array_equal(pad.row, before)
