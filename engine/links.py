"""Projects as links: TensorFlow Playground URLs in and out, and `nnp:` project links.

A TensorFlow Playground (TFP) link keeps its state in the URL's hash, one `key=value` per
property of its src/state.ts (`activation=tanh&batchSize=10&dataset=circle&...`), plus
`<control>_hide=true` for controls a teacher hid. `from_tfp` turns one into a project that
trains with TFP's own maths, so a lesson behaves as its author saw it:

- a tanh output against the labels as −1/+1 and the loss ½(output − target)² averaged over
  the batch (`tfp_square`; regression: a linear output and `half_squared`);
- weights uniform in [−0.5, 0.5] (`tfp_uniform`) and biases 0.1, or zeros with `initZero`;
- plain SGD, no input normalisation, the L1 rule that stops a weight at zero; TFP's L2 takes
  the derivative of ½w², so its rate is twice ours (λ_ours = λ_TFP / 2);
- its split (`percTrainData`, 50% by default), noise 0–50 as 0–0.5, batch size and seed.

Missing keys take TFP's defaults. What cannot be carried over is said in the notes.
`to_tfp` writes the reverse where a project fits TFP and lists what does not.

An `nnp:` link is the whole project (without weights) as one line: `nnp:` followed by its JSON,
zlib-compressed, in URL-safe base64. It is read back through the same validation as a file.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import urllib.parse
import zlib
from typing import Any

from .errors import PlaygroundError
from .lessons import TFP_CONTROLS
from .project import FORMAT, normalize_project

TFP_URL = "https://playground.tensorflow.org/"
NNP_PREFIX = "nnp:"
MAX_LINK_CHARS = 1_000_000  # a pasted link longer than this is not read
MAX_LINK_BYTES = 16 * 1024**2  # what its JSON may inflate to

TFP_DATASETS = {"circle": "circle", "xor": "xor", "gauss": "gauss", "spiral": "spiral"}
TFP_REG_DATASETS = {"reg-plane": "plane", "reg-gauss": "multi_gaussian"}
TFP_ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
TFP_FEATURES = {"x": "x1", "y": "x2", "xSquared": "x1^2", "ySquared": "x2^2", "xTimesY": "x1*x2",
                "sinX": "sin(x1)", "sinY": "sin(x2)"}  # fmt: skip
#: TFP's defaults for every key it serializes (src/state.ts), as the strings a hash holds.
TFP_DEFAULTS = {
    "activation": "tanh", "batchSize": "10", "dataset": "circle", "regDataset": "reg-plane",
    "learningRate": "0.03", "regularizationRate": "0", "noise": "0", "networkShape": "4,2",
    "showTestData": "false", "discretize": "false", "percTrainData": "50", "x": "true", "y": "true",
    "xTimesY": "false", "xSquared": "false", "ySquared": "false", "cosX": "false", "sinX": "false",
    "cosY": "false", "sinY": "false", "collectStats": "false", "problem": "classification",
    "regularization": "none", "initZero": "false", "hideText": "false",
}  # fmt: skip
TFP_SAMPLES = {"classification": 500, "regression": 1200}


def _hash(url: str) -> dict[str, str]:
    text = url.strip()
    if len(text) > MAX_LINK_CHARS:
        raise PlaygroundError(f"the link is {len(text):,} characters long; it is not read past {MAX_LINK_CHARS:,}")
    if "#" in text:
        text = text.split("#", 1)[1]
    elif "playground.tensorflow.org" in text:
        text = ""  # the bare site: every default
    out: dict[str, str] = {}
    for part in text.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        out[urllib.parse.unquote(key)] = urllib.parse.unquote(value)
    return out


def is_tfp_link(text: str) -> bool:
    t = text.strip()
    return "playground.tensorflow.org" in t or ("networkShape=" in t and "&" in t)


def _bool(value: str) -> bool:
    return value != "false"  # TFP's rule: anything but "false" is true


def _number(m: dict[str, str], key: str, notes: list[str]) -> float:
    raw = m.get(key, "").strip() or TFP_DEFAULTS[key]
    try:
        value = float(raw)
    except ValueError:
        notes.append(f"{key}={raw!r} is not a number; TensorFlow Playground's default {TFP_DEFAULTS[key]} is used")
        value = float(TFP_DEFAULTS[key])
    if not math.isfinite(value):
        raise PlaygroundError(f"{key}={raw} is not a finite number")
    return value


def _seed(raw: str | None, notes: list[str]) -> int:
    if not raw:
        notes.append("the link has no seed; seed 0 is used (TensorFlow Playground would draw one)")
        return 0
    try:
        value = float(raw)
        seed = round(value * 100_000) if 0 <= value < 1 else int(value)
    except (ValueError, OverflowError):
        seed = zlib.crc32(raw.encode()) & 0x7FFFFFFF
    notes.append(f"seed {raw} becomes seed {seed}: the points are drawn by this app's generator, so they "
                 "follow the same rule as TensorFlow Playground's but are not the same points")  # fmt: skip
    return max(0, min(seed, 2**31 - 1))


def from_tfp(url: str) -> tuple[dict[str, Any], list[str]]:
    """A project from a TensorFlow Playground link, and notes on what was adapted or ignored."""
    m = _hash(url)
    notes: list[str] = []
    known = set(TFP_DEFAULTS) | {"seed", "tutorial"}
    hidden = sorted(k[: -len("_hide")] for k, v in m.items() if k.endswith("_hide") and v == "true")
    for name in [h for h in hidden if h not in TFP_CONTROLS]:
        notes.append(f"{name}_hide: this app has no such control to hide; ignored")
    hidden = [h for h in hidden if h in TFP_CONTROLS]
    for key in sorted(set(m) - known - {k for k in m if k.endswith("_hide")}):
        notes.append(f"{key} is not a TensorFlow Playground setting; ignored")
    get = lambda key: m.get(key) or TFP_DEFAULTS[key]  # noqa: E731
    problem = get("problem")
    if problem not in ("classification", "regression"):
        notes.append(f"problem={problem!r} is unknown; classification is used")
        problem = "classification"
    if problem == "classification":
        name = get("dataset")
        if name not in TFP_DATASETS:
            notes.append(f"dataset={name!r} is not one of TensorFlow Playground's; circle is used")
            name = "circle"
        source = TFP_DATASETS[name]
    else:
        name = get("regDataset")
        if name not in TFP_REG_DATASETS:
            notes.append(f"regDataset={name!r} has no counterpart here; reg-plane is used")
            name = "reg-plane"
        source = TFP_REG_DATASETS[name]
    act = get("activation")
    if act not in TFP_ACTIVATIONS:
        notes.append(f"activation={act!r} is unknown; tanh is used")
        act = "tanh"
    shape_raw = m.get("networkShape", TFP_DEFAULTS["networkShape"]).strip()
    try:
        shape = [int(v) for v in shape_raw.split(",")] if shape_raw else []
    except ValueError:
        raise PlaygroundError(f"networkShape={shape_raw!r} is not a list of neuron counts such as 4,2") from None
    if any(n < 1 for n in shape):
        raise PlaygroundError(f"networkShape={shape_raw!r}: every layer needs at least one neuron")
    features = [ours for key, ours in TFP_FEATURES.items() if _bool(get(key))]
    for key in ("cosX", "cosY"):
        if _bool(get(key)):
            notes.append(f"{key} is ignored, as TensorFlow Playground itself ignores it")
    if not features:
        notes.append("no input feature is on; x1 and x2 are used")
        features = ["x1", "x2"]
    reg = get("regularization")
    if reg not in ("none", "L1", "L2"):
        notes.append(f"regularization={reg!r} is unknown; none is used")
        reg = "none"
    rate = _number(m, "regularizationRate", notes)
    if reg == "L2":
        rate /= 2
        notes.append("L2: TensorFlow Playground's rate is the derivative's (½w²), so the rate here is half of it")
    perc = _number(m, "percTrainData", notes)
    noise = _number(m, "noise", notes)
    batch = _number(m, "batchSize", notes)
    if batch != int(batch):
        raise PlaygroundError(f"batchSize={batch:g} is not a whole number")
    init_zero = _bool(get("initZero"))
    if _bool(get("collectStats")) or m.get("tutorial"):
        notes.append("collectStats and tutorial are TensorFlow Playground page options; ignored")
    regression = problem == "regression"
    raw: dict[str, Any] = {
        "format": FORMAT,
        "seed": _seed(m.get("seed"), notes),
        "app": {
            "title": f"From TensorFlow Playground: {name}, {shape_raw or 'no hidden layer'}, {act}",
            "note": "Imported from a TensorFlow Playground link; trains with its maths (tanh output against "
                    "−1/+1, ½ squared error, weights in [−0.5, 0.5], biases 0.1, plain SGD).",
            "tfp": {"link": url.strip()[:4000], "maths": True},
            "output": {"show_test_data": _bool(get("showTestData")), "discretize": _bool(get("discretize"))},
        },
        "data": {
            "source": source, "problem": problem, "samples": TFP_SAMPLES[problem], "noise": noise / 100,
            "test_fraction": round(1 - perc / 100, 6), "validation_fraction": 0.0, "features": features,
            "normalize": "none",
        },
        "network": {
            "layers": [{"units": n, "activation": act} for n in shape],
            "output_activation": "linear" if regression else "tanh",
            "initializer": "zeros" if init_zero else "tfp_uniform",
            "bias_init": 0.0 if init_zero else 0.1,
        },
        "training": {
            "loss": "half_squared" if regression else "tfp_square",
            "optimizer": {"name": "sgd", "learning_rate": _number(m, "learningRate", notes)},
            "batch_size": int(batch),
            "regularization": {"kind": reg.lower(), "rate": rate},
        },
    }  # fmt: skip
    if hidden:
        raw["app"]["lesson"] = {"hide": hidden}
        notes.append(f"hidden controls: {', '.join(hidden)}")
    try:
        project = normalize_project(raw)
    except PlaygroundError as exc:
        raise PlaygroundError(f"this TensorFlow Playground link does not make a valid project: {exc}") from None
    return project, notes


def uses_tfp_maths(project: dict[str, Any]) -> bool:
    """Whether the project trains with TensorFlow Playground's losses (its other maths follow)."""
    return project["training"]["loss"] in ("tfp_square", "half_squared")


