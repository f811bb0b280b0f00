"""The loss landscape, the start-to-now slice and the learning-rate range test."""

import json

import numpy as np
import pytest
from helpers import project

from engine import PlaygroundError
from engine.cli import main
from engine.project.files import save_weights
from engine.run.training import Trainer
from engine.teaching.landscape import (
    axis,
    filter_norms,
    interpolation,
    loss_plane,
    lr_range_test,
    path_directions,
    project_path,
    random_directions,
)


@pytest.fixture(scope="module")
def trainer():
    p = project(
        data={"source": "spiral", "samples": 300, "noise": 0.1, "test_fraction": 0.3},
        network={"layers": [{"units": 8, "activation": "tanh"}, {"units": 6, "activation": "tanh"}]},
        training={"optimizer": {"name": "adam", "learning_rate": 0.03}, "batch_size": 16},
    )
    tr = Trainer(p)
    tr.fit(5)
    return tr


def test_axis_is_odd_with_an_exact_zero_centre():
    a = axis(21, 1.0)
    assert a[10] == 0.0 and a[0] == -1.0 and a[-1] == 1.0 and np.all(np.diff(a) > 0)
    assert axis(7, 0.3)[3] == 0.0
    for bad in (4, 1, 103, 2.5, True):
        with pytest.raises(PlaygroundError, match="odd number from 3 to 101"):
            axis(bad, 1.0)


def test_directions_are_filter_normalised_and_leave_biases_alone(trainer):
    net = trainer.network
    d1, d2 = random_directions(net, np.random.default_rng(0))
    for d in (d1, d2):
        for got, want in zip(filter_norms(net, d), filter_norms(net, net.params)):
            assert np.allclose(got, want, rtol=1e-12)
        _, biases = net.views(d)
        assert all(np.all(b == 0) for b in biases)
    assert not np.allclose(d1, d2)
    again, _ = random_directions(net, np.random.default_rng(0))
    assert np.array_equal(again, d1)


def test_the_planes_centre_is_exactly_the_training_loss(trainer):
    net = trainer.network
    before = net.params.copy()
    d1, d2 = random_directions(net, np.random.default_rng(1))
    a = axis(5, 0.5)
    grid = loss_plane(trainer, net.params.copy(), d1, d2, a, a)
    assert grid[2, 2] == trainer.evaluate()["train"]["loss"]
    assert np.array_equal(net.params, before)  # the weights are put back
    # Any other cell is the loss at w + α·d1 + β·d2 (rows follow β, columns α).
    net.params[...] = before + a[4] * d1 + a[0] * d2
    moved = trainer.evaluate()["train"]["loss"]
    net.params[...] = before
    assert grid[0, 4] == pytest.approx(moved, rel=1e-12)
    assert grid.max() > grid[2, 2]


