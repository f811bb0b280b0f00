"""Projects as links: TensorFlow Playground URLs in and out, and `nnp:` project links.

A TensorFlow Playground (TFP) link keeps its state in the URL's hash, one `key=value` per
property of its src/state.ts (`activation=tanh&batchSize=10&dataset=circle&...`), plus
`<control>_hide=true` for controls a teacher hid. `from_tfp` turns one into a project that
trains with TFP's own maths, so a lesson behaves as its author saw it:

- a tanh output against the labels as −1/+1 and the loss ½(output − target)² averaged over
  the batch (`tfp_square`; regression: a linear output and `half_squared`);
- weights uniform in [−0.5, 0.5] (`tfp_uniform`) and biases 0.1, or zeros with `initZero`;
- plain SGD, no input normalisation, TFP's L1 rule (a weight its penalty step carries across
  zero stops there and its link is dead for good: `l1_rule` "tfp"); TFP's L2 takes the
  derivative of ½w² at the weight before the step, so its rate is twice ours (λ_ours = λ_TFP / 2)
  and the step is the same;
- its order and batches (playground.ts generateData and oneStep): the points shuffled once and
  the first `percTrainData`% (50 by default) train, walked in that order every epoch (split
  "shuffled", shuffle off); an update every batchSize points, the points after the last full
  batch carried into the next epoch's first update (last_batch "carry");
- noise 0–50 as 0–0.5, batch size and seed.

Missing keys take TFP's defaults. What cannot be carried over is said in the notes.
`to_tfp` writes the reverse where a project fits TFP and lists what does not.

An `nnp:` link is the whole project (without weights) as one line: `nnp:` followed by its JSON,
zlib-compressed, in URL-safe base64. It is read back through the same validation as a file, and
`read_project_link` names the data files it points at: a link, unlike a file the user opened,
may name any path (`{"csv": "/etc/passwd"}`), so the app reads none until the user agrees. A
link is never made longer than the app reads (MAX_LINK_CHARS).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import re
import urllib.parse
import zlib
from dataclasses import dataclass
from typing import Any

from ..core.errors import PlaygroundError
from ..core.i18n import _
from ..core.layers.base import LAYERS, kind_of
from ..core.registry import spec_name
from . import FORMAT, normalize_project
from .lessons import TFP_CONTROLS

TFP_URL = "https://playground.tensorflow.org/"
NNP_PREFIX = "nnp:"
MAX_LINK_CHARS = 1_000_000  # a pasted link longer than this is not read, and none longer is made
MAX_LINK_BYTES = 16 * 1024**2  # what its JSON may inflate to
MAX_KEY_NOTES = 10  # unknown keys named one by one in the notes; the rest are counted
MAX_NOTE_VALUE = 60  # characters of a value from the link quoted in a note
TFP_EXAMPLE = "https://playground.tensorflow.org/#activation=tanh&batchSize=10&dataset=circle&networkShape=4,2&…"
_TFP_SITE = re.compile(r"(?:^|[\s<(\"'])(?:https?://)?(?:www\.)?playground\.tensorflow\.org(?:[/?#\s>)\"']|$)",
                       re.IGNORECASE)  # fmt: skip

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


def _check_length(text: str) -> None:
    if len(text) > MAX_LINK_CHARS:
        raise PlaygroundError(_("the link is {count:,} characters long; it is not read past {max_link_chars:,}").format(
                                  count=len(text), max_link_chars=MAX_LINK_CHARS))


def _hash(url: str) -> dict[str, str]:
    text = url.strip()
    _check_length(text)
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
    """Whether `text` is a TensorFlow Playground link: the site's address (its state after the
    #, or none for every default), or that state alone with at least one of TFP's keys."""
    t = text.strip()
    if t.startswith(NNP_PREFIX):
        return False
    if _TFP_SITE.search(t[:10_000]):
        return True
    state = t.split("#", 1)[1] if "#" in t else t
    known = set(TFP_DEFAULTS) | {"seed", "tutorial"}
    for part in state.split("&"):
        key, eq, _value = part.partition("=")
        if eq and (key in known or key.endswith("_hide")):
            return True
    return False


def _short(text: str) -> str:
    """A value from the link, cut for a note (a key or value may be most of a megabyte)."""
    return text if len(text) <= MAX_NOTE_VALUE else text[: MAX_NOTE_VALUE - 1] + "…"


