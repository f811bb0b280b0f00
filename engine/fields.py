"""The field table: for every project path, its type, range, choices and what changing it does.

TensorFlow Playground keeps one such table (State.PROPS) that drives its URL, controls and
defaults; here the project validator, the app's panels (ranges and choices), the session's
live-or-rebuild decision and the worker all read this one table. Paths are dotted; `[]` stands
for any list index (`network.layers[].units`), and `*` for the keys of an object whose own
registry knows them (an optimizer's hyperparameters, a schedule's parameters).

Effects, weakest first: NONE (nothing to do: the app's notes), LIVE (the running trainer takes
it at its next step), OPTIMIZER (a new optimizer, same network and data), NETWORK (a new network
on the same prepared data), DATA (the data are read and prepared again). One edit's effect is the
strongest of its paths'.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from .data.dataset import SPLITS
from .data.generators import MAX_SEQUENCE_LENGTH, MIN_SEQUENCE_LENGTH
from .errors import PlaygroundError
from .initializers import INITIALIZERS
from .layer_base import Key
from .layers import LAYERS
from .losses import LOSSES
from .optimizers import OPTIMIZERS
from .regularizers import L1_RULES, REGULARIZERS


class Effect(IntEnum):
    NONE = 0
    LIVE = 1
    OPTIMIZER = 2
    NETWORK = 3
    DATA = 4


@dataclass(frozen=True)
class Field:
    path: str
    effect: Effect
    label: str  # in the user's words, for messages and the app
    kind: str = "object"  # number, integer, bool, choice, object
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: Callable[[], Sequence[str]] | None = None
    help: str = ""  # what the setting does and why one would change it, for tooltips and the docs
    #: (choice, the words the app shows for it): a choice's identifier stays in files and links.
    names: tuple[tuple[str, str], ...] = ()

    def name_of(self, choice: str) -> str:
        """A choice in the app's words (its identifier when the table gives none)."""
        return dict(self.names).get(choice, choice)

    def check(self, value: Any, key: str | None = None) -> Any:
        """`value` validated as this field (key: the concrete path, for the message)."""
        key = key or self.path
        if self.kind in ("number", "integer"):
            return check_number(value, key, self.lo, self.hi, self.kind == "integer", self.lo_open, self.hi_open)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise PlaygroundError(f"{key} must be true or false, got {value!r}")
            return value
        if self.kind == "choice" and self.choices is not None:
            options = list(self.choices())
            if not isinstance(value, str) or value not in options:
                raise PlaygroundError(f"{key} must be one of {', '.join(options)}, got {_show(value)}")
        return value


def _show(value: Any) -> str:
    """A value for a message: a huge integer is described, not printed in its 400 digits."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        # Counted without str(), which refuses past 4,300 digits: b bits make k or k + 1 digits.
        k = int(value.bit_length() * math.log10(2))
        return f"a {k + (abs(value) >= 10**k):,}-digit number"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fmt(x: float) -> str:
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"


def check_number(
    value: Any,
    key: str,
    lo: float | None = None,
    hi: float | None = None,
    integer: bool = False,
    lo_open: bool = False,
    hi_open: bool = False,
) -> Any:
    """A finite number within [lo, hi] (open ends as told), compared before any conversion so an
    integer too big for a float is refused with the range instead of overflowing."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PlaygroundError(f"{key} must be a {'whole number' if integer else 'number'}, got {_show(value)}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PlaygroundError(f"{key} must be finite, got {value!r}")
        if integer and value != int(value):
            raise PlaygroundError(f"{key} must be a whole number, got {value!r}")
    # Python compares an int with a float exactly, whatever its size: no conversion happens here.
    if lo is not None and (value <= lo if lo_open else value < lo):
        raise PlaygroundError(f"{key} must be {'>' if lo_open else '>='} {_fmt(lo)}, got {_show(value)}")
    if hi is not None and (value >= hi if hi_open else value > hi):
        raise PlaygroundError(f"{key} must be {'<' if hi_open else '<='} {_fmt(hi)}, got {_show(value)}")
    if integer:
        return int(value)
    if isinstance(value, int) and abs(value) > 2**53 and (lo is None or hi is None):
        raise PlaygroundError(f"{key} must be a number a float can hold exactly, got {_show(value)}")
    return float(value)


