"""The trainer in a child process: the same `TrainingWorker`, a second interpreter (and the
optimizer race's `RaceWorker` the same way: `ProcessHandle(kind="race")`).

On two cores a worker thread and the UI take turns under one GIL, so every millisecond the UI
spends drawing was a millisecond of training lost (issue 15: the app kept 0.48 of its engine's
speed on TensorFlow Playground's networks). In its own process the worker trains on while the
window draws, and only the next snapshot waits for the frame to be drawn.

`ProcessHandle` offers the UI what `WorkerHandle` does (`worker` with the same signals and
`send`/`snapshot_consumed`/`cancel_probe`, `thread`, `send`, `stop`). Commands go down a pipe
numbered on the UI side; snapshots come back up it. What a snapshot shares with the one before
(the prepared data, the project, the image evaluation, the layer maps) crosses once, and the
history only as the values added since, so a long run costs no more per frame than a short one.
The prepared data's big arrays live in an anonymous shared mapping whose file descriptor is
passed over the socket: MNIST's 376 MB are in memory once, not copied through the pipe, and
nothing is left behind when both processes end, however they end.
The child ends with the app: when the pipe closes, and on Linux by the kernel's parent-death
signal as well. If it dies on its own, the handle says so, starts another and asks for a rebuild.
The child is launched from the reader's thread, never the UI's: the fork server's first start
(a Python that imports the engine, most of a second) overlaps the window's construction instead of
delaying its first show; commands sent meanwhile wait in the pipe. `warm_up` starts the fork
server earlier still, while the app imports.

`NNP_TRAINER=thread` keeps the worker on a thread in the app's process (what the test suite
uses, so its tests can reach into the worker; tests/test_worker_process.py covers this one).
"""

from __future__ import annotations

import atexit
import importlib
import multiprocessing as mp
import os
import queue
import sys
import threading
import time
import weakref
from multiprocessing import reduction, spawn
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal, Slot

from engine.core import i18n
from engine.core.i18n import N_, _

from .commands import Command, Stop
from .wire import Packer, RacePacker, RaceUnpacker, Unpacker, loads_data, share_data
from .worker_loop import SIGNALS, WorkerSignals

TRAINER_ENV = "NNP_TRAINER"  # "process" (the default) or "thread"
#: Signals of the worker forwarded from the child as they are: all but the snapshot (packed, and
#: unpacked by the reader) and `finished` (the reader's own, when the child has ended).
FORWARDED = tuple(name for name in SIGNALS if name not in ("snapshot_ready", "finished"))
STOP_GRACE = 2.0  # seconds a stopping child may take to finish its step before it is killed
PING_SECONDS = 1.0  # how often the window asks the trainer whether it is there
#: A trainer silent this long (no snapshot, no answer to a ping) is reported as not responding.
UNRESPONSIVE_SECONDS = 5.0
OUT_OF_MEMORY = 3  # the exit code of a child that ran out of memory where it could not say so
RAN_OUT = N_("it ran out of memory")  # ...and how the window says it


def use_process() -> bool:
    """Whether new windows train in a child process (NNP_TRAINER, default "process")."""
    return os.environ.get(TRAINER_ENV, "process").strip().lower() != "thread"


def make_handle(parent: QObject | None = None, kind: str = "training") -> Any:
    """A worker handle (the session's trainer, or a race's): a child process unless NNP_TRAINER=thread."""
    if use_process():
        return ProcessHandle(parent, kind)
    from .worker_thread import WorkerHandle

    if kind == "race":
        from .race_worker import RaceWorker

        return WorkerHandle(parent, RaceWorker())
    return WorkerHandle(parent)


#: What a child process can run: its worker (module, class) and its snapshots' packer and unpacker.
KINDS: dict[str, tuple[str, str, type, type]] = {
    "training": ("playground.run.training_worker", "TrainingWorker", Packer, Unpacker),
    "race": ("playground.run.race_worker", "RaceWorker", RacePacker, RaceUnpacker),
}


