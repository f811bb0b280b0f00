"""Snapshots: immutable copies of what the views draw, made on the worker thread.

The UI never reads a live engine array; everything here is a fresh copy (or data the worker
created once and never mutates, such as the prepared data set).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.project import PreparedData
from engine.training import Trainer

GRID = 80  # heatmap resolution over the input plane
THUMB_STEP = 4  # neuron thumbnails use every 4th grid point: 20 × 20
HIST_BINS = 30


@dataclass(frozen=True)
class Snapshot:
    generation: int  # bumps when the trainer is rebuilt (structure, data or reset)
    epoch: int
    steps: int
    epoch_progress: float
    last_loss: float
    learning_rate: float
    history: dict[str, array]  # per metric, float64 per epoch, NaN where a split is empty
    weights: list[np.ndarray]  # Keras order [W1, b1, ...]
    histograms: list[tuple[np.ndarray, np.ndarray]]  # per layer: counts, bin edges of the kernel
    data: PreparedData
    extent: tuple[float, float, float, float] | None  # x0, x1, y0, y1 of the grid; None for non-2-D data
    output_grid: np.ndarray | None  # (GRID, GRID, outputs): network output over the plane
    neuron_grids: list[np.ndarray] = field(default_factory=list)  # per layer: (units, g, g)
    project: dict[str, Any] = field(default_factory=dict)  # the project this run was built from
    output_activation: str = "sigmoid"
    threshold: float = 0.5  # output value between class 0 and class 1 when there is one output
    steps_per_second: float = 0.0
    playing: bool = False
    message: str = ""  # divergence, early stop or error text; empty when all is well
    stopped: bool = False


def grid_extent(data: PreparedData) -> tuple[float, float, float, float] | None:
    """The input-plane window for 2-D point data: [−6, 6]² for generated sets, else the data's bounds."""
    if data.dataset.columns != ["x1", "x2"] or data.dataset.image_shape is not None:
        return None
    x = data.dataset.x
    lo, hi = x.min(axis=0), x.max(axis=0)
    if np.all(lo >= -6.5) and np.all(hi <= 6.5):
        return (-6.0, 6.0, -6.0, 6.0)
    pad = 0.08 * (hi - lo + 1e-9)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def grid_points(extent: tuple[float, float, float, float], n: int = GRID) -> np.ndarray:
    """(n·n, 2) raw points, row-major with y increasing by row."""
    xs = np.linspace(extent[0], extent[1], n)
    ys = np.linspace(extent[2], extent[3], n)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def take_snapshot(
    trainer: Trainer,
    generation: int,
    grid_inputs: np.ndarray | None,
    extent: tuple[float, float, float, float] | None,
    **extra: Any,
) -> Snapshot:
    """Copy everything the views need from a trainer (call on the thread that owns it)."""
    with np.errstate(all="ignore"):  # a diverging run may hold huge values; show them, don't warn
        return _snapshot(trainer, generation, grid_inputs, extent, **extra)


def _snapshot(
    trainer: Trainer,
    generation: int,
    grid_inputs: np.ndarray | None,
    extent: tuple[float, float, float, float] | None,
    **extra: Any,
) -> Snapshot:
    net = trainer.network
    weights = net.get_weights()
    hists = []
    for w in net.kernels:
        flat = w.ravel()
        lim = float(np.max(np.abs(flat))) if flat.size else 1.0
        lim = lim if np.isfinite(lim) and lim > 0 else 1.0
        hists.append(np.histogram(flat, bins=HIST_BINS, range=(-lim, lim)))
    output_grid = None
    neuron_grids: list[np.ndarray] = []
    if grid_inputs is not None:
        outs = net.neuron_outputs(grid_inputs)
        output_grid = outs[-1].reshape(GRID, GRID, -1).copy()
        for layer in outs:
            g = layer.reshape(GRID, GRID, -1)[::THUMB_STEP, ::THUMB_STEP]
            neuron_grids.append(np.ascontiguousarray(np.moveaxis(g, 2, 0)))
    history = {k: v[:] for k, v in trainer.history.values.items()}  # compact copies (memcpy)
    return Snapshot(
        generation=generation,
        epoch=trainer.epoch,
        steps=trainer.steps,
        epoch_progress=trainer.epoch_progress,
        last_loss=trainer.last_loss,
        learning_rate=trainer.current_lr,
        history=history,
        weights=weights,
        histograms=hists,
        data=trainer.data,
        extent=extent,
        output_grid=output_grid,
        neuron_grids=neuron_grids,
        stopped=trainer.stopped,
        output_activation=net.activations[-1].name,
        threshold=trainer.loss.decision_threshold,
        project=trainer.project,  # built from a deep copy the worker never changes
        **extra,
    )
