import re

import numpy as np
import pytest

from engine import PlaygroundError
from engine.run.training import Diverged, Trainer
from tests.helpers import project


def small(**training):
    return project(
        data={"source": "xor", "samples": 200, "noise": 0.05, "validation_fraction": 0.2},
        network={"layers": [{"units": 6, "activation": "tanh"}]},
        training={"optimizer": {"name": "adam", "learning_rate": 0.02}, **training},
    )


def test_same_seed_gives_bitwise_identical_weights_and_history():
    runs = []
    for _ in range(2):
        tr = Trainer(small(regularization={"kind": "l2", "rate": 0.001}))
        tr.fit(5)
        runs.append((tr.network.params.copy(), tr.history["loss"]))
    assert runs[0][0].tobytes() == runs[1][0].tobytes()
    assert runs[0][1] == runs[1][1]
    other = Trainer(project(**{**small(), "seed": 1}))
    other.fit(5)
    assert not np.array_equal(other.network.params, runs[0][0])


def test_training_lowers_the_loss_and_learns_xor():
    tr = Trainer(small())
    first = tr.train_epoch().metrics["loss"]
    tr.fit(60)
    assert tr.history["loss"][-1] < first / 3
    assert tr.history["accuracy"][-1] > 0.9
    assert tr.history["val_loss"][-1] is not None and tr.history["test_accuracy"][-1] > 0.85


