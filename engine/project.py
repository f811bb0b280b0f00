"""The project file: everything needed to reproduce a run, as versioned JSON.

`normalize_project` fills defaults and rejects unknown keys, wrong types and out-of-range
values with a message naming the key (``training.batch_size must be >= 1, got 0``). The
result is a plain dict that the app edits, the trainer reads and `save_project` writes.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from .activations import ACTIVATIONS
from .build import (  # noqa: F401  (engine.project's names for building runs, kept)
    SINGLE_OUTPUT_LOSSES,
    PreparedData,
    build_network,
    load_dataset,
    output_width,
    prepare_data,
    resolve_path,
)
from .data import (
    CLASS_RANGE,
    DATASETS,
    DEFAULT_SAMPLES,
    FEATURES,
    GENERATORS,
    NORMALIZATIONS,
    PROBLEMS,
)
from .data.folders import COLORS, MAX_SIDE
from .data.generators import check_sequence_size
from .errors import PlaygroundError
from .fields import MAX_LAYERS, check, check_number
from .initializers import INITIALIZERS
from .layer_base import LAYERS, kind_of
from .layers import offered
from .losses import LOSSES, check_fit
from .optimizers import HYPERPARAMETER_BOUNDS, OPTIMIZERS, SCHEDULE_BOUNDS, SCHEDULE_DEFAULTS, SCHEDULES, legacy_keys
from .registry import Registry, spec_name

FORMAT = "nn-playground/1"

DEFAULT_PROJECT: dict[str, Any] = {
    "format": FORMAT,
    "seed": 0,
    "data": {
        "source": "circle",
        "problem": "classification",
        "samples": None,
        "noise": 0.0,
        "classes": 2,
        "features": ["x1", "x2"],
        "normalize": "none",
        "test_fraction": 0.5,
        "validation_fraction": 0.0,
        "split": "stratified",
    },
    "network": {
        "layers": [
            {"units": 4, "activation": "tanh", "dropout": 0.0},
            {"units": 2, "activation": "tanh", "dropout": 0.0},
        ],
        "output_activation": "sigmoid",
        "initializer": "glorot_uniform",
        "dtype": "float64",
    },
    "training": {
        "loss": "binary_crossentropy",
        "optimizer": {"name": "sgd", "learning_rate": 0.03},
        "regularization": {"kind": "none", "rate": 0.0, "l1_rule": "subgradient"},
        "schedule": {"name": "constant"},
        "batch_size": 10,
        "last_batch": "partial",
        "shuffle": True,
        "epochs": 100,
        "early_stopping": None,
    },
}
#: What an early_stopping object holds when some keys are left out (null turns it off).
EARLY_STOPPING_DEFAULTS: dict[str, Any] = {
    "monitor": "val_loss",
    "patience": 10,
    "min_delta": 0.0,
    "restore_best_weights": True,
}

def default_project() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_PROJECT)


# ----------------------------------------------------------------- validation helpers
def _fail(key: str, msg: str) -> PlaygroundError:
    return PlaygroundError(f"{key} {msg}")


def _keys(obj: Any, key: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise _fail(key, f"must be an object, got {type(obj).__name__}")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise _fail(
            f"{key}.{unknown[0]}" if key else unknown[0], f"is not a known key (known: {', '.join(sorted(allowed))})"
        )
    return obj


def _num(value: Any, key: str, lo: float | None = None, hi: float | None = None, **kw: Any) -> Any:
    return check_number(value, key, lo, hi, **kw)


def _choice(value: Any, key: str, options: list[str] | tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in options:
        raise _fail(key, f"must be one of {', '.join(options)}, got {value!r}")
    return value


def _named(value: Any, key: str, registry: Registry[Any]) -> str:
    """A registry name, accepting Keras's spellings and any case ("Adam", "MeanSquaredError",
    "sparse_categorical_crossentropy"); the file is normalised to the registered name."""
    name = registry.canonical(value)
    if name is None:
        raise _fail(key, f"must be one of {', '.join(registry.names())}, got {value!r}")
    return name


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(key, f"must be true or false, got {value!r}")
    return value


def _merge(default: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(default)
    out.update(copy.deepcopy(given))
    return out


# ----------------------------------------------------------------- sections
def _source(src: Any, base: Path | None) -> Any:
    key = "data.source"
    if isinstance(src, str):
        return _choice(src, key, GENERATORS.names())
    if isinstance(src, dict) and set(src) == {"points"}:
        return {"points": _points(src["points"])}
    if isinstance(src, dict) and len(src) >= 1:
        kinds = [k for k in ("csv", "npz", "idx", "folder") if k in src]
        if len(kinds) != 1:
            raise _fail(key, 'must be a generator name or one of {"csv": path}, {"npz": path}, {"idx": {...}}, '
                        '{"folder": path, "size": [height, width]}')  # fmt: skip
        kind = kinds[0]
        if kind == "folder":
            return _folder(src)
        _keys(src, key, {kind, "label"} if kind == "csv" else {kind})
        if kind == "idx":
            paths = _keys(src["idx"], f"{key}.idx", {"images", "labels"})
            for part in ("images", "labels"):
                if not isinstance(paths.get(part), str):
                    raise _fail(f"{key}.idx.{part}", "must be a file path")
        elif not isinstance(src[kind], str):
            raise _fail(f"{key}.{kind}", "must be a file path")
        if "label" in src and (isinstance(src["label"], bool) or not isinstance(src["label"], (str, int))):
            raise _fail(f"{key}.label", "must be a column name or index")
        return copy.deepcopy(src)
    raise _fail(key, f"must be a generator name ({', '.join(GENERATORS.names())}) or a file, got {src!r}")


def _folder(src: dict[str, Any]) -> dict[str, Any]:
    """An image folder: {"folder": path, "size": [height, width], "color": "grayscale" or "rgb" (Keras's
    default)}, written back in that order with every key."""
    key = "data.source"
    _keys(src, key, {"folder", "size", "color"})
    if not isinstance(src["folder"], str) or not src["folder"]:
        raise _fail(f"{key}.folder", "must be a folder path")
    size = src.get("size")
    if not isinstance(size, list) or len(size) != 2:
        raise _fail(f"{key}.size", f"must be [height, width] in pixels, each 1 to {MAX_SIDE} (e.g. [28, 28]), "
                    f"got {size!r}")  # fmt: skip
    h, w = (check_number(v, f"{key}.size[{i}]", 1, MAX_SIDE, integer=True) for i, v in enumerate(size))
    return {"folder": src["folder"], "size": [h, w], "color": _choice(src.get("color", "rgb"), f"{key}.color",
                                                                       tuple(COLORS))}  # fmt: skip


def _points(pts: Any) -> dict[str, Any]:
    """Inline 2-D points (drawn by hand in the app): {"x": [[x1, x2], ...], "y": [label, ...]}."""
    key = "data.source.points"
    _keys(pts, key, {"x", "y"})
    x, y = pts.get("x"), pts.get("y")
    if not isinstance(x, list) or not isinstance(y, list) or len(x) != len(y):
        raise _fail(key, "must hold lists x and y of the same length")
    if not 1 <= len(x) <= 100_000:
        raise _fail(key, f"must hold 1 to 100,000 points, got {len(x)}")
    fast = _points_fast(x, y)
    if fast is not None:
        return fast
    for i, (p, label) in enumerate(zip(x, y)):  # find the first bad one and name it
        if not isinstance(p, list) or len(p) != 2:
            raise _fail(f"{key}.x[{i}]", "must be a pair [x1, x2]")
        _num(p[0], f"{key}.x[{i}][0]")
        _num(p[1], f"{key}.x[{i}][1]")
        _num(label, f"{key}.y[{i}]")
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
    _keys(d, "data", set(DEFAULT_PROJECT["data"]) | {"sequence_length"})
    given_problem = "problem" in d
    given = set(d)
    # The source is not copied here: _source rebuilds it (10,000 drawn points cost 10 ms to copy).
    source = d.get("source", DEFAULT_PROJECT["data"]["source"])
    d = {**_merge(DEFAULT_PROJECT["data"], {k: v for k, v in d.items() if k != "source"}), "source": source}
    d["source"] = _source(d["source"], base)
    generated = isinstance(d["source"], str)
    problem = PROBLEMS[d["source"]] if generated and not given_problem else d["problem"]
    d["problem"] = _choice(problem, "data.problem", ("classification", "regression"))
    if generated and PROBLEMS[d["source"]] != d["problem"]:
        raise _fail("data.problem", f"must be {PROBLEMS[d['source']]} for the {d['source']} data set")
    if not generated and "folder" in d["source"] and d["problem"] != "classification":
        raise _fail("data.problem", "must be classification for an image folder (its class folders are the labels)")
    if d["samples"] is None:
        d["samples"] = DATASETS.get(d["source"]).default_samples if generated else DEFAULT_SAMPLES[d["problem"]]
    d["samples"] = check("data.samples", d["samples"])
    cap = DATASETS.get(d["source"]).max_samples if generated else None
    if cap is not None and d["samples"] > cap:
        raise _fail("data.samples", f"must be at most {cap:,}: {d['source']} has {cap:,} samples, got {d['samples']:,}")
    d["noise"] = check("data.noise", d["noise"])
    _sequence_length(d, generated)
    if generated and "classes" not in given and not CLASS_RANGE[d["source"]][0] <= 2 <= CLASS_RANGE[d["source"]][1]:
        d["classes"] = DATASETS.get(d["source"]).default_classes  # digits: 10, iris: 3 (never 2)
    d["classes"] = check("data.classes", d["classes"])
    if d["problem"] == "classification" and d["classes"] < 2:
        raise _fail("data.classes", f"must be >= 2 for classification, got {d['classes']}")
    if generated and d["problem"] == "classification":
        lo, hi = CLASS_RANGE[d["source"]]
        if not lo <= d["classes"] <= hi:
            raise _fail(
                "data.classes",
                f"must be {lo}" + (f" to {hi}" if hi > lo else "") + f" for {d['source']}, got {d['classes']}",
            )
    feats = d["features"]
    if feats is not None:
        if not isinstance(feats, list) or not feats:
            raise _fail("data.features", "must be a non-empty list of feature names, or null for raw columns")
        for f in feats:
            _choice(f, "data.features[]", FEATURES.names())
        if len(set(feats)) != len(feats):
            raise _fail("data.features", "lists a feature twice")
    d["normalize"] = _choice(d["normalize"], "data.normalize", NORMALIZATIONS)
    d["test_fraction"] = check("data.test_fraction", d["test_fraction"])
    d["validation_fraction"] = check("data.validation_fraction", d["validation_fraction"])
    if d["test_fraction"] + d["validation_fraction"] >= 1:
        raise _fail("data.test_fraction", "plus data.validation_fraction must be < 1")
    d["split"] = check("data.split", d["split"])
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
    d["sequence_length"] = check("data.sequence_length", d["sequence_length"])
    if info is not None and info.kind == "sequence":
        check_sequence_size(d["samples"], d["sequence_length"], "data.sequence_length")


def _network(n: Any) -> dict[str, Any]:
    _keys(n, "network", set(DEFAULT_PROJECT["network"]) | {"bias_init"})
    n = _merge(DEFAULT_PROJECT["network"], n)
    if not isinstance(n["layers"], list):
        raise _fail("network.layers", "must be a list of hidden layers (may be empty)")
    if len(n["layers"]) > MAX_LAYERS:
        raise _fail("network.layers", f"may hold at most {MAX_LAYERS} hidden layers, got {len(n['layers'])}")
    n["layers"] = [_layer(layer, f"network.layers[{i}]") for i, layer in enumerate(n["layers"])]
    n["output_activation"] = _activation(n["output_activation"], "network.output_activation")
    n["initializer"] = _named(n["initializer"], "network.initializer", INITIALIZERS)
    n["dtype"] = _choice(n["dtype"], "network.dtype", ("float64", "float32"))
    if "bias_init" in n:
        n["bias_init"] = check("network.bias_init", n["bias_init"])
    return n


def _layer(layer: Any, key: str) -> dict[str, Any]:
    """A hidden layer checked key by key against its kind's declared keys (Keras's names; a layer
    without a "type" is the default kind, dense, whose type is not stored), defaults filled in."""
    if isinstance(layer, dict) and "type" in layer:
        _choice(layer["type"], f"{key}.type", [kind.name for kind in offered()])
    kind = kind_of(layer) if isinstance(layer, dict) else kind_of({})
    names = [k.name for k in kind.keys]
    default = kind.name == LAYERS.default
    if default and isinstance(layer, dict):
        layer = {k: v for k, v in layer.items() if k != "type"}  # the default kind's type is not stored
    _keys(layer, key, set(names) if default else {"type", *names})
    out: dict[str, Any] = {} if default else {"type": kind.name}
    for k in kind.keys:
        if k.name not in layer and k.required:
            raise _fail(f"{key}.{k.name}", "is missing")
        value = layer.get(k.name, k.default)
        where = f"{key}.{k.name}"
        if k.kind == "activation":
            out[k.name] = _activation(value, where)
        else:
            out[k.name] = check(f"network.layers[].{k.name}", value, where)
        if not k.written_at_default and out[k.name] == k.default:
            del out[k.name]  # a key files written before it came never held: left out at its default
    return out


def _activation(spec: Any, key: str) -> Any:
    """An activation name or {"name": ..., "alpha": ...}, normalised to the registered name."""
    if isinstance(spec, dict):
        name = _named(spec.get("name"), f"{key}.name", ACTIVATIONS)
        ranges = ACTIVATIONS.get(name).param_ranges
        _keys(spec, key, {"name", *ranges})
        for k, v in spec.items():
            if k != "name":
                _num(v, f"{key}.{k}", *ranges[k])
        return {**spec, "name": name}
    return _named(spec, key, ACTIVATIONS)


def _training(t: Any, notes: list[str] | None = None) -> dict[str, Any]:
    default = DEFAULT_PROJECT["training"]
    _keys(t, "training", set(default))
    given_schedule = t.get("schedule")
    t = _merge(default, t)
    t["loss"] = _named(t["loss"], "training.loss", LOSSES)
    opt = t["optimizer"]
    if isinstance(opt, str):
        opt = {"name": opt}
    if not isinstance(opt, dict):
        raise _fail("training.optimizer", 'must be an object like {"name": "adam", "learning_rate": 0.001}')
    opt, implied, said = legacy_keys(opt)  # older Keras's lr and decay, read as today's keys
    if implied is not None:
        if spec_name(given_schedule) not in (None, "constant"):
            raise _fail("training.optimizer.decay", "is older Keras's time-based decay, a learning-rate schedule, "
                        "and training.schedule sets one too: keep one")  # fmt: skip
        t["schedule"] = implied
    if notes is not None:
        notes += said
    name = _named(opt.get("name"), "training.optimizer.name", OPTIMIZERS)
    cls = OPTIMIZERS.get(name)
    defaults = cls.defaults
    _keys(opt, "training.optimizer", {"name", *defaults})
    for k, v in opt.items():
        if k == "name":
            continue
        key = f"training.optimizer.{k}"
        if isinstance(defaults[k], str):
            _choice(v, key, cls.choices[k])
        elif isinstance(defaults[k], bool):
            _bool(v, key)
        else:
            lo, hi, lo_open, hi_open = HYPERPARAMETER_BOUNDS[k]
            _num(v, key, lo, hi, lo_open=lo_open, hi_open=hi_open)
    # Every hyperparameter spelled out (the optimizer's Keras defaults where the file is
    # silent), so the app, the run history and a saved file all show what training uses.
    t["optimizer"] = {"name": name, **{k: opt.get(k, v) for k, v in defaults.items()}}
    reg = _keys(t["regularization"], "training.regularization", set(default["regularization"]))
    reg = _merge(default["regularization"], reg)
    for key in reg:
        reg[key] = check(f"training.regularization.{key}", reg[key])
    t["regularization"] = reg
    sched = t["schedule"]
    if isinstance(sched, str):
        sched = {"name": sched}
    if not isinstance(sched, dict):
        raise _fail("training.schedule", 'must be an object like {"name": "cosine", "decay_steps": 1000}')
    sname = _named(sched.get("name", "constant"), "training.schedule.name", SCHEDULES)
    _keys(sched, "training.schedule", {"name", *SCHEDULE_DEFAULTS[sname]})
    for k, v in sched.items():
        if k != "name":
            _num(v, f"training.schedule.{k}", *SCHEDULE_BOUNDS[k])
    t["schedule"] = {"name": sname, **{k: v for k, v in sched.items() if k != "name"}}
    t["batch_size"] = check("training.batch_size", t["batch_size"])
    t["last_batch"] = check("training.last_batch", t["last_batch"])
    t["shuffle"] = _bool(t["shuffle"], "training.shuffle")
    t["epochs"] = check("training.epochs", t["epochs"])
    if t["early_stopping"] is not None:
        t["early_stopping"] = _early_stopping(t["early_stopping"])
    return t


def _early_stopping(es: Any) -> dict[str, Any]:
    es = _merge(EARLY_STOPPING_DEFAULTS, _keys(es, "training.early_stopping", set(EARLY_STOPPING_DEFAULTS)))
    es["monitor"] = _choice(
        es["monitor"], "training.early_stopping.monitor", ("val_loss", "loss", "val_accuracy", "accuracy")
    )
    es["patience"] = check("training.early_stopping.patience", es["patience"])
    es["min_delta"] = check("training.early_stopping.min_delta", es["min_delta"])
    es["restore_best_weights"] = _bool(es["restore_best_weights"], "training.early_stopping.restore_best_weights")
    return es


SECTIONS = ("data", "network", "training")


def normalize_project(
    raw: Any, base_dir: str | Path | None = None, trusted: Collection[str] = (), notes: list[str] | None = None
) -> dict[str, Any]:
    """A complete, validated project dict from `raw` (a parsed project file). Older Keras keys it
    reads as today's (lr, decay) are said in `notes`, when a list is given.

    `trusted`: sections of `raw` taken as they are because they come unchanged from a project
    this function returned (an edit re-validates only the sections it touched); the rules
    between sections are always checked."""
    _keys(raw, "", {"format", "seed", "data", "network", "training", "app"})
    if raw.get("format") != FORMAT:
        raise _fail("format", f"must be {FORMAT!r}, got {raw.get('format')!r}")
    seed = check("seed", raw.get("seed", 0))
    base = Path(base_dir) if base_dir else None
    data = raw["data"] if "data" in trusted else _data(raw.get("data", {}), base)
    network = raw["network"] if "network" in trusted else _network(raw.get("network", {}))
    training = raw["training"] if "training" in trusted else _training(raw.get("training", {}), notes)
    # Loss, problem, class count and output activation must agree (the loss's descriptor says how).
    check_fit(training["loss"], network["output_activation"], data["problem"], data["classes"])
    out = {"format": FORMAT, "seed": seed, "data": data, "network": network, "training": training}
    if "app" in raw:
        if not isinstance(raw["app"], dict):
            raise _fail("app", "must be an object")
        out["app"] = copy.deepcopy(raw["app"])
        if "lesson" in out["app"]:
            from .lessons import validate_lesson  # lessons read the data registries: import late

            out["app"]["lesson"] = validate_lesson(out["app"]["lesson"])
        if "epoch_limit" in out["app"]:
            out["app"]["epoch_limit"] = check("app.epoch_limit", out["app"]["epoch_limit"])
    return out
