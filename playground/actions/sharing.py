"""Projects shared as text and files: TensorFlow Playground links in and out, nnp: project
links on the clipboard, a link pasted anywhere in the window, and files dropped on it.

Everything opens through `FileActions`, so a shared project is validated, confirmed over
unsaved work and announced exactly as an opened file is.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from engine.core.errors import PlaygroundError
from engine.core.i18n import _, ngettext
from engine.project.files import load_project
from engine.project.links import (
    NNP_PREFIX,
    from_tfp,
    is_tfp_link,
    our_defaults,
    project_link,
    read_project_link,
    to_tfp,
)
from engine.project.links import uses_tfp_maths as _uses_tfp

from ..run.session import Session
from ..widgets import guarded, name_widget, wrapped
from ..widgets.dialogs import Button
from ..widgets.plain import cut
from .files import FileActions

DATA_SUFFIXES = (".csv", ".idx", ".gz", ".npy")
MAX_NOTES_SHOWN = 15  # lines of notes in a dialog or a tooltip; the rest are counted
NOTES_IN_BAR = 4  # lines of import notes under the project's note (all of them in its tooltip)


def notes_text(notes: list[str], most: int = MAX_NOTES_SHOWN) -> str:
    """Notes as a short bulleted list: the first `most` and a count of the rest."""
    lines = [f"• {n}" for n in notes[:most]]
    if len(notes) > most:
        rest = len(notes) - most
        lines.append(ngettext("… and {count} more note", "… and {count} more notes", rest).format(count=f"{rest:,}"))
    return cut("\n".join(lines))


def defaults_said(changes: dict[str, Any]) -> str:
    """What "Use nn-playground's defaults" switched (`changes`, from our_defaults): the maths and
    Keras's rules, in a line that fits the status bar of a 1280-pixel screen."""
    out = changes["network.output_activation"]
    loss = "MSE" if changes["training.loss"] == "mse" else _("cross-entropy")
    return _("Defaults: {output}, {loss}, Glorot; Keras's stratified split, reshuffling, partial last batch, L1 "
             "subgradient").format(output=out, loss=loss)


