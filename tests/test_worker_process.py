"""The trainer in a child process (playground/run/worker_process.py): what crosses the pipe, and the
real window training through it, losing its child, and ending it."""

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import wait_for
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from engine.data.dataset import Dataset
from engine.project import normalize_project, prepare_data
from engine.run.training import Trainer
from playground.run.snapshot import take_snapshot
from playground.run.wire import SHARING, Packer, Unpacker, dumps_data, loads_data, share_data
from playground.run.worker_process import ProcessHandle

ROOT = Path(__file__).resolve().parents[1]


def _through_the_pipe(packer: Packer, unpacker: Unpacker, snap):
    light, same, history, blob, fds = pickle.loads(pickle.dumps(packer.pack(snap)))
    data = loads_data(blob, [os.dup(fd) for fd in fds]) if blob else None  # descriptors cross as copies
    return unpacker.unpack(light, same, history, data)


def test_a_snapshot_crosses_with_only_the_new_history_and_shares_what_did_not_change():
    raw = {"format": "nn-playground/1", "data": {"source": "xor", "samples": 200}, "training": {"batch_size": 20}}
    trainer = Trainer(normalize_project(raw))
    packer, unpacker = Packer(), Unpacker()
    trainer.train_epoch()
    first = _through_the_pipe(packer, unpacker, take_snapshot(trainer, 1, None, None))
    for _ in range(3):
        trainer.train_epoch()
    snap = take_snapshot(trainer, 1, None, None)
    light, same, history, blob, fds = packer.pack(snap)
    assert set(same) >= {"data", "project"} and light.data is None and not blob  # not sent again
    assert all(not full and len(values) == 3 for full, values in history.values())  # three new epochs each
    second = unpacker.unpack(*pickle.loads(pickle.dumps((light, same, history))), None)
    assert second.data is first.data and second.project is first.project
    for key, series in snap.history.items():
        assert np.array_equal(np.asarray(second.history[key]), np.asarray(series), equal_nan=True), key
    assert len(first.history["loss"]) == 1  # the earlier snapshot still shows its own epochs
    np.testing.assert_array_equal(second.weights[0], trainer.network.get_weights()[0])
    # A new run has new series: they cross whole, and the old snapshots keep theirs.
    again = Trainer(trainer.project)
    again.train_epoch()
    light, same, history, blob, fds = packer.pack(take_snapshot(again, 2, None, None))
    assert all(full for full, _values in history.values()) and "data" not in same
    third = unpacker.unpack(light, same, history, loads_data(blob, fds))
    assert len(third.history["loss"]) == 1 and len(second.history["loss"]) == 4


@pytest.mark.skipif(not SHARING, reason="descriptors pass between processes on Unix only")
def test_big_prepared_arrays_are_shared_memory_not_copies():
    rng = np.random.default_rng(0)
    images = Dataset(rng.random((2000, 784), dtype=np.float32), rng.integers(0, 10, 2000), "classification",
                     [f"p{i}" for i in range(784)], classes=10, image_shape=(28, 28, 1))  # fmt: skip
    raw = {"format": "nn-playground/1", "data": {"source": "xor"}, "network": {"dtype": "float32"}}
    project = normalize_project(raw)
    data = share_data(prepare_data(project, images))
    blob, fds = dumps_data(data)
    assert len(fds) == 1 and len(blob) < 200_000  # 6 MB of images travel as a descriptor and offsets
    seen = loads_data(blob, [os.dup(fds[0])])
    np.testing.assert_array_equal(seen.x_train, data.x_train)
    np.testing.assert_array_equal(seen.dataset.x, images.x)
    assert not seen.x_train.flags.writeable  # the window only reads them
    data.x_train[0, 0] = 123.0  # the same pages: what the trainer's side holds, the window sees
    assert seen.x_train[0, 0] == 123.0
    assert np.shares_memory(data.x_train, data.x_train) and data.x_train.base is not None


