"""The layer stack over one flat buffer: its layout, its whole gradient against central
differences, and a small CNN that learns the shapes set."""

import numpy as np
import pytest

from engine import PlaygroundError, get_activation
from engine.data import generate
from engine.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from engine.losses import as_targets, get_loss
from engine.optimizers import make_optimizer
from engine.sequential import Sequential


def small_cnn(**kw):
    return Sequential((6, 6, 1), [Conv2D(3, 3, padding="same", activation="tanh"), MaxPooling2D(2),
                                  Conv2D(2, 2, activation="relu"), Flatten(), Dropout(0.0),
                                  Dense(5, activation="tanh"), Dense(3, activation="softmax")], **kw)  # fmt: skip


def test_the_layout_names_shapes_and_decay_mask():
    net = small_cnn()
    assert net.param_names() == ["layers.0.kernel", "layers.0.bias", "layers.1.kernel", "layers.1.bias",
                                 "layers.2.kernel", "layers.2.bias", "layers.3.kernel", "layers.3.bias"]  # fmt: skip
    assert [w.shape for w in net.get_weights()] == [(3, 3, 1, 3), (3,), (2, 2, 3, 2), (2,), (8, 5), (5,), (5, 3), (3,)]
    assert net.shapes == [(6, 6, 1), (6, 6, 3), (3, 3, 3), (2, 2, 2), (8,), (8,), (5,), (3,)]
    assert net.count_params() == 30 + 26 + 45 + 18
    kernels = sum(w.size for w in net.get_weights()[0::2])
    assert int(net.decay.sum()) == kernels
    net.params[...] = np.arange(net.params.size)
    assert net.views[0]["kernel"].base is net.params or np.shares_memory(net.views[0]["kernel"], net.params)


def test_the_whole_gradient_matches_central_differences():
    rng = np.random.default_rng(0)
    net = small_cnn()
    net.params[...] = rng.normal(0, 0.5, net.params.size)
    x = rng.normal(size=(4, 6, 6, 1))
    y = np.array([0, 1, 2, 1])
    loss = get_loss("categorical_crossentropy")
    net.loss_and_grad(x, y, loss, training=False)
    analytic = net.grads.copy()
    h = 1e-6
    for i in range(net.params.size):
        old = net.params[i]
        net.params[i] = old + h
        net.forward(x)
        up = loss.value(*net._caches[-1][1:], y, get_activation("softmax"))
        net.params[i] = old - h
        net.forward(x)
        down = loss.value(*net._caches[-1][1:], y, get_activation("softmax"))
        net.params[i] = old
        assert analytic[i] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8), net.param_names()


def test_a_small_cnn_learns_the_shapes_set():
    ds = generate("shapes", samples=1200, noise=0.1, seed=0, classes=4)
    x = (ds.x / 255.0).reshape(-1, 16, 16, 1)
    net = Sequential((16, 16, 1), [Conv2D(8, 3, padding="same", activation="relu"), MaxPooling2D(2),
                                   Conv2D(16, 3, activation="relu"), MaxPooling2D(2), Flatten(),
                                   Dense(32, activation="relu"), Dense(4, activation="softmax")], seed=1)  # fmt: skip
    loss, opt = get_loss("categorical_crossentropy"), make_optimizer({"name": "adam", "learning_rate": 0.005})
    train, test = np.arange(900), np.arange(900, 1200)
    rng = np.random.default_rng(2)
    for _ in range(10):
        for b in np.array_split(rng.permutation(train), 20):
            net.loss_and_grad(x[b], ds.y[b], loss, rng=rng)
            opt.step(net.params, net.grads, 0)
    accuracy = float(np.mean(net.predict(x[test]).argmax(axis=1) == ds.y[test]))
    assert accuracy > 0.93  # 6,020 parameters; the dense preset (16,708) reaches about 88%


def test_wrong_stacks_are_refused_with_the_layer_named():
    with pytest.raises(PlaygroundError, match="layers\\[0\\]: a convolution needs image input"):
        Sequential((4,), [Conv2D(2, 3), Dense(1)])
    with pytest.raises(PlaygroundError, match="layers\\[1\\]: a 9-wide window does not fit a 4-wide input"):
        Sequential((4, 4, 1), [Conv2D(2, 1), Conv2D(2, 9), Flatten(), Dense(1)])
    with pytest.raises(PlaygroundError, match="put a flatten layer before it"):
        Sequential((4, 4, 1), [Dense(2), Dense(1)])
    with pytest.raises(PlaygroundError, match="the last layer must be a dense layer"):
        Sequential((4, 4, 1), [Flatten()])
    assert as_targets(np.array([1]), 3).shape == (1, 3)
