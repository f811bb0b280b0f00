"""Links, the clipboard and dropped files on the real window."""

import json

import numpy as np
import pytest
from conftest import TIMEOUT
from helpers import wait_for
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox
from test_links import DEFAULT

from engine.project.files import load_project, save_project, save_weights
from engine.project.links import from_tfp, project_link, to_tfp
from playground.widgets import plain


def captured(window, monkeypatch):
    said = {"info": [], "error": []}
    monkeypatch.setattr(window.files.dialogs, "info", lambda title, text: said["info"].append(text))
    monkeypatch.setattr(window.files.dialogs, "error", lambda title, text: said["error"].append(text))
    return said


def strip(p):
    return {k: v for k, v in p.items() if k != "app"}


def test_a_tfp_link_opens_with_tfps_maths_and_one_click_undoes_them(window, qtbot, monkeypatch):
    said = captured(window, monkeypatch)
    link = DEFAULT.replace("showTestData=false", "showTestData=true")
    monkeypatch.setattr(window.files.dialogs, "ask_text", lambda *a: link)
    gen = window.session.snapshot.generation
    window.findChild(QAction, "actionOpenTfp").trigger()
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    p = window.session.state.project
    assert p["training"]["loss"] == "tfp_square" and snap.project["network"]["initializer"] == "tfp_uniform"
    assert window.sharing.bar.isVisible() and window.output.show_test.isChecked()
    assert window.session.state.dirty and window.session.state.path is None
    # What the import adapted is under the project's note, not in a dialog in front of the window.
    assert not said["info"] and window.note_bar.isVisible() and window.note_bar.unfolded
    assert "What the import adapted:\n• seed 0.45796 becomes seed 45796" in window.note_bar.text.text()
    seq = window.session.step("epoch")
    qtbot.waitUntil(lambda: window.session.snapshot.applied >= seq, timeout=TIMEOUT)
    qtbot.mouseClick(window.sharing.bar.button, Qt.MouseButton.LeftButton)
    p = window.session.state.project
    assert p["training"]["loss"] == "binary_crossentropy" and p["network"]["output_activation"] == "sigmoid"
    assert p["network"]["initializer"] == "glorot_uniform" and not window.sharing.bar.isVisible()


def test_copy_as_tfp_link_and_back_and_project_links(window, qtbot, monkeypatch):
    said = captured(window, monkeypatch)
    window.sharing.open_text(DEFAULT)
    window.findChild(QAction, "actionCopyTfp").trigger()
    url = QGuiApplication.clipboard().text()
    assert url == to_tfp(window.session.state.project)[0]
    assert strip(from_tfp(url)[0]) == strip(window.session.state.project)
    # The app's default project does not fit TFP: the copy says why.
    window.session.state.apply({"training.optimizer": {"name": "adam"}})
    window.sharing.copy_tfp_link()
    assert said["info"] and "plain SGD" in said["info"][-1]
    # An nnp: link round-trips the whole project through the clipboard.
    window.session.state.apply({"data.noise": 0.2, "training.batch_size": 17})
    before = window.session.state.project
    window.findChild(QAction, "actionCopyLink").trigger()
    assert QGuiApplication.clipboard().text().startswith("nnp:")
    window.session.state.apply({"data.noise": 0.0})
    window.session.state.set_dirty(False)
    window.findChild(QAction, "actionPasteLink").trigger()
    assert window.session.state.project == before and not said["error"]
    QGuiApplication.clipboard().setText("hello")
    assert not window.sharing.paste() and "Paste a TensorFlow Playground link" in said["error"][-1]
    QGuiApplication.clipboard().setText("nnp:abc")
    assert not window.sharing.paste() and "damaged" in said["error"][-1]


def drop(window, mime):
    """What a drag from a file manager sends: enter (the window accepts it), then the drop."""
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    assert QApplication.sendEvent(window, enter) and enter.isAccepted()
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)  # fmt: skip
    assert QApplication.sendEvent(window, event)


