"""A layout that places its widgets left to right and wraps them onto the next row when the
width runs out, so a bar of controls fits a 1280-pixel laptop screen with any optimizer."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget

from .common import guarded


class FlowLayout(QLayout):
    def __init__(self, parent: QWidget | None = None, spacing: int = 10, row_spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self._row_spacing = row_spacing

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QRect(0, 0, width, 0), move=False)

    @guarded  # an override of a Qt virtual: an exception must not reach the binding
    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def row_width(self, widgets: list[QWidget]) -> int:
        """The width `widgets` take side by side on one row, with this layout's spacing and margins."""
        m = self.contentsMargins()
        hints = [w.sizeHint().width() for w in widgets]
        return sum(hints) + self._spacing * max(0, len(hints) - 1) + m.left() + m.right()

    def _rows(self, width: int, widths: list[int]) -> int:
        """How many rows items of `widths` (the shown ones') take at `width` (greedy, as _place lays them)."""
        rows, x = 1, 0
        for w in widths:
            if x and x + w > width:
                rows, x = rows + 1, 0
            x += w + self._spacing
        return rows

    def _shown(self) -> list[QLayoutItem]:
        return [it for it in self._items if it.widget() is None or not it.widget().isHidden()]

    def _balanced(self, width: int, widths: list[int]) -> int:
        """The narrowest width that still needs no more rows than `width` does: rows filled evenly,
        so a wrapped bar does not leave one control alone on its last row. Each item's size hint is
        asked once (`widths`), not at each step of the search: a styled widget's costs a layout pass."""
        rows = self._rows(width, widths)
        if rows == 1:
            return width
        lo = max(widths, default=0)
        hi = width
        while lo < hi:
            mid = (lo + hi) // 2
            if self._rows(mid, widths) <= rows:
                hi = mid
            else:
                lo = mid + 1
        return hi

    def _place(self, rect: QRect, move: bool) -> int:
        """Lay the items out in rows within `rect`, as evenly filled as their count allows; the height used."""
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        shown = [(item, item.sizeHint()) for item in self._shown()]
        right = area.x() + self._balanced(area.width(), [hint.width() for _item, hint in shown]) - 1
        x, y, row_height = area.x(), area.y(), 0
        for item, hint in shown:
            if x > area.x() and x + hint.width() > right + 1:
                x, y = area.x(), y + row_height + self._row_spacing
                row_height = 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y() + m.bottom()
