"""Tools → Draw an Input…: test the model on your own input. Draw with the mouse (or open or drop
a PNG or JPEG) and see what the network says, class by class, as you draw.

The drawing is made into one of the data's images the way that set's images were made
(engine/data/framing.py: MNIST's 20×20 box centred by mass, the UCI digits' 32×32 bitmap counted
in 4×4 blocks, the shapes' size and brightness), then normalised as the project prepares its
data. The probabilities come from the newest snapshot's weights: on the UI thread for a network
cheap enough (one forward pass per update, at most 20 a second), else from the worker, which
also sends the drawn image's feature maps to the main window's Layers view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFont, QImage, QImageReader, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine import PlaygroundError
from engine.core.i18n import N_, _
from engine.core.numbers import number
from engine.data.framing import Framing, fit_picture, frame_ink, framing_for, photo_ink

from ..panels.maps_strip import MapsStrip
from ..run.layer_maps import LayerPicture
from ..run.session import Session
from ..run.snapshot import Snapshot, class_probabilities
from ..widgets import Caption, Label, guarded, name_widget, wrapped

RES = 280  # the canvas's own pixels (MNIST's 28 × 10): strokes and photos are read at this size
UPDATE_MS = 50  # at most 20 updates a second while drawing
BRUSH = {"mnist": 22, "uci": 26, "shapes": 30, "centred": 22}  # default brush per framing, in canvas pixels
# A forward pass runs on the UI thread only for networks this cheap (measured on one core: the CNN
# digits preset 0.7 ms, LeNet-5 on 28×28 1.6 ms; Conv 64-64 + Dense 512 on 28×28, 6.5 M parameters,
# 33 ms a pass and 950 ms to build, which is the worker's job).
UI_PARAMS = 1_000_000
UI_FLOPS = 10_000_000  # multiply-adds of one image, counting every convolution at the input's size
SEEN_SIZE = 140  # px of the "what the network sees" picture and of the original beside it
IMAGE_FILES = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp)"
NOT_IMAGES = N_("These data are not images. For points, the output plane already answers "
              "\"what about this point?\": hover over it, or click it for the backpropagation walk.")  # fmt: skip


def pad_entry(action: QAction, snap: Snapshot) -> None:
    """Tools → Draw an Input… is for image data: disabled otherwise, its tooltip saying why."""
    images = snap.data.dataset.image_shape is not None
    action.setEnabled(images)
    tip = _("Draw a digit or a shape, or open a photo, and see what the network says") if images else _(NOT_IMAGES)
    action.setToolTip(tip)
    action.setStatusTip(tip)
    for menu in action.associatedObjects():
        if isinstance(menu, QMenu):
            menu.setToolTipsVisible(True)  # a disabled entry's tooltip says why


@dataclass(frozen=True)
class Photo:
    """An opened picture, letterboxed into the canvas's square with its own border colour."""

    name: str
    size: tuple[int, int]  # the file's width and height
    rgb: np.ndarray  # (RES, RES, 3) 0..1: what the canvas shows and the colour data read
    grey: np.ndarray  # (RES, RES) 0..1


