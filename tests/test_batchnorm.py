"""BatchNormalization: its gradients against central differences, its forward pass and moving
statistics against the formulas, against PyTorch (forward, gradients, 20 Adam steps), its ONNX
export against onnxruntime, a project with batch_norm training and reloading, and what a batch
of one is told."""

import copy
import json

import numpy as np
import pytest
from helpers import numeric, project

from engine import PlaygroundError
from engine.core.layers import ActivationLayer, BatchNormalization, Dense
from engine.core.losses import get_loss
from engine.core.model import LayerStack
from engine.core.optimizers import make_optimizer

SHAPES = {"dense": (5,), "conv": (3, 4, 2)}  # per unit, per channel
AFFINE = [(True, True), (False, True), (True, False), (False, False)]


def bound(shape, center=True, scale=True, momentum=0.9, epsilon=1e-3, seed=0):
    """A BatchNormalization on inputs of `shape` with random γ, β and moving statistics, bound to
    its own arrays; returns the layer, its parameters and its gradients."""
    rng = np.random.default_rng(seed)
    layer = BatchNormalization(momentum=momentum, epsilon=epsilon, center=center, scale=scale)
    params = {k: rng.normal(0.5, 0.5, s) for k, s in layer.param_shapes(shape).items()}
    params["moving_variance"] = rng.uniform(0.5, 2.0, shape[-1:])
    grads = {k: np.zeros_like(v) for k, v in params.items() if k not in layer.non_trainable}
    layer.bind(params, grads)
    return layer, params, grads


@pytest.mark.parametrize("where", list(SHAPES))
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("center, scale", AFFINE)
def test_every_gradient_matches_central_differences(where, training, center, scale):
    """L = Σ up·y: ∂L/∂x, ∂L/∂γ and ∂L/∂β from backward against (L(w + h) − L(w − h))/2h, float64."""
    shape = SHAPES[where]
    layer, params, grads = bound(shape, center, scale)
    rng = np.random.default_rng(1)
    x = rng.normal(1.0, 2.0, (4, *shape))
    up = rng.normal(size=x.shape)
    saved = {k: v.copy() for k, v in params.items()}

    def loss():
        out = layer.forward(x, training=training)
        for k in ("moving_mean", "moving_variance"):  # a training pass moves them; L does not depend on them
            params[k][...] = saved[k]
        return float(np.sum(up * out))

    loss()
    dx = layer.backward(up.copy())
    np.testing.assert_allclose(dx, numeric(loss, x), rtol=1e-6, atol=1e-8)
    assert set(grads) == set(["gamma"] * scale + ["beta"] * center)
    for name, g in grads.items():
        np.testing.assert_allclose(g, numeric(loss, params[name]), rtol=1e-6, atol=1e-8, err_msg=name)
    if not training:  # inference: the moving statistics are inputs of the output too (never trained)
        for name in ("moving_mean", "moving_variance"):
            assert np.any(numeric(loss, params[name]) != 0)
    else:
        for name in ("moving_mean", "moving_variance"):
            assert not np.any(numeric(loss, params[name]))


def _by_hand(x, gamma, beta, eps):
    """y per feature (last axis) from loops over the feature's values: μ, biased σ², x̂, γx̂ + β."""
    y = np.empty_like(x)
    means, variances = [], []
    for c in range(x.shape[-1]):
        values = x[..., c].ravel().tolist()
        mean = sum(values) / len(values)
        var = sum((v - mean) ** 2 for v in values) / len(values)
        y[..., c] = gamma[c] * (x[..., c] - mean) / (var + eps) ** 0.5 + beta[c]
        means.append(mean)
        variances.append(var)
    return y, np.array(means), np.array(variances)


@pytest.mark.parametrize("where", list(SHAPES))
def test_forward_and_moving_statistics_follow_the_formulas(where):
    shape = SHAPES[where]
    layer, params, _ = bound(shape, momentum=0.8, epsilon=1e-2)
    mean0, var0 = params["moving_mean"].copy(), params["moving_variance"].copy()
    rng = np.random.default_rng(2)
    batches = [rng.normal(c, 1 + c, (6, *shape)) for c in range(4)]
    want_mean, want_var = mean0, var0
    for x in batches:
        y, mu, var = _by_hand(x, params["gamma"], params["beta"], 1e-2)
        np.testing.assert_allclose(layer.forward(x, training=True), y, rtol=1e-12, atol=1e-12)
        want_mean = 0.8 * want_mean + 0.2 * mu  # Keras: the biased batch variance
        want_var = 0.8 * want_var + 0.2 * var
    np.testing.assert_allclose(params["moving_mean"], want_mean, rtol=1e-12)
    np.testing.assert_allclose(params["moving_variance"], want_var, rtol=1e-12)
    # Inference: the moving statistics, and nothing moves.
    x = batches[0]
    want = params["gamma"] * (x - want_mean) / np.sqrt(want_var + 1e-2) + params["beta"]
    np.testing.assert_allclose(layer.forward(x), want, rtol=1e-12)
    np.testing.assert_allclose(params["moving_mean"], want_mean, rtol=1e-12)


