"""The layer stack over one flat buffer: its layout, its whole gradient against central
differences, and a small CNN that learns the shapes set."""

import dataclasses

import numpy as np
import pytest

from engine import PlaygroundError, get_activation
from engine.core.layers import Conv2D, Dense, Dropout, Flatten, Layer, MaxPooling2D
from engine.core.losses import as_targets, get_loss
from engine.core.model import LayerStack, build_model
from engine.core.optimizers import make_optimizer
from engine.data import generate


def small_cnn(**kw):
    return LayerStack((6, 6, 1), [Conv2D(3, 3, padding="same", activation="tanh"), MaxPooling2D(2),
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
    assert net.n_kernel == kernels == net.kernel_params.size  # every kernel first: L1/L2's one slice
    net.params[...] = np.arange(net.params.size)
    assert np.shares_memory(net.kernels[0], net.params) and net.kernels[0].flat[0] == 0
    assert net.biases[0][0] == kernels  # the first bias right after the last kernel


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
    assert net.activations[-1].name == get_activation("softmax").name
    for i in range(net.params.size):
        old = net.params[i]
        net.params[i] = old + h
        up = net.objective(x, y, loss)
        net.params[i] = old - h
        down = net.objective(x, y, loss)
        net.params[i] = old
        assert analytic[i] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8), net.param_names()


@dataclasses.dataclass(eq=False)
class _Affine(Layer):
    """A test-only kind with slots beyond kernel and bias: y = x·gamma + beta, and a
    non-trainable "seen" array a training pass counts into (as a moving statistic would)."""

    name = "affine_test"
    non_trainable = ("seen",)

    def param_shapes(self, inp):
        return {"gamma": inp, "beta": inp, "seen": inp}

    def initial(self, name, shape, rng, kernel_init, bias_init):
        return np.full(shape, {"gamma": 1.0, "beta": 0.0, "seen": 7.0}[name])

    def bind(self, params, grads):
        self.p, self.g = params, grads

    def forward(self, x, training=False, rng=None):
        if training:
            self.p["seen"] += 1
        self.x = x
        return x * self.p["gamma"] + self.p["beta"]

    def backward(self, grad, input_grad=True):
        self.g["gamma"][...] = (grad * self.x).sum(axis=0)
        self.g["beta"][...] = grad.sum(axis=0)
        return grad * self.p["gamma"]


def test_slots_beyond_kernel_and_bias_lie_in_three_sections_and_only_the_trainable_ones_are_stepped():
    net = LayerStack((3,), [Dense(4), _Affine(), Dense(2, activation="softmax")], seed=5)
    plain = LayerStack((3,), [Dense(4), Dense(2, activation="softmax")], seed=5)
    assert net.param_names() == ["layers.0.kernel", "layers.0.bias", "layers.1.gamma", "layers.1.beta",
                                 "layers.1.seen", "layers.2.kernel", "layers.2.bias"]  # fmt: skip
    assert net.weighted == [0, 2] and net.param_layers == [0, 1, 2] and len(net.kernels) == len(net.biases) == 2
    assert (net.n_kernel, net.n_trainable, net.params.size) == (12 + 8, 20 + 4 + 8 + 2, 34 + 4)
    net.params[...] = np.arange(net.params.size)
    named = dict(zip(net.param_names(), net.get_weights()))
    assert named["layers.2.kernel"].flat[0] == 12 and named["layers.0.bias"][0] == 20  # kernels, then the rest
    assert list(named["layers.1.gamma"]) == [24, 25, 26, 27] and list(named["layers.1.beta"]) == [28, 29, 30, 31]
    assert list(named["layers.1.seen"]) == [34, 35, 36, 37]  # the non-trainable section last
    net.initialize(5)
    for a, b in zip(plain.get_weights(), [w for n, w in zip(net.param_names(), net.get_weights()) if "1." not in n]):
        assert np.array_equal(a, b)  # the other layers draw exactly what they drew without it
    assert np.all(net.get_weights()[2] == 1) and np.all(net.get_weights()[4] == 7)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 3)), np.array([0, 1, 1, 0, 1, 0])
    loss = get_loss("categorical_crossentropy")
    net.loss_and_grad(x, y, loss, training=False)
    assert not np.any(net.grads[net.n_trainable :])  # no gradient reaches a non-trainable array
    analytic = net.grads.copy()
    for i in range(net.n_trainable):
        old = net.params[i]
        net.params[i] = old + 1e-6
        up = net.objective(x, y, loss)
        net.params[i] = old - 1e-6
        down = net.objective(x, y, loss)
        net.params[i] = old
        assert analytic[i] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-8), i
    before = net.params.copy()
    net.loss_and_grad(x, y, loss)  # a training pass counts into "seen"
    make_optimizer({"name": "adam"}).step(net.trainable_params, net.trainable_grads, net.n_kernel)
    assert np.all(net.params[: net.n_trainable] != before[: net.n_trainable])
    assert np.array_equal(net.params[net.n_trainable :], before[net.n_trainable :] + 1)  # counted, never stepped
    copy = net.copy()
    assert np.array_equal(copy.params, net.params)  # a copy carries the non-trainable arrays too
    assert "Trainable params: 34 (272.00 B)" in net.summary() and "Non-trainable params: 4 (32.00 B)" in net.summary()
    assert "Non-trainable params: 0 (0.00 B)" in plain.summary()


