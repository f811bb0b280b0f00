"""The optimizer-path surfaces: exact gradients, closed-form paths, and the engine's own steps."""

import json
import math

import numpy as np
import pytest
from helpers import ScalarReference

from engine import PlaygroundError
from engine.cli import main
from engine.core.optimizers import OPTIMIZERS, make_optimizer
from engine.teaching.surfaces import SURFACES, Walker, get_surface, optimizer_path


@pytest.mark.parametrize("name", SURFACES.names())
def test_gradient_matches_central_differences(name):
    s = get_surface(name)
    rng = np.random.default_rng(3)
    x0, x1, y0, y1 = s.extent
    x, y = rng.uniform(x0, x1, 50), rng.uniform(y0, y1, 50)
    h = 1e-6
    gx, gy = s.grad(x, y)
    nx = (s.f(x + h, y) - s.f(x - h, y)) / (2 * h)
    ny = (s.f(x, y + h) - s.f(x, y - h)) / (2 * h)
    scale = np.maximum(1.0, np.maximum(np.abs(gx), np.abs(gy)))
    assert np.max(np.abs(gx - nx) / scale) < 1e-6
    assert np.max(np.abs(gy - ny) / scale) < 1e-6


def test_quadratic_parameters_change_the_gradient():
    s = get_surface("quadratic")
    p = s.checked_params({"b": 40})
    assert p == {"a": 1.0, "b": 40.0}
    assert s.grad(1.0, 1.0, p) == (1.0, 40.0)
    with pytest.raises(PlaygroundError, match="quadratic.b must be a number from 0.01 to 100"):
        s.checked_params({"b": 1e6})
    with pytest.raises(PlaygroundError, match="no parameter 'c'"):
        s.checked_params({"c": 1})


@pytest.mark.parametrize("name", SURFACES.names())
def test_listed_minima_are_stationary_and_the_start_lies_in_the_window(name):
    s = get_surface(name)
    for mx, my in s.minima:
        gx, gy = s.grad(mx, my)
        assert math.hypot(gx, gy) < 2e-3, (mx, my)
    x0, x1, y0, y1 = s.extent
    assert x0 < s.start[0] < x1 and y0 < s.start[1] < y1
    assert set(s.rates) <= set(OPTIMIZERS.names())


def test_sgd_on_the_quadratic_follows_its_closed_form():
    """x_t = (1 − αa)^t x₀ and y_t = (1 − αb)^t y₀."""
    a, b, lr, (x0, y0) = 1.0, 10.0, 0.15, (-4.0, 2.5)
    path = optimizer_path("quadratic", {"name": "sgd", "learning_rate": lr}, (x0, y0), 60, {"a": a, "b": b})
    t = np.arange(61)
    expected = np.column_stack([(1 - lr * a) ** t * x0, (1 - lr * b) ** t * y0])
    assert np.allclose(path["points"], expected, rtol=1e-12, atol=1e-15)
    assert np.allclose(path["values"], 0.5 * (a * expected[:, 0] ** 2 + b * expected[:, 1] ** 2), rtol=1e-12)
    assert (1 - lr * b) < 0 and np.all(np.diff(np.sign(np.array(path["points"])[:, 1])) != 0)  # it zig-zags