def test_dropped_files_open_as_what_they_hold(window, qtbot, tmp_path, monkeypatch):
    said = captured(window, monkeypatch)
    p = {**window.session.state.project, "data": {**window.session.state.project["data"], "noise": 0.3}}
    save_project(tmp_path / "p.json", p)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "p.json"))])
    drop(window, mime)
    assert window.session.state.path == tmp_path / "p.json" and window.session.state.project["data"]["noise"] == 0.3
    gen = window.session.snapshot.generation
    snap = wait_for(qtbot, window, lambda s: s.generation >= gen and s.project == window.session.state.project)
    # Weights: the run takes them.
    net = window.session.network()
    net.params[...] = 0.125
    save_weights(tmp_path / "w.npz", net, snap.project, snap.data.normalizer)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "w.npz"))])
    drop(window, mime)
    qtbot.waitUntil(lambda: np.allclose(window.session.snapshot.weights[0], 0.125), timeout=TIMEOUT)
    # Data: a CSV is read on the worker and becomes the source (its label column asked).
    (tmp_path / "d.csv").write_text("a,b,label\n" + "\n".join(f"{i % 7},{i % 5},{i % 2}" for i in range(40)))
    monkeypatch.setattr(window.files.dialogs, "choose", lambda *a: "label")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "d.csv"))])
    drop(window, mime)
    qtbot.waitUntil(lambda: isinstance(window.session.state.project["data"]["source"], dict), timeout=TIMEOUT)
    assert "csv" in window.session.state.project["data"]["source"]
    # Something else: said, nothing changed.
    (tmp_path / "x.bin").write_bytes(b"\0")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "x.bin"))])
    drop(window, mime)
    assert "drop a project" in said["error"][-1]
    # A dropped link (text) opens too.
    mime = QMimeData()
    mime.setText(DEFAULT)
    drop(window, mime)
    assert window.session.state.project["training"]["loss"] == "tfp_square"
    json.dumps(window.session.state.project)


def answering(monkeypatch, answer):
    """plain.ask answers `answer` and records each question's text."""
    asked = []
    monkeypatch.setattr(plain, "ask", lambda _parent, _title, text, *a: asked.append(text) or answer)
    return asked


def test_a_link_with_100000_unknown_keys_opens_with_a_short_note(window, qtbot):
    """It built a 100,001-line information dialog: 44 s of silence, 100 s in all. The notes are
    under the project's note now: a few lines there, fifteen in its tooltip."""
    link = DEFAULT + "&" + "&".join(f"k{i}=v" for i in range(100_000))
    assert window.sharing.open_text(link)
    assert window.findChild(QMessageBox, "infoDialog") is None
    text, tip = window.note_bar.text.text(), window.note_bar.text.toolTip()
    assert text.count("\n") < 10 and "more notes" in text
    assert tip.count("<br>") < 20 and "… and 99,990 more unknown keys; ignored" in tip
    window.note_bar.toggle.setChecked(False)  # folded: one line that says there are notes
    assert "\n" not in window.note_bar.text.text() and "(What the import adapted)" in window.note_bar.text.text()


def _points(n):
    rng = np.random.default_rng(1)
    return {"points": {"x": rng.uniform(-6, 6, (n, 2)).tolist(), "y": rng.integers(0, 2, n).tolist()}}


def test_a_project_too_big_for_a_link_is_refused_up_front_with_save_as_offered(window, qtbot, tmp_path, monkeypatch):
    """Copy Project Link with 100,000 drawn points made a 2,495,650-character link that the app
    itself then refused to read ("not read past 1,000,000")."""
    window.session.state.apply({"data.source": _points(45_000)})  # the fewest refused (test_links)
    QGuiApplication.clipboard().setText("what was there")
    asked = answering(monkeypatch, QMessageBox.StandardButton.Save)
    monkeypatch.setattr(window.files.dialogs, "save_path", lambda *a: tmp_path / "drawn.json")
    window.findChild(QAction, "actionCopyLink").trigger()
    assert QGuiApplication.clipboard().text() == "what was there"  # nothing copied
    assert "too big for a link" in asked[0] and "45,000 drawn points" in asked[0] and "Save the project" in asked[0]
    assert len(load_project(tmp_path / "drawn.json")["data"]["source"]["points"]["y"]) == 45_000
    assert window.session.state.path == tmp_path / "drawn.json" and not window.session.state.dirty
    # Cancel: nothing copied, nothing saved.
    asked = answering(monkeypatch, QMessageBox.StandardButton.Cancel)
    monkeypatch.setattr(window.files.dialogs, "save_path", lambda *a: pytest.fail("Save As was not asked for"))
    assert window.sharing.copy_project_link() == "" and asked
    assert QGuiApplication.clipboard().text() == "what was there"