def test_a_small_cnn_learns_the_shapes_set():
    ds = generate("shapes", samples=1200, noise=0.1, seed=0, classes=4)
    x = (ds.x / 255.0).reshape(-1, 16, 16, 1)
    net = LayerStack((16, 16, 1), [Conv2D(8, 3, padding="same", activation="relu"), MaxPooling2D(2),
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
        LayerStack((4,), [Conv2D(2, 3), Dense(1)])
    with pytest.raises(PlaygroundError, match="layers\\[1\\]: a 9-wide window does not fit a 4-wide input"):
        LayerStack((4, 4, 1), [Conv2D(2, 1), Conv2D(2, 9), Flatten(), Dense(1)])
    with pytest.raises(PlaygroundError, match="put a flatten layer before it"):
        LayerStack((4, 4, 1), [Dense(2), Dense(1)])
    with pytest.raises(PlaygroundError, match="the last layer must be a dense layer"):
        LayerStack((4, 4, 1), [Flatten()])
    assert as_targets(np.array([1]), 3).shape == (1, 3)


def test_the_plan_gives_keras_summary_shapes_and_counts_from_shapes_alone():
    """LeNet's published counts: 156, 2,416, 48,120, 10,164 and 850 (61,706 in all), the added
    flatten said, and the same numbers as the network that is then built."""
    from engine.core.layers import plan

    hidden = [{"type": "conv2d", "filters": 6, "kernel_size": 5, "activation": "relu"}, {"type": "max_pooling2d"},
              {"type": "conv2d", "filters": 16, "kernel_size": 5, "activation": "relu"}, {"type": "max_pooling2d"},
              {"units": 120, "activation": "relu", "dropout": 0.25}, {"units": 84, "activation": "relu"}]  # fmt: skip
    rows, notes = plan((32, 32), hidden, 10)
    assert [(r.source, r.kind, r.output_shape, r.params) for r in rows] == [
        (0, "Conv2D", (28, 28, 6), 156), (1, "MaxPooling2D", (14, 14, 6), 0), (2, "Conv2D", (10, 10, 16), 2416),
        (3, "MaxPooling2D", (5, 5, 16), 0), (None, "Flatten", (400,), 0), (4, "Dense", (120,), 48120),
        (4, "Dropout", (120,), 0), (5, "Dense", (84,), 10164), (-1, "Dense", (10,), 850)]  # fmt: skip
    assert notes == ["a flatten layer was added before layer 5 (a dense layer needs flat input)"]
    net = build_model((32, 32, 1), hidden, 10)
    assert net.count_params() == sum(r.params for r in rows) == 61706
    x = np.random.default_rng(0).random((3, 32 * 32))
    outs = net.layer_outputs(x)
    assert [o.shape[1:] for o in outs] == [r.output_shape for r in rows]
    assert np.allclose(outs[-1], net.predict(x))
    flat = net.neuron_outputs(x)  # the layers with parameters, flattened, the output last
    assert [f.shape for f in flat] == [(3, 4704), (3, 1600), (3, 120), (3, 84), (3, 10)]
    assert np.array_equal(flat[1], outs[2].reshape(3, -1))
    assert [g.shape for g in net.kernel_grads] == [(5, 5, 1, 6), (5, 5, 6, 16), (400, 120), (120, 84), (84, 10)]


CNN = {
    "format": "nn-playground/1", "seed": 0,
    "data": {"source": "shapes", "samples": 400, "classes": 4, "normalize": "unit", "features": None},
    "network": {"layers": [{"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same"},
                           {"type": "max_pooling2d"}, {"type": "dense", "units": 8, "activation": "relu"}],
                "output_activation": "softmax"},
    "training": {"loss": "categorical_crossentropy", "optimizer": {"name": "adam", "learning_rate": 0.01}},
}  # fmt: skip


def test_a_convolutional_project_trains_saves_and_loads_headless(tmp_path, capsys):
    import json

    from engine.cli import main
    from engine.project.files import load_project, load_weights
    from engine.run.training import Trainer

    path = tmp_path / "cnn.json"
    path.write_text(json.dumps(CNN))
    assert main(["train", str(path), "--epochs", "2", "--export", str(tmp_path / "w.npz")]) == 0
    assert "weights saved" in capsys.readouterr().out
    assert main(["summary", str(path)]) == 0
    text = capsys.readouterr().out
    assert "Conv2D" in text and "(None, 16, 16, 4)" in text and "a flatten layer was added before layer 3" in text
    tr = Trainer(load_project(path))
    load_weights(tmp_path / "w.npz", tr.network)
    assert [w.shape for w in tr.network.get_weights()][:2] == [(3, 3, 1, 4), (4,)]
    assert main(["train", str(path), "--epochs", "1", "--export", str(tmp_path / "w.py")]) == 2
    assert "can be saved as .npz, .json or .onnx" in capsys.readouterr().err


def test_convolutional_layers_in_a_project_are_checked_by_key():
    from engine.project import normalize_project
    from engine.run.training import Trainer

    def with_layers(*layers, **data):
        return {**CNN, "data": {**CNN["data"], **data}, "network": {**CNN["network"], "layers": list(layers)}}

    for layers, message in [
        (({"type": "conv2d", "kernel_size": 3},), r"network.layers\[0\].filters is missing"),
        (({"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": "full"},), "padding must be one of"),
        (({"type": "max_pooling2d", "pool_size": 0},), r"network.layers\[0\].pool_size must be >= 1"),
        (({"type": "conv3d"},), r"network.layers\[0\].type must be one of"),
        (({"type": "flatten", "units": 3},), r"network.layers\[0\].units is not a known key"),
    ]:
        with pytest.raises(PlaygroundError, match=message):
            normalize_project(with_layers(*layers))
    p = normalize_project(with_layers({"type": "conv2d", "filters": 2, "kernel_size": 9}))
    with pytest.raises(PlaygroundError, match=r"^network.layers\[0\].kernel_size 9 is larger than its 4×4 input$"):
        build_model((4, 4), p["network"]["layers"], 2)
    pooled = [{"type": "max_pooling2d", "pool_size": 2}, {"type": "average_pooling2d", "pool_size": 3}]
    with pytest.raises(PlaygroundError, match=r"^network.layers\[1\].pool_size 3 is larger than its 2×2 input$"):
        build_model((4, 4), pooled, 2)
    late = [{"type": "flatten"}, {"type": "conv2d", "filters": 2, "kernel_size": 1, "activation": "relu"}]
    with pytest.raises(PlaygroundError, match=r"^network.layers\[1\].type: a conv2d layer cannot follow a flatten"):
        build_model((4, 4), late, 2)
    with pytest.raises(PlaygroundError, match=r"^network.layers\[1\].type: the input is already flat"):
        build_model((4, 4), [{"type": "flatten"}, {"type": "flatten"}], 2)
    conv = {"layers": [{"type": "conv2d", "filters": 2, "kernel_size": 3}]}
    points = normalize_project({**CNN, "data": {"source": "circle"}, "training": {"loss": "binary_crossentropy"},
                                "network": conv})  # fmt: skip
    with pytest.raises(PlaygroundError, match="convolution and pooling layers need image data"):
        Trainer(points)
    dense = normalize_project(with_layers({"type": "dense", "units": 3}))
    assert dense["network"]["layers"] == [{"units": 3, "activation": "tanh", "dropout": 0.0}]  # today's form


def test_a_convolutional_network_exports_to_onnx_as_it_predicts(tmp_path):
    """Checked against onnxruntime: input [N, H, W, C] float32, every layer type, 'same' padding
    with strides, the unit normalisation in the graph."""
    ort = pytest.importorskip("onnxruntime")
    from engine.project import normalize_project
    from engine.project.files import save_weights
    from engine.run.training import Trainer

    layers = [{"type": "conv2d", "filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "tanh"},
              {"type": "average_pooling2d", "pool_size": 2},
              {"type": "conv2d", "filters": 4, "kernel_size": 2, "activation": "relu"},
              {"type": "max_pooling2d", "pool_size": 1}, {"type": "flatten"},
              {"type": "dense", "units": 6, "activation": "relu", "dropout": 0.2}]  # fmt: skip
    p = normalize_project({**CNN, "network": {**CNN["network"], "layers": layers}})
    tr = Trainer(p)
    tr.fit(1)
    save_weights(tmp_path / "m.onnx", tr.network, p, tr.data.normalizer)
    raw = tr.data.dataset.x[tr.data.test[:16]]  # before normalisation, as a user's images
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    got = session.run(None, {"input": raw.reshape(-1, 16, 16, 1).astype(np.float32)})[0]
    want = tr.network.predict(tr.data.normalizer(raw))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_the_gradient_check_and_landscape_directions_read_the_conv_layout():
    """The app's gradient check and filter-normalised directions use the same layout the layers
    do: every array of a CNN with dropout agrees with central differences, and each random
    direction's filter (k × k × in) has the norm of the weights' filter."""
    from engine.core.regularizers import Regularizer
    from engine.teaching.gradcheck import check_gradients
    from engine.teaching.landscape import filter_norms, random_directions

    conv = {"type": "conv2d", "filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "tanh"}
    hidden = [conv, {"type": "average_pooling2d", "pool_size": 2}, {"units": 4, "activation": "tanh", "dropout": 0.3}]
    net = build_model((8, 8, 1), hidden, 3, "softmax", seed=3)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 64)), np.array([0, 1, 2, 1, 0])
    report = check_gradients(net, x, y, get_loss("categorical_crossentropy"), Regularizer("l2", 0.01))
    assert [r.name for r in report.arrays] == net.param_names()
    assert report.passed(1e-6), report.table()
    copy = net.copy(np.float32)
    assert copy.dtype == np.float32 and np.allclose(copy.params, net.params) and copy.params is not net.params
    d1, _d2 = random_directions(net, rng)
    for got, want in zip(filter_norms(net, d1), filter_norms(net, net.params)):
        assert got.shape == want.shape and np.allclose(got, want)
    assert not np.any(np.concatenate(net.views(d1)[1]))  # biases are not moved


def test_an_activations_parameters_reach_the_layers_that_use_it():
    """{"name": "leaky_relu", "alpha": 0.1} in a conv or dense layer of a CNN is leaky ReLU with
    α = 0.1, not the default 0.2 (the name alone used to be kept)."""
    leaky = {"name": "leaky_relu", "alpha": 0.1}
    hidden = [{"type": "conv2d", "filters": 2, "kernel_size": 3, "activation": leaky},
              {"units": 3, "activation": {"name": "elu", "alpha": 0.5}}]  # fmt: skip
    net = build_model((5, 5), hidden, 2, "softmax", seed=0)
    assert [a.params() for a in net.activations[:2]] == [{"alpha": 0.1}, {"alpha": 0.5}]
    x = np.random.default_rng(1).normal(size=(4, 25))
    net.layer_outputs(x)
    z, a = net.layers[0].z, net.layers[0].a
    assert (z < 0).any() and np.allclose(a, np.where(z > 0, z, 0.1 * z))


def test_a_conv_kernel_draws_only_its_own_values():
    """Issue 28, item 5: the initializer used to draw fan_in × fan_out values and keep the
    kernel's first ones. A 28×28 kernel with 64 filters holds 50,176 weights; fan_in × fan_out
    is 784 × 50,176, 315 MB of float64, that a 50 k-parameter project allocated and threw away."""
    import tracemalloc

    tracemalloc.start()
    try:
        net = LayerStack((28, 28, 1), [Conv2D(64, 28), Flatten(), Dense(2)], initializer="he_normal")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    kernel = net.kernels[0]
    assert kernel.size == 50_176 and np.all(kernel != 0)
    assert peak < 8 * net.params.nbytes, f"{peak / 2**20:.1f} MB to build {net.params.nbytes / 2**20:.1f} MB of weights"


@pytest.mark.parametrize("name, variance", [("glorot_uniform", 2 / (288 + 576)), ("glorot_normal", 2 / (288 + 576)),
                                            ("he_uniform", 2 / 288), ("he_normal", 2 / 288),
                                            ("lecun_normal", 1 / 288)])  # fmt: skip
def test_conv_kernels_keep_keras_fans(name, variance):
    """A 3×3 kernel over 32 channels with 64 filters: fan_in 9·32 = 288, fan_out 9·64 = 576."""
    net = LayerStack((5, 5, 32), [Conv2D(64, 3), Flatten(), Dense(2)], initializer=name, seed=4)
    kernel = net.kernels[0]
    assert kernel.shape == (3, 3, 32, 64)
    assert kernel.var() == pytest.approx(variance, rel=0.04)
    assert abs(kernel.mean()) < 0.05 * np.sqrt(variance)


def _unfolding_project(batch_size: int, filters: int = 512) -> dict:
    """Conv2D(filters, 3, same) → Conv2D(1, 16, same) on the 16×16 shapes: the second layer's
    im2col matrix holds 16·16·filters values at each of 256 positions per image."""
    from tests.helpers import project

    layers = [{"type": "conv2d", "filters": filters, "kernel_size": 3, "padding": "same", "activation": "relu"},
              {"type": "conv2d", "filters": 1, "kernel_size": 16, "padding": "same"}]  # fmt: skip
    return project(data={"source": "shapes", "samples": 200}, network={"layers": layers},
                   training={"batch_size": batch_size})  # fmt: skip


def test_a_training_step_whose_im2col_would_not_fit_is_refused_at_build():
    """Issue 28, item 6: 137 k parameters at batch 10 passed the activation check and died in
    the backward pass allocating 2.50 GiB. The step's peak (10 images × 256 positions × 131,072
    values, kept from the forward pass and made twice more by col2im) is refused before it."""
    import re

    from engine.run.training import Trainer

    with pytest.raises(PlaygroundError) as refused:
        Trainer(_unfolding_project(10))
    message = str(refused.value)
    found = re.search(r"a batch of 10 through these layers needs ([\d,]+) MB for one training step, ([\d,]+) MB of it "
                      r"in layer 2 \(conv 1@16×16\), whose 16×16 window over 512 channels unfolds 131,072 values at "
                      r"each of its 256 positions; the limit is 381 MB", message)  # fmt: skip
    assert found, message
    cols_mb = 10 * 256 * 131_072 * 8 / 2**20  # one im2col matrix: 2,560 MB
    need, share = (int(g.replace(",", "")) for g in found.groups())
    assert 3 * cols_mb <= share <= need < 3.1 * cols_mb


def test_a_live_batch_size_whose_step_would_not_fit_is_refused_and_the_old_one_kept():
    from engine.run.training import Trainer

    tr = Trainer(_unfolding_project(1, filters=32))  # 48 MB a step per image
    with pytest.raises(PlaygroundError, match=r"a batch of 10 through these layers needs 48\d MB for one training "
                                              r"step, 48\d MB of it in layer 2 \(conv 1@16×16\).*the limit is 381 MB"):
        tr.set_batch_size(10)
    assert tr.batch_size == 1
    tr.set_batch_size(2)
    assert tr.batch_size == 2 and np.isfinite(tr.train_batch().loss)


def test_the_step_budget_covers_what_a_training_step_really_allocates():
    import tracemalloc

    layers = [Conv2D(16, 3, padding="same", activation="relu"), MaxPooling2D(2),
              Conv2D(8, 5, strides=2, padding="same", activation="tanh"), Flatten(), Dropout(0.2),
              Dense(6, activation="relu"), Dense(3, activation="softmax")]  # fmt: skip
    net = LayerStack((16, 16, 2), layers)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 16, 16, 2)), rng.integers(0, 3, 32)
    tracemalloc.start()
    try:
        net.loss_and_grad(x, y, get_loss("categorical_crossentropy"), rng=rng)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    need, shares = net.step_bytes(32)
    assert peak <= need < 1.5 * peak + x.nbytes
    assert len(shares) == len(net.layers) and max(shares) == shares[0]  # the first conv: 32·256·18 values cached
