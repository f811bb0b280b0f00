"""Tools → Backpropagation (and a click on the output plane): one example's forward pass, its
loss, the backward pass and the optimizer's update, stage by stage on the network, every
number shown; click a weight for its chain-rule product beside the numerical gradient.

Every model walks the same way: a column per layer the walk draws (dropout passes values
unchanged at inference), units as boxes joined by their weights, image maps as small pictures. A
convolution's filter (a click on its map) shows its weight's gradient as the sum over the positions
it served; the map below a max pooling, as the walk steps back through it, shows where each
window's gradient was routed (its maximum, 0 elsewhere), and a click on a pooling map says so in
numbers. The walk's numbers and words are backprop_walk.py's, the network is drawn by
backprop_canvas.py; this window picks the example and walks the stages. A model with recurrent
layers walks through time, one step per stage (backprop_time.py, backprop_time_canvas.py).

The trace is made on the training worker from the run's weights and optimizer state
(`TraceExample` → `traced`); the window pauses the run while it is tracing, so the numbers are
those of one fixed set of weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from engine.core.i18n import N_, _

from ..run.commands import TraceExample
from ..run.session import Session
from ..run.tracing import TraceResult
from ..widgets import Label, NumberEdit, fit_to_screen, guarded, name_widget, wrapped
from .backprop_canvas import BackpropCanvas
from .backprop_time import has_time, time_stages, time_text
from .backprop_time_canvas import TimeCanvas
from .backprop_walk import chain_rule, inspection, jacobian_lines, stage_text, stages

SPEEDS = ((1500, N_("slow")), (700, N_("normal")), (250, N_("fast")))
PICK_RADIUS = 0.02  # a click this close to a training point (share of the plane's width) picks it
PANEL_LINES = (4, 9)  # the chain-rule panel's least and first height, in lines of its text
#: Why the walk's buttons are greyed before an example is picked.
PICK_FIRST = N_("Pick an example first: a training row, typed inputs, or a click on the output plot")


class BackpropWindow(QDialog):
    """Pick an example, walk its stages, click a weight for the chain rule."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backpropWindow")
        self.setWindowTitle(_("Backpropagation, one example"))
        self.session = session
        self.result: TraceResult | None = None
        self.pending: int | None = None
        self.stage_index = 0
        self.stage_list = stages(1)
        session.handle.worker.traced.connect(self._on_traced)

        lay = QVBoxLayout(self)
        pick = QHBoxLayout()
        pick.addWidget(Label(_("training row")))
        self.row = name_widget(QSpinBox(), "backpropRow", _("Training row"))
        self.row.setRange(0, 0)
        self.row_go = name_widget(QPushButton(_("Trace row")), "backpropTraceRow", _("Trace this training row"))
        self.row_go.clicked.connect(lambda: self.trace_row(self.row.value()))
        pick.addWidget(self.row)
        pick.addWidget(self.row_go)
        pick.addSpacing(16)
        pick.addWidget(Label(_("or inputs")))
        self.inputs = name_widget(NumberEditRow(), "backpropInputs", _("Inputs"))
        pick.addWidget(self.inputs)
        pick.addWidget(Label(_("label")))
        self.label = name_widget(NumberEdit(1.0, -1e9, 1e9), "backpropLabel", _("Label"))
        self.label.setFixedWidth(70)
        pick.addWidget(self.label)
        self.point_go = name_widget(QPushButton(_("Trace point")), "backpropTracePoint", _("Trace these inputs"))
        self.point_go.clicked.connect(self.trace_typed)
        pick.addWidget(self.point_go)
        pick.addStretch(1)
        lay.addLayout(pick)
        self.inspector = wrapped(_("Click anywhere on the output plot (outside draw mode) to inspect that point."),
                                 "backpropInspector")
        lay.addWidget(self.inspector)

        walk = QHBoxLayout()
        self.back = name_widget(QPushButton(_("◀ Back")), "backpropBack", _("Previous stage"))
        self.next = name_widget(QPushButton(_("Next ▶")), "backpropNext", _("Next stage"))
        self.animate = name_widget(QPushButton(_("Animate")), "backpropAnimate", _("Walk every stage"))
        self.animate.setCheckable(True)
        self.speed = name_widget(QComboBox(), "backpropSpeed", _("Animation speed"))
        for ms, text in SPEEDS:
            self.speed.addItem(_(text), ms)
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
        self.time_canvas = TimeCanvas()  # for a model with recurrent layers
        self.time_canvas.chosen.connect(self.explain)
        self.canvases = QStackedWidget()
        self.canvases.addWidget(self.canvas)
        self.canvases.addWidget(self.time_canvas)
        self.panel = QPlainTextEdit()
        self.panel.setObjectName("chainRule")
        self.panel.setReadOnly(True)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.panel.setFont(mono)
        line = self.panel.fontMetrics().lineSpacing()
        self.panel.setMinimumHeight(PANEL_LINES[0] * line + 12)  # scrolls past that; the splitter gives it more
        self.panel.setPlainText(_("Click a weight (an edge) or a unit for its chain rule, beside the numerical "
                                  "gradient."))
        # The canvas and the chain rule share what the window has: on a 1280×720 projector the
        # canvas gives way, and the panel scrolls, instead of the panel running off the screen.
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.setObjectName("backpropSplit")
        self.split.setChildrenCollapsible(False)
        self.split.addWidget(self.canvases)
        self.split.addWidget(self.panel)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 0)
        lay.addWidget(self.split, 1)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.finished.connect(lambda _r: self.timer.stop())
        self._panel_height = PANEL_LINES[1] * line + 12
        fit_to_screen(self, 1000, 760)
        self._fit_inputs()
        self._show()

    @guarded
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self.split.property("sized"):  # once: the panel its lines, the canvas the rest
            self.split.setProperty("sized", True)
            total = sum(self.split.sizes())
            panel = min(self._panel_height, total // 3)
            self.split.setSizes([total - panel, panel])

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
        walk = result.trace.walk
        stage_list = time_stages(walk) if has_time(result) else stages(len(walk))
        fresh = self.result is None or stage_list != self.stage_list
        self.result = result
        self.stage_list = stage_list
        if fresh or self.stage_index >= len(self.stage_list):
            self.stage_index = len(self.stage_list) - 1 if fresh else self.stage_index
        self.canvas.selected = self.time_canvas.selected = None
        self.canvases.setCurrentWidget(self.time_canvas if has_time(result) else self.canvas)
        self._inspect(result)
        self._show()

    def _inspect(self, r: TraceResult) -> None:
        self.inspector.setText(inspection(r))

    # ----------------------------------------------------------------- walking
    def go(self, index: int) -> None:
        self.stage_index = max(0, min(len(self.stage_list) - 1, index))
        self._show()

    def _animate(self, on: bool) -> None:
        self.animate.setText(_("Stop") if on else _("Animate"))
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

    def _show(self) -> None:
        r = self.result
        stage = self.stage_list[self.stage_index]
        kind, layer = stage[:2]
        # Before an example is picked there is nothing to walk: the buttons are greyed and say why.
        self.back.setEnabled(r is not None and self.stage_index > 0)
        self.next.setEnabled(r is not None and self.stage_index < len(self.stage_list) - 1)
        self.animate.setEnabled(r is not None)
        for button, tip in ((self.back, _("Previous stage")), (self.next, _("Next stage")),
                            (self.animate, _("Walk every stage, one at the chosen speed"))):  # fmt: skip
            button.setToolTip(tip if r is not None else _("{action}. {why}").format(action=tip, why=_(PICK_FIRST)))
        through_time = r is not None and has_time(r)
        canvas = self.time_canvas if through_time else self.canvas
        canvas.show_stage(r, stage if through_time else (kind, layer))
        if r is None:
            self.stage_label.setText("")
            return
        text = time_text(r, stage) if through_time else stage_text(r, (kind, layer))
        self.stage_label.setText(f"{self.stage_index + 1}/{len(self.stage_list)} · {text}")
        if canvas.selected is not None:
            self.explain(*canvas.selected)
        elif kind == "backward" and r.trace.walk[layer].jacobian is not None:
            self.panel.setPlainText(jacobian_lines(r.trace.walk, layer, None))

    def explain(self, layer: int, row: Any, column: int) -> str:
        """The chain rule of one weight, a unit's bias or a map (`backprop_walk.chain_rule`),
        shown in the panel."""
        if self.result is None:
            return ""
        text = chain_rule(self.result, layer, row, column)
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
            e = name_widget(NumberEdit(0.0, -1e9, 1e9), f"backpropInput{i}", _("input {number}").format(number=i + 1))
            e.setFixedWidth(70)
            self._lay.addWidget(e)
            self.edits.append(e)

    def set_values(self, values: list[float]) -> None:
        for e, v in zip(self.edits, values):
            e.set_value(round(v, 4))

    def values(self) -> list[float]:
        return [e.value() for e in self.edits]
