"""Views into training itself: gradient flow per layer, and the hidden space a layer maps
the input plane into (ConvNetJS's favourite demo)."""

from __future__ import annotations

import re

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QStackedLayout, QWidget

from engine.core.i18n import N_, _, ngettext, term
from engine.core.initializers import INITIALIZERS, keras_fans, zero_start
from engine.core.numbers import number

from ..colors import class_color, diverging_rgb, layer_color
from ..plotlib import pg
from ..run.snapshot import GRAD_BINS, Snapshot
from ..widgets import Label, OnScreen, guarded, name_widget
from .plotting import MIN_DATA_HEIGHT, ema, layer_key, layer_name, line_plot, make_plot, nice_ceiling, set_range, titled

ZERO_GRADIENT = 1e-12  # a layer's gradient norm at or below this is treated as none at all
#: Every layer's ‖∂J/∂W‖·‖W‖ / J below this: no layer gets a gradient that matters. That product is
#: what a step as long as the weights themselves, downhill, would take off the loss (first order),
#: as a share of it: it needs no learning rate or optimizer, and it compares layers of any size.
#: Measured over 5,000 steps: preset 20's deep tanh stack at N(0, 0.05²) stays below 1e-3 in every
#: layer, while every other dense preset keeps a layer above 2e-2 (tests/test_gui_insights.py checks
#: shorter runs of both).
FLAT = 5e-3
#: The verdict after a divergence: the last finite weights are huge or saturated, so their gradients
#: (often 0 in the first layers) would be read as "no gradient" otherwise.
DIVERGED = N_("Training diverged: these are the gradients of the last finite weights, which are huge or saturated, "
               "so they say nothing about how gradients flow. Fix what the banner names, then press Reset.")
SENSITIVITY_TIP = N_(
    "‖∂J/∂W‖·‖W‖ / J per layer: the share of the loss a step as long as the layer's weights themselves, "
    "downhill, would remove (to first order). Below {flat} in every layer, no layer gets a gradient that "
    "matters, whatever the learning rate"
)
NO_STEP = N_("Train a step with at least one hidden layer to see how gradients flow back.")
NO_HIDDEN = N_("Add a hidden layer to see the space it maps the inputs into.")


def sensitivity_tip() -> str:
    """The gradient view's tooltip in the user's language, with FLAT as a percentage."""
    return _(SENSITIVITY_TIP).format(flat=f"{FLAT:.1%}")


COMPACT_BELOW = 150  # px of the gradient view under which its legend leaves the values to the tooltip
PLOTS_LEAST = 55  # px the plots keep in a short gradient view (ticks, ~25 px of curves); the verdict is cut first