def test_a_link_that_names_a_data_file_asks_before_reading_it(window, qtbot, tmp_path, monkeypatch):
    """An nnp: link could name any path as its data ({"csv": "/etc/passwd"}) and the window read it."""
    secret = tmp_path / "secret.csv"
    secret.write_text("a,b,label\n" + "\n".join(f"{i % 7},{i % 5},{i % 2}" for i in range(40)))
    project = window.session.state.project
    link = project_link({**project, "data": {**project["data"], "source": {"csv": str(secret)}}})
    asked = answering(monkeypatch, QMessageBox.StandardButton.Cancel)
    assert not window.sharing.open_text(link)
    assert len(asked) == 1 and str(secret) in asked[0] and "nothing is read unless you agree" in asked[0]
    assert window.session.state.project == project  # cancel keeps the current project
    asked = answering(monkeypatch, QMessageBox.StandardButton.Open)
    assert window.sharing.open_text(link) and str(secret) in asked[0]
    snap = wait_for(qtbot, window, lambda s: s.project == window.session.state.project)
    assert snap.project["data"]["source"] == {"csv": str(secret)} and snap.data.dataset.n == 40
    # A link to built-in data asks nothing.
    asked = answering(monkeypatch, QMessageBox.StandardButton.Cancel)
    window.session.state.set_dirty(False)
    assert window.sharing.open_text(project_link(project)) and not asked


def _epochs_per_second(qtbot, window, epochs: int = 15) -> float:
    """Epochs the window receives per second over the next `epochs` (waits on snapshots, no sleep)."""
    import time

    start, t0 = window.session.snapshot.epoch, time.perf_counter()
    qtbot.waitUntil(lambda: window.session.snapshot.epoch >= start + epochs, timeout=TIMEOUT)
    return (window.session.snapshot.epoch - start) / (time.perf_counter() - t0)


def test_a_tfp_link_opened_while_training_shows_no_dialog_and_training_goes_on(window, qtbot):
    """Issue 31, item 5: training barely ran while the import's information dialog was open (2
    epochs in 10 s); its notes are under the project's note now, and the run goes on."""
    window.session.set_playing(True)
    wait_for(qtbot, window, lambda s: s.epoch >= 2)
    gen = window.session.snapshot.generation
    assert window.sharing.open_text(DEFAULT.replace("seed=0.45796", "seed=0.5&batchNormalization=true"))
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    assert snap.playing and QApplication.activeModalWidget() is None
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert "batchNormalization is not a TensorFlow Playground setting" in window.note_bar.text.text()
    assert _epochs_per_second(qtbot, window) > 0
    window.session.set_playing(False)


def test_training_keeps_its_pace_behind_a_modal_dialog(window, qtbot):
    """Any dialog, even one with an event loop of its own (exec(): a question, a file picker):
    the epochs received per second while it is open are of the order of those without it."""
    window.session.set_playing(True)
    wait_for(qtbot, window, lambda s: s.epoch >= 2)
    free = _epochs_per_second(qtbot, window)
    box = plain.message_box(window, QMessageBox.Icon.Question, "A question", "Training goes on behind this?")
    measured = []

    def inside() -> None:  # runs in the dialog's own event loop
        try:
            assert QApplication.activeModalWidget() is box
            measured.append(_epochs_per_second(qtbot, window))
        finally:
            box.done(0)

    QTimer.singleShot(0, inside)
    box.exec()
    window.session.set_playing(False)
    assert measured and measured[0] > free / 4, (measured, free)
