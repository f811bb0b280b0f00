"""MNIST and Fashion-MNIST from the data panel: downloaded once on a worker thread (a progress
dialog with Cancel), kept in the user's data folder, then opened like any IDX file.

The engine's `downloads.download` does the work (published SHA-256, atomic files); this module
only moves it off the UI thread and shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from engine.core.errors import PlaygroundError
from engine.core.i18n import _, ngettext
from engine.data.downloads import REMOTE_SETS, DownloadCancelled, download, folder_for

from ..run.commands import Command
from ..run.worker_loop import Cancelled, LoopWorker
from ..run.worker_thread import WorkerHandle
from .files import FileActions


@dataclass(frozen=True)
class Fetch(Command):
    name: str
    root: str


class DownloadWorker(LoopWorker):
    """Runs one download at a time; reports bytes as they arrive. Whatever goes wrong ends in
    `done` with the reason, and the thread goes on serving the next Fetch."""

    progress = Signal(int, str, int, int)  # sequence number, file, bytes so far, bytes in all
    done = Signal(int, object)  # sequence number, {part: path} or the reason (str), "cancelled" if so

    def __init__(self) -> None:
        super().__init__()
        self.cancel_upto = 0

    def _train_once(self) -> bool:
        return False

    def _emit(self) -> None:
        self._dirty = False

    def _apply(self, command: Command, seq: int) -> None:
        if not isinstance(command, Fetch):
            return

        def stop() -> bool:
            if self.cancelled.is_set():
                raise Cancelled
            return self.cancel_upto >= seq

        try:
            paths = download(command.name, Path(command.root),
                             lambda name, got, total: self.progress.emit(seq, name, got, total), stop)  # fmt: skip
        except DownloadCancelled:
            self.done.emit(seq, "cancelled")
        except PlaygroundError as exc:
            self.done.emit(seq, str(exc))
        except Exception as exc:  # a bug or a failure the engine did not foresee must not kill the thread
            self.done.emit(seq, _("could not download {name}: {reason}").format(
                name=command.name, reason=f"{exc.__class__.__name__}: {exc}"))
        else:
            self.done.emit(seq, {k: str(v) for k, v in paths.items()})


def data_root() -> Path:
    """Where downloaded data sets live, as the README says: ~/.local/share/nn-playground/data on
    Linux ($XDG_DATA_HOME respected), ~/Library/Application Support/nn-playground/data on macOS,
    %LOCALAPPDATA%/nn-playground/data on Windows."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return (Path(base) if base else Path.home() / ".local" / "share") / "nn-playground" / "data"


def amount(n: int) -> str:
    """A byte count a person reads at a glance, small enough to show a slow server moving."""
    if n < 2**10:
        return ngettext("{count:,} byte", "{count:,} bytes", n).format(count=n)
    if n < 2**20:
        return f"{n / 2**10:.1f} KB"  # units, not words
    return f"{n / 2**20:.1f} MB"


class ReadProgress(QObject):
    """A progress dialog with Cancel while the worker reads a big data file (it appears only
    when the read takes longer than half a second)."""

    def __init__(self, window: QWidget, session: Any) -> None:
        super().__init__(window)
        self.window = window
        self.session = session
        self.dialog: QProgressDialog | None = None
        self.seq: int | None = None
        session.probe_progress.connect(self._progress)
        session.data_probed.connect(self._done)

    @Slot(int, int, int)
    def _progress(self, seq: int, done: int, total: int) -> None:
        if self.dialog is None or self.seq != seq:
            self.seq = seq
            self.dialog = QProgressDialog(_("Reading the data file…"), _("Cancel"), 0, 1000, self.window)
            self.dialog.setObjectName("readDialog")
            self.dialog.setWindowTitle(_("Reading data"))
            self.dialog.setMinimumDuration(500)
            self.dialog.setAutoClose(False)
            self.dialog.setAutoReset(False)
            self.dialog.canceled.connect(lambda s=seq: self.session.cancel_probe(s))
        if total:
            self.dialog.setLabelText(_("Reading the data file: {done} of {total} MB").format(
                done=f"{done / 2**20:,.1f}", total=f"{total / 2**20:,.1f}"))
            self.dialog.setValue(min(999, int(1000 * done / total)))

    @Slot(int, object)
    def _done(self, seq: int, _result: object) -> None:
        if seq == self.seq and self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog, self.seq = None, None


class Downloads(QObject):
    """The data panel's MNIST and Fashion-MNIST entries, and the progress of big data reads."""

    def __init__(self, window: QWidget, files: FileActions, panel: Any) -> None:
        super().__init__(window)
        self.window = window
        self.files = files
        self.reads = ReadProgress(window, files.session)
        self.root = data_root()
        self.handle: WorkerHandle | None = None
        self.job: int | None = None
        self.dialog: QProgressDialog | None = None
        panel.download_requested.connect(self.start)

    def _worker(self) -> DownloadWorker:
        if self.handle is None:
            self.handle = WorkerHandle(self, DownloadWorker())
            self.handle.worker.progress.connect(self._progress)
            self.handle.worker.done.connect(self._done)
        return self.handle.worker  # type: ignore[return-value]

    def start(self, name: str) -> int:
        """Open data set `name`, downloading what is missing first."""
        rs = REMOTE_SETS.get(name)
        worker = self._worker()
        self.job = worker.send(Fetch(rs.name, str(self.root)))
        self.dialog = QProgressDialog(_("{title}: checking {folder}…").format(
            title=_(rs.title), folder=folder_for(rs.name, self.root)), _("Cancel"), 0, 100, self.window)  # fmt: skip
        self.dialog.setObjectName("downloadDialog")
        self.dialog.setWindowTitle(_("Downloading {title}").format(title=_(rs.title)))
        self.dialog.setMinimumDuration(300)  # a set already downloaded opens without a flash
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.canceled.connect(self.cancel)
        return self.job

    def cancel(self) -> None:
        if self.job is not None and self.handle is not None:
            worker = self.handle.worker
            worker.cancel_upto = max(worker.cancel_upto, self.job)  # type: ignore[attr-defined]

    @Slot(int, str, int, int)
    def _progress(self, seq: int, name: str, got: int, total: int) -> None:
        if seq != self.job or self.dialog is None:
            return
        self.dialog.setLabelText(_("{name}: {got} of {total}").format(name=name, got=amount(got), total=amount(total))
                                 if total else f"{name}: {amount(got)}")  # fmt: skip
        self.dialog.setValue(int(100 * got / total) if total else 0)

    @Slot(int, object)
    def _done(self, seq: int, result: object) -> None:
        if seq != self.job:
            return
        self.job = None
        if self.dialog is not None:
            self.dialog.close()
            self.dialog = None
        if result == "cancelled":
            self.files.dialogs.status(_("Download cancelled; nothing half-written was kept"))
            return
        if isinstance(result, str):
            self.files.dialogs.error(_("Could not download the data"), result)
            return
        paths = dict(result)  # type: ignore[call-overload]
        self.files.load_data_source({"idx": {"images": paths["train_images"], "labels": paths["train_labels"]}})

    def shutdown(self) -> None:
        """Stop the download thread: it checks for this every engine.data.downloads.POLL seconds,
        even while a server sends nothing, so closing never waits on the network."""
        if self.handle is not None:
            self.handle.stop(timeout_ms=None)
