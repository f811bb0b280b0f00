"""Every optimizer step against its published formula (torch.optim's docs, and Keras 3's update_step
for `"rules": "keras"`), computed here in plain Python floats, element by element, independently
of the vectorised code."""

import itertools
import math

import numpy as np
import pytest
from helpers import ScalarReference

from engine import PlaygroundError
from engine.core.optimizers import OPTIMIZERS, SCHEDULES, make_optimizer, scheduled_lr

W0 = [1.0, -2.0, 0.5]  # the first two are kernel entries, the last a bias
N_KERNEL = 2
GRADS = [[0.5, -1.0, 0.25], [0.1, 0.2, -0.4], [-0.3, 0.4, 0.05]]


def run(name, **hp):
    opt = make_optimizer({"name": name, **hp})
    w = np.array(W0)
    out = []
    for g in GRADS:
        opt.step(w, np.array(g), N_KERNEL)
        out.append(w.copy())
    return out


def reference(name, lr, **hp):
    """Three updates written straight from the formulas, one scalar at a time."""
    results = [[0.0] * 3 for _ in GRADS]
    for j in range(3):
        ref = ScalarReference(name, lr, **hp)
        w = W0[j]
        for t, grads in enumerate(GRADS, start=1):
            w = ref.step(w, grads[j])
            results[t - 1][j] = w
    return results


@pytest.mark.parametrize(
    "name, hp",
    [
        ("sgd", {}),
        ("momentum", {}),
        ("nesterov", {}),
        ("adagrad", {}),
        ("adadelta", {}),
        ("rmsprop", {}),
        ("adam", {}),
        ("adam", {"amsgrad": True}),
        ("adamw", {}),
        ("sgd", {"momentum": 0.5, "learning_rate": 0.1}),
        ("adam", {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9}),
        ("adamw", {"weight_decay": 0.5, "learning_rate": 0.1}),
        *[
            (name, {"rules": "keras", **hp})
            for name, hp in [
                ("sgd", {}),
                ("momentum", {}),
                ("nesterov", {}),
                ("sgd", {"momentum": 0.5, "learning_rate": 0.1}),
                ("adagrad", {}),
                ("adadelta", {}),
                ("rmsprop", {}),
                ("adam", {}),
                ("adam", {"amsgrad": True}),
                ("adamw", {}),
                ("adam", {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 0.01}),
            ]
        ],
    ],
)
def test_first_three_updates_follow_the_formula(name, hp):
    params = {**OPTIMIZERS.get(name).defaults, **hp}
    expected = reference(name, params.pop("learning_rate"), **params)
    for got, want in zip(run(name, **hp), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_hand_computed_numbers():
    # SGD, α = 0.01: w − 0.01·g
    np.testing.assert_allclose(run("sgd")[0], [0.995, -1.99, 0.4975])
    # Momentum μ = 0.9: v1 = g1, v2 = 0.9·g1 + g2 = [0.55, -0.7, -0.175]
    np.testing.assert_allclose(
        run("momentum")[1], [1 - 0.01 * (0.5 + 0.55), -2 + 0.01 * (1.0 + 0.7), 0.5 - 0.01 * (0.25 - 0.175)]
    )
    # Adam's first step is α·g/(|g| + ε): almost exactly α per coordinate.
    first = run("adam")[0]
    np.testing.assert_allclose(
        first, [1 - 0.001 * 0.5 / (0.5 + 1e-7), -2 + 0.001 * 1 / (1 + 1e-7), 0.5 - 0.001 * 0.25 / (0.25 + 1e-7)]
    )
    # Adagrad starts its accumulator at 0.1: s = 0.1 + 0.25
    assert run("adagrad")[0][0] == pytest.approx(1 - 0.001 * 0.5 / (math.sqrt(0.35) + 1e-7))


def test_adamw_decays_biases_too_as_torch_and_keras_do():
    opt = make_optimizer({"name": "adamw", "learning_rate": 0.1, "weight_decay": 0.5})
    w = np.array([1.0, 1.0])
    opt.step(w, np.zeros(2), n_kernel=1)  # zero gradient: only the decay acts, on the bias too
    np.testing.assert_allclose(w, [1 - 0.1 * 0.5, 1 - 0.1 * 0.5])


def test_keras_rules_differ_where_the_frameworks_do():
    """Tiny gradients: torch's ε outside the root lets RMSprop's first step be ~α·√10, Keras's
    ε inside damps it (the 8× of early steps); a changing rate splits the momentum forms."""
    g = np.array([1e-4])
    torch_w, keras_w = np.zeros(1), np.zeros(1)
    make_optimizer({"name": "rmsprop"}).step(torch_w, g, 1)
    make_optimizer({"name": "rmsprop", "rules": "keras"}).step(keras_w, g, 1)
    assert abs(torch_w[0]) > 3 * abs(keras_w[0])
    a, b = make_optimizer({"name": "momentum"}), make_optimizer({"name": "momentum", "rules": "keras"})
    wa, wb = np.zeros(1), np.zeros(1)
    for lr in (0.1, 0.01, 0.001):
        a.step(wa, np.ones(1), 1, lr)
        b.step(wb, np.ones(1), 1, lr)
    assert wa[0] == pytest.approx(-(0.1 + 0.01 * 1.9 + 0.001 * 2.71))
    assert wb[0] == pytest.approx(-(0.1 + (0.09 + 0.01) + (0.09 + 0.001)))  # v3 = 0.9·v2 − 0.001


def test_keras_defaults():
    assert OPTIMIZERS.get("sgd").defaults == {
        "learning_rate": 0.01,
        "momentum": 0.0,
        "nesterov": False,
        "rules": "torch",
    }
    assert OPTIMIZERS.get("adam").defaults == {
        "learning_rate": 0.001,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-7,
        "amsgrad": False,
        "rules": "torch",
    }
    assert OPTIMIZERS.get("adagrad").defaults["initial_accumulator_value"] == 0.1
    assert OPTIMIZERS.get("rmsprop").defaults == {"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-7, "rules": "torch"}
    assert OPTIMIZERS.get("adadelta").defaults == {
        "learning_rate": 0.001,
        "rho": 0.95,
        "epsilon": 1e-7,
        "rules": "torch",
    }
    assert OPTIMIZERS.get("adamw").defaults["weight_decay"] == 0.004


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_each_optimizer_minimises_a_convex_quadratic(name):
    # f(w) = ½ Σ a_i (w_i − c_i)², gradient a ⊙ (w − c); minimum at c.
    a, c = np.array([1.0, 3.0, 0.5]), np.array([1.0, -2.0, 0.5])
    lr = {"adadelta": 1.0, "sgd": 0.1, "momentum": 0.05, "nesterov": 0.05}.get(name, 0.05)
    opt = make_optimizer({"name": name, "learning_rate": lr})
    w = np.zeros(3)
    for _ in range(3000):
        opt.step(w, a * (w - c), n_kernel=0)
    np.testing.assert_allclose(w, c, atol=2e-2)


def test_hyperparameter_changes_take_effect_at_the_next_step():
    opt = make_optimizer("sgd")
    w = np.array([0.0])
    opt.step(w, np.array([1.0]), 1)
    opt.set("learning_rate", 0.5)
    opt.step(w, np.array([1.0]), 1)
    assert w[0] == pytest.approx(-0.01 - 0.5)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("learning_rate", 0, "must be > 0"),
        ("beta_1", 1.0, "must be < 1"),
        ("momentum", float("nan"), "must be finite"),
        ("nesterov", 1, "true or false"),
        ("gamma", 0.1, "has no hyperparameter 'gamma'"),
        ("rules", "tensorflow", "must be one of torch, keras"),
    ],
)
def test_bad_hyperparameters_are_named(key, value, message):
    with pytest.raises(PlaygroundError, match=message):
        make_optimizer({"name": "adam" if key.startswith("beta") else "sgd", key: value})


