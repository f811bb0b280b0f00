"""The window's views drawn off screen: one view as a figure (what Export Plot saves, for the data
view) and several on a slide under a caption, the frames of a recording.

The widgets are the window's own, fed the same snapshots, each drawn alone at a size and a scale
(device pixels per logical pixel): a slide is laid out SLIDE_HEIGHT logical pixels high and drawn
at its size's scale, so text and lines grow with the frame. A pane of a slide is drawn exactly as
`render` draws that view at the pane's size and scale, so the two give the same pixels.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QImage
from PySide6.QtWidgets import QGraphicsWidget, QWidget

from engine import PlaygroundError
from engine.core.i18n import _
from engine.run.training import Diverged, Trainer

from ..panels.curves_view import CurvesView, latest_losses
from ..panels.histogram_view import HistogramView
from ..panels.images import ConfusionMatrix, ImageDataView
from ..panels.layers_view import LayersPanel
from ..panels.network_view import NetworkView
from ..panels.output_view import OutputView
from ..plotlib import pg
from ..run.layer_maps import layer_maps
from ..run.snapshot import GRID, Snapshot, grid_extent, grid_points, image_eval, take_snapshot
from ..run.state import ProjectState
from ..widgets import Label
from .plot_export import plot_bytes

SLIDE_HEIGHT = 720  # logical pixels: a 1080-pixel frame is drawn at scale 1.5
TALL_VIEWS = {"network": 1.6, "layers": 1.6}  # their share of a slide's right column against 1 for the others
SLIDE_MARGIN = 12
SLIDE_GAP = 10
CAPTION_POINTS = 15.0
MAX_DRAWS = 4  # drawings of a widget at most, while drawing changes its layout (see `draw`)


def snapshot(trainer: Trainer, views: Sequence[str]) -> Snapshot:
    """What the views need of the trainer now, as the window's worker sends it: the plane at full
    resolution, predictions for image data (and for a confusion matrix), the first test image's
    feature maps for the layer view."""
    extras: dict[str, Any] = {}
    data = trainer.data
    extent = grid_extent(data)
    grid = None if extent is None else data.transform(grid_points(extent, GRID)).astype(trainer.network.dtype)
    with np.errstate(all="ignore"):  # a diverging run: draw what there is
        if data.dataset.problem == "classification" and (data.dataset.image_shape is not None or "confusion" in views):
            extras["image_eval"] = image_eval(trainer)
        if "layers" in views:
            extras["layer_maps"] = layer_maps(trainer, None)
        return take_snapshot(trainer, 0, grid, extent, **extras)


def draw(widget: QWidget, size: tuple[int, int], scale: float) -> np.ndarray:
    """The widget's pixels, (h, w, 3) uint8, `size` device pixels at `scale` device pixels per
    logical pixel (its logical size is size / scale).

    Drawn again while drawing changed its layout: a plot's axes measure their tick labels as
    they are painted and then take the room they need, which lays the plot out anew. On screen
    that is the next repaint; here it is the next drawing (the first frames of a run)."""
    fit(widget, size, scale)
    settle(widget)
    for _draw in range(MAX_DRAWS):
        before = layout(widget)
        img = QImage(size[0], size[1], QImage.Format.Format_RGB888)
        img.setDevicePixelRatio(scale)
        img.fill(Qt.GlobalColor.white)
        QWidget.render(widget, img)
        settle(widget)
        if layout(widget) == before:
            break
    return rgb_pixels(img)


def layout(widget: QWidget) -> list[tuple[int, ...]]:
    """Where everything in the widget is: its child widgets and the parts of its plots (axes,
    view boxes, legends), which painting may move."""
    parts = [w.geometry().getRect() for w in widget.findChildren(QWidget)]
    views = [*widget.findChildren(pg.GraphicsView), *([widget] if isinstance(widget, pg.GraphicsView) else [])]
    for view in views:
        items = view.scene().items()
        parts += [tuple(item.geometry().getRect()) for item in items if isinstance(item, QGraphicsWidget)]
    return parts


def fit(widget: QWidget, size: tuple[int, int], scale: float) -> None:
    """Give the widget the logical size that fills `size` device pixels at `scale`."""
    logical = QSize(max(1, round(size[0] / scale)), max(1, round(size[1] / scale)))
    if widget.size() != logical:
        widget.setMinimumSize(0, 0)
        widget.resize(logical)


def settle(widget: QWidget) -> None:
    """Lay out now what changes asked to be laid out, so a widget is drawn as it would be on
    screen: controls a view added are shown (Qt queues that to each of them) and every layout
    request is met, the widgets' and the plots'. No other event is delivered."""
    for w in (widget, *widget.findChildren(QWidget)):
        if shiboken6.isValid(w):  # a view may have replaced some of its controls meanwhile
            QCoreApplication.sendPostedEvents(w, QEvent.Type.MetaCall)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


def rgb_pixels(img: QImage) -> np.ndarray:
    """A QImage's pixels as an (h, w, 3) uint8 array (a copy)."""
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    h, w, stride = img.height(), img.width(), img.bytesPerLine()
    rows = np.frombuffer(img.constBits(), np.uint8, stride * h).reshape(h, stride)
    return rows[:, : w * 3].reshape(h, w, 3).copy()


