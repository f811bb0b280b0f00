"""The editable project: a validated project dict that panels change through `set()`.

Each edit is either *live* (learning rate, optimizer hyperparameters, regularization,
batch size, schedule: the running trainer takes it at its next step) or *structural*
(everything else: the network is rebuilt with fresh weights, as TensorFlow Playground does).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.losses import get_loss
from engine.project import default_output_activation, default_project, normalize_project

REGRESSION_LOSSES = ("mse", "mae", "huber")
LIVE_PREFIXES = ("training.optimizer.", "training.regularization.", "training.batch_size", "training.schedule")


def is_live(path: str) -> bool:
    """Whether an edit at `path` can be applied without rebuilding the network."""
    return path.startswith(LIVE_PREFIXES) and path != "training.optimizer.name"


class ProjectState(QObject):
    """Holds the project the user is editing, its file path and whether it is saved."""

    edited = Signal(str, object)  # path, new value (after validation)
    replaced = Signal()  # a whole new project (New, Open, preset)
    dirty_changed = Signal(bool)
    path_changed = Signal()  # saved under or opened from another file: the title changes

    def __init__(self, project: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.project = normalize_project(project or default_project())
        self.path: Path | None = None
        self._dirty = False

    # ----------------------------------------------------------------- access
    def get(self, path: str) -> Any:
        node: Any = self.project
        for part in path.split("."):
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    @property
    def dirty(self) -> bool:
        return self._dirty

    def set_dirty(self, value: bool) -> None:
        if value != self._dirty:
            self._dirty = value
            self.dirty_changed.emit(value)

    def set_path(self, path: Path | None) -> None:
        if path != self.path:
            self.path = path
            self.path_changed.emit()

    @property
    def base_dir(self) -> str | None:
        return str(self.path.parent) if self.path else None

    # ----------------------------------------------------------------- edits
    def set(self, path: str, value: Any) -> None:
        """Change one setting; validated as a whole project so a bad value never gets in.

        Raises PlaygroundError (and changes nothing) when the result would be invalid.
        """
        if self._get_or_none(path) == value:
            return
        self.update({path: value})

    def update(self, changes: dict[str, Any]) -> None:
        """Several edits validated together (e.g. loss and its output activation). A data
        change that makes the loss unusable (regression, more classes) also switches the loss
        and output activation to ones that fit."""
        trial = copy.deepcopy(self.project)
        for path, value in changes.items():
            _assign(trial, path, value)
        if any(p.startswith("data.") for p in changes):
            _harmonize(trial)
        self.project = normalize_project(trial, self.base_dir)
        self.set_dirty(True)
        for path, value in changes.items():
            self.edited.emit(path, value)

    def choose_source(self, name: str, problem: str, classes: int) -> None:
        """Switch to generator `name`, with settings that suit it (pixels scaled for images)."""
        changes: dict[str, Any] = {"data.source": name, "data.problem": problem, "data.classes": classes}
        was_images = self.project["data"]["source"] == "shapes"
        if name == "shapes":
            changes.update({"data.normalize": "unit", "data.samples": 600})
        elif was_images:
            changes.update({"data.normalize": "none", "data.samples": 500 if problem == "classification" else 1200})
        elif problem != self.project["data"]["problem"]:
            changes["data.samples"] = 500 if problem == "classification" else 1200
        self.update(changes)

    def replace(self, project: dict[str, Any], path: Path | None = None, dirty: bool = False) -> None:
        self.project = normalize_project(project, str(path.parent) if path else None)
        self.set_path(path)
        self.set_dirty(dirty)
        self.replaced.emit()

    def _get_or_none(self, path: str) -> Any:
        try:
            return self.get(path)
        except (KeyError, IndexError, ValueError, TypeError):
            return None


def _assign(project: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = project
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value


def _harmonize(project: dict[str, Any]) -> None:
    """Make loss and output activation fit the data's problem and class count."""
    d, t, n = project["data"], project["training"], project["network"]
    loss = t["loss"]
    out = n["output_activation"]
    out_name = out["name"] if isinstance(out, dict) else out
    if d["problem"] == "regression":
        if loss not in REGRESSION_LOSSES:
            loss = "mse"
        if out_name in ("sigmoid", "softmax"):
            n["output_activation"] = out_name = "linear"
    elif loss in REGRESSION_LOSSES and out_name == "linear":  # back from a regression set
        loss = "binary_crossentropy" if d["classes"] == 2 else "categorical_crossentropy"
    elif d["classes"] > 2 and loss in ("binary_crossentropy", "hinge"):
        loss = "categorical_crossentropy"
    t["loss"] = loss
    allowed = get_loss(loss).output_activations
    if allowed and out_name not in allowed:
        n["output_activation"] = default_output_activation(loss, d["problem"])
