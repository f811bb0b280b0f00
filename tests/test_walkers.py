"""Random search and the forward-difference gradient on the test surfaces, against their formulas."""

import numpy as np
import pytest

from engine.core.errors import PlaygroundError
from engine.teaching.surfaces import Walker, get_surface
from engine.teaching.walkers import RANDOM_SEARCH, RandomSearch, default_step, forward_difference, make_walker


def test_random_search_steps_as_written():
    """Each step: k tries p + σ·ε from the seeded generator; the best is taken only if f is lower."""
    s = get_surface("rosenbrock")
    walker = RandomSearch(s, {"step_size": 0.1, "tries": 3, "seed": 7})
    walker.step(60)
    rng = np.random.default_rng(7)
    p = np.array(s.start)
    f = float(s.f(*p))
    moved = 0
    for t in range(60):
        trial = p + 0.1 * rng.standard_normal((3, 2))
        values = s.f(trial[:, 0], trial[:, 1])
        best = int(np.argmin(values))
        if values[best] < f:
            p, f = trial[best], float(values[best])
            moved += 1
        assert walker.points[t + 1] == pytest.approx(tuple(p), abs=0) and walker.values[t + 1] == f
    assert walker.accepted == moved and 0 < moved < 60 and walker.evaluations == 1 + 3 * 60
    assert np.all(np.diff(walker.values) <= 0)  # it never goes up


def test_gradient_descent_beats_random_search_on_the_bowl():
    """100 steps on ½(x² + 10y²): SGD at the surface's rate is at 1e-15; random search, whatever the
    seed, is still thousands of times higher (each try is a blind guess)."""
    s = get_surface("quadratic")
    sgd = make_walker(s, {"name": "sgd", "learning_rate": s.rate("sgd")})
    sgd.step(100)
    assert sgd.values[-1] < 1e-14
    for seed in range(5):
        rs = make_walker(s, {"name": RANDOM_SEARCH, "step_size": 0.2, "seed": seed})
        rs.step(100)
        assert isinstance(rs, RandomSearch) and rs.values[-1] > 1e-4


def test_the_same_seed_walks_the_same_path():
    a, b = RandomSearch("beale", {"seed": 3}), RandomSearch("beale", {"seed": 3})
    a.step(40)
    for _ in range(40):
        b.step()
    assert a.points == b.points
    assert RandomSearch("beale", {"seed": 4}).step(1) == 1


def test_default_step_and_settings():
    assert default_step(get_surface("rosenbrock")) == 0.08  # 2% of a plot 4 wide
    assert RandomSearch("saddle").hyperparameters() == {"name": RANDOM_SEARCH, **RandomSearch.defaults}
    assert all(RandomSearch.describe(key) for key in RandomSearch.defaults)
    assert isinstance(make_walker("saddle", "adam"), Walker) and not isinstance(make_walker("saddle", "adam"),
                                                                                RandomSearch)  # fmt: skip
    with pytest.raises(PlaygroundError, match="whole number"):
        RandomSearch("saddle", {"tries": 2.5})
    with pytest.raises(PlaygroundError, match="no setting 'learning_rate'"):
        RandomSearch("saddle", {"learning_rate": 0.1})
    with pytest.raises(PlaygroundError, match="step_size must be a number from 1e-06 to 100"):
        RandomSearch("saddle", {"step_size": 0})


def test_forward_difference_numbers():
    """At (−1.5, 2) on Rosenbrock: every value by the formula, the quotient from them."""
    h = 1e-5
    fd = forward_difference("rosenbrock", -1.5, 2.0, h)

    def rosen(x, y):
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    assert fd.f == rosen(-1.5, 2.0) == 12.5
    assert fd.f_x == pytest.approx(rosen(-1.5 + h, 2.0), rel=1e-15)
    assert fd.f_y == pytest.approx(rosen(-1.5, 2.0 + h), rel=1e-15)
    assert fd.numeric == ((fd.f_x - fd.f) / h, (fd.f_y - fd.f) / h)
    assert fd.analytic == (-155.0, -50.0)  # −2(1 − x) − 400x(y − x²), 200(y − x²)
    a, n = fd.analytic[0], fd.numeric[0]
    assert fd.relative_error[0] == abs(a - n) / max(abs(a), abs(n))


def test_forward_difference_is_off_by_half_h_times_the_curvature():
    """On ½(a·x² + b·y²): ((x + h)² − x²)·a/2h = a·x + a·h/2, so the error is a·h/2 (b·h/2 in y)."""
    params = {"a": 2.0, "b": 30.0}
    for h in (1e-1, 1e-2, 1e-3):
        fd = forward_difference("quadratic", 1.5, -0.5, h, params)
        assert fd.numeric[0] - fd.analytic[0] == pytest.approx(2.0 * h / 2, rel=1e-6)
        assert fd.numeric[1] - fd.analytic[1] == pytest.approx(30.0 * h / 2, rel=1e-6)


def test_too_small_a_step_loses_to_rounding():
    good = max(forward_difference("rosenbrock", -1.5, 2.0, 1e-8).relative_error)
    tiny = max(forward_difference("rosenbrock", -1.5, 2.0, 1e-13).relative_error)
    big = max(forward_difference("rosenbrock", -1.5, 2.0, 1e-2).relative_error)
    assert good < 1e-6 and tiny > 100 * good and big > 100 * good
    with pytest.raises(PlaygroundError, match="step h"):
        forward_difference("rosenbrock", 0, 0, 0.0)
