"""The field table: one place for each setting's type, range and effect."""

import pytest
from helpers import project, raw_with

from engine import PlaygroundError
from engine.core.optimizers import HYPERPARAMETER_BOUNDS, OPTIMIZERS
from engine.project import normalize_project
from engine.project.fields import FIELDS, Effect, effect, field, label

HUGE = int("9" * 400)


@pytest.mark.parametrize(
    "path",
    [f.path for f in FIELDS if f.kind in ("number", "integer") and "[]" not in f.path and f.path != "seed"],
)
def test_a_huge_integer_in_any_number_field_is_refused_with_its_range(path):
    with pytest.raises(PlaygroundError, match=f"{path} must be <=? .*got a 400-digit number"):
        normalize_project(raw_with(path, HUGE))


def test_an_integer_past_what_str_converts_is_described_not_printed():
    """A project made in code (not read from JSON, whose reader refuses them) with a
    5,000-digit seed: the message used to raise ValueError from str() itself."""
    with pytest.raises(PlaygroundError, match="seed must be <= 4,294,967,295, got a 5,000-digit number"):
        normalize_project({"format": "nn-playground/1", "seed": 10**4999})


def test_huge_integers_in_seed_layers_and_optimizer_are_refused_too():
    for raw, key in (
        ({"seed": HUGE}, "seed"),
        ({"network": {"layers": [{"units": HUGE}]}}, r"network.layers\[0\].units"),
        ({"training": {"optimizer": {"name": "adam", "learning_rate": HUGE}}}, "training.optimizer.learning_rate"),
        ({"training": {"schedule": {"name": "cosine", "decay_steps": HUGE}}}, "training.schedule.decay_steps"),
    ):
        with pytest.raises(PlaygroundError, match=f"{key} must be <="):
            normalize_project({"format": "nn-playground/1", **raw})


def test_effects_decide_between_live_optimizer_network_and_data():
    assert effect(["training.optimizer.learning_rate"]) == Effect.LIVE
    assert effect(["training.optimizer.beta_1", "training.batch_size", "training.schedule"]) == Effect.LIVE
    assert effect(["training.optimizer"]) == Effect.OPTIMIZER == effect(["training.optimizer.name"])
    assert effect(["network.layers.2.units"]) == Effect.NETWORK == effect(["training.loss"])
    assert effect(["data.noise", "training.loss"]) == Effect.DATA == effect(["seed"])
    assert effect(["app.note"]) == Effect.NONE and effect([]) == Effect.NONE
    assert field("network.layers[3].dropout").path == "network.layers[].dropout"
    assert label("network.layers.0.units") == "layer 1 neurons"


def test_every_optimizer_hyperparameter_has_bounds_or_choices():
    for name in OPTIMIZERS.names():
        cls = OPTIMIZERS.get(name)
        for key, default in cls.defaults.items():
            assert key in HYPERPARAMETER_BOUNDS or key in cls.choices or isinstance(default, bool), (name, key)


def test_the_validator_uses_the_table_ranges():
    f = field("data.noise")
    assert (f.lo, f.hi) == (0, 1)
    with pytest.raises(PlaygroundError, match="data.noise must be <= 1, got 1.5"):
        project(data={"noise": 1.5})