def test_a_model_keeps_the_moving_statistics_in_its_weights_and_out_of_every_step():
    net = LayerStack((4,), [Dense(6, "linear"), BatchNormalization(), ActivationLayer("relu"),
                            Dense(3, "softmax")], seed=1, origin=[0, 0, 0, -1])  # one project entry's three layers
    assert net.param_names() == ["layers.0.kernel", "layers.0.bias", "layers.1.gamma", "layers.1.beta",
                                 "layers.1.moving_mean", "layers.1.moving_variance", "layers.2.kernel",
                                 "layers.2.bias"]  # fmt: skip
    named = dict(zip(net.param_names(), net.get_weights()))
    assert np.all(named["layers.1.gamma"] == 1) and np.all(named["layers.1.beta"] == 0)
    assert np.all(named["layers.1.moving_mean"] == 0) and np.all(named["layers.1.moving_variance"] == 1)
    assert net.n_trainable == net.params.size - 12 and net.weighted == [0, 3]
    summary = net.summary()
    assert "batch_normalization_1 (BatchNormalization)" in summary and "Non-trainable params: 12 (96.00 B)" in summary
    assert "activation_1 (Activation, relu)" in summary
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 4)), rng.integers(0, 3, 8)
    loss = get_loss("categorical_crossentropy")
    net.loss_and_grad(x, y, loss)
    assert not np.any(net.grads[net.n_trainable :])
    moved = net.params[net.n_trainable :].copy()
    assert not np.array_equal(moved, np.r_[np.zeros(6), np.ones(6)])  # the training pass moved them
    make_optimizer({"name": "adam"}).step(net.trainable_params, net.trainable_grads, net.n_kernel)
    assert np.array_equal(net.params[net.n_trainable :], moved)  # the optimizer did not
    # The neuron views' outputs of the first layer are its entry's: relu(BN(z)), not z.
    net.forward(x)
    first = net.neuron_outputs(x)[0]
    z = x @ net.kernels[0] + net.biases[0]
    gamma, beta, mean, var = net.get_weights()[2:6]
    np.testing.assert_allclose(first, np.maximum(gamma * (z - mean) / np.sqrt(var + 1e-3) + beta, 0))


def test_the_whole_models_gradient_matches_central_differences_in_training_mode():
    """Through dense → BN → tanh → dense on a batch, every trainable entry (γ and β too)."""
    net = LayerStack((3,), [Dense(4, "linear"), BatchNormalization(momentum=0.5), ActivationLayer("tanh"),
                            Dense(2, "softmax")], seed=2)  # fmt: skip
    rng = np.random.default_rng(3)
    net.params[: net.n_trainable] = rng.normal(0, 0.7, net.n_trainable)
    x, y = rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    loss = get_loss("categorical_crossentropy")
    net.loss_and_grad(x, y, loss)
    analytic = net.grads.copy()
    for i in range(net.n_trainable):
        old = net.params[i]
        net.params[i] = old + 1e-6
        up = net.objective(x, y, loss, training=True)
        net.params[i] = old - 1e-6
        down = net.objective(x, y, loss, training=True)
        net.params[i] = old
        assert analytic[i] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-9), net.param_names()


# ----------------------------------------------------------------- against PyTorch
def _torch_pair(torch, shape, center=True, scale=True):
    layer, params, grads = bound(shape, center, scale, momentum=0.9, epsilon=1e-3)
    module = (torch.nn.BatchNorm2d if len(shape) == 3 else torch.nn.BatchNorm1d)(
        shape[-1], eps=1e-3, momentum=0.1, affine=True).double()  # fmt: skip
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(params["gamma"] if scale else np.ones(shape[-1])))
        module.bias.copy_(torch.from_numpy(params["beta"] if center else np.zeros(shape[-1])))
        module.running_mean.copy_(torch.from_numpy(params["moving_mean"]))
        module.running_var.copy_(torch.from_numpy(params["moving_variance"]))
    return torch, layer, params, grads, module


