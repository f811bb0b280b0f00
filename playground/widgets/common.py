"""Captioned controls and a number field that commits only valid values."""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import QImage, QValidator
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLineEdit,
    QSizePolicy,
    QStyle,
    QStyleOptionComboBox,
    QVBoxLayout,
    QWidget,
)

from engine.core.i18n import _, english_terms, language

from .plain import Label

F = TypeVar("F", bound=Callable[..., Any])


def guarded(method: F) -> F:
    """For Python overrides of Qt virtuals (paintEvent, resizeEvent, ...): an exception goes to
    sys.excepthook instead of back into the binding. PySide6 6.11 segfaults while reporting an
    exception raised inside an override, which turned a small bug into a crash."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except Exception:
            sys.excepthook(*sys.exc_info())
            return None

    return wrapper  # type: ignore[return-value]


def to_qimage(pixels: np.ndarray) -> QImage:
    """A QImage owning a copy of (h, w, 3) RGB or (h, w) grayscale uint8 pixels."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    h, w = pixels.shape[:2]
    if pixels.ndim == 2:
        img = QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8)
    else:
        img = QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return img.copy()  # own the pixels: the array goes away


def name_widget(widget: QWidget, object_name: str, accessible: str, tooltip: str | None = None) -> QWidget:
    """Give a control the objectName tests and automation use, an accessible name and a tooltip."""
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible)
    if tooltip:
        widget.setToolTip(tooltip)
    return widget


