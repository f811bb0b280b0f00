"""A run's per-epoch history: compact append-only series a snapshot shares instead of copying."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: loss, val_loss, test_loss: the mean data loss over the whole split with the epoch's final
#: weights, without the L1/L2 penalty (comparable across regularization settings).
#: fit_loss: what Keras's fit() prints as `loss`, the mean of the epoch's mini-batch losses as
#: they were trained (weights changing along the way), penalty included.
METRIC_KEYS = (
    "loss", "accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy", "fit_loss", "learning_rate"
)  # fmt: skip


@dataclass
class History:
    """Per-epoch metrics, one series per key in METRIC_KEYS.

    Stored as compact float arrays (8 bytes a value, NaN where a split is empty) because a
    long run keeps tens of thousands of epochs; `history[key]` gives a list with None there.
    """

    values: dict[str, array] = field(default_factory=lambda: {k: array("d") for k in METRIC_KEYS})

    def append(self, metrics: dict[str, float | None]) -> None:
        for k in METRIC_KEYS:
            v = metrics.get(k)
            self.values[k].append(math.nan if v is None else v)

    def __getitem__(self, key: str) -> list[float | None]:
        return [None if v != v else v for v in self.values[key]]  # v != v: NaN

    def __len__(self) -> int:
        return len(self.values["loss"])

    def shared(self) -> dict[str, Series]:
        """Every series as it stands now, without copying (what a UI snapshot carries)."""
        return {k: Series(v) for k, v in self.values.items()}


class Series(Sequence[float]):
    """The first n values of an append-only series, shared instead of copied.

    Values below n never change, so a reader on another thread sees a fixed sequence while
    training appends: every read is a single C-level copy under the GIL, and no buffer of the
    growing array is ever exported (that would make its next append fail). NaN where a split
    is empty. A long run thus keeps one copy of its history, however many snapshots hold it.
    """

    __slots__ = ("_n", "_values")

    def __init__(self, values: array, n: int | None = None) -> None:
        self._values = values
        self._n = len(values) if n is None else n

    def __len__(self) -> int:
        return self._n

    @property
    def source(self) -> array:
        """The append-only array behind the series (its first len(self) values are the series):
        what lets a copy in another process receive only the values added since."""
        return self._values

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return self._values[slice(*index.indices(self._n))]
        i = index + self._n if index < 0 else index
        if not 0 <= i < self._n:
            raise IndexError(f"epoch index {index} out of range for {self._n} epochs")
        return self._values[i]

    def __iter__(self) -> Iterator[float]:
        return iter(self._values[: self._n])

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return np.array(self._values[: self._n], dtype=dtype or np.float64)

    def __repr__(self) -> str:
        return f"Series({list(self)!r})"
