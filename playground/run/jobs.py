"""A job thread for the computations of the teaching and landscape windows (activation
statistics, convex or not, the gradient check, the loss landscape): the window sends a `Job`
holding a function, the worker runs it and answers with its result or a reason, and the UI never
waits on it.

The function gets a `JobProgress`: calling it with (done, total) reports progress, and calling it
or its `check()` ends the job at once if Cancel was pressed or a newer job for the same window was
sent. An unexpected exception becomes a message instead of ending the thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from engine.core.errors import PlaygroundError
from engine.core.i18n import N_, _

from .commands import Command
from .worker_loop import Cancelled, LoopWorker
from .worker_thread import WorkerHandle

PROGRESS_PERIOD = 0.05  # seconds between progress reports
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Job(Command):
    """`run(progress)` computed on the job thread; its return value is the result. `no_memory`:
    what to tell the user when it runs out of memory (what to make smaller)."""

    run: Callable[[JobProgress], Any]
    no_memory: str = N_("There is not enough memory for this: use fewer layers, units or rows.")


class _Aborted(Exception):
    """Cancel was pressed, or a newer job replaced this one."""


class JobProgress:
    """What a job's function is given: called with (done, total) it reports progress at most every
    PROGRESS_PERIOD (and the last step always); it, and `check()` between smaller pieces of work,
    end the job when it is cancelled or the app closes."""

    def __init__(self, worker: JobWorker, seq: int) -> None:
        self._worker, self._seq = worker, seq
        self._reported = 0.0

    def check(self) -> None:
        if self._worker.cancelled.is_set():
            raise Cancelled
        if self._worker.cancelled_upto >= self._seq:
            raise _Aborted

    def __call__(self, done: int, total: int) -> None:
        self.check()
        now = time.perf_counter()
        if now - self._reported >= PROGRESS_PERIOD or done == total:
            self._reported = now
            self._worker.progress.emit(self._seq, done, total)


class JobWorker(LoopWorker):
    """Runs one job at a time, in the order sent."""

    progress = Signal(int, int, int)  # sequence number, done, total
    result = Signal(int, object)  # sequence number, what the job returned
    job_failed = Signal(int, str)  # sequence number, why (or "cancelled")

    def __init__(self) -> None:
        super().__init__()
        self.cancelled_upto = 0  # jobs with a sequence number up to this one are cancelled

    def cancel(self, seq: int) -> None:
        """Cancel job `seq` and any sent before it, running or queued."""
        self.cancelled_upto = max(self.cancelled_upto, seq)

    def _train_once(self) -> bool:
        return False

    def _emit(self) -> None:
        self._dirty = False

    def _apply(self, command: Command, seq: int) -> None:
        if not isinstance(command, Job):
            return
        progress = JobProgress(self, seq)
        try:
            progress(0, 1)
            out = command.run(progress)
        except _Aborted:
            self.job_failed.emit(seq, "cancelled")
        except PlaygroundError as exc:
            self.job_failed.emit(seq, str(exc))
        except MemoryError:
            self.job_failed.emit(seq, _(command.no_memory))
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
