"""The neuron graph's geometry, without painting or widgets: where the columns, the neurons and
the edges sit for a size and a structure, the weights laid on the edges (bucketed by sign and
|w| for drawing, kept per edge for hovering), and what lies under a point. Everything here is a
function of numbers and the project: network_view.py lays out with it, network_painter.py draws
it, and tests read it without a window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF

from engine.core.i18n import ngettext
from engine.core.layers import kind_of, neuron_drawable, passes_between
from engine.core.registry import spec_name
from engine.data import FEATURES

MAX_SHOWN = 16  # neurons drawn per layer at most; the rest are summarised as "+N more"
EDGE_BUCKETS = 8  # edges are drawn in this many widths per sign, one drawLines call each
PITCH_MAX = 64  # px between neuron centres when there is room
PITCH_MIN = 26
MIN_ROWS = 7  # the seven input features must fit
CONTROLS_Y = 42  # the per-layer controls start here; the neurons below them
FULL_CONTROLS = 96  # width of a layer's controls when they are shown in full
FULL_TOP = 214  # where the neurons start below full controls (neurons, activation, dropout, BN)
MIN_HEIGHT = 150 + MIN_ROWS * PITCH_MIN  # folded controls above seven inputs
HIT_DISTANCE = 5.0  # px: a point this close to an edge is on it

#: (layer, first line, end line, input indices, neuron indices) of one layer's edges
EdgeSpan = tuple[int, int, int, np.ndarray, np.ndarray]
#: (start, end, layer, input index, neuron index, weight) of one drawn edge
Edge = tuple[QPointF, QPointF, int, int, int, float]


@dataclass
class Node:
    layer: int  # −1 for inputs, 0.. for dense layers (the output layer last)
    index: int  # unit index within the layer (input: position among active features)
    rect: QRectF
    active: bool = True
    feature: str | None = None


def drawn_sources(project: dict[str, Any]) -> list[int]:
    """Where each hidden layer the graph draws sits in the project's layers: every dense layer,
    none for a network with kinds only the layer stack shows (convolutions, recurrent layers).
    Layers that pass values between them unit by unit (a BatchNormalization or Activation entry)
    are not columns: `column_marks` marks them on the layer before."""
    layers = project["network"]["layers"]
    if not neuron_drawable(layers):
        return []
    return [i for i, layer in enumerate(layers) if not passes_between(kind_of(layer))]


def drawn_layers(project: dict[str, Any]) -> list[dict[str, Any]]:
    """The hidden layers the graph draws, as columns (see `drawn_sources`)."""
    layers = project["network"]["layers"]
    return [layers[i] for i in drawn_sources(project)]


def _between(project: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    """Per column (0: the inputs, k + 1: hidden layer k), the entries between it and the next."""
    layers = project["network"]["layers"]
    out: dict[int, list[dict[str, Any]]] = {}
    column = 0
    for layer in layers if neuron_drawable(layers) else []:
        if passes_between(kind_of(layer)):
            out.setdefault(column, []).append(layer)
        else:
            column += 1
    return out


def between_labels(project: dict[str, Any]) -> dict[int, list[str]]:
    """Per column (0: the inputs, k + 1: hidden layer k), the labels of the entries of their own
    between it and the next ("BN" for a BatchNormalization entry, an Activation's function)."""
    return {c: [kind_of(e).label(e) for e in entries] for c, entries in _between(project).items()}


def column_marks(project: dict[str, Any]) -> dict[int, str]:
    """What the graph writes on a column (0: the inputs, k + 1: hidden layer k) for what acts on
    its values before the next: "BN" for a layer's batch_norm, then the entries of their own
    between (`between_labels`), in order: "BN → relu"."""
    hidden = drawn_layers(project)
    between = between_labels(project)
    marks: dict[int, str] = {}
    for column in range(len(hidden) + 1):
        parts = ["BN"] if column and hidden[column - 1].get("batch_norm") else []
        parts += between.get(column, [])
        if parts:
            marks[column] = " → ".join(parts)
    return marks


def activation_name(project: dict[str, Any], layer: int) -> str:
    """The activation of dense layer `layer` (the output layer after the hidden ones): the last
    activation of an entry between it and the next layer when there is one (a linear layer
    followed by BatchNormalization and an Activation entry acts as that activation)."""
    hidden = drawn_layers(project)
    a = hidden[layer]["activation"] if layer < len(hidden) else project["network"]["output_activation"]
    if layer < len(hidden):
        a = next((e["activation"] for e in reversed(_between(project).get(layer + 1, [])) if "activation" in e), a)
    return spec_name(a)


def in_step(snap: Any, project: dict[str, Any]) -> bool:
    """Whether the snapshot shows the structure the project describes. Right after an edit the
    project is a step ahead; until the rebuilt network reports, edges and thumbnails wait."""
    if snap is None:
        return False
    hidden = [k.shape[1] for k in snap.kernels][:-1]
    if hidden != [h["units"] for h in drawn_layers(project)]:
        return False
    features = project["data"]["features"]
    return snap.extent is None or features is None or snap.kernels[0].shape[0] == len(features)


def margins(n_classes: int) -> tuple[int, int]:
    """Room left of the inputs (feature names) and right of the outputs (class names)."""
    return 70, (110 if n_classes > 2 else 40)


def columns(width: float, n_hidden: int, n_classes: int) -> list[float]:
    """The x of each column: the inputs, every hidden layer, the outputs."""
    n_cols = n_hidden + 2
    left, right = margins(n_classes)
    right = width - right
    step = (right - left) / (n_cols - 1)
    # Whole pixels: an antialiased painter draws a thumbnail at a fractional position ten
    # times slower (42 µs against 4), and the thumbnails come out sharper too.
    return [round(left + k * step) for k in range(n_cols)]


def wants_compact(width: float, height: float, n_hidden: int, n_classes: int) -> bool:
    """Whether the layer controls must fold into one button each: columns narrower than the
    controls, or too little height for them above the neurons."""
    cols = columns(width, n_hidden, n_classes)
    step = cols[2] - cols[1] if len(cols) > 2 else width
    return step < FULL_CONTROLS + 6 or height < FULL_TOP + MIN_ROWS * PITCH_MIN + 12


@dataclass
class Layout:
    """Where the graph's parts sit for one size and structure."""

    columns: list[float] = field(default_factory=list)
    top: float = 150.0  # y of the first neuron row, below the layer controls
    pitch: float = 50.0
    node_size: float = 40.0
    nodes: list[Node] = field(default_factory=list)
    more: dict[int, tuple[float, int]] = field(default_factory=dict)  # layer -> (y, neurons not drawn)
    edge_lines: list[QLineF] = field(default_factory=list)
    edge_spans: list[EdgeSpan] = field(default_factory=list)
    block_lines: list[tuple[QLineF, int]] = field(default_factory=list)  # raw-input block → first-layer unit
    #: Per column (0: the inputs), what acts on its values before the next column ("BN", "BN → relu"),
    #: with the box it is written in.
    marks: dict[int, tuple[str, QRectF]] = field(default_factory=dict)


def lay_out(cols: list[float], top: float, height: float, widths: list[int], features: list[str] | None,
            n_in: int) -> Layout:  # fmt: skip
    """Neurons sized to the room: up to PITCH_MAX apart, down to PITCH_MIN; a layer with more
    neurons than fit shows all it can and '+N more' in its last place. `widths`: units per dense
    layer, the output last; `features`: the active input features, or None for data without an
    input plane (one block of `n_in` raw inputs)."""
    nodes: list[Node] = []
    avail = max(0.0, height - top - 12)
    wanted = max([len(FEATURES) if features is not None else 2] + [min(u, MAX_SHOWN) for u in widths])
    pitch = max(PITCH_MIN, min(PITCH_MAX, avail / wanted))
    rows = max(2, min(MAX_SHOWN, int(avail // pitch)))
    step = cols[1] - cols[0]
    size = float(round(max(16.0, min(pitch * 0.8, step * 0.6))))
    if features is not None:
        for f_i, name in enumerate(FEATURES.names()):
            rect = QRectF(cols[0] - size // 2, round(top + f_i * pitch), size, size)
            on = name in features
            nodes.append(Node(-1, features.index(name) if on else -1, rect, on, name))
    else:
        block = QRectF(cols[0] - size // 2, round(top), size, size * 2)
        nodes.append(Node(-1, -1, block, True, ngettext("{count} input", "{count} inputs", n_in).format(count=n_in)))
    more = {}
    for layer, units in enumerate(widths):
        shown = units if units <= rows else rows - 1
        if shown < units:
            more[layer] = (top + shown * pitch, units - shown)
        for u in range(shown):
            rect = QRectF(cols[layer + 1] - size // 2, round(top + u * pitch), size, size)
            nodes.append(Node(layer, u, rect))
    layout = Layout(cols, top, pitch, size, nodes, more)
    _edge_geometry(layout, len(widths))
    return layout


def place_marks(layout: Layout, marks: dict[int, str]) -> None:
    """Put each column's mark (`column_marks`) in a box above its first neuron; the inputs' above
    their caption."""
    layout.marks = {}
    for column, text in marks.items():
        if column >= len(layout.columns) - 1:
            continue
        width = 12 + 7 * len(text)
        y = layout.top - (50 if column == 0 else 28)
        layout.marks[column] = (text, QRectF(layout.columns[column] - width / 2, y, width, 18))


def mark_at(layout: Layout, pos: QPointF) -> tuple[int, str] | None:
    """(column, text) of the mark under `pos`, or None."""
    return next(((c, text) for c, (text, rect) in layout.marks.items() if rect.contains(pos)), None)


def _edge_geometry(layout: Layout, n_layers: int) -> None:
    """Where each drawn edge runs, from the node layout: computed once per layout, since
    building ~400 QLineF objects per frame cost 5 ms."""
    by_layer: dict[int, list[Node]] = {}
    for n in layout.nodes:
        if n.active and n.index >= 0:
            by_layer.setdefault(n.layer, []).append(n)
    lines: list[QLineF] = []
    for layer in range(n_layers):
        start = len(lines)
        src, dst = [], []
        for a in by_layer.get(layer - 1, []):
            for b in by_layer.get(layer, []):
                lines.append(QLineF(a.rect.right(), a.rect.center().y(), b.rect.left(), b.rect.center().y()))
                src.append(a.index)
                dst.append(b.index)
        layout.edge_spans.append((layer, start, len(lines), np.array(src, np.intp), np.array(dst, np.intp)))
    layout.edge_lines = lines
    # Image or table data: one line from the block of raw inputs to each first-layer unit,
    # as wide as that unit's kernel column is large (the weights themselves are its picture).
    block = next((n for n in layout.nodes if n.layer == -1 and n.feature not in FEATURES), None)
    layout.block_lines = [
        (QLineF(block.rect.right(), block.rect.center().y(), b.rect.left(), b.rect.center().y()), b.index)
        for b in by_layer.get(0, [])
    ] if block is not None else []  # fmt: skip


@dataclass
class EdgeWeights:
    """A snapshot's weights on the laid-out edges: each edge's value (for hovering), the lines
    bucketed by sign and |w| (one drawLines call per bucket) and the dead links apart."""

    values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    buckets: dict[tuple[bool, int], list[QLineF]] = field(default_factory=dict)  # (positive, width step)
    dead_lines: list[QLineF] = field(default_factory=list)  # links TFP's L1 rule dropped for the rest of the run


def weigh_edges(layout: Layout, kernels: list[np.ndarray], dead: list[np.ndarray] | None) -> EdgeWeights:
    """The kernels' values on `layout`'s edges. Bucket k of a sign holds the edges with
    |w| / max|w| in [k, k + 1) / EDGE_BUCKETS; the raw-input block's lines carry their unit's
    RMS kernel column, signed by its mean and scaled to the largest edge."""
    out = EdgeWeights()
    if not (layout.edge_lines or layout.block_lines):
        return out
    try:
        values = np.concatenate([kernels[layer][i, j] for layer, _a, _b, i, j in layout.edge_spans])
    except IndexError:  # the layout is a step behind the weights; the next layout fixes it
        return out
    out.values = values
    lines = list(layout.edge_lines)
    # Links TensorFlow Playground's L1 rule killed: drawn apart (grey, dashed), not as weights.
    is_dead = np.zeros(values.size, dtype=bool)
    if dead is not None and len(dead) == len(kernels):
        is_dead = np.concatenate([dead[layer][i, j] for layer, _a, _b, i, j in layout.edge_spans])
    out.dead_lines = [lines[t] for t in np.flatnonzero(is_dead)]
    if layout.block_lines:  # the block's lines: the column's RMS weight, signed by its mean
        k0 = kernels[0]
        cols = np.array([j for _line, j in layout.block_lines], np.intp)
        rms = np.sqrt(np.mean(k0[:, cols] ** 2, axis=0)) * np.sign(np.mean(k0[:, cols], axis=0) + 1e-300)
        top_block = float(np.max(np.abs(rms))) or 1.0
        top_edges = float(np.max(np.abs(values))) if values.size else top_block
        values = np.concatenate([values, rms * (top_edges / top_block)])
        lines += [line for line, _j in layout.block_lines]
    top = float(np.max(np.abs(values))) if values.size else 1.0
    k = np.minimum(EDGE_BUCKETS - 1, (np.abs(values) / (top or 1.0) * EDGE_BUCKETS).astype(np.intp))
    keys = k + EDGE_BUCKETS * (values > 0)
    keys[: is_dead.size][is_dead] = -1  # drawn as dead only
    for key in np.unique(keys[keys >= 0]):
        idx = np.flatnonzero(keys == key)
        out.buckets[(bool(key >= EDGE_BUCKETS), int(key % EDGE_BUCKETS))] = [lines[t] for t in idx]
    return out


def edges(layout: Layout, weights: EdgeWeights) -> list[Edge]:
    """(start, end, layer, input index, neuron index, weight) of every drawn edge."""
    out: list[Edge] = []
    if weights.values.size != len(layout.edge_lines):
        return out
    for layer, a, _b, src, dst in layout.edge_spans:
        for t, (i, j) in enumerate(zip(src, dst), start=a):
            line = layout.edge_lines[t]
            out.append((line.p1(), line.p2(), layer, int(i), int(j), float(weights.values[t])))
    return out


def node_at(nodes: list[Node], pos: QPointF) -> Node | None:
    """The neuron or input whose box holds `pos`."""
    return next((node for node in nodes if node.rect.contains(pos)), None)


def edge_at(drawn: list[Edge], pos: QPointF) -> Edge | None:
    """The edge nearest `pos` within HIT_DISTANCE."""
    best, best_d = None, HIT_DISTANCE
    for edge in drawn:
        d = segment_distance(pos, edge[0], edge[1])
        if d < best_d:
            best, best_d = edge, d
    return best


def segment_distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    """The distance from p to the segment a–b."""
    ax, ay, bx, by, px, py = a.x(), a.y(), b.x(), b.y(), p.x(), p.y()
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy or 1e-9
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return float(np.hypot(px - (ax + t * dx), py - (ay + t * dy)))


def pretty(name: str) -> str:
    """A feature's name as the graph writes it: x1^2 → X₁² (a registered feature's own words)."""
    if name in FEATURES:
        return FEATURES.words(name)
    return name.replace("x1", "X₁").replace("x2", "X₂").replace("^2", "²").replace("*", "·")