class Caption(Label):
    """The small upper-case heading over a control."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text.upper(), parent)
        self.setObjectName("caption")


class Steady(QWidget):
    """Holds a wrapping label whose text changes many times a second. Qt passes a label's every
    new size hint up through each layout to the window, which then lays out again (the curves'
    numbers at 10 Hz re-laid out the whole window, milliseconds each); here it stops. The box
    grows to fit a taller text at once and fits the text exactly again when it is resized."""

    def __init__(self, child: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.child = child
        child.setParent(self)
        self._height = 0
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._fit(shrink=True)

    @guarded  # an override of a Qt virtual
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # the child's text changed: no layout of ours to redo
            self._fit(shrink=False)
            return True
        return super().event(event)

    @guarded
    def resizeEvent(self, event: Any) -> None:
        self._fit(shrink=True)

    def _fit(self, shrink: bool) -> None:
        c = self.child
        width = max(1, self.width())
        height = c.heightForWidth(width) if c.hasHeightForWidth() else c.sizeHint().height()
        height = max(height, c.minimumSizeHint().height())
        c.setGeometry(0, 0, width, height)
        if height > self._height or (shrink and height < self._height):
            self._height = height
            self.setFixedHeight(height)  # one layout pass, only when the height changes


_WORDED: dict[tuple[Any, ...], list[tuple[str, str, str]]] = {}  # registries are fixed once imported


def add_words(combo: Any, registry: Any, names: Any = None, about: Any = None) -> Any:
    """Fill a combo box from an engine registry: each entry in its words ("Glorot uniform") with
    its identifier ("glorot_uniform") as the item's data, which is what goes into the project;
    the tooltip gives both, and `about(name)`, when given, what the entry is. The items are
    worked out once per list (a network's rebuild makes a combo per layer)."""
    names = tuple(registry.names() if names is None else names)
    key = (id(registry), names, getattr(about, "__code__", about), language(), english_terms())
    items = _WORDED.get(key)
    if items is None:
        items = [(registry.words(n), n, registry.tooltip(n, about(n) if about else "")) for n in names]
        _WORDED[key] = items
    for words, name, tip in items:
        combo.addItem(words, name)
        combo.setItemData(combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
    return combo


def compact_words(combo: Any, chars: int = 14) -> Any:
    """A combo as wide as `chars` characters whatever its longest item ("Uniform ±0.5 (TF
    Playground)"), so words keep a crowded row's layout; its list still shows each item whole."""
    combo.setSizeAdjustPolicy(combo.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    combo.view().setMinimumWidth(combo.view().sizeHintForColumn(0) + 24)
    return combo


def choose_data(combo: Any, data: Any) -> None:
    """Show the item whose data is `data` (a combo filled by add_words shows words, keeps names)."""
    index = combo.findData(data)
    if index >= 0 and index != combo.currentIndex():
        combo.setCurrentIndex(index)


#: Room a window manager's title bar and borders take around a window (Qt knows them only once shown).
FRAME_ALLOWANCE = (16, 48)


def fit_to_screen(window: QWidget, width: int, height: int, avail: QRect | None = None) -> None:
    """Size a tool window to `width` × `height`, or to the available screen (`avail`, by default
    the window's screen) when that is smaller, such as a 1280×720 projector, with room for the
    title bar: nothing runs off the bottom."""
    if avail is None:
        screen = window.screen() or QApplication.primaryScreen()
        if screen is None:
            window.resize(width, height)
            return
        avail = screen.availableGeometry()
    least = window.minimumSizeHint()
    w = max(min(width, avail.width() - FRAME_ALLOWANCE[0]), least.width())
    h = max(min(height, avail.height() - FRAME_ALLOWANCE[1]), least.height())
    window.resize(w, h)
    window.move(avail.left() + max(0, (avail.width() - w) // 2),
                avail.top() + max(0, (avail.height() - h - FRAME_ALLOWANCE[1]) // 2))  # fmt: skip


def wrapped(text: str, object_name: str) -> Label:
    """A named plain-text label that wraps: the notes, legends and messages of the tool windows."""
    label = Label(text)
    label.setObjectName(object_name)
    label.setWordWrap(True)
    return label


def captioned(text: str, widget: QWidget, stretch: bool = False) -> QWidget:
    """A caption above `widget`, as one column of the control bar."""
    box = QWidget()
    box.setProperty("captionBox", True)  # a lesson that hides the widget hides its caption too
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(2)
    cap = Caption(text)
    cap.setBuddy(widget)
    lay.addWidget(cap)
    lay.addWidget(widget)
    if stretch:
        lay.addStretch(1)
    return box


class FitCombo(QComboBox):
    """A combo box as wide as the choice it shows, so no name is cut ("Categorical cross-entrc");
    the popup lists every choice whole, and the box resizes when another is chosen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentIndexChanged.connect(lambda _i: self.updateGeometry())

    def _fitted(self, base: QSize) -> QSize:
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        fm = self.fontMetrics()
        text = QSize(fm.horizontalAdvance(self.currentText() or " ") + 2, fm.height())
        size = self.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, opt, text, self)
        return QSize(size.width(), base.height())

    @guarded  # an override of a Qt virtual
    def sizeHint(self) -> QSize:
        return self._fitted(super().sizeHint())

    @guarded
    def minimumSizeHint(self) -> QSize:
        return self._fitted(super().minimumSizeHint())

    @guarded
    def showPopup(self) -> None:
        self.view().setMinimumWidth(self.view().sizeHintForColumn(0) + 24)  # every choice whole
        super().showPopup()


class _FloatValidator(QValidator):
    def __init__(self, low: float, high: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.low, self.high = low, high

    @guarded
    def validate(self, text: str, pos: int):
        stripped = text.strip()
        if stripped in ("", "-", ".", "-.", "e", "E") or stripped.lower().endswith(("e", "e-", "e+")):
            return QValidator.State.Intermediate, text, pos
        try:
            value = float(stripped)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        if not math.isfinite(value):
            return QValidator.State.Invalid, text, pos
        if self.low <= value <= self.high:
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos


class NumberEdit(QLineEdit):
    """A compact field for a float; emits `committed(value)` on Enter or focus-out when valid,
    and goes back to the last good value otherwise."""

    committed = Signal(float)
    refused = Signal(str)  # why a typed value was not taken, in the user's words

    def __init__(self, value: float, low: float = 0.0, high: float = 1e9, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._value = float(value)
        self._low, self._high = low, high
        self.setValidator(_FloatValidator(low, high, self))
        self.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.setMaximumWidth(90)
        self.setText(_fmt(value))
        self.editingFinished.connect(self._commit)
        self.inputRejected.connect(lambda: self.refused.emit(
            _("{field}: type a number").format(field=self.accessibleName() or _("this field"))))

    @guarded
    def focusOutEvent(self, event) -> None:
        # editingFinished comes only for acceptable text: an out-of-range value is refused here.
        if not self.hasAcceptableInput():
            self._commit()
        super().focusOutEvent(event)

    @guarded
    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self.hasAcceptableInput():
            self._commit()
            return
        super().keyPressEvent(event)

    def value(self) -> float:
        return self._value

    def set_value(self, value: float) -> None:
        self._value = float(value)
        self.setText(_fmt(value))

    def _commit(self) -> None:
        name = self.accessibleName() or _("this field")
        try:
            value = float(self.text())
        except ValueError:
            if self.text().strip() and self.text() != _fmt(self._value):
                self.refused.emit(_("{field}: {text} is not a number; kept {value}").format(
                    field=name, text=repr(self.text().strip()), value=_fmt(self._value)))
            self.setText(_fmt(self._value))
            return
        if not self.hasAcceptableInput():
            self.refused.emit(_("{field}: {value} is outside {low} to {high}; kept {kept}").format(
                field=name, value=_fmt(value), low=_fmt(self._low), high=_fmt(self._high), kept=_fmt(self._value)))
        elif value != self._value:
            self._value = value
            self.committed.emit(value)
        self.setText(_fmt(self._value))


def _fmt(value: float) -> str:
    return f"{value:g}"


class OnScreen(QWidget):
    """A view whose data the worker computes only while it is on screen: `wanted` says when."""

    wanted = Signal(bool)

    @guarded
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.wanted.emit(True)

    @guarded
    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.wanted.emit(False)


class Deferred(OnScreen):
    """A tab's view built the first time it is shown or asked for anything (a window's hidden tabs
    made a fifth of its construction). Until then it keeps the last snapshot given to it and hands
    it over when built; afterwards it passes every attribute through to the view."""

    shutdown = None  # no thread of its own: the window's closing looks for `shutdown` and must not build it

    def __init__(self, make: Callable[[], QWidget], then: Callable[[QWidget], Any] | None = None) -> None:
        super().__init__()
        self._make, self._then = make, then
        self._view: QWidget | None = None
        self._snapshot: Any = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)

    @property
    def built(self) -> bool:
        return self._view is not None

    def build(self) -> QWidget:
        """The view, made now if it was not yet (with the snapshot it missed)."""
        if self._view is None:
            view = self._view = self._make()
            if self._then is not None:
                self._then(view)
            self.layout().addWidget(view)
            if self.isVisible():  # a child added to a shown widget waits for its own show()
                view.show()
            if self._snapshot is not None:
                snap, self._snapshot = self._snapshot, None
                view.set_snapshot(snap)  # type: ignore[attr-defined]
        return self._view

    def set_snapshot(self, snap: Any) -> None:
        if self._view is None:
            self._snapshot = snap
        else:
            self._view.set_snapshot(snap)  # type: ignore[attr-defined]

    @guarded
    def showEvent(self, event) -> None:
        self.build()
        super().showEvent(event)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_make", "_then", "_view", "_snapshot"):  # Python's probing, or
            raise AttributeError(name)  # our own before __init__ set them: never build for those
        return getattr(self.build(), name)
