import numpy as np
import pytest

from engine import ACTIVATIONS, PlaygroundError, get_activation

Z = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])


def test_registry_lists_every_activation_of_the_course():
    assert ACTIVATIONS.names() == ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "softmax"]


@pytest.mark.parametrize(
    "name, values, derivs",
    [
        ("linear", [-2, -0.5, 0, 0.5, 2], [1, 1, 1, 1, 1]),
        (
            "sigmoid",
            [0.11920292, 0.37754067, 0.5, 0.62245933, 0.88079708],
            [0.10499359, 0.23500371, 0.25, 0.23500371, 0.10499359],
        ),
        (
            "tanh",
            [-0.96402758, -0.46211716, 0, 0.46211716, 0.96402758],
            [0.07065082, 0.78644773, 1, 0.78644773, 0.07065082],
        ),
        ("relu", [0, 0, 0, 0.5, 2], [0, 0, 0, 1, 1]),
        ("leaky_relu", [-0.4, -0.1, 0, 0.5, 2], [0.2, 0.2, 0.2, 1, 1]),
        ("elu", [-0.86466472, -0.39346934, 0, 0.5, 2], [0.13533528, 0.60653066, 1, 1, 1]),
        (
            "softplus",
            [0.12692801, 0.47407698, 0.69314718, 0.97407698, 2.12692801],
            [0.11920292, 0.37754067, 0.5, 0.62245933, 0.88079708],
        ),
    ],
)
def test_values_and_derivatives_by_hand(name, values, derivs):
    act = get_activation(name)
    a = act.forward(Z)
    np.testing.assert_allclose(a[0], values, atol=1e-8)
    np.testing.assert_allclose(act.derivative(Z, a)[0], derivs, atol=1e-8)


def test_softmax_rows_are_probabilities_and_shift_invariant():
    sm = get_activation("softmax")
    z = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]])
    a = sm.forward(z)
    np.testing.assert_allclose(a[0], [0.09003057, 0.24472847, 0.66524096], atol=1e-8)
    np.testing.assert_allclose(a[1], [1 / 3] * 3)
    np.testing.assert_allclose(a.sum(axis=1), 1.0)


def test_softmax_backward_is_the_jacobian_product():
    sm = get_activation("softmax")
    z = np.array([[0.3, -1.2, 2.0]])
    a = sm.forward(z)
    g = np.array([[0.5, -1.0, 0.25]])
    jac = np.diag(a[0]) - np.outer(a[0], a[0])
    np.testing.assert_allclose(sm.backward(z, a, g)[0], jac.T @ g[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_and_softplus_do_not_overflow(dtype):
    z = np.array([[-1000.0, -90.0, 0.0, 90.0, 1000.0]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        # −z is capped (500 in float64, 88 in float32): σ(−1000) comes out as σ(−cap), a tiny
        # number, and e^(−z) never overflows (float32's e^500 did before the cap was per dtype).
        a = get_activation("sigmoid").forward(z)
        assert a.dtype == dtype
    with np.errstate(over="ignore"):
        exact = 1.0 / (1.0 + np.exp(-z.astype(np.float64)))  # e^1000 = inf gives the exact 0
    # Below the cap the values are exact to rounding; beyond it, off by at most σ(−cap).
    np.testing.assert_allclose(a, exact, rtol=1e-6, atol=1e-217 if dtype == np.float64 else 1e-38)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_allclose(get_activation("softplus").forward(z[:, [0, -1]]), [[0.0, 1000.0]])


def test_parameters_by_dict_and_bad_names():
    act = get_activation({"name": "leaky_relu", "alpha": 0.1})
    assert act.forward(np.array([-1.0]))[0] == pytest.approx(-0.1)
    with pytest.raises(PlaygroundError, match="unknown activation 'swish'.*relu"):
        get_activation("swish")
    with pytest.raises(PlaygroundError, match="does not take parameters"):
        get_activation({"name": "tanh", "alpha": 2})


def test_what_softmax_and_sigmoid_are_special_for_is_declared_on_their_descriptors():
    from engine.core.activations import hidden_activations

    assert [n for n in ACTIVATIONS.names() if not ACTIVATIONS.get(n).elementwise] == ["softmax"]
    assert [n for n in ACTIVATIONS.names() if ACTIVATIONS.get(n).probabilities] == ["sigmoid", "softmax"]
    assert "softmax" not in hidden_activations() and {"relu", "tanh", "sigmoid"} <= set(hidden_activations())
    softmax, z, h = ACTIVATIONS.get("softmax")(), np.array([0.3, -1.2, 2.0]), 1e-6
    s = softmax.forward(z)
    numeric = np.column_stack([(softmax.forward(z + h * e) - softmax.forward(z - h * e)) / (2 * h) for e in np.eye(3)])
    assert softmax.jacobian_words == "J = diag(s) − s sᵀ"  # what the walk writes, and what the Jacobian is:
    np.testing.assert_allclose(np.diag(s) - np.outer(s, s), numeric, atol=1e-9)
    np.testing.assert_allclose(softmax.jacobian(z, s), numeric, atol=1e-9)
