"""Tools → Convex or Not: logistic regression's loss over its two parameters (w, b) with
cross-entropy beside the same model with squared error, the places where each surface bends
down (a negative Hessian eigenvalue, red), their minima, and plain gradient descent from a start
point you drag on either plot.

`engine.teaching.convexity` computes everything, on this window's job thread (`jobs.Jobs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QComboBox, QDialog, QGridLayout, QHBoxLayout, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from engine.core.errors import PlaygroundError
from engine.core.i18n import _, ngettext, term
from engine.teaching.convexity import (
    CONVEXITY_DATA,
    FORMULAS,
    KINDS,
    TITLES,
    Surface2D,
    check_points,
    descend,
    eigenvalues,
    gradient,
    hessian,
    loss,
    surface,
)

from ..colors import contour_rgb
from ..panels.plotting import line_plot, make_plot
from ..plotlib import pg
from ..run.jobs import Jobs, Progress
from ..widgets import Label, NumberEdit, guarded, name_widget, wrapped
from .worked import num

GRID = 301  # grid points a side
BENDS = np.array((214, 39, 40), dtype=np.float64)  # where the surface bends down
BEND_SHARE = 0.3  # how much of that red is mixed into the contour picture there
START = (3.0, 2.0)


@dataclass(frozen=True)
class ConvexResult:
    x: np.ndarray
    y: np.ndarray
    span: float
    surfaces: dict[str, Surface2D]
    paths: dict[str, np.ndarray]
    start: tuple[float, float]


def compute(x: np.ndarray, y: np.ndarray, span: float, start: tuple[float, float], rate: float, steps: int,
            surfaces: dict[str, Surface2D] | None, progress: Progress) -> ConvexResult:  # fmt: skip
    """Both surfaces (unless given, for the same data and span) and both descents from `start`."""
    made = dict(surfaces or {})
    for i, kind in enumerate(KINDS):
        if kind not in made:
            made[kind] = surface(kind, x, y, span, GRID)
        progress(i + 1, len(KINDS) + 1)
    paths = {kind: descend(kind, x, y, start, rate, steps) for kind in KINDS}
    progress(len(KINDS) + 1, len(KINDS) + 1)
    return ConvexResult(x, y, span, made, paths, start)


def bends_rgb(s: Surface2D) -> np.ndarray:
    """The contour picture with red mixed in where the Hessian has a negative eigenvalue."""
    rgb = contour_rgb(s.values, log=True).astype(np.float64)
    down = s.lowest_eigenvalue < 0
    rgb[down] = (1 - BEND_SHARE) * rgb[down] + BEND_SHARE * BENDS
    return rgb.astype(np.uint8)


def parse_numbers(text: str, what: str) -> list[float]:
    """Numbers separated by commas or spaces ('−' taken as a minus)."""
    out = []
    for part in text.replace("−", "-").replace(",", " ").split():
        try:
            out.append(float(part))
        except ValueError:
            raise PlaygroundError(_("{what}: {part!r} is not a number").format(what=what, part=part)) from None
    return out


class ConvexWindow(QDialog):
    """Two (w, b) landscapes of one model on one data set: cross-entropy and squared error."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("convexWindow")
        self.setWindowTitle(_("Convex or not"))
        self.jobs = Jobs(self)
        self.jobs.done.connect(self._show)
        self.jobs.failed.connect(self._failed)
        self.result: ConvexResult | None = None
        self.start = START

        lay = QVBoxLayout(self)
        lay.addWidget(wrapped(
            _("Logistic regression ŷ = σ(w·x + b) on the points below, its loss over (w, b) with two loss functions. "
            "Cross-entropy's Hessian is mean(σ(1 − σ)·[x, 1][x, 1]ᵀ), never negative: the surface is convex, any "
            "minimum is the only one and gradient descent finds it from anywhere. Squared error bends down "
            "(red: a negative eigenvalue), flattens where σ saturates and can hold more than one minimum. "
            "Drag the cross on either plot to start gradient descent there."), "legend"))  # fmt: skip
        row = QHBoxLayout()
        self.data_box = name_widget(QComboBox(), "convexData", _("Data set"))
        for key in CONVEXITY_DATA.names():
            self.data_box.addItem(_(CONVEXITY_DATA.get(key).title), key)
        self.data_box.currentIndexChanged.connect(self._data_chosen)
        row.addWidget(self.data_box)
        row.addWidget(Label("x"))
        self.x_edit = name_widget(QLineEdit(), "convexX", _("Inputs x"), _("The inputs, separated by commas"))
        row.addWidget(self.x_edit, 3)
        row.addWidget(Label("y"))
        self.y_edit = name_widget(QLineEdit(), "convexY", _("Labels y"), _("A label 0 or 1 per input"))
        row.addWidget(self.y_edit, 2)
        for edit in (self.x_edit, self.y_edit):
            edit.editingFinished.connect(self.recompute)
        row.addWidget(Label(_("w, b within ±")))
        self.span = name_widget(NumberEdit(4.0, 0.5, 50.0), "convexSpan", _("Span"),
                                _("w and b run from −span to span"))
        self.span.setFixedWidth(60)
        self.span.committed.connect(lambda _v: self.recompute())
        row.addWidget(self.span)
        row.addWidget(Label(_("descent α")))
        self.rate = name_widget(NumberEdit(1.0, 1e-4, 100.0), "convexRate", _("Learning rate α"))
        self.rate.setFixedWidth(60)
        self.rate.committed.connect(lambda _v: self.run_descent())
        row.addWidget(self.rate)
        row.addWidget(Label(_("steps")))
        self.steps = name_widget(QSpinBox(), "convexSteps", _("Steps of gradient descent"))
        self.steps.setRange(1, 20_000)
        self.steps.setValue(3000)
        self.steps.editingFinished.connect(self.run_descent)
        row.addWidget(self.steps)
        for edit in (self.span, self.rate):
            edit.refused.connect(self.say)
        lay.addLayout(row)
        self.note = wrapped("", "convexNote")
        lay.addWidget(self.note)

        grid = QGridLayout()
        self.plots: dict[str, pg.PlotWidget] = {}
        self.images: dict[str, pg.ImageItem] = {}
        self.path_lines: dict[str, pg.PlotDataItem] = {}
        self.ends: dict[str, pg.ScatterPlotItem] = {}
        self.stars: dict[str, pg.ScatterPlotItem] = {}
        self.targets: dict[str, pg.TargetItem] = {}
        self.infos: dict[str, QWidget] = {}
        for col, kind in enumerate(KINDS):
            title = Label(_("{loss}: {formula}").format(loss=term(TITLES[kind]), formula=FORMULAS[kind]))
            font = title.font()
            font.setBold(True)
            title.setFont(font)
            grid.addWidget(title, 0, col)
            plot = make_plot(f"convexPlot_{kind}")
            plot.setMinimumSize(300, 260)
            plot.setLabel("bottom", "w")
            plot.setLabel("left", "b")
            image = pg.ImageItem()
            image.setZValue(-10)
            plot.addItem(image)
            self.path_lines[kind] = line_plot(plot, pg.mkPen((20, 20, 20), width=2))
            end = pg.ScatterPlotItem(size=9, brush=pg.mkBrush(20, 20, 20), pen=pg.mkPen("w"))
            star = pg.ScatterPlotItem(symbol="star", size=16, brush=pg.mkBrush(255, 255, 255), pen=pg.mkPen("k"))
            target = pg.TargetItem(pos=self.start, size=16, movable=True, pen=pg.mkPen("k", width=2))
            target.setToolTip(_("Gradient descent starts here: drag it"))
            for z, item in ((5, end), (6, star), (30, target)):
                item.setZValue(z)
                plot.addItem(item)
            target.sigPositionChangeFinished.connect(self._target_moved)
            grid.addWidget(plot, 1, col)
            info = wrapped("", f"convexInfo_{kind}")
            grid.addWidget(info, 2, col)
            self.plots[kind], self.images[kind], self.ends[kind] = plot, image, end
            self.stars[kind], self.targets[kind], self.infos[kind] = star, target, info
        grid.setRowStretch(1, 1)
        lay.addLayout(grid, 1)
        self.message = wrapped("", "convexMessage")
        lay.addWidget(self.message)
        self.finished.connect(lambda _result: self.jobs.shutdown())
        self.resize(1180, 690)
        self._data_chosen()

    # ----------------------------------------------------------------- inputs
    def _data_chosen(self, _index: int = 0) -> None:
        d = CONVEXITY_DATA.get(self.data_box.currentData())
        self.x_edit.setText(", ".join(f"{v:g}" for v in d.x))
        self.y_edit.setText(", ".join(str(v) for v in d.y))
        self.note.setText(_(d.note))
        self.recompute()

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        return check_points(parse_numbers(self.x_edit.text(), "x"), parse_numbers(self.y_edit.text(), "y"))

    def recompute(self) -> int | None:
        """Both surfaces and both descents for the typed points, on the job thread."""
        try:
            x, y = self.points()
        except PlaygroundError as exc:
            self.say(str(exc))
            return None
        return self._submit(x, y, None)

    def run_descent(self) -> int | None:
        """Only the descents again (the start, α or the steps changed), on the surfaces shown."""
        r = self.result
        if r is None or r.span != self.span.value():
            return self.recompute()
        return self._submit(r.x, r.y, r.surfaces)

    def _submit(self, x: np.ndarray, y: np.ndarray, surfaces: dict[str, Surface2D] | None) -> int:
        span, start, rate, steps = self.span.value(), self.start, self.rate.value(), self.steps.value()
        self.say(_("Computing…"))
        return self.jobs.submit(lambda progress: compute(x, y, span, start, rate, steps, surfaces, progress))

    @guarded
    def _target_moved(self, target: Any) -> None:
        pos = target.pos()
        self.set_start(pos.x(), pos.y())

    def set_start(self, w: float, b: float) -> None:
        """Start both descents at (w, b) (the cross dragged on either plot)."""
        self.start = (float(w), float(b))
        for t in self.targets.values():
            t.blockSignals(True)
            t.setPos(*self.start)
            t.blockSignals(False)
        self.run_descent()

    # ----------------------------------------------------------------- results
    def _failed(self, message: str) -> None:
        self.say("" if message == "cancelled" else message)

    def _show(self, r: ConvexResult) -> None:
        self.result = r
        for kind in KINDS:
            s, plot = r.surfaces[kind], self.plots[kind]
            self.images[kind].setImage(np.ascontiguousarray(bends_rgb(s).transpose(1, 0, 2)), levels=(0, 255))
            self.images[kind].setRect(QRectF(-r.span, -r.span, 2 * r.span, 2 * r.span))
            self.stars[kind].setData([m.w for m in s.minima], [m.b for m in s.minima])
            path = r.paths[kind]
            self.path_lines[kind].setData(path[:, 0], path[:, 1])
            self.ends[kind].setData([path[-1, 0]], [path[-1, 1]])
            plot.setXRange(-r.span, r.span, padding=0)
            plot.setYRange(-r.span, r.span, padding=0)
            self.infos[kind].setText(self.describe(r, kind))
        self.say("")

    def describe(self, r: ConvexResult, kind: str) -> str:
        """Curvature, minima, the descent's end and the Hessian at the start, in numbers."""
        s = r.surfaces[kind]
        low = float(s.lowest_eigenvalue.min())
        if s.negative_share == 0:
            shape = _("Smallest Hessian eigenvalue on the grid {value}, never negative: convex.").format(
                value=num(low, 2))
        else:
            shape = _("A negative eigenvalue on {share} of the grid (red), as low as {value}: not convex.").format(
                share=f"{s.negative_share:.0%}", value=num(low, 2))
        if s.minima:
            where = "; ".join(f"({num(m.w, 3)}, {num(m.b, 3)}) L = {num(m.value, 4)}" for m in s.minima)
            minima = ngettext("One minimum (stars): {where}.", "{count} minima (stars): {where}.",
                              len(s.minima)).format(count=len(s.minima), where=where)
        else:
            minima = _("No minimum on the grid: the loss falls on towards its edge.")
        path = r.paths[kind]
        end = path[-1]
        gw, gb = gradient(kind, end[0], end[1], r.x, r.y)
        steps = len(path) - 1
        walked = ngettext(
            "Descent from ({w}, {b}), {steps} step: ends at ({end_w}, {end_b}), L = {loss}, |∇L| = {grad}.",
            "Descent from ({w}, {b}), {steps} steps: ends at ({end_w}, {end_b}), L = {loss}, |∇L| = {grad}.", steps,
        ).format(w=num(r.start[0], 3), b=num(r.start[1], 3), steps=f"{steps:,}", end_w=num(end[0], 3),
                 end_b=num(end[1], 3), loss=num(float(loss(kind, end[0], end[1], r.x, r.y)), 4),
                 grad=num(float(np.hypot(gw, gb)), 2))  # fmt: skip
        hww, hwb, hbb = (float(v) for v in hessian(kind, r.start[0], r.start[1], r.x, r.y))
        lo, hi = (float(v) for v in eigenvalues(np.array(hww), np.array(hwb), np.array(hbb)))
        at = _("Hessian at the start [[{hww}, {hwb}], [{hwb}, {hbb}]], eigenvalues {low} and {high}.").format(
            hww=num(hww, 3), hwb=num(hwb, 3), hbb=num(hbb, 3), low=num(lo, 3), high=num(hi, 3))
        return f"{shape} {minima}\n{walked}\n{at}"

    def say(self, text: str) -> None:
        self.message.setText(text)
