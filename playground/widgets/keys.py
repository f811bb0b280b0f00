"""Keys that belong to the focused control: the window's single-key shortcuts (Space plays,
S steps, R resets) must not take them from a checkbox, a list or a text field."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtCore import Qt as _Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QWidget,
)

from .common import guarded


class FocusKeys(QObject):
    """Watches only the focused widget of `window` (an application-wide filter would run
    Python for every event the app handles) and lets it keep the keys it uses itself."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        QApplication.instance().focusChanged.connect(self._focus_changed)

    def _focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        for widget, watch in ((old, False), (new, True)):
            try:
                if widget is not None and widget.window() is self.window:
                    (widget.installEventFilter if watch else widget.removeEventFilter)(self)
            except RuntimeError:  # a widget deleted as focus left it
                pass

    @guarded
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Space toggles a checkbox or opens a combo box instead of starting training; R, S and
        Space type into a text field."""
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(watched, QWidget):
            return False
        typing = isinstance(watched, (QLineEdit, QAbstractSpinBox)) or (
            isinstance(watched, QComboBox) and watched.isEditable()
        )
        uses_space = isinstance(watched, (QAbstractButton, QComboBox, QAbstractSlider))
        if (event.key() == _Qt.Key.Key_Space and (typing or uses_space)) or (typing and event.text().isprintable()
                                                                             and event.text()):  # fmt: skip
            event.accept()
            return True
        return False
