"""What the window's recurrent views draw, made without a window (playground/run/sequence_probe.py):
the picked sequence's states and its prediction over time, the sine wave's continuation, the
gradient through time against the walk's own per-step gradients, and the verdict's words; and
the engine's per-step states and recurrent-kernel chain rule that the walk through time shows."""

import numpy as np
import pytest
from helpers import project

from engine.core.model import LayerStack
from engine.run.training import Trainer
from engine.teaching.backprop import numerical_gradient, trace
from playground.run.sequence_probe import (
    MAX_UNITS,
    LayerGradient,
    TimeGradient,
    TimeProbe,
    about,
    sequence_picture,
    share,
    sine_continuation,
    time_gradient,
    time_verdict,
)


def seq_project(source="adding", layers=None, seed=0, **data):
    problem = "classification" if source == "parity" else "regression"
    return project(
        seed=seed,
        data={"source": source, "samples": 120, "test_fraction": 0.25, **data},
        network={"layers": layers or [{"type": "lstm", "units": 5}],
                 "output_activation": "sigmoid" if problem == "classification" else "linear"},
        training={"loss": "binary_crossentropy" if problem == "classification" else "mse", "batch_size": 16,
                  "optimizer": {"name": "adam", "learning_rate": 0.01}},
    )  # fmt: skip


STACKS = {
    "lstm": [{"type": "lstm", "units": 5}],
    "gru-dense": [{"type": "gru", "units": 4}, {"units": 3, "activation": "relu"}],
    "rnn-seq-lstm": [{"type": "simple_rnn", "units": 3, "return_sequences": True}, {"type": "lstm", "units": 4}],
}


@pytest.mark.parametrize("name", list(STACKS))
def test_the_picked_sequence_keeps_every_recurrent_layers_states_and_its_prediction_over_time(name):
    tr = Trainer(seq_project(layers=STACKS[name], sequence_length=7))
    tr.train_epoch()
    data, net = tr.data, tr.network
    row = int(data.test[3])
    pic = sequence_picture(tr, row)
    assert (pic.row, pic.split, pic.position, pic.source, pic.features) == (row, "test", 3, "adding",
                                                                            ("value", "marker"))  # fmt: skip
    np.testing.assert_array_equal(pic.inputs, data.dataset.x[row].reshape(7, 2).astype(np.float32))
    assert pic.target == pytest.approx(float(data.dataset.y[row]))
    x = data.transform(data.dataset.x[row : row + 1])
    np.testing.assert_allclose(pic.output, net.forward(x)[0], rtol=1e-12)
    kinds = [(s.kind, s.units, s.h.shape, tuple(s.gates), s.c is not None) for s in pic.layers]
    want = {
        "lstm": [("LSTM", 5, (7, 5), ("input", "forget", "cell", "output"), True)],
        "gru-dense": [("GRU", 4, (7, 4), ("update", "reset", "candidate"), False)],
        "rnn-seq-lstm": [("SimpleRNN", 3, (7, 3), (), False), ("LSTM", 4, (7, 4), ("input", "forget", "cell", "output"),
                                                                True)],
    }[name]  # fmt: skip
    assert kinds == want
    # The prediction over time is the model's output on each prefix of the sequence: a model of the
    # same weights on t steps (recurrent weights do not depend on T) gives readout[t − 1].
    assert pic.readout.shape == (7, 1)
    np.testing.assert_allclose(pic.readout[-1], pic.output, rtol=1e-10)
    seq = x.reshape(1, 7, 2)
    for t in (1, 3, 6):
        short = LayerStack((t, 2), [layer.clone() for layer in net.layers], net.dtype, origin=net.origin)
        short.params[...] = net.params
        np.testing.assert_allclose(pic.readout[t - 1], short.forward(seq[:, :t])[0], rtol=1e-10, atol=1e-12)
    # The states are those of the engine's own forward pass over that sequence.
    first = net.layers[pic.layers[0].index]
    net.forward(x)
    np.testing.assert_allclose(pic.layers[0].h, first.h[0], rtol=1e-6)


