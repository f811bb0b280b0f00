"""The model of every project: a stack of layers over one flat buffer, checked on dense stacks."""

import numpy as np
import pytest
from helpers import dense

from engine import INITIALIZERS, PlaygroundError, build_model, get_loss


@pytest.mark.parametrize(
    "n_in, hidden, n_out, total",
    [
        (784, [], 10, 7_850),
        (2, [4, 2], 1, 2 * 4 + 4 + 4 * 2 + 2 + 2 + 1),
        (784, [128], 10, 101_770),
        (7, [8] * 6, 1, 433),
    ],
)
def test_parameter_counts_and_summary_totals(n_in, hidden, n_out, total):
    net = dense(n_in, hidden, n_out, "softmax" if n_out > 1 else "sigmoid")
    assert net.count_params() == total
    assert f"Total params: {total:,} " in net.summary()


def test_summary_lists_layers_with_shapes_and_params():
    net = dense(784, [(128, "relu", 0.2)], 10, "softmax")
    text = net.summary("mnist")
    assert 'Model: "mnist"' in text
    # Issue 29, item 12: a Keras Sequential summary lists no InputLayer; images start with Flatten.
    assert "InputLayer" not in text and "Flatten" not in text
    table = text.splitlines()[4:]
    assert table[0].startswith("dense_1 (Dense, relu)")
    images = build_model((28, 28), [{"units": 128, "activation": "relu", "dropout": 0.2}], 10).copy().summary()
    row = images.splitlines()[4]
    assert row.startswith("flatten (Flatten)") and "(None, 784)" in row and row.endswith(" 0")
    assert "dense_1 (Dense, relu)" in text and "(None, 128)" in text and "100,480" in text
    assert "dropout_1 (Dropout 0.2)" in text
    assert "output (Dense, softmax)" in text and "1,290" in text
    assert "Total params: 101,770" in text


def test_kernel_shape_is_in_by_out_and_forward_is_xw_plus_b():
    net = dense(3, [4], 2, "linear", seed=1)
    w0, b0, w1, b1 = net.get_weights()
    assert w0.shape == (3, 4) and b0.shape == (4,) and w1.shape == (4, 2) and b1.shape == (2,)
    x = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_allclose(net.predict(x), np.tanh(x @ w0 + b0) @ w1 + b1)


def test_zero_hidden_layers_is_logistic_regression():
    net = dense(2, [], 1, "sigmoid", seed=0)
    w, b = np.array([[1.5], [-2.0]]), np.array([0.25])
    net.set_weights([w, b])
    x = np.array([[1.0, 1.0], [0.0, 0.0], [-1.0, 2.0]])
    np.testing.assert_allclose(net.predict(x), 1 / (1 + np.exp(-(x @ w + b))))
    # Gradient of mean BCE for logistic regression: Xᵀ(ŷ − y)/N.
    y = np.array([1, 0, 1])
    net.loss_and_grad(x, y, get_loss("binary_crossentropy"))
    p = net.predict(x)
    np.testing.assert_allclose(net.kernel_grads[0], x.T @ (p - y[:, None]) / 3)


def test_set_weights_rejects_wrong_shapes_by_name():
    net = dense(2, [3], 1)
    w = net.get_weights()
    w[2] = np.zeros((4, 1))
    with pytest.raises(PlaygroundError, match=r"layers\.1\.kernel has shape \(4, 1\), expected \(3, 1\)"):
        net.set_weights(w)
    with pytest.raises(PlaygroundError, match="expected 4 weight arrays"):
        net.set_weights(w[:2])
    bad = net.get_weights()
    bad[1] = np.array([0.0, np.nan, 0.0])
    with pytest.raises(PlaygroundError, match=r"layers\.0\.bias contains NaN"):
        net.set_weights(bad)


def test_set_then_get_round_trips_and_views_share_the_flat_buffer():
    net = dense(3, [5, 4], 2, "softmax", seed=2)
    other = dense(3, [5, 4], 2, "softmax", seed=9)
    other.set_weights(net.get_weights())
    np.testing.assert_array_equal(other.params, net.params)
    net.kernels[1][0, 0] = 42.0
    assert 42.0 in net.params
    assert net.kernel_params.size == 3 * 5 + 5 * 4 + 4 * 2


