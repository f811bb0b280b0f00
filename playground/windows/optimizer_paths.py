"""Tools → Optimizer paths: up to six of the engine's optimizers walking a two-parameter surface.

Each lane is an `engine.teaching.surfaces.Walker`: the same optimizer classes, hyperparameters and update
rules that train the networks, on two numbers instead of a network's weights; or random search
(`engine.teaching.walkers.RandomSearch`), which never looks at the gradient. Beside them, the
forward-difference gradient at a point with its numbers. A step of six walkers costs
microseconds, so they run on a UI timer; nothing here trains a network.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.core.errors import PlaygroundError
from engine.core.i18n import _, term
from engine.core.numbers import number
from engine.core.optimizers import HYPERPARAMETER_BOUNDS, OPTIMIZERS, make_optimizer
from engine.teaching.surfaces import SURFACES, Surface, Walker, get_surface
from engine.teaching.walkers import (
    RANDOM_SEARCH,
    FiniteDifference,
    RandomSearch,
    default_step,
    forward_difference,
    make_walker,
)

from ..colors import contour_rgb, layer_color
from ..panels.plotting import line_plot, make_plot
from ..plotlib import pg
from ..widgets import Label, NumberEdit, guarded, name_widget, plain_tip, wrapped
from .worked import num

LANES = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
CONTOUR_POINTS = 400  # the contour picture's resolution per side
TICK_MS = 33
SPEEDS = (5, 15, 30, 60, 120, 300)  # steps per second
SLOW_STEPS = 20  # slow motion: the first steps at SLOW_RATE steps per second
SLOW_RATE = 2.0
MAX_STEPS = 5000  # a lane stops here (its path is kept)
ARROW = 0.07  # the gradient arrow's length, as a share of the plot's width
FD_STEP = 1e-5  # the forward difference's h to begin with (CS231n's)


def lane_kind(name: str) -> Any:
    """What a lane's choice is: an optimizer class, or random search (same label, formula, defaults)."""
    return RandomSearch if name == RANDOM_SEARCH else OPTIMIZERS.get(name)


