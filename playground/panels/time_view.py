"""The gradient through time: for each recurrent layer, ‖∂ℓ/∂h_t‖ at every step t (log scale),
the gradient of one sequence's loss reaching that step's state, averaged over a fixed set of
training sequences at the current weights, with the verdict in words (how much of the last
step's gradient step 1 gets, and what to do about it). The numbers are measured on the worker
(playground/run/sequence_probe.py); this view draws them.

A SimpleRNN's line falls by a constant factor a step (each step multiplies the gradient by
Uᵀ·f′(z)), a straight slope on the log scale: over 50 steps the first one learns nothing. An
LSTM's cell carries it back through its forget gates instead, and training opens them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabWidget, QWidget

from engine.core.i18n import N_, _, ngettext

from ..colors import layer_color
from ..plotlib import pg
from ..run.sequence_probe import TimeGradient, share
from ..run.snapshot import Snapshot
from ..widgets import Label, OnScreen
from ..widgets.common import Steady
from .plotting import line_plot, make_plot, set_range, titled

TIP = N_("‖∂ℓ/∂h_t‖: how large the gradient of one sequence's loss is when it reaches the hidden state of step t, "
       "from the output and back through every later step (backpropagation through time), averaged over the "
       "first training sequences at the current weights (log scale). Where the line falls away to the left, "
       "the first steps barely learn: the gradient vanished on its way back")  # fmt: skip


class TimeGradientView(OnScreen):
    """One line per recurrent layer over the steps, and the verdict beneath (see the module's
    docstring); the worker measures it only while this view is on screen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay, _head = titled(self, "timeGradientView", _("Gradient through time"))
        self.plot = make_plot("timeGradientPlot")
        self.plot.setLogMode(y=True)
        self.plot.setLabel("left", "‖∂ℓ/∂hₜ‖")
        self.plot.setLabel("bottom", _("step t"))
        self.plot.setToolTip(_(TIP))
        self.plot.setMinimumHeight(64)  # readable when the tabs are short (1280×720), the verdict whole below
        # Top left, where the lines are low (they rise to the right), over a light veil when they are not.
        self.legend = self.plot.addLegend(offset=(8, 4), labelTextSize="8pt", brush=(255, 255, 255, 200))
        lay.addWidget(self.plot, 1)
        self.verdict = Label(_("Train a recurrent network on sequence data to see how far back its gradient reaches."))
        self.verdict.setObjectName("timeVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.PlainText)
        self.verdict.setToolTip(_(TIP))
        lay.addWidget(Steady(self.verdict))  # as tall as its lines (three in Korean at 1280×720)
        self.curves: list[pg.PlotDataItem] = []
        self.gradient: TimeGradient | None = None  # what the view draws now
        self._names: tuple[str, ...] = ()

    def set_snapshot(self, snap: Snapshot) -> None:
        grad = snap.time_gradient
        if grad is None:
            if snap.data.dataset.sequence_shape is None:
                self._clear(_("The gradient through time is for recurrent layers on sequence data (sine, adding, "
                              "parity, or a file of sequences)."))  # fmt: skip
            return
        if grad is self.gradient:
            return
        self.gradient = grad
        names = tuple(f"{g.name} ({g.kind})" for g in grad.layers)
        if names != self._names:
            self._rebuild(names)
        top, bottom = 0.0, np.inf
        for curve, g in zip(self.curves, grad.layers):
            steps = np.arange(1, g.norms.size + 1)
            ok = np.isfinite(g.norms) & (g.norms > 0)
            curve.setData(steps[ok], g.norms[ok])
            if ok.any():
                top, bottom = max(top, float(g.norms[ok].max())), min(bottom, float(g.norms[ok].min()))
        if grad.layers:
            set_range(self.plot, "x", 1, max(2, grad.layers[0].norms.size), 0.02)
        if top > 0:
            set_range(self.plot, "y", np.floor(np.log10(bottom)) - 0.2, np.ceil(np.log10(top)) + 0.2)
        self.verdict.setText(self.words())

    def words(self) -> str:
        """The verdict, then each layer's step-1 share when there is more than one recurrent layer."""
        grad = self.gradient
        if grad is None:
            return self.verdict.text()
        text = grad.verdict()
        if len(grad.layers) > 1:
            parts = [_("{layer} ({kind}): step 1 gets {share}").format(
                         layer=g.name, kind=g.kind, share=share(float(g.norms[0]), float(g.norms[-1])))
                     for g in grad.layers if g.norms.size > 1 and g.norms[-1] > 0 and np.all(np.isfinite(g.norms))]
            text += (" " + "; ".join(parts) + ".") if parts else ""
        return ngettext("{verdict} (over {rows} training sequence, at step {steps:,})",
                        "{verdict} (over {rows} training sequences, at step {steps:,})", grad.rows).format(
            verdict=text, rows=grad.rows, steps=grad.steps)

    def _rebuild(self, names: tuple[str, ...]) -> None:
        self._names = names
        for curve in self.curves:
            self.plot.removeItem(curve)
        self.legend.clear()
        self.curves = []
        for i, name in enumerate(names):
            pen = pg.mkPen(layer_color(i), width=2)
            curve = line_plot(self.plot, pen, symbol="o", symbolSize=4, symbolBrush=pg.mkBrush(layer_color(i)),
                              symbolPen=None, name=name)  # fmt: skip
            self.curves.append(curve)

    def _clear(self, text: str) -> None:
        self.gradient = None
        for curve in self.curves:
            curve.setData([], [])
        self.verdict.setText(text)


class SequenceTabs:
    """The tabs of a tab widget that exist for sequence data only (the gradient through time):
    hidden for other data; one a project asks for before its data are in comes to the front when
    they are (`shown` is called whenever one comes to the front: the presentation layout reveals
    its tabs)."""

    def __init__(self, tabs: QTabWidget, shown: Callable[[], None], names: tuple[str, ...] = ("tab_time",)) -> None:
        self.tabs, self.shown, self.names = tabs, shown, names
        self.wanted: int | None = None  # a tab asked for, not shown yet

    def bring(self, i: int) -> None:
        """Tab `i` to the front now, or as soon as it is shown."""
        if self.tabs.isTabVisible(i):
            self.tabs.setCurrentIndex(i)
            self.shown()
            self.wanted = None
        else:
            self.wanted = i

    def follow(self, sequences: bool) -> None:
        """Show or hide the sequence tabs for the run's data (from each frame)."""
        for i in range(self.tabs.count()):
            if self.tabs.widget(i).objectName() in self.names and self.tabs.isTabVisible(i) != sequences:
                if not sequences and self.tabs.currentIndex() == i:
                    # At the front as it goes (a preset opened from the command line asked for it before
                    # the first frame, of the project before it, hid it): it comes back with its data.
                    self.wanted = i
                self.tabs.setTabVisible(i, sequences)
                if sequences and self.wanted == i:
                    self.bring(i)