class GradientFlowView(OnScreen):
    """Each layer's gradient per weight (RMS of ∂J/∂w) over the run, log scale, and the spread of
    today's gradients. Per weight, because a norm grows with the number of weights: a 784×128
    kernel can out-norm a 128×10 one whose weights each get four times as much.

    With deep sigmoid stacks the first layers' lines sit decades below the output's: each
    σ'(z) ≤ 0.25 on the way back shrinks the gradient (vanishing gradients)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay, _head = titled(self, "gradientView", _("Gradient flow"))
        self.readout = Label(" ")
        self.readout.setTextFormat(Qt.TextFormat.RichText)  # coloured swatches; every word is ours
        self.readout.setObjectName("legend")
        self.readout.setWordWrap(True)
        self.readout.setToolTip(sensitivity_tip())
        row = QHBoxLayout()
        self.norms = make_plot("gradientNormPlot")
        self.norms.setLogMode(y=True)
        self.norms.setLabel("left", _("RMS ∂J/∂w per weight"))
        self.norms.setLabel("bottom", term("epoch"))
        self.norms.setToolTip(_(
            "Size of each layer's weight gradient per weight, √(mean (∂J/∂w)²), over the run (log scale, smoothed "
            "over recent batches). Per weight, so layers with more weights are not made to look bigger"
        ))
        self.spread = make_plot("gradientHistogramPlot")
        self.spread.setLabel("bottom", "log₁₀ |∂J/∂w|")
        self.spread.setToolTip(_("How many weights of each layer have a gradient of each size (now)"))
        for plot in (self.norms, self.spread):  # a short tab drops the x titles before the curves
            plot.setProperty(MIN_DATA_HEIGHT, 24)
        row.addWidget(self.norms, 3)
        row.addWidget(self.spread, 2)
        plots = QWidget()
        plots.setObjectName("gradientPlots")
        plots.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        # Without a hidden layer (or before a step) there is nothing to compare: the message alone,
        # not an empty plot beside it.
        self.empty = Label("")
        self.empty.setObjectName("emptyNote")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        holder = QWidget()
        self.stack = QStackedLayout(holder)
        self.stack.addWidget(plots)
        self.stack.addWidget(self.empty)
        lay.addWidget(holder, 1)
        lay.addWidget(self.readout)
        self.empty.setText(_(NO_STEP))
        self.stack.setCurrentWidget(self.empty)
        self.readout.hide()
        self.norm_curves: list[pg.PlotDataItem] = []
        self.hist_curves: list[pg.PlotDataItem] = []
        self._layers = -1
        self._assessed: Snapshot | None = None  # the snapshot the readout says, for a change of height
        self._compact = False

    @guarded
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._assessed is not None and (self._compact or self._short() != self._compact):
            self._say(self._assessed)  # a short readout's verdict is fitted to the view's size: at each resize

    def _short(self) -> bool:
        """Too short for the values beside the layers' names (1280×720: a 4-line readout was cut)."""
        return self.height() < COMPACT_BELOW

    def _say(self, snap: Snapshot) -> None:
        self._assessed, self._compact = snap, self._short()
        text, tip = assess(snap, values=not self._compact)
        if self._compact:  # the verdict cut with "…" where it would squeeze the plots (whole in the tooltip)
            verdict, br, legend = text.partition("<br>")  # no legend: a message alone (diverged, no step)
            shown = self._fit(verdict, re.sub(r"<[^>]*>", "", legend).replace("&nbsp;", " "))
            if shown != verdict:
                tip = f"{verdict}\n\n{tip}"
            text = shown + br + legend
        self.readout.setText(text)
        self.readout.setToolTip(tip)

    def _fit(self, verdict: str, legend: str) -> str:
        """The verdict's first words (and "…") that fit above the legend with PLOTS_LEAST px left to
        the plots, at least one line of them; all of it where it fits."""
        # The view's width, not the label's: a label not laid out yet is 100 px wide.
        metrics, width = self.readout.fontMetrics(), max(self.layout().contentsRect().width(), 1)

        def height(text: str) -> int:
            return metrics.boundingRect(QRect(0, 0, width, 100_000), Qt.TextFlag.TextWordWrap, text).height()

        room = max(self.height() - PLOTS_LEAST - (height(legend) if legend else 0), metrics.lineSpacing())
        if height(verdict) <= room:
            return verdict
        words = verdict.split(" ")
        lo, hi = 1, len(words) - 1  # the most words that fit (the first always shows)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if height(" ".join(words[:mid]) + "…") <= room else (lo, mid - 1)
        return " ".join(words[:lo]) + "…"

    def _rebuild(self, n_layers: int) -> None:
        self._layers = n_layers
        self.norms.clear()
        self.spread.clear()
        self.norm_curves, self.hist_curves = [], []
        for i in range(n_layers):
            pen = pg.mkPen(layer_color(i), width=2)
            self.norm_curves.append(line_plot(self.norms, pen))
            self.hist_curves.append(self.spread.plot([0, 1], [0], stepMode="center", pen=pen))

    def set_snapshot(self, snap: Snapshot) -> None:
        flow = snap.gradients
        if flow is None or not flow.rms.shape[0] or flow.rms.shape[1] < 2:
            text = assess(snap)[0]
            if flow is not None and flow.rms.shape[0]:  # a step was taken: it is the network that lacks a layer
                text = _("With no hidden layer there is one layer of weights: add a hidden layer to see how the "
                         "gradient flows back through the layers.")
            if flow is not None or self.stack.currentWidget() is self.empty:
                self.empty.setText(text)
                self.stack.setCurrentWidget(self.empty)
                self.readout.hide()
            return
        if self.stack.currentWidget() is self.empty:
            self.stack.setCurrentIndex(0)
            self.readout.show()
        n_layers = len(flow.histograms)
        if n_layers != self._layers:
            self._rebuild(n_layers)
        top = 1.0
        for i, (curve, hist) in enumerate(zip(self.hist_curves, flow.histograms)):
            curve.setData(GRAD_BINS, hist)
            top = max(top, float(hist.max()) if hist.size else 0.0)
            norms = flow.rms[:, i] if flow.rms.shape[0] else np.zeros(0)
            ok = np.isfinite(norms) & (norms > 0)
            if ok.any():  # one batch's gradient is noisy: smooth in log space, where it varies
                self.norm_curves[i].setData(flow.epochs[ok], 10 ** ema(np.log10(norms[ok]), 0.8))
            else:
                self.norm_curves[i].setData([], [])
        set_range(self.spread, "x", GRAD_BINS[0], GRAD_BINS[-1])
        set_range(self.spread, "y", 0, nice_ceiling(top * 1.05))
        if flow.epochs.size:
            set_range(self.norms, "x", 0, nice_ceiling(max(flow.epochs[-1], 1.0)), 0.02)
            positive = flow.rms[np.isfinite(flow.rms) & (flow.rms > 0)]
            if positive.size:
                lo, hi = np.log10(positive.min()), np.log10(positive.max())
                set_range(self.norms, "y", np.floor(lo) - 0.2, np.ceil(hi) + 0.2)
        self._say(snap)

    @staticmethod
    def describe(snap: Snapshot) -> str:
        """What a learner can act on, first: how much smaller the first layer's gradient is, per
        weight, or that no layer gets one that matters; then each layer's RMS gradient."""
        return assess(snap)[0]


