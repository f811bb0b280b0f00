"""The recovery file: unsaved work autosaved every 30 s and offered at the next start.

It is read like any file a user could have crafted: size-capped, JSON only, the project
validated, the weights checked to be finite numbers that fit that project's network. A file
that fails is set aside (renamed, never deleted) so the app always starts, and the reason is
given; only a file that was read and declined, or saved over, is removed.

Autosaving never holds up the window: `Autosaver` serialises and writes on a thread of its
own, one save at a time. The weights go in as base64 of their float64 bytes (exact, and half
the size of JSON numbers); past MAX_KEPT_PARAMS they are left out and the file says so, since
an 8.5-million-parameter network made a 181 MB file that took 8 s to read back.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from engine import PlaygroundError
from engine.core.i18n import _
from engine.core.layers import is_convolutional
from engine.data.loaders import regular_file
from engine.project import build_network, normalize_project
from engine.project.fields import MAX_PARAMS
from engine.project.files import atomic_write_bytes

FORMAT = "nn-playground-recovery/2"
OLD_FORMATS = ("nn-playground-recovery/1",)  # weights as JSON numbers: still read
MAX_BYTES = 512 * 1024**2  # a recovery/1 file of a large network's weights as JSON numbers
#: Networks up to this size keep their weights in the recovery file (8 MB of float64, under
#: 11 MB as base64); past it only the project is kept, and the offer to restore says so.
MAX_KEPT_PARAMS = 1_000_000
MAX_ARRAYS = 1024  # weight arrays in a file: a network has two per layer


@dataclass
class Recovered:
    """Work read back from a recovery file."""

    project: dict[str, Any]
    path: Path | None  # the project file it was being edited from, if any
    saved_at: str
    weights: list[np.ndarray] | None
    weights_left_out: int = 0  # the parameter count of weights too big to keep, 0 when none were left out

    @property
    def name(self) -> str:
        return self.path.name if self.path else _("an untitled project")


def parameter_words(n: int) -> str:
    """A parameter count as words for a sentence: "8.5-million-parameter", "640,000-parameter"."""
    return f"{n / 1e6:.1f}-million-parameter" if n >= 1_000_000 else f"{n:,}-parameter"


def recovery_document(
    project: dict[str, Any], source: Path | None, weights: list[np.ndarray] | None
) -> bytes:
    """The recovery file's bytes. Weights past MAX_KEPT_PARAMS are left out (their count is
    kept for the note); call off the UI thread: a large project takes a while to serialise."""
    doc: dict[str, Any] = {
        "format": FORMAT,
        "saved_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "path": str(source) if source else None,
        "project": project,
    }
    if weights is not None:
        count = sum(int(w.size) for w in weights)
        if count > MAX_KEPT_PARAMS:
            doc["weights_left_out"] = count
        else:
            doc["weights"] = [_encode(w) for w in weights]
    return json.dumps(doc, separators=(",", ":")).encode("utf-8")


def _encode(w: np.ndarray) -> dict[str, Any]:
    data = np.ascontiguousarray(w, dtype="<f8").tobytes()
    return {"shape": list(w.shape), "float64": base64.b64encode(data).decode("ascii")}


class RecoveryFile:
    """The one recovery file: written whole (atomically), read back as untrusted input."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.error = ""  # why the last write failed, in the user's words

    def write(self, project: dict[str, Any], source: Path | None, weights: list[np.ndarray] | None) -> bool:
        """Write now, on the calling thread (the app goes through `Autosaver`); False (and
        `error` says why, nothing raised) when it cannot be written: it must never get in the way."""
        try:
            data = recovery_document(project, source, weights)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.path, data)
        except (OSError, PlaygroundError, ValueError, TypeError) as exc:
            self.error = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return False
        self.error = ""
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
            said = (_("The autosaved work could not be restored ({reason}); it was kept as {name}.") if aside else
                    _("The autosaved work could not be restored ({reason})."))  # fmt: skip
            raise PlaygroundError(said.format(reason=reason, name=aside.name if aside else "")) from None

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
        raise PlaygroundError(_("not valid JSON")) from None
    if not isinstance(doc, dict) or doc.get("format") not in (FORMAT, *OLD_FORMATS):
        raise PlaygroundError(_("not a recovery file of this version (format {format!r} expected)").format(
                                  format=FORMAT))
    source = doc.get("path")
    if source is not None and not isinstance(source, str):
        raise PlaygroundError(_("'path' must be a file name"))
    saved_at = doc.get("saved_at", "")
    project = normalize_project(doc.get("project"), str(Path(source).parent) if source else None)
    weights = doc.get("weights")
    left_out = doc.get("weights_left_out", 0)
    if isinstance(left_out, bool) or not isinstance(left_out, int) or not 0 <= left_out <= MAX_PARAMS:
        raise PlaygroundError(_("'weights_left_out' must be a parameter count up to {max_params:,}").format(
                                  max_params=MAX_PARAMS))
    return Recovered(
        project,
        Path(source) if source else None,
        saved_at if isinstance(saved_at, str) else "",
        None if weights is None else _weights(weights, project),
        left_out if weights is None else 0,
    )


