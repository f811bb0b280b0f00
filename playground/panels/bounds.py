"""Number controls bounded as the field table (engine/project/fields.py) bounds their setting: a panel
never writes a range of its own, so what a control offers is what the project file accepts."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QSpinBox

from engine.project.fields import field

from ..widgets import NumberEdit

#: The largest value a QSpinBox holds (a C int): a wider range is cut there.
SPIN_MAX = 2**31 - 1


def spin_range(spin: QSpinBox, path: str) -> QSpinBox:
    """`spin` over the whole numbers the field at `path` allows (up to SPIN_MAX), stepping by its step."""
    f = field(path)
    lo = -SPIN_MAX if f.lo is None else math.floor(f.lo) + 1 if f.lo_open else math.ceil(f.lo)
    hi = SPIN_MAX if f.hi is None else math.ceil(f.hi) - 1 if f.hi_open else math.floor(f.hi)
    spin.setRange(max(lo, -SPIN_MAX), min(hi, SPIN_MAX))
    spin.setSingleStep(int(f.step or 1))
    return spin


def number_edit(path: str, value: float) -> NumberEdit:
    """A number field for the setting at `path`, within its range (an open end, such as a learning
    rate's 0, is refused by the project's check in its own words)."""
    f = field(path)
    return NumberEdit(value, -math.inf if f.lo is None else f.lo, math.inf if f.hi is None else f.hi)
