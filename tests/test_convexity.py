"""Convex or not: logistic regression's loss over (w, b) with cross-entropy and with squared error."""

import numpy as np
import pytest

from engine.core.activations import get_activation
from engine.core.errors import PlaygroundError
from engine.core.losses import get_loss
from engine.teaching.convexity import (
    CONVEXITY_DATA,
    KINDS,
    descend,
    eigenvalues,
    gradient,
    hessian,
    loss,
    surface,
)

REGISTERED = {"cross_entropy": "binary_crossentropy", "squared_error": "mse"}


def data(name="overlapping"):
    d = CONVEXITY_DATA.get(name)
    return np.array(d.x, float), np.array(d.y, float)


@pytest.mark.parametrize("kind", KINDS)
def test_the_loss_is_the_registered_one(kind):
    x, y = data()
    sigmoid = get_activation("sigmoid")
    for w, b in [(0.0, 0.0), (1.3, -0.7), (-3.0, 2.5)]:
        z = (w * x + b)[:, None]
        want = get_loss(REGISTERED[kind]).value(z, sigmoid.forward(z.copy()), y, sigmoid)
        assert loss(kind, w, b, x, y) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_gradient_and_hessian_match_finite_differences(kind):
    x, y = data()
    h = 1e-5
    for w, b in [(0.3, -0.5), (2.0, 1.0), (-1.2, 0.4)]:
        gw, gb = gradient(kind, w, b, x, y)
        assert gw == pytest.approx((loss(kind, w + h, b, x, y) - loss(kind, w - h, b, x, y)) / (2 * h), abs=1e-8)
        assert gb == pytest.approx((loss(kind, w, b + h, x, y) - loss(kind, w, b - h, x, y)) / (2 * h), abs=1e-8)
        hww, hwb, hbb = hessian(kind, w, b, x, y)
        assert hww == pytest.approx((gradient(kind, w + h, b, x, y)[0] - gradient(kind, w - h, b, x, y)[0]) / (2 * h),
                                    abs=1e-7)  # fmt: skip
        assert hwb == pytest.approx((gradient(kind, w, b + h, x, y)[0] - gradient(kind, w, b - h, x, y)[0]) / (2 * h),
                                    abs=1e-7)  # fmt: skip
        assert hbb == pytest.approx((gradient(kind, w, b + h, x, y)[1] - gradient(kind, w, b - h, x, y)[1]) / (2 * h),
                                    abs=1e-7)  # fmt: skip
        lo, hi = eigenvalues(np.array(hww), np.array(hwb), np.array(hbb))
        assert [lo, hi] == pytest.approx(np.linalg.eigvalsh([[hww, hwb], [hwb, hbb]]), abs=1e-12)


@pytest.mark.parametrize("name", CONVEXITY_DATA.names())
def test_cross_entropy_is_convex_and_squared_error_is_not(name):
    """On a 201 × 201 grid: cross-entropy's Hessian is positive semi-definite at every point,
    squared error's has a negative eigenvalue at many."""
    x, y = data(name)
    ce, se = surface("cross_entropy", x, y), surface("squared_error", x, y)
    assert np.all(ce.lowest_eigenvalue >= -1e-12) and ce.negative_share == 0
    assert se.lowest_eigenvalue.min() < -0.1 and se.negative_share > 0.5


def test_squared_error_has_two_minima_and_cross_entropy_one():
    x, y = data("overlapping")
    ce, se = surface("cross_entropy", x, y), surface("squared_error", x, y)
    assert len(ce.minima) == 1 and len(se.minima) == 2
    assert (ce.minima[0].w, ce.minima[0].b) == pytest.approx((0.2022, -0.6939), abs=1e-4)
    assert [m.w for m in se.minima] == pytest.approx([0.1810, 0.6761], abs=1e-4)
    assert [m.b for m in se.minima] == pytest.approx([-0.5858, -0.4569], abs=1e-4)
    assert se.minima[0].value < se.minima[1].value
    for m in se.minima:
        assert np.hypot(*gradient("squared_error", m.w, m.b, x, y)) < 1e-9
        assert eigenvalues(*hessian("squared_error", m.w, m.b, x, y))[0] > 0
    assert surface("cross_entropy", *data("separable")).minima == []  # it falls for ever as w grows


def test_gradient_descent_finds_the_one_minimum_or_gets_stuck():
    """From (2, −3) descent on squared error settles in the worse minimum and from (3, 2) it is still
    on a plateau after 3,000 steps; on cross-entropy both reach the minimum."""
    x, y = data("overlapping")
    ce, se = surface("cross_entropy", x, y), surface("squared_error", x, y)
    for start in [(2, -3), (3, 2)]:
        end = descend("cross_entropy", x, y, start, 1.0, 3000)[-1]
        assert end == pytest.approx((ce.minima[0].w, ce.minima[0].b), abs=1e-6)
    worse = descend("squared_error", x, y, (2, -3), 1.0, 3000)[-1]
    assert worse == pytest.approx((se.minima[1].w, se.minima[1].b), abs=1e-6)
    path = descend("squared_error", x, y, (3, 2), 1.0, 3000)
    assert path.shape == (3001, 2) and path[-1][0] > 5 and loss("squared_error", *path[-1], x, y) > 0.25
    assert np.hypot(*gradient("squared_error", *path[-1], x, y)) < 1e-3  # it barely moves: a plateau


def test_one_step_is_the_update_rule():
    x, y = data()
    path = descend("squared_error", x, y, (0.5, 0.5), 0.3, 1)
    gw, gb = gradient("squared_error", 0.5, 0.5, x, y)
    assert path[1] == pytest.approx((0.5 - 0.3 * gw, 0.5 - 0.3 * gb), rel=1e-15)


@pytest.mark.parametrize("x, y, message", [
    ([1.0], [0], "2 to 100 inputs"),
    ([1.0, 2.0], [0], "one label per input"),
    ([1.0, np.inf], [0, 1], "from −1000 to 1000"),
    ([1.0, 2.0], [0, 2], "0 or 1"),
])
def test_bad_points_are_refused(x, y, message):
    with pytest.raises(PlaygroundError, match=message):
        surface("cross_entropy", x, y)
