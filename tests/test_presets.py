"""Every preset is a valid project that trains without diverging."""

import json

import pytest

from engine.io import load_project
from engine.training import Trainer
from playground.paths import PRESETS

PRESET_FILES = sorted(PRESETS.glob("*.json"))


def test_there_is_a_preset_for_each_idea_of_a_first_course():
    titles = " ".join(json.loads(p.read_text())["app"]["title"].lower() for p in PRESET_FILES)
    for idea in (
        "logistic regression",
        "xor",
        "relu",
        "tanh",
        "sigmoid",
        "overfitting",
        "l2",
        "optimizer",
        "softmax",
        "image",
        "deep",
    ):
        assert idea in titles, idea


@pytest.mark.parametrize("path", PRESET_FILES, ids=[p.stem for p in PRESET_FILES])
def test_preset_trains(path):
    project = load_project(path)
    assert project["app"]["note"]
    tr = Trainer(project)
    tr.fit(2)
    assert tr.epoch >= 1 and tr.history["loss"][-1] is not None


def _test_accuracy(name: str, epochs: int | None = None) -> tuple[float, int]:
    tr = Trainer(load_project(PRESETS / f"{name}.json"))
    tr.fit(epochs)  # None: the project's epochs (or until early stopping)
    return tr.evaluate_split(*tr.data.split("test"))[1], tr.network.count_params()


def test_the_cnn_presets_beat_the_dense_ones_with_fewer_parameters():
    """What their notes promise: the shapes CNN passes the dense net's best after 6 epochs; the
    digits CNN beats the dense preset trained just as long."""
    dense, dense_params = _test_accuracy("10-image-shapes")
    cnn, cnn_params = _test_accuracy("18-cnn-shapes", epochs=6)
    assert cnn > dense + 0.05 and cnn_params < dense_params, (cnn, dense)
    dense, dense_params = _test_accuracy("13-real-digits")
    cnn, cnn_params = _test_accuracy("19-cnn-digits")
    assert cnn > dense and cnn_params < dense_params, (cnn, dense)
