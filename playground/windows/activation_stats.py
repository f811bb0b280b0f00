"""Tools → Activation Statistics: each hidden layer's activations at initialisation, as
histograms and as the spread per layer, for this project's network or a stack like CS231n's
10 × 500 tanh, with the initializer (and random_normal's σ) chosen here.

`engine.teaching.activation_stats` computes them on this window's job thread; each result stays on the
spread plot (up to MAX_KEPT), so N(0, 0.01²), N(0, 1) and Xavier can be compared on one axis.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.core.activations import ACTIVATIONS, hidden_activations
from engine.core.errors import PlaygroundError
from engine.core.i18n import N_, _
from engine.core.initializers import INITIALIZERS
from engine.core.initializers import formula as init_formula
from engine.core.layers import is_convolutional
from engine.core.numbers import number
from engine.teaching.activation_stats import (
    MAX_LAYERS,
    MAX_UNITS,
    ActivationStats,
    activation_statistics,
    standard_inputs,
)

from ..colors import layer_color
from ..panels.plotting import line_plot, make_plot
from ..plotlib import pg
from ..run.jobs import Jobs
from ..run.session import Session
from ..widgets import NumberEdit, add_words, captioned, choose_data, name_widget, wrapped
from .worked import num

ROWS = 1000  # examples pushed through (CS231n's 1,000)
PER_ROW = 5  # histograms in a row of the grid
MAX_KEPT = 6  # results kept on the spread plot
COLLAPSED = 1e-3  # the last layer's spread below this share of the first's: collapsed
SATURATED = 0.5  # more than this share with f'(z) < 0.01: saturated
CS231N = (("random_normal", 0.01), ("random_normal", 1.0), ("glorot_normal", None))
SOURCES = (("project", N_("this project's hidden layers")), ("stack", N_("a stack of equal layers")))


def verdict(r: ActivationStats) -> str:
    """What the numbers say, in one or two sentences a learner can act on."""
    stds = r.stds
    n = len(stds)
    flat = float(np.mean([layer.flat for layer in r.layers]))
    zero = float(np.mean([layer.zero for layer in r.layers]))
    first, last = num(stds[0], 3), num(stds[-1], 3)
    spread = _("The spread (std) goes from {first} in layer 1 to {last} in layer {layers}").format(
        first=first, last=last, layers=n)
    if n > 1 and stds[0] > 0:
        factor = (stds[-1] / stds[0]) ** (1 / (n - 1)) if stds[-1] > 0 else 0.0
        spread = _("The spread (std) goes from {first} in layer 1 to {last} in layer {layers}, ×{factor} a layer on "
                   "average").format(first=first, last=last, layers=n, factor=num(factor, 2))
    if n > 1 and stds[0] > 0 and stds[-1] < COLLAPSED * stds[0]:
        out = _("{spread}. The activations collapse towards 0, and the gradients flowing back through these "
                "weights shrink the same way: the first layers cannot learn.").format(spread=spread)
    elif flat > SATURATED:
        out = _("{spread}. {share} of the activations sit where f′(z) < 0.01 (saturated): almost no gradient passes "
                "back through them.").format(spread=spread, share=f"{flat:.0%}")
    else:
        out = _("{spread}: no collapse to 0 and no saturation ({share} of the activations have f′(z) < 0.01).").format(
            spread=spread, share=f"{flat:.0%}")
    if zero > 0.05:
        out += " " + _("{share} are exactly 0 (ReLU's off side).").format(share=f"{zero:.0%}")
    return out


class ActivationWindow(QDialog):
    """Histograms of every hidden layer's activations and the spread per layer, at initialisation."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("activationStats")
        self.setWindowTitle(_("Activation statistics"))
        self.session = session
        self.jobs = Jobs(self)
        self.jobs.done.connect(self._show)
        self.jobs.failed.connect(self._failed)
        self.jobs.moved.connect(lambda done, total: self.say(_("Computing: layer {done} of {total}…").format(
                                                                 done=done, total=total)))
        self.result: ActivationStats | None = None
        self.kept: list[tuple[str, ActivationStats]] = []
        self.queue: list[tuple[str, float | None]] = []  # settings still to compute (CS231n's three)

        lay = QVBoxLayout(self)
        lay.addWidget(wrapped(
            _("{rows:,} examples pushed through freshly drawn weights (biases 0), before any training. Weights too "
              "small shrink the activations layer by layer towards 0 (about σ·√fan_in a layer); too large and tanh "
              "or sigmoid units sit at their flat ends, where f′(z) ≈ 0. Either way little gradient flows back. "
              "Every histogram shares one axis.").format(rows=ROWS), "legend"))  # fmt: skip
        row = QHBoxLayout()
        self.source = name_widget(QComboBox(), "actNetwork", _("Network"))
        for key, text in SOURCES:
            self.source.addItem(_(text), key)
        self.layers = name_widget(QSpinBox(), "actLayers", _("Layers"))
        self.layers.setRange(1, MAX_LAYERS)
        self.layers.setValue(10)
        self.units = name_widget(QSpinBox(), "actUnits", _("Units per layer"))
        self.units.setRange(1, MAX_UNITS)
        self.units.setValue(500)
        self.activation = name_widget(QComboBox(), "actActivation", _("Activation"))
        add_words(self.activation, ACTIVATIONS, hidden_activations())
        choose_data(self.activation, "tanh")
        self.initializer = name_widget(QComboBox(), "actInitializer", _("Initializer"))
        add_words(self.initializer, INITIALIZERS, about=init_formula)
        self.sigma = name_widget(NumberEdit(0.01, 1e-6, 100.0), "actSigma", _("σ of random_normal"),
                                 _("The standard deviation of random_normal's N(0, σ²)"))  # fmt: skip
        self.sigma.setFixedWidth(70)
        self.sigma.refused.connect(self.say)
        self.seed = name_widget(QSpinBox(), "actSeed", _("Seed"), _("Another seed draws other weights"))
        self.seed.setRange(0, 9999)
        for text, w in ((_("network"), self.source), (_("layers"), self.layers), (_("units"), self.units),
                        (_("activation"), self.activation), (_("initializer"), self.initializer),
                        (_("stddev"), self.sigma), (_("seed"), self.seed)):  # fmt: skip
            row.addWidget(captioned(text, w))
        self.compute_button = name_widget(QPushButton(_("Compute")), "actCompute", _("Compute the statistics"))
        self.compute_button.clicked.connect(self.compute)
        self.compare_button = name_widget(
            QPushButton(_("CS231n's three")), "actCompare", _("CS231n's three"),
            _("N(0, 0.01²), N(0, 1) and Xavier (glorot_normal) on this network, one after another"),
        )  # fmt: skip
        self.compare_button.clicked.connect(self.compare_three)
        self.clear_button = name_widget(QPushButton(_("Clear")), "actClear", _("Clear the spread plot"))
        self.clear_button.clicked.connect(self.clear_kept)
        for b in (self.compute_button, self.compare_button, self.clear_button):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        self.network_note = wrapped("", "actNetworkNote")
        lay.addWidget(self.network_note)

        body = QHBoxLayout()
        self.histograms = pg.GraphicsLayoutWidget()
        self.histograms.setObjectName("actHistograms")
        self.histograms.setMinimumSize(420, 300)
        body.addWidget(self.histograms, 3)
        self.std_plot = make_plot("actStdPlot")
        self.std_plot.setLogMode(y=True)
        self.std_plot.setLabel("bottom", _("layer"))
        self.std_plot.setLabel("left", _("std of the activations"))
        self.std_plot.addLegend(offset=(10, -10))  # bottom left: collapsing curves leave it, flat ones stay high
        self.std_plot.setMinimumWidth(280)
        body.addWidget(self.std_plot, 2)
        lay.addLayout(body, 1)
        self.summary = wrapped("", "actSummary")
        lay.addWidget(self.summary)
        self.message = wrapped("", "actMessage")
        lay.addWidget(self.message)

        self.source.currentIndexChanged.connect(self._source_chosen)
        self.initializer.currentIndexChanged.connect(lambda _i: self._enable())
        self.finished.connect(lambda _result: self.jobs.shutdown())
        self.resize(1200, 690)
        self._start_from_project()

    # ----------------------------------------------------------------- settings
    def _project_layers(self) -> tuple[list[tuple[int, object]], str] | None:
        """The running project's hidden layers and initializer, or None when there are none to use."""
        snap = self.session.snapshot
        if snap is None:
            return None
        net = snap.project["network"]
        if is_convolutional(net["layers"]) or not net["layers"]:
            return None
        return [(int(layer["units"]), layer["activation"]) for layer in net["layers"]], net["initializer"]

    def _start_from_project(self) -> None:
        """Open on this project's network with its initializer, else on CS231n's stack with N(0, 0.01²)."""
        found = self._project_layers()
        if found is None:
            self.source.setCurrentIndex(1)
            choose_data(self.initializer, "random_normal")
        else:
            self.source.setCurrentIndex(0)
            choose_data(self.initializer, found[1])
            self.sigma.set_value(0.05)  # random_normal's own default, as the project draws it
        self._source_chosen()
        self.compute()

    def _source_chosen(self, _index: int = 0) -> None:
        stack = self.source.currentData() == "stack"
        found = self._project_layers()
        if not stack and found is None:
            self.say(_("This project has no dense hidden layers to look at (or convolution layers): a stack is used."))
            self.source.setCurrentIndex(1)
            return
        if not stack:
            layers, _init = found
            shape = " → ".join(f"{u} {a if isinstance(a, str) else a.get('name')}" for u, a in layers)
            self.network_note.setText(_("This project's hidden layers: {shape}, fed its training inputs.").format(
                                          shape=shape))
        else:
            self.network_note.setText(
                _("{rows:,} inputs of as many features as units, each N(0, 1), as CS231n's.").format(rows=ROWS)
            )
        self._enable()

    def _enable(self) -> None:
        stack = self.source.currentData() == "stack"
        for w in (self.layers, self.units, self.activation):
            w.setEnabled(stack)
        self.sigma.setEnabled(self.initializer.currentData() == "random_normal")

    def setting(self) -> tuple[str, float | None]:
        init = self.initializer.currentData()
        return init, (self.sigma.value() if init == "random_normal" else None)

    # ----------------------------------------------------------------- jobs
    def compute(self) -> int | None:
        """The statistics for the settings shown (a job replaces one still running)."""
        self.queue = []
        return self._submit(*self.setting())

    def compare_three(self) -> int | None:
        """CS231n's comparison on the network shown: N(0, 0.01²), N(0, 1), then Xavier."""
        self.queue = list(CS231N[1:])
        return self._submit(*CS231N[0])

    def _submit(self, initializer: str, stddev: float | None) -> int | None:
        try:
            x, layers = self._inputs()
        except PlaygroundError as exc:
            self.say(str(exc))
            return None
        seed = self.seed.value()
        self.say(_("Computing…"))
        return self.jobs.submit(lambda progress: activation_statistics(x, layers, initializer, stddev, seed, progress))

    def _inputs(self) -> tuple[np.ndarray, list[tuple[int, object]]]:
        if self.source.currentData() == "stack":
            units = self.units.value()
            layers: list[tuple[int, object]] = [(units, self.activation.currentData())] * self.layers.value()
            return standard_inputs(ROWS, units, self.seed.value()), layers
        found = self._project_layers()
        if found is None:
            raise PlaygroundError(_("This project has no dense hidden layers to look at."))
        x = self.session.snapshot.data.x_train
        return x.reshape(x.shape[0], -1)[:ROWS], found[0]

    def _failed(self, message: str) -> None:
        self.queue = []
        self.say("" if message == "cancelled" else message)

    def _show(self, r: ActivationStats) -> None:
        self.result = r
        act = r.layers[0].activation
        name = f"{r.label()}, {len(r.layers)} × {ACTIVATIONS.words(act) if isinstance(act, str) else act}"
        self.kept = [*[(k, v) for k, v in self.kept if k != name][-(MAX_KEPT - 1) :], (name, r)]
        self._draw_histograms(r)
        self._draw_spreads()
        self.summary.setText(f"{r.label()}: {verdict(r)}")
        self.say("")
        if self.queue:
            self._submit(*self.queue.pop(0))

    def clear_kept(self) -> None:
        self.kept = [(k, v) for k, v in self.kept if v is self.result]
        self._draw_spreads()

    # ----------------------------------------------------------------- drawing
    def _draw_histograms(self, r: ActivationStats) -> None:
        self.histograms.clear()
        for i, layer in enumerate(r.layers):
            plot = self.histograms.addPlot(row=i // PER_ROW, col=i % PER_ROW)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.getViewBox().setMouseEnabled(False, False)
            plot.setTitle(_("layer {number}: std {std}").format(number=i + 1, std=num(layer.std, 2)), size="8pt")
            plot.plot(r.edges, layer.counts, stepMode="center", fillLevel=0,
                      brush=pg.mkBrush(*layer_color(0), 160), pen=pg.mkPen(layer_color(0)))  # fmt: skip
            plot.getAxis("left").setStyle(showValues=False)
            plot.getAxis("bottom").setTicks([[(v, f"{number(v, 6)}") for v in (r.edges[0], 0.0, r.edges[-1])]])
            plot.setXRange(r.edges[0], r.edges[-1], padding=0.1)
            plot.setYRange(0, max(1.0, float(layer.counts.max())), padding=0.05)

    def _draw_spreads(self) -> None:
        self.std_plot.clear()
        for k, (name, r) in enumerate(self.kept):
            stds = np.maximum(r.stds, 1e-300)
            pen = pg.mkPen(layer_color(k), width=3 if r is self.result else 1.5)
            curve = line_plot(self.std_plot, pen, name=name, symbol="o", symbolSize=5,
                              symbolBrush=pg.mkBrush(layer_color(k)), symbolPen=None)  # fmt: skip
            curve.setData(np.arange(1, len(stds) + 1), stds)
        most = max((len(r.layers) for _name, r in self.kept), default=1)
        every = 1 if most <= 12 else 5
        self.std_plot.getAxis("bottom").setTicks([[(k, str(k)) for k in range(1, most + 1, every)], []])

    def say(self, text: str) -> None:
        self.message.setText(text)
