"""A view as PNG or SVG bytes, ready for the atomic writer (a full disk never truncates a plot).

SVG is vector where that stays small: pyqtgraph draws scatter points from a pixmap cache, which
QSvgGenerator turned into one embedded bitmap per point (3.5 KB each, quadratic time: 98 s for
10,000 points). Points are drawn as shapes for the export instead, and past `MAX_VECTOR_POINTS`
the plot is embedded as one image inside the SVG, with a note saying so.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRect
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsView, QWidget

from engine import PlaygroundError
from engine.core.i18n import _

from ..plotlib import pg

MAX_VECTOR_POINTS = 10_000  # scatter points drawn as SVG shapes; more are embedded as an image
FORMATS = (".png", ".svg")


def _scatter_items(widget: QWidget) -> list[pg.ScatterPlotItem]:
    """The visible scatter plots drawn by `widget` or any plot inside it."""
    views = widget.findChildren(pg.GraphicsView)
    if isinstance(widget, pg.GraphicsView):
        views.append(widget)
    return [
        item
        for view in views
        for item in view.scene().items()
        if isinstance(item, pg.ScatterPlotItem) and item.isVisible()
    ]


@contextlib.contextmanager
def _shapes_not_pixmaps(items: list[pg.ScatterPlotItem]) -> Iterator[None]:
    for item in items:
        item.setExportMode(True, {"antialias": True})
    try:
        yield
    finally:
        for item in items:
            item.setExportMode(False)


def png_bytes(widget: QWidget) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not widget.grab().save(buf, "PNG"):
        raise PlaygroundError(_("the plot could not be rendered as PNG"))
    buf.close()
    return bytes(data.data())


def _embedded_svg(widget: QWidget, n_points: int) -> bytes:
    w, h = widget.width(), widget.height()
    png = base64.b64encode(png_bytes(widget)).decode("ascii")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{w}" height="{h}" viewBox="0 0 {w} {h}">\n'
        "<title>nn-playground output</title>\n"
        f"<desc>{n_points:,} points are more than {MAX_VECTOR_POINTS:,}: the plot is embedded as one image, "
        "so the file stays small and opens quickly.</desc>\n"
        f'<image width="{w}" height="{h}" xlink:href="data:image/png;base64,{png}"/>\n'
        "</svg>\n"
    ).encode()


def svg_bytes(widget: QWidget) -> bytes:
    items = _scatter_items(widget)
    n_points = sum(len(item.data) for item in items)
    if n_points > MAX_VECTOR_POINTS:
        return _embedded_svg(widget, n_points)
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buf)
    generator.setSize(widget.size())
    generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
    generator.setTitle(_("nn-playground output"))
    with _shapes_not_pixmaps(items):
        painter = QPainter(generator)
        if isinstance(widget, QGraphicsView):
            widget.render(painter)  # the scene, as the view shows it
        else:  # the image views, a layer stack: the widget and its children
            QWidget.render(widget, painter, QPoint())
        painter.end()
    buf.close()
    return bytes(data.data())


def plot_bytes(widget: QWidget, suffix: str) -> bytes:
    """The widget as it is on screen, encoded for `suffix` (.png or .svg)."""
    suffix = suffix.lower()
    if suffix == ".png":
        return png_bytes(widget)
    if suffix == ".svg":
        return svg_bytes(widget)
    said = (_("plots are saved as {formats}, not {suffix!r}") if suffix else
            _("plots are saved as {formats}; the name has no extension"))  # fmt: skip
    raise PlaygroundError(said.format(formats=_(" or ").join(FORMATS), suffix=suffix))
