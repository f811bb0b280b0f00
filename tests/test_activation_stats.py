"""Activation statistics at initialisation against CS231n lecture 6 and the variance formulas."""

import math

import numpy as np
import pytest

from engine.core.errors import PlaygroundError
from engine.core.initializers import INITIALIZERS
from engine.teaching.activation_stats import BINS, activation_statistics, standard_inputs

CS231N = [(500, "tanh")] * 10


@pytest.fixture(scope="module")
def inputs():
    return standard_inputs(1000, 500)


def test_small_weights_shrink_the_activations_geometrically(inputs):
    """N(0, 0.01²): tanh is the identity near 0, so each layer multiplies the spread by σ·√fan_in
    = 0.01·√500 ≈ 0.224, and layer 10's is about 0.224⁹ of layer 1's."""
    r = activation_statistics(inputs, CS231N, "random_normal", stddev=0.01)
    factor = 0.01 * math.sqrt(500)
    ratios = r.stds[1:] / r.stds[:-1]
    assert ratios == pytest.approx([factor] * 9, rel=0.03)
    assert r.stds[0] == pytest.approx(factor, rel=0.05) and r.stds[-1] < 1e-5
    assert all(abs(layer.mean) < 1e-3 for layer in r.layers)
    middle = BINS // 2  # from layer 4 on, the one bin around 0 (|a| < 0.025) holds every activation
    assert all(layer.counts[middle] == 1000 * 500 for layer in r.layers[3:])
    assert r.label() == "N(0, 0.01²)"


def test_large_weights_saturate_tanh(inputs):
    """N(0, 1): z has a spread of about √500 ≈ 22, so nearly every unit sits at ±1 where
    tanh' = 1 − a² ≈ 0."""
    r = activation_statistics(inputs, CS231N, "random_normal", stddev=1.0)
    for layer in r.layers:
        assert layer.std > 0.97 and layer.flat > 0.85
        outer = layer.counts[0] + layer.counts[-1]
        assert outer > 0.85 * 1000 * 500  # the end bins: |a| above 0.95
    assert list(r.edges[[0, -1]]) == [-1.0, 1.0]


def test_xavier_keeps_the_spread(inputs):
    """glorot_normal (Xavier, σ = 1/√500 here): no collapse and no saturation; tanh still squeezes
    a little each layer, so the spread falls slowly (0.63 to about 0.23 over ten layers, not 0.224⁹)."""
    r = activation_statistics(inputs, CS231N, "glorot_normal")
    assert np.all(r.stds > 0.2) and np.all(r.stds < 0.7)
    assert np.all(r.stds[1:] / r.stds[:-1] > 0.75)
    assert all(layer.flat < 0.01 for layer in r.layers)


def test_relu_halves_the_second_moment_unless_he():
    """ReLU keeps half of a zero-mean z, so E[a²] = ½·Var(z): with Var(W) = 1/fan_in (Glorot on square
    layers) E[a²] halves each layer; He's Var(W) = 2/fan_in keeps it (He et al., 2015)."""
    x = standard_inputs(1000, 300)
    layers = [(300, "relu")] * 8
    rms = {}
    for init in ("lecun_normal", "he_normal"):
        r = activation_statistics(x, layers, init)
        rms[init] = np.sqrt(r.stds**2 + np.array([layer.mean for layer in r.layers]) ** 2)
        assert all(0.45 < layer.zero < 0.55 for layer in r.layers)
    assert rms["lecun_normal"][1:] / rms["lecun_normal"][:-1] == pytest.approx([math.sqrt(0.5)] * 7, rel=0.08)
    assert rms["he_normal"][1:] / rms["he_normal"][:-1] == pytest.approx([1.0] * 7, rel=0.08)


def test_the_numbers_are_the_forward_pass():
    """The same seed draws the same weights as the initializer itself: every statistic recomputed."""
    x = standard_inputs(200, 6, seed=3)
    layers = [(5, "sigmoid"), (4, {"name": "leaky_relu", "alpha": 0.1}), (3, "tanh")]
    r = activation_statistics(x, layers, "glorot_uniform", seed=9)
    rng = np.random.default_rng(9)
    a = x
    outs = []
    for units, act in ((5, lambda z: 1 / (1 + np.exp(-z))), (4, lambda z: np.where(z > 0, z, 0.1 * z)),
                       (3, np.tanh)):  # fmt: skip
        a = act(a @ INITIALIZERS.get("glorot_uniform")((a.shape[1], units), rng))
        outs.append(a)
    for layer, a in zip(r.layers, outs):
        assert layer.mean == pytest.approx(a.mean()) and layer.std == pytest.approx(a.std())
        assert layer.counts.sum() == a.size
        assert np.array_equal(layer.counts, np.histogram(a, bins=r.edges)[0])
    assert r.layers[1].activation == "leaky_relu" and r.edges[0] < 0


@pytest.mark.parametrize("kwargs, message", [
    ({"layers": []}, "1 to 30 layers"),
    ({"layers": [(0, "tanh")]}, "1 to 2,000 units"),
    ({"layers": [(3, "softmax")]}, "output activation"),
    ({"initializer": "nope"}, "unknown initializer"),
    ({"stddev": 0.0, "initializer": "random_normal"}, "σ must be above 0"),
])
def test_bad_settings_are_refused(kwargs, message):
    args = {"x": np.ones((4, 2)), "layers": [(3, "tanh")], **kwargs}
    with pytest.raises(PlaygroundError, match=message):
        activation_statistics(**args)


def test_the_presets_note_holds():
    """Preset 20: each layer shrinks the spread by about 0.05·√50 ≈ 0.35, layer 10's thousands of times
    below layer 1's; every weight gradient is near 10⁻⁶ and the loss stays at ln 2; with glorot_normal
    the gradients are about 10⁻² and the same network learns the circle."""
    import copy

    from engine.core.losses import get_loss
    from engine.project.files import load_project
    from engine.run.training import Trainer
    from playground.resources import PRESETS

    project = load_project(PRESETS / "20-initial-weights-deep-tanh.json")
    assert project["network"]["initializer"] == "random_normal" and len(project["network"]["layers"]) == 10
    tr = Trainer(project)
    x, y = tr.data.x_train, tr.data.y_train
    r = activation_statistics(x, [(50, "tanh")] * 10, "random_normal", stddev=0.05)
    assert np.exp(np.mean(np.log(r.stds[1:] / r.stds[:-1]))) == pytest.approx(0.05 * math.sqrt(50), rel=0.05)
    assert r.stds[0] / r.stds[-1] > 1000

    def gradient_norms(tr: Trainer) -> np.ndarray:
        tr.network.loss_and_grad(x, y, get_loss("binary_crossentropy"))
        return np.array([np.linalg.norm(k) for k in tr.network.views(tr.network.grads)[0]])

    small = gradient_norms(tr)
    assert np.all((small > 1e-7) & (small < 1e-5))  # "near 10⁻⁶"
    tr.fit(15)
    assert min(tr.history["loss"]) > 0.69
    xavier = copy.deepcopy(project)
    xavier["network"]["initializer"] = "glorot_normal"
    tr = Trainer(xavier)
    assert np.all((gradient_norms(tr) > 1e-2) & (gradient_norms(tr) < 1e-1))  # "about 10⁻²"
    tr.fit(15)
    assert tr.history["loss"][-1] < 0.3
