"""The layer kinds, registered, and what a project's layer list makes of them.

Importing this module registers every kind (one module each; a new kind is a new module and an
import line here). `stack` turns a project's hidden layers into layer objects, the output layer
last, adding the flatten a dense layer after image layers needs; `plan` gives each layer's output
shape and parameter count from shapes alone, as the app's layer stack shows them while the user
edits, every misfit named by its key.

What flows between layers is an image (H, W, C), a sequence (T, F) or a flat vector, and each
kind says what it takes and gives. Image layers come first (on image data), then the flatten the
stack adds before the first dense layer; recurrent layers take sequences (on sequence data) and
give the last step's state (flat) or, with return_sequences, the state of every step (a sequence,
for another recurrent layer). A dense layer after a sequence is refused with a message naming
the return_sequences to turn off (no flatten is added: a dense layer on every step's state is
rarely what was meant). Convolution and pooling never see a sequence, nor a recurrent layer an
image: either is named by its layer's type.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import PlaygroundError
from ..i18n import _
from ..limits import MAX_PARAMS
from .activation import ActivationLayer
from .base import LAYERS, Key, Layer, LayerTrace, Shape, kind_of, window_pads
from .batchnorm import BatchNormalization
from .conv2d import Conv2D
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .gru import GRU
from .lstm import LSTM
from .pooling import AveragePooling2D, MaxPooling2D
from .simple_rnn import SimpleRNN

__all__ = [
    "GRU",
    "LAYERS",
    "LSTM",
    "ActivationLayer",
    "AveragePooling2D",
    "BatchNormalization",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "Key",
    "Layer",
    "LayerTrace",
    "MaxPooling2D",
    "PlanRow",
    "Shape",
    "SimpleRNN",
    "batch_need",
    "check_params",
    "image_input",
    "is_convolutional",
    "kind_of",
    "layer_label",
    "min_batch",
    "needs_images",
    "needs_sequences",
    "neuron_drawable",
    "new_entry",
    "offered",
    "passes_between",
    "plan",
    "stack",
    "step_name",
    "window_pads",
]


def layer_label(entry: dict[str, Any]) -> str:
    """A project layer in a few characters: "32" (dense units), "conv 8@3×3", "max pool 2",
    "avg pool 2", "flatten" (run summaries, the CLI, link notes)."""
    return kind_of(entry).label(entry)


def is_convolutional(layers: Sequence[dict[str, Any]]) -> bool:
    """Whether a project's layers hold any but the default kind (dense): tools that take a stack
    of dense layers (units and an activation each) refuse others; the neuron graph asks
    `neuron_drawable`, the layer stack draws every kind."""
    return any(kind_of(layer).name != LAYERS.default for layer in layers)


def passes_between(kind: type[Layer]) -> bool:
    """Whether a kind works value by value, with no units of its own, wherever it is put (a typed
    BatchNormalization or Activation): between dense layers the neuron graph marks it on the
    layer before it instead of drawing a column."""
    return kind.written and kind.takes == "any" and kind.gives == "same"


def neuron_drawable(layers: Sequence[dict[str, Any]]) -> bool:
    """Whether the neuron graph can draw a project's layers: dense layers, and kinds that pass
    values through unit by unit between them (`passes_between`), which it draws as marks."""
    return all(kind_of(layer).name == LAYERS.default or passes_between(kind_of(layer)) for layer in layers)


def needs_images(layers: Sequence[dict[str, Any]]) -> bool:
    """Whether a project's layers need image data (one of them takes image-shaped input)."""
    return any(kind_of(layer).takes == "image" for layer in layers)


def needs_sequences(layers: Sequence[dict[str, Any]]) -> bool:
    """Whether a project's layers need sequence data (one of them takes sequences: a recurrent layer)."""
    return any(kind_of(layer).takes == "sequence" for layer in layers)


def flattener() -> type[Layer]:
    """The kind that turns images into vectors (added for a dense layer after image layers)."""
    return next(k for k in offered() if _stage(k) == 1)


def _stage(kind: type[Layer]) -> int:
    """Where a kind sits in a stack: image layers, then the flatten, then sequence layers, then flat layers."""
    if kind.takes == "image":
        return 0 if kind.gives == "image" else 1
    return 2 if kind.takes == "sequence" else 3


def offered() -> list[type[Layer]]:
    """The kinds a project may name, in the order a stack holds them (the layer stack's menu):
    image layers, the flatten, sequence layers, the default kind (dense), then the kinds that go
    anywhere between them (batch normalization, an activation)."""
    return sorted((LAYERS.get(n) for n in LAYERS.written()),
                  key=lambda k: (_stage(k), passes_between(k), k.name != LAYERS.default))  # fmt: skip


def image_input(image_shape: Sequence[int]) -> tuple[int, int, int]:
    """(H, W, C) for an image shape given as (H, W) or (H, W, C)."""
    shape = tuple(int(v) for v in image_shape)
    return (*shape, 1) if len(shape) == 2 else shape  # type: ignore[return-value]


