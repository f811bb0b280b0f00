"""How the layer stack draws what a layer does to one image: a convolution's filters, feature
maps in montages zoomed to the room there is, a flat layer's values as cells, the output's class
probabilities as bars (the draw pad shows its probabilities with the same strip)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine.core.i18n import _, ngettext
from engine.core.numbers import number

from ..run.layer_maps import LayerPicture
from ..widgets import guarded, to_qimage

MAP_CELL = (26, 64)  # the smallest and largest size a feature map is drawn at, px
FILTER_CELL = (12, 40)
CAPTION = 14
GAP = 3


def montage(tiles: np.ndarray, cols: int, gap: int = 1) -> np.ndarray:
    """(n, h, w) or (n, h, w, 3) uint8 tiles in a grid of `cols` columns, white between them."""
    n, h, w = tiles.shape[:3]
    rows = -(-n // cols)
    extra = tiles.shape[3:]
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, *extra), 255, dtype=np.uint8)
    for k in range(n):  # at most a few dozen tiles: one slice assignment each
        r, c = divmod(k, cols)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = tiles[k]
    return out


def fit(n: int, size: int, width: int, lo: int, hi: int) -> tuple[int, int]:
    """(zoom, columns) for n tiles of `size` pixels in `width`: the largest integer zoom up to
    `hi` pixels a tile, made smaller (not below `lo`) until the tiles take at most two rows."""
    zoom = max(1, hi // max(size, 1))
    while True:
        cols = max(1, min(n, (width + zoom) // ((size + 1) * zoom)))
        if -(-n // cols) <= 2 or zoom == 1 or (size * (zoom - 1)) < lo:
            return zoom, cols
        zoom -= 1


class MapsStrip(QWidget):
    """One layer's picture: its filters (a convolution), its feature maps, its values (a flat
    layer) or the class probabilities (the output)."""

    def __init__(self) -> None:
        super().__init__()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.picture: LayerPicture | None = None
        self.names: list[str] = []
        self.label = -1
        self._parts: list[tuple[str, QImage, int]] = []  # caption, montage, zoom
        self._height = 40

    def set_picture(self, picture: LayerPicture | None, names: list[str], label: int) -> None:
        self.picture, self.names, self.label = picture, names, label
        self._layout()
        self.update()

    def _layout(self) -> None:
        """Montages for this width: one QImage per part, so a repaint is a few drawImage calls."""
        pic, width = self.picture, max(self.width(), 120)
        self._parts = []
        height = 8
        if pic is not None and pic.filters is not None:
            f, inputs, k = pic.filters.shape[:3]
            if inputs == 1:
                zoom, cols = fit(f, k, width, *FILTER_CELL)
                img = montage(pic.filters[:, 0], cols)
            else:  # one column per filter, one row per input map: a deeper filter reads down its column
                zoom = max(1, min(14 // k, (width + 1) // ((k + 1) * f)))
                img = montage(np.swapaxes(pic.filters, 0, 1).reshape(inputs * f, k, k, 3), f)
            what = (_("{count} filters {size} (columns) × {inputs} input maps") if inputs > 1 else
                    ngettext("{count} filter {size}", "{count} filters {size}", f)).format(count=f, size=f"{k}×{k}",
                                                                                           inputs=inputs)
            self._parts.append((what, to_qimage(img), zoom))
            height += CAPTION + img.shape[0] * zoom + GAP
        if pic is not None and pic.maps is not None:
            c, h, w = pic.maps.shape[:3]  # (C, h, w) grey maps, or the input as (1, h, w, 3) RGB
            zoom, cols = fit(c, max(h, w), width, *MAP_CELL)
            img = montage(pic.maps, cols)
            span = f"{number(pic.low, 3)} … {number(pic.high, 3)}"
            what = _("the picked image") if pic.kind == "Input" else ngettext(
                "{count} feature map · {span}", "{count} feature maps · {span}", c).format(count=c, span=span)
            self._parts.append((what, to_qimage(img), zoom))
            height += CAPTION + img.shape[0] * zoom + GAP
        if pic is not None and pic.values is not None:
            height += CAPTION + (18 * len(pic.values) if pic.source == -1 else self._cells_height(len(pic.values)))
        if height != self._height:
            self._height = height
            self.updateGeometry()

    def _cells_height(self, n: int) -> int:
        per_row = max(1, (max(self.width(), 120)) // 12)
        return 12 * -(-n // per_row)

    def sizeHint(self) -> QSize:
        return QSize(240, self._height)

    def minimumSizeHint(self) -> QSize:
        return QSize(120, self._height)

    @guarded
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._layout()

    @guarded
    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        font = QFont(self.font())
        font.setPointSizeF(7.5)
        painter.setFont(font)
        y = 4.0
        grey = QColor(110, 110, 110)
        for caption, img, zoom in self._parts:
            painter.setPen(grey)
            painter.drawText(QRectF(0, y, self.width(), CAPTION), Qt.AlignmentFlag.AlignLeft, caption)
            y += CAPTION
            painter.drawImage(QRectF(0, y, img.width() * zoom, img.height() * zoom), img)
            y += img.height() * zoom + GAP
        pic = self.picture
        if pic is not None and pic.values is not None:
            painter.setPen(grey)
            if pic.source == -1:
                self._paint_output(painter, pic.values, y)
            else:
                what = ngettext("{count} value · {low} … {high}", "{count} values · {low} … {high}",
                                len(pic.values)).format(count=len(pic.values), low=number(pic.low, 3),
                                                        high=number(pic.high, 3))
                painter.drawText(QRectF(0, y, self.width(), CAPTION), Qt.AlignmentFlag.AlignLeft, what)
                self._paint_cells(painter, pic, y + CAPTION)
        painter.end()

    def _paint_cells(self, painter: QPainter, pic: LayerPicture, y: float) -> None:
        per_row = max(1, max(self.width(), 120) // 12)
        span = pic.high - pic.low if pic.high > pic.low else 1.0
        for k, v in enumerate(np.nan_to_num(pic.values)):
            r, c = divmod(k, per_row)
            g = int(np.clip((v - pic.low) / span * 255, 0, 255))
            painter.fillRect(QRectF(c * 12, y + r * 12, 11, 11), QColor(g, g, g))

    def _paint_output(self, painter: QPainter, values: np.ndarray, y: float) -> None:
        p = values.astype(np.float64)
        if p.size == 1:
            p = np.array([1 - p[0], p[0]])
        elif not (np.all(p >= 0) and abs(p.sum() - 1) < 1e-3):
            e = np.exp(p - p.max())
            p = e / e.sum()
        painter.drawText(QRectF(0, y, self.width(), CAPTION), Qt.AlignmentFlag.AlignLeft, _("class probabilities"))
        y += CAPTION
        best = int(np.argmax(p))
        bar_x, bar_w = 78.0, max(40.0, self.width() - 130.0)
        for k, q in enumerate(p):
            name = self.names[k] if k < len(self.names) else str(k)
            mark = " ✓" if k == self.label else ""
            painter.setPen(QColor(60, 60, 60))
            painter.drawText(QRectF(0, y + 18 * k, bar_x - 6, 16), Qt.AlignmentFlag.AlignRight, f"{name[:10]}{mark}")
            color = QColor(8, 119, 189) if k == best else QColor(170, 190, 210)
            painter.fillRect(QRectF(bar_x, y + 18 * k + 3, bar_w * float(q), 11), color)
            painter.drawText(QRectF(bar_x + bar_w + 4, y + 18 * k, 50, 16), Qt.AlignmentFlag.AlignLeft, f"{q:.0%}")