def test_dropout_keeps_the_expected_value_in_training_and_is_identity_at_inference():
    net = dense(4, [(50, "relu", 0.4)], 1, "linear", seed=0)
    x = np.random.default_rng(1).normal(size=(1, 4)).repeat(20_000, axis=0)
    rng = np.random.default_rng(2)
    net.forward(x, training=True, rng=rng)
    hidden, drop = net.layers[0], net.layers[1]
    assert drop.name == "dropout" and drop.rate == 0.4
    dropped = hidden.a * drop.mask
    clean = net.neuron_outputs(x[:1])[0][0]
    kept = hidden.a  # inference pass just above: no mask
    np.testing.assert_allclose(dropped.mean(axis=0), clean, rtol=0.05, atol=1e-3)
    assert 0.35 < (dropped == 0).mean() < 0.45 or (clean == 0).any()
    np.testing.assert_array_equal(net.predict(x[:3]), net.predict(x[:3]))
    np.testing.assert_allclose(kept[0], clean)


def test_dropout_training_needs_a_generator():
    net = dense(2, [(3, "tanh", 0.5)], 1)
    with pytest.raises(PlaygroundError, match="random generator"):
        net.forward(np.zeros((1, 2)), training=True)


def test_float32_network_stays_float32():
    net = dense(2, [8], 1, dtype=np.float32)
    x = np.random.default_rng(0).normal(size=(10, 2))
    assert net.predict(x).dtype == np.float32
    net.loss_and_grad(x, np.zeros(10), get_loss("binary_crossentropy"))
    assert net.grads.dtype == np.float32
    assert net.copy(np.float64).params.dtype == np.float64


def test_neuron_outputs_cover_every_layer():
    net = dense(2, [4, 3], 2, "softmax")
    outs = net.neuron_outputs(np.zeros((7, 2)))
    assert [o.shape for o in outs] == [(7, 4), (7, 3), (7, 2)]


def test_wrong_input_shape_is_named():
    with pytest.raises(PlaygroundError, match=r"input has shape \(5, 3\), expected \(N, 2\)"):
        dense(2, [3], 1).predict(np.zeros((5, 3)))


@pytest.mark.parametrize(
    "bad", [{"units": 0}, {"units": 3, "dropout": 1.0}, {"units": 3, "activation": "nope"}, {"unit": 3}]
)
def test_bad_layer_specs_are_rejected(bad):
    with pytest.raises(PlaygroundError):
        build_model((2,), [bad], 1)


def test_same_seed_same_weights_other_seed_other_weights():
    a, b, c = (dense(2, [8, 8], 1, seed=s) for s in (7, 7, 8))
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)


@pytest.mark.parametrize(
    "name, expected_var",
    [
        ("glorot_uniform", 2 / (400 + 300)),
        ("glorot_normal", 2 / (400 + 300)),
        ("he_uniform", 2 / 400),
        ("he_normal", 2 / 400),
        ("lecun_normal", 1 / 400),
        ("random_normal", 0.05**2),
    ],
)
def test_initializer_variances_follow_keras(name, expected_var):
    w = INITIALIZERS.get(name)((400, 300), np.random.default_rng(0))
    assert w.shape == (400, 300)
    assert abs(w.mean()) < 0.01 * np.sqrt(expected_var) * 10
    assert w.var() == pytest.approx(expected_var, rel=0.03)
    if "normal" in name and name != "random_normal":
        assert np.abs(w).max() <= 2 * np.sqrt(expected_var) / 0.87962566103423978 + 1e-12


def test_zeros_initializer_shows_the_symmetry_problem():
    net = dense(2, [4], 1, initializer="zeros")
    x = np.random.default_rng(0).normal(size=(6, 2))
    net.kernels[1][...] = 0.3  # even with a non-zero output layer, hidden units stay identical
    net.loss_and_grad(x, np.array([0, 1, 0, 1, 1, 0]), get_loss("binary_crossentropy"))
    g = net.kernel_grads[0]
    assert np.allclose(g, g[:, :1])
    assert not np.allclose(INITIALIZERS.get("glorot_uniform")((2, 4), np.random.default_rng(0)), 0)


def test_a_network_over_the_parameter_budget_is_refused_before_allocating():
    from engine.project.fields import MAX_PARAMS

    with pytest.raises(PlaygroundError, match=r"251,736,065 parameters; the limit is 10,000,000"):
        dense(2, [4096] * 16, 1, "sigmoid")
    assert MAX_PARAMS == 10_000_000


