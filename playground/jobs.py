"""A job thread for the teaching windows' computations (activation statistics, convex or not):
the window sends a `Job` holding a function, the worker runs it and answers with its result or
a reason, and the UI never waits on it.

The function gets a `progress(done, total)` callback; calling it reports progress and ends the
job at once if Cancel was pressed or a newer job for the same window was sent. As the landscape
window's worker, an unexpected exception becomes a message instead of ending the thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from engine.errors import PlaygroundError

from .commands import Command
from .worker_loop import Cancelled, LoopWorker
from .worker_thread import WorkerHandle

PROGRESS_PERIOD = 0.05  # seconds between progress reports
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Job(Command):
    """`run(progress)` computed on the job thread; its return value is the result."""

    run: Callable[[Progress], Any]


class _Aborted(Exception):
    """Cancel was pressed, or a newer job replaced this one."""


class JobWorker(LoopWorker):
    """Runs one job at a time, in the order sent."""

    progress = Signal(int, int, int)  # sequence number, done, total
    result = Signal(int, object)  # sequence number, what the job returned
    job_failed = Signal(int, str)  # sequence number, why (or "cancelled")

    def __init__(self) -> None:
        super().__init__()
        self._cancel_upto = 0
        self._reported = 0.0

    def cancel(self, seq: int) -> None:
        """Cancel job `seq` and any sent before it, running or queued."""
        self._cancel_upto = max(self._cancel_upto, seq)

    def _train_once(self) -> bool:
        return False

    def _emit(self) -> None:
        self._dirty = False

    def _apply(self, command: Command, seq: int) -> None:
        if not isinstance(command, Job):
            return
        self._reported = 0.0

        def progress(done: int, total: int) -> None:
            if self.cancelled.is_set():
                raise Cancelled
            if self._cancel_upto >= seq:
                raise _Aborted
            now = time.perf_counter()
            if now - self._reported >= PROGRESS_PERIOD or done == total:
                self._reported = now
                self.progress.emit(seq, done, total)

        try:
            progress(0, 1)
            out = command.run(progress)
        except _Aborted:
            self.job_failed.emit(seq, "cancelled")
        except PlaygroundError as exc:
            self.job_failed.emit(seq, str(exc))
        except MemoryError:
            self.job_failed.emit(seq, "There is not enough memory for this: use fewer layers, units or rows.")
        except Exception as exc:  # a bug must not end the thread: say it and serve the next job
            self.job_failed.emit(seq, f"{exc.__class__.__name__}: {exc}")
        else:
            self.result.emit(seq, out)


class Jobs(QObject):
    """A window's job thread seen from the UI: `submit` replaces any job still running, and only
    the newest job's result or failure reaches `done` / `failed`."""

    done = Signal(object)
    failed = Signal(str)
    moved = Signal(int, int)  # done, total of the newest job

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.handle = WorkerHandle(self, JobWorker())
        worker = self.handle.worker
        worker.progress.connect(self._on_progress)
        worker.result.connect(self._on_result)
        worker.job_failed.connect(self._on_failed)
        self.current: int | None = None

    @property
    def busy(self) -> bool:
        return self.current is not None

    def submit(self, run: Callable[[Progress], Any]) -> int:
        if self.current is not None:
            self.handle.worker.cancel(self.current)
        self.current = self.handle.send(Job(run))
        return self.current

    def cancel(self) -> None:
        if self.current is not None:
            self.handle.worker.cancel(self.current)

    @Slot(int, int, int)
    def _on_progress(self, seq: int, done: int, total: int) -> None:
        if seq == self.current:
            self.moved.emit(done, total)

    @Slot(int, object)
    def _on_result(self, seq: int, result: object) -> None:
        if seq == self.current:
            self.current = None
            self.done.emit(result)

    @Slot(int, str)
    def _on_failed(self, seq: int, message: str) -> None:
        if seq == self.current:
            self.current = None
            self.failed.emit(message)

    def shutdown(self) -> None:
        """End the thread (a job in progress stops at its next progress call); the main window
        calls this on every child that has it when the app closes."""
        self.handle.stop(timeout_ms=None)
