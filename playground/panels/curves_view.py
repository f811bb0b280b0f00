"""The curves view: loss, accuracy, Keras's fit loss or the learning rate per epoch for the
train, validation and test splits, earlier runs dashed beneath, and the latest numbers above."""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QSlider, QWidget

from engine.core.i18n import N_, _, term
from engine.core.numbers import number
from engine.core.regularizers import Regularizer

from ..colors import SPLIT_COLORS
from ..plotlib import pg
from ..run.snapshot import Snapshot
from ..widgets import FitCombo, Label, Steady, name_widget
from ..widgets.flow import FlowLayout
from .plotting import MIN_DATA_HEIGHT, ema, line_plot, make_plot, nice_ceiling, peak_decimate, set_range, titled

#: What the curves can show: (menu text, history key); fit_loss exists for the training split only.
METRIC_CHOICES = (
    (N_("data loss"), "loss"), (N_("accuracy (share right)"), "accuracy"), (N_("fit loss (Keras)"), "fit_loss"),
    (N_("learning rate α"), "learning_rate"),
)  # fmt: skip
AXIS_LABELS = {
    "loss": N_("data loss"), "accuracy": N_("accuracy"), "fit_loss": N_("batch loss + penalty"), "learning_rate": "α",
}  # fmt: skip
#: The splits' names as the curves, their key and their numbers show them.
SPLIT_NAMES = {"train": N_("train"), "validation": N_("validation"), "val": N_("val"), "test": N_("test")}


def latest_losses(history: dict[str, Any], val: str = "val") -> list[str]:
    """The last epoch's data loss (and accuracy) per split that has one, as ["train 0.1234 (95%)",
    "val …", "test ∞"] (engine/core/numbers.py: a loss past a million in scientific notation, one too
    large for a float as ∞); `val` names the validation split. NaN in the history: no such split."""
    parts = []
    for label, prefix in (("train", ""), (val, "val_"), ("test", "test_")):
        loss = history.get(prefix + "loss")
        if loss is None or not len(loss) or math.isnan(loss[-1]):
            continue
        acc = history.get(prefix + "accuracy")
        text = f"{_(SPLIT_NAMES.get(label, label))} {number(loss[-1])}"
        if acc is not None and len(acc) and math.isfinite(acc[-1]):
            text += f" ({acc[-1]:.0%})"
        parts.append(text)
    return parts