def _nchw(a):
    return np.moveaxis(a, -1, 1) if a.ndim == 4 else a


@pytest.mark.parametrize("where", list(SHAPES))
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_forward_gradients_and_running_statistics_match_pytorch(torch, where, training):
    shape = SHAPES[where]
    torch, layer, params, grads, module = _torch_pair(torch, shape)
    module.train(training)
    rng = np.random.default_rng(4)
    x = rng.normal(0.3, 1.7, (6, *shape))
    up = rng.normal(size=x.shape)
    tx = torch.from_numpy(_nchw(x).copy()).requires_grad_(True)
    ty = module(tx)
    ty.backward(torch.from_numpy(_nchw(up).copy()))
    y = layer.forward(x, training=training)
    dx = layer.backward(up.copy())
    np.testing.assert_allclose(_nchw(y), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_nchw(dx), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["gamma"], module.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["beta"], module.bias.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(params["moving_mean"], module.running_mean.numpy(), rtol=1e-12)
    if training:  # torch keeps the unbiased variance: n/(n − 1) times Keras's batch variance
        n = x.size // shape[-1]
        start = module.running_var.numpy() - 0.1 * n / (n - 1) * np.var(_nchw(x), axis=(0, 2, 3) if x.ndim == 4 else 0)
        ours_start = params["moving_variance"] - 0.1 * np.var(x.reshape(-1, shape[-1]), axis=0)
        np.testing.assert_allclose(start, ours_start, rtol=1e-12)
    else:
        np.testing.assert_allclose(params["moving_variance"], module.running_var.numpy(), rtol=1e-12)


def test_twenty_adam_steps_match_pytorch_with_the_running_variance_converted(torch):
    """Dense → BN → tanh → dense trained 20 steps with Adam on the same batches as torch.nn: every
    weight within 1e-9 (relative); the moving mean equal, the moving variance equal once torch's
    unbiased one is converted: r_k = mᵏ + n/(n − 1)·(s_k − mᵏ) from r₀ = s₀ = 1."""
    net = LayerStack((4,), [Dense(6, "linear"), BatchNormalization(momentum=0.8, epsilon=1e-3),
                            ActivationLayer("tanh"), Dense(3, "softmax")], seed=5)  # fmt: skip
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6, eps=1e-3, momentum=0.2),
                                torch.nn.Tanh(), torch.nn.Linear(6, 3)).double()  # fmt: skip
    w = dict(zip(net.param_names(), net.get_weights()))
    with torch.no_grad():
        for i, k in ((0, 0), (3, 2)):
            model[i].weight.copy_(torch.from_numpy(w[f"layers.{k}.kernel"].T.copy()))
            model[i].bias.copy_(torch.from_numpy(w[f"layers.{k}.bias"]))
    hp = {"learning_rate": 0.01, "epsilon": 1e-7}
    opt = make_optimizer({"name": "adam", **hp})
    topt = torch.optim.Adam(model.parameters(), lr=0.01, eps=1e-7)
    loss = get_loss("categorical_crossentropy")
    rng = np.random.default_rng(6)
    n, steps = 8, 20
    for _ in range(steps):
        x, y = rng.normal(0.5, 2.0, (n, 4)), rng.integers(0, 3, n)
        net.loss_and_grad(x, y, loss)
        opt.step(net.trainable_params, net.trainable_grads, net.n_kernel)
        topt.zero_grad()
        torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        topt.step()
    got = dict(zip(net.param_names(), net.get_weights()))

    def close(ours, theirs):
        rel = np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-3))
        assert rel < 1e-9, rel

    for i, k in ((0, 0), (3, 2)):
        close(got[f"layers.{k}.kernel"], model[i].weight.detach().numpy().T)
    close(got["layers.2.bias"], model[3].bias.detach().numpy())
    # The bias before BN gets a gradient of 0 (BN takes the batch mean out): both stay at 0 up to rounding.
    assert np.max(np.abs(got["layers.0.bias"])) < 1e-9 and np.max(np.abs(model[0].bias.detach().numpy())) < 1e-9
    close(got["layers.1.gamma"], model[1].weight.detach().numpy())
    close(got["layers.1.beta"], model[1].bias.detach().numpy())
    close(got["layers.1.moving_mean"], model[1].running_mean.numpy())
    m = 0.8**steps
    close(m + n / (n - 1) * (got["layers.1.moving_variance"] - m), model[1].running_var.numpy())
    model.eval()  # and inference agrees where the running variances agree (fed Keras's)
    with torch.no_grad():
        model[1].running_var.copy_(torch.from_numpy(got["layers.1.moving_variance"]))
        x = rng.normal(size=(5, 4))
        probs = torch.softmax(model(torch.from_numpy(x)), dim=1).numpy()
    np.testing.assert_allclose(net.predict(x), probs, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------- projects, files, exports
DENSE_BN = {
    "data": {"source": "spiral", "samples": 200, "normalize": "standardize"},
    "network": {"layers": [{"units": 8, "activation": "relu", "batch_norm": True, "dropout": 0.1},
                           {"units": 4, "activation": "tanh"}]},
    "training": {"optimizer": {"name": "adam", "learning_rate": 0.01}, "batch_size": 16},
}  # fmt: skip
CNN_BN = {
    "data": {"source": "shapes", "classes": 3, "samples": 90, "normalize": "unit", "features": None},
    "network": {"layers": [
        {"type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same", "activation": "relu", "batch_norm": True},
        {"type": "max_pooling2d", "pool_size": 2},
        {"type": "batch_normalization", "momentum": 0.9, "center": False},
        {"units": 5, "activation": "elu", "batch_norm": True}],
        "output_activation": "softmax"},
    "training": {"loss": "categorical_crossentropy", "batch_size": 8},
}  # fmt: skip


@pytest.mark.parametrize("spec", [DENSE_BN, CNN_BN], ids=["dense", "cnn"])
def test_a_project_with_batch_norm_trains_saves_and_reloads(spec, tmp_path):
    from engine.project.files import load_project, load_weights, save_project, save_weights
    from engine.run.training import Trainer

    p = project(**spec)
    assert any(layer.get("batch_norm") is True for layer in p["network"]["layers"])
    tr = Trainer(p)
    first = tr.evaluate_split(tr.data.x_train, tr.data.y_train)[0]
    tr.fit(6)
    assert tr.evaluate_split(tr.data.x_train, tr.data.y_train)[0] < first
    names = tr.network.param_names()
    assert any(n.endswith(".moving_variance") for n in names)
    bn = [w for n, w in zip(names, tr.network.get_weights()) if n.endswith("moving_mean")]
    assert all(np.any(m != 0) for m in bn)  # training moved the statistics
    save_project(tmp_path / "p.json", p)
    again = Trainer(load_project(tmp_path / "p.json"))
    for ext in (".npz", ".json"):
        save_weights(tmp_path / f"w{ext}", tr.network, p)
        load_weights(tmp_path / f"w{ext}", again.network)
        for a, b in zip(again.network.get_weights(), tr.network.get_weights()):
            np.testing.assert_array_equal(a, b)
        x = tr.data.x_test[:7]
        np.testing.assert_array_equal(again.network.predict(x), tr.network.predict(x))


def test_an_old_project_reads_and_saves_as_it_always_has(tmp_path):
    from engine.project.files import project_to_json
    from engine.run.training import Trainer

    old = {"format": "nn-playground/1", "network": {"layers": [{"units": 3, "activation": "tanh", "dropout": 0.0}]}}
    p = project(network=old["network"])
    assert p["network"]["layers"] == [{"units": 3, "activation": "tanh", "dropout": 0.0}]  # no batch_norm written
    assert "batch_norm" not in project_to_json(p)
    off = project(network={"layers": [{"units": 3, "activation": "tanh", "dropout": 0.0, "batch_norm": False}]})
    assert off == p
    net = Trainer(p).network
    assert net.param_names() == ["layers.0.kernel", "layers.0.bias", "layers.1.kernel", "layers.1.bias"]
    assert "Non-trainable params: 0" in net.summary()


def test_a_tensorflow_playground_link_says_batch_normalization_is_left_out():
    from engine.project.links import to_tfp

    _url, unfit = to_tfp(project(**DENSE_BN))
    assert "batch normalization: TFP has none (left out)" in unfit
    assert not any("batch normalization" in u for u in to_tfp(project())[1])


def test_the_onnx_export_of_a_batch_norm_model_predicts_what_the_engine_does():
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from engine.core.onnx import onnx_model_bytes
    from engine.run.training import Trainer

    for spec in (DENSE_BN, CNN_BN):
        tr = Trainer(project(**spec))
        tr.fit(2)
        net = tr.network
        session = ort.InferenceSession(onnx_model_bytes(net, tr.data.normalizer), providers=["CPUExecutionProvider"])
        raw = tr.data.dataset.x[:20]  # no feature maps here: the graph's input is the raw columns
        feed = raw.reshape(-1, *net.input_shape) if net.exports_images else raw
        got = session.run(None, {"input": feed.astype(np.float32)})[0]
        np.testing.assert_allclose(got, net.predict(tr.data.transform(raw)), rtol=1e-4, atol=1e-5)


def test_a_batch_of_one_through_per_unit_batch_norm_is_refused_in_words():
    from engine.run.training import Trainer

    spec = copy.deepcopy(DENSE_BN)
    spec["training"]["batch_size"] = 1
    with pytest.raises(PlaygroundError, match=r"a batch size of 1 is too small here: layer 1 \(BatchNormalization\) "
                                              r"normalises each unit over the batch.*gives β whatever the input"):
        Trainer(project(**spec))
    tr = Trainer(project(**DENSE_BN))
    with pytest.raises(PlaygroundError, match="Use a batch size of 2 or more"):
        tr.set_batch_size(1)
    assert tr.batch_size == 16
    n = tr.n_train
    tr.set_batch_size(n - 1)  # the last batch of each epoch holds one example
    assert any(w.startswith("the last batch of each epoch holds 1 example") for w in tr.warnings)
    tr.set_last_batch("carry")
    assert not any(w.startswith("the last batch") for w in tr.warnings)
    cnn = copy.deepcopy(CNN_BN)  # per channel over a map's positions a batch of one is fine ...
    cnn["network"]["layers"] = cnn["network"]["layers"][:2]
    cnn["training"]["batch_size"] = 1
    Trainer(project(**cnn)).train_batch()


def test_a_diverged_step_keeps_the_moving_statistics_it_started_from():
    from engine.run.training import Diverged, Trainer

    tr = Trainer(project(**DENSE_BN))
    tr.train_batch()
    before = tr.network.params.copy()
    tr.data.x_train[:] = np.nan  # the next forward pass gives a NaN loss
    with pytest.raises(Diverged):
        tr.train_batch()
    np.testing.assert_array_equal(tr.network.params, before)  # moving statistics included


def test_the_step_budget_counts_what_batch_norm_keeps():
    plain = LayerStack((10,), [Dense(16, "relu"), Dense(2, "softmax")])
    normed = LayerStack((10,), [Dense(16, "linear"), BatchNormalization(), ActivationLayer("relu"),
                                Dense(2, "softmax")])  # fmt: skip
    rows = 100
    extra = normed.step_bytes(rows)[0] - plain.step_bytes(rows)[0]
    # x̂ and y kept, two temporaries (BN), a kept (the activation), at 8 bytes a value.
    assert extra == rows * 8 * (2 * 16 + 16) + rows * 8 * (2 * 16 - 0)


def test_the_walk_preview_landscape_and_gradient_check_read_batch_norm():
    from engine.run.training import Trainer
    from engine.teaching.backprop import trace, update_preview
    from engine.teaching.gradcheck import check_gradients
    from engine.teaching.landscape import random_directions

    tr = Trainer(project(**DENSE_BN))
    tr.fit(1)
    net = tr.network
    features = tr.data.x_train[0]
    t = trace(net, tr.loss, features, features, float(tr.data.y_train[0]))
    bn = next(s for s in t.steps if s.kind == "batch_normalization")
    assert bn.name == "layer 1 (BatchNormalization)" and set(bn.gradients()) == {"gamma", "beta"}
    assert "layer 1 (BatchNormalization)" in t.table(["x1", "x2"])
    json.dumps(t.to_json())
    preview = update_preview(net, tr.optimizer, t, 0.01)
    assert len(preview.kernels) == len(net.kernels)
    d1, _d2 = random_directions(net, np.random.default_rng(0))
    for _layer, name, view in net.param_views(d1):
        assert np.any(view) == (name == "kernel"), name  # kernels only: no bias, γ, β or statistic moves
    report = check_gradients(net, tr.data.x_train[:6], tr.data.y_train[:6], tr.loss)
    assert report.passed(1e-5) and not any("moving" in a.name for a in report.arrays)
    assert any(a.name.endswith("gamma") for a in report.arrays)
