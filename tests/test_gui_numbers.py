"""What the window shows of the numbers: exact zeros under L1, the losses and what they contain,
numbers that stay short when a run diverges, the watch on the loss, and views that follow the run."""

import re

import numpy as np
from helpers import wait_for
from PySide6.QtWidgets import QApplication

from engine.core.numbers import number
from engine.run.loss_watch import WINDOW
from playground.resources import PRESETS
from playground.run.snapshot import Snapshot

TIMEOUT = 30_000


def test_the_weights_panel_counts_exact_zeros_under_l1(qtbot, window):
    """Under the soft threshold, L1 leaves weights at exactly 0 (the subgradient, the default, does not)."""
    gen = window.session.snapshot.generation
    window.session.state.update(
        {
            "data.features": ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)"],
            "training.optimizer.learning_rate": 0.1,
            "training.regularization.kind": "l1",
            "training.regularization.rate": 0.01,
        }
    )
    wait_for(qtbot, window, lambda s: s.generation > gen)
    assert "sign(w)" in window.controls.reg.toolTip()
    window.session.state.update({"training.regularization.l1_rule": "proximal"})  # a live setting
    assert "soft threshold" in window.controls.reg.toolTip()
    window.show_view("weights")
    window.session.set_playing(True)
    snap = wait_for(qtbot, window, lambda s: s.epoch >= 30 and sum(int((k == 0).sum()) for k in s.weights[0::2]) > 0)
    window.session.set_playing(False)
    qtbot.waitUntil(lambda: window.histograms.zeros.text().startswith("L1 by soft threshold: "))
    assert f" of {sum(k.size for k in snap.weights[0::2]):,} exactly 0" in window.histograms.zeros.text()


def test_the_curves_offer_keras_fit_loss_and_say_what_loss_holds(qtbot, window):
    box = window.curves.metric_box
    assert [box.itemData(i) for i in range(box.count())] == ["loss", "accuracy", "fit_loss", "learning_rate"]
    assert "without the L1/L2 penalty" in box.toolTip() and "Keras's fit()" in box.toolTip()
    window.session.step("epoch")
    wait_for(qtbot, window, lambda s: s.epoch >= 1)
    window.session.step("epoch")
    snap = wait_for(qtbot, window, lambda s: s.epoch >= 2)
    box.setCurrentIndex(2)
    window.curves.set_snapshot(snap)
    _x, y = window.curves.curves[""].getData()
    np.testing.assert_allclose(y, list(snap.history["fit_loss"]))
    assert window.curves.plot.getPlotItem().getAxis("left").labelText == "batch loss + penalty"


def _x_range(plot):
    return plot.getPlotItem().getViewBox().viewRange()[0]


def test_a_diverging_lesson_keeps_its_numbers_short_and_says_what_happened(qtbot, window):
    """Issue 31, items 3 and 4: lesson 16's header read "J train 5381149627517822109542884833…" (264
    digits) and the status bar too; after the divergence the gradient verdict said "layer 1 gets no
    gradient: it does not learn"."""
    assert window.files.open_project(PRESETS / "16-lesson-learning-rate.json", preset=True)
    window.show_view("gradients")
    gen = window.session.snapshot.generation
    wait_for(qtbot, window, lambda s: s.generation > gen)
    window.session.set_playing(True)
    snap = wait_for(qtbot, window, lambda s: "diverged" in s.message, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not window.session.playing, timeout=TIMEOUT)
    window.router.show(snap, True)
    header, status = window.curves.numbers.text(), window.loss_label.text()
    loss = snap.history["loss"][-1]
    assert loss > 1e6 and f"train {number(loss)}" in header, header  # 7.944e260, say
    for text in (header, status, window.banner.text()):
        assert not re.search(r"\d{12}", text), text
    assert len(header) < 80 and len(status) < 80
    assert window.banner.text().endswith("Try 0.3 or lower. Then press Reset to start again from the initial weights.")
    assert snap.diverged and window.gradients.readout.text().startswith("Training diverged")
    assert "no gradient" not in window.gradients.readout.text()


def test_a_loss_that_bounces_without_diverging_puts_a_word_on_the_banner(qtbot, window):
    """Issue 31, item 4: SGD at α = 10 on the tanh spiral bounced between 5 and 20 for 540 epochs
    without a word. Lowering α (live) ends the warning."""
    assert window.files.open_project(PRESETS / "04-spiral-tanh.json", preset=True)
    gen = window.session.snapshot.generation
    window.session.state.set("training.optimizer", {"name": "sgd", "learning_rate": 10.0})
    wait_for(qtbot, window, lambda s: s.generation > gen)
    window.session.set_playing(True)
    qtbot.waitUntil(lambda: window.banner.isVisible() and "too high" in window.banner.text(), timeout=TIMEOUT)
    snap = window.session.snapshot
    assert snap.epoch >= WINDOW and not snap.message and not snap.diverged
    assert window.banner.property("kind") == "warning"
    assert "without diverging: α = 10 is likely too high for SGD here. Try 1 or lower." in window.banner.text()
    window.session.state.set("training.optimizer.learning_rate", 0.03)  # live: the watch starts afresh
    qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=TIMEOUT)
    epoch = window.session.snapshot.epoch
    wait_for(qtbot, window, lambda s: s.epoch >= epoch + WINDOW + 5, timeout=TIMEOUT)
    assert not window.banner.isVisible() and window.session.snapshot.loss_warning == ""
    window.session.set_playing(False)