def _named(items: list[str], say: Any, rest: str) -> list[str]:
    """A note for each of the first MAX_KEY_NOTES items, then one counting the rest (`rest`: a
    message with {count}): a link with 100,000 unknown keys made a 100,001-line dialog that
    froze the window for 100 s."""
    notes = [say(_short(item)) for item in items[:MAX_KEY_NOTES]]
    if len(items) > MAX_KEY_NOTES:
        notes.append(rest.format(count=len(items) - MAX_KEY_NOTES))
    return notes


def _bool(value: str) -> bool:
    return value != "false"  # TFP's rule: anything but "false" is true


def _number(m: dict[str, str], key: str, notes: list[str]) -> float:
    raw = m.get(key, "").strip() or TFP_DEFAULTS[key]
    try:
        value = float(raw)
    except ValueError:
        notes.append(_("{key}={raw!r} is not a number; TensorFlow Playground's default {default} is used").format(
            key=key, raw=_short(raw), default=TFP_DEFAULTS[key]))
        value = float(TFP_DEFAULTS[key])
    if not math.isfinite(value):
        raise PlaygroundError(_("{key}={raw} is not a finite number").format(key=key, raw=_short(raw)))
    return value


def _seed(raw: str | None, notes: list[str]) -> int:
    if not raw:
        notes.append(_("the link has no seed; seed 0 is used (TensorFlow Playground would draw one)"))
        return 0
    try:
        value = float(raw)
        seed = round(value * 100_000) if 0 <= value < 1 else int(value)
    except (ValueError, OverflowError):
        seed = zlib.crc32(raw.encode()) & 0x7FFFFFFF
    notes.append(_("seed {raw} becomes seed {seed}: the points are drawn by this app's generator, so they follow "
                   "the same rule as TensorFlow Playground's but are not the same points").format(
        raw=_short(raw), seed=seed))
    return max(0, min(seed, 2**31 - 1))