class Figures:
    """Off-screen views of one project's run: fed snapshots, drawn on request. Each view's
    figure is a top-level widget of its own (never on screen), drawn alone."""

    def __init__(self, project: dict[str, Any], views: Sequence[str]) -> None:
        self.views = list(views)
        self.state = ProjectState(project)
        self.images: ImageDataView | None = None  # the output view for image data
        self._images_shown = False
        self.panels: dict[str, QWidget] = {}  # what is fed snapshots
        self.figures: dict[str, QWidget] = {}  # what is drawn
        for view in self.views:
            panel, figure = self._make(view)
            self.panels[view], self.figures[view] = panel, figure
            figure.setParent(None)
            figure.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
            figure.show()  # laid out and polished, though never on a screen

    def _make(self, view: str) -> tuple[QWidget, QWidget]:
        """The view's panel and the widget that is its figure."""
        if view == "output":
            out = OutputView()
            self.images = ImageDataView()  # the data view for image data, as in the window
            return out, out.plot  # the plot alone, as Export Plot saves it
        if view == "network":
            return (net := NetworkView(self.state)), net
        if view == "curves":
            curves = CurvesView()
            for control in (curves.metric_box, curves.log_y, curves.smoothing, curves.readout):
                control.hide()  # the figure shows the run, not the controls (in any language)
            return curves, curves
        if view == "weights":
            return (hist := HistogramView()), hist
        if view == "confusion":
            return (matrix := ConfusionMatrix()), matrix
        if view == "layers":
            layers = LayersPanel(self.state)
            return layers, layers
        raise PlaygroundError(_("no view called {view!r}").format(view=view))

    def figure(self, view: str) -> QWidget:
        """The widget drawn for `view`: for the output view of image data, the image views."""
        if view == "output" and self.images is not None and self._images_shown:
            return self.images
        return self.figures[view]

    def show(self, snap: Snapshot) -> None:
        """Give every view this snapshot (the weights view adds a row to its history per epoch)."""
        ds = snap.data.dataset
        for view, panel in self.panels.items():
            if view == "output" and ds.image_shape is not None and self.images is not None:
                if not self._images_shown:
                    self._images_shown = True
                    self.images.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
                    self.images.show()
                self.images.set_snapshot(snap)
            elif view == "confusion":
                names = ds.class_names or [str(k) for k in range(max(ds.classes, 2))]
                panel.set_eval(snap.image_eval, list(names))  # type: ignore[attr-defined]
            else:
                panel.set_snapshot(snap)  # type: ignore[attr-defined]

    def weights_row(self, snap: Snapshot) -> None:
        """An epoch between frames: only the weights view keeps a history (a row per epoch)."""
        if "weights" in self.panels:
            self.panels["weights"].set_snapshot(snap)  # type: ignore[attr-defined]

    def fit(self, view: str, size: tuple[int, int], scale: float = 1.0) -> None:
        """Size the view before it is shown anything: a plot sets its axes' ranges for the size it
        has then, as the window's plots are laid out before their first snapshot."""
        for widget in (self.figures[view], self.images if view == "output" else None):
            if widget is not None:
                fit(widget, size, scale)

    def pixels(self, view: str, size: tuple[int, int], scale: float = 1.0) -> np.ndarray:
        """The view's figure as (h, w, 3) pixels: `size` device pixels at `scale`."""
        return draw(self.figure(view), size, scale)

    def svg(self, view: str, size: tuple[int, int]) -> bytes:
        """The view as SVG (vector; the plot embedded as one image past many points), as Export Plot."""
        widget = self.figure(view)
        draw(widget, size, 1.0)  # sized and laid out as it is drawn
        return plot_bytes(widget, ".svg")

    def close(self) -> None:
        """Free the widgets (they are top-level, so nothing else would)."""
        widgets = [*self.figures.values(), *self.panels.values(), self.images]
        for widget in dict.fromkeys(w for w in widgets if w is not None):
            widget.close()
            widget.deleteLater()


# ----------------------------------------------------------------- slides
@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int


def slide_scale(size: tuple[int, int]) -> float:
    """Device pixels per logical pixel on a slide of `size`: text and lines grow with it."""
    return max(1.0, size[1] / SLIDE_HEIGHT)


