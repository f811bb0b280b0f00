"""What the window shows of the numbers: exact zeros under L1, the losses and what they contain."""

from helpers import wait_for


def test_the_weights_panel_counts_exact_zeros_under_l1(qtbot, window):
    gen = window.snapshot.generation
    window.state.update(
        {
            "data.features": ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)"],
            "training.optimizer.learning_rate": 0.1,
            "training.regularization.kind": "l1",
            "training.regularization.rate": 0.01,
        }
    )
    wait_for(qtbot, window, lambda s: s.generation > gen)
    window.show_view("weights")
    window.set_playing(True)
    snap = wait_for(qtbot, window, lambda s: s.epoch >= 30 and sum(int((k == 0).sum()) for k in s.weights[0::2]) > 0)
    window.set_playing(False)
    qtbot.waitUntil(lambda: "weights exactly 0" in window.histograms.zeros.text())
    assert window.histograms.zeros.text().split()[2] == f"{sum(k.size for k in snap.weights[0::2]):,}"
