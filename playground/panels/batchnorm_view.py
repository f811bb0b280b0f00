"""The batch-normalization view: for a chosen layer with batch normalization, each unit's values
on the current batch before it (z) and after it (y = γ·x̂ + β), one row per unit, and the batch's
mean and variance beside the moving ones that inference uses.

Each row is a box from the quartiles with whiskers to the 2nd and 98th percentiles; in the
"before" panel a dot marks the batch's mean and a diamond the moving mean. Before, the units
sit wherever the weights put them (a sigmoid's units far from 0 are saturated); after, every
unit is centred and scaled the same way, then shifted by β and scaled by γ. The numbers come from
the worker (playground/run/batchnorm_probe.py), only while this view is on screen.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QMouseEvent, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QSizePolicy, QStackedLayout, QToolTip, QWidget

from engine.core.i18n import N_, _, ngettext
from engine.core.numbers import number

from ..colors import NEGATIVE, POSITIVE, blend_white
from ..run.batchnorm_probe import BatchNormStats, NormLayer
from ..run.snapshot import Snapshot
from ..widgets import Label, OnScreen, guarded, name_widget
from .plotting import titled

ROW_MIN = 15  # px: the smallest row that stays readable
ROW_MAX = 28
HEAD = 16  # px above the rows: the panels' titles
AXIS = 14  # px below them: each panel's range
PANEL_MIN = 96  # narrower panels than this, and the numbers move to the tooltips
MEAN_HEAD, VAR_HEAD = N_("μ batch / moving"), N_("σ² batch / moving")
WIDEST = "−0.0123 / −0.0123"  # a usual pair of numbers as `fmt` writes them (a longer one may run over)
BEFORE = POSITIVE
AFTER = (44, 160, 44)
MOVING = NEGATIVE

NO_BN = N_("This network has no batch normalization. Turn on BN above a hidden layer in the neuron view (or the "
           "batch norm box of a dense or convolution layer in the layer stack) to see each unit's values before "
           "and after it, and the statistics it keeps.")  # fmt: skip
TIP = N_("One row per unit (or channel), on the current batch: its values before batch normalization (z) and after it "
         "(y = γ·x̂ + β). Boxes span the middle half of the batch, whiskers the 2nd to 98th percentile. ● the batch's "
         "mean, ◆ the moving mean (what inference and the test split use). Hover a row for its numbers.")  # fmt: skip


def row_name(per: str, number: int) -> str:
    """A row's name: "unit 3", or "channel 3" for a convolution's channel."""
    return (_("channel {number}") if per == "channel" else _("unit {number}")).format(number=number)


def count_rows(per: str, count: int) -> str:
    """How many rows a layer has: "6 units", "8 channels"."""
    if per == "channel":
        return ngettext("{count} channel", "{count} channels", count).format(count=count)
    return ngettext("{count} unit", "{count} units", count).format(count=count)


def more_rows(per: str, count: int) -> str:
    """What the last line says of the rows left out: "+4 more units"."""
    if per == "channel":
        return ngettext("+{count} more channel", "+{count} more channels", count).format(count=count)
    return ngettext("+{count} more unit", "+{count} more units", count).format(count=count)


def rows_that_fit(height: float, units: int) -> tuple[int, int]:
    """(rows drawn, units left out) for a canvas `height` px tall: every unit when each gets
    ROW_MIN px, else as many as fit with the last row saying "+N more"."""
    room = max(0, int((height - HEAD - AXIS) // ROW_MIN))
    if units <= room:
        return units, 0
    drawn = max(0, room - 1)
    return drawn, units - drawn


def fmt(value: float) -> str:
    """A statistic in three significant digits (a true minus sign), by the app's number rules."""
    return number(value, 3, minus="−")


