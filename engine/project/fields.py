"""The field table: for every project path, its type, range, choices, default and what changing it does.

TensorFlow Playground keeps one such table (State.PROPS) that drives its URL, controls and
defaults; here the project validator (its keys, defaults and every check a setting needs
alone), the default project, the app's panels (ranges and choices), the session's
live-or-rebuild decision and the worker all read this one table. Paths are dotted; `[]` stands
for any list index (`network.layers[].units`), and `*` for the keys of an object whose own
registry knows them (any other optimizer or schedule key). A layer kind's keys come from its
`Key`s (engine/core/layers/base.py), an optimizer's hyperparameters from its defaults and
HYPERPARAMETER_BOUNDS, a schedule's from SCHEDULE_DEFAULTS and SCHEDULE_BOUNDS: declared once,
there.

Effects, weakest first: NONE (nothing to do: the app's notes), LIVE (the running trainer takes
it at its next step), OPTIMIZER (a new optimizer, same network and data), NETWORK (a new network
on the same prepared data), DATA (the data are read and prepared again). One edit's effect is the
strongest of its paths'.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from ..core.activations import ACTIVATIONS
from ..core.errors import PlaygroundError
from ..core.i18n import N_, _
from ..core.initializers import INITIALIZERS
from ..core.layers import LAYERS, offered
from ..core.layers.base import Key
from ..core.limits import (  # noqa: F401  (re-exported with the rest)
    MAX_ACTIVATIONS,
    MAX_BATCH,
    MAX_EPOCHS,
    MAX_LAYERS,
    MAX_PARAMS,
    MAX_SAMPLES,
    MAX_SEED,
    MAX_UNITS,
    check_number,
    fmt,
    show,
)
from ..core.losses import LOSSES
from ..core.optimizers import HYPERPARAMETER_BOUNDS, OPTIMIZERS, SCHEDULE_BOUNDS, SCHEDULE_DEFAULTS, SCHEDULES
from ..core.registry import Registry
from ..core.regularizers import L1_RULES, REGULARIZERS
from ..data.dataset import PROBLEM_KINDS, SPLITS
from ..data.features import NORMALIZATIONS
from ..data.generators import MAX_SEQUENCE_LENGTH, MIN_SEQUENCE_LENGTH
from ..run.training import LAST_BATCH

FORMAT = "nn-playground/1"


class Effect(IntEnum):
    NONE = 0
    LIVE = 1
    OPTIMIZER = 2
    NETWORK = 3
    DATA = 4


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: A field without a default of its own (an object's is its fields' defaults).
UNSET: Any = _Unset()


@dataclass(frozen=True)
class Field:
    path: str
    effect: Effect
    label: str  # in the user's words, for messages and the app
    #: number, integer, boolean, choice, activation (a registered name or {"name": ..., **its
    #: parameters}), list (its items checked by their own fields) or object.
    kind: str = "object"
    lo: float | None = None  # a list's: the fewest items, hi: the most
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: Callable[[], Sequence[str]] | None = None
    help: str = ""  # what the setting does and why one would change it, for tooltips and the docs
    #: (choice, the words the app shows for it): a choice's identifier stays in files and links.
    names: tuple[tuple[str, str], ...] = ()
    #: What a project that leaves it out holds (UNSET: an object's fields' defaults; null where
    #: the default is null is allowed, and means what the section's rules say).
    default: Any = UNSET
    #: Left out of a project that leaves it out (its default applies where it is read).
    optional: bool = False
    #: A choice of a registry's names: Keras's spellings and any case are read as the name.
    registry: Registry[Any] | None = None
    #: How far one step of the app's spin box moves (None: 1, or the panel's own).
    step: float | None = None

    @functools.cached_property
    def name(self) -> str:
        """Its key in the object that holds it."""
        return self.path.rpartition(".")[2]

    def name_of(self, choice: str) -> str:
        """A choice in the app's words (its identifier when the table gives none)."""
        return dict(self.names).get(choice, choice)

    def check(self, value: Any, key: str | None = None) -> Any:
        """`value` validated as this field (key: the concrete path, for the message); a registry's
        choice comes back as its registered name, a number as a float or int."""
        key = key or self.path
        if value is None and self.default is None:
            return None
        if self.kind in ("number", "integer"):
            return check_number(value, key, self.lo, self.hi, self.kind == "integer", self.lo_open, self.hi_open)
        if self.kind == "boolean":
            if not isinstance(value, bool):
                raise PlaygroundError(_("{key} must be true or false, got {value}").format(
                                          key=key, value=show(value)))
            return value
        if self.kind == "choice":
            return self._choice(value, key)
        if self.kind == "activation":
            return _activation(value, key)
        if self.kind == "list":
            return self._list(value, key)
        return value

    def _choice(self, value: Any, key: str) -> str:
        if self.registry is not None:
            return _named(self.registry, value, key)
        options = list(self.choices()) if self.choices is not None else []
        if not isinstance(value, str) or value not in options:
            raise PlaygroundError(_("{key} must be one of {options}, got {value}").format(
                                      key=key, options=', '.join(options), value=show(value)))
        return value

    def _list(self, value: Any, key: str) -> list[Any]:
        if not isinstance(value, list):
            if self.lo:
                raise PlaygroundError(_("{key} must be a list of {label}").format(key=key, label=_(self.label)))
            raise PlaygroundError(_("{key} must be a list of {label} (may be empty)").format(
                                      key=key, label=_(self.label)))
        if self.lo is not None and len(value) < self.lo:
            raise PlaygroundError(_("{key} must hold at least {lo} {label}, got {count}").format(
                                      key=key, lo=fmt(self.lo), label=_(self.label), count=len(value)))
        if self.hi is not None and len(value) > self.hi:
            raise PlaygroundError(_("{key} may hold at most {hi} {label}, got {count}").format(
                                      key=key, hi=fmt(self.hi), label=_(self.label), count=len(value)))
        return value