def from_tfp(url: str) -> tuple[dict[str, Any], list[str]]:
    """A project from a TensorFlow Playground link, and notes on what was adapted or ignored
    (a long list of unknown keys is cut to its first few and a count). Anything that is not
    such a link is refused, saying what one looks like."""
    _check_length(url.strip())
    if not is_tfp_link(url):
        if url.strip().startswith(NNP_PREFIX):
            raise PlaygroundError(_("this is an nn-playground project link (nnp:…), not a TensorFlow Playground link; "
                                    "one looks like {tfp_example}").format(tfp_example=TFP_EXAMPLE))
        raise PlaygroundError(_("this is not a TensorFlow Playground link; one looks like {tfp_example}").format(
                                  tfp_example=TFP_EXAMPLE))
    m = _hash(url)
    notes: list[str] = []
    known = set(TFP_DEFAULTS) | {"seed", "tutorial"}
    hidden = sorted(k[: -len("_hide")] for k, v in m.items() if k.endswith("_hide") and v == "true")
    notes += _named([h for h in hidden if h not in TFP_CONTROLS],
                    lambda name: _("{name}_hide: this app has no such control to hide; ignored").format(name=name),
                    _("… and {count:,} more _hide keys for controls this app does not have; ignored"))
    hidden = [h for h in hidden if h in TFP_CONTROLS]
    notes += _named(sorted(set(m) - known - {k for k in m if k.endswith("_hide")}),
                    lambda key: _("{key} is not a TensorFlow Playground setting; ignored").format(key=key),
                    _("… and {count:,} more unknown keys; ignored"))
    get = lambda key: m.get(key) or TFP_DEFAULTS[key]  # noqa: E731
    problem = get("problem")
    if problem not in ("classification", "regression"):
        notes.append(_("problem={problem!r} is unknown; classification is used").format(problem=_short(problem)))
        problem = "classification"
    if problem == "classification":
        name = get("dataset")
        if name not in TFP_DATASETS:
            notes.append(_("dataset={name!r} is not one of TensorFlow Playground's; circle is used").format(
                name=_short(name)))
            name = "circle"
        source = TFP_DATASETS[name]
    else:
        name = get("regDataset")
        if name not in TFP_REG_DATASETS:
            notes.append(_("regDataset={name!r} has no counterpart here; reg-plane is used").format(name=_short(name)))
            name = "reg-plane"
        source = TFP_REG_DATASETS[name]
    act = get("activation")
    if act not in TFP_ACTIVATIONS:
        notes.append(_("activation={act!r} is unknown; tanh is used").format(act=_short(act)))
        act = "tanh"
    shape_raw = m.get("networkShape", TFP_DEFAULTS["networkShape"]).strip()
    try:
        shape = [int(v) for v in shape_raw.split(",")] if shape_raw else []
    except ValueError:
        raise PlaygroundError(_("networkShape={shape_raw!r} is not a list of neuron counts such as 4,2").format(
                                  shape_raw=_short(shape_raw))
                              ) from None  # fmt: skip
    if any(n < 1 for n in shape):
        raise PlaygroundError(_("networkShape={shape_raw!r}: every layer needs at least one neuron").format(
                                  shape_raw=_short(shape_raw)))
    features = [ours for key, ours in TFP_FEATURES.items() if _bool(get(key))]
    for key in ("cosX", "cosY"):
        if _bool(get(key)):
            notes.append(_("{key} is ignored, as TensorFlow Playground itself ignores it").format(key=key))
    if not features:
        notes.append(_("no input feature is on; x1 and x2 are used"))
        features = ["x1", "x2"]
    reg = get("regularization")
    if reg not in ("none", "L1", "L2"):
        notes.append(_("regularization={reg!r} is unknown; none is used").format(reg=_short(reg)))
        reg = "none"
    rate = _number(m, "regularizationRate", notes)
    if reg == "L2":
        rate /= 2
        notes.append(_("L2: TensorFlow Playground's rate is the derivative's (½w²), so the rate here is half of it"))
    perc = _number(m, "percTrainData", notes)
    noise = _number(m, "noise", notes)
    batch = _number(m, "batchSize", notes)
    if batch != int(batch):
        raise PlaygroundError(_("batchSize={batch:g} is not a whole number").format(batch=batch))
    init_zero = _bool(get("initZero"))
    if _bool(get("collectStats")) or m.get("tutorial"):
        notes.append(_("collectStats and tutorial are TensorFlow Playground page options; ignored"))
    regression = problem == "regression"
    raw: dict[str, Any] = {
        "format": FORMAT,
        "seed": _seed(m.get("seed"), notes),
        "app": {
            "title": _("From TensorFlow Playground: {name}, {layers}, {activation}").format(
                name=name, layers=_short(shape_raw) or _("no hidden layer"), activation=act),
            "note": _("Imported from a TensorFlow Playground link; trains with its maths (tanh output against "
                      "−1/+1, ½ squared error, weights in [−0.5, 0.5], biases 0.1, plain SGD) and its rules (one "
                      "fixed order, the last partial batch carried into the next epoch, its L1 rule)."),
            "tfp": {"link": url.strip()[:4000], "maths": True},
            "output": {"show_test_data": _bool(get("showTestData")), "discretize": _bool(get("discretize"))},
        },
        "data": {
            "source": source, "problem": problem, "samples": TFP_SAMPLES[problem], "noise": noise / 100,
            "test_fraction": round(1 - perc / 100, 6), "validation_fraction": 0.0, "features": features,
            "normalize": "none", "split": "shuffled",
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
            "batch_size": int(batch), "last_batch": "carry", "shuffle": False,
            "regularization": {"kind": reg.lower(), "rate": rate, "l1_rule": "tfp"},
        },
    }  # fmt: skip
    if hidden:
        raw["app"]["lesson"] = {"hide": hidden}
        notes.append(_("hidden controls: {controls}").format(controls=", ".join(hidden)))
    try:
        project = normalize_project(raw)
    except PlaygroundError as exc:
        raise PlaygroundError(_("this TensorFlow Playground link does not make a valid project: {exc}").format(
                                  exc=exc)) from None
    return project, notes


def uses_tfp_maths(project: dict[str, Any]) -> bool:
    """Whether the project trains with TensorFlow Playground's losses (its other maths follow)."""
    return project["training"]["loss"] in ("tfp_square", "half_squared")


