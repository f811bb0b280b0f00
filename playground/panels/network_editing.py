"""The neuron graph's edits: each hidden layer's controls (neurons, activation, dropout, batch
normalization; folded behind one button in a narrow column), adding and removing layers, switching inputs on and off,
the dialogs that type a new weight or bias, and the tooltips that say what a click will edit.

Every edit goes through the project state; one it refuses is said in `message` and `refused`
has the view rebuild its controls from the project. Controls made before the last rebuild are
inert: a click queued for a layer that was removed since edits nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QInputDialog,
    QMenu,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from engine import PlaygroundError, get_activation
from engine.core.activations import ACTIVATIONS, hidden_activations
from engine.core.i18n import N_, _, ngettext, term
from engine.core.layers import neuron_drawable
from engine.core.layers.batchnorm import BATCH_NORM
from engine.core.notation import keras_shapes, ng_shapes, weight_names
from engine.core.numbers import number
from engine.core.registry import spec_name
from engine.data import FEATURES

from ..run.snapshot import Snapshot
from ..run.state import ProjectState
from ..widgets import add_words, choose_data, guarded, name_widget
from .network_layout import Node, between_labels, drawn_layers, drawn_sources, pretty

MAX_LAYERS = 8
MAX_UNITS = 64
DEAD_TIP = N_("dead: TensorFlow Playground's L1 dropped this link")


class NetworkEditor(QObject):
    """Edits the project's dense layers and inputs for the graph view (its parent, which the
    controls and dialogs belong to)."""

    message = Signal(str)
    weight_edited = Signal(int, object, int, float)  # layer, row (None for a bias), column, value
    refused = Signal()  # the state refused an edit: the controls go back to what the project holds

    def __init__(self, state: ProjectState, view: QWidget) -> None:
        super().__init__(view)
        self.state, self.view = state, view
        self.built = 0  # bumped by each rebuild of the per-layer controls: older ones are inert

    @property
    def hidden(self) -> list[dict]:
        return drawn_layers(self.state.project)

    @property
    def convolutional(self) -> bool:
        """Whether the layer stack edits this network (kinds the graph does not draw)."""
        return not neuron_drawable(self.state.project["network"]["layers"])

    # ----------------------------------------------------------------- the project
    def set(self, path: str, value: object) -> None:
        try:
            self.state.set(path, value)
        except PlaygroundError as exc:
            self.message.emit(str(exc))
            self.refused.emit()

    def set_layer(self, built: int | None, i: int, key: str, value: object) -> None:
        """Layer i's `key`, from controls made by rebuild number `built` (None: from code). The
        layer is looked up now: controls of a rebuild since (a layer removed, a network of
        another kind) are inert, and so is an index past the layers there are now."""
        if built is not None and built != self.built:
            return
        if self.convolutional or not 0 <= i < len(self.hidden) or "units" not in self.hidden[i]:
            return  # the layer stack edits a convolutional network
        self.set(f"network.layers.{drawn_sources(self.state.project)[i]}.{key}", value)

    def set_units(self, i: int, delta: int, built: int | None = None) -> None:
        """One neuron more or fewer in layer i (nothing when there is no layer i any more)."""
        layers = self.hidden
        if 0 <= i < len(layers) and "units" in layers[i]:
            self.set_layer(built, i, "units", min(MAX_UNITS, max(1, layers[i]["units"] + delta)))

    def add_layer(self) -> None:
        if self.convolutional:
            return
        hidden = self.hidden
        template = hidden[-1] if hidden else {"units": 4, "activation": "tanh", "dropout": 0.0}
        new = {"units": 2 if hidden else 4, "activation": template["activation"], "dropout": 0.0}
        if template.get("batch_norm"):
            new["batch_norm"] = True  # a stack normalised layer by layer stays so
        self.set("network.layers", [dict(layer) for layer in self.state.project["network"]["layers"]] + [new])

    def remove_layer(self) -> None:
        """The last hidden layer goes, with the entries after it (its BatchNormalization or Activation)."""
        sources = drawn_sources(self.state.project)
        if self.convolutional or not sources:
            return
        self.set("network.layers", [dict(layer) for layer in self.state.project["network"]["layers"][: sources[-1]]])

    def toggle_feature(self, name: str) -> None:
        """Input feature `name` on or off (one must stay on)."""
        active = list(self.state.project["data"]["features"] or ["x1", "x2"])
        if name in active:
            if len(active) == 1:
                self.message.emit(_("At least one input feature must stay on."))
                return
            active.remove(name)
        else:
            active = [f for f in FEATURES.names() if f in active or f == name]
        self.set("data.features", active)

    # ----------------------------------------------------------------- dialogs
    def edit_weight(self, layer: int, i: int, j: int, w: float) -> None:
        """Type a new weight for the link from input i to neuron j of `layer`."""
        value, ok = QInputDialog.getDouble(
            self.view, _("Edit weight"), _("Weight of layer {layer}, input {input} → neuron {neuron}:").format(
                layer=layer + 1, input=i + 1, neuron=j + 1), w, -1e6, 1e6, 4,
        )
        if ok:
            self.weight_edited.emit(layer, i, j, value)

    def edit_bias(self, snap: Snapshot | None, layer: int, unit: int) -> None:
        """Type a new bias for one neuron (as an edge click does for a weight)."""
        if snap is None or layer >= len(snap.biases) or unit >= snap.biases[layer].size:
            return
        b = float(snap.biases[layer][unit])
        text = (_("Bias of output, neuron {neuron}:") if layer == len(self.hidden) else
                _("Bias of layer {layer}, neuron {neuron}:")).format(layer=layer + 1, neuron=unit + 1)
        value, ok = QInputDialog.getDouble(self.view, _("Edit bias"), text, b, -1e6, 1e6, 4)
        if ok:
            self.weight_edited.emit(layer, None, unit, value)

    # ----------------------------------------------------------------- controls
    def layer_controls(self, i: int, layer: dict, compact: bool) -> QWidget:
        """Layer i's controls: +/− and a typed neuron count, activation, dropout. In a narrow
        column (`compact`) they live in a popup behind one button that shows the count and
        activation. Either is the view's child, shown."""
        box = QWidget()
        box.setObjectName(f"layer{i}Controls")
        built = self.built
        edit = lambda key, value: self.set_layer(built, i, key, value)  # noqa: E731
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(3)
        row = QHBoxLayout()
        row.setSpacing(4)
        plus = name_widget(QToolButton(), f"addNeuron{i}", _("Add neuron to layer {number}").format(number=i + 1),
                           _("Add a neuron"))
        plus.setText("+")
        minus = name_widget(QToolButton(), f"removeNeuron{i}", _("Remove neuron from layer {number}").format(
            number=i + 1), _("Remove a neuron"))
        minus.setText("−")
        for b in (plus, minus):
            b.setProperty("role", "round")
        plus.setEnabled(layer["units"] < MAX_UNITS)
        minus.setEnabled(layer["units"] > 1)
        plus.clicked.connect(lambda: self.set_units(i, +1, built))
        minus.clicked.connect(lambda: self.set_units(i, -1, built))
        row.addWidget(plus)
        row.addWidget(minus)
        lay.addLayout(row)
        units = name_widget(
            QSpinBox(), f"units{i}", _("Neurons in layer {number}").format(number=i + 1),
            _("Neurons in layer {number}: type 1 to {most}").format(number=i + 1, most=MAX_UNITS),
        )
        units.setRange(1, MAX_UNITS)
        units.setValue(layer["units"])
        units.setSuffix(ngettext(" neuron", " neurons", layer["units"]))
        units.setAlignment(Qt.AlignmentFlag.AlignCenter)
        units.setKeyboardTracking(False)
        units.valueChanged.connect(lambda v: edit("units", int(v)))
        lay.addWidget(units)
        act = name_widget(QComboBox(), f"activation{i}", _("Activation of layer {number}").format(number=i + 1))
        names = hidden_activations()
        add_words(act, ACTIVATIONS, names, about=lambda n: get_activation(n).formula)
        current = spec_name(layer["activation"])
        choose_data(act, current)
        act.setToolTip(ACTIVATIONS.tooltip(current, get_activation(current).formula))
        act.activated.connect(lambda _k: edit("activation", act.currentData()))
        lay.addWidget(act)
        drop = name_widget(
            QDoubleSpinBox(),
            f"dropout{i}",
            _("Dropout of layer {number}").format(number=i + 1),
            _("Dropout rate p: in training each unit is dropped with probability p and the rest are "
              "scaled by 1/(1−p) (inverted dropout); at inference nothing is dropped."),
        )
        drop.setRange(0.0, 0.9)
        drop.setSingleStep(0.1)
        drop.setDecimals(2)
        drop.setPrefix(_("drop "))
        drop.setValue(layer["dropout"])
        drop.setKeyboardTracking(False)
        drop.valueChanged.connect(lambda v: edit("dropout", round(v, 2)))
        lay.addWidget(drop)
        typed = "BN" in between_labels(self.state.project).get(i + 1, [])  # a BatchNormalization entry after it
        norm_tip = (_(BATCH_NORM.help) + ". " + _("Needs a batch size of 2 or more; see the Batch norm tab.")
                    if not typed else _("This layer's values are normalised by a BatchNormalization layer of its own "
                                        "in the project file."))  # fmt: skip
        norm = name_widget(QCheckBox(_("BN")), f"batchNorm{i}",
                           _("Batch normalization in layer {number}").format(number=i + 1), norm_tip)
        norm.setChecked(bool(layer.get("batch_norm")) or typed)
        norm.setEnabled(not typed or bool(layer.get("batch_norm")))
        norm.toggled.connect(lambda on: edit("batch_norm", bool(on)))
        lay.addWidget(norm)
        if not compact:
            box.setParent(self.view)
            box.show()
            return box
        # Narrow columns: one button per layer opens the same controls in a popup.
        drop_text = f"d {layer['dropout']:.2f}" if layer["dropout"] else ""
        button = name_widget(
            LayerButton(str(layer["units"]), current, (drop_text, "BN" if norm.isChecked() else ""), self.view),
            f"layer{i}Button", _("Layer {number} settings").format(number=i + 1), self._button_tip(i, layer, current,
                                                                                                norm.isChecked()),
        )  # fmt: skip
        button.setProperty("role", "layerButton")
        popup = QMenu(button)
        popup.setObjectName(f"layer{i}Popup")
        holder = QWidgetAction(popup)
        box.setContentsMargins(8, 8, 8, 8)
        box.setMinimumWidth(120)
        holder.setDefaultWidget(box)
        popup.addAction(holder)
        button.setMenu(popup)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.show()
        return button

    @staticmethod
    def _button_tip(i: int, layer: dict, activation: str, batch_norm: bool) -> str:
        """A folded layer's button's tooltip: its neurons, activation, dropout and BN, and what a click does."""
        parts = [ngettext("{count} neuron", "{count} neurons", layer["units"]).format(count=layer["units"]), activation]
        if layer["dropout"]:
            parts.append(_("dropout {rate:.2f}").format(rate=layer["dropout"]))
        if batch_norm:
            parts.append(term("batch normalization"))
        return _("Layer {number}: {details}. Click for its settings").format(number=i + 1, details=", ".join(parts))


