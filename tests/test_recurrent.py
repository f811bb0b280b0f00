"""The recurrent layers (SimpleRNN, LSTM, GRU): every gradient against central differences, the
maths against PyTorch (forward, gradients, Adam steps), Keras's initial values, the stack's rules
for sequences, and sequence projects end to end (training, the walk, weight files, exports)."""

import time

import numpy as np
import pytest
from helpers import numeric, project

from engine import PlaygroundError
from engine.core.layers import GRU, LSTM, Dense, SimpleRNN, plan
from engine.core.layers.base import CodeContext
from engine.core.layers.recurrent import block_order
from engine.core.losses import get_loss
from engine.core.model import LayerStack, build_model

KINDS = [SimpleRNN, LSTM, GRU]


def bound(layer, inp, rng, scale=0.5):
    params = {k: rng.normal(0, scale, s) for k, s in layer.param_shapes(inp).items()}
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    layer.bind(params, grads)
    return params, grads


ACTIVATIONS = {  # (activation, recurrent_activation) beside the defaults
    SimpleRNN: [{}, {"activation": "relu"}, {"activation": {"name": "leaky_relu", "alpha": 0.1}}],
    LSTM: [{}, {"activation": "softplus", "recurrent_activation": "tanh"}],
    GRU: [{}, {"activation": {"name": "elu", "alpha": 0.5}, "recurrent_activation": "sigmoid"}],
}
GRAD_CASES = [(cls, kw, seq) for cls in KINDS for kw in ACTIVATIONS[cls] for seq in (False, True)]


@pytest.mark.parametrize("cls, kw, sequences", GRAD_CASES,
                         ids=[f"{c.name}-{i}-{'seq' if s else 'last'}" for c, kw, s in GRAD_CASES
                              for i in [ACTIVATIONS[c].index(kw)]])  # fmt: skip
def test_every_gradient_matches_central_differences(cls, kw, sequences):
    rng = np.random.default_rng(1)
    layer = cls(3, return_sequences=sequences, **kw)
    params, grads = bound(layer, (5, 2), rng)
    x = rng.normal(size=(3, 5, 2))
    y = layer.forward(x, training=True)
    assert y.shape == ((3, 5, 3) if sequences else (3, 3))
    up = rng.normal(size=y.shape)  # L = Σ up · y
    dx = layer.backward(up.copy())
    loss = lambda: float(np.sum(up * layer.forward(x)))  # noqa: E731
    np.testing.assert_allclose(dx, numeric(loss, x), rtol=1e-6, atol=1e-8)
    for name, value in params.items():
        np.testing.assert_allclose(grads[name], numeric(loss, value), rtol=1e-6, atol=1e-8, err_msg=name)
    layer.forward(x)
    assert layer.backward(up.copy(), input_grad=False) is None
    # The walk's step for one example, worked out per step apart from backward, sums to the same gradients.
    layer.forward(x[:1])
    step = layer.trace(up[0], 0, 0)
    dx1 = layer.backward(up[:1].copy())
    np.testing.assert_allclose(step.grad_input, dx1[0], rtol=1e-10, atol=1e-13)
    for name, g in step.gradients().items():
        np.testing.assert_allclose(g, grads[name], rtol=1e-10, atol=1e-13, err_msg=name)


def test_bad_recurrent_layers_are_named():
    with pytest.raises(PlaygroundError, match="activation softmax mixes the units"):
        LSTM(3, activation="softmax")
    with pytest.raises(PlaygroundError, match="units must be a whole number >= 1"):
        GRU(0)
    with pytest.raises(PlaygroundError, match=r"a simple_rnn layer takes sequences \(steps, features\), got \(7,\)"):
        SimpleRNN(3).output_shape((7,))
    with pytest.raises(PlaygroundError, match="PyTorch's nn.RNN has tanh or relu only"):
        SimpleRNN(3, activation="sigmoid").torch(CodeContext(False), (4, 2), (3,))


@pytest.mark.parametrize("first, second", [(a, b) for a in KINDS for b in KINDS])
def test_two_stacked_layers_in_a_model_match_central_differences(first, second):
    """A model's gradient through two recurrent layers (the first returning every state), the
    output layer and the loss, against the objective's central differences."""
    rng = np.random.default_rng(2)
    net = LayerStack((4, 2), [first(3, return_sequences=True), second(2), Dense(1, "linear")], seed=0)
    net.params[...] = rng.normal(0, 0.5, net.params.size)
    x = rng.normal(size=(3, 8))  # rows, as the data hold them: t0_f0, t0_f1, t1_f0, ...
    y = rng.normal(size=3)
    loss = get_loss("mse")
    net.loss_and_grad(x, y, loss)
    want = numeric(lambda: net.objective(x, y, loss), net.params)
    np.testing.assert_allclose(net.grads, want, rtol=1e-6, atol=1e-9)