def test_batches_without_shuffle_follow_row_order_and_the_last_partial_batch_is_used():
    tr = Trainer(small(batch_size=32, shuffle=False))
    n = tr.n_train  # 60 training rows: a full batch of 32, then a partial one of 28
    assert n % 32
    seen = []
    original = tr.network.loss_and_grad

    def spy(x, y, *args, **kw):
        seen.append(x.copy())
        return original(x, y, *args, **kw)

    tr.network.loss_and_grad = spy
    tr.train_epoch()
    assert [len(b) for b in seen] == [32] * (n // 32) + [n % 32]
    np.testing.assert_array_equal(np.concatenate(seen), tr.data.x_train)
    assert tr.steps == len(seen) and tr.epoch == 1


def _batches(tr, epochs):
    """The training rows of every step taken in `epochs` epochs, as row numbers of x_train."""
    seen = []
    original = tr.network.loss_and_grad

    def spy(x, y, *args, **kw):
        seen.append([int(np.flatnonzero((tr.data.x_train == row).all(axis=1))[0]) for row in x])
        return original(x, y, *args, **kw)

    tr.network.loss_and_grad = spy
    for _ in range(epochs):
        tr.train_epoch()
    tr.network.loss_and_grad = original
    return seen


def test_carrying_the_last_batch_as_tfp_does():
    """250 points at batch 30 (playground.ts oneStep): 8 updates an epoch; the 10 points after the
    last full batch wait, and the next epoch's first update averages 40."""
    p = project(data={"source": "circle", "samples": 500}, training={"batch_size": 30, "shuffle": False,
                                                                    "last_batch": "carry"})  # fmt: skip
    tr = Trainer(p)
    assert tr.n_train == 250
    steps = _batches(tr, 3)
    assert [len(b) for b in steps] == [30] * 8 + [40] + [30] * 7 + [40] + [30] * 7
    assert tr.steps == 24 and tr.epoch == 3
    assert steps[8] == list(range(240, 250)) + list(range(30))  # the carried ten, then the next epoch's first
    assert [row for step in steps[:8] for row in step] == list(range(240))
    # The carried rows are one mean with the next ones: the step equals one on those 40 rows.
    tr2 = Trainer(p)
    tr2.train_epoch()
    w = tr2.network.params.copy()
    rows = np.r_[240:250, 0:30]
    tr2.network.loss_and_grad(tr2.data.x_train[rows], tr2._targets[rows], tr2.loss)
    expected = w - 0.03 * tr2.network.grads
    tr2.train_batch()
    np.testing.assert_allclose(tr2.network.params, expected, rtol=0, atol=1e-15)
    # Keras and PyTorch (the default): the last 10 are a step of their own.
    keras = Trainer(project(**{**p, "training": {**p["training"], "last_batch": "partial"}}))
    assert [len(b) for b in _batches(keras, 2)] == ([30] * 8 + [10]) * 2


def test_a_carried_batch_larger_than_the_data_is_all_of_them_each_epoch():
    p = project(data={"source": "xor", "samples": 40, "test_fraction": 0.5},
                training={"batch_size": 30, "last_batch": "carry"})  # fmt: skip
    assert [len(b) for b in _batches(Trainer(p), 3)] == [20, 20, 20]


def test_the_last_batch_rule_can_change_mid_run():
    p = project(data={"source": "xor", "samples": 100}, training={"batch_size": 15, "shuffle": False})
    tr = Trainer(p)
    tr.set_last_batch("carry")
    assert [len(b) for b in _batches(tr, 2)] == [15, 15, 15, 20, 15, 15]
    tr.set_last_batch("partial")
    assert [len(b) for b in _batches(tr, 1)] == [20, 15, 15, 5]
    with pytest.raises(PlaygroundError, match="partial or carry"):
        tr.set_last_batch("drop")


def test_shuffled_epochs_cover_every_row_once_in_a_new_order():
    tr = Trainer(small(batch_size=50, shuffle=True))
    orders = []
    for _ in range(2):
        seen = []
        original = tr.network.loss_and_grad
        tr.network.loss_and_grad = lambda x, y, *a, _o=original, _s=seen, **k: (_s.append(x.copy()), _o(x, y, *a, **k))[
            1
        ]
        tr.train_epoch()
        tr.network.loss_and_grad = original
        rows = np.concatenate(seen)
        orders.append(rows)
        assert sorted(map(tuple, rows)) == sorted(map(tuple, tr.data.x_train))
    assert not np.array_equal(orders[0], orders[1])


def test_batch_size_one_and_full_batch():
    tr = Trainer(small(batch_size=1))
    tr.train_epoch()
    assert tr.steps == tr.n_train
    full = Trainer(small(batch_size=10_000))
    full.train_epoch()
    assert full.steps == 1


def test_step_one_batch_at_a_time_and_epoch_counter():
    tr = Trainer(small(batch_size=25))  # 60 rows: 25 + 25 + 10
    results = [tr.train_batch() for _ in range(3)]
    assert [r.epoch_end is None for r in results] == [True, True, False]
    assert tr.epoch == 1 and tr.steps == 3 and len(tr.history) == 1


def test_learning_rate_change_mid_run_is_used_by_the_next_step():
    tr = Trainer(
        project(training={"optimizer": {"name": "sgd", "learning_rate": 0.1}, "batch_size": 10, "shuffle": False})
    )
    tr.train_batch()
    tr.set_learning_rate(0.5)
    before = tr.network.params.copy()
    tr.network.loss_and_grad(tr.data.x_train[10:20], tr.data.y_train[10:20], tr.loss, tr.regularizer)
    expected = before - 0.5 * tr.network.grads
    tr.train_batch()
    np.testing.assert_allclose(tr.network.params, expected)


def test_regularization_change_mid_run_is_used_by_the_next_step():
    tr = Trainer(project(training={"optimizer": {"name": "sgd", "learning_rate": 0.1}, "shuffle": False}))
    tr.train_batch()
    tr.set_regularization("l2", 0.5)
    before = tr.network.params.copy()
    tr.train_batch()
    no_reg = Trainer(project(training={"optimizer": {"name": "sgd", "learning_rate": 0.1}, "shuffle": False}))
    no_reg.train_batch()
    no_reg.network.params[...] = before
    no_reg.train_batch()
    diff = no_reg.network.params - tr.network.params
    np.testing.assert_allclose(diff[: tr.network.n_kernel], 0.1 * 2 * 0.5 * before[: tr.network.n_kernel])
    np.testing.assert_allclose(diff[tr.network.n_kernel :], 0)


def _overfitting(patience: int, restore: bool = True) -> dict:
    """A tiny noisy training set and a wide net overfit: validation loss turns up."""
    return project(
        seed=3,
        data={"source": "gauss", "samples": 120, "noise": 0.5, "test_fraction": 0.2, "validation_fraction": 0.4},
        network={"layers": [{"units": 32, "activation": "relu"}, {"units": 32, "activation": "relu"}]},
        training={
            "optimizer": {"name": "adam", "learning_rate": 0.05},
            "batch_size": 8,
            "early_stopping": {"monitor": "val_loss", "patience": patience, "restore_best_weights": restore},
        },
    )


def test_early_stopping_restores_the_best_epoch():
    tr = Trainer(_overfitting(4))
    best_params = {}
    tr.fit(300, on_epoch=lambda log: best_params.__setitem__(log.epoch, tr.network.params.copy()))
    assert tr.stopped, "expected validation loss to stop improving"
    es = tr.early
    val = tr.history["val_loss"]
    assert es.best_epoch == int(np.argmin(val)) + 1
    assert tr.epoch == es.best_epoch + 4
    np.testing.assert_array_equal(tr.network.params, best_params[es.best_epoch])
    assert "best at epoch" in tr.stop_reason
    with pytest.raises(PlaygroundError, match="training has stopped"):
        tr.train_batch()


def test_early_stopping_on_val_loss_without_a_validation_split_warns_and_never_stops():
    tr = Trainer(project(training={"early_stopping": {"patience": 2}}))  # as Keras: a warning, no stop
    assert tr.early is None and "no validation split: it will never stop" in tr.warnings[0]
    tr.fit(8)
    assert not tr.stopped and tr.epoch == 8
    watching_loss = Trainer(project(training={"early_stopping": {"monitor": "loss", "patience": 2}}))
    assert watching_loss.early.monitor == "loss" and not watching_loss.warnings


def test_best_weights_are_restored_when_the_run_ends_before_patience_runs_out():
    tr = Trainer(_overfitting(1000))
    kept = {}
    tr.fit(40, on_epoch=lambda log: kept.__setitem__(log.epoch, tr.network.params.copy()))
    assert not tr.stopped  # patience never ran out
    best = int(np.argmin(tr.history["val_loss"])) + 1
    assert best < 40, "expected the validation loss to turn up within 40 epochs"
    np.testing.assert_array_equal(tr.network.params, kept[best])  # Keras restores at the end of fit
    assert f"best weights of epoch {best} restored" in tr.stop_reason
    no_restore = Trainer(_overfitting(1000, restore=False))
    no_restore.fit(40)
    np.testing.assert_array_equal(no_restore.network.params, kept[40])


@pytest.mark.parametrize(
    "training, cause",
    [
        ({"optimizer": {"name": "sgd", "learning_rate": 5}}, None),
        (
            {"optimizer": {"name": "sgd", "learning_rate": 10}, "regularization": {"kind": "l2", "rate": 10}},
            "L2 rate 10",
        ),
    ],
)
def test_divergence_stops_and_keeps_the_last_finite_weights(training, cause):
    p = project(
        data={"source": "plane", "samples": 200},
        network={"output_activation": "linear", "layers": [{"units": 8, "activation": "relu"}]},
        training={"loss": "mse", **training},
    )
    tr = Trainer(p)
    with pytest.raises(Diverged) as err:
        tr.fit(200)
    msg = str(err.value)
    assert "diverged" in msg and "last finite weights were kept" in msg
    assert (cause or "Learning rate") in msg
    assert np.isfinite(tr.network.params).all()
    assert tr.diverged == msg
    # What to change, for each front end to say how; no window's button named in the engine's words.
    assert err.value.setting == ("training.regularization.rate" if cause else "training.optimizer.learning_rate")
    assert "Reset" not in msg


PTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0]]