def check_params(total: int) -> None:
    """Refuse a network past MAX_PARAMS before anything is allocated."""
    if total > MAX_PARAMS:
        raise PlaygroundError(
            _("this network has {total:,} parameters; the limit is {max_params:,} (training keeps about five copies "
              "of them, {value:,.0f} MB at the limit): use fewer or narrower layers").format(
                total=total, max_params=MAX_PARAMS, value=5 * 8 * MAX_PARAMS / 2**20)
        )


def stack(hidden: Sequence[dict[str, Any]], n_outputs: int, output_activation: Any = "softmax",
          image: bool = True, sequence: bool = False) -> tuple[list[Layer], list[int | None], list[str]]:  # fmt: skip
    """The layer objects a project's hidden layers make (on image input; on sequences when
    `sequence` is True; on flat rows when both are False), the output layer last; for each, the
    index of the project layer it came from (None for a flatten added for the user, -1 for the
    output); and notes saying what was added. A layer that cannot take what reaches it is refused
    by the key to change (see the module's docstring)."""
    layers: list[Layer] = []
    origin: list[int | None] = []
    notes: list[str] = []
    form = "sequence" if sequence else "image" if image else "flat"
    giver: int | None = None  # the project layer that made the current form (None: the data)
    for i, spec in enumerate(hidden):
        kind = kind_of(spec)
        if kind.takes == "flat" and form == "image":
            layers.append(flattener()())
            origin.append(None)
            notes.append(_("a flatten layer was added before layer {number} (a {name} layer needs flat input)").format(
                number=i + 1, name=kind.name))
            form = "flat"
        elif kind.takes == "flat" and form == "sequence":
            raise _after_sequence(i, kind.name, giver)
        elif kind.takes == "image" and form == "sequence":
            raise PlaygroundError(_("network.layers[{i}].type: a {name} layer needs images; these data are "
                                    "sequences (steps × features)").format(i=i, name=kind.name))  # fmt: skip
        elif kind.takes == "image" and kind.gives == "flat":
            if form == "flat":
                raise PlaygroundError(_("network.layers[{i}].type: the input is already flat here").format(i=i))
        elif kind.takes == "image" and form == "flat":
            raise PlaygroundError(_("network.layers[{i}].type: a {name} layer cannot follow a flatten or dense "
                                    "layer (its input is no longer an image)").format(
                                      i=i, name=kind.name))  # fmt: skip
        elif kind.takes == "sequence" and form != "sequence":
            raise _needs_sequence(i, kind.name, form, sequence, giver, hidden)
        built = kind.build(spec)
        layers += built
        origin += [i] * len(built)
        gives = kind.gives_for(spec)
        if gives != "same":
            form, giver = gives, i
    if form == "image":
        layers.append(flattener()())
        origin.append(None)
    elif form == "sequence":
        raise _after_sequence(len(hidden), "output", giver)
    output = kind_of({})
    layers += output.build({"units": int(n_outputs), "activation": output_activation})
    origin.append(-1)
    return layers, origin, notes


def _after_sequence(i: int, what: str, giver: int | None) -> PlaygroundError:
    """A layer that needs one vector per example (dense, or the output) after a sequence."""
    if what == "output":
        layer = _("the output layer")
    else:
        layer = _("layer {number} ({label})").format(number=i + 1, label=what)
    if giver is None:
        return PlaygroundError(_("network.layers[{i}].type: a {what} layer cannot take the data's sequences: put "
                                 "the recurrent layers first").format(i=i, what=what))  # fmt: skip
    return PlaygroundError(_("network.layers[{giver}].return_sequences: {layer} needs one vector per example, and "
                             "layer {giver2} returns its state at every step: set return_sequences to false (the "
                             "last step's state) or put a recurrent layer after it").format(
                               giver=giver, layer=layer, giver2=giver + 1))  # fmt: skip


def _needs_sequence(i: int, what: str, form: str, sequence: bool, giver: int | None,
                    hidden: Sequence[dict[str, Any]]) -> PlaygroundError:  # fmt: skip
    """A recurrent layer where no sequence reaches it: images, flat data, or after a flat layer."""
    if form == "image":
        return PlaygroundError(_("network.layers[{i}].type: a {what} layer needs sequences (steps × features), not "
                                 "images").format(i=i, what=what))  # fmt: skip
    if not sequence:
        return PlaygroundError(_("network.layers[{i}].type: a {what} layer needs sequence data (steps × features): "
                                 "a generated sequence set or a file of sequences").format(
                                   i=i, what=what))  # fmt: skip
    if giver is not None and kind_of(hidden[giver]).takes == "sequence":
        return PlaygroundError(_("network.layers[{giver}].return_sequences: layer {i} ({what}) needs the state of "
                                 "every step: set it to true").format(giver=giver, i=i + 1, what=what))  # fmt: skip
    before = kind_of(hidden[giver]).name if giver is not None else "flat"
    return PlaygroundError(_("network.layers[{i}].type: a {what} layer needs a sequence and cannot follow a "
                             "{before} layer: put the recurrent layers first").format(
                               i=i, what=what, before=before))  # fmt: skip