def _torch_pair(torch, cls, units, features, rng, sequences=False):
    """Our layer and torch's module with the same weights, converted to torch's layout."""
    layer = cls(units, return_sequences=sequences)
    params, grads = bound(layer, (6, features), rng)
    module = getattr(torch.nn, cls.torch_module)(features, units, batch_first=True).double()
    order = cls.torch_order
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(block_order(params["kernel"].T, order)))
        module.weight_hh_l0.copy_(torch.from_numpy(block_order(params["recurrent_kernel"].T, order)))
        bias = params["bias"].reshape(-1, cls.blocks * units)
        module.bias_ih_l0.copy_(torch.from_numpy(block_order(bias[0], order)))
        module.bias_hh_l0.copy_(torch.from_numpy(block_order(bias[1], order)) if len(bias) == 2 else 0.0)
    return layer, params, grads, module


def _torch_grads(cls, module, units):
    """torch's gradients in our layout (kernel (F, kU), recurrent_kernel (U, kU), bias)."""
    back = list(np.argsort(cls.torch_order))
    g = {"kernel": block_order(module.weight_ih_l0.grad.numpy(), back).T,
         "recurrent_kernel": block_order(module.weight_hh_l0.grad.numpy(), back).T}  # fmt: skip
    bias_ih = block_order(module.bias_ih_l0.grad.numpy(), back)
    bias_hh = block_order(module.bias_hh_l0.grad.numpy(), back)
    g["bias"] = np.stack([bias_ih, bias_hh]) if cls is GRU else bias_ih  # Keras's one bias sees both
    return g


def rel_error(got, want):
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


@pytest.mark.parametrize("cls", KINDS)
@pytest.mark.parametrize("sequences", [False, True])
def test_forward_and_gradients_match_pytorch(cls, sequences, torch):
    rng = np.random.default_rng(3)
    layer, _params, grads, module = _torch_pair(torch, cls, 4, 3, rng, sequences)
    x = rng.normal(size=(5, 6, 3))
    up = rng.normal(size=(5, 6, 4) if sequences else (5, 4))
    ours = layer.forward(x, training=True)
    dx = layer.backward(up.copy())
    tx = torch.from_numpy(x).requires_grad_()
    out = module(tx)[0]
    theirs = out if sequences else out[:, -1]
    (theirs * torch.from_numpy(up)).sum().backward()
    assert rel_error(ours, theirs.detach().numpy()) < 1e-9
    assert rel_error(dx, tx.grad.numpy()) < 1e-9
    for name, want in _torch_grads(cls, module, 4).items():
        assert rel_error(grads[name], want) < 1e-9, name


