"""Run history: every run of the session with its settings and curves, to overlay, compare and
export. A run starts whenever the trainer is rebuilt (reset, structural edit, new data)."""

from __future__ import annotations

import copy
import csv
import io
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine import ACTIVATIONS, LOSSES, REGULARIZERS
from engine.core.i18n import _
from engine.core.layers import layer_label
from engine.core.numbers import number
from engine.core.optimizers import OPTIMIZERS
from engine.core.registry import spec_name
from engine.data import DATASETS
from engine.run.training import METRIC_KEYS

from .snapshot import Snapshot

MAX_RUNS = 50  # oldest runs are dropped beyond this (each keeps a few floats per epoch)


@dataclass
class Run:
    number: int
    project: dict[str, Any]
    started: str
    generation: int
    history: dict[str, Sequence[float]] = field(default_factory=dict)
    epochs: int = 0
    steps: int = 0

    @property
    def label(self) -> str:
        return _("Run {number}").format(number=self.number)

    def summary(self) -> str:
        """What distinguishes a run at a glance: optimizer, α, layers, data."""
        t, n, d = self.project["training"], self.project["network"], self.project["data"]
        layers = "-".join(layer_label(h) for h in n["layers"]) or _("no hidden layer")
        acts = sorted({spec_name(a) for a in (h.get("activation") for h in n["layers"]) if a})
        src = DATASETS.words(d["source"]) if isinstance(d["source"], str) else _("{kind} file").format(
            kind=next(iter(d["source"])))
        reg = t["regularization"]
        on = reg["kind"] != "none" and reg["rate"]
        reg_text = f" · {REGULARIZERS.words(reg['kind'])} {number(reg['rate'], 6)}" if on else ""
        return (
            f"{OPTIMIZERS.words(t['optimizer']['name'])} α={number(t['optimizer']['learning_rate'], 6)} · {layers} "
            f"{'/'.join(ACTIVATIONS.words(a) for a in acts)} · {LOSSES.words(t['loss'])} · {src}{reg_text}"
        )

    def last(self, key: str) -> float:
        values = self.history.get(key)
        return values[-1] if values else math.nan


def flatten(project: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"training.optimizer.learning_rate": 0.03, "network.layers.0.units": 4, ...}."""
    out: dict[str, Any] = {}
    items = project.items() if isinstance(project, dict) else enumerate(project)
    for key, value in items:
        path = f"{prefix}{key}"
        if isinstance(value, dict | list) and value:
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


class RunHistory:
    """The session's runs, newest last; the last one is the run in progress."""

    def __init__(self) -> None:
        self.runs: list[Run] = []
        self._count = 0

    @property
    def current(self) -> Run | None:
        return self.runs[-1] if self.runs else None

    def update(self, snap: Snapshot) -> bool:
        """Follow the newest snapshot; True when a new run started."""
        run = self.current
        started = False
        if run is None or snap.generation != run.generation:
            if run is not None and run.steps == 0:
                self.runs.pop()  # a rebuild that never trained is not a run: reuse its number
                self._count -= 1
            self._count += 1
            run = Run(self._count, copy.deepcopy(snap.project), time.strftime("%H:%M:%S"), snap.generation)
            self.runs.append(run)
            if len(self.runs) > MAX_RUNS:
                del self.runs[0]
            started = True
        run.history = snap.history  # shared, fixed-length views of the trainer's own series
        run.epochs, run.steps = snap.epoch, snap.steps
        return started

    def find(self, number: int) -> Run | None:
        return next((r for r in self.runs if r.number == number), None)

    def clear(self) -> None:
        """Forget every finished run (the one in progress stays)."""
        self.runs = self.runs[-1:]

    @staticmethod
    def compare(a: Run, b: Run) -> list[tuple[str, Any, Any]]:
        """Every setting of two runs side by side: (key, value in a, value in b)."""
        fa, fb = flatten(a.project), flatten(b.project)
        keys = list(dict.fromkeys([*fa, *fb]))
        return [(k, fa.get(k, "—"), fb.get(k, "—")) for k in keys if not k.startswith("app.")]

    def to_csv(self, runs: list[Run] | None = None) -> str:
        """Long format: one row per run and epoch, with its settings summary and every metric."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["run", "settings", "epoch", *METRIC_KEYS])
        for run in runs if runs is not None else self.runs:
            n = len(run.history.get("loss", []))
            for e in range(n):
                values = [run.history[k][e] if k in run.history else math.nan for k in METRIC_KEYS]
                writer.writerow([run.number, run.summary(), e + 1, *("" if v != v else repr(v) for v in values)])
        return buf.getvalue()