def check_keys(obj: Any, key: str, known: Collection[str]) -> dict[str, Any]:
    """`obj` as an object holding only `known` keys, or a message naming the first other one."""
    if not isinstance(obj, dict):
        raise PlaygroundError(_("{key} must be an object, got {type}").format(key=key, type=type(obj).__name__))
    unknown = sorted(set(obj) - set(known))
    if unknown:
        where = f"{key}.{unknown[0]}" if key else unknown[0]
        raise PlaygroundError(_("{where} is not a known key (known: {known})").format(
                                  where=where, known=', '.join(sorted(known))))
    return obj


def _named(registry: Registry[Any], value: Any, key: str) -> str:
    """A registry's name, accepting Keras's spellings and any case ("Adam", "MeanSquaredError",
    "sparse_categorical_crossentropy"): a file is normalised to the registered name."""
    name = registry.canonical(value)
    if name is None:
        raise PlaygroundError(_("{key} must be one of {names}, got {value}").format(
                                  key=key, names=', '.join(registry.names()), value=show(value)))
    return name


def _activation(spec: Any, key: str) -> Any:
    """An activation's name, or {"name": ..., **parameters} each within the activation's own
    param_ranges, normalised to the registered name."""
    if isinstance(spec, dict):
        name = _named(ACTIVATIONS, spec.get("name"), f"{key}.name")
        ranges = ACTIVATIONS.get(name).param_ranges
        check_keys(spec, key, {"name", *ranges})
        for k, v in spec.items():
            if k != "name":
                check_number(v, f"{key}.{k}", *ranges[k])
        return {**spec, "name": name}
    return _named(ACTIVATIONS, spec, key)


def _layer_field(key: Key) -> Field:
    """The field of a layer kind's key: the table's kinds are the keys' (an unknown kind is an object)."""
    kind = key.kind if key.kind in ("integer", "number", "choice", "boolean", "activation") else "object"
    choices = (lambda: key.choices) if key.choices else None
    return Field(f"network.layers[].{key.name}", Effect.NETWORK, key.label, kind, key.lo, key.hi,
                 hi_open=key.hi_open, choices=choices, help=key.help)  # fmt: skip


