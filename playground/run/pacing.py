"""How fast training goes on screen: the speed control's choices, and the pace a worker keeps.

Training as fast as it can, a preset's whole story is over in a second; a class wants to watch
it. A `Speed` says how many mini-batch updates, or epochs, a second the worker may take (an
epoch's steps spread evenly over its share of the second, so the boundary moves smoothly), or
"slow start": 2 epochs a second at first, then faster and faster until nothing holds it back.
The worker keeps the pace itself (`Pacer`, in the worker's loop, playground/run/worker_loop.py): it
waits for the next step on its command queue, so the window is never slowed and a command or a
ping is answered at once. The speed is the viewer's, not the model's: it changes no number a
run computes, so it is an app preference (remembered in QSettings by panels/speed.py), not a
project field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.core.i18n import N_

#: Slow start: the pace at epoch 0 (epochs a second), and how many epochs add 1 epoch/s to it:
#: pace(e) = r + e / g, so epoch e is reached t = g·ln(1 + e / (r·g)) seconds in (r = 2, g = 2.5:
#: epoch 10 after 2.7 s, 100 after 7.6 s, 1,000 after 13 s, when the pace is 400 epochs a second).
SLOW_START_RATE = 2.0
SLOW_START_GROWTH = 2.5
#: Past this pace (epochs a second) slow start holds nothing back any more.
SLOW_START_FULL = 2000.0
#: A unit that starts this late or less keeps the cadence (the next ones catch up: a wake-up on a
#: busy machine is often a few ms late); later than that (a pause, a frame, a slow step), the
#: schedule moves on from when it started instead of making the time up in a burst.
CATCH_UP = 0.05


@dataclass(frozen=True)
class Speed:
    """One choice of the speed control: `steps` updates a second, or `epochs` a second, or a
    slow start, or (all unset) as fast as the machine goes."""

    key: str  # what the settings file keeps
    label: str  # what the control shows
    help: str  # what it does, in words (tooltip and README)
    steps: float = 0.0  # mini-batch updates a second (0: not paced by steps)
    epochs: float = 0.0  # epochs a second (0: not paced by epochs)
    slow_start: bool = False

    @property
    def paced(self) -> bool:
        """Whether this speed ever holds training back."""
        return bool(self.steps or self.epochs or self.slow_start)


# The labels and help are the catalog's messages (engine/core/i18n.py): the control shows them translated.
SPEEDS: tuple[Speed, ...] = (
    Speed("1step", N_("1 step/s"), N_("slow motion: one mini-batch update a second, each one drawn"), steps=1.0),
    Speed("1epoch", N_("1 epoch/s"), N_("one epoch a second, its mini-batches spread over the second"), epochs=1.0),
    Speed("3epochs", N_("3 epochs/s"), N_("three epochs a second"), epochs=3.0),
    Speed("10epochs", N_("10 epochs/s"), N_("ten epochs a second"), epochs=10.0),
    Speed("30epochs", N_("30 epochs/s"), N_("thirty epochs a second"), epochs=30.0),
    Speed("100epochs", N_("100 epochs/s"), N_("a hundred epochs a second"), epochs=100.0),
    Speed(
        "slowstart",
        N_("slow start"),
        N_("the first epochs at 2 a second, then faster and faster (epoch 10 after about 3 s, "
           "100 after 8 s, 1,000 after 13 s) until the machine's own speed; a reset starts slowly again"),
        slow_start=True,
    ),
    Speed("max", N_("fastest"), N_("as fast as the machine goes (the views still redraw about 30 times a second)")),
)
FASTEST = SPEEDS[-1]


def speed_named(key: object) -> Speed:
    """The speed stored as `key` (fastest for anything unknown: an old or edited settings file)."""
    return next((s for s in SPEEDS if s.key == key), FASTEST)


def steps_per_epoch(rows: int, batch_size: int, last_batch: str = "partial") -> float:
    """Mini-batch updates in one epoch of `rows` training rows: a partial last batch is a step of
    its own; carried over (TensorFlow Playground's rule), it joins the next epoch's first."""
    size = max(1, min(batch_size, rows) if last_batch == "carry" else batch_size)
    per = rows // size if last_batch == "carry" else math.ceil(rows / size)
    return float(max(1, per))


class Pacer:
    """The earliest time the next unit of training may start, at the chosen speed. A unit that
    starts more than CATCH_UP late (a frame being drawn, a slow step) moves the schedule on from
    when it started: lost time is never made up in a burst."""

    def __init__(self) -> None:
        self.speed = FASTEST
        self._next = 0.0  # perf_counter() time the next unit may start

    def set(self, speed: Speed) -> None:
        """A new speed, effective now (a long wait of a slower one is not kept)."""
        self.speed = speed
        self._next = 0.0

    def interval(self, epochs_done: float, per_epoch: float) -> float:
        """Seconds from one unit's start to the next's at `epochs_done` epochs into the run, with
        `per_epoch` units an epoch (0: no waiting)."""
        s = self.speed
        if s.steps:
            return 1.0 / s.steps
        rate = s.epochs
        if s.slow_start:
            rate = SLOW_START_RATE + max(0.0, epochs_done) / SLOW_START_GROWTH
            if rate >= SLOW_START_FULL:
                return 0.0
        return 1.0 / (rate * max(per_epoch, 1.0)) if rate else 0.0

    def wait(self, now: float) -> float:
        """Seconds until the next unit may start (0: now)."""
        return max(0.0, self._next - now)

    def started(self, at: float, interval: float) -> None:
        """A unit started at `at`; the next may start `interval` later."""
        if not interval:
            self._next = 0.0
            return
        due = self._next
        self._next = (due if at - due <= CATCH_UP else at) + interval