def our_defaults(project: dict[str, Any]) -> dict[str, Any]:
    """The changes that move a TFP-maths project to this app's defaults: a sigmoid output with
    cross-entropy (classification) or MSE (regression), Glorot weights, zero biases."""
    regression = project["data"]["problem"] == "regression"
    return {
        "training.loss": "mse" if regression else "binary_crossentropy",
        "network.output_activation": "linear" if regression else "sigmoid",
        "network.initializer": "glorot_uniform",
        "network.bias_init": 0.0,
    }


def to_tfp(project: dict[str, Any]) -> tuple[str, list[str]]:
    """A TensorFlow Playground link for `project`, and what TFP cannot show of it."""
    d, n, t = project["data"], project["network"], project["training"]
    unfit: list[str] = []
    source = d["source"] if isinstance(d["source"], str) else None
    back = {v: k for k, v in TFP_DATASETS.items()} | {v: k for k, v in TFP_REG_DATASETS.items()}
    if source not in back:
        unfit.append(f"data {source or 'from a file or drawn points'}: TensorFlow Playground has circle, xor, gauss, "
                     "spiral, and plane or multi_gaussian for regression (its default is used)")  # fmt: skip
    dense = [layer for layer in n["layers"] if "units" in layer]
    if len(dense) < len(n["layers"]):
        unfit.append("convolution, pooling and flatten layers: TFP has dense layers only (they are left out)")
    acts = {(layer["activation"] if isinstance(layer["activation"], str) else layer["activation"]["name"])
            for layer in dense}  # fmt: skip
    act = next(iter(acts)) if len(acts) == 1 else "tanh"
    if len(acts) > 1:
        listed = ", ".join(sorted(acts))
        unfit.append(f"layers with different activations ({listed}): TFP has one for all; tanh is used")
    if acts and act not in TFP_ACTIVATIONS:
        unfit.append(f"activation {act}: TFP has relu, tanh, sigmoid and linear; tanh is used")
        act = "tanh"
    shape = [layer["units"] for layer in dense]
    if len(shape) > 6 or any(u > 8 for u in shape):
        unfit.append(f"network {shape}: TFP shows at most 6 layers of 8 neurons")
    if any(layer.get("dropout", 0) for layer in dense):
        unfit.append("dropout: TFP has none")
    opt = t["optimizer"]
    if opt["name"] != "sgd" or opt.get("momentum", 0):
        unfit.append(f"optimizer {opt['name']}: TFP trains with plain SGD")
    if t["loss"] not in ("tfp_square", "half_squared"):
        unfit.append(f"loss {t['loss']}: TFP uses ½ squared error with a tanh output")
    if d["classes"] > 2 and d["problem"] == "classification":
        unfit.append(f"{d['classes']} classes: TFP has two")
    feats = d["features"] or ["x1", "x2"]
    ours_to_tfp = {v: k for k, v in TFP_FEATURES.items()}
    for f in feats:
        if f not in ours_to_tfp:
            unfit.append(f"feature {f}: not in TFP")
    if d["normalize"] != "none":
        unfit.append(f"normalisation {d['normalize']}: TFP feeds the raw features")
    if d["validation_fraction"]:
        unfit.append("a validation split: TFP has train and test only")
    reg = t["regularization"]
    rate = reg["rate"] * 2 if reg["kind"] == "l2" else reg["rate"]
    view = project.get("app", {}).get("output", {})
    regression = d["problem"] == "regression"
    values: dict[str, str] = {
        "activation": act,
        "batchSize": str(t["batch_size"]),
        "dataset": back.get(source, "circle") if not regression else "circle",
        "regDataset": back.get(source, "reg-plane") if regression else "reg-plane",
        "learningRate": f"{opt.get('learning_rate', 0.01):g}",
        "regularizationRate": f"{rate:g}",
        "noise": f"{round(d['noise'] * 100):d}",
        "networkShape": ",".join(map(str, shape)),
        "seed": f"{(project['seed'] % 100_000) / 100_000:.5f}",
        "showTestData": str(bool(view.get("show_test_data", False))).lower(),
        "discretize": str(bool(view.get("discretize", False))).lower(),
        "percTrainData": f"{round((1 - d['test_fraction']) * 100):d}",
        **{key: str(ours in feats).lower() for key, ours in TFP_FEATURES.items()},
        "cosX": "false", "cosY": "false", "collectStats": "false", "problem": d["problem"],
        "regularization": {"none": "none", "l1": "L1", "l2": "L2"}[reg["kind"]],
        "initZero": str(n["initializer"] == "zeros").lower(), "hideText": "false",
    }  # fmt: skip
    hidden = project.get("app", {}).get("lesson", {}).get("hide", [])
    parts = [f"{k}={v}" for k, v in values.items()] + [f"{h}_hide=true" for h in hidden if "." not in h]
    return TFP_URL + "#" + "&".join(parts), unfit


