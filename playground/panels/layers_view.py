"""The layer stack: for image and sequence data, the network as Keras's layers, one row each, as
ConvNetJS lays out its MNIST demo. Each row holds the layer's controls (type, filters, kernel size,
strides, padding, pool size, units, activation, dropout, return sequences; move up or down;
remove), its output shape and parameter count as Keras's summary gives them, and for images what
it does to one image: a convolution's filters and every layer's feature maps, live while
training. Click a sample in the Samples tab to follow another image. On sequence data the
recurrent layers (SimpleRNN, LSTM, GRU) come first; the Unrolled view shows what they do to one
sequence, step by step.

Every edit is checked by `engine.core.layers.plan` from shapes alone before it is applied, so a
layer that does not fit is refused with its key named and nothing changes. The rows' controls are
the keys each layer kind declares (`Layer.keys`): a new kind needs nothing here. Each row's
picture is a `maps_strip.MapsStrip`; network_area.py puts this stack beside the neuron graph.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QMenu,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine import ACTIVATIONS, INITIALIZERS, LAYERS, PlaygroundError, get_activation
from engine.core.i18n import _, ngettext
from engine.core.initializers import formula as init_formula
from engine.core.layers import PlanRow, kind_of, needs_images, needs_sequences, new_entry, offered, plan
from engine.core.layers.base import Key
from engine.project.fields import field

from ..run.layer_maps import LayerMaps, LayerPicture
from ..run.snapshot import Snapshot
from ..run.state import Change, ProjectState
from ..widgets import Label, OnScreen, add_words, choose_data, compact_words, name_widget
from ..widgets.flow import FlowLayout
from ..widgets.key_spin import KeySpinBox, rounded
from .maps_strip import MapsStrip

CONTROLS_WIDTH = 254  # the left column of every row: room for "AveragePooling2D" and three buttons


class LayerRow(QFrame):
    """A layer's controls on the left, its picture on the right."""

    def __init__(self, title: str, detail: str, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setFrameShape(QFrame.Shape.NoFrame)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.left = QWidget()
        self.left.setFixedWidth(CONTROLS_WIDTH)
        self.left_lay = QVBoxLayout(self.left)
        self.left_lay.setContentsMargins(0, 0, 0, 0)
        self.left_lay.setSpacing(3)
        self.head = QHBoxLayout()
        self.head.setSpacing(3)
        self.title = Label(title)
        self.title.setObjectName("layerTitle")
        self.head.addWidget(self.title, 1)
        self.left_lay.addLayout(self.head)
        self.flow = FlowLayout(spacing=4, row_spacing=3)
        self.left_lay.addLayout(self.flow)
        self.detail = Label(detail)
        self.detail.setObjectName("legend")
        self.detail.setWordWrap(True)
        self.left_lay.addWidget(self.detail)
        self.left_lay.addStretch(1)
        self.strip = MapsStrip()
        lay.addWidget(self.left, 0, Qt.AlignmentFlag.AlignTop)
        lay.addWidget(self.strip, 1)


class LayersPanel(OnScreen):
    """The layer stack builder and its feature maps (see the module's docstring); the worker
    computes the picked image's maps only while it is on screen."""

    message = Signal(str)

    def __init__(self, state: ProjectState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layersPanel")
        self.setAccessibleName(_("Layer stack"))
        self.state = state
        self.image_shape: tuple[int, ...] | None = None
        self.sequence_shape: tuple[int, int] | None = None
        self.n_outputs = 0
        self.names: list[str] = []
        self.plan: list[PlanRow] = []
        self.rows: list[LayerRow] = []
        self._rows_built = 0  # bumped by each rebuild: the controls of older rows are inert
        self.input_row: LayerRow | None = None
        self.maps: LayerMaps | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        self.caption = Label(_("LAYERS"))
        self.caption.setToolTip(_("Feature maps share one grey scale per layer: black is the layer's lowest value "
                                  "for this image, white its highest. Filters: blue positive, orange negative."))
        self.caption.setObjectName("layersLabel")
        head.addWidget(self.caption)
        self.add = name_widget(QToolButton(), "addStackLayer", _("Add layer"),
                               _("Add a layer: convolutions and pooling go after the last image layer, "
                                 "dense layers at the end (before the output)"))  # fmt: skip
        self.add.setText(_("+ Add layer"))
        self.add.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add)
        menu.setObjectName("addLayerMenu")
        self.add_actions: dict[str, Any] = {}
        for kind in offered():
            action = menu.addAction(kind.keras, lambda k=kind.name: self.add_layer(k))
            action.setObjectName(f"addLayer_{kind.name}")
            action.setToolTip(_(kind.help))
            self.add_actions[kind.name] = action
        menu.setToolTipsVisible(True)
        self.add.setMenu(menu)
        head.addWidget(self.add)
        head.addStretch(1)
        head.addWidget(Label(_("init")))
        self.initializer = name_widget(QComboBox(), "stackInitializer", _("Initializer"),
                                       _("How the kernels start (biases start at 0)"))  # fmt: skip
        compact_words(add_words(self.initializer, INITIALIZERS, about=init_formula))
        self.initializer.activated.connect(lambda _i: self._set("network.initializer", self.initializer.currentData()))
        head.addWidget(self.initializer)
        lay.addLayout(head)
        self.notes = Label("")
        self.notes.setObjectName("legend")
        self.notes.setWordWrap(True)
        lay.addWidget(self.notes)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("layersScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.body = QWidget()
        self.body.setObjectName("layersBody")
        self.body_lay = QVBoxLayout(self.body)
        self.body_lay.setContentsMargins(0, 0, 0, 0)
        self.body_lay.setSpacing(2)
        self.scroll.setWidget(self.body)
        lay.addWidget(self.scroll, 1)
        state.changed.connect(self._changed)

    # ----------------------------------------------------------------- structure
    @property
    def hidden(self) -> list[dict[str, Any]]:
        return self.state.project["network"]["layers"]

    @property
    def shaped(self) -> tuple[int, ...] | None:
        """What the first layer takes: the images' (H, W[, C]) or the sequences' (T, F); None for rows."""
        return self.image_shape if self.image_shape is not None else self.sequence_shape

    def _changed(self, change: Change) -> None:
        if change.touches("network") and self.shaped is not None:
            self.rebuild()

    def set_data(self, image_shape: tuple[int, ...] | None, n_outputs: int, names: list[str],
                 sequence_shape: tuple[int, int] | None = None) -> None:  # fmt: skip
        """The data's image or sequence shape and the output width, from a snapshot: what the
        shapes follow."""
        self.names = names
        if (image_shape, sequence_shape, n_outputs) != (self.image_shape, self.sequence_shape, self.n_outputs):
            self.image_shape, self.sequence_shape, self.n_outputs = image_shape, sequence_shape, n_outputs
            self.rebuild()

    def _plan(self, layers: list[dict[str, Any]]) -> tuple[list[PlanRow], list[str]]:
        """`engine.core.layers.plan` on the data's images or sequences (a stack without a recurrent
        layer reads a sequence's T·F values as one row, as the engine builds it)."""
        shape, sequence = self.shaped, self.image_shape is None
        if sequence and not needs_sequences(layers):
            shape, sequence = (int(np.prod(shape)),), False  # type: ignore[arg-type]
        return plan(shape, layers, max(self.n_outputs, 1), self._output_activation(), sequence=sequence)  # type: ignore[arg-type]

    def rebuild(self) -> None:
        """One row per layer of the plan: the project's layers, an added flatten, the output."""
        for row in [*self.rows, *([self.input_row] if self.input_row is not None else [])]:
            row.setEnabled(False)  # a click already queued for it finds it dead
            row.hide()
            row.deleteLater()
        self.rows, self.input_row = [], None
        self._rows_built += 1
        while self.body_lay.count():
            self.body_lay.takeAt(0)
        choose_data(self.initializer, self.state.project["network"]["initializer"])
        if self.shaped is None:
            return
        try:
            self.plan, notes = self._plan(self.hidden)
        except PlaygroundError as exc:  # a file that does not fit its data: the worker says so too
            self.plan, notes = [], [str(exc)]
        n = len(self.hidden)
        self.caption.setText(ngettext("{count} LAYER", "{count} LAYERS", n).format(count=n))
        fits = ("image",) if self.image_shape is not None else ("sequence",)
        for name, action in self.add_actions.items():  # what can take these data, or the flat vectors after
            action.setEnabled(LAYERS.get(name).takes in (*fits, "flat", "any"))
        if self.sequence_shape is not None:
            notes = [*notes, _("the Unrolled view shows one sequence through the recurrent layers, step by step") if
                     needs_sequences(self.hidden) else _("without a recurrent layer (SimpleRNN, LSTM, GRU), the "
                     "dense layers read each sequence's T·F values as one row")]  # fmt: skip
        self.notes.setText(" · ".join(n[0].upper() + n[1:] for n in notes))
        self.notes.setVisible(bool(notes))
        if self.sequence_shape is not None:
            steps, features = self.sequence_shape
            shape = ngettext("sequences: {steps} steps × {features} feature each (T × F)",
                             "sequences: {steps} steps × {features} features each (T × F)", features).format(
                steps=steps, features=features)
            self.input_row = LayerRow(_("Input"), shape, "layerInput")
            for row in [self.input_row, *(self._layer_row(k, r) for k, r in enumerate(self.plan))]:
                row.strip.hide()  # the Unrolled view draws what a sequence does
                row.layout().addStretch(1)  # the controls stay on the left
                self._add_row(row)
            self.body_lay.addStretch(1)
            return
        h, w = self.image_shape[:2]  # type: ignore[index]
        c = self.image_shape[2] if len(self.image_shape) == 3 else 1  # type: ignore[arg-type]
        self.input_row = LayerRow(_("Input"), _("{size} image · the picked sample").format(size=f"{h}×{w}×{c}"),
                                  "layerInput")
        self._add_row(self.input_row)
        for k, r in enumerate(self.plan):
            self._add_row(self._layer_row(k, r))
        self.body_lay.addStretch(1)
        self._show_maps()

    def _add_row(self, row: LayerRow) -> None:
        self.body_lay.addWidget(row)
        if row is not self.input_row:
            self.rows.append(row)

    def _output_activation(self) -> Any:
        return self.state.project["network"]["output_activation"]

    def _layer_row(self, k: int, r: PlanRow) -> LayerRow:
        shape = "×".join(map(str, r.output_shape))
        detail = "→ " + ngettext("{shape} · {count:,} parameter", "{shape} · {count:,} parameters", r.params).format(
            shape=shape, count=r.params)
        if r.source is None:
            return LayerRow(_("Flatten (added)"), detail, f"layerRow{k}")
        if r.source == -1:
            act = self._output_activation()
            act = act["name"] if isinstance(act, dict) else act
            return LayerRow(_("Dense · output · {activation}").format(activation=act), detail, f"layerRow{k}")
        spec = self.hidden[r.source]
        made = LAYERS.get(r.layer)
        if not made.written or not r.own:  # made by its project layer's key (a dense layer's dropout): no controls
            return LayerRow(_(r.title), f"→ {shape} · {_(made.note)}" if made.note else detail, f"layerRow{k}")
        row = LayerRow("", detail, f"layerRow{k}")
        i = r.source
        row.title.setText(f"{i + 1}")
        kind = name_widget(QComboBox(), f"layerType{i}", _("Type of layer {number}").format(number=i + 1))
        for info in offered():
            kind.addItem(info.keras, info.name)
        kind.setCurrentIndex(kind.findData(kind_of(spec).name))
        kind.setToolTip(_(kind_of(spec).help))
        kind.activated.connect(self._live(lambda _j: self.change_type(i, kind.currentData())))
        row.head.addWidget(kind, 3)
        for text, name, tip, delta in (("↑", "Up", _("Move up"), -1), ("↓", "Down", _("Move down"), 1),
                                       ("✕", "Remove", _("Remove this layer"), 0)):  # fmt: skip
            b = name_widget(QToolButton(), f"layer{name}{i}", _("{action}: layer {number}").format(action=tip,
                                                                                                  number=i + 1), tip)
            b.setText(text)
            b.setAutoRaise(True)
            if delta:
                b.setEnabled(0 <= i + delta < len(self.hidden))
                b.clicked.connect(self._live(lambda _c=False, d=delta: self.move(i, d)))
            else:
                b.clicked.connect(self._live(lambda _c=False: self.remove(i)))
            row.head.addWidget(b)
        for widget in self._controls(i, spec):
            row.flow.addWidget(widget)
        return row

    def _controls(self, i: int, spec: dict[str, Any]) -> list[QWidget]:
        """One control per key the layer's kind declares: a spin box for a whole number, a
        decimal spin box for a number, a box to tick for a boolean, a list for a choice or an
        activation."""
        out: list[QWidget] = []
        kind = kind_of(spec)
        for key in kind.keys:
            if key.kind == "integer":
                out.append(self._spin(i, key, spec))
            elif key.kind == "number":
                out.append(self._decimal(i, key, spec))
            elif key.kind == "boolean":
                out.append(self._check(i, key, spec))
            elif key.kind == "choice":
                out.append(self._choice(i, key.name, spec, list(key.choices), key.help))
            elif key.kind == "activation":
                names = [n for n in ACTIVATIONS.names() if ACTIVATIONS.get(n).elementwise]  # not softmax: an output's
                act = spec[key.name]["name"] if isinstance(spec[key.name], dict) else spec[key.name]
                box = self._choice(i, key.name, spec, names, get_activation(act).formula, ACTIVATIONS)
                choose_data(box, act)
                out.append(box)
        return out

    def _spin(self, i: int, key: Key, spec: dict[str, Any]) -> QSpinBox:
        f = field(f"network.layers[].{key.name}")
        spin = name_widget(QSpinBox(), f"stack_{key.name}{i}", of_layer(_(f.label), i), _(key.help))
        spin.setRange(int(f.lo), int(f.hi))
        spin.setValue(int(spec.get(key.name, kind_of(spec).new.get(key.name, key.default or 1))))
        prefix, __, suffix = _(key.shown).partition("{}")
        spin.setPrefix(prefix)
        spin.setSuffix(suffix)
        spin.setKeyboardTracking(False)
        spin.setMaximumWidth(96 if suffix else 70)
        spin.valueChanged.connect(self._live(lambda v: self.edit(i, key.name, int(v))))
        return spin

    def _decimal(self, i: int, key: Key, spec: dict[str, Any]) -> QDoubleSpinBox:
        """A number key's spin box: the key's range, steps and precision (widgets.key_spin), so
        epsilon reads 0.001 and no edit sends a value the validator refuses."""
        f = field(f"network.layers[].{key.name}")
        box = name_widget(KeySpinBox(key), f"stack_{key.name}{i}", of_layer(_(f.label), i), _(key.help))
        prefix, __, suffix = _(key.shown).partition("{}")
        box.setPrefix(prefix)
        box.setSuffix(suffix)
        box.setValue(float(spec.get(key.name, key.default or 0.0)))
        box.setKeyboardTracking(False)
        box.setMaximumWidth(132 if prefix or suffix else 90)  # "momentum 0.99" whole
        box.valueChanged.connect(self._live(lambda v: self.edit(i, key.name, rounded(v))))
        return box

    def _check(self, i: int, key: Key, spec: dict[str, Any]) -> QCheckBox:
        """A boolean key's box, its label the key's words ("batch norm", "center (β)")."""
        box = name_widget(QCheckBox(_(key.label)), f"stack_{key.name}{i}", of_layer(_(key.label), i), _(key.help))
        box.setChecked(bool(spec.get(key.name, key.default)))
        box.toggled.connect(self._live(lambda on: self.edit(i, key.name, bool(on))))
        return box

    def _choice(self, i: int, key: str, spec: dict[str, Any], options: list[str], tip: str,
                registry: Any = None) -> QComboBox:  # fmt: skip
        """A list of a layer's choice: a registry's entries in words (an activation), or a key's
        own words ("same", "valid"), as Keras writes them."""
        box = name_widget(QComboBox(), f"stack_{key}{i}", of_layer(key.capitalize(), i), _(tip))
        if registry is not None:
            add_words(box, registry, options)
        else:
            box.addItems(options)
        box.setMaximumWidth(92)
        if isinstance(spec.get(key), str):
            box.setCurrentIndex(max(0, box.findData(spec[key]) if registry is not None else box.findText(spec[key])))
        box.activated.connect(self._live(lambda _j: self.edit(i, key, box.currentData() if registry is not None
                                                              else box.currentText())))  # fmt: skip
        return box

    # ----------------------------------------------------------------- edits
    def _live(self, act: Callable[..., Any]) -> Callable[..., None]:
        """`act` for a control of the rows on screen now; inert once a rebuild has replaced them
        (a click queued for a layer that was removed or moved)."""
        built = self._rows_built

        def run(*args: Any) -> None:
            if built == self._rows_built:
                act(*args)

        return run

    def _has(self, i: int) -> bool:
        return 0 <= i < len(self.hidden)

    def _set(self, path: str, value: Any) -> bool:
        try:
            self.state.set(path, value)
            return True
        except PlaygroundError as exc:
            self.message.emit(str(exc))
            self.rebuild()
            return False

    def _apply(self, layers: list[dict[str, Any]]) -> bool:
        """Check the new stack's shapes first (nothing changes when a layer does not fit)."""
        if self.image_shape is None and needs_images(layers):
            self.message.emit(_("convolution, pooling and flatten layers need image data"))
            return False
        if self.sequence_shape is None and needs_sequences(layers):
            kinds = ", ".join(k.keras for k in offered() if k.takes == "sequence")
            self.message.emit(_("recurrent layers ({kinds}) need sequence data: the sine, adding or parity set, "
                                "or a file of sequences").format(kinds=kinds))  # fmt: skip
            return False
        if self.shaped is not None:
            try:
                self._plan(layers)
            except PlaygroundError as exc:
                self.message.emit(str(exc))
                self.rebuild()
                return False
        return self._set("network.layers", layers)

    def edit(self, i: int, key: str, value: Any) -> bool:
        if not self._has(i):
            return False  # no layer i any more
        layers = copy.deepcopy(self.hidden)
        layers[i][key] = value
        return self._apply(layers)

    def change_type(self, i: int, kind: str) -> bool:
        """Layer i becomes a new layer of `kind` (the settings both kinds have, such as the activation, kept)."""
        if not self._has(i):
            return False
        layers = copy.deepcopy(self.hidden)
        new = new_entry(kind)
        old = {(k.name, k.kind) for k in kind_of(layers[i]).keys}
        for key in kind_of(new).keys:  # what both kinds have (the activation, a pool size) is kept
            if (key.name, key.kind) in old and key.name in layers[i]:
                new[key.name] = layers[i][key.name]
        layers[i] = new
        return self._apply(layers)

    def add_layer(self, kind: str) -> bool:
        """Image layers after the last image layer, a flatten after them, dense layers at the end;
        a recurrent layer after the last recurrent layer (which then gives it every step's state)."""
        layers = copy.deepcopy(self.hidden)
        new = new_entry(kind)
        taking = LAYERS.get(kind).takes
        if taking == "sequence":
            at = 1 + max((k for k, s in enumerate(layers) if kind_of(s).takes == "sequence"), default=-1)
            if at > 0 and kind_of(layers[at - 1]).gives_for(layers[at - 1]) != "sequence":
                layers[at - 1]["return_sequences"] = True  # Keras's way to stack recurrent layers
            layers.insert(at, new)
            return self._apply(layers)
        image_end = next((k for k, s in enumerate(layers) if kind_of(s).gives != "image"), len(layers))
        layers.insert(image_end if taking == "image" else len(layers), new)
        return self._apply(layers)

    def move(self, i: int, delta: int) -> bool:
        layers = copy.deepcopy(self.hidden)
        j = i + delta
        if not (self._has(i) and self._has(j)):
            return False
        layers[i], layers[j] = layers[j], layers[i]
        return self._apply(layers)

    def remove(self, i: int) -> bool:
        if not self._has(i):
            return False
        layers = copy.deepcopy(self.hidden)
        del layers[i]
        before = layers[i - 1] if i > 0 else None
        after = layers[i] if i < len(layers) else None
        if before is not None and kind_of(before).gives_for(before) == "sequence" and (
                after is None or kind_of(after).takes != "sequence"):  # fmt: skip
            before["return_sequences"] = False  # the last recurrent layer again: its last state goes on
        return self._apply(layers)

    # ----------------------------------------------------------------- drawing
    def set_snapshot(self, snap: Snapshot) -> None:
        ds = snap.data.dataset
        names = ds.class_names or [str(k) for k in range(max(ds.classes, 2))]
        self.set_data(ds.image_shape, int(snap.biases[-1].shape[-1]), names, ds.sequence_shape)
        if snap.layer_maps is not None and snap.layer_maps is not self.maps:
            self.maps = snap.layer_maps
            self._show_maps()

    def _show_maps(self) -> None:
        m = self.maps
        if m is None or self.image_shape is None or not self.rows or self.input_row is None:
            return
        fits = len(m.layers) == len(self.rows) and all(
            p.kind == r.kind for p, r in zip(m.layers, self.plan)
        )  # a snapshot of the structure before an edit: wait for the next one
        if not fits:
            return
        label = self.names[m.label] if 0 <= m.label < len(self.names) else ""
        if m.row < 0:
            what = _("your image from the draw pad")
        else:
            what = (_("sample {number} · {label}") if label else _("sample {number}")).format(number=m.row + 1,
                                                                                              label=label)
        self.input_row.detail.setText(_("{what} · click a sample in Samples to follow another").format(what=what))
        self.input_row.strip.set_picture(LayerPicture(None, "Input", m.pixels.shape, maps=_as_maps(m.pixels)),
                                         self.names, m.label)  # fmt: skip
        for row, pic, r in zip(self.rows, m.layers, self.plan):
            row.strip.set_picture(pic if LAYERS.get(r.layer).pictured else None, self.names, m.label)


def of_layer(setting: str, i: int) -> str:
    """A layer control's accessible name: the setting, then which layer ("Filters of layer 2")."""
    return _("{setting} of layer {number}").format(setting=setting, number=i + 1)


def _as_maps(pixels: np.ndarray) -> np.ndarray:
    """The picked image as one tile: grey (1, h, w) or colour (1, h, w, 3)."""
    return pixels[None]
