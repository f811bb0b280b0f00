"""The plots: the output over the input plane, the loss/accuracy curves, weight histograms.

Each view creates its pyqtgraph items once and updates them with setImage/setData; ranges
are set by hand while training, since autoRange on every frame costs milliseconds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from engine.fields import field
from engine.regularizers import L1_RULES, Regularizer

from ..colors import (
    SPLIT_COLORS,
    class_color,
    class_color_name,
    class_rgb,
    color_name,
    diverging_rgb,
    fade,
    layer_color,
)
from ..snapshot import Snapshot
from ..widgets import Caption, Label, Steady, guarded, name_widget

pg.setConfigOptions(antialias=True, background="w", foreground=(70, 70, 70))


def line_plot(plot: Any, pen: QPen, **kwargs: Any) -> pg.PlotDataItem:
    """An empty curve on `plot`, drawn fast: Qt strokes a 600-point antialiased polyline two
    pixels wide in about 10 ms and its 599 segments in 0.5 ms, and for an opaque solid pen the
    two look the same (pyqtgraph segments only lines drawn without antialiasing)."""
    item = plot.plot([], [], pen=pen, **kwargs)
    if pen.widthF() > 1 and pen.style() == Qt.PenStyle.SolidLine and pen.color().alphaF() == 1.0:
        item.curve.setSegmentedLineMode("on")
    return item


def titled(widget: QWidget, name: str, title: str) -> tuple[QVBoxLayout, QHBoxLayout]:
    """A view's layout: a header row (caption, stretch, then whatever the view adds) above it."""
    widget.setObjectName(name)
    lay = QVBoxLayout(widget)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(4)
    head = QHBoxLayout()
    head.addWidget(Caption(title))
    head.addStretch(1)
    lay.addLayout(head)
    return lay, head


def ema(x: np.ndarray, alpha: float, block: int = 256) -> np.ndarray:
    """Exponential moving average y_i = α·y_(i−1) + (1 − α)·x_i, y_0 = x_0, vectorised in
    blocks of `block` points (within a block α^k stays well conditioned), so smoothing a long
    run's curve costs NumPy calls, not a Python loop over every epoch."""
    out = np.empty(x.shape, dtype=float)
    prev = None
    block = max(1, min(block, int(150 / -np.log10(alpha))))  # keep α^(−k) below 1e150
    k = np.arange(block, dtype=float)
    for start in range(0, x.size, block):
        chunk = x[start : start + block].astype(float)
        n = chunk.size
        up = alpha ** -k[:n]  # α^(−j)
        down = alpha ** k[:n]  # α^j
        acc = np.cumsum(chunk * up) * down * (1 - alpha)  # Σ_{m≤j} (1−α) α^(j−m) x_m
        if prev is None:  # y_0 = x_0: the first term weighs 1, not (1 − α)
            acc += alpha * chunk[0] * down
        else:
            acc += prev * alpha * down
        out[start : start + n] = acc
        prev = acc[-1]
    return out


