"""The loop every worker thread runs, and the signals every worker has.

The UI sends typed commands (playground/run/commands.py) through a thread-safe queue; each gets a
sequence number, and every snapshot says the last one applied. The loop applies them between
units of work, trains while playing as fast as it can or at the speed the user chose (SetSpeed,
playground/run/pacing.py: between units it waits on the command queue, so a command is taken at once
however slow the speed), and emits a snapshot at most ~30 times a second and only once the UI has
drawn the previous one, so snapshots never pile up in the event queue. The training worker
(playground/run/training_worker.py), the race (race_worker.py), the teaching windows' jobs (jobs.py)
and the downloads each say what their commands and units do.
"""

from __future__ import annotations

import itertools
import queue
import statistics
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.core.i18n import _

from .commands import Command, SetSpeed, Stop
from .pacing import Pacer

FRAME = 1 / 34  # seconds between snapshots while playing: ~30 redraws/s once hand-off overhead is added
UI_WAIT = 0.25  # longest the worker yields to a UI that has not finished drawing (e.g. minimised)
PACE_SLICE = 0.25  # longest one wait for the next unit at a slow speed (a command ends it sooner)


class Cancelled(BaseException):  # not an Exception: no "except Exception" may swallow it
    """Raised inside long work when the app closes, to end the worker's loop at once."""


def out_of_memory(exc: BaseException, doing: str) -> str:
    """The message for `exc`: a MemoryError in the user's words (what could not be done, and
    what to change), anything else as it is."""
    if not isinstance(exc, MemoryError):
        return str(exc)
    said = (_("There is not enough memory to {doing} ({detail}): a smaller network, batch or data set needs less.")
            if str(exc) else
            _("There is not enough memory to {doing}: a smaller network, batch or data set needs less."))  # fmt: skip
    return said.format(doing=doing, detail=exc)


class WorkerSignals(QObject):
    """What a worker tells the UI, declared once: the worker on a thread emits these, and the UI's
    proxy of a worker in another process (playground/run/worker_process.py) re-emits them from the pipe."""

    snapshot_ready = Signal(object)
    failed = Signal(str)  # a command could not be applied, or a bug paused the run
    build_failed = Signal(int, str)  # sequence number of a Build that failed, and why
    data_probed = Signal(int, object)  # sequence number of a ProbeData, and a DataInfo or the reason (str)
    traced = Signal(int, object)  # sequence number of a TraceExample, and a TraceResult or the reason (str)
    probe_progress = Signal(int, int, int)  # sequence number of a ProbeData, bytes read, bytes in all
    finished = Signal()


#: The names of the signals every worker has, in the order declared.
SIGNALS: tuple[str, ...] = tuple(name for name, value in vars(WorkerSignals).items() if isinstance(value, Signal))