def assess(snap: Snapshot, values: bool = True) -> tuple[str, str]:
    """The gradient view's verdict with each layer's RMS gradient per weight, and its tooltip (why
    no layer gets a gradient, in full, when none does). Without `values` the legend names the layers
    only and the values open the tooltip (a short tab)."""
    flow = snap.gradients
    if flow is None or not flow.rms.shape[0] or flow.rms.shape[1] < 2:
        return _(NO_STEP), sensitivity_tip()
    recent = flow.rms[-20:]
    recent = recent[np.all(np.isfinite(recent), axis=1)]
    if getattr(snap, "diverged", False) or not recent.shape[0]:
        return _(DIVERGED), sensitivity_tip()
    last = 10 ** np.mean(np.log10(np.maximum(recent, 1e-300)), axis=0)  # geometric mean
    first, out = float(last[0]), float(last[-1])
    said = [number(v, 2) if v > ZERO_GRADIENT else "0" for v in last]
    if values:
        parts = " ".join(f"<span style='color:rgb{layer_color(i)}'>■</span> {layer_name(i, last.size)} {v}"
                         for i, v in enumerate(said))  # fmt: skip
    else:  # a short tab: the layers by number, so that a deep net's legend is one line
        parts = layer_key(last.size, numbered=True)
    dead = [layer_name(i, last.size) for i, v in enumerate(last) if v <= ZERO_GRADIENT]
    flat = sensitivity(snap, last)
    tip = sensitivity_tip()
    if dead:
        verdict = ngettext("{layers} gets no gradient: it does not learn.",
                           "{layers} get no gradient: they do not learn.", len(dead)).format(layers=", ".join(dead))
    elif flat is not None and float(flat.max()) < FLAT:
        verdict, tip = _flat(snap, float(flat.max()))
    elif out / first >= 10:
        verdict = _("A layer 1 weight gets 1/{ratio} of an output weight's gradient (RMS per weight): it learns "
                    "slowly (vanishing).").format(ratio=number(out / first, 2, grouped=True))
    elif first / out >= 10:
        verdict = _("A layer 1 weight gets {ratio}× an output weight's gradient (RMS per weight): gradients grow on "
                    "the way back.").format(ratio=number(first / out, 2, grouped=True))
    else:
        verdict = _("A layer 1 weight gets {ratio}× an output weight's gradient (RMS per weight): no "
                    "vanishing.").format(ratio=number(first / out, 2))
    network = snap.project.get("network", {})
    if network.get("initializer") == "zeros":  # tanh/ReLU: no gradient at all; sigmoid: symmetric units
        layers = [layer for layer in network.get("layers", []) if "activation" in layer]
        verdict += " " + zero_start([layer["activation"] for layer in layers], network.get("bias_init", 0.0),
                                    any(layer.get("dropout", 0) > 0 for layer in layers))  # fmt: skip
    # The verdict first: with many layers the values take lines, and a short tab cuts the last ones.
    if not values:
        listed = ", ".join(f"{layer_name(i, last.size)} {v}" for i, v in enumerate(said))
        tip = _("RMS ∂J/∂w per weight: {values}").format(values=listed) + "\n\n" + tip
    return f"{verdict}<br>{parts}", tip


