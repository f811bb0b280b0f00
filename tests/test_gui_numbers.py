"""What the window shows of the numbers: exact zeros under L1, the losses and what they contain."""

import numpy as np
from helpers import wait_for


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