# ===================================================================== the child
def _die_with_parent() -> None:
    """On Linux, have the kernel kill this process when its parent goes (even by kill -9)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # the closed pipe still ends it


def child_main(conn: Any, generation: int = 0, kind: str = "training", language: tuple[str, bool] = ("en", False)
               ) -> None:  # fmt: skip
    """The trainer process: the app's TrainingWorker loop (or another KINDS worker), fed and read
    through `conn`. Its runs are numbered from `generation` on, so a replacement never reuses a
    dead child's numbers. It speaks the window's `language` (and English terms setting): the fork
    server started before the window read its settings, with the environment's."""
    _die_with_parent()
    i18n.install(*language)
    module, name, packer_class, _unpacker = KINDS[kind]
    worker = getattr(importlib.import_module(module), name)()
    worker.steps_aside = False
    worker.share_data = share_data
    worker._generation = generation
    worker.unheard = lambda: os._exit(OUT_OF_MEMORY)
    packer = packer_class()
    lock = threading.Lock()

    def put(message: tuple, fds: tuple[int, ...] = ()) -> None:
        with lock:
            try:
                conn.send(message)
                for fd in fds:  # right after the message that counts them
                    reduction.send_handle(conn, fd, 0)
            except (OSError, ValueError):  # the app is gone: the reader below ends this process
                pass
            except BaseException:  # no memory to say it: a trainer the window cannot hear is
                os._exit(OUT_OF_MEMORY)  # no use, and a new one will agree with the editor

    def snapshot(snap: Any) -> None:
        try:
            light, same, history, blob, fds = packer.pack(snap)
        except MemoryError:  # the window would wait for it for ever: a new trainer is better
            os._exit(OUT_OF_MEMORY)
        except Exception as exc:  # a snapshot that cannot cross: say so, and let the loop go on
            put(("signal", "failed", (_("A snapshot could not reach the window: {reason}").format(
                reason=f"{exc.__class__.__name__}: {exc}"),)))
            worker.snapshot_consumed()
            return
        put(("snapshot", light, same, history, blob, len(fds)), tuple(fds))

    worker.snapshot_ready.connect(snapshot)
    for name in FORWARDED:
        getattr(worker, name).connect(lambda *args, name=name: put(("signal", name, args)))

    def read() -> None:
        try:
            while True:
                kind, *rest = conn.recv()
                if kind == "command":
                    worker.send(rest[1], rest[0])
                elif kind == "consumed":
                    worker.snapshot_consumed()
                elif kind == "ping":
                    put(("pong",))
                elif kind == "cancel_probe":
                    worker.cancel_probe(rest[0])
                elif kind == "stop":
                    break
        except (EOFError, OSError):  # the app closed or died: nobody to train for
            pass
        except BaseException:  # no memory for a command: the stream cannot be trusted now, and a
            os._exit(OUT_OF_MEMORY)  # child that no longer reads would leave editor and trainer apart
        worker.cancelled.set()
        worker.send(Stop(), 0)
        # A step that cannot be cut short (a file being read) does not keep the process alive.
        threading.Timer(STOP_GRACE, os._exit, args=(0,)).start()

    threading.Thread(target=read, name="commands", daemon=True).start()
    try:
        worker.run()
        put(("finished",))
    finally:
        os._exit(0)  # no interpreter teardown: the Timer above and Qt's statics need none


