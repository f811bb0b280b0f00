"""The unrolled network: for sequence data, a recurrent network drawn as it computes, one column
per time step, left to right. From the top: the picked sequence's inputs x_t (a binary feature,
such as the adding problem's marker, lights its steps' column all the way down), each recurrent
layer as a row of cells passing its state on (→) with its hidden state h_t as a heat strip (units
× steps; an LSTM's cell state c_t beneath), the gates of the chosen layer as bars per step (the
mean over its units, a line from its lowest unit to its highest), and the model's prediction over
time: the output it would give if the sequence ended at step t, against the target (for the sine
wave, its one-step predictions on the wave and, past the last step, the wave it continues when fed
its own predictions, beside the true one).

A long sequence gets a scroll bar and the steps on screen in words ("steps 13–50 of 50"). The
worker makes the numbers (playground/run/sequence_probe.py); this view only draws them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QScrollBar, QSizePolicy, QSpinBox, QWidget

from engine.core.i18n import _
from engine.core.layers.recurrent import gate_word
from engine.core.numbers import number, numbers

from ..colors import NEGATIVE, POSITIVE, diverging_rgb
from ..run.sequence_probe import SequencePicture
from ..run.snapshot import Snapshot
from ..widgets import Label, OnScreen, guarded, name_widget, to_qimage
from .images import split_name
from .plotting import titled

MIN_COLUMN = 15  # pixels a step takes at least; past that, the steps scroll
LABEL_W = 96  # the row names' column on the left
INPUT_H, CELL_H, GATE_H = 24, 20, 22
MAX_FEATURES = 4  # input features drawn (rows); a file's other features are counted
MARK = QColor(255, 214, 102, 70)  # the columns of a binary feature's steps (the adding problem's markers)
TRUTH = QColor(44, 160, 44)
MODEL = QColor(*NEGATIVE)
INPUT = QColor(110, 110, 110)


def step_window(total: int, width: float, first: int = 0, least: int = MIN_COLUMN) -> tuple[int, int, float]:
    """The steps a row `width` pixels wide shows: (first, count, pixels a step), every step when
    they fit at `least` pixels each, else as many as fit from `first` (kept in range)."""
    fits = max(1, int(width // least))
    count = min(total, fits)
    first = max(0, min(first, total - count))
    return first, count, width / max(count, 1)


def window_words(first: int, count: int, total: int, steps: int) -> str:
    """The steps on screen in words (1-based): "steps 13–50 of 50 (scroll for the others)"; a sine
    wave's continuation, the columns after its `steps`, is named apart."""
    last = first + count
    ahead = total - steps
    if count >= total:
        return (_("all {steps} steps and the {ahead} it continues") if ahead else _("all {steps} steps")).format(
            steps=steps, ahead=ahead)
    values = {"start": first + 1, "end": min(last, steps), "steps": steps, "ahead": ahead,
              "count": min(last, total) - max(first, steps)}
    if first < steps and last > steps:
        text = _("steps {start}–{end} of {steps} and {count} of the {ahead} it continues (scroll for the others)")
    elif first < steps:
        text = _("steps {start}–{end} of {steps} (scroll for the others)")
    else:
        text = _("{count} of the {ahead} it continues (scroll for the others)")
    return text.format(**values)


