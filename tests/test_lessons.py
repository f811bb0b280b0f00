"""Lessons in the project file: validation with named keys, goals, and locks."""

import pytest
from helpers import project

from engine import PlaygroundError
from engine.project.files import load_project
from engine.project.lessons import check_goal, covers, describe, locked_edit, validate_lesson
from playground.resources import PRESETS


def test_a_lesson_is_validated_with_its_keys_named():
    step = {"text": "go", "goal": {"metric": "test_loss", "below": 0.1, "max_neurons": 6}}
    ok = validate_lesson({"hide": ["data", "learningRate"], "lock": ["network.layers"], "steps": [step]})
    assert ok["steps"][0]["goal"] == {"metric": "test_loss", "below": 0.1, "max_neurons": 6}
    for bad, message in [
        ({"hide": ["nope"]}, "app.lesson.hide[0] 'nope' is neither a panel"),
        ({"steps": [{"goal": {}}]}, "app.lesson.steps[0] must have a text"),
        ({"steps": [{"text": "x", "goal": {"metric": "f1", "below": 1}}]}, "steps[0].goal.metric must be one of"),
        ({"steps": [{"text": "x", "goal": {"metric": "loss"}}]}, "needs exactly one of below or above"),
        ({"steps": [{"text": "x", "goal": {"metric": "loss", "below": 1, "max_neurons": -1}}]}, "max_neurons"),
        ({"steps": [{"text": "x", "goal": {"metric": "loss", "below": 1, "without_features": ["cos"]}}]},
         "without_features must list"),
        ({"extra": 1}, "app.lesson.extra is not a lesson key"),
    ]:  # fmt: skip
        with pytest.raises(PlaygroundError, match=message.replace("[", r"\[").replace("]", r"\]")):
            validate_lesson(bad)
    with pytest.raises(PlaygroundError, match="app.lesson"):
        project(app={"lesson": {"hide": [1]}})


def test_goals_check_the_metric_and_the_limits():
    p = project(network={"layers": [{"units": 4}, {"units": 3}]}, data={"features": ["x1", "x2", "sin(x1)"]})
    goal = {"metric": "test_accuracy", "above": 0.9, "max_neurons": 6}
    assert check_goal(goal, p, {"test_accuracy": 0.95}) == (False, "7 hidden neurons: at most 6")
    assert check_goal({**goal, "max_neurons": 7}, p, {"test_accuracy": 0.95}) == (True, "test accuracy 95.0%")
    assert not check_goal({**goal, "max_neurons": 7}, p, {"test_accuracy": 0.85})[0]
    no_sin = {"metric": "loss", "below": 1, "without_features": ["sin(x1)"]}
    assert check_goal(no_sin, p, {"loss": 0.1})[1] == "uses sin(x1)"
    late = {"metric": "loss", "below": 1, "after_epoch": 10}
    assert not check_goal(late, p, {"loss": 0.1}, epoch=5)[0] and check_goal(late, p, {"loss": 0.1}, epoch=10)[0]
    assert "not finite" in check_goal({"metric": "loss", "below": 1}, p, {"loss": float("inf")})[1]
    assert describe(goal) == "test accuracy above 90% with at most 6 hidden neurons"


def test_locks_cover_children_and_replaced_parents():
    assert covers("network.layers[].activation", "network.layers.2.activation")
    assert covers("training.optimizer", "training.optimizer.learning_rate")
    assert not covers("training.optimizer.learning_rate", "training.optimizer.momentum")
    before = project(training={"optimizer": {"name": "sgd", "learning_rate": 0.1}})
    same = {**before, "training": {**before["training"], "optimizer": {"name": "momentum", "learning_rate": 0.1}}}
    other = {**before, "training": {**before["training"], "optimizer": {"name": "adam", "learning_rate": 0.001}}}
    lr = ["learningRate"]  # a TFP name for the same setting
    assert locked_edit(lr, before, same, ["training.optimizer"]) is None
    assert locked_edit(lr, before, other, ["training.optimizer"]) == "training.optimizer.learning_rate"
    assert locked_edit(["data", "view.play"], before, other, ["training.optimizer"]) is None


@pytest.mark.parametrize("name", ["15-lesson-why-hidden-layers", "16-lesson-learning-rate",
                                  "17-lesson-overfitting-and-l2"])  # fmt: skip
def test_the_shipped_lessons_have_steps_and_goals(name):
    p = load_project(PRESETS / f"{name}.json")
    lesson = p["app"]["lesson"]
    assert len(lesson["steps"]) >= 2 and any("goal" in s for s in lesson["steps"]) and lesson["hide"]
