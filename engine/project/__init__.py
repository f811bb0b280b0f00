"""The project file: everything needed to reproduce a run, as versioned JSON.

`normalize_project` fills defaults and rejects unknown keys, wrong types and out-of-range
values with a message naming the key (``training.batch_size must be >= 1, got 0``). The
result is a plain dict that the app edits, the trainer reads and `save_project` writes.

The field table (engine/project/fields.py) declares every setting: the keys an object may hold, what
a file that leaves one out means, and every check a setting needs alone; the default project is
its defaults. This module walks a file through the table and adds the rules between settings,
each named where it is checked: a generated data set fixes its problem, sample cap and class
range; the test and validation fractions leave rows to train on; the loss and output activation
fit the data (engine.core.losses.check_fit). Building a run from a valid project is engine/run/build.py's
(its names are importable from here too).
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import _
from ..core.layers.base import LAYERS, kind_of
from ..core.limits import MAX_POINTS, check_number
from ..core.losses import check_fit
from ..core.optimizers import OPTIMIZERS, SCHEDULE_DEFAULTS, legacy_keys
from ..core.registry import spec_name
from ..data import CLASS_RANGE, DATASETS, DEFAULT_SAMPLES, FEATURES, GENERATORS, PROBLEMS
from ..data.folders import COLORS, MAX_SIDE
from ..data.generators import check_sequence_size
from ..run.build import (  # noqa: F401  (engine.project's names for building runs, kept)
    SINGLE_OUTPUT_LOSSES,
    PreparedData,
    build_network,
    load_dataset,
    output_width,
    prepare_data,
    resolve_path,
)
from .fields import FORMAT, check, check_keys, children, defaults, field

#: A new project: the field table's defaults.
DEFAULT_PROJECT: dict[str, Any] = defaults()
#: What an early_stopping object holds when some keys are left out (null turns it off).
EARLY_STOPPING_DEFAULTS: dict[str, Any] = defaults("training.early_stopping")


def default_project() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_PROJECT)


# ----------------------------------------------------------------- the table's checks
def _fail(key: str, msg: str) -> PlaygroundError:
    return PlaygroundError(_("{key} {msg}").format(key=key, msg=msg))


def _choice(value: Any, key: str, options: list[str] | tuple[str, ...]) -> str:
    """One of a data source's own options (a generator, a colour mode, a feature map)."""
    if not isinstance(value, str) or value not in options:
        raise _fail(key, _("must be one of {options}, got {value!r}").format(
                             options=', '.join(options), value=value))
    return value


def _object(value: Any, path: str, rebuilt: Collection[str] = ()) -> dict[str, Any]:
    """An object of the table at `path`: only its fields' keys, the table's defaults where the
    file is silent, and every field the table checks alone (numbers, choices, true or false,
    activations, lists) checked; the objects inside are left to their own rules. `rebuilt`: keys
    the caller checks and rebuilds itself, taken without a copy (10,000 drawn points cost 10 ms
    to copy)."""
    fields = children(path)
    check_keys(value, path, [f.name for f in fields])
    fill = defaults(path, but=value)
    out: dict[str, Any] = {}
    for f in fields:  # in the table's order, a file's
        if f.name in value:
            out[f.name] = value[f.name] if f.name in rebuilt else copy.deepcopy(value[f.name])
        elif f.name in fill:
            out[f.name] = fill[f.name]
        else:
            continue
        if f.kind != "object":
            out[f.name] = f.check(out[f.name], f"{path}.{f.name}")
    return out


# ----------------------------------------------------------------- data
def _source(src: Any, base: Path | None) -> Any:
    key = "data.source"
    if isinstance(src, str):
        return _choice(src, key, GENERATORS.names())
    if isinstance(src, dict) and set(src) == {"points"}:
        return {"points": _points(src["points"])}
    if isinstance(src, dict) and len(src) >= 1:
        kinds = [k for k in ("csv", "npz", "idx", "folder") if k in src]
        if len(kinds) != 1:
            raise _fail(key, _('must be a generator name or one of {"csv": path}, {"npz": path}, {"idx": {...}}, '
                               '{"folder": path, "size": [height, width]}'))  # fmt: skip
        kind = kinds[0]
        if kind == "folder":
            return _folder(src)
        check_keys(src, key, {kind, "label"} if kind == "csv" else {kind})
        if kind == "idx":
            paths = check_keys(src["idx"], f"{key}.idx", {"images", "labels"})
            for part in ("images", "labels"):
                if not isinstance(paths.get(part), str):
                    raise _fail(f"{key}.idx.{part}", _("must be a file path"))
        elif not isinstance(src[kind], str):
            raise _fail(f"{key}.{kind}", _("must be a file path"))
        if "label" in src and (isinstance(src["label"], bool) or not isinstance(src["label"], (str, int))):
            raise _fail(f"{key}.label", _("must be a column name or index"))
        return copy.deepcopy(src)
    raise _fail(key, _("must be a generator name ({names}) or a file, got {src!r}").format(
                         names=', '.join(GENERATORS.names()), src=src))


