"""The limits a project and the network core keep, and the check every number meets against a range.

The network core (model, layers, training, optimizers) refuses what is past these limits itself,
and the project's field table (engine/project/fields.py) declares its ranges with them; both import
them from here, so the core never depends on the project layer above it.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import PlaygroundError
from .i18n import _

#: Hidden layers a project may hold.
MAX_LAYERS = 16
#: Units of one dense layer (the neuron graph shares it).
MAX_UNITS = 4096
MAX_SAMPLES = 1_000_000
#: Hand-drawn points a project may hold (data.source.points).
MAX_POINTS = 100_000
MAX_EPOCHS = 10_000_000
MAX_SEED = 2**32 - 1
MAX_BATCH = 10_000_000
#: The largest network: 10 million parameters are 80 MB a copy in float64, and training keeps
#: about five copies (weights, gradients, the optimizer's moments, a backup): 400 MB.
MAX_PARAMS = 10_000_000
#: The most values one mini-batch may hold across the layers' activations (z and a): 400 MB.
MAX_ACTIVATIONS = 50_000_000


def show(value: Any) -> str:
    """A value for a message: a huge integer is described, not printed in its 400 digits."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        # Counted without str(), which refuses past 4,300 digits: b bits make k or k + 1 digits.
        k = int(value.bit_length() * math.log10(2))
        return _("a {count}-digit number").format(count=f"{k + (abs(value) >= 10**k):,}")
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def either(names: Any) -> str:
    """Names for a message: "a, b or c"."""
    names = list(names)
    if len(names) < 2:
        return "".join(names)
    return _("{some} or {last}").format(some=", ".join(names[:-1]), last=names[-1])


def fmt(x: float) -> str:
    """A bound in a message: 4,096 or 1e-06."""
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"


def check_number(
    value: Any,
    key: str,
    lo: float | None = None,
    hi: float | None = None,
    integer: bool = False,
    lo_open: bool = False,
    hi_open: bool = False,
) -> Any:
    """A finite number within [lo, hi] (open ends as told), compared before any conversion so an
    integer too big for a float is refused with the range instead of overflowing."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if integer:
            raise PlaygroundError(_("{key} must be a whole number, got {value}").format(key=key, value=show(value)))
        raise PlaygroundError(_("{key} must be a number, got {value}").format(key=key, value=show(value)))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PlaygroundError(_("{key} must be finite, got {value!r}").format(key=key, value=value))
        if integer and value != int(value):
            raise PlaygroundError(_("{key} must be a whole number, got {value!r}").format(key=key, value=value))
    # Python compares an int with a float exactly, whatever its size: no conversion happens here.
    if lo is not None and (value <= lo if lo_open else value < lo):
        raise PlaygroundError(_("{key} must be {relation} {lo}, got {value}").format(
                                  key=key, relation=">" if lo_open else ">=", lo=fmt(lo), value=show(value)))
    if hi is not None and (value >= hi if hi_open else value > hi):
        raise PlaygroundError(_("{key} must be {relation} {hi}, got {value}").format(
                                  key=key, relation="<" if hi_open else "<=", hi=fmt(hi), value=show(value)))
    if integer:
        return int(value)
    if isinstance(value, int) and abs(value) > 2**53 and (lo is None or hi is None):
        raise PlaygroundError(_("{key} must be a number a float can hold exactly, got {value}").format(
                                  key=key, value=show(value)))
    return float(value)