class UnrolledCanvas(QWidget):
    """The unrolled network of one SequencePicture, painted (see the module's docstring)."""

    resized = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unrolledCanvas")
        self.setMinimumSize(300, 260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.picture: SequencePicture | None = None
        self.gated = 0  # which recurrent layer's gates are drawn (index into picture.layers)
        self.first = 0  # the first step on screen
        self.window = (0, 0, 1.0)  # (first, count, pixels a step) of the last layout
        self.rows: dict[str, QRectF] = {}  # name -> where that row is drawn (for tests and tooltips)
        self.empty = _("Pick sequence data and add a SimpleRNN, LSTM or GRU layer (Layers) to see it unrolled.")

    # ----------------------------------------------------------------- what is drawn
    def total(self) -> int:
        """Columns: the sequence's steps, and the sine wave's continuation after them."""
        p = self.picture
        if p is None:
            return 0
        return p.steps + (p.continuation.size if p.continuation is not None else 0)

    def marked(self) -> np.ndarray:
        """The steps a binary input feature marks (the adding problem's two markers), when the
        sequence has more than one feature and one of them holds only 0s and 1s."""
        p = self.picture
        if p is None or p.inputs.shape[1] < 2:
            return np.zeros(0, dtype=int)
        for k in range(p.inputs.shape[1]):
            v = p.inputs[:, k]
            if np.all((v == 0) | (v == 1)) and 0 < v.sum() < v.size:
                return np.flatnonzero(v == 1)
        return np.zeros(0, dtype=int)

    def layout_rows(self) -> None:
        """Each row's rectangle, from the widget's size: inputs, per layer its cells and strips,
        the chosen layer's gates, the prediction (at least a quarter of the height), step numbers."""
        p = self.picture
        self.rows = {}
        if p is None:
            return
        left, right = LABEL_W, self.width() - 8
        self.window = step_window(self.total(), right - left, self.first)
        self.first = self.window[0]
        # A short view (1280×720) packs the fixed rows tighter, so the strips keep room to show their units.
        squeeze = min(1.0, max(0.65, self.height() / 520))
        input_h, cell_h, gate_h = (round(v * squeeze) for v in (INPUT_H, CELL_H, GATE_H))
        gate_h = max(gate_h, 18)  # room for the gate's name
        fixed = min(p.inputs.shape[1], MAX_FEATURES) * input_h + 18  # inputs and the step numbers
        fixed += len(p.layers) * cell_h
        gates = p.layers[self.gated].gates if p.layers else {}
        fixed += len(gates) * gate_h
        strips = sum(2 if layer.c is not None else 1 for layer in p.layers)
        room = max(0.0, self.height() - 8 - fixed)
        predict = max(70.0, 0.38 * room)
        most = max((layer.h.shape[1] for layer in p.layers), default=1)
        strip_h = max(12.0, min(120.0, 7.0 * most + 8, (room - predict) / max(strips, 1)))
        y = 4.0
        for k in range(min(p.inputs.shape[1], MAX_FEATURES)):
            self.rows[f"x{k}"] = QRectF(left, y, right - left, input_h - 4)
            y += input_h
        for i, layer in enumerate(p.layers):
            self.rows[f"cells{i}"] = QRectF(left, y, right - left, cell_h - 4)
            y += cell_h
            self.rows[f"h{i}"] = QRectF(left, y, right - left, strip_h - 4)
            y += strip_h
            if layer.c is not None:
                self.rows[f"c{i}"] = QRectF(left, y, right - left, strip_h - 4)
                y += strip_h
        for name in gates:
            self.rows[f"gate:{name}"] = QRectF(left, y, right - left, gate_h - 4)
            y += gate_h
        self.rows["predict"] = QRectF(left, y + 4, right - left, max(40.0, self.height() - y - 26))
        self.rows["steps"] = QRectF(left, self.height() - 16, right - left, 14)

    def column_x(self, step: float) -> float:
        """The centre of step `step`'s column (steps counted from 0, all columns included)."""
        first, _count, w = self.window
        return LABEL_W + (step - first + 0.5) * w

    # ----------------------------------------------------------------- painting
    @guarded
    def paintEvent(self, event: Any) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(255, 255, 255))
        pic = self.picture
        if pic is None:
            p.setPen(INPUT)
            p.drawText(self.rect().adjusted(12, 12, -12, -12), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.empty)  # fmt: skip
            p.end()
            return
        self.layout_rows()
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, self.font().pointSizeF() - 1))
        p.setFont(small)
        first, count, w = self.window
        shown = range(first, first + count)
        top, bottom = 2.0, self.rows["steps"].top()
        for t in self.marked():  # the marked steps' columns, top to bottom
            if first <= t < first + count:
                p.fillRect(QRectF(self.column_x(t) - w / 2, top, w, bottom - top), MARK)
        if pic.steps < first + count:  # the continuation's columns, shaded
            x0 = self.column_x(max(pic.steps, first)) - w / 2
            p.fillRect(QRectF(x0, top, self.width() - 8 - x0, bottom - top), QColor(240, 247, 240))
        self._inputs(p, pic, shown)
        for i, layer in enumerate(pic.layers):
            self._cells(p, i, layer.kind, shown, pic.steps)
            self._strip(p, self.rows[f"h{i}"], layer.h, shown, f"{layer.name} h", layer.units)
            if layer.c is not None:
                self._strip(p, self.rows[f"c{i}"], layer.c, shown, _("cell c"), layer.units)
        if pic.layers:
            for name, values in pic.layers[self.gated].gates.items():
                self._gate(p, self.rows[f"gate:{name}"], name, values, shown)
        self._prediction(p, pic, shown)
        self._steps(p, shown)
        p.end()

    def _label(self, p: QPainter, rect: QRectF, text: str) -> None:
        p.setPen(QColor(70, 70, 70))
        p.drawText(QRectF(2, rect.top(), LABEL_W - 6, rect.height()),
                   Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)  # fmt: skip

    def _inputs(self, p: QPainter, pic: SequencePicture, shown: range) -> None:
        w = self.window[2]
        for k in range(min(pic.inputs.shape[1], MAX_FEATURES)):
            rect = self.rows[f"x{k}"]
            name = pic.features[k] if k < len(pic.features) else f"x{k + 1}"
            extra = pic.inputs.shape[1] - MAX_FEATURES
            more = f" (+{extra})" if k == MAX_FEATURES - 1 and extra > 0 else ""
            self._label(p, rect, f"x: {name}{more}")
            v = pic.inputs[:, k].astype(np.float64)
            top = float(np.max(np.abs(v))) or 1.0
            base = rect.bottom() if np.all(v >= 0) else rect.center().y()
            scale = (rect.height() if np.all(v >= 0) else rect.height() / 2) / top
            p.setPen(Qt.PenStyle.NoPen)
            for t in shown:
                if t >= pic.steps or not math.isfinite(v[t]):
                    continue
                p.setBrush(QColor(*POSITIVE) if v[t] >= 0 else QColor(*NEGATIVE))
                h = v[t] * scale
                p.drawRect(QRectF(self.column_x(t) - w * 0.35, base - max(h, 0), w * 0.7, abs(h)))

    def _cells(self, p: QPainter, i: int, kind: str, shown: range, steps: int) -> None:
        rect = self.rows[f"cells{i}"]
        self._label(p, rect, kind)
        w = self.window[2]
        p.setPen(QPen(QColor(120, 120, 120), 1))
        p.setBrush(QColor(236, 240, 246))
        for t in shown:
            if t >= steps:
                continue
            box = QRectF(self.column_x(t) - w * 0.32, rect.top(), w * 0.64, rect.height())
            p.drawRoundedRect(box, 3, 3)
            if t + 1 < steps and t + 1 in shown:  # h_t → the next step's cell
                a, b = box.right(), self.column_x(t + 1) - w * 0.32
                y = box.center().y()
                p.drawLine(QPointF(a, y), QPointF(b, y))
                p.drawLine(QPointF(b - 3, y - 2.5), QPointF(b, y))
                p.drawLine(QPointF(b - 3, y + 2.5), QPointF(b, y))

    def _strip(self, p: QPainter, rect: QRectF, values: np.ndarray, shown: range, label: str, units: int) -> None:
        """Units (rows) × steps (columns), blue positive, orange negative, scaled by the strip's
        largest |value| when it passes 1 (tanh's states stay within ±1: one scale for every step)."""
        drawn = values.shape[1]
        self._label(p, rect, f"{label} ({units})" if drawn == units else _("{label} ({drawn} of {units})").format(
            label=label, drawn=drawn, units=units))
        steps = [t for t in shown if t < values.shape[0]]
        if not steps:
            return
        part = values[steps[0] : steps[-1] + 1].astype(np.float64)
        top = max(1.0, float(np.nanmax(np.abs(part))) if np.isfinite(part).any() else 1.0)
        pixels = diverging_rgb(np.nan_to_num(part.T / top))  # (units, steps, 3)
        w = self.window[2]
        target = QRectF(self.column_x(steps[0]) - w / 2, rect.top(), w * len(steps), rect.height())
        p.drawImage(target, to_qimage(pixels))
        p.setPen(QPen(QColor(200, 200, 200), 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(target)

    def _gate(self, p: QPainter, rect: QRectF, name: str, values: np.ndarray, shown: range) -> None:
        """A gate's mean over its units per step as a bar (σ gates from 0 to 1; a tanh candidate
        from its middle), a line from its lowest unit to its highest."""
        self._label(p, rect, gate_word(name))
        lo_v, hi_v = (0.0, 1.0) if float(np.nanmin(values)) >= 0 else (-1.0, 1.0)
        base = rect.bottom() if lo_v == 0 else rect.center().y()
        scale = rect.height() / (hi_v - lo_v)
        w = self.window[2]
        p.setPen(QPen(QColor(225, 225, 225), 1))
        p.drawLine(QPointF(rect.left(), base), QPointF(rect.right(), base))
        for t in shown:
            if t >= values.shape[0]:
                continue
            v = values[t].astype(np.float64)
            mean, low, high = float(np.mean(v)), float(np.min(v)), float(np.max(v))
            x = self.column_x(t)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(148, 103, 189))
            p.drawRect(QRectF(x - w * 0.3, base - max(mean, 0) * scale, w * 0.6, abs(mean) * scale))
            p.setPen(QPen(QColor(80, 60, 110), 1))
            p.drawLine(QPointF(x, base - low * scale), QPointF(x, base - high * scale))

    def _prediction(self, p: QPainter, pic: SequencePicture, shown: range) -> None:
        rect = self.rows["predict"]
        series = self.prediction_series()
        values = [v for _name, xs, ys, _c, _s in series for v in ys if math.isfinite(v)]
        lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
        if pic.problem == "classification":
            lo, hi = 0.0, 1.0
        pad = 0.08 * (hi - lo or 1.0)
        lo, hi = lo - pad, hi + pad

        def y_of(v: float) -> float:
            return rect.bottom() - (v - lo) / (hi - lo) * rect.height()

        p.setPen(QPen(QColor(220, 220, 220), 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(rect)
        self._label(p, QRectF(rect.left(), rect.center().y() - 8, 0, 16), _("prediction"))
        p.setPen(QColor(90, 90, 90))
        for v in (lo + pad, hi - pad):
            p.drawText(QRectF(2, y_of(v) - 8, LABEL_W - 6, 16), Qt.AlignmentFlag.AlignRight, number(v, 3))
        first, count, _w = self.window
        p.setClipRect(rect.adjusted(-4, -4, 4, 4))
        for _name, xs, ys, color, style in series:
            if style == "target":  # a level across the steps on screen
                lo_x, hi_x = max(xs[0], first - 0.5), min(xs[-1], first + count - 0.5)
                xs, ys = [lo_x, hi_x], [ys[0], ys[-1]]
            points = [QPointF(self.column_x(x), y_of(y)) for x, y in zip(xs, ys)
                      if first - 1 <= x <= first + count and math.isfinite(y)]  # fmt: skip
            if not points:
                continue
            if style in ("line", "dashed", "target"):
                path = QPainterPath(points[0])
                for q in points[1:]:
                    path.lineTo(q)
                pen = QPen(color, 2 if style == "line" else 1.6)
                if style != "line":
                    pen.setStyle(Qt.PenStyle.DashLine)
                p.setPen(pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawPath(path)
            if style in ("line", "dots", "dashed"):
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(color)
                for q in points:
                    p.drawEllipse(q, 2.6, 2.6)
        p.setClipping(False)
        if pic.continuation is not None and first <= pic.steps < first + count:
            x = self.column_x(pic.steps - 0.5)
            p.setPen(QPen(QColor(120, 120, 120), 1, Qt.PenStyle.DotLine))
            p.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        legend = "   ".join(name for name, *_rest in series)
        p.setPen(QColor(70, 70, 70))
        p.drawText(QRectF(rect.left() + 4, rect.top() + 1, rect.width() - 8, 16), Qt.AlignmentFlag.AlignLeft, legend)

    def prediction_series(self) -> list[tuple[str, list[float], list[float], QColor, str]]:
        """What the prediction row draws: (legend, steps, values, colour, style) for each line."""
        pic = self.picture
        if pic is None:
            return []
        out: list[tuple[str, list[float], list[float], QColor, str]] = []
        steps = list(range(pic.steps))
        if pic.continuation is not None and pic.truth is not None:  # the sine wave
            ahead = list(range(pic.steps, pic.steps + pic.continuation.size))
            out.append((_("— the sequence"), steps, [float(v) for v in pic.inputs[:, 0]], INPUT, "line"))
            out.append((_("╌ the true wave"), ahead, [float(v) for v in pic.truth], TRUTH, "dashed"))
            if pic.readout is not None:  # the prediction at step t is of step t + 1
                out.append((_("• one step ahead"), [t + 1 for t in steps], [float(v) for v in pic.readout[:, 0]], MODEL,
                            "dots"))  # fmt: skip
            out.append((_("— the model continuing"), ahead, [float(v) for v in pic.continuation], MODEL, "line"))
            return out
        k = int(pic.target) if pic.problem == "classification" else 0
        if pic.problem == "classification":
            name = pic.class_names[k] if k < len(pic.class_names) else _("class {number}").format(number=k)
            if pic.output.size == 1:  # a sigmoid's p of class 1
                prob = pic.readout[:, 0] if pic.readout is not None else None
                what = pic.class_names[1] if len(pic.class_names) > 1 else _("class {number}").format(number=1)
                out.append((_("╌ target: {name}").format(name=name), [steps[0], steps[-1]], [float(k), float(k)],
                            TRUTH, "target"))
                if prob is not None:
                    out.append((_("— p({name}) if it ended at t").format(name=what), steps, [float(v) for v in prob],
                                MODEL, "line"))
            else:
                out.append((_("╌ target"), [steps[0], steps[-1]], [1.0, 1.0], TRUTH, "target"))
                if pic.readout is not None:
                    out.append((_("— p({name}) if it ended at t").format(name=name), steps,
                                [float(v) for v in pic.readout[:, k]], MODEL, "line"))  # fmt: skip
            return out
        level = [pic.target, pic.target]
        out.append((_("╌ target {value}").format(value=number(pic.target, 3)), [steps[0], steps[-1]], level, TRUTH,
                    "target"))
        if pic.readout is not None:
            out.append((_("— the output if it ended at t"), steps, [float(v) for v in pic.readout[:, 0]], MODEL,
                        "line"))
        else:
            last = float(pic.output[0])
            out.append((_("• output {value}").format(value=number(last, 3)), [steps[-1]], [last], MODEL, "dots"))
        return out

    def _steps(self, p: QPainter, shown: range) -> None:
        rect = self.rows["steps"]
        w = self.window[2]
        every = max(1, math.ceil(28 / w))  # a number every 28 pixels at least
        every = next(n for n in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000) if n >= every)
        p.setPen(QColor(90, 90, 90))
        self._label(p, rect, _("step t"))
        for t in shown:
            if (t + 1) % every == 0 or (t == shown.start and every > 2 and (t + 1) % every < every / 2):
                p.drawText(QRectF(self.column_x(t) - 20, rect.top(), 40, rect.height()), Qt.AlignmentFlag.AlignCenter,
                           str(t + 1))  # fmt: skip

    @guarded
    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.resized.emit()  # the steps that fit have changed: the view's scroll bar and words follow

    # ----------------------------------------------------------------- hover
    @guarded
    def mouseMoveEvent(self, event: Any) -> None:
        self.setToolTip(self.describe(event.position()))

    def describe(self, pos: QPointF) -> str:
        """The numbers under the mouse: a state's unit at a step, a gate's spread, an input."""
        pic = self.picture
        if pic is None or pos.x() < LABEL_W:
            return ""
        first, _count, w = self.window
        t = int(first + (pos.x() - LABEL_W) // w)
        for name, rect in self.rows.items():
            if not rect.contains(pos) or t >= pic.steps:
                continue
            if name.startswith("x"):
                k = int(name[1:])
                return _("step {step}: {feature} = {value}").format(step=t + 1, feature=pic.features[k],
                                                                    value=number(float(pic.inputs[t, k])))
            if name[0] in "hc" and name[1:].isdigit():
                layer = pic.layers[int(name[1:])]
                values = layer.h if name[0] == "h" else layer.c
                unit = min(values.shape[1] - 1, int((pos.y() - rect.top()) / rect.height() * values.shape[1]))
                what = "h" if name[0] == "h" else "c"
                value = number(float(values[t, unit]))
                return _("{layer} ({kind}), unit {unit}, step {step}: {what} = {value}").format(
                    layer=layer.name, kind=layer.kind, unit=unit + 1, step=t + 1, what=what, value=value)
            if name.startswith("gate:"):
                gate = name[5:]
                v = pic.layers[self.gated].gates[gate][t]
                return _("{gate} at step {step}: mean {mean} over {units} units (from {low} to {high})").format(
                    gate=gate_word(gate), step=t + 1, mean=number(float(np.mean(v)), 3), units=v.size,
                    low=number(float(np.min(v)), 3), high=number(float(np.max(v)), 3))
        return ""


class UnrolledView(OnScreen):
    """The unrolled network with its controls: which sequence of the test split (spin box), whose
    gates (a list of the gated layers), and a scroll bar over the steps for a long sequence."""

    picked = Signal(int)  # a data set row to follow

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay, head = titled(self, "unrolledView", _("Unrolled through time"))
        head.addWidget(Label(_("sequence")))
        self.sequence = name_widget(QSpinBox(), "unrolledSequence", _("Sequence shown"),
                                    _("Which sequence of the test split (else validation, else training)"))  # fmt: skip
        self.sequence.setRange(1, 1)
        self.sequence.setKeyboardTracking(False)
        self.sequence.valueChanged.connect(self._pick)
        head.addWidget(self.sequence)
        self.gates = name_widget(QComboBox(), "unrolledGates", _("Gates of"), _("Whose gates are drawn (LSTM and GRU)"))
        self.gates.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.gates.activated.connect(self._gated)
        head.addWidget(self.gates)
        self.canvas = UnrolledCanvas()
        self.canvas.resized.connect(lambda: self._refresh() if self.picture is not None else None)
        lay.addWidget(self.canvas, 1)
        self.scroll = name_widget(QScrollBar(Qt.Orientation.Horizontal), "unrolledSteps", _("Steps shown"),
                                  _("Scroll through the steps of a long sequence"))  # fmt: skip
        self.scroll.valueChanged.connect(self._scrolled)
        lay.addWidget(self.scroll)
        foot = QHBoxLayout()
        self.range_label = name_widget(Label(""), "unrolledRange", _("Steps shown"))
        self.range_label.setObjectName("legend")
        self.range_label.setWordWrap(True)
        foot.addWidget(self.range_label, 1)
        lay.addLayout(foot)
        self.picture: SequencePicture | None = None
        self._rows: np.ndarray = np.zeros(0, dtype=int)  # the split the spin box counts in
        self._updating = False

    def set_snapshot(self, snap: Snapshot) -> None:
        data = snap.data
        if data.dataset.sequence_shape is None:
            return
        rows = next((r for r in (data.test, data.validation, data.train) if r.size), data.train)
        if rows is not self._rows:
            self._rows = rows
            self._updating = True
            self.sequence.setRange(1, max(1, rows.size))
            self._updating = False
        pic = snap.sequence
        if pic is None:
            self.canvas.picture = None
            self.canvas.empty = _("Add a SimpleRNN, LSTM or GRU layer in the layer stack (Layers) to see the network "
                                  "unrolled through time.")  # fmt: skip
            self.range_label.setText("")
            self.scroll.hide()
            self.canvas.update()
            return
        if pic is self.picture:
            return
        self.picture = pic
        self._updating = True
        self.sequence.setValue(pic.position + 1)
        gated = [(k, f"{s.name} ({s.kind})") for k, s in enumerate(pic.layers) if s.gates]
        items = [text for _k, text in gated]
        if [self.gates.itemText(i) for i in range(self.gates.count())] != items:
            chosen = self.gates.currentText()
            self.gates.clear()
            for k, text in gated:
                self.gates.addItem(text, k)
            self.gates.setCurrentIndex(max(0, self.gates.findText(chosen)))
        self.gates.setVisible(bool(gated))
        self.canvas.gated = int(self.gates.currentData()) if gated else 0
        self._updating = False
        self.canvas.picture = pic
        self._refresh()

    def _refresh(self) -> None:
        c = self.canvas
        c.layout_rows()
        first, count, _w = c.window
        total = c.total()
        self._updating = True
        self.scroll.setRange(0, max(0, total - count))
        self.scroll.setPageStep(max(1, count))
        self.scroll.setValue(first)
        self._updating = False
        self.scroll.setVisible(count < total)
        pic = self.picture
        if pic is not None:
            what = _("{split} sequence {number}").format(split=split_name(pic.split), number=pic.position + 1)
            if pic.problem == "classification":
                k = int(pic.target)
                target = pic.class_names[k] if k < len(pic.class_names) else _("class {number}").format(number=k)
            else:
                target = number(pic.target)
            out = numbers(pic.output[:4])
            marked = c.marked()
            steps_on_screen = window_words(first, count, total, pic.steps)
            if marked.size:
                text = _("{what}: target {target}, output {output} · marked steps {marked} · {steps}")
            else:
                text = _("{what}: target {target}, output {output} · {steps}")
            self.range_label.setText(text.format(what=what, target=target, output=out, steps=steps_on_screen,
                                                 marked=", ".join(str(t + 1) for t in marked)))
        c.update()

    def _pick(self, value: int) -> None:
        if self._updating or not self._rows.size:
            return
        self.picked.emit(int(self._rows[min(value, self._rows.size) - 1]))

    def _gated(self, _index: int) -> None:
        self.canvas.gated = int(self.gates.currentData() or 0)
        self._refresh()

    def _scrolled(self, value: int) -> None:
        if self._updating:
            return
        self.canvas.first = value
        self._refresh()
