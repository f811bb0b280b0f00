"""The worker protocol: one small frozen dataclass per command, dispatched by type.

`WorkerHandle.send(command)` returns the command's sequence number; every snapshot carries the
number of the last command the worker applied (`Snapshot.applied`), so the UI and the tests wait
for "applied ≥ n" instead of sleeping. Commands that refer to the run a snapshot showed carry
that snapshot's `generation`; the worker ignores them once the run has moved on (a rebuild in
between), instead of applying an edit meant for another network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .pacing import Speed


class Command:
    """Base of every worker command."""


@dataclass(frozen=True)
class Build(Command):
    """A fresh trainer for `project` (prepared data reused when its data section is unchanged).
    `weights`: start from these instead of the initializer; `redraw`: a new draw of initial
    weights (seed offset) on the same data."""

    project: dict[str, Any]
    base_dir: str | None = None
    weights: list[np.ndarray] | None = None
    redraw: int = 0
    play: bool = False


@dataclass(frozen=True)
class ProbeData(Command):
    """Read and prepare the data of `project` on the worker (kept for the Build that follows)
    and report what it holds, or why it cannot be used: a big file never freezes the window."""

    project: dict[str, Any]
    base_dir: str | None = None


@dataclass(frozen=True)
class SetData(Command):
    """The same network on new data (points drawn or erased): weights, optimizer state and
    counters carry on; only the data and the project change."""

    project: dict[str, Any]
    base_dir: str | None = None


@dataclass(frozen=True)
class Play(Command):
    pass


@dataclass(frozen=True)
class Pause(Command):
    pass


@dataclass(frozen=True)
class Step(Command):
    unit: str = "batch"  # "batch" or "epoch"


@dataclass(frozen=True)
class SetLive(Command):
    """Settings the running trainer takes at its next step: (project path, value) pairs from the
    field table's live fields, and the project they come from (the run's project follows)."""

    changes: tuple[tuple[str, Any], ...]
    project: dict[str, Any]


@dataclass(frozen=True)
class SetOptimizer(Command):
    """A new optimizer (fresh state) on the same network and data."""

    spec: dict[str, Any]
    project: dict[str, Any]


@dataclass(frozen=True)
class SetWeights(Command):
    weights: list[np.ndarray]
    generation: int | None = None  # the run these weights were meant for; None: whatever runs


@dataclass(frozen=True)
class SetWeight(Command):
    layer: int
    row: int | None  # None for a bias
    column: int
    value: float
    generation: int | None = None


@dataclass(frozen=True)
class SetSpeed(Command):
    """The pace training keeps while playing (playground/run/pacing.py): every worker loop takes it."""

    speed: Speed


@dataclass(frozen=True)
class SetViews(Command):
    """The optional views on screen ("gradients", "hidden"): their data is computed only then."""

    views: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class PickImage(Command):
    """The data-set row whose feature maps the layer view shows (None: the first test image), or
    an image of the user's (`pixels`: one raw data row, as the draw pad makes it) instead."""

    row: int | None = None
    pixels: np.ndarray | None = None


@dataclass(frozen=True)
class Stop(Command):
    """End the worker's loop."""


@dataclass(frozen=True)
class BuildRace(Command):
    project: dict[str, Any]
    optimizers: list[dict[str, Any]]
    base_dir: str | None = None


@dataclass(frozen=True)
class TraceExample(Command):
    """Trace one example through the running network (the backprop walk): a training `row`, or
    `raw` inputs with a `label`. Answered by the worker's `traced` signal."""

    raw: tuple[float, ...] | None = None
    row: int | None = None
    label: float | None = None
