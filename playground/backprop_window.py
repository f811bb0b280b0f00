"""Tools → Backpropagation (and a click on the output plane): one example's forward pass, its
loss, the backward pass and the optimizer's update, stage by stage on the network, every
number shown; click a weight for its chain-rule product beside the numerical gradient.

Every model walks the same way: a column per layer the walk draws (dropout passes values
unchanged at inference), units as boxes joined by their weights, image maps as small pictures. A
convolution's filter (a click on its map) shows its weight's gradient as the sum over the positions
it served; the map below a max pooling, as the walk steps back through it, shows where each
window's gradient was routed (its maximum, 0 elsewhere), and a click on a pooling map says so in
numbers. Each layer's kind gives its words and its chain rule (`engine.layer_base.Layer`).

The trace is made on the training worker from the run's weights and optimizer state
(`TraceExample` → `traced`); the window pauses the run while it is tracing, so the numbers are
those of one fixed set of weights.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.backprop import NUMERIC_STEP, backward_rule, numerical_gradient
from engine.layer_base import LAYERS, LayerTrace

from .colors import NEGATIVE, POSITIVE, diverging_rgb
from .commands import TraceExample
from .session import Session
from .tracing import TraceResult
from .widgets import Label, NumberEdit, guarded, name_widget, to_qimage, wrapped

MAX_UNITS = 8  # units drawn per layer; the rest are counted
MAX_MAPS = 6  # feature maps drawn per layer; the rest are counted
NODE_W, NODE_H = 92, 40
HEADER = 16  # a maps column's caption above its pictures
SPEEDS = ((1500, "slow"), (700, "normal"), (250, "fast"))
PICK_RADIUS = 0.02  # a click this close to a training point (share of the plane's width) picks it


def stages(n_layers: int) -> list[tuple[str, int]]:
    """The walk: (kind, layer) with layers counted from 0; the input, each layer forward, the
    loss, each layer backward from the output, the update."""
    return ([("input", -1)] + [("forward", i) for i in range(n_layers)] + [("loss", n_layers - 1)]
            + [("backward", i) for i in range(n_layers - 1, -1, -1)] + [("update", -1)])  # fmt: skip


def _n(v: float) -> str:
    return f"{v:.3g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.2e}"


def _edges(step: LayerTrace) -> bool:
    """Whether a layer is drawn as weighted edges from the units before it (a dense layer)."""
    return step.grad_kernel is not None and step.grad_kernel.ndim == 2


class BackpropCanvas(QWidget):
    """The network with the numbers of the current stage; emits `chosen(layer, row, column)` for
    a clicked weight (row None: a unit, its bias; or a map, its filter or its routing)."""

    chosen = Signal(int, object, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backpropCanvas")
        self.result: TraceResult | None = None
        self.stage: tuple[str, int] = ("input", -1)
        self.nodes: dict[tuple[int, int], QRectF] = {}  # (column, unit or map) -> box; column 0 = the inputs
        self.maps: set[int] = set()  # the columns drawn as image maps
        self.edges: list[tuple[int, int, int, QPointF, QPointF]] = []  # layer, row, column, ends
        self.selected: tuple[int, Any, int] | None = None
        self.setMinimumSize(560, 360)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(False)

    def show_stage(self, result: TraceResult | None, stage: tuple[str, int]) -> None:
        self.result, self.stage = result, stage
        if result is not None:
            self._layout()  # the boxes are where a click finds them before the next paint too
        self.update()

    @property
    def walk(self) -> list[LayerTrace]:
        return self.result.trace.walk if self.result is not None else []

    def _shown(self, n: int, most: int = MAX_UNITS) -> list[int]:
        return list(range(n)) if n <= most else list(range(most - 1))

    def _input(self) -> np.ndarray:
        """The example as the first layer takes it: an image (H, W, C) or a row of features."""
        r = self.result
        features = r.trace.features
        return features.reshape(r.input_shape) if len(r.input_shape) == 3 else features

    def _widths(self) -> list[np.ndarray]:
        """Each column's output for the example (its shape says how it is drawn)."""
        return [self._input()] + [st.a for st in self.walk]

    def _layout(self) -> None:
        outs = self._widths()
        cols = len(outs)
        dx = (self.width() - NODE_W - 20) / max(1, cols - 1)
        self._dx = dx
        self.nodes, self.maps = {}, set()
        for c, out in enumerate(outs):
            image = out.ndim == 3
            n = out.shape[-1] if image else out.size
            most = MAX_MAPS if image else MAX_UNITS
            shown = self._shown(n, most)
            top = 10 + (HEADER if image else 0)
            slots = len(shown) + (n > len(shown))
            dy = (self.height() - 10 - top) / max(1, slots)
            w = min(NODE_W, dy - 6) if image else NODE_W
            h = w if image else NODE_H
            if image:
                self.maps.add(c)
            for k, unit in enumerate(shown):
                self.nodes[(c, unit)] = QRectF(10 + c * dx, top + k * dy + (dy - h) / 2, w, h)
            if n > len(shown):
                y = top + len(shown) * dy + (dy - NODE_H) / 2
                self.nodes[(c, -1 - (n - len(shown)))] = QRectF(10 + c * dx, y, NODE_W, NODE_H)  # "+N more"

    # ----------------------------------------------------------------- what each column shows
    def _column(self, c: int) -> tuple[np.ndarray | None, str]:
        """A maps column's numbers at this stage and their name: its output forward, its δ (or
        the gradient reaching it) backward, the gradient the layer above sends down into it."""
        kind, at = self.stage
        if c == 0:
            return self._input(), "x"
        layer = c - 1
        st = self.walk[layer]
        if kind == "input" or (kind == "forward" and layer > at):
            return None, ""
        if kind == "backward" and layer >= at:
            return (st.delta, "δ") if st.delta is not None else (st.upstream, "∂L/∂a")
        if kind == "backward" and layer == at - 1:
            return st.upstream, "∂L/∂a sent down"  # where pooling routed each window's gradient
        return st.a, "a"

    def _lines(self, c: int, unit: int) -> list[str]:
        """The numbers a unit shows at this stage (column c: 0 inputs, l + 1 layer l)."""
        r = self.result
        kind, at = self.stage
        if c == 0:
            return [f"x{unit + 1}", _n(r.trace.features[unit])]
        layer = c - 1
        lt = self.walk[layer]
        last = layer == len(self.walk) - 1
        if kind == "input" or (kind == "forward" and layer > at):
            return ["", ""]
        if kind == "backward" and layer >= at:
            if lt.delta is None:
                return [f"∂a {_n(lt.upstream[unit])}", ""]
            return [f"δ {_n(lt.delta[unit])}", f"∂b {_n(lt.grad_bias[unit])}"]
        if kind == "update":
            if lt.weights is None:
                return ["", f"a {_n(lt.a[unit])}"]
            return [f"Δb {_n(r.preview.biases[lt.weights][unit])}", f"a {_n(lt.a[unit])}"]
        if kind == "loss" and last:
            return [f"a {_n(lt.a[unit])}", f"y {_n(r.trace.target[unit])}"]
        if lt.z is None:
            return ["", f"a {_n(lt.a[unit])}"]
        return [f"z {_n(lt.z[unit])}", f"a {_n(lt.a[unit])}"]

    def _unit_value(self, c: int, unit: int) -> float | None:
        """What colours a unit: its activation forward, its δ (scaled) backward."""
        r = self.result
        kind, at = self.stage
        if c == 0:
            return float(r.trace.features[unit])
        lt = self.walk[c - 1]
        if kind == "backward" and c - 1 >= at:
            g = lt.delta if lt.delta is not None else lt.upstream
            top = float(np.max(np.abs(g))) or 1.0
            return float(g[unit]) / top
        if kind == "forward" and c - 1 > at:
            return None
        return float(lt.a[unit])

    def _edge_weight(self, layer: int) -> np.ndarray | None:
        """What sets the edges' thickness: |w| forward, |∂L/∂w| backward, |Δw| at the update
        (None: drawn faint, not reached yet)."""
        r = self.result
        kind, at = self.stage
        st = self.walk[layer]
        if kind == "backward" and layer >= at:
            return st.grad_kernel
        if kind == "backward":
            return None
        if kind == "update":
            return r.preview.kernels[st.weights]
        if kind == "forward" and layer > at:
            return None
        return r.network.kernels[st.weights]

    # ----------------------------------------------------------------- painting
    @guarded
    def paintEvent(self, event: Any) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(255, 255, 255))
        if self.result is None:
            p.setPen(QColor(110, 110, 110))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Pick an example: click a training point on\n"
                       "the output plot, choose a training row, or type inputs and a label.")  # fmt: skip
            p.end()
            return
        self._layout()
        self._paint_edges(p)
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, self.font().pointSizeF() - 1))
        p.setFont(small)
        columns = {c: self._column(c) for c in self.maps}
        for c, (_values, what) in columns.items():
            box = next(b for (cc, u), b in self.nodes.items() if cc == c)
            name = "input" if c == 0 else self.walk[c - 1].name
            p.setPen(QColor(60, 60, 60))
            p.drawText(QRectF(box.x() - 4, 2, max(NODE_W, self._dx - 8), HEADER), Qt.AlignmentFlag.AlignLeft,
                       f"{name}: {what}" if what else name)  # fmt: skip
        for (c, unit), box in self.nodes.items():
            if unit < 0:
                p.setPen(QColor(110, 110, 110))
                p.drawText(box, Qt.AlignmentFlag.AlignCenter, f"+{-unit - 1} more")
                continue
            sel = self.selected
            chosen = sel is not None and sel[1] is None and (sel[0] + 1, sel[2]) == (c, unit)
            if c in self.maps:
                self._paint_map(p, box, columns[c][0], unit, chosen)
                continue
            value = self._unit_value(c, unit)
            fill = QColor(245, 245, 245) if value is None or not math.isfinite(value) else QColor(
                *(int(v) for v in diverging_rgb(np.array([max(-1.0, min(1.0, value))]))[0]))  # fmt: skip
            p.setPen(QPen(QColor(20, 20, 20), 2.5) if chosen else QPen(QColor(90, 90, 90), 1))
            p.setBrush(fill)
            p.drawRoundedRect(box, 6, 6)
            p.setPen(QColor(20, 20, 20))
            top, bottom = self._lines(c, unit)
            p.drawText(QRectF(box.x(), box.y() + 2, box.width(), box.height() / 2), Qt.AlignmentFlag.AlignCenter, top)
            p.drawText(QRectF(box.x(), box.center().y(), box.width(), box.height() / 2 - 2),
                       Qt.AlignmentFlag.AlignCenter, bottom)  # fmt: skip
        p.end()

    def _paint_edges(self, p: QPainter) -> None:
        self.edges = []
        for layer, st in enumerate(self.walk):
            if not _edges(st) or layer in self.maps:  # weights drawn between unit columns only
                continue
            w = self._edge_weight(layer)
            top = float(np.max(np.abs(w))) if w is not None and w.size else 1.0
            for (c, i), a in self.nodes.items():
                if c != layer or i < 0:
                    continue
                for (c2, j), b in self.nodes.items():
                    if c2 != layer + 1 or j < 0:
                        continue
                    start, end = QPointF(a.right(), a.center().y()), QPointF(b.left(), b.center().y())
                    self.edges.append((layer, i, j, start, end))
                    if w is None:
                        pen = QPen(QColor(225, 225, 225), 1)
                    else:
                        v = float(w[i, j])
                        color = QColor(*(POSITIVE if v > 0 else NEGATIVE))
                        pen = QPen(color, 0.5 + 5.5 * abs(v) / (top or 1.0))
                    if self.selected == (layer, i, j):
                        pen = QPen(QColor(20, 20, 20), max(3.0, pen.widthF() + 1.5))
                    p.setPen(pen)
                    p.drawLine(start, end)

    def _paint_map(self, p: QPainter, box: QRectF, values: np.ndarray | None, channel: int, chosen: bool) -> None:
        """One feature map: diverging colours scaled by the column's largest |value| (blue
        positive, orange negative), blank before the walk reaches it."""
        if values is None:
            p.setPen(QPen(QColor(200, 200, 200), 1))
            p.setBrush(QColor(245, 245, 245))
            p.drawRect(box)
            return
        with np.errstate(all="ignore"):
            top = float(np.max(np.abs(values))) or 1.0
            pixels = diverging_rgb(np.nan_to_num(values[:, :, channel] / top))
        p.drawImage(box, to_qimage(pixels))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(20, 20, 20), 2.5) if chosen else QPen(QColor(150, 150, 150), 1))
        p.drawRect(box)

    @guarded
    def mousePressEvent(self, event: Any) -> None:
        if self.result is None:
            return
        pos = event.position()
        for (c, unit), box in self.nodes.items():
            if c > 0 and unit >= 0 and box.contains(pos):
                self.selected = (c - 1, None, unit)
                self.chosen.emit(c - 1, None, unit)
                self.update()
                return
        best, hit = 6.0, None
        for layer, i, j, a, b in self.edges:
            d = _distance(pos, a, b)
            if d < best:
                best, hit = d, (layer, i, j)
        if hit is not None:
            self.selected = hit
            self.chosen.emit(hit[0], hit[1], hit[2])
            self.update()


