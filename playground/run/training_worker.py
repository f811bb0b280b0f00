"""The training worker: a QObject that owns the app's trainer, run in a process of its own
(playground/run/worker_process.py) or, under NNP_TRAINER=thread, on a thread (worker_thread.py).

It runs the loop of playground/run/worker_loop.py: builds, data and live edits come as commands,
batches are trained while playing, and each frame's snapshot is made within a view budget (the
output plane's resolution, the frame rate and the image predictions' period give way so that
drawing takes at most VIEW_SHARE of the worker's time). Prepared data are kept by their data
section, so rebuilding the network, a reset or a new loss reuse them instead of reading the file
again.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.ma  # np.histogram imports it lazily: do that at start-up, not on the worker thread

from engine import PlaygroundError
from engine.core.i18n import N_, _
from engine.data import loaders
from engine.project import PreparedData, load_dataset, prepare_data
from engine.run.training import Diverged, Trainer

from .batchnorm_probe import batch_norm_stats
from .commands import (
    Build,
    Command,
    Pause,
    PickImage,
    Play,
    ProbeData,
    SetData,
    SetLive,
    SetOptimizer,
    SetViews,
    SetWeight,
    SetWeights,
    Step,
    TraceExample,
)
from .layer_maps import layer_maps
from .live_settings import apply_live, epoch_limit, live_sections
from .pacing import steps_per_epoch
from .sequence_probe import TimeProbe, sequence_picture
from .snapshot import (
    GRID_STEPS,
    Thinned,
    evaluated,
    gradient_flow,
    gradient_record,
    grid_extent,
    grid_points,
    hidden_space,
    image_eval,
    point_losses,
    take_snapshot,
)
from .tracing import make_trace
from .worker_loop import FRAME, Cancelled, LoopWorker, out_of_memory

VIEW_SHARE = 0.25  # the most of the worker's time that view work (grids, thumbnails, ...) may take
GRID_FLOPS = 3e9  # what one core does per second on a grid's forward pass (for a first guess only)
GRAD_LOG_CAP = 2000  # gradient-norm records kept per run (thinned beyond that)
IMAGE_EVAL_PERIOD = 1.0  # seconds between confusion matrices while playing (an MNIST test split is ~0.1 s)
#: What the window adds to a divergence's cause (the engine's words say what, not where to click).
AFTER_DIVERGING = N_("Then press Reset to start again from the initial weights.")
IMAGE_EVAL_SHARE = 0.05  # at most this share of the worker's time: a CNN's evaluation is spaced out further
TIME_GRADIENT_PERIOD = 0.5  # seconds between measures of the gradient through time while playing (~25 ms each)


class TrainingWorker(LoopWorker):
    """Owns the app's trainer on the worker thread."""

    #: How many prepared data sets are kept (by data section): the current one and the one before.
    DATA_CACHE = 2
    #: Applied to newly prepared data (a worker in its own process puts them in shared memory).
    share_data: Callable[[PreparedData], PreparedData] | None = None

    def __init__(self) -> None:
        super().__init__()
        self._trainer: Trainer | None = None
        self._generation = 0
        self._message = ""
        self._grid = None
        self._grid_n = GRID_STEPS[0]  # the plane's resolution, chosen by the view budget
        self._view_cost = 0.0  # seconds a frame's view work takes (smoothed)
        self._image_eval_cost = 0.0  # of this frame's, the image evaluation's (once a second)
        self._extent = None
        self._rate: deque[tuple[float, int]] = deque(maxlen=30)
        self._picked: int | np.ndarray | None = None  # the row the layer view follows (None: the first test
        # image), or an image of the user's (raw pixels from the draw pad)
        # Optional views on screen ("gradients", "hidden", "batchnorm"), and "plane_batch": the plane
        # with batch statistics.
        self._views: frozenset[str] = frozenset()
        self._grad_log = Thinned(GRAD_LOG_CAP)
        self._grad_steps = -1
        self._image_eval = None
        self._eval_after_first = self._eval_owed = False
        self._image_eval_at = 0.0
        self._evaluating = False  # inside image_eval (frames sent between its chunks skip it)
        self._image_eval_took = 0.0  # what the last one cost
        self._data: dict[str, PreparedData] = {}  # data key -> prepared data, newest last
        self.data_loads = 0  # how many times a data set was read and prepared (for tests and the benchmark)
        self._cancel_probe = 0  # data reads with a sequence number up to this one are cancelled
        self._time_probe = TimeProbe()
        self._time_gradient: Any = None  # the last measure (a TimeGradient) and when it was taken
        self._time_at = 0.0

    def _release(self) -> None:
        self._trainer = None
        self._data.clear()

    def _train_once(self) -> bool:
        return self._trainer is not None and self._step("batch")

    def _progress(self) -> tuple[float, float] | None:
        tr = self._trainer
        if tr is None:
            return None
        return tr.epoch + tr.epoch_progress, steps_per_epoch(tr.n_train, tr.batch_size, tr.last_batch)

    def _step(self, unit: str) -> bool:
        tr = self._trainer
        if tr is None or tr.stopped:
            self._playing = False
            return False
        try:
            if unit == "epoch":
                tr.train_epoch()
            else:
                tr.train_batch()
        except PlaygroundError as exc:  # Diverged included: the run pauses and says why
            self._playing = False
            self._message = str(exc) + (" " + _(AFTER_DIVERGING) if isinstance(exc, Diverged) else "")
            self._dirty = True
            return False
        self._rate.append((time.perf_counter(), tr.steps))
        self._message = tr.stop_reason if tr.stopped else ""
        if tr.stopped:
            self._playing = False
        self._dirty = True
        return True

    def _apply(self, command: Command, seq: int) -> None:
        tr = self._trainer
        try:
            match command:
                case Build():
                    try:
                        self._build(command)
                    except (PlaygroundError, MemoryError) as exc:  # the run that was going on is kept
                        self._playing = False
                        if isinstance(exc, MemoryError):  # only the running data stay: memory to go on
                            self._data = {k: v for k, v in self._data.items() if tr is not None and v is tr.data}
                        why = out_of_memory(exc, _("build this network on these data (the one running is kept)"))
                        self.build_failed.emit(seq, why)
                        return
                    self._playing = command.play and not self._trainer.stopped
                case SetData():
                    self._set_data(command)
                case ProbeData():
                    try:
                        ds = self._probe(command, seq).dataset
                        info = DataInfo(ds.problem, ds.classes, ds.image_shape, tuple(ds.notes), tuple(ds.columns),
                                        ds.label_column)  # fmt: skip
                    except (PlaygroundError, MemoryError) as exc:
                        self.data_probed.emit(seq, out_of_memory(exc, _("read these data")))
                    else:
                        self.data_probed.emit(seq, info)
                case Play():
                    self._playing = tr is not None and not tr.stopped
                case Pause():
                    self._playing = False
                case SetViews():
                    self._views = frozenset(command.views)
                case PickImage():
                    self._picked = command.row if command.pixels is None else command.pixels
                case Step():
                    self._playing = False
                    self._step(command.unit)
                    self._record_gradients(tr)  # every manual step shows in the gradient flow
                case _ if tr is None:
                    return
                case SetLive():
                    try:
                        apply_live(tr, command.changes, command.project)
                    except PlaygroundError as exc:  # refused (a batch too big to hold): the editor goes back
                        self.build_failed.emit(seq, str(exc))
                    else:
                        tr.project = live_sections(tr.project, command.project)
                case TraceExample():
                    try:
                        self.traced.emit(seq, make_trace(tr, command, self._generation))
                    except PlaygroundError as exc:
                        self.traced.emit(seq, str(exc))
                case SetOptimizer():
                    tr.set_optimizer(command.spec)
                    tr.project = live_sections(tr.project, command.project)
                case SetWeights() if self._current(command.generation):
                    tr.network.set_weights(command.weights)
                    self._image_eval = None  # predictions of the old weights
                case SetWeight() if self._current(command.generation):
                    if command.row is None:
                        tr.network.biases[command.layer][command.column] = command.value
                    else:
                        tr.network.kernels[command.layer][command.row, command.column] = command.value
                    self._image_eval = None
                case SetWeights() | SetWeight():
                    pass  # meant for a run that has been replaced since: dropped
                case _:
                    raise PlaygroundError(f"unknown worker command {command!r}")
        except PlaygroundError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a bug must not kill the thread: pause and show it
            self._fail(exc)

    def cancel_probe(self, seq: int) -> None:
        """Stop reading the data file of ProbeData `seq` at its next chunk (from the UI thread)."""
        self._cancel_probe = max(self._cancel_probe, seq)

    def _probe(self, command: ProbeData, seq: int) -> PreparedData:
        """Read a data file for the UI, reporting progress and honouring Cancel between chunks."""
        last = [0.0]

        def hook(done: int, total: int) -> None:
            if self.cancelled.is_set():
                raise Cancelled
            if self._cancel_probe >= seq:
                raise PlaygroundError(_("reading the file was cancelled; nothing changed"))
            now = time.perf_counter()
            if now - last[0] >= 0.1:
                last[0] = now
                self.probe_progress.emit(seq, done, total)

        loaders.PROGRESS["hook"] = hook
        try:
            return self._prepared(command.project, command.base_dir)
        finally:
            loaders.PROGRESS.pop("hook", None)

    def _current(self, generation: int | None) -> bool:
        return generation is None or generation == self._generation

    # ----------------------------------------------------------------- building runs
    def _prepared(self, project: dict[str, Any], base_dir: str | None) -> PreparedData:
        """The prepared data for `project`, read and prepared only when its data section, seed,
        dtype or base folder differ from one kept."""
        key = data_key(project, base_dir)
        data = self._data.pop(key, None)
        if data is None:
            data = prepare_data(project, load_dataset(project, base_dir))
            if self.share_data is not None:
                data = self.share_data(data)
            self.data_loads += 1
        self._data[key] = data  # newest last
        while len(self._data) > self.DATA_CACHE:
            self._data.pop(next(iter(self._data)))
        return data

    def _build(self, command: Build) -> None:
        project = command.project
        data = self._prepared(project, command.base_dir)
        if self._trainer is None or self._trainer.data is not data:
            self._picked = None  # another data set: the layer view starts from its first test image
        if command.redraw:
            project = {**project, "seed": (project["seed"] + command.redraw) % 2**32}
        trainer = Trainer(project, data=data)
        if command.redraw:
            trainer.project = command.project  # the same project; only the weights' draw differs
        trainer.between_chunks = self._frame_if_due  # image data: keep drawing through epoch ends
        trainer.set_epoch_limit(epoch_limit(project))
        held = trainer.network.get_weights()
        if command.weights is not None and [w.shape for w in command.weights] == [w.shape for w in held]:
            trainer.network.set_weights(command.weights)  # start weights that no longer fit: the initializer's
        self._start_run(trainer)

    def _set_data(self, command: SetData) -> None:
        tr = self._trainer
        data = self._prepared(command.project, command.base_dir)
        if tr is None or tr.data is not data:
            self._picked = None
        if tr is None or data.n_inputs != tr.network.n_inputs:
            self._build(Build(command.project, command.base_dir))
            return
        try:
            tr.set_data(data, command.project)
        except PlaygroundError:  # other classes than this network's outputs: a new network
            self._build(Build(command.project, command.base_dir))
            return
        self._extent = grid_extent(data)
        self._set_grid(tr)
        self._image_eval = None

    def _start_run(self, trainer: Trainer) -> None:
        self._trainer = trainer
        self._generation += 1
        self._message = ""
        self._rate.clear()
        self._grad_log = Thinned(GRAD_LOG_CAP)
        self._grad_steps = -1
        self._image_eval = None
        self._eval_after_first = True  # the new run's first frame goes out at once, its predictions next
        self._time_gradient = None  # it holds the trainer it measured
        self._extent = grid_extent(trainer.data)
        self._view_cost, self._frame = 0.0, FRAME  # a new network: its views are measured afresh
        self._set_grid(trainer)

    def _set_grid(self, trainer: Trainer, n: int | None = None) -> None:
        """The plane's points at `n` a side; a new run starts at the finest resolution its
        network's size lets fit the budget (an 80 × 80 grid through 8 million weights is 50 GFLOP,
        seconds before the first frame), and _budget adjusts from what frames really cost."""
        if n is None:
            macs = trainer.network.macs()
            fits = [g for g in GRID_STEPS if 2 * g * g * macs / GRID_FLOPS <= VIEW_SHARE * FRAME]
            n = fits[0] if fits else GRID_STEPS[-1]
        self._grid_n = n
        raw = None if self._extent is None else grid_points(self._extent, self._grid_n)
        self._grid = None if raw is None else trainer.data.transform(raw).astype(trainer.network.dtype)

    def _budget(self, cost: float) -> None:
        """Keep view work within VIEW_SHARE of the worker's time: a frame that cost more than its
        share lowers the plane's resolution (80 → 60 → 40 → 20 points a side; the thumbnails stay
        20 × 20), a cheap one raises it again; past the lowest, frames are spaced out instead."""
        self._view_cost = cost if self._view_cost == 0 else 0.7 * self._view_cost + 0.3 * cost
        share = VIEW_SHARE * FRAME
        tr = self._trainer
        i = GRID_STEPS.index(self._grid_n) if self._grid_n in GRID_STEPS else 0
        if tr is not None and self._grid is not None:
            if self._view_cost > share and i + 1 < len(GRID_STEPS):
                self._set_grid(tr, GRID_STEPS[i + 1])
                self._view_cost *= (GRID_STEPS[i + 1] / GRID_STEPS[i]) ** 2
            elif i > 0 and self._view_cost * (GRID_STEPS[i - 1] / GRID_STEPS[i]) ** 2 < 0.6 * share:
                self._set_grid(tr, GRID_STEPS[i - 1])
                self._view_cost *= (GRID_STEPS[i - 1] / GRID_STEPS[i]) ** 2
        # What is left over the share spaces the frames out (never below FRAME).
        self._frame = max(FRAME, self._view_cost / VIEW_SHARE)

    def _thinned(self) -> str:
        parts = []
        if self._grid is not None and self._grid_n < GRID_STEPS[0]:
            parts.append(_("output plane at {size}×{size}").format(size=self._grid_n))
        if self._frame > FRAME * 1.05:
            parts.append(_("views at {fps} fps").format(fps=f"{1 / self._frame:.0f}"))
        if self._image_eval_period() > IMAGE_EVAL_PERIOD * 1.05 and self._trainer is not None and (
                self._trainer.data.dataset.image_shape is not None):  # fmt: skip
            parts.append(_("predictions every {seconds} s").format(seconds=f"{self._image_eval_period():.1f}"))
        return _("{parts} to keep training fast").format(parts=", ".join(parts)) if parts else ""

    def _steps_per_second(self) -> float:
        if len(self._rate) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self._rate[0], self._rate[-1]
        if time.perf_counter() - t1 > 0.5:
            return 0.0
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0

    def _record_gradients(self, trainer: Trainer | None) -> None:
        """Log the per-layer gradient norms of the batch just trained (once per step)."""
        if trainer is None or trainer.steps == self._grad_steps:
            return
        self._grad_steps = trainer.steps
        with np.errstate(all="ignore"):
            record = gradient_record(trainer)
        if record is not None:
            self._grad_log.add(record)

    def _while_ui_draws(self) -> None:
        # The confusion matrix (60-75 ms at MNIST size, nearly all matrix products) is due at
        # most once a second: computed now, it overlaps a frame instead of delaying the next.
        tr = self._trainer
        if tr is not None and evaluated(tr.data):
            with np.errstate(all="ignore"):
                self._refresh_image_eval(tr)

    def _refresh_image_eval(self, trainer: Trainer) -> None:
        """Evaluate the image predictions again when they are stale and, while playing, a
        second has passed since the last time."""
        stale = self._image_eval is None or self._image_eval.steps != trainer.steps
        due = not self._playing or time.perf_counter() - self._image_eval_at >= self._image_eval_period()
        if stale and due and not self._evaluating:
            t0 = time.perf_counter()
            self._evaluating = True  # frames sent between its chunks show the last evaluation
            try:
                # While playing, frames go on between chunks (a CNN's 10,000 test images take seconds).
                self._image_eval = image_eval(trainer, self._frame_if_due if self._playing else None)
            finally:
                self._evaluating = False
            self._image_eval_at = time.perf_counter()
            self._image_eval_took = self._image_eval_at - t0
            self._image_eval_cost += self._image_eval_took  # budgeted by its own period, not per frame

    def _measure_time(self, trainer: Trainer) -> Any:
        """The gradient through time at the trainer's weights: measured again when they may have
        changed (a step, or a command such as a weight edit), at most every TIME_GRADIENT_PERIOD
        seconds while playing."""
        key = (trainer, trainer.steps, self._applied)
        due = not self._playing or time.perf_counter() - self._time_at >= TIME_GRADIENT_PERIOD
        last = self._time_gradient
        if last is None or last[0][0] is not trainer or (last[0] != key and due):
            self._time_gradient = (key, self._time_probe.measure(trainer))
            self._time_at = time.perf_counter()
        return self._time_gradient[1]

    def _image_eval_period(self) -> float:
        return max(IMAGE_EVAL_PERIOD, self._image_eval_took / IMAGE_EVAL_SHARE)

    def _extras(self, trainer: Trainer) -> dict[str, Any]:
        """The optional parts of a snapshot: gradient flow and the hidden space while their
        views are open (gradient norms are logged regardless), and image-data predictions at
        most once a second while playing."""
        self._record_gradients(trainer)
        extras: dict[str, Any] = {}
        if "gradients" in self._views:
            extras["gradients"] = gradient_flow(trainer, self._grad_log)
        if "hidden" in self._views:
            extras["hidden"] = hidden_space(trainer, self._extent)
        if "point_loss" in self._views and self._extent is not None:
            extras["point_losses"] = point_losses(trainer)
        if "batchnorm" in self._views:
            extras["batch_norm"] = batch_norm_stats(trainer)
        if trainer.data.dataset.sequence_shape is not None:
            if "unrolled" in self._views:
                picked = self._picked if isinstance(self._picked, int) else None
                extras["sequence"] = sequence_picture(trainer, picked)
            if "time" in self._views:
                extras["time_gradient"] = self._measure_time(trainer)
        if evaluated(trainer.data):  # no output plane: the views show held-out predictions instead
            if self._eval_after_first and self._image_eval is None:
                self._eval_owed = True  # 60 ms at MNIST size: an added neuron shows first, then its predictions
            else:
                self._refresh_image_eval(trainer)
            extras["image_eval"] = self._image_eval
        self._eval_after_first = False
        if trainer.data.dataset.image_shape is not None:
            if self._views & {"maps", "pad"}:  # the layer view, or the draw pad reading a big network's output
                extras["layer_maps"] = layer_maps(trainer, self._picked)
        return extras

    def _emit(self) -> None:
        if self._trainer is None:
            return
        t0 = time.perf_counter()
        self._image_eval_cost = 0.0
        with np.errstate(all="ignore"):  # a diverging run: show what there is, don't warn
            extras = self._extras(self._trainer)
        snap = take_snapshot(
            self._trainer,
            self._generation,
            self._grid,
            self._extent,
            steps_per_second=self._steps_per_second(),
            playing=self._playing,
            message=self._message,
            applied=self._applied,
            thinned=self._thinned() if self._playing else "",
            plane_batch="plane_batch" in self._views,
            **extras,
        )
        if self._playing:
            self._budget(time.perf_counter() - t0 - self._image_eval_cost)
        self._send_snapshot(snap)
        if self._eval_owed:  # the next snapshot, once this one is drawn, carries the predictions
            self._eval_owed = False
            self._dirty = True


@dataclass(frozen=True)
class DataInfo:
    """What a probed data source holds, for the file actions to set the project up for it."""

    problem: str
    classes: int
    image_shape: tuple[int, ...] | None
    notes: tuple[str, ...]
    columns: tuple[str, ...]
    label_column: str


def data_key(project: dict[str, Any], base_dir: str | None) -> str:
    """What prepared data depend on: the data section, the seed (split), the dtype, the folder. A
    file's classes are its own, so data.classes (set once the file is read) does not count for it."""
    data = project["data"]
    if isinstance(data["source"], dict) and "points" not in data["source"]:
        data = {k: v for k, v in data.items() if k not in ("classes", "samples", "noise", "sequence_length")}
    return json.dumps([data, project["seed"], project["network"]["dtype"], base_dir], sort_keys=True, default=str)