#: Shorter names for a folded layer's button, when the whole name does not fit its column.
SHORT_NAMES = {"sigmoid": "sigm", "leaky_relu": "leaky", "softplus": "splus", "linear": "lin"}


class LayerButton(QToolButton):
    """A folded layer's button: its neuron count, its activation, its dropout and BN if any, one a
    line. The activation is written in words when they fit the button's width, else in its short
    form ("relu", "sigm"); a longer word is elided with "…", never cut mid-letter ("6 sigmoi")."""

    def __init__(self, units: str, activation: str, extra: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines = (units, activation, *extra)  # extra: the dropout's and BN's lines, "" for none
        self._fit()

    def room(self) -> int:
        """Pixels a line of text may take: the width less the frame and padding (the style sheet
        draws no menu arrow on these buttons: it sat on the activation's last letters)."""
        return max(8, self.width() - 6)

    def _fit(self) -> None:
        units, activation, *extra = self.lines
        fm, room = self.fontMetrics(), self.room()
        word = ACTIVATIONS.words(activation)  # in words, as its list says it ("Leaky ReLU")
        for candidate in (word, SHORT_NAMES.get(activation, activation)):  # else short, as the files write it
            word = candidate
            if fm.horizontalAdvance(candidate) <= room:
                break
        else:
            word = fm.elidedText(word, Qt.TextElideMode.ElideRight, room)
        text = "\n".join(line for line in (units, word, *extra) if line)
        if self.text() != text:
            self.setText(text)

    @guarded  # an override of a Qt virtual
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    @guarded
    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._fit()


# ===================================================================== what a hover says
def is_dead(snap: Snapshot | None, layer: int, i: int, j: int) -> bool:
    """Whether TensorFlow Playground's L1 rule dropped the link from input i to neuron j of `layer`."""
    dead = snap.dead if snap is not None else None
    if dead is None or layer >= len(dead) or dead[layer].ndim != 2:
        return False
    return bool(i < dead[layer].shape[0] and j < dead[layer].shape[1] and dead[layer][i, j])


def edge_tip(snap: Snapshot | None, layer: int, i: int, j: int, w: float) -> str:
    """A weight's value, where it sits in Keras's kernel and in Ng's W[l], and how to edit it."""
    text = "\n".join((_("weight {value}").format(value=number(w, sign=True)),
                      _("layer {layer}: input {input} → neuron {neuron}").format(layer=layer + 1, input=i + 1,
                                                                                neuron=j + 1),
                      weight_names(layer + 1, i, j)))  # fmt: skip
    if snap is not None and layer < len(snap.kernels):
        n_in, n_out = snap.kernels[layer].shape
        text += f"\n{keras_shapes(n_in, n_out)} · {ng_shapes(layer + 1, n_in, n_out)}: W[{layer + 1}] = kernelᵀ"
    if is_dead(snap, layer, i, j):
        # The engine keeps a dead link at 0 (trainer.dead): a typed weight lasts one step.
        dead = _("{dead}: its penalty step crossed 0, so it stays at 0 (another penalty or L1 rule frees it)").format(
            dead=_(DEAD_TIP))
        return f"{dead}\n{text}\n" + _("click to edit (the next step sets it back to 0)")
    return text + "\n" + _("click to edit")


def node_tip(snap: Snapshot | None, node: Node, activation: str) -> str:
    """An input's name and what a click does to it; a neuron's place, activation, bias and where
    its weights sit in Keras's kernel and in Ng's notation, and what its box shows."""
    if node.layer == -1:
        if node.feature in FEATURES:
            return (_("{feature}: click to turn this input off") if node.active else
                    _("{feature}: click to turn this input on")).format(feature=pretty(node.feature))
        return node.feature or ""
    text = _("layer {layer}, neuron {neuron} ({activation})").format(layer=node.layer + 1, neuron=node.index + 1,
                                                                     activation=activation)
    if snap is not None and node.layer < len(snap.biases):
        b = snap.biases[node.layer]
        if node.index < b.size:
            text += "\n" + _("bias {value} · click to edit").format(value=number(b[node.index], sign=True))
        n_in, n_out = snap.kernels[node.layer].shape
        layer, k = node.layer + 1, node.index + 1
        text += "\n" + _("its weights: column {k} of the kernel ({n_in}, {n_out}) in Keras; row {k} of W[{layer}] "
                         "({n_out}, {n_in}) in Ng's notation, W[{layer}] = kernelᵀ").format(
            k=k, n_in=n_in, n_out=n_out, layer=layer)
    if snap is not None and snap.extent is not None:
        text += "\n" + _("its output is drawn on the output plot while hovered")
    elif snap is not None and node.layer == 0:
        text += "\n" + _("its box: its weights over the raw inputs (blue raises it, orange lowers it)")
    elif snap is not None:
        text += "\n" + _("its box: the product of the kernels down to it, what it would respond to if the layers "
                         "between were linear")
    return text


def mark_tip(column: int, text: str) -> str:
    """What hovering a column's mark says: what acts on its values before the next column."""
    if "BN" not in text.split(" → "):
        message = (_("{ops}: applied to the inputs before the next layer") if column == 0 else
                   _("{ops}: applied to layer {number}'s z before the next layer"))
    elif column == 0:
        message = _("{ops}: batch normalization of the inputs, unit by unit: in training by the batch's mean and "
                    "variance, at inference (the plane, the test split) by the moving ones, then scaled by γ and "
                    "shifted by β. The Batch norm tab shows each unit before and after.")
    else:
        message = _("{ops}: batch normalization of layer {number}'s z, unit by unit: in training by the batch's mean "
                    "and variance, at inference (the plane, the test split) by the moving ones, then scaled by γ and "
                    "shifted by β before the activation. The Batch norm tab shows each unit before and after.")
    return message.format(ops=text, number=column)
