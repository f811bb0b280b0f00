"""Transport icons painted with QPainter, so they look the same whatever fonts are installed."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

SIZE = 64


def _icon(draw, color: str) -> QIcon:
    pix = QPixmap(SIZE, SIZE)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(color))
    draw(p, QColor(color))
    p.end()
    return QIcon(pix)


def play_icon(color: str = "#ffffff") -> QIcon:
    def draw(p: QPainter, _c: QColor) -> None:
        path = QPainterPath(QPointF(22, 14))
        path.lineTo(50, 32)
        path.lineTo(22, 50)
        path.closeSubpath()
        p.drawPath(path)

    return _icon(draw, color)


def pause_icon(color: str = "#ffffff") -> QIcon:
    def draw(p: QPainter, _c: QColor) -> None:
        p.drawRoundedRect(QRectF(18, 14, 10, 36), 2, 2)
        p.drawRoundedRect(QRectF(36, 14, 10, 36), 2, 2)

    return _icon(draw, color)


def step_icon(color: str = "#333333") -> QIcon:
    def draw(p: QPainter, _c: QColor) -> None:
        path = QPainterPath(QPointF(16, 16))
        path.lineTo(40, 32)
        path.lineTo(16, 48)
        path.closeSubpath()
        p.drawPath(path)
        p.drawRect(QRectF(42, 16, 6, 32))

    return _icon(draw, color)


def reset_icon(color: str = "#333333") -> QIcon:
    def draw(p: QPainter, c: QColor) -> None:
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(c, 5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawArc(QRectF(14, 14, 36, 36), 100 * 16, 280 * 16)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(c)
        head = QPainterPath(QPointF(24, 6))
        head.lineTo(36, 14)
        head.lineTo(24, 22)
        head.closeSubpath()
        p.drawPath(head)

    return _icon(draw, color)
