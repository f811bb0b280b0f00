"""Tools → Perceptron: Rosenblatt's step unit learning two-input logic gates by the perceptron
rule, every update worked out, and why gradient descent cannot do the same.

`engine.teaching.perceptron` holds the unit, the rule and the data sets; a visit costs microseconds, so
Play runs on a UI timer as the optimizer paths do.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QDialog, QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from engine.core.errors import PlaygroundError
from engine.core.i18n import _, ngettext
from engine.teaching.perceptron import (
    PERCEPTRON_DATA,
    Perceptron,
    Update,
    sigmoid_slope,
    squared_error_gradient,
    step,
)

from ..colors import blend_white, class_color
from ..panels.plotting import SquarePlot, line_plot, make_plot
from ..plotlib import pg
from ..widgets import Label, NumberEdit, guarded, name_widget, wrapped
from .worked import num, paren, vec

VISITS_PER_SECOND = 4
PLANE_PIXELS = 120
START_W, START_B, START_RATE = (0.3, -0.2), 0.1, 0.5


def rule_lines(u: Update) -> list[str]:
    """One visit of the rule with its numbers."""
    w, b, x = u.w_before, u.b_before, u.x
    lines = [
        _("example {number}: x = {x}, y = {y}").format(number=u.index + 1, x=vec(x), y=u.y),
        f"z = w·x + b = {paren(w[0])}·{paren(x[0])} + {paren(w[1])}·{paren(x[1])} + {paren(b)} = {num(u.z)}",
        f"ŷ = step(z) = {u.y_hat}" + ("   (z > 0)" if u.y_hat else "   (z ≤ 0)"),
    ]
    if not u.mistake:
        return [*lines, _("right: y − ŷ = 0, so w and b stay as they are")]
    return [
        *lines,
        _("wrong: y − ŷ = {error}").format(error=num(u.error)),
        f"w ← w + η(y − ŷ)x = {vec(w)} + {num(u.rate)}·{paren(u.error)}·{vec(x)} = {vec(u.w_after)}",
        f"b ← b + η(y − ŷ) = {paren(b)} + {num(u.rate)}·{paren(u.error)} = {num(u.b_after)}",
    ]


def gradient_lines(u: Update) -> list[str]:
    """What gradient descent would do with the same example: the chain rule through the step."""
    gw, gb, slope = squared_error_gradient(u.w_before, u.b_before, u.x, u.y)
    head = _("Gradient descent on L = ½(ŷ − y)² at this example (z = {z}):").format(z=num(u.z))
    if math.isnan(slope):
        return [head, _("z = 0 exactly: the step jumps here and has no derivative at all.")]
    return [
        head,
        f"∂L/∂w = (ŷ − y)·step′(z)·x = {paren(u.y_hat - u.y)}·0·{vec(u.x)} = {vec(gw)},  ∂L/∂b = {num(gb)}",
        _("so w − α·∂L/∂w = w for any α: gradient descent never moves, right or wrong. The perceptron rule "
          "uses the error y − ŷ itself instead."),
        _("Logistic regression puts σ where the step is: σ′({z}) = {slope} > 0, never 0, so its gradient always "
          "says which way to go.").format(z=num(u.z), slope=num(sigmoid_slope(u.z))),
    ]


class PerceptronWindow(QDialog):
    """The data and the line w·x + b = 0, the rule's controls, its last update and the gradient's answer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("perceptronWindow")
        self.setWindowTitle(_("Perceptron"))
        self.perceptron: Perceptron | None = None
        self.last: Update | None = None

        lay = QHBoxLayout(self)
        left = QVBoxLayout()
        self.plot = make_plot("perceptronPlot")
        self.plot.setAspectLocked(True)
        self.plot.setMinimumSize(340, 340)
        self.plot.setLabel("bottom", "x₁")
        self.plot.setLabel("left", "x₂")
        self.plane = pg.ImageItem()
        self.plane.setZValue(-10)
        self.plot.addItem(self.plane)
        self.line = line_plot(self.plot, pg.mkPen((40, 40, 40), width=2))
        self.points = pg.ScatterPlotItem(size=16, pen=pg.mkPen("w", width=1.5))
        self.points.setZValue(5)
        self.plot.addItem(self.points)
        self.ring = pg.ScatterPlotItem(size=28, brush=None, pen=pg.mkPen((214, 39, 40), width=3))
        self.ring.setZValue(6)
        self.plot.addItem(self.ring)
        left.addWidget(SquarePlot(self.plot), 1)  # a square data area: the shaded plane fills the axes
        self.caption = wrapped("", "perceptronCaption")
        left.addWidget(self.caption)
        lay.addLayout(left, 4)

        side = QVBoxLayout()
        side.addWidget(wrapped(
            _("ŷ = step(w·x + b): 1 when w·x + b > 0, else 0. The perceptron rule visits the examples in turn; on a "
            "mistake it moves w by η(y − ŷ)x and b by η(y − ŷ), on a right answer it does nothing. Shaded: where "
            "ŷ = 1; the line is w·x + b = 0."), "legend"))  # fmt: skip
        self.data_box = name_widget(QComboBox(), "perceptronData", _("Data set"))
        for key in PERCEPTRON_DATA.names():
            self.data_box.addItem(_(PERCEPTRON_DATA.get(key).title), key)  # AND, OR, NAND, XOR stay as they are
        self.data_box.currentIndexChanged.connect(lambda _i: self.restart())
        side.addWidget(self.data_box)
        self.data_note = wrapped("", "perceptronNote")
        side.addWidget(self.data_note)
        grid = QGridLayout()
        self.rate = name_widget(NumberEdit(START_RATE, 1e-6, 100.0), "perceptronRate", _("Rate η"))
        self.w1 = name_widget(NumberEdit(START_W[0], -100.0, 100.0), "perceptronW1", _("Initial w₁"))
        self.w2 = name_widget(NumberEdit(START_W[1], -100.0, 100.0), "perceptronW2", _("Initial w₂"))
        self.b = name_widget(NumberEdit(START_B, -100.0, 100.0), "perceptronB", _("Initial b"))
        for col, (text, edit) in enumerate((("η", self.rate), (_("start w₁"), self.w1), ("w₂", self.w2),
                                            ("b", self.b))):  # fmt: skip
            grid.addWidget(Label(text), 0, col)
            grid.addWidget(edit, 1, col)
            edit.committed.connect(lambda _v: self.restart())
            edit.refused.connect(self.say)
        side.addLayout(grid)
        buttons = QHBoxLayout()
        self.step_button = name_widget(QPushButton(_("Next example")), "perceptronStep", _("Show the next example"))
        self.step_button.clicked.connect(self.visit)
        self.epoch_button = name_widget(QPushButton(_("Whole pass")), "perceptronEpoch", _("Visit every example once"))
        self.epoch_button.clicked.connect(self.run_epoch)
        self.play = name_widget(QPushButton(_("Play")), "perceptronPlay", _("Play or pause the visits"),
                                _("{count} examples a second").format(count=VISITS_PER_SECOND))  # fmt: skip
        self.play.setCheckable(True)
        self.play.toggled.connect(self._play_toggled)
        self.reset = name_widget(QPushButton(_("Reset")), "perceptronReset", _("Back to the start weights"))
        self.reset.clicked.connect(self.restart)
        for b in (self.step_button, self.epoch_button, self.play, self.reset):
            buttons.addWidget(b)
        side.addLayout(buttons)
        self.status = wrapped("", "perceptronStatus")
        side.addWidget(self.status)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.working = wrapped("", "perceptronWorking")
        self.working.setFont(mono)
        side.addWidget(self.working)
        self.step_plot = make_plot("stepPlot")
        self.step_plot.setFixedHeight(105)
        self.step_plot.setLabel("bottom", "z")
        z = np.linspace(-4, 4, 401)
        line_plot(self.step_plot, pg.mkPen((8, 119, 189), width=2)).setData(z, step(z))
        line_plot(self.step_plot, pg.mkPen((150, 150, 150), width=2, style=Qt.PenStyle.DashLine)).setData(
            z, 1 / (1 + np.exp(-z)))  # fmt: skip
        flat = line_plot(self.step_plot, pg.mkPen((214, 39, 40), width=2))
        flat.setData([-4, -0.04, np.nan, 0.04, 4], [0, 0, np.nan, 0, 0], connect="finite")
        hole = pg.ScatterPlotItem([0], [0], size=8, brush=pg.mkBrush("w"), pen=pg.mkPen((214, 39, 40), width=2))
        self.step_plot.addItem(hole)
        self.step_plot.setYRange(-0.1, 1.1, padding=0)
        side.addWidget(self.step_plot)
        side.addWidget(wrapped(
            _("Blue: step(z). Red: its derivative, 0 everywhere; at z = 0 (hollow dot) the step jumps and has "
            "none. Dashed: the sigmoid σ(z), the smooth step logistic regression uses."), "legend"))  # fmt: skip
        self.gradient = wrapped("", "perceptronGradient")
        side.addWidget(self.gradient)
        self.message = wrapped("", "perceptronMessage")
        side.addWidget(self.message)
        side.addStretch(1)
        lay.addLayout(side, 5)

        self.timer = QTimer(self)
        self.timer.setInterval(1000 // VISITS_PER_SECOND)
        self.timer.timeout.connect(self._tick)
        self.finished.connect(lambda _result: self.timer.stop())
        self.resize(1180, 680)
        self.restart()

    # ----------------------------------------------------------------- the rule
    def restart(self) -> None:
        """A fresh perceptron on the chosen data from the typed start weights."""
        self.say("")
        try:
            self.perceptron = Perceptron(self.data_box.currentData(), self.rate.value(),
                                         (self.w1.value(), self.w2.value()), self.b.value())  # fmt: skip
        except PlaygroundError as exc:
            self.say(str(exc))
            return
        self.last = None
        self.data_note.setText(_(self.perceptron.data.note))
        self._draw()

    def visit(self) -> Update | None:
        if self.perceptron is None:
            return None
        self.last = self.perceptron.visit()
        self._draw()
        return self.last

    def run_epoch(self) -> list[Update]:
        if self.perceptron is None:
            return []
        updates = self.perceptron.run_epoch()
        self.last = updates[-1]
        self._draw()
        return updates

    def _play_toggled(self, on: bool) -> None:
        self.play.setText(_("Pause") if on else _("Play"))
        if on:
            self.timer.start()
        else:
            self.timer.stop()

    @guarded
    def _tick(self) -> None:
        self.visit()
        if self.settled():
            self.play.setChecked(False)  # nothing more will change

    def settled(self) -> bool:
        """Whether the last whole pass made no mistake: the rule will never move the line again."""
        p = self.perceptron
        n = len(p.y)
        done = len(p.history) - len(p.history) % n
        return done > 0 and not any(u.mistake for u in p.history[done - n : done])

    # ----------------------------------------------------------------- drawing
    def _extent(self) -> tuple[float, float, float, float]:
        x = self.perceptron.x
        lo, hi = x.min(axis=0), x.max(axis=0)
        pad = 0.35 * max(1.0, float(np.max(hi - lo)))
        return lo[0] - pad, hi[0] + pad, lo[1] - pad, hi[1] + pad

    def _draw(self) -> None:
        p = self.perceptron
        x0, x1, y0, y1 = self._extent()
        gx, gy = np.meshgrid(np.linspace(x0, x1, PLANE_PIXELS), np.linspace(y0, y1, PLANE_PIXELS))
        ones = p.predict(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
        colors = np.array([blend_white(class_color(c, 2), 0.25) for c in (0, 1)], dtype=np.uint8)
        self.plane.setImage(np.ascontiguousarray(colors[ones].transpose(1, 0, 2)), levels=(0, 255))
        self.plane.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        (w1, w2), b = p.w, p.b
        if abs(w2) > 1e-12:
            xs = np.array([x0, x1])
            self.line.setData(xs, -(w1 * xs + b) / w2)
        elif abs(w1) > 1e-12:
            self.line.setData([-b / w1, -b / w1], [y0, y1])
        else:
            self.line.setData([], [])
        brushes = [pg.mkBrush(class_color(int(c), 2)) for c in p.y]
        self.points.setData(p.x[:, 0], p.x[:, 1], brush=brushes)
        nxt = p.visits % len(p.y)
        self.ring.setData([p.x[nxt, 0]], [p.x[nxt, 1]])
        self.plot.setXRange(x0, x1, padding=0)
        self.plot.setYRange(y0, y1, padding=0)
        wrong = p.mistakes()
        self.caption.setText(
            _("{title}: w = {w}, b = {b} · wrong on {wrong} of {count} · red ring: the next example").format(
                title=_(p.data.title), w=vec(p.w), b=num(p.b), wrong=wrong, count=len(p.y)
            )
        )
        self.status.setText(self._status())
        self.working.setText("\n".join(rule_lines(self.last)) if self.last else _("Press Next example."))
        self.gradient.setText("\n".join(gradient_lines(self.last)) if self.last else "")

    def _status(self) -> str:
        p = self.perceptron
        n = len(p.y)
        passes = [p.history[i : i + n] for i in range(0, len(p.history) - len(p.history) % n, n)]
        done = _("pass {number}, example {example} of {count} next").format(
            number=p.epoch + 1, example=p.visits % n + 1, count=n)
        if self.settled():
            return _("{done}. The last whole pass made no mistake: the rule has stopped, the line separates the "
                     "data.").format(done=done)
        if passes:
            made = sum(u.mistake for u in passes[-1])
            verdict = ngettext("The last whole pass made {count} mistake.",
                               "The last whole pass made {count} mistakes.", made).format(count=made)
            if not p.data.separable and len(passes) >= 3:
                verdict = _("{verdict} No line separates these points, so the rule never stops.").format(
                    verdict=verdict)
            return _("{done}. {verdict}").format(done=done, verdict=verdict)
        return _("{done}.").format(done=done)

    def say(self, text: str) -> None:
        self.message.setText(text)