class CurvesView(QWidget):
    """Loss and accuracy per epoch for the train, validation and test splits."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay, head = titled(self, "curvesView", _("Curves"))
        self.metric_box = name_widget(
            FitCombo(),  # as wide as the metric shown: the header fits a narrow column
            "curveMetric",
            _("Curve metric"),
            _("loss: the data loss (CS231n's name) = (1/N) Σ L(ŷ, y) over each whole split with the epoch's final "
              "weights, without the L1/L2 penalty. Ng's cost J is this plus his penalty (λ/2m)·ΣW².\n"
              "fit loss: what Keras's fit() prints as loss, the mean of the epoch's mini-batch losses as they were "
              "trained, penalty included (training split only)."),
        )
        for text, key in METRIC_CHOICES:
            self.metric_box.addItem(_(text), key)
        self.log_y = name_widget(QCheckBox(_("log y")), "logY", _("Logarithmic y axis"))
        self.smooth = name_widget(
            QSlider(Qt.Orientation.Horizontal), "smoothing", _("Smoothing"),
            _("Exponential moving average of the curves"),
        )
        self.smooth.setRange(0, 95)
        self.smooth.setFixedWidth(80)
        # The choices wrap under one another in a narrow column (View → Presentation) rather than squeeze.
        options = QWidget()
        flow = FlowLayout(options, spacing=8, row_spacing=2)
        flow.setContentsMargins(0, 0, 0, 0)
        self.smoothing = smoothing = QWidget()  # the slider with its word
        row = QHBoxLayout(smoothing)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(Label(_("smooth")))
        row.addWidget(self.smooth)
        for w in (self.metric_box, self.log_y, smoothing):
            flow.addWidget(w)
        head.addWidget(options, 3)
        self.plot = make_plot("curvesPlot")
        # With its key below and the header's choices on two rows, the window still fits 720 px tall;
        # the epoch title goes where it would leave the curves less than 30 px.
        self.plot.setMinimumHeight(68)
        self.plot.setProperty(MIN_DATA_HEIGHT, 30)
        self.plot.setLabel("bottom", term("epoch"))
        # Which colour is which split, under the plot: a legend inside it covered the curves and was
        # cut by the axis in a short plot ("test" hidden, a drawn validation curve not listed).
        self.key = name_widget(Label(" "), "curvesKey", _("Curve colours"))
        self.key.setTextFormat(Qt.TextFormat.RichText)  # coloured line marks; every word is ours
        self.key.setWordWrap(True)  # whole entries on more lines, never cut
        # Long runs have tens of thousands of epochs: draw at most about one point per pixel.
        self.plot.getPlotItem().setDownsampling(auto=True, mode="peak")
        self.plot.getPlotItem().setClipToView(True)
        self.curves = {}
        for split, key in (("train", ""), ("validation", "val_"), ("test", "test_")):
            self.curves[key] = line_plot(self.plot, pg.mkPen(SPLIT_COLORS[split], width=2), name=split)
        self.readout = Label(" ")
        self.readout.setObjectName("curveReadout")
        self.numbers = name_widget(
            Label(" "), "lossNumbers", _("Losses now"),
            _("The latest epoch's data loss on each split (and accuracy), computed with the epoch's final weights. "
              "The data loss leaves out the L1/L2 penalty (Ng's cost J includes it); the penalty is shown apart. "
              "Keras's fit() prints the mean batch loss with the penalty included: choose 'fit loss (Keras)' to "
              "see that curve."),
        )  # fmt: skip
        self.numbers.setWordWrap(True)
        lay.addWidget(Steady(self.numbers))  # new numbers 10 times a second: no re-layout of the window
        lay.addWidget(self.plot, 1)
        below = QHBoxLayout()  # the key beside the hover readout: no line of height of its own
        below.addWidget(self.key, 1)
        below.addWidget(self.readout)
        lay.addLayout(below)
        self.stop_line = pg.InfiniteLine(
            angle=90, pen=pg.mkPen(90, 90, 90, 220, width=1.2, style=Qt.PenStyle.DashLine), label=_("stopped"),
            labelOpts={"position": 0.9, "color": (70, 70, 70), "anchors": [(1, 0), (1, 0)]},
        )  # fmt: skip
        self.plot.addItem(self.stop_line, ignoreBounds=True)
        self.stop_line.hide()
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen(150, 150, 150, 150, style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.cursor, ignoreBounds=True)
        self.cursor.hide()
        self.snapshot: Snapshot | None = None
        self.overlay_items: list = []  # (curve, run, metric prefix)
        self._proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._hover)
        self.metric_box.currentIndexChanged.connect(lambda _i: self.redraw())
        self.log_y.toggled.connect(self._log_toggled)
        self.smooth.valueChanged.connect(lambda _v: self.redraw())
        self._min_height = 0  # the least height the layout needs at the view's width (minimumSizeHint)

    def minimumSizeHint(self) -> QSize:
        """At least the height the layout needs at the view's width: in a narrow column the header's
        choices wrap onto a second row, which the layout's own minimum (one row) leaves out, so the
        splitter gave the view too little and the key row covered the plot's epoch title (Korean at
        1280×720)."""
        hint = super().minimumSizeHint()
        self._min_height = self.layout().totalMinimumHeightForWidth(max(1, self.width()))
        return QSize(hint.width(), max(hint.height(), self._min_height))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.layout().totalMinimumHeightForWidth(max(1, self.width())) != self._min_height:
            self.updateGeometry()  # the header wraps differently at this width: the splitter asks again

    def _log_toggled(self, on: bool) -> None:
        self.plot.setLogMode(y=on)
        self.redraw()

    OVERLAY_COLORS = ((120, 120, 120), (148, 103, 189), (140, 86, 75), (23, 190, 207), (188, 189, 34))

    def set_overlays(self, runs: list) -> None:
        """Earlier runs (from the run history) drawn dashed under the current curves: train and test."""
        for item, _run, _prefix in self.overlay_items:
            self.plot.removeItem(item)
        self.overlay_items = []
        for k, run in enumerate(runs):
            color = self.OVERLAY_COLORS[k % len(self.OVERLAY_COLORS)]
            for prefix, style in (("", Qt.PenStyle.DashLine), ("test_", Qt.PenStyle.DotLine)):
                pen = pg.mkPen(color, width=1.6, style=style)
                name = (_("{run} train") if not prefix else _("{run} test")).format(run=run.label)
                item = self.plot.plot([], [], pen=pen, name=name)  # the name: for the key above the plot
                item.setZValue(-1)  # under the current run
                self.overlay_items.append((item, run, prefix))
        self.redraw()

    def series(self, key: str, history: dict | None = None) -> np.ndarray:
        """The displayed values (smoothed) of one metric key, with NaN where absent."""
        snap = self.snapshot
        if history is None:
            if snap is None:
                return np.array([])
            history = snap.history
        values = np.array(history.get(key, []), dtype=float)  # NaN where a split is empty
        alpha = self.smooth.value() / 100
        if alpha > 0 and values.size:
            ok = np.isfinite(values)
            values = values.copy()
            values[ok] = ema(values[ok], alpha)
        return values

    def set_snapshot(self, snap: Snapshot) -> None:
        if self.snapshot is not None and snap.generation != self.snapshot.generation:
            self.readout.setText(" ")  # the last run's numbers under the cursor
            self.cursor.hide()
        self.snapshot = snap
        self.redraw()

    def redraw(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        metric = self.metric_box.currentData()
        lo, hi, n = np.inf, -np.inf, 0
        lines = [(curve, prefix, None) for prefix, curve in self.curves.items()]
        lines += [(item, prefix, run.history) for item, run, prefix in self.overlay_items]
        for curve, prefix, history in lines:
            y = self.series(prefix + metric, history)
            ok = np.isfinite(y)
            if self.log_y.isChecked():
                ok &= y > 0
            if not ok.any():
                curve.setData([], [])
                continue
            x = np.arange(1, y.size + 1)[ok]
            curve.setData(*peak_decimate(x, y[ok]))
            vals = np.log10(y[ok]) if self.log_y.isChecked() else y[ok]
            lo, hi, n = min(lo, vals.min()), max(hi, vals.max()), max(n, y.size)
        # The axis spans this run's epochs (and the overlays'), drawn or not: a new run at epoch 0,
        # or one whose values are not finite, never keeps the axis of the run before it.
        epochs = max(n, len(snap.history.get("loss", ())))
        set_range(self.plot, "x", 1, nice_ceiling(max(epochs, 10)), 0.02)
        log = self.log_y.isChecked()
        if not n:  # nothing to draw yet: the axes of an empty plot, not of the last run
            set_range(self.plot, "y", -2.0 if log else 0.0, 0.0 if log else 1.0)
        elif metric == "accuracy" and not log:
            set_range(self.plot, "y", 0.0 if lo < 0.5 else 0.5, 1.0, 0.03)
        else:
            pad = (hi - lo) * 0.08 or 0.1
            top = hi + pad if np.isfinite(hi + pad) else hi  # a loss near the largest float
            if log:
                set_range(self.plot, "y", np.floor(lo - pad), np.ceil(top))
            else:
                set_range(self.plot, "y", 0.0, nice_ceiling(top) if np.isfinite(nice_ceiling(top)) else top)
        self._show_key()
        self._numbers(snap)
        if snap.stopped and snap.epoch:
            self.stop_line.setPos(snap.epoch)
            limit = "epoch limit" in snap.message or _("epoch limit") in snap.message  # either language
            self.stop_line.label.setFormat(_("epoch limit") if limit else _("stopped"))
            self.stop_line.setToolTip(snap.message)
            self.stop_line.show()
        else:
            self.stop_line.hide()
        label = _(AXIS_LABELS[metric])
        if getattr(self, "_label", None) != label:  # a new label re-lays out the axis
            self._label = label
            self.plot.setLabel("left", label)

    def key_entries(self) -> list[str]:
        """The names the key lists: each split whose curve is drawn, then the earlier runs' curves."""
        return [name for name, _color, _mark in self._key_items()]

    def _key_items(self) -> list[tuple[str, tuple, str]]:
        """Each curve drawn as the key shows it: its name, its colour and its line mark."""
        items = [(_(SPLIT_NAMES[split]), SPLIT_COLORS[split], "━━")
                 for curve, split in zip(self.curves.values(), ("train", "validation", "test"))
                 if curve.xData is not None and len(curve.xData)]  # fmt: skip
        return items + [(item.name(), tuple(item.opts["pen"].color().getRgb()[:3]), "╍╍" if not prefix else "┈┈")
                        for item, _run, prefix in self.overlay_items
                        if item.xData is not None and len(item.xData)]  # fmt: skip

    def _show_key(self) -> None:
        """The key under the plot: a coloured line mark and the name of every curve drawn."""
        parts = [f"<span style='color:rgb{tuple(color)}'>{mark}</span>&nbsp;{html.escape(name)}"
                 for name, color, mark in self._key_items()]
        text = " &nbsp; ".join(parts) or " "
        if self.key.text() != text:  # a new text re-lays out the view
            self.key.setText(text)

    def _numbers(self, snap: Snapshot) -> None:
        """The latest epoch's numbers, as TensorFlow Playground always shows them."""
        parts = latest_losses(snap.history)
        reg = snap.project.get("training", {}).get("regularization", {})
        if parts and reg.get("kind", "none") != "none" and reg.get("rate", 0) > 0:
            kernels = np.concatenate([k.ravel() for k in snap.kernels])
            penalty = Regularizer(reg["kind"], reg["rate"]).penalty(kernels)
            parts.append(_("{kind} penalty {value}").format(kind=reg["kind"].upper(), value=number(penalty)))
        text = _("data loss {values}").format(values=" · ".join(parts)) if parts else _("data loss: after the first "
                                                                                          "epoch")
        if self.numbers.text() != text:
            self.numbers.setText(text)

    def _hover(self, args) -> None:
        snap = self.snapshot
        if snap is None or not snap.history.get("loss"):
            return
        pos = self.plot.getPlotItem().getViewBox().mapSceneToView(args[0])
        epoch = round(pos.x())
        n = len(snap.history["loss"])
        if not 1 <= epoch <= n:
            self.cursor.hide()
            return
        self.cursor.setPos(epoch)
        self.cursor.show()
        metric = self.metric_box.currentData()
        parts = [_("epoch {epoch}").format(epoch=epoch)]
        for label, prefix in (("train", ""), ("validation", "val_"), ("test", "test_")):
            series = snap.history.get(prefix + metric)
            v = series[epoch - 1] if series is not None else math.nan
            if not math.isnan(v):
                parts.append(f"{_(SPLIT_NAMES[label])} {number(v)}")
        self.readout.setText(" · ".join(parts))
