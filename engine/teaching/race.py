"""An optimizer race: the same network, from the same initial weights, on the same mini-batches,
trained side by side with different optimizers (or learning rates)."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import PlaygroundError
from ..core.i18n import _
from ..core.numbers import number
from ..core.optimizers import OPTIMIZERS, make_optimizer
from ..run.build import PreparedData, prepare_data
from ..run.training import Diverged, Trainer

#: The optimizers of a first course, with Keras's default hyperparameters (learning rates too).
DEFAULT_RACE: list[dict[str, Any]] = [
    {"name": "sgd"},
    {"name": "momentum"},
    {"name": "nesterov"},
    {"name": "adagrad"},
    {"name": "rmsprop"},
    {"name": "adam"},
]
MAX_LANES = 6


def lane_label(optimizer: dict[str, Any]) -> str:
    """The optimizer and its learning rate, e.g. Adam α=0.001."""
    opt = make_optimizer(optimizer)
    return f"{OPTIMIZERS.words(opt.name)} α={number(opt.hp['learning_rate'], 6)}"  # in the user's language


@dataclass
class Lane:
    optimizer: dict[str, Any]
    trainer: Trainer
    message: str = ""  # why this lane stopped (divergence, early stopping)

    @functools.cached_property
    def label(self) -> str:  # once: every frame of the race window shows it
        return lane_label(self.optimizer)

    @property
    def running(self) -> bool:
        return not self.message


class Race:
    """Lanes that differ only in their optimizer. Every lane's trainer is built from the same
    project and seed, so the initial weights, the shuffling and any dropout masks are identical;
    `step()` gives each lane the same next batch."""

    def __init__(
        self,
        project: dict[str, Any],
        optimizers: list[dict[str, Any]],
        data: PreparedData | None = None,
        base_dir: str | Path | None = None,
    ) -> None:
        if not 1 <= len(optimizers) <= MAX_LANES:
            raise PlaygroundError(_("a race has 1 to {max_lanes} lanes, got {count}").format(
                                      max_lanes=MAX_LANES, count=len(optimizers)))
        self.data = data if data is not None else prepare_data(project, base_dir=base_dir)
        self.lanes: list[Lane] = []
        for opt in optimizers:
            if opt.get("name") not in OPTIMIZERS.names():
                raise PlaygroundError(_("unknown optimizer {value!r}").format(value=opt.get('name')))
            p = copy.deepcopy(project)
            p["training"]["optimizer"] = {"name": opt["name"], **make_optimizer(opt).hp}
            self.lanes.append(Lane(p["training"]["optimizer"], Trainer(p, data=self.data)))

    def step(self) -> bool:
        """One batch for every running lane; False when no lane is running any more."""
        alive = False
        for lane in self.lanes:
            if not lane.running:
                continue
            try:
                lane.trainer.train_batch()
            except Diverged as exc:
                lane.message = exc.headline  # what happened and when; the app says the rest
                continue
            if lane.trainer.stopped:
                lane.message = lane.trainer.stop_reason
            alive = alive or lane.running
        return alive

    @property
    def epoch(self) -> int:
        return max(lane.trainer.epoch for lane in self.lanes)