def test_a_batch_whose_activations_would_not_fit_is_refused():
    from engine.run.training import Trainer
    from tests.helpers import project

    big = project(data={"source": "circle", "samples": 100_000},
                  network={"layers": [{"units": 4096}, {"units": 2000}]}, training={"batch_size": 100_000})  # fmt: skip
    with pytest.raises(PlaygroundError, match=r"a batch of 50,000 through these layers needs [\d,]+ MB"):
        Trainer(big)
    small = project(data={"source": "circle", "samples": 100_000},
                    network={"layers": [{"units": 4096}, {"units": 2000}]}, training={"batch_size": 10})  # fmt: skip
    tr = Trainer(small)
    with pytest.raises(PlaygroundError, match="smaller batch size"):
        tr.set_batch_size(100_000)  # live, as the app's batch-size field does
    assert tr.batch_size == 10


def test_ng_lambda_converts_to_ours_as_the_tooltip_says():
    """Issue 29, item 4: our L2 adds λ·ΣW² to each mini-batch's mean loss; Ng's cost adds
    (λ/2m)·ΣW² to the mean over m examples. With λ = λ_Ng/(2m) the full-batch objective and its
    gradient are Ng's, and the mean of equal mini-batches' objectives is the same number."""
    from engine.core.regularizers import Regularizer, from_ng_lambda
    from playground.panels.controls import reg_rate_tip

    rng = np.random.default_rng(3)
    m, lam_ng = 20, 0.7
    net = dense(2, [3], 1, "sigmoid", seed=2)
    x, y = rng.normal(size=(m, 2)), rng.integers(0, 2, m)
    loss = get_loss("binary_crossentropy")
    ours = Regularizer("l2", from_ng_lambda(lam_ng, m))

    def ng_cost() -> float:
        p = net.predict(x)[:, 0]
        data = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        return data + lam_ng / (2 * m) * float(net.kernel_params @ net.kernel_params)

    _data, objective = net.loss_and_grad(x, y, loss, ours, training=False)
    assert objective == pytest.approx(ng_cost(), rel=1e-12)
    grad = net.grads.copy()
    for k in range(net.n_kernel):
        saved = net.params[k]
        net.params[k] = saved + 1e-6
        up = ng_cost()
        net.params[k] = saved - 1e-6
        down = ng_cost()
        net.params[k] = saved
        assert grad[k] == pytest.approx((up - down) / 2e-6, rel=1e-6, abs=1e-9)
    batches = [net.loss_and_grad(x[i : i + 5], y[i : i + 5], loss, ours, training=False)[1] for i in range(0, m, 5)]
    assert np.mean(batches) == pytest.approx(objective, rel=1e-12)
    tip = reg_rate_tip()
    assert "λ here = λ_Ng / (2m)" in tip and f"{lam_ng / 422:.2g}" in tip


def _zero_start_trainer(activation: str, layers: int = 2, dropout: float = 0.0):
    from helpers import project

    from engine.run.training import Trainer

    p = project(data={"source": "circle", "samples": 80},
                network={"layers": [{"units": 4, "activation": activation, "dropout": dropout}] * layers,
                         "initializer": "zeros"},
                training={"optimizer": {"name": "sgd", "learning_rate": 0.3}, "batch_size": 10})  # fmt: skip
    return Trainer(p)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("layers", [1, 2])
def test_zero_kernels_with_tanh_or_relu_leave_only_the_output_bias_learning(activation, layers):
    """Issue 29, item 8: f(0) = 0, so every hidden output is 0: no gradient reaches a weight or a
    hidden bias, for ever; only the output bias moves."""
    from engine.core.initializers import zero_start

    tr = _zero_start_trainer(activation, layers)
    net = tr.network
    moved = 0
    for _ in range(40):
        tr.train_batch()
        assert not np.any(net.grads[: net.n_kernel]) and all(not np.any(g) for g in net.bias_grads[:-1])
        moved += bool(np.any(net.bias_grads[-1]))  # 0 only on a batch as often 1 as σ(b) says
    assert moved > 20
    assert not np.any(net.kernel_params) and all(not np.any(b) for b in net.biases[:-1]) and np.any(net.biases[-1])
    text = zero_start([activation] * layers)
    assert f"{activation}(0) = 0" in text and "Only the output bias learns" in text and "symmetry" not in text