def test_a_wide_layer_draws_its_first_units_and_a_dense_network_has_no_unrolled_picture():
    tr = Trainer(seq_project(layers=[{"type": "simple_rnn", "units": MAX_UNITS + 6}], sequence_length=4))
    pic = sequence_picture(tr, None)
    assert pic.layers[0].units == MAX_UNITS + 6 and pic.layers[0].h.shape == (4, MAX_UNITS)
    assert pic.row == int(tr.data.test[0])  # nothing picked: the first test sequence
    assert sequence_picture(Trainer(seq_project(layers=[{"units": 4}])), None) is None
    assert sequence_picture(Trainer(project(data={"source": "circle"})), None) is None


def test_the_sine_wave_is_continued_by_the_model_and_by_the_wave_itself():
    tr = Trainer(seq_project("sine", sequence_length=12))
    pic = sequence_picture(tr, int(tr.data.test[0]))
    assert pic.continuation.shape == pic.truth.shape == (12,)
    assert pic.continuation[0] == pytest.approx(float(pic.output[0]), rel=1e-9)  # its first value: the prediction
    assert pic.truth[0] == pytest.approx(pic.target, abs=1e-9)  # the wave's next value is the target
    # The wave it fits is the generator's: sin(2πft + φ) continued.
    f, phase = 0.0731, 1.3
    t = np.arange(12)
    wave = sine_continuation(np.sin(2 * np.pi * f * t + phase), np.sin(2 * np.pi * f * 12 + phase), 30)
    np.testing.assert_allclose(wave, np.sin(2 * np.pi * f * np.arange(12, 42) + phase), atol=1e-8)
    # The continuation feeds the model its own outputs: its second value is the model on the shifted window.
    window = np.append(tr.data.dataset.x[pic.row, 1:], pic.continuation[0])
    got = tr.network.forward(tr.data.transform(window[None]))[0, 0]
    assert pic.continuation[1] == pytest.approx(float(got), rel=1e-9)


@pytest.mark.parametrize("name", list(STACKS))
def test_the_gradient_through_time_is_the_mean_of_each_sequences_own(name):
    """Against the walk's per-example ∂L/∂h_t (a recursion of its own, apart from backward)."""
    tr = Trainer(seq_project(layers=STACKS[name], sequence_length=6))
    tr.train_epoch()
    x, y = tr.data.x_train[:10], tr.data.y_train[:10]
    before = tr.network.grads.copy()
    got = time_gradient(tr.network.copy(), tr.loss, x, y, tr.steps)
    assert got.rows == 10 and got.steps == tr.steps
    np.testing.assert_array_equal(tr.network.grads, before)  # measured on a copy
    per = {g.index: [] for g in got.layers}
    for k in range(10):
        walk = trace(tr.network, tr.loss, x[k], x[k], float(y[k]))
        for step in walk.steps:
            if step.index in per:
                per[step.index].append(np.linalg.norm(step.states["grad_h"], axis=1))
    for g in got.layers:
        assert g.norms.shape == (6,)
        np.testing.assert_allclose(g.norms, np.mean(per[g.index], axis=0), rtol=1e-9)
        layer = tr.network.layers[g.index]
        if g.layer == "simple_rnn":
            assert g.keep is None
        else:  # the gate that keeps the state, of the unit that keeps it most, over these sequences
            gate = "forget" if g.layer == "lstm" else "update"
            tr.network.forward(x)
            means = [float(np.mean(layer.gates[gate][:, :, k])) for k in range(layer.units)]
            assert g.keep == pytest.approx(max(means), rel=1e-9)


def test_the_time_probe_leaves_the_trainers_gradients_and_follows_its_weights():
    tr = Trainer(seq_project(sequence_length=5))
    tr.train_batch()
    grads = tr.network.grads.copy()
    probe = TimeProbe()
    first = probe.measure(tr)
    np.testing.assert_array_equal(tr.network.grads, grads)
    tr.network.params *= 0.5
    second = probe.measure(tr)
    assert not np.allclose(first.layers[0].norms, second.layers[0].norms)
    want = time_gradient(tr.network.copy(), tr.loss, tr.data.x_train[:128], tr.data.y_train[:128])
    np.testing.assert_allclose(second.layers[0].norms, want.layers[0].norms, rtol=1e-12)
    assert TimeProbe().measure(Trainer(seq_project(layers=[{"units": 3}]))) is None