class LoopWorker(WorkerSignals):
    """A loop that runs on a worker thread: it applies queued commands, trains while playing,
    and emits a snapshot at most every FRAME once the UI has drawn the last one. Subclasses say
    what a command does (`_apply`), what one unit of training is (`_train_once`) and what a
    snapshot holds (`_emit`). Talk to it only through `send()`, `snapshot_consumed()` and its
    signals; signals emitted from the worker thread reach UI slots through queued connections."""

    #: Whether training waits while the UI draws a snapshot: a thread must (it shares the GIL
    #: with the UI), a worker in its own process trains on (only the next snapshot waits).
    steps_aside = True
    #: Called when no snapshot can be made for lack of memory (the window would wait for one for
    #: ever): a worker in its own process ends, and the window starts a new one.
    unheard: Callable[[], None] | None = None

    def __init__(self) -> None:
        super().__init__()
        self._commands: queue.Queue[tuple[int, Command]] = queue.Queue()
        self._seq = itertools.count(1)
        self._applied = 0  # sequence number of the last command applied
        #: Set when the app is closing: long work (an epoch end's evaluation, a build) stops at
        #: its next check instead of keeping the thread alive past the window.
        self.cancelled = threading.Event()
        self._ui_ready = threading.Event()
        self._ui_ready.set()
        self._step_time = 0.0  # a training unit's usual duration (the median of the last nine)
        self._step_times: deque[float] = deque(maxlen=9)
        self._slack = 0.0  # how early the next frame may go (training stopped short of the deadline)
        self._playing = False
        self._dirty = True  # something changed that the UI has not seen
        self._last_emit = 0.0  # perf_counter() of the last snapshot sent
        self._frame = FRAME  # seconds between snapshots while playing (a view budget may space them)
        self._pacer = Pacer()  # the speed the user chose: when the next unit of training may start
        self._sent_at = 0.0  # perf_counter() when the last snapshot went to the UI
        self._drawn = 0.0  # seconds the UI took to draw it (from sent to consumed)

    # ----------------------------------------------------------------- UI side (any thread)
    def send(self, command: Command, seq: int | None = None) -> int:
        """Queue a command for the worker thread; returns its sequence number (Stop ends the loop).
        `seq`: the number the sender gave it (a worker in another process is numbered on the UI side)."""
        if not isinstance(command, Command):
            raise TypeError(f"not a worker command: {command!r}")
        if seq is None:
            seq = next(self._seq)  # itertools.count is atomic under the GIL: any thread may send
        self._commands.put((seq, command))
        return seq

    def snapshot_consumed(self) -> None:
        """The UI drew the last snapshot; the next one may be sent."""
        if self._sent_at:
            self._drawn = time.perf_counter() - self._sent_at
        self._ui_ready.set()

    # ----------------------------------------------------------------- worker thread
    def run(self) -> None:
        try:
            self._loop()
        finally:
            self._release()
            self.finished.emit()

    def _release(self) -> None:
        """Drop the engine objects when the loop ends."""

    def _loop(self) -> None:
        while not self.cancelled.is_set():
            try:
                timeout = self._rest() if self._playing else (FRAME if self._dirty else 0.25)
                cmd = self._commands.get(timeout=timeout) if timeout else self._commands.get_nowait()
            except queue.Empty:
                cmd = None
            if cmd is not None:
                seq, command = cmd
                if isinstance(command, Stop):
                    return
                try:
                    if isinstance(command, SetSpeed):
                        self._pacer.set(command.speed)
                    else:
                        self._apply(command, seq)
                except Cancelled:
                    return
                finally:
                    self._applied = seq
                    self._dirty = True
                continue  # drain every queued command before training again
            try:
                self._train_and_report()
            except Cancelled:
                return
            except Exception as exc:  # a bug must pause the run, not kill the thread
                self._fail(exc)

    def _train_and_report(self) -> None:
        if self._playing:
            # While the UI draws a snapshot, step aside: its paint code is Python too, and each
            # callback would otherwise wait for the GIL behind this loop (a convoy that stalls
            # the UI for seconds). Blocking here releases the GIL until the frame is done.
            if not self._ui_ready.is_set():
                self._while_ui_draws()
                if self.steps_aside:
                    self._ui_ready.wait(UI_WAIT)
            # Train until the next frame is due (at least a third of a frame), so a whole cycle
            # of training, snapshot and drawing takes about one frame.
            # The frame goes out when the deadline is nearer now than after one more step (a LeNet
            # step takes 15-18 ms: two of them and a frame's overhead held the views at 25 fps).
            deadline = max(self._last_emit + self._frame, time.perf_counter() + FRAME / 3)
            trained = False
            while self._playing:
                now = time.perf_counter()
                if now >= deadline:
                    break
                if trained and now + self._step_time / 2 > deadline:  # nearer the deadline now than after one more
                    self._slack = deadline - now
                    break
                if self._pacer.wait(now) > 0:
                    break  # the chosen speed holds the next unit back: this frame goes out, then the loop waits
                pace = self._pace_interval()
                if not self._train_once():
                    break
                self._pacer.started(now, pace)
                self._step_times.append(time.perf_counter() - now)
                # The median of the last few: an epoch's end (its evaluation) is not a step's length.
                self._step_time = statistics.median(self._step_times)
                trained = True
                if not self._commands.empty():
                    break
        if self._dirty:
            self._emit_if_due()

    def _rest(self) -> float:
        """While playing: how long to wait for a command before training on (0: train now). At a
        slow speed, until the next unit is due, but no longer than a frame while one is to be sent."""
        wait = self._pacer.wait(time.perf_counter())
        return min(wait, FRAME if self._dirty else PACE_SLICE)

    def _pace_interval(self) -> float:
        """Seconds from this unit's start to the next one's at the chosen speed (0: no waiting)."""
        if not self._pacer.speed.paced:
            return 0.0
        where = self._progress()
        return 0.0 if where is None else self._pacer.interval(*where)

    def _progress(self) -> tuple[float, float] | None:
        """(epochs done in the run, units of training in an epoch), for the pace; None: no run."""
        return None

    def _emit_if_due(self) -> None:
        """Send a snapshot once the UI has drawn the last one (and, while playing, a frame on)."""
        now = time.perf_counter()
        if self._ui_ready.is_set() and now - self._last_emit >= (self._frame - self._slack if self._playing else 0):
            try:
                self._emit()
            except MemoryError:
                if self.unheard is not None:
                    self.unheard()
                raise
            self._last_emit = now
        self._slack = 0.0

    def _while_ui_draws(self) -> None:
        """Work that may overlap a frame being drawn: BLAS-bound, so it leaves the GIL to the UI
        most of the time (nothing by default)."""

    def _frame_if_due(self) -> None:
        """From inside a long computation: stop if the app is closing, else send a snapshot if
        one is due (while playing)."""
        if self.cancelled.is_set():
            raise Cancelled
        if self._playing:
            self._emit_if_due()

    def _fail(self, exc: BaseException) -> None:
        """Pause and show an unexpected error; the thread and the app keep going."""
        self._playing = False
        self._dirty = True
        if isinstance(exc, MemoryError):
            self.failed.emit(_("{reason} Training is paused.").format(reason=out_of_memory(exc, _("go on training"))))
            return
        self.failed.emit(f"{exc.__class__.__name__}: {exc}\n\n{traceback.format_exc(limit=6)}")

    def _send_snapshot(self, snap: Any) -> None:
        self._dirty = False
        self._ui_ready.clear()
        self._sent_at = time.perf_counter()
        self.snapshot_ready.emit(snap)

    def _apply(self, command: Command, seq: int) -> None:
        raise NotImplementedError

    def _train_once(self) -> bool:
        """One unit of training; False when training cannot go on."""
        raise NotImplementedError

    def _emit(self) -> None:
        raise NotImplementedError
