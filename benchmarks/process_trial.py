"""What a trainer in its own process would buy (issue 15, item 3): the real window, with its
training worker moved into a child process for this measurement only, against the engine
alone, timed in turns as `bench.py --budget` does.

The child runs the app's own `TrainingWorker` loop; commands go to it and snapshots come back
over a pipe (the prepared data once per data set, then a token). The UI side is the unchanged
window. This is a measurement, not a second backend of the app: it forwards only what a
benchmark run uses (builds, play, pause, views, snapshots), which is why it lives here.

    .venv/bin/python benchmarks/process_trial.py [--quick]
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import sys
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]


class _TrainOn:
    """The worker's "UI ready" event without the wait before training."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def wait(self, timeout: float | None = None) -> bool:
        return self.event.is_set()

    def is_set(self) -> bool:
        return self.event.is_set()

    def set(self) -> None:
        self.event.set()

    def clear(self) -> None:
        self.event.clear()


def child_main(conn) -> None:
    """The child: the app's TrainingWorker loop, fed from the pipe, snapshots sent back."""
    from playground.worker import TrainingWorker

    worker = TrainingWorker()
    if os.environ.get("NNP_TRIAL_STEP_ASIDE") != "1":
        # The thread steps aside while the UI draws, because both share one GIL. A process
        # shares nothing: it trains on, and only the next snapshot waits for the frame drawn.
        worker._ui_ready = _TrainOn(worker._ui_ready)
    sent_data: dict[int, int] = {}
    lock = threading.Lock()

    def on_snapshot(snap) -> None:
        token = sent_data.get(id(snap.data))
        with lock:
            if token is None:  # a new data set: it goes once, later snapshots name it
                token = sent_data[id(snap.data)] = len(sent_data) + 1
                conn.send(("data", token, snap.data))
            conn.send(("snapshot", token, dataclasses.replace(snap, data=None)))

    def forward(name):
        return lambda *args: conn.send((name, *args))

    worker.snapshot_ready.connect(on_snapshot)
    for name in ("failed", "build_failed"):
        getattr(worker, name).connect(forward(name))

    def reader() -> None:
        while True:
            kind, *rest = conn.recv()
            if kind == "command":
                worker.send(rest[0])
            elif kind == "consumed":
                worker.snapshot_consumed()
            else:
                from playground.commands import Stop

                worker.cancelled.set()
                worker.send(Stop())
                return

    threading.Thread(target=reader, daemon=True).start()
    worker.run()  # the loop on this process's main thread
    conn.send(("finished",))


def install() -> None:
    """Replace the session's worker handle with one whose worker lives in a child process."""
    from PySide6.QtCore import QObject, QThread, Signal

    import playground.session as session_module

    class ProcessWorker(QObject):
        snapshot_ready = Signal(object)
        failed = Signal(str)
        build_failed = Signal(int, str)
        data_probed = Signal(int, object)
        traced = Signal(int, object)
        probe_progress = Signal(int, int, int)
        finished = Signal()

        def __init__(self, conn) -> None:
            super().__init__()
            self.conn, self.seq, self.cancelled = conn, 0, threading.Event()
            self._lock = threading.Lock()

        def send(self, command) -> int:
            with self._lock:
                self.seq += 1  # the child numbers its commands in the same order
                self.conn.send(("command", command))
                return self.seq

        def snapshot_consumed(self) -> None:
            with self._lock:
                self.conn.send(("consumed",))

        def cancel_probe(self, seq: int) -> None:
            pass

    class Reader(QThread):
        def __init__(self, worker: ProcessWorker) -> None:
            super().__init__()
            self.worker, self.data = worker, {}

        def run(self) -> None:
            while True:
                try:
                    kind, *rest = self.worker.conn.recv()
                except EOFError:
                    return
                if kind == "data":
                    self.data[rest[0]] = rest[1]
                elif kind == "snapshot":
                    self.worker.snapshot_ready.emit(dataclasses.replace(rest[1], data=self.data[rest[0]]))
                elif kind == "finished":
                    self.worker.finished.emit()
                    return
                else:
                    getattr(self.worker, kind).emit(*rest)

    class ProcessHandle(QObject):
        def __init__(self, parent=None, worker=None) -> None:
            super().__init__(parent)
            ours, theirs = mp.Pipe()
            self.process = mp.get_context("spawn").Process(target=child_main, args=(theirs,), daemon=True)
            self.process.start()
            self.worker = ProcessWorker(ours)
            self.thread = Reader(self.worker)
            self.thread.start()

        def send(self, command) -> int:
            return self.worker.send(command)

        def stop(self, timeout_ms: int | None = 5000) -> bool:
            if self.process.is_alive():
                self.worker.conn.send(("stop",))
                self.process.join(5)
            self.thread.wait(timeout_ms or 5000)
            return True

    session_module.WorkerHandle = ProcessHandle


def main() -> int:
    import tempfile

    import bench

    quick = "--quick" in sys.argv
    seconds = 4 if quick else 8
    folder = tempfile.TemporaryDirectory()
    cases = [*bench.budget_projects(), ("MNIST-size images (784-128-10)", bench.mnist_sized_project(Path(folder.name)))]
    print(f"trainer in a child process, {os.cpu_count()} cores (issue 15, item 3)", flush=True)
    print("| set-up | app steps/s | engine alone | app / engine | redraws/s | lateness p95 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, project in cases:
        r, engine, ratio, p95 = bench.app_against_engine(project, seconds, child_script=Path(__file__))
        print(f"| {label} | {r['steps_per_s']:,.0f} | {engine:,.0f} | {ratio:.2f} | "
              f"{r['redraws_per_s']:.1f} | {p95:.1f} ms |", flush=True)  # fmt: skip
    folder.cleanup()
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":  # one app run, as bench.py's child, with the process handle
        install()
        import bench

        sys.exit(bench.child(*sys.argv[2:5]))
    sys.exit(main())