def layer_fields() -> list[Field]:
    """One field per key any layer kind declares (network.layers[].<key>), as the kinds declare
    them: a key two kinds share (activation, pool_size) is one field, and the kinds must agree on
    its type and range (its default is each kind's own, in its Key)."""
    fields: dict[str, Field] = {}
    for name in LAYERS.names():
        for key in LAYERS.get(name).keys:
            fields.setdefault(key.name, _layer_field(key))
    return list(fields.values())


def optimizer_fields() -> list[Field]:
    """One field per hyperparameter any optimizer has (training.optimizer.<key>), typed by its
    default (a word: a choice; true or false; a number within HYPERPARAMETER_BOUNDS); its default
    is each optimizer's own. Optimizers sharing a key share the field."""
    fields: dict[str, Field] = {}
    for name in OPTIMIZERS.names():
        cls = OPTIMIZERS.get(name)
        for key, default in cls.defaults.items():
            path, words = f"training.optimizer.{key}", key.replace("_", " ")
            if isinstance(default, str):
                fields.setdefault(key, Field(path, Effect.LIVE, words, "choice", choices=lambda c=cls.choices[key]: c))
            elif isinstance(default, bool):
                fields.setdefault(key, Field(path, Effect.LIVE, words, "boolean"))
            else:
                lo, hi, lo_open, hi_open = HYPERPARAMETER_BOUNDS[key]
                fields.setdefault(key, Field(path, Effect.LIVE, words, "number", lo, hi, lo_open, hi_open))
    return list(fields.values())


def schedule_fields() -> list[Field]:
    """One field per learning-rate schedule parameter (training.schedule.<key>), within
    SCHEDULE_BOUNDS; its default is each schedule's own (SCHEDULE_DEFAULTS)."""
    keys = dict.fromkeys(k for params in SCHEDULE_DEFAULTS.values() for k in params)
    return [Field(f"training.schedule.{k}", Effect.LIVE, k.replace("_", " "), "number", *SCHEDULE_BOUNDS[k])
            for k in keys]  # fmt: skip


