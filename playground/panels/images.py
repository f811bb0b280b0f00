"""Views for image data: samples with their predicted and true labels, a live confusion matrix
(click a cell to see those samples) and the first layer's weights drawn as images."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QPushButton,
    QTabWidget,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from engine.core.i18n import N_, _, ngettext, term

from ..colors import diverging_rgb
from ..run.snapshot import ImageEval, Snapshot
from ..widgets import Label, guarded, name_widget, plain_tip, to_qimage
from .plotting import layer_name, titled

WRONG = QColor(214, 39, 40)
RIGHT = QColor(44, 140, 44)
PICKED = QColor(8, 119, 189)
MAX_SAMPLES = 40
#: The splits' names in the captions ("test samples").
SPLIT_NAMES = {"train": N_("train"), "validation": N_("validation"), "test": N_("test")}


#: The tab bar's scroll buttons (Qt's own), by their object names.
SCROLL_BUTTONS = {"ScrollLeftButton": N_("Scroll Left"), "ScrollRightButton": N_("Scroll Right")}


def split_name(split: str) -> str:
    """A split's name in the user's language."""
    return _(SPLIT_NAMES[split]) if split in SPLIT_NAMES else split


def image_pixels(rows: np.ndarray, shape: tuple[int, ...], lo: float, hi: float) -> np.ndarray:
    """Flattened image rows to uint8 pixels (n, h, w) or (n, h, w, 3), scaled from [lo, hi]."""
    imgs = rows.reshape(rows.shape[0], *shape)
    if imgs.ndim == 4:  # channels last: RGB as is, anything else by its mean
        imgs = imgs if imgs.shape[3] == 3 else imgs.mean(axis=3)
    scaled = (imgs - lo) * (255.0 / (hi - lo if hi > lo else 1.0))
    return np.clip(scaled, 0, 255).astype(np.uint8)


def weight_images(kernel: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Each column of a first-layer kernel (inputs, units) as an image in the diverging colours
    (blue positive, orange negative), scaled by its own largest |w|: (units, h, w, 3)."""
    w = kernel.T.reshape(kernel.shape[1], *shape)
    if w.ndim == 4:  # one picture per unit: average the channels
        w = w.mean(axis=3)
    top = np.max(np.abs(w), axis=(1, 2), keepdims=True)
    return diverging_rgb(w / np.where(top > 0, top, 1.0))


