"""L1's three step rules (subgradient, proximal, TensorFlow Playground's) against hand-computed steps."""

import numpy as np
import pytest

from engine import PlaygroundError
from engine.core.regularizers import L1_RULES, Regularizer, formula
from engine.run.training import Trainer
from tests.helpers import project


def test_the_soft_threshold_by_hand():
    """α·λ = 0.1 × 0.1 = 0.01 off every magnitude, never past 0."""
    after = np.array([0.5, -0.02, 0.03, -0.5, 0.005, -0.01])
    dead = Regularizer("l1", 0.1, "proximal").after_step(np.zeros(6), after, 0.1)
    np.testing.assert_allclose(after, [0.49, -0.01, 0.02, -0.49, 0.0, 0.0], rtol=0, atol=1e-15)
    assert dead is None  # the proximal rule kills nothing: a zero may leave zero at the next step


def test_tfps_rule_by_hand_penalty_crossings_only():
    """nn.ts updateWeights: w' (the data step), then w' − α·λ·sign(w) with w before the data step;
    only a crossing in that half-step sets 0 and kills the link."""
    before = np.array([0.5, 0.005, -0.005, 0.3, 0.0])
    after = np.array([0.4, 0.004, 0.002, -0.001, 0.2])  # what the data step left
    reg = Regularizer("l1", 0.1, "tfp")
    dead = reg.after_step(before, after, 0.1)
    # 0.4 − 0.01; 0.004 − 0.01 crosses: 0, dead; −0.005 was negative, so 0.002 + 0.01 (the data
    # crossed, not the penalty); 0.3 → −0.001 by the data, − 0.01 more; sign(0) = 0.
    np.testing.assert_allclose(after, [0.39, 0.0, 0.012, -0.011, 0.2], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(dead, [False, True, False, False, False])
    # A dead link gets no gradient and no update, whatever the optimizer did to it.
    grad = np.ones(5)
    reg.before_step(grad, dead)
    np.testing.assert_array_equal(grad, [1, 0, 1, 1, 1])
    later = np.array([0.3, 0.05, 0.02, -0.02, 0.1])
    again = reg.after_step(after.copy(), later, 0.1, dead)
    assert later[1] == 0.0 and again is dead
    # At rate 0 nothing new dies, but the dead stay dead (TFP checks isDead whatever the rate).
    zero_rate = np.array([0.3, 0.05, 0.0])
    assert Regularizer("l1", 0.0, "tfp").after_step(np.ones(3), zero_rate, 0.1, np.array([0, 1, 0], bool)) is not None
    np.testing.assert_array_equal(zero_rate, [0.3, 0.0, 0.0])


def test_a_dead_link_given_a_weight_by_hand_is_back_at_0_after_the_next_step():
    """The network view offers to edit any link; a dead one's typed weight lasted, moved by the
    penalty half-step: after[dead] = 0, then −α·λ·sign(before) with before = the typed 0.5."""
    reg = Regularizer("l1", 0.1, "tfp")
    dead = np.array([False, True, False])
    before = np.array([0.3, 0.5, -0.2])  # 0.5: typed on the dead link since the last step
    after = np.array([0.25, 0.45, -0.1])  # what the data step left (a dead link's gradient is 0)
    assert reg.after_step(before, after, 0.1, dead) is dead
    np.testing.assert_allclose(after, [0.24, 0.0, -0.09], rtol=0, atol=1e-15)


def test_only_the_subgradient_and_l2_enter_the_gradient():
    w = np.array([0.5, -0.25, 0.0])
    for rule, expected in (("subgradient", [0.1, -0.1, 0.0]), ("proximal", [0, 0, 0]), ("tfp", [0, 0, 0])):
        grad = np.zeros(3)
        Regularizer("l1", 0.1, rule).add_gradient(w, grad)
        np.testing.assert_array_equal(grad, expected)
        assert Regularizer("l1", 0.1, rule).penalty(w) == pytest.approx(0.075)  # the objective is the same
        grad = np.zeros(3)
        Regularizer("l2", 0.1, rule).add_gradient(w, grad)  # the L1 rule leaves L2 alone
        np.testing.assert_allclose(grad, [0.1, -0.05, 0.0])
    with pytest.raises(PlaygroundError, match="L1 rule"):
        Regularizer("l1", 0.1, "clip")


def _tiny(rule: str, rate: float = 1.0, **training):
    p = project(
        seed=3,
        data={"source": "xor", "samples": 40},
        network={"layers": [{"units": 5, "activation": "tanh"}], "initializer": "tfp_uniform", "bias_init": 0.1},
        training={"optimizer": {"name": "sgd", "learning_rate": 0.1}, "batch_size": 100, "shuffle": False,
                  "regularization": {"kind": "l1", "rate": rate, "l1_rule": rule}, **training},
    )  # fmt: skip
    tr = Trainer(p)
    net = tr.network
    w = net.params.copy()
    net.loss_and_grad(tr.data.x_train, tr._targets, tr.loss)  # the data gradient alone
    return tr, w, net.grads.copy(), net.n_kernel


@pytest.mark.parametrize("rule", list(L1_RULES))
def test_one_training_step_under_each_rule(rule):
    """A full-batch SGD step (α = 0.1, λ = 1) against each rule's formula; biases never penalised."""
    tr, w, g, nk = _tiny(rule)
    tr.train_batch()
    got = tr.network.params
    data_step = w - 0.1 * g
    np.testing.assert_allclose(got[nk:], data_step[nk:], rtol=0, atol=1e-15)
    if rule == "subgradient":
        expected = w[:nk] - 0.1 * (g[:nk] + np.sign(w[:nk]))
    elif rule == "proximal":
        expected = np.sign(data_step[:nk]) * np.maximum(np.abs(data_step[:nk]) - 0.1, 0)
    else:
        expected = data_step[:nk] - 0.1 * np.sign(w[:nk])
        expected[data_step[:nk] * expected < 0] = 0
    np.testing.assert_allclose(got[:nk], expected, rtol=0, atol=1e-15)
    zeros = int(np.sum(got[:nk] == 0))
    assert (zeros == 0) if rule == "subgradient" else (zeros > 0)  # λ = 1 stops several at once
    assert (tr.dead is not None and int(tr.dead.sum()) == zeros) if rule == "tfp" else tr.dead is None


def test_a_dead_link_stays_zero_under_momentum_until_the_rule_changes():
    tr, _w, _g, nk = _tiny("tfp", optimizer={"name": "sgd", "learning_rate": 0.1, "momentum": 0.9})
    tr.train_batch()
    dead = tr.dead.copy()
    assert dead.any()
    tr.set_regularization("l1", 0.0, "tfp")  # a new rate: still TFP's rule, the links stay dead
    for _ in range(5):
        tr.train_batch()
        assert np.all(tr.network.params[:nk][dead] == 0)
    assert np.all(tr.network.grads[:nk][dead] == 0)
    tr.set_regularization("l2", 0.01)
    assert tr.dead is None
    tr.train_batch()
    assert np.all(tr.network.params[:nk][dead] != 0)  # free again: the data move them


def test_files_from_before_load_with_the_subgradient_and_the_formula_says_the_rule():
    old = project(training={"regularization": {"kind": "l1", "rate": 0.01}})
    assert old["training"]["regularization"] == {"kind": "l1", "rate": 0.01, "l1_rule": "subgradient"}
    with pytest.raises(PlaygroundError, match="training.regularization.l1_rule must be one of subgradient, proximal"):
        project(training={"regularization": {"kind": "l1", "rate": 0.01, "l1_rule": "crossing"}})
    assert "sign(w)" in formula("l1") and "Keras and PyTorch" in formula("l1")
    assert "soft threshold" in formula("l1", "proximal") and "TensorFlow Playground" in formula("l1", "tfp")
    assert formula("l2", "tfp") == formula("l2")
