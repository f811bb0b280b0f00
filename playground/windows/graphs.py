"""Tools → Computation graphs: the lectures' small graphs, drawn with every node's value (green)
and gradient (red), laid out by graph_layout.py; edit an input and both passes run again; click a gate
for its rule."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from engine.core.errors import PlaygroundError
from engine.core.i18n import _
from engine.core.numbers import number
from engine.teaching.graphs import GATES, GRAPHS, Graph, make_graph

from ..widgets import Label, NumberEdit, fit_to_screen, guarded, name_widget, wrapped
from .graph_layout import Drawing, place

NODE_H = 52  # three lines: the gate and name, the value, the gradient
NODE_PAD = 16  # room left and right of a box's widest line
NODE_LEAST = 56
VALUE_COLOR = QColor(30, 130, 40)
GRAD_COLOR = QColor(200, 40, 40)


def _num(v: float) -> str:
    return number(v)


def node_title(g: Graph, i: int) -> str:
    """A box's first line: an input's name, a gate's symbol before its name (unless the name has it)."""
    n = g.nodes[i]
    symbol = GATES.get(n.gate).symbol
    return n.name if n.leaf or symbol in n.name else f"{symbol}  {n.name}"


def edge_gradients(g: Graph, i: int) -> list[float]:
    """The gradient each input edge of node i carries back: upstream × local (a node that feeds
    two gates gets the sum of its edges')."""
    n = g.nodes[i]
    if n.leaf:
        return []
    try:
        return [n.grad * d for d in g.local(i)]
    except (ValueError, ZeroDivisionError):
        return [float("nan")] * len(n.inputs)


