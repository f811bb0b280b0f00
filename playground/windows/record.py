"""Tools → Record…: the run so far as an animation for a slide, made from the time-travel
snapshots (one frame per kept epoch), the same slide as `nn-playground record` draws.

Widgets can only be drawn on the UI thread, so frames are drawn there one at a time between
events (a frame is a few tens of milliseconds) while a thread of their own encodes and writes
them, atomically; Cancel stops both and leaves any old file as it was.
"""

from __future__ import annotations

import queue
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine import PlaygroundError
from engine.core.i18n import N_, _, pick

from ..media import animation
from ..media.figures import Figures, Slide
from ..media.views import VIEWS, default_views, unavailable
from ..run.session import Session
from ..run.snapshot import Snapshot
from ..run.worker_loop import Cancelled
from ..widgets import captioned, guarded, name_widget, wrapped
from ..widgets.dialogs import Dialogs

SIZES = ((1920, 1080, N_("1920 × 1080 (Full HD)")), (1280, 720, "1280 × 720"),
         (960, 540, N_("960 × 540 (quick look)")), (3840, 2160, N_("3840 × 2160 (4K)")),
         (1080, 1080, N_("1080 × 1080 (square)")))  # fmt: skip
QUEUED_FRAMES = 3  # frames drawn ahead of the encoder at most (a 4K frame is 25 MB)
WAIT_MS = 20  # when the encoder is behind, the next frame is drawn this much later
FILTERS = "GIF (*.gif);;Animated PNG (*.apng);;MP4 video (*.mp4)"
NO_CONFUSION = N_("the window keeps predictions for image data only; 'nn-playground record --views confusion' "
                  "draws it for point data")  # fmt: skip
_CANCEL = object()


class _Encoder(QThread):
    """Takes drawn frames from a queue and writes them with `animation.write_animation`."""

    progress = Signal(int)  # frames written so far
    done = Signal(str)  # "" when saved, "cancelled", or what went wrong

    def __init__(self, path: Path, fps: float, frames: queue.Queue[Any]) -> None:
        super().__init__()
        self.path, self.fps, self.frames = path, fps, frames

    def _frames(self) -> Any:
        count = 0
        while True:
            frame = self.frames.get()
            if frame is None:
                return
            if frame is _CANCEL:
                raise Cancelled
            yield frame
            count += 1
            self.progress.emit(count)

    @guarded
    def run(self) -> None:
        try:
            animation.write_animation(self.path, self._frames(), self.fps)
        except Cancelled:
            self.done.emit("cancelled")
        except PlaygroundError as exc:
            self.done.emit(str(exc))
        except Exception as exc:  # the thread must say why it ended, whatever happened
            self.done.emit(_("could not record {name}: {exc}").format(name=self.path.name, exc=exc))
        else:
            self.done.emit("")


