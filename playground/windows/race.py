"""The optimizer race window: lanes of the same network trained side by side on the same batches."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, Qt, QTimer, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.core.i18n import _
from engine.core.numbers import number
from engine.core.optimizers import OPTIMIZERS, make_optimizer
from engine.project.fields import humanize
from engine.project.lessons import METRIC_WORDS
from engine.teaching.race import DEFAULT_RACE, MAX_LANES

from ..colors import LAYER_COLORS, class_color, diverging_rgb, fade
from ..panels.output_view import PLANE_STRENGTH, plane_rgb
from ..panels.plotting import line_plot, make_plot, nice_ceiling, set_range
from ..panels.speed import SpeedControl, SpeedPreference
from ..plotlib import pg
from ..run.commands import BuildRace, Pause, Play, SetSpeed, Step
from ..run.pacing import Speed
from ..run.race_worker import RaceSnapshot
from ..run.worker_process import RAN_OUT, ProcessHandle, make_handle
from ..widgets import Label, NumberEdit, message_box, name_widget, plain_tip, to_qimage

THUMB = 128
CAPTION_WIDTH = 150
POINT_RADIUS = 2.5  # a training point's dot on a lane's boundary, in pixels
UI_SHARE = 0.3  # the most of the window's time a race in its own process may take to be drawn


def race_metrics(project: dict[str, Any]) -> list[str]:
    """The metrics a race can plot for this project: no validation curve without a validation
    split, no test curve without a test split, accuracy for classification only."""
    d = project["data"]
    splits = [""] + (["val_"] if d["validation_fraction"] > 0 else []) + (["test_"] if d["test_fraction"] > 0 else [])
    kinds = ["loss"] + (["accuracy"] if d["problem"] == "classification" else [])
    return [split + kind for kind in kinds for split in splits]


def points_layer(data: Any, extent: tuple[float, float, float, float], size: int = THUMB) -> QImage:
    """The training (and validation) points of 2-D point data as dots on a transparent size × size
    image, to lay over each lane's boundary: coloured by class (by value for regression) with a
    white rim, as the main window's output view draws them."""
    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    ds = data.dataset
    rows = np.concatenate([data.train, data.validation])
    if ds.problem == "regression":
        colors = diverging_rgb(np.asarray(ds.y, dtype=float)[rows], -1, 1)
    else:
        palette = np.array([class_color(c, ds.classes) for c in range(max(ds.classes, 2))])
        colors = palette[np.asarray(ds.y, dtype=int)[rows]]
    x0, x1, y0, y1 = extent
    px = (ds.x[rows, 0] - x0) / (x1 - x0) * size
    py = (1.0 - (ds.x[rows, 1] - y0) / (y1 - y0)) * size  # the plane's rows go up, an image's down
    painter = QPainter(img)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(255, 255, 255, 200), 1.0))
    for x, y, c in zip(px, py, colors, strict=True):
        painter.setBrush(QColor(int(c[0]), int(c[1]), int(c[2])))
        painter.drawEllipse(QPointF(float(x), float(y)), POINT_RADIUS, POINT_RADIUS)
    painter.end()
    return img


class LaneRow:
    """One lane's controls: on/off, optimizer, learning rate."""

    def __init__(self, grid: QGridLayout, row: int, optimizer: dict[str, Any]) -> None:
        self.enabled = name_widget(QCheckBox(_("lane {row}").format(row=row + 1)), f"laneOn{row}",
                                   _("Lane {row} on").format(row=row + 1), _("Race this lane"))
        self.enabled.setChecked(True)
        self.optimizer = name_widget(QComboBox(), f"laneOptimizer{row}", _("Lane {row} optimizer").format(row=row + 1))
        for name in OPTIMIZERS.names():
            self.optimizer.addItem(OPTIMIZERS.words(name), name)  # in words, as the control bar shows them
        self.optimizer.setCurrentIndex(self.optimizer.findData(optimizer["name"]))
        self.spec = dict(optimizer)  # the lane's whole optimizer (the main window's carries its settings)
        lr = make_optimizer(optimizer).hp["learning_rate"]
        self.lr = name_widget(NumberEdit(lr, 1e-7, 100.0), f"laneLr{row}", _("Lane {row} learning rate").format(
                                                                               row=row + 1))
        # The curve's colour as a line, like the curve itself: a square looked like the checkbox.
        self.line = Label("━━━")
        self.line.setObjectName(f"laneColour{row}")
        self.line.setStyleSheet(f"color: rgb{LAYER_COLORS[row % len(LAYER_COLORS)]}; font-weight: bold;")
        self.line.setToolTip(_("This lane's colour in the curves and under its boundary"))
        for col, w in enumerate((self.enabled, self.optimizer, self.lr, self.line)):
            grid.addWidget(w, row + 1, col)
        self.optimizer.currentIndexChanged.connect(self._default_lr)

    def _default_lr(self) -> None:
        self.spec = {"name": self.optimizer.currentData()}
        self.lr.set_value(make_optimizer(self.spec).hp["learning_rate"])

    def config(self) -> dict[str, Any] | None:
        if not self.enabled.isChecked():
            return None
        return {**self.spec, "name": self.optimizer.currentData(), "learning_rate": self.lr.value()}


