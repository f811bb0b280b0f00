"""Numbers in worked examples (the loss explorer, the perceptron, the numerical gradient): four
significant digits unless asked, and a true minus sign, so a line reads as the formula does. The
formatter is the app's one (engine/core/numbers.py): scientific past a million and below 1e-4, ∞, NaN."""

from __future__ import annotations

from collections.abc import Iterable

from engine.core.numbers import number


def num(v: float, digits: int = 4) -> str:
    """`v` with `digits` significant digits (more than six where a worked example asks) and a true
    minus sign; −0 shows as 0."""
    return number(v, digits, minus="−", precise=True)


def paren(v: float, digits: int = 4) -> str:
    """A number to subtract or multiply: negative ones in parentheses, so 'x − (−3.1)' reads right."""
    text = num(v, digits)
    return f"({text})" if text.startswith("−") else text


def vec(values: Iterable[float], digits: int = 4) -> str:
    """(a, b, …)."""
    return "(" + ", ".join(num(float(v), digits) for v in values) + ")"
