"""Every layer kind on its own: shapes by Keras's rules, a naive loop for the convolution's
forward pass, and every gradient its `backward` writes against central differences (every
stride and padding)."""

import numpy as np
import pytest
from helpers import numeric

from engine import PlaygroundError
from engine.core.activations import get_activation
from engine.core.layers import AveragePooling2D, Conv2D, Dense, Dropout, Flatten, MaxPooling2D


def params_for(layer, inp, rng, dtype=np.float64):
    """Random parameters for `layer` on inputs `inp`, bound with gradient buffers; returns both."""
    p = {k: rng.normal(0, 0.5, s).astype(dtype) for k, s in layer.param_shapes(inp).items()}
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    layer.bind(p, grads)
    return p, grads


def naive_conv(x, kernel, bias, s, padding):
    n, h, w, _ = x.shape
    k, f = kernel.shape[0], kernel.shape[3]
    if padding == "same":
        oh, ow = -(-h // s), -(-w // s)
        ph, pw = max((oh - 1) * s + k - h, 0), max((ow - 1) * s + k - w, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (h - k) // s + 1, (w - k) // s + 1
    out = np.zeros((n, oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * s : i * s + k, j * s : j * s + k, :]
            out[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2])) + bias
    return out


CONVS = [(3, 1, "valid"), (3, 1, "same"), (3, 2, "valid"), (3, 2, "same"), (1, 1, "valid"), (2, 2, "same")]


@pytest.mark.parametrize("k, s, padding", CONVS)
def test_conv2d_matches_a_naive_loop_and_keras_shapes(k, s, padding):
    rng = np.random.default_rng(0)
    layer = Conv2D(filters=4, kernel_size=k, strides=s, padding=padding, activation="linear")
    x = rng.normal(size=(2, 7, 6, 3))
    p, _ = params_for(layer, (7, 6, 3), rng)
    y = layer.forward(x)
    assert y.shape[1:] == layer.output_shape((7, 6, 3))
    np.testing.assert_allclose(y, naive_conv(x, p["kernel"], p["bias"], s, padding), rtol=1e-12, atol=1e-12)
    if padding == "same":
        assert y.shape[1:3] == (-(-7 // s), -(-6 // s))


@pytest.mark.parametrize("k, s, padding", CONVS)
@pytest.mark.parametrize("activation", ["linear", "tanh", "relu"])
def test_conv2d_gradients_match_central_differences(k, s, padding, activation):
    rng = np.random.default_rng(1)
    layer = Conv2D(filters=2, kernel_size=k, strides=s, padding=padding, activation=activation)
    x = rng.normal(size=(2, 5, 4, 2))
    p, grads = params_for(layer, (5, 4, 2), rng)
    y = layer.forward(x)
    up = rng.normal(size=y.shape)  # L = Σ up · y
    dx = layer.backward(up.copy())
    loss = lambda: float(np.sum(up * layer.forward(x)))  # noqa: E731
    np.testing.assert_allclose(dx, numeric(loss, x), rtol=1e-5, atol=1e-7)
    for name in ("kernel", "bias"):
        np.testing.assert_allclose(grads[name], numeric(loss, p[name]), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
@pytest.mark.parametrize("size", [(4, 4), (5, 7)])
def test_pooling_forward_and_gradients(cls, size):
    rng = np.random.default_rng(2)
    layer = cls(pool_size=2)
    x = rng.normal(size=(2, *size, 3))
    y = layer.forward(x)
    assert y.shape[1:] == layer.output_shape((*size, 3)) == (size[0] // 2, size[1] // 2, 3)
    block = x[:, :2, :2, :]
    want = block.max(axis=(1, 2)) if cls is MaxPooling2D else block.mean(axis=(1, 2))
    np.testing.assert_allclose(y[:, 0, 0, :], want)
    up = rng.normal(size=y.shape)
    dx = layer.backward(up.copy())
    loss = lambda: float(np.sum(up * layer.forward(x)))  # noqa: E731
    np.testing.assert_allclose(dx, numeric(loss, x), rtol=1e-5, atol=1e-7)
    if size == (5, 7):
        assert np.all(dx[:, 4, :, :] == 0) and np.all(dx[:, :, 6, :] == 0)  # rows and columns past the last window


def test_flatten_is_channels_last_as_keras():
    x = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5)
    flatten = Flatten()
    y = flatten.forward(x)
    assert np.array_equal(y, x.reshape(2, -1)) and flatten.output_shape((3, 4, 5)) == (60,)
    assert np.array_equal(flatten.backward(y), x)


def test_float32_stays_float32_and_close_to_float64():
    rng = np.random.default_rng(3)
    layer, single = Conv2D(4, 3, padding="same", activation="relu"), Conv2D(4, 3, padding="same", activation="relu")
    x = rng.normal(size=(2, 6, 6, 1))
    p, _ = params_for(layer, (6, 6, 1), rng)
    p32 = {k: v.astype(np.float32) for k, v in p.items()}
    single.bind(p32, {k: np.zeros_like(v) for k, v in p32.items()})
    y64 = layer.forward(x)
    y32 = single.forward(x.astype(np.float32))
    assert y32.dtype == np.float32 and np.allclose(y32, y64, atol=1e-5)


def test_a_float32_training_pass_stays_float32_at_every_layer():
    """No silent upcast on a CNN's way forward and back: every layer's output, its z and a, and
    the gradient it passes down are float32 (float64 would double every copy and product)."""
    from engine.core.model import LayerStack

    rng = np.random.default_rng(5)
    layers = [Conv2D(4, 3, padding="same", activation="relu"), MaxPooling2D(2), Conv2D(6, 3, activation="tanh"),
              Flatten(), Dense(5, "relu"), Dropout(0.3), Dense(3, "softmax")]  # fmt: skip
    net = LayerStack((8, 8, 2), layers, np.float32)
    h = rng.normal(size=(4, 8, 8, 2)).astype(np.float32)
    for layer in net.layers:
        h = layer.forward(h, True, rng)
        kept = [getattr(layer, name) for name in ("z", "a") if hasattr(layer, name)]
        assert all(v.dtype == np.float32 for v in [h, *kept]), layer.name
    g = rng.normal(size=h.shape).astype(np.float32)
    for layer in reversed(net.layers):
        g = layer.backward(g)
        assert g.dtype == np.float32, layer.name
    assert net.grads.dtype == np.float32 and np.any(net.grads != 0)


IMAGE_LAYERS = [Conv2D(3, 3, padding="same", activation="relu"), Conv2D(2, 2, strides=2), MaxPooling2D(2),
                MaxPooling2D(3), AveragePooling2D(2)]  # fmt: skip


@pytest.mark.parametrize("layer", IMAGE_LAYERS, ids=lambda v: v.name)
def test_image_layers_give_the_same_numbers_whatever_the_inputs_memory_layout(layer):
    """The image layers work on planes (C, H, W, N) and pass views with Keras's axes: channels-last
    input, planes and a strided view of either give the same outputs and gradients, bit for bit."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, 7, 6, 2))
    _p, grads = params_for(layer, (7, 6, 2), rng)
    planes = np.ascontiguousarray(x.transpose(3, 1, 2, 0)).transpose(3, 1, 2, 0)
    wider = np.zeros((3, 7, 6, 4))
    wider[..., ::2] = x
    results = []
    for inp in (x, planes, wider[..., ::2]):
        y = layer.forward(inp)
        up = np.arange(y.size, dtype=float).reshape(y.shape) % 5 - 2
        dx = layer.backward(up)
        results.append((y.copy(), dx.copy(), {k: v.copy() for k, v in grads.items()}))
        assert y.shape == (3, *layer.output_shape((7, 6, 2))) and dx.shape == x.shape
    for y, dx, g in results[1:]:
        assert np.array_equal(y, results[0][0]) and np.array_equal(dx, results[0][1])
        assert all(np.array_equal(g[k], results[0][2][k]) for k in g)


def test_bad_layers_are_named():
    with pytest.raises(PlaygroundError, match="filters must be a whole number >= 1"):
        Conv2D(0, 3)
    with pytest.raises(PlaygroundError, match="padding must be 'valid' or 'same'"):
        Conv2D(2, 3, padding="full")
    with pytest.raises(PlaygroundError, match="a 9-wide window does not fit a 4-wide input"):
        Conv2D(2, 9).output_shape((4, 4, 1))
    with pytest.raises(PlaygroundError, match="unknown activation"):
        Conv2D(2, 3, activation="nope")
    with pytest.raises(PlaygroundError, match="a convolution needs image input"):
        Conv2D(2, 3).output_shape((16,))
    with pytest.raises(PlaygroundError, match="put a flatten layer before it"):
        Dense(2).param_shapes((4, 4, 1))
    with pytest.raises(PlaygroundError, match=r"dropout rate must be in \[0, 1\)"):
        Dropout(1.0)
    assert get_activation("relu")


@pytest.mark.parametrize("activation", ["tanh", "relu", "softmax", "linear"])
def test_dense_gradients_match_central_differences(activation):
    """The fast path's gradients, written with out= into the bound buffers, against numbers."""
    rng = np.random.default_rng(4)
    layer = Dense(3, activation)
    x = rng.normal(size=(5, 4))
    p, grads = params_for(layer, (4,), rng)
    up = rng.normal(size=(5, 3))
    layer.forward(x)
    dx = layer.backward(up.copy())
    loss = lambda: float(np.sum(up * layer.forward(x)))  # noqa: E731
    np.testing.assert_allclose(dx, numeric(loss, x), rtol=1e-5, atol=1e-7)
    for name in ("kernel", "bias"):
        np.testing.assert_allclose(grads[name], numeric(loss, p[name]), rtol=1e-5, atol=1e-7)
    layer.forward(x)
    assert layer.backward(up.copy(), input_grad=False) is None  # the first layer's input needs no gradient


def test_dropout_masks_in_training_only_and_routes_the_gradient_through_its_mask():
    drop = Dropout(0.5)
    x = np.ones((4, 1000))
    assert drop.forward(x) is x and drop.backward(x) is x  # inference: unchanged
    y = drop.forward(x, training=True, rng=np.random.default_rng(0))
    assert set(np.unique(y)) == {0.0, 2.0} and 0.45 < np.mean(y == 0) < 0.55
    g = drop.backward(np.ones_like(x))
    assert np.array_equal(g, y)  # ∂L/∂x = m ⊙ ∂L/∂y
    with pytest.raises(PlaygroundError, match="random generator"):
        drop.forward(x, training=True)
