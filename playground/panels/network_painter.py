"""The neuron graph's painting: each neuron's thumbnail of its output over the input plane (or,
for data without a plane, its weights over the raw inputs), the inputs' feature pictures, and one
pass that draws a laid-out graph (network_layout.py): edges by bucket, dead links dashed, boxes,
pictures and labels.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

from engine.core.activations import ACTIVATIONS
from engine.core.i18n import _
from engine.data import FEATURES, apply_features

from ..colors import NEGATIVE, POSITIVE, blend_white, diverging_rgb
from ..run.snapshot import Snapshot
from ..widgets import to_qimage
from .images import weight_images
from .network_layout import EDGE_BUCKETS, EdgeWeights, Layout, Node, pretty

MARK = (40, 120, 60)  # a column's batch-normalization mark
DEAD_EDGE = (150, 150, 150)  # a link TensorFlow Playground's L1 rule dropped: grey and dashed
FEATURE_THUMB = 20  # points a side of an input feature's thumbnail
FEATURE_HOVER = 60  # ...and of its picture on the output plot while hovered


class NeuronPictures:
    """One snapshot's neuron thumbnails, made once per layer and kept while the snapshot is shown.
    `activations`: each dense layer's activation, the output last; `in_step`: whether the snapshot
    has the structure on screen (until it has, no neuron shows a picture)."""

    def __init__(self, snap: Snapshot | None = None, activations: Sequence[str] = (), in_step: bool = False) -> None:
        self.snap, self.activations, self.in_step = snap, list(activations), in_step
        self._cache: dict[tuple, Any] = {}

    def neuron_image(self, layer: int, unit: int) -> QImage | None:
        key = (layer, unit)
        if key not in self._cache:
            rgb = self.layer_rgb(layer)
            self._cache[key] = None if rgb is None or unit >= rgb.shape[0] else to_qimage(rgb[unit])
        return self._cache[key]

    def layer_rgb(self, layer: int) -> np.ndarray | None:
        """A layer's thumbnails as one (units, g, g, 3) colour array: one colour-map call per
        layer per snapshot. tanh is shown as is, sigmoid/softmax mapped from [0, 1] to [−1, 1],
        unbounded activations scaled by each neuron's largest |value|."""
        key = ("layer", layer)
        if key in self._cache:
            return self._cache[key]
        snap = self.snap
        rgb = None
        if snap is not None and snap.extent is None and self.in_step:
            rgb = weight_rgb(snap, layer)
        elif snap is not None and snap.neuron_grids and layer < len(snap.neuron_grids) and self.in_step:
            values = snap.neuron_grids[layer][:, ::-1]  # row 0 is the bottom of the plane
            act = self.activations[layer]
            if ACTIVATIONS.get(act).probabilities:
                values = values * 2 - 1
            elif act != "tanh":
                top = np.max(np.abs(values), axis=(1, 2), keepdims=True)
                values = values / np.where(top > 0, top, 1.0)
            rgb = diverging_rgb(values)
        self._cache[key] = rgb
        return rgb


def weight_rgb(snap: Snapshot, layer: int) -> np.ndarray | None:
    """For data without an input plane (images, tables): each unit's weights over the raw
    inputs as a picture (an image's pixels, or a strip of a table's columns). Deeper units
    show the product of the kernels down to them: what they would respond to if the layers
    between were linear. Orange negative, blue positive, scaled per unit."""
    kernels = snap.kernels
    if layer >= len(kernels) or snap.data.dataset.x.shape[1] != kernels[0].shape[0]:
        return None  # feature maps in between: the kernel rows are not raw inputs
    w = kernels[0]
    for k in kernels[1 : layer + 1]:
        w = w @ k
    shape = snap.data.dataset.image_shape
    return weight_images(w, shape if shape is not None else (1, w.shape[0]))


