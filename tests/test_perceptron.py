"""The perceptron: its rule as written, convergence within Novikoff's bound, XOR's endless
mistakes, and the zero gradient that keeps gradient descent from training a step."""

import math

import numpy as np
import pytest

from engine.core.errors import PlaygroundError
from engine.teaching.perceptron import (
    PERCEPTRON_DATA,
    Perceptron,
    novikoff_bound,
    sigmoid_slope,
    squared_error_gradient,
    step,
    step_derivative,
)


def test_step_and_its_derivative():
    z = np.array([-3.0, -1e-12, 0.0, 1e-12, 2.5])
    assert step(z).tolist() == [0, 0, 0, 1, 1]
    d = step_derivative(z)
    assert d[[0, 1, 3, 4]].tolist() == [0, 0, 0, 0] and math.isnan(d[2])


def test_each_visit_is_the_rule_as_written():
    """w ← w + η(y − ŷ)x, b ← b + η(y − ŷ) with ŷ = step(w·x + b), examples in order."""
    p = Perceptron("and", rate=0.5, w=(0.3, -0.2), b=0.1)
    w, b = np.array([0.3, -0.2]), 0.1
    xs, ys = np.array(PERCEPTRON_DATA.get("and").x), PERCEPTRON_DATA.get("and").y
    for t in range(24):
        u = p.visit()
        x, y = xs[t % 4], ys[t % 4]
        z = w @ x + b
        y_hat = 1 if z > 0 else 0
        assert u.index == t % 4 and u.z == pytest.approx(z) and u.y_hat == y_hat
        w, b = w + 0.5 * (y - y_hat) * x, b + 0.5 * (y - y_hat)
        assert np.allclose(u.w_after, w) and u.b_after == pytest.approx(b)
        assert u.mistake == (y != y_hat)
    assert p.epoch == 6


def test_the_first_and_update_by_hand():
    """From w = (0.3, −0.2), b = 0.1 the first AND example (0, 0) with y = 0 gives z = 0.1,
    ŷ = 1: a mistake, so b drops by η = 0.5 to −0.4 and w stays (x = 0)."""
    u = Perceptron("and", 0.5, (0.3, -0.2), 0.1).visit()
    assert (u.z, u.y_hat, u.error) == (pytest.approx(0.1), 1, -1)
    assert u.w_after.tolist() == [0.3, -0.2] and u.b_after == pytest.approx(-0.4)


SEPARATORS = {"and": (1, 1, -1.5), "or": (1, 1, -0.5), "nand": (-1, -1, 1.5), "two_groups": (1, 1, 0)}


def test_every_separable_set_has_a_separator_here():
    assert set(SEPARATORS) == {n for n in PERCEPTRON_DATA.names() if PERCEPTRON_DATA.get(n).separable}


@pytest.mark.parametrize("name", sorted(SEPARATORS))
def test_separable_data_end_without_mistakes_within_novikoffs_bound(name):
    data = PERCEPTRON_DATA.get(name)
    p = Perceptron(name, rate=1.0)
    for _ in range(200):
        if not any(u.mistake for u in p.run_epoch()):
            break
    assert p.mistakes() == 0
    made = sum(u.mistake for u in p.history)
    # Any line that separates the data with a margin bounds the mistakes made from zero weights.
    *w, b = SEPARATORS[name]
    assert 0 < made <= novikoff_bound(np.array(data.x), np.array(data.y), np.array(w, float), b)


def test_xor_never_stops_making_mistakes():
    p = Perceptron("xor", rate=1.0)
    ends = []
    for _ in range(50):
        assert any(u.mistake for u in p.run_epoch())
        ends.append((*p.w, p.b))
    assert p.mistakes() >= 1 and len(set(ends[10:])) < len(ends[10:])  # it cycles


def test_gradient_descent_gets_zero_through_the_step():
    """L = ½(step(z) − y)²: a wrong answer still gives ∂L/∂w = (ŷ − y)·0·x = 0, where σ gives σ'(z) > 0."""
    w, b, x, y = np.array([0.3, -0.2]), 0.1, np.array([1.0, 0.0]), 0  # z = 0.4, ŷ = 1: wrong
    gw, gb, slope = squared_error_gradient(w, b, x, y)
    assert slope == 0 and gw.tolist() == [0.0, 0.0] and gb == 0.0
    s = 1 / (1 + math.exp(-0.4))
    assert sigmoid_slope(0.4) == pytest.approx(s * (1 - s)) and sigmoid_slope(0.4) > 0.2
    assert all(math.isnan(v) for v in squared_error_gradient(np.zeros(2), 0.0, x, y)[0])  # z = 0: none


def test_bad_settings_are_refused():
    with pytest.raises(PlaygroundError, match="rate"):
        Perceptron("and", rate=0)
    with pytest.raises(PlaygroundError, match="finite"):
        Perceptron("and", w=(math.inf, 0))
    with pytest.raises(PlaygroundError, match="does not separate"):
        novikoff_bound(np.array([[0.0, 0], [1, 1]]), np.array([0, 1]), np.array([-1.0, -1]), 0.5)
