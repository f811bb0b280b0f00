"""Time travel: snapshots kept during a run (one per epoch, thinned to a memory budget) that a
slider scrubs back through."""

from __future__ import annotations

import dataclasses

from .snapshot import Snapshot, Thinned

BUDGET_BYTES = 64 * 2**20  # for all kept snapshots of a run
MAX_KEPT = 240
MIN_KEPT = 16


def snapshot_bytes(snap: Snapshot) -> int:
    """What keeping a snapshot costs (its arrays; the data set is shared, the history dropped)."""
    total = sum(w.nbytes for w in snap.weights)
    total += snap.output_grid.nbytes if snap.output_grid is not None else 0
    total += sum(g.nbytes for g in snap.neuron_grids)
    return total + 2048


class Timeline:
    """The run's past, newest last. Snapshots are stored without their history (the history is
    append-only, so a past epoch's curves are the first `epoch` values of today's)."""

    def __init__(self) -> None:
        self.generation = -1
        self._kept = Thinned(MAX_KEPT)
        self._last_epoch = -1

    def add(self, snap: Snapshot) -> bool:
        """Offer a snapshot; kept when it is the first of a new epoch. A new run starts afresh."""
        if snap.generation != self.generation:
            self.generation = snap.generation
            cap = max(MIN_KEPT, min(MAX_KEPT, BUDGET_BYTES // snapshot_bytes(snap)))
            self._kept = Thinned(cap)
            self._last_epoch = -1
        if snap.epoch <= self._last_epoch:
            return False
        self._last_epoch = snap.epoch
        light = dataclasses.replace(snap, history={}, hidden=None, playing=False, message="", steps_per_second=0.0)
        return self._kept.add(light)

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def snapshots(self) -> list[Snapshot]:
        return self._kept.items

    def at(self, index: int, live: Snapshot) -> Snapshot:
        """The kept snapshot `index` with the curves as they were then (cut from the live history)."""
        kept = self._kept.items[index]
        history = {k: v[: kept.epoch] for k, v in live.history.items()} if live.generation == kept.generation else {}
        return dataclasses.replace(kept, history=history)  # its gradient log is its own copy