def test_schedules_give_the_documented_rates():
    assert SCHEDULES.names() == ["constant", "exponential", "step", "cosine", "inverse_time"]
    assert scheduled_lr(None, 0.1, 500) == 0.1
    assert scheduled_lr({"name": "exponential", "decay_rate": 0.5, "decay_steps": 100}, 0.1, 200) == pytest.approx(
        0.025
    )
    assert scheduled_lr({"name": "exponential", "decay_rate": 0.5, "decay_steps": 100}, 0.1, 50) == pytest.approx(
        0.1 / math.sqrt(2)
    )
    assert scheduled_lr({"name": "step", "drop": 0.1, "step_size": 10}, 1.0, 9) == pytest.approx(1.0)
    assert scheduled_lr({"name": "step", "drop": 0.1, "step_size": 10}, 1.0, 25) == pytest.approx(0.01)
    cos = {"name": "cosine", "decay_steps": 100, "alpha": 0.1}
    assert scheduled_lr(cos, 1.0, 0) == pytest.approx(1.0)
    assert scheduled_lr(cos, 1.0, 50) == pytest.approx(0.9 * 0.5 + 0.1)
    assert scheduled_lr(cos, 1.0, 100) == pytest.approx(0.1)
    assert scheduled_lr(cos, 1.0, 1000) == pytest.approx(0.1)


