"""One example's backpropagation, every number: against central differences for every
activation and loss, against Network.backward, and through `nn-playground backprop`."""

import copy
import json

import numpy as np
import pytest
from helpers import project

from engine import PlaygroundError
from engine.cli import main
from engine.core.activations import ACTIVATIONS
from engine.core.losses import LOSSES
from engine.project.files import save_weights
from engine.run.training import Trainer
from engine.teaching.backprop import example, example_loss, numerical_gradient, trace, update_preview

HIDDEN = [a for a in ACTIVATIONS.names() if a != "softmax"]


def trainer_for(loss: str, activation: str = "tanh", layers: int = 2) -> Trainer:
    desc = LOSSES.get(loss)
    regression = desc.problems[0] == "regression"
    data = {"source": "plane", "problem": "regression", "samples": 60} if regression else (
        {"source": "circle", "samples": 60} if desc.single_output else {"source": "blobs", "classes": 3, "samples": 60})
    out = desc.output_activations[0] if desc.output_activations else ("linear" if regression else "sigmoid")
    p = project(
        data=data,
        network={"layers": [{"units": 3, "activation": activation}] * layers, "output_activation": out},
        training={"loss": loss},
    )
    tr = Trainer(p)
    rng = np.random.default_rng(5)
    tr.network.params[...] = rng.normal(0, 0.8, tr.network.params.size)  # no unit left at a kink or at zero
    return tr


def one(tr: Trainer, row: int = 3):
    raw = tr.data.dataset.x[tr.data.train[row]]
    label = float(tr.data.y_train[row])
    return example(tr.data, raw, label, tr.network.n_outputs)


@pytest.mark.parametrize("loss", LOSSES.names())
@pytest.mark.parametrize("activation", HIDDEN)
def test_the_trace_equals_central_differences(loss, activation):
    tr = trainer_for(loss, activation)
    net = tr.network
    raw, features, label = one(tr)
    t = trace(net, tr.loss, raw, features, label)
    assert t.loss == pytest.approx(example_loss(net, tr.loss, features, label), rel=1e-12)
    h = 1e-6
    for layer, lt in enumerate(t.layers):
        for (r, c), analytic in np.ndenumerate(lt.grad_kernel):
            numeric = numerical_gradient(net, tr.loss, features, label, layer, r, c, h)
            assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-8), (layer, r, c)
        for c, analytic in enumerate(lt.grad_bias):
            numeric = numerical_gradient(net, tr.loss, features, label, layer, None, c, h)
            assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-8), (layer, c)