def test_zero_kernels_with_sigmoid_keep_each_layers_units_identical():
    """σ(0) = 0.5: the units get identical, non-zero gradients and stay copies of each other (Ng's
    symmetry point); dropout's masks tell them apart."""
    from engine.core.initializers import zero_start

    tr = _zero_start_trainer("sigmoid")
    for _ in range(40):
        tr.train_batch()
    for kernel, grad in zip(tr.network.kernels, tr.network.kernel_grads):
        assert np.any(grad) and np.any(kernel)  # they learn...
        np.testing.assert_array_equal(kernel, kernel[:, :1].repeat(kernel.shape[1], axis=1))  # ...as one unit
    for bias in tr.network.biases[:-1]:
        assert np.all(bias == bias[0])
    text = zero_start(["sigmoid", "sigmoid"])
    assert "sigmoid(0) = 0.5" in text and "stay identical" in text and "symmetry problem" in text
    assert "output bias learns" not in text and "Dropout" not in text
    dropped = _zero_start_trainer("sigmoid", dropout=0.3)
    for _ in range(40):
        dropped.train_batch()
    assert np.ptp(dropped.network.kernels[0], axis=1).max() > 0  # the units differ now
    assert "Dropout's random masks tell them apart" in zero_start(["sigmoid"], dropout=True)


def test_the_summary_gives_each_kernel_beside_ngs_w_and_the_two_compute_the_same_z():
    """Concept of issue 29: Keras's (in, out) kernel multiplies a row, Ng's W[l] (n[l], n[l−1])
    a column; W[l] is the kernel transposed, and both give the same z."""
    net = dense(784, [128], 10, "softmax", seed=4)
    text = net.summary()
    assert "dense_1  kernel (784, 128), bias (128,)   W[1] (128, 784), b[1] (128, 1)" in text
    assert "output   kernel (128, 10), bias (10,)     W[2] (10, 128), b[2] (10, 1)" in text
    assert "W[l] = kernelᵀ" in text
    x = np.random.default_rng(1).normal(size=(5, 784))
    kernel, bias = net.kernels[0], net.biases[0]
    w_ng, b_ng = kernel.T, bias.reshape(-1, 1)
    assert w_ng.shape == (128, 784) and b_ng.shape == (128, 1)
    np.testing.assert_allclose((w_ng @ x.T + b_ng).T, x @ kernel + bias)  # column form = row form
    # A CNN's dense layers too, l counting the convolution (Ng numbers every layer with weights).
    cnn = build_model((8, 8), [{"type": "conv2d", "filters": 4, "kernel_size": 3, "activation": "relu"},
                               {"type": "max_pooling2d"}, {"units": 16, "activation": "relu"}], 10)  # fmt: skip
    text = cnn.summary()
    assert "dense_1  kernel (36, 16), bias (16,)   W[2] (16, 36)" in text and "W[3] (10, 16)" in text


def test_a_dense_net_on_images_summarises_as_keras_with_its_flatten():
    """Issue 29, item 12: Keras's example of the course flattens its images first; so does the
    summary of a dense project on image data (the trainer passes the images' shape)."""
    from engine.project.files import load_project
    from engine.run.training import Trainer
    from playground.resources import PRESETS

    tr = Trainer(load_project(PRESETS / "13-real-digits.json"))
    row = tr.network.summary().splitlines()[4]
    assert row.startswith("flatten (Flatten)") and "(None, 64)" in row and "InputLayer" not in tr.network.summary()


def test_a_dense_and_a_convolutional_project_build_the_same_model():
    """Issue 36: build_network returned a Network or, under a type: ignore, a ConvNetwork."""
    from helpers import project

    from engine import LayerStack, Model
    from engine.run.training import Trainer

    images = {"source": "shapes", "classes": 4, "samples": 40, "features": None}
    dense = Trainer(project(data=images, network={"layers": [{"units": 5}], "output_activation": "softmax"},
                            training={"loss": "categorical_crossentropy"})).network  # fmt: skip
    conv = {"type": "conv2d", "filters": 2, "kernel_size": 3}
    cnn = Trainer(project(data=images, network={"layers": [conv], "output_activation": "softmax"},
                          training={"loss": "categorical_crossentropy"})).network  # fmt: skip
    assert type(dense) is type(cnn) is LayerStack and isinstance(dense, Model) and isinstance(cnn, Model)
    assert [layer.name for layer in dense.layers] == ["flatten", "dense", "dense"]
    assert [layer.name for layer in cnn.layers] == ["conv2d", "flatten", "dense"]
    assert dense.param_names() == ["layers.0.kernel", "layers.0.bias", "layers.1.kernel", "layers.1.bias"]
    assert not dense.exports_images and cnn.exports_images
