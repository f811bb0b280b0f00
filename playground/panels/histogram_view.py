"""The weights view: each layer's kernel weights now, one layer's histogram over the run (a row
per epoch), and how many weights are exactly 0 under the L1 rule in use."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QSizePolicy, QWidget

from engine.core.i18n import N_, _, ngettext, term
from engine.core.regularizers import L1_RULES
from engine.project.fields import field

from ..colors import color_name, layer_color
from ..plotlib import pg
from ..run.snapshot import Snapshot
from ..widgets import Label, name_widget
from .plotting import layer_key, layer_name, make_plot, nice_ceiling, set_range, titled

ZEROS_TIP = N_("Kernel weights that are exactly 0. Only L1 by the soft threshold or by TensorFlow Playground's rule "
               "makes useless weights exactly 0; by the subgradient (Keras, PyTorch) they only get small")
#: What each L1 rule does to weights at zero, for the Weights tab (the formulas are L1_RULES').
L1_ZEROS = {
    "subgradient": N_("It shrinks weights towards 0 but seldom to exactly 0 (they jitter around it)."),
    "proximal": N_("It sets a weight to exactly 0 whenever the optimizer's step leaves it within α·λ of 0; it may "
                   "leave 0 again at a later step."),
    "tfp": N_("It sets a weight to 0 when its penalty step, w − α·λ·sign(w), would carry it across 0, and that "
              "link is dead for the rest of the run (no gradient, no update)."),
}
#: The Weights tab's line under each L1 rule: how many weights are exactly 0 and what the rule does to them.
L1_LINES = {
    "subgradient": N_("L1 by {name}: {zeros:,} of {total:,} exactly 0 (weights shrink, seldom to 0)"),
    "proximal": N_("L1 by {name}: {zeros:,} of {total:,} exactly 0 (small weights land on 0)"),
    "tfp": N_("L1 by {name} rule: {zeros:,} of {total:,} exactly 0, {dead:,} dead for good"),
}


def zeros_text(snap: Snapshot) -> tuple[str, str]:
    """The Weights tab's count of exact zeros and, under L1, which rule is on and what it does to
    zeros (the rules differ most there): the label's text and its tooltip."""
    kernels = snap.kernels
    n_zero = sum(int(np.count_nonzero(k == 0.0)) for k in kernels)
    total = sum(k.size for k in kernels)
    reg = snap.project.get("training", {}).get("regularization", {})
    if reg.get("kind") != "l1":
        text = ngettext("{zeros:,} of {total:,} weight exactly 0", "{zeros:,} of {total:,} weights exactly 0",
                        total).format(zeros=n_zero, total=total)
        return (text if n_zero else ""), _(ZEROS_TIP)
    rule = reg.get("l1_rule", "subgradient")
    name = _(field("training.regularization.l1_rule").name_of(rule))
    n_dead = sum(int(np.count_nonzero(d)) for d in snap.dead) if snap.dead is not None and rule == "tfp" else 0
    text = _(L1_LINES[rule]).format(name=name, zeros=n_zero, total=total, dead=n_dead)
    tip = " ".join((_("The L1 rule in use: {name}.").format(name=name), _(L1_ZEROS[rule]),
                    _("Formula: {formula}.").format(formula=L1_RULES[rule])))
    if not reg.get("rate"):
        tip += " " + (_("The rate is 0: no more links die; the dead ones stay dead.") if rule == "tfp" else
                      _("The rate is 0: L1 does nothing now."))  # fmt: skip
    return text, tip


MIN_SPAN = 0.5  # the histogram over time spans at least [−½, ½]


def span_for(largest: float) -> float:
    """The histogram over time's half-width for weights up to `largest` in size: the next power of
    two (at least ½), so a wider span's bins nest the narrower one's exactly."""
    if not np.isfinite(largest) or largest <= MIN_SPAN:
        return MIN_SPAN
    return float(2.0 ** np.ceil(np.log2(largest)))


def rebin(counts: np.ndarray, old: float, new: float) -> np.ndarray:
    """Counts over BINS equal bins of [−old, old] as counts over BINS bins of [−new, new] (new ≥
    old, both powers of two: each old bin lies inside one new bin)."""
    bins = counts.size
    centres = (np.arange(bins) + 0.5) * (2 * old / bins) - old
    index = np.clip(((centres + new) / (2 * new / bins)).astype(int), 0, bins - 1)
    out = np.zeros(bins, dtype=counts.dtype)
    np.add.at(out, index, counts)
    return out