def panel_range(q: np.ndarray, *marks: np.ndarray) -> tuple[float, float]:
    """A panel's x range: every unit's whiskers and marks, and 0, with a margin."""
    values = np.concatenate([q.ravel(), *[m.ravel() for m in marks], [0.0]])
    values = values[np.isfinite(values)]
    lo, hi = (float(values.min()), float(values.max())) if values.size else (-1.0, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    pad = 0.06 * (hi - lo)
    return lo - pad, hi + pad


class Elided(Label):
    """A one-line label that writes as much of its text as fits its width, ending in "…" (the
    whole text in its tooltip): it never pushes its neighbours and never cuts a letter in two."""

    def __init__(self) -> None:
        super().__init__("")
        self.full = ""
        self.setMinimumWidth(0)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full(self, text: str) -> None:
        if text != self.full:
            self.full = text
            self.setToolTip(text)
            self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self.full, Qt.TextElideMode.ElideRight, max(0, self.width())))

    @guarded  # an override of a Qt virtual
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()


class UnitRows(QWidget):
    """The rows of one layer (see the module's docstring), painted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bnRows")
        self.setMouseTracking(True)
        self.setMinimumHeight(HEAD + AXIS + 2 * ROW_MIN)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.layer: NormLayer | None = None
        self.drawn = 0  # rows drawn at the last paint
        self.more = 0  # units left out ("+N more")

    def set_layer(self, layer: NormLayer | None) -> None:
        self.layer = layer
        self.update()

    def _small(self) -> QFont:
        """The numbers' font: a little smaller than the labels'."""
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.88)
        return font

    def _column(self) -> float:
        """The width of the mean's (or the variance's) column of numbers in their font."""
        fm = QFontMetricsF(self._small())
        return 8.0 + max(fm.horizontalAdvance(t) for t in (_(MEAN_HEAD), _(VAR_HEAD), WIDEST))

    def _label_width(self) -> float:
        """Room for the widest row name ("unit 12", "channel 32")."""
        layer = self.layer
        widest = row_name(layer.per, layer.before.shape[0]) if layer is not None else row_name("unit", 1)
        return 10.0 + self.fontMetrics().horizontalAdvance(widest)

    def _geometry(self) -> tuple[float, float, float, float, bool]:
        """(left of the before panel, panel width, gap, row height, numbers shown)."""
        numbers_w = 2 * self._column()
        label_w = self._label_width()
        numbers = self.width() >= label_w + numbers_w + 2 * PANEL_MIN + 26
        free = self.width() - label_w - (numbers_w + 12 if numbers else 0) - 8
        gap = 14.0
        panel = max(40.0, (free - gap) / 2)
        layer = self.layer
        units = layer.units if layer is not None else 0
        drawn, more = rows_that_fit(self.height(), units)
        rows = drawn + (1 if more else 0)
        row = min(ROW_MAX, max(ROW_MIN, (self.height() - HEAD - AXIS) / max(rows, 1)))
        return label_w, panel, gap, row, numbers

    @guarded
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(255, 255, 255))
        layer = self.layer
        if layer is None:
            painter.end()
            return
        x0, panel, gap, row, numbers = self._geometry()
        x1 = x0 + panel + gap
        font = QFont(self.font())
        painter.setFont(font)
        dark, grey = QColor(60, 60, 60), QColor(120, 120, 120)
        painter.setPen(dark)
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        fm = self.fontMetrics()
        after = next((t for t in (_("after: y = γ·x̂ + β"), _("after: y"), _("after"))
                      if fm.horizontalAdvance(t) <= panel), "")  # fmt: skip
        before = _("before: z")
        painter.drawText(QRectF(x0, 0, panel, HEAD), flags, before if fm.horizontalAdvance(before) <= panel
                         else _("before"))  # fmt: skip
        painter.drawText(QRectF(x1, 0, panel, HEAD), flags, after)
        nx, column = x1 + panel + 12, self._column()
        if numbers:
            painter.setFont(self._small())
            painter.drawText(QRectF(nx, 0, column, HEAD), flags, _(MEAN_HEAD))
            painter.drawText(QRectF(nx + column, 0, column, HEAD), flags, _(VAR_HEAD))
            painter.setFont(font)
        drawn, more = rows_that_fit(self.height(), layer.units)
        drawn = min(drawn, layer.before.shape[0])
        more = layer.units - drawn
        self.drawn, self.more = drawn, more
        lo_b, hi_b = panel_range(layer.before[:drawn], layer.batch_mean[:drawn], layer.moving_mean[:drawn])
        lo_a, hi_a = panel_range(layer.after[:drawn])
        top = HEAD + 2
        for x, lo, hi in ((x0, lo_b, hi_b), (x1, lo_a, hi_a)):
            if lo < 0 < hi:  # the zero line
                zx = x + (0 - lo) / (hi - lo) * panel
                painter.setPen(QPen(QColor(200, 200, 200), 1, Qt.PenStyle.DashLine))
                painter.drawLine(QPointF(zx, top), QPointF(zx, top + drawn * row))
        for k in range(drawn):
            y = top + k * row
            mid = y + row / 2
            painter.setPen(dark)
            painter.drawText(QRectF(0, y, x0 - 6, row), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             row_name(layer.per, k + 1))  # fmt: skip
            self._box(painter, layer.before[k], x0, panel, lo_b, hi_b, mid, row, BEFORE)
            self._box(painter, layer.after[k], x1, panel, lo_a, hi_a, mid, row, AFTER)
            self._mark(painter, layer.batch_mean[k], x0, panel, lo_b, hi_b, mid, row, moving=False)
            self._mark(painter, layer.moving_mean[k], x0, panel, lo_b, hi_b, mid, row, moving=True)
            if numbers:
                painter.setPen(dark)
                painter.setFont(self._small())
                text = (f"{fmt(layer.batch_mean[k])} / {fmt(layer.moving_mean[k])}",
                        f"{fmt(layer.batch_var[k])} / {fmt(layer.moving_var[k])}")  # fmt: skip
                painter.drawText(QRectF(nx, y, column, row), flags, text[0])
                painter.drawText(QRectF(nx + column, y, column, row), flags, text[1])
                painter.setFont(font)
        if more:
            y = top + drawn * row
            painter.setPen(grey)
            painter.drawText(QRectF(0, y, self.width(), row), Qt.AlignmentFlag.AlignCenter,
                             more_rows(layer.per, more))  # fmt: skip
        axis_y = self.height() - AXIS
        painter.setPen(grey)
        for x, lo, hi in ((x0, lo_b, hi_b), (x1, lo_a, hi_a)):
            painter.drawLine(QPointF(x, axis_y), QPointF(x + panel, axis_y))
            painter.drawText(QRectF(x, axis_y, panel / 2, AXIS), flags, fmt(lo))
            painter.drawText(QRectF(x + panel / 2, axis_y, panel / 2, AXIS),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, fmt(hi))  # fmt: skip
        painter.end()

    @staticmethod
    def _box(painter: QPainter, q: np.ndarray, x: float, width: float, lo: float, hi: float, mid: float, row: float,
             color: tuple[int, int, int]) -> None:  # fmt: skip
        if not np.all(np.isfinite(q)):
            return
        px = x + (q - lo) / (hi - lo) * width
        h = max(6.0, row * 0.55)
        painter.setPen(QPen(QColor(*color), 1.4))
        painter.drawLine(QPointF(px[0], mid), QPointF(px[4], mid))
        painter.setBrush(QColor(*blend_white(color, 0.35)))
        painter.drawRect(QRectF(px[1], mid - h / 2, max(1.5, px[3] - px[1]), h))
        painter.setPen(QPen(QColor(*color), 2.2))
        painter.drawLine(QPointF(px[2], mid - h / 2), QPointF(px[2], mid + h / 2))

    @staticmethod
    def _mark(painter: QPainter, value: float, x: float, width: float, lo: float, hi: float, mid: float, row: float,
              moving: bool) -> None:  # fmt: skip
        if not np.isfinite(value):
            return
        px = x + (value - lo) / (hi - lo) * width
        r = max(3.0, min(5.0, row * 0.22))
        if moving:
            painter.setPen(QPen(QColor(*MOVING), 1.6))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPolygon(QPolygonF([QPointF(px, mid - r - 1), QPointF(px + r + 1, mid), QPointF(px, mid + r + 1),
                                           QPointF(px - r - 1, mid)]))  # fmt: skip
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(30, 30, 30))
            painter.drawEllipse(QPointF(px, mid), r * 0.7, r * 0.7)

    def unit_at(self, y: float) -> int | None:
        """The unit whose row holds height `y`, or None."""
        if self.layer is None:
            return None
        _x0, _panel, _gap, row, _numbers = self._geometry()
        k = int((y - HEAD - 2) // row)
        return k if 0 <= k < self.drawn else None

    def row_words(self, k: int) -> str:
        """Unit k's numbers in words (the row's tooltip)."""
        layer = self.layer
        if layer is None or not 0 <= k < layer.before.shape[0]:
            return ""
        q, a = layer.before[k], layer.after[k]
        return "\n".join((
            _("{row} over {count:,} values").format(row=row_name(layer.per, k + 1), count=layer.values),
            _("before (z): batch mean {mean}, variance {variance}; median {median}, middle half {low} to "
              "{high}").format(mean=fmt(layer.batch_mean[k]), variance=fmt(layer.batch_var[k]), median=fmt(q[2]),
                               low=fmt(q[1]), high=fmt(q[3])),
            _("moving mean {mean}, variance {variance}: what inference normalises by").format(
                mean=fmt(layer.moving_mean[k]), variance=fmt(layer.moving_var[k])),
            _("after (y = γ·x̂ + β, γ {gamma}, β {beta}): median {median}, middle half {low} to {high}").format(
                gamma=fmt(layer.gamma[k]), beta=fmt(layer.beta[k]), median=fmt(a[2]), low=fmt(a[1]), high=fmt(a[3])),
        ))  # fmt: skip

    @guarded
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        k = self.unit_at(event.position().y())
        if k is None:
            QToolTip.hideText()
            return
        QToolTip.showText(event.globalPosition().toPoint(), self.row_words(k), self)


PLANE_TIP = N_("How batch normalization treats the output plane's points. inference (the default; predictions, the "
               "test split and exports work so): each unit is normalised by its moving mean and variance, so a point's "
               "output depends on that point alone. training: the plane's grid of points is taken as one training "
               "batch, and each unit is normalised by the grid's own mean and variance, as a training step normalises "
               "its mini-batch; the boundary then depends on which points share the batch (here every point of the "
               "grid), which is why inference uses the moving statistics.")  # fmt: skip


class PlaneMode(QWidget):
    """The output plane's train/inference switch, shown for a network with batch normalization:
    `changed(True)` asks for the plane with the grid's own batch statistics."""

    changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 0, 0, 0)
        lay.setSpacing(4)
        self.mode = name_widget(QComboBox(), "bnPlaneMode", _("Batch normalization on the plane"), _(PLANE_TIP))
        self.mode.addItem(_("inference"), False)
        self.mode.addItem(_("training"), True)
        self.mode.setItemData(1, _("The plane's grid as one training batch"), Qt.ItemDataRole.ToolTipRole)
        caption = Label(_("BN:"))
        caption.setToolTip(_(PLANE_TIP))
        lay.addWidget(caption)
        lay.addWidget(self.mode)
        self.mode.currentIndexChanged.connect(lambda _i: self.changed.emit(self.batch()))
        self.hide()

    def batch(self) -> bool:
        """Whether the plane is asked for with batch statistics."""
        return bool(self.mode.currentData())

    def follow(self, snap: Snapshot) -> None:
        """Shown only while the network has batch normalization."""
        if self.isHidden() == bool(snap.normalized):
            self.setVisible(bool(snap.normalized))


