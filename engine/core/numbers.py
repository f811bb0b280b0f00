"""Every number a person reads, one way: the curves' header, the status bar, tooltips, the
command line's progress and tables, dialogs, the worked examples.

At most MAX_DIGITS significant digits; scientific notation from 1e6 up and below 1e-4
("5.381e263", "1.2e-5"), so a diverging loss never prints 264 digits; ∞, −∞ and NaN as signs
and words, never "inf". Worked examples ask for a true minus sign (−) or for fixed decimals that
line up in a column, from the same function.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence

MAX_DIGITS = 6  # significant digits, at most
PRECISE_DIGITS = 15  # ...but a worked example of round-off may ask for up to this many
BIG = 1e6  # from here up: scientific notation
SMALL = 1e-4  # below this (and above 0): scientific notation


def number(value: float, digits: int = 4, *, decimals: int | None = None, sign: bool = False,
           minus: str = "-", grouped: bool = False, precise: bool = False) -> str:  # fmt: skip
    """`value` for a reader: `digits` significant digits (1 to MAX_DIGITS; a whole part longer than
    that is shown whole, up to six digits), or with `decimals` fixed decimals instead (a column of
    them lines up); scientific notation at |value| ≥ 1e6 or below 1e-4; "∞", "−∞", "NaN".
    `sign`: "+" before positive values; `minus`: the minus sign ("−" in worked examples); −0 is "0";
    `grouped`: thousands separated ("12,500"); `precise`: up to PRECISE_DIGITS digits, for a worked
    example whose point is the digits (f(x + h) − f(x) in a numerical gradient)."""
    v = float(value)
    plus = "+" if sign else ""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return f"{plus}∞" if v > 0 else f"{minus}∞"
    digits = min(max(int(digits), 1), PRECISE_DIGITS if precise else MAX_DIGITS)
    mag = abs(v)
    zero = False
    if mag != 0 and (mag < SMALL or mag >= BIG):
        text = _scientific(mag, digits)
    else:
        text = _fixed(mag, digits, decimals)
        zero = float(text) == 0  # rounded to zero: no sign
        if float(text) >= BIG:  # 999,999.7 rounds up to a million
            text = _scientific(mag, digits)
        elif grouped:
            whole, dot, rest = text.partition(".")
            text = f"{int(whole):,}{dot}{rest}"
    if minus != "-":
        text = text.replace("-", minus)  # the exponent's sign too: 1.2e−5
    if zero:
        return text
    return (minus if v < 0 else plus) + text


def _fixed(mag: float, digits: int, decimals: int | None) -> str:
    if decimals is not None:
        decimals = min(max(int(decimals), 0), MAX_DIGITS)
        if mag == 0:
            return f"{0:.{decimals}f}"
        # Fixed decimals still keep at most MAX_DIGITS significant digits.
        whole = max(0, math.floor(math.log10(mag)) + 1)
        return f"{mag:.{max(0, min(decimals, MAX_DIGITS - whole))}f}"
    if mag == 0:
        return "0"
    exponent = math.floor(math.log10(mag))
    text = f"{mag:.{max(0, digits - 1 - exponent)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _scientific(mag: float, digits: int) -> str:
    mantissa, exponent = f"{mag:.{digits - 1}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def numbers(values: object, digits: int = 4, **options: object) -> str:
    """Several numbers, comma-separated: "0.1, 2.5e-5, ∞"."""
    return ", ".join(number(float(v), digits, **options) for v in values)  # type: ignore[attr-defined]


def cells(text: str) -> int:
    """How many columns `text` takes in a fixed-width font: East Asian wide letters (Hangul) take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def line_up(parts: Sequence[tuple[str, int, bool]], measure: Callable[[str], float] = cells) -> str:
    """One line of a table from (text, width in columns, right-aligned) parts: each padded with spaces
    until the line so far spans the widths so far, as `measure` counts the whole line (a font may give
    the spaces beside Hangul the Hangul font's width, so parts are not measured alone)."""
    line, end = "", 0
    for text, width, right in parts:
        end += width

        def filled(n: int, before: str = line, text: str = text, right: bool = right) -> str:
            return before + (" " * n + text if right else text + " " * n)

        n = max(0, end - cells(filled(0)))
        while n > 0 and measure(filled(n)) > end + 0.5:
            n -= 1
        while measure(filled(n + 1)) <= end + 0.5:
            n += 1
        line = filled(n)
    return line


__all__ = ["BIG", "MAX_DIGITS", "PRECISE_DIGITS", "SMALL", "cells", "line_up", "number", "numbers"]
