"""One number formatter for everything a person reads: six significant digits at most, scientific
notation past a million and below 1e-4, ∞ and NaN in signs and words."""

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.core.numbers import MAX_DIGITS, number, numbers
from playground.windows.worked import num, paren, vec


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [
        (0.66831234, 4, "0.6683"),
        (0.66831234, 6, "0.668312"),
        (5.381149627517822e263, 4, "5.381e263"),  # lesson 16's loss: 264 digits before
        (1.144405378750126e126, 6, "1.14441e126"),
        (math.inf, 4, "∞"),
        (-math.inf, 4, "-∞"),
        (math.nan, 4, "NaN"),
        (1e-5, 4, "1e-5"),
        (-1.23456e-7, 4, "-1.235e-7"),
        (0.0001, 4, "0.0001"),  # 1e-4 itself is fixed; below it, scientific
        (0.00012345, 4, "0.0001234"),
        (999_999.7, 4, "1e6"),  # rounds up to a million: scientific
        (123_456.7, 4, "123457"),  # a whole part up to six digits is shown whole
        (1e6, 6, "1e6"),
        (12.3456, 4, "12.35"),
        (3.0, 4, "3"),
        (0.1 + 0.2, 6, "0.3"),
        (0.0, 4, "0"),
        (-0.0, 4, "0"),
        (0.99996, 4, "1"),
        (42, 9, "42"),  # more than six digits asked: six
    ],
)
def test_number(value, digits, shown):
    assert number(value, digits) == shown


def test_fixed_decimals_line_up_and_signs():
    assert [number(v, decimals=2) for v in (1, 0.5, -2.25, 0)] == ["1.00", "0.50", "-2.25", "0.00"]
    assert number(2.5e7, decimals=2) == "2.5e7"  # still scientific past a million
    assert number(0.25, sign=True) == "+0.25" and number(-0.25, sign=True) == "-0.25"
    assert number(0.0, sign=True) == "0" and number(math.inf, sign=True) == "+∞"
    assert number(-1.5e-9, minus="−") == "−1.5e−9" and number(-math.inf, minus="−") == "−∞"
    assert numbers([1, math.nan, 2e-7]) == "1, NaN, 2e-7"
    assert number(12_499.6, 2, grouped=True) == "12,500" and number(2.5e9, grouped=True) == "2.5e9"
    assert number(12.4984500951, 12) == "12.4985" and number(12.4984500951, 12, precise=True) == "12.4984500951"


@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(1, MAX_DIGITS))
def test_never_more_than_six_significant_digits_and_reads_back(value, digits):
    text = number(value, digits)
    mantissa = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    assert len(mantissa) <= MAX_DIGITS, text
    error = abs(Decimal(text) - Decimal(value))  # Decimal: "2e308" is past the largest float
    assert error <= Decimal(0.5 * 10 ** (1 - digits) + 1e-15) * abs(Decimal(value)), text
    assert len(text) <= 14, text  # never 264 digits: at most "-1.23457e-308"


def test_worked_examples_use_the_same_formatter_with_a_true_minus():
    assert num(-3.14159) == "−3.142" and num(-0.0) == "0" and num(2e-7) == "2e−7"
    assert paren(-3.1) == "(−3.1)" and paren(2) == "2"
    assert vec([1, -0.5, math.inf]) == "(1, −0.5, ∞)"
    assert num(12.4984500951, 12) == "12.4984500951"  # the numerical gradient's digits are its point