class GraphCanvas(QWidget):
    """Paints one graph as graph_layout places it; emits `selected(node index)` on a click on a node."""

    selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("graphCanvas")
        self.graph: Graph | None = None
        self.boxes: list[QRectF] = []
        self.drawing: Drawing | None = None
        self.chosen: int | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def small_font(self) -> QFont:
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, self.font().pointSizeF() - 1))
        return small

    def set_graph(self, g: Graph) -> None:
        self.graph = g
        self.chosen = None
        self.refresh()

    def refresh(self) -> None:
        """Place the drawing again (new values change the labels' widths) and repaint; the canvas
        asks for the room the drawing needs, so a smaller window scrolls it instead of cutting it."""
        if self.graph is not None:
            need = self._layout(0.0, 0.0)
            self.setMinimumSize(int(need.width + 1), int(need.height + 1))
            self._place()
        self.update()

    def _texts(self) -> tuple[list[tuple[float, float]], dict[tuple[int, int], tuple[float, float]]]:
        """The size of each box and of each edge's two labels, in the fonts the canvas draws with."""
        g = self.graph
        big, small = QFontMetricsF(self.font()), QFontMetricsF(self.small_font())
        shown = g.shown()
        sizes = []
        for i, n in enumerate(g.nodes):
            w = max(big.horizontalAdvance(node_title(g, i)), small.horizontalAdvance(_num(shown[i])),
                    small.horizontalAdvance(f"∂ {_num(n.grad)}"))  # fmt: skip
            sizes.append((max(NODE_LEAST, w + NODE_PAD), float(NODE_H)))
        labels = {}
        for i, n in enumerate(g.nodes):
            for slot, (j, grad) in enumerate(zip(n.inputs, edge_gradients(g, i))):
                w = max(small.horizontalAdvance(_num(shown[j])), small.horizontalAdvance(_num(grad)))
                labels[(i, slot)] = (w + 6, 2 * small.height())
        return sizes, labels

    def _layout(self, width: float, height: float) -> Drawing:
        g = self.graph
        sizes, labels = self._texts()
        return place([n.inputs for n in g.nodes], [n.leaf for n in g.nodes], sizes, labels, width, height)

    def _place(self) -> None:
        if self.graph is None:
            return
        self.drawing = self._layout(float(self.width()), float(self.height()))
        self.boxes = [QRectF(*b) for b in self.drawing.boxes]

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
        g, d = self.graph, self.drawing
        if g is None or d is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(255, 255, 255))
        small = self.small_font()
        shown = g.shown()  # round-off (2.8e-17 for 0.5 − 0.6 + 0.1) written as the 0 it is
        grads = {i: edge_gradients(g, i) for i in range(len(g.nodes))}
        p.setPen(QPen(QColor(120, 120, 120), 1.5))
        p.setBrush(Qt.BrushStyle.NoBrush)
        for r in d.routes:  # edges first, each a polyline from its source to its port on the gate
            p.drawPolyline(QPolygonF([QPointF(x, y) for x, y in r.points]))
        p.setFont(small)
        for r in d.routes:  # the value an edge carries above its line, the gradient it carries back below
            x, y, w, h = r.label
            p.setPen(VALUE_COLOR)
            p.drawText(QRectF(x, y, w, h / 2), Qt.AlignmentFlag.AlignCenter, _num(shown[r.source]))
            p.setPen(GRAD_COLOR)
            p.drawText(QRectF(x, y + h / 2, w, h / 2), Qt.AlignmentFlag.AlignCenter, _num(grads[r.target][r.slot]))
        for i, (n, box) in enumerate(zip(g.nodes, self.boxes)):
            fill = QColor(235, 242, 250) if n.gate == "input" else QColor(245, 245, 245)
            picked = i == self.chosen
            p.setPen(QPen(QColor(8, 119, 189), 2.5) if picked else QPen(QColor(90, 90, 90), 1))
            p.setBrush(fill)
            p.drawRoundedRect(box, 8, 8)
            p.setFont(self.font())
            p.setPen(QColor(20, 20, 20))
            p.drawText(QRectF(box.x(), box.y() + 2, box.width(), 18), Qt.AlignmentFlag.AlignCenter, node_title(g, i))
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
        self.setWindowTitle(_("Computation graphs"))
        lay = QVBoxLayout(self)
        self.choice = name_widget(QComboBox(), "graphChoice", _("Example"))
        for key in GRAPHS.names():
            self.choice.addItem(GRAPHS.get(key)().title, key)
        self.choice.currentIndexChanged.connect(lambda _i: self.show_graph(self.choice.currentData()))
        lay.addWidget(self.choice)
        self.formula = Label("")
        self.formula.setObjectName("graphFormula")
        lay.addWidget(self.formula)
        middle = QHBoxLayout()
        self.canvas = GraphCanvas()
        self.canvas.selected.connect(self.explain)
        # The canvas asks for the room its drawing needs: a window too small for it scrolls.
        self.scroll = QScrollArea()
        self.scroll.setObjectName("graphScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.canvas)
        self.scroll.setMinimumSize(320, 200)
        middle.addWidget(self.scroll, 1)
        self.form_box = QWidget()  # the inputs, beside the drawing so it keeps the window's width
        self.form = QFormLayout(self.form_box)
        side = QVBoxLayout()
        side.addWidget(self.form_box)
        side.addStretch(1)
        middle.addLayout(side)
        lay.addLayout(middle, 1)
        legend = wrapped(_("Green: each node's value (forward pass); on an edge, the value it carries. Red: "
                         "∂output/∂node (backward pass, starting from 1 at the output); on an edge, the gradient it "
                         "carries back (upstream × local). Click a gate for its rule."), "legend")  # fmt: skip
        lay.addWidget(legend)
        self.rule = wrapped("", "graphRule")
        lay.addWidget(self.rule)
        self.message = wrapped("", "graphMessage")
        lay.addWidget(self.message)
        self.fields: dict[str, NumberEdit] = {}
        self.show_graph(self.choice.currentData())
        fit_to_screen(self, 1240, 640)

    def show_graph(self, name: str) -> None:
        self.graph = make_graph(name)
        self.formula.setText(f"{self.graph.title}    ({_(self.graph.formula)})")
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
            self.message.setText(_("{exc}; kept {name} = {old}").format(exc=exc, name=name, old=number(old, 6)))
            return
        self.message.setText("")
        self.canvas.refresh()
        if self.canvas.chosen is not None:
            self.explain(self.canvas.chosen)

    def explain(self, i: int) -> str:
        """The chosen node's rule with its numbers: upstream gradient × local gradient per input."""
        g = self.graph
        n = g.nodes[i]
        gate = GATES.get(n.gate)
        value = number(g.shown()[i], 6)
        if g.shown()[i] != n.value:
            value += " " + _("(computed as {value}: round-off, within the ±{bound} its inputs can hold in binary "
                             "floating point)").format(value=number(n.value, 3), bound=number(g.error_bound()[i], 1))
        lines = [_("{node}: {rule}.").format(node=n.name, rule=_(gate.rule)),
                 _("value {value}, gradient {wrt} = {gradient}").format(value=value, wrt=g.wrt(i),
                                                                         gradient=number(n.grad, 6))]
        if not n.leaf:
            for j, local in zip(n.inputs, g.local(i)):
                lines.append(_("{wrt} gets {upstream} × {local} = {product}").format(
                    wrt=g.wrt(j), upstream=number(n.grad), local=number(local), product=number(n.grad * local)))
            shared = [g.nodes[j].name for j in n.inputs if sum(j in m.inputs for m in g.nodes) > 1]
            if shared:
                lines.append(_("({names} feeds more than one gate: its gradients add up)").format(
                    names=", ".join(shared)))
        text = "\n".join(lines)
        self.rule.setText(text)
        return text
