"""Text from files shown as text: labels, tooltips and message boxes that never parse HTML.

Qt guesses rich text from a string's first tag (Qt::AutoText), so a project note or a file name
holding `<img src="/dev/zero">` made Qt load that "image" until it ran out of memory. Every label
in the app is a `Label` (plain text unless a caller opts in with a literal of its own), every
tooltip that carries text from a file goes through `plain_tip`, and dialogs use `message_box`.
"""

from __future__ import annotations

import html
import sys

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget


class Label(QLabel):
    """A QLabel that shows its text as typed: markup in it is never interpreted."""

    def __init__(self, text: str | QWidget = "", parent: QWidget | None = None) -> None:
        if isinstance(text, QWidget):  # Label(parent), as QLabel(parent)
            text, parent = "", text
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)


class Counter(Label):
    """A label whose text changes every frame at a size that does not: Qt re-lays out a
    widget's parents on every new text unless its size is fixed (the control bar's wrapping
    layout cost 1.5 ms a frame that way). It has room for `widest` and grows only past it."""

    def __init__(self, widest: str, role: str = "", min_width: int = 0, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        if role:
            self.setProperty("role", role)  # before polishing: the style sheet sets its font
        self._widest, self._min_width = widest, min_width
        self._fix_size()

    def _fix_size(self) -> None:
        self.ensurePolished()
        hint = self.fontMetrics().size(0, self._widest)
        m = self.contentsMargins()
        width = max(self._min_width, hint.width() + m.left() + m.right() + 2)
        self.setFixedSize(width, hint.height() + m.top() + m.bottom())

    def changeEvent(self, event: QEvent) -> None:
        """A new font (View → Presentation) or style: the fixed size fits the widest text again."""
        try:
            super().changeEvent(event)
            if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange) and hasattr(self, "_widest"):
                self._fix_size()
        except Exception:  # an override of a Qt virtual: never back into the binding (see guarded)
            sys.excepthook(*sys.exc_info())

    def setText(self, text: str) -> None:
        if len(text) > len(getattr(self, "_widest", text)):  # Label.__init__ sets "" before _widest exists
            self._widest = text
            self._fix_size()
        super().setText(text)


MAX_SHOWN_TEXT = 2_000  # characters of a note or message shown at once: a megabyte would stall the layout


def cut(text: str, limit: int = MAX_SHOWN_TEXT) -> str:
    """`text` cut to `limit` characters, with a mark when something was left out."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_tip(text: str) -> str:
    """A tooltip string that shows `text` literally (tooltips always guess rich text)."""
    if not text:
        return ""
    return "<p style='white-space:pre-wrap'>" + html.escape(text).replace("\n", "<br>") + "</p>"


def menu_text(text: str) -> str:
    """`text` for a menu entry or button: a literal '&' instead of a shortcut marker."""
    return text.replace("&", "&&")


def message_box(
    parent: QWidget | None,
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok,
    default: QMessageBox.StandardButton = QMessageBox.StandardButton.NoButton,
) -> QMessageBox:
    """A message box whose text is plain (it often names a file the user chose)."""
    box = QMessageBox(icon, title, "", buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    if default != QMessageBox.StandardButton.NoButton:
        box.setDefaultButton(default)
    return box


def ask(
    parent: QWidget | None,
    title: str,
    text: str,
    buttons: QMessageBox.StandardButton,
    default: QMessageBox.StandardButton,
) -> QMessageBox.StandardButton:
    """A modal question with plain text; returns the button chosen."""
    box = message_box(parent, QMessageBox.Icon.Question, title, text, buttons, default)
    return QMessageBox.StandardButton(box.exec())
