"""The run, without widgets: the project being edited, the worker, the run history, the
timeline and the snapshot the views show.

Everything the user does reaches the engine through here. A transaction of the project state
(playground/run/state.py) becomes at most one worker command, chosen by its effect in the field
table: LIVE edits go to the running trainer, OPTIMIZER swaps the optimizer, NETWORK rebuilds the
network on the prepared data the worker already holds, DATA reads them again (or, for a drawn
point, hands the same network the new points). Views subscribe to the signals; tests drive the
same methods and wait for `snapshot.applied >= seq` instead of sleeping.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from engine import PlaygroundError
from engine.core.i18n import _, ngettext
from engine.core.model import Model
from engine.project import build_network
from engine.project.fields import Effect, field

from .batch_rules import too_small
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
    SetSpeed,
    SetViews,
    SetWeight,
    SetWeights,
    Step,
)
from .pacing import FASTEST, Speed
from .runs import RunHistory
from .snapshot import Snapshot
from .state import Change, ProjectState, get_path
from .timeline import Timeline
from .worker_process import RAN_OUT, ProcessHandle, make_handle

ERROR_REPEAT_SECONDS = 10.0  # the same error again within this long is not shown again
ERROR_STORM = 3  # ...and this many repeats pause the run with one banner
TIMELINE_PERIOD = 0.1  # seconds between time-slider range updates while playing
WATCH_PERIOD = 3.0  # seconds between new numbers in the loss watch's banner (a new text every epoch is unreadable)


class Session(QObject):
    frame = Signal(object, bool)  # the snapshot to draw (live or past), and "draw the slow views too"
    playing_changed = Signal(bool)
    timeline_changed = Signal(int)  # snapshots kept (the slider's range)
    travelled = Signal(object, int)  # epoch shown (None: live) and the live epoch
    message = Signal(str)  # for the status bar
    banner = Signal(str, str)  # text and kind ("error", "warning", "info"); empty text hides it
    error = Signal(str, str)  # title and text of an error worth a dialog
    data_probed = Signal(int, object)  # a ProbeData's sequence number, and a DataInfo or why not (str)
    probe_progress = Signal(int, int, int)  # a ProbeData's sequence number, bytes read, bytes in all
    responding = Signal(bool, float)  # the trainer stopped answering (False, seconds silent), or answers again

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = ProjectState()
        self.handle = make_handle(self)  # the trainer: a child process, or a thread (NNP_TRAINER)
        self.run_history = RunHistory()
        self.timeline = Timeline()
        self.snapshot: Snapshot | None = None  # the newest from the worker
        self.shown: Snapshot | None = None  # what the views draw: the newest, or a past one
        self.travel_index: int | None = None  # index into the timeline, None when live
        self.playing = False
        self.views: set[str] = set()
        self.speed = FASTEST  # the pace the trainer keeps while playing (the window's preference)
        self._timeline_at = 0.0
        self._draws = 0  # new draws of initial weights asked for (Reset keeps the same start)
        #: The weights this project's runs start from instead of its initializer's (an imported
        #: model's), wherever they fit the network: Reset returns to them, a new draw drops them.
        self.start: list[np.ndarray] | None = None
        self._next_start: list[np.ndarray] | None = None  # for the project replace() is opening
        self._start_file: str | None = None  # the file of start weights just opened, until its run's first snapshot
        self._errors: dict[str, list[float]] = {}
        self._shown = ""  # the banner's text
        self._watching = ""  # the loss watch's words on the banner ("" while the banner shows anything else)
        self._watch_at = 0.0  # when they were last put there
        self.handle.worker.snapshot_ready.connect(self._on_snapshot)
        self.handle.worker.failed.connect(self._on_failed)
        self.handle.worker.build_failed.connect(self._on_build_failed)
        self.handle.worker.data_probed.connect(self._on_data_probed)
        self.handle.worker.probe_progress.connect(self.probe_progress)
        if isinstance(self.handle, ProcessHandle):
            self.handle.restarted.connect(self._on_restarted)
            self.handle.responding.connect(self._on_responding)
        self.state.changed.connect(self._on_changed)
        self.last_sent = 0
        self.rebuild()

    # ----------------------------------------------------------------- commands
    def send(self, command: Command) -> int:
        """Send a worker command; its sequence number (snapshots say the last one applied)."""
        self.last_sent = self.handle.send(command)
        return self.last_sent

    def rebuild(self, weights: list[np.ndarray] | None = None, redraw: int = 0) -> int:
        """A fresh run of the current project (its initial weights unless `weights` are given)."""
        return self.send(Build(self.state.project, self.state.base_dir, weights, redraw, self.playing))

    def replace(self, project: dict[str, Any], path: Path | None = None, start: list[np.ndarray] | None = None,
                dirty: bool = False, start_file: str | None = None) -> None:  # fmt: skip
        """Open `project` (ProjectState.replace), its runs starting from `start` (an imported
        model's weights) instead of its initializer's; one build. `start_file`: the file they came
        from (app.weights), named on the banner if they turn out not to fit the network."""
        self._next_start = None if start is None else [np.array(w) for w in start]
        try:
            self.state.replace(project, path, dirty=dirty)
        finally:
            self._next_start = None
        self._start_file = start_file if start is not None else None  # its run's first snapshot comes later

    def _initial(self) -> list[np.ndarray] | None:
        return None if self.start is None else [w.copy() for w in self.start]

    def set_playing(self, on: bool) -> int:
        on = bool(on)
        if on != self.playing:
            self.playing = on
            self.playing_changed.emit(on)
        if on:
            self.say("", "")
            if self.travel_index is not None:
                self.go_live()
        return self.send(Play() if on else Pause())

    def set_speed(self, speed: Speed) -> int | None:
        """Train at `speed` while playing (playground/run/pacing.py); None when it is the speed already."""
        if speed == self.speed:
            return None
        self.speed = speed
        return self.send(SetSpeed(speed))

    def step(self, unit: str = "batch") -> int:
        self.set_playing(False)
        return self.send(Step("epoch" if unit == "epoch" else "batch"))

    def reset(self) -> int:
        """Epoch 0 with the same initial weights as before (an imported model's, where they fit):
        a fair start for comparisons."""
        self.say("", "")
        return self.rebuild(self._initial())

    def new_weights(self) -> int:
        """Epoch 0 with a new draw of initial weights, on the same data."""
        self.say("", "")
        self.start = None
        self._draws += 1
        return self.rebuild(redraw=self._draws)

    def set_view(self, name: str, on: bool) -> None:
        """Views whose data the worker computes only while they are on screen."""
        before = set(self.views)
        (self.views.add if on else self.views.discard)(name)
        if self.views != before:
            self.send(SetViews(frozenset(self.views)))

    def pick_image(self, row: int | None) -> int:
        """The data-set row whose feature maps the layer view follows."""
        return self.send(PickImage(row))

    def pick_drawn(self, pixels: np.ndarray) -> int:
        """An image of the user's (one raw data row, from the draw pad) for the layer view instead."""
        return self.send(PickImage(pixels=pixels))

    def set_weights(self, weights: list[np.ndarray], generation: int | None = None) -> int:
        return self.send(SetWeights(weights, generation))

    def edit_weight(self, layer: int, row: int | None, column: int, value: float) -> int:
        gen = self.snapshot.generation if self.snapshot is not None else None
        return self.send(SetWeight(layer, row, column, value, gen))

    def _on_changed(self, change: Change) -> None:
        """One transaction, one command; an edit that leaves the batch too small for the layers
        (batch normalization at a batch size of 1) is taken back and said in the banner."""
        project = change.project
        if change.effect == Effect.NONE:
            return
        snap = self.snapshot
        if not change.replaced and snap is not None and change.touches("network", "training.batch_size"):
            refused = too_small(project, snap.data.dataset, snap.data.n_inputs)
            if refused:
                self.state.revert(change.previous)
                self.banner.emit(refused, "error")
                return
        if change.effect == Effect.LIVE:
            live = tuple((p, get_path(project, p)) for p in sorted(change.paths) if field(p).effect == Effect.LIVE)
            self.send(SetLive(live, project))
        elif change.effect == Effect.OPTIMIZER:
            self.send(SetOptimizer(project["training"]["optimizer"], project))
        elif change.effect == Effect.DATA and not change.replaced and _only_points(change):
            self.send(SetData(project, self.state.base_dir))
        else:
            if change.replaced:
                self.start = self._next_start
            self.rebuild(self._initial())

    # ----------------------------------------------------------------- snapshots
    @Slot(object)
    def _on_snapshot(self, snap: Snapshot) -> None:
        try:
            self.snapshot = snap
            new_run = self.run_history.update(snap)
            kept = self.timeline.add(snap)
            now = time.perf_counter()
            if new_run or (kept and (not snap.playing or now - self._timeline_at >= TIMELINE_PERIOD)):
                self._timeline_at = now
                self.timeline_changed.emit(len(self.timeline))
            if self.travel_index is not None and (snap.playing or new_run):
                self.go_live(draw=False)  # training on (or a new run) brings the views back to now
            if self.playing and not snap.playing and snap.message:
                self.playing = False
                self.playing_changed.emit(False)
            if snap.message:
                self.say(snap.message, "info" if snap.stopped else "error")
            elif new_run and snap.warnings:
                self.say(" ".join(w[0].upper() + w[1:] for w in snap.warnings), "info")
            else:
                self._watch(snap, now)
            if new_run and self._start_file is not None and snap.project == self.state.project:
                self._check_start(snap)
            if self.travel_index is None:
                self.shown = snap
                self.frame.emit(snap, new_run)
        finally:
            # Report the frame drawn only after the repaint it triggered (a 1 ms timer runs after
            # the pending paint events), so the worker stays out of the way while Qt paints.
            QTimer.singleShot(1, self.handle.worker.snapshot_consumed)

    def _check_start(self, snap: Snapshot) -> None:
        """Start weights opened from a file (app.weights) that do not fit the network: the worker
        starts from the initializer's instead; the banner says so and how to go on."""
        name, self._start_file = self._start_file, None
        start = self.start or []
        if [w.shape for w in start] == [w.shape for w in snap.weights]:
            return
        i = next((i for i, (a, b) in enumerate(zip(start, snap.weights)) if a.shape != b.shape), None)
        if i is None:
            shapes = ngettext("{file} holds {count} array, this network has {held}",
                              "{file} holds {count} arrays, this network has {held}", len(start)).format(
                file=name, count=len(start), held=len(snap.weights))
        else:
            shapes = _("array {index} of {file} has shape {have}, this network's {want}").format(
                index=i + 1, file=name, have=start[i].shape, want=snap.weights[i].shape)
        self.say(_("The project's initial weights (app.weights) do not fit its network: {shapes}. The run starts from "
                   "the initializer's weights. Give the project weights that fit, or remove app.weights from it.")
                 .format(shapes=shapes), "error")

    def say(self, text: str, kind: str) -> None:
        """Put `text` on the window's banner ("" hides it), remembering whether it is the loss watch's."""
        self._shown = text
        self._watching = text if kind == "warning" else ""
        self.banner.emit(text, kind)

    def _watch(self, snap: Snapshot, now: float) -> None:
        """The loss watch's words while its pattern lasts (new numbers every WATCH_PERIOD), gone with it;
        never over another message."""
        if snap.loss_warning and snap.loss_warning != self._watching and self._shown == self._watching:
            if not self._watching or now - self._watch_at >= WATCH_PERIOD:
                self._watch_at = now
                self.say(snap.loss_warning, "warning")
        elif not snap.loss_warning and self._watching:
            self.say("", "")

    def travel(self, index: int | None) -> None:
        """Show a kept snapshot (pausing the run) or, for None, the newest one."""
        live = self.snapshot
        if live is None:
            return
        if index is None or not 0 <= index < len(self.timeline):
            self.go_live()
            return
        if self.playing:
            self.set_playing(False)
        self.travel_index = index
        self.shown = self.timeline.at(index, live)
        self.travelled.emit(self.shown.epoch, live.epoch)
        self.frame.emit(self.shown, True)

    def go_live(self, draw: bool = True) -> None:
        self.travel_index = None
        live = self.snapshot
        if live is None:
            return
        self.shown = live
        self.travelled.emit(None, live.epoch)
        if draw:
            self.frame.emit(live, True)

    def use_past_weights(self) -> int | None:
        """Carry on training from the weights of the epoch shown."""
        past = self.shown
        if self.travel_index is None or past is None:
            return None
        self.go_live()
        seq = self.set_weights([w.copy() for w in past.weights], past.generation)
        self.message.emit(_("Carrying on from the weights of epoch {epoch}").format(epoch=f"{past.epoch:,}"))
        return seq

    # ----------------------------------------------------------------- drawn points
    def _points(self) -> tuple[list[list[float]], list[Any]] | None:
        snap = self.snapshot
        if snap is None or snap.extent is None:
            return None
        ds = snap.data.dataset
        return ds.x.tolist(), ds.y.tolist()

    def add_point(self, x: float, y: float, label: int) -> bool:
        pts = self._points()
        if pts is None:
            return False
        xs, ys = pts
        xs.append([float(x), float(y)])
        ys.append(int(label))
        return self._set_points(xs, ys)

    def erase_point(self, x: float, y: float) -> bool:
        pts = self._points()
        if pts is None or len(pts[0]) <= 2:
            return False
        xs, ys = pts
        d = np.hypot(np.array(xs)[:, 0] - x, np.array(xs)[:, 1] - y)
        k = int(np.argmin(d))
        del xs[k], ys[k]
        return self._set_points(xs, ys)

    def _set_points(self, xs: list[list[float]], ys: list[Any]) -> bool:
        try:
            self.state.set("data.source", {"points": {"x": xs, "y": ys}})
        except PlaygroundError as exc:
            self.message.emit(str(exc))
            return False
        return True

    # ----------------------------------------------------------------- errors
    @Slot(str)
    def _on_restarted(self, how: str) -> None:
        """A new trainer process after the last one ended ("restarted" when the user asked): a new
        run of the project, from the last weights the window received when they are this
        project's, so what was trained is not lost."""
        self.set_playing(False)
        if self.speed.paced:
            self.send(SetSpeed(self.speed))  # a new trainer starts at full speed
        snap = self.snapshot
        if how == RAN_OUT and snap is not None and snap.project and snap.project != self.state.project:
            self.state.revert(snap.project)  # the edit it ran out on would only do it again: back to what ran
            reason = _("{reason}; your last change is undone, back to the project that was training").format(
                reason=_(RAN_OUT))
        else:
            reason = _(RAN_OUT) if how == RAN_OUT else how
        if snap is not None and snap.steps > 0 and snap.project == self.state.project:
            self.rebuild(weights=[w.copy() for w in snap.weights])
            said = (_("The trainer was restarted: a new run starts from the weights of epoch {epoch} (the last the "
                      "window received); press Play to go on, or Reset to start from the initial weights.")
                    if how == "restarted" else
                    _("The training process ended unexpectedly ({reason}). A new one has started from the weights of "
                      "epoch {epoch} (the last the window received); press Play to go on, or Reset to start from the "
                      "initial weights."))  # fmt: skip
        else:
            self.rebuild(self._initial())
            said = (_("The trainer was restarted: a new run starts with this project's initial weights; press Play "
                      "to go on.") if how == "restarted" else
                    _("The training process ended unexpectedly ({reason}). A new one has started with this "
                      "project's initial weights; press Play to go on."))  # fmt: skip
        said = said.format(epoch=f"{snap.epoch:,}" if snap is not None else "0", reason=reason)
        if how == "restarted":
            self.message.emit(said)
        else:
            self._on_failed(said)

    @Slot(bool, float)
    def _on_responding(self, ok: bool, seconds: float) -> None:
        """The trainer went silent (stopped, starved or stuck) or answers again."""
        if not ok and self.playing:
            self.set_playing(False)  # queued for when it answers: Play must not claim it trains
        self.responding.emit(ok, seconds)

    def restart_trainer(self) -> None:
        """End the trainer process whatever it is doing and start a new one (see _on_restarted)."""
        if isinstance(self.handle, ProcessHandle):
            self.handle.restart()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        """A command could not be applied, or a bug paused the run: said once, not per frame."""
        if self.playing:
            self.set_playing(False)
        now = time.perf_counter()
        times = [t for t in self._errors.get(message, []) if now - t < ERROR_REPEAT_SECONDS]
        times.append(now)
        self._errors[message] = times
        if len(times) == 1:
            self.error.emit(_("Training problem"), message)
            return
        if len(times) >= ERROR_STORM:
            first = message.splitlines()[0] if message else _("an error")
            text = _("The same problem keeps happening ({count} times): {first} Training is paused.").format(
                count=len(times), first=first)
            self.say(text, "error")

    def probe_data(self, project: dict[str, Any]) -> int:
        """Have the worker read and prepare `project`'s data (the next Build reuses it); the
        answer comes as data_probed with this sequence number."""
        return self.send(ProbeData(project, self.state.base_dir))

    def cancel_probe(self, seq: int) -> None:
        """Cancel the data read `seq` (its answer comes as data_probed with the reason)."""
        self.handle.worker.cancel_probe(seq)

    @Slot(int, object)
    def _on_data_probed(self, seq: int, result: object) -> None:
        self.data_probed.emit(seq, result)

    @Slot(int, str)
    def _on_build_failed(self, seq: int, message: str) -> None:
        """The engine refused the edited project: the editor goes back to the one that runs, so
        Play, the exports and the panels all show the same network."""
        live = self.snapshot
        if live is not None and live.project and live.project != self.state.project:
            self.state.revert(live.project)
        self.error.emit(_("This change cannot be trained"), message)

    # ----------------------------------------------------------------- reading the run
    def network(self) -> Model | None:
        """The network of the newest snapshot, built from the project that run was made from."""
        snap = self.snapshot
        if snap is None:
            return None
        ds = snap.data.dataset
        net = build_network(
            snap.project, snap.data.n_inputs, ds.classes if ds.problem == "classification" else None, ds.image_shape,
            ds.sequence_shape,
        )
        net.set_weights(snap.weights)
        return net

    def shutdown(self) -> bool:
        """Stop the trainer (its process, or its thread) and wait for it, however long the step in
        progress takes (an epoch end stops at its next chunk); safe to call twice."""
        self.playing = False
        return self.handle.stop(timeout_ms=None)


def _only_points(change: Change) -> bool:
    """Whether a change only drew or erased points: the network carries on with them."""
    new = change.project["data"]["source"]
    return (
        change.paths == {"data.source"}
        and isinstance(new, dict)
        and "points" in new
        and change.project["data"]["classes"] == change.previous["data"]["classes"]
    )
