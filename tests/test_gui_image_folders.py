"""Image folders in the window: opened through the data panel's dialog (its Open Folder button) or
dropped on the window, read on the worker, trained, and shown as image data with file names."""

from pathlib import Path

import numpy as np
from folder_images import stripes, write_classes
from helpers import wait_for
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QPushButton

from playground.actions.files import FOLDER_READS

EIGHT = "8×8 grayscale (as the bundled digits)"


def _stripes_folder(root: Path, n: int = 60) -> Path:
    images, labels = stripes(n, 3)
    write_classes(root, images, labels, ["bottom", "middle", "top"])
    return root


def _answers(window, monkeypatch, read: str = EIGHT) -> dict:
    """The window's questions answered by the test: the size an image folder is read at (the
    items asked are kept), and what the status bar and error dialogs said."""
    said: dict = {"asked": [], "status": [], "error": []}

    def choose(title, text, items, current):
        said["asked"].append((text, items, current))
        return read

    monkeypatch.setattr(window.files.dialogs, "choose", choose)
    monkeypatch.setattr(window.files.dialogs, "status", lambda text: said["status"].append(text))
    monkeypatch.setattr(window.files.dialogs, "error", lambda title, text: said["error"].append(text))
    return said


def test_a_folder_opened_from_the_data_panel_trains_with_file_names_in_the_tooltips(qtbot, window, tmp_path,
                                                                                     monkeypatch):  # fmt: skip
    folder = _stripes_folder(tmp_path / "stripes")
    said = _answers(window, monkeypatch)
    monkeypatch.setattr(window.files.dialogs, "open_path", lambda title, filters, folders=False: folders and folder)
    gen = window.session.snapshot.generation
    loads = window.session.handle.worker.data_loads
    window.data_panel.open_button.click()
    text, items, current = said["asked"][0]
    assert "stripes" in text and items == list(FOLDER_READS) and current == items[0]
    snap = wait_for(qtbot, window, lambda s: s.generation > gen and s.data.dataset.name == "stripes")
    assert window.session.handle.worker.data_loads == loads + 1  # read once, for the probe and the run
    data = window.session.state.project["data"]
    assert data["source"] == {"folder": str(folder), "size": [8, 8], "color": "grayscale"}
    assert data["problem"] == "classification" and data["classes"] == 3 and data["normalize"] == "unit"
    ds = snap.data.dataset
    assert ds.class_names == ["bottom", "middle", "top"] and ds.image_shape == (8, 8) and ds.n == 60
    assert any(s.startswith("stripes: 60 images in 3 classes (bottom, middle, top) read as 8×8 grayscale")
               for s in said["status"])  # fmt: skip
    assert window.data_panel.source_label.text().startswith("Image folder: stripes (8×8 grayscale)\n60 samples")
    for _ in range(3):
        window.session.step("epoch")
    snap = wait_for(
        qtbot, window, lambda s: s.epoch >= 3 and s.image_eval is not None and s.image_eval.steps == s.steps
    )
    assert snap.image_eval.confusion.shape == (3, 3) and window.images.isVisible()
    grid = window.images.samples
    qtbot.waitUntil(lambda: len(grid.tiles.tips) == len(grid.tiles.tiles) > 0)
    for tip, row in zip(grid.tiles.tips, grid.shown):
        assert tip.splitlines()[0] == f"sample {int(row) + 1}: {ds.sample_names[int(row)]}"
        assert tip.splitlines()[2] == f"true: {ds.class_names[ds.y[int(row)]]}"
    # The layer stack draws the picked test image through the network, as for IDX data.
    qtbot.mouseClick(window.area.buttons["layers"], Qt.MouseButton.LeftButton)
    snap = wait_for(qtbot, window, lambda s: s.layer_maps is not None)
    assert snap.layer_maps.layers[0].kind == "Flatten" and snap.layer_maps.row == int(snap.data.test[0])
    assert not said["error"]


def test_a_mostly_bad_folder_is_refused_and_the_project_is_kept(qtbot, window, tmp_path, monkeypatch):
    folder = _stripes_folder(tmp_path / "scans", n=6)
    for k in range(3):
        (folder / "top" / f"scan{k}.png").write_bytes(b"\x89PNG\r\n\x1a\n cut")
    said = _answers(window, monkeypatch)
    before = window.session.state.project
    assert window.files.open_data_path(folder)
    qtbot.waitUntil(lambda: bool(said["error"]))
    assert said["error"][0].startswith("scans: more than a quarter of the images cannot be read (3 of 9 so far)")
    assert "top/scan0.png (not a PNG, JPEG, BMP, GIF or WebP image)" in said["error"][0]
    assert window.session.state.project == before and not window.session.state.dirty
    # Cancelling the size question reads nothing.
    monkeypatch.setattr(window.files.dialogs, "choose", lambda *a: None)
    assert not window.files.open_data_path(folder)


def test_a_folder_dropped_on_the_window_opens_as_an_image_folder(qtbot, window, tmp_path, monkeypatch):
    folder = _stripes_folder(tmp_path / "dropped")
    said = _answers(window, monkeypatch, "32×32 RGB (as CIFAR-10)")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    assert QApplication.sendEvent(window, enter) and enter.isAccepted()
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(window, drop)
    assert said["asked"]
    snap = wait_for(qtbot, window, lambda s: s.data.dataset.name == "dropped")
    assert snap.data.dataset.image_shape == (32, 32, 3)
    assert window.session.state.project["data"]["source"]["color"] == "rgb"
    # Bilinear upscaling of a grey 8×8 stripe image: grey in every channel.
    pixels = snap.data.dataset.x[0].reshape(32, 32, 3)
    assert np.array_equal(pixels[..., 0], pixels[..., 2]) and pixels.max() > 150


def test_the_open_dialogs_folder_button_returns_the_folder_selected_or_shown(qtbot, window, tmp_path, monkeypatch):
    """The real Qt dialog: a file dialog's Open goes into a folder, so the button chooses it."""
    folder = _stripes_folder(tmp_path / "pictures")
    window.settings.setValue("lastDir", str(tmp_path))
    said = _answers(window, monkeypatch)
    clicked = []

    def press(select: str | None) -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QFileDialog) and dialog.objectName() == "openDataDialog"
        if select:
            dialog.selectFile(select)
        clicked.append(dialog.directory().absolutePath())
        dialog.findChild(QPushButton, "openFolderButton").click()

    QTimer.singleShot(0, lambda: press("pictures"))
    assert window.files.dialogs.open_path("Open data", "Data (*.csv)", True) == folder
    QTimer.singleShot(0, lambda: press(None))  # nothing selected: the folder shown
    assert window.files.dialogs.open_path("Open data", "Data (*.csv)", True) == tmp_path
    assert clicked == [str(tmp_path), str(tmp_path)]
    # Through the data panel's button, the folder chosen is read at the size asked.
    QTimer.singleShot(0, lambda: press("pictures"))
    window.data_panel.open_button.click()
    wait_for(qtbot, window, lambda s: s.data.dataset.name == "pictures")
    assert window.session.state.project["data"]["source"]["folder"] == str(folder) and said["asked"]
