"""The layer kinds, registered, and what a project's layer list makes of them.

Importing this module registers every kind (one module each; a new kind is a new module and an
import line here). `stack` turns a project's hidden layers into layer objects, the output layer
last, adding the flatten a dense layer after image layers needs; `plan` gives each layer's output
shape and parameter count from shapes alone, as the app's layer stack shows them while the user
edits, every misfit named by its key.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import PlaygroundError
from .layer_base import LAYERS, Key, Layer, LayerTrace, Shape, kind_of, window_pads
from .layer_conv2d import Conv2D
from .layer_dense import Dense
from .layer_dropout import Dropout
from .layer_flatten import Flatten
from .layer_pooling import AveragePooling2D, MaxPooling2D

__all__ = [
    "LAYERS",
    "AveragePooling2D",
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
    "check_params",
    "image_input",
    "is_convolutional",
    "kind_of",
    "layer_label",
    "needs_images",
    "new_entry",
    "offered",
    "plan",
    "stack",
    "window_pads",
]


def layer_label(entry: dict[str, Any]) -> str:
    """A project layer in a few characters: "32" (dense units), "conv 8@3×3", "max pool 2",
    "avg pool 2", "flatten" (run summaries, the CLI, link notes)."""
    return kind_of(entry).label(entry)


def is_convolutional(layers: Sequence[dict[str, Any]]) -> bool:
    """Whether a project's layers hold any but the default kind (dense): the neuron graph draws
    dense layers only, the layer stack every kind."""
    return any(kind_of(layer).name != LAYERS.default for layer in layers)


def needs_images(layers: Sequence[dict[str, Any]]) -> bool:
    """Whether a project's layers need image data (one of them takes image-shaped input)."""
    return any(kind_of(layer).takes == "image" for layer in layers)


def flattener() -> type[Layer]:
    """The kind that turns images into vectors (added for a dense layer after image layers)."""
    return next(k for k in offered() if _stage(k) == 1)


def _stage(kind: type[Layer]) -> int:
    """Where a kind sits in a stack: image layers, then the flatten, then flat layers."""
    return 0 if kind.takes == "image" and kind.gives == "image" else 1 if kind.takes == "image" else 2


def offered() -> list[type[Layer]]:
    """The kinds a project may name, in the order a stack holds them (the layer stack's menu)."""
    return sorted((LAYERS.get(n) for n in LAYERS.written()), key=_stage)


def image_input(image_shape: Sequence[int]) -> tuple[int, int, int]:
    """(H, W, C) for an image shape given as (H, W) or (H, W, C)."""
    shape = tuple(int(v) for v in image_shape)
    return (*shape, 1) if len(shape) == 2 else shape  # type: ignore[return-value]


def check_params(total: int) -> None:
    """Refuse a network past MAX_PARAMS before anything is allocated."""
    from .fields import MAX_PARAMS

    if total > MAX_PARAMS:
        raise PlaygroundError(
            f"this network has {total:,} parameters; the limit is {MAX_PARAMS:,} (training keeps about five "
            f"copies of them, {5 * 8 * MAX_PARAMS / 2**20:,.0f} MB at the limit): use fewer or narrower layers"
        )


def stack(hidden: Sequence[dict[str, Any]], n_outputs: int, output_activation: Any = "softmax",
          image: bool = True) -> tuple[list[Layer], list[int | None], list[str]]:  # fmt: skip
    """The layer objects a project's hidden layers make (on image input, or on flat rows when
    `image` is False), the output layer last; for each, the index of the project layer it came
    from (None for a flatten added for the user, -1 for the output); and notes saying what was added."""
    layers: list[Layer] = []
    origin: list[int | None] = []
    notes: list[str] = []
    flat = not image
    for i, spec in enumerate(hidden):
        kind = kind_of(spec)
        if kind.takes == "flat" and not flat:
            layers.append(flattener()())
            origin.append(None)
            notes.append(f"a flatten layer was added before layer {i + 1} (a {kind.name} layer needs flat input)")
            flat = True
        elif kind.takes == "image" and kind.gives == "flat":
            if flat:
                raise PlaygroundError(f"network.layers[{i}].type: the input is already flat here")
            flat = True
        elif kind.takes == "image" and flat:
            raise PlaygroundError(f"network.layers[{i}].type: a {kind.name} layer cannot follow a flatten or dense "
                                  "layer (its input is no longer an image)")  # fmt: skip
        built = kind.build(spec)
        layers += built
        origin += [i] * len(built)
    if not flat:
        layers.append(flattener()())
        origin.append(None)
    output = kind_of({})
    layers += output.build({"units": int(n_outputs), "activation": output_activation})
    origin.append(-1)
    return layers, origin, notes


@dataclass(frozen=True)
class PlanRow:
    """One row of the model summary: a layer, where it came from, its output shape and size."""

    source: int | None  # index in network.layers; None for an added flatten, -1 for the output
    kind: str  # Keras's class name: Conv2D, MaxPooling2D, Flatten, Dense, Dropout, ...
    output_shape: tuple[int, ...]
    params: int
    layer: str = ""  # the layer kind's name (dense, dropout, ...)
    title: str = ""  # its own words, for a row without controls ("Dropout 0.2")


def plan(image_shape: Sequence[int], hidden: Sequence[dict[str, Any]], n_outputs: int,
         output_activation: Any = "softmax") -> tuple[list[PlanRow], list[str]]:  # fmt: skip
    """Each layer's output shape and parameter count, from shapes alone (no weights are made),
    and the notes of `stack`. A layer that does not fit raises PlaygroundError naming its key:
    `network.layers[1].kernel_size 9 is larger than its 4×4 input`."""
    layers, origin, notes = stack(hidden, n_outputs, output_activation)
    shape: tuple[int, ...] = image_input(image_shape)
    rows, total = [], 0
    for layer, src in zip(layers, origin):
        try:
            layer.check_fits(shape)
        except PlaygroundError as exc:
            raise PlaygroundError(f"network.layers[{src}].{exc}") from None
        n = layer.count_params(shape)
        shape = tuple(layer.output_shape(shape))
        total += n
        rows.append(PlanRow(src, layer.keras, shape, n, layer.name, layer.title()))
    try:
        check_params(total)
    except PlaygroundError as exc:
        raise PlaygroundError(f"network.layers: {exc}") from None
    return rows, notes


def new_entry(name: str) -> dict[str, Any]:
    """A project entry for a layer of kind `name` as the layer stack adds it (the kind's `new`
    settings; the default kind's type is not stored)."""
    kind = LAYERS.get(name)
    return ({} if name == LAYERS.default else {"type": name}) | copy.deepcopy(kind.new)


def unit_count(layers: Sequence[dict[str, Any]]) -> int:
    """The neurons of a project's layers, a filter counting as one (a lesson's budget)."""
    return sum(kind_of(layer).neurons(layer) for layer in layers)