@pytest.mark.parametrize(
    "data, bias, cause",
    [
        ({"x": [[1e200, 0.0], *PTS[1:]], "y": [0, 1, 0, 1]}, None, "The inputs reach 1e200"),
        ({"x": PTS, "y": [1e200, 1.0, 0.0, 2.0]}, None, "The targets reach 1e200"),
        ({"x": PTS, "y": [0, 1, 0, 1]}, 1e200, "A weight or bias reaches 1e200"),
    ],
    ids=["huge inputs", "huge targets", "huge starting biases"],
)
def test_divergence_names_the_data_not_the_learning_rate(data, bias, cause):
    p = project(
        data={"source": {"points": data}, "problem": "regression", "test_fraction": 0.0},
        network={"layers": [{"units": 4, "activation": "relu"}], "output_activation": "linear"},
        training={"loss": "mse"},
    )
    tr = Trainer(p)
    if bias is not None:
        tr.network.biases[0][:] = bias
    with pytest.raises(Diverged, match=re.escape(cause)) as err:
        tr.fit(5)
    assert "Learning rate" not in str(err.value) and err.value.setting == ""


@pytest.mark.parametrize(
    "schedule, message",
    [
        ({"name": "cosine", "alpha": 1e308}, "training.schedule.alpha must be <= 1"),
        ({"name": "exponential", "decay_rate": 0}, "training.schedule.decay_rate must be >= 1e-06"),
        ({"name": "step", "step_size": 1e300}, "training.schedule.step_size must be <= 1e+09"),
    ],
)
def test_schedule_parameters_are_bounded(schedule, message):
    with pytest.raises(PlaygroundError, match=re.escape(message)):
        project(training={"schedule": schedule})