def test_momentum_on_the_quadratic_follows_its_closed_form():
    """torch's v ← μv + g, w ← w − αv is linear on ½a·x²: (v, x) ← M(v, x) with
    M = [[μ, a], [−αμ, 1 − αa]], so after t steps (v, x) = Mᵗ(0, x₀)."""
    a, b, lr, mu = 1.0, 10.0, 0.02, 0.9
    path = optimizer_path("quadratic", {"name": "momentum", "learning_rate": lr, "momentum": mu}, (-4.5, 2.0), 80)
    pts = np.array(path["points"])
    for coord, k in ((0, a), (1, b)):
        m = np.array([[mu, k], [-lr * mu, 1 - lr * k]])
        start = np.array([0.0, pts[0, coord]])
        expected = [(np.linalg.matrix_power(m, t) @ start)[1] for t in range(81)]
        assert np.allclose(pts[:, coord], expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", OPTIMIZERS.names())
@pytest.mark.parametrize("surface", ["rosenbrock", "beale"])
def test_every_optimizer_steps_as_its_published_formula(name, surface):
    """Each coordinate against the scalar formula of tests/helpers.py, fed the same gradients."""
    s = get_surface(surface)
    lr = s.rate(name)
    walker = Walker(surface, {"name": name, "learning_rate": lr})
    walker.step(40)
    refs = [ScalarReference(name, lr), ScalarReference(name, lr)]
    x, y = s.start
    for t in range(40):
        gx, gy = s.grad(x, y)
        x, y = refs[0].step(x, float(gx)), refs[1].step(y, float(gy))
        assert walker.points[t + 1] == pytest.approx((x, y), rel=1e-12, abs=1e-14)


def test_walker_keeps_the_optimizer_state_between_steps():
    one = Walker("rosenbrock", {"name": "adam", "learning_rate": 0.05})
    one.step(30)
    other = Walker("rosenbrock", {"name": "adam", "learning_rate": 0.05})
    for _ in range(30):
        other.step()
    assert one.points == other.points and one.optimizer.t == 30


def test_a_diverging_walk_stops_with_the_last_finite_point():
    path = optimizer_path("rosenbrock", "sgd", steps=50)
    assert path["diverged_at"] == 7 and len(path["points"]) == 7
    assert all(math.isfinite(v) for v in path["values"])
    json.dumps(path, allow_nan=False)


def test_the_path_names_every_hyperparameter():
    path = optimizer_path("beale", {"name": "adam", "learning_rate": 0.02}, (1, 1.5), 5)
    assert path["optimizer"] == {"name": "adam", **make_optimizer("adam").hp, "learning_rate": 0.02}
    assert len(path["points"]) == 6 and path["points"][0] == [1.0, 1.5]


@pytest.mark.parametrize("name", ["adam", "rmsprop", "nesterov", "adagrad"])
def test_well_tuned_optimizers_reach_the_bowls_minimum(name):
    walker = Walker("quadratic", {"name": name, "learning_rate": get_surface("quadratic").rate(name)})
    walker.step(1500)
    assert math.hypot(*walker.position) < 0.05


def test_cli_path_prints_the_contract(capsys):
    status = main(
        ["path", "rosenbrock", "--optimizer", '{"name": "adam", "learning_rate": 0.02}', "--start", "-1.5,2",
         "--steps", "300", "--json"]
    )  # fmt: skip
    assert status == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"function", "optimizer", "points", "values"}
    assert out["function"] == "rosenbrock" and out["optimizer"]["beta_2"] == 0.999
    assert len(out["points"]) == 301 and out["points"][0] == [-1.5, 2.0] and len(out["values"]) == 301
    assert out["values"][-1] < out["values"][0]


def test_cli_path_table_and_aliases(capsys):
    assert main(["path", "six_hump_camel", "--optimizer", "momentum", "--steps", "10"]) == 0
    text = capsys.readouterr().out
    assert "Six-hump camel" in text and "momentum (learning_rate=0.01" in text and text.count("\n") >= 12


@pytest.mark.parametrize(
    "args, message",
    [
        (["path", "rosenbrok"], "unknown surface 'rosenbrok'"),
        (["path", "beale", "--start", "1,x"], "--start takes two numbers X,Y"),
        (["path", "beale", "--start", "1,nan"], "finite"),
        (["path", "beale", "--steps", "-1"], "steps must be 0 to 100,000"),
        (["path", "beale", "--optimizer", "{bad"], "--optimizer is not valid JSON"),
        (["path", "beale", "--optimizer", "adamm"], "unknown optimizer 'adamm'"),
        (["path", "beale", "--optimizer", '{"name": "adam", "learning_rate": -1}'], "learning_rate must be > 0"),
        (["path", "quadratic", "--params", '{"b": 1e9}'], "quadratic.b must be a number"),
        (["path", "quadratic", "--params", "[1]"], "--params takes a JSON object"),
        (["path", "beale", "--start", "1e300,1e300"], "not finite at the start point"),
    ],
)
def test_cli_path_refuses_bad_input_in_one_line(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_the_bowls_note_says_what_the_paths_show():
    """Issue 29, item 11: "Momentum overshoots and Adam does not" was false; Adam overshoots too, by
    less. At each lane's rate on the bowl: SGD crosses y = 0 at every early step and never x = 0;
    Momentum and Adam both pass the minimum, Adam by under a fifth as much; Adam's first steps
    are about α in each direction."""
    s = get_surface("quadratic")
    assert "it overshoots too, by less" in s.note and "do not" not in s.note

    def path(name: str) -> np.ndarray:
        w = Walker(s, {"name": name, "learning_rate": s.rate(name)})
        w.step(300)
        return np.array(w.points)

    sgd, momentum, adam = path("sgd"), path("momentum"), path("adam")
    assert np.all(sgd[:, 0] < 0) and np.all(np.sign(sgd[1:11, 1]) != np.sign(sgd[:10, 1]))

    def past(p: np.ndarray) -> float:  # the farthest beyond the minimum, on the side away from the start
        return float(np.max(np.maximum(0.0, -p * np.sign(p[0]))))

    assert past(adam) > 0.01 and past(momentum) > 5 * past(adam)
    steps = np.abs(np.diff(adam[:4], axis=0))
    np.testing.assert_allclose(steps, s.rate("adam"), rtol=0.01)