class _Tiles(QWidget):
    """Pictures in a grid, each with a caption line under it; subclasses say what to show."""

    CAPTION = 16
    clicked = Signal(int)  # the index of the tile clicked

    def __init__(self) -> None:
        super().__init__()
        self.marked: int | None = None  # a tile drawn with a blue ring (the picked sample)
        self.tiles: list[tuple[QImage, str, QColor | None]] = []  # image, caption, frame colour
        self.tips: list[str] = []  # a tooltip per tile (full labels, top-3 probabilities)
        self.note = ""
        self.setMinimumHeight(90)  # a 720-pixel screen still fits the window
        self.setMouseTracking(True)

    def set_tiles(
        self, tiles: list[tuple[QImage, str, QColor | None]], note: str = "", tips: list[str] | None = None
    ) -> None:
        self.tiles = tiles
        self.note = note
        self.tips = tips or []
        self.update()

    def tile_at(self, pos: QPointF) -> int | None:
        """The index of the tile under `pos` (as paintEvent lays them out), or None."""
        if not self.tiles:
            return None
        size = self.cell_size()
        cols = max(1, int((self.width() - 8) // size))
        c, r = int((pos.x() - 4) // size), int((pos.y() - 4) // (size + self.CAPTION))
        k = r * cols + c
        return k if 0 <= c < cols and r >= 0 and k < len(self.tiles) else None

    @guarded
    def mousePressEvent(self, event: QMouseEvent) -> None:
        k = self.tile_at(event.position())
        if k is not None and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(k)

    @guarded
    def mouseMoveEvent(self, event) -> None:
        k = self.tile_at(event.position())
        if k is not None and k < len(self.tips):
            QToolTip.showText(event.globalPosition().toPoint(), plain_tip(self.tips[k]), self)
        else:
            QToolTip.hideText()

    def cell_size(self) -> float:
        n = max(len(self.tiles), 1)
        width, height = max(self.width() - 8, 40), max(self.height() - 8, 40)
        # The largest cell that fits every tile: try column counts until the rows fit the height.
        best = 24.0
        for cols in range(1, n + 1):
            rows = -(-n // cols)
            size = min(width / cols, height / rows - self.CAPTION)
            best = max(best, min(size, 110.0))
        return best

    @guarded
    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(255, 255, 255))
        if not self.tiles:
            painter.setPen(QColor(136, 136, 136))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.note or _("Nothing to show yet."))
            painter.end()
            return
        size = self.cell_size()
        cols = max(1, int((self.width() - 8) // size))
        font = QFont(self.font())
        font.setPointSizeF(7.5)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        pad = 3.0
        for k, (img, caption, frame) in enumerate(self.tiles):
            r, c = divmod(k, cols)
            x, y = 4 + c * size, 4 + r * (size + self.CAPTION)
            if y > self.height():
                break
            target = QRectF(x + pad, y + pad, size - 2 * pad, size - 2 * pad)
            painter.drawImage(target, img)
            if frame is not None:
                painter.setPen(QPen(frame, 2))
                painter.drawRect(target.adjusted(-1, -1, 1, 1))
            if k == self.marked:
                painter.setPen(QPen(PICKED, 3))
                painter.drawRect(target.adjusted(-3, -3, 3, 3))
            painter.setPen(frame if frame is not None else QColor(90, 90, 90))
            text = metrics.elidedText(caption, Qt.TextElideMode.ElideRight, int(size - 2))
            painter.drawText(QRectF(x, y + size - 2, size, self.CAPTION), Qt.AlignmentFlag.AlignHCenter, text)
        painter.end()


class SampleGrid(QWidget):
    """Samples of the evaluated split with "predicted / true" labels; mistakes framed in red.
    Shows all samples, only mistakes, or one confusion-matrix cell. Clicking one picks it for
    the layer view (ringed in blue)."""

    picked = Signal(int)  # a data-set row

    def __init__(self) -> None:
        super().__init__()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.filter_label = Label(" ")
        self.filter_label.setObjectName("legend")
        self.filter_label.setWordWrap(True)  # a second line rather than "predicted (≠" cut off
        self.mistakes = name_widget(
            QCheckBox(_("Only mistakes")), "onlyMistakes", _("Only mistakes"), _("Show only misclassified samples")
        )
        self.show_all = name_widget(QPushButton(_("Show all")), "showAllSamples", _("Show all samples"))
        self.show_all.hide()
        row = QHBoxLayout()
        row.addWidget(self.filter_label, 1)
        row.addWidget(self.mistakes)
        row.addWidget(self.show_all)
        lay.addLayout(row)
        self.tiles = _Tiles()
        self.tiles.setObjectName("sampleTiles")
        self.tiles.clicked.connect(self._pick)
        lay.addWidget(self.tiles, 1)
        self.picked_row: int | None = None
        self.cell: tuple[int, int] | None = None
        self.shown: np.ndarray = np.zeros(0, dtype=np.intp)  # dataset rows on screen
        self.snapshot: Snapshot | None = None
        self._key: tuple | None = None
        self._range: tuple = (None, 0.0, 255.0)  # (data set, lowest pixel, highest pixel)
        self.mistakes.toggled.connect(lambda _on: self.redraw(force=True))
        self.show_all.clicked.connect(lambda: self.set_cell(None))

    def _pick(self, k: int) -> None:
        if k < self.shown.size:
            self.picked_row = int(self.shown[k])
            self.tiles.marked = k
            self.tiles.update()
            self.picked.emit(self.picked_row)

    def set_cell(self, cell: tuple[int, int] | None) -> None:
        """Show only samples of true class cell[0] predicted as cell[1] (None: no such filter)."""
        self.cell = cell
        self.show_all.setVisible(cell is not None)
        self.mistakes.setVisible(cell is None)
        self.redraw(force=True)

    def set_snapshot(self, snap: Snapshot) -> None:
        self.snapshot = snap
        self.redraw()

    def redraw(self, force: bool = False) -> None:
        snap = self.snapshot
        ev = snap.image_eval if snap is not None else None
        key = (id(ev), id(snap.data) if snap else None)
        if ev is None or snap is None or (key == self._key and not force):
            if ev is None:
                self.tiles.set_tiles([], _("Predictions appear after the first step."))
            return
        if self._key is not None and self._key[1] != key[1]:
            self.picked_row = None  # another data set (the worker starts from its first test image)
        self._key = key
        ds = snap.data.dataset
        true = ds.y[ev.indices]
        names = ds.class_names or [str(k) for k in range(ds.classes)]
        if self.cell is not None:
            t, p = self.cell
            pick = np.flatnonzero((true == t) & (ev.predicted == p))
            what = _("true {true}, predicted {predicted}: {count:,} of {total:,} {split} samples").format(
                true=names[t], predicted=names[p], count=pick.size, total=ev.indices.size, split=split_name(ev.split))
        elif self.mistakes.isChecked():
            pick = np.flatnonzero(true != ev.predicted)
            what = ngettext("{count:,} mistake among {total:,} {split} samples",
                            "{count:,} mistakes among {total:,} {split} samples", pick.size).format(
                count=pick.size, total=ev.indices.size, split=split_name(ev.split))
        else:
            pick = np.arange(ev.indices.size)
            wrong = int(np.sum(true != ev.predicted))
            what = _("{split} samples · {count:,} of {total:,} misclassified (red)").format(
                split=split_name(ev.split), count=wrong, total=ev.indices.size)
        pick = pick[:MAX_SAMPLES]
        self.shown = ev.indices[pick]
        marked = np.flatnonzero(self.shown == self.picked_row)
        self.tiles.marked = int(marked[0]) if marked.size else None
        self.filter_label.setText(_("{what} · caption: predicted (≠ true) · hover: top 3 · click: follow in Layers")
                                  .format(what=what))
        self.filter_label.setToolTip(self.filter_label.text())
        if self._range[0] is not ds:  # once per data set: MNIST is 47 M values
            self._range = (ds, float(ds.x.min()), float(ds.x.max()))
        _ds, lo, hi = self._range
        pixels = image_pixels(ds.x[self.shown], ds.image_shape, lo, hi)
        tiles, tips = [], []
        for k, j in enumerate(pick):
            t, p = int(true[j]), int(ev.predicted[j])
            caption = names[p] if t == p else f"{names[p]} ≠ {names[t]}"
            tiles.append((to_qimage(pixels[k]), caption, RIGHT if t == p else WRONG))
            row = int(ev.indices[j])
            head = (_("sample {number}: {file}").format(number=row + 1, file=ds.sample_names[row])
                    if row < len(ds.sample_names) else _("sample {number}").format(number=row + 1))  # a folder's file
            tip = "\n".join((head, _("predicted: {name}").format(name=names[p]),
                             _("true: {name}").format(name=names[t])))
            if ev.top is not None and ev.top_p is not None:
                tip += "\n" + "\n".join(
                    f"{names[int(c)] if int(c) < len(names) else int(c)}: {float(q):.1%}"
                    for c, q in zip(ev.top[j], ev.top_p[j])
                )
            tips.append(tip)
        self.tiles.set_tiles(tiles, _("No samples in this cell.") if self.cell else _("No samples."), tips)


class ConfusionMatrix(QWidget):
    """Rows: true class; columns: predicted class; shade by the share of the row. The last
    column gives each class's accuracy (recall). Click a cell to see its samples (`clickable`:
    where there are samples to show, the image views; a table's rows have none)."""

    cell_clicked = Signal(int, int)

    def __init__(self, clickable: bool = True) -> None:
        super().__init__()
        self.setObjectName("confusionMatrix")
        self.clickable = clickable
        self.setMinimumSize(220, 120)
        self.setMouseTracking(True)
        self.matrix: np.ndarray | None = None
        self.names: list[str] = []
        self.split = ""
        self._cells: dict[tuple[int, int], QRectF] = {}

    def set_eval(self, ev: ImageEval | None, names: list[str]) -> None:
        self.matrix = None if ev is None else ev.confusion
        self.names = names
        self.split = ev.split if ev is not None else ""
        self.update()

    def accuracy(self) -> float:
        m = self.matrix
        return float(np.trace(m) / m.sum()) if m is not None and m.sum() else float("nan")

    def per_class_accuracy(self) -> np.ndarray:
        m = self.matrix
        rows = m.sum(axis=1)
        return np.where(rows > 0, np.diag(m) / np.where(rows > 0, rows, 1), np.nan)

    @guarded
    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(255, 255, 255))
        m = self.matrix
        if m is None:
            painter.setPen(QColor(136, 136, 136))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, _("The confusion matrix appears after a step."))
            painter.end()
            return
        k = m.shape[0]
        label_w, top_h, acc_w = 74.0, 34.0, 52.0
        size = max(12.0, min((self.width() - label_w - acc_w - 8) / k, (self.height() - top_h - 26) / k))
        left = max(0.0, (self.width() - (label_w + k * size + acc_w)) / 2)  # centred in the room it has
        x0, y0 = left + label_w, top_h
        font = QFont(self.font())
        font.setPointSizeF(8)
        painter.setFont(font)
        painter.setPen(QColor(110, 110, 110))
        painter.drawText(QRectF(x0 - label_w / 2, 0, size * k + label_w, 16), Qt.AlignmentFlag.AlignHCenter,
                         _("predicted →"))  # fmt: skip
        painter.drawText(QRectF(left, 16, label_w - 6, 16), Qt.AlignmentFlag.AlignRight, _("true ↓"))
        rows = m.sum(axis=1)
        acc = self.per_class_accuracy()
        self._cells.clear()
        for j in range(k):
            painter.drawText(
                QRectF(x0 + j * size, 16, size, 16),
                Qt.AlignmentFlag.AlignCenter,
                self.names[j][: max(2, int(size / 7))],
            )
        for i in range(k):
            painter.setPen(QColor(90, 90, 90))
            painter.drawText(
                QRectF(left, y0 + i * size, label_w - 6, size),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                self.names[i][:12],
            )
            for j in range(k):
                share = m[i, j] / rows[i] if rows[i] else 0.0
                base = (8, 119, 189) if i == j else (214, 39, 40)
                color = QColor(*[int(255 - (255 - c) * min(1.0, share * 1.4)) for c in base])
                rect = QRectF(x0 + j * size, y0 + i * size, size - 1, size - 1)
                self._cells[(i, j)] = rect
                painter.fillRect(rect, color)
                painter.setPen(QColor(255, 255, 255) if share > 0.45 else QColor(60, 60, 60))
                if size >= 18:
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{int(m[i, j])}")
            painter.setPen(QColor(60, 60, 60))
            text = "—" if np.isnan(acc[i]) else f"{acc[i]:.0%}"
            painter.drawText(QRectF(x0 + k * size + 6, y0 + i * size, acc_w, size), Qt.AlignmentFlag.AlignVCenter, text)
        painter.setPen(QColor(110, 110, 110))
        painter.drawText(QRectF(x0 + k * size + 6, 16, acc_w, 16), Qt.AlignmentFlag.AlignLeft, _("recall"))
        painter.drawText(
            QRectF(left, y0 + k * size + 4, self.width() - left, 18),
            Qt.AlignmentFlag.AlignLeft,
            "  " + (_("{split} accuracy {accuracy:.1%} on {count:,} samples · click a cell to see them")
                    if self.clickable else _("{split} accuracy {accuracy:.1%} on {count:,} samples")).format(
                split=split_name(self.split), accuracy=self.accuracy(), count=int(m.sum())),
        )
        painter.end()

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        for cell, rect in self._cells.items():
            if rect.contains(x, y):
                return cell
        return None

    @guarded
    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position().x(), event.position().y())
        if cell is not None and self.clickable:
            self.cell_clicked.emit(*cell)


class WeightImages(_Tiles):
    """The first dense layer's kernel, one image per unit (per class without a hidden layer):
    the input pattern each unit responds to most."""

    def set_snapshot(self, snap: Snapshot) -> None:
        ds = snap.data.dataset
        kernel = snap.kernels[0]
        if ds.image_shape is not None and kernel.ndim == 4:  # a convolution: its filters, channels averaged
            w = kernel.mean(axis=2).transpose(2, 0, 1)
            top = np.max(np.abs(w), axis=(1, 2), keepdims=True)
            rgb = diverging_rgb(w / np.where(top > 0, top, 1.0))
            self.set_tiles([(to_qimage(rgb[f]), _("filter {number}").format(number=f + 1), None)
                            for f in range(min(len(rgb), 64))])
            self.setToolTip(_("The first convolution's filters (k × k weights each): blue where a bright pixel "
                              "raises the feature map, orange where it lowers it"))  # fmt: skip
            return
        if ds.image_shape is None or kernel.shape[0] != int(np.prod(ds.image_shape)):
            self.set_tiles([], _("Weight images need image data with raw pixel inputs."))
            return
        rgb = weight_images(kernel, ds.image_shape)
        n_layers = len(snap.kernels)
        if n_layers == 1 and ds.class_names:  # logistic/softmax regression: one template per class
            captions = list(ds.class_names)
        else:
            captions = [_("unit {number}").format(number=u + 1) for u in range(rgb.shape[0])]
        shown = min(rgb.shape[0], 64)
        self.set_tiles(
            [(to_qimage(rgb[u]), captions[u], None) for u in range(shown)],
        )
        tip = _("{layer} weights as images: blue where a bright pixel raises the unit, orange where it lowers it")
        if shown < rgb.shape[0]:
            tip += " " + _("(first {shown} of {count} units)").format(shown=shown, count=rgb.shape[0])
        self.setToolTip(tip.format(layer=layer_name(0, n_layers)))


class ImageDataView(QWidget):
    """Takes the output plane's place when the data are images."""

    picked = Signal(int)  # a sample clicked: the data-set row the layer view should follow

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay, _head = titled(self, "imageView", _("Images"))
        self.tabs = QTabWidget()
        self.tabs.setObjectName("imageTabs")
        self.tabs.setDocumentMode(True)
        self.samples = SampleGrid()
        self.confusion = ConfusionMatrix()
        self.weights = WeightImages()
        self.weights.setObjectName("weightImages")
        self.tabs.addTab(self.samples, _("Samples"))
        self.tabs.addTab(self.confusion, term("confusion matrix"))
        self.tabs.addTab(self.weights, _("Weights as images"))
        for button in self.tabs.tabBar().findChildren(QToolButton):  # Qt's own, named through the catalog too
            if button.objectName() in SCROLL_BUTTONS:
                button.setAccessibleName(_(SCROLL_BUTTONS[button.objectName()]))
        lay.addWidget(self.tabs, 1)
        self._last: Snapshot | None = None
        self.confusion.cell_clicked.connect(self.show_cell)
        self.samples.picked.connect(self.picked)
        self.tabs.currentChanged.connect(lambda _i: self.refresh())

    def show_cell(self, true: int, predicted: int) -> None:
        self.samples.set_cell((true, predicted))
        self.tabs.setCurrentWidget(self.samples)

    def set_snapshot(self, snap: Snapshot) -> None:
        ds = snap.data.dataset
        names = ds.class_names or [str(k) for k in range(max(ds.classes, 2))]
        current = self.tabs.currentWidget()
        if current is self.samples:
            self.samples.set_snapshot(snap)
        elif current is self.confusion:
            self.confusion.set_eval(snap.image_eval, names)
        else:
            self.weights.set_snapshot(snap)
        self._last = snap

    def refresh(self) -> None:
        """Draw the newest snapshot in the tab just opened."""
        snap = self._last
        if snap is not None:
            self.set_snapshot(snap)


__all__ = ["ConfusionMatrix", "ImageDataView", "SampleGrid", "WeightImages", "image_pixels", "weight_images"]