class FeatureImages:
    """The input features' thumbnails over the plane, made once per extent."""

    def __init__(self) -> None:
        self._extent: tuple | None = None
        self._images: dict[str, QImage] = {}

    def image(self, extent: tuple[float, float, float, float] | None, name: str) -> QImage | None:
        if extent is None:
            return None
        if extent != self._extent:
            self._images = {}
            self._extent = extent
        if name not in self._images:
            x0, x1, y0, y1 = extent
            g = FEATURE_THUMB
            gx, gy = np.meshgrid(np.linspace(x0, x1, g), np.linspace(y1, y0, g))
            # Data near float64's limit squares to inf: drawn as the map's end or "not a number".
            with np.errstate(over="ignore", invalid="ignore"):
                vals = apply_features(np.column_stack([gx.ravel(), gy.ravel()]), [name])[:, 0]
                finite = np.abs(vals[np.isfinite(vals)])
                top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
                self._images[name] = to_qimage(diverging_rgb(vals.reshape(g, g) / top))
        return self._images[name]


def feature_rgb(extent: tuple[float, float, float, float], name: str) -> np.ndarray:
    """An input feature over the plane as colours, row 0 at the bottom (the output plot's picture
    while the input is hovered)."""
    x0, x1, y0, y1 = extent
    g = FEATURE_HOVER
    gx, gy = np.meshgrid(np.linspace(x0, x1, g), np.linspace(y0, y1, g))
    vals = apply_features(np.column_stack([gx.ravel(), gy.ravel()]), [name])[:, 0]
    return diverging_rgb(vals.reshape(g, g) / (np.max(np.abs(vals)) or 1.0))


def paint_network(painter: QPainter, area: QRectF, font: QFont, layout: Layout, weights: EdgeWeights,
                  pictures: NeuronPictures, feature_image: Callable[[str], QImage | None],
                  class_names: Sequence[str], edges: QImage | None = None,
                  frame: QImage | None = None) -> None:  # fmt: skip
    """Draw the graph: edges by bucket (width and colour by |w| and sign), dead links grey and
    dashed (or `edges`, an EdgeLayer's picture of them on white), then the boxes, labels, '+N
    more' and captions (or `frame`, `paint_frame`'s picture of them), then each box's picture.
    No picture overlaps a label or another box, so the boxes may all go first."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if edges is not None:
        painter.drawImage(QPointF(0, 0), edges)
    else:
        painter.fillRect(area, QColor(255, 255, 255))
        for pen, lines in edge_strokes(weights):
            painter.setPen(pen)
            painter.drawLines(lines)
    if frame is not None:
        painter.drawImage(QPointF(0, 0), frame)
    else:
        paint_frame(painter, font, layout, class_names)
    for node in layout.nodes:
        img = None
        if node.layer == -1 and node.feature in FEATURES:
            img = feature_image(node.feature)
        elif node.layer >= 0:
            img = pictures.neuron_image(node.layer, node.index)
        if img is not None:
            painter.setOpacity(1.0 if node.active else 0.25)
            painter.drawImage(node.rect.adjusted(1, 1, -1, -1), img)
    painter.setOpacity(1.0)


def paint_frame(painter: QPainter, font: QFont, layout: Layout, class_names: Sequence[str]) -> None:
    """What stays while the weights change: each box, its label, '+N more', the column captions
    and marks (drawn once per layout into a picture while training: 128 boxes cost a frame 10 ms)."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    small = QFont(font)
    small.setPointSizeF(small.pointSizeF() * 0.85)
    painter.setFont(small)
    n_out_layer = len(layout.columns) - 2  # the output layer's index
    for node in layout.nodes:
        painter.setPen(QPen(QColor(150, 150, 150) if node.active else QColor(215, 215, 215), 1))
        painter.setBrush(QColor(245, 245, 245))
        painter.drawRoundedRect(node.rect, 4, 4)
        _label(painter, node, class_names if node.layer == n_out_layer else ())
    cols = layout.columns
    painter.setPen(QColor(90, 90, 90))
    for layer, (y, hidden_units) in layout.more.items():
        rect = QRectF(cols[layer + 1] - 40, y, 80, layout.node_size)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, _("+{count}\nmore").format(count=hidden_units))
    painter.setPen(QColor(90, 90, 90))
    painter.drawText(QRectF(cols[0] - 60, layout.top - 30, 120, 20), Qt.AlignmentFlag.AlignCenter, _("INPUTS"))
    painter.drawText(QRectF(cols[-1] - 60, layout.top - 30, 120, 20), Qt.AlignmentFlag.AlignCenter, _("OUTPUT"))
    for text, rect in layout.marks.values():  # batch normalization (or an activation) between columns
        painter.setPen(QPen(QColor(*MARK), 1))
        painter.setBrush(QColor(*blend_white(MARK, 0.14)))
        painter.drawRoundedRect(rect, 8, 8)
        painter.setPen(QColor(*MARK))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def frame_image(font: QFont, layout: Layout, class_names: Sequence[str], size: QSize, dpr: float) -> QImage:
    """`paint_frame` on a transparent picture, to lay over the edges."""
    image = QImage(size * dpr, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(dpr)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    paint_frame(painter, font, layout, class_names)
    painter.end()
    return image


def _label(painter: QPainter, node: Node, class_names: Sequence[str]) -> None:
    """Feature names left of the inputs, the size of a raw input block, class names by the outputs."""
    if node.layer == -1 and node.feature in FEATURES:
        painter.setPen(QColor(60, 60, 60) if node.active else QColor(170, 170, 170))
        rect = QRectF(node.rect.left() - 66, node.rect.top(), 62, node.rect.height())
        painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, pretty(node.feature))
    elif node.layer == -1:  # a block of raw inputs (pixels, CSV columns)
        painter.setPen(QColor(60, 60, 60))
        rect = QRectF(node.rect.center().x() - 60, node.rect.bottom() + 4, 120, 34)
        painter.drawText(rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, node.feature or "")
    elif len(class_names) > 2 and node.index < len(class_names):
        painter.setPen(QColor(80, 80, 80))
        rect = QRectF(node.rect.right() + 6, node.rect.top(), 90, node.rect.height())
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, class_names[node.index])