def _grad(kind, norms, keep=None):
    names = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
    return TimeGradient((LayerGradient(0, "layer 1", names[kind], kind, np.asarray(norms, float), keep),), 32, 5)


def test_the_verdict_gives_step_ones_share_and_advice_by_kind():
    ramp = np.geomspace(1e-6, 4.8e-3, 50)  # step 1 gets 1/4,800 of step 50's
    assert time_verdict(_grad("simple_rnn", ramp)) == (
        "Step 1 gets 1/4,800 of step 50's gradient: a SimpleRNN forgets; try an LSTM (or a GRU).")
    text = time_verdict(_grad("lstm", ramp, keep=0.734))
    assert text.startswith("Step 1 gets 1/4,800 of step 50's gradient: this LSTM forgets the first steps so far")
    assert "(its most open forget gate averages 0.73, and 0.73^49 = 2e-7: the share a unit keeping" in text
    assert "most open update gate averages 0.91" in time_verdict(_grad("gru", ramp, keep=0.91))
    fading = time_verdict(_grad("simple_rnn", np.geomspace(0.03, 1.0, 20)))
    assert fading.startswith("Step 1 gets 1/33 of step 20's gradient: it fades") and "an LSTM keeps it" in fading
    reaches = time_verdict(_grad("lstm", [0.6, 0.8, 1.0], keep=0.99))
    assert reaches.startswith("Step 1 gets 0.6× of step 3's gradient: the gradient reaches the first steps")
    assert "0.99^2 = 0.98" in reaches  # the open gate explains it...
    assert "most open" not in time_verdict(_grad("gru", [0.6, 0.8, 1.0], keep=0.2))  # ...a shut one does not
    assert "exploding" in time_verdict(_grad("simple_rnn", [35.0, 3.0, 1.0]))
    assert "diverged" in time_verdict(_grad("lstm", [np.nan, 1.0]))
    assert "does not learn" in time_verdict(_grad("simple_rnn", [0.0, 0.0]))
    assert "add a SimpleRNN, LSTM or GRU" in time_verdict(TimeGradient((), 0, 0))
    assert (about(4823.4), about(37.2), about(2.46), share(1.0, 4823.0), share(35, 1)) == (
        "4,800", "37", "2.5", "1/4,800", "35×")
    assert (about(6.3e6), share(1.0, 2.5e15), about(0.123)) == ("6.3e6", "1/2.5e15", "0.12")  # as the formatter


# ===================================================================== the engine's walk through time
@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_the_walks_states_are_the_forward_pass_and_grad_h_the_backward_passs(kind):
    tr = Trainer(seq_project(layers=[{"type": kind, "units": 3}], sequence_length=5, seed=2))
    tr.train_epoch()
    net = tr.network
    x, y = tr.data.x_train[:1], tr.data.y_train[:1]
    walk = trace(net, tr.loss, x[0], x[0], float(y[0]))
    states = walk.steps[0].states
    net.loss_and_grad(x, y, tr.loss, training=False)
    layer = net.layers[0]
    np.testing.assert_allclose(states["h"], layer.h[0], rtol=1e-12)
    np.testing.assert_allclose(states["grad_h"], layer.grad_h[0], rtol=1e-9, atol=1e-15)
    assert set(states) == {"h", "grad_h", *layer.gates, *(["c"] if kind == "lstm" else [])}


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_a_recurrent_weights_chain_rule_sums_its_steps_to_the_numerical_gradient(kind):
    tr = Trainer(seq_project(layers=[{"type": kind, "units": 3}], sequence_length=6, seed=1))
    tr.train_epoch()
    net = tr.network
    x, y = tr.data.x_train[2], float(tr.data.y_train[2])
    walk = trace(net, tr.loss, x, x, y)
    step = walk.steps[0]
    saved = net.params.copy()
    where = {"source": "unit 2 of h_{t−1}", "unit": "column", "upstream": ""}
    for column in range(step.delta.shape[1]):  # every gate block, a GRU's candidate (r ⊙ δ) included
        d = net.layers[0].explain(step, ("recurrent_kernel", 1), column, where)
        assert d.analytic == pytest.approx(float(step.param_grads["recurrent_kernel"][1, column]), rel=1e-12)
        assert float(d.numbers.rsplit("= ", 1)[1]) == pytest.approx(d.analytic, rel=1e-5, abs=1e-10)
        numeric = numerical_gradient(net, tr.loss, x, y, 0, ("recurrent_kernel", 1), column, h=1e-6)
        assert numeric == pytest.approx(d.analytic, rel=1e-5, abs=1e-9)
        assert "h_{t−1}" in d.formula and d.head.startswith("∂L/∂u from unit 2 of h_{t−1}")
    np.testing.assert_array_equal(net.params, saved)  # every weight put back