def sensitivity(snap: Snapshot, rms: np.ndarray) -> np.ndarray | None:
    """Per layer, ‖∂J/∂W‖·‖W‖ / J from the RMS gradient per weight `rms`, the snapshot's kernels
    and the last batch's loss J: the share of the loss a downhill step as long as the weights
    would remove. None when the snapshot cannot say (no weights, a loss of 0 or not finite)."""
    kernels = list(getattr(snap, "kernels", None) or list(getattr(snap, "weights", []))[0::2])
    loss = float(getattr(snap, "last_loss", np.nan))
    if len(kernels) != rms.size or not np.isfinite(loss) or loss <= 0:
        return None
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run's weights: inf, not a warning
        return np.array([r * np.sqrt(k.size) * float(np.linalg.norm(k)) / loss for r, k in zip(rms, kernels)])


def _flat(snap: Snapshot, most: float) -> tuple[str, str]:
    """Why no layer gets a gradient that matters (`most`: the largest ‖∂J/∂W‖·‖W‖/J), short and in
    full: weights too small for the layers' widths (each layer scales its inputs' spread by about
    RMS(w)·√(inputs), exactly so for tanh near 0, so the signal fades going forward and δ coming
    back), put down to the initial scale only while each layer is still at it; else a flat place."""
    kernels = snap.kernels
    gains = np.array([_rms(k) * np.sqrt(k.size / k.shape[-1]) for k in kernels])
    shrink = float(np.prod(gains))
    how = _("‖∂J/∂W‖·‖W‖/J is at most {most} in every layer: a step as long as a layer's weights, downhill, would "
            "take at most {percent} off the loss, to first order.").format(most=number(most, 2),
                                                                           percent=f"{number(100 * most, 2)}%")
    if shrink >= 1e-2:
        return (_("Every layer gets almost no gradient: the loss is flat here (a minimum, or saturated or dead "
                  "units)."), how + " " + sensitivity_tip())  # fmt: skip
    init = snap.project.get("network", {}).get("initializer", "")
    drawn = init in INITIALIZERS.names() and all(
        0.5 < _rms(k) / max(_initial_rms(init, k.shape), 1e-300) < 2 for k in kernels)  # fmt: skip
    values = {"init": init, "shrink": number(shrink, 1), "count": gains.size}
    if drawn:
        short = ngettext("Every layer gets almost no gradient: the weights are too small for their layers' widths, as "
                         "{init} drew them (×{shrink} through {count} layer, forward and back).",
                         "Every layer gets almost no gradient: the weights are too small for their layers' widths, as "
                         "{init} drew them (×{shrink} through {count} layers, forward and back).", gains.size)
    else:
        short = ngettext("Every layer gets almost no gradient: the weights are too small for their layers' widths "
                         "(×{shrink} through {count} layer, forward and back).",
                         "Every layer gets almost no gradient: the weights are too small for their layers' widths "
                         "(×{shrink} through {count} layers, forward and back).", gains.size)
    short = short.format(**values)
    if not init.startswith(("glorot", "he_")):
        short += " " + _("Try glorot_normal, then Reset.")
    full = how + " " + _("Each layer scales the spread of its inputs by about RMS(w)·√(inputs): {low} to {high} here, "
                         "{shrink} through all {count}, so the signal fades on its way forward and δ on its way "
                         "back.").format(low=number(gains.min(), 2), high=number(gains.max(), 2), **values)
    if drawn:
        full += " " + _("The initial scale did it: every layer is still about as large as {init} drew it.").format(
            init=init)
    full += " " + _("glorot_normal (Xavier) starts a layer as wide as its inputs near 1 (he_normal for ReLU); choose "
                    "it, then press Reset.")
    return short, full


