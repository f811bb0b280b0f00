"""Lessons: a project's `app.lesson` section, which a teacher writes to focus students on one idea.

    "lesson": {
      "hide": ["data", "training.optimizer", "learningRate"],      panels, project paths, TFP names
      "lock": ["network.layers"],                                 shown but not editable
      "steps": [
        {"text": "Add a hidden layer and press play.",
         "goal": {"metric": "test_accuracy", "above": 0.95, "max_neurons": 6}},
        ...
      ]
    }

A goal holds when the metric (the last epoch's value of loss, accuracy, val_loss, val_accuracy,
test_loss or test_accuracy) is below or above its bound and the network and features keep to
its limits (`max_neurons` in all hidden layers, `max_layers`, `without_features`), from
`after_epoch` on when it has one (overfitting shows only after a while). The app
checks it at every frame and marks a step met; `check_goal` is that test, here for both the app
and the tests.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..core.errors import PlaygroundError
from ..core.i18n import N_, _, ngettext
from ..core.layers import unit_count
from ..core.numbers import number
from ..data import FEATURES

METRICS = ("loss", "accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy")
METRIC_WORDS = {
    "loss": N_("training loss"), "accuracy": N_("training accuracy"), "val_loss": N_("validation loss"),
    "val_accuracy": N_("validation accuracy"), "test_loss": N_("test loss"), "test_accuracy": N_("test accuracy"),
}  # fmt: skip (the catalog's messages, translated where shown)
PANELS = ("controls", "data", "network", "output", "curves", "insights", "timeline")
#: Each panel in words (the catalog's messages, translated where shown; the key is what files use).
PANEL_WORDS = {"controls": N_("control bar"), "data": N_("data"), "network": N_("network"), "output": N_("output"),
               "curves": N_("curves"), "insights": N_("insights"), "timeline": N_("timeline")}
#: TensorFlow Playground's hidable controls (its *_hide keys) and the settings they stand for.
TFP_CONTROLS = {
    "learningRate": "training.optimizer.learning_rate",
    "activation": "network.layers[].activation",
    "regularization": "training.regularization.kind",
    "regularizationRate": "training.regularization.rate",
    "problem": "data.problem",
    "dataset": "data.source",
    "regDataset": "data.source",
    "percTrainData": "data.test_fraction",
    "noise": "data.noise",
    "batchSize": "training.batch_size",
    "numHiddenLayers": "network.layers",
    "showTestData": "view.show_test_data",
    "discretize": "view.discretize",
    "playButton": "view.play",
    "stepButton": "view.step",
    "resetButton": "view.reset",
}
#: Every project path a lesson may hide or lock (an edit under one of them is refused when locked).
PATHS = (
    "seed", "data.source", "data.problem", "data.classes", "data.noise", "data.samples", "data.test_fraction",
    "data.validation_fraction", "data.features", "data.normalize", "network.layers", "network.layers[].activation",
    "network.layers[].dropout", "network.initializer", "training.loss", "training.optimizer", "training.optimizer.name",
    "training.optimizer.learning_rate", "training.regularization", "training.regularization.kind",
    "training.regularization.rate", "training.batch_size", "training.schedule",
    "view.show_test_data", "view.discretize", "view.play", "view.step", "view.reset",
)  # fmt: skip
MAX_STEPS = 50
MAX_TEXT = 2000
MAX_NOTE = 20_000  # a project's note, in each of its languages


def _fail(key: str, msg: str) -> PlaygroundError:
    return PlaygroundError(_("app.lesson{key} {msg}").format(key=key, msg=msg))


def target(name: str) -> str:
    """A hide/lock entry as a panel name or a project path (TFP names become their path)."""
    return TFP_CONTROLS.get(name, name)


def validate_lesson(raw: Any) -> dict[str, Any]:
    """The lesson section checked, with every problem named by its key."""
    if not isinstance(raw, dict):
        raise _fail("", _("must be an object with hide, lock and steps"))
    unknown = set(raw) - {"hide", "lock", "steps"}
    if unknown:
        raise _fail(f".{sorted(unknown)[0]}", _("is not a lesson key (known: hide, lock, steps)"))
    out: dict[str, Any] = {}
    for key in ("hide", "lock"):
        items = raw.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise _fail(f".{key}", _("must be a list of names"))
        for i, name in enumerate(items):
            if target(name) not in PATHS and name not in PANELS:
                raise _fail(f".{key}[{i}]", _("{name!r} is neither a panel ({panels}) nor a setting a lesson can "
                                              "hide (such as training.optimizer.learning_rate or learningRate)").format(
                                name=name, panels=", ".join(PANELS)))
        out[key] = list(items)
    steps = raw.get("steps", [])
    if not isinstance(steps, list) or len(steps) > MAX_STEPS:
        raise _fail(".steps", _("must be a list of at most {count} steps").format(count=MAX_STEPS))
    out["steps"] = [_step(s, i) for i, s in enumerate(steps)]
    return out


def check_text(key: str, value: Any, limit: int = MAX_TEXT) -> str | dict[str, str]:
    """A text a project carries (a title, a note, a lesson step): a string, or the same text in
    several languages, {"en": "...", "ko": "..."} (the app shows the user's, else English)."""
    texts = value if isinstance(value, dict) else {"": value}
    if not texts:
        raise PlaygroundError(_('{key} must be a text or an object of languages such as {{"en": "...", "ko": "..."}}')
                                .format(key=key))
    for lang, text in texts.items():
        where = f"{key}.{lang}" if lang else key
        if lang and not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", lang):
            raise PlaygroundError(_("{where}: {lang!r} is not a language code such as en or ko").format(
                                      where=where, lang=lang))
        if not isinstance(text, str) or not text.strip():
            raise PlaygroundError(_("{where} must be a text").format(where=where))
        if len(text) > limit:
            raise PlaygroundError(_("{where} is longer than {limit:,} characters").format(where=where, limit=limit))
    return dict(value) if isinstance(value, dict) else value


def _step(raw: Any, i: int) -> dict[str, Any]:
    key = f".steps[{i}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), (str, dict)):
        raise _fail(key, _("must have a text"))
    text = check_text(f"app.lesson{key}.text", raw["text"])
    unknown = set(raw) - {"text", "goal"}
    if unknown:
        raise _fail(f"{key}.{sorted(unknown)[0]}", _("is not a step key (known: text, goal)"))
    step: dict[str, Any] = {"text": text}
    if raw.get("goal") is not None:
        step["goal"] = _goal(raw["goal"], f"{key}.goal")
    return step


def _goal(raw: Any, key: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail(key, _("must be an object such as {\"metric\": \"test_loss\", \"below\": 0.1}"))
    unknown = set(raw) - {"metric", "below", "above", "max_neurons", "max_layers", "without_features", "after_epoch"}
    if unknown:
        raise _fail(f"{key}.{sorted(unknown)[0]}", _("is not a goal key"))
    if raw.get("metric") not in METRICS:
        raise _fail(f"{key}.metric", _("must be one of {metrics}, got {metric!r}").format(
            metrics=", ".join(METRICS), metric=raw.get("metric")))
    bounds = [b for b in ("below", "above") if b in raw]
    if len(bounds) != 1:
        raise _fail(key, _("needs exactly one of below or above"))
    value = raw[bounds[0]]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(f"{key}.{bounds[0]}", _("must be a number, got {value!r}").format(value=value))
    goal: dict[str, Any] = {"metric": raw["metric"], bounds[0]: float(value)}
    for limit in ("max_neurons", "max_layers", "after_epoch"):
        if limit in raw:
            n = raw[limit]
            if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 10_000:
                raise _fail(f"{key}.{limit}", _("must be a whole number from 0 to 10,000, got {value!r}").format(
                    value=n))
            goal[limit] = n
    if "without_features" in raw:
        feats = raw["without_features"]
        if not isinstance(feats, list) or any(f not in FEATURES for f in feats):
            raise _fail(f"{key}.without_features", _("must list features among {features}").format(
                features=", ".join(FEATURES.names())))
        goal["without_features"] = list(feats)
    return goal


def describe(goal: dict[str, Any]) -> str:
    """A goal in words: "test loss below 0.1 with at most 6 neurons"."""
    below = "below" in goal
    value = goal["below" if below else "above"]
    shown = f"{value:.0%}" if "accuracy" in goal["metric"] else number(value, 6)
    metric = _(METRIC_WORDS[goal["metric"]])
    text = (_("{metric} below {value}") if below else _("{metric} above {value}")).format(metric=metric, value=shown)
    # Each condition is a whole phrase, and "{goal} {condition}" (one message) adds it: a language
    # puts the condition where its word order wants it (Korean: before, or after a comma).
    conditions = []
    if "max_neurons" in goal:
        conditions.append(_("with at most {count} hidden neurons").format(count=goal["max_neurons"]))
    if "max_layers" in goal:
        conditions.append(ngettext("with at most {count} hidden layer", "with at most {count} hidden layers",
                                   goal["max_layers"]).format(count=goal["max_layers"]))
    if goal.get("without_features"):
        conditions.append(_("without {features}").format(features=", ".join(goal["without_features"])))
    if goal.get("after_epoch"):
        conditions.append(_("from epoch {epoch} on").format(epoch=goal["after_epoch"]))
    for condition in conditions:
        text = _("{goal} {condition}").format(goal=text, condition=condition)
    return text


def check_goal(
    goal: dict[str, Any], project: dict[str, Any], metrics: dict[str, float | None], epoch: int | None = None
) -> tuple[bool, str]:
    """(met, why not) for the project's run with the last epoch's `metrics` (at `epoch`)."""
    if goal.get("after_epoch") and (epoch is None or epoch < goal["after_epoch"]):
        return False, _("epoch {epoch} of {after_epoch}").format(epoch=epoch or 0, after_epoch=goal["after_epoch"])
    layers = project["network"]["layers"]
    neurons = unit_count(layers)  # a filter is a unit too
    if "max_neurons" in goal and neurons > goal["max_neurons"]:
        return False, _("{count} hidden neurons: at most {most}").format(count=neurons, most=goal["max_neurons"])
    if "max_layers" in goal and len(layers) > goal["max_layers"]:
        return False, _("{count} hidden layers: at most {most}").format(count=len(layers), most=goal["max_layers"])
    used = set(project["data"].get("features") or [])
    banned = used & set(goal.get("without_features", []))
    if banned:
        return False, _("uses {features}").format(features=", ".join(sorted(banned)))
    value = metrics.get(goal["metric"])
    metric = _(METRIC_WORDS[goal["metric"]])
    if value is None:
        return False, _("no {metric} yet (train an epoch; is there a split for it?)").format(metric=metric)
    if not math.isfinite(value):
        return False, _("the {metric} is not finite: the run diverged").format(metric=metric)
    shown = f"{value:.1%}" if "accuracy" in goal["metric"] else number(value)
    if ("below" in goal and value < goal["below"]) or ("above" in goal and value > goal["above"]):
        return True, _("{metric} {value}").format(metric=metric, value=shown)
    return False, _("{metric} is {value}").format(metric=metric, value=shown)


def _pattern(target_path: str) -> re.Pattern[str]:
    body = re.escape(target_path).replace(r"\[\]", r"(?:\.\d+|\[\d+\])")
    return re.compile(body + r"(?:[.\[].*)?")


def covers(target_path: str, path: str) -> bool:
    """Whether an edit of `path` falls under a lesson's target ("network.layers[].activation"
    covers "network.layers.2.activation"; "training.optimizer" covers its learning rate)."""
    return _pattern(target_path).fullmatch(path) is not None


def values_at(project: dict[str, Any], target_path: str) -> Any:
    """What a target holds in `project` (a list over layers for a [] path); None when absent."""
    def walk(node: Any, parts: list[str]) -> Any:
        for i, part in enumerate(parts):
            if part.endswith("[]"):
                items = node.get(part[:-2], []) if isinstance(node, dict) else []
                return [walk(item, parts[i + 1:]) for item in items]
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    return walk(project, target_path.split("."))


def locked_edit(locked: list[str], before: dict[str, Any], after: dict[str, Any], paths: list[str]) -> str | None:
    """The first locked target an edit would change (paths under it, or a parent replaced with
    a different value for it), else None. View and panel targets hold no setting."""
    for t in locked:
        t = target(t)
        if t in PANELS or t.startswith("view."):
            continue
        for p in paths:
            if covers(t, p) or (t.startswith(p + ".") and values_at(before, t) != values_at(after, t)):
                return t
    return None