def _folder(src: dict[str, Any]) -> dict[str, Any]:
    """An image folder: {"folder": path, "size": [height, width], "color": "grayscale" or "rgb" (Keras's
    default)}, written back in that order with every key."""
    key = "data.source"
    check_keys(src, key, {"folder", "size", "color"})
    if not isinstance(src["folder"], str) or not src["folder"]:
        raise _fail(f"{key}.folder", _("must be a folder path"))
    size = src.get("size")
    if not isinstance(size, list) or len(size) != 2:
        raise _fail(f"{key}.size", _("must be [height, width] in pixels, each 1 to {max_side} (e.g. [28, 28]), got "
                                     "{size!r}").format(max_side=MAX_SIDE, size=size))  # fmt: skip
    h, w = (check_number(v, f"{key}.size[{i}]", 1, MAX_SIDE, integer=True) for i, v in enumerate(size))
    return {"folder": src["folder"], "size": [h, w], "color": _choice(src.get("color", "rgb"), f"{key}.color",
                                                                       tuple(COLORS))}  # fmt: skip


def _points(pts: Any) -> dict[str, Any]:
    """Inline 2-D points (drawn by hand in the app): {"x": [[x1, x2], ...], "y": [label, ...]}."""
    key = "data.source.points"
    check_keys(pts, key, {"x", "y"})
    x, y = pts.get("x"), pts.get("y")
    if not isinstance(x, list) or not isinstance(y, list) or len(x) != len(y):
        raise _fail(key, _("must hold lists x and y of the same length"))
    if not 1 <= len(x) <= MAX_POINTS:
        raise _fail(key, _("must hold 1 to {max_points:,} points, got {count}").format(
                             max_points=MAX_POINTS, count=len(x)))
    fast = _points_fast(x, y)
    if fast is not None:
        return fast
    for i, (p, label) in enumerate(zip(x, y)):  # find the first bad one and name it
        if not isinstance(p, list) or len(p) != 2:
            raise _fail(f"{key}.x[{i}]", _("must be a pair [x1, x2]"))
        check_number(p[0], f"{key}.x[{i}][0]")
        check_number(p[1], f"{key}.x[{i}][1]")
        check_number(label, f"{key}.y[{i}]")
    return {"x": [[float(a), float(b)] for a, b in x], "y": list(y)}


def _points_fast(x: list[Any], y: list[Any]) -> dict[str, Any] | None:
    """The points in a few whole-array checks when every value is a plain finite number (10,000
    drawn points validate in about 3 ms instead of 190); None sends them to the item-by-item
    check, which names the first bad one."""
    if not all(type(p) is list and len(p) == 2 for p in x):
        return None
    if not {type(v) for p in x for v in p} <= {int, float} or not {type(v) for v in y} <= {int, float}:
        return None  # bools, strings, None...: let the slow path say which
    try:
        arr, labels = np.array(x, dtype=np.float64), np.array(y, dtype=np.float64)
    except (OverflowError, ValueError):
        return None
    if not (np.all(np.isfinite(arr)) and np.all(np.isfinite(labels))):
        return None
    return {"x": arr.tolist(), "y": list(y)}


