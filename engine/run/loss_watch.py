"""A watch on the training loss: a rate too high for the problem does not always end in NaN.

SGD at α = 10 on the tanh spiral keeps every number finite while its training loss bounces
between 5 and 20 for hundreds of epochs; nothing said so. The watch looks at the last WINDOW
epochs' training loss (the whole split at each epoch's end) and speaks when both hold:

- it swung up: some epoch's loss is at least FACTOR times an earlier one's in the window;
- it is not learning: the window's median is at least LEVEL times the loss at the first
  epoch watched (where the run, or the current settings, started).

Both are needed. Adam on the spiral spikes ×30 and recovers while its loss sits far below the
start, and a run that learns slowly never swings. Measured over 500 epochs of every dense preset
at its own settings: never a word; SGD at α = 3 and 10 on the tanh spiral, and α = 10 on logistic
regression: from epoch 20 or 60 on (tests/test_loss_watch.py).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from ..core.i18n import _
from ..core.numbers import number

WINDOW = 20  # epochs watched
FACTOR = 2.0  # an upswing at least this large...
LEVEL = 0.5  # ...while the median loss stays at least this share of where it started


@dataclass(frozen=True)
class Swing:
    """What the watch saw: the window's lowest loss before its highest, the highest, whether the
    loss ends near its highest (it rose) or came down again (it bounces), over `epochs`."""

    low: float
    high: float
    rising: bool
    epochs: int

    @property
    def ratio(self) -> float:
        return self.high / self.low


class LossWatch:
    """Feeds on one training loss per epoch; `swing` is the pattern while it lasts, else None."""

    def __init__(self, window: int = WINDOW, factor: float = FACTOR, level: float = LEVEL) -> None:
        self.window, self.factor, self.level = window, factor, level
        self.losses: deque[float] = deque(maxlen=window)
        self.start: float | None = None  # the first loss since the last reset
        self.swing: Swing | None = None

    def reset(self) -> None:
        """Start watching afresh (new settings: what came before says nothing about them)."""
        self.losses.clear()
        self.start = None
        self.swing = None

    def add(self, loss: float | None) -> Swing | None:
        """One epoch's training loss (None or not finite: skipped, the divergence speaks for itself)."""
        if loss is None or not math.isfinite(loss):
            return self.swing
        if self.start is None:
            self.start = loss
        self.losses.append(loss)
        self.swing = self._look()
        return self.swing

    def _look(self) -> Swing | None:
        values = list(self.losses)
        if len(values) < self.window or self.start is None or self.start <= 0:
            return None
        ordered = sorted(values)
        n = len(ordered)
        median = ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])
        if median < self.level * self.start:
            return None
        best: tuple[float, float, float] | None = None  # (ratio, low, high)
        low = math.inf
        for v in values:
            if 0 < low < math.inf and v / low >= self.factor and (best is None or v / low > best[0]):
                best = (v / low, low, v)
            low = min(low, v)
        if best is None:
            return None
        _ratio, lo, hi = best
        rising = values[-1] >= self.factor * lo and values[-1] >= 0.8 * hi  # it ends near the top
        return Swing(lo, hi, rising, len(values))


def swing_words(swing: Swing, learning_rate: float, optimizer: str) -> str:
    """The watch's finding and what to try, in words: "The training loss bounced between 5.1 and
    19.8 over the last 20 epochs (×3.9) without diverging: α = 10 is likely too high for SGD
    here. Try 1 or lower." (α: the rate the steps used, schedule included.)"""
    lo, hi = number(swing.low), number(swing.high)
    if swing.rising:
        words = _("The training loss rose from {lo} to {hi} over the last {epochs} epochs (×{ratio}) without "
                  "diverging: α = {lr} is likely too high for {optimizer} here. Try {lower} or lower.")
    else:
        words = _("The training loss bounced between {lo} and {hi} over the last {epochs} epochs (×{ratio}) "
                  "without diverging: α = {lr} is likely too high for {optimizer} here. Try {lower} or lower.")
    return words.format(lo=lo, hi=hi, epochs=swing.epochs, ratio=number(swing.ratio, 2), lr=number(learning_rate),
                        optimizer=optimizer, lower=number(learning_rate / 10))


__all__ = ["FACTOR", "LEVEL", "WINDOW", "LossWatch", "Swing", "swing_words"]
