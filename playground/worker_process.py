"""The trainer in a child process: the same `TrainingWorker`, a second interpreter.

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

`NNP_TRAINER=thread` keeps the worker on a thread in the app's process (what the test suite
uses, so its tests can reach into the worker; tests/test_worker_process.py covers this one).
"""

from __future__ import annotations

import dataclasses
import io
import mmap
import multiprocessing as mp
import os
import pickle
import socket
import sys
import tempfile
import threading
import weakref
from array import array
from multiprocessing import reduction
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from engine.training import Series

from .commands import Command, Stop

TRAINER_ENV = "NNP_TRAINER"  # "process" (the default) or "thread"
#: What a snapshot usually shares with the one before: sent again only when it is a new object.
MEMO_FIELDS = ("data", "project", "image_eval", "layer_maps")
#: Signals of the worker forwarded from the child as they are.
FORWARDED = ("failed", "build_failed", "data_probed", "traced", "probe_progress")
STOP_GRACE = 2.0  # seconds a stopping child may take to finish its step before it is killed
SHARE_BYTES = 1 << 20  # arrays of prepared data this big are shared instead of copied
#: Descriptors can be passed between processes (Unix sockets): else the data are pickled whole.
SHARING = hasattr(socket, "AF_UNIX") and hasattr(socket, "CMSG_LEN") and os.name == "posix"


def use_process() -> bool:
    """Whether new windows train in a child process (NNP_TRAINER, default "process")."""
    return os.environ.get(TRAINER_ENV, "process").strip().lower() != "thread"


def make_handle(parent: QObject | None = None) -> Any:
    """The session's worker handle: a child process unless NNP_TRAINER=thread."""
    if use_process():
        return ProcessHandle(parent)
    from .worker import WorkerHandle

    return WorkerHandle(parent)


# ===================================================================== the wire format
#: Child side: id of a shared array -> (the array, weakly; descriptor, offset). Only the very
#: arrays placed in a mapping are described, never a view or a copy made from one.
_SHARED: dict[int, tuple[weakref.ref, int, int]] = {}