@dataclass(frozen=True)
class PlanRow:
    """One row of the model summary: a layer, where it came from, its output shape and size."""

    source: int | None  # index in network.layers; None for an added flatten, -1 for the output
    kind: str  # Keras's class name: Conv2D, MaxPooling2D, Flatten, Dense, Dropout, ...
    output_shape: tuple[int, ...]
    params: int
    layer: str = ""  # the layer kind's name (dense, dropout, ...)
    title: str = ""  # its own words, for a row without controls ("Dropout 0.2")
    #: False for a layer its project entry's keys made after the entry's own (dropout, batch
    #: normalization and the activation after a dense layer): it has no controls of its own.
    own: bool = True


def plan(image_shape: Sequence[int], hidden: Sequence[dict[str, Any]], n_outputs: int,
         output_activation: Any = "softmax", sequence: bool = False) -> tuple[list[PlanRow], list[str]]:  # fmt: skip
    """Each layer's output shape and parameter count, from shapes alone (no weights are made),
    and the notes of `stack`, on images of `image_shape`, on rows of d features when it is (d,),
    or, with `sequence`, on sequences of that (T, F) shape. A layer that does not fit raises
    PlaygroundError naming its key: `network.layers[1].kernel_size 9 is larger than its 4×4 input`."""
    flat = not sequence and len(image_shape) == 1
    layers, origin, notes = stack(hidden, n_outputs, output_activation, image=not (sequence or flat),
                                  sequence=sequence)  # fmt: skip
    shape: tuple[int, ...] = tuple(int(v) for v in image_shape) if sequence or flat else image_input(image_shape)
    rows, total = [], 0
    for k, (layer, src) in enumerate(zip(layers, origin)):
        try:
            layer.check_fits(shape)
        except PlaygroundError as exc:
            raise PlaygroundError(_("network.layers[{src}].{exc}").format(src=src, exc=exc)) from None
        n = layer.count_params(shape)
        shape = tuple(layer.output_shape(shape))
        total += n
        own = k == 0 or src is None or src != origin[k - 1]
        rows.append(PlanRow(src, layer.keras, shape, n, layer.name, layer.title(), own))
    try:
        check_params(total)
    except PlaygroundError as exc:
        raise PlaygroundError(_("network.layers: {exc}").format(exc=exc)) from None
    return rows, notes


def step_name(layers: Sequence[Layer], origin: Sequence[int | None], i: int) -> str:
    """Stack layer `i` in the walk's words: "layer 3" (its place in the project), "output layer",
    "added flatten"; a layer the entry's keys added after its own says which: "layer 3
    (BatchNormalization)", "layer 3 (Activation relu)"."""
    source = origin[i]
    if source == -1:
        return _("output layer")
    if source is None:
        return _("added flatten")
    if i > 0 and origin[i - 1] == source and layers[i].drawn:
        return _("layer {number} ({title})").format(number=source + 1, title=layers[i].title())
    return _("layer {number}").format(number=source + 1)


def batch_need(layers: Sequence[Layer], origin: Sequence[int | None], input_shape: Shape) -> tuple[int, str]:
    """The fewest examples a training batch through `layers` on inputs of `input_shape` needs
    (batch normalization per unit needs two), and why, naming the layer; (1, "") when any batch does."""
    need, why, shape = 1, "", tuple(input_shape)
    for i, layer in enumerate(layers):
        rows, words = layer.min_batch(shape)
        if rows > need:
            need, why = rows, words.format(layer=step_name(layers, origin, i))
        shape = tuple(layer.output_shape(shape))
    return need, why


def min_batch(input_shape: Sequence[int], hidden: Sequence[dict[str, Any]], n_outputs: int = 1,
              output_activation: Any = "softmax", sequence: bool = False) -> tuple[int, str]:  # fmt: skip
    """`batch_need` of a project's layers on inputs of `input_shape` ((d,) rows, (H, W[, C])
    images, (T, F) sequences with `sequence`), from shapes alone: what the trainer will check,
    known before a model is built (the app warns before a batch size is refused)."""
    shape = tuple(int(v) for v in input_shape)
    image = len(shape) > 1 and not sequence
    layers, origin, _notes = stack(hidden, n_outputs, output_activation, image=image, sequence=sequence)
    return batch_need(layers, origin, image_input(shape) if image else shape)


def new_entry(name: str) -> dict[str, Any]:
    """A project entry for a layer of kind `name` as the layer stack adds it (the kind's `new`
    settings; the default kind's type is not stored)."""
    kind = LAYERS.get(name)
    return ({} if name == LAYERS.default else {"type": name}) | copy.deepcopy(kind.new)


def unit_count(layers: Sequence[dict[str, Any]]) -> int:
    """The neurons of a project's layers, a filter counting as one (a lesson's budget)."""
    return sum(kind_of(layer).neurons(layer) for layer in layers)