def test_activation_parameters_and_bias_init_are_bounded():
    with pytest.raises(PlaygroundError, match=r"network.layers\[0\].activation.alpha must be <= 10"):
        project(network={"layers": [{"units": 2, "activation": {"name": "elu", "alpha": 1e300}}]})
    with pytest.raises(PlaygroundError, match="network.bias_init must be <= 100"):
        project(network={"bias_init": 1e300})


def test_regression_reports_no_accuracy():
    tr = Trainer(
        project(
            data={"source": "plane", "samples": 100}, network={"output_activation": "linear"}, training={"loss": "mse"}
        )
    )
    log = tr.train_epoch()
    assert log.metrics["accuracy"] is None and log.metrics["loss"] is not None
    assert "accuracy" not in tr.evaluate()["train"]


def test_logistic_regression_separates_two_gaussians():
    tr = Trainer(
        project(
            data={"source": "gauss", "noise": 0.0},
            network={"layers": []},
            training={"optimizer": {"name": "sgd", "learning_rate": 0.1}},
        )
    )
    tr.fit(20)
    assert tr.evaluate()["test"]["accuracy"] > 0.97


def test_multiclass_softmax_on_blobs_and_hinge_threshold():
    tr = Trainer(
        project(
            data={"source": "blobs", "classes": 4, "noise": 0.05},
            network={"layers": [{"units": 8}], "output_activation": "softmax"},
            training={"loss": "categorical_crossentropy", "optimizer": {"name": "adam", "learning_rate": 0.05}},
        )
    )
    assert tr.network.n_outputs == 4
    tr.fit(20)
    assert tr.evaluate()["test"]["accuracy"] > 0.95
    hinge = Trainer(project(network={"output_activation": "tanh"}, training={"loss": "hinge"}))
    assert list(hinge.predict_labels(np.array([[-0.1], [0.1]]))) == [0, 1]


def test_float32_training():
    tr = Trainer(project(network={"dtype": "float32"}))
    tr.fit(3)
    assert tr.network.params.dtype == np.float32 and tr.data.x_train.dtype == np.float32


def test_history_is_compact_and_reports_absent_splits_as_none():
    from array import array

    tr = Trainer(project(data={"validation_fraction": 0.0}))
    tr.fit(3)
    assert isinstance(tr.history.values["loss"], array) and tr.history.values["loss"].itemsize == 8
    assert len(tr.history) == 3 and tr.history["val_loss"] == [None, None, None]
    assert all(isinstance(v, float) for v in tr.history["loss"])


