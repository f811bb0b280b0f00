"""The backprop walk's canvas through time: above, each recurrent layer unrolled as a row of cells
(a cell shows its state h_t once computed, a red bar under it ‖∂L/∂h_t‖ once the gradient has
come back to it, the current step framed), the inputs beneath the first; below, the current
stage's vectors as rows of numbered boxes (backprop_time.rows). A click on a gate's box picks its
column (the bias's chain rule), then a click on an x_t or h_{t−1} box the weight from it to that
column (`chosen(layer, row, column)`, row ("recurrent_kernel", i) for the recurrent kernel).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine.core.i18n import _
from engine.core.layers.base import LAYERS

from ..colors import NEGATIVE, POSITIVE, diverging_rgb
from ..run.tracing import TraceResult
from ..widgets import guarded, to_qimage
from .backprop_time import Row, TimeStage, reached, rows, timed

CELL_MIN = 24  # pixels a step's cell takes at least; past that, the cells around the current step are shown
LABEL_W = 118
BOX_W, BOX_H = 78, 34
MAX_CELL_UNITS = 16  # units of the state drawn inside a cell


def cell_window(steps: int, width: float, focus: int) -> tuple[int, int]:
    """(first, count) of the steps the strip shows: all when they fit at CELL_MIN pixels, else as
    many as fit around `focus`."""
    fits = max(1, int(width // CELL_MIN))
    if steps <= fits:
        return 0, steps
    first = min(max(0, focus - fits // 2), steps - fits)
    return first, fits


class TimeCanvas(QWidget):
    """The walk through time for one traced example (see the module's docstring)."""

    chosen = Signal(int, object, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backpropTimeCanvas")
        self.result: TraceResult | None = None
        self.stage: TimeStage = ("input", -1, -1)
        self.rows: list[Row] = []
        self.boxes: dict[tuple[int, int], QRectF] = {}  # (row, box) -> where it is drawn
        self.cells: dict[tuple[int, int], QRectF] = {}  # (walk layer, step) -> its cell
        self.window: dict[int, tuple[int, int]] = {}  # walk layer -> (first, count) of its steps shown
        self.column: int | None = None  # the gate column (or unit) a click picked, for the weights
        self.selected: tuple[int, Any, int] | None = None
        self.setMinimumSize(560, 360)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_stage(self, result: TraceResult | None, stage: TimeStage) -> None:
        if result is not self.result:
            self.column, self.selected = None, None
        self.result, self.stage = result, stage
        self.rows = rows(result, stage) if result is not None else []
        if result is not None:
            self._layout()
        self.update()

    @property
    def recurrent(self) -> list[int]:
        return [i for i, st in enumerate(self.result.trace.walk) if timed(st)] if self.result is not None else []

    def _layout(self) -> None:
        r = self.result
        kind, layer, t = self.stage
        self.cells, self.window, self.boxes = {}, {}, {}
        width = self.width() - LABEL_W - 16
        y = 8.0
        for i in self.recurrent:
            steps = r.trace.walk[i].inputs.shape[0]
            focus = t if i == layer and t >= 0 else (steps - 1 if kind in ("backward", "loss", "update") else 0)
            first, count = cell_window(steps, width, focus)
            self.window[i] = (first, count)
            w = width / count
            for k in range(count):
                self.cells[(i, first + k)] = QRectF(LABEL_W + k * w + 2, y, w - 6, 44)
            y += 44 + 22  # the cells, then the gradient's bar and the step numbers
        self._strip_bottom = y + (16 if self.recurrent else 0)  # the inputs of the first layer beneath
        top = self._strip_bottom + 18  # a line of words about the bars, then the rows
        room = self.height() - top - 6
        h = max(22.0, min(BOX_H + 8.0, room / max(1, len(self.rows))))
        for j, row in enumerate(self.rows):
            n = len(row.top) + (row.size > len(row.top))
            bw = min(BOX_W, (self.width() - LABEL_W - 12) / max(1, n) - 4)
            for k in range(len(row.top)):
                self.boxes[(j, k)] = QRectF(LABEL_W + k * (bw + 4), top + j * h, bw, h - 6)

    # ----------------------------------------------------------------- painting
    @guarded
    def paintEvent(self, event: Any) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(255, 255, 255))
        if self.result is None:
            p.end()
            return
        self._layout()
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, self.font().pointSizeF() - 1))
        p.setFont(small)
        self._paint_strip(p)
        for j, row in enumerate(self.rows):
            self._paint_row(p, j, row)
        p.end()

    def _paint_strip(self, p: QPainter) -> None:
        r = self.result
        kind, layer, t = self.stage
        walk = r.trace.walk
        for i in self.recurrent:
            st = walk[i]
            forward, back = reached(r, self.stage, i)
            h = st.states["h"][:, :MAX_CELL_UNITS]
            norms = np.linalg.norm(st.states["grad_h"], axis=1)
            logs = np.log10(np.maximum(norms, 1e-300))
            hi = float(logs.max()) if np.isfinite(logs).any() else 0.0
            first, count = self.window[i]
            cells = [self.cells[(i, s)] for s in range(first, first + count)]
            p.setPen(QColor(60, 60, 60))
            right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            p.drawText(QRectF(4, cells[0].top(), LABEL_W - 10, cells[0].height()), right,
                       f"{st.name} ({LAYERS.get(st.kind).keras})")  # fmt: skip
            for s, box in zip(range(first, first + count), cells):
                if forward[s]:
                    pixels = diverging_rgb(np.nan_to_num(h[s][:, None].astype(np.float64)))
                    p.drawImage(box.adjusted(3, 3, -3, -3), to_qimage(pixels))
                current = s == t and i == layer
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(QColor(20, 20, 20), 2.5) if current else QPen(QColor(150, 150, 150), 1))
                p.drawRoundedRect(box, 4, 4)
                if s + 1 < first + count:  # h_t → the next step
                    nxt = self.cells[(i, s + 1)]
                    y = box.center().y()
                    p.setPen(QPen(QColor(120, 120, 120), 1))
                    p.drawLine(QPointF(box.right(), y), QPointF(nxt.left(), y))
                if back[s] and np.isfinite(logs[s]):  # ‖∂L/∂h_s‖, its log against the largest, over 8 decades
                    frac = max(0.0, 1 - (hi - logs[s]) / 8)
                    p.fillRect(QRectF(box.left(), box.bottom() + 3, box.width() * frac, 5), QColor(214, 39, 40))
                p.setPen(QColor(110, 110, 110))
                if count <= 30 or (s + 1) % 5 == 0 or s == first:
                    p.drawText(QRectF(box.left() - 6, box.bottom() + 8, box.width() + 12, 12),
                               Qt.AlignmentFlag.AlignCenter, str(s + 1))  # fmt: skip
            if i == self.recurrent[0]:  # the inputs under the first recurrent layer's cells
                x = st.inputs
                top = float(np.max(np.abs(x))) or 1.0
                y0 = cells[0].bottom() + 34
                p.setPen(QColor(60, 60, 60))
                p.drawText(QRectF(4, y0 - 14, LABEL_W - 10, 14), Qt.AlignmentFlag.AlignRight, "x_t")
                for s, box in zip(range(first, first + count), cells):
                    for f in range(min(x.shape[1], 3)):
                        v = float(x[s, f]) / top
                        fw = box.width() / min(x.shape[1], 3)
                        p.fillRect(QRectF(box.left() + f * fw + 1, y0 - 12 * max(v, 0), fw - 2, 12 * abs(v)),
                                   QColor(*(POSITIVE if v >= 0 else NEGATIVE)))  # fmt: skip
        if self.recurrent and kind == "backward" and layer in self.recurrent and t >= 0:
            p.setPen(QColor(90, 90, 90))
            words = QRectF(LABEL_W, self._strip_bottom + 1, self.width() - LABEL_W - 8, 14)
            p.drawText(words, Qt.AlignmentFlag.AlignLeft,
                       "red bars: ‖∂L/∂h_t‖ (log scale, 8 decades), the gradient come back to each step")  # fmt: skip

    def _paint_row(self, p: QPainter, j: int, row: Row) -> None:
        boxes = [self.boxes[(j, k)] for k in range(len(row.top))]
        if not boxes:
            return
        p.setPen(QColor(60, 60, 60))
        p.drawText(QRectF(4, boxes[0].top(), LABEL_W - 10, boxes[0].height()),
                   Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, row.name)  # fmt: skip
        top = float(np.max(np.abs(row.values))) if row.values is not None and row.values.size else 0.0
        top = top if math.isfinite(top) and top > 0 else 1.0
        for k, box in enumerate(boxes):
            v = float(row.values[k]) / top if row.values is not None else 0.0
            fill = QColor(*(int(c) for c in diverging_rgb(np.array([v if math.isfinite(v) else 0.0]))[0]))
            picked = self._picks(row, k) == self.selected or (
                row.pick == "column" and row.offset + k == self.column)  # fmt: skip
            p.setPen(QPen(QColor(20, 20, 20), 2.5) if picked else QPen(QColor(120, 120, 120), 1))
            p.setBrush(fill)
            p.drawRoundedRect(box, 5, 5)
            p.setPen(QColor(20, 20, 20))
            p.drawText(QRectF(box.x(), box.y() + 1, box.width(), box.height() / 2), Qt.AlignmentFlag.AlignCenter,
                       row.top[k])  # fmt: skip
            p.drawText(QRectF(box.x(), box.center().y() - 1, box.width(), box.height() / 2),
                       Qt.AlignmentFlag.AlignCenter, row.bottom[k])  # fmt: skip
        if row.size > len(row.top):
            last = boxes[-1]
            p.setPen(QColor(110, 110, 110))
            p.drawText(QRectF(last.right() + 4, last.top(), 70, last.height()), Qt.AlignmentFlag.AlignVCenter,
                       _("+{count} more").format(count=row.size - len(row.top)))  # fmt: skip

    # ----------------------------------------------------------------- clicks
    def _picks(self, row: Row, k: int) -> tuple[int, Any, int] | None:
        """What a click on box k of `row` chooses: (walk layer, row, column) for the chain rule."""
        layer = self.stage[1]
        if row.pick == "column":
            return (layer, None, row.offset + k)
        column = self.column if self.column is not None else 0
        if row.pick == "input":
            return (layer, k, column)
        if row.pick == "recurrent":
            return (layer, ("recurrent_kernel", k), column)
        return None

    def click(self, row: int, box: int) -> tuple[int, Any, int] | None:
        """Box `box` of row `row` clicked: pick its column, or the weight into the picked column."""
        if row >= len(self.rows) or box >= len(self.rows[row].top):
            return None
        hit = self._picks(self.rows[row], box)
        if hit is None:
            return None
        if hit[1] is None:
            self.column = hit[2]
        self.selected = hit
        self.chosen.emit(*hit)
        self.update()
        return hit

    @guarded
    def mousePressEvent(self, event: Any) -> None:
        if self.result is None:
            return
        pos = event.position()
        for (j, k), box in self.boxes.items():
            if box.contains(pos):
                self.click(j, k)
                return
