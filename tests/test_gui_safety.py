"""Text from files is shown as text: no HTML from a project, a data file's name or an error."""

import errno
import json
import os

import numpy as np
import pytest
from helpers import build_every_tab, wait_for
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QMessageBox

from engine import PlaygroundError
from playground.media.plot_export import MAX_VECTOR_POINTS
from playground.resources import PRESETS
from playground.run.commands import SetWeight
from playground.widgets import plain

HOSTILE = '<img src="/dev/zero"><table>' + "<tr><td>row</td></tr>" * 50 + "</table>"


def _project(tmp_path, **app):
    p = tmp_path / "note.json"
    p.write_text(json.dumps({"format": "nn-playground/1", "app": app}))
    return p


def test_a_project_note_with_html_is_shown_as_plain_text(qtbot, window, tmp_path):
    assert window.files.open_project(_project(tmp_path, note=HOSTILE))
    note = window.note_bar.text
    assert note.isVisible() and note.textFormat() == Qt.TextFormat.PlainText
    assert note.text().startswith('<img src="/dev/zero">')  # the markup itself, as typed
    wait_for(qtbot, window, lambda s: s.epoch == 0)


def test_a_long_note_is_cut_with_a_mark(qtbot, window, tmp_path):
    assert window.files.open_project(_project(tmp_path, note="word " * 20_000))
    assert len(window.note_bar.text.text()) <= 2_001 and window.note_bar.text.text().endswith("…")


def test_every_label_in_the_window_shows_plain_text_unless_it_is_ours(window):
    build_every_tab(window)  # the tabs built when first shown: their labels too
    labels = window.findChildren(QLabel)
    assert len(labels) > 20
    rich = sorted(
        (label.objectName(), label.textFormat()) for label in labels if label.textFormat() != Qt.TextFormat.PlainText
    )
    # the parameter count's link and the gradient verdict's swatches: text the app writes itself;
    # no label is left to Qt's guess (AutoText), which is what loaded <img> from a note
    assert sorted(rich) == [(name, Qt.TextFormat.RichText)
                            for name in ("curvesKey", "histogramKey", "legend", "paramsLabel")]  # fmt: skip


def test_a_data_file_named_with_markup_shows_its_name(qtbot, window, tmp_path):
    csv = tmp_path / "<img src=zero.png>.csv"
    csv.write_text("x1,x2,label\n" + "".join(f"{i},{-i},{i % 2}\n" for i in range(12)))
    assert window.files.load_data_source({"csv": str(csv)})
    label = window.data_panel.source_label
    qtbot.waitUntil(lambda: "<img src=zero.png>.csv" in label.text())
    assert label.textFormat() == Qt.TextFormat.PlainText and "<img src=zero.png>.csv" in label.text()


def test_an_error_naming_a_file_with_markup_is_plain_text(qtbot, window, tmp_path):
    bad = tmp_path / "<b>bold<b>.json"
    bad.write_text("{not json")
    assert not window.files.open_project(bad)
    box = window.findChild(QMessageBox, "errorDialog")
    assert box.textFormat() == Qt.TextFormat.PlainText and "<b>bold<b>.json" in box.text()
    box.accept()


