"""The editable project: a validated project dict that panels change through transactions.

One user action (a click, a dataset choice, a file opened, a preset, a drawn point) is one call
to `apply()` or `replace()`: the changes are validated together, only the sections they touch
are validated again, and `changed` is emitted once with the set of changed paths and their
strongest effect from the field table (engine/project/fields.py). The session turns that into at most one
worker command.

Projects are values: an edit builds a new dict that shares the sections it did not touch, and
no one changes a project in place, so the worker and the views can hold one without copying.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.core.errors import PlaygroundError
from engine.core.i18n import _
from engine.core.losses import fitting
from engine.data import DATASETS
from engine.project import SECTIONS, default_project, normalize_project
from engine.project.fields import Effect, effect
from engine.project.lessons import locked_edit


@dataclass(frozen=True)
class Change:
    """What one transaction did."""

    paths: frozenset[str]
    effect: Effect
    project: dict[str, Any]
    previous: dict[str, Any]
    replaced: bool = False  # a whole new project (New, Open, preset, recovery)

    def touches(self, *prefixes: str) -> bool:
        return self.replaced or any(p == q or p.startswith(q + ".") for p in self.paths for q in prefixes)


class ProjectState(QObject):
    """Holds the project the user is editing, its file path and whether it is saved."""

    changed = Signal(object)  # Change: exactly one per user action
    dirty_changed = Signal(bool)
    path_changed = Signal()  # saved under or opened from another file: the title changes

    def __init__(self, project: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.project = normalize_project(project or default_project())
        self.path: Path | None = None
        self._dirty = False
        #: What the project's lesson locks (and hides): edits under these are refused.
        self.locked: list[str] = []

    # ----------------------------------------------------------------- access
    def get(self, path: str) -> Any:
        return get_path(self.project, path)

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

    # ----------------------------------------------------------------- transactions
    def set(self, path: str, value: Any) -> Change | None:
        """Change one setting (nothing happens when it already has that value)."""
        if self._get_or_none(path) == value:
            return None
        return self.apply({path: value})

    def apply(self, changes: dict[str, Any]) -> Change | None:
        """Several edits as one transaction, validated together (e.g. a loss and its output
        activation). A data change that makes the loss unusable (regression, more classes) also
        switches the loss and output activation to ones that fit. Raises PlaygroundError and
        changes nothing when the result would be invalid; None when nothing changed."""
        changes = {p: v for p, v in changes.items() if self._get_or_none(p) != v}
        if not changes:
            return None
        trial = _copy_for(self.project, changes)
        for path, value in changes.items():
            _assign(trial, path, value)
        touched = {p.split(".")[0] for p in changes}
        if "data" in touched:
            before = (trial["training"]["loss"], trial["network"]["output_activation"])  # replaced, never mutated
            _harmonize(trial)
            if (trial["training"]["loss"], trial["network"]["output_activation"]) != before:
                touched |= {"training", "network"}
                changes = {**changes, "training.loss": trial["training"]["loss"]}
        hit = locked_edit(self.locked, self.project, trial, list(changes)) if self.locked else None
        if hit is not None:
            raise PlaygroundError(_("{hit} is locked by this lesson").format(hit=hit))
        trusted = [s for s in SECTIONS if s not in touched]
        project = normalize_project(trial, self.base_dir, trusted=trusted)
        return self._commit(project, frozenset(changes), replaced=False, dirty=True)

    update = apply  # the older name, kept for callers that set several keys

    def replace(self, project: dict[str, Any], path: Path | None = None, dirty: bool = False) -> Change:
        """A whole new project (New, Open, a preset, recovered work): one transaction."""
        project = normalize_project(project, str(path.parent) if path else None)
        self.set_path(path)
        return self._commit(project, frozenset(SECTIONS), replaced=True, dirty=dirty)

    def revert(self, project: dict[str, Any]) -> Change:
        """Go back to `project` (the last one that built) after a change the engine refused:
        the editor and the engine never disagree."""
        return self._commit(project, frozenset(SECTIONS), replaced=True, dirty=self._dirty, effect_=Effect.NONE)

    def choose_source(self, name: str) -> Change | None:
        """Switch to data set `name` in one transaction, with settings that suit it (from its
        descriptor: problem, class count, sample count, normalisation for images, a sequence set's T)."""
        info, d = DATASETS.get(name), self.project["data"]
        old = DATASETS.get(d["source"]) if isinstance(d["source"], str) else None
        lo, hi = info.classes
        classes = d["classes"]
        if info.problem == "classification" and (not lo <= classes <= hi or info.kind == "images" or (
                classes == 2 and info.default_classes > 2)):
            classes = info.default_classes
        changes: dict[str, Any] = {"data.source": name, "data.problem": info.problem, "data.classes": classes}
        real = info.max_samples is not None or (old is not None and old.max_samples is not None)
        if old is None or old.kind != info.kind or old.problem != info.problem or (real and old is not info):
            changes.update({"data.samples": info.default_samples, "data.normalize": info.normalize})
            if info.kind == "sequence":
                changes["data.sequence_length"] = info.default_length
        return self.apply(changes)

    def _commit(
        self,
        project: dict[str, Any],
        paths: frozenset[str],
        replaced: bool,
        dirty: bool,
        effect_: Effect | None = None,
    ) -> Change:
        previous, self.project = self.project, project
        if effect_ is None:
            effect_ = Effect.DATA if replaced else effect(paths)
        change = Change(paths, effect_, project, previous, replaced)
        self.set_dirty(dirty)
        self.changed.emit(change)
        return change

    def _get_or_none(self, path: str) -> Any:
        try:
            return self.get(path)
        except (KeyError, IndexError, ValueError, TypeError):
            return None


def _copy_for(project: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of `project` to edit: the sections `changes` touch are copied deeply, except the
    values about to be replaced (10,000 drawn points are not copied only to be thrown away);
    the other sections are shared."""
    out = dict(project)
    sections = {p.split(".")[0] for p in changes} | ({"training", "network"} if any(
        p.startswith("data") for p in changes) else set())
    memo: dict[int, Any] = {}
    for path in changes:
        try:
            old = get_path(project, path)
        except (KeyError, IndexError, ValueError, TypeError):
            continue
        memo[id(old)] = old  # deepcopy returns it as is instead of copying it
    for section in sections:
        if section in out and isinstance(out[section], (dict, list)):
            out[section] = copy.deepcopy(out[section], memo)
    return out


def get_path(project: dict[str, Any], path: str) -> Any:
    """The value at a dotted path ("network.layers.0.units")."""
    node: Any = project
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _assign(project: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = project
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value


def _harmonize(project: dict[str, Any]) -> None:
    """Make loss and output activation fit the data's problem and class count (the engine's rule)."""
    d, t, n = project["data"], project["training"], project["network"]
    t["loss"], n["output_activation"] = fitting(t["loss"], n["output_activation"], d["problem"], d["classes"])