def read_photo(path: str | Path) -> Photo:
    """A PNG, JPEG, ... decoded by Qt (turned as its EXIF says); PlaygroundError in the user's
    words when it cannot be read."""
    p = Path(path)
    reader = QImageReader(str(p))
    reader.setAutoTransform(True)
    img = reader.read()
    if img.isNull():
        why = reader.errorString() if p.is_file() else "no such file"
        raise PlaygroundError(_("{name} could not be opened as an image ({why}). Open a PNG or JPEG file").format(
                                  name=p.name, why=why))
    size = (img.width(), img.height())
    small = img.convertToFormat(QImage.Format.Format_RGB888).scaled(
        RES, RES, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
    part = _array(small).astype(np.float64) / 255.0
    ring = np.concatenate([part[0], part[-1], part[:, 0], part[:, -1]])
    rgb = np.empty((RES, RES, 3))
    rgb[:] = ring.mean(axis=0)  # the letterbox takes the photo's border colour: no new edges
    top, left = (RES - part.shape[0]) // 2, (RES - part.shape[1]) // 2
    rgb[top : top + part.shape[0], left : left + part.shape[1]] = part
    return Photo(p.name, size, rgb, rgb @ np.array([0.299, 0.587, 0.114]))


def _array(img: QImage) -> np.ndarray:
    """An RGB888 or Grayscale8 QImage's pixels as (h, w, 3) or (h, w) uint8 (a copy)."""
    channels = 3 if img.format() == QImage.Format.Format_RGB888 else 1
    raw = np.frombuffer(img.constBits(), np.uint8, img.bytesPerLine() * img.height())
    rows = raw.reshape(img.height(), img.bytesPerLine())[:, : img.width() * channels]
    return rows.reshape(img.height(), img.width(), channels).squeeze(axis=2 if channels == 1 else ()).copy()


Stroke = tuple[tuple[tuple[float, float], ...], float]  # points (0..1 of the canvas), brush width (canvas px)


class Canvas(QWidget):
    """A square to draw on with the mouse, over an opened photo if there is one; undo and clear."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drawCanvas")
        self.setAccessibleName(_("Drawing canvas"))
        self.setMinimumSize(260, 260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.strokes: list[Stroke] = []
        self.photo: Photo | None = None
        self.brush = 22.0
        self._history: list[tuple[tuple[Stroke, ...], Photo | None]] = []
        self._drawing: list[tuple[float, float]] | None = None

    # ----------------------------------------------------------------- what is drawn
    def add_stroke(self, points: list[tuple[float, float]], width: float | None = None) -> None:
        """A whole stroke through `points` (0..1 of the canvas each way), as a mouse would draw it."""
        self._remember()
        self.strokes.append((tuple((float(x), float(y)) for x, y in points), float(width or self.brush)))
        self.update()
        self.changed.emit()

    def set_photo(self, photo: Photo) -> None:
        """Show `photo` (the drawing so far goes: Undo brings it back)."""
        self._remember()
        self.strokes, self.photo = [], photo
        self.update()
        self.changed.emit()

    def undo(self) -> bool:
        if not self._history:
            return False
        strokes, self.photo = self._history.pop()
        self.strokes = list(strokes)
        self.update()
        self.changed.emit()
        return True

    def clear(self) -> None:
        if self.strokes or self.photo is not None:
            self._remember()
            self.strokes, self.photo = [], None
            self.update()
            self.changed.emit()

    def _remember(self) -> None:
        self._history.append((tuple(self.strokes), self.photo))
        del self._history[:-200]

    def empty(self) -> bool:
        return not self.strokes and self.photo is None

    def ink(self) -> np.ndarray:
        """The strokes alone as ink (RES, RES), 0 paper .. 1 ink, anti-aliased."""
        img = QImage(RES, RES, QImage.Format.Format_Grayscale8)
        img.fill(0)
        painter = QPainter(img)
        self._paint_strokes(painter, RES, QColor(255, 255, 255))
        painter.end()
        return _array(img).astype(np.float64) / 255.0

    def ink_colour(self) -> QColor:
        """Dark strokes on paper or a light photo, light ones on a dark photo."""
        light = self.photo is not None and float(self.photo.grey.mean()) < 0.5
        return QColor(245, 245, 245) if light else QColor(20, 20, 20)

    def _paint_strokes(self, painter: QPainter, side: float, colour: QColor) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        strokes = [*self.strokes, *([(tuple(self._drawing), self.brush)] if self._drawing else [])]
        for points, width in strokes:
            painter.setPen(QPen(colour, width * side / RES, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                                Qt.PenJoinStyle.RoundJoin))  # fmt: skip
            pts = [QPointF(x * side, y * side) for x, y in points]
            if len(pts) == 1:
                painter.drawPoint(pts[0])
            else:
                painter.drawPolyline(QPolygonF(pts))

    # ----------------------------------------------------------------- Qt
    def _square(self) -> QRectF:
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _at(self, pos: QPointF) -> tuple[float, float]:
        sq = self._square()
        x, y = (pos.x() - sq.x()) / sq.width(), (pos.y() - sq.y()) / sq.height()
        return min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)

    @guarded
    def paintEvent(self, _event: Any) -> None:
        painter = QPainter(self)
        sq = self._square()
        if self.photo is not None:
            pixels = np.clip(self.photo.rgb * 255 + 0.5, 0, 255).astype(np.uint8)
            img = QImage(pixels.data, RES, RES, 3 * RES, QImage.Format.Format_RGB888)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(sq, img)
        else:
            painter.fillRect(sq, QColor(255, 255, 255))
        painter.translate(sq.topLeft())
        self._paint_strokes(painter, sq.width(), self.ink_colour())
        painter.resetTransform()
        painter.setPen(QPen(QColor(170, 170, 170), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(sq.adjusted(0, 0, -1, -1))
        painter.end()

    @guarded
    def mousePressEvent(self, event: Any) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drawing = [self._at(event.position())]
            self.update()
            self.changed.emit()

    @guarded
    def mouseMoveEvent(self, event: Any) -> None:
        if self._drawing is not None:
            x, y = self._at(event.position())
            lx, ly = self._drawing[-1]
            if abs(x - lx) + abs(y - ly) >= 0.5 / RES:
                self._drawing.append((x, y))
                self.update()
                self.changed.emit()

    @guarded
    def mouseReleaseEvent(self, event: Any) -> None:
        if self._drawing is not None and event.button() == Qt.MouseButton.LeftButton:
            points, self._drawing = self._drawing, None
            self.add_stroke(points)


class UiForward:
    """The newest snapshot's network, built on the UI thread once per run (as Session.network()
    does) and given each newer snapshot's weights: for networks cheap enough (see UI_FLOPS)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._net: Any = None
        self._generation: int | None = None
        self._weights: list[np.ndarray] | None = None

    @staticmethod
    def cheap(snap: Snapshot) -> bool:
        ds = snap.data.dataset
        positions = int(np.prod(ds.image_shape[:2])) if ds.image_shape else 1
        params = sum(w.size for w in snap.weights)
        flops = sum(w.size * (positions if w.ndim == 4 else 1) for w in snap.weights)
        return params <= UI_PARAMS and flops <= UI_FLOPS

    def outputs(self, snap: Snapshot, row: np.ndarray) -> np.ndarray:
        """The network's output for one raw data row (normalised as the project prepares data)."""
        if self._net is None or self._generation != snap.generation:
            self._net = self.session.network()  # the newest snapshot's: `snap` is what it was given
            self._generation, self._weights = snap.generation, snap.weights
        elif self._weights is not snap.weights:
            self._net.set_weights(snap.weights)
            self._weights = snap.weights
        x = snap.data.transform(row[None]).astype(self._net.dtype)
        return np.asarray(self._net.predict(x))[0]