def peak_decimate(x: np.ndarray, y: np.ndarray, buckets: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """At most 2·buckets points that draw like (x, y): each bucket of consecutive points becomes
    its minimum and its maximum, so spikes survive. A curve of 40,000 epochs then costs the
    plot what 2,000 do, in memory and in drawing."""
    n = y.size
    if n <= 2 * buckets:
        return x, y
    size = -(-n // buckets)
    starts = np.arange(0, n, size)
    lo, hi = np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts)
    xs = np.repeat(x[starts], 2)
    ys = np.column_stack([lo, hi]).ravel()
    return xs, ys


def nice_ceiling(value: float) -> float:
    """The next 1, 2 or 5 × 10ⁿ at or above `value`: axis limits that move in steps, not every frame."""
    if value <= 0 or not np.isfinite(value):
        return 1.0
    exp = 10.0 ** np.floor(np.log10(value))
    for m in (1, 2, 5, 10):
        if m * exp >= value * (1 - 1e-12):
            return float(m * exp)
    return float(10 * exp)


def set_range(plot: pg.PlotWidget, axis: str, lo: float, hi: float, padding: float = 0.0) -> None:
    """Set an axis range only when it changed: each change re-lays out the axis (milliseconds)."""
    key = f"_range_{axis}"
    new = (round(lo, 12), round(hi, 12), padding)
    if getattr(plot, key, None) == new:
        return
    setattr(plot, key, new)
    if axis == "x":
        plot.setXRange(lo, hi, padding=padding)
    else:
        plot.setYRange(lo, hi, padding=padding)


def plane_rgb(
    out: np.ndarray,
    problem: str,
    threshold: float,
    output_activation: str,
    discretize: bool = False,
    class_names: list[str] | tuple[str, ...] = (),
) -> tuple[np.ndarray, str]:
    """Colours for the network's output over the plane (g, g, outputs) and the legend for them."""
    if problem == "regression":
        return diverging_rgb(out[..., 0], -1, 1), "colour: predicted value, orange −1 · white 0 · blue +1"
    k = max(2, out.shape[2])
    names = [class_names[c] if c < len(class_names) and class_names[c] != str(c) else f"class {c}" for c in range(k)]
    swatches = " · ".join(f"{class_color_name(c, k)}: {names[c]}" for c in range(k))
    if out.shape[2] == 1:
        # Centre on the decision threshold: 0.5 for probabilities and 0/1 targets, 0 for hinge.
        v = np.clip((out[..., 0] - threshold) * (2.0 if threshold == 0.5 else 1.0), -1, 1)
        if discretize:
            return diverging_rgb(np.where(v > 0, 1.0, -1.0)), f"{swatches} · colour: the predicted class"
        return diverging_rgb(v), f"{swatches} · shade: confidence"
    if output_activation == "softmax":
        probs = out
    else:  # scores (multiclass hinge): softmax them for display only
        e = np.exp(out - out.max(axis=-1, keepdims=True))
        probs = e / e.sum(axis=-1, keepdims=True)
    if discretize:
        return class_rgb(np.eye(out.shape[2])[probs.argmax(axis=-1)], out.shape[2]), f"{swatches} (predicted class)"
    return class_rgb(probs, out.shape[2]), f"{swatches} · faded where unsure"


def layer_name(i: int, n_layers: int) -> str:
    """Display name of dense layer i of n: layer 1, layer 2, ..., output."""
    return "output" if i == n_layers - 1 else f"layer {i + 1}"


def latest_losses(history: dict[str, Any], val: str = "val") -> list[str]:
    """The last epoch's data loss (and accuracy) per split that has a finite one, as
    ["train 0.1234 (95%)", "val …", "test …"]; `val` names the validation split."""
    parts = []
    for label, prefix in (("train", ""), (val, "val_"), ("test", "test_")):
        loss = history.get(prefix + "loss")
        if loss is None or not len(loss) or not math.isfinite(loss[-1]):
            continue
        acc = history.get(prefix + "accuracy")
        text = f"{label} {loss[-1]:.4f}"
        if acc is not None and len(acc) and math.isfinite(acc[-1]):
            text += f" ({acc[-1]:.0%})"
        parts.append(text)
    return parts


def make_plot(name: str) -> pg.PlotWidget:
    w = pg.PlotWidget()
    w.setObjectName(name)
    w.setMenuEnabled(False)
    w.hideButtons()
    w.getPlotItem().getViewBox().setMouseEnabled(False, False)
    # Room above and right of the axes: the end ticks' labels (the top "1.0", the last epoch)
    # are drawn centred on their tick and were clipped at the plot's edge.
    w.getPlotItem().setContentsMargins(2, 8, 10, 2)
    # pyqtgraph makes its context menus without a parent, so they outlived every closed window
    # (four per optimizer-paths window); owned by the plot, they go with it.
    item = w.getPlotItem()
    for menu in (item.ctrlMenu, item.getViewBox().menu):
        if menu is not None:
            menu.setParent(w, menu.windowFlags())
            for label in menu.findChildren(QLabel):  # pyqtgraph's own captions; never a guess at HTML
                label.setTextFormat(Qt.TextFormat.PlainText)
    for axis in ("left", "bottom"):
        w.getAxis(axis).enableAutoSIPrefix(False)
    return w


class SquarePlot(QWidget):
    """Holds an aspect-locked plot at the size that makes its data area square, centred: the
    plane then fills the axes instead of floating in a wider range."""

    def __init__(self, plot: pg.PlotWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = plot
        plot.setParent(self)
        self.setMinimumSize(plot.minimumSize())
        plot.setMinimumSize(80, 80)  # the holder keeps the room; the plot itself may be narrower
        self._refit_timer = QTimer(self)  # a child: it dies with the widget, never calls a deleted one
        self._refit_timer.setSingleShot(True)
        self._refit_timer.setInterval(0)
        self._refit_timer.timeout.connect(self._refit)

    @guarded
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit()

    def fit(self) -> None:
        """Size the plot so its data area is square: the axes' room is measured from the laid-out
        plot (what is around the view box), then the largest square that fits is centred."""
        vb = self.plot.getPlotItem().getViewBox()
        box = vb.geometry() if vb.width() > 1 else None
        extra_w = self.plot.width() - box.width() if box is not None else 60
        extra_h = self.plot.height() - box.height() if box is not None else 40
        side = max(40, min(self.width() - extra_w, self.height() - extra_h))
        w, h = int(min(self.width(), side + extra_w)), int(min(self.height(), side + extra_h))
        geometry = QRect((self.width() - w) // 2, (self.height() - h) // 2, w, h)
        if geometry != self.plot.geometry():
            self.plot.setGeometry(geometry)
            if box is None or abs(vb.width() - vb.height()) > 2:
                self._refit_timer.start()  # the axes' room is known once the plot is laid out

    def _refit(self) -> None:
        vb = self.plot.getPlotItem().getViewBox()
        if abs(vb.width() - vb.height()) > 2:
            self.fit()


class OutputView(QWidget):
    """The decision boundary (or regression surface) with the training and test points."""

    point_added = Signal(float, float)
    point_erased = Signal(float, float)
    inspected = Signal(float, float)  # a left click on the plane outside draw mode: the point inspector
    loss_sizes_wanted = Signal(bool)  # the worker computes each training point's loss only while on

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay, head = titled(self, "outputView", "Output")
        self.show_test = name_widget(
            QCheckBox("Test data"),
            "showTestData",
            "Show test data",
            "Draw the held-out test points (outlined) too",
        )
        self.discretize = name_widget(
            QCheckBox("Discretize"),
            "discretizeOutput",
            "Discretize output",
            "Colour each point of the plane by its predicted class only",
        )
        self.size_by_loss = name_widget(
            QCheckBox("Size by loss"),
            "sizeByLoss",
            "Size training points by their loss",
            "Draw each training point as big as its current loss, so the hard points stand out",
        )
        head.addWidget(self.show_test)
        head.addWidget(self.discretize)
        head.addWidget(self.size_by_loss)
        self.plot = make_plot("outputPlot")
        self.plot.setAccessibleName("Output plot")
        self.plot.setAspectLocked(True)
        self.plot.setMinimumSize(200, 160)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.train_points = pg.ScatterPlotItem(size=6, pen=pg.mkPen(255, 255, 255, 200, width=1))
        self.test_points = pg.ScatterPlotItem(size=6, pen=pg.mkPen(40, 40, 40, 230, width=1.4))
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.test_points)
        self.empty = Label(
            "The output plane is drawn for two-dimensional point data.\nImage data: see the model summary and curves."
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("emptyNote")
        self.empty.hide()
        self.square = SquarePlot(self.plot)
        lay.addWidget(self.square, 1)
        lay.addWidget(self.empty, 1)
        self.legend = Label()
        self.legend.setObjectName("legend")
        lay.addWidget(self.legend)
        self.draw_mode = False
        self.snapshot: Snapshot | None = None
        self._preview: tuple[np.ndarray, str] | None = None  # a hovered neuron's picture
        self._points_key: tuple | None = None
        self.show_test.toggled.connect(lambda _on: self._draw_points(force=True))
        self.discretize.toggled.connect(lambda _on: self.redraw())
        self.size_by_loss.toggled.connect(self._size_toggled)
        self.plot.scene().sigMouseClicked.connect(self._clicked)

    def set_snapshot(self, snap: Snapshot) -> None:
        self.snapshot = snap
        self.redraw()

    def _size_toggled(self, on: bool) -> None:
        self.loss_sizes_wanted.emit(on)
        self._draw_points(force=True)

    def point_sizes(self) -> np.ndarray | None:
        """The training points' sizes when sized by loss: 3 px at no loss to 16 px at the largest
        (area follows the loss); validation points keep the usual size. None when not sized."""
        snap = self.snapshot
        if snap is None or not self.size_by_loss.isChecked() or snap.point_losses is None:
            return None
        losses = np.nan_to_num(snap.point_losses.astype(np.float64), nan=0.0, posinf=0.0)
        if losses.size != snap.data.train.size:
            return None
        top = float(losses.max()) if losses.size else 0.0
        train = 3.0 + 13.0 * np.sqrt(losses / top) if top > 0 else np.full(losses.size, 3.0)
        return np.concatenate([train, np.full(snap.data.validation.size, 6.0)])

    def set_draw_mode(self, on: bool) -> None:
        """Clicks add points (a cross cursor says so) instead of inspecting them."""
        self.draw_mode = on
        self.plot.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    def preview(self, rgb: np.ndarray | None, name: str = "") -> None:
        """Show one neuron's output over the plane instead of the network's while it is hovered
        (TensorFlow Playground's central interaction); None goes back."""
        self._preview = None if rgb is None else (rgb, name)
        self.redraw()

    def _legend(self, text: str) -> None:
        if self.legend.text() != text:  # setText re-lays out the panel even for the same text
            self.legend.setText(text)

    def redraw(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        has_plane = snap.extent is not None and snap.output_grid is not None
        self.square.setVisible(has_plane)
        self.empty.setVisible(not has_plane)
        if not has_plane:
            self._legend("")
            d = snap.data.dataset.x.shape[1]
            note = (
                f"This data has {d} input column{'s' if d != 1 else ''}: the output plane is drawn for data "
                "with exactly two.\nThe curves, the weights and the model summary show how training goes."
            )
            if self.empty.text() != note:
                self.empty.setText(note)
            return
        x0, x1, y0, y1 = snap.extent
        if self._preview is not None:  # a hovered neuron: the network's own plane is not drawn
            rgb, name = self._preview
            legend = f"{name}: its output over the plane (move off the neuron to see the network's)"
        else:
            rgb, legend = plane_rgb(
                snap.output_grid,
                snap.data.dataset.problem,
                snap.threshold,
                snap.output_activation,
                self.discretize.isChecked(),
                snap.data.dataset.class_names,
            )
        self._legend(legend)
        # The plane is drawn paler than the points (as TensorFlow Playground does), so a point
        # stays visible on the region it belongs to, and a misclassified one stands out.
        self.image.setImage(fade(rgb, PLANE_STRENGTH), autoLevels=False, levels=(0, 255))
        self.image.setRect(x0, y0, x1 - x0, y1 - y0)
        set_range(self.plot, "x", x0, x1)
        set_range(self.plot, "y", y0, y1)
        self._draw_points()

    def _draw_points(self, force: bool = False) -> None:
        snap = self.snapshot
        if snap is None or snap.extent is None:
            return
        key = (snap.generation, id(snap.data), self.show_test.isChecked())
        sizes = self.point_sizes()
        if key == self._points_key and not force:
            if sizes is not None:
                self.train_points.setSize(sizes)  # the losses change every frame; colours do not
            return
        self._points_key = key
        data = snap.data
        ds = data.dataset
        if ds.problem == "regression":
            colors = diverging_rgb(ds.y, -1, 1)
        else:
            colors = np.array([class_color(int(c), ds.classes) for c in range(max(ds.classes, 2))])[ds.y]
        brushes = [pg.mkBrush(*map(int, c)) for c in colors]
        tr = np.concatenate([data.train, data.validation])
        self.train_points.setData(ds.x[tr, 0], ds.x[tr, 1], brush=[brushes[i] for i in tr],
                                  size=6 if sizes is None else sizes)  # fmt: skip
        if self.show_test.isChecked():
            te = data.test
            self.test_points.setData(ds.x[te, 0], ds.x[te, 1], brush=[brushes[i] for i in te])
        else:
            self.test_points.setData([], [])

    def _clicked(self, event) -> None:
        if self.snapshot is None or self.snapshot.extent is None:
            return
        pos = self.plot.getPlotItem().getViewBox().mapSceneToView(event.scenePos())
        x0, x1, y0, y1 = self.snapshot.extent
        if not (x0 <= pos.x() <= x1 and y0 <= pos.y() <= y1):
            return
        if not self.draw_mode:
            if event.button() == Qt.MouseButton.LeftButton:
                self.inspected.emit(pos.x(), pos.y())
            return
        if event.button() == Qt.MouseButton.RightButton:
            self.point_erased.emit(pos.x(), pos.y())
        elif event.button() == Qt.MouseButton.LeftButton:
            self.point_added.emit(pos.x(), pos.y())


PLANE_STRENGTH = 0.6  # how strongly the output plane is coloured under the points

#: What the curves can show: (menu text, history key); fit_loss exists for the training split only.
METRIC_CHOICES = (
    ("loss", "loss"), ("accuracy", "accuracy"), ("fit loss (Keras)", "fit_loss"), ("learning rate α", "learning_rate")
)  # fmt: skip
AXIS_LABELS = {
    "loss": "data loss", "accuracy": "accuracy", "fit_loss": "batch loss + penalty", "learning_rate": "α",
}  # fmt: skip


class CurvesView(QWidget):
    """Loss and accuracy per epoch for the train, validation and test splits."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay, head = titled(self, "curvesView", "Curves")
        self.metric_box = name_widget(
            QComboBox(),
            "curveMetric",
            "Curve metric",
            "loss: the data loss (CS231n's name) = (1/N) Σ L(ŷ, y) over each whole split with the epoch's final "
            "weights, without the L1/L2 penalty. Ng's cost J is this plus his penalty (λ/2m)·ΣW².\n"
            "fit loss: what Keras's fit() prints as loss, the mean of the epoch's mini-batch losses as they were "
            "trained, penalty included (training split only).",
        )
        for text, key in METRIC_CHOICES:
            self.metric_box.addItem(text, key)
        self.log_y = name_widget(QCheckBox("log y"), "logY", "Logarithmic y axis")
        self.smooth = name_widget(
            QSlider(Qt.Orientation.Horizontal), "smoothing", "Smoothing", "Exponential moving average of the curves"
        )
        self.smooth.setRange(0, 95)
        self.smooth.setMaximumWidth(90)
        head.addWidget(self.metric_box)
        head.addWidget(self.log_y)
        head.addWidget(Label("smooth"))
        head.addWidget(self.smooth)
        self.plot = make_plot("curvesPlot")
        self.plot.setMinimumHeight(100)
        self.plot.addLegend(offset=(-10, 10), labelTextSize="8pt")
        self.plot.setLabel("bottom", "epoch")
        # Long runs have tens of thousands of epochs: draw at most about one point per pixel.
        self.plot.getPlotItem().setDownsampling(auto=True, mode="peak")
        self.plot.getPlotItem().setClipToView(True)
        self.curves = {}
        for split, key in (("train", ""), ("validation", "val_"), ("test", "test_")):
            self.curves[key] = line_plot(self.plot, pg.mkPen(SPLIT_COLORS[split], width=2), name=split)
        self.readout = Label(" ")
        self.readout.setObjectName("curveReadout")
        self.numbers = name_widget(
            Label(" "), "lossNumbers", "Losses now",
            "The latest epoch's data loss on each split (and accuracy), computed with the epoch's final weights. "
            "The data loss leaves out the L1/L2 penalty (Ng's cost J includes it); the penalty is shown apart. "
            "Keras's fit() prints the mean batch loss with the penalty included: choose 'fit loss (Keras)' to see "
            "that curve.",
        )  # fmt: skip
        self.numbers.setWordWrap(True)
        lay.addWidget(Steady(self.numbers))  # new numbers 10 times a second: no re-layout of the window
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.readout)
        self.stop_line = pg.InfiniteLine(
            angle=90, pen=pg.mkPen(90, 90, 90, 220, width=1.2, style=Qt.PenStyle.DashLine), label="stopped",
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
                name = f"{run.label} {'train' if not prefix else 'test'}"
                item = self.plot.plot([], [], pen=pen, name=name)
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
        if n:
            set_range(self.plot, "x", 1, nice_ceiling(max(n, 10)), 0.02)
            if metric == "accuracy" and not self.log_y.isChecked():
                set_range(self.plot, "y", 0.0 if lo < 0.5 else 0.5, 1.0, 0.03)
            else:
                pad = (hi - lo) * 0.08 or 0.1
                if self.log_y.isChecked():
                    set_range(self.plot, "y", np.floor(lo - pad), np.ceil(hi + pad))
                else:
                    set_range(self.plot, "y", 0.0, nice_ceiling(hi + pad))
        self._show_validation(bool(np.isfinite(self.series("val_loss")).any()))
        self._numbers(snap)
        if snap.stopped and snap.epoch:
            self.stop_line.setPos(snap.epoch)
            self.stop_line.label.setFormat("epoch limit" if "epoch limit" in snap.message else "stopped")
            self.stop_line.setToolTip(snap.message)
            self.stop_line.show()
        else:
            self.stop_line.hide()
        label = AXIS_LABELS[metric]
        if getattr(self, "_label", None) != label:  # a new label re-lays out the axis
            self._label = label
            self.plot.setLabel("left", label)

    def _show_validation(self, on: bool) -> None:
        """The legend lists validation only when there is a validation split."""
        legend = self.plot.getPlotItem().legend
        curve = self.curves["val_"]
        listed = any(getattr(sample, "item", None) is curve for sample, _label in legend.items)
        if on and not listed:
            legend.addItem(curve, "validation")
        elif not on and listed:
            legend.removeItem(curve)

    def _numbers(self, snap: Snapshot) -> None:
        """The latest epoch's numbers, as TensorFlow Playground always shows them."""
        parts = latest_losses(snap.history)
        reg = snap.project.get("training", {}).get("regularization", {})
        if parts and reg.get("kind", "none") != "none" and reg.get("rate", 0) > 0:
            kernels = np.concatenate([k.ravel() for k in snap.weights[0::2]])
            penalty = Regularizer(reg["kind"], reg["rate"]).penalty(kernels)
            parts.append(f"{reg['kind'].upper()} penalty {penalty:.4g}")
        text = ("data loss " + " · ".join(parts)) if parts else "data loss: after the first epoch"
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
        parts = [f"epoch {epoch}"]
        for label, prefix in (("train", ""), ("validation", "val_"), ("test", "test_")):
            series = snap.history.get(prefix + metric)
            v = series[epoch - 1] if series is not None else math.nan
            if math.isfinite(v):
                parts.append(f"{label} {v:.4f}")
        self.readout.setText(" · ".join(parts))


ZEROS_TIP = ("Kernel weights that are exactly 0. Only L1 by the soft threshold or by TensorFlow Playground's rule "
             "makes useless weights exactly 0; by the subgradient (Keras, PyTorch) they only get small")
#: What each L1 rule does to weights at zero, for the Weights tab (the formulas are L1_RULES').
L1_ZEROS = {
    "subgradient": "shrinks weights towards 0 but seldom to exactly 0 (they jitter around it)",
    "proximal": "sets a weight to exactly 0 whenever the optimizer's step leaves it within α·λ of 0; it may leave 0 "
    "again at a later step",
    "tfp": "sets a weight to 0 when its penalty step, w − α·λ·sign(w), would carry it across 0, and that link is "
    "dead for the rest of the run (no gradient, no update)",
}


def zeros_text(snap: Snapshot) -> tuple[str, str]:
    """The Weights tab's count of exact zeros and, under L1, which rule is on and what it does to
    zeros (the rules differ most there): the label's text and its tooltip."""
    kernels = snap.weights[0::2]
    n_zero = sum(int(np.count_nonzero(k == 0.0)) for k in kernels)
    total = sum(k.size for k in kernels)
    reg = snap.project.get("training", {}).get("regularization", {})
    if reg.get("kind") != "l1":
        return (f"{n_zero:,} of {total:,} weights exactly 0" if n_zero else ""), ZEROS_TIP
    rule = reg.get("l1_rule", "subgradient")
    name = field("training.regularization.l1_rule").name_of(rule)
    text = f"L1 by {name}{' rule' if rule == 'tfp' else ''}: {n_zero:,} of {total:,} exactly 0"
    if rule == "tfp":
        n_dead = sum(int(np.count_nonzero(d)) for d in snap.dead) if snap.dead is not None else 0
        text += f", {n_dead:,} dead for good"
    else:
        text += " (weights shrink, seldom to 0)" if rule == "subgradient" else " (small weights land on 0)"
    tip = f"The L1 rule in use: {name}. It {L1_ZEROS[rule]}. Formula: {L1_RULES[rule]}."
    if not reg.get("rate"):
        tip += " The rate is 0: " + ("no more links die; the dead ones stay dead." if rule == "tfp" else
                                     "L1 does nothing now.")  # fmt: skip
    return text, tip


class HistogramView(QWidget):
    """Each layer's kernel weights now, and one layer's histogram over time (a row per epoch)."""

    MAX_ROWS = 400
    BINS = 41
    RANGE = 3.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay, head = titled(self, "histogramView", "Weights")
        self.layer = name_widget(
            QComboBox(),
            "histogramLayer",
            "Histogram layer",
            "The layer whose weight histogram over time is shown on the right",
        )
        # A line of its own under the header, shown while it has something to say: beside the key it
        # pushed the layers' colours out of the row at 1280 and at 1600 pixels alike. (Taking its
        # height from the plots instead cut their axis titles at 1280×720.)
        self.zeros = name_widget(Label(""), "zeroWeights", "Exactly zero weights", ZEROS_TIP)
        self.zeros.setWordWrap(True)  # never wider than the panel
        self.zeros.hide()
        # Which colour is which layer, in the header: a legend inside the small plot hid the bars.
        self.key = name_widget(Label(""), "histogramKey", "Layer colours")
        self.key.setTextFormat(Qt.TextFormat.RichText)  # coloured swatches; every word is ours
        # Nine layers' names must not widen the window: the key is cut instead (its tooltip has all).
        self.key.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        head.insertWidget(2, self.key, 4)  # most of the free room: the key is cut only when it must be
        head.addWidget(self.layer)
        row = QHBoxLayout()
        self.now = make_plot("histogramPlot")
        self.now.setMinimumHeight(70)
        self.now.setLabel("bottom", "kernel weight")
        self.now.setLabel("left", "weights")
        self.now.setToolTip("How many kernel weights have each value now, one colour per layer")
        self.over_time = make_plot("histogramTimePlot")
        self.over_time.setLabel("bottom", "kernel weight")
        self.over_time.setLabel("left", "epoch")
        self.over_time.setToolTip("The chosen layer's histogram over the run: a row per epoch, darker = more weights")
        self.time_image = pg.ImageItem(axisOrder="row-major")
        lut = np.array(
            [[255 - int(200 * t), 255 - int(140 * t), 255 - int(60 * t)] for t in np.linspace(0, 1, 256)],
            dtype=np.uint8,
        )
        self.time_image.setLookupTable(lut)
        self.over_time.addItem(self.time_image)
        row.addWidget(self.now, 1)
        row.addWidget(self.over_time, 1)
        lay.addWidget(self.zeros)
        lay.addLayout(row, 1)
        self.curves: list[pg.PlotDataItem] = []
        self.rows: list[list[np.ndarray]] = []
        self._generation = -1
        self._last_epoch = -1
        self.layer.currentIndexChanged.connect(lambda _i: self._draw_time())

    def set_snapshot(self, snap: Snapshot) -> None:
        n_layers = len(snap.histograms)
        if snap.generation != self._generation or len(self.curves) != n_layers:
            self._generation = snap.generation
            self.now.clear()
            self.curves = []
            for i in range(n_layers):
                c = layer_color(i)
                self.curves.append(
                    self.now.plot(
                        [0, 1],
                        [0],
                        stepMode="center",
                        pen=pg.mkPen(c, width=1.6),
                        fillLevel=0,
                        brush=pg.mkBrush(*c, 40),
                        # Steps are all horizontal and vertical: antialiasing adds nothing to
                        # them but made the translucent fills cost 2.3 ms a redraw.
                        antialias=False,
                    )
                )
            self.rows = [[] for _ in range(n_layers)]
            self._last_epoch = -1
            self.key.setText(" ".join(
                f"<span style='color:rgb{layer_color(i)}'>■</span> {layer_name(i, n_layers)}" for i in range(n_layers)
            ))  # fmt: skip
            self.key.setToolTip(", ".join(
                f"{layer_name(i, n_layers)}: {color_name(layer_color(i))}" for i in range(n_layers)
            ))  # fmt: skip
            current = self.layer.currentIndex()
            self.layer.blockSignals(True)
            self.layer.clear()
            self.layer.addItems([layer_name(i, n_layers) for i in range(n_layers)])
            self.layer.setCurrentIndex(min(max(current, 0), n_layers - 1))
            self.layer.blockSignals(False)
        text, tip = zeros_text(snap)
        if self.zeros.text() != text:
            self.zeros.setText(text)
            if bool(text) != self.zeros.isVisibleTo(self):
                self.zeros.setVisible(bool(text))
        if self.zeros.toolTip() != tip:
            self.zeros.setToolTip(tip)
        top = 0
        lim = 0.0
        for curve, (counts, edges) in zip(self.curves, snap.histograms):
            curve.setData(edges, counts)
            top = max(top, int(counts.max()) if counts.size else 0)
            lim = max(lim, float(abs(edges[0])))
        lim = nice_ceiling(lim)
        set_range(self.now, "x", -lim, lim, 0.02)
        set_range(self.now, "y", 0, nice_ceiling(max(top, 1) * 1.05))
        if snap.epoch != self._last_epoch:
            self._last_epoch = snap.epoch
            edges = np.linspace(-self.RANGE, self.RANGE, self.BINS + 1)
            for i, w in enumerate(snap.weights[0::2]):
                counts, _ = np.histogram(np.clip(w.ravel(), -self.RANGE, self.RANGE), bins=edges)
                self.rows[i].append(counts / max(1, counts.max()))
                if len(self.rows[i]) > self.MAX_ROWS:
                    self.rows[i] = self.rows[i][::2]  # thin: keep every other row, bounded memory
            self._draw_time()

    def _draw_time(self) -> None:
        i = self.layer.currentIndex()
        if not 0 <= i < len(self.rows) or not self.rows[i]:
            self.time_image.clear()
            return
        img = np.array(self.rows[i])
        self.time_image.setImage(img, autoLevels=False, levels=(0, 1))
        self.time_image.setRect(-self.RANGE, 0, 2 * self.RANGE, max(self._last_epoch, 1))
        set_range(self.over_time, "x", -self.RANGE, self.RANGE)
        set_range(self.over_time, "y", 0, max(self._last_epoch, 1))


__all__ = ["CurvesView", "HistogramView", "OutputView"]