# ===================================================================== the UI side
class _Writer:
    """Sends to one child from a thread of its own: a child that stops reading (stopped, or
    starved) fills the pipe, and then only this thread waits, never the UI."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._queue: queue.SimpleQueue[tuple | None] = queue.SimpleQueue()
        self.sending_since = 0.0  # monotonic time the message in progress started (0: none)
        threading.Thread(target=self._run, name="trainer-writer", daemon=True).start()

    def put(self, message: tuple) -> None:
        self._queue.put(message)

    def close(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        while (message := self._queue.get()) is not None:
            self.sending_since = time.monotonic()
            try:
                self.conn.send(message)
            except (OSError, ValueError, TypeError):  # the child has gone (TypeError: the pipe closed mid-send)
                return
            finally:
                self.sending_since = 0.0


class ProcessWorker(WorkerSignals):
    """The UI's view of the worker in the child: its signals, and the three calls the UI makes."""

    def __init__(self) -> None:
        super().__init__()
        self.cancelled = threading.Event()
        self.writer: _Writer | None = None
        self._seq = 0
        self._lock = threading.Lock()  # numbers in the order sent
        self.heard = time.monotonic()  # when the child last said anything (set by the reader)
        self.generation = 0  # the newest run the window has seen (a new child numbers on from it)

    def _put(self, message: tuple) -> None:
        if self.writer is not None:
            self.writer.put(message)

    def send(self, command: Command) -> int:
        """Queue a command for the child; returns its sequence number. Never waits for the child."""
        if not isinstance(command, Command):
            raise TypeError(f"not a worker command: {command!r}")
        with self._lock:
            self._seq += 1
            self._put(("command", self._seq, command))
            return self._seq

    def snapshot_consumed(self) -> None:
        """The UI drew the last snapshot; the next one may be sent."""
        self._put(("consumed",))

    def cancel_probe(self, seq: int) -> None:
        """Stop reading the data file of ProbeData `seq` at its next chunk."""
        self._put(("cancel_probe", seq))


class _Reader(QThread):
    """Receives from one child and emits on the UI's worker object (queued to UI slots)."""

    lost = Signal(str)  # the child ended without being asked: how ("signal 9")

    def __init__(self, worker: ProcessWorker, conn: Any, process: Any, theirs: Any, unpacker: type = Unpacker) -> None:
        super().__init__()
        self.worker, self.conn, self.process = worker, conn, process
        self.theirs = theirs  # the child's end of the pipe, closed here once the child holds it
        self.unpacker = unpacker
        self.stopping = False
        self.launched = threading.Event()  # set once the child has started (or could not)
        self.launch_error: BaseException | None = None
        self.setObjectName("trainer-reader")

    def _launch(self) -> bool:
        """Start the child (off the UI thread: the fork server's first start takes most of a second)."""
        try:
            _start_process(self.process)
        except Exception as exc:  # no process to be had (out of memory, too many processes)
            self.launch_error = exc
            return False
        finally:
            self.theirs.close()  # the child's end lives in the child only: its death closes the pipe
            self.worker.heard = time.monotonic()
            self.launched.set()
        return True

    def run(self) -> None:
        if not self._launch():
            self.conn.close()
            self.worker.failed.emit(_("The trainer could not start: {reason}").format(reason=self.launch_error))
            self.worker.finished.emit()
            return
        unpacker = self.unpacker()
        while True:
            try:
                kind, *rest = self.conn.recv()
            except (EOFError, OSError):
                break
            self.worker.heard = time.monotonic()
            if kind == "snapshot":
                light, same, history, blob, n_fds = rest
                try:
                    fds = [reduction.recv_handle(self.conn) for __ in range(n_fds)]
                except (EOFError, OSError):
                    break
                data = loads_data(blob, fds) if blob else None
                self.worker.generation = max(self.worker.generation, light.generation)
                self.worker.snapshot_ready.emit(unpacker.unpack(light, same, history, data))
            elif kind == "signal":
                getattr(self.worker, rest[0]).emit(*rest[1])
            elif kind == "finished":
                break
        self.conn.close()
        self.process.join(STOP_GRACE)
        if not self.stopping:
            self.lost.emit(_ending(self.process.exitcode))
        self.worker.finished.emit()


def _ending(code: int | None) -> str:
    """How a child ended, in words."""
    if code == OUT_OF_MEMORY:
        return RAN_OUT
    if code is not None and code < 0:
        return (_("signal {number}: the system may have run out of memory") if code == -9 else
                _("signal {number}")).format(number=-code)  # fmt: skip
    return _("exit code {code}").format(code=code)