def test_the_window_trains_in_a_child_process_and_closing_ends_it(qtbot, process_window):
    window = process_window
    handle = window.session.handle
    assert isinstance(handle, ProcessHandle) and handle.process.pid != os.getpid()
    start = window.session.snapshot.steps
    window.session.set_playing(True)
    snap = wait_for(qtbot, window, lambda s: s.steps > start + 200 and s.epoch >= 3)
    assert len(snap.history["loss"]) == snap.epoch  # the history arrives whole, frame by frame
    window.session.state.set("training.optimizer.learning_rate", 0.125)  # a live edit reaches the child
    wait_for(qtbot, window, lambda s: s.learning_rate == 0.125)
    window.session.set_playing(False)
    wait_for(qtbot, window, lambda s: not s.playing)
    # A build the engine refuses comes back as a message, and the run goes on.
    before = window.session.state.project
    window.session.state.set("network.layers", [{"units": 4096, "activation": "relu"}] * 16)
    qtbot.waitUntil(lambda: window.session.state.project["network"] == before["network"])
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorDialog") is not None)
    assert "the limit is 10,000,000" in window.findChild(QMessageBox, "errorDialog").text()
    window.session.step("epoch")
    epoch = window.session.snapshot.epoch
    wait_for(qtbot, window, lambda s: s.epoch > epoch)
    process = handle.process
    window.session.state.set_dirty(False)
    assert window.close()
    assert not process.is_alive() and handle.thread.isFinished()


@pytest.mark.parametrize("ui_language", ["ko"], indirect=True)
def test_the_trainer_speaks_the_windows_language(qtbot, ui_language, process_window):
    """The fork server starts before the window reads its settings (with the environment's
    language): a trainer started for a window set to Korean still refuses a build in Korean."""
    window = process_window
    wait_for(qtbot, window, lambda s: s is not None)
    before = window.session.state.project
    window.session.state.set("network.layers", [{"units": 4096, "activation": "relu"}] * 16)
    qtbot.waitUntil(lambda: window.session.state.project["network"] == before["network"])
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorDialog") is not None)
    text = window.findChild(QMessageBox, "errorDialog").text()
    assert "10,000,000" in text and any("\uac00" <= ch <= "\ud7a3" for ch in text), text


def test_a_trainer_that_dies_is_replaced_and_the_runs_stay_apart(qtbot, process_window):
    """Issue 28, item 9: the new child numbers its runs on from the dead one's, so the time bar,
    the Runs table and Use These Weights never mix them, and it goes on from the last weights."""
    window = process_window
    session, handle = window.session, window.session.handle
    session.set_playing(True)
    dead = wait_for(qtbot, window, lambda s: s.epoch >= 4)
    session.set_playing(False)
    dead = wait_for(qtbot, window, lambda s: not s.playing)
    assert len(session.timeline) >= 2
    old = handle.process
    os.kill(old.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: handle.process is not old and not session.playing, timeout=15_000)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorDialog") is not None)
    dialog = window.findChild(QMessageBox, "errorDialog")
    assert "ended unexpectedly (signal 9: the system may have run out of memory)" in dialog.text()
    assert f"from the weights of epoch {dead.epoch:,}" in dialog.text()
    snap = wait_for(qtbot, window, lambda s: s.generation > dead.generation)  # a new run, numbered on
    assert snap.epoch == 0
    for mine, theirs in zip(snap.weights, dead.weights, strict=True):  # ...starting where the dead one was
        np.testing.assert_array_equal(mine, theirs)
    assert len(session.timeline) == 1 and session.timeline.at(0, snap).generation == snap.generation
    assert [r.number for r in session.run_history.runs] == [1, 2]
    assert session.run_history.runs[0].epochs == dead.epoch  # the dead run's record is not overwritten
    session.set_playing(True)
    wait_for(qtbot, window, lambda s: s.generation == snap.generation and s.epoch >= 2)
    session.set_playing(False)


