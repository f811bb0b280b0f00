"""A GUI monkey under a watchdog: random actions on the real window while it trains, biased
toward structural edits, with time-travel restores, the race window, image and point data and
presets opened rapidly, and the trainer process stopped and resumed. The watchdog records any
uncaught exception, the longest stall of the event loop, threads left behind and the growth of
the process's memory.

`tests/test_stress.py` runs a short form in the suite; `benchmarks/monkey.py` the long one.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog

from engine import PlaygroundError
from engine.core.layers import offered
from engine.core.optimizers import OPTIMIZERS
from playground.resources import PRESETS

SOURCES = ["circle", "xor", "gauss", "spiral", "moons", "blobs", "plane", "multi_gaussian", "shapes", "digits",
           "iris"]  # fmt: skip
FEATURES = ["x1", "x2", "x1^2", "x1*x2", "sin(x2)"]
LOSSES = ["binary_crossentropy", "mse", "huber", "categorical_crossentropy", "hinge", "multiclass_hinge", "mae"]


def rss_mb() -> float:
    """The process's resident memory in MB (Linux; 0 elsewhere), after asking glibc to give
    freed heap back: a CNN's 16-MB temporaries leave arenas that RSS would count as growth for
    good (60-80 MB over a long run), where a leak is memory still in use."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _signal(pid: int, name: str) -> None:
    """Send signal `name` to `pid` if this system has it and the process is still there."""
    import os
    import signal

    if hasattr(signal, name):
        try:
            os.kill(pid, getattr(signal, name))
        except ProcessLookupError:
            pass


@dataclass
class Watchdog:
    """Heartbeats on the UI thread measure the longest stall; excepthook catches what escapes."""

    exceptions: list[str] = field(default_factory=list)
    longest_stall: float = 0.0
    _last: float = 0.0
    _timer: QTimer | None = None
    _hook: Any = None

    stall_stack: str = ""  # where the UI thread was during the longest stall past a second
    _stack_at: float = 0.0
    _stopped: Any = None  # set by stop(): the sampling thread ends

    def _sample(self) -> None:
        """A thread of its own: when the UI thread has been away over a second, note where it is
        (the stack of the longest such stall names its cause)."""
        import threading
        import traceback

        ui = threading.main_thread().ident
        while not self._stopped.wait(0.1):  # a sample every 0.1 s until stop()
            away = time.perf_counter() - self._last
            if away > 1.0 and away > self._stack_at:
                frame = sys._current_frames().get(ui)
                if frame is not None:
                    self._stack_at = away
                    self.stall_stack = "".join(traceback.format_stack(frame)[-8:])

    def start(self) -> None:
        import threading

        self._last = time.perf_counter()
        self._stopped = threading.Event()
        self._timer = QTimer()
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._beat)
        self._timer.start()
        threading.Thread(target=self._sample, name="watchdog", daemon=True).start()
        self._hook = sys.excepthook
        sys.excepthook = lambda t, v, tb: self.exceptions.append(f"{t.__name__}: {v}")

    def _beat(self) -> None:
        now = time.perf_counter()
        self.longest_stall = max(self.longest_stall, now - self._last)
        self._last = now

    def beat_now(self) -> None:
        """Between actions: the event loop ran (a stall is time the loop could not run)."""
        self._beat()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
            self._stopped.set()
        sys.excepthook = self._hook


@dataclass
class Report:
    actions: int
    counts: dict[str, int]
    exceptions: list[str]
    failures: list[str]
    longest_stall: float
    rss_growth_mb: float  # after the warm-up (the first fifth of the actions), freed heap returned: what a leak shows
    seconds: float
    rss_total_mb: float = 0.0  # from the start, caches included
    slowest: tuple[str, float] = ("", 0.0)  # the action that held the UI thread longest (name, seconds)
    stall_stack: str = ""  # the UI thread's stack during the longest stall past a second


