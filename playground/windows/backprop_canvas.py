"""The backprop walk's canvas: the network with the numbers of the current stage, a column per
layer the walk draws, units as boxes joined by their weights, image maps as small pictures, and a
click on a weight, a unit or a map for its chain rule (`chosen`). What each column shows at a
stage is `backprop_walk.StageNumbers`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine.core.i18n import _
from engine.core.layers.base import LayerTrace

from ..colors import NEGATIVE, POSITIVE, diverging_rgb
from ..run.tracing import TraceResult
from ..widgets import guarded, to_qimage
from .backprop_walk import MAX_UNITS, Stage, StageNumbers, dense_edges

MAX_MAPS = 6  # feature maps drawn per layer; the rest are counted
NODE_W, NODE_H = 92, 40
HEADER = 16  # a maps column's caption above its pictures


class BackpropCanvas(QWidget):
    """The network with the numbers of the current stage; emits `chosen(layer, row, column)` for
    a clicked weight (row None: a unit, its bias; or a map, its filter or its routing)."""

    chosen = Signal(int, object, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backpropCanvas")
        self.result: TraceResult | None = None
        self.stage: Stage = ("input", -1)
        self.numbers: StageNumbers | None = None  # what each column shows at this stage
        self.nodes: dict[tuple[int, int], QRectF] = {}  # (column, unit or map) -> box; column 0 = the inputs
        self.maps: set[int] = set()  # the columns drawn as image maps
        self.edges: list[tuple[int, int, int, QPointF, QPointF]] = []  # layer, row, column, ends
        self.selected: tuple[int, Any, int] | None = None
        self.setMinimumSize(560, 360)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(False)

    def show_stage(self, result: TraceResult | None, stage: Stage) -> None:
        self.result, self.stage = result, stage
        self.numbers = None if result is None else StageNumbers(result, stage)
        if result is not None:
            self._layout()  # the boxes are where a click finds them before the next paint too
        self.update()

    @property
    def walk(self) -> list[LayerTrace]:
        return self.result.trace.walk if self.result is not None else []

    def _shown(self, n: int, most: int = MAX_UNITS) -> list[int]:
        return list(range(n)) if n <= most else list(range(most - 1))

    def _layout(self) -> None:
        outs = self.numbers.outputs()
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


    # ----------------------------------------------------------------- painting
    @guarded
    def paintEvent(self, event: Any) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(255, 255, 255))
        if self.result is None:
            p.setPen(QColor(110, 110, 110))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, _("Pick an example: click a training point on\n"
                                                                     "the output plot, choose a training row, or type "
                                                                     "inputs and a label."))  # fmt: skip
            p.end()
            return
        self._layout()
        self._paint_edges(p)
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, self.font().pointSizeF() - 1))
        p.setFont(small)
        numbers = self.numbers
        columns = {c: numbers.column(c) for c in self.maps}
        for c, (_values, what) in columns.items():
            box = next(b for (cc, u), b in self.nodes.items() if cc == c)
            name = "input" if c == 0 else self.walk[c - 1].name
            p.setPen(QColor(60, 60, 60))
            p.drawText(QRectF(box.x() - 4, 2, max(NODE_W, self._dx - 8), HEADER), Qt.AlignmentFlag.AlignLeft,
                       f"{name}: {what}" if what else name)  # fmt: skip
        for (c, unit), box in self.nodes.items():
            if unit < 0:
                p.setPen(QColor(110, 110, 110))
                p.drawText(box, Qt.AlignmentFlag.AlignCenter, _("+{count} more").format(count=-unit - 1))
                continue
            sel = self.selected
            chosen = sel is not None and sel[1] is None and (sel[0] + 1, sel[2]) == (c, unit)
            if c in self.maps:
                self._paint_map(p, box, columns[c][0], unit, chosen)
                continue
            value = numbers.unit_value(c, unit)
            fill = QColor(245, 245, 245) if value is None or not math.isfinite(value) else QColor(
                *(int(v) for v in diverging_rgb(np.array([max(-1.0, min(1.0, value))]))[0]))  # fmt: skip
            p.setPen(QPen(QColor(20, 20, 20), 2.5) if chosen else QPen(QColor(90, 90, 90), 1))
            p.setBrush(fill)
            p.drawRoundedRect(box, 6, 6)
            p.setPen(QColor(20, 20, 20))
            top, bottom = numbers.lines(c, unit)
            p.drawText(QRectF(box.x(), box.y() + 2, box.width(), box.height() / 2), Qt.AlignmentFlag.AlignCenter, top)
            p.drawText(QRectF(box.x(), box.center().y(), box.width(), box.height() / 2 - 2),
                       Qt.AlignmentFlag.AlignCenter, bottom)  # fmt: skip
        p.end()

    def _paint_edges(self, p: QPainter) -> None:
        self.edges = []
        for layer, st in enumerate(self.walk):
            if not dense_edges(st) or layer in self.maps:  # weights drawn between unit columns only
                continue
            w = self.numbers.edge_weight(layer)
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