class DrawPad(QDialog):
    """Draw an input, or open a photo, and watch the network's answer (see the module's docstring)."""

    def __init__(self, session: Session, open_path: Callable[[str, str], Path | None],
                 back_to: Callable[[], int | None], parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("drawPad")
        self.setWindowTitle(_("Draw an Input"))
        self.setAcceptDrops(True)
        self.session, self._open_path, self._back_to = session, open_path, back_to
        self.framing: Framing | None = None
        self.row: np.ndarray | None = None  # the image the network is shown: one raw data row
        self.probabilities: np.ndarray | None = None
        self.predicted: int | None = None
        self.output: np.ndarray | None = None
        self._data: Any = None
        self._photo_ink: tuple[Photo, Any] | None = None
        self._sent: tuple[np.ndarray | None, int] = (None, 0)  # the row last sent to the worker, its number
        self._forward = UiForward(session)
        self._stale = True  # the canvas changed since the network's image was made
        self._build()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(UPDATE_MS)
        self._timer.timeout.connect(self.refresh)
        self.canvas.changed.connect(self._schedule)
        session.frame.connect(self._on_frame)
        self.finished.connect(self._closed)
        session.set_view("pad", True)
        if session.snapshot is not None:
            self._on_frame(session.snapshot, True)

    def _build(self) -> None:
        lay = QVBoxLayout(self)
        self.how = wrapped("", "padHow")
        lay.addWidget(self.how)
        body = QHBoxLayout()
        left = QVBoxLayout()
        self.canvas = Canvas()
        left.addWidget(self.canvas, 1)
        tools = QHBoxLayout()
        self.undo = name_widget(QPushButton(_("Undo")), "padUndo", _("Undo"), _("Take back the last stroke (or photo)"))
        self.clear = name_widget(QPushButton(_("Clear")), "padClear", _("Clear"), _("Start again on a blank canvas"))
        self.brush = name_widget(QSpinBox(), "padBrush", _("Brush size"),
                                 _("The brush's width, in pixels of the 280 × 280 canvas"))  # fmt: skip
        self.brush.setRange(4, 80)
        self.brush.setSuffix(" px")
        self.open = name_widget(QPushButton(_("Open Image…")), "padOpenImage", _("Open image"),
                                _("A PNG or JPEG as the input (or drop one on this window)"))  # fmt: skip
        self.undo.clicked.connect(self.canvas.undo)
        self.clear.clicked.connect(self.canvas.clear)
        self.brush.valueChanged.connect(lambda v: setattr(self.canvas, "brush", float(v)))
        self.open.clicked.connect(self.choose_image)
        for w in (self.undo, self.clear, Label(_("brush")), self.brush):
            tools.addWidget(w)
        tools.addStretch(1)
        tools.addWidget(self.open)
        left.addLayout(tools)
        body.addLayout(left, 3)
        right = QVBoxLayout()
        pair = QHBoxLayout()
        self.original = self._picture("padOriginal", "Your drawing or photo")
        self.seen = self._picture("padSeen", "The image the network is given")
        self.yours = Caption("your drawing")
        for cap, pic in ((self.yours, self.original), (Caption("what the network sees"), self.seen)):
            col = QVBoxLayout()
            col.addWidget(cap)
            col.addWidget(pic)
            pair.addLayout(col)
        pair.addStretch(1)
        right.addLayout(pair)
        self.notes = wrapped("", "padNotes")
        right.addWidget(self.notes)
        self.prediction = name_widget(Label(""), "padPrediction", _("Prediction"))
        font = QFont(self.prediction.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.prediction.setFont(font)
        right.addWidget(self.prediction)
        self.bars = name_widget(MapsStrip(), "padProbabilities", _("Class probabilities"))
        right.addWidget(self.bars)
        self.message = wrapped("", "padMessage")
        self.message.setStyleSheet("color: #8a1c14;")
        right.addWidget(self.message)
        right.addStretch(1)
        body.addLayout(right, 2)
        lay.addLayout(body, 1)
        self.resize(900, 560)

    @staticmethod
    def _picture(name: str, accessible: str) -> Label:
        pic = name_widget(Label(), name, accessible)
        pic.setFixedSize(SEEN_SIZE, SEEN_SIZE)
        pic.setStyleSheet("border: 1px solid #aaaaaa;")
        return pic

    # ----------------------------------------------------------------- input
    def choose_image(self) -> bool:
        path = self._open_path("Open an image", IMAGE_FILES)
        return path is not None and self.open_image(path)

    def open_image(self, path: str | Path) -> bool:
        """The picture at `path` as the input; a file that is not one is said, and nothing changes."""
        try:
            photo = read_photo(path)
        except PlaygroundError as exc:
            self.message.setText(_("{exc}. Your drawing is unchanged.").format(exc=exc))
            return False
        self.message.setText("")
        self.canvas.set_photo(photo)
        self.refresh()
        return True

    @guarded
    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    @guarded
    def dropEvent(self, event: Any) -> None:
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if not urls:
            self.message.setText(_("Only a file on this computer can be dropped here. Your drawing is unchanged."))
            return
        event.acceptProposedAction()
        self.open_image(urls[0].toLocalFile())

    # ----------------------------------------------------------------- updates
    def _schedule(self) -> None:
        """The canvas changed: a new image at the next update (at most 20 a second)."""
        self._stale = True
        if not self._timer.isActive():
            self._timer.start()

    def _on_frame(self, snap: Snapshot, _force: bool = False) -> None:
        snap = self.session.snapshot or snap  # the newest, even while the main window shows a past epoch
        if snap.data is not self._data:
            self._data = snap.data
            style = self.framing.style if self.framing else None
            self.framing = framing_for(snap.data.dataset)
            if self.framing is not None and self.framing.style != style:
                self.brush.setValue(BRUSH[self.framing.style])
            self._photo_ink = None
            self.how.setText(_("{how} The main window's Layers view follows your image.").format(
                how=self.framing.how) if self.framing else _(NOT_IMAGES))  # fmt: skip
            self.canvas.setEnabled(self.framing is not None)
            self.open.setEnabled(self.framing is not None)
            self._stale = True
            self.refresh()
        elif self.row is not None and UiForward.cheap(snap) and not self._timer.isActive():
            self._timer.start()  # new weights: the answer follows them
        self._take_worker_answer(snap)

    def refresh(self) -> None:
        """Make the network's image from the canvas if it changed, and ask the network about it."""
        self._timer.stop()
        snap = self.session.snapshot
        if self._stale or snap is None:
            self._stale = False
            self._remake()
        if self.row is not None and snap is not None and UiForward.cheap(snap):
            try:
                self._show_answer(self._forward.outputs(snap, self.row))
            except PlaygroundError as exc:  # a run whose weights do not fit its project (being rebuilt)
                self.message.setText(str(exc))

    def _remake(self) -> None:
        """The canvas beside the image the network is given, which goes to the worker too."""
        f = self.framing
        self.yours.setText(_("YOUR PHOTO") if self.canvas.photo is not None else _("YOUR DRAWING"))
        mine = self.canvas.grab(self.canvas._square().toRect())
        self.original.setPixmap(mine.scaled(SEEN_SIZE - 2, SEEN_SIZE - 2, Qt.AspectRatioMode.KeepAspectRatio,
                                            Qt.TransformationMode.SmoothTransformation))  # fmt: skip
        row = self._make_row(f) if f is not None and self.session.snapshot is not None else None
        if row is None:
            self.row = None
            self.seen.clear()
            self._show_answer(None)
            what = {"mnist": "a digit", "uci": "a digit", "shapes": "a shape"}.get(f.style, "something") if f else ""
            self.prediction.setText(_("Draw {what}.").format(what=what) if f else "")
        else:
            if self.row is None or not np.array_equal(row, self.row):
                self.row = row  # an equal image keeps its identity: it is not sent again
            self.seen.setPixmap(self._seen_pixmap(row, f))
        self._send(self.row)

    def _make_row(self, f: Framing) -> np.ndarray | None:
        photo, strokes = self.canvas.photo, self.canvas.ink()
        if f.channels == 3 and photo is not None:  # colour photos are resized whole, strokes painted on
            colour = self.canvas.ink_colour()
            ink = strokes[:, :, None]
            paint = np.array([colour.redF(), colour.greenF(), colour.blueF()])
            self._note_photo(photo, None, f)
            return fit_picture(photo.rgb * (1 - ink) + paint * ink, f)
        ink = strokes
        if photo is not None:
            if self._photo_ink is None or self._photo_ink[0] is not photo:
                self._photo_ink = (photo, photo_ink(photo.grey))
            read = self._photo_ink[1]
            ink = np.maximum(ink, read.ink)
            self._note_photo(photo, read, f)
        else:
            self.notes.setText(_("You draw dark on light; the network sees light on dark, as its data are.")
                               if f.light_on_dark else "")  # fmt: skip
        return frame_ink(ink, f)

    def _note_photo(self, photo: Photo, read: Any, f: Framing) -> None:
        w, h = photo.size
        if read is None:
            self.notes.setText(_("{name} ({w}×{h}) resized whole to {shape}×{shape2}: the data are colour images, so "
                                 "nothing else is changed.").format(
                                   name=photo.name, w=w, h=h, shape=f.shape[1], shape2=f.shape[0]))  # fmt: skip
            return
        says = {  # (the photo is dark on light, these data are light on dark): whole sentences
            (True, True): _("{name} ({w}×{h}) is dark on light (its border's mean grey is {grey} of white); these data "
                            "are light on dark, so the network sees it inverted."),
            (True, False): _("{name} ({w}×{h}) is dark on light (its border's mean grey is {grey} of white); these "
                             "data are dark on light, like these data: not inverted."),
            (False, True): _("{name} ({w}×{h}) is light on dark (its border's mean grey is {grey} of white); these "
                             "data are light on dark, like these data: not inverted."),
            (False, False): _("{name} ({w}×{h}) is light on dark (its border's mean grey is {grey} of white); these "
                              "data are dark on light, so the network sees it inverted."),
        }  # fmt: skip
        text = says[bool(read.dark_on_light), bool(f.light_on_dark)].format(
            name=photo.name, w=w, h=h, grey=f"{read.border:.2f}")
        self.notes.setText(text if read.ink.any() else text + " " + _("No strokes stand out from its background."))

    def _seen_pixmap(self, row: np.ndarray, f: Framing) -> QPixmap:
        span = f.high - f.low if f.high > f.low else 1.0
        img = np.clip((row.reshape(f.shape) - f.low) / span * 255 + 0.5, 0, 255).astype(np.uint8)
        h, w = f.shape[:2]
        if f.channels == 3:
            q = QImage(img.data, w, h, 3 * w, QImage.Format.Format_RGB888)
        else:
            img = np.ascontiguousarray(img.reshape(h, w, -1)[:, :, 0])
            q = QImage(img.data, w, h, w, QImage.Format.Format_Grayscale8)
        return QPixmap.fromImage(q.copy()).scaled(SEEN_SIZE - 2, SEEN_SIZE - 2, Qt.AspectRatioMode.KeepAspectRatio,
                                                  Qt.TransformationMode.FastTransformation)  # fmt: skip

    def _send(self, row: np.ndarray | None) -> None:
        """The image for the worker (the Layers view follows it), one at a time: the next goes
        once the worker has applied the last."""
        last, seq = self._sent
        snap = self.session.snapshot
        if row is last or (row is None and last is None) or (snap is not None and snap.applied < seq):
            return
        if row is None:
            self._sent = (None, self.session.pick_image(self._back_to()))
        else:
            self._sent = (row, self.session.pick_drawn(row.copy()))

    @property
    def pending(self) -> bool:
        """Whether the worker has yet to apply the image shown (the Layers view lags it)."""
        last, seq = self._sent
        snap = self.session.snapshot
        return last is not self.row or snap is None or snap.applied < seq

    def _take_worker_answer(self, snap: Snapshot) -> None:
        last, seq = self._sent
        if self.row is not None and last is not self.row:
            self._send(self.row)  # the worker has caught up: the newest image goes
            return
        maps = snap.layer_maps
        if (self.row is None or UiForward.cheap(snap) or maps is None or maps.row != -1 or snap.applied < seq
                or not maps.layers or maps.layers[-1].values is None):  # fmt: skip
            return
        self._show_answer(np.asarray(maps.layers[-1].values, dtype=np.float64))

    def _show_answer(self, out: np.ndarray | None) -> None:
        self.output = out
        snap = self.session.snapshot
        if out is None or snap is None:
            self.probabilities = self.predicted = None
            self.bars.set_picture(None, [], -1)
            return
        ds = snap.data.dataset
        if ds.problem != "classification":
            self.probabilities = self.predicted = None
            self.prediction.setText(_("Output: {value}").format(value=", ".join(number(v) for v in out[:4])))
            self.bars.set_picture(None, [], -1)
            return
        p = class_probabilities(out[None])[0]
        self.probabilities, self.predicted = p, int(np.argmax(p))
        names = ds.class_names or [str(k) for k in range(p.size)]
        name = names[self.predicted] if self.predicted < len(names) else str(self.predicted)
        self.prediction.setText(_("It says: {name} ({p:.0%})").format(name=name, p=p[self.predicted]))
        self.bars.set_picture(LayerPicture(-1, "Dense", p.shape, values=p.astype(np.float32)), names, -1)

    def _closed(self, _result: int = 0) -> None:
        """Closing gives the Layers view back to the sample picked in Samples."""
        self._timer.stop()
        self.session.frame.disconnect(self._on_frame)
        self.session.set_view("pad", False)
        if self._sent[0] is not None:
            self.session.pick_image(self._back_to())
