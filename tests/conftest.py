"""Test set-up: Qt runs offscreen, and NumPy's BLAS uses one thread, as in the app."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
# The app trains in a child process; many tests reach into the worker (a slow read, a failing
# step), so windows here train on a thread unless a test asks for the process (`process_window`)
# or the process stage (`python3 dev.py process`: NNP_TRAINER=process) runs the window's own
# tests again as users run them (PROCESS_STAGE below).
os.environ.setdefault("NNP_TRAINER", "thread")
# The suite reads English whatever the desktop's locale: LANGUAGE comes first in gettext's order, so
# the CLI run in-process does not turn Korean on a machine with LANG=ko_KR.UTF-8 (tests/test_i18n.py
# sets the language it tests).
os.environ["LANGUAGE"] = "en"

import pytest

TIMEOUT = 15_000  # ms a GUI test waits for the worker
#: Fixtures that bring in another framework: a test using one compares the engine with it and runs
#: in the parity stage (`python3 dev.py parity`), not in the default suite.
FRAMEWORKS = ("torch", "keras")
#: Test files that drive the main window (play, step, edit, the backprop walk...): the process stage
#: runs them as users run the app, with the trainer in its own process (`python3 dev.py process`). A
#: test there that reaches into the worker's objects is marked `thread_only` with the reason and runs
#: in the default stage instead, with the trainer on a thread (`pytest` on such a file runs them all
#: on a thread).
PROCESS_STAGE = (
    "test_gui.py", "test_gui_backprop.py", "test_gui_guards.py", "test_gui_layers.py", "test_gui_timeline.py",
    "test_gui_recurrent.py", "test_gui_batchnorm.py", "test_gui_session.py",
)  # fmt: skip
#: Files with the slowest tests: collected first, so xdist hands them out first and none is left for
#: the end (where a worker would wait for the other), and the tests of one file that share a cached run
#: (test_presets.py's recurrent runs) mostly share a worker.
SLOW_FIRST = ("test_presets.py", "test_gui_teaching.py", "test_links.py", "test_gui_sharing.py")


def pytest_collection_modifyitems(config, items):
    """Mark the later stages' tests: PyTorch or Keras (parity); the trainer's own process (process:
    the slow process-mode tests and the window's tests of PROCESS_STAGE); then slow files first."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if any(name in names for name in FRAMEWORKS):
            item.add_marker(pytest.mark.parity)
        window_test = item.path.name in PROCESS_STAGE and not item.get_closest_marker("thread_only")
        if "process_window" in names or window_test:
            item.add_marker(pytest.mark.process)
    # xdist hands tests out in this order (every worker collects the same): the slowest first.
    items.sort(key=lambda item: item.path.name not in SLOW_FIRST)


@pytest.fixture
def torch():
    """PyTorch, for a parity test (skipped where it is not installed)."""
    return pytest.importorskip("torch")


@pytest.fixture
def keras(torch, monkeypatch):
    """Keras 3 on its PyTorch backend, for a parity test; scripts a test runs see the backend too."""
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


@pytest.fixture
def ui_language(request):
    """The window's language: English, or the one a test asks for with
    `@pytest.mark.parametrize("ui_language", ["en", "ko"], indirect=True)` (English again after it)."""
    from playground import i18n

    lang = getattr(request, "param", "en")
    if lang != "en":
        from playground.app import make_app

        make_app()  # Qt's own catalog is installed into the app
    i18n.install(lang)
    yield lang
    if lang != "en":
        i18n.install("en")


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, ui_language):
    """The real main window on an offscreen screen, with its own settings file, in `ui_language`;
    it is shut down (worker thread joined) after the test."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    from playground.app import make_app
    from playground.main_window import MainWindow
    from playground.widgets import plain

    make_app()
    # A modal question would hang a test run: closing discards unless a test says otherwise.
    monkeypatch.setattr(plain, "ask", lambda *a, **k: QMessageBox.StandardButton.Discard)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.session.snapshot is not None, timeout=TIMEOUT)
    yield win
    win.session.set_playing(False)
    win.session.state.set_dirty(False)
    win.shutdown()
    qtbot.waitUntil(win.session.handle.thread.isFinished, timeout=TIMEOUT)


@pytest.fixture
def process_window(monkeypatch, request):
    """The window as users run it: the trainer in its own process. A test asking for it is marked
    `process` and runs in the process stage (`python3 dev.py process`)."""
    monkeypatch.setenv("NNP_TRAINER", "process")
    return request.getfixturevalue("window")


@pytest.fixture(autouse=True)
def no_worker_thread_left_running(request):
    """Fail any test that leaves a training thread running (napari keeps a check like this)."""
    yield
    if "qtbot" not in request.fixturenames and "window" not in request.fixturenames:
        return
    from playground.run.commands import Stop
    from playground.run.worker_thread import _WorkerThread

    running = [t for t in list(_WorkerThread.started_threads) if t.isRunning()]
    for t in running:
        t.worker.send(Stop())
        t.wait(5000)
    assert not running, f"{len(running)} training thread(s) left running"