E = Effect
#: The hidden layers of a new project: TensorFlow Playground's 4 and 2 tanh units.
DEFAULT_LAYERS = [{"units": u, "activation": "tanh", "dropout": 0.0} for u in (4, 2)]
FIELDS: tuple[Field, ...] = (
    Field("format", E.DATA, N_("format"), default=FORMAT),
    Field("seed", E.DATA, N_("seed"), "integer", 0, MAX_SEED, default=0),
    Field("data", E.DATA, N_("data")),
    Field("data.source", E.DATA, N_("data source"), default="circle"),
    Field("data.problem", E.DATA, N_("problem"), "choice", choices=lambda: PROBLEM_KINDS, default="classification"),
    Field("data.samples", E.DATA, N_("samples"), "integer", 2, MAX_SAMPLES, default=None, step=50,
          help=N_("null: the data set's own count")),
    Field("data.noise", E.DATA, N_("noise"), "number", 0, 1, default=0.0),
    Field("data.classes", E.DATA, N_("classes"), "integer", 0, 256, default=2),
    Field("data.features", E.DATA, N_("input features"), default=["x1", "x2"]),
    Field("data.normalize", E.DATA, N_("normalisation"), "choice", choices=lambda: NORMALIZATIONS, default="none"),
    Field("data.test_fraction", E.DATA, N_("test fraction"), "number", 0, 1, hi_open=True, default=0.5),
    Field("data.validation_fraction", E.DATA, N_("validation fraction"), "number", 0, 1, hi_open=True, default=0.0),
    Field("data.split", E.DATA, N_("split"), "choice", choices=lambda: tuple(SPLITS), default="stratified",
          help=N_("stratified: each class split in proportion, rows in the data's order; shuffled: TensorFlow "
                  "Playground's split, one shuffle then the first rows train, in that order"),
          names=(("stratified", N_("stratified by class")), ("shuffled", N_("shuffled once")))),
    Field("data.sequence_length", E.DATA, N_("sequence length"), "integer", MIN_SEQUENCE_LENGTH, MAX_SEQUENCE_LENGTH,
          default=None, optional=True,
          help=N_("T, the steps of each generated sequence (sine, adding, parity); left out, the data set's own "
                  "default. Longer sequences carry information further back: harder for a recurrent layer to learn")),
    Field("network", E.NETWORK, N_("network")),
    Field("network.layers", E.NETWORK, N_("hidden layers"), "list", hi=MAX_LAYERS, default=DEFAULT_LAYERS),
    Field("network.layers[]", E.NETWORK, N_("hidden layer")),
    Field("network.layers[].type", E.NETWORK, N_("layer type"), "choice", choices=lambda: [k.name for k in offered()]),
    *layer_fields(),
    Field("network.output_activation", E.NETWORK, N_("output activation"), "activation", default="sigmoid"),
    Field("network.initializer", E.NETWORK, N_("initializer"), "choice", registry=INITIALIZERS,
          default="glorot_uniform"),
    Field("network.dtype", E.NETWORK, N_("precision"), "choice", choices=lambda: ("float64", "float32"),
          default="float64"),
    Field("network.bias_init", E.NETWORK, N_("initial bias"), "number", -100, 100, default=0.0, optional=True),
    Field("training", E.NETWORK, N_("training")),
    Field("training.loss", E.NETWORK, N_("loss"), "choice", registry=LOSSES, default="binary_crossentropy"),
    Field("training.optimizer", E.OPTIMIZER, N_("optimizer"), default={"name": "sgd", "learning_rate": 0.03}),
    Field("training.optimizer.name", E.OPTIMIZER, N_("optimizer"), "choice", registry=OPTIMIZERS),
    *optimizer_fields(),
    Field("training.optimizer.*", E.LIVE, N_("optimizer setting")),
    Field("training.regularization", E.LIVE, N_("regularization")),
    Field("training.regularization.kind", E.LIVE, N_("regularization"), "choice", choices=REGULARIZERS.names,
          default="none"),
    Field("training.regularization.rate", E.LIVE, N_("regularization rate"), "number", 0, 100, default=0.0),
    Field("training.regularization.l1_rule", E.LIVE, N_("L1 rule"), "choice", choices=lambda: tuple(L1_RULES),
          default="subgradient",
          help=N_("How an L1 step is taken: subgradient (Keras, PyTorch: weights near 0, rarely exactly 0), "
                  "proximal (soft threshold: exact zeros) or tfp (TensorFlow Playground: a weight the penalty carries "
                  "across 0 stops there and its link is dead for good)"),
          names=(("subgradient", N_("subgradient (Keras)")), ("proximal", N_("soft threshold")),
                 ("tfp", N_("TF Playground's")))),
    Field("training.schedule", E.LIVE, N_("learning-rate schedule")),
    Field("training.schedule.name", E.LIVE, N_("learning-rate schedule"), "choice", registry=SCHEDULES,
          default="constant"),
    *schedule_fields(),
    Field("training.schedule.*", E.LIVE, N_("schedule setting")),
    Field("training.batch_size", E.LIVE, N_("batch size"), "integer", 1, MAX_BATCH, default=10),
    Field("training.last_batch", E.LIVE, N_("last partial batch"), "choice", choices=lambda: LAST_BATCH,
          default="partial",
          help=N_("partial: the points left after the last full batch are a smaller step of their own (Keras, "
                  "PyTorch); carry: they wait and join the next epoch's first step (TensorFlow Playground)"),
          names=(("partial", N_("a smaller step")), ("carry", N_("carried over")))),
    Field("training.shuffle", E.NETWORK, N_("shuffle"), "boolean", default=True),
    Field("training.epochs", E.LIVE, N_("epochs"), "integer", 1, MAX_EPOCHS, default=100),
    Field("training.early_stopping", E.LIVE, N_("early stopping"), default=None, help=N_("null: off")),
    Field("training.early_stopping.monitor", E.LIVE, N_("early stopping: watch"), "choice",
          choices=lambda: ("val_loss", "loss", "val_accuracy", "accuracy"), default="val_loss"),
    Field("training.early_stopping.patience", E.LIVE, N_("early stopping: patience"), "integer", 0, MAX_EPOCHS,
          default=10),
    Field("training.early_stopping.min_delta", E.LIVE, N_("early stopping: least change"), "number", 0, 1e6,
          default=0.0),
    Field("training.early_stopping.restore_best_weights", E.LIVE, N_("early stopping: restore best"), "boolean",
          default=True),
    Field("app", E.NONE, N_("app notes"), optional=True),
    Field("app.epoch_limit", E.LIVE, N_("stop at the epoch count"), "boolean", default=False, optional=True),
)  # fmt: skip
_BY_PATH = {f.path: f for f in FIELDS}
#: The fields each object path holds, a file's keys ("*" and list items are not keys).
_CHILDREN: dict[str, list[Field]] = {}
for _f in FIELDS:
    if not _f.name.endswith("[]") and _f.name != "*":
        _CHILDREN.setdefault(_f.path.rpartition(".")[0], []).append(_f)