class LaneControls:
    """One lane's row: on/off, optimizer, learning rate, its other hyperparameters, its numbers."""

    def __init__(self, window: PathsWindow, grid: QGridLayout, row: int, name: str) -> None:
        self.window = window
        self.row = row
        color = layer_color(row)
        self.enabled = name_widget(QCheckBox(), f"pathOn{row}", _("Lane {row} on").format(row=row + 1),
                                   _("Walk this lane"))
        self.enabled.setChecked(True)
        self.enabled.setStyleSheet(f"QCheckBox {{ color: rgb{color}; font-weight: bold; }}")
        self.enabled.setText("━━")
        self.optimizer = name_widget(QComboBox(), f"pathOptimizer{row}", _("Lane {row} optimizer").format(row=row + 1))
        for key in OPTIMIZERS.names():
            self.optimizer.addItem(OPTIMIZERS.words(key), key)  # in words, as the control bar shows them
        self.optimizer.addItem(term(RandomSearch.label), RANDOM_SEARCH)
        self.optimizer.setCurrentIndex(self.optimizer.findData(name))
        self.lr = name_widget(NumberEdit(0.01, 1e-7, 100.0), f"pathLr{row}", _("Lane {row} learning rate").format(
                                                                                 row=row + 1))
        self.lr.setFixedWidth(84)
        self.more = name_widget(QToolButton(), f"pathSettings{row}", _("Lane {row} settings").format(row=row + 1))
        self.more.setText("⋯")
        self.status = Label("")
        self.status.setObjectName(f"pathStatus{row}")
        self.status.setMinimumWidth(240)
        self.extra: dict[str, Any] = {}  # hyperparameters other than the rate, where not the default
        for col, w in enumerate((self.enabled, self.optimizer, self.lr, self.more, self.status)):
            grid.addWidget(w, row + 1, col)
        self.enabled.toggled.connect(lambda _on: window.restart())
        self.optimizer.currentIndexChanged.connect(self._optimizer_chosen)
        self.lr.committed.connect(lambda _v: window.restart())
        self.lr.refused.connect(window.say)
        self.more.clicked.connect(self.edit_settings)
        self._tip()

    def searching(self) -> bool:
        """Whether this lane is random search (its rate field is then the step size σ)."""
        return self.optimizer.currentData() == RANDOM_SEARCH

    def spec(self) -> dict[str, Any] | None:
        if not self.enabled.isChecked():
            return None
        rate = "step_size" if self.searching() else "learning_rate"
        return {"name": self.optimizer.currentData(), **self.extra, rate: self.lr.value()}

    def set_rate_for(self, surface: Surface) -> None:
        name = self.optimizer.currentData()
        self.lr.set_value(default_step(surface) if name == RANDOM_SEARCH else surface.rate(name))

    def _optimizer_chosen(self, _index: int) -> None:
        self.extra = {}
        self.set_rate_for(self.window.surface)
        self._tip()
        self.window.restart()

    def _tip(self) -> None:
        cls = lane_kind(self.optimizer.currentData())
        self.optimizer.setToolTip(_(cls.formula))
        self.lr.setToolTip(_("The step size σ of each random try") if self.searching() else _("The learning rate α"))
        changed = ", ".join(f"{k} = {v}" for k, v in self.extra.items())
        self.more.setToolTip(
            (_("Every other hyperparameter of {optimizer} (changed: {changed})") if changed else
             _("Every other hyperparameter of {optimizer} (defaults)")).format(optimizer=term(cls.label),
                                                                                changed=changed)
        )

    def edit_settings(self) -> QDialog:
        """A small form with every hyperparameter except the rate (applied on OK)."""
        name = self.optimizer.currentData()
        cls = lane_kind(name)
        rate = "step_size" if self.searching() else "learning_rate"
        dlg = QDialog(self.window)
        dlg.setObjectName(f"pathSettingsDialog{self.row}")
        dlg.setWindowTitle(_("Lane {row}: {label}").format(row=self.row + 1, label=term(cls.label)))
        form = QFormLayout(dlg)
        form.addRow(Label(_(cls.formula)))
        fields: dict[str, QWidget] = {}
        for key, default in cls.defaults.items():
            if key == rate:
                continue
            value = self.extra.get(key, default)
            if isinstance(default, bool):
                field: QWidget = QCheckBox()
                field.setChecked(bool(value))
            elif isinstance(default, str):  # a word: its choices in words, the identifiers as data
                field = QComboBox()
                for choice in cls.choices[key]:
                    field.addItem(_(cls.choice_words(key, choice)), choice)
                field.setCurrentIndex(max(0, field.findData(value)))
            elif isinstance(default, int):  # random search's tries and seed
                field = QSpinBox()
                field.setRange(*(int(b) for b in (cls.bounds[key][0], min(cls.bounds[key][1], 2**31 - 1))))
                field.setValue(int(value))
            else:
                lo, hi, _lo_open, _hi_open = HYPERPARAMETER_BOUNDS[key]
                field = NumberEdit(value, lo, hi)
            words = term(cls.key_words(key))
            name_widget(field, f"pathSetting_{key}", words, _(cls.describe(key, self.extra.get("rules", "torch"))))
            form.addRow(words, field)
            fields[key] = field
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        form.addRow(buttons)

        def accept() -> None:
            extra: dict[str, Any] = {}
            for key, field in fields.items():
                if isinstance(field, QCheckBox):
                    value: Any = field.isChecked()
                elif isinstance(field, QComboBox):
                    value = field.currentData()
                elif isinstance(field, QSpinBox):
                    value = field.value()
                else:
                    value = field.value()
                if value != cls.defaults[key]:
                    extra[key] = value
            try:
                RandomSearch.checked(extra) if name == RANDOM_SEARCH else make_optimizer({"name": name, **extra})
            except PlaygroundError as exc:
                self.window.say(str(exc))
                return
            self.extra = extra
            self._tip()
            dlg.accept()
            self.window.restart()

        buttons.accepted.connect(accept)
        buttons.rejected.connect(dlg.reject)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg


class LaneItems:
    """What one lane draws: its path, its head and the arrow along −∇f."""

    def __init__(self, plot: pg.PlotWidget, row: int) -> None:
        color = layer_color(row)
        self.path = line_plot(plot, pg.mkPen(color, width=2))
        self.arrow = plot.plot([], [], pen=pg.mkPen(color, width=1.5), connect="pairs")
        self.head = pg.ScatterPlotItem(size=10, brush=pg.mkBrush(color), pen=pg.mkPen("w", width=1.5))
        plot.addItem(self.head)
        for item in (self.path, self.arrow, self.head):
            item.setZValue(10 + row)

    def clear(self) -> None:
        self.path.setData([], [])
        self.arrow.setData([], [])
        self.head.setData([], [])