def test_a_long_evaluation_lets_a_ui_in_between_chunks_without_changing_the_metrics():
    # 10,000 training rows and 2,500 test rows: the epoch-end evaluation runs in chunks of
    # 2,048, and the hook is called between them (not after a split's last), with the epoch's
    # final weights in place: 4 gaps in the training split and 1 in the test split.
    spec = {"data": {"source": "gauss", "samples": 12_500, "test_fraction": 0.2}, "training": {"batch_size": 500}}
    plain, hooked = Trainer(project(**spec)), Trainer(project(**spec))
    seen: list[tuple[int, int, float]] = []

    def between() -> None:
        hooked.network.forward(hooked.data.x_test[:7])  # a UI's own forward pass may run here
        seen.append((hooked.epoch, len(hooked.history), float(hooked.network.params.sum())))

    hooked.between_chunks = between
    log_plain, log_hooked = plain.train_epoch(), hooked.train_epoch()
    assert log_hooked.metrics == log_plain.metrics
    final = float(hooked.network.params.sum())
    assert seen == [(1, 0, final)] * 5


def test_shared_history_is_a_fixed_prefix_that_training_can_keep_appending_to():
    import threading

    tr = Trainer(project(data={"validation_fraction": 0.0}))
    tr.fit(3)
    shared = tr.history.shared()
    loss = shared["loss"]
    assert loss._values is tr.history.values["loss"]  # shared, not copied
    first = list(loss)
    tr.fit(2)
    assert len(loss) == 3 and list(loss) == first  # later epochs do not show in the old view
    assert len(tr.history.shared()["loss"]) == 5
    assert loss[-1] == first[2] and list(loss[1:]) == first[1:] and list(loss[:10]) == first
    with pytest.raises(IndexError):
        loss[3]
    np.testing.assert_array_equal(np.array(loss), first)
    assert np.isnan(np.array(shared["val_loss"])).all()  # an empty split reads NaN

    # A reader on another thread while the trainer appends: no buffer of the growing array is
    # ever exported, so no append fails ("cannot resize an array that is exporting buffers").
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            view = tr.history.shared()["loss"]
            np.array(view)
            list(view[: len(view) // 2])

    reader = threading.Thread(target=read)
    reader.start()
    try:
        tr.fit(40)
    finally:
        stop.set()
        reader.join()
    assert len(tr.history) == 45


def test_exact_zeros_come_from_the_proximal_and_tfp_l1_rules_not_from_the_subgradient():
    """L1 by subgradient (Keras, PyTorch) jitters around 0 and leaves no weight exactly 0; the
    soft threshold and TFP's rule make useless weights exactly 0 and still learn the circle."""

    def zeros(kind, rule="subgradient"):
        p = project(
            seed=1,
            data={"source": "circle", "samples": 300, "features": ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)"]},
            network={"layers": [{"units": 8, "activation": "tanh"}, {"units": 4, "activation": "tanh"}]},
            training={
                "optimizer": {"name": "sgd", "learning_rate": 0.1},
                "regularization": {"kind": kind, "rate": 0.01, "l1_rule": rule},
            },
        )
        tr = Trainer(p)
        tr.fit(60)
        kernels = tr.network.params[: tr.network.n_kernel]
        return int(np.sum(kernels == 0.0)), kernels.size, tr

    assert zeros("l1")[0] == 0
    assert zeros("l2")[0] == 0
    for rule in ("proximal", "tfp"):
        n_zero, n, tr = zeros("l1", rule)
        assert n_zero >= n // 4, f"{rule}: only {n_zero} of {n} kernel weights are exactly zero"
        assert tr.evaluate()["train"]["accuracy"] > 0.9  # sparse, and it still learns the circle
    assert tr.dead is not None and np.count_nonzero(tr.dead) == n_zero  # TFP: each zero is a dead link


@pytest.mark.parametrize("reg", [{"kind": "none", "rate": 0.0}, {"kind": "l2", "rate": 0.01}])
def test_fit_loss_is_keras_running_loss_with_the_penalty(reg):
    """Full batch: epoch k trains one step from epoch k−1's final weights, so its fit_loss is the
    loss of those weights on the training split plus their penalty, which `loss` leaves out."""
    from engine import Regularizer

    p = project(data={"source": "xor", "samples": 80}, training={"batch_size": 1000, "regularization": reg})
    tr = Trainer(p)
    before = []
    for _ in range(4):
        before.append(tr.evaluate_split(*tr.data.split("train"))[0] + Regularizer(**reg).penalty(
            tr.network.params[: tr.network.n_kernel]))
        tr.train_epoch()
    np.testing.assert_allclose(tr.history["fit_loss"], before, rtol=1e-12)
    if reg["rate"]:
        assert all(f > loss for f, loss in zip(tr.history["fit_loss"][1:], tr.history["loss"][:-1]))


def test_the_epoch_limit_stops_and_a_higher_one_resumes():
    tr = Trainer(project())
    tr.set_epoch_limit(2)
    tr.train_epoch()
    assert not tr.stopped
    tr.train_epoch()
    assert tr.stopped and tr.stopped_by == "limit" and "epoch limit" in tr.stop_reason
    with pytest.raises(PlaygroundError):
        tr.train_batch()
    tr.set_epoch_limit(3)
    assert not tr.stopped
    tr.train_epoch()
    assert tr.stopped and tr.epoch == 3
    tr.set_epoch_limit(None)
    assert not tr.stopped


def test_early_stopping_set_mid_run_watches_from_then_and_turning_it_off_resumes():
    tr = Trainer(project())
    tr.train_epoch()
    tr.set_early_stopping({"monitor": "loss", "patience": 0, "min_delta": 1e9, "restore_best_weights": False})
    tr.train_epoch()  # the first watched epoch sets the best
    tr.train_epoch()  # no improvement of 1e9: stop at once
    assert tr.stopped and tr.stopped_by == "early"
    tr.set_early_stopping(None)
    assert not tr.stopped and tr.early is None
    tr.train_epoch()
    assert tr.epoch == 4


def test_a_schedule_chosen_mid_run_starts_at_its_own_t_zero():
    tr = Trainer(project(training={"optimizer": {"name": "sgd", "learning_rate": 0.1}}))
    for _ in range(300):
        tr.train_batch()
    tr.set_schedule({"name": "exponential", "decay_rate": 0.5, "decay_steps": 100})
    assert tr.current_lr == pytest.approx(0.1)  # no jump to 0.1 · 0.5^3
    for _ in range(100):
        tr.train_batch()
    assert tr.current_lr == pytest.approx(0.05)
    tr.set_schedule({"name": "exponential", "decay_rate": 0.25, "decay_steps": 100})  # same schedule: t kept
    assert tr.current_lr == pytest.approx(0.025)


def test_the_history_logs_the_learning_rate_per_epoch_as_keras_does():
    schedule = {"name": "step", "drop": 0.5, "step_size": 1}
    sgd = {"name": "sgd", "learning_rate": 0.1}
    tr = Trainer(project(training={"optimizer": sgd, "schedule": schedule, "batch_size": 1000}))
    tr.train_epoch()
    tr.train_epoch()
    assert tr.history["learning_rate"] == [pytest.approx(0.1), pytest.approx(0.05)]


def test_a_run_on_columns_of_very_different_sizes_warns_unless_standardised(tmp_path):
    """Issue 31, item 13: the warning the CLI prints and the app's banner shows."""
    src = tmp_path / "wine.csv"
    rng = np.random.default_rng(1)
    src.write_text("hue,proline,target\n" + "".join(f"{rng.normal(1, 0.2):.3f},{rng.normal(750, 300):.1f},{i % 2}\n"
                                                      for i in range(80)))  # fmt: skip
    warned = []
    for normalize in ("none", "unit", "standardize"):
        p = project(data={"source": {"csv": str(src)}, "problem": "classification", "normalize": normalize})
        warned.append(any("differ widely in size" in w for w in Trainer(p).warnings))
    assert warned == [True, True, False]  # "unit" divides every column by one number: still apart
    assert not any("differ widely" in w for w in Trainer(project(data={"source": "circle"})).warnings)
