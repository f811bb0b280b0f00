"""A worker on a thread of the app's own process, and its handle on the UI side: how the landscape
and teaching windows' jobs and the downloads run their workers, and the training worker and the
race under NNP_TRAINER=thread (worker_process.py's `ProcessHandle` offers the same calls)."""

from __future__ import annotations

import weakref
from typing import ClassVar

from PySide6.QtCore import QCoreApplication, QObject, QThread

from .commands import Command, Stop
from .training_worker import TrainingWorker
from .worker_loop import LoopWorker


class _WorkerThread(QThread):
    """A thread whose whole life is the worker's loop: it ends when the loop returns, with no
    Qt event loop to quit from another thread."""

    #: Every worker thread started, so tests can check that none is left running.
    started_threads: ClassVar[weakref.WeakSet[QThread]] = weakref.WeakSet()

    def __init__(self, worker: LoopWorker) -> None:
        super().__init__()
        self.worker = worker
        self.setObjectName("training-worker")
        _WorkerThread.started_threads.add(self)

    def run(self) -> None:
        self.worker.run()


class WorkerHandle(QObject):
    """Owns the worker thread from the UI side: start, send, and a clean stop."""

    def __init__(self, parent: QObject | None = None, worker: LoopWorker | None = None) -> None:
        super().__init__(parent)
        self.worker = worker or TrainingWorker()
        self.thread = _WorkerThread(self.worker)
        self.thread.start()

    def send(self, command: Command) -> int:
        """Queue a command; returns its sequence number (snapshots say the last one applied)."""
        return self.worker.send(command)

    def request_stop(self) -> None:
        """Ask the worker to finish without waiting for it (closing the window asks first, then waits)."""
        if self.thread.isRunning():
            self.worker.cancelled.set()
            self.worker.send(Stop())

    def stop(self, timeout_ms: int | None = 5000) -> bool:
        """Ask the worker to finish and wait for its thread; True when it has ended. With
        `timeout_ms` None it waits as long as the work in progress takes (a file being read
        cannot be cut short), keeping the event loop running: a QThread destroyed while it
        runs aborts the process."""
        if not self.thread.isRunning():
            return True
        self.request_stop()
        if timeout_ms is not None:
            return self.thread.wait(timeout_ms)
        while not self.thread.wait(50):
            QCoreApplication.processEvents()
        return True

