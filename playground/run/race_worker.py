"""The optimizer race's worker: an engine Race in a process of its own (worker_process.py's
ProcessHandle, kind "race"; a thread under NNP_TRAINER=thread), every lane given the same next
batch each step, and a snapshot of every lane's curves and small boundary per frame.

Issue 31, item 11: on a thread beside the window, the race crawled (2 epochs/s with six lanes
of a 177-parameter net beside a playing main window): it waited for every frame to be drawn, and
its training and the window's drawing took turns under one GIL. In its own process it trains on
while the window draws; on a thread, frames are spaced so that making and drawing them takes at
most VIEW_SHARE of the time."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine import PlaygroundError
from engine.project import PreparedData, prepare_data
from engine.teaching.race import Race

from .commands import BuildRace, Command, Pause, Play, Step
from .pacing import steps_per_epoch
from .snapshot import grid_extent, grid_points
from .worker_loop import FRAME, LoopWorker

RACE_GRID = 40  # the race's small boundaries
VIEW_SHARE = 0.3  # the most of the time that making and drawing frames may take


@dataclass(frozen=True)
class LaneSnapshot:
    label: str
    history: dict[str, Sequence[float]]
    epoch: int
    steps: int
    output_grid: np.ndarray | None  # (RACE_GRID, RACE_GRID, outputs)
    message: str


@dataclass(frozen=True)
class RaceSnapshot:
    lanes: list[LaneSnapshot]
    data: Any  # PreparedData, shared by every lane
    extent: tuple[float, float, float, float] | None
    threshold: float
    output_activation: str
    playing: bool
    generation: int
    applied: int = 0  # sequence number of the last command applied


class RaceWorker(LoopWorker):
    """Runs an engine Race on its own thread: each step gives every lane the same next batch."""

    #: Applied to newly prepared data (a worker in its own process puts them in shared memory).
    share_data: Callable[[PreparedData], PreparedData] | None = None

    def __init__(self) -> None:
        super().__init__()
        self._race: Race | None = None
        self._grid: np.ndarray | None = None
        self._extent = None
        self._generation = 0
        self._view_cost = 0.0  # seconds a frame costs: made here and drawn by the UI (smoothed)

    def _release(self) -> None:
        self._race = None

    def _apply(self, command: Command, seq: int) -> None:
        try:
            match command:
                case BuildRace():
                    project = command.project
                    self._playing = False
                    data = prepare_data(project, base_dir=command.base_dir)
                    if self.share_data is not None:
                        data = self.share_data(data)
                    self._race = Race(project, command.optimizers, data=data)
                    self._generation += 1
                    self._extent = grid_extent(self._race.data)
                    self._grid = None
                    if self._extent is not None:
                        raw = grid_points(self._extent, RACE_GRID)
                        self._grid = self._race.data.transform(raw).astype(np.dtype(project["network"]["dtype"]))
                case Play():
                    self._playing = self._race is not None
                case Pause():
                    self._playing = False
                case Step():
                    self._playing = False
                    start = self._race.epoch if self._race is not None else None
                    while self._race is not None and self._race.epoch == start and self._race.step():
                        pass
                case _:
                    raise PlaygroundError(f"unknown race command {command!r}")
        except PlaygroundError as exc:
            self._playing = False
            self.failed.emit(str(exc))
        except Exception as exc:  # a bug must not kill the thread
            self._fail(exc)

    def _train_once(self) -> bool:
        if self._race is None or not self._race.step():
            self._playing = False
            self._dirty = True
            return False
        self._dirty = True
        return True

    def _progress(self) -> tuple[float, float] | None:
        race = self._race
        if race is None:
            return None
        tr = next((lane.trainer for lane in race.lanes if lane.running), race.lanes[0].trainer)
        return tr.epoch + tr.epoch_progress, steps_per_epoch(tr.n_train, tr.batch_size, tr.last_batch)

    def _budget(self, made: float) -> None:
        """Space the frames so that making one (`made` seconds) and, on a thread, waiting for the UI
        to draw the last take at most VIEW_SHARE of the time (never faster than FRAME). In a process
        of its own the race trains on while the UI draws, and the window spaces its frames itself."""
        cost = made + (self._drawn if self.steps_aside else 0.0)
        self._view_cost = cost if not self._view_cost else 0.7 * self._view_cost + 0.3 * cost
        self._frame = max(FRAME, self._view_cost / VIEW_SHARE) if self._playing else FRAME

    def _emit(self) -> None:
        race = self._race
        if race is None:
            return
        t0 = time.perf_counter()
        lanes = []
        with np.errstate(all="ignore"):
            for lane in race.lanes:
                tr = lane.trainer
                grid = None
                if self._grid is not None:
                    grid = tr.network.predict(self._grid).reshape(RACE_GRID, RACE_GRID, -1)
                lanes.append(LaneSnapshot(lane.label, tr.history.shared(), tr.epoch, tr.steps, grid, lane.message))
        first = race.lanes[0].trainer
        self._budget(time.perf_counter() - t0)
        self._send_snapshot(
            RaceSnapshot(
                lanes,
                race.data,
                self._extent,
                first.loss.decision_threshold,
                first.network.activations[-1].name,
                self._playing,
                self._generation,
                self._applied,
            )
        )
