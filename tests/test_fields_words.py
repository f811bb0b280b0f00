"""Messages in the user's words: project paths become the names the app shows, layers from 1."""

import pytest

from engine.project.fields import humanize
from engine.teaching.gradcheck import display_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("training.loss 'mse' is for regression", "loss 'mse' is for regression"),
        ("network.layers[0].units must be >= 1", "layer 1 neurons must be >= 1"),
        ("network.layers.2.dropout must be < 1", "layer 3 dropout must be < 1"),
        ("training.optimizer.beta_1 must be < 1", "beta 1 must be < 1"),
        ("could not read data.csv or network.json", "could not read data.csv or network.json"),
        ("data.test_fraction + data.validation_fraction", "test fraction + validation fraction"),
    ],
)
def test_humanize_names_settings_as_the_app_shows_them(text, expected):
    assert humanize(text) == expected


def test_weight_arrays_are_shown_with_layers_from_one():
    assert display_name("layers.0.kernel", 3) == "layer 1 kernel"
    assert display_name("layers.2.bias", 3) == "output bias"