class TfpBar(QWidget):
    """Shown while a project trains with TensorFlow Playground's maths: says so, and one click
    moves it to this app's defaults (sigmoid and cross-entropy, Glorot weights, Keras's rules)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tfpBar")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 2, 8, 2)
        self.text = wrapped(
            _("This project trains with TensorFlow Playground's maths: a tanh output against −1/+1, ½ squared "
              "error, weights in [−0.5, 0.5], biases 0.1, plain SGD."), "legend")
        tip = _("A sigmoid output with cross-entropy (linear with MSE for regression), Glorot weights, biases 0, and "
                "Keras's rules: a stratified split reshuffled every epoch, the last partial batch a smaller step of "
                "its own, L1 by subgradient")
        self.button = name_widget(QPushButton(_("Use nn-playground's defaults")), "tfpDefaults",
                                  _("Use nn-playground's defaults"), tip)  # fmt: skip
        lay.addWidget(self.text, 1)
        lay.addWidget(self.button)
        self.hide()


class Sharing(QObject):
    """The window's links, clipboard and drops; the window gives it its session and file actions."""

    def __init__(self, window: QWidget, session: Session, files: FileActions) -> None:
        super().__init__(window)
        self.window = window
        self.session = session
        self.files = files
        self.bar = TfpBar()
        self.bar.button.clicked.connect(self.use_our_defaults)
        session.state.changed.connect(self._changed)
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    @property
    def dialogs(self) -> Any:
        return self.files.dialogs

    # ----------------------------------------------------------------- links
    def open_text(self, text: str) -> bool:
        """Open what a link holds: an nnp: project or a TensorFlow Playground experiment. A data
        file the link names is read only if the user agrees (a link may name any path)."""
        text = text.strip()
        try:
            if text.startswith(NNP_PREFIX):
                linked = read_project_link(text)
                if linked.files and not self._agree_to_read(linked.files):
                    self.dialogs.status(_("The link was not opened: its data file was not read"))
                    return False
                project, notes = linked.project, []
                opened = _("Opened the project link")
            elif is_tfp_link(text):
                project, notes = from_tfp(text)
                opened = _("Opened the TensorFlow Playground link")
            else:
                self.dialogs.error(_("Not a link"), _("Paste a TensorFlow Playground link "
                                                      "(playground.tensorflow.org/#…) or a project link (nnp:…)."))
                return False
        except PlaygroundError as exc:
            self.dialogs.error(_("Could not open the link"), str(exc))
            return False
        if not self.files.open_loaded(project, opened):
            return False
        if notes:  # under the project's note: a dialog would stand in front of the window
            note_bar = getattr(self.window, "note_bar", None)
            if note_bar is not None:
                note_bar.add_notes(_("What the import adapted:"), notes_text(notes, NOTES_IN_BAR), notes_text(notes))
            else:
                self.dialogs.info(_("Imported from TensorFlow Playground"), notes_text(notes))
        return True

    def _agree_to_read(self, files: tuple[str, ...]) -> bool:
        """Ask before reading files a link names: unlike a file the user opened, a link chose them."""
        names = "\n".join(cut(f, 300) for f in files[:2])
        answer = self.dialogs.ask(
            _("Read a file named by the link?"),
            ngettext("This project link takes its data from this file on this computer:\n{names}\n\nA link can name "
                     "any file, so nothing is read unless you agree. Open the link and read it? (Cancel keeps the "
                     "current project.)",
                     "This project link takes its data from these files on this computer:\n{names}\n\nA link can "
                     "name any file, so nothing is read unless you agree. Open the link and read it? (Cancel keeps "
                     "the current project.)", len(files)).format(names=names),
            Button.Open | Button.Cancel,
            Button.Cancel,
        )
        return answer == Button.Open

    def open_tfp_link(self) -> bool:
        text = self.dialogs.ask_text(_("Open TensorFlow Playground link"),
                                     _("Paste a TensorFlow Playground link (or an nnp: project link):"))  # fmt: skip
        return bool(text) and self.open_text(text)

    def copy_tfp_link(self) -> str:
        """The project as a TensorFlow Playground link on the clipboard; what does not fit is said."""
        url, unfit = to_tfp(self.session.state.project)
        QGuiApplication.clipboard().setText(url)
        if unfit:
            self.dialogs.info(_("Copied, with differences"),
                              _("The TensorFlow Playground link is on the clipboard. TensorFlow Playground cannot "
                                "show all of this project:\n{notes}").format(notes=notes_text(unfit)))  # fmt: skip
        else:
            self.dialogs.status(_("TensorFlow Playground link copied"))
        return url

    def copy_project_link(self) -> str:
        """The whole project (no weights) as one nnp: line on the clipboard. A project too big
        for a link the app would read is refused before anything is copied, offering Save As;
        "" then."""
        try:
            link = project_link(self.session.state.project)
        except PlaygroundError as exc:
            reason = str(exc)
            answer = self.dialogs.ask(
                _("Too big for a link"),
                _("{reason}.\n\nSave the project as a file instead?").format(
                    reason=f"{reason[:1].upper()}{reason[1:]}"),
                Button.Save | Button.Cancel,
                Button.Save,
            )
            if answer == Button.Save:
                self.files.save_as()
            return ""
        QGuiApplication.clipboard().setText(link)
        said = _("Project link copied ({count} characters): paste it into nn-playground to open it")
        self.dialogs.status(said.format(count=f"{len(link):,}"))
        return link

    def paste(self) -> bool:
        """Ctrl+V outside a text field: open the link on the clipboard."""
        text = QGuiApplication.clipboard().text()
        if not text.strip():
            self.dialogs.status(_("The clipboard holds no text to open"))
            return False
        return self.open_text(text)

    # ----------------------------------------------------------------- TFP maths
    def _changed(self, change: Any) -> None:
        """A TFP project's bar; an opened project's output options (TFP's showTestData, discretize)."""
        self.bar.setVisible(_uses_tfp(self.session.state.project))
        out = change.project.get("app", {}).get("output")
        output = getattr(self.window, "output", None)
        if change.replaced and isinstance(out, dict) and output is not None:
            output.show_test.setChecked(bool(out.get("show_test_data", output.show_test.isChecked())))
            output.discretize.setChecked(bool(out.get("discretize", output.discretize.isChecked())))

    def use_our_defaults(self) -> None:
        changes = our_defaults(self.session.state.project)
        try:
            self.session.state.apply(changes)
        except PlaygroundError as exc:
            self.dialogs.error(_("Could not switch"), str(exc))
            return
        self.dialogs.status(defaults_said(changes))

    # ----------------------------------------------------------------- drops
    @guarded
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        # Installed on the window alone (its wrapper may differ from self.window: no identity test).
        if event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            mime = event.mimeData()
            if mime.hasUrls() or mime.hasText():
                event.acceptProposedAction()
                return True
        if event.type() == QEvent.Type.Drop:
            mime = event.mimeData()
            paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
            event.acceptProposedAction()
            if paths:
                self.open_dropped(paths[0])
            elif mime.hasText():
                self.open_text(mime.text())
            return True
        return False

    def open_dropped(self, path: Path) -> bool:
        """A dropped file by what it holds: a project, weights, or data; a dropped folder is an
        image folder."""
        if path.is_dir():
            return self.files.open_data_path(path)
        kind = file_kind(path)
        if kind == "project":
            return self.files.open_project(path)
        if kind == "weights":
            return self.files.import_weights(path)
        if kind == "data":
            return self.files.open_data_path(path)
        self.dialogs.error(_("Cannot open this file"), _("{name}: drop a project (.json), weights (.npz, .json), "
                                                        "data (.csv, .npz, IDX such as MNIST's) or an image folder "
                                                        "(a subfolder per class)").format(name=path.name))  # fmt: skip
        return False


def file_kind(path: Path) -> str:
    """"project", "weights", "data" or "" for a file, from its name and a look at its header."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            load_project(path)
            return "project"
        except PlaygroundError:
            return "weights"  # a weight file (its own reader says so if it is neither)
    if suffix == ".npz":
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
        except (OSError, zipfile.BadZipFile):
            return "data"  # the data reader names the problem
        return "weights" if any(n.startswith("layers.") for n in names) else "data"
    if suffix in DATA_SUFFIXES or "ubyte" in path.name.lower():
        return "data"
    return ""
