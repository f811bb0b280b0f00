"""The recovery file: unsaved work autosaved every 30 s and offered at the next start.

It is read like any file a user could have crafted: size-capped, JSON only, the project
validated, the weights checked to be finite numbers that fit that project's network. A file
that fails is set aside (renamed, never deleted) so the app always starts, and the reason is
given; only a file that was read and declined, or saved over, is removed.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine import PlaygroundError
from engine.data.loaders import regular_file
from engine.io import atomic_write_text
from engine.project import build_network, normalize_project
from engine.sequential import is_convolutional

FORMAT = "nn-playground-recovery/1"
MAX_BYTES = 512 * 1024**2  # a large network's weights as JSON numbers


@dataclass
class Recovered:
    """Work read back from a recovery file."""

    project: dict[str, Any]
    path: Path | None  # the project file it was being edited from, if any
    saved_at: str
    weights: list[np.ndarray] | None

    @property
    def name(self) -> str:
        return self.path.name if self.path else "an untitled project"


class RecoveryFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, project: dict[str, Any], source: Path | None, weights: list[np.ndarray] | None) -> bool:
        """Autosave; False (and nothing raised) when it cannot be written: it must never get in the way."""
        doc: dict[str, Any] = {
            "format": FORMAT,
            "saved_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "path": str(source) if source else None,
            "project": project,
        }
        if weights is not None:
            doc["weights"] = [w.tolist() for w in weights]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps(doc))
        except (OSError, PlaygroundError):
            return False
        return True

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)

    def exists(self) -> bool:
        return os.path.lexists(self.path)

    def read(self) -> Recovered:
        """The validated work; a PlaygroundError (after setting the file aside) when it is unusable."""
        try:
            return _parse(regular_file(self.path, MAX_BYTES).read_bytes())
        except (PlaygroundError, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            aside = self.set_aside()
            where = f"; it was kept as {aside.name}" if aside else ""
            raise PlaygroundError(f"The autosaved work could not be restored ({reason}){where}.") from None

    def set_aside(self) -> Path | None:
        """Rename the file out of the way (recovery.json → recovery.bad-<time>.json)."""
        aside = self.path.with_name(f"{self.path.stem}.bad-{time.strftime('%Y%m%d-%H%M%S')}{self.path.suffix}")
        try:
            os.replace(self.path, aside)
        except OSError:
            try:
                self.path.unlink()
            except OSError:
                return None
            return None
        return aside


def _parse(data: bytes) -> Recovered:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        raise PlaygroundError("not valid JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise PlaygroundError(f"not a recovery file of this version (format {FORMAT!r} expected)")
    source = doc.get("path")
    if source is not None and not isinstance(source, str):
        raise PlaygroundError("'path' must be a file name")
    saved_at = doc.get("saved_at", "")
    project = normalize_project(doc.get("project"), str(Path(source).parent) if source else None)
    weights = doc.get("weights")
    return Recovered(
        project,
        Path(source) if source else None,
        saved_at if isinstance(saved_at, str) else "",
        None if weights is None else _weights(weights, project),
    )


def _weights(raw: Any, project: dict[str, Any]) -> list[np.ndarray]:
    """Finite arrays that fit `project`'s network, or a PlaygroundError saying what is wrong."""
    if not isinstance(raw, list) or not raw:
        raise PlaygroundError("'weights' must be a list of arrays")
    arrays = []
    for i, value in enumerate(raw):
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (ValueError, TypeError, RecursionError):
            raise PlaygroundError(f"weights[{i}] is not a rectangular array of numbers") from None
        if not np.all(np.isfinite(arr)):
            raise PlaygroundError(f"weights[{i}] holds a value that is not a finite number")
        arrays.append(arr)
    if is_convolutional(project["network"]["layers"]):
        return arrays  # the image shape comes with the data: the worker checks every shape on applying them
    if arrays[0].ndim != 2:
        raise PlaygroundError("weights[0] must be a kernel (inputs × units)")
    d = project["data"]
    classes = d["classes"] if d["problem"] == "classification" else None
    net = build_network(project, arrays[0].shape[0], classes)
    net.set_weights(arrays)  # every shape checked: a PlaygroundError names the first misfit
    return arrays