def our_defaults(project: dict[str, Any]) -> dict[str, Any]:
    """The changes that move a TFP-maths project to this app's defaults: a sigmoid output with
    cross-entropy (classification) or MSE (regression), Glorot weights, zero biases, and Keras's
    rules (a stratified split reshuffled every epoch, the last partial batch a step, L1 by
    subgradient)."""
    regression = project["data"]["problem"] == "regression"
    return {
        "training.loss": "mse" if regression else "binary_crossentropy",
        "network.output_activation": "linear" if regression else "sigmoid",
        "network.initializer": "glorot_uniform",
        "network.bias_init": 0.0,
        "data.split": "stratified",
        "training.shuffle": True,
        "training.last_batch": "partial",
        "training.regularization.l1_rule": "subgradient",
    }


def to_tfp(project: dict[str, Any]) -> tuple[str, list[str]]:
    """A TensorFlow Playground link for `project`, and what TFP cannot show of it."""
    d, n, t = project["data"], project["network"], project["training"]
    unfit: list[str] = []
    source = d["source"] if isinstance(d["source"], str) else None
    back = {v: k for k, v in TFP_DATASETS.items()} | {v: k for k, v in TFP_REG_DATASETS.items()}
    if source not in back:
        if source:
            unfit.append(_("data {source}: TensorFlow Playground has circle, xor, gauss, spiral, and plane or "
                           "multi_gaussian for regression (its default is used)").format(source=source))
        else:
            unfit.append(_("data from a file or drawn points: TensorFlow Playground has circle, xor, gauss, spiral, "
                           "and plane or multi_gaussian for regression (its default is used)"))
    dense = [layer for layer in n["layers"] if kind_of(layer).name == LAYERS.default]
    if len(dense) < len(n["layers"]):
        others = list(dict.fromkeys(kind_of(layer).name for layer in n["layers"] if layer not in dense))
        unfit.append(_("{others} layers: TFP has dense layers only (they are left out)").format(
                         others=', '.join(others)))
    acts = {spec_name(layer["activation"]) for layer in dense}
    act = next(iter(acts)) if len(acts) == 1 else "tanh"
    if len(acts) > 1:
        listed = ", ".join(sorted(acts))
        unfit.append(_("layers with different activations ({listed}): TFP has one for all; tanh is used").format(
                         listed=listed))
    if acts and act not in TFP_ACTIVATIONS:
        unfit.append(_("activation {act}: TFP has relu, tanh, sigmoid and linear; tanh is used").format(act=act))
        act = "tanh"
    shape = [layer["units"] for layer in dense]
    if len(shape) > 6 or any(u > 8 for u in shape):
        unfit.append(_("network {shape}: TFP shows at most 6 layers of 8 neurons").format(shape=shape))
    if any(layer.get("dropout", 0) for layer in dense):
        unfit.append(_("dropout: TFP has none"))
    if any(layer.get("batch_norm") for layer in dense):
        unfit.append(_("batch normalization: TFP has none (left out)"))
    opt = t["optimizer"]
    if opt["name"] != "sgd" or opt.get("momentum", 0):
        unfit.append(_("optimizer {name}: TFP trains with plain SGD").format(name=opt['name']))
    if t["loss"] not in ("tfp_square", "half_squared"):
        unfit.append(_("loss {loss}: TFP uses ½ squared error with a tanh output").format(loss=t['loss']))
    if d["classes"] > 2 and d["problem"] == "classification":
        unfit.append(_("{classes} classes: TFP has two").format(classes=d['classes']))
    feats = d["features"] or ["x1", "x2"]
    ours_to_tfp = {v: k for k, v in TFP_FEATURES.items()}
    for f in feats:
        if f not in ours_to_tfp:
            unfit.append(_("feature {f}: not in TFP").format(f=f))
    if d["normalize"] != "none":
        unfit.append(_("normalisation {normalize}: TFP feeds the raw features").format(normalize=d['normalize']))
    if d["validation_fraction"]:
        unfit.append(_("a validation split: TFP has train and test only"))
    reg = t["regularization"]
    if reg["kind"] == "l1" and reg["l1_rule"] != "tfp":
        unfit.append(_("L1 by the {l1_rule} rule: TFP stops a weight its penalty carries across 0 and drops that "
                       "link for good").format(l1_rule=reg['l1_rule']))  # fmt: skip
    if t["shuffle"] or d["split"] != "shuffled":
        unfit.append(_("the order of the points: TFP shuffles them once and walks that order every epoch"))
    if t["last_batch"] != "carry":
        unfit.append(_("the last partial batch: TFP carries its points into the next epoch's first update"))
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