class HistogramView(QWidget):
    """Each layer's kernel weights now, and one layer's histogram over time (a row per epoch).

    The rows over time span [−s, s], s the smallest power of two that holds every weight the run
    has had: when a weight grows past it, s doubles (as often as needed) and the rows already kept
    are re-binned, so weights of 5 to 7 (±400 at α = 10) are drawn where they are instead of piling
    into the edge bins of a fixed range."""

    MAX_ROWS = 400
    BINS = 64  # even, so the bins of [−s, s] nest inside those of [−2s, 2s]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay, head = titled(self, "histogramView", _("Weights"))
        self.layer = name_widget(
            QComboBox(),
            "histogramLayer",
            _("Histogram layer"),
            _("The layer whose weight histogram over time is shown on the right"),
        )
        # A line of its own under the header, shown while it has something to say: beside the key it
        # pushed the layers' colours out of the row at 1280 and at 1600 pixels alike. (Taking its
        # height from the plots instead cut their axis titles at 1280×720.)
        self.zeros = name_widget(Label(""), "zeroWeights", _("Exactly zero weights"), _(ZEROS_TIP))
        self.zeros.setWordWrap(True)  # never wider than the panel
        self.zeros.hide()
        # Which colour is which layer, in the header: a legend inside the small plot hid the bars.
        self.key = name_widget(Label(""), "histogramKey", _("Layer colours"))
        self.key.setTextFormat(Qt.TextFormat.RichText)  # coloured swatches; every word is ours
        # Nine layers' names must not widen the window, nor be cut ("layer 1 layer 2" and no more): the key
        # takes most of the free room and wraps onto a second line when it must.
        self.key.setWordWrap(True)
        self.key.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        head.insertWidget(2, self.key, 4)
        head.addWidget(self.layer)
        row = QHBoxLayout()
        self.now = make_plot("histogramPlot")
        self.now.setMinimumHeight(70)
        self.now.setLabel("bottom", _("kernel weight"))
        self.now.setLabel("left", _("weights"))
        self.now.setToolTip(_("How many kernel weights have each value now, one colour per layer"))
        self.over_time = make_plot("histogramTimePlot")
        self.over_time.setLabel("bottom", _("kernel weight"))
        self.over_time.setLabel("left", term("epoch"))
        self.over_time.setToolTip(_("The chosen layer's histogram over the run: a row per epoch, darker = more "
                                    "weights"))
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
        self.rows: list[list[np.ndarray]] = []  # per layer, per epoch kept: counts over BINS bins of [−span, span]
        self.span = MIN_SPAN
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
            self.rows = [[] for __ in range(n_layers)]
            self.span = MIN_SPAN
            self._last_epoch = -1
            # Past four layers they are numbered ("layers: ■1 ■2 …"), so nine fit a line or two of a short tab.
            self.key.setText(layer_key(n_layers, numbered=n_layers > 4))
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
            kernels = [w[np.isfinite(w)] for w in snap.kernels]
            largest = max((float(np.max(np.abs(w))) for w in kernels if w.size), default=0.0)
            span = span_for(largest)
            if span > self.span:  # weights outgrew the span: widen it, the kept rows with it
                self.rows = [[rebin(r, self.span, span) for r in rows] for rows in self.rows]
                self.span = span
            edges = np.linspace(-self.span, self.span, self.BINS + 1)
            for i, w in enumerate(kernels):
                counts, __ = np.histogram(w, bins=edges)
                self.rows[i].append(counts)
                if len(self.rows[i]) > self.MAX_ROWS:
                    self.rows[i] = self.rows[i][::2]  # thin: keep every other row, bounded memory
            self._draw_time()

    def _draw_time(self) -> None:
        i = self.layer.currentIndex()
        if not 0 <= i < len(self.rows) or not self.rows[i]:
            self.time_image.clear()
            return
        counts = np.array(self.rows[i], dtype=float)
        img = counts / np.maximum(1.0, counts.max(axis=1, keepdims=True))  # each row on its own scale
        self.time_image.setImage(img, autoLevels=False, levels=(0, 1))
        self.time_image.setRect(-self.span, 0, 2 * self.span, max(self._last_epoch, 1))
        set_range(self.over_time, "x", -self.span, self.span)
        set_range(self.over_time, "y", 0, max(self._last_epoch, 1))