def _distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    ab, ap = b - a, p - a
    length = ab.x() ** 2 + ab.y() ** 2
    t = 0.0 if length == 0 else max(0.0, min(1.0, (ap.x() * ab.x() + ap.y() * ab.y()) / length))
    q = a + ab * t
    return math.hypot(p.x() - q.x(), p.y() - q.y())


class BackpropWindow(QDialog):
    """Pick an example, walk its stages, click a weight for the chain rule."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backpropWindow")
        self.setWindowTitle("Backpropagation, one example")
        self.session = session
        self.result: TraceResult | None = None
        self.pending: int | None = None
        self.stage_index = 0
        self.stage_list = stages(1)
        session.handle.worker.traced.connect(self._on_traced)

        lay = QVBoxLayout(self)
        pick = QHBoxLayout()
        pick.addWidget(Label("training row"))
        self.row = name_widget(QSpinBox(), "backpropRow", "Training row")
        self.row.setRange(0, 0)
        self.row_go = name_widget(QPushButton("Trace row"), "backpropTraceRow", "Trace this training row")
        self.row_go.clicked.connect(lambda: self.trace_row(self.row.value()))
        pick.addWidget(self.row)
        pick.addWidget(self.row_go)
        pick.addSpacing(16)
        pick.addWidget(Label("or inputs"))
        self.inputs = name_widget(NumberEditRow(), "backpropInputs", "Inputs")
        pick.addWidget(self.inputs)
        pick.addWidget(Label("label"))
        self.label = name_widget(NumberEdit(1.0, -1e9, 1e9), "backpropLabel", "Label")
        self.label.setFixedWidth(70)
        pick.addWidget(self.label)
        self.point_go = name_widget(QPushButton("Trace point"), "backpropTracePoint", "Trace these inputs")
        self.point_go.clicked.connect(self.trace_typed)
        pick.addWidget(self.point_go)
        pick.addStretch(1)
        lay.addLayout(pick)
        self.inspector = wrapped("Click anywhere on the output plot (outside draw mode) to inspect that point.",
                                 "backpropInspector")
        lay.addWidget(self.inspector)

        walk = QHBoxLayout()
        self.back = name_widget(QPushButton("◀ Back"), "backpropBack", "Previous stage")
        self.next = name_widget(QPushButton("Next ▶"), "backpropNext", "Next stage")
        self.animate = name_widget(QPushButton("Animate"), "backpropAnimate", "Walk every stage")
        self.animate.setCheckable(True)
        self.speed = name_widget(QComboBox(), "backpropSpeed", "Animation speed")
        for ms, text in SPEEDS:
            self.speed.addItem(text, ms)
        self.speed.setCurrentIndex(1)
        self.back.clicked.connect(lambda: self.go(self.stage_index - 1))
        self.next.clicked.connect(lambda: self.go(self.stage_index + 1))
        self.animate.toggled.connect(self._animate)
        for w in (self.back, self.next, self.animate, self.speed):
            walk.addWidget(w)
        self.stage_label = wrapped("", "backpropStage")
        walk.addWidget(self.stage_label, 1)
        lay.addLayout(walk)
        self.canvas = BackpropCanvas()
        self.canvas.chosen.connect(self.explain)
        lay.addWidget(self.canvas, 1)
        self.panel = QPlainTextEdit()
        self.panel.setObjectName("chainRule")
        self.panel.setReadOnly(True)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.panel.setFont(mono)
        self.panel.setFixedHeight(150)
        self.panel.setPlainText("Click a weight (an edge) or a unit for its chain rule, beside the numerical gradient.")
        lay.addWidget(self.panel)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.finished.connect(lambda _r: self.timer.stop())
        self.resize(1000, 760)
        self._fit_inputs()
        self._show()

    # ----------------------------------------------------------------- picking an example
    def _fit_inputs(self) -> None:
        snap = self.session.snapshot
        if snap is None:
            return
        data = snap.data
        self.row.setRange(0, max(0, data.train.size - 1))
        self.inputs.set_count(len(data.dataset.columns) if len(data.dataset.columns) <= 8 else 0)
        self.point_go.setEnabled(len(data.dataset.columns) <= 8)

    def pick(self, x: float, y: float) -> int | None:
        """A click on the plane: the nearest training point when one is close, else the point
        itself with the label field's label."""
        snap = self.session.snapshot
        if snap is None or snap.extent is None:
            return None
        self._fit_inputs()
        data = snap.data
        pts = data.dataset.x[data.train]
        if pts.shape[0]:
            d = np.hypot(pts[:, 0] - x, pts[:, 1] - y)
            k = int(np.argmin(d))
            if d[k] <= PICK_RADIUS * (snap.extent[1] - snap.extent[0]):
                self.row.setValue(k)
                return self.trace_row(k)
        self.inputs.set_values([x, y])
        return self._send(TraceExample(raw=(float(x), float(y)), label=self.label.value()))

    def trace_row(self, row: int) -> int | None:
        return self._send(TraceExample(row=int(row)))

    def trace_typed(self) -> int | None:
        return self._send(TraceExample(raw=tuple(self.inputs.values()), label=self.label.value()))

    def _send(self, command: TraceExample) -> int | None:
        if self.session.snapshot is None:
            return None
        self.session.set_playing(False)  # the numbers are those of one set of weights
        self.pending = self.session.send(command)
        return self.pending

    @Slot(int, object)
    def _on_traced(self, seq: int, result: object) -> None:
        if seq != self.pending:
            return
        self.pending = None
        if isinstance(result, str):
            self.inspector.setText(result)
            return
        fresh = self.result is None or len(result.trace.walk) != len(self.result.trace.walk)
        self.result = result
        self.stage_list = stages(len(result.trace.walk))
        if fresh or self.stage_index >= len(self.stage_list):
            self.stage_index = len(self.stage_list) - 1 if fresh else self.stage_index
        self.canvas.selected = None
        self._inspect(result)
        self._show()

    def _inspect(self, r: TraceResult) -> None:
        t = r.trace
        where = f"training row {r.row}" if r.row is not None else "a typed point"
        named = (", ".join(f"{c} {v:.4g}" for c, v in zip(r.columns, t.raw)) if len(r.columns) <= 8
                 else f"{t.raw.size} values")  # fmt: skip
        features = ", ".join(_n(v) for v in t.features[:64]) + (", …" if t.features.size > 64 else "")
        parts = [f"{where}: {named}; label {t.label:g}", f"features [{features}]"]
        for lt in t.walk[:-1]:
            if lt.a.ndim == 3:
                parts.append(f"{lt.name} a {'×'.join(map(str, lt.a.shape))} maps ({_n(lt.a.min())} … {_n(lt.a.max())})")
                continue
            more = ", …]" if lt.a.size > MAX_UNITS else "]"
            parts.append(f"{lt.name} a [" + ", ".join(_n(v) for v in lt.a[:MAX_UNITS]) + more)
        out = t.walk[-1]
        kind = "probabilities" if r.classification else "outputs"
        logits = ", ".join(_n(v) for v in out.z)
        parts.append(f"logits z [{logits}] → {kind} [" + ", ".join(f"{v:.4g}" for v in out.a) + "]")
        loss = f"loss {t.loss:.4g}, ‖∂L/∂θ‖ {r.grad_norm:.4g}"
        parts.append(loss if r.row is not None else f"{loss} (for the label {t.label:g})")
        self.inspector.setText(" · ".join(parts) + f" · weights of step {r.steps:,}")

    # ----------------------------------------------------------------- walking
    def go(self, index: int) -> None:
        self.stage_index = max(0, min(len(self.stage_list) - 1, index))
        self._show()

    def _animate(self, on: bool) -> None:
        self.animate.setText("Stop" if on else "Animate")
        if on:
            if self.stage_index >= len(self.stage_list) - 1:
                self.stage_index = -1
            self.timer.start(int(self.speed.currentData()))
            self._tick()
        else:
            self.timer.stop()

    def _tick(self) -> None:
        if self.stage_index >= len(self.stage_list) - 1:
            self.animate.setChecked(False)
            return
        self.go(self.stage_index + 1)

    def _above(self, layer: int) -> str:
        """What layer `layer` receives from the one above it in the walk, in the chain rule's words."""
        walk = self.result.trace.walk
        if layer == len(walk) - 1:
            return "∂L/∂a (from the loss)"
        above = "the output layer" if layer + 2 == len(walk) else walk[layer + 1].name
        return f"Σₖ w·δ (from {above})" if _edges(walk[layer + 1]) else f"∂L/∂a (from {above})"

    def _show(self) -> None:
        r = self.result
        kind, layer = self.stage_list[self.stage_index]
        self.back.setEnabled(r is not None and self.stage_index > 0)
        self.next.setEnabled(r is not None and self.stage_index < len(self.stage_list) - 1)
        self.canvas.show_stage(r, (kind, layer))
        if r is None:
            self.stage_label.setText("")
            return
        walk = r.trace.walk
        n = len(walk)
        st = walk[layer] if layer >= 0 else None
        name = "the output layer" if layer == n - 1 else (st.name if st is not None else "")
        act = st.activation if st is not None else ""
        words = LAYERS.get(st.kind) if st is not None else None
        forward, backward = (words.forward_words.format(act=act), words.backward_words) if words else ("", "")
        if st is not None and st.delta is not None:
            above = self._above(layer).split(" (")[0].replace("Σₖ w·δ", "Σ w·δ_next")
            backward = f"{backward_rule(r.loss, act, layer == n - 1, above)}; {backward}"
        edges = st is not None and _edges(st)
        maps = self._map_layers()
        below = " Maps: the gradients; the maps below show what this layer sends down." if layer - 1 in maps else (
            " Maps: the gradients." if layer in maps else "")  # fmt: skip
        text = {
            "input": "The example's features enter the network (after feature maps and normalisation).",
            "forward": f"Forward, {name}: {forward}." + (" Edges: the weights (thickness |w|)." if edges else
                                                         " Maps: each output, blue positive, orange negative."),
            "loss": f"The loss for this example: L = {r.trace.loss:.4g} (the output a against the target y).",
            "backward": f"Backward, {name}: {backward}." + (
                " Edges: ∂L/∂w (thickness |∂L/∂w|, blue positive, orange negative)." if edges else below),
            "update": self._update_words(r),
        }[kind]  # fmt: skip
        self.stage_label.setText(f"{self.stage_index + 1}/{len(self.stage_list)} · {text}")
        if self.canvas.selected is not None:
            self.explain(*self.canvas.selected)
        elif kind == "backward" and walk[layer].jacobian is not None:
            self.panel.setPlainText(self._jacobian_lines(layer, None))

    def _map_layers(self) -> set[int]:
        """The walk's layers whose output is image maps."""
        return {k for k, st in enumerate(self.result.trace.walk) if st.a.ndim == 3}

    @staticmethod
    def _update_words(r: TraceResult) -> str:
        """What the update stage shows, and how it differs from a training step."""
        penalty = {
            "l2": f"plus the L2 penalty's 2λw (λ {r.penalty_rate:g})",
            "l1": f"with the L1 penalty (λ {r.penalty_rate:g}) as training applies it",
        }.get(r.preview.penalty, "")
        batch = (f"training averages the gradient over mini-batches of {r.batch_size:,}" if r.batch_size > 1
                 else "as training does: its mini-batches hold one example")  # fmt: skip
        return (f"The step {r.optimizer} would take from its own state (step {r.preview.step:,}, "
                f"α {r.preview.learning_rate:g}) if its mini-batch were this one example: this example's gradient"
                f"{' ' + penalty if penalty else ''} ({batch}). Edges Δw, units Δb.")  # fmt: skip

    def _jacobian_lines(self, layer: int, column: int | None) -> str:
        """A softmax layer's Jacobian with its numbers, ∂L/∂a and δ = Jᵀ·∂L/∂a (column: the unit
        whose δ is being explained, marked)."""
        walk = self.result.trace.walk
        lt = walk[layer]
        upstream = "∂L/∂a (from the loss)" if layer == len(walk) - 1 else "Σₖ w·δ (from the layer above)"
        k = lt.a.size
        shown = range(min(k, MAX_UNITS))
        lines = [f"The softmax's Jacobian J = diag(s) − s sᵀ, J[k, j] = ∂s_k/∂z_j = s_k(1[k = j] − s_j), "
                 f"and δ = Jᵀ·{upstream.split(' (')[0]}:"]  # fmt: skip
        lines.append("        " + "".join(f"{'z' + str(j + 1):>10}" + ("*" if j == column else " ") for j in shown))
        for i in shown:
            lines.append(f"  s{i + 1:<4}" + "".join(f"{lt.jacobian[i, j]:>10.4g} " for j in shown))
        if k > MAX_UNITS:
            lines.append(f"  (the first {MAX_UNITS} of {k} units)")
        lines.append(f"  {upstream}: [" + ", ".join(f"{v:.4g}" for v in lt.upstream[:MAX_UNITS]) + "]")
        lines.append("  δ = Jᵀ·that: [" + ", ".join(f"{v:.4g}" for v in lt.delta[:MAX_UNITS]) + "]")
        return "\n".join(lines)

    def explain(self, layer: int, row: Any, column: int) -> str:
        """The chain rule for one weight of walk layer `layer` (row: an input index for a dense
        kernel, (i, j, c) for a convolution's; None: unit `column`'s bias, or for a convolution's
        map its filter's largest weight gradient and its bias), its numbers filled in, beside the
        numerical gradient and their relative error. A map of a layer without weights: what it
        does with the gradient (pooling's routing), in numbers."""
        r = self.result
        if r is None:
            return ""
        t = r.trace
        lt = t.walk[layer]
        kind = LAYERS.get(lt.kind)
        if lt.weights is None:
            text = "\n".join(kind.routing_words(lt, column) or [f"{lt.name}: {kind.backward_words}."])
            self.panel.setPlainText(text)
            return text
        last = layer == len(t.walk) - 1
        maps = lt.grad_kernel.ndim == 4
        bias_words = ""
        if maps and row is None:  # a filter's map: its largest weight gradient, and its bias in a line
            row = tuple(int(v) for v in np.unravel_index(np.argmax(np.abs(lt.grad_kernel[..., column])),
                                                         lt.grad_kernel.shape[:-1]))  # fmt: skip
            oh, ow = lt.delta.shape[:2]
            bias_words = (f"  its bias: ∂L/∂b = Σ δ over the {oh * ow} positions = {lt.grad_bias[column]:.6g} "
                          f"(its largest weight gradient of {lt.grad_kernel[..., column].size} shown)")  # fmt: skip
        where = {
            "unit": f"{'filter' if maps else 'unit'} {column + 1} of {'the output layer' if last else lt.name}",
            "source": f"x{row + 1}" if layer == 0 and isinstance(row, int) else (
                f"unit {row + 1} of {t.walk[layer - 1].name}" if isinstance(row, int) else ""),
            "upstream": self._above(layer),
        }  # fmt: skip
        d = r.network.layers[lt.index].explain(lt, row, column, where)
        numeric = numerical_gradient(r.network, r.loss, t.features, t.label, lt.weights, row, column, NUMERIC_STEP)
        rel = abs(d.analytic - numeric) / max(abs(d.analytic), abs(numeric), 1e-12)
        lines = [f"{d.head}:", f"  = {d.formula}", f"  = {d.numbers}", *d.details]
        lines.append(f"  numerical (L(w+h) − L(w−h)) / 2h, h = {NUMERIC_STEP:g}: {numeric:.6g}"
                     f"   relative error {rel:.1e}")  # fmt: skip
        k = lt.weights
        index = (column,) if row is None else ((*row, column) if isinstance(row, tuple) else (row, column))
        delta = r.preview.biases[k][index] if row is None else r.preview.kernels[k][index]
        state = ", ".join(f"{name} {(b[k][index] if row is None else kk[k][index]):.4g}"
                          for name, (kk, b) in r.preview.state.items())  # fmt: skip
        after = f"  ({state} after it)" if state else ""
        lines.append(f"  update by {r.optimizer} (α {r.preview.learning_rate:g}, a mini-batch of this example"
                     f"{'' if r.preview.penalty == 'none' or row is None else ' with the penalty'}): "
                     f"Δ = {delta:.6g}{after}")  # fmt: skip
        if bias_words:
            lines.append(bias_words)
        if lt.jacobian is not None:
            lines.append(self._jacobian_lines(layer, column))
        text = "\n".join(lines)
        self.panel.setPlainText(text)
        return text


class NumberEditRow(QWidget):
    """A row of number fields, one per raw input of the data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lay = QHBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self.edits: list[NumberEdit] = []

    def set_count(self, n: int) -> None:
        if n == len(self.edits):
            return
        for e in self.edits:
            e.deleteLater()
        self.edits = []
        for i in range(n):
            e = name_widget(NumberEdit(0.0, -1e9, 1e9), f"backpropInput{i}", f"input {i + 1}")
            e.setFixedWidth(70)
            self._lay.addWidget(e)
            self.edits.append(e)

    def set_values(self, values: list[float]) -> None:
        for e, v in zip(self.edits, values):
            e.set_value(round(v, 4))

    def values(self) -> list[float]:
        return [e.value() for e in self.edits]