class LinkTooLong(PlaygroundError):
    """The project would make a link longer than MAX_LINK_CHARS, which nothing would read."""


def _link_chars(packed_bytes: int) -> int:
    return len(NNP_PREFIX) + -(-4 * packed_bytes // 3)


def project_link(project: dict[str, Any]) -> str:
    """The whole project (no weights) as one line: nnp: + URL-safe base64 of its zlib'd JSON.
    A project that would make a link longer than the app reads is refused (LinkTooLong): a
    quick compression first refuses one far past the limit without the slow best one."""
    text = json.dumps(project, separators=(",", ":")).encode()
    quick = len(zlib.compress(text, 1))  # the best compression saves ~8% of this on drawn points
    if _link_chars(quick) > 1.5 * MAX_LINK_CHARS:
        raise LinkTooLong(_too_long(project, int(1.5 * MAX_LINK_CHARS), more=True))
    data = zlib.compress(text, 9)
    if _link_chars(len(data)) > MAX_LINK_CHARS:
        raise LinkTooLong(_too_long(project, _link_chars(len(data))))
    return NNP_PREFIX + base64.urlsafe_b64encode(data).decode().rstrip("=")


def _too_long(project: dict[str, Any], chars: int, more: bool = False) -> str:
    """Why a project makes no link: its link's length (`more`: at least that, from the quick compression)."""
    src = project["data"]["source"]
    if isinstance(src, dict) and "points" in src:
        if more:
            message = _("this project is too big for a link: it would be more than {chars} characters (its {points:,} "
                        "drawn points take most of it), and a link is read up to {most:,}")
        else:
            message = _("this project is too big for a link: it would be {chars} characters (its {points:,} drawn "
                        "points take most of it), and a link is read up to {most:,}")
        return message.format(chars=f"{chars:,}", points=len(src["points"]["y"]), most=MAX_LINK_CHARS)
    if more:
        message = _("this project is too big for a link: it would be more than {chars} characters, and a link is "
                    "read up to {most:,}")
    else:
        message = _("this project is too big for a link: it would be {chars} characters, and a link is read up to "
                    "{most:,}")
    return message.format(chars=f"{chars:,}", most=MAX_LINK_CHARS)


def data_files(project: dict[str, Any]) -> tuple[str, ...]:
    """The files (or image folder) a project's data come from, as written in it (none for a generator
    or drawn points)."""
    src = project["data"]["source"]
    if not isinstance(src, dict):
        return ()
    if "idx" in src:
        return (src["idx"]["images"], src["idx"]["labels"])
    return tuple(src[kind] for kind in ("csv", "npz", "folder") if kind in src)


@dataclass(frozen=True)
class LinkedProject:
    """A project decoded from an nnp: link. `files` are the data files it names, as absolute
    paths: they came from a link, not from the user's choice, so none is read until the user
    agrees (the link may have been made to read /etc/passwd or /proc/self/environ)."""

    project: dict[str, Any]
    files: tuple[str, ...]


def read_project_link(text: str) -> LinkedProject:
    """The project an `nnp:` link holds, validated as a file would be, with the data files it
    names marked as coming from the link."""
    project = from_project_link(text)
    files = tuple(os.path.abspath(os.path.expanduser(f)) for f in data_files(project))
    return LinkedProject(project, files)


def from_project_link(text: str) -> dict[str, Any]:
    """The project an `nnp:` link holds, validated as a file would be (see read_project_link
    for the data files it names)."""
    t = text.strip()
    if not t.startswith(NNP_PREFIX):
        raise PlaygroundError(_("a project link starts with nnp:"))
    _check_length(t)
    body = t[len(NNP_PREFIX):]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_LINK_BYTES)
        complete = inflater.eof
    except (binascii.Error, ValueError, zlib.error):
        raise PlaygroundError(_("this nnp: link is damaged (cut short or mistyped): copy it again")) from None
    if inflater.unconsumed_tail:
        raise PlaygroundError(_("the link's project is larger than {max_link_bytes} MB").format(
                                  max_link_bytes=MAX_LINK_BYTES // 2**20))
    if not complete:
        raise PlaygroundError(_("this nnp: link is damaged (cut short or mistyped): copy it again"))
    from .files import parse_project  # io imports this module's neighbours; keep the import local

    return parse_project(raw, _("the link"))