KERAS_CLASSES = {
    "sgd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": 0.9}),
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", {}),
    "adadelta": ("Adadelta", {}),
    "rmsprop": ("RMSprop", {}),
    "adam": ("Adam", {}),
    # Keras's torch backend forms the decay factor 1 − λα in float32: λ = 0.25 keeps it exact.
    "adamw": ("AdamW", {"weight_decay": 0.25}),
}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras 3 on NumPy 2 (its own __array__)
@pytest.mark.parametrize("name", list(KERAS_CLASSES))
def test_keras_rules_match_keras_itself(name, keras):
    """The same steps through keras.optimizers, float64, with a schedule."""
    cls, extra = KERAS_CLASSES[name]
    lrs = [0.125, 0.0625, 0.03125]  # exact in float32, the dtype of Keras's learning-rate variable
    rate = keras.optimizers.schedules.PiecewiseConstantDecay([0, 1], lrs)  # step 0: lrs[0], 1: lrs[1], ...
    ref = getattr(keras.optimizers, cls)(learning_rate=rate, **extra)
    var = keras.Variable(np.array(W0), dtype="float64")
    ours = make_optimizer({"name": name, "rules": "keras", **({"weight_decay": 0.25} if name == "adamw" else {})})
    w = np.array(W0)
    for g, lr in zip(GRADS, lrs):
        ref.apply_gradients([(keras.ops.convert_to_tensor(np.array(g), dtype="float64"), var)])
        ours.step(w, np.array(g), N_KERNEL, lr)
        np.testing.assert_allclose(w, keras.ops.convert_to_numpy(var), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------- what the hyperparameters' tooltips say
@pytest.mark.parametrize("name", OPTIMIZERS.names())
@pytest.mark.parametrize("rules", ["torch", "keras"])
def test_every_hyperparameter_is_described_for_each_rules_setting(name, rules):
    cls = OPTIMIZERS.get(name)
    for key in cls.defaults:
        assert cls.describe(key, rules), (name, key, rules)


def _one_step(name: str, g: float, **hp) -> float:
    w = np.array([0.0])
    make_optimizer({"name": name, **hp}).step(w, np.array([g]), 1)
    return float(w[0])


@pytest.mark.parametrize("name", ["rmsprop", "adagrad"])
def test_epsilon_sits_where_each_rules_tooltip_says(name):
    """Issue 29, item 5: ε is added to the root under torch's rules, inside it under Keras's."""
    cls = OPTIMIZERS.get(name)
    torch, keras = cls.describe("epsilon", "torch"), cls.describe("epsilon", "keras")
    assert "added to √" in torch and "inside the root" in keras
    # A gradient so small that s or v is all but ε: the two places give different steps.
    hp = {"epsilon": 1e-2, "learning_rate": 1.0}
    if name == "adagrad":
        hp["initial_accumulator_value"] = 0.0
    g = 1e-3
    s = g * g * (1 if name == "adagrad" else 1 - cls.defaults["rho"])
    assert _one_step(name, g, **hp) == pytest.approx(-g / (math.sqrt(s) + 1e-2), rel=1e-12)
    assert _one_step(name, g, rules="keras", **hp) == pytest.approx(-g / math.sqrt(s + 1e-2), rel=1e-12)


def test_adadeltas_epsilon_sets_its_first_steps_as_the_tooltip_says():
    """ε is inside both roots and u starts at 0: the first step is about α·√(ε/(1 − ρ)) for any
    gradient that is not tiny, under either rules setting."""
    tip = OPTIMIZERS.get("adadelta").describe("epsilon")
    assert "inside both roots" in tip and "α·√(ε / (1 − ρ))" in tip
    assert OPTIMIZERS.get("adadelta").describe("epsilon", "keras") == tip
    assert "squared updates" in OPTIMIZERS.get("adadelta").describe("rho")
    for eps in (1e-7, 1e-4):
        want = 0.001 * math.sqrt(eps / 0.05)
        for g in (g for g in (0.1, 1.0, 100.0) if 0.05 * g * g >= 100 * eps):  # not tiny: (1 − ρ)g² ≫ ε
            assert abs(_one_step("adadelta", g, epsilon=eps)) == pytest.approx(want, rel=0.02), (eps, g)


def test_keras_adams_epsilon_acts_larger_in_the_first_steps_as_the_tooltip_says():
    """Keras's ε is added to √v before the bias correction: against torch's it is ε/√(1 − β₂ᵗ),
    about 32ε at t = 1 with β₂ = 0.999."""
    assert "about 32ε at t = 1" in OPTIMIZERS.get("adam").describe("epsilon", "keras")
    g, eps = 1e-5, 1e-6
    keras = _one_step("adam", g, epsilon=eps, rules="keras")
    assert keras == pytest.approx(_one_step("adam", g, epsilon=eps / math.sqrt(1 - 0.999)), rel=1e-9)
    assert round(1 / math.sqrt(1 - 0.999)) == 32


def test_amsgrad_caps_only_the_denominator_as_the_tooltip_says():
    """The running maximum never lets the denominator fall (Keras's rule), yet the step grows
    once the gradients stop changing sign: m is not capped."""
    for rules in ("torch", "keras"):
        tip = OPTIMIZERS.get("adam").describe("amsgrad", rules)
        assert "m is not capped, so steps can still grow" in tip and "never grow back" not in tip
    opt = make_optimizer({"name": "adam", "amsgrad": True, "rules": "keras", "learning_rate": 0.1})
    w, steps, denominators = np.array([0.0]), [], []
    for g in (1.0, -1.0, 1.0, -1.0, 0.5, 0.5, 0.5, 0.5, 0.5):
        before = w.copy()
        opt.step(w, np.array([g]), 1)
        steps.append(abs(float(w[0] - before[0])))
        denominators.append(float(np.sqrt(opt.moments()["v_max"][0])))
    assert all(b >= a for a, b in itertools.pairwise(denominators))
    assert steps[-1] > 2 * steps[4]  # the same gradient, a step more than twice as long


def test_older_keras_lr_and_decay_are_read_as_todays_keys():
    """Issue 29, item 13: course notes print Keras 2's SGD(lr=0.01, decay=1e-6, ...). lr is
    learning_rate; decay is the rate lr / (1 + decay·iterations), which the inverse_time schedule
    gives exactly; an optimizer alone, without a schedule, refuses decay and says so."""
    from engine.core.optimizers import legacy_keys

    spec, schedule, notes = legacy_keys({"name": "sgd", "lr": 0.01, "decay": 1e-3, "momentum": 0.9})
    assert spec == {"name": "sgd", "learning_rate": 0.01, "momentum": 0.9}
    assert schedule == {"name": "inverse_time", "decay_rate": 1e-3, "decay_steps": 1}
    assert "older Keras's name for learning_rate" in notes[0] and "lr / (1 + decay·iterations)" in notes[1]
    for t in (0, 1, 10, 12345):  # old Keras: lr * 1 / (1 + decay * iterations), iterations before the update
        assert scheduled_lr(schedule, 0.01, t) == pytest.approx(0.01 / (1 + 1e-3 * t), rel=1e-15)
    assert make_optimizer({"name": "adam", "lr": 0.05}).hp["learning_rate"] == 0.05
    with pytest.raises(PlaygroundError, match=r"decay is older Keras's time-based decay, lr / \(1 \+ decay·iter"):
        make_optimizer({"name": "sgd", "decay": 1e-6})
    with pytest.raises(PlaygroundError, match="disagree"):
        legacy_keys({"name": "sgd", "lr": 0.1, "learning_rate": 0.2})
    assert legacy_keys({"name": "sgd", "decay": 0})[1] is None  # Keras 2's default: no decay
    with pytest.raises(PlaygroundError, match="decay .* must be 0 or a number from 1e-06 to 1"):
        legacy_keys({"name": "sgd", "decay": 5})


@pytest.mark.parametrize("rules", ["torch", "keras"])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adams_moments_are_the_formulas_and_follow_a_change_of_beta(rules, amsgrad):
    """Adam keeps m/(1 − β₁) and v/(1 − β₂) (a pass fewer each): `moments()` must give m and v as the
    formulas have them, and a β changed mid-run (a live edit) must carry m and v on unchanged."""
    rng = np.random.default_rng(3)
    opt = make_optimizer({"name": "adam", "learning_rate": 0.01, "rules": rules, "amsgrad": amsgrad})
    w = rng.normal(size=7)
    ref_w, m, v, v_max = w.copy(), np.zeros(7), np.zeros(7), np.zeros(7)
    b1, b2, eps, lr = 0.9, 0.999, 1e-7, 0.01
    for t in range(1, 8):
        if t == 4:  # β₁ and β₂ edited while training
            opt.set("beta_1", 0.5)
            opt.set("beta_2", 0.9)
            b1, b2 = 0.5, 0.9
        g = rng.normal(size=7) * 10.0 ** rng.integers(-3, 3, size=7)
        opt.step(w, g, 7)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = np.maximum(v_max, v)
        vv = v_max if amsgrad else v
        if rules == "torch":
            ref_w -= lr * (m / (1 - b1**t)) / (np.sqrt(vv / (1 - b2**t)) + eps)
        else:
            ref_w -= lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(vv) + eps)
        np.testing.assert_allclose(w, ref_w, rtol=1e-12, atol=0)
        moments = opt.moments()
        np.testing.assert_allclose(moments["m"], m, rtol=1e-12)
        np.testing.assert_allclose(moments["v"], v, rtol=1e-12)
        if amsgrad:
            np.testing.assert_allclose(moments["v_max"], v_max, rtol=1e-12)