@pytest.mark.parametrize("cls", KINDS)
def test_twenty_adam_steps_match_pytorch(cls, torch):
    """A model (recurrent layer, linear output, MSE) and torch's, 20 Adam steps on the same
    batches: the weights agree to 1e-9 (relative) at every step."""
    from engine.core.optimizers import make_optimizer

    rng = np.random.default_rng(4)
    net = LayerStack((6, 2), [cls(5), Dense(1, "linear")], seed=1)
    layer = net.layers[0]
    module = getattr(torch.nn, cls.torch_module)(2, 5, batch_first=True).double()
    head = torch.nn.Linear(5, 1).double()
    order, back = cls.torch_order, list(np.argsort(cls.torch_order))

    def to_torch():
        with torch.no_grad():
            module.weight_ih_l0.copy_(torch.from_numpy(block_order(layer.kernel.T, order)))
            module.weight_hh_l0.copy_(torch.from_numpy(block_order(layer.recurrent_kernel.T, order)))
            bias = layer.bias.reshape(-1, cls.blocks * 5)
            module.bias_ih_l0.copy_(torch.from_numpy(block_order(bias[0], order)))
            module.bias_hh_l0.copy_(torch.from_numpy(block_order(bias[1], order)) if len(bias) == 2 else 0.0)
            head.weight.copy_(torch.from_numpy(net.layers[1].kernel.T.copy()))
            head.bias.copy_(torch.from_numpy(net.layers[1].bias.copy()))

    def ours_from_torch():
        bias = block_order(module.bias_ih_l0.detach().numpy(), back)
        if cls is GRU:
            bias = np.stack([bias, block_order(module.bias_hh_l0.detach().numpy(), back)])
        else:  # Keras's one bias is torch's bias_ih (bias_hh, 0, is not trained)
            assert not module.bias_hh_l0.detach().numpy().any()
        return [block_order(module.weight_ih_l0.detach().numpy(), back).T,
                block_order(module.weight_hh_l0.detach().numpy(), back).T, bias,
                head.weight.detach().numpy().T, head.bias.detach().numpy()]  # fmt: skip

    to_torch()
    params = [t for t in [*module.parameters(), *head.parameters()]  # Keras's one bias: torch's bias_ih
              if cls is GRU or t is not module.bias_hh_l0]  # fmt: skip
    topt = torch.optim.Adam(params, lr=0.01, eps=1e-7)
    opt = make_optimizer({"name": "adam", "learning_rate": 0.01})
    loss = get_loss("mse")
    x = rng.normal(size=(20 * 8, 12))
    y = rng.normal(size=20 * 8)
    for step in range(20):
        xb, yb = x[step * 8 : (step + 1) * 8], y[step * 8 : (step + 1) * 8]
        net.loss_and_grad(xb, yb, loss)
        opt.step(net.trainable_params, net.trainable_grads, net.n_kernel)
        topt.zero_grad()
        out = head(module(torch.from_numpy(xb.reshape(8, 6, 2)))[0][:, -1])
        torch.nn.functional.mse_loss(out[:, 0], torch.from_numpy(yb)).backward()
        topt.step()
        for got, want in zip(net.get_weights(), ours_from_torch()):
            assert rel_error(got, want) < 1e-9, step


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras 3 on NumPy 2 (its own __array__)
@pytest.mark.parametrize("cls", KINDS)
@pytest.mark.parametrize("sequences", [False, True])
def test_kerass_own_layer_with_our_weights_gives_our_outputs(cls, sequences, keras):
    """Keras's SimpleRNN, LSTM and GRU take our arrays unchanged (set_weights: kernel,
    recurrent_kernel, bias) and agree with our forward pass."""
    rng = np.random.default_rng(7)
    layer = cls(4, return_sequences=sequences, **({"activation": "relu"} if cls is SimpleRNN else {}))
    params, _grads = bound(layer, (6, 3), rng)
    keras.config.set_floatx("float64")
    try:
        # The dtype said outright: a layer made earlier in this process fixes Keras's default policy at
        # float32 whatever floatx says now (the parity stage's order then decided the outcome).
        ref = getattr(keras.layers, cls.keras)(4, return_sequences=sequences, activation=layer.act.name,
                                               dtype="float64")  # fmt: skip
        ref.build((None, 6, 3))
        assert [tuple(w.shape) for w in ref.get_weights()] == [v.shape for v in params.values()]
        ref.set_weights(list(params.values()))
        x = rng.normal(size=(5, 6, 3))
        want = keras.ops.convert_to_numpy(ref(keras.ops.convert_to_tensor(x)))
    finally:
        keras.config.set_floatx("float32")
    # Keras's SimpleRNN on its torch backend multiplies in float32 (1.5e-7 measured); LSTM and GRU stay float64.
    assert rel_error(layer.forward(x), want) < (1e-6 if cls is SimpleRNN else 1e-12)


@pytest.mark.parametrize("cls", KINDS)
def test_initial_values_are_kerass(cls):
    """The kernel from the model's initializer (glorot_uniform's limit with Keras's fans), the
    recurrent kernel orthogonal (rows orthonormal), the bias the initial bias, an LSTM's forget
    block 1 (unit_forget_bias)."""
    net = LayerStack((7, 3), [cls(4), Dense(1, "linear")], seed=5, bias_init=0.25)
    layer = net.layers[0]
    k = cls.blocks
    assert np.abs(layer.kernel).max() <= np.sqrt(6 / (3 + 4 * k)) and layer.kernel.std() > 0
    np.testing.assert_allclose(layer.recurrent_kernel @ layer.recurrent_kernel.T, np.eye(4), atol=1e-12)
    bias = layer.bias.reshape(-1)
    if cls is LSTM:
        np.testing.assert_array_equal(bias[4:8], 1.0)
        bias = np.r_[bias[:4], bias[8:]]
    np.testing.assert_array_equal(bias, 0.25)
    again = LayerStack((7, 3), [cls(4), Dense(1, "linear")], seed=5, bias_init=0.25)
    np.testing.assert_array_equal(net.params, again.params)
    assert net.param_names()[:3] == ["layers.0.kernel", "layers.0.recurrent_kernel", "layers.0.bias"]
    assert net.kernel_params.size == layer.kernel.size + layer.recurrent_kernel.size + 4  # L1/L2 on both kernels