def _data(d: Any, base: Path | None) -> dict[str, Any]:
    given = set(d) if isinstance(d, dict) else set()
    d = _object(d, "data", rebuilt=("source",))
    d["source"] = _source(d["source"], base)
    generated = isinstance(d["source"], str)
    # Rules between settings: a generated data set decides its problem, caps its samples and
    # ranges its classes; image folders are classification.
    if generated and "problem" not in given:
        d["problem"] = PROBLEMS[d["source"]]
    if generated and PROBLEMS[d["source"]] != d["problem"]:
        raise _fail("data.problem", _("must be {problems} for the {source} data set").format(
                                        problems=PROBLEMS[d['source']], source=d['source']))
    if not generated and "folder" in d["source"] and d["problem"] != "classification":
        raise _fail("data.problem", _("must be classification for an image folder (its class folders are the labels)"))
    if d["samples"] is None:  # null: the data set's own count
        d["samples"] = DATASETS.get(d["source"]).default_samples if generated else DEFAULT_SAMPLES[d["problem"]]
        d["samples"] = check("data.samples", d["samples"])
    cap = DATASETS.get(d["source"]).max_samples if generated else None
    if cap is not None and d["samples"] > cap:
        raise _fail("data.samples", _("must be at most {cap:,}: {source} has {cap:,} samples, got {samples:,}").format(
                                        cap=cap, source=d['source'], samples=d['samples']))
    _sequence_length(d, generated)
    lo, hi = CLASS_RANGE[d["source"]] if generated else (2, None)
    if generated and "classes" not in given and not lo <= d["classes"] <= hi:
        d["classes"] = DATASETS.get(d["source"]).default_classes  # digits: 10, iris: 3 (never 2)
    if d["problem"] == "classification" and d["classes"] < 2:
        raise _fail("data.classes", _("must be >= 2 for classification, got {classes}").format(classes=d['classes']))
    if generated and d["problem"] == "classification" and not lo <= d["classes"] <= hi:
        if hi > lo:
            raise _fail("data.classes", _("must be {lo} to {hi} for {source}, got {classes}").format(
                lo=lo, hi=hi, source=d["source"], classes=d["classes"]))
        raise _fail("data.classes", _("must be {lo} for {source}, got {classes}").format(
            lo=lo, source=d["source"], classes=d["classes"]))
    d["features"] = _features(d["features"])
    if d["test_fraction"] + d["validation_fraction"] >= 1:
        raise _fail("data.test_fraction", _("plus data.validation_fraction must be < 1"))
    return d


def _sequence_length(d: dict[str, Any], generated: bool) -> None:
    """data.sequence_length, T of a generated sequence set: its default where a file leaves it out
    (a project on other data holds it only when given, and keeps it for the next sequence set)."""
    info = DATASETS.get(d["source"]) if generated else None
    if d.get("sequence_length") is None:
        d.pop("sequence_length", None)
        if info is None or info.kind != "sequence":
            return
        d["sequence_length"] = info.default_length
    if info is not None and info.kind == "sequence":
        check_sequence_size(d["samples"], d["sequence_length"], "data.sequence_length")


def _features(feats: Any) -> list[str] | None:
    """The feature maps of 2-D points, each once; null: the data's raw columns."""
    if feats is None:
        return None
    if not isinstance(feats, list) or not feats:
        raise _fail("data.features", _("must be a non-empty list of feature names, or null for raw columns"))
    for f in feats:
        _choice(f, "data.features[]", FEATURES.names())
    if len(set(feats)) != len(feats):
        raise _fail("data.features", _("lists a feature twice"))
    return feats


# ----------------------------------------------------------------- network
def _network(n: Any) -> dict[str, Any]:
    n = _object(n, "network")
    n["layers"] = [_layer(layer, f"network.layers[{i}]") for i, layer in enumerate(n["layers"])]
    return n


def _layer(layer: Any, key: str) -> dict[str, Any]:
    """A hidden layer checked key by key against its kind's declared keys (Keras's names; a layer
    without a "type" is the default kind, dense, whose type is not stored), defaults filled in."""
    if isinstance(layer, dict) and "type" in layer:
        check("network.layers[].type", layer["type"], f"{key}.type")
    kind = kind_of(layer) if isinstance(layer, dict) else kind_of({})
    names = [k.name for k in kind.keys]
    default = kind.name == LAYERS.default
    if default and isinstance(layer, dict):
        layer = {k: v for k, v in layer.items() if k != "type"}  # the default kind's type is not stored
    check_keys(layer, key, set(names) if default else {"type", *names})
    out: dict[str, Any] = {} if default else {"type": kind.name}
    for k in kind.keys:
        if k.name not in layer and k.required:
            raise _fail(f"{key}.{k.name}", _("is missing"))
        out[k.name] = check(f"network.layers[].{k.name}", layer.get(k.name, k.default), f"{key}.{k.name}")
        if not k.written_at_default and out[k.name] == k.default:
            del out[k.name]  # a key files written before it came never held: left out at its default
    return out


# ----------------------------------------------------------------- training
def _training(t: Any, notes: list[str] | None = None) -> dict[str, Any]:
    given_schedule = t.get("schedule") if isinstance(t, dict) else None
    t = _object(t, "training")
    t["optimizer"], implied = _optimizer(t["optimizer"], notes)
    if implied is not None:
        if spec_name(given_schedule) not in (None, "constant"):
            raise _fail("training.optimizer.decay", _("is older Keras's time-based decay, a learning-rate schedule, "
                                                      "and training.schedule sets one too: keep one"))  # fmt: skip
        t["schedule"] = implied
    t["regularization"] = _object(t["regularization"], "training.regularization")
    t["schedule"] = _schedule(t["schedule"])
    if t["early_stopping"] is not None:
        t["early_stopping"] = _object(t["early_stopping"], "training.early_stopping")
    return t


