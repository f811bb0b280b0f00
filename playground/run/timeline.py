"""Time travel: snapshots kept during a run that a slider scrubs back through. Kept is the first
frame drawn at each new epoch (every epoch when stepping, every few while playing fast), thinned
evenly to a memory budget."""

from __future__ import annotations

import dataclasses

import numpy as np

from .snapshot import GradientFlow, Snapshot, Thinned

BUDGET_BYTES = 64 * 2**20  # for all kept snapshots of a run
MAX_KEPT = 240
MIN_KEPT = 16


def snapshot_bytes(snap: Snapshot) -> int:
    """What keeping a snapshot costs: every array it holds (the data set is shared)."""
    arrays = [*snap.weights, *snap.neuron_grids, *(snap.dead or ())]
    if snap.output_grid is not None:
        arrays.append(snap.output_grid)
    if snap.gradients is not None:
        arrays += [snap.gradients.epochs, snap.gradients.rms, *snap.gradients.histograms]
    if snap.image_eval is not None:
        ev = snap.image_eval
        arrays += [ev.predicted, ev.confusion, *([ev.values] if ev.values is not None else [])]  # indices: shared
    extra = snap.batch_norm.nbytes if snap.batch_norm is not None else 0  # the batch-norm tab's, while open
    return sum(a.nbytes for a in arrays) + extra + 2048


def _compact(grid: np.ndarray) -> np.ndarray:
    """A grid in the smallest float that shows it: kept grids only become colours (8 bits a
    channel), and float16 resolves [−1, 1] to 1/2048. Large values go to float32 when they fit;
    a diverging run's huge values or NaN stay as they are."""
    top = np.abs(grid).max() if grid.size else 0.0
    if top < 60_000:
        return grid.astype(np.float16)
    return grid.astype(np.float32) if top < 1e38 else grid


def _light(snap: Snapshot) -> Snapshot:
    """The part of a snapshot worth keeping: grids compacted (they only become colours), no
    history and no gradient-norm log (both are cut from the live ones when shown), no hidden space."""
    gradients = snap.gradients
    if gradients is not None:
        empty = np.zeros((0, *gradients.rms.shape[1:]))  # fresh: a slice would keep the log alive
        gradients = GradientFlow(np.zeros(0), empty, gradients.histograms)
    return dataclasses.replace(
        snap,
        history={},
        hidden=None,
        gradients=gradients,
        output_grid=None if snap.output_grid is None else _compact(snap.output_grid),
        neuron_grids=[_compact(g) for g in snap.neuron_grids],
        playing=False,
        message="",
        steps_per_second=0.0,
    )


class Timeline:
    """The run's past, newest last. Snapshots are stored light (see `_light`): the history and
    the gradient-norm log are append-only, so a past epoch's are the start of today's."""

    def __init__(self) -> None:
        self.generation = -1
        self._kept = Thinned(MAX_KEPT)
        self._last_epoch = -1

    def add(self, snap: Snapshot) -> bool:
        """Offer a snapshot; kept when it is the first of a new epoch. A new run starts afresh."""
        if snap.generation != self.generation:
            self.generation = snap.generation
            self._kept = Thinned(MAX_KEPT)
            self._last_epoch = -1
        if snap.epoch <= self._last_epoch:
            return False
        self._last_epoch = snap.epoch
        light = _light(snap)
        # The cap follows the snapshots' size (a view opened mid-run makes them bigger).
        self._kept.cap = max(MIN_KEPT, min(MAX_KEPT, BUDGET_BYTES // snapshot_bytes(light)))
        return self._kept.add(light)

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def snapshots(self) -> list[Snapshot]:
        return self._kept.items

    @property
    def nbytes(self) -> int:
        """What the kept snapshots hold."""
        return sum(snapshot_bytes(s) for s in self._kept.items)

    def at(self, index: int, live: Snapshot) -> Snapshot:
        """The kept snapshot `index` with the curves and gradient sizes as they were then (cut
        from the live ones)."""
        kept = self._kept.items[index]
        if live.generation != kept.generation:
            return kept
        history = {k: v[: kept.epoch] for k, v in live.history.items()}
        gradients = kept.gradients
        if gradients is not None and live.gradients is not None:
            upto = live.gradients.epochs <= kept.epoch
            gradients = GradientFlow(live.gradients.epochs[upto], live.gradients.rms[upto], gradients.histograms)
        return dataclasses.replace(kept, history=history, gradients=gradients)
