"""Landscape jobs: the loss plane, the start-to-now slice and the learning-rate range test,
computed in chunks from a copy of a snapshot's weights.

The window sends an `Analyse` to its job thread (playground/run/jobs.py) as a `landscape_job`; the job
builds a trainer on the snapshot's prepared data (shared, never changed), reports progress after
each chunk, and answers with a result or a reason. Cancel ends a job at its next chunk; closing the
window ends the thread the same way.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.core.errors import PlaygroundError
from engine.core.i18n import _
from engine.project import PreparedData
from engine.run.training import Trainer
from engine.teaching.landscape import (
    RangeTest,
    axis,
    interpolation,
    loss_plane,
    lr_range_test,
    path_directions,
    project_path,
    random_directions,
)

from .jobs import Job


@dataclass(frozen=True)
class Analyse:
    """One job on the weights of a snapshot. `kind`: "plane", "slice" or "range"; `path`: the
    weights kept along the run, oldest first (the last is `weights`); `options` per kind."""

    kind: str
    project: dict[str, Any]
    data: PreparedData
    weights: list[np.ndarray]
    path: list[list[np.ndarray]] = field(default_factory=list)
    path_steps: list[int] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PlaneResult:
    alpha: np.ndarray
    beta: np.ndarray
    loss: np.ndarray  # (len(beta), len(alpha))
    directions: str  # "random" or "path"
    coords: np.ndarray | None  # (n, 2) the run's path on the plane, the current weights last
    held: float  # the share of the path's movement the plane holds (random), or of its variance (path)
    rows: int  # training rows the loss is measured on
    of_rows: int  # training rows there are
    centre: float  # the loss at (0, 0): the current weights


@dataclass(frozen=True)
class SliceResult:
    ts: np.ndarray
    curves: dict[str, np.ndarray]  # split -> loss at (1 − t)·start + t·now
    start_step: int  # the optimizer step of the start weights (0 for the run's initial weights)


def landscape_job(job: Analyse) -> Job:
    """`job` for the window's job thread (`jobs.JobWorker`): progress after each chunk, and
    Cancel felt between the chunks of a big split's evaluation too."""
    return Job(lambda progress: run_job(job, progress, progress.check),
               _("not enough memory for this job: use a lower resolution or fewer rows"))


def _trainer(job: Analyse) -> Trainer:
    tr = Trainer(job.project, data=job.data)
    tr.network.set_weights(job.weights)
    return tr


def _flat(tr: Trainer, weights: list[np.ndarray]) -> np.ndarray:
    net = tr.network
    saved = net.params.copy()
    net.set_weights(weights)
    flat = net.params.copy()
    net.params[...] = saved
    return flat


def run_job(job: Analyse, progress: Any = None, check: Any = None) -> PlaneResult | SliceResult | RangeTest:
    """The job's result, computed on the calling thread (the worker's, in the app). `check` is
    called between chunks of a big split's evaluation, so Cancel is felt within one pass."""
    tr = _trainer(job)
    tr.between_chunks = check
    centre = tr.network.params.copy()
    o = job.options
    if job.kind == "range":  # from the run's first kept weights (its initial ones) unless asked otherwise
        start_step = o.get("step")  # the current weights' step, as the window sent it
        if o.get("start", "initial") == "initial" and job.path:
            tr.network.set_weights(job.path[0])
            start_step = job.path_steps[0]
        result = lr_range_test(tr, o.get("lr_min", 1e-5), o.get("lr_max", 10.0), int(o.get("steps", 100)),
                               progress=progress)  # fmt: skip
        return dataclasses.replace(result, start_step=start_step)
    if job.kind == "slice":
        if not job.path:
            raise PlaygroundError(_("the run has no kept start weights yet: press Reset, then train a few epochs"))
        start = _flat(tr, job.path[0])
        ts = np.linspace(-0.25, 1.25, int(o.get("points", 31)))
        return SliceResult(ts, interpolation(tr, start, centre, ts, progress), job.path_steps[0])
    if job.kind != "plane":
        raise PlaygroundError(_("unknown landscape job {kind!r}").format(kind=job.kind))
    x, y = tr.data.x_train, tr.data.y_train
    n = x.shape[0]
    rows = o.get("rows")
    if rows is not None and rows < n:
        pick = np.sort(np.random.default_rng(0).choice(n, size=int(rows), replace=False))
        x, y = x[pick], y[pick]
    path = [_flat(tr, w) for w in job.path] + [centre]
    resolution = int(o.get("resolution", 21))
    if o.get("directions", "random") == "path":
        plane = path_directions(path, centre)
        coords, held = plane.coords, float(sum(plane.explained))
        d1, d2 = plane.d1, plane.d2
        reach = float(np.max(np.abs(coords))) if coords.size else 1.0
        span_a = span_b = 1.25 * reach if reach > 0 else 1.0
    else:
        d1, d2 = random_directions(tr.network, np.random.default_rng(int(o.get("seed", 0))))
        coords, held = project_path(path, centre, d1, d2) if len(path) > 1 else (None, 1.0)
        span_a = span_b = float(o.get("span", 1.0))
    alpha = axis(resolution, span_a)
    beta = axis(resolution, span_b)
    grid = loss_plane(tr, centre, d1, d2, alpha, beta, progress, x, y)
    c = resolution // 2
    return PlaneResult(alpha, beta, grid, o.get("directions", "random"), coords, held, x.shape[0], n, float(grid[c, c]))
