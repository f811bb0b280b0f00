"""Autosave on the real window (issue 28, item 1): the recovery file is written on a thread of
its own, so a big network never freezes the window, and it stays small: weights as float64
bytes, left out past MAX_KEPT_PARAMS with a note when the work is offered back."""

import json
import threading

import numpy as np
from conftest import TIMEOUT
from helpers import wait_for
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

import playground.run.recovery as recovery_module
from playground.run.recovery import MAX_KEPT_PARAMS
from playground.widgets import plain


def _dense(qtbot, window, units):
    """Digits (64 inputs, 10 classes) with dense ReLU layers of `units`; the snapshot that built it."""
    state = window.session.state
    state.choose_source("digits")
    state.apply({"network.layers": [{"units": u, "activation": "relu"} for u in units]})
    return wait_for(qtbot, window, lambda s: s.project == state.project, timeout=60_000)


def test_autosave_writes_on_its_own_thread_while_the_window_runs_on(qtbot, window, monkeypatch):
    """The write is held until the test lets it go: the window must keep handling events
    meanwhile (a tick counted while the write is in progress). Written on the UI thread, the
    ticks would all come after it."""
    window.session.state.set("data.noise", 0.3)
    real = recovery_module.atomic_write_bytes
    writing, release = threading.Event(), threading.Event()
    threads = []

    def held_write(path, data):
        threads.append(threading.current_thread())
        writing.set()
        release.wait(10)  # the test releases it; written on the UI thread it would wait in vain
        writing.clear()
        return real(path, data)

    monkeypatch.setattr(recovery_module, "atomic_write_bytes", held_write)
    during = []
    ticker = QTimer()
    ticker.setInterval(5)
    ticker.timeout.connect(lambda: during.append(writing.is_set()))
    ticker.start()
    assert window.files.autosave()
    qtbot.waitUntil(lambda: sum(during) >= 3, timeout=TIMEOUT)  # the event loop ran during the write
    assert window.files.autosaver.busy()
    with qtbot.waitSignal(window.files.autosaver.saved, timeout=TIMEOUT) as saved:
        release.set()
    ticker.stop()
    assert saved.args == [True] and threads[0] is not threading.main_thread()
    assert json.loads(window.files.recovery.path.read_text())["project"]["data"]["noise"] == 0.3


def test_a_newer_autosave_replaces_one_still_waiting(qtbot, window, monkeypatch):
    real = recovery_module.atomic_write_bytes
    writing, release = threading.Event(), threading.Event()
    written = []

    def held_write(path, data):
        written.append(json.loads(data)["project"]["data"]["noise"])
        writing.set()
        release.wait(10)
        return real(path, data)

    monkeypatch.setattr(recovery_module, "atomic_write_bytes", held_write)
    state = window.session.state
    state.set("data.noise", 0.1)
    window.files.autosave()
    qtbot.waitUntil(writing.is_set, timeout=TIMEOUT)
    for noise in (0.2, 0.3, 0.4):  # three requests while the first is written: only the last is kept
        state.set("data.noise", noise)
        window.files.autosave()
    release.set()
    qtbot.waitUntil(lambda: not window.files.autosaver.busy(), timeout=TIMEOUT)
    assert written == [0.1, 0.4]
    assert json.loads(window.files.recovery.path.read_text())["project"]["data"]["noise"] == 0.4


def test_closing_during_an_autosave_leaves_no_recovery_file(qtbot, window, monkeypatch):
    """Closing (saved or discarded) removes the recovery file even when a write was under way
    and outlasted the close's short wait: the write removes its own file when it ends."""
    real = recovery_module.atomic_write_bytes
    writing, release = threading.Event(), threading.Event()

    def held_write(path, data):
        writing.set()
        release.wait(10)
        return real(path, data)

    monkeypatch.setattr(recovery_module, "atomic_write_bytes", held_write)
    window.session.state.set("data.noise", 0.3)
    window.files.autosave()
    qtbot.waitUntil(writing.is_set, timeout=TIMEOUT)
    window.files.autosaver.discard(timeout=0.05)  # what closing does (the write outlasts the wait)
    with qtbot.waitSignal(window.files.autosaver.saved, timeout=TIMEOUT):
        release.set()
    assert not window.files.recovery.path.exists()


def test_a_big_networks_recovery_file_keeps_the_project_and_says_the_weights_were_not_kept(qtbot, window, monkeypatch):
    snap = _dense(qtbot, window, [1500, 1500])
    count = sum(w.size for w in snap.weights)
    assert count > MAX_KEPT_PARAMS and window.session.state.dirty  # an unsaved edit
    with qtbot.waitSignal(window.files.autosaver.saved, timeout=TIMEOUT) as saved:
        assert window.files.autosave()
    assert saved.args == [True]
    path = window.files.recovery.path
    assert path.stat().st_size < 64 * 1024  # the project alone (JSON numbers made 181 MB of 8.5 M parameters)
    doc = json.loads(path.read_text())
    assert "weights" not in doc and doc["weights_left_out"] == count
    asked = []
    monkeypatch.setattr(plain, "ask", lambda _p, _t, text, *a: asked.append(text) or QMessageBox.StandardButton.Yes)
    edited = json.loads(json.dumps(window.session.state.project))
    window.session.state.replace(json.loads(json.dumps(window.session.state.project)) | {"seed": 5})
    assert window.files.offer_recovery()
    assert "The weights of this 2.4-million-parameter network were not kept" in asked[0]
    assert "the project was" in asked[0]
    assert window.session.state.project == edited and window.session.state.dirty


def test_a_smaller_networks_weights_are_kept_exactly_and_compactly(qtbot, window):
    snap = _dense(qtbot, window, [300, 300])
    count = sum(w.size for w in snap.weights)
    assert count <= MAX_KEPT_PARAMS
    with qtbot.waitSignal(window.files.autosaver.saved, timeout=TIMEOUT):
        assert window.files.autosave()
    size = window.files.recovery.path.stat().st_size
    assert size < 11 * count + 64 * 1024  # base64 of float64: 10.7 characters a parameter (JSON numbers: ~20)
    work = window.files.recovery.read()
    assert work.weights_left_out == 0
    assert all(np.array_equal(a, b) for a, b in zip(work.weights, snap.weights))