def test_keras_shapes_and_parameter_counts():
    rows, _ = plan((10, 2), [{"type": "simple_rnn", "units": 8, "return_sequences": True},
                             {"type": "lstm", "units": 16, "return_sequences": True}, {"type": "gru", "units": 4},
                             {"units": 3}], 1, "linear", sequence=True)  # fmt: skip
    # Keras: SimpleRNN U(F + U + 1); LSTM 4U(F + U + 1); GRU (reset_after) 3U(F + U + 2).
    assert [(r.kind, r.output_shape, r.params) for r in rows] == [
        ("SimpleRNN", (10, 8), 8 * (2 + 8 + 1)), ("LSTM", (10, 16), 4 * 16 * (8 + 16 + 1)),
        ("GRU", (4,), 3 * 4 * (16 + 4 + 2)), ("Dense", (3,), 15), ("Dense", (1,), 4)]  # fmt: skip


def test_a_layer_keeps_its_states_gates_and_the_gradient_through_time():
    rng = np.random.default_rng(6)
    for cls, names in ((SimpleRNN, ()), (LSTM, ("input", "forget", "cell", "output")),
                       (GRU, ("update", "reset", "candidate"))):  # fmt: skip
        layer = cls(3)
        bound(layer, (7, 2), rng)
        x = rng.normal(size=(4, 7, 2))
        out = layer.forward(x)
        assert layer.h.shape == (4, 7, 3) and np.array_equal(out, layer.h[:, -1])
        assert tuple(layer.gates) == names and all(g.shape == (4, 7, 3) for g in layer.gates.values())
        up = rng.normal(size=(4, 3))
        layer.backward(up.copy())
        assert layer.grad_h.shape == (4, 7, 3) and np.array_equal(layer.grad_h[:, -1], up)
        norms = layer.grad_h_norms()
        assert norms.shape == (4, 7) and np.all(norms > 0)
    lstm = LSTM(3)
    bound(lstm, (7, 2), rng)
    lstm.forward(x)
    np.testing.assert_allclose(lstm.h, lstm.gates["output"] * np.tanh(lstm.c))  # h_t = o ⊙ tanh(c_t)
    np.testing.assert_allclose(lstm.z.shape, (4, 7, 12))


def test_the_stack_names_what_to_change_for_sequences():
    def build(layers, sequence=True):
        return plan((6, 2), layers, 1, "linear", sequence=sequence) if sequence else plan((8, 8), layers, 1, "linear")

    seq = {"type": "lstm", "units": 4, "return_sequences": True}
    with pytest.raises(PlaygroundError, match=r"network.layers\[0\].return_sequences: the output layer needs one "
                                              "vector per example"):  # fmt: skip
        build([seq])
    with pytest.raises(PlaygroundError, match=r"network.layers\[0\].return_sequences: layer 2 \(dense\) needs one"):
        build([seq, {"units": 3}])
    with pytest.raises(PlaygroundError, match=r"network.layers\[0\].return_sequences: layer 2 \(gru\) needs the "
                                              "state of every step: set it to true"):  # fmt: skip
        build([{"type": "lstm", "units": 4}, {"type": "gru", "units": 2}])
    with pytest.raises(PlaygroundError, match=r"network.layers\[0\].type: a conv2d layer needs images; these data "
                                              r"are sequences"):  # fmt: skip
        build([{"type": "conv2d", "filters": 2, "kernel_size": 3}])
    with pytest.raises(PlaygroundError, match=r"network.layers\[0\].type: a dense layer cannot take the data's "
                                              "sequences: put the recurrent layers first"):  # fmt: skip
        build([{"units": 3}, {"type": "gru", "units": 2}])
    with pytest.raises(PlaygroundError, match=r"network.layers\[1\].type: a gru layer needs sequences \(steps × "
                                              r"features\), not images"):  # fmt: skip
        build([{"type": "conv2d", "filters": 2, "kernel_size": 3}, {"type": "gru", "units": 2}], sequence=False)
    rows, _ = build([seq, {"type": "simple_rnn", "units": 2}])
    assert [r.output_shape for r in rows] == [(6, 4), (2,), (1,)]


