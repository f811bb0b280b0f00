"""The network builder: inputs, hidden layers and outputs drawn as a graph.

Each neuron shows a live thumbnail of its output over the input plane; edges are blue for
positive and orange for negative weights, thicker for larger |w|, grey and dashed for links
TensorFlow Playground's L1 rule has dropped for good. Hover an edge to read its weight, click it
to type a new one. Click an input feature to switch it on or off; the
controls above each layer add or remove neurons and set its activation, dropout and batch
normalization (a "BN" mark on the layer: its z is normalised before the activation).

This widget places the controls, keeps the layout and the snapshot's weights on it, and routes
the mouse; the geometry is network_layout.py's, the drawing network_painter.py's and the edits,
controls, dialogs and tooltips network_editing.py's.
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np
from PySide6.QtCore import QRect, QRectF, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter
from PySide6.QtWidgets import QComboBox, QToolButton, QToolTip, QWidget

from engine import INITIALIZERS
from engine.core.i18n import _, ngettext
from engine.core.initializers import formula as init_formula
from engine.core.initializers import zero_start
from engine.core.numbers import number
from engine.data import FEATURES

from ..run.snapshot import Snapshot
from ..run.state import Change, ProjectState
from ..widgets import Label, add_words, choose_data, compact_words, guarded, name_widget, plain_tip
from .network_editing import MAX_LAYERS, NetworkEditor, edge_tip, mark_tip, node_tip
from .network_layout import (
    CONTROLS_Y,
    FULL_CONTROLS,
    MIN_HEIGHT,
    Edge,
    EdgeWeights,
    Layout,
    Node,
    activation_name,
    column_marks,
    columns,
    drawn_layers,
    edge_at,
    edges,
    in_step,
    lay_out,
    margins,
    mark_at,
    node_at,
    place_marks,
    pretty,
    wants_compact,
    weigh_edges,
)
from .network_painter import EdgeLayer, FeatureImages, NeuronPictures, feature_rgb, frame_image, paint_network


class NetworkView(QWidget):
    weight_edited = Signal(int, object, int, float)  # layer, row (None for a bias), column, value
    message = Signal(str)
    #: The hovered neuron's (or input's) picture over the plane, row 0 at the bottom, and its name;
    #: None when the mouse leaves the neurons.
    hovered = Signal(object, str)

    def __init__(self, state: ProjectState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkView")
        self.setAccessibleName(_("Network builder"))
        self.setMouseTracking(True)
        self.setMinimumSize(380, MIN_HEIGHT)
        self.state = state
        self.snapshot: Snapshot | None = None
        self.graph: Layout = Layout()  # where everything sits
        self.weights = EdgeWeights()  # the snapshot's weights on the layout's edges
        self.pictures = NeuronPictures()  # the snapshot's neuron thumbnails
        self.features = FeatureImages()
        self.editor = NetworkEditor(state, self)
        self.editor.message.connect(self.message)
        self.editor.weight_edited.connect(self.weight_edited)
        self.editor.refused.connect(self.rebuild)
        self._layer_boxes: list[QWidget] = []
        self._compact = False  # whether the layer controls are folded into one button each
        self._hovered: tuple | None = None  # the node under the mouse
        self.paint_ms = 0.0  # what a repaint costs, edges included (smoothed): the view router spaces costly ones out
        self.edge_layer = EdgeLayer(self)  # the edges' picture, drawn in slices while training
        self.edge_layer.ready.connect(self._edges_ready)
        self._live = False  # whether the snapshot shown is a playing one (its edges may be drawn later)
        self._counted: object = None  # the edges' picture whose cost paint_ms has counted
        self._frame: tuple = (None, None)  # (what it shows, the boxes' and labels' picture)

        self.add_layer = name_widget(QToolButton(), "addLayer", _("Add hidden layer"), _("Add a hidden layer"))
        self.add_layer.setText("+")
        self.remove_layer = name_widget(
            QToolButton(), "removeLayer", _("Remove hidden layer"), _("Remove the last hidden layer")
        )
        self.remove_layer.setText("−")
        self.layers_label = Label(self)
        self.layers_label.setObjectName("layersLabel")
        for w in (self.add_layer, self.remove_layer):
            w.setParent(self)
            w.setProperty("role", "round")
        self.initializer = name_widget(QComboBox(self), "initializer", _("Initializer"))  # its tooltip: rebuild()
        compact_words(add_words(self.initializer, INITIALIZERS, about=init_formula), 10)
        self.initializer.activated.connect(
            lambda _i: self.editor.set("network.initializer", self.initializer.currentData())
        )
        self.init_label = Label(_("init"), self)
        self.init_label.setObjectName("initLabel")
        self.add_layer.clicked.connect(self.editor.add_layer)
        self.remove_layer.clicked.connect(self.editor.remove_layer)
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
        return drawn_layers(self.state.project)

    @property
    def convolutional(self) -> bool:
        return self.editor.convolutional

    @property
    def nodes(self) -> list[Node]:
        return self.graph.nodes

    @property
    def edges(self) -> list[Edge]:
        """(start, end, layer, input index, neuron index, weight) of every drawn edge."""
        return edges(self.graph, self.weights)

    def rebuild(self) -> None:
        """Recreate the per-layer controls after a structural change."""
        for box in self._layer_boxes:
            box.setEnabled(False)  # a click already queued for it finds it dead
            box.hide()
            box.deleteLater()
        self._layer_boxes = []
        self.editor.built += 1
        left, right = margins(self._n_classes())
        self.setMinimumWidth(max(380, left + right + (len(self.hidden) + 1) * 42))  # a folded button and a gap
        self._compact = self._wants_compact()
        for i, layer in enumerate(self.hidden):
            self._layer_boxes.append(self.editor.layer_controls(i, layer, self._compact))
        n = len(self.hidden)
        self.layers_label.setText(ngettext("{count} HIDDEN LAYER", "{count} HIDDEN LAYERS", n).format(count=n))
        network = self.state.project["network"]
        choose_data(self.initializer, network["initializer"])
        bias = network.get("bias_init", 0.0)
        tip = _("How the kernels start (biases start at {bias}).").format(bias=number(bias, 6))
        if not self.convolutional:  # zero kernels here: dead or symmetric units, by the activations
            dropout = any(layer.get("dropout", 0) > 0 for layer in self.hidden)
            effect = zero_start([h["activation"] for h in self.hidden], bias, dropout)
            tip += " " + _("With Zeros here: {effect}").format(effect=effect)
        self.initializer.setToolTip(tip)
        self.add_layer.setEnabled(n < MAX_LAYERS)
        self.remove_layer.setEnabled(n > 0)
        self._relayout()
        self.update()

    def toggle_feature(self, name: str) -> None:
        """Input feature `name` on or off (one must stay on)."""
        self.editor.toggle_feature(name)

    def edit_bias(self, layer: int, unit: int) -> None:
        """Type a new bias for one neuron (as an edge click does for a weight)."""
        self.editor.edit_bias(self.snapshot, layer, unit)

    # ----------------------------------------------------------------- layout
    @guarded
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._relayout()

    def _n_classes(self) -> int:
        snap = self.snapshot
        return len(snap.data.dataset.class_names) if snap is not None else 0

    def _columns(self) -> list[float]:
        return columns(self.width(), len(self.hidden), self._n_classes())

    def _wants_compact(self) -> bool:
        return wants_compact(self.width(), self.height(), len(self.hidden), self._n_classes())

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
        snap = self.snapshot
        point_data = snap is None or snap.extent is not None
        widths = [h["units"] for h in self.hidden] + [snap.biases[-1].shape[0] if snap is not None else 1]
        features = (self.state.project["data"]["features"] or ["x1", "x2"]) if point_data else None
        n_in = snap.kernels[0].shape[0] if snap is not None else 0
        self.graph = lay_out(cols, CONTROLS_Y + max(tallest, 30) + 36, self.height(), widths, features, n_in)
        place_marks(self.graph, column_marks(self.state.project))
        self._weigh()

    def _weigh(self) -> None:
        """This snapshot's weights on the edges and its neuron pictures (once the snapshot shows
        the structure the project describes)."""
        snap, project = self.snapshot, self.state.project
        step = in_step(snap, project)
        self.weights = weigh_edges(self.graph, snap.kernels, snap.dead) if step else EdgeWeights()
        self.pictures = NeuronPictures(snap, [activation_name(project, k) for k in range(len(self.hidden) + 1)], step)

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
        self._live = snap.playing
        if structure_changed:
            self._relayout()
            self.update()
            return
        self._weigh()
        if self._hovered is not None:  # the hovered neuron's picture follows training
            node = next((n for n in self.nodes if (n.layer, n.index, n.feature) == self._hovered), None)
            self._hovered = None
            self._hover(node)
        if self._live and self.weights.values.size:  # neurons and edges shown together, once the edges are drawn
            pictures = self.pictures
            prepare = [partial(_prepare, pictures, layer, [n.index for n in self.nodes if n.layer == layer])
                       for layer in range(len(self.hidden) + 1)]  # fmt: skip
            self.edge_layer.draw_later(self.weights, self.graph, self.size(), self.devicePixelRatioF(), prepare)
            return
        self._edges_ready()

    def _edges_ready(self) -> None:
        # Only the neurons and edges change: repainting the whole view would repaint every
        # layer's controls too (child widgets in the dirty region), 3.7 ms of a frame.
        self.update(QRect(0, int(self.graph.top) - 32, self.width(), self.height()))

    # ----------------------------------------------------------------- painting
    @guarded
    def paintEvent(self, event) -> None:
        t0 = time.perf_counter()
        snap = self.snapshot
        extent = snap.extent if snap is not None else None
        names = snap.data.dataset.class_names if snap is not None else ()
        size, dpr, layer = self.size(), self.devicePixelRatioF(), self.edge_layer
        edges = layer.current(self.weights, self.graph, size, dpr)
        drawn_here = False
        if edges is None and self._live:  # newer edges are being drawn: the last ones meanwhile
            edges = layer.stale(self.graph, size, dpr)
        if edges is None:
            edges, drawn_here = layer.draw_now(self.weights, self.graph, size, dpr), True
        frame_key = (self.graph, (size.width(), size.height()), dpr, tuple(names), self.font().key())
        held = self._frame[0]
        if held is None or held[0] is not self.graph or held[1:] != frame_key[1:]:  # boxes, labels: once per layout
            self._frame = (frame_key, frame_image(self.font(), self.graph, names, size, dpr))
        painter = QPainter(self)
        paint_network(painter, QRectF(self.rect()), self.font(), self.graph, self.weights, self.pictures,
                      lambda name: self.features.image(extent, name), names, edges, self._frame[1])  # fmt: skip
        painter.end()
        ms = (time.perf_counter() - t0) * 1e3
        if not drawn_here and edges is not self._counted:  # a new picture drawn in slices: its cost counts once
            ms += layer.ms
        self._counted = edges
        self.paint_ms = ms if self.paint_ms == 0 else 0.8 * self.paint_ms + 0.2 * ms

    # ----------------------------------------------------------------- the mouse
    def hover_rgb(self, node: Node) -> np.ndarray | None:
        """What a node computes over the input plane, as colours with row 0 at the bottom."""
        snap = self.snapshot
        if snap is None or snap.extent is None:
            return None
        if node.layer == -1:
            return feature_rgb(snap.extent, node.feature) if node.feature in FEATURES else None
        rgb = self.pictures.layer_rgb(node.layer)
        return None if rgb is None or node.index >= rgb.shape[0] else rgb[node.index][::-1]

    def _hover(self, node: Node | None) -> None:
        key = None if node is None else (node.layer, node.index, node.feature)
        if key == self._hovered:
            return
        self._hovered = key
        rgb = None if node is None else self.hover_rgb(node)
        if rgb is None:
            self.hovered.emit(None, "")
        elif node.layer == -1:
            self.hovered.emit(rgb, _("input {feature}").format(feature=pretty(node.feature or "")))
        else:
            name = _("output") if node.layer == len(self.hidden) else _("layer {number}").format(number=node.layer + 1)
            self.hovered.emit(rgb, _("{layer}, neuron {number}").format(layer=name, number=node.index + 1))

    def node_tip(self, node: Node) -> str:
        """What hovering a neuron or input says (network_editing.node_tip)."""
        activation = activation_name(self.state.project, node.layer) if node.layer >= 0 else ""
        return node_tip(self.snapshot, node, activation)

    def edge_tip(self, layer: int, i: int, j: int, w: float) -> str:
        """What hovering the edge from input i to neuron j of `layer` says (network_editing.edge_tip)."""
        return edge_tip(self.snapshot, layer, i, j, w)

    @guarded
    def leaveEvent(self, event) -> None:
        self._hover(None)
        super().leaveEvent(event)

    @guarded
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        node = node_at(self.nodes, pos)
        self._hover(node)
        if node is not None:
            QToolTip.showText(event.globalPosition().toPoint(), plain_tip(self.node_tip(node)), self)
            return
        mark = mark_at(self.graph, pos)
        if mark is not None:
            QToolTip.showText(event.globalPosition().toPoint(), plain_tip(mark_tip(*mark)), self)
            return
        edge = edge_at(self.edges, pos)
        if edge is not None:
            _p, _q, layer, i, j, w = edge
            QToolTip.showText(event.globalPosition().toPoint(), self.edge_tip(layer, i, j, w), self)
        else:
            QToolTip.hideText()

    @guarded
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position()
        node = node_at(self.nodes, pos)
        if node is not None and node.layer == -1 and node.feature in FEATURES:
            self.toggle_feature(node.feature)
            return
        if node is not None and node.layer >= 0:
            self.edit_bias(node.layer, node.index)
            return
        edge = edge_at(self.edges, pos)
        if edge is not None:
            _p, _q, layer, i, j, w = edge
            self.editor.edit_weight(layer, i, j, w)


def _prepare(pictures: NeuronPictures, layer: int, units: list[int]) -> None:
    """One layer's neuron pictures made ahead of the paint (colour mapping and images)."""
    for unit in units:
        pictures.neuron_image(layer, unit)