def slide_boxes(views: Sequence[str], size: tuple[int, int], caption_height: int) -> list[Box]:
    """Where the views go on a slide, in device pixels: one fills it; two side by side; more: the
    first on the left as a square (the output plane), the others stacked on the right, the
    network taller than the rest (its neurons need the height)."""
    w, h = size
    s = slide_scale(size)
    m, gap = round(SLIDE_MARGIN * s), round(SLIDE_GAP * s)
    top = m + caption_height + gap
    area_w, area_h = w - 2 * m, max(1, h - top - m)
    if len(views) == 1:
        return [Box(m, top, area_w, area_h)]
    if len(views) == 2:
        half = (area_w - gap) // 2
        return [Box(m, top, half, area_h), Box(m + half + gap, top, area_w - half - gap, area_h)]
    left = min(area_h, (area_w - gap) // 2)
    right_w = area_w - left - gap
    weights = np.array([TALL_VIEWS.get(v, 1.0) for v in views[1:]])
    free = area_h - gap * (len(views) - 2)
    ends = np.floor(np.cumsum(weights) / weights.sum() * free).astype(int)
    starts = np.concatenate([[0], ends[:-1]])
    boxes = [Box(m, top, left, area_h)]
    for k, (a, b) in enumerate(zip(starts, ends)):
        boxes.append(Box(m + left + gap, top + int(a) + k * gap, right_w, int(b - a)))
    return boxes


def caption(snap: Snapshot, title: str = "") -> str:
    """The slide's caption: the project, the epoch and the latest losses (and accuracies)."""
    parts = latest_losses(snap.history, val="validation")
    head = (_("{title} — epoch {epoch:,}") if title else _("epoch {epoch:,}")).format(title=title, epoch=snap.epoch)
    losses = _("data loss: {values}").format(values=" · ".join(parts)) if parts else _("initial weights")
    return f"{head}   {losses}"


class Slide:
    """Frames of several views under a caption, at one size (device pixels)."""

    def __init__(self, figures: Figures, size: tuple[int, int], title: str = "") -> None:
        self.figures, self.size, self.title = figures, size, title
        self.scale = slide_scale(size)
        self.label = Label("")
        self.label.setObjectName("slideCaption")
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        font = QFont(self.label.font())
        font.setPointSizeF(CAPTION_POINTS)
        self.label.setFont(font)
        self.label.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        self.label.show()
        for view, box in zip(figures.views, self.boxes()):
            figures.fit(view, (box.w, box.h), self.scale)

    def boxes(self) -> list[Box]:
        """Where each view goes, in the order of figures.views."""
        return slide_boxes(self.figures.views, self.size, self._caption_size()[1])

    def _caption_size(self) -> tuple[int, int]:
        """The caption's room in device pixels: the slide's width, one line of its font."""
        m = round(SLIDE_MARGIN * self.scale)
        line = QFontMetrics(self.label.font()).height() + 4
        return self.size[0] - 2 * m, math.ceil(line * self.scale)

    def frame(self, snap: Snapshot) -> np.ndarray:
        """The slide for `snap` as (h, w, 3) uint8 pixels."""
        self.figures.show(snap)
        w, h = self.size
        out = np.full((h, w, 3), 255, dtype=np.uint8)
        size = self._caption_size()
        width = round(size[0] / self.scale)
        metrics = QFontMetrics(self.label.font())
        self.label.setText(metrics.elidedText(caption(snap, self.title), Qt.TextElideMode.ElideRight, width - 2))
        m = round(SLIDE_MARGIN * self.scale)
        out[m : m + size[1], m : m + size[0]] = draw(self.label, size, self.scale)
        for view, box in zip(self.figures.views, self.boxes()):
            out[box.y : box.y + box.h, box.x : box.x + box.w] = self.figures.pixels(view, (box.w, box.h), self.scale)
        return out

    def close(self) -> None:
        self.label.close()
        self.label.deleteLater()


def run(trainer: Trainer, figures: Figures, epochs: int, every: int) -> Iterator[Snapshot]:
    """Train `epochs` more epochs, yielding a snapshot at the start, every `every` epochs and at
    the end (training stopped early or diverged ends it: `trainer.diverged` then says why). The
    weights view is given every epoch between, as the window's stepping epoch by epoch would, so
    a frame does not depend on how often frames are taken."""
    views = figures.views
    yield snapshot(trainer, views)
    for done in range(1, epochs + 1):
        try:
            trainer.train_epoch()
        except Diverged:
            yield snapshot(trainer, views)  # the last finite weights
            return
        last = done == epochs or trainer.stopped
        if last:
            trainer.finish()
        if done % every == 0 or last:
            yield snapshot(trainer, views)
        else:
            figures.weights_row(take_snapshot(trainer, 0, None, None))
        if last:
            return