def test_a_2d_sequence_is_never_taken_for_an_image_nor_flat_data_for_a_sequence():
    net = build_model((6, 2), [{"type": "gru", "units": 3}], 1, "linear", sequence=True)
    assert net.input_shape == (6, 2) and not net.spatial and not net.exports_images
    image = build_model((6, 2), [{"units": 3}], 1, "linear")  # (H, W): an image, flattened for the dense layer
    assert image.input_shape == (6, 2, 1)
    with pytest.raises(PlaygroundError, match="recurrent layers .* need sequence data"):
        from engine.run.training import Trainer

        Trainer(project(network={"layers": [{"type": "lstm", "units": 3}]}))


def seq_project(source="adding", layers=None, **data):
    problem = "classification" if source == "parity" else "regression"
    return project(
        data={"source": source, "samples": 200, "test_fraction": 0.25, "validation_fraction": 0.1, **data},
        network={"layers": layers or [{"type": "lstm", "units": 6}],
                 "output_activation": "sigmoid" if problem == "classification" else "linear"},
        training={"loss": "binary_crossentropy" if problem == "classification" else "mse", "batch_size": 16,
                  "optimizer": {"name": "adam", "learning_rate": 0.01}},
    )  # fmt: skip


@pytest.mark.parametrize("layers", [
    [{"type": "simple_rnn", "units": 5, "return_sequences": True}, {"type": "gru", "units": 4}, {"units": 3}],
    [{"type": "lstm", "units": 6}],
])  # fmt: skip
def test_a_sequence_project_trains_evaluates_saves_reloads_and_prints_its_summary(tmp_path, layers):
    from engine.project import build_network
    from engine.project.files import load_weights, save_weights
    from engine.run.training import Trainer

    p = seq_project(layers=layers, sequence_length=7)
    tr = Trainer(p)
    assert tr.network.input_shape == (7, 2)
    tr.fit(3)
    assert len(tr.history) == 3 and np.isfinite(tr.history["loss"]).all()
    ev = tr.evaluate()
    assert set(ev) >= {"train", "test"}
    summary = tr.network.summary()
    assert "(None, 7, 5)" in summary or "(None, 6)" in summary
    assert "dense_1  kernel (2," not in summary  # a recurrent kernel is not Ng's W of a dense layer
    for ext in (".npz", ".json"):
        save_weights(tmp_path / f"w{ext}", tr.network, p)
        fresh = build_network(p, tr.data.n_inputs, None, None, tr.data.dataset.sequence_shape)
        assert not np.array_equal(fresh.params, tr.network.params)
        config = load_weights(tmp_path / f"w{ext}", fresh)
        assert config == p
        np.testing.assert_array_equal(fresh.params, tr.network.params)
        np.testing.assert_array_equal(fresh.predict(tr.data.x_test), tr.network.predict(tr.data.x_test))


def test_a_dense_project_on_sequence_data_reads_each_sequence_as_one_row():
    from engine.run.training import Trainer

    tr = Trainer(seq_project(layers=[{"units": 4}], sequence_length=5))
    assert tr.network.input_shape == (10,)
    tr.fit(1)


def test_the_walk_traces_a_recurrent_model_as_its_batch_gradient():
    """One example through the walk: every layer's gradients (the recurrent ones summed over
    the steps) equal the model's gradient for a batch of that one example."""
    from engine.run.training import Trainer
    from engine.teaching.backprop import numerical_gradient, trace

    tr = Trainer(seq_project(layers=[{"type": "gru", "units": 3, "return_sequences": True},
                                     {"type": "lstm", "units": 2}], sequence_length=4))  # fmt: skip
    x, y = tr.data.x_train[:1], tr.data.y_train[:1]
    walk = trace(tr.network, tr.loss, x[0], x[0], float(y[0]))
    tr.network.loss_and_grad(x, y, tr.loss, training=False)
    views = tr.network.layer_views(tr.network.grads)
    for step in walk.steps:
        for name, g in step.gradients().items():
            np.testing.assert_allclose(g, views[step.index][name], rtol=1e-10, atol=1e-13)
    assert walk.steps[0].delta.shape == (4, 9) and walk.steps[1].grad_input.shape == (4, 3)
    assert walk.to_json()["layers"][0]["grad_kernel"]
    table = walk.table(tr.data.dataset.columns)
    assert "layer 1 (GRU, tanh, 4 steps, gate blocks update, reset, candidate)" in table
    assert "dL/dU = Σ_t h_{t−1}ᵀ·delta_t" in table and "t3 [" in table
    # The walk's numerical check, on a kernel weight and on a bias (a GRU's two rows read as one).
    for layer, row, column, want in ((0, 1, 2, walk.steps[0].grad_kernel[1, 2]),
                                     (0, None, 4, walk.steps[0].grad_bias[0, 4]),
                                     (1, None, 1, walk.steps[1].grad_bias[1])):  # fmt: skip
        got = numerical_gradient(tr.network, tr.loss, x[0], float(y[0]), layer, row, column, h=1e-6)
        assert got == pytest.approx(want, rel=1e-6, abs=1e-9)