def test_a_cancelled_plane_puts_the_weights_back(trainer):
    net = trainer.network
    before = net.params.copy()
    d1, d2 = random_directions(net, np.random.default_rng(2))

    def cancel(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        loss_plane(trainer, before, d1, d2, axis(5, 1), axis(5, 1), progress=cancel)
    assert np.array_equal(net.params, before)


def test_a_path_in_a_plane_is_held_whole():
    rng = np.random.default_rng(4)
    center = rng.standard_normal(50)
    u, v = rng.standard_normal(50), rng.standard_normal(50)
    coords = rng.standard_normal((12, 2))
    path = [center + a * u + b * v for a, b in coords]
    got, held = project_path(path, center, u, v)
    assert np.allclose(got, coords) and held == pytest.approx(1.0)
    plane = path_directions(path, center)
    assert sum(plane.explained) == pytest.approx(1.0)
    assert abs(plane.d1 @ plane.d2) < 1e-12 and np.linalg.norm(plane.d1) == pytest.approx(1.0)
    rebuilt = [center + a * plane.d1 + b * plane.d2 for a, b in plane.coords]
    assert np.allclose(rebuilt, path)
    with pytest.raises(PlaygroundError, match="at least 3 points"):
        path_directions(path[:2], center)


def test_a_random_plane_holds_little_of_a_real_path(trainer):
    p = project(data={"source": "circle", "samples": 200}, network={"layers": [{"units": 8}]})
    tr = Trainer(p)
    path = [tr.network.params.copy()]
    for _ in range(6):
        tr.train_epoch()
        path.append(tr.network.params.copy())
    center = path[-1]
    d1, d2 = random_directions(tr.network, np.random.default_rng(0))
    _, held = project_path(path, center, d1, d2)
    plane = path_directions(path, center)
    assert held < 0.6 < sum(plane.explained)


def test_interpolation_ends_at_both_weights(trainer):
    net = trainer.network
    end = net.params.copy()
    start = Trainer(trainer.project, data=trainer.data).network.params.copy()
    curves = interpolation(trainer, start, end, np.array([0.0, 0.5, 1.0]))
    assert set(curves) == {"train", "test"}
    assert curves["train"][2] == pytest.approx(trainer.evaluate()["train"]["loss"], rel=1e-12)
    net.params[...] = start
    assert curves["test"][0] == pytest.approx(trainer.evaluate()["test"]["loss"], rel=1e-12)
    net.params[...] = end


def test_the_range_test_rises_exponentially_and_leaves_the_run_alone(trainer):
    before = trainer.network.params.copy()
    t_before = trainer.optimizer.t
    result = lr_range_test(trainer, 1e-4, 10.0, steps=80)
    assert np.array_equal(trainer.network.params, before) and trainer.optimizer.t == t_before
    ratios = result.rates[1:] / result.rates[:-1]
    assert np.allclose(ratios, (10.0 / 1e-4) ** (1 / 79))
    assert result.rates[0] == pytest.approx(1e-4)
    assert result.diverged is not None and result.diverged > result.suggestion
    assert 1e-4 <= result.suggestion <= result.lowest
    k = int(np.argmin(result.smoothed))
    assert result.lowest == result.rates[k]


def test_the_range_test_suggests_a_rate_that_trains():
    p = project(data={"source": "circle", "samples": 300}, network={"layers": [{"units": 6, "activation": "tanh"}]},
                training={"optimizer": {"name": "sgd"}, "batch_size": 10})  # fmt: skip
    tr = Trainer(p)
    result = lr_range_test(tr, steps=150)
    assert 1e-3 < result.suggestion < 10
    slow = Trainer(p)
    good = Trainer(p)
    slow.set_learning_rate(1e-5)
    good.set_learning_rate(result.suggestion)
    slow.fit(5)
    good.fit(5)
    assert good.evaluate()["train"]["loss"] < slow.evaluate()["train"]["loss"] - 0.05


@pytest.mark.parametrize(
    "kwargs, message",
    [({"lr_min": 0}, "rise from above 0"), ({"lr_min": 1, "lr_max": 0.1}, "rise"), ({"steps": 5}, "10 to 10,000")],
)
def test_the_range_test_refuses_bad_settings(trainer, kwargs, message):
    with pytest.raises(PlaygroundError, match=message):
        lr_range_test(trainer, **kwargs)


def test_cli_landscape_centre_is_the_evaluated_training_loss(trainer, tmp_path, capsys):
    path = tmp_path / "spiral.json"
    path.write_text(json.dumps(trainer.project))
    save_weights(tmp_path / "w.npz", trainer.network, trainer.project, trainer.data.normalizer)
    assert main(["landscape", str(path), "--weights", str(tmp_path / "w.npz"), "--resolution", "7", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"alpha", "beta", "loss"}
    assert len(out["alpha"]) == len(out["beta"]) == 7 and np.array(out["loss"]).shape == (7, 7)
    assert main(["evaluate", str(path), "--weights", str(tmp_path / "w.npz"), "--json"]) == 0
    train = json.loads(capsys.readouterr().out)["train"]["loss"]
    assert out["loss"][3][3] == train
    assert main(["landscape", str(path), "--resolution", "5", "--seed", "3"]) == 0
    assert "centre (0, 0)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--resolution", "8"], "--resolution must be an odd number"),
        (["--span", "0"], "--span must be above 0"),
        (["--span", "nan"], "--span must be above 0"),
        (["--weights", "missing.npz"], "missing.npz"),
    ],
)
def test_cli_landscape_refuses_bad_input_in_one_line(trainer, tmp_path, args, message, capsys):
    path = tmp_path / "spiral.json"
    path.write_text(json.dumps(trainer.project))
    assert main(["landscape", str(path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_from_trained_weights_the_range_test_marks_good_rates_as_worse():
    """Issue 29, item 9, what the window warns of: on the learning-rate lesson after 30 epochs at
    α = 0.1, the test from the trained weights puts its red line at rates that, from the start,
    train as well as 0.1 does (twice the line's rate reaches a training loss below 0.02, from 1+)."""
    import copy

    from engine.project.files import load_project
    from playground.resources import PRESETS

    lesson = load_project(PRESETS / "16-lesson-learning-rate.json")
    lesson["training"]["optimizer"]["learning_rate"] = 0.1
    for seed in (0, 1):
        p = copy.deepcopy(lesson)
        p["seed"] = seed
        tr = Trainer(p)
        assert tr.evaluate()["train"]["loss"] > 1
        tr.fit(30)
        marked = lr_range_test(tr).diverged
        assert marked is not None and marked < 0.5, (seed, marked)
        p["training"]["optimizer"]["learning_rate"] = 2 * marked
        fresh = Trainer(p)
        fresh.fit(30)
        assert fresh.history["loss"][-1] < 0.02, (seed, marked, fresh.history["loss"][-1])