class RaceWindow(QDialog):
    """Tools → Optimizer Race: 2-6 lanes, overlaid curves and a small boundary for each."""

    def __init__(
        self,
        project: dict[str, Any],
        base_dir: str | None = None,
        parent: QWidget | None = None,
        speed: SpeedPreference | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("raceWindow")
        self.setWindowTitle(_("Optimizer race"))
        self.project = copy.deepcopy(project)
        self.base_dir = base_dir
        self.snapshot: RaceSnapshot | None = None
        self.handle = make_handle(self, "race")  # a process of its own (a thread under NNP_TRAINER=thread)
        self.handle.worker.snapshot_ready.connect(self._on_snapshot)
        self.handle.worker.failed.connect(self._on_failed)
        if isinstance(self.handle, ProcessHandle):
            self.handle.restarted.connect(self._on_restarted)

        lay = QVBoxLayout(self)
        note = Label(
            _("The same network from the same initial weights, fed the same mini-batches: only the "
            "optimizer (or its learning rate) differs. Lane 1 is the main window's optimizer with its "
            "settings; the others start at Keras's default rates ('Same rate' gives every lane lane 1's).")
        )
        note.setWordWrap(True)
        note.setObjectName("legend")
        lay.addWidget(note)
        top = QHBoxLayout()
        lanes_box = QWidget()
        grid = QGridLayout(lanes_box)
        grid.setContentsMargins(0, 0, 0, 0)
        for col, text in enumerate(("", _("optimizer"), _("learning rate"), _("curve"))):
            grid.addWidget(Label(text), 0, col)
        main = dict(self.project["training"]["optimizer"])
        lanes = [main] + [o for o in DEFAULT_RACE if o["name"] != main["name"]]
        self.rows = [LaneRow(grid, i, opt) for i, opt in enumerate(lanes[:MAX_LANES])]
        top.addWidget(lanes_box)
        buttons = QVBoxLayout()
        self.play = name_widget(QPushButton(_("Start")), "racePlay", _("Start or pause the race"))
        self.play.setCheckable(True)
        self.step = name_widget(QPushButton(_("Step epoch")), "raceStep", _("One epoch for every lane"))
        self.restart = name_widget(
            QPushButton(_("Restart")), "raceRestart", _("Restart with these lanes"),
            _("Build the lanes again from the start"),
        )
        self.same_rate = name_widget(
            QPushButton(_("Same rate")), "raceSameRate", _("Same learning rate"),
            _("Give every lane lane 1's learning rate"),
        )
        self.same_rate.clicked.connect(self._same_rate)
        for b in (self.play, self.step, self.restart, self.same_rate):
            buttons.addWidget(b)
        # The main window's speed (one preference): changed here, it changes there too.
        self.speed = SpeedControl("raceSpeed")
        buttons.addWidget(self.speed)
        buttons.addStretch(1)
        top.addLayout(buttons)
        self.metric_box = name_widget(QComboBox(), "raceMetric", _("Race metric"))
        for metric in race_metrics(self.project):
            self.metric_box.addItem(_(METRIC_WORDS[metric]), metric)  # in words; the identifier as data
        self.log_y = name_widget(QCheckBox(_("log y")), "raceLogY", _("Logarithmic y axis"))
        side = QVBoxLayout()
        side.addWidget(self.metric_box)
        side.addWidget(self.log_y)
        side.addStretch(1)
        top.addLayout(side)
        top.addStretch(1)
        lay.addLayout(top)
        lay.addSpacing(10)
        self.plot = make_plot("racePlot")
        self.plot.setLabel("bottom", _("epoch"))
        self.plot.setMinimumHeight(220)
        # No legend over the curves (it hid them): each lane's row and caption carry its colour.
        lay.addWidget(self.plot, 1)
        self.boundaries = QHBoxLayout()
        lay.addLayout(self.boundaries)
        self.no_plane = Label(_("Boundaries are drawn for two-dimensional point data; the curves compare the lanes."))
        self.no_plane.setObjectName("legend")
        self.no_plane.hide()
        lay.addWidget(self.no_plane)
        self.curves: list[pg.PlotDataItem] = []
        self.thumbs: list[tuple[QLabel, QLabel]] = []
        self._points: tuple[tuple[int, int], QImage] | None = None  # (generation, data) and its dots
        self.resize(980, 680)  # within a 1280×720 screen with its title bar

        self.play.toggled.connect(self._play_toggled)
        self.step.clicked.connect(lambda: self.handle.send(Step("epoch")))
        self.restart.clicked.connect(self.rebuild)
        self.metric_box.currentIndexChanged.connect(lambda _i: self._draw_curves())
        self.log_y.toggled.connect(self._log_toggled)
        self.finished.connect(lambda _result: self.shutdown())
        if speed is not None:
            speed.attach(self.speed, self._set_speed)
        else:
            self.speed.shown.connect(self._set_speed)
        self.rebuild()

    def _set_speed(self, speed: Speed) -> None:
        self.handle.send(SetSpeed(speed))

    @Slot(str)
    def _on_restarted(self, how: str) -> None:
        """The race's process ended and a new one took its place: the race starts again."""
        if self.speed.speed().paced:
            self._set_speed(self.speed.speed())  # a new process starts at full speed
        self.rebuild()
        if how != "restarted":
            self._on_failed(_("The race's process ended unexpectedly ({reason}); the race starts again.").format(
                reason=_(RAN_OUT) if how == RAN_OUT else how))

    def _same_rate(self) -> None:
        for row in self.rows[1:]:
            row.lr.set_value(self.rows[0].lr.value())

    def lane_configs(self) -> list[dict[str, Any]]:
        return [c for c in (r.config() for r in self.rows) if c is not None]

    def rebuild(self) -> None:
        configs = self.lane_configs()
        if len(configs) < 2:
            self._on_failed(_("Turn on at least two lanes to race."))
            return
        self.play.setChecked(False)
        self.handle.send(BuildRace(copy.deepcopy(self.project), configs, self.base_dir))

    def _play_toggled(self, on: bool) -> None:
        self.play.setText(_("Pause") if on else _("Start"))
        self.handle.send(Play() if on else Pause())

    def _log_toggled(self, on: bool) -> None:
        self.plot.setLogMode(y=on)
        self._draw_curves()

    @Slot(object)
    def _on_snapshot(self, snap: RaceSnapshot) -> None:
        start = time.perf_counter()
        try:
            fresh = self.snapshot is None or snap.generation != self.snapshot.generation
            self.snapshot = snap
            if fresh:
                self._make_lanes(snap)
            self._draw_curves()
            self._draw_boundaries()
            if self.play.isChecked() and not snap.playing:
                self.play.setChecked(False)  # every lane stopped
        finally:
            # The next frame may come once this one is painted (a 1 ms timer runs after the paint
            # events). A race in its own process trains on meanwhile, so its frames are spaced as
            # well, for drawing them to take at most UI_SHARE of the window's time.
            delay = 0.0
            if isinstance(self.handle, ProcessHandle):
                delay = 2 * (time.perf_counter() - start) * (1 / UI_SHARE - 1)  # its paint costs about as much
            QTimer.singleShot(max(1, round(delay * 1000)), self.handle.worker.snapshot_consumed)

    def _make_lanes(self, snap: RaceSnapshot) -> None:
        for curve in self.curves:
            self.plot.removeItem(curve)
        self.curves = []
        for i, lane in enumerate(snap.lanes):
            pen = pg.mkPen(LAYER_COLORS[i % len(LAYER_COLORS)], width=2)
            self.curves.append(line_plot(self.plot, pen, name=lane.label))
        while self.boundaries.count():
            item = self.boundaries.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.thumbs = []
        has_plane = any(lane.output_grid is not None for lane in snap.lanes)
        self.no_plane.setVisible(not has_plane)
        for i, lane in enumerate(snap.lanes):
            box = QWidget()
            v = QVBoxLayout(box)
            v.setContentsMargins(0, 0, 0, 0)
            pic = Label()
            pic.setFixedSize(THUMB, THUMB)
            pic.setVisible(has_plane)
            pic.setObjectName(f"raceBoundary{i}")
            text = Label(lane.label)
            text.setObjectName("legend")
            text.setStyleSheet(f"color: rgb{LAYER_COLORS[i % len(LAYER_COLORS)]};")
            text.setWordWrap(True)
            text.setFixedWidth(CAPTION_WIDTH)
            v.addWidget(pic)
            v.addWidget(text)
            self.boundaries.addWidget(box)
            self.thumbs.append((pic, text))
        self.boundaries.addStretch(1)

    def series(self, lane: int, metric: str) -> np.ndarray:
        """The drawn values of one lane's metric per epoch (NaN where absent)."""
        return np.array(self.snapshot.lanes[lane].history.get(metric, []), dtype=float)

    def _draw_curves(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        metric = self.metric_box.currentData()
        hi, n = 0.0, 0
        for i, curve in enumerate(self.curves):
            y = self.series(i, metric)
            ok = np.isfinite(y) & ((y > 0) if self.log_y.isChecked() else True)
            x = np.arange(1, y.size + 1)
            curve.setData(x[ok], y[ok])
            if ok.any():
                hi, n = max(hi, float(y[ok].max())), max(n, y.size)
        if n:
            set_range(self.plot, "x", 1, nice_ceiling(max(n, 10)), 0.02)
            if not self.log_y.isChecked():
                set_range(self.plot, "y", 0, 1.0 if "accuracy" in metric else nice_ceiling(hi * 1.05))
        label = _(METRIC_WORDS[metric])
        if self.plot.property("metric") != label:  # a new label lays the axis out again: only when it changes
            self.plot.setProperty("metric", label)
            self.plot.setLabel("left", label)

    def _points_layer(self, snap: RaceSnapshot) -> QImage | None:
        """The data's dots for this race (drawn once per run, laid over every lane's boundary)."""
        if snap.extent is None:
            return None
        key = (snap.generation, id(snap.data))
        if self._points is None or self._points[0] != key:
            self._points = (key, points_layer(snap.data, snap.extent))
        return self._points[1]

    def _draw_boundaries(self) -> None:
        snap = self.snapshot
        dots = self._points_layer(snap)
        for (pic, text), lane in zip(self.thumbs, snap.lanes):
            if lane.output_grid is not None:
                rgb, _legend = plane_rgb(
                    lane.output_grid, snap.data.dataset.problem, snap.threshold, snap.output_activation
                )
                # Paler than the points, as in the main window, so each point shows on its region.
                img = to_qimage(fade(rgb[::-1], PLANE_STRENGTH)).scaled(THUMB, THUMB)
                img = img.convertToFormat(QImage.Format.Format_RGB32)
                if dots is not None:
                    painter = QPainter(img)
                    painter.drawImage(0, 0, dots)
                    painter.end()
                pic.setPixmap(QPixmap.fromImage(img))
            last = lane.history.get("loss")
            loss = number(last[-1]) if last else "—"
            status = f" · {lane.message}" if lane.message else ""
            # One line each, so a longer loss never pushes the epoch onto a line of its own.
            text.setText(_("{label}\nloss {loss}\nepoch {epoch:,}{status}").format(
                             label=lane.label, loss=loss, epoch=lane.epoch, status=status))
            text.setToolTip(plain_tip(lane.message))

    def _on_failed(self, message: str) -> None:
        """Say on the race window why the race stopped or cannot start (the box does not block it)."""
        self.play.setChecked(False)
        box = message_box(self, QMessageBox.Icon.Warning, _("Optimizer race"), humanize(message))
        box.setObjectName("raceError")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def shutdown(self) -> None:
        """Stop the race's process or thread (closing, Esc and the main window's exit all end here)."""
        if isinstance(self.handle, ProcessHandle):
            self.handle.stop(timeout_ms=None, grace=0.0)  # a race has nothing to finish: ended at once
        else:
            self.handle.stop(timeout_ms=None)


def open_race(
    project: dict[str, Any], base_dir: str | Path | None, parent: QWidget, speed: SpeedPreference | None = None
) -> RaceWindow:
    win = RaceWindow(project, None if base_dir is None else str(base_dir), parent, speed)
    win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    win.show()
    return win
