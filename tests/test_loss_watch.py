"""The watch on the training loss: a rate too high that never reaches NaN still gets a word."""

import copy
import math

import pytest
from helpers import project

from engine.project import normalize_project
from engine.project.files import load_project
from engine.run.loss_watch import FACTOR, WINDOW, LossWatch, swing_words
from engine.run.training import Trainer
from playground.resources import PRESETS


def feed(values):
    watch = LossWatch()
    for v in values:
        watch.add(v)
    return watch


def test_a_loss_that_bounces_without_learning_is_seen():
    bounce = [6.0] + [5.0, 20.0, 8.0, 15.0] * 6  # SGD at α = 10 on the tanh spiral
    swing = feed(bounce).swing
    assert swing is not None and swing.low == 5.0 and swing.high == 20.0 and swing.ratio == 4.0
    assert not swing.rising  # it ends at 15 after 8: a bounce
    assert feed([1.0] * 15 + [1.2, 1.5, 2.0, 2.6, 3.0]).swing.rising  # it climbs and ends at the top


@pytest.mark.parametrize(
    "losses",
    [
        [0.7 * 0.95**k for k in range(60)],  # learning
        [0.7] + [0.005, 0.006, 0.44, 0.2, 0.05, 0.01] * 6,  # Adam's spikes far below the start: learning
        [0.69 + 0.001 * (-1) ** k for k in range(60)],  # stuck, but steady: not a rate problem
        [5.0, 20.0] * 9,  # bouncing, but fewer epochs than the window
        [1.0, math.nan, math.inf] * 30,  # not finite: the divergence speaks, not the watch
    ],
)
def test_learning_steady_or_short_runs_are_left_alone(losses):
    assert feed(losses).swing is None


def test_the_window_and_factor_are_the_documented_ones():
    watch = LossWatch()
    assert (watch.window, watch.factor) == (WINDOW, FACTOR) == (20, 2.0)
    near = [1.0, 1.99] * 10
    assert feed(near).swing is None and feed([1.0, 2.0] * 10).swing is not None


def test_reset_forgets_what_came_before():
    watch = feed([5.0, 20.0] * 15)
    assert watch.swing is not None
    watch.reset()
    assert watch.swing is None and watch.add(5.0) is None


def test_the_words_name_the_rate_and_a_smaller_one():
    swing = feed([6.0] + [5.0, 20.0] * 10 + [8.0]).swing
    text = swing_words(swing, 10.0, "SGD")
    assert text.startswith("The training loss bounced between 5 and 20 over the last 20 epochs (×4)")
    assert "α = 10 is likely too high for SGD here. Try 1 or lower." in text


def spiral_sgd(lr: float) -> dict:
    p = copy.deepcopy(load_project(PRESETS / "04-spiral-tanh.json"))
    p["training"]["optimizer"] = {"name": "sgd", "learning_rate": lr}
    return normalize_project(p)


def test_sgd_at_rate_10_on_the_tanh_spiral_is_warned_and_a_new_rate_clears_it():
    tr = Trainer(spiral_sgd(10.0))
    for _ in range(WINDOW - 1):
        tr.train_epoch()
    assert tr.loss_warning == ""  # a full window first
    for _ in range(20):
        tr.train_epoch()
        if tr.loss_warning:
            break
    assert "is likely too high for SGD here. Try 1 or lower." in tr.loss_warning, tr.history["loss"]
    assert tr.diverged is None and all(math.isfinite(v) for v in tr.history["loss"])
    tr.set_learning_rate(0.03)
    assert tr.loss_warning == "" and tr.loss_watch.swing is None
    for _ in range(WINDOW + 5):
        tr.train_epoch()
    assert tr.loss_warning == ""


@pytest.mark.parametrize("preset", ["01-logistic-regression", "03-spiral-relu", "04-spiral-tanh"])
def test_presets_at_their_own_settings_are_never_warned(preset):
    """Adam on the spirals spikes ×30 to ×90 now and then (measured), while it learns."""
    tr = Trainer(load_project(PRESETS / f"{preset}.json"))
    for _ in range(300):
        tr.train_epoch()
        assert tr.loss_warning == "", (tr.epoch, tr.history["loss"][-WINDOW:])


def test_a_new_optimizer_or_batch_size_is_watched_afresh():
    tr = Trainer(project(data={"source": "xor"}, network={"layers": [{"units": 4, "activation": "tanh"}]}))
    tr.loss_watch.add(1.0)
    tr.set_batch_size(tr.batch_size)  # unchanged: the watch goes on
    assert len(tr.loss_watch.losses) == 1
    tr.set_batch_size(tr.batch_size + 1)
    assert len(tr.loss_watch.losses) == 0
    tr.loss_watch.add(1.0)
    tr.set_optimizer({"name": "adam"})
    assert len(tr.loss_watch.losses) == 0 and tr.optimizer.label == "Adam"
