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
