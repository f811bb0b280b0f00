"""The optimizer race's worker: an engine Race on a thread of its own, every lane given the
same next batch each step, and a snapshot of every lane's curves and small boundary per frame."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine import PlaygroundError
from engine.race import Race

from .commands import BuildRace, Command, Pause, Play, Step
from .snapshot import grid_extent, grid_points
from .worker_loop import LoopWorker

RACE_GRID = 40  # the race's small boundaries


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

    def __init__(self) -> None:
        super().__init__()
        self._race: Race | None = None
        self._grid: np.ndarray | None = None
        self._extent = None
        self._generation = 0

    def _release(self) -> None:
        self._race = None

    def _apply(self, command: Command, seq: int) -> None:
        try:
            match command:
                case BuildRace():
                    project = command.project
                    self._playing = False
                    self._race = Race(project, command.optimizers, base_dir=command.base_dir)
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

    def _emit(self) -> None:
        race = self._race
        if race is None:
            return
        lanes = []
        with np.errstate(all="ignore"):
            for lane in race.lanes:
                tr = lane.trainer
                grid = None
                if self._grid is not None:
                    grid = tr.network.predict(self._grid).reshape(RACE_GRID, RACE_GRID, -1)
                lanes.append(LaneSnapshot(lane.label, tr.history.shared(), tr.epoch, tr.steps, grid, lane.message))
        first = race.lanes[0].trainer
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