# ===================================================================== the views' own arithmetic, without a window
def test_the_steps_on_screen_and_their_words():
    from playground.panels.unrolled_view import step_window, window_words

    assert step_window(20, 600) == (0, 20, 30.0)  # all fit
    first, count, width = step_window(50, 600, first=45)
    assert (first, count) == (10, 40) and width == 15.0  # as many as fit at 15 px, kept in range
    assert window_words(0, 20, 20, 20) == "all 20 steps"
    assert window_words(0, 40, 40, 20) == "all 20 steps and the 20 it continues"
    assert window_words(10, 40, 50, 50) == "steps 11–50 of 50 (scroll for the others)"
    assert window_words(10, 20, 40, 20) == "steps 11–20 of 20 and 10 of the 20 it continues (scroll for the others)"


def test_the_walk_through_time_without_a_window():
    from playground.run.commands import TraceExample
    from playground.run.tracing import make_trace
    from playground.windows.backprop_time import reached, rows, time_stages, time_text
    from playground.windows.backprop_walk import chain_rule, short

    tr = Trainer(seq_project(layers=STACKS["gru-dense"], sequence_length=4))
    tr.train_epoch()
    r = make_trace(tr, TraceExample(row=1), 0)
    walk = r.trace.walk
    stages = time_stages(walk)
    assert [s for s in stages if s[1] == 0] == [("forward", 0, t) for t in range(4)] + [
        ("backward", 0, t) for t in (3, 2, 1, 0)]  # fmt: skip
    assert stages[0] == ("input", -1, -1) and stages[-1] == ("update", -1, -1)
    assert len(stages) == 1 + 4 + 2 + 1 + 2 + 4 + 1  # input, GRU's steps, dense, output, loss, and back
    gru = walk[0]
    forward = rows(r, ("forward", 0, 2))
    assert [row.name for row in forward] == ["x_t", "h_{t−1}", "update gate", "reset gate", "candidate (tanh)", "h_t"]
    np.testing.assert_allclose(forward[1].values, gru.states["h"][1])
    np.testing.assert_allclose(forward[3].values, gru.states["reset"][2])
    assert forward[2].top[0].startswith("z ") and forward[2].offset == 0 and forward[4].offset == 8
    back = rows(r, ("backward", 0, 1))
    np.testing.assert_allclose(back[0].values, gru.states["grad_h"][1])
    assert back[1].bottom[0] == f"Σ {short(float(np.sum(gru.delta[1:, 0])))}"  # the bias's sum over steps 2..4
    done, came = reached(r, ("backward", 0, 1), 0)
    assert done.all() and list(came) == [False, True, True, True]
    done, came = reached(r, ("forward", 0, 1), 0)
    assert list(done) == [True, True, False, False] and not came.any()
    assert "step 2 of 4" in time_text(r, ("backward", 0, 1)) and "of step 4's" in time_text(r, ("backward", 0, 1))
    dense = rows(r, ("forward", 1, -1))
    assert [row.name for row in dense] == ["input a_prev", "z = a_prev·W + b", "a = relu(z)"]
    # A GRU's bias column reads its input row, as the numerical gradient does.
    text = chain_rule(r, 0, None, 9)
    assert text.startswith("∂L/∂b for unit 2 of the candidate of layer 1:") and "update by" in text
    assert float(text.split("relative error ")[1].split()[0]) < 1e-5