def _optimizer(opt: Any, notes: list[str] | None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The optimizer with every hyperparameter spelled out (its Keras defaults where the file is
    silent), so the app, the run history and a saved file all show what training uses; and the
    schedule older Keras's `decay` implies, if any."""
    if isinstance(opt, str):
        opt = {"name": opt}
    if not isinstance(opt, dict):
        raise _fail("training.optimizer", _('must be an object like {"name": "adam", "learning_rate": 0.001}'))
    opt, implied, said = legacy_keys(opt)  # older Keras's lr and decay, read as today's keys
    if notes is not None:
        notes += said
    name = check("training.optimizer.name", opt.get("name"))
    hyper = OPTIMIZERS.get(name).defaults
    check_keys(opt, "training.optimizer", {"name", *hyper})
    for k, v in opt.items():
        if k != "name":
            check(f"training.optimizer.{k}", v)
    return {"name": name, **{k: opt.get(k, v) for k, v in hyper.items()}}, implied


def _schedule(sched: Any) -> dict[str, Any]:
    """A learning-rate schedule: a name, or {"name": ..., **its parameters} (those a file leaves
    out take the schedule's defaults where it is read)."""
    if isinstance(sched, str):
        sched = {"name": sched}
    if not isinstance(sched, dict):
        raise _fail("training.schedule", _('must be an object like {"name": "cosine", "decay_steps": 1000}'))
    name = check("training.schedule.name", sched.get("name", field("training.schedule.name").default))
    check_keys(sched, "training.schedule", {"name", *SCHEDULE_DEFAULTS[name]})
    for k, v in sched.items():
        if k != "name":
            check(f"training.schedule.{k}", v)
    return {"name": name, **{k: v for k, v in sched.items() if k != "name"}}


SECTIONS = ("data", "network", "training")


def normalize_project(
    raw: Any, base_dir: str | Path | None = None, trusted: Collection[str] = (), notes: list[str] | None = None
) -> dict[str, Any]:
    """A complete, validated project dict from `raw` (a parsed project file). Older Keras keys it
    reads as today's (lr, decay) are said in `notes`, when a list is given.

    `trusted`: sections of `raw` taken as they are because they come unchanged from a project
    this function returned (an edit re-validates only the sections it touched); the rules
    between sections are always checked."""
    check_keys(raw, "", [f.name for f in children()])
    if raw.get("format") != FORMAT:
        raise _fail("format", _("must be {format!r}, got {value!r}").format(format=FORMAT, value=raw.get('format')))
    seed = check("seed", raw.get("seed", field("seed").default))
    base = Path(base_dir) if base_dir else None
    data = raw["data"] if "data" in trusted else _data(raw.get("data", {}), base)
    network = raw["network"] if "network" in trusted else _network(raw.get("network", {}))
    training = raw["training"] if "training" in trusted else _training(raw.get("training", {}), notes)
    # Loss, problem, class count and output activation must agree (the loss's descriptor says how).
    check_fit(training["loss"], network["output_activation"], data["problem"], data["classes"])
    out = {"format": FORMAT, "seed": seed, "data": data, "network": network, "training": training}
    if "app" in raw:
        if not isinstance(raw["app"], dict):
            raise _fail("app", _("must be an object"))
        out["app"] = copy.deepcopy(raw["app"])
        from .lessons import MAX_NOTE, check_text, validate_lesson  # lessons read the data registries: import late

        for key in ("title", "note"):  # a text, or one per language ({"en": ..., "ko": ...})
            if isinstance(out["app"].get(key), dict):
                out["app"][key] = check_text(f"app.{key}", out["app"][key], limit=MAX_NOTE)
        if "lesson" in out["app"]:
            out["app"]["lesson"] = validate_lesson(out["app"]["lesson"])
        if "epoch_limit" in out["app"]:
            out["app"]["epoch_limit"] = check("app.epoch_limit", out["app"]["epoch_limit"])
        if "weights" in out["app"]:  # the window's initial weights of an imported model, in a file beside it
            name = out["app"]["weights"]
            if not (isinstance(name, str) and name.lower().endswith(".npz") and Path(name).name == name
                    and not name.startswith(".")):  # fmt: skip
                raise _fail("app.weights", _("must name a .npz file beside the project (its initial weights), got "
                                             "{name!r}").format(name=name))  # fmt: skip
    return out