def _decode(i: int, value: Any) -> np.ndarray:
    """One array as written by `_encode` ({"shape", "float64": base64}) or, in a recovery/1
    file, as nested lists of numbers; sizes are checked before anything is decoded."""
    if not isinstance(value, dict):
        try:
            return np.asarray(value, dtype=np.float64)
        except (ValueError, TypeError, RecursionError):
            raise PlaygroundError(
                _("weights[{number}] is not a rectangular array of numbers").format(number=i)) from None
    shape, data = value.get("shape"), value.get("float64")
    if (not isinstance(shape, list) or not 1 <= len(shape) <= 4
            or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_PARAMS for n in shape)
            or not isinstance(data, str)):  # fmt: skip
        raise PlaygroundError(
            _("weights[{number}] must hold a shape (1 to 4 sizes) and its float64 values in base64").format(number=i)
        )
    count = math.prod(shape)
    if count > MAX_PARAMS or len(data) != 4 * -(-8 * count // 3):
        raise PlaygroundError(
            _("weights[{number}] does not hold the {count:,} values its shape {shape} needs").format(
                number=i, count=count, shape=shape
            )
        )
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise PlaygroundError(_("weights[{number}] is not valid base64").format(number=i)) from None
    return np.frombuffer(raw, dtype="<f8").astype(np.float64).reshape(shape)


def _weights(raw: Any, project: dict[str, Any]) -> list[np.ndarray]:
    """Finite arrays that fit `project`'s network, or a PlaygroundError saying what is wrong."""
    if not isinstance(raw, list) or not raw or len(raw) > MAX_ARRAYS:
        raise PlaygroundError(_("'weights' must be a list of arrays"))
    arrays = []
    for i, value in enumerate(raw):
        arr = _decode(i, value)
        if not np.all(np.isfinite(arr)):
            raise PlaygroundError(_("weights[{number}] holds a value that is not a finite number").format(number=i))
        arrays.append(arr)
    if is_convolutional(project["network"]["layers"]):
        return arrays  # the image shape comes with the data: the worker checks every shape on applying them
    if arrays[0].ndim != 2:
        raise PlaygroundError(_("weights[0] must be a kernel (inputs × units)"))
    d = project["data"]
    classes = d["classes"] if d["problem"] == "classification" else None
    net = build_network(project, arrays[0].shape[0], classes)
    net.set_weights(arrays)  # every shape checked: a PlaygroundError names the first misfit
    return arrays


class Autosaver(QObject):
    """Writes the recovery file on a thread of its own, so a big project never freezes the
    window: one write at a time, and a newer request replaces one still waiting. The caller
    hands over what it already holds (the project dict, which edits replace and never change,
    and a snapshot's copied weights); everything else happens here."""

    saved = Signal(bool)  # a write finished on the thread; False: it failed and `error` says why

    _finished = Signal(bool)  # emitted on the writing thread, delivered on the window's

    def __init__(self, recovery: RecoveryFile, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.recovery = recovery
        self._cv = threading.Condition()
        self._pending: tuple[dict[str, Any], Path | None, list[np.ndarray] | None] | None = None
        self._writing = False
        self._remove_after = False  # discarded while a write was under way: its file goes too
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._finished.connect(self._on_finished)

    @property
    def error(self) -> str:
        return self.recovery.error

    def request(self, project: dict[str, Any], source: Path | None, weights: list[np.ndarray] | None) -> None:
        """Save this work as soon as the thread is free (it replaces a save not yet started)."""
        with self._cv:
            if self._stopping:
                return
            self._pending = (project, source, weights)
            self._remove_after = False
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="nnp-autosave", daemon=True)
                self._thread.start()
            self._cv.notify_all()

    def busy(self) -> bool:
        """A save is waiting or being written."""
        with self._cv:
            return self._pending is not None or self._writing

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` s for the saves asked for so far; True when none is left."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while self._pending is not None or self._writing:
                left = deadline - time.monotonic()
                if left <= 0 or self._thread is None or not self._thread.is_alive():
                    return False
                self._cv.wait(left)
        return True

    def discard(self, timeout: float = 1.0) -> None:
        """Nothing to recover any more (saved, or knowingly discarded): drop a waiting save,
        give one being written `timeout` s, and remove the file; a write that outlasts the
        wait removes its own file when it ends."""
        with self._cv:
            self._pending = None
            self._cv.notify_all()
        if not self.wait(timeout):
            with self._cv:
                if self._writing:
                    self._remove_after = True
                    return
        self.recovery.discard()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Finish the write in progress (up to `timeout` s) and end the thread; safe to call twice."""
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cv:
                while self._pending is None and not self._stopping:
                    self._cv.wait()
                if self._pending is None:  # stopping, nothing left to write
                    return
                job, self._pending = self._pending, None
                self._writing = True
            ok = False
            try:
                ok = self.recovery.write(*job)
            except Exception as exc:  # the thread lives on and says what went wrong
                self.recovery.error = _("unexpected error: {reason}").format(reason=exc)
            with self._cv:
                self._writing = False
                if self._remove_after:
                    self._remove_after = False
                    with contextlib.suppress(OSError):
                        self.recovery.discard()
                self._cv.notify_all()
                stopping = self._stopping
            try:
                self._finished.emit(ok)
            except RuntimeError:  # the window (and this object) already went away
                return
            if stopping:
                return

    @Slot(bool)
    def _on_finished(self, ok: bool) -> None:
        self.saved.emit(ok)