MAX_LAYERS = 16
MAX_SAMPLES = 1_000_000
MAX_EPOCHS = 10_000_000
MAX_SEED = 2**32 - 1
MAX_BATCH = 10_000_000
#: The largest network: 10 million parameters are 80 MB a copy in float64, and training keeps
#: about five copies (weights, gradients, the optimizer's moments, a backup): 400 MB.
MAX_PARAMS = 10_000_000
#: The most values one mini-batch may hold across the layers' activations (z and a): 400 MB.
MAX_ACTIVATIONS = 50_000_000

def _layer_field(key: Key) -> Field:
    kind = key.kind if key.kind in ("integer", "number", "choice") else "bool" if key.kind == "boolean" else "object"
    choices = (lambda: key.choices) if key.choices else None
    return Field(f"network.layers[].{key.name}", Effect.NETWORK, key.label, kind, key.lo, key.hi,
                 hi_open=key.hi_open, choices=choices, help=key.help)  # fmt: skip


def layer_fields() -> list[Field]:
    """One field per key any layer kind declares (network.layers[].<key>), as the kinds declare
    them: a key two kinds share (activation, pool_size) is one field, and the kinds must agree on it."""
    fields: dict[str, Field] = {}
    for name in LAYERS.names():
        for key in LAYERS.get(name).keys:
            fields.setdefault(key.name, _layer_field(key))
    return list(fields.values())


