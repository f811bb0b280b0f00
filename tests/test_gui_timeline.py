"""Time travel: a slider over snapshots kept during the run (bounded), showing the past."""

import dataclasses

import numpy as np
from helpers import wait_for
from PySide6.QtCore import Qt

from playground.run.snapshot import GradientFlow, Thinned
from playground.run.timeline import MAX_KEPT, Timeline, snapshot_bytes


def test_the_timeline_keeps_one_snapshot_per_epoch_within_its_cap(qtbot, window):
    snap = window.session.snapshot
    tl = Timeline()
    for epoch in range(1, 2000):
        tl.add(dataclasses.replace(snap, epoch=epoch))
        tl.add(dataclasses.replace(snap, epoch=epoch))  # a second frame of the same epoch: not kept
    assert len(tl) <= MAX_KEPT
    epochs = [s.epoch for s in tl.snapshots]
    assert epochs[0] == 1 and len(set(np.diff(epochs))) == 1  # evenly thinned over the whole run
    assert all(s.history == {} for s in tl.snapshots)  # history is cut from the live one instead
    tl.add(dataclasses.replace(snap, generation=snap.generation + 1, epoch=0))
    assert len(tl) == 1  # a new run starts a new timeline
    assert isinstance(tl._kept, Thinned)


def test_kept_snapshots_are_light_and_the_gradient_log_is_cut_from_the_live_one(qtbot, window):
    snap = window.session.snapshot
    layers = len(snap.weights) // 2
    log = np.linspace(0.5, 9.5, 10)  # a record every epoch
    flow = GradientFlow(log, np.arange(10.0 * layers).reshape(10, layers), [np.ones(56)] * layers)
    full = dataclasses.replace(snap, epoch=4, gradients=flow)
    tl = Timeline()
    tl.add(full)
    kept = tl.snapshots[0]
    assert kept.history == {} and kept.gradients.rms.shape == (0, layers)
    assert kept.output_grid.dtype == np.float16 and all(g.dtype == np.float16 for g in kept.neuron_grids)
    assert snapshot_bytes(kept) < snapshot_bytes(full) / 3  # float16 grids, no gradient log
    big = dataclasses.replace(snap, output_grid=snap.output_grid * 1e6, epoch=5)  # a regression's range
    tl.add(big)
    assert tl.snapshots[-1].output_grid.dtype == np.float32
    assert tl.nbytes == sum(snapshot_bytes(s) for s in tl.snapshots)
    live = dataclasses.replace(snap, epoch=10, gradients=flow)
    past = tl.at(0, live)
    np.testing.assert_array_equal(past.gradients.epochs, log[:4])  # records up to epoch 4 only
    np.testing.assert_array_equal(past.gradients.rms, flow.rms[:4])


def test_thinned_obeys_a_lowered_cap():
    kept = Thinned(100)
    for i in range(80):
        kept.add(i)
    kept.cap = 16
    kept.add(80)
    assert len(kept) <= 16 and kept.items[0] == 0
    assert len(set(np.diff(kept.items))) == 1  # still an even stride


def test_scrubbing_back_shows_the_boundary_weights_and_curves_as_they_were(qtbot, window):
    window.session.step("epoch")
    first = wait_for(qtbot, window, lambda s: s.epoch == 1)
    for e in range(2, 6):  # one snapshot per epoch (steps sent at once would be drawn once)
        window.session.step("epoch")
        live = wait_for(qtbot, window, lambda s, e=e: s.epoch == e)
    bar = window.time_bar
    qtbot.waitUntil(lambda: bar.count == 6)  # epochs 0..5
    assert bar.slider.value() == 6 and bar.index is None and not bar.live.isEnabled()
    bar.slider.setValue(1)  # epoch 1
    shown = window.session.shown
    assert shown.epoch == 1 and bar.label.text() == "epoch 1 of 5"
    for a, b in zip(shown.weights, first.weights):
        np.testing.assert_array_equal(a, b)
    kept_grid = window.output.snapshot.output_grid
    assert kept_grid.dtype == np.float16  # kept light: the grids only become colours
    np.testing.assert_allclose(kept_grid, first.output_grid, rtol=1e-3, atol=1e-4)
    x, _y = window.curves.curves[""].getData()
    assert list(x) == [1]  # the curves as they were at epoch 1
    assert window.network.snapshot is shown
    # Live snapshots keep arriving (an edit) but the past stays on screen until "Live".
    window.session.state.set("training.optimizer.learning_rate", 0.05)
    seq = window.session.last_sent
    wait_for(qtbot, window, lambda s: s.applied >= seq)
    assert window.session.shown.epoch == 1
    qtbot.mouseClick(bar.live, Qt.MouseButton.LeftButton)
    assert bar.index is None and window.session.shown.epoch == 5
    np.testing.assert_array_equal(window.output.snapshot.output_grid, window.session.snapshot.output_grid)
    assert live.epoch == 5


def test_use_these_weights_carries_on_from_the_past(qtbot, window):
    window.session.step("epoch")
    first = wait_for(qtbot, window, lambda s: s.epoch == 1)
    for e in range(2, 5):
        window.session.step("epoch")
        wait_for(qtbot, window, lambda s, e=e: s.epoch == e)
    qtbot.waitUntil(lambda: window.time_bar.count == 5)
    window.time_bar.slider.setValue(1)
    qtbot.mouseClick(window.time_bar.restore, Qt.MouseButton.LeftButton)
    snap = wait_for(qtbot, window, lambda s: np.array_equal(s.weights[0], first.weights[0]))
    assert window.time_bar.index is None and snap.epoch == 4  # the run goes on, from those weights


def test_playing_returns_to_live(qtbot, window):
    window.session.step("epoch")
    wait_for(qtbot, window, lambda s: s.epoch == 1)
    qtbot.waitUntil(lambda: window.time_bar.count == 2)
    window.time_bar.slider.setValue(0)
    assert window.session.shown.epoch == 0
    window.session.set_playing(True)
    qtbot.waitUntil(lambda: window.time_bar.index is None and window.session.shown is window.session.snapshot)
    window.session.set_playing(False)