@pytest.mark.parametrize("loss", LOSSES.names())
def test_the_trace_agrees_with_the_networks_own_backward(loss):
    tr = trainer_for(loss)
    net = tr.network
    raw, features, label = one(tr, 7)
    t = trace(net, tr.loss, raw, features, label)
    net.loss_and_grad(features[None, :], np.array([label]), tr.loss, training=False)
    for lt, gk, gb in zip(t.layers, net.kernel_grads, net.bias_grads):
        np.testing.assert_allclose(lt.grad_kernel, gk, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(lt.grad_bias, gb, rtol=1e-12, atol=1e-15)


def test_each_layer_is_local_gradient_times_upstream():
    tr = trainer_for("binary_crossentropy", "tanh", layers=3)
    net = tr.network
    t = trace(net, tr.loss, *one(tr))
    for i, lt in enumerate(t.layers):
        assert np.allclose(lt.delta, lt.fprime * lt.upstream)  # δ = f′(z) ⊙ ∂L/∂a
        assert np.allclose(lt.a, net.activations[i].forward(lt.z[None, :])[0])
        if i + 1 < len(t.layers):
            up = net.kernels[i + 1] @ t.layers[i + 1].delta  # Σ_k w_jk δ_k
            assert np.allclose(lt.upstream, up)
            assert np.array_equal(t.layers[i + 1].inputs, lt.a)
    # Sigmoid with cross-entropy: δ at the output is a − y.
    assert t.layers[-1].delta[0] == pytest.approx(t.layers[-1].a[0] - t.label)


def test_softmax_outputs_carry_the_fused_delta():
    tr = trainer_for("categorical_crossentropy")
    t = trace(tr.network, tr.loss, *one(tr))
    out = t.layers[-1]
    assert out.fprime is None and np.allclose(out.delta, out.a - t.target)


def test_the_json_has_one_entry_per_dense_layer():
    tr = trainer_for("mse", layers=2)
    j = trace(tr.network, tr.loss, *one(tr)).to_json()
    assert set(j) == {"input", "features", "loss", "layers"} and len(j["layers"]) == 3
    assert set(j["layers"][0]) == {"z", "a", "delta", "grad_kernel", "grad_bias"}
    assert np.array(j["layers"][1]["grad_kernel"]).shape == (3, 3)
    json.dumps(j, allow_nan=False)


def test_features_are_mapped_and_normalised_from_the_raw_input():
    p = project(data={"source": "circle", "features": ["x1", "x2", "x1^2", "x2^2", "sin(x1)"]})
    tr = Trainer(p)
    _, features, _ = example(tr.data, [0.7, -1.3], 1, 1)
    assert np.allclose(features, tr.data.transform(np.array([[0.7, -1.3]]))[0]) and features.size == 5


@pytest.mark.parametrize(
    "raw, label, message",
    [
        ([0.7], 1, "this data has 2 inputs (x1, x2); got 1"),
        ([0.7, 1, 2], 1, "got 3"),
        ([0.7, np.nan], 1, "finite"),
        ([0.7, 1], 2, "a class from 0 to 1"),
        ([0.7, 1], 0.5, "a class from 0 to 1"),
        ([0.7, 1], "a", "a label is a number"),
    ],
)
def test_bad_examples_are_named(raw, label, message):
    tr = Trainer(project(data={"source": "circle"}))
    with pytest.raises(PlaygroundError, match=message.replace("(", r"\(").replace(")", r"\)")):
        example(tr.data, raw, label, 1)


def test_the_update_preview_uses_the_runs_optimizer_state():
    p = project(data={"source": "circle", "samples": 100}, network={"layers": [{"units": 4}]},
                training={"optimizer": {"name": "adam", "learning_rate": 0.05}})  # fmt: skip
    tr = Trainer(p)
    for _ in range(5):
        tr.train_batch()
    before = copy.deepcopy(tr.optimizer.state)
    t = trace(tr.network, tr.loss, *one(tr))
    prev = update_preview(tr.network, tr.optimizer, t, 0.05)
    assert all(np.array_equal(before[k], tr.optimizer.state[k]) for k in before) and tr.optimizer.t == 5
    assert prev.step == 6 and set(prev.state) == {"m", "v"}
    # Adam's step for one weight from the stored moments, by hand.
    moments = tr.optimizer.moments()  # m and v as the formulas have them (kept scaled: Adam.SCALED)
    m0, v0 = tr.network.views(moments["m"])[0][0][0, 0], tr.network.views(moments["v"])[0][0][0, 0]
    g = t.layers[0].grad_kernel[0, 0]
    b1, b2, eps = 0.9, 0.999, 1e-7
    m, v = b1 * m0 + (1 - b1) * g, b2 * v0 + (1 - b2) * g * g
    step = -0.05 * (m / (1 - b1**6)) / (np.sqrt(v / (1 - b2**6)) + eps)
    assert prev.kernels[0][0, 0] == pytest.approx(step, rel=1e-9)
    assert prev.state["m"][0][0][0, 0] == pytest.approx(m)


def test_sgd_preview_is_minus_rate_times_gradient():
    tr = Trainer(project(data={"source": "xor"}, training={"optimizer": {"name": "sgd"}}))
    t = trace(tr.network, tr.loss, *one(tr))
    prev = update_preview(tr.network, tr.optimizer, t, 0.1)
    for lt, dk, db in zip(t.layers, prev.kernels, prev.biases):
        assert np.allclose(dk, -0.1 * lt.grad_kernel) and np.allclose(db, -0.1 * lt.grad_bias)
    assert prev.state == {}


@pytest.fixture
def saved(tmp_path):
    tr = trainer_for("binary_crossentropy")
    path = tmp_path / "p.json"
    path.write_text(json.dumps(tr.project))
    save_weights(tmp_path / "w.npz", tr.network, tr.project, tr.data.normalizer)
    return tr, path, tmp_path / "w.npz"


def test_cli_backprop_prints_the_contract(saved, capsys):
    tr, path, weights = saved
    assert main(["backprop", str(path), "--weights", str(weights), "--input", "0.7,-1.3", "--label", "1",
                 "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    want = trace(tr.network, tr.loss, *example(tr.data, [0.7, -1.3], 1, 1)).to_json()
    assert out == json.loads(json.dumps(want))
    assert main(["backprop", str(path), "--weights", str(weights), "--input", "-0.7,1.3", "--label", "0"]) == 0
    text = capsys.readouterr().out
    assert "x1=-0.7, x2=1.3" in text and "output layer (sigmoid, 1 unit)" in text and "dL/dW" in text


def test_cli_backprop_takes_a_training_row(saved, capsys):
    tr, path, weights = saved
    assert main(["backprop", str(path), "--weights", str(weights), "--row", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["input"] == tr.data.dataset.x[tr.data.train[3]].tolist()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--input", "0.7"], "--input X1,X2,... with --label L"),
        (["--input", "0.7", "--label", "1"], "this data has 2 inputs"),
        (["--input", "0.7,x", "--label", "1"], "--input takes numbers separated by commas"),
        (["--input", "0.7,1", "--label", "5"], "a class from 0 to 1"),
        (["--input", "0.7,1", "--label", "1,2"], "--label takes one number"),
        (["--row", "100000"], "--row must be 0 to"),
        (["--row", "1", "--input", "1,2"], "not both"),
    ],
)
def test_cli_backprop_refuses_bad_input_in_one_line(saved, args, message, capsys):
    _, path, weights = saved
    assert main(["backprop", str(path), "--weights", str(weights), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_backprop_refuses_weights_that_do_not_fit(saved, tmp_path, capsys):
    _, path, _ = saved
    other = Trainer(project(data={"source": "circle"}, network={"layers": [{"units": 5}]}))
    save_weights(tmp_path / "other.npz", other.network, other.project, other.data.normalizer)
    assert main(["backprop", str(path), "--weights", str(tmp_path / "other.npz"), "--row", "0"]) == 2
    assert "missing layers.2.kernel" in capsys.readouterr().err


# ----------------------------------------------------------------- issue 36: the walk for every model
def _cnn_trainer() -> Trainer:
    """A CNN with every layer kind: a strided 'same' convolution, max and average pooling, a flatten,
    dense with dropout, softmax; smooth activations, so no kink spoils a central difference."""
    layers = [{"type": "conv2d", "filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "tanh"},
              {"type": "max_pooling2d", "pool_size": 2},
              {"type": "conv2d", "filters": 2, "kernel_size": 2, "activation": "sigmoid"},
              {"type": "average_pooling2d", "pool_size": 1}, {"type": "flatten"},
              {"units": 5, "activation": "tanh", "dropout": 0.3}]  # fmt: skip
    p = project(data={"source": "shapes", "classes": 4, "samples": 60, "normalize": "unit", "features": None},
                network={"layers": layers, "output_activation": "softmax"},
                training={"loss": "categorical_crossentropy"})  # fmt: skip
    tr = Trainer(p)
    tr.network.params[...] = np.random.default_rng(6).normal(0, 0.6, tr.network.params.size)
    return tr


def _rel(a: float, n: float, floor: float = 1e-4) -> float:
    """The gradient check's relative error (engine.teaching.gradcheck): absolute below the floor."""
    return abs(a - n) / max(abs(a), abs(n), floor)


def test_the_trace_of_a_cnn_equals_central_differences_and_its_own_backward():
    tr = _cnn_trainer()
    net = tr.network
    raw, features, label = one(tr, 2)
    t = trace(net, tr.loss, raw, features, label)
    assert [s.kind for s in t.steps] == ["conv2d", "max_pooling2d", "conv2d", "average_pooling2d", "flatten",
                                         "dense", "dropout", "dense"]  # fmt: skip
    assert [s.name for s in t.walk] == ["layer 1", "layer 2", "layer 3", "layer 4", "layer 5", "layer 6",
                                        "output layer"]  # dropout passes values unchanged: not drawn
    for k, lt in enumerate(t.layers):
        for index in np.ndindex(lt.grad_kernel.shape):
            row, column = (index[:-1], index[-1]) if lt.grad_kernel.ndim == 4 else index
            numeric = numerical_gradient(net, tr.loss, features, label, k, row, column, 1e-5)
            assert _rel(lt.grad_kernel[index], numeric) < 1e-6, (k, index)
        for column, analytic in enumerate(lt.grad_bias):
            assert _rel(analytic, numerical_gradient(net, tr.loss, features, label, k, None, column, 1e-5)) < 1e-6
    net.loss_and_grad(features[None, :], np.array([label]), tr.loss, training=False)
    for lt, gk, gb in zip(t.layers, net.kernel_grads, net.bias_grads):
        np.testing.assert_allclose(lt.grad_kernel, gk, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(lt.grad_bias, gb, rtol=1e-10, atol=1e-14)


def test_a_conv_weights_gradient_is_its_sum_over_positions_and_max_pooling_routes_to_the_maximum():
    tr = _cnn_trainer()
    t = trace(tr.network, tr.loss, *one(tr, 4))
    conv, pool = t.steps[0], t.steps[1]
    # ∂L/∂W[i, j, c, f] = Σ_{p,q} x[p·s + i, q·s + j, c]·δ[p, q, f], written out with loops here.
    padded = np.pad(conv.inputs, ((0, 1), (0, 1), (0, 0)))  # 'same', stride 2 on 16 pixels: one after
    i, j, c, f = 2, 1, 0, 1
    by_hand = sum(padded[2 * p + i, 2 * q + j, c] * conv.delta[p, q, f] for p in range(8) for q in range(8))
    assert conv.grad_kernel[i, j, c, f] == pytest.approx(by_hand, rel=1e-12)
    words = tr.network.layers[0].explain(conv, (i, j, c), f, {"unit": "filter 2 of layer 1"})
    assert words.analytic == conv.grad_kernel[i, j, c, f] and "Σ over its 64 positions" in words.formula
    assert words.numbers.endswith(f"= {by_hand:.6g}") and "(58 more)" in words.numbers
    # Each window's gradient goes to the first position holding its maximum, nothing to the others.
    windows = conv.a.reshape(4, 2, 4, 2, 3).transpose(0, 2, 4, 1, 3).reshape(4, 4, 3, 4)
    assert np.array_equal(pool.routing, windows.argmax(axis=-1)) and np.array_equal(pool.a, windows.max(axis=-1))
    routed = pool.grad_input.reshape(4, 2, 4, 2, 3).transpose(0, 2, 4, 1, 3).reshape(4, 4, 3, 4)
    taken = np.take_along_axis(routed, pool.routing[..., None], axis=-1)[..., 0]
    assert np.array_equal(taken, pool.upstream) and np.count_nonzero(routed) == np.count_nonzero(pool.upstream)
    assert conv.upstream is not pool.grad_input and np.array_equal(conv.upstream, pool.grad_input)
    lines = type(tr.network.layers[1]).routing_words(pool, 0)
    assert lines[0].startswith("Max pooling 2×2, map 1") and "0 at the other 3" in lines[1]


def test_cli_backprop_of_the_cnn_preset_prints_every_layers_gradients_as_central_differences(capsys, monkeypatch):
    """Issue 36: `nn-playground backprop 18-cnn-shapes --row 0 --json` exited 2 (dense networks
    only); now every layer's gradients, every bias and 60 entries of each kernel equal to central
    differences within 1e-6 relative."""
    import engine.cli
    from engine.project.files import load_project
    from playground.resources import PRESETS

    monkeypatch.setattr(engine.cli, "PRESET_DIR", PRESETS)
    assert main(["backprop", "18-cnn-shapes", "--row", "0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    tr = Trainer(load_project(PRESETS / "18-cnn-shapes.json"))
    net = tr.network
    assert [np.array(layer["grad_kernel"]).shape for layer in out["layers"]] == [w.shape for w in net.kernels]
    raw, features, label = example(tr.data, tr.data.dataset.x[tr.data.train[0]], tr.data.y_train[0], net.n_outputs)
    assert out["input"] == raw.tolist() and out["loss"] == pytest.approx(example_loss(net, tr.loss, features, label))
    worst = 0.0
    rng = np.random.default_rng(0)
    for k, layer in enumerate(out["layers"]):
        kernel, bias = np.array(layer["grad_kernel"]), np.array(layer["grad_bias"])
        # 60 entries a kernel, drawn across it (all of a smaller one): a transposed or shifted
        # layout shows in any of them; every entry took 10 s of the suite.
        flat = rng.choice(kernel.size, size=min(60, kernel.size), replace=False)
        for index in zip(*np.unravel_index(flat, kernel.shape), strict=True):
            row, column = (index[:-1], index[-1]) if kernel.ndim == 4 else index
            worst = max(worst, _rel(kernel[index], numerical_gradient(net, tr.loss, features, label, k, row, column,
                                                                       1e-5)))  # fmt: skip
        for column in range(bias.size):
            worst = max(worst, _rel(bias[column], numerical_gradient(net, tr.loss, features, label, k, None, column,
                                                                      1e-5)))  # fmt: skip
    assert worst < 1e-6
    assert main(["backprop", "18-cnn-shapes", "--row", "0"]) == 0
    text = capsys.readouterr().out
    assert "layer 1 (conv 8@3×3, relu): 16×16×1 → 16×16×8" in text and "Σ over the 256 positions" in text
    assert "layer 2 (max_pooling2d)" in text and "0 at the other 3" in text
    assert "output layer (softmax, 4 units)" in text


# ----------------------------------------------------------------- issue 29: item 6 and the softmax's Jacobian
def _softmax_mse() -> tuple[Trainer, object]:
    """MSE on three softmax outputs, a case where δ is not a − y."""
    p = project(data={"source": "blobs", "classes": 3, "samples": 60},
                network={"layers": [{"units": 3, "activation": "tanh"}] * 2, "output_activation": "softmax"},
                training={"loss": "mse"})  # fmt: skip
    tr = Trainer(p)
    tr.network.params[...] = np.random.default_rng(5).normal(0, 0.8, tr.network.params.size)
    return tr, trace(tr.network, tr.loss, *one(tr))


def test_softmax_with_squared_error_steps_back_through_its_jacobian():
    """J = diag(s) − s sᵀ and δ = Jᵀ·∂L/∂a, each against central differences: J of the softmax
    itself, ∂L/∂a of the loss as a function of a, δ as the gradient of the output biases."""
    from engine.core.activations import get_activation
    from engine.teaching.backprop import softmax_jacobian

    tr, t = _softmax_mse()
    out, h = t.layers[-1], 1e-6
    softmax = get_activation("softmax")
    numeric_j = np.empty((3, 3))
    for j in range(3):
        step = np.eye(3)[j] * h
        numeric_j[:, j] = (softmax.forward(out.z + step) - softmax.forward(out.z - step)) / (2 * h)
    np.testing.assert_allclose(out.jacobian, numeric_j, atol=1e-9)
    np.testing.assert_allclose(out.jacobian, softmax_jacobian(out.a))
    numeric_up = [(np.mean((out.a + np.eye(3)[k] * h - t.target) ** 2)
                   - np.mean((out.a - np.eye(3)[k] * h - t.target) ** 2)) / (2 * h) for k in range(3)]  # fmt: skip
    np.testing.assert_allclose(out.upstream, numeric_up, atol=1e-9)
    np.testing.assert_allclose(out.delta, out.jacobian.T @ out.upstream, atol=1e-14)
    _raw, features, label = one(tr)
    for c in range(3):
        numeric = numerical_gradient(tr.network, tr.loss, features, label, len(t.layers) - 1, None, c, h)
        assert out.delta[c] == pytest.approx(numeric, rel=1e-6, abs=1e-10)
    assert not np.allclose(out.delta, out.a - t.target)  # the cross-entropy shortcut does not hold here
    table = t.table(["x1", "x2"])
    assert "J = diag(a) − a aᵀ" in table and "dL/da" in table


def test_softmax_with_cross_entropy_is_the_same_jacobian_giving_a_minus_y():
    tr = trainer_for("categorical_crossentropy")
    out = trace(tr.network, tr.loss, *one(tr)).layers[-1]
    t = trace(tr.network, tr.loss, *one(tr)).target
    np.testing.assert_allclose(out.upstream, np.where(t != 0, -t / out.a, 0.0))  # ∂L/∂a = −y/a
    np.testing.assert_allclose(out.jacobian.T @ out.upstream, out.a - t, atol=1e-12)


@pytest.mark.parametrize(
    "loss, activation, output, says",
    [
        ("categorical_crossentropy", "softmax", True, "a − y (softmax with its cross-entropy"),
        ("binary_crossentropy", "sigmoid", True, "a − y (sigmoid with its cross-entropy"),
        ("mse", "softmax", True, "Jᵀ·∂L/∂a, the softmax Jacobian J = diag(s) − s sᵀ (not a − y"),
        ("mse", "sigmoid", True, "f′(z) ⊙ ∂L/∂a"),
        ("binary_crossentropy", "tanh", False, "f′(z) ⊙ Σ w·δ_next"),
    ],
)
def test_the_backward_rule_says_how_delta_is_found_at_each_layer(loss, activation, output, says):
    """Issue 29, item 6: the walk showed δ = f′(z) ⊙ Σ w·δ_next at the output layer too."""
    from engine.teaching.backprop import backward_rule

    text = backward_rule(LOSSES.get(loss)(), activation, output)
    assert says in text and ("Σ w·δ_next" in text) == (not output)


@pytest.mark.parametrize(
    "regularization",
    [
        {"kind": "none", "rate": 0.0},
        {"kind": "l2", "rate": 0.05},
        {"kind": "l1", "rate": 0.05, "l1_rule": "subgradient"},
        {"kind": "l1", "rate": 0.05, "l1_rule": "proximal"},
        {"kind": "l1", "rate": 0.05, "l1_rule": "tfp"},
    ],
)
def test_the_update_preview_is_the_step_training_takes_on_a_batch_of_this_example(regularization):
    """Issue 29, item 6: the preview stepped on this example's gradient without the penalty. It
    is now the step a training batch of just this example takes, the penalty and L1's rule included."""
    p = project(data={"source": "circle", "samples": 60}, network={"layers": [{"units": 3}]},
                training={"optimizer": {"name": "adam", "learning_rate": 0.05}, "batch_size": 1, "shuffle": False,
                          "regularization": regularization})  # fmt: skip
    tr = Trainer(p)
    for _ in range(3):  # moments of their own, and rows 0-2 trained: the next batch is row 3
        tr.train_batch()
    t = trace(tr.network, tr.loss, *one(tr, 3))
    prev = update_preview(tr.network, tr.optimizer, t, tr.current_lr, tr.regularizer, tr.dead)
    assert prev.penalty == ("none" if regularization["rate"] == 0 else regularization["kind"])
    before = [w.copy() for w in tr.network.get_weights()]
    tr.train_batch()
    after = tr.network.get_weights()
    for i, (dk, db) in enumerate(zip(prev.kernels, prev.biases)):
        np.testing.assert_allclose(dk, after[2 * i] - before[2 * i], rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(db, after[2 * i + 1] - before[2 * i + 1], rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("layers", [[{"units": 3, "activation": "tanh"}], [{"type": "lstm", "units": 3}]],
                         ids=["dense", "lstm"])  # fmt: skip
def test_a_model_sent_from_the_trainers_process_takes_its_own_numerical_gradients(layers):
    """The walk's model comes from the trainer's process, pickled; a pickle copied each layer's
    view of the parameters apart from the buffer, so a nudged weight moved nothing and every
    numerical gradient in the window read 0 (relative error 1). Unpickled, the layers view the
    buffer again."""
    import pickle

    sequences = layers[0].get("type") == "lstm"
    data = {"source": "adding", "sequence_length": 4} if sequences else {"source": "plane"}
    data |= {"problem": "regression", "samples": 40}
    network = {"layers": layers, "output_activation": "linear"}
    tr = Trainer(project(data=data, network=network, training={"loss": "mse"}))
    net = pickle.loads(pickle.dumps(tr.network))
    assert np.shares_memory(net.layers[0].kernel, net.params) and np.shares_memory(net.kernels[0], net.params)
    x, y = tr.data.x_train[0], float(tr.data.y_train[0])
    walk = trace(net, tr.loss, x, x, y)
    got = numerical_gradient(net, tr.loss, x, y, 0, 1 if not sequences else 0, 0, h=1e-6)
    assert got == pytest.approx(float(walk.steps[0].grad_kernel[1 if not sequences else 0, 0]), rel=1e-5)
    if sequences:
        got = numerical_gradient(net, tr.loss, x, y, 0, ("recurrent_kernel", 1), 2, h=1e-6)
        assert got == pytest.approx(float(walk.steps[0].param_grads["recurrent_kernel"][1, 2]), rel=1e-5)
