"""Drawing a snapshot in every view, within a frame's budget.

Curves, histograms with gradient flow, and the runs table change slowly: while playing each
redraws about 10 times a second, one group per frame in turn, so no frame pays for all of them
(that frame was the slowest: 30 ms for the largest network).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.core.i18n import _, ngettext
from engine.core.numbers import number

from ..run.snapshot import Snapshot

SLOW_VIEWS_PERIOD = 0.1  # seconds between redraws of each slow view while playing
NETWORK_SHARE = 0.10  # of the UI's time while playing, the most the network view's repaints may take


@dataclass
class ViewRouter:
    controls: Any
    network: Any
    output: Any
    images: Any
    curves: Any
    histograms: Any
    gradients: Any
    hidden_space: Any
    runs: Any
    params_label: Any
    loss_label: Any
    rate_label: Any
    data_panel: Any
    view_label: Any
    slow_at: float = 0.0  # when a slow view last redrew
    slow_turn: int = 0  # and which group's turn it was
    network_at: float = 0.0  # when the network view last took a snapshot while playing
    area: Any = None  # the middle column: neuron graph, layer stack or the unrolled network
    batch_norm: Any = None  # the batch-normalization tab
    time_gradient: Any = None  # the gradient through time (recurrent layers on sequence data)

    def show(self, snap: Snapshot, force: bool = False) -> None:
        """Draw `snap` in every view (`force`: the slow views too, now)."""
        self.controls.set_epoch(snap.epoch, snap.steps)
        self.data_panel.set_dataset(snap.data.dataset)
        now = time.perf_counter()
        # A big network's repaint (thousands of antialiased edges) is spaced out so it takes at
        # most NETWORK_SHARE of the time; paused or forced, it always draws.
        if not snap.playing or force or now - self.network_at >= self.network.paint_ms / 1e3 / NETWORK_SHARE:
            self.network_at = now
            self.network.set_snapshot(snap)
        is_images = snap.data.dataset.image_shape is not None
        if self.area is not None:
            self.area.set_images(is_images)
            self.area.set_sequences(snap.data.dataset.sequence_shape is not None)
            self.area.layers.set_snapshot(snap)
            if snap.sequence is not None or self.area.unrolled.isVisible():
                self.area.unrolled.set_snapshot(snap)
        if self.images.isVisible() != is_images:
            self.images.setVisible(is_images)
            self.output.setVisible(not is_images)
        (self.images if is_images else self.output).set_snapshot(snap)
        slow: tuple[Callable[[], Any], ...] = (
            lambda: self.curves.set_snapshot(snap),
            lambda: (self.histograms.set_snapshot(snap), self.gradients.set_snapshot(snap),
                     self.time_gradient is not None and self.time_gradient.set_snapshot(snap)),
            self.runs.refresh,
        )
        now = time.perf_counter()
        if not snap.playing or force:
            for draw in slow:
                draw()
        elif now - self.slow_at >= SLOW_VIEWS_PERIOD / len(slow):
            self.slow_at = now
            self.slow_turn = (self.slow_turn + 1) % len(slow)
            slow[self.slow_turn]()
        if snap.hidden is not None:  # only while the hidden-space tab is on screen
            self.hidden_space.set_snapshot(snap)
        if self.batch_norm is not None and (snap.batch_norm is not None or not snap.normalized or force):
            self.batch_norm.set_snapshot(snap)  # its numbers come only while it is on screen
        count = sum(w.size for w in snap.weights)
        self.params_label.setText(ngettext("{count:,} parameter · <a href='summary'>model summary</a>",
                                           "{count:,} parameters · <a href='summary'>model summary</a>",
                                           count).format(count=count))
        loss = "—" if np.isnan(snap.last_loss) else number(snap.last_loss)  # NaN: no step yet
        rate = f"α {number(snap.learning_rate)}" if snap.learning_rate > 0 else _("α 0 (schedule ended)")
        self.loss_label.setText(_("epoch {epoch:,} · batch loss {loss} · {rate}").format(
            epoch=snap.epoch, loss=loss, rate=rate))
        self.rate_label.setText(_("{rate:,.0f} steps/s").format(rate=snap.steps_per_second) if snap.playing
                                else _("paused"))
        if self.view_label.text() != snap.thinned:
            self.view_label.setText(snap.thinned)
