"""What the plots share: pyqtgraph's settings, a plot made the app's way, fast curves, ranges that
move in steps, the curves' smoothing and thinning, and a holder that keeps a plot's data area
square. The views are output_view.py, curves_view.py and histogram_view.py; the tool windows draw
their own plots with these too.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QAbstractButton, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.core.i18n import N_, _
from engine.core.numbers import BIG, SMALL, number

from ..colors import layer_color
from ..plotlib import pg
from ..widgets import Caption, guarded

pg.setConfigOptions(antialias=True, background="w", foreground=(70, 70, 70))

#: pyqtgraph's own texts in a plot's options menu (its widgets exist even with the menu off: the plot's API sets
#: them), given in the user's language like every other text.
PLOT_OPTIONS = frozenset((
    N_('Log X'),
    N_('dy/dx'),
    N_("Y vs. Y'"),
    N_('Power Spectrum (FFT)'),
    N_('Log Y'),
    N_('Subtract Mean'),
    N_('Plot only the portion of each curve that is visible. This assumes X values are uniformly spaced.'),
    N_('Clip to View'),
    N_('If multiple curves are displayed in this plot, check this box to limit the number of traces '
       'that are displayed.'),
    N_('Max Traces:'),
    N_('Downsample'),
    N_('Downsample by drawing a saw wave that follows the min and max of the original data. This method '
       'produces the best visual representation of the data but is slower.'),
    N_('Peak'),
    N_('If multiple curves are displayed in this plot, check "Max Traces" and set this value to limit '
       'the number of traces that are displayed.'),
    N_('If MaxTraces is checked, remove curves from memory after they are hidden (saves memory, but '
       'traces can not be un-hidden).'),
    N_('Forget hidden traces'),
    N_('Downsample by taking the mean of N samples.'),
    N_('Mean'),
    N_('Downsample by taking the first of N samples. This method is fastest and least accurate.'),
    N_('Subsample'),
    N_('Automatically downsample data based on the visible range. This assumes X values are uniformly spaced.'),
    N_('Auto'),
    N_('Downsample data before plotting. (plot every Nth sample)'),
    N_('Display averages of the curves displayed in this plot. The parameter list allows you to choose '
       'parameters to average over (if any are available).'),
    N_('Average'),
    N_('Alpha'),
    N_('Show X Grid'),
    N_('Show Y Grid'),
    N_('Opacity'),
    N_('Points'),
))


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
    caption = Caption(title)
    caption.setProperty("viewTitle", True)
    head.addWidget(caption)
    head.addStretch(1)
    lay.addLayout(head)
    return lay, head


def untitled(view: QWidget) -> QWidget:
    """`view` without its own heading, for a tab whose title already names it: the line goes to
    the plots (at 1280×720 it was a sixth of a tab's height)."""
    for caption in view.findChildren(Caption):
        if caption.property("viewTitle"):
            caption.hide()
    return view


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



def layer_name(i: int, n_layers: int) -> str:
    """Display name of dense layer i of n: layer 1, layer 2, ..., output."""
    return _("output") if i == n_layers - 1 else _("layer {number}").format(number=i + 1)


def layer_key(n_layers: int, numbered: bool) -> str:
    """A legend of the layers' colour swatches (rich text): each with its name, or, `numbered`, the
    hidden ones by number after one word ("layers: ■1 ■2 ■output"), so a deep net's is a short line.
    A swatch and its name never part at a line's end."""
    words = " ".join(
        f"<span style='color:rgb{layer_color(i)}'>■</span>&nbsp;"
        + (str(i + 1) if numbered and i < n_layers - 1 else layer_name(i, n_layers).replace(" ", "&nbsp;"))
        for i in range(n_layers)
    )
    return _("layers:") + " " + words if numbered else words


LABEL_HEIGHT = 14  # px: a tick label's line at the app's 10-pt font


class NumberAxis(pg.AxisItem):
    """An axis whose tick labels follow the app's number rules (engine/core/numbers.py): fixed up to a
    million with the decimals the tick spacing needs (pyqtgraph's own switched to "2e+04" at
    10,000, so a long run's epochs read as 1e+04, 2e+04), scientific past it and below 1e-4."""

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        # No SI prefix (the captions carry no units): with it on, every change of range (each rescale
        # while training) rendered the caption's HTML again.
        self.autoSIPrefix = False

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        """pyqtgraph's spacing, widened on a short vertical axis so that labelled ticks stay two
        text lines apart (a 40-px plot at 1280×720 stacked "0.4" over "-1.0")."""
        levels = super().tickSpacing(minVal, maxVal, size)
        if self.orientation not in ("left", "right") or not levels or size > 12 * LABEL_HEIGHT:
            return levels  # a plot of normal height keeps pyqtgraph's ticks
        room = max(1.0, size / (2 * LABEL_HEIGHT))  # labels that fit, two text lines apart
        span = abs(maxVal - minVal)
        if span / levels[0][0] <= room + 1:
            return [lv for lv in levels if span / lv[0] <= room + 1]
        raw = span / room
        power = 10.0 ** math.floor(math.log10(raw))
        step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
        return [(max(step, 1.0) if self.logMode else step, 0.0)]  # whole decades on a log axis

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self.logMode:
            return super().tickStrings(values, scale, spacing)
        places = max(0, int(np.ceil(-np.log10(spacing * scale)))) if spacing * scale > 0 else 0
        out = []
        for v in values:
            vs = v * scale
            if abs(vs) < 1e-9 * spacing * scale:  # a tick at 0 that round-off moved to 1e-17
                out.append("0")
            elif abs(vs) >= BIG or abs(vs) < SMALL:
                out.append(number(vs, 3))
            else:
                out.append(number(vs, decimals=places))
        return out


def make_plot(name: str) -> pg.PlotWidget:
    # No menu from the start: pyqtgraph built the view box's (~30 widgets), then dropped it when turned off.
    w = pg.PlotWidget(axisItems={side: NumberAxis(side) for side in ("left", "bottom")}, enableMenu=False)
    w.setObjectName(name)
    w.hideButtons()
    w.getPlotItem().getViewBox().setMouseEnabled(False, False)
    # Room above and right of the axes: the end ticks' labels (the top "1.0", the last epoch)
    # are drawn centred on their tick and were clipped at the plot's edge.
    w.getPlotItem().setContentsMargins(2, 8, 10, 2)
    # pyqtgraph makes its context menus without a parent, so they outlived every closed window
    # (four per optimizer-paths window): they go with the plot. Not its children: each move of a
    # child under the app's style sheet restyles its whole subtree, and these ~60 widgets a plot
    # (never shown: the menu is off) made a third of a window's construction.
    item = w.getPlotItem()
    for menu in (item.ctrlMenu, item.getViewBox().menu):
        if menu is not None:
            w.destroyed.connect(menu.deleteLater)
            for label in menu.findChildren(QLabel):  # pyqtgraph's own captions; never a guess at HTML
                label.setTextFormat(Qt.TextFormat.PlainText)
            translate_options(menu)
    for side in ("top", "right"):  # hidden (pyqtgraph shows any axis it is given), and without SI prefix either
        w.getAxis(side).autoSIPrefix = False
    item.getViewBox().sigResized.connect(lambda *_: fit_axis_titles(w))
    return w


def translate_options(menu: QWidget) -> None:
    """pyqtgraph's texts in a plot's menu (PLOT_OPTIONS) in the user's language."""
    for widget in menu.findChildren(QWidget):
        if widget.toolTip() in PLOT_OPTIONS:
            widget.setToolTip(_(widget.toolTip()))
        if isinstance(widget, (QLabel, QAbstractButton)) and widget.text() in PLOT_OPTIONS:
            widget.setText(_(widget.text()))
        if isinstance(widget, QGroupBox) and widget.title() in PLOT_OPTIONS:
            widget.setTitle(_(widget.title()))


#: A plot's dynamic property: the least height of data area (px) its bottom axis title may take room
#: from; below it the title is left out (a short plot keeps its curves readable). Unset: no such rule.
MIN_DATA_HEIGHT = "minDataHeight"


def fit_axis_titles(plot: pg.PlotWidget) -> None:
    """Leave out an axis title longer than its side of the data area (the rotated "weights" of a
    70-pixel plot), or a bottom title that would leave less than the plot's MIN_DATA_HEIGHT of data
    area, rather than draw it cut or squeeze the data; it comes back when the plot is large enough."""
    vb = plot.getPlotItem().getViewBox()
    least = plot.property(MIN_DATA_HEIGHT)
    for name, room in (("left", vb.height()), ("bottom", vb.width())):
        axis = plot.getAxis(name)
        if not axis.labelText:
            continue
        fits = axis.label.boundingRect().width() - 2 * axis.label.document().documentMargin() <= room + 8
        if name == "bottom" and least:
            title = axis.label.boundingRect().height() * 0.8  # the room pyqtgraph's axis adds for its title
            fits = fits and vb.height() - (0 if axis.label.isVisible() else title) >= least
        if fits != axis.label.isVisible():
            axis.showLabel(fits)


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
        # The axes take more or less room when their text changes (new ticks, a larger font): the
        # data area then stops being square without any resize of this holder.
        plot.getPlotItem().getViewBox().sigResized.connect(lambda *_: self._refit_timer.start())

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
        item = self.plot.getPlotItem()  # None once the plot has been closed (a timer may fire after)
        if item is None:
            return
        vb = item.getViewBox()
        if abs(vb.width() - vb.height()) > 2:
            self.fit()