def test_a_stopped_trainer_never_blocks_the_window_and_is_offered_a_restart(qtbot, process_window, monkeypatch):
    """Issue 28, item 2: SIGSTOP the trainer while playing; edits that fill its pipe return at
    once, the window says it does not answer (and stops claiming to play), and it goes on after
    SIGCONT or a restart, from the last weights it received."""
    from playground.run import worker_process

    window = process_window
    session, handle = window.session, window.session.handle
    rng = np.random.default_rng(0)  # drawn points travel in the project: each edit is about 400 KB
    xy = rng.uniform(-5, 5, (20_000, 2))
    session.state.set("data.source", {"points": {"x": xy.tolist(), "y": (xy[:, 0] > 0).astype(int).tolist()}})
    session.set_playing(True)
    wait_for(qtbot, window, lambda s: s.epoch >= 2 and s.applied == session.last_sent)
    # Now that it trains, a quicker watch than the default 5 s (the data took their time to build).
    monkeypatch.setattr(worker_process, "UNRESPONSIVE_SECONDS", 1.5)
    handle._watch.setInterval(250)
    child = handle.process
    os.kill(child.pid, signal.SIGSTOP)
    waker = threading.Timer(20.0, os.kill, args=(child.pid, signal.SIGCONT))  # a blocked send ends, and fails
    waker.start()
    try:
        started = time.monotonic()
        for i in range(40):  # each edit carries the whole project: the pipe's buffer fills within a few
            session.state.set("training.optimizer.learning_rate", 0.01 + i / 1000)
            session.state.set("data.noise", (i % 10) / 100)
        assert time.monotonic() - started < 10.0, "the window waited for a stopped trainer"
        qtbot.waitUntil(lambda: window.findChild(QMessageBox, "trainerNotResponding") is not None, timeout=15_000)
        box = window.findChild(QMessageBox, "trainerNotResponding")
        assert "has not answered" in box.text() and box.isVisible()
        assert not session.playing and not window.controls.play_button.isChecked()
    finally:
        waker.cancel()
        os.kill(child.pid, signal.SIGCONT)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "trainerNotResponding") is None, timeout=15_000)
    wait_for(qtbot, window, lambda s: s.applied == session.last_sent)  # every queued edit arrived, in order
    assert session.snapshot.learning_rate == 0.049 and handle.process is child
    # Stopped again, and this time restarted from the question: a new child, from the last weights.
    session.step("epoch")
    last = wait_for(qtbot, window, lambda s: s.applied == session.last_sent and s.steps > 0)
    os.kill(child.pid, signal.SIGSTOP)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "trainerNotResponding") is not None, timeout=15_000)
    qtbot.mouseClick(window.findChild(QMessageBox, "trainerNotResponding").findChild(QPushButton, "restartTrainer"),
                     Qt.MouseButton.LeftButton)  # fmt: skip
    qtbot.waitUntil(lambda: handle.process is not child, timeout=15_000)
    snap = wait_for(qtbot, window, lambda s: s.generation > last.generation)
    for mine, theirs in zip(snap.weights, last.weights, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert window.findChild(QMessageBox, "errorDialog") is None  # asked for: not reported as a crash
    qtbot.waitUntil(lambda: not child.is_alive(), timeout=10_000)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prlimit of another process is Linux's")
def test_a_trainer_out_of_memory_says_so_and_editor_and_trainer_agree(qtbot, process_window):
    """Issue 28, item 11: a trainer whose address space is capped just above its size is asked
    to build the CNN preset: the window says so in words and the editor shows what trains."""
    import resource

    from playground.resources import PRESETS

    window = process_window
    session, handle = window.session, window.session.handle
    before = wait_for(qtbot, window, lambda s: s.applied == session.last_sent)
    status = Path(f"/proc/{handle.process.pid}/status").read_text()
    size = int(next(line for line in status.splitlines() if line.startswith("VmSize")).split()[1]) * 1024
    resource.prlimit(handle.process.pid, resource.RLIMIT_AS, (size + 30 * 2**20, size + 30 * 2**20))
    assert window.files.open_project(PRESETS / "18-cnn-shapes.json", preset=True)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorDialog") is not None, timeout=30_000)
    text = window.findChild(QMessageBox, "errorDialog").text()
    # Refused where the trainer could say so (the circle network goes on), or said by the window
    # when it could not (a new trainer, without the cap, builds the CNN): in words either way.
    assert ("not enough memory" in text or "ran out of memory" in text) and "Traceback" not in text, text
    qtbot.waitUntil(lambda: session.snapshot.applied == session.last_sent
                    and session.state.project == session.snapshot.project, timeout=30_000)  # fmt: skip
    assert session.snapshot.project["network"] in (before.project["network"], session.state.project["network"])
    session.step("epoch")  # ...and what the editor shows trains
    wait_for(qtbot, window, lambda s: s.applied == session.last_sent and s.epoch >= 1, timeout=30_000)


def test_the_trainer_ends_when_the_app_is_killed(tmp_path, qtbot):
    """kill -9 of the app leaves no trainer behind (its pipe closes, and Linux's parent-death signal)."""
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtCore import QCoreApplication
        from playground.run.worker_process import ProcessHandle
        if __name__ == "__main__":
            app = QCoreApplication([])
            handle = ProcessHandle()
            print(handle.process.pid, flush=True)
            sys.stdin.read()  # lives until it is killed
    """))
    app = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                           cwd=tmp_path)  # fmt: skip
    try:
        child = int(app.stdout.readline())
        os.kill(child, 0)  # it runs
        app.kill()
        app.wait(10)
        qtbot.waitUntil(lambda: not _alive(child), timeout=10_000)
    finally:
        app.kill()
        app.wait(10)
        app.stdin.close()
        app.stdout.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its parent (the fork server) to reap it has ended too
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return True


def _script(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    script = tmp_path / "automation.py"
    script.write_text(textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ["NNP_TRAINER"] = "process"
        print("body", flush=True)
    """) + body)
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120)


