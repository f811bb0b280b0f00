"""The time-travel bar: a slider over the snapshots kept during the run (see timeline.py for
which ones)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSlider, QVBoxLayout, QWidget

from engine.core.i18n import _

from ..run.timeline import MAX_KEPT
from ..widgets import Caption, Counter, name_widget


class TimeBar(QWidget):
    """Drag left to see the boundary, weights and curves as they were; "Live" returns."""

    moved = Signal(object)  # index into the kept snapshots, or None for live
    use_weights = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeBar")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 2, 8, 2)
        lay.setSpacing(2)
        self._top, self._bottom = QHBoxLayout(), QHBoxLayout()  # the bottom row only while compact
        lay.addLayout(self._top)
        lay.addLayout(self._bottom)
        self._top.addWidget(Caption(_("Time travel")))
        self.slider = name_widget(
            QSlider(Qt.Orientation.Horizontal),
            "timeSlider",
            _("Time travel"),
            _("Scrub back through the run. Kept: the weights and pictures of each frame drawn at a new "
              "epoch (while playing fast that is every few epochs, paused every epoch), at most "
              "{most}; when full every other one is dropped, so a long run keeps evenly spaced epochs.").format(
                most=MAX_KEPT),
        )
        self.slider.setRange(0, 0)
        self.label = Counter("epoch 00,000 of 00,000", min_width=150)  # fixed size: no re-layout per frame
        self.label.setObjectName("timeLabel")
        self.label.setText(_("live"))
        self.live = name_widget(QPushButton(_("Live")), "timeLive", _("Back to live"),
                                _("Back to the run as it is now"))
        self.restore = name_widget(
            QPushButton(_("Use these weights")),
            "timeRestore",
            _("Use these weights"),
            _("Carry on training from the weights shown (the curves keep their history)"),
        )
        self._top.addWidget(self.slider, 1)
        for w in (self.label, self.live, self.restore):
            self._top.addWidget(w)
        self.count = 0
        self.index: int | None = None  # None: live
        self._set_buttons()
        self.slider.valueChanged.connect(self._slid)
        self.live.clicked.connect(self.go_live)
        self.restore.clicked.connect(self.use_weights.emit)

    def set_compact(self, on: bool) -> None:
        """Two rows, the slider above the epoch and the buttons, for a narrow column (presentation);
        one row otherwise."""
        moved = (self.label, self.live, self.restore)
        for w in moved:
            (self._top if on else self._bottom).removeWidget(w)
        while self._bottom.count():  # the stretch between the epoch and the buttons
            self._bottom.takeAt(0)
        for i, w in enumerate(moved):
            if on and i == 1:
                self._bottom.addStretch(1)
            (self._bottom if on else self._top).addWidget(w)

    def set_count(self, count: int) -> None:
        """How many snapshots are kept; the slider's last position (count) means live."""
        if count == self.count:
            return
        self.count = count
        if self.index is None:
            self.label.setText(self._live_text(count))
        self.slider.blockSignals(True)
        self.slider.setRange(0, count)
        if self.index is None:
            self.slider.setValue(count)
        elif self.index >= count:  # thinned or a new run under our feet
            self.index = None
            self.slider.setValue(count)
            self.moved.emit(None)
        self.slider.blockSignals(False)
        self._set_buttons()

    def go_live(self) -> None:
        self.slider.setValue(self.count)  # emits through _slid
        if self.index is not None:
            self._slid(self.count)

    def show_epoch(self, epoch: int | None, live_epoch: int) -> None:
        if epoch is None:
            self.label.setText(self._live_text(self.count))
        else:
            self.label.setText(_("epoch {epoch:,} of {live:,}").format(epoch=epoch, live=live_epoch))

    @staticmethod
    def _live_text(count: int) -> str:
        """The label while live: how many snapshots are kept to travel back to."""
        return _("live · {count} kept").format(count=count) if count else _("live")

    def _slid(self, value: int) -> None:
        self.index = None if value >= self.count else value
        self._set_buttons()
        self.moved.emit(self.index)

    def _set_buttons(self) -> None:
        traveling = self.index is not None
        self.live.setEnabled(traveling)
        self.restore.setEnabled(traveling)
        self.slider.setEnabled(self.count > 0)


__all__ = ["TimeBar"]