def _points(qtbot, window, n):
    rng = np.random.default_rng(0)
    points = {"x": rng.uniform(-5, 5, (n, 2)).tolist(), "y": [0, 1] * (n // 2)}
    seq = window.session.state.set("data.source", {"points": points}) and window.session.last_sent
    wait_for(qtbot, window, lambda s: s.applied >= seq and s.data.dataset.n == n)


def test_a_failed_plot_export_keeps_the_old_file_and_says_so(qtbot, window, tmp_path, monkeypatch):
    import engine.project.files

    for name in ("out.svg", "out.png"):
        old = tmp_path / name
        old.write_text("the old plot")

        def full(_fd):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(engine.project.files.os, "fsync", full)
        assert not window.files.export_plot(old)
        monkeypatch.undo()
        box = window.findChild(QMessageBox, "errorDialog")
        assert f"{old}: could not be written (No space left on device)" in box.text()
        box.accept()
        box.deleteLater()
        qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorDialog") is None)
        assert old.read_text() == "the old plot"
        assert "saved" not in window.statusBar().currentMessage().lower()
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".ini") == ["out.png", "out.svg"]


def test_svg_draws_points_as_shapes_and_embeds_one_image_past_the_cap(qtbot, window, tmp_path):
    _points(qtbot, window, 400)
    assert window.files.export_plot(tmp_path / "few.svg")
    few = (tmp_path / "few.svg").read_text()
    assert few.count("<image") <= 2  # the heatmap, not one bitmap per point as pyqtgraph's cache gave
    assert few.count("<path") >= len(window.output.train_points.data) > 100  # one shape per point
    _points(qtbot, window, 2 * MAX_VECTOR_POINTS + 4)  # half of them are training points, on screen
    assert window.files.export_plot(tmp_path / "many.svg")
    many = (tmp_path / "many.svg").read_text()
    shown = len(window.output.train_points.data)
    assert shown > MAX_VECTOR_POINTS and many.count("<image") == 1 and f"{shown:,} points" in many


def test_export_plot_with_image_data_saves_the_image_views(qtbot, window, tmp_path):
    gen = window.session.snapshot.generation
    assert window.files.open_project(PRESETS / "10-image-shapes.json", preset=True)
    wait_for(qtbot, window, lambda s: s.generation > gen)
    qtbot.waitUntil(window.images.isVisible)
    assert window.files.export_plot(tmp_path / "shown.png")
    img = QImage(str(tmp_path / "shown.png"))
    assert (img.width(), img.height()) == (window.images.width(), window.images.height())


def test_save_as_writes_the_name_given(qtbot, window, tmp_path):
    assert window.files.save_as(tmp_path / "model.v2")
    assert (tmp_path / "model.v2").exists() and not (tmp_path / "model.json").exists()
    assert window.session.state.path == tmp_path / "model.v2" and window.windowTitle().startswith("model.v2 —")
    window.files.new_project()
    assert window.windowTitle().startswith("untitled")
    assert window.files.open_project(tmp_path / "model.v2")
    assert window.windowTitle().startswith("model.v2 —")  # at once, not after the next edit


def test_export_as_code_asks_before_replacing_files_the_user_did_not_name(qtbot, window, tmp_path, monkeypatch):
    asked = []
    answer = [QMessageBox.StandardButton.No]
    monkeypatch.setattr(plain, "ask", lambda _w, _t, text, *_a: asked.append(text) or answer[0])
    old = tmp_path / "net_weights.npz"
    old.write_bytes(b"someone else's weights")
    assert not window.files.export_code(tmp_path / "net.py")
    assert old.read_bytes() == b"someone else's weights" and not (tmp_path / "net.py").exists()
    assert str(old) in asked[-1]
    answer[0] = QMessageBox.StandardButton.Yes
    assert window.files.export_code(tmp_path / "net.py")
    assert old.read_bytes()[:2] == b"PK" and (tmp_path / "net.py").exists()
    asked.clear()
    assert window.files.export_code(tmp_path / "fresh")  # no extension: fresh.py, nothing to replace, no question
    assert (tmp_path / "fresh.py").exists() and (tmp_path / "fresh_weights.npz").exists() and not asked


def _recovery_doc(**over):
    doc = {"format": "nn-playground-recovery/1", "saved_at": "now", "path": None, "project": {}}
    doc.update(over)
    return json.dumps(doc)


BAD_RECOVERY = {
    "ragged weights": _recovery_doc(weights=[[[1, 2], [3]], [0]]),
    "string weights": _recovery_doc(weights=[[["a", "b"]], ["c"]]),
    "weights that do not fit": _recovery_doc(weights=[[[1.0, 2.0]], [0.0, 0.0]]),
    "infinite weights": _recovery_doc(weights=[[[1e999]], [0]]),
    "deep nesting": '{"format": "nn-playground-recovery/1", "project": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "a bad project": _recovery_doc(project={"training": {"batch_size": -3}}),
    "not JSON": "{broken",
    "base64 weights that are not base64": _recovery_doc(format="nn-playground-recovery/2",
                                                        weights=[{"shape": [1], "float64": "!!!!!!!!!!!!"}]),
    "base64 weights shorter than their shape": _recovery_doc(format="nn-playground-recovery/2",
                                                             weights=[{"shape": [2, 3], "float64": "AAAAAAAAAAA="}]),
    "a shape past the parameter limit": _recovery_doc(format="nn-playground-recovery/2",
                                                      weights=[{"shape": [10**6, 10**6], "float64": ""}]),
    "a negative count of weights left out": _recovery_doc(format="nn-playground-recovery/2", weights_left_out=-1),
}


@pytest.mark.parametrize("content", BAD_RECOVERY.values(), ids=BAD_RECOVERY.keys())
def test_a_bad_recovery_file_is_set_aside_and_the_app_starts(qtbot, window, content):
    path = window.files.recovery.path
    path.write_text(content)
    assert not window.files.offer_recovery()
    box = window.findChild(QMessageBox, "errorDialog")
    assert box is not None and "could not be restored" in box.text() and "recovery.bad-" in box.text()
    aside = list(path.parent.glob("recovery.bad-*.json"))
    assert not path.exists() and len(aside) == 1 and aside[0].read_text() == content  # kept, not deleted
    box.accept()
    epoch = window.session.snapshot.epoch
    window.session.step("epoch")
    wait_for(qtbot, window, lambda s: s.epoch == epoch + 1)  # the app works on


def test_recovered_weights_are_checked_and_restored(qtbot, window, monkeypatch):
    snap = window.session.snapshot
    project = json.loads(json.dumps(window.session.state.project))
    window.files.recovery.path.write_text(_recovery_doc(project=project, weights=[w.tolist() for w in snap.weights]))
    monkeypatch.setattr(plain, "ask", lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert window.files.offer_recovery()
    wait_for(qtbot, window, lambda s: np.array_equal(s.weights[0], snap.weights[0]))



def test_quitting_while_the_worker_is_busy_waits_for_it_instead_of_aborting(qtbot, window, monkeypatch):
    """A long load or build (a huge file, a 4,096-unit network) used to be cut off after 5 s:
    "QThread: Destroyed while thread is still running" and exit 134."""
    import threading

    from PySide6.QtCore import QTimer

    import playground.run.training_worker as worker_module

    release, entered = threading.Event(), threading.Event()
    real = worker_module.load_dataset

    def slow_load(*args, **kwargs):
        entered.set()
        release.wait(30)  # the test lets it go from the UI thread, while the window is closing
        return real(*args, **kwargs)

    monkeypatch.setattr(worker_module, "load_dataset", slow_load)
    window.session.state.set("data.noise", 0.2)  # a new data section: the worker reads it again
    qtbot.waitUntil(entered.is_set)
    window.session.state.set_dirty(False)
    QTimer.singleShot(300, release.set)  # runs inside the close's wait: the event loop keeps going
    assert window.close()
    assert window.session.handle.thread.isFinished() and release.is_set()


def test_a_refused_build_puts_the_editor_back_on_the_project_that_runs(qtbot, window, monkeypatch):
    """The editor showed the new project while Play trained the old network and exports wrote
    the old config; now a build the engine refuses reverts the editor and says why."""
    import playground.run.training_worker as worker_module

    running = window.session.snapshot.project

    def refuse(*_a, **_k):
        raise PlaygroundError("cannot read that data (a test)")

    monkeypatch.setattr(worker_module, "load_dataset", refuse)
    window.session.state.set("data.noise", 0.3)
    qtbot.waitUntil(lambda: window.session.state.project == running)
    assert window.data_panel.noise.value() == round(running["data"]["noise"] * 100)
    box = window.findChild(QMessageBox, "errorDialog")
    assert box is not None and "cannot read that data" in box.text()
    box.accept()


def test_stale_weight_edits_are_dropped_and_the_slider_follows_a_new_run(qtbot, window):
    session = window.session
    for epoch in (1, 2, 3):
        session.step("epoch")
        wait_for(qtbot, window, lambda s, e=epoch: s.epoch == e)
    old = session.snapshot
    qtbot.waitUntil(lambda: window.time_bar.count >= 3)
    window.network.editor.set_units(0, +1)  # a rebuild: the old run's shapes are gone
    seq = session.set_weights([w.copy() for w in old.weights], old.generation)  # meant for the old run
    seq = session.send(SetWeight(0, 0, 0, 9.0, old.generation)) or seq
    snap = wait_for(qtbot, window, lambda s: s.applied >= seq)
    assert snap.generation > old.generation and snap.weights[0].shape[1] == old.weights[0].shape[1] + 1
    assert window.findChild(QMessageBox, "errorDialog") is None  # dropped, not "expected N weight arrays"
    assert window.time_bar.count <= 1  # the new run's range, not the old one's
    session.travel(50)  # an index from the old range: shows the live run instead of raising
    assert session.travel_index is None and session.shown is session.snapshot


def test_a_repeated_error_is_shown_once_and_a_storm_pauses_with_one_banner(qtbot, window):
    session = window.session
    session.set_playing(True)
    for _ in range(5):
        session.handle.worker.failed.emit("boom: weights of 1e308")
    qtbot.waitUntil(lambda: window.banner.isVisible())
    assert len(window.findChildren(QMessageBox, "errorDialog")) == 1
    assert "keeps happening (5 times)" in window.banner.text() and not session.playing


def test_opening_a_project_refreshes_every_field_of_the_data_panel(qtbot, window, tmp_path):
    p = tmp_path / "other.json"
    p.write_text(
        json.dumps(
            {
                "format": "nn-playground/1",
                "seed": 42,
                "data": {"source": "gauss", "normalize": "standardize"},
                "training": {"batch_size": 37},
            }
        )
    )
    window.session.state.apply({"training.batch_size": 5, "seed": 3, "data.normalize": "unit"})
    assert window.files.open_project(p)
    panel = window.data_panel
    assert (panel.batch.value(), panel.seed.value(), panel.normalize.currentData()) == (37, 42, "standardize")
    panel.regenerate.click()
    assert window.session.state.project["seed"] == 43  # the opened project's seed, plus one


def test_a_network_over_the_budget_is_refused_with_a_message_and_the_app_goes_on(qtbot, window):
    before = window.session.state.project
    gen = window.session.snapshot.generation
    window.session.state.set("network.layers", [{"units": 4096, "activation": "relu"}] * 16)
    qtbot.waitUntil(lambda: window.session.state.project == before)  # the editor goes back
    qtbot.waitUntil(lambda: "limit is 10,000,000" in window.statusBar().currentMessage()
                    or window.findChild(QMessageBox, "errorDialog") is not None)  # fmt: skip
    assert window.session.handle.thread.isRunning()
    window.session.step("epoch")
    snap = wait_for(qtbot, window, lambda s: s.epoch >= 1)
    assert snap.generation >= gen


def test_a_live_setting_the_trainer_refuses_puts_the_editor_back(qtbot, window):
    gen = window.session.snapshot.generation
    window.session.state.apply({"data.samples": 10_000, "network.layers": [{"units": 4096}, {"units": 2000}]})
    snap = wait_for(qtbot, window, lambda s: s.generation > gen and s.weights[0].shape[1] == 4096)
    batch = window.session.state.project["training"]["batch_size"]
    window.session.state.set("training.batch_size", 10_000)  # 5,000 training rows × 6,097 × 2 values: over
    qtbot.waitUntil(lambda: window.session.state.project["training"]["batch_size"] == batch)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorDialog") is not None)
    assert "smaller batch size" in window.findChild(QMessageBox, "errorDialog").text()
    assert window.data_panel.batch.value() == batch and window.session.snapshot.generation == snap.generation


def test_a_big_data_read_shows_progress_and_cancel_changes_nothing(window, qtbot, tmp_path):
    from playground.actions.downloads import ReadProgress

    path = tmp_path / "big.csv"
    path.write_text("a,b,label\n" + "".join(f"{i % 13},{i % 7},{i % 2}\n" for i in range(40_000)))
    progress = []
    window.session.probe_progress.connect(lambda seq, done, total: progress.append((done, total)))
    errors = []
    window.files.dialogs.error = lambda title, text: errors.append(text)
    window.files.dialogs.choose = lambda *a: "label"
    before = window.session.state.project
    worker = window.session.handle.worker
    worker._cancel_probe = 10**9  # Cancel pressed before the first chunk
    window.files.load_data_source({"csv": str(path)}, ask_label=True)
    qtbot.waitUntil(lambda: bool(errors), timeout=15_000)
    assert "cancelled; nothing changed" in errors[-1] and window.session.state.project == before
    worker._cancel_probe = 0
    window.files.load_data_source({"csv": str(path)}, ask_label=True)
    qtbot.waitUntil(lambda: isinstance(window.session.state.project["data"]["source"], dict), timeout=15_000)
    assert progress and progress[-1][1] == path.stat().st_size
    reads = window.downloads.reads
    assert isinstance(reads, ReadProgress) and reads.dialog is None  # closed when the read ended


def test_closed_tool_windows_leave_no_widgets_behind(window, qtbot):
    """pyqtgraph's context menus had no parent and outlived each closed window."""
    from PySide6.QtWidgets import QApplication

    def opened_and_closed():
        for open_ in (window.tools.open_race, window.tools.open_landscape, window.tools.open_paths):
            win = open_()
            QApplication.processEvents()  # shown and laid out
            win.close()
        for _ in range(3):  # the deferred deletes, and what they post in turn
            QApplication.sendPostedEvents(None, 0)
            QApplication.processEvents()
        return len(QApplication.allWidgets())

    first = opened_and_closed()
    assert opened_and_closed() == first and opened_and_closed() == first


HOSTILE_PROJECTS = {
    "an activation's alpha of 1e300": {
        "network": {"layers": [{"units": 4, "activation": {"name": "elu", "alpha": 1e300}}]},
    },
    "absurd schedule": {"training": {"schedule": {"name": "exponential", "decay_rate": 1e300, "decay_steps": 1e-300}}},
    "a 400-digit batch size": {"training": {"batch_size": 10**400}},
    "a step size that diverges": {
        "data": {"source": "plane", "problem": "regression"},
        "network": {"layers": [{"units": 8, "activation": "relu"}], "output_activation": "linear"},
        "training": {"loss": "mse", "optimizer": {"name": "sgd", "learning_rate": 100}},
    },
    "inputs near float64's limit": {
        "data": {"source": {"points": {"x": [[1e307 * (i % 3 - 1), -1e307] for i in range(30)],
                                        "y": [i % 2 for i in range(30)]}}},
    },
}


def test_every_hostile_project_leaves_the_app_alive_with_a_message(window, qtbot, tmp_path):
    import json as _json

    errors, banners = [], []
    window.files.dialogs.error = lambda title, text: errors.append(text)
    window.session.banner.connect(lambda text, kind: banners.append(text))
    for name, sections in HOSTILE_PROJECTS.items():
        path = tmp_path / "hostile.json"
        path.write_text(_json.dumps({"format": "nn-playground/1", **sections}))
        before = len(errors), len(banners)
        if window.files.open_project(path):
            window.session.set_playing(True)

            def said(shown=before[1]):
                return len(banners) > shown or window.session.snapshot.message != ""

            qtbot.waitUntil(said, timeout=15_000)
            window.session.set_playing(False)
        else:
            assert len(errors) > before[0], name
        assert window.session.handle.thread.isRunning(), name
        window.session.state.set_dirty(False)
    # And the app trains on afterwards.
    window.files.new_project()
    seq = window.session.step("epoch")
    qtbot.waitUntil(lambda: window.session.snapshot.applied >= seq and window.session.snapshot.epoch >= 1,
                    timeout=15_000)  # fmt: skip