WINDOW_PLAYS = textwrap.dedent("""
    from PySide6.QtCore import QSettings, QTimer
    from playground.app import make_app
    from playground.main_window import MainWindow
    app = make_app()
    window = MainWindow(QSettings("settings.ini", QSettings.Format.IniFormat))
    window.show()
    window.session.set_playing(True)
    def check():
        snap = window.session.snapshot
        if snap is not None and snap.epoch >= 2:
            print("trainer", window.session.handle.process.pid, flush=True)
            app.quit()
    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(20)
    app.exec()
    window.session.state.set_dirty(False)
""")


@pytest.mark.process  # starts the app in a fresh interpreter, its trainer in a child: the process stage
def test_a_script_without_a_main_guard_runs_once(tmp_path):
    """Issue 28, item 18: the trainer starts from the app's own entry point; multiprocessing
    used to import the user's script again in the trainer (its body ran 7 times, then aborted)."""
    done = _script(tmp_path, WINDOW_PLAYS + "window.close()\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("body") == 1, done.stdout
    assert "trainer" in done.stdout and "main module" not in done.stderr


@pytest.mark.process  # the same: a fresh interpreter playing the window, twice
@pytest.mark.parametrize("seconds", [0.5, 2.0])
def test_exiting_with_the_window_open_ends_the_trainer_quietly(tmp_path, qtbot, seconds):
    """Issue 28, item 19: sys.exit while the window plays (a script's last line) ends the trainer
    without "Signal source has been deleted" or an abort for a QThread still running (before the fix:
    2 of 8 such runs)."""
    done = _script(tmp_path, textwrap.dedent(f"""
        import time
        from PySide6.QtCore import QSettings
        from playground.app import make_app
        from playground.main_window import MainWindow
        if __name__ == "__main__":
            app = make_app()
            window = MainWindow(QSettings("settings.ini", QSettings.Format.IniFormat))
            window.show()
            window.session.set_playing(True)
            end = time.monotonic() + {seconds}
            while time.monotonic() < end:  # the dice: where the exit falls in the snapshot stream
                app.processEvents()
            print("trainer", window.session.handle.process.pid, flush=True)
            window.session.state.set_dirty(False)
            sys.exit(0)
    """))
    assert done.returncode == 0, done.stderr
    assert "Error calling Python override" not in done.stderr and "QThread" not in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    pid = int(done.stdout.split("trainer")[1].split()[0])
    qtbot.waitUntil(lambda: not _alive(pid), timeout=10_000)
