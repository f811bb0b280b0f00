"""File actions: projects, weights, code, data, plots and run exports, recent files and the
autosaved recovery file. They act on the session and ask through `Dialogs`, so they run and
are tested without a window."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QWidget

from engine import PlaygroundError
from engine.core.i18n import N_, _, ngettext, pick
from engine.exports.codegen import export_script, script_paths
from engine.imports import Imported, import_model
from engine.project import default_project
from engine.project.files import (
    apply_weights,
    atomic_write_bytes,
    atomic_write_text,
    export_data,
    load_project,
    read_weights,
    save_project,
    save_weights,
    start_weights,
)

from ..media.plot_export import plot_bytes
from ..run.recovery import Autosaver, RecoveryFile, parameter_words
from ..run.session import Session
from ..run.state import ProjectState
from ..run.training_worker import DataInfo
from ..widgets.dialogs import Button, Dialogs

MAX_RECENT = 8
#: How an image folder opened in the app is read: the sizes of the data sets people know (a
#: project file may give any size up to 512 × 512).
FOLDER_READS: dict[str, tuple[list[int], str]] = {
    N_("28×28 grayscale (as MNIST)"): ([28, 28], "grayscale"),
    N_("32×32 RGB (as CIFAR-10)"): ([32, 32], "rgb"),
    N_("16×16 grayscale"): ([16, 16], "grayscale"),
    N_("8×8 grayscale (as the bundled digits)"): ([8, 8], "grayscale"),
    N_("64×64 RGB"): ([64, 64], "rgb"),
}


class _Reader(QObject):
    """Carries a model read on a helper thread back to the UI thread (a queued signal)."""

    done = Signal(object, object)  # (the path, an Imported or the message of what went wrong)


class FileActions:
    def __init__(
        self,
        session: Session,
        dialogs: Dialogs,
        settings: QSettings,
        plot_widget: Callable[[], QWidget],
        on_opened: Callable[[dict[str, Any]], None] = lambda _p: None,
        on_recent: Callable[[], None] = lambda: None,
    ) -> None:
        self.session = session
        self.dialogs = dialogs
        self.settings = settings
        self.plot_widget = plot_widget  # what Export Plot saves: the data view on screen
        self.on_opened = on_opened  # a project opened: the window shows its note and view
        self.on_recent = on_recent  # the recent-files list changed
        self.recovery = RecoveryFile(Path(settings.fileName()).parent / "recovery.json")
        self.autosaver = Autosaver(self.recovery, session)  # writes on its own thread; the session's shutdown ends it
        self.autosaver.saved.connect(self._autosaved)
        self._pending: dict[int, tuple[dict[str, Any], bool]] = {}  # data reads on the worker, by sequence number
        self.keep_recovery = False  # a restart for a new language: the next window takes the recovery file back
        session.data_probed.connect(self._probed)
        self._reader = _Reader()
        self._reader.done.connect(self._model_read)
        self.importing: threading.Thread | None = None  # a model being read

    @property
    def state(self) -> ProjectState:
        return self.session.state

    def _write(self, failed: str, write: Callable[[], Any], done: str) -> bool:
        """Run a file write; a failure is shown (titled `failed`), success goes to the status bar."""
        try:
            write()
        except (PlaygroundError, OSError) as exc:
            self.dialogs.error(failed, str(exc))
            return False
        self.dialogs.status(_("Saved {done}").format(done=done))
        return True

    def _confirm_replace(self, paths: list[Path]) -> bool:
        """Ask before replacing files the user did not name; True when none exist or they agree."""
        existing = [p for p in paths if p.exists()]
        if not existing:
            return True
        names = "\n".join(str(p) for p in existing)
        answer = self.dialogs.ask(
            _("Replace files?"),
            ngettext("This also writes over:\n{names}\nReplace it?", "This also writes over:\n{names}\nReplace them?",
                     len(existing)).format(names=names),
            Button.Yes | Button.No,
            Button.No,
        )
        return answer == Button.Yes

    # ----------------------------------------------------------------- projects
    def confirm_discard(self) -> bool:
        """Ask before unsaved changes are lost: Save, Discard or Cancel. True to go on."""
        if not self.state.dirty:
            return True
        answer = self.dialogs.ask(
            _("Unsaved changes"),
            _("The project has unsaved changes. Save them first?"),
            Button.Save | Button.Discard | Button.Cancel,
            Button.Save,
        )
        if answer == Button.Save:
            return self.save()
        return answer == Button.Discard

    def new_project(self) -> bool:
        if not self.confirm_discard():
            return False
        self.state.replace(default_project())
        return True

    def open_project(self, path: str | Path | None = None, preset: bool = False) -> bool:
        if not self.confirm_discard():
            return False
        path = path or self.dialogs.open_path(_("Open project"), _("Projects (*.json)"))
        if not path:
            return False
        path = Path(path)
        notes: list[str] = []  # older Keras keys read as today's
        try:
            project = load_project(path, notes)
            start = start_weights(project, path.parent)  # an imported model's, saved beside it
        except PlaygroundError as exc:
            self.dialogs.error(_("Could not open the project"), str(exc))
            return False
        self.session.replace(project, None if preset else path, start,
                             start_file=project.get("app", {}).get("weights"))  # fmt: skip
        if not preset:
            self.add_recent(path)
        title = pick(project.get("app", {}).get("title") or path.name)
        opened = (_("Opened {title} with its initial weights from {path}") if start is not None else
                  _("Opened {title}")).format(title=title, path=project.get("app", {}).get("weights", ""))  # fmt: skip
        self.dialogs.status("; ".join([opened, *notes]))
        self.on_opened(project)
        return True

    def open_loaded(self, project: dict[str, Any], status: str) -> bool:
        """A project that came as text (a link), already validated: unsaved, with no file name."""
        if not self.confirm_discard():
            return False
        try:
            self.state.replace(project, None, dirty=True)
        except PlaygroundError as exc:
            self.dialogs.error(_("Could not open the project"), str(exc))
            return False
        self.dialogs.status(status)
        self.on_opened(project)
        return True

    def save(self) -> bool:
        if self.state.path is None:
            return self.save_as()
        return self._save_to(self.state.path)

    def save_as(self, path: str | Path | None = None) -> bool:
        """Save under the name given; `.json` is added only to a name without an extension, and
        replacing a file under that added name is confirmed first."""
        path = path or self.dialogs.save_path(_("Save project"), "project.json", _("Projects (*.json)"))
        if not path:
            return False
        path = Path(path)
        if not path.suffix:
            path = path.with_name(path.name + ".json")
            if not self._confirm_replace([path]):
                return False
        return self._save_to(path)

    def _save_to(self, path: Path) -> bool:
        """The project; with initial weights of its own (an imported model's) they go beside it
        as `<name>.weights.npz`, named by its app.weights, so it reopens with them."""
        project = self.state.project
        app = {k: v for k, v in project.get("app", {}).items() if k != "weights"}
        net = self.session.network()
        start = self.session.start
        weights: Path | None = None
        if start is not None and net is not None and [w.shape for w in start] == [w.shape for w in net.get_weights()]:
            weights = path.with_name(f"{path.stem}.weights.npz")
            if path != self.state.path and not self._confirm_replace([weights]):  # the project's own: rewritten
                return False
            project = {**project, "app": {**app, "weights": weights.name}}
            net.set_weights(start)
        elif "weights" in project.get("app", {}):  # initial weights that no longer fit the network
            project = {**project, "app": app}
        try:
            if weights is not None:
                save_weights(weights, net, project, self.session.snapshot.data.normalizer)
            save_project(path, project)
        except (PlaygroundError, OSError) as exc:
            self.dialogs.error(_("Could not save the project"), str(exc))
            return False
        self.state.set_path(path)
        self.state.set_dirty(False)
        self.add_recent(path)
        self.dialogs.status((_("Saved {name} and its initial weights in {weights}") if weights else
                             _("Saved {name}")).format(name=path.name, weights=weights.name if weights else ""))
        return True

    # ----------------------------------------------------------------- weights and code
    def import_weights(self, path: str | Path | None = None) -> bool:
        path = path or self.dialogs.open_path(_("Import weights"), _("Weights (*.npz *.json)"))
        net = self.session.network()
        if not path or net is None:
            return False
        try:
            arrays, _config = read_weights(path)
            apply_weights(net, arrays, Path(path).name)
        except PlaygroundError as exc:
            self.dialogs.error(_("Could not import the weights"), str(exc))
            return False
        self.session.set_weights(net.get_weights(), self.session.snapshot.generation)
        self.dialogs.status(_("Imported weights from {name}").format(name=Path(path).name))
        return True

    def import_model(self, path: str | Path | None = None) -> bool:
        """File → Import Model…: an ONNX, Keras or PyTorch model read off the UI thread, then
        opened as an unsaved project with its weights. True: the read has started."""
        if self.importing is not None:
            self.dialogs.status(_("Still reading the model chosen before…"))
            return False
        if not self.confirm_discard():
            return False
        path = path or self.dialogs.open_path(_("Import model"), _("Models (*.onnx *.keras *.pt *.pth)"))
        if not path:
            return False
        path = Path(path)

        def read() -> None:
            try:
                result: object = import_model(path)
            except PlaygroundError as exc:
                result = str(exc)
            except (OSError, MemoryError) as exc:
                result = _("{name}: could not be read ({reason})").format(name=path.name, reason=exc)
            self._reader.done.emit(path, result)

        self.importing = threading.Thread(target=read, name="import-model", daemon=True)
        self.importing.start()
        self.dialogs.status(_("Reading {name}…").format(name=path.name))
        return True

    def _model_read(self, path: Path, result: object) -> None:
        self.importing = None
        if isinstance(result, str):
            self.dialogs.error(_("Could not import the model"), result)
            return
        imported: Imported = result  # type: ignore[assignment]
        try:  # the model's weights are the project's initial weights: Reset returns to them
            self.session.replace(imported.project, None, imported.weight_list(), dirty=True)
        except PlaygroundError as exc:
            self.dialogs.error(_("Could not import the model"), str(exc))
            return
        said = _("Imported {name} from {source}").format(name=path.name, source=imported.source)
        self.dialogs.status("; ".join([said, *imported.notes]))
        self.on_opened(imported.project)

    def export_weights(self, path: str | Path | None = None, fmt: str = "npz") -> bool:
        filters = {"npz": _("NumPy weights (*.npz)"), "json": _("JSON weights (*.json)"),
                   "onnx": _("ONNX model (*.onnx)")}
        path = path or self.dialogs.save_path(_("Export weights"), f"weights.{fmt}", filters[fmt])
        net = self.session.network()
        if not path or net is None:
            return False
        snap = self.session.snapshot  # the project and normalisation these weights belong to
        return self._write(
            _("Could not export the weights"),
            lambda: save_weights(path, net, snap.project, snap.data.normalizer),
            Path(path).name,
        )

    def export_code(self, path: str | Path | None = None, framework: str = "pytorch") -> bool:
        """A PyTorch or Keras script plus its weights file (`<name>_weights.npz`) beside it."""
        path = path or self.dialogs.save_path(
            _("Export as {framework} script").format(framework=framework), "model.py", _("Python script (*.py)")
        )
        net = self.session.network()
        if not path or net is None:
            return False
        script, weights = script_paths(path)
        if not self._confirm_replace([p for p in (script, weights) if p != Path(path)]):
            return False  # the dialog confirmed the file the user named, not the others
        snap = self.session.snapshot
        return self._write(
            _("Could not export the script"),
            lambda: export_script(script, framework, net, snap.project, snap.data),
            _("{script} and {weights}").format(script=script.name, weights=weights.name),
        )

    def export_data(self, path: str | Path | None = None) -> bool:
        snap = self.session.snapshot
        if snap is None:
            return False
        path = path or self.dialogs.save_path(_("Export data"), "data.csv", _("CSV (*.csv);;NumPy (*.npz)"))
        if not path:
            return False
        return self._write(_("Could not export the data"), lambda: export_data(path, snap.data), Path(path).name)

    def export_runs(self, path: str | Path | None = None) -> bool:
        """Every run's per-epoch metrics (and a settings summary) as one CSV table."""
        path = path or self.dialogs.save_path(_("Export runs"), "runs.csv", _("CSV (*.csv)"))
        if not path:
            return False
        runs = self.session.run_history
        return self._write(
            _("Could not export the runs"), lambda: atomic_write_text(path, runs.to_csv()), Path(path).name
        )

    def export_plot(self, path: str | Path | None = None) -> bool:
        """What the data view shows (the output plane, or the image views for image data) as PNG
        or SVG, through the atomic writer: a failed export keeps the old file."""
        path = path or self.dialogs.save_path(
            _("Export plot"), "output.png", _("PNG image (*.png);;SVG drawing (*.svg)")
        )
        if not path:
            return False
        path, widget = Path(path), self.plot_widget()
        return self._write(
            _("Could not export the plot"), lambda: atomic_write_bytes(path, plot_bytes(widget, path.suffix)), path.name
        )

    # ----------------------------------------------------------------- data files
    def open_data_file(self) -> bool:
        """A data file, or an image folder through the dialog's Open Folder button."""
        p = self.dialogs.open_path(_("Open data"), _("Data (*.csv *.npz *.idx *.gz *.idx3-ubyte *.idx1-ubyte)"), True)
        if p is None:
            return False
        return self.open_data_path(p)

    def open_data_path(self, p: Path) -> bool:
        """Data from a file or folder chosen or dropped: CSV (its label column asked), NPZ, IDX
        images (their label file asked), or an image folder (the size to read it at asked)."""
        if p.is_dir():
            read = self.dialogs.choose(
                _("Image folder"), _("Read the images in {name} (one subfolder per class) at which size? Each "
                                     "image is resized to it (bilinear, aspect ratio not kept).").format(name=p.name),
                [_(k) for k in FOLDER_READS], _(next(iter(FOLDER_READS))),
            )  # fmt: skip
            if read is None:
                return False
            size, color = next(v for k, v in FOLDER_READS.items() if _(k) == read)
            return self.load_data_source({"folder": str(p), "size": size, "color": color})
        if p.suffix.lower() == ".csv":  # the label column is asked once the file is read
            return self.load_data_source({"csv": str(p)}, ask_label=True)
        if p.suffix.lower() == ".npz":
            source: dict[str, Any] = {"npz": str(p)}
        else:
            labels = self.dialogs.open_path(_("Open the matching label file"), _("IDX labels (*)"))
            if labels is None:
                return False
            source = {"idx": {"images": str(p), "labels": str(labels)}}
        return self.load_data_source(source)

    def load_data_source(self, source: dict[str, Any], ask_label: bool = False) -> bool:
        """Switch the project to file data. The file is read and checked on the worker (a big
        one never freezes the window); when it is ready the project changes in one transaction,
        and a bad file is explained with nothing changed. True: the read has started."""
        data = {**self.state.project["data"], "source": source, "features": None}
        if "folder" in source:  # as _probed will set them: the run then reuses what the probe read
            data.update(problem="classification", normalize="unit")  # labels: the class folders; pixels ÷ 255
        seq = self.session.probe_data({**self.state.project, "data": data})
        self._pending[seq] = (source, ask_label)
        name = Path(source["idx"]["images"] if "idx" in source else next(iter(source.values()))).name
        self.dialogs.status(_("Reading {name}…").format(name=name))
        return True

    def _probed(self, seq: int, result: object) -> None:
        """The worker's answer about a data file asked for by load_data_source."""
        if seq not in self._pending:
            return
        source, ask_label = self._pending.pop(seq)
        if isinstance(result, str):
            self.dialogs.error(_("Could not load the data"), result)
            return
        info: DataInfo = result  # type: ignore[assignment]
        columns = [*info.columns, info.label_column]
        if ask_label and info.label_column and len(columns) >= 3:
            path = Path(source["csv"])
            chosen = self.dialogs.choose(
                _("Label column"), _("Which column of {name} holds the labels (the targets)?").format(name=path.name),
                columns,
                info.label_column,
            )  # fmt: skip
            if chosen is None:
                return
            if chosen != info.label_column:
                self.load_data_source({**source, "label": chosen})
                return
        changes: dict[str, Any] = {"data.source": source, "data.features": None, "data.problem": info.problem}
        if info.problem == "classification":
            changes["data.classes"] = max(2, info.classes)
        if info.image_shape is not None:
            changes["data.normalize"] = "unit"
        try:
            self.state.apply(changes)
        except PlaygroundError as exc:
            self.dialogs.error(_("Could not load the data"), str(exc))
            return
        if info.notes:
            self.dialogs.status("; ".join(info.notes))

    # ----------------------------------------------------------------- recent files
    def recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in (value or [])]

    def add_recent(self, path: Path) -> None:
        recent = [p for p in self.recent() if p != str(path)]
        recent.insert(0, str(path))
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self.settings.setValue("lastDir", str(path.parent))
        self.on_recent()

    # ----------------------------------------------------------------- recovery
    def autosave(self, wait: float = 0.0) -> bool:
        """Save the unsaved project (and the weights, when they belong to it) to the recovery
        file; runs every 30 s and from the crash handler. The UI thread only hands over what it
        holds: serialising and writing happen on the autosaver's thread, and `wait` > 0 waits up
        to that many seconds for the write (the crash handler's). False when all is saved (or
        the write did not finish within `wait`)."""
        if not self.state.dirty:
            return False
        snap = self.session.snapshot
        weights = snap.weights if snap is not None and snap.project == self.state.project else None
        self.autosaver.request(self.state.project, self.state.path, weights)
        return self.autosaver.wait(wait) and not self.recovery.error if wait > 0 else True

    def _autosaved(self, ok: bool) -> None:
        if not ok:
            self.dialogs.status(
                _("Could not autosave ({error}): save the project to keep your changes").format(
                    error=self.recovery.error
                )
            )

    def discard_recovery(self) -> None:
        """Saved or knowingly discarded: nothing to recover (a waiting autosave is dropped too)."""
        if self.keep_recovery:
            return
        self.autosaver.discard()

    def offer_recovery(self, ask: bool = True, dirty: bool = True) -> bool:
        """At start-up: if an earlier session left unsaved work, offer to restore it. A file that
        cannot be used is set aside (renamed) with a message, so the app always starts. After a
        restart for a new language (`ask` False) it is taken back at once, `dirty` as it was."""
        if not self.recovery.exists():
            return False
        try:
            work = self.recovery.read()
        except PlaygroundError as exc:
            self.dialogs.error(_("Unsaved work could not be restored"), str(exc))
            return False
        note = ""
        if work.weights_left_out:
            note = "\n\n" + _("The weights of this {size} network were not kept (too big to autosave); the project "
                              "was, and it starts again from epoch 0.").format(
                size=parameter_words(work.weights_left_out))  # fmt: skip
        answer = (
            Button.Yes
            if not ask
            else self.dialogs.ask(
                _("Restore unsaved work?"),
                _("nn-playground closed without saving {name} (autosaved {saved_at}). Restore it?{note}").format(
                    name=work.name, saved_at=work.saved_at, note=note
                ),
                Button.Yes | Button.No,
                Button.Yes,
            )
        )
        if answer != Button.Yes:
            self.discard_recovery()
            return False
        start = None  # the initial weights the project names beside its file, if they are still there
        if work.path is not None:
            with contextlib.suppress(PlaygroundError):
                start = start_weights(work.project, work.path.parent)
        self.session.replace(work.project, work.path, start, dirty=dirty)
        if work.weights is not None:
            self.session.set_weights(work.weights)
        self.dialogs.status(_("Restored {name}").format(name=work.name))
        return True


def preset_title(path: Path) -> str | None:
    """A preset's menu title, or None for a file that is not one."""
    try:
        title = json.loads(path.read_text(encoding="utf-8")).get("app", {}).get("title", path.stem)
        return pick(title)  # a title per language: the user's
    except (OSError, ValueError, AttributeError):
        return None