class PathsWindow(QDialog):
    """Contours of a test surface, a draggable start point and up to six optimizer lanes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pathsWindow")
        self.setWindowTitle(_("Optimizer paths"))
        self.surface: Surface = get_surface("rosenbrock")
        self.params: dict[str, float] = dict(self.surface.params)
        self.start: tuple[float, float] = self.surface.start
        self.walkers: list[Walker | None] = []
        self._credit = 0.0

        lay = QHBoxLayout(self)
        left = QVBoxLayout()
        self.plot = make_plot("pathsPlot")
        self.plot.setAspectLocked(True)
        self.plot.setMinimumSize(420, 420)
        self.image = pg.ImageItem()
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.minima = pg.ScatterPlotItem(symbol="star", size=14, brush=pg.mkBrush(255, 255, 255), pen=pg.mkPen("k"))
        self.minima.setZValue(5)
        self.plot.addItem(self.minima)
        self.target = pg.TargetItem(pos=self.start, size=16, movable=True, pen=pg.mkPen("k", width=2))
        self.target.setZValue(30)
        self.target.setToolTip(_("The start point: drag it"))
        self.plot.addItem(self.target)
        self.target.sigPositionChangeFinished.connect(self._target_moved)
        left.addWidget(self.plot, 1)
        self.caption = wrapped("", "pathsCaption")
        left.addWidget(self.caption)
        lay.addLayout(left, 3)

        side = QVBoxLayout()
        pick = QHBoxLayout()
        self.surface_box = name_widget(QComboBox(), "pathsSurface", _("Surface"))
        for key in SURFACES.names():
            self.surface_box.addItem(_(SURFACES.get(key).title), key)
        self.surface_box.setCurrentIndex(self.surface_box.findData(self.surface.name))
        self.surface_box.currentIndexChanged.connect(self._surface_chosen)
        pick.addWidget(self.surface_box)
        self.param_fields: dict[str, NumberEdit] = {}
        self.params_row = QHBoxLayout()
        pick.addLayout(self.params_row)
        pick.addStretch(1)
        side.addLayout(pick)
        self.formula = wrapped("", "pathsFormula")
        side.addWidget(self.formula)

        start_row = QHBoxLayout()
        start_row.addWidget(Label(_("start")))
        self.start_x = name_widget(NumberEdit(self.start[0], -1e3, 1e3), "pathsStartX", _("Start x"))
        self.start_y = name_widget(NumberEdit(self.start[1], -1e3, 1e3), "pathsStartY", _("Start y"))
        for edit in (self.start_x, self.start_y):
            edit.setFixedWidth(84)
            edit.committed.connect(self._start_typed)
            edit.refused.connect(self.say)
            start_row.addWidget(edit)
        start_row.addStretch(1)
        side.addLayout(start_row)

        buttons = QHBoxLayout()
        self.play = name_widget(QPushButton(_("Play")), "pathsPlay", _("Play or pause the walk"))
        self.play.setCheckable(True)
        self.play.toggled.connect(self._play_toggled)
        self.step = name_widget(QPushButton(_("Step")), "pathsStep", _("One update for every lane"))
        self.step.clicked.connect(self.step_once)
        self.reset = name_widget(QPushButton(_("Reset")), "pathsReset", _("Every lane back to the start point"))
        self.reset.clicked.connect(self.restart)
        for b in (self.play, self.step, self.reset):
            buttons.addWidget(b)
        side.addLayout(buttons)
        speed_row = QHBoxLayout()
        self.speed = name_widget(QComboBox(), "pathsSpeed", _("Steps per second"))
        for s in SPEEDS:
            self.speed.addItem(_("{value} steps/s").format(value=s), s)
        self.speed.setCurrentIndex(SPEEDS.index(30))
        self.slow = name_widget(
            QCheckBox(_("slow start")), "pathsSlow", _("Slow start"),
            _("The first {slow_steps} steps at {slow_rate} a second, to follow each update").format(
                slow_steps=SLOW_STEPS, slow_rate=number(SLOW_RATE, 6)),
        )  # fmt: skip
        speed_row.addWidget(self.speed)
        speed_row.addWidget(self.slow)
        speed_row.addStretch(1)
        side.addLayout(speed_row)

        lanes_box = QWidget()
        grid = QGridLayout(lanes_box)
        grid.setContentsMargins(0, 0, 0, 0)
        for col, text in enumerate(("", _("optimizer"), _("rate α / σ"), "", _("step · f · step length · |∇f|"))):
            grid.addWidget(Label(text), 0, col)
        self.lanes = [LaneControls(self, grid, i, name) for i, name in enumerate(LANES)]
        for lane in self.lanes:
            lane.set_rate_for(self.surface)
        side.addWidget(lanes_box)
        self.message = wrapped("", "pathsMessage")
        side.addWidget(self.message)
        legend = wrapped(
            _("Lines: each optimizer's path; dot: where it is now; short line: the way −∇f points there; "
            "star: a minimum. Contours are log-scaled where the surface is much deeper than it is wide."), "legend")
        side.addWidget(legend)
        side.addLayout(self._numeric_row())
        self.numeric = wrapped("", "pathsNumeric")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.numeric.setFont(mono)
        side.addWidget(self.numeric)
        side.addWidget(wrapped(
            _("∂f/∂x ≈ (f(x + h, y) − f(x, y)) / h: two more values of f here, one more forward pass per weight "
            "for a network, so training uses backprop's exact gradient and this only checks it. Its error is "
            "about h·f″/2: try h = 0.1, then 1e-13, where rounding takes over."), "legend"))
        side.addStretch(1)
        lay.addLayout(side, 2)
        self.items = [LaneItems(self.plot, i) for i in range(len(self.lanes))]

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.finished.connect(lambda _result: self.timer.stop())
        self.resize(1260, 690)
        self._show_surface()

    def _numeric_row(self) -> QHBoxLayout:
        """Where the numerical gradient is taken (the start point or a lane's head) and its h."""
        row = QHBoxLayout()
        row.addWidget(Label(_("Forward difference at")))
        self.grad_at = name_widget(QComboBox(), "pathsGradAt", _("Numerical gradient at"))
        self.grad_at.addItem(_("the start point"), -1)
        for i in range(len(LANES)):
            self.grad_at.addItem(_("lane {number}'s point").format(number=i + 1), i)
        self.grad_at.currentIndexChanged.connect(lambda _i: self._show_numeric())
        row.addWidget(self.grad_at)
        row.addWidget(Label("h"))
        self.h = name_widget(NumberEdit(FD_STEP, 1e-15, 10.0), "pathsH", _("Step h"),
                             _("The forward difference's step h"))  # fmt: skip
        self.h.setFixedWidth(84)
        self.h.committed.connect(lambda _v: self._show_numeric())
        self.h.refused.connect(self.say)
        row.addWidget(self.h)
        row.addStretch(1)
        return row

    def numeric_point(self) -> tuple[float, float]:
        """The point the numerical gradient is taken at: the start, or the chosen lane's head."""
        lane = self.grad_at.currentData()
        walker = self.walkers[lane] if lane is not None and 0 <= lane < len(self.walkers) else None
        return (float(walker.position[0]), float(walker.position[1])) if walker is not None else self.start

    def _show_numeric(self) -> FiniteDifference | None:
        x, y = self.numeric_point()
        try:
            fd = forward_difference(self.surface, x, y, self.h.value(), self.params)
        except PlaygroundError as exc:
            self.numeric.setText(str(exc))
            return None
        (nx, ny), (ax, ay), (ex, ey) = fd.numeric, fd.analytic, fd.relative_error
        lane = self.grad_at.currentData()
        off = lane >= 0 and (lane >= len(self.walkers) or self.walkers[lane] is None)
        at = (_("at ({x}, {y}) (that lane is off: the start point): f(x, y) = {f}") if off else
              _("at ({x}, {y}): f(x, y) = {f}")).format(x=num(x, 6), y=num(y, 6), f=num(fd.f, 12))  # fmt: skip
        self.numeric.setText("\n".join((
            at,
            f"f(x + h, y) = {num(fd.f_x, 12):<16} → ∂f/∂x ≈ {num(nx, 8)}",
            f"f(x, y + h) = {num(fd.f_y, 12):<16} → ∂f/∂y ≈ {num(ny, 8)}",
            _("analytic ∇f = ({x}, {y})").format(x=num(ax, 8), y=num(ay, 8)),
            _("relative error |a − n| / max(|a|, |n|): {x}, {y}").format(x=num(ex, 2), y=num(ey, 2)),
        )))  # fmt: skip
        return fd

    # ----------------------------------------------------------------- surface and start
    def _surface_chosen(self, _index: int) -> None:
        self.surface = get_surface(self.surface_box.currentData())
        self.params = dict(self.surface.params)
        self.start = self.surface.start
        for lane in self.lanes:
            lane.set_rate_for(self.surface)
        self._show_surface()

    def _show_surface(self) -> None:
        s = self.surface
        while self.params_row.count():
            item = self.params_row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.param_fields = {}
        for key, value in self.params.items():
            lo, hi = s.bounds[key]
            edit = name_widget(NumberEdit(value, lo, hi), f"pathsParam_{key}", _("{surface}: parameter {key}").format(
                                   surface=_(s.title), key=key))
            edit.setFixedWidth(70)
            edit.committed.connect(lambda v, k=key: self._param_set(k, v))
            edit.refused.connect(self.say)
            self.params_row.addWidget(Label(key))
            self.params_row.addWidget(edit)
            self.param_fields[key] = edit
        self.formula.setText(f"{s.formula}\n{_(s.note)}" + self._condition())
        self._draw_contours()
        self.restart()

    def _condition(self) -> str:
        if set(self.params) == {"a", "b"}:
            a, b = self.params["a"], self.params["b"]
            ratio = number(max(a, b) / min(a, b), 6)
            return "\n" + _("Condition number max(a, b) / min(a, b) = {value}").format(value=ratio)
        return ""

    def _param_set(self, key: str, value: float) -> None:
        self.params[key] = value
        self.formula.setText(f"{self.surface.formula}\n{_(self.surface.note)}" + self._condition())
        self._draw_contours()
        self.restart()

    def _draw_contours(self) -> None:
        s = self.surface
        x0, x1, y0, y1 = s.extent
        gx, gy = np.meshgrid(np.linspace(x0, x1, CONTOUR_POINTS), np.linspace(y0, y1, CONTOUR_POINTS))
        values = s.f(gx, gy, self.params)
        lowest = s.lowest(self.params) if s.log_levels else None
        self.contour_pixels = contour_rgb(values, s.log_levels, lowest=lowest)
        # ImageItem's first axis is x: the picture transposed, rows of constant y become columns.
        self.image.setImage(np.ascontiguousarray(self.contour_pixels.transpose(1, 0, 2)), levels=(0, 255))
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self.minima.setData([m[0] for m in s.minima], [m[1] for m in s.minima])
        self.plot.setXRange(x0, x1, padding=0)
        self.plot.setYRange(y0, y1, padding=0)

    @guarded
    def _target_moved(self, *_args: Any) -> None:
        pos = self.target.pos()
        self.set_start(pos.x(), pos.y())

    def _start_typed(self, _value: float) -> None:
        self.set_start(self.start_x.value(), self.start_y.value())

    def set_start(self, x: float, y: float) -> None:
        """Move the start point (dragged or typed) and restart every lane there."""
        value = float(self.surface.f(x, y, self.params))
        if not math.isfinite(value):
            where = f"({number(x, 6)}, {number(y, 6)})"
            self.say(_("{title} is not finite at {where}; kept the old start point").format(
                         title=_(self.surface.title), where=where))
            x, y = self.start
        self.start = (float(x), float(y))
        self.restart()

    # ----------------------------------------------------------------- walking
    def restart(self) -> None:
        """Every enabled lane back at the start point with a fresh optimizer."""
        self.say("")
        self.target.blockSignals(True)
        self.target.setPos(*self.start)
        self.target.blockSignals(False)
        self.start_x.set_value(round(self.start[0], 4))
        self.start_y.set_value(round(self.start[1], 4))
        self.walkers = []
        for lane in self.lanes:
            spec = lane.spec()
            walker = None
            if spec is not None:
                try:
                    walker = make_walker(self.surface, spec, self.start, self.params)
                except PlaygroundError as exc:
                    self.say(_("Lane {row}: {exc}").format(row=lane.row + 1, exc=exc))
            self.walkers.append(walker)
        self._credit = 0.0
        self._draw()

    def step_once(self) -> None:
        self.play.setChecked(False)
        self._advance(1)

    def _play_toggled(self, on: bool) -> None:
        self.play.setText(_("Pause") if on else _("Play"))
        if on:
            self.timer.start()
        else:
            self.timer.stop()

    def steps_taken(self) -> int:
        """The most steps any lane has taken (what slow motion and the step limit look at)."""
        return max((w.steps for w in self.walkers if w is not None), default=0)

    @guarded
    def _tick(self) -> None:
        slow = self.slow.isChecked() and self.steps_taken() < SLOW_STEPS
        rate = SLOW_RATE if slow else float(self.speed.currentData())
        self._credit += rate * TICK_MS / 1000
        n = int(self._credit)
        if n:
            self._credit -= n
            self._advance(n)

    def _advance(self, n: int) -> None:
        x0, x1, y0, y1 = self.surface.extent
        w, h = x1 - x0, y1 - y0
        moving = False
        for walker in self.walkers:
            if walker is None or walker.stopped or walker.steps >= MAX_STEPS:
                continue
            x, y = walker.position
            if not (x0 - w <= x <= x1 + w and y0 - h <= y <= y1 + h):
                continue  # far outside the plot: it has left, its path stays
            walker.step(min(n, MAX_STEPS - walker.steps))
            moving = True
        if not moving and self.play.isChecked():
            self.play.setChecked(False)
        self._draw()

    def _draw(self) -> None:
        x0, x1, _y0, _y1 = self.surface.extent
        size = x1 - x0
        for items, lane, walker in zip(self.items, self.lanes, self.walkers):
            if walker is None:
                items.clear()
                lane.status.setText(_("off"))
                continue
            pts = np.asarray(walker.points)
            items.path.setData(pts[:, 0], pts[:, 1])
            x, y = walker.position
            items.head.setData([x], [y])
            gx, gy = walker.gradient()
            norm = math.hypot(gx, gy)
            if norm > 0 and math.isfinite(norm):
                ux, uy = -gx / norm, -gy / norm
                tx, ty = x + ARROW * size * ux, y + ARROW * size * uy
                head = 0.3 * ARROW * size
                left = (tx - head * (ux - 0.5 * uy), ty - head * (uy + 0.5 * ux))
                right = (tx - head * (ux + 0.5 * uy), ty - head * (uy - 0.5 * ux))
                items.arrow.setData([x, tx, tx, left[0], tx, right[0]], [y, ty, ty, left[1], ty, right[1]])
            else:
                items.arrow.setData([], [])
            lane.status.setText(self._status(walker, norm))
            lane.status.setToolTip(plain_tip(f"({number(x, 6)}, {number(y, 6)}); f = {number(walker.values[-1], 6)}"))
        self.caption.setText(
            _("{title} from ({start}, {start2}) · step {steps_taken}").format(
                title=_(self.surface.title), start=number(self.start[0], 3), start2=number(self.start[1], 3),
                steps_taken=self.steps_taken())
        )
        self._show_numeric()

    def _status(self, walker: Walker, grad_norm: float) -> str:
        if walker.diverged_at is not None:
            return _("diverged at step {step}: lower α").format(step=walker.diverged_at)
        x0, x1, y0, y1 = self.surface.extent
        x, y = walker.position
        w, h = x1 - x0, y1 - y0
        left = "" if (x0 - w <= x <= x1 + w and y0 - h <= y <= y1 + h) else " · " + _("left the plot")
        kept = " · " + _("kept {accepted} of {steps}").format(accepted=walker.accepted, steps=walker.steps) if (
            isinstance(walker, RandomSearch)) else ""
        numbers = f"{number(walker.values[-1])} · {number(walker.speed(), 2)} · {number(grad_norm, 2)}"
        return f"{walker.steps} · {numbers}{kept}{left}"

    def say(self, text: str) -> None:
        self.message.setText(text)



def open_paths(parent: QWidget) -> PathsWindow:
    win = PathsWindow(parent)
    win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    win.show()
    return win