def test_onnx_export_with_normalisation_predicts_what_the_engine_does():
    ort = pytest.importorskip("onnxruntime")
    from engine.core.onnx import onnx_model_bytes
    from engine.run.training import Trainer

    tr = Trainer(seq_project(layers=[{"type": "lstm", "units": 4, "return_sequences": True},
                                     {"type": "simple_rnn", "units": 3, "return_sequences": True},
                                     {"type": "gru", "units": 3}], normalize="standardize"))  # fmt: skip
    tr.fit(1)
    session = ort.InferenceSession(onnx_model_bytes(tr.network, tr.data.normalizer),
                                   providers=["CPUExecutionProvider"])  # fmt: skip
    raw = tr.data.dataset.x[:9]
    got = session.run(None, {"input": raw.astype(np.float32)})[0]
    np.testing.assert_allclose(got, tr.network.predict(tr.data.transform(raw)), rtol=1e-4, atol=1e-5)


def test_an_lstm_learns_the_adding_problem_in_seconds():
    """T = 10: predicting the mean scores Var(u₁ + u₂) = 1/6 ≈ 0.167; an LSTM(16) beats it clearly."""
    from engine.run.training import Trainer

    p = project(data={"source": "adding", "samples": 2000, "sequence_length": 10, "test_fraction": 0.2},
                network={"layers": [{"type": "lstm", "units": 16}], "output_activation": "linear"},
                training={"loss": "mse", "batch_size": 32,
                          "optimizer": {"name": "adam", "learning_rate": 0.01}})  # fmt: skip
    tr = Trainer(p)
    start = time.perf_counter()
    tr.fit(12)
    assert time.perf_counter() - start < 20  # a few seconds alone; this machine is shared
    test_loss, _ = tr.evaluate_split(tr.data.x_test, tr.data.y_test)
    assert test_loss < 0.03, test_loss  # against 0.167 for the mean


def test_a_simple_rnn_learns_parity():
    from engine.run.training import Trainer

    p = project(data={"source": "parity", "samples": 1000, "sequence_length": 6, "test_fraction": 0.2},
                network={"layers": [{"type": "simple_rnn", "units": 16}], "output_activation": "sigmoid"},
                training={"loss": "binary_crossentropy", "batch_size": 16,
                          "optimizer": {"name": "adam", "learning_rate": 0.01}})  # fmt: skip
    tr = Trainer(p)
    tr.fit(40)
    _, accuracy = tr.evaluate_split(tr.data.x_test, tr.data.y_test)
    assert accuracy > 0.95, accuracy


def test_a_tensorflow_playground_link_leaves_recurrent_layers_out_and_says_so():
    from engine.project.links import to_tfp

    url, unfit = to_tfp(seq_project(layers=[{"type": "lstm", "units": 4}, {"units": 3}]))
    assert "networkShape=3&" in url
    assert "lstm layers: TFP has dense layers only (they are left out)" in unfit


def test_every_gate_has_words_in_each_language():
    """The unrolled view names each gate in words ("forget gate", "망각 게이트"), from the kind that has it."""
    from engine.core import i18n
    from engine.core.layers.recurrent import Recurrent, gate_word

    kinds = Recurrent.__subclasses__()
    assert {k.__name__ for k in kinds} >= {"LSTM", "GRU", "SimpleRNN"}
    for kind in kinds:
        assert len(kind.gate_words) == len(kind.gate_names), kind.__name__
    assert [gate_word(n) for n in ("input", "forget", "cell", "output", "update", "reset", "candidate")] == [
        "input gate", "forget gate", "cell candidate", "output gate", "update gate", "reset gate", "candidate state"]
    try:
        i18n.install("ko")
        assert gate_word("forget") == "망각 게이트" and gate_word("update") == "업데이트 게이트"
    finally:
        i18n.install("en")
