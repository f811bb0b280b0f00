"""Backprop against central differences, for every activation x compatible loss x penalty."""

import zlib

import numpy as np
import pytest
from helpers import dense

from engine import ACTIVATIONS, LOSSES, Regularizer, check_gradients, get_loss

HIDDEN = ACTIVATIONS.names()
PENALTIES = [("none", 0.0), ("l1", 0.01), ("l2", 0.01)]


def output_choices(loss_name):
    allowed = get_loss(loss_name).output_activations
    return list(allowed) if allowed is not None else ACTIVATIONS.names()


def problem(loss_name, out_act, rng):
    n = 7
    if loss_name in ("binary_crossentropy", "hinge"):
        return 1, (rng.random(n) > 0.5).astype(int)
    if loss_name in ("categorical_crossentropy", "multiclass_hinge"):
        return 3, rng.integers(0, 3, n)
    if out_act == "softmax":
        return 3, rng.dirichlet(np.ones(3), n)
    return 2, rng.normal(size=(n, 2))


CASES = [
    (loss, out, hidden, depth)
    for loss in LOSSES.names()
    for out in output_choices(loss)
    for depth in (0, 1, 2)
    for hidden in (HIDDEN if depth else ["-"])
]


@pytest.mark.parametrize("penalty", PENALTIES, ids=[p[0] for p in PENALTIES])
@pytest.mark.parametrize("loss_name, out_act, hidden, depth", CASES)
def test_backprop_matches_numerical_gradient(loss_name, out_act, hidden, depth, penalty):
    rng = np.random.default_rng(zlib.crc32(f"{loss_name}{out_act}{hidden}{depth}".encode()))
    n_out, y = problem(loss_name, out_act, rng)
    layers = [(units, hidden) for units in (5, 4)[:depth]]
    net = dense(3, layers, n_out, out_act, bias_init=0.1, seed=rng)
    x = rng.normal(size=(7, 3))
    report = check_gradients(net, x, y, get_loss(loss_name), Regularizer(*penalty))
    assert report.near_kinks == 0, "the data put a pre-activation on a kink; pick another seed"
    assert report.max_rel_error < 1e-6, report.table()


def test_dropout_gradients_are_checked_with_a_fixed_mask():
    rng = np.random.default_rng(3)
    net = dense(3, [(6, "tanh", 0.5), (4, "sigmoid", 0.25)], 1, "sigmoid", seed=rng)
    x, y = rng.normal(size=(9, 3)), rng.integers(0, 2, 9)
    report = check_gradients(net, x, y, get_loss("binary_crossentropy"), Regularizer("l2", 0.1))
    assert report.max_rel_error < 1e-6, report.table()


def test_a_wrong_gradient_is_caught():
    """The check must be able to fail: corrupt backprop and see the error jump."""
    rng = np.random.default_rng(4)
    net = dense(2, [(3, "tanh")], 1, "sigmoid", seed=rng)
    x, y = rng.normal(size=(6, 2)), rng.integers(0, 2, 6)
    original = net.backward

    def broken(g):
        original(g)
        net.kernel_grads[0] *= 1.01

    net.copy = lambda dtype=None: net  # check this very object, with its broken backward
    net.backward = broken
    report = check_gradients(net, x, y, get_loss("binary_crossentropy"))
    assert report.arrays[0].max_rel_error > 1e-3
    assert report.arrays[1].max_rel_error < 1e-6


def test_sampling_large_arrays_and_report_table():
    rng = np.random.default_rng(5)
    net = dense(64, [], 10, "softmax", seed=rng)
    x, y = rng.normal(size=(5, 64)), rng.integers(0, 10, 5)
    report = check_gradients(net, x, y, get_loss("categorical_crossentropy"), max_per_array=50)
    assert [a.checked for a in report.arrays] == [50, 10]
    assert report.passed()
    assert "output kernel" in report.table() and "layers.0" not in report.table()


def test_the_check_reports_its_progress_entry_by_entry_and_stops_when_told():
    """What lets the app run it on a thread with a bar and Cancel (issue 36)."""
    rng = np.random.default_rng(0)
    net = dense(3, [(4, "tanh")], 1, "sigmoid", seed=rng)
    x, y = rng.normal(size=(6, 3)), rng.integers(0, 2, 6)
    seen = []
    loss = get_loss("binary_crossentropy")
    check_gradients(net, x, y, loss, max_per_array=5, progress=lambda d, t: seen.append((d, t)))
    total = 5 + 4 + 4 + 1  # 12 kernel entries sampled down to 5, 4 biases, 4 output weights, 1 bias
    assert seen == [(k, total) for k in range(1, total + 1)]

    class Stop(Exception):
        pass

    def stop_at_3(done: int, _total: int) -> None:
        if done == 3:
            raise Stop

    with pytest.raises(Stop):
        check_gradients(net, x, y, get_loss("binary_crossentropy"), progress=stop_at_3)