def run_monkey(window: Any, n: int, seed: int, tmp: Path, wait: Any) -> Report:
    """`n` random actions on `window`; `wait(ms)` lets the event loop run (qtbot.wait in tests)."""
    rng = random.Random(seed)
    session, view, files = window.session, window.network, window.files
    failures: list[str] = []
    session.handle.worker.failed.connect(failures.append)
    presets = sorted(PRESETS.glob("*.json"))

    def edit(change: Any) -> None:
        try:
            change()
        except PlaygroundError:
            pass  # refused edits are part of the game

    def travel() -> None:
        kept = len(session.timeline)
        if kept:
            session.travel(rng.randrange(kept))
            if rng.random() < 0.5:
                session.use_past_weights()
            else:
                session.go_live()

    def neuron() -> None:
        layers = session.state.project["network"]["layers"]
        if layers:
            view.editor.set_units(rng.randrange(len(layers)), rng.choice([-1, 1]))

    def stack() -> None:
        """The layer stack, as a user of image data has it: add, edit, move, remove, retype."""
        layers, n = window.layers, len(session.state.project["network"]["layers"])
        if window.area.page() != "layers":
            return
        pick = rng.randrange(5)
        if pick == 0 or not n:
            layers.add_layer(rng.choice(offered()).name)
        elif pick == 1:
            layers.remove(rng.randrange(n))
        elif pick == 2:
            layers.move(rng.randrange(n), rng.choice([-1, 1]))
        elif pick == 3:
            layers.change_type(rng.randrange(n), rng.choice(offered()).name)
        else:
            key, value = rng.choice([("filters", 4), ("kernel_size", 5), ("strides", 2), ("pool_size", 3),
                                     ("padding", "valid"), ("units", 9), ("dropout", 0.2)])  # fmt: skip
            i = rng.randrange(n)
            if key in session.state.project["network"]["layers"][i]:
                layers.edit(i, key, value)

    def loss() -> None:
        window.controls.loss.setCurrentIndex(window.controls.loss.findData(rng.choice(LOSSES)))
        window.controls._loss_chosen(0)

    def rules() -> None:
        """A pick in one of the training rules' combos: the penalty, L1's rule, the split, the last batch."""
        bar, panel = window.controls, window.data_panel
        combo = rng.choice([bar.reg, bar.l1_rule, panel.split, panel.last_batch])
        combo.setCurrentIndex(rng.randrange(combo.count()))
        combo.activated.emit(combo.currentIndex())

    stopped: list[int] = []  # the trainer process's id while it is stopped

    def stop_or_resume() -> None:
        """SIGSTOP the trainer process (the window must go on, and say so past a few seconds),
        or SIGCONT it if it is stopped."""
        process = getattr(session.handle, "process", None)
        if stopped:
            _signal(stopped.pop(), "SIGCONT")
        elif process is not None and process.pid is not None:
            stopped.append(process.pid)
            _signal(process.pid, "SIGSTOP")

    def race() -> None:
        win = window.tools.open_race()
        wait(rng.choice([0, 5, 30]))
        win.close()

    actions: dict[str, tuple[int, Any]] = {  # name: (weight, action)
        "play": (3, lambda: session.set_playing(True)),
        "pause": (2, lambda: session.set_playing(False)),
        "step": (2, lambda: session.step(rng.choice(["batch", "epoch"]))),
        "reset": (1, session.reset),
        "add layer": (4, lambda: view.add_layer.isEnabled() and view.add_layer.click()),
        "remove layer": (4, lambda: view.remove_layer.isEnabled() and view.remove_layer.click()),
        "neuron": (6, neuron),
        "layer stack": (3, stack),
        "layers page": (1, lambda: window.area.show_page(rng.choice(["neurons", "layers"]))),
        "pick image": (1, lambda: session.pick_image(rng.randrange(-5, 3000))),
        "feature": (3, lambda: edit(lambda: view.toggle_feature(rng.choice(FEATURES)))),
        "dataset": (3, lambda: window.data_panel._choose_source(rng.choice(SOURCES))),
        "optimizer": (1, lambda: edit(lambda: session.state.set(
            "training.optimizer", {"name": rng.choice(OPTIMIZERS.names()), "learning_rate": 0.01}))),
        "loss": (1, lambda: edit(loss)),
        "learning rate": (1, lambda: edit(lambda: session.state.set(
            "training.optimizer.learning_rate", rng.choice([0.001, 0.03, 0.3, 3.0])))),
        "batch": (1, lambda: window.data_panel.batch.setValue(rng.choice([1, 10, 50, 500]))),
        "rules": (1, lambda: edit(rules)),
        "travel": (3, travel),
        "race": (1, race),
        "preset": (2, lambda: files.open_project(rng.choice(presets), preset=True)),
        "export": (1, lambda: files.export_weights(tmp / "w.npz")),
        "dialog": (1, lambda: window.tools.show_summary() and [d.close() for d in window.findChildren(QDialog)]),
        "events": (3, lambda: wait(rng.choice([0, 1, 5, 20]))),
        "stop/resume trainer": (1, stop_or_resume),
    }
    names = list(actions)
    weights = [actions[k][0] for k in names]
    counts = dict.fromkeys(names, 0)
    dog = Watchdog()
    wait(50)
    start_rss = rss_mb()
    before = start_rss
    warm = max(50, n // 5)  # bounded caches (time travel's 64 MB, two data sets) fill first
    slowest = ("", 0.0)  # the action that kept the UI thread longest, and for how long
    dog.start()
    started = time.perf_counter()
    try:
        for i in range(n):
            if i == warm:
                before = rss_mb()
            name = rng.choices(names, weights)[0]
            counts[name] += 1
            began = time.perf_counter()
            actions[name][1]()
            took = time.perf_counter() - began
            if took > slowest[1] and name != "events":  # "events" waits on purpose
                slowest = (name, took)
            if i % 10 == 0:
                wait(1)
                dog.beat_now()
        while stopped:
            stop_or_resume()
        session.set_playing(False)
        wait(100)
    finally:
        while stopped:
            stop_or_resume()
        dog.stop()
        for d in window.findChildren(QDialog):
            d.close()
        QApplication.processEvents()
    end = rss_mb()
    return Report(n, counts, dog.exceptions, failures, dog.longest_stall, end - before, time.perf_counter() - started,
                  end - start_rss, slowest, dog.stall_stack)  # fmt: skip
