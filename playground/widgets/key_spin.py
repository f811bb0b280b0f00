"""A spin box for a number key of a layer kind: its range, step and precision come from the key
(engine.core.layers.base.Key), so it shows every value the key takes and never sends one the project
validator refuses.

A key whose range spans three decades or more above 0 (batch normalization's epsilon, 1e-10 to
1) steps by factors of 10 and is written in significant digits (0.001, 1e-05); any other steps
linearly by a round step that its default lands on (dropout by 0.05, momentum 0.99 by 0.01).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QWidget

from engine.core.layers.base import Key

from .common import guarded

DIGITS = 6  # significant digits a value is written with and sent as


@dataclass(frozen=True)
class Steps:
    """How a key's spin box moves: its bounds (an open end kept off), its step, and whether it
    steps by factors of 10."""

    lo: float
    hi: float
    step: float
    log: bool
    decimals: int  # what the spin box rounds to (enough for `lo` and the step)


def _nice(x: float) -> float:
    """The largest of 1, 2, 5 × 10^k not above x."""
    k = math.floor(math.log10(x))
    base = x / 10**k
    return next(m for m in (5.0, 2.0, 1.0) if base >= m) * 10**k


def key_steps(key: Key) -> Steps:
    """A number key's spin-box steps (see the module's docstring)."""
    lo = float(key.lo) if key.lo is not None else -1e6
    hi = float(key.hi) if key.hi is not None else 1e6
    if lo > 0 and hi / lo >= 1e3:
        decimals = max(2, -math.floor(math.log10(lo)) + DIGITS)
        return Steps(lo, hi * (1 - 1e-9) if key.hi_open else hi, 10.0, True, min(decimals, 300))
    step = _nice((hi - lo) / 20)
    default = float(key.default or 0.0)
    if abs(default / step - round(default / step)) > 1e-9:  # the default must be a step away from others
        step = 10.0 ** math.floor(math.log10(abs(default - round(default / step) * step)))
    decimals = max(2, -math.floor(math.log10(step)) + 1)
    return Steps(lo, hi - 2 * step if key.hi_open else hi, step, False, decimals)


def rounded(value: float) -> float:
    """`value` as the spin box writes it: DIGITS significant digits."""
    return float(f"{value:.{DIGITS}g}")


class KeySpinBox(QDoubleSpinBox):
    """A QDoubleSpinBox over a number key's Steps: values written with up to DIGITS significant
    digits (a scientific one typed is taken), stepped by 10× for a key spanning decades."""

    def __init__(self, key: Key, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps = key_steps(key)
        self.setDecimals(self.steps.decimals)
        self.setRange(self.steps.lo, self.steps.hi)
        self.setSingleStep(self.steps.step)
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)  # typed 0: the least

    @guarded  # overrides of Qt virtuals
    def textFromValue(self, value: float) -> str:
        return f"{value:.{DIGITS}g}"

    @guarded
    def valueFromText(self, text: str) -> float:
        body = text.removeprefix(self.prefix()).removesuffix(self.suffix()).strip().replace("−", "-")
        try:
            return min(self.maximum(), max(self.minimum(), float(body)))
        except ValueError:
            return self.value()

    @guarded
    def validate(self, text: str, pos: int) -> object:
        body = text.removeprefix(self.prefix()).removesuffix(self.suffix()).strip().replace("−", "-")
        if body in ("", "-", ".", "-.") or body.lower().endswith(("e", "e-", "e+")):
            return QValidator.State.Intermediate, text, pos
        try:
            value = float(body)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        if not math.isfinite(value):
            return QValidator.State.Invalid, text, pos
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos

    @guarded
    def fixup(self, text: str) -> str:
        """A value out of range is taken as the nearest end (0 for epsilon becomes its least)."""
        return self.textFromValue(self.valueFromText(text))

    @guarded
    def stepBy(self, steps: int) -> None:
        if not self.steps.log:
            super().stepBy(steps)
            return
        value = self.value() * 10.0**steps
        self.setValue(min(self.maximum(), max(self.minimum(), rounded(value))))
