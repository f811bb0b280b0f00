"""The network builder: inputs, hidden layers and outputs drawn as a graph.

Each neuron shows a live thumbnail of its output over the input plane; edges are blue for
positive and orange for negative weights, thicker for larger |w|, grey and dashed for links
TensorFlow Playground's L1 rule has dropped for good. Hover an edge to read its weight, click it
to type a new one. Click an input feature to switch it on or off; the
controls above each layer add or remove neurons and set its activation and dropout.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QInputDialog,
    QMenu,
    QSpinBox,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from engine import ACTIVATIONS, INITIALIZERS, PlaygroundError, get_activation
from engine.data import FEATURES, apply_features
from engine.initializers import zero_start
from engine.layers import is_convolutional
from engine.notation import keras_shapes, ng_shapes, weight_names

from ..colors import NEGATIVE, POSITIVE, blend_white, diverging_rgb
from ..snapshot import Snapshot
from ..state import Change, ProjectState
from ..widgets import Label, guarded, name_widget, plain_tip, to_qimage
from .images import weight_images

MAX_LAYERS = 8
MAX_UNITS = 64
MAX_SHOWN = 16  # neurons drawn per layer at most; the rest are summarised as "+N more"
EDGE_BUCKETS = 8  # edges are drawn in this many widths per sign, one drawLines call each
PITCH_MAX = 64  # px between neuron centres when there is room
PITCH_MIN = 26
MIN_ROWS = 7  # the seven input features must fit
CONTROLS_Y = 42  # the per-layer controls start here; the neurons below them
FULL_CONTROLS = 96  # width of a layer's controls when they are shown in full
FULL_TOP = 190  # where the neurons start below full controls
MIN_HEIGHT = 150 + MIN_ROWS * PITCH_MIN  # folded controls above seven inputs
DEAD_EDGE = (150, 150, 150)  # a link TensorFlow Playground's L1 rule dropped: grey and dashed
DEAD_TIP = "dead: TensorFlow Playground's L1 dropped this link"


@dataclass
class _Node:
    layer: int  # −1 for inputs, 0.. for dense layers (the output layer last)
    index: int  # unit index within the layer (input: position among active features)
    rect: QRectF
    active: bool = True
    feature: str | None = None


class NetworkView(QWidget):
    weight_edited = Signal(int, object, int, float)  # layer, row (None for a bias), column, value
    message = Signal(str)
    #: The hovered neuron's (or input's) picture over the plane, row 0 at the bottom, and its name;
    #: None when the mouse leaves the neurons.
    hovered = Signal(object, str)

    def __init__(self, state: ProjectState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkView")
        self.setAccessibleName("Network builder")
        self.setMouseTracking(True)
        self.setMinimumSize(380, MIN_HEIGHT)
        self.state = state
        self.snapshot: Snapshot | None = None
        self.nodes: list[_Node] = []
        self._feature_thumbs: dict[str, QImage] = {}
        self._thumb_key: tuple | None = None
        self._layer_boxes: list[QWidget] = []
        self._controls_built = 0  # bumped by each rebuild: controls of an older one are inert
        self._edge_buckets: dict[tuple[bool, int], list[QLineF]] = {}
        self._dead_lines: list[QLineF] = []  # links TFP's L1 rule dropped for the rest of the run
        self._edge_lines: list[QLineF] = []
        self._block_lines: list[tuple[QLineF, int]] = []  # raw-input block → first-layer unit
        self._edge_spans: list[tuple[int, int, int, np.ndarray, np.ndarray]] = []
        self._edge_values = np.zeros(0)
        self._thumbs: dict[tuple, object] = {}  # this snapshot's neuron images and layer colours
        self.top = 150.0  # y of the first neuron row, set by _relayout below the layer controls
        self.pitch, self.node_size = 50.0, 40.0  # set by _layout_nodes from the room there is
        self._more: dict[int, tuple[float, int]] = {}  # layer -> (y, neurons not drawn)
        self._compact = False  # whether the layer controls are folded into one button each
        self._hovered: tuple | None = None  # the node under the mouse
        self.paint_ms = 0.0  # what a repaint costs (smoothed): the view router spaces costly ones out

        self.add_layer = name_widget(QToolButton(), "addLayer", "Add hidden layer", "Add a hidden layer")
        self.add_layer.setText("+")
        self.remove_layer = name_widget(
            QToolButton(), "removeLayer", "Remove hidden layer", "Remove the last hidden layer"
        )
        self.remove_layer.setText("−")
        self.layers_label = Label(self)
        self.layers_label.setObjectName("layersLabel")
        for w in (self.add_layer, self.remove_layer):
            w.setParent(self)
            w.setProperty("role", "round")
        self.initializer = name_widget(QComboBox(self), "initializer", "Initializer")  # its tooltip: rebuild()
        self.initializer.addItems(INITIALIZERS.names())
        self.initializer.activated.connect(lambda _i: self._set("network.initializer", self.initializer.currentText()))
        self.init_label = Label("init", self)
        self.init_label.setObjectName("initLabel")
        self.add_layer.clicked.connect(self._add_layer)
        self.remove_layer.clicked.connect(self._remove_layer)
        state.changed.connect(self._changed)
        self.rebuild()

    # ----------------------------------------------------------------- structure
    def _changed(self, change: Change) -> None:
        if change.touches("network", "data", "seed"):
            self.rebuild()

    @property
    def hidden(self) -> list[dict]:
        """The hidden layers this graph draws: none for a convolutional network, which only the
        layer stack shows (this view is then off screen and keeps no snapshot)."""
        return [] if self.convolutional else self.state.project["network"]["layers"]

    @property
    def convolutional(self) -> bool:
        return is_convolutional(self.state.project["network"]["layers"])

    def rebuild(self) -> None:
        """Recreate the per-layer controls after a structural change."""
        for box in self._layer_boxes:
            box.setEnabled(False)  # a click already queued for it finds it dead
            box.hide()
            box.deleteLater()
        self._layer_boxes = []
        self._controls_built += 1
        left, right = self._margins()
        self.setMinimumWidth(max(380, left + right + (len(self.hidden) + 1) * 46))
        self._compact = self._wants_compact()
        for i, layer in enumerate(self.hidden):
            self._layer_boxes.append(self._layer_controls(i, layer))
        n = len(self.hidden)
        self.layers_label.setText(f"{n} HIDDEN LAYER{'S' if n != 1 else ''}")
        network = self.state.project["network"]
        self.initializer.setCurrentText(network["initializer"])
        bias = network.get("bias_init", 0.0)
        tip = f"How the kernels start (biases start at {bias:g})."
        if not self.convolutional:  # zero kernels here: dead or symmetric units, by the activations
            dropout = any(layer.get("dropout", 0) > 0 for layer in self.hidden)
            tip += " With 'zeros' here: " + zero_start([h["activation"] for h in self.hidden], bias, dropout)
        self.initializer.setToolTip(tip)
        self.add_layer.setEnabled(n < MAX_LAYERS)
        self.remove_layer.setEnabled(n > 0)
        self._relayout()
        self.update()

    def _layer_controls(self, i: int, layer: dict) -> QWidget:
        """Layer i's controls: +/− and a typed neuron count, activation, dropout. In a narrow
        column they live in a popup behind one button that shows the count and activation."""
        box = QWidget()
        box.setObjectName(f"layer{i}Controls")
        built = self._controls_built
        edit = lambda key, value: self._set_layer(built, i, key, value)  # noqa: E731
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(3)
        row = QHBoxLayout()
        row.setSpacing(4)
        plus = name_widget(QToolButton(), f"addNeuron{i}", f"Add neuron to layer {i + 1}", "Add a neuron")
        plus.setText("+")
        minus = name_widget(QToolButton(), f"removeNeuron{i}", f"Remove neuron from layer {i + 1}", "Remove a neuron")
        minus.setText("−")
        for b in (plus, minus):
            b.setProperty("role", "round")
        plus.setEnabled(layer["units"] < MAX_UNITS)
        minus.setEnabled(layer["units"] > 1)
        plus.clicked.connect(lambda: self._set_units(i, +1, built))
        minus.clicked.connect(lambda: self._set_units(i, -1, built))
        row.addWidget(plus)
        row.addWidget(minus)
        lay.addLayout(row)
        units = name_widget(
            QSpinBox(), f"units{i}", f"Neurons in layer {i + 1}", f"Neurons in layer {i + 1}: type 1 to {MAX_UNITS}"
        )
        units.setRange(1, MAX_UNITS)
        units.setValue(layer["units"])
        units.setSuffix(" neurons" if layer["units"] != 1 else " neuron")
        units.setAlignment(Qt.AlignmentFlag.AlignCenter)
        units.setKeyboardTracking(False)
        units.valueChanged.connect(lambda v: edit("units", int(v)))
        lay.addWidget(units)
        act = name_widget(QComboBox(), f"activation{i}", f"Activation of layer {i + 1}")
        names = [n for n in ACTIVATIONS.names() if n != "softmax"]
        act.addItems(names)
        current = layer["activation"]["name"] if isinstance(layer["activation"], dict) else layer["activation"]
        act.setCurrentText(current)
        act.setToolTip(get_activation(current).formula)
        act.activated.connect(lambda _k: edit("activation", act.currentText()))
        lay.addWidget(act)
        drop = name_widget(
            QDoubleSpinBox(),
            f"dropout{i}",
            f"Dropout of layer {i + 1}",
            "Dropout rate p: in training each unit is dropped with probability p and the rest are "
            "scaled by 1/(1−p) (inverted dropout); at inference nothing is dropped.",
        )
        drop.setRange(0.0, 0.9)
        drop.setSingleStep(0.1)
        drop.setDecimals(2)
        drop.setPrefix("drop ")
        drop.setValue(layer["dropout"])
        drop.setKeyboardTracking(False)
        drop.valueChanged.connect(lambda v: edit("dropout", round(v, 2)))
        lay.addWidget(drop)
        if not self._compact:
            box.setParent(self)
            box.show()
            return box
        # Narrow columns: one button per layer opens the same controls in a popup.
        button = name_widget(
            QToolButton(self), f"layer{i}Button", f"Layer {i + 1} settings", f"Layer {i + 1}: neurons, activation…"
        )
        drop_text = f"\nd {layer['dropout']:.2f}" if layer["dropout"] else ""
        button.setText(f"{layer['units']}\n{current[:6]}{drop_text}")
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

    def _set(self, path: str, value: object) -> None:
        try:
            self.state.set(path, value)
        except PlaygroundError as exc:
            self.message.emit(str(exc))
            self.rebuild()

    def _set_layer(self, built: int | None, i: int, key: str, value: object) -> None:
        """Layer i's `key`, from controls made by rebuild number `built` (None: from code). The
        layer is looked up now: controls of a rebuild since (a layer removed, a network of
        another kind) are inert, and so is an index past the layers there are now."""
        if built is not None and built != self._controls_built:
            return
        if self.convolutional or not 0 <= i < len(self.hidden) or "units" not in self.hidden[i]:
            return  # the layer stack edits a convolutional network
        self._set(f"network.layers.{i}.{key}", value)

    def _set_units(self, i: int, delta: int, built: int | None = None) -> None:
        """One neuron more or fewer in layer i (nothing when there is no layer i any more)."""
        layers = self.hidden
        if 0 <= i < len(layers) and "units" in layers[i]:
            self._set_layer(built, i, "units", min(MAX_UNITS, max(1, layers[i]["units"] + delta)))

    def _add_layer(self) -> None:
        if self.convolutional:
            return
        layers = [dict(layer) for layer in self.hidden]
        template = layers[-1] if layers else {"units": 4, "activation": "tanh", "dropout": 0.0}
        layers.append({"units": 2 if layers else 4, "activation": template["activation"], "dropout": 0.0})
        self._set("network.layers", layers)

    def _remove_layer(self) -> None:
        if self.convolutional:
            return
        self._set("network.layers", [dict(layer) for layer in self.hidden[:-1]])

    # ----------------------------------------------------------------- geometry
    @guarded
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._relayout()

    def _margins(self) -> tuple[int, int]:
        """Room left of the inputs (feature names) and right of the outputs (class names)."""
        return 70, (110 if len(self._class_names()) > 2 else 40)

    def _class_names(self) -> list[str]:
        snap = self.snapshot
        return list(snap.data.dataset.class_names) if snap is not None else []

    def _columns(self) -> list[float]:
        n_cols = len(self.hidden) + 2
        left, right = self._margins()
        right = self.width() - right
        step = (right - left) / (n_cols - 1)
        # Whole pixels: an antialiased painter draws a thumbnail at a fractional position ten
        # times slower (42 µs against 4), and the thumbnails come out sharper too.
        return [round(left + k * step) for k in range(n_cols)]

    def _wants_compact(self) -> bool:
        """Whether the layer controls must fold into one button each: columns narrower than the
        controls, or too little height for them above the neurons."""
        cols = self._columns()
        step = cols[2] - cols[1] if len(cols) > 2 else self.width()
        return step < FULL_CONTROLS + 6 or self.height() < FULL_TOP + MIN_ROWS * PITCH_MIN + 12

    def _relayout(self) -> None:
        if self._layer_boxes and self._wants_compact() != self._compact:
            self.rebuild()  # rebuilds the controls in the other form, then lays out again
            return
        cols = self._columns()
        self.layers_label.adjustSize()
        self.initializer.adjustSize()
        self.initializer.move(self.width() - self.initializer.width() - 12, 8)
        self.init_label.adjustSize()
        self.init_label.move(self.initializer.x() - self.init_label.width() - 6, 12)
        # The layer buttons and count centred, moved left as far as needed to clear "init".
        left = int(self.width() / 2 - 110)
        left = max(8, min(left, self.init_label.x() - 16 - (66 + self.layers_label.width())))
        self.remove_layer.setGeometry(left, 8, 26, 26)
        self.add_layer.setGeometry(left + 30, 8, 26, 26)
        self.layers_label.move(left + 66, 12)
        tallest = 0
        step = cols[2] - cols[1] if len(cols) > 2 else FULL_CONTROLS
        # Right after the project changes, a resize can arrive before rebuild() has replaced the
        # old controls: place only the boxes that have a column.
        for i, box in enumerate(self._layer_boxes[: len(cols) - 2]):
            w = FULL_CONTROLS if not self._compact else max(34, min(72, step - 6))
            h = box.sizeHint().height()
            box.setGeometry(int(cols[i + 1] - w / 2), CONTROLS_Y, w, h)
            tallest = max(tallest, h)
        self.top = CONTROLS_Y + max(tallest, 30) + 36
        self._layout_nodes()

    def _layout_nodes(self) -> None:
        """Neurons sized to the room: up to PITCH_MAX apart, down to PITCH_MIN; a layer with more
        neurons than fit shows all it can and '+N more' in its last place."""
        cols = self._columns()
        nodes: list[_Node] = []
        d = self.state.project["data"]
        point_data = self.snapshot is None or self.snapshot.extent is not None
        n_out = self.snapshot.weights[-1].shape[0] if self.snapshot is not None else 1
        widths = [h["units"] for h in self.hidden] + [n_out]
        avail = max(0.0, self.height() - self.top - 12)
        wanted = max([len(FEATURES) if point_data else 2] + [min(u, MAX_SHOWN) for u in widths])
        pitch = max(PITCH_MIN, min(PITCH_MAX, avail / wanted))
        rows = max(2, min(MAX_SHOWN, int(avail // pitch)))
        step = cols[1] - cols[0]
        size = float(round(max(16.0, min(pitch * 0.8, step * 0.6))))
        self.pitch, self.node_size = pitch, size
        if point_data:
            active = d["features"] or ["x1", "x2"]
            for f_i, name in enumerate(FEATURES.names()):
                rect = QRectF(cols[0] - size // 2, round(self.top + f_i * pitch), size, size)
                on = name in active
                nodes.append(_Node(-1, active.index(name) if on else -1, rect, on, name))
        else:
            n_in = self.snapshot.weights[0].shape[0] if self.snapshot else 0
            block = QRectF(cols[0] - size // 2, round(self.top), size, size * 2)
            nodes.append(_Node(-1, -1, block, True, f"{n_in} inputs"))
        self._more = {}
        for layer, units in enumerate(widths):
            shown = units if units <= rows else rows - 1
            if shown < units:
                self._more[layer] = (self.top + shown * pitch, units - shown)
            for u in range(shown):
                rect = QRectF(cols[layer + 1] - size // 2, round(self.top + u * pitch), size, size)
                nodes.append(_Node(layer, u, rect))
        self.nodes = nodes
        self._edge_geometry()
        self._layout_edges()

    def _in_step(self) -> bool:
        """Whether the snapshot shows the structure the state describes. Right after an edit the
        state is a step ahead; until the rebuilt network reports, edges and thumbnails wait."""
        snap = self.snapshot
        if snap is None:
            return False
        hidden = [k.shape[1] for k in snap.weights[0::2]][:-1]
        if hidden != [h["units"] for h in self.hidden]:
            return False
        features = self.state.project["data"]["features"]
        return snap.extent is None or features is None or snap.weights[0].shape[0] == len(features)

    def _edge_geometry(self) -> None:
        """Where each drawn edge runs, from the node layout: computed once per layout, since
        building ~400 QLineF objects per frame cost 5 ms."""
        by_layer: dict[int, list[_Node]] = {}
        for n in self.nodes:
            if n.active and n.index >= 0:
                by_layer.setdefault(n.layer, []).append(n)
        lines: list[QLineF] = []
        self._edge_spans: list[tuple[int, int, int, np.ndarray, np.ndarray]] = []
        for layer in range(len(self.hidden) + 1):
            start = len(lines)
            src, dst = [], []
            for a in by_layer.get(layer - 1, []):
                for b in by_layer.get(layer, []):
                    lines.append(QLineF(a.rect.right(), a.rect.center().y(), b.rect.left(), b.rect.center().y()))
                    src.append(a.index)
                    dst.append(b.index)
            self._edge_spans.append((layer, start, len(lines), np.array(src, np.intp), np.array(dst, np.intp)))
        self._edge_lines = lines
        # Image or table data: one line from the block of raw inputs to each first-layer unit,
        # as wide as that unit's kernel column is large (the weights themselves are its picture).
        block = next((n for n in self.nodes if n.layer == -1 and n.feature not in FEATURES), None)
        self._block_lines = [
            (QLineF(block.rect.right(), block.rect.center().y(), b.rect.left(), b.rect.center().y()), b.index)
            for b in by_layer.get(0, [])
        ] if block is not None else []  # fmt: skip

    def _layout_edges(self) -> None:
        """This snapshot's weights on the edges: values for hovering, lines bucketed by sign
        and |w| for drawing (one drawLines call per bucket)."""
        self._edge_values = np.zeros(0)
        self._edge_buckets = {}
        self._dead_lines = []
        self._thumbs = {}
        snap = self.snapshot
        if not self._in_step() or not (self._edge_lines or self._block_lines):
            return
        kernels = snap.weights[0::2]
        try:
            values = np.concatenate([kernels[layer][i, j] for layer, _a, _b, i, j in self._edge_spans])
        except IndexError:  # the layout is a step behind the weights; the next layout fixes it
            return
        self._edge_values = values
        lines = list(self._edge_lines)
        # Links TensorFlow Playground's L1 rule killed: drawn apart (grey, dashed), not as weights.
        dead = np.zeros(values.size, dtype=bool)
        if snap.dead is not None and len(snap.dead) == len(kernels):
            dead = np.concatenate([snap.dead[layer][i, j] for layer, _a, _b, i, j in self._edge_spans])
        self._dead_lines = [lines[t] for t in np.flatnonzero(dead)]
        if self._block_lines:  # the block's lines: the column's RMS weight, signed by its mean
            k0 = kernels[0]
            cols = np.array([j for _line, j in self._block_lines], np.intp)
            rms = np.sqrt(np.mean(k0[:, cols] ** 2, axis=0)) * np.sign(np.mean(k0[:, cols], axis=0) + 1e-300)
            top_block = float(np.max(np.abs(rms))) or 1.0
            top_edges = float(np.max(np.abs(values))) if values.size else top_block
            values = np.concatenate([values, rms * (top_edges / top_block)])
            lines += [line for line, _j in self._block_lines]
        top = float(np.max(np.abs(values))) if values.size else 1.0
        k = np.minimum(EDGE_BUCKETS - 1, (np.abs(values) / (top or 1.0) * EDGE_BUCKETS).astype(np.intp))
        keys = k + EDGE_BUCKETS * (values > 0)
        keys[: dead.size][dead] = -1  # drawn as dead only
        for key in np.unique(keys[keys >= 0]):
            idx = np.flatnonzero(keys == key)
            self._edge_buckets[(bool(key >= EDGE_BUCKETS), int(key % EDGE_BUCKETS))] = [lines[t] for t in idx]

    @property
    def edges(self) -> list[tuple[QPointF, QPointF, int, int, int, float]]:
        """(start, end, layer, input index, neuron index, weight) of every drawn edge."""
        out = []
        if self._edge_values.size != len(self._edge_lines):
            return out
        for layer, a, _b, src, dst in self._edge_spans:
            for t, (i, j) in enumerate(zip(src, dst), start=a):
                line = self._edge_lines[t]
                out.append((line.p1(), line.p2(), layer, int(i), int(j), float(self._edge_values[t])))
        return out

    def set_snapshot(self, snap: Snapshot) -> None:
        if self.convolutional or any(w.ndim > 2 for w in snap.weights):
            self.snapshot = None  # the layer stack draws this network
            return
        structure_changed = (
            self.snapshot is None
            or self.snapshot.generation != snap.generation
            or [w.shape for w in self.snapshot.weights] != [w.shape for w in snap.weights]
            or (self.snapshot.extent is None) != (snap.extent is None)
        )
        self.snapshot = snap
        if structure_changed:
            self._relayout()
            self.update()
            return
        self._layout_edges()
        if self._hovered is not None:  # the hovered neuron's picture follows training
            node = next((n for n in self.nodes if (n.layer, n.index, n.feature) == self._hovered), None)
            self._hovered = None
            self._hover(node)
        # Only the neurons and edges change: repainting the whole view would repaint every
        # layer's controls too (child widgets in the dirty region), 3.7 ms of a frame.
        self.update(QRect(0, int(self.top) - 32, self.width(), self.height()))

    # ----------------------------------------------------------------- painting
    def _feature_image(self, name: str) -> QImage | None:
        snap = self.snapshot
        if snap is None or snap.extent is None:
            return None
        key = (snap.extent,)
        if key != self._thumb_key:
            self._feature_thumbs = {}
            self._thumb_key = key
        if name not in self._feature_thumbs:
            x0, x1, y0, y1 = snap.extent
            g = 20
            gx, gy = np.meshgrid(np.linspace(x0, x1, g), np.linspace(y1, y0, g))
            # Data near float64's limit squares to inf: drawn as the map's end or "not a number".
            with np.errstate(over="ignore", invalid="ignore"):
                vals = apply_features(np.column_stack([gx.ravel(), gy.ravel()]), [name])[:, 0]
                finite = np.abs(vals[np.isfinite(vals)])
                top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
                self._feature_thumbs[name] = to_qimage(diverging_rgb(vals.reshape(g, g) / top))
        return self._feature_thumbs[name]

    def _neuron_image(self, layer: int, unit: int) -> QImage | None:
        key = (layer, unit)
        if key in self._thumbs:
            return self._thumbs[key]
        self._thumbs[key] = self._render_neuron(layer, unit)
        return self._thumbs[key]

    def _render_neuron(self, layer: int, unit: int) -> QImage | None:
        rgb = self._layer_rgb(layer)
        if rgb is None or unit >= rgb.shape[0]:
            return None
        return to_qimage(rgb[unit])

    def _layer_rgb(self, layer: int) -> np.ndarray | None:
        """A layer's thumbnails as one (units, g, g, 3) colour array: one colour-map call per
        layer per snapshot. tanh is shown as is, sigmoid/softmax mapped from [0, 1] to [−1, 1],
        unbounded activations scaled by each neuron's largest |value|."""
        key = ("layer", layer)
        if key in self._thumbs:
            return self._thumbs[key]
        snap = self.snapshot
        rgb = None
        if snap is not None and snap.extent is None and self._in_step():
            rgb = self._weight_rgb(snap, layer)
        elif snap is not None and snap.neuron_grids and layer < len(snap.neuron_grids) and self._in_step():
            values = snap.neuron_grids[layer][:, ::-1]  # row 0 is the bottom of the plane
            act = self._activation_name(layer)
            if act in ("sigmoid", "softmax"):
                values = values * 2 - 1
            elif act != "tanh":
                top = np.max(np.abs(values), axis=(1, 2), keepdims=True)
                values = values / np.where(top > 0, top, 1.0)
            rgb = diverging_rgb(values)
        self._thumbs[key] = rgb
        return rgb

    @staticmethod
    def _weight_rgb(snap: Snapshot, layer: int) -> np.ndarray | None:
        """For data without an input plane (images, tables): each unit's weights over the raw
        inputs as a picture (an image's pixels, or a strip of a table's columns). Deeper units
        show the product of the kernels down to them: what they would respond to if the layers
        between were linear. Orange negative, blue positive, scaled per unit."""
        kernels = snap.weights[0::2]
        if layer >= len(kernels) or snap.data.dataset.x.shape[1] != kernels[0].shape[0]:
            return None  # feature maps in between: the kernel rows are not raw inputs
        w = kernels[0]
        for k in kernels[1 : layer + 1]:
            w = w @ k
        shape = snap.data.dataset.image_shape
        return weight_images(w, shape if shape is not None else (1, w.shape[0]))

    def _activation_name(self, layer: int) -> str:
        if layer < len(self.hidden):
            a = self.hidden[layer]["activation"]
        else:
            a = self.state.project["network"]["output_activation"]
        return a["name"] if isinstance(a, dict) else a

    @guarded
    def paintEvent(self, event) -> None:
        t0 = time.perf_counter()
        self._paint(event)
        ms = (time.perf_counter() - t0) * 1e3
        self.paint_ms = ms if self.paint_ms == 0 else 0.8 * self.paint_ms + 0.2 * ms

    def _paint(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(255, 255, 255))
        for (positive, k), lines in self._edge_buckets.items():
            strength = (k + 1) / EDGE_BUCKETS
            color = blend_white(POSITIVE if positive else NEGATIVE, 0.3 + 0.7 * strength)
            painter.setPen(QPen(QColor(*color), 0.6 + 5.0 * strength))
            painter.drawLines(lines)
        if self._dead_lines:
            painter.setPen(QPen(QColor(*DEAD_EDGE), 1.2, Qt.PenStyle.DashLine))
            painter.drawLines(self._dead_lines)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.85)
        painter.setFont(font)
        for node in self.nodes:
            img = None
            if node.layer == -1 and node.feature in FEATURES:
                img = self._feature_image(node.feature)
            elif node.layer >= 0:
                img = self._neuron_image(node.layer, node.index)
            painter.setPen(QPen(QColor(150, 150, 150) if node.active else QColor(215, 215, 215), 1))
            painter.setBrush(QColor(245, 245, 245))
            painter.drawRoundedRect(node.rect, 4, 4)
            if img is not None:
                if not node.active:
                    painter.setOpacity(0.25)
                painter.drawImage(node.rect.adjusted(1, 1, -1, -1), img)
                painter.setOpacity(1.0)
            self._label(painter, node)
        cols = self._columns()
        painter.setPen(QColor(90, 90, 90))
        for layer, (y, hidden_units) in self._more.items():
            rect = QRectF(cols[layer + 1] - 40, y, 80, self.node_size)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"+{hidden_units}\nmore")
        painter.setPen(QColor(90, 90, 90))
        painter.drawText(QRectF(cols[0] - 60, self.top - 30, 120, 20), Qt.AlignmentFlag.AlignCenter, "INPUTS")
        out_label = "OUTPUT"
        painter.drawText(QRectF(cols[-1] - 60, self.top - 30, 120, 20), Qt.AlignmentFlag.AlignCenter, out_label)
        painter.end()

    def _label(self, painter: QPainter, node: _Node) -> None:
        """Feature names left of the inputs, the size of a raw input block, class names by the outputs."""
        if node.layer == -1 and node.feature in FEATURES:
            painter.setPen(QColor(60, 60, 60) if node.active else QColor(170, 170, 170))
            rect = QRectF(node.rect.left() - 66, node.rect.top(), 62, node.rect.height())
            painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, _pretty(node.feature))
        elif node.layer == -1:  # a block of raw inputs (pixels, CSV columns)
            painter.setPen(QColor(60, 60, 60))
            rect = QRectF(node.rect.center().x() - 60, node.rect.bottom() + 4, 120, 34)
            painter.drawText(rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, node.feature or "")
        elif node.layer == len(self.hidden) and self.snapshot is not None:
            names = self.snapshot.data.dataset.class_names
            if len(names) > 2 and node.index < len(names):
                painter.setPen(QColor(80, 80, 80))
                rect = QRectF(node.rect.right() + 6, node.rect.top(), 90, node.rect.height())
                painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, names[node.index])

    # ----------------------------------------------------------------- interaction
    def _edge_at(self, pos: QPointF) -> tuple | None:
        best, best_d = None, 5.0
        for edge in self.edges:
            p, q = edge[0], edge[1]
            d = _segment_distance(pos, p, q)
            if d < best_d:
                best, best_d = edge, d
        return best

    def _node_at(self, pos: QPointF) -> _Node | None:
        for node in self.nodes:
            if node.rect.contains(pos):
                return node
        return None

    def hover_rgb(self, node: _Node) -> np.ndarray | None:
        """What a node computes over the input plane, as colours with row 0 at the bottom."""
        snap = self.snapshot
        if snap is None or snap.extent is None:
            return None
        if node.layer == -1:
            if node.feature not in FEATURES:
                return None
            x0, x1, y0, y1 = snap.extent
            g = 60
            gx, gy = np.meshgrid(np.linspace(x0, x1, g), np.linspace(y0, y1, g))
            vals = apply_features(np.column_stack([gx.ravel(), gy.ravel()]), [node.feature])[:, 0]
            return diverging_rgb(vals.reshape(g, g) / (np.max(np.abs(vals)) or 1.0))
        rgb = self._layer_rgb(node.layer)
        return None if rgb is None or node.index >= rgb.shape[0] else rgb[node.index][::-1]

    def _hover(self, node: _Node | None) -> None:
        key = None if node is None else (node.layer, node.index, node.feature)
        if key == self._hovered:
            return
        self._hovered = key
        rgb = None if node is None else self.hover_rgb(node)
        if rgb is None:
            self.hovered.emit(None, "")
        elif node.layer == -1:
            self.hovered.emit(rgb, f"input {_pretty(node.feature or '')}")
        else:
            name = "output" if node.layer == len(self.hidden) else f"layer {node.layer + 1}"
            self.hovered.emit(rgb, f"{name}, neuron {node.index + 1}")

    @guarded
    def leaveEvent(self, event) -> None:
        self._hover(None)
        super().leaveEvent(event)

    @guarded
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        node = self._node_at(pos)
        self._hover(node)
        if node is not None:
            QToolTip.showText(event.globalPosition().toPoint(), plain_tip(self._node_tip(node)), self)
            return
        edge = self._edge_at(pos)
        if edge is not None:
            _p, _q, layer, i, j, w = edge
            QToolTip.showText(event.globalPosition().toPoint(), self._edge_tip(layer, i, j, w), self)
        else:
            QToolTip.hideText()

    def _edge_tip(self, layer: int, i: int, j: int, w: float) -> str:
        """A weight's value, where it sits in Keras's kernel and in Ng's W[l], and how to edit it."""
        text = f"weight {w:+.4f}\nlayer {layer + 1}: input {i + 1} → neuron {j + 1}\n{weight_names(layer + 1, i, j)}"
        snap = self.snapshot
        if snap is not None and 2 * layer < len(snap.weights):
            n_in, n_out = snap.weights[2 * layer].shape
            text += f"\n{keras_shapes(n_in, n_out)} · {ng_shapes(layer + 1, n_in, n_out)}: W[{layer + 1}] = kernelᵀ"
        if self.is_dead(layer, i, j):
            # The engine keeps a dead link at 0 (trainer.dead): a typed weight lasts one step.
            return (f"{DEAD_TIP}: its penalty step crossed 0, so it stays at 0 (another penalty or L1 rule frees it)"
                    f"\n{text}"
                    "\nclick to edit (the next step sets it back to 0)")  # fmt: skip
        return text + "\nclick to edit"

    def is_dead(self, layer: int, i: int, j: int) -> bool:
        """Whether TensorFlow Playground's L1 rule dropped the link from input i to neuron j of `layer`."""
        dead = self.snapshot.dead if self.snapshot is not None else None
        if dead is None or layer >= len(dead) or dead[layer].ndim != 2:
            return False
        return bool(i < dead[layer].shape[0] and j < dead[layer].shape[1] and dead[layer][i, j])

    def _node_tip(self, node: _Node) -> str:
        if node.layer == -1:
            if node.feature in FEATURES:
                return f"{_pretty(node.feature)}: click to turn this input {'off' if node.active else 'on'}"
            return node.feature or ""
        snap = self.snapshot
        text = f"layer {node.layer + 1}, neuron {node.index + 1} ({self._activation_name(node.layer)})"
        if snap is not None and node.layer * 2 + 1 < len(snap.weights):
            b = snap.weights[node.layer * 2 + 1]
            if node.index < b.size:
                text += f"\nbias {b[node.index]:+.4f} · click to edit"
            n_in, n_out = snap.weights[node.layer * 2].shape
            layer, k = node.layer + 1, node.index + 1
            text += (f"\nits weights: column {k} of the kernel ({n_in}, {n_out}) in Keras; row {k} of W[{layer}] "
                     f"({n_out}, {n_in}) in Ng's notation, W[{layer}] = kernelᵀ")  # fmt: skip
        if snap is not None and snap.extent is not None:
            text += "\nits output is drawn on the output plot while hovered"
        elif snap is not None and node.layer == 0:
            text += "\nits box: its weights over the raw inputs (blue raises it, orange lowers it)"
        elif snap is not None:
            text += (
                "\nits box: the product of the kernels down to it, what it would respond to if the layers "
                "between were linear"
            )
        return text

    @guarded
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position()
        node = self._node_at(pos)
        if node is not None and node.layer == -1 and node.feature in FEATURES:
            self.toggle_feature(node.feature)
            return
        if node is not None and node.layer >= 0:
            self.edit_bias(node.layer, node.index)
            return
        edge = self._edge_at(pos)
        if edge is not None:
            _p, _q, layer, i, j, w = edge
            value, ok = QInputDialog.getDouble(
                self, "Edit weight", f"Weight of layer {layer + 1}, input {i + 1} → neuron {j + 1}:", w, -1e6, 1e6, 4
            )
            if ok:
                self.weight_edited.emit(layer, i, j, value)

    def edit_bias(self, layer: int, unit: int) -> None:
        """Type a new bias for one neuron (as an edge click does for a weight)."""
        snap = self.snapshot
        if snap is None or layer * 2 + 1 >= len(snap.weights) or unit >= snap.weights[layer * 2 + 1].size:
            return
        b = float(snap.weights[layer * 2 + 1][unit])
        name = "output" if layer == len(self.hidden) else f"layer {layer + 1}"
        value, ok = QInputDialog.getDouble(self, "Edit bias", f"Bias of {name}, neuron {unit + 1}:", b, -1e6, 1e6, 4)
        if ok:
            self.weight_edited.emit(layer, None, unit, value)

    def toggle_feature(self, name: str) -> None:
        active = list(self.state.project["data"]["features"] or ["x1", "x2"])
        if name in active:
            if len(active) == 1:
                self.message.emit("At least one input feature must stay on.")
                return
            active.remove(name)
        else:
            active = [f for f in FEATURES.names() if f in active or f == name]
        self._set("data.features", active)


def _pretty(name: str) -> str:
    return name.replace("x1", "X₁").replace("x2", "X₂").replace("^2", "²").replace("*", "·")


def _segment_distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    ax, ay, bx, by, px, py = a.x(), a.y(), b.x(), b.y(), p.x(), p.y()
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy or 1e-9
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return float(np.hypot(px - (ax + t * dx), py - (ay + t * dy)))
