import math

import numpy as np
import pytest

from engine import LOSSES, PlaygroundError, get_activation, get_loss
from engine.core.losses import check_fit, fitting, misfit, output_for


def value(loss_name, act_name, z, y):
    act = get_activation(act_name)
    z = np.asarray(z, dtype=float)
    return get_loss(loss_name).value(z, act.forward(z), np.asarray(y), act)


def test_registry_lists_every_loss_of_the_course():
    assert LOSSES.names() == [
        "mse",
        "mae",
        "huber",
        "binary_crossentropy",
        "categorical_crossentropy",
        "hinge",
        "multiclass_hinge",
        "half_squared",
        "tfp_square",
    ]


def test_tensorflow_playgrounds_square_error_by_hand():
    """½(ŷ − t)² with t = ±1 for classes; ∂J/∂ŷ = (ŷ − t)/N, as TFP's Errors.SQUARE."""
    a = np.array([[0.5], [-0.2]])
    tfp = get_loss("tfp_square")
    assert tfp.value(a, a, np.array([1, 0]), get_activation("linear")) == pytest.approx((0.125 + 0.32) / 2)
    assert np.allclose(tfp.grad_output(a, np.array([[1.0], [0.0]])), [[-0.25], [0.4]])
    assert tfp.decision_threshold == 0 and tfp.output_activations == ("tanh",)
    half = get_loss("half_squared")
    assert half.value(a, a, np.array([0.5, 0.3]), get_activation("linear")) == pytest.approx((0 + 0.125) / 2)


def test_regression_losses_by_hand():
    z = [[1.0, 2.0], [3.0, -1.0]]
    y = [[0.0, 2.5], [1.0, 1.0]]
    # errors: 1, -0.5, 2, -2
    assert value("mse", "linear", z, y) == pytest.approx((1 + 0.25 + 4 + 4) / 4)
    assert value("mae", "linear", z, y) == pytest.approx((1 + 0.5 + 2 + 2) / 4)
    assert value("huber", "linear", z, y) == pytest.approx((0.5 + 0.125 + 1.5 + 1.5) / 4)


def test_binary_crossentropy_by_hand_and_from_logits():
    z = [[0.0], [2.0], [-3.0]]
    y = [1, 0, 0]
    p = 1 / (1 + np.exp(-np.array([0.0, 2.0, -3.0])))
    expected = -(np.log(p[0]) + np.log(1 - p[1]) + np.log(1 - p[2])) / 3
    assert value("binary_crossentropy", "sigmoid", z, y) == pytest.approx(expected)
    # Saturated logits: a probability of exactly 0 or 1 would give log(0); logits never do.
    big = value("binary_crossentropy", "sigmoid", [[800.0], [-800.0]], [0, 1])
    assert big == pytest.approx(800.0)