def edge_strokes(weights: EdgeWeights, chunk: int = 0) -> list[tuple[QPen, list]]:
    """The edges as (pen, lines) in drawing order: each bucket (width and colour by |w| and sign),
    then the dead links grey and dashed; `chunk` > 0 splits the lines into runs of at most that many."""
    out: list[tuple[QPen, list]] = []
    for (positive, k), lines in weights.buckets.items():
        strength = (k + 1) / EDGE_BUCKETS
        color = blend_white(POSITIVE if positive else NEGATIVE, 0.3 + 0.7 * strength)
        out.append((QPen(QColor(*color), 0.6 + 5.0 * strength), lines))
    if weights.dead_lines:
        out.append((QPen(QColor(*DEAD_EDGE), 1.2, Qt.PenStyle.DashLine), weights.dead_lines))
    if chunk > 0:
        out = [(pen, lines[i : i + chunk]) for pen, lines in out for i in range(0, len(lines), chunk)]
    return out


class EdgeLayer(QObject):
    """The edges drawn on white in an image of their own, which the view's paint copies: a big
    network's edges (8 × 64: 1,600 antialiased lines, about 50 ms) are drawn while training in
    slices of at most SLICE_MS between turns of the event loop, so no frame waits for them all;
    until a drawing is complete the last one stays on screen. `draw_now` draws at once (paused,
    stepped, travelled: what is shown is exactly the snapshot). The pixels are those the view
    drew itself: the same strokes in the same order on the same white."""

    ready = Signal()  # a new picture of the edges is complete
    SLICE_MS = 4.0
    CHUNK = 48  # lines per drawLines call: a slice can stop between any two calls

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None  # the complete picture on screen
        self.key: tuple | None = None  # ...and what it shows: (weights, layout, size, device pixel ratio)
        self.ms = 0.0  # what the last complete picture cost to draw, all slices together
        self._job: tuple | None = None  # (key, image, steps left: preparations and strokes, ms so far)
        self._next: tuple | None = None  # draw_later's arguments, asked for while a drawing was in progress
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._slice)

    @staticmethod
    def _blank(size: QSize, dpr: float) -> QImage:
        image = QImage(size * dpr, QImage.Format.Format_RGB32)
        image.setDevicePixelRatio(dpr)
        image.fill(QColor(255, 255, 255))
        return image

    def current(self, weights: EdgeWeights, layout: Layout, size: QSize, dpr: float) -> QImage | None:
        """The picture of these weights on this layout at this size, if it is complete, else None."""
        return self.image if _same(self.key, _key(weights, layout, size, dpr)) else None

    def stale(self, layout: Layout, size: QSize, dpr: float) -> QImage | None:
        """The last picture while it is of this layout at this size (newer weights on their way)."""
        if self.key is None or self.key[1] is not layout or self.key[2:] != ((size.width(), size.height()), dpr):
            return None
        return self.image

    def draw_now(self, weights: EdgeWeights, layout: Layout, size: QSize, dpr: float) -> QImage:
        """Draw `weights`' edges at once (any drawing in progress is dropped)."""
        self._job = self._next = None
        self._timer.stop()
        key = _key(weights, layout, size, dpr)
        t0 = time.perf_counter()
        image = self._blank(size, dpr)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for pen, lines in edge_strokes(weights):
            painter.setPen(pen)
            painter.drawLines(lines)
        painter.end()
        self.image, self.key, self.ms = image, key, (time.perf_counter() - t0) * 1e3
        return image

    def draw_later(self, weights: EdgeWeights, layout: Layout, size: QSize, dpr: float,
                   prepare: Sequence[Callable[[], Any]] = ()) -> None:  # fmt: skip
        """Draw `weights`' edges in slices, after the `prepare` steps (the neuron pictures' colour
        mapping: it too stays out of the paint); `ready` when done. One drawing at a time: a
        request during one waits (only the newest) and starts when it ends."""
        key = _key(weights, layout, size, dpr)
        if _same(key, self.key) or (self._job is not None and _same(self._job[0], key)):
            return
        if self._job is not None:
            self._next = (weights, layout, size, dpr, prepare)
            return
        self._job = (key, self._blank(size, dpr), [*prepare, *edge_strokes(weights, self.CHUNK)], 0.0)
        self._timer.start(0)

    def cancel(self) -> None:
        self._job = self._next = None
        self._timer.stop()

    def _slice(self) -> None:
        if self._job is None:
            return
        key, image, strokes, ms = self._job
        t0 = time.perf_counter()
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        while strokes and (time.perf_counter() - t0) * 1e3 < self.SLICE_MS:
            step = strokes.pop(0)
            if callable(step):
                step()
                continue
            pen, lines = step
            painter.setPen(pen)
            painter.drawLines(lines)
        painter.end()
        ms += (time.perf_counter() - t0) * 1e3
        if strokes:
            self._job = (key, image, strokes, ms)
            self._timer.start(0)
            return
        self._job = None
        self.image, self.key, self.ms = image, key, ms
        self.ready.emit()
        if self._next is not None:
            following, self._next = self._next, None
            self.draw_later(*following)


def _key(weights: EdgeWeights, layout: Layout, size: QSize, dpr: float) -> tuple:
    """What a picture shows: these very weights on this very layout (held, so never mistaken for
    newer ones), at a size."""
    return (weights, layout, (size.width(), size.height()), dpr)


def _same(a: tuple | None, b: tuple | None) -> bool:
    return a is not None and b is not None and a[0] is b[0] and a[1] is b[1] and a[2:] == b[2:]