def children(path: str = "") -> list[Field]:
    """The fields an object at `path` holds ("" for the project), in the order a file stores them."""
    return list(_CHILDREN.get(pattern(path), []))


def defaults(path: str = "", but: Collection[str] = ()) -> dict[str, Any]:
    """What an object at `path` holds when a file leaves its keys out: each field's default, an
    object's own fields' defaults where it has none; optional fields are left out, and the keys
    in `but` (a file gives them). `defaults()` is the default project. A new copy each call."""
    return {k: copy.deepcopy(v) for k, v in _defaults(pattern(path)).items() if k not in but}


@functools.cache
def _defaults(path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in _CHILDREN.get(path, []):
        if f.optional:
            continue
        if f.default is not UNSET:
            out[f.name] = f.default
        elif f.kind == "object" and f.path in _CHILDREN:
            out[f.name] = _defaults(f.path)
    return out


_INDEX = re.compile(r"\.(\d+)(?=\.|$)|\[\d+\]")


def pattern(path: str) -> str:
    """A concrete path as the table writes it: list indices become `[]`."""
    return _INDEX.sub("[]", path)


def field(path: str) -> Field:
    """The table's entry for `path`: exact, else the nearest `*` entry or enclosing object."""
    p = pattern(path)
    while True:
        if p in _BY_PATH:
            return _BY_PATH[p]
        head, __, __ = p.rpartition(".")
        if head and head + ".*" in _BY_PATH:
            return _BY_PATH[head + ".*"]
        if not head:
            raise PlaygroundError(_("{path} is not a project setting").format(path=path))
        p = head


def check(path: str, value: Any, key: str | None = None) -> Any:
    """`value` validated by the field at `path` (`key`, the concrete path, names it)."""
    return field(path).check(value, key or path)


def effect(paths: Iterable[str]) -> Effect:
    """What an edit of these paths needs: the strongest of their effects."""
    return max((field(p).effect for p in paths), default=Effect.NONE)


def label(path: str) -> str:
    """A path in the user's words and language, layers counted from 1: "network.layers.0.units" →
    "layer 1 neurons"; a key of every layer ("network.layers[].units") → "every layer's neurons"."""
    f = field(path)
    if f.label == "hidden layer":
        return _(f.label)
    if "layers[]." in path:
        return _("every layer's {label}").format(label=_(f.label))
    m = re.search(r"layers(?:\.|\[)(\d+)", path)
    return _("layer {number} {label}").format(number=int(m.group(1)) + 1, label=_(f.label)) if m else _(f.label)


_PATH_TOKEN = re.compile(r"\b(?:seed|data|network|training|app)(?:\.[A-Za-z_]\w*|\.\d+|\[\d+\])+")


def humanize(text: str) -> str:
    """A message with every project path in it written as the user sees the setting:
    "network.layers[0].units must be >= 1" → "layer 1 neurons must be >= 1". Only exact table
    entries are replaced (a file name such as data.csv is left alone)."""

    def swap(m: re.Match[str]) -> str:
        token = m.group(0)
        p = pattern(token)
        head = p.rpartition(".")[0]
        if p in _BY_PATH:
            return label(token)
        if head and head + ".*" in _BY_PATH:
            return _(p.rpartition(".")[2].replace("_", " "))  # an optimizer's or schedule's own key
        return token

    return _PATH_TOKEN.sub(swap, text)
