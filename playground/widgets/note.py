"""A project's note (a preset's lesson text): it stays on screen while training and folds to
one line, so what to look at is never lost behind a Play. Notes about how the project was made
(what a TensorFlow Playground link's import adapted) go under it, instead of a dialog that would
stand between the user and the window."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QToolButton, QWidget

from engine.core.i18n import _, pick

from .common import guarded, name_widget
from .plain import Label, cut, plain_tip

#: Lines of the note on screen at once: fewer on a short window (a 1280×720 projector), where
#: every line is taken from the plots; the rest scrolls, and folding leaves the first sentence.
SHORT_WINDOW, SHORT_LINES, LINES = 820, 2, 4


class NoteBar(QWidget):
    """The note of the open project, with a button that folds it to its title."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noteBar")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(14, 6, 14, 6)
        self.toggle = name_widget(QToolButton(), "noteToggle", _("Fold the note"), _("Fold or unfold the note"))
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.setAutoRaise(True)
        self.text = Label()
        self.text.setObjectName("noteText")
        self.text.setWordWrap(True)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("noteScroll")
        self.scroll.setWidget(self.text)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        lay.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignTop)
        lay.addWidget(self.scroll, 1)
        self._watched: QWidget | None = None
        self.title, self.note = "", ""
        self.notes: tuple[str, str] = ("", "")  # a heading and its lines, under the note ("" for none)
        self.toggle.toggled.connect(self._show)
        self.hide()

    def set_note(self, title: str | dict[str, str], note: str | dict[str, str]) -> None:
        """Show `note` (plain text, cut to a few pages) under `title`, each a text or one per
        language (the user's is shown); an empty note hides the bar. A new note drops the notes
        added under the last one."""
        title, note = pick(title), pick(note)
        self.title, self.note = title, cut(note)
        self.notes = ("", "")
        self.text.setToolTip("")
        self.setVisible(bool(note))
        self._show(self.toggle.isChecked())

    def add_notes(self, heading: str, lines: str, tip: str = "") -> None:
        """`lines` (plain text) under the note, after `heading`, unfolded so they are read; `tip`:
        the whole list, when `lines` shows only its start."""
        self.notes = (heading, cut(lines))
        self.text.setToolTip(plain_tip(f"{heading}\n{tip}") if tip else "")
        self.setVisible(bool(self.note or lines))
        self.toggle.setChecked(True)
        self._show(True)

    @property
    def unfolded(self) -> bool:
        return self.toggle.isChecked()

    def _show(self, unfolded: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if unfolded else Qt.ArrowType.RightArrow)
        head = f"{self.title}: " if self.title else ""
        first = self.note.split(". ")[0]
        heading, lines = self.notes
        if unfolded:
            text = f"{head}{self.note}" + (f"\n{heading}\n{lines}" if lines else "")
        else:
            text = f"{head}{first}{'…' if first != self.note or lines else ''}" + (f" ({heading.rstrip(':')})"
                                                                                if lines else "")  # fmt: skip
        self.text.setText(text)
        self._fit()

    def lines(self) -> int:
        """How many lines of the note show at once in this window."""
        window = self.window()
        return SHORT_LINES if window is not self and window.height() <= SHORT_WINDOW else LINES

    def _fit(self) -> None:
        """The scroll area as tall as the text, up to `lines()` lines."""
        if self._watched is not self.window() and self.window() is not self:
            self._watched = self.window()
            self._watched.installEventFilter(self)
        margins = self.text.contentsMargins()
        width = max(100, self.scroll.viewport().width() or self.width() - 60)
        needed = self.text.heightForWidth(width) if self.text.hasHeightForWidth() else self.text.sizeHint().height()
        metrics = self.text.fontMetrics()
        line = max(metrics.lineSpacing(), metrics.height()) + 1  # a laid-out line, leading and rounding
        most = line * self.lines() + margins.top() + margins.bottom()
        # A note that fits whole gets a few pixels to spare, so no scroll bar comes for a rounding.
        height = needed + 4 if needed <= most else most
        self.scroll.setFixedHeight(max(self.text.fontMetrics().lineSpacing(), height))

    @guarded
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._watched and event.type() == QEvent.Type.Resize:
            self._fit()
        return False

    @guarded
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()