def _rms(a: np.ndarray) -> float:
    with np.errstate(over="ignore", invalid="ignore"):  # huge weights give inf, not a warning
        return float(np.sqrt(np.mean(np.square(a, dtype=np.float64))))


def _initial_rms(init: str, shape: tuple[int, ...]) -> float:
    """The RMS of a kernel of `shape` as the initializer draws it (estimated on 1,000 draws with
    the kernel's fans, so a big kernel costs nothing)."""
    values = INITIALIZERS.get(init)((1000,), np.random.default_rng(0), keras_fans(shape))
    return _rms(values)


class HiddenSpaceView(OnScreen):
    """The input plane's grid lines and the data points as a chosen hidden layer maps them,
    drawn on two of its neurons; the grid warps live as the network trains."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay, head = titled(self, "hiddenView", _("Hidden space"))
        self.layer = name_widget(QComboBox(), "hiddenLayer", _("Hidden layer"), _("The hidden layer to look into"))
        self.neuron_x = name_widget(QComboBox(), "hiddenNeuronX", _("Horizontal neuron"), _("Neuron on the x axis"))
        self.neuron_y = name_widget(QComboBox(), "hiddenNeuronY", _("Vertical neuron"), _("Neuron on the y axis"))
        for text, w in ((_("layer"), self.layer), ("x", self.neuron_x), ("y", self.neuron_y)):
            w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            head.addWidget(Label(text))
            head.addWidget(w)
        self.plot = make_plot("hiddenPlot")
        self.plot.setToolTip(_(
            "Each hidden layer bends the input plane: grey lines are the plane's grid lines, dots the "
            "training points, placed by the two chosen neurons' activations. Classes a layer pulls "
            "apart become separable by the next layer's straight lines."
        ))
        self.grid = pg.PlotDataItem([], [], pen=pg.mkPen(185, 185, 185, width=1), connect="finite")
        self.points = pg.ScatterPlotItem(size=5, pen=pg.mkPen(255, 255, 255, width=0.8))
        self.plot.addItem(self.grid)
        self.plot.addItem(self.points)
        self.empty = Label(_(NO_HIDDEN))
        self.empty.setObjectName("emptyNote")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        holder = QWidget()
        self.stack = QStackedLayout(holder)
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.empty)
        lay.addWidget(holder, 1)
        self.snapshot: Snapshot | None = None
        self._shape: tuple[int, ...] = ()
        self._names: tuple[str, ...] = ()
        self._brush_key: tuple | None = None
        self.layer.currentIndexChanged.connect(self._layer_changed)
        self.neuron_x.currentIndexChanged.connect(lambda _i: self.redraw())
        self.neuron_y.currentIndexChanged.connect(lambda _i: self.redraw())

    def set_snapshot(self, snap: Snapshot) -> None:
        self.snapshot = snap
        hidden = snap.hidden
        widths = tuple(p.shape[1] for p in hidden.points) if hidden is not None else ()
        names = hidden.names if hidden is not None else ()
        if hidden is not None and (widths, names) != (self._shape, self._names):
            self._shape, self._names = widths, names
            self._fill_combos(widths)
        self.redraw()

    def _fill_combos(self, widths: tuple[int, ...]) -> None:
        keep = self.layer.currentIndex()
        self.layer.blockSignals(True)
        self.layer.clear()
        names = self._names or [layer_name(i, len(widths) + 1) for i in range(len(widths))]
        self.layer.addItems([f"{name} ({w})" for name, w in zip(names, widths)])
        self.layer.setCurrentIndex(min(max(keep, 0), len(widths) - 1))
        self.layer.blockSignals(False)
        self._layer_changed()

    def _layer_changed(self, _index: int = 0) -> None:
        i = self.layer.currentIndex()
        units = self._shape[i] if 0 <= i < len(self._shape) else 0
        for combo, default in ((self.neuron_x, 0), (self.neuron_y, 1)):
            keep = combo.currentIndex()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([_("neuron {number}").format(number=k + 1) for k in range(units)])
            combo.setCurrentIndex(keep if 0 <= keep < units else min(default, units - 1))
            combo.blockSignals(False)
        self.redraw()

    def redraw(self) -> None:
        snap = self.snapshot
        hidden = snap.hidden if snap is not None else None
        if hidden is None or not hidden.points:
            conv = snap is not None and snap.kernels[0].ndim == 4
            self.empty.setText(_("Add a dense layer after the flatten to see the space it maps the images into.")
                               if conv else _(NO_HIDDEN))  # fmt: skip
            self.stack.setCurrentWidget(self.empty)
            return
        self.stack.setCurrentWidget(self.plot)
        layer = min(max(self.layer.currentIndex(), 0), len(hidden.points) - 1)
        i, j = max(self.neuron_x.currentIndex(), 0), max(self.neuron_y.currentIndex(), 0)
        pts = hidden.points[layer]
        i, j = min(i, pts.shape[1] - 1), min(j, pts.shape[1] - 1)
        xs, ys = [pts[:, i]], [pts[:, j]]
        if hidden.lines:
            lines = hidden.lines[layer]
            gap = np.full((lines.shape[0], 1), np.nan)
            gx = np.concatenate([lines[:, :, i], gap], axis=1).ravel()
            gy = np.concatenate([lines[:, :, j], gap], axis=1).ravel()
            self.grid.setData(gx, gy)
            xs.append(gx[np.isfinite(gx)])
            ys.append(gy[np.isfinite(gy)])
        else:
            self.grid.setData([], [])
        self._color_points(snap, hidden.labels)
        self.points.setData(pts[:, i], pts[:, j])
        self.points.setBrush(self._brushes)
        self._fit("x", np.concatenate(xs))
        self._fit("y", np.concatenate(ys))
        self.plot.setLabel("bottom", _("neuron {number}").format(number=i + 1))
        self.plot.setLabel("left", _("neuron {number}").format(number=j + 1))

    def _color_points(self, snap: Snapshot, labels: np.ndarray) -> None:
        key = (snap.generation, labels.size)
        if key == self._brush_key:
            return
        self._brush_key = key
        ds = snap.data.dataset
        if ds.problem == "regression":
            colors = diverging_rgb(labels, -1, 1)
        else:
            colors = np.array([class_color(int(c), ds.classes) for c in labels])
        self._brushes = [pg.mkBrush(*map(int, c)) for c in colors]

    def _fit(self, axis: str, values: np.ndarray) -> None:
        """Axis limits on a coarse step so they do not jitter every frame."""
        values = values[np.isfinite(values)]
        if not values.size:
            return
        lo, hi = float(values.min()), float(values.max())
        step = nice_ceiling(max(hi - lo, 1e-6) / 8)
        set_range(self.plot, axis, np.floor(lo / step) * step, np.ceil(hi / step) * step, 0.04)


__all__ = ["GradientFlowView", "HiddenSpaceView"]
