"""Tools → Computation graphs: the lectures' small graphs, drawn with every node's value (green)
and gradient (red); edit an input and both passes run again; click a gate for its rule."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from engine.errors import PlaygroundError
from engine.graphs import GATES, GRAPHS, Graph, make_graph

from .widgets import Label, NumberEdit, guarded, name_widget, wrapped

NODE_W, NODE_H = 96, 52
VALUE_COLOR = QColor(30, 130, 40)
GRAD_COLOR = QColor(200, 40, 40)


def layout(g: Graph) -> list[tuple[int, int]]:
    """(column, row) of each node: inputs in column 0, a gate one right of its deepest input,
    a constant just left of the gate it feeds."""
    depth = [0] * len(g.nodes)
    for i, n in enumerate(g.nodes):
        if not n.leaf:
            depth[i] = 1 + max(depth[j] for j in n.inputs)
    for i, n in enumerate(g.nodes):
        if not n.leaf:
            for j in n.inputs:
                if g.nodes[j].gate == "const":
                    depth[j] = depth[i] - 1
    rows: dict[int, int] = {}
    out = []
    for d in depth:
        out.append((d, rows.get(d, 0)))
        rows[d] = rows.get(d, 0) + 1
    return out


def _num(v: float) -> str:
    return f"{v:.4g}"


class GraphCanvas(QWidget):
    """Paints one graph; emits `selected(node index)` on a click on a node."""

    selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("graphCanvas")
        self.graph: Graph | None = None
        self.boxes: list[QRectF] = []
        self.chosen: int | None = None
        self.setMinimumSize(640, 360)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_graph(self, g: Graph) -> None:
        self.graph = g
        self.chosen = None
        self._place()
        self.update()

    def _place(self) -> None:
        g = self.graph
        if g is None:
            return
        spots = layout(g)
        cols = max(c for c, _ in spots) + 1
        per_col = [sum(1 for c, _ in spots if c == k) for k in range(cols)]
        dx = max(NODE_W + 30, (self.width() - 40) / max(1, cols))
        self.boxes = []
        for c, r in spots:
            dy = max(NODE_H + 24, (self.height() - 20) / max(1, per_col[c]))
            x = 20 + c * dx + (dx - NODE_W) / 2
            y = 10 + r * dy + (dy - NODE_H) / 2
            self.boxes.append(QRectF(x, y, NODE_W, NODE_H))

    @guarded
    def resizeEvent(self, event: Any) -> None:
        self._place()
        super().resizeEvent(event)

    @guarded
    def mousePressEvent(self, event: Any) -> None:
        for i, box in enumerate(self.boxes):
            if box.contains(event.position()):
                self.chosen = i
                self.selected.emit(i)
                self.update()
                return

    @guarded
    def paintEvent(self, event: Any) -> None:
        g = self.graph
        if g is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(255, 255, 255))
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, self.font().pointSizeF() - 1))
        shown = g.shown()  # round-off (2.8e-17 for 0.5 − 0.6 + 0.1) written as the 0 it is
        for i, n in enumerate(g.nodes):  # edges first: each input's value above, its gradient below
            for j in n.inputs:
                a, b = self.boxes[j], self.boxes[i]
                start, end = QPointF(a.right(), a.center().y()), QPointF(b.left(), b.center().y())
                p.setPen(QPen(QColor(120, 120, 120), 1.5))
                p.drawLine(start, end)
                mid = (start + end) / 2
                p.setFont(small)
                p.setPen(VALUE_COLOR)
                p.drawText(QRectF(mid.x() - 40, mid.y() - 18, 80, 16), Qt.AlignmentFlag.AlignCenter,
                           _num(shown[j]))  # fmt: skip
                p.setPen(GRAD_COLOR)
                p.drawText(QRectF(mid.x() - 40, mid.y() + 2, 80, 16), Qt.AlignmentFlag.AlignCenter,
                           _num(g.nodes[j].grad))  # fmt: skip
        for i, (n, box) in enumerate(zip(g.nodes, self.boxes)):
            gate = GATES.get(n.gate)
            fill = QColor(235, 242, 250) if n.gate == "input" else QColor(245, 245, 245)
            picked = i == self.chosen
            p.setPen(QPen(QColor(8, 119, 189), 2.5) if picked else QPen(QColor(90, 90, 90), 1))
            p.setBrush(fill)
            p.drawRoundedRect(box, 8, 8)
            p.setFont(self.font())
            p.setPen(QColor(20, 20, 20))
            title = n.name if n.leaf else f"{gate.symbol}  {n.name}" if gate.symbol not in n.name else n.name
            p.drawText(QRectF(box.x(), box.y() + 2, box.width(), 18), Qt.AlignmentFlag.AlignCenter, title)
            p.setFont(small)
            p.setPen(VALUE_COLOR)
            p.drawText(QRectF(box.x(), box.y() + 18, box.width(), 16), Qt.AlignmentFlag.AlignCenter, _num(shown[i]))
            p.setPen(GRAD_COLOR)
            p.drawText(QRectF(box.x(), box.y() + 33, box.width(), 16), Qt.AlignmentFlag.AlignCenter,
                       f"∂ {_num(n.grad)}")  # fmt: skip
        p.end()


class GraphWindow(QDialog):
    """An example chooser, the canvas, the inputs as fields and the chosen gate's rule."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("graphWindow")
        self.setWindowTitle("Computation graphs")
        lay = QHBoxLayout(self)
        left = QVBoxLayout()
        self.choice = name_widget(QComboBox(), "graphChoice", "Example")
        for key in GRAPHS.names():
            self.choice.addItem(GRAPHS.get(key)().title, key)
        self.choice.currentIndexChanged.connect(lambda _i: self.show_graph(self.choice.currentData()))
        left.addWidget(self.choice)
        self.formula = Label("")
        self.formula.setObjectName("graphFormula")
        left.addWidget(self.formula)
        self.canvas = GraphCanvas()
        self.canvas.selected.connect(self.explain)
        left.addWidget(self.canvas, 1)
        legend = wrapped("Green: each node's value (forward pass). Red: ∂output/∂node (backward pass, "
                       "starting from 1 at the output). Click a gate for its rule.", "legend")  # fmt: skip
        left.addWidget(legend)
        lay.addLayout(left, 3)
        side = QVBoxLayout()
        self.form_box = QWidget()
        self.form = QFormLayout(self.form_box)
        side.addWidget(self.form_box)
        self.rule = wrapped("", "graphRule")
        self.rule.setMinimumWidth(260)
        side.addWidget(self.rule)
        self.message = wrapped("", "graphMessage")
        side.addWidget(self.message)
        side.addStretch(1)
        lay.addLayout(side, 1)
        self.fields: dict[str, NumberEdit] = {}
        self.resize(1100, 560)
        self.show_graph(self.choice.currentData())

    def show_graph(self, name: str) -> None:
        self.graph = make_graph(name)
        self.formula.setText(f"{self.graph.title}    ({self.graph.formula})")
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        for node in self.graph.inputs():
            edit = name_widget(NumberEdit(node.value, -1e6, 1e6), f"graphInput_{node.name}", node.name)
            edit.committed.connect(lambda v, k=node.name: self.set_input(k, v))
            edit.refused.connect(self.message.setText)
            self.form.addRow(node.name, edit)
            self.fields[node.name] = edit
        self.canvas.set_graph(self.graph)
        self.rule.setText("")
        self.message.setText("")

    def set_input(self, name: str, value: float) -> None:
        """Set an input and run both passes again; a value outside a gate's domain is refused."""
        old = self.graph.nodes[self.graph.index(name)].value
        try:
            self.graph.set(name, value)
            self.graph.run()
        except PlaygroundError as exc:
            self.graph.set(name, old)
            self.graph.run()
            self.fields[name].set_value(old)
            self.message.setText(f"{exc}; kept {name} = {old:g}")
            return
        self.message.setText("")
        self.canvas.update()
        if self.canvas.chosen is not None:
            self.explain(self.canvas.chosen)

    def explain(self, i: int) -> str:
        """The chosen node's rule with its numbers: upstream gradient × local gradient per input."""
        g = self.graph
        n = g.nodes[i]
        gate = GATES.get(n.gate)
        value = f"{g.shown()[i]:.6g}"
        if g.shown()[i] != n.value:
            value += (f" (computed as {n.value:.3g}: round-off, within the ±{g.error_bound()[i]:.1g} its inputs "
                      "can hold in binary floating point)")  # fmt: skip
        lines = [f"{n.name}: {gate.rule}.", f"value {value}, gradient {g.wrt(i)} = {n.grad:.6g}"]
        if not n.leaf:
            for j, local in zip(n.inputs, g.local(i)):
                lines.append(f"{g.wrt(j)} gets {n.grad:.4g} × {local:.4g} = {n.grad * local:.4g}")
            shared = [g.nodes[j].name for j in n.inputs if sum(j in m.inputs for m in g.nodes) > 1]
            if shared:
                lines.append(f"({', '.join(shared)} feeds more than one gate: its gradients add up)")
        text = "\n".join(lines)
        self.rule.setText(text)
        return text