def _context() -> Any:
    """A fork server where there is one: a child forks from a process that has the engine
    loaded (about 20 ms) instead of starting Python again (about a second), and never from
    the app, whose Qt threads a fork would copy half-way."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(
            ["playground.run.worker_process", "playground.run.training_worker", "playground.run.race_worker"]
        )
        return ctx
    return mp.get_context("spawn")


#: The trainer's process takes the app's own entry point for its __main__, which multiprocessing
#: never imports again in a child (it skips any "*.__main__").
_APP_MAIN = "playground.__main__"
_launching = threading.local()  # `on` while this thread starts a trainer (or the fork server)
_preparation_data = spawn.get_preparation_data


def _app_preparation_data(name: str) -> dict:
    """multiprocessing's preparation data for a new process, naming the app's entry point as its
    __main__ when the thread asking is starting a trainer (any other process is left as it was).
    A thread-local choice, not a swap of sys.modules["__main__"]: the start runs off the UI thread."""
    data = _preparation_data(name)
    if getattr(_launching, "on", False):
        data.pop("main_path", None)
        data["init_main_from_name"] = _APP_MAIN
    return data


spawn.get_preparation_data = _app_preparation_data


def _start_process(process: Any) -> None:
    """Start `process` from the app's entry point, never from the caller's script: a fork
    server or a spawned child imports the parent's __main__ again, so a script without a main
    guard that opens the window would run its whole body once more in every trainer."""
    _launching.on = True
    try:
        process.start()
    finally:
        _launching.on = False


def warm_up() -> None:
    """Start the fork server now (it imports the engine in its own process, most of a second), so
    that the window's trainer, started once the window is built, forks from it at once."""
    if not use_process():
        return
    ctx = _context()
    if ctx.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    _launching.on = True
    try:
        forkserver.ensure_running()
    except OSError:  # the trainer's own start will say what is wrong
        pass
    finally:
        _launching.on = False


#: Every handle with a child, so the interpreter's exit can end them (a script that exits with
#: the window still open); weakly, so a handle garbage-collected is not kept alive by this.
_LIVE: weakref.WeakSet[ProcessHandle] = weakref.WeakSet()