def test_categorical_crossentropy_takes_labels_or_one_hot():
    z = [[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]]
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = -(np.log(probs[0, 0]) + np.log(probs[1, 2])) / 2
    assert value("categorical_crossentropy", "softmax", z, [0, 2]) == pytest.approx(expected)
    assert value("categorical_crossentropy", "softmax", z, [[1, 0, 0], [0, 0, 1]]) == pytest.approx(expected)
    assert np.isfinite(value("categorical_crossentropy", "softmax", [[1000.0, -1000.0]], [1]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_softmax_losss_training_value_is_logsumexp_even_at_extreme_logits(dtype):
    """Training takes logsumexp(z) as max z − ln max softmax(z) (the forward's own numbers, no second
    exponential): the same value as the per-example formula, finite where softmax saturates."""
    act, loss = get_activation("softmax"), get_loss("categorical_crossentropy")
    rng = np.random.default_rng(0)
    for scale in (1.0, 30.0, 1e3, 1e30):
        z = (rng.normal(size=(16, 10)) * scale).astype(dtype)
        y = rng.integers(0, 10, 16)
        training, _grad = loss.value_and_grad(z, act.forward(z), y, act)
        exact = np.mean([np.logaddexp.reduce(row.astype(np.float64)) - row[k] for row, k in zip(z, y)])
        assert np.isfinite(training) and training == pytest.approx(exact, rel=1e-12 if dtype == np.float64 else 2e-6)
        assert training == pytest.approx(float(np.mean(loss.per_sample(z, act.forward(z), y, act))), rel=1e-5)


def test_hinge_maps_zero_one_labels_to_plus_minus_one():
    z = [[0.3], [-2.0], [0.5]]
    # t = +1, -1, -1: max(0, 1-0.3) + max(0, 1-2) + max(0, 1+0.5)
    assert value("hinge", "linear", z, [1, 0, 0]) == pytest.approx((0.7 + 0 + 1.5) / 3)


def test_multiclass_hinge_is_cs231n_worked_example():
    # Scores for (cat, car, frog) of a cat, a car and a frog image, CS231n linear classification notes.
    scores = [[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]]
    total = value("multiclass_hinge", "linear", scores, [0, 1, 2])
    assert total == pytest.approx((2.9 + 0.0 + 12.9) / 3)
    assert round(total, 2) == 5.27
    act = get_activation("linear")
    per = get_loss("multiclass_hinge").per_sample(None, np.array(scores), np.array([0, 1, 2]), act)
    np.testing.assert_allclose(per, [2.9, 0.0, 12.9])


def test_the_softmax_loss_says_why_cs231n_s_slide_gives_0_89():
    """Issue 29, item 14: the slide's cat scores give L = 0.89 with log₁₀; the app's ln gives 2.04.
    The loss's formula (its tooltip) says both, and both are these scores' losses."""
    formula = get_loss("categorical_crossentropy").formula
    ours = value("categorical_crossentropy", "softmax", [[3.2, 5.1, -1.7]], [0])
    assert f"gives {ours:.2f} with ln" in formula and ours == pytest.approx(2.04, abs=0.005)
    assert f"slide's {ours / math.log(10):.2f} takes log₁₀" in formula


def test_loss_refuses_an_output_it_is_not_defined_for():
    with pytest.raises(PlaygroundError, match="'binary_crossentropy' needs network.output_activation 'sigmoid', got"):
        check_fit("binary_crossentropy", "relu", "classification", 2)
    check_fit("mse", "relu", "classification", 2)
    check_fit("hinge", {"name": "tanh"}, "classification", 2)


@pytest.mark.parametrize(
    "loss, activation, problem, classes, words",
    [
        ("mse", "linear", "regression", 0, None),
        ("categorical_crossentropy", "softmax", "classification", 7, None),
        ("binary_crossentropy", "sigmoid", "regression", 0, "training.loss must be mse, mae, huber or half_squared "
         "for regression, got 'binary_crossentropy'"),
        ("hinge", "tanh", "classification", 3, "training.loss 'hinge' is for two classes; use categorical_crossentropy "
         "or multiclass_hinge for the data's 3"),
        ("multiclass_hinge", "softmax", "classification", 3, "needs network.output_activation 'linear', got 'softmax'"),
    ],
)
def test_one_rule_says_whether_a_loss_and_output_fit_the_data(loss, activation, problem, classes, words):
    why = misfit(loss, activation, problem, classes)
    assert why == words if words is None or words.startswith("training") else words in why


@pytest.mark.parametrize(
    "loss, activation, problem, classes, expected",
    [
        ("binary_crossentropy", "sigmoid", "regression", 0, ("mse", "linear")),  # to a regression set
        ("mse", {"name": "leaky_relu", "alpha": 0.1}, "regression", 0, ("mse", {"name": "leaky_relu", "alpha": 0.1})),
        ("mse", "linear", "classification", 2, ("binary_crossentropy", "sigmoid")),  # back from one
        ("mse", "linear", "classification", 4, ("categorical_crossentropy", "softmax")),
        ("hinge", "tanh", "classification", 3, ("categorical_crossentropy", "softmax")),  # more classes
        ("hinge", "tanh", "classification", 2, ("hinge", "tanh")),  # fits: kept
    ],
)
def test_a_data_change_gets_a_loss_and_output_that_fit(loss, activation, problem, classes, expected):
    assert fitting(loss, activation, problem, classes) == expected
    assert misfit(*expected, problem, classes) is None


def test_a_chosen_loss_keeps_the_output_it_is_defined_for():
    assert output_for("hinge", "tanh", "classification") == "tanh"
    assert output_for("hinge", "sigmoid", "classification") == "linear"
    assert output_for("mse", "relu", "regression") == "relu"


def test_bad_labels_are_named():
    with pytest.raises(PlaygroundError, match="class labels must lie in 0..2"):
        value("categorical_crossentropy", "softmax", [[1.0, 2.0, 3.0]], [3])
