"""Test set-up: Qt runs offscreen, and NumPy's BLAS uses one thread, as in the app."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import pytest


@pytest.fixture(autouse=True)
def no_worker_thread_left_running(request):
    """Fail any test that leaves a training thread running (napari keeps a check like this)."""
    yield
    if "qtbot" not in request.fixturenames and "window" not in request.fixturenames:
        return
    from playground.worker import _WorkerThread

    running = [t for t in list(_WorkerThread.started_threads) if t.isRunning()]
    for t in running:
        t.worker.send("stop")
        t.wait(5000)
    assert not running, f"{len(running)} training thread(s) left running"