E = Effect
FIELDS: tuple[Field, ...] = (
    Field("seed", E.DATA, "seed", "integer", 0, MAX_SEED),
    Field("data", E.DATA, "data"),
    Field("data.source", E.DATA, "data source"),
    Field("data.problem", E.DATA, "problem", "choice", choices=lambda: ("classification", "regression")),
    Field("data.samples", E.DATA, "samples", "integer", 2, MAX_SAMPLES),
    Field("data.noise", E.DATA, "noise", "number", 0, 1),
    Field("data.classes", E.DATA, "classes", "integer", 0, 256),
    Field("data.sequence_length", E.DATA, "sequence length", "integer", MIN_SEQUENCE_LENGTH, MAX_SEQUENCE_LENGTH,
          help="T, the steps of each generated sequence (sine, adding, parity); left out, the data set's own "
               "default. Longer sequences carry information further back: harder for a recurrent layer to learn"),
    Field("data.features", E.DATA, "input features"),
    Field("data.normalize", E.DATA, "normalisation", "choice", choices=lambda: ("none", "standardize", "unit")),
    Field("data.test_fraction", E.DATA, "test fraction", "number", 0, 1, hi_open=True),
    Field("data.validation_fraction", E.DATA, "validation fraction", "number", 0, 1, hi_open=True),
    Field("data.split", E.DATA, "split", "choice", choices=lambda: tuple(SPLITS),
          help="stratified: each class split in proportion, rows in the data's order; shuffled: TensorFlow "
               "Playground's split, one shuffle then the first rows train, in that order",
          names=(("stratified", "stratified by class"), ("shuffled", "shuffled once"))),
    Field("network", E.NETWORK, "network"),
    Field("network.layers", E.NETWORK, "hidden layers"),
    Field("network.layers[]", E.NETWORK, "hidden layer"),
    Field("network.layers[].type", E.NETWORK, "layer type"),
    *layer_fields(),
    Field("network.output_activation", E.NETWORK, "output activation"),
    Field("network.initializer", E.NETWORK, "initializer", "choice", choices=INITIALIZERS.names),
    Field("network.dtype", E.NETWORK, "precision", "choice", choices=lambda: ("float64", "float32")),
    Field("network.bias_init", E.NETWORK, "initial bias", "number", -100, 100),
    Field("training", E.NETWORK, "training"),
    Field("training.loss", E.NETWORK, "loss", "choice", choices=LOSSES.names),
    Field("training.optimizer", E.OPTIMIZER, "optimizer"),
    Field("training.optimizer.name", E.OPTIMIZER, "optimizer", "choice", choices=OPTIMIZERS.names),
    Field("training.optimizer.*", E.LIVE, "optimizer setting"),
    Field("training.regularization", E.LIVE, "regularization"),
    Field("training.regularization.kind", E.LIVE, "regularization", "choice", choices=REGULARIZERS.names),
    Field("training.regularization.rate", E.LIVE, "regularization rate", "number", 0, 100),
    Field("training.regularization.l1_rule", E.LIVE, "L1 rule", "choice", choices=lambda: tuple(L1_RULES),
          help="How an L1 step is taken: subgradient (Keras, PyTorch: weights near 0, rarely exactly 0), proximal "
               "(soft threshold: exact zeros) or tfp (TensorFlow Playground: a weight the penalty carries across 0 "
               "stops there and its link is dead for good)",
          names=(("subgradient", "subgradient (Keras)"), ("proximal", "soft threshold"), ("tfp", "TF Playground's"))),
    Field("training.schedule", E.LIVE, "learning-rate schedule"),
    Field("training.schedule.*", E.LIVE, "schedule setting"),
    Field("training.batch_size", E.LIVE, "batch size", "integer", 1, MAX_BATCH),
    Field("training.last_batch", E.LIVE, "last partial batch", "choice", choices=lambda: ("partial", "carry"),
          help="partial: the points left after the last full batch are a smaller step of their own (Keras, "
               "PyTorch); carry: they wait and join the next epoch's first step (TensorFlow Playground)",
          names=(("partial", "a smaller step"), ("carry", "carried over"))),
    Field("training.shuffle", E.NETWORK, "shuffle", "bool"),
    Field("training.epochs", E.LIVE, "epochs", "integer", 1, MAX_EPOCHS),
    Field("training.early_stopping", E.LIVE, "early stopping"),
    Field(
        "training.early_stopping.monitor",
        E.LIVE,
        "early stopping: watch",
        "choice",
        choices=lambda: ("val_loss", "loss", "val_accuracy", "accuracy"),
    ),
    Field("training.early_stopping.patience", E.LIVE, "early stopping: patience", "integer", 0, MAX_EPOCHS),
    Field("training.early_stopping.min_delta", E.LIVE, "early stopping: least change", "number", 0, 1e6),
    Field("training.early_stopping.restore_best_weights", E.LIVE, "early stopping: restore best", "bool"),
    Field("app", E.NONE, "app notes"),
    Field("app.epoch_limit", E.LIVE, "stop at the epoch count", "bool"),
    Field("format", E.DATA, "format"),
)
_BY_PATH = {f.path: f for f in FIELDS}
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
        head, _, _ = p.rpartition(".")
        if head and head + ".*" in _BY_PATH:
            return _BY_PATH[head + ".*"]
        if not head:
            raise PlaygroundError(f"{path} is not a project setting")
        p = head


def check(path: str, value: Any, key: str | None = None) -> Any:
    """`value` validated by the field at `path` (`key`, the concrete path, names it)."""
    return field(path).check(value, key or path)


def effect(paths: Iterable[str]) -> Effect:
    """What an edit of these paths needs: the strongest of their effects."""
    return max((field(p).effect for p in paths), default=Effect.NONE)


def label(path: str) -> str:
    """A path in the user's words, layers counted from 1: "network.layers.0.units" → "layer 1 neurons"."""
    f = field(path)
    m = re.search(r"layers(?:\.|\[)(\d+)", path)
    return f"layer {int(m.group(1)) + 1} {f.label}" if m and f.label != "hidden layer" else f.label


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
            return p.rpartition(".")[2].replace("_", " ")  # an optimizer's or schedule's own key
        return token

    return _PATH_TOKEN.sub(swap, text)