def test_a_new_run_never_shows_the_last_runs_curve_axis(qtbot, window):
    """Issue 31, item 6: in lesson 17 at epoch 3 the x axis still ran 0-4000 from an earlier run."""
    window.session.set_playing(True)
    wait_for(qtbot, window, lambda s: s.epoch >= 25, timeout=TIMEOUT)
    window.session.set_playing(False)
    snap = wait_for(qtbot, window, lambda s: not s.playing)
    window.router.show(snap, True)
    assert _x_range(window.curves.plot)[1] >= 50
    gen = snap.generation
    window.session.reset()
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    QApplication.processEvents()
    assert snap.epoch == 0 and _x_range(window.curves.plot)[1] < 11  # an empty run's axis, 1 to 10
    x, _y = window.curves.curves[""].getData()
    assert x is None or len(x) == 0
    window.session.step("epoch")
    snap = wait_for(qtbot, window, lambda s: s.epoch == 1)
    window.router.show(snap, True)
    assert _x_range(window.curves.plot)[1] < 11 and len(window.curves.curves[""].getData()[0]) == 1


def test_the_curves_axis_spans_epochs_whose_loss_is_not_finite(qtbot, window):
    """A run whose last losses are ∞ still spans all its epochs, and its header says ∞."""
    snap = window.session.snapshot
    history = {k: [float("nan")] * 40 for k in snap.history}
    history["loss"] = [0.7 - 0.01 * k for k in range(30)] + [float("inf")] * 10
    window.curves.set_snapshot(Snapshot(**{**snap.__dict__, "history": history, "epoch": 40}))
    assert 40 <= _x_range(window.curves.plot)[1] <= 52
    assert window.curves.numbers.text() == "data loss train ∞"


def test_the_weight_histogram_over_time_follows_the_weights(qtbot, window):
    """Issue 31, item 6: the histogram over time stayed at −3…3 while logistic regression's weights
    reached 5-7 at α = 10: everything beyond piled into the edge bins."""
    assert window.files.open_project(PRESETS / "01-logistic-regression.json", preset=True)
    gen = window.session.snapshot.generation
    window.session.state.set("training.optimizer.learning_rate", 10.0)
    wait_for(qtbot, window, lambda s: s.generation > gen)
    window.show_view("weights")
    view = window.histograms
    ever = 0.0  # the largest weight the run has had
    for epoch in range(1, 9):
        window.session.step("epoch")
        snap = wait_for(qtbot, window, lambda s, epoch=epoch: s.epoch == epoch)
        ever = max(ever, max(float(np.abs(k).max()) for k in snap.weights[0::2]))
        qtbot.waitUntil(lambda epoch=epoch: view._last_epoch == epoch, timeout=TIMEOUT)
    kernels = np.concatenate([k.ravel() for k in snap.weights[0::2]])
    assert ever > 3  # past the old fixed range
    assert ever <= view.span < 2 * ever and np.log2(view.span) == round(np.log2(view.span))
    np.testing.assert_allclose(_x_range(view.over_time), [-view.span, view.span])
    rows = view.rows[0]
    assert len(rows) == 9 and all(int(r.sum()) == kernels.size for r in rows)  # nothing lost re-binning
    edges = np.linspace(-view.span, view.span, view.BINS + 1)
    np.testing.assert_array_equal(rows[-1], np.histogram(kernels, bins=edges)[0])
    assert rows[-1][0] + rows[-1][-1] < kernels.size  # not all in the edge bins


def test_plot_axes_read_as_the_other_numbers(qtbot, window):
    """pyqtgraph's ticks turned to "1e+04" at 10,000 epochs and "-5e+153" for a diverged weight."""
    for plot in (window.curves.plot, window.histograms.now, window.output.plot):
        axis = plot.getAxis("bottom")
        assert axis.tickStrings([0, 10_000, 20_000], 1, 10_000) == ["0", "10000", "20000"]
        assert axis.tickStrings([-5e153, 0, 5e153], 1, 5e153) == ["-5e153", "0", "5e153"]
        assert axis.tickStrings([-1e-17, 0.5, 1.0], 1, 0.5) == ["0", "0.5", "1.0"]