class RecordDialog(QDialog):
    """Views, frame size and speed; Record… asks where, then draws and writes with progress."""

    def __init__(self, session: Session, dialogs: Dialogs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordDialog")
        self.setWindowTitle(_("Record the run"))
        self.session, self.dialogs = session, dialogs
        self.encoder: _Encoder | None = None
        self.figures: Figures | None = None
        self.slide: Slide | None = None
        self.snaps: list[Snapshot] = []
        self.drawn = 0
        self.frames: queue.Queue[Any] = queue.Queue(maxsize=QUEUED_FRAMES)
        self.path: Path | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._draw_next)

        lay = QVBoxLayout(self)
        lay.addWidget(wrapped(
            _("An animation of the run so far for a slide: a frame for each epoch the time bar keeps, the chosen "
            "views under a caption with the epoch and the losses. 'nn-playground record' makes the same from a "
            "project without the window, a frame every K epochs."), "legend",
        ))  # fmt: skip
        row = QHBoxLayout()
        self.boxes: dict[str, QCheckBox] = {}
        snap = session.snapshot
        chosen = default_views(snap.project, snap.data) if snap is not None else ["curves"]
        for view, marked in VIEWS.items():
            title = _(marked)
            box = name_widget(QCheckBox(title), f"recordView_{view}", title)
            reason = self._unavailable(view, snap)
            box.setEnabled(reason is None)
            box.setChecked(reason is None and view in chosen)
            if reason is not None:
                box.setToolTip(reason)
            row.addWidget(box)
            self.boxes[view] = box
        lay.addLayout(row)
        options = QHBoxLayout()
        self.size_box = name_widget(QComboBox(), "recordSize", _("Frame size"))
        for _w, _h, text in SIZES:
            self.size_box.addItem(_(text) if text[-1] == ")" else text)
        self.fps = name_widget(QSpinBox(), "recordFps", _("Frames a second"))
        self.fps.setRange(1, 60)
        self.fps.setValue(10)
        options.addWidget(captioned(_("frame size"), self.size_box))
        options.addWidget(captioned(_("frames a second"), self.fps))
        options.addStretch(1)
        lay.addLayout(options)
        bottom = QHBoxLayout()
        self.bar = name_widget(QProgressBar(), "recordProgress", _("Recording progress"))
        self.bar.setValue(0)
        self.start = name_widget(QPushButton(_("Record…")), "recordStart", _("Record"),
                                 _("Choose a file and record the run"))
        self.start.clicked.connect(lambda _c=False: self.record())
        self.cancel = name_widget(QPushButton(_("Cancel")), "recordCancel", _("Cancel the recording"))
        self.cancel.setEnabled(False)
        self.cancel.clicked.connect(self.cancel_recording)
        bottom.addWidget(self.bar, 1)
        bottom.addWidget(self.start)
        bottom.addWidget(self.cancel)
        lay.addLayout(bottom)
        self.status = wrapped("", "recordStatus")
        lay.addWidget(self.status)
        self.finished.connect(lambda _result: self.shutdown())

    @staticmethod
    def _unavailable(view: str, snap: Snapshot | None) -> str | None:
        if snap is None:
            return "there is no run yet"
        if view == "confusion" and snap.image_eval is None and snap.data.dataset.problem == "classification":
            return _(NO_CONFUSION)
        return unavailable(view, snap.project, snap.data)

    def frame_size(self) -> tuple[int, int]:
        """The chosen frame size in pixels."""
        w, h, _text = SIZES[max(0, self.size_box.currentIndex())]
        return w, h

    def views(self) -> list[str]:
        return [view for view, box in self.boxes.items() if box.isChecked() and box.isEnabled()]

    @property
    def running(self) -> bool:
        return self.encoder is not None

    def record(self, path: str | Path | None = None) -> bool:
        """Ask where (unless `path` is given) and start; False when nothing was started (and why is said)."""
        if self.running:
            return False
        live = self.session.snapshot
        timeline = self.session.timeline
        if live is None or not len(timeline) or timeline.generation != live.generation:
            self._say(_("Nothing to record yet: play or step the run, then record it."))
            return False
        views = self.views()
        if not views:
            self._say(_("Choose at least one view."))
            return False
        path = path or self.dialogs.save_path(_("Record the run"), "run.gif", FILTERS)
        if not path:
            return False
        path = Path(path)
        if not path.suffix:
            path = path.with_name(path.name + ".gif")
        try:
            animation.check_output(path)
        except PlaygroundError as exc:
            self.dialogs.error(_("Could not record the run"), str(exc))
            return False
        # The kept epochs as they are now (training may go on and thin them meanwhile).
        self.snaps = [timeline.at(i, live) for i in range(len(timeline))]
        project = self.snaps[-1].project
        self.figures = Figures(project, views)
        title = pick(project.get("app", {}).get("title") or (self.session.state.path.stem if self.session.state.path
                                                              else "untitled"))  # fmt: skip
        self.slide = Slide(self.figures, self.frame_size(), title)
        self.frames = queue.Queue(maxsize=QUEUED_FRAMES)
        self.drawn = 0
        self.path = path
        self.encoder = _Encoder(path, float(self.fps.value()), self.frames)
        self.encoder.progress.connect(self._written)
        self.encoder.done.connect(self._done)
        self.encoder.start()
        self.bar.setRange(0, len(self.snaps))
        self.bar.setValue(0)
        self.start.setEnabled(False)
        self.cancel.setEnabled(True)
        self._say(_("Recording {count} frames to {name}…").format(count=len(self.snaps), name=path.name))
        self.timer.start(0)
        return True

    def _draw_next(self) -> None:
        """Draw one frame (on the UI thread, as widgets must be) and hand it to the encoder; after
        the last, hand it the end. When the encoder is behind, try again a little later: the UI
        thread never waits for it."""
        if self.slide is None:
            return
        if self.frames.full():
            self.timer.start(WAIT_MS)
            return
        if self.drawn == len(self.snaps):
            self.frames.put_nowait(None)
            return
        try:
            frame = self.slide.frame(self.snaps[self.drawn])
        except Exception as exc:  # a frame that cannot be drawn ends the recording, said in words
            epoch = self.snaps[self.drawn].epoch
            self.cancel_recording()
            self.dialogs.error(_("Could not record the run"), _("epoch {epoch}: {exc}").format(epoch=epoch, exc=exc))
            return
        self.frames.put_nowait(frame)
        self.drawn += 1
        self.timer.start(0)

    @Slot(int)
    def _written(self, count: int) -> None:
        self.bar.setValue(count)
        if count < len(self.snaps):
            self._say(
                _("Frame {count} of {count2} (epoch {epoch:,})…").format(
                    count=count + 1, count2=len(self.snaps), epoch=self.snaps[count].epoch
                )
            )

    def cancel_recording(self) -> None:
        """Stop drawing and tell the encoder to give up: the file is not written."""
        if not self.running:
            return
        self.timer.stop()  # nothing more is drawn
        while True:  # make room without waiting: what was queued is dropped anyway
            try:
                self.frames.get_nowait()
            except queue.Empty:
                break
        self.frames.put_nowait(_CANCEL)

    @Slot(str)
    def _done(self, message: str) -> None:
        encoder, self.encoder = self.encoder, None
        if encoder is not None:
            encoder.wait()
        self.timer.stop()
        self._free()
        self.start.setEnabled(True)
        self.cancel.setEnabled(False)
        name = self.path.name if self.path is not None else ""
        if message == "cancelled":
            self._say(_("Cancelled: nothing was written."))
        elif message:
            self._say(_("Could not record: {message}").format(message=message))
            self.dialogs.error(_("Could not record the run"), message)
        else:
            self.bar.setValue(self.bar.maximum())
            self._say(_("Saved {name}: {maximum} frames.").format(name=name, maximum=self.bar.maximum()))
            self.dialogs.status(_("Saved {name} ({maximum} frames)").format(name=name, maximum=self.bar.maximum()))

    def _free(self) -> None:
        for part in (self.slide, self.figures):
            if part is not None:
                part.close()
        self.slide, self.figures = None, None

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def shutdown(self) -> None:
        """Cancel a recording and wait for its thread (the window is closing)."""
        self.cancel_recording()
        encoder, self.encoder = self.encoder, None
        if encoder is not None:
            encoder.wait()
        self.timer.stop()
        self._free()


def open_record(session: Session, dialogs: Dialogs, parent: QWidget) -> RecordDialog:
    """The record dialog (one: a second request raises it)."""
    dlg = parent.findChild(RecordDialog, "recordDialog")
    if dlg is None:
        dlg = RecordDialog(session, dialogs, parent)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.show()
    dlg.raise_()
    return dlg