class ProcessHandle(QObject):
    """Owns the trainer process from the UI side: start, send, a clean stop, a new child (with
    `restarted`) when one dies on its own or is restarted, and a watch on whether it answers."""

    restarted = Signal(str)  # a new child after the last one ended: how it ended; the session rebuilds
    responding = Signal(bool, float)  # the child stopped answering (False, seconds silent) or answers again

    def __init__(self, parent: QObject | None = None, kind: str = "training") -> None:
        super().__init__(parent)
        self.kind = kind  # which worker the child runs (KINDS)
        self.worker = ProcessWorker()
        self._process: Any = None
        self.thread: _Reader | None = None
        self._retired: _Reader | None = None  # the reader of the child that ended, kept until it ends
        self.silent = False  # whether the child is reported as not responding
        self._restarting = False  # a restart the user asked for (not a death to report)
        self._watch = QTimer(self)
        self._watch.setInterval(int(PING_SECONDS * 1000))
        self._watch.timeout.connect(self._check)
        self._start()
        self._watch.start()
        _LIVE.add(self)

    def _start(self) -> None:
        """A new child, launched by its reader's thread; commands queue in the pipe meanwhile."""
        ctx = _context()
        ours, theirs = ctx.Pipe()
        self._process = ctx.Process(target=child_main, args=(theirs, self.worker.generation, self.kind,
                                                             (i18n.language(), i18n.english_terms())),
                                    name=f"nn-playground {self.kind}", daemon=True)  # fmt: skip
        self.worker.heard = time.monotonic()
        self.worker.writer = _Writer(ours)
        self.thread = _Reader(self.worker, ours, self._process, theirs, KINDS[self.kind][3])
        self.thread.lost.connect(self._on_lost)
        self.thread.start()

    @property
    def process(self) -> Any:
        """The child's multiprocessing.Process, once started (waits for its launch, at most 30 s)."""
        if self.thread is not None:
            self.thread.launched.wait(30.0)
        return self._process

    def _launched(self) -> bool:
        """Whether the child has started; waits for a launch in progress (at most 30 s)."""
        return self.process is not None and self.thread is not None and self.thread.launch_error is None

    @Slot()
    def _check(self) -> None:
        """Ping the child, and say when it has not answered for UNRESPONSIVE_SECONDS (or again does)."""
        if self.worker.cancelled.is_set() or self.thread is None or not self.thread.isRunning():
            return
        self.worker._put(("ping",))
        quiet = time.monotonic() - self.worker.heard
        if not self.silent and quiet > UNRESPONSIVE_SECONDS:
            self.silent = True
            self.responding.emit(False, quiet)
        elif self.silent and quiet <= UNRESPONSIVE_SECONDS:
            self.silent = False
            self.responding.emit(True, 0.0)

    def restart(self) -> None:
        """End the child however it is (stopped, starved, busy) and start a new one: `restarted`
        follows, as after a death, so the session rebuilds its run."""
        if self.worker.cancelled.is_set() or not self._launched():
            return
        self._restarting = True
        self.process.kill()  # SIGKILL ends a stopped process too; its reader then reports the end

    @Slot(str)
    def _on_lost(self, how: str) -> None:
        if self.worker.cancelled.is_set():
            return
        if self.worker.writer is not None:
            self.worker.writer.close()
        if self.silent:
            self.silent = False
            self.responding.emit(True, 0.0)
        # The old reader ends right after saying `lost`; a QThread let go while it still runs aborts
        # the whole app (the launch off the UI thread made the new one start before the old ended).
        self._retired = self.thread
        if self._retired is not None:
            self._retired.wait(1000)
        self._start()
        self.restarted.emit("restarted" if self._restarting else how)
        self._restarting = False

    def send(self, command: Command) -> int:
        """Queue a command; returns its sequence number (snapshots say the last one applied)."""
        return self.worker.send(command)

    def request_stop(self) -> None:
        """Ask the child to finish without waiting for it (closing the window asks first, then waits)."""
        reader = self.thread
        if reader is not None and self._launched() and reader.isRunning():
            self._watch.stop()
            self._ask_to_stop(reader)

    def _ask_to_stop(self, reader: Any) -> None:
        reader.stopping = True  # the child's end that follows is expected, not a loss
        self.worker.cancelled.set()
        self.worker._put(("stop",))

    def stop(self, timeout_ms: int | None = 5000, grace: float = STOP_GRACE) -> bool:
        """Ask the child to finish, and kill it if it has not within `grace` seconds (a race's, which
        holds nothing to finish, gets none: closing its window never waits); True when it has
        ended. The event loop keeps running while it waits (`timeout_ms` None: until it ends)."""
        self._watch.stop()
        reader = self.thread
        if reader is None or not self._launched() or (not reader.isRunning() and not self.process.is_alive()):
            return True if reader is None else reader.wait(5000)
        self._ask_to_stop(reader)
        self.process.join(grace if timeout_ms is None else min(grace, timeout_ms / 1000))
        if self.process.is_alive():  # stopped, or a step that cannot be cut short: nothing of the user's is in it
            self.process.kill()
            self.process.join(1.0)
        if self.worker.writer is not None:
            self.worker.writer.close()
        if timeout_ms is not None:
            return reader.wait(timeout_ms)
        while not reader.wait(50):
            QCoreApplication.processEvents()
        return True


@atexit.register
def _end_trainers() -> None:
    """The interpreter is exiting with a window still open (a script's sys.exit): end each
    trainer quietly and wait for its reader, before Qt's objects are torn down under it."""
    for handle in list(_LIVE):
        try:
            reader = handle.thread
            if reader is not None:
                reader.stopping = True
                reader.blockSignals(True)
            handle.worker.blockSignals(True)  # nobody is left to receive them
            handle.stop(timeout_ms=int(STOP_GRACE * 1000) + 2000)
        except RuntimeError:  # its Qt side is gone already: the child ends with the process
            pass


__all__ = ["ProcessHandle", "ProcessWorker", "make_handle", "use_process"]