def _anonymous_file(size: int) -> int:
    """A descriptor of `size` bytes of memory with no name anywhere (nothing to clean up)."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("nn-playground-data", os.MFD_CLOEXEC)
    else:  # macOS: a temporary file, already unlinked
        with tempfile.TemporaryFile() as f:
            fd = os.dup(f.fileno())
    os.ftruncate(fd, max(size, 1))
    return fd


def share_data(data: Any) -> Any:
    """`data` (PreparedData) with its arrays of SHARE_BYTES or more moved into one shared
    mapping, so the trainer and the window read the same pages (child side)."""
    if not SHARING:
        return data
    parts = [(owner, f.name) for owner in (data, data.dataset) for f in dataclasses.fields(owner)]
    big = [(owner, name) for owner, name in parts
           if isinstance(getattr(owner, name), np.ndarray) and getattr(owner, name).nbytes >= SHARE_BYTES]  # fmt: skip
    if not big:
        return data
    sizes = [-(-getattr(owner, name).nbytes // 64) * 64 for owner, name in big]  # 64-byte aligned
    fd = _anonymous_file(sum(sizes))
    mapped = mmap.mmap(fd, sum(sizes))
    weakref.finalize(mapped, os.close, fd)  # the descriptor lives as long as an array uses the mapping
    moved: dict[int, dict[str, np.ndarray]] = {id(data): {}, id(data.dataset): {}}
    offset = 0
    for (owner, name), size in zip(big, sizes, strict=True):
        old = getattr(owner, name)
        new = np.ndarray(old.shape, old.dtype, buffer=mapped, offset=offset)
        new[...] = old
        key = id(new)
        _SHARED[key] = (weakref.ref(new, lambda _ref, key=key: _SHARED.pop(key, None)), fd, offset)
        moved[id(owner)][name] = new
        offset += size
    dataset = dataclasses.replace(data.dataset, **moved[id(data.dataset)])
    return dataclasses.replace(data, dataset=dataset, **moved[id(data)])


def dumps_data(data: Any) -> tuple[bytes, list[int]]:
    """Prepared data pickled with each shared array as (descriptor index, offset, shape, dtype),
    and the descriptors to pass along (child side)."""
    fds: list[int] = []

    class DataPickler(pickle.Pickler):
        def persistent_id(self, obj: Any) -> Any:
            if type(obj) is not np.ndarray:
                return None
            entry = _SHARED.get(id(obj))
            if entry is None or entry[0]() is not obj:
                return None
            if entry[1] not in fds:
                fds.append(entry[1])
            return ("shared", fds.index(entry[1]), entry[2], obj.shape, obj.dtype.str)

    out = io.BytesIO()
    DataPickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(data)
    return out.getvalue(), fds


def loads_data(blob: bytes, fds: list[int]) -> Any:
    """The other end of `dumps_data`: shared arrays map the passed descriptors, read-only (UI side)."""
    maps = []
    for fd in fds:
        try:
            maps.append(mmap.mmap(fd, 0, access=mmap.ACCESS_READ))
        finally:
            os.close(fd)  # the mapping keeps the memory

    class DataUnpickler(pickle.Unpickler):
        def persistent_load(self, pid: Any) -> Any:
            _kind, index, offset, shape, dtype = pid
            return np.ndarray(shape, np.dtype(dtype), buffer=maps[index], offset=offset)

    return DataUnpickler(io.BytesIO(blob)).load()


class Packer:
    """Child side: a snapshot made small for the pipe, relative to the last one sent."""

    def __init__(self) -> None:
        self._last: dict[str, Any] = {}  # held, so an id is never reused while compared
        self._history: dict[str, tuple[array, int]] = {}

    def pack(self, snap: Any) -> tuple[Any, tuple[str, ...], dict[str, tuple[bool, array]], bytes, list[int]]:
        """(snapshot without what is sent apart or not at all, the fields unchanged since the
        last one, the history's new values, the prepared data pickled when new, their descriptors)."""
        same = []
        for name in MEMO_FIELDS:
            value = getattr(snap, name)
            if name in self._last and self._last[name] is value:
                same.append(name)
            else:
                self._last[name] = value
        history: dict[str, tuple[bool, array]] = {}
        for key, series in snap.history.items():
            values, n = series.source, len(series)
            sent = self._history.get(key)
            if sent is not None and sent[0] is values and sent[1] <= n:
                history[key] = (False, values[sent[1] : n])  # only what was added since
            else:
                history[key] = (True, values[:n])
            self._history[key] = (values, n)
        blob, fds = dumps_data(snap.data) if "data" not in same else (b"", [])
        light = dataclasses.replace(snap, **{**{name: None for name in same}, "history": {}, "data": None})
        return light, tuple(same), history, blob, fds


class Unpacker:
    """UI side: the snapshot again, sharing with the last one what the child did not resend."""

    def __init__(self) -> None:
        self._last: dict[str, Any] = {}
        self._history: dict[str, array] = {}

    def unpack(self, light: Any, same: tuple[str, ...], history: dict[str, tuple[bool, array]], data: Any) -> Any:
        if "data" not in same:
            light = dataclasses.replace(light, data=data)
        for name in MEMO_FIELDS:
            if name not in same:
                self._last[name] = getattr(light, name)
        series = {}
        for key, (full, values) in history.items():
            if full or key not in self._history:
                self._history[key] = values  # a new run's series: earlier snapshots keep the old array
            else:
                self._history[key].extend(values)
            series[key] = Series(self._history[key], len(self._history[key]))
        return dataclasses.replace(light, history=series, **{name: self._last[name] for name in same})


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


def child_main(conn: Any) -> None:
    """The trainer process: the app's TrainingWorker loop, fed and read through `conn`."""
    _die_with_parent()
    from .worker import TrainingWorker

    worker = TrainingWorker()
    worker.steps_aside = False
    worker.share_data = share_data
    packer = Packer()
    lock = threading.Lock()

    def put(message: tuple, fds: tuple[int, ...] = ()) -> None:
        with lock:
            try:
                conn.send(message)
                for fd in fds:  # right after the message that counts them
                    reduction.send_handle(conn, fd, 0)
            except (OSError, ValueError):  # the app is gone: the reader below ends this process
                pass

    def snapshot(snap: Any) -> None:
        try:
            light, same, history, blob, fds = packer.pack(snap)
        except Exception as exc:  # a snapshot that cannot cross: say so, and let the loop go on
            put(("signal", "failed", (f"A snapshot could not reach the window: {exc.__class__.__name__}: {exc}",)))
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
                elif kind == "cancel_probe":
                    worker.cancel_probe(rest[0])
                elif kind == "stop":
                    break
        except (EOFError, OSError):  # the app closed or died: nobody to train for
            pass
        worker.cancelled.set()
        worker.send(Stop(), 0)
        # A step that cannot be cut short (a file being read) does not keep the process alive.
        threading.Timer(STOP_GRACE, os._exit, args=(0,)).start()

    threading.Thread(target=read, name="commands", daemon=True).start()
    try:
        worker.run()
    finally:
        put(("finished",))
        os._exit(0)  # no interpreter teardown: the Timer above and Qt's statics need none


# ===================================================================== the UI side
class ProcessWorker(QObject):
    """The UI's view of the worker in the child: its signals, and the three calls the UI makes."""

    snapshot_ready = Signal(object)
    failed = Signal(str)
    build_failed = Signal(int, str)
    data_probed = Signal(int, object)
    traced = Signal(int, object)
    probe_progress = Signal(int, int, int)
    finished = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.cancelled = threading.Event()
        self.conn: Any = None
        self._seq = 0
        self._lock = threading.Lock()  # one writer at a time; numbers in the order sent

    def _put(self, message: tuple) -> None:
        try:
            self.conn.send(message)
        except (OSError, ValueError, AttributeError):  # the child has gone: its reader reports it
            pass

    def send(self, command: Command) -> int:
        """Queue a command for the child; returns its sequence number."""
        if not isinstance(command, Command):
            raise TypeError(f"not a worker command: {command!r}")
        with self._lock:
            self._seq += 1
            self._put(("command", self._seq, command))
            return self._seq

    def snapshot_consumed(self) -> None:
        """The UI drew the last snapshot; the next one may be sent."""
        with self._lock:
            self._put(("consumed",))

    def cancel_probe(self, seq: int) -> None:
        """Stop reading the data file of ProbeData `seq` at its next chunk."""
        with self._lock:
            self._put(("cancel_probe", seq))


class _Reader(QThread):
    """Receives from one child and emits on the UI's worker object (queued to UI slots)."""

    lost = Signal(str)  # the child ended without being asked

    def __init__(self, worker: ProcessWorker, conn: Any, process: Any) -> None:
        super().__init__()
        self.worker, self.conn, self.process = worker, conn, process
        self.stopping = False
        self.setObjectName("trainer-reader")

    def run(self) -> None:
        unpacker = Unpacker()
        while True:
            try:
                kind, *rest = self.conn.recv()
            except (EOFError, OSError):
                break
            if kind == "snapshot":
                light, same, history, blob, n_fds = rest
                try:
                    fds = [reduction.recv_handle(self.conn) for _ in range(n_fds)]
                except (EOFError, OSError):
                    break
                data = loads_data(blob, fds) if blob else None
                self.worker.snapshot_ready.emit(unpacker.unpack(light, same, history, data))
            elif kind == "signal":
                getattr(self.worker, rest[0]).emit(*rest[1])
            elif kind == "finished":
                break
        self.conn.close()
        self.process.join(STOP_GRACE)
        if not self.stopping:
            code = self.process.exitcode
            how = f"exit code {code}" if code is None or code >= 0 else f"signal {-code}"
            self.lost.emit(f"The training process ended unexpectedly ({how}). A new one has started "
                           "with this project's initial weights; press Play to go on.")  # fmt: skip
        self.worker.finished.emit()


def _context() -> Any:
    """A fork server where there is one: a child forks from a process that has the engine
    loaded (about 20 ms) instead of starting Python again (about a second), and never from
    the app, whose Qt threads a fork would copy half-way."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["playground.worker_process", "playground.worker"])
        return ctx
    return mp.get_context("spawn")


class ProcessHandle(QObject):
    """Owns the trainer process from the UI side: start, send, a clean stop, and a new child
    (with `restarted`) when one dies on its own."""

    restarted = Signal()  # a new child after the last one died: the session rebuilds its run

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = ProcessWorker()
        self.process: Any = None
        self.thread: _Reader | None = None
        self._start()

    def _start(self) -> None:
        ctx = _context()
        ours, theirs = ctx.Pipe()
        self.process = ctx.Process(target=child_main, args=(theirs,), name="nn-playground trainer", daemon=True)
        self.process.start()
        theirs.close()  # the child's end lives in the child only: its death closes the pipe
        self.worker.conn = ours
        self.thread = _Reader(self.worker, ours, self.process)
        self.thread.lost.connect(self._on_lost)
        self.thread.start()

    @Slot(str)
    def _on_lost(self, message: str) -> None:
        if self.worker.cancelled.is_set():
            return
        self.worker.failed.emit(message)
        self._start()
        self.restarted.emit()

    def send(self, command: Command) -> int:
        """Queue a command; returns its sequence number (snapshots say the last one applied)."""
        return self.worker.send(command)

    def stop(self, timeout_ms: int | None = 5000) -> bool:
        """Ask the child to finish, and kill it if it has not within its grace; True when it has
        ended. The event loop keeps running while it waits (`timeout_ms` None: until it ends)."""
        reader = self.thread
        if reader is None or (not reader.isRunning() and not self.process.is_alive()):
            return True
        reader.stopping = True
        self.worker.cancelled.set()
        with self.worker._lock:
            self.worker._put(("stop",))
        self.process.join(STOP_GRACE if timeout_ms is None else min(STOP_GRACE, timeout_ms / 1000))
        if self.process.is_alive():  # a step that cannot be cut short: nothing of the user's is in it
            self.process.kill()
            self.process.join(1.0)
        if timeout_ms is not None:
            return reader.wait(timeout_ms)
        while not reader.wait(50):
            QCoreApplication.processEvents()
        return True


__all__ = ["ProcessHandle", "ProcessWorker", "make_handle", "use_process"]
