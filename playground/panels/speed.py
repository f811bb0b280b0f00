"""The speed control: how fast training goes on screen, from one step a second to as fast as the
machine goes, with a slow start (playground/run/pacing.py says what each choice does and keeps the
pace on the worker). One preference for the whole app, kept in QSettings: the control bar's list
(`speed`) and the optimizer race's (`raceSpeed`) show and change the same one."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import QComboBox, QWidget

from engine.core.i18n import N_, _

from ..run.pacing import FASTEST, SPEEDS, Speed, speed_named
from ..widgets import name_widget

SETTINGS_KEY = "speed"
SPEED_TIP = N_(
    "How fast training goes while playing: slow motion (one mini-batch update a second), a number of "
    "epochs a second, a slow start (the first epochs at 2 a second, then faster and faster) or as fast as "
    "the machine goes. It changes only the pace, never the numbers; Step is not held back."
)


class SpeedControl(QComboBox):
    """The list of speeds: `chosen` when the user picks one, `shown` whenever the speed it shows
    is set (by the user, or by the preference it is attached to)."""

    chosen = Signal(object)  # a Speed
    shown = Signal(object)  # a Speed

    def __init__(self, object_name: str = "speed", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        name_widget(self, object_name, _("Training speed"), _(SPEED_TIP))
        for i, speed in enumerate(SPEEDS):
            self.addItem(_(speed.label), speed.key)
            tip = _("{speed}: {what}").format(speed=_(speed.label), what=_(speed.help))
            self.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setCurrentIndex(self.findData(FASTEST.key))
        self.attached = False  # shows a SpeedPreference
        self.currentIndexChanged.connect(self._picked)

    def _picked(self, index: int) -> None:
        if index < 0:
            return
        self.chosen.emit(SPEEDS[index])
        if not self.attached:  # an attached control shows it when its preference says so
            self.shown.emit(SPEEDS[index])

    def speed(self) -> Speed:
        """The speed shown."""
        return speed_named(self.currentData())

    def show_speed(self, speed: Speed) -> None:
        """Show `speed` without reporting it as chosen."""
        self.blockSignals(True)
        self.setCurrentIndex(self.findData(speed.key))
        self.blockSignals(False)
        self.shown.emit(speed)


class SpeedPreference(QObject):
    """The speed every window trains at, remembered in `settings` under "speed"."""

    changed = Signal(object)  # the new Speed

    def __init__(self, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.value = speed_named(settings.value(SETTINGS_KEY, FASTEST.key))

    def set(self, speed: Speed) -> None:
        """Choose `speed` (remembered, and shown by every control attached)."""
        if speed == self.value:
            return
        self.value = speed
        self.settings.setValue(SETTINGS_KEY, speed.key)
        self.changed.emit(speed)

    def attach(self, control: SpeedControl, apply: Callable[[Speed], object]) -> None:
        """Have `control` show and change this preference, and `apply` it (to a worker) now and on
        every change for as long as the control lives (a race window's goes with its window)."""
        control.attached = True
        control.shown.connect(apply)
        control.chosen.connect(self.set)
        self.changed.connect(control.show_speed)
        control.show_speed(self.value)