def project_link(project: dict[str, Any]) -> str:
    """The whole project (no weights) as one line: nnp: + URL-safe base64 of its zlib'd JSON."""
    data = zlib.compress(json.dumps(project, separators=(",", ":")).encode(), 9)
    return NNP_PREFIX + base64.urlsafe_b64encode(data).decode().rstrip("=")


def from_project_link(text: str) -> dict[str, Any]:
    """The project an `nnp:` link holds, validated as a file would be."""
    t = text.strip()
    if not t.startswith(NNP_PREFIX):
        raise PlaygroundError("a project link starts with nnp:")
    if len(t) > MAX_LINK_CHARS:
        raise PlaygroundError(f"the link is {len(t):,} characters long; it is not read past {MAX_LINK_CHARS:,}")
    body = t[len(NNP_PREFIX):]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_LINK_BYTES)
        complete = inflater.eof
    except (binascii.Error, ValueError, zlib.error):
        raise PlaygroundError("this nnp: link is damaged (cut short or mistyped): copy it again") from None
    if inflater.unconsumed_tail:
        raise PlaygroundError(f"the link's project is larger than {MAX_LINK_BYTES // 2**20} MB")
    if not complete:
        raise PlaygroundError("this nnp: link is damaged (cut short or mistyped): copy it again")
    from .io import parse_project  # io imports this module's neighbours; keep the import local

    return parse_project(raw, "the link")
