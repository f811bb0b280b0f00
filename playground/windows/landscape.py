"""Tools → Loss landscape: the training loss around the current weights with the run's path on
it, the slice from the start weights to now, and a learning-rate range test.

Every job runs on the window's own job thread (`jobs.JobWorker`) from a copy of the
newest snapshot: the window shows progress, can cancel, and never blocks the UI.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.core.errors import PlaygroundError
from engine.core.i18n import N_, _, ngettext
from engine.core.numbers import number
from engine.teaching.landscape import RangeTest

from ..colors import SPLIT_COLORS, contour_rgb, upsample
from ..panels.plotting import line_plot, make_plot
from ..plotlib import pg
from ..run.analysis import Analyse, PlaneResult, SliceResult, landscape_job
from ..run.jobs import JobWorker
from ..run.session import Session
from ..run.worker_thread import WorkerHandle
from ..widgets import NumberEdit, captioned, fit_to_screen, name_widget, wrapped

RESOLUTIONS = (11, 21, 31, 41)
BIG_SPLIT = 10_000  # training rows past which the plane is measured on 2,000 of them by default
SMOOTH_PIXELS = 400  # the plane's picture is about this many pixels a side
ROW_CHOICES = ((2_000, N_("2,000 rows")), (10_000, N_("10,000 rows")), (None, N_("every row")))
TAB_WORDS = {"plane": N_("the landscape"), "slice": N_("the slice from the start weights"),
             "range": N_("the range test")}
DIRECTIONS = (
    ("random", N_("random, filter-normalised")),
    ("path", N_("the run's own (PCA of its path)")),
)


class LandscapeWindow(QDialog):
    """Three tabs over one job thread: plane, start → now, learning-rate range test."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("landscapeWindow")
        self.setWindowTitle(_("Loss landscape"))
        self.session = session
        self.handle = WorkerHandle(self, JobWorker())
        worker = self.handle.worker
        worker.progress.connect(self._on_progress)
        worker.result.connect(self._on_result)
        worker.job_failed.connect(self._on_failed)
        self.job: int | None = None  # the sequence number of the job running
        self.job_kind = ""
        self.results: dict[str, Any] = {}

        lay = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("landscapeTabs")
        lay.addWidget(self.tabs, 1)
        self.tabs.addTab(self._plane_tab(), _("Landscape"))
        self.tabs.addTab(self._slice_tab(), _("Start → now"))
        self.tabs.addTab(self._range_tab(), _("Learning-rate range test"))
        bottom = QHBoxLayout()
        self.bar = QProgressBar()
        self.bar.setObjectName("landscapeProgress")
        self.bar.setTextVisible(True)
        self.bar.setValue(0)
        self.bar.hide()  # shown only while a job runs: a full bar after it would say nothing
        self.cancel = name_widget(QPushButton(_("Cancel")), "landscapeCancel", _("Cancel the job"))
        self.cancel.setEnabled(False)
        self.cancel.setToolTip(_("Cancel the job that is computing (nothing is computing now)"))
        self.cancel.clicked.connect(self.cancel_job)
        self.status = wrapped("", "landscapeStatus")
        bottom.addWidget(self.status, 1)  # what is computing, what is done: beside the bar, or in its place
        bottom.addWidget(self.bar, 1)
        bottom.addWidget(self.cancel)
        lay.addLayout(bottom)
        self.finished.connect(lambda _result: self.shutdown())
        fit_to_screen(self, 900, 680)

    # ----------------------------------------------------------------- tabs
    def _plane_tab(self) -> QWidget:
        tab = QWidget()
        v = QVBoxLayout(tab)
        v.addWidget(wrapped(
            _("The training loss on a plane through the current weights w: L(w + α·d1 + β·d2). Random "
            "directions are scaled neuron by neuron to the weights' own size (Li et al., 2018), so α = 1 "
            "is a step as big as the weights. A random plane holds little of the run's path; the run's own "
            "directions are the two along which its weights moved most."), "legend",
        ))  # fmt: skip
        row = QHBoxLayout()
        self.directions = name_widget(QComboBox(), "landscapeDirections", _("Directions"))
        for key, text in DIRECTIONS:
            self.directions.addItem(_(text), key)
        self.resolution = name_widget(QComboBox(), "landscapeResolution", _("Points per side"))
        for r in RESOLUTIONS:
            self.resolution.addItem(f"{r} × {r}", r)
        self.resolution.setCurrentIndex(1)
        self.span = name_widget(NumberEdit(1.0, 0.01, 100.0), "landscapeSpan", _("Span"),
                                _("α and β run from −span to span"))
        self.span.setMaximumWidth(60)
        self.seed = name_widget(QSpinBox(), "landscapeSeed", _("Direction seed"))
        self.seed.setRange(0, 9999)
        self.rows = name_widget(QComboBox(), "landscapeRows", _("Training rows"), _("Rows the loss is measured on"))
        for n, text in ROW_CHOICES:
            self.rows.addItem(_(text), n)
        snap = self.session.snapshot
        big = snap is not None and snap.data.x_train.shape[0] > BIG_SPLIT
        # Every row of a small split; on MNIST-size data 441 passes over 60,000 rows take minutes.
        self.rows.setCurrentIndex(0 if big else len(ROW_CHOICES) - 1)
        self.plane_go = name_widget(QPushButton(_("Compute")), "landscapeCompute", _("Compute the landscape"))
        self.plane_go.clicked.connect(self.compute_plane)
        for text, w in ((_("directions"), self.directions), (_("resolution"), self.resolution), (_("span"), self.span),
                        (_("seed"), self.seed), (_("loss on"), self.rows)):  # fmt: skip
            row.addWidget(captioned(text, w))
        row.addWidget(self.plane_go, 0, Qt.AlignmentFlag.AlignBottom)
        row.addStretch(1)
        v.addLayout(row)
        self.directions.currentIndexChanged.connect(self._directions_chosen)
        self.plane_plot = make_plot("landscapePlot")
        self.plane_plot.setLabel("bottom", _("α (along d1)"))
        self.plane_plot.setLabel("left", _("β (along d2)"))
        self.plane_image = pg.ImageItem()
        self.plane_image.setZValue(-10)
        self.plane_plot.addItem(self.plane_image)
        self.path_line = self.plane_plot.plot([], [], pen=pg.mkPen((214, 39, 40), width=2), symbol="o",
                                              symbolSize=5, symbolBrush=(214, 39, 40), symbolPen=None)  # fmt: skip
        self.marks = pg.ScatterPlotItem()
        self.marks.setZValue(5)
        self.plane_plot.addItem(self.marks)
        v.addWidget(self.plane_plot, 1)
        self.plane_info = wrapped(_("Press Compute."), "landscapeInfo")
        v.addWidget(self.plane_info)
        return tab

    def _slice_tab(self) -> QWidget:
        tab = QWidget()
        v = QVBoxLayout(tab)
        v.addWidget(wrapped(
            _("The loss along the straight line from the run's start weights (t = 0) to the current ones "
            "(t = 1), and a quarter beyond each (Goodfellow et al., 2015). A smooth descent means the run "
            "could have gone straight; a bump means it went around something."), "legend",
        ))  # fmt: skip
        row = QHBoxLayout()
        self.slice_go = name_widget(QPushButton(_("Compute")), "sliceCompute", _("Compute the slice"))
        self.slice_go.clicked.connect(self.compute_slice)
        row.addWidget(self.slice_go)
        row.addStretch(1)
        v.addLayout(row)
        self.slice_plot = make_plot("slicePlot")
        self.slice_plot.setLabel("bottom", _("t: (1 − t)·start + t·now"))
        self.slice_plot.setLabel("left", _("loss"))
        self.slice_plot.addLegend(offset=(-10, 10))
        dashed = pg.mkPen((150, 150, 150), style=Qt.PenStyle.DashLine)
        for t in (0.0, 1.0):
            self.slice_plot.addItem(pg.InfiniteLine(t, angle=90, pen=dashed))
        self.slice_curves: dict[str, pg.PlotDataItem] = {}
        v.addWidget(self.slice_plot, 1)
        self.slice_info = wrapped(_("Press Compute."), "sliceInfo")
        v.addWidget(self.slice_info)
        return tab

    def _range_tab(self) -> QWidget:
        tab = QWidget()
        v = QVBoxLayout(tab)
        v.addWidget(wrapped(
            _("A short run whose learning rate rises by the same factor every step, with a fresh optimizer of "
            "the same kind; the run itself is not changed. The loss is measured after each step on the same "
            "training rows. A good rate is where it falls fastest; past the red line training makes things "
            "worse. The idea is Smith's (2017: he raises the rate linearly over a few epochs from the start of "
            "training and reads the accuracy); the ramp by a factor per step, the stop once the loss passes 4× "
            "its best and the suggestion (the steepest fall, or the lowest point's rate / 10) follow fastai's "
            "lr_find."), "legend",
        ))  # fmt: skip
        row = QHBoxLayout()
        self.lr_min = name_widget(NumberEdit(1e-5, 1e-8, 1.0), "rangeMin", _("Lowest rate"))
        self.lr_max = name_widget(NumberEdit(10.0, 1e-6, 100.0), "rangeMax", _("Highest rate"))
        self.range_steps = name_widget(QSpinBox(), "rangeSteps", _("Steps"))
        self.range_steps.setRange(10, 2000)
        self.range_steps.setValue(100)
        self.range_start = name_widget(
            QComboBox(), "rangeStart", _("Start from"),
            _("Where the test starts. From trained weights it is biased: the loss has little left to fall and "
            "rises sooner, at rates that train well from the start. For a rate to train with, start from the "
            "initial weights."),
        )  # fmt: skip
        self.range_start.addItem(_("initial weights"), "initial")
        self.range_start.addItem(_("current weights"), "current")
        self.range_go = name_widget(QPushButton(_("Run")), "rangeRun", _("Run the range test"))
        self.range_go.clicked.connect(self.compute_range)
        self.use_rate = name_widget(QPushButton(_("Use the suggested rate")), "rangeUse", _("Use the suggested rate"))
        self.use_rate.setEnabled(False)
        self.use_rate.clicked.connect(self.use_suggestion)
        for text, w in ((_("start from"), self.range_start), (_("from"), self.lr_min), (_("to"), self.lr_max),
                        (_("steps"), self.range_steps)):  # fmt: skip
            row.addWidget(captioned(text, w))
        row.addWidget(self.range_go, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.use_rate, 0, Qt.AlignmentFlag.AlignBottom)
        row.addStretch(1)
        v.addLayout(row)
        self.range_plot = make_plot("rangePlot")
        self.range_plot.setLogMode(x=True)
        self.range_plot.setLabel("bottom", _("learning rate α"))
        self.range_plot.setLabel("left", _("loss"))
        self.range_raw = self.range_plot.plot([], [], pen=pg.mkPen((190, 190, 190), width=1))
        self.range_curve = line_plot(self.range_plot, pg.mkPen((8, 119, 189), width=2))
        self.range_lines: list[pg.InfiniteLine] = []
        v.addWidget(self.range_plot, 1)
        self.range_info = wrapped(_("Press Run."), "rangeInfo")
        v.addWidget(self.range_info)
        return tab

    def _directions_chosen(self, _index: int) -> None:
        own = self.directions.currentData() == "path"
        self.span.setEnabled(not own)
        self.seed.setEnabled(not own)

    # ----------------------------------------------------------------- jobs
    def _path(self) -> tuple[list[list[np.ndarray]], list[int]]:
        """The weights kept along the current run (time travel's snapshots), oldest first."""
        live = self.session.snapshot
        kept = [s for s in self.session.timeline.snapshots if live is not None and s.generation == live.generation]
        kept = [s for s in kept if s.steps < live.steps]
        return [s.weights for s in kept], [s.steps for s in kept]

    def _send(self, kind: str, options: dict[str, Any]) -> int | None:
        snap = self.session.snapshot
        if snap is None:
            self._say(_("There is no run yet."))
            return None
        if self.job is not None:
            self.cancel_job()
        path, steps = self._path()
        self.job_kind = kind
        self.job = self.handle.send(landscape_job(Analyse(kind, snap.project, snap.data, snap.weights, path, steps,
                                                          options)))  # fmt: skip
        self.bar.setValue(0)
        self.bar.show()
        self.cancel.setEnabled(True)
        self.cancel.setToolTip(_("Cancel the job that is computing"))
        self._say(_("Computing on the weights of step {steps:,} (epoch {epoch})…").format(
                      steps=snap.steps, epoch=snap.epoch))
        return self.job

    def compute_plane(self) -> int | None:
        return self._send("plane", {
            "directions": self.directions.currentData(), "resolution": self.resolution.currentData(),
            "span": self.span.value(), "seed": self.seed.value(), "rows": self.rows.currentData(),
        })  # fmt: skip

    def compute_slice(self) -> int | None:
        return self._send("slice", {"points": 31})

    def compute_range(self) -> int | None:
        lo, hi = self.lr_min.value(), self.lr_max.value()
        if lo >= hi:
            self._say(_("The rates must rise: {lo} is not below {hi}.").format(lo=number(lo, 6), hi=number(hi, 6)))
            return None
        return self._send("range", {"lr_min": lo, "lr_max": hi, "steps": self.range_steps.value(),
                                    "start": self.range_start.currentData(), "step": self.session.snapshot.steps
                                    if self.session.snapshot is not None else None})  # fmt: skip

    def cancel_job(self) -> None:
        if self.job is not None:
            self.handle.worker.cancel(self.job)

    @Slot(int, int, int)
    def _on_progress(self, seq: int, done: int, total: int) -> None:
        if seq == self.job:
            self.bar.setMaximum(total)
            self.bar.setValue(done)

    @Slot(int, object)
    def _on_result(self, seq: int, result: object) -> None:
        if seq != self.job:
            return  # an older job's answer: a newer one is on its way
        self._done()
        self.results[self.job_kind] = result
        if isinstance(result, PlaneResult):
            self._show_plane(result)
        elif isinstance(result, SliceResult):
            self._show_slice(result)
        elif isinstance(result, RangeTest):
            self._show_range(result)
        self._say(_("Done: {tab_words} computed.").format(tab_words=_(TAB_WORDS[self.job_kind])))

    @Slot(int, str)
    def _on_failed(self, seq: int, message: str) -> None:
        if seq != self.job:
            return
        self._done()
        self._say(_("Cancelled.") if message == "cancelled" else message)

    def _done(self) -> None:
        """A job ended (finished, failed or cancelled): nothing left to cancel or to wait for."""
        self.job = None
        self.cancel.setEnabled(False)
        self.cancel.setToolTip(_("Cancel the job that is computing (nothing is computing now)"))
        self.bar.hide()

    def _say(self, text: str) -> None:
        self.status.setText(text)

    # ----------------------------------------------------------------- drawing
    def _show_plane(self, r: PlaneResult) -> None:
        a0, a1, b0, b1 = r.alpha[0], r.alpha[-1], r.beta[0], r.beta[-1]
        # Log loss interpolated between the computed points, so the contours are lines, not cells.
        with np.errstate(divide="ignore", invalid="ignore"):
            fine = upsample(np.log(np.maximum(r.loss, 1e-300)), max(1, SMOOTH_PIXELS // len(r.alpha)))
        self.plane_pixels = contour_rgb(fine, log=False)
        self.plane_image.setImage(np.ascontiguousarray(self.plane_pixels.transpose(1, 0, 2)), levels=(0, 255))
        self.plane_image.setRect(QRectF(a0, b0, a1 - a0, b1 - b0))
        da, db = 0.0, 0.0
        spots = [{"pos": (0.0, 0.0), "symbol": "star", "size": 16, "brush": pg.mkBrush(255, 255, 255),
                  "pen": pg.mkPen("k")}]  # fmt: skip
        if r.coords is not None and len(r.coords) > 1:
            self.path_line.setData(r.coords[:, 0], r.coords[:, 1])
            spots.append({"pos": tuple(r.coords[0]), "symbol": "s", "size": 10, "brush": pg.mkBrush(0, 0, 0),
                          "pen": pg.mkPen("w")})  # fmt: skip
        else:
            self.path_line.setData([], [])
        self.marks.setData(spots)
        self.plane_plot.setXRange(a0 - da / 2, a1 + da / 2, padding=0)
        self.plane_plot.setYRange(b0 - db / 2, b1 + db / 2, padding=0)
        low = np.unravel_index(np.nanargmin(r.loss), r.loss.shape)
        rows = (ngettext("{count} training row", "{count} training rows", r.rows).format(count=f"{r.rows:,}")
                if r.rows == r.of_rows else _("{count} of {total} training rows").format(
                    count=f"{r.rows:,}", total=f"{r.of_rows:,}"))  # fmt: skip
        held = (
            _("The plane holds {share} of the path's variance")
            if r.directions == "path"
            else _("A random plane holds {share} of the run's movement (its path is drawn projected)")
        ).format(share=f"{r.held:.0%}")
        self.plane_info.setText(
            _("Star: the current weights, loss {centre} (on {rows}). Black square: the run's first kept weights; "
              "red: its path. Lowest on the plane: {loss} at α {alpha}, β {beta}; highest {loss2}. Contours are of "
              "log loss. {held}.").format(
                centre=number(r.centre), rows=rows, loss=number(r.loss[low]),
                alpha=number(r.alpha[low[1]], decimals=2, sign=True),
                beta=number(r.beta[low[0]], decimals=2, sign=True), loss2=number(np.nanmax(r.loss)), held=held)
        )

    def _show_slice(self, r: SliceResult) -> None:
        for name, curve in list(self.slice_curves.items()):
            if name not in r.curves:
                self.slice_plot.removeItem(curve)
                del self.slice_curves[name]
        for name, values in r.curves.items():
            if name not in self.slice_curves:
                pen = pg.mkPen(SPLIT_COLORS[name], width=2)
                self.slice_curves[name] = line_plot(self.slice_plot, pen, name=name)
            ok = np.isfinite(values)
            self.slice_curves[name].setData(r.ts[ok], values[ok])
        start = _("the run's initial weights") if r.start_step == 0 else _(
            "the first kept weights (step {step})").format(step=f"{r.start_step:,}")
        train = r.curves["train"]
        t = r.ts
        i0, i1 = int(np.argmin(np.abs(t))), int(np.argmin(np.abs(t - 1)))
        bump = float(np.max(train[i0 : i1 + 1]) - max(train[i0], train[i1]))
        bumped = bump > 1e-3 * max(1e-12, abs(train[i0]))
        shape = _("a bump of {bump} on the way").format(bump=number(bump, 3)) if bumped else _("no bump on the way")
        self.slice_info.setText(
            _("t = 0: {start}, training loss {train}; t = 1: now, {train2}; {shape}.").format(
                start=start, train=number(train[i0]), train2=number(train[i1]), shape=shape)
        )

    def _show_range(self, r: RangeTest) -> None:
        lo, hi = int(np.floor(np.log10(r.rates[0]))), int(np.ceil(np.log10(r.rates[-1])))
        step = max(1, (hi - lo) // 8)  # decades only: pyqtgraph's minor log labels ran together
        self.range_plot.getAxis("bottom").setTicks([[(k, f"1e{k}") for k in range(lo, hi + 1, step)], []])
        self.range_raw.setData(r.rates, r.losses)
        self.range_curve.setData(r.rates, r.smoothed)
        # Up to three times the starting loss: the climb past divergence leaves the top instead of
        # flattening everything before it.
        top = 3 * float(max(r.smoothed[0], np.min(r.smoothed)))
        self.range_plot.setYRange(0, top if np.isfinite(top) and top > 0 else 1, padding=0.02)
        for line in self.range_lines:
            self.range_plot.removeItem(line)
        self.range_lines = []
        # The suggestion's label left of its line, the divergence's right of its own: never on top.
        marks = [(r.suggestion, (44, 160, 44), _("suggested"), (1, 0.5))]
        if r.diverged is not None:
            marks.append((r.diverged, (214, 39, 40), _("worse than the start"), (0, 0.5)))
        for rate, color, text, anchor in marks:
            opts = {"position": 0.92, "color": color, "anchors": [anchor, anchor]}
            line = pg.InfiniteLine(np.log10(rate), angle=90, pen=pg.mkPen(color, width=2),
                                   label=f"{text} {number(rate, 2)}", labelOpts=opts)  # fmt: skip
            self.range_plot.addItem(line)
            self.range_lines.append(line)
        self.suggested = float(f"{r.suggestion:.2g}")
        self.use_rate.setText(_("Use α = {suggested}").format(suggested=number(self.suggested, 6)))
        self.use_rate.setEnabled(True)
        diverged = _("past {rate} the loss is worse than where it started").format(rate=number(r.diverged, 2)) if (
            r.diverged) else _("the loss never got worse than it started: try a higher top rate")  # fmt: skip
        how = (
            _("where it falls fastest")
            if r.steepest is not None
            else _("a tenth of the lowest point's rate: the loss barely fell, the weights may already sit in a minimum")
        )
        if r.start_step == 0:
            start = _("From the run's initial weights")
        elif r.start_step is None:
            start = _("From the weights sent")
        else:
            start = _("From the weights of step {step}").format(step=f"{r.start_step:,}")
        biased = "" if not r.start_step else " " + _(
            "Trained weights bias the test: the loss has little left to fall and rises sooner, so the red line "
            "comes early, at rates that train well from the start, and the suggestion reads that curve. Start "
            "from the initial weights for a rate to train with.")  # fmt: skip
        self.range_info.setText(
            _("{start}, {count} steps from {rates} to {rates2}. Suggested α = {suggested} ({how}); lowest loss at "
              "{lowest}; {diverged}.{biased}").format(
                start=start, count=len(r.rates), rates=number(r.rates[0], 2), rates2=number(r.rates[-1], 2),
                suggested=number(self.suggested, 6), how=how, lowest=number(r.lowest, 2), diverged=diverged,
                biased=biased)
        )

    def use_suggestion(self) -> None:
        """Set the project's learning rate to the suggestion (one edit, as typing it would be)."""
        try:
            self.session.state.set("training.optimizer.learning_rate", self.suggested)
        except PlaygroundError as exc:
            self._say(str(exc))
            return
        self._say(_("Learning rate set to {suggested}.").format(suggested=number(self.suggested, 6)))

    def shutdown(self) -> None:
        """End the job thread (a job in progress stops at its next chunk)."""
        self.handle.stop(timeout_ms=None)


def open_landscape(session: Session, parent: QWidget) -> LandscapeWindow:
    win = LandscapeWindow(session, parent)
    win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    win.show()
    return win