class BatchNormView(OnScreen):
    """The insights tab for batch normalization (see the module's docstring): a layer to choose,
    its units' rows, and what the batch was; a sentence for a network without it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay, head = titled(self, "batchNormView", _("Batch normalization"))
        self.layer = name_widget(QComboBox(), "bnLayer", _("Batch-normalization layer"),
                                 _("The layer whose units are shown"))  # fmt: skip
        self.layer.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.caption = Elided()  # what the batch was, beside the layer
        self.caption.setObjectName("legend")
        head.insertWidget(1, self.caption, 1)
        head.addWidget(self.layer)
        self.rows = UnitRows()
        self.rows.setToolTip(_(TIP))
        self.empty = Label(_(NO_BN))
        self.empty.setObjectName("emptyNote")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        holder = QWidget()
        self.stack = QStackedLayout(holder)
        self.stack.addWidget(self.rows)
        self.stack.addWidget(self.empty)
        lay.addWidget(holder, 1)
        self.stats: BatchNormStats | None = None
        self._names: tuple[str, ...] = ()
        self.layer.currentIndexChanged.connect(lambda _i: self.redraw())
        self.stack.setCurrentWidget(self.empty)

    def set_snapshot(self, snap: Snapshot) -> None:
        if not snap.normalized:
            self.stats = None
            self._fill(())
            self._say(_(NO_BN))
            return
        if snap.batch_norm is None:
            if self.stats is None:
                self._say(_("The batch-normalization layers are shown once the trainer has computed them."))
            return
        self.stats = snap.batch_norm
        layers = self.stats.layers
        # "layer 1 · 6 units"
        short = tuple(f"{n.name.partition(' (')[0]} · {count_rows(n.per, n.units)}" for n in layers)
        self._fill(short, tuple(n.name for n in layers))
        self.redraw()

    def _say(self, text: str) -> None:
        if self.empty.text() != text:  # called every frame for a network without batch normalization
            self.empty.setText(text)
            self.caption.set_full("")
        self.stack.setCurrentWidget(self.empty)
        self.layer.setVisible(False)

    def _fill(self, names: tuple[str, ...], tips: tuple[str, ...] = ()) -> None:
        if names == self._names:
            return
        self._names = names
        keep = self.layer.currentIndex()
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.addItems(list(names))
        for k, tip in enumerate(tips):
            self.layer.setItemData(k, tip, Qt.ItemDataRole.ToolTipRole)
        self.layer.setCurrentIndex(min(max(keep, 0), len(names) - 1))
        self.layer.blockSignals(False)

    def chosen(self) -> NormLayer | None:
        """The layer on screen, or None."""
        stats = self.stats
        if stats is None or not stats.layers:
            return None
        return stats.layers[min(max(self.layer.currentIndex(), 0), len(stats.layers) - 1)]

    def redraw(self) -> None:
        layer, stats = self.chosen(), self.stats
        if layer is None or stats is None:
            return
        self.layer.setVisible(True)
        self.stack.setCurrentWidget(self.rows)
        self.rows.set_layer(layer)
        if layer.values != stats.rows:
            over = (_("{count:,} values a channel") if layer.per == "channel" else _("{count:,} values a unit")).format(
                count=layer.values)
        else:
            over = ngettext("{count} example", "{count} examples", stats.rows).format(count=stats.rows)
        caption = (_("last step's batch: {over} · ● batch mean ◆ moving mean") if stats.trained else
                   _("first batch (no step yet): {over} · ● batch mean ◆ moving mean")).format(over=over)
        self.caption.set_full("  " + caption)


__all__ = ["BatchNormView", "PlaneMode", "UnitRows", "rows_that_fit"]
