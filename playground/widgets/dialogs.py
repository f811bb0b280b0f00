"""The few questions the app asks, behind one small interface, so file actions and the session
can be driven (and tested) without a window: a test hands in its own answers."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QGridLayout, QInputDialog, QMessageBox, QPushButton, QWidget

from engine.core.i18n import _
from engine.project.fields import humanize

from . import plain

Button = QMessageBox.StandardButton


class Dialogs(Protocol):
    def open_path(self, title: str, filters: str, folders: bool = False) -> Path | None: ...
    def save_path(self, title: str, name: str, filters: str) -> Path | None: ...
    def ask(self, title: str, text: str, buttons: Button, default: Button) -> Button: ...
    def error(self, title: str, text: str) -> None: ...
    def choose(self, title: str, text: str, items: list[str], current: str) -> str | None: ...
    def status(self, text: str) -> None: ...
    def info(self, title: str, text: str) -> None: ...
    def ask_text(self, title: str, label: str) -> str | None: ...


class QtDialogs:
    """Dialogs on a window: file pickers that start in the last folder used, plain-text messages."""

    def __init__(self, parent: QWidget, settings: QSettings, status: object) -> None:
        self.parent = parent
        self.settings = settings
        self._status = status  # a callable(str): the status bar

    def last_dir(self, name: str = "") -> str:
        base = str(self.settings.value("lastDir", str(Path.home())))
        return str(Path(base) / name) if name else base

    def open_path(self, title: str, filters: str, folders: bool = False) -> Path | None:
        """A file chosen in the file dialog; with `folders`, a folder too (see open_file_or_folder)."""
        if folders:
            return open_file_or_folder(self.parent, title, self.last_dir(), filters)
        chosen, _filter = QFileDialog.getOpenFileName(self.parent, title, self.last_dir(), filters)
        return Path(chosen) if chosen else None

    def save_path(self, title: str, name: str, filters: str) -> Path | None:
        chosen, _filter = QFileDialog.getSaveFileName(self.parent, title, self.last_dir(name), filters)
        return Path(chosen) if chosen else None

    def ask(self, title: str, text: str, buttons: Button, default: Button) -> Button:
        return plain.ask(self.parent, title, text, buttons, default)

    def error(self, title: str, text: str) -> None:
        """A window-modal error that does not block the event loop (the app keeps working)."""
        box = plain.message_box(self.parent, QMessageBox.Icon.Warning, title, humanize(text))
        box.setObjectName("errorDialog")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def choose(self, title: str, text: str, items: list[str], current: str) -> str | None:
        """One item from a list (None if cancelled); the items are shown as plain text."""
        dialog = QInputDialog(self.parent)
        dialog.setWindowTitle(title)
        dialog.setLabelText(text)
        dialog.setComboBoxItems(items)
        dialog.setTextValue(current)
        dialog.setOption(QInputDialog.InputDialogOption.UseListViewForComboBoxItems)
        return dialog.textValue() if dialog.exec() else None

    def status(self, text: str) -> None:
        self._status(text)

    def info(self, title: str, text: str) -> None:
        """A note that does not block (what an import adapted, what a link cannot hold)."""
        box = plain.message_box(self.parent, QMessageBox.Icon.Information, title, humanize(text))
        box.setObjectName("infoDialog")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def ask_text(self, title: str, label: str) -> str | None:
        """A line of text typed or pasted by the user (None if cancelled)."""
        dialog = QInputDialog(self.parent)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.resize(640, dialog.sizeHint().height())
        return dialog.textValue() if dialog.exec() else None


def open_file_or_folder(parent: QWidget, title: str, start: str, filters: str) -> Path | None:
    """The file dialog with an "Open Folder" button beside Open: it returns the folder selected in
    the list (or, with none selected, the folder shown), since a file dialog's Open goes into a
    folder rather than choosing it. Qt's own dialog: a native one has no room for the button."""
    dialog = QFileDialog(parent, title, start, filters)
    dialog.setObjectName("openDataDialog")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    folder: list[Path] = []
    button = QPushButton(_("Open Folder"))
    button.setObjectName("openFolderButton")
    button.setToolTip(_("Open the selected folder (or the one shown) as an image folder: one subfolder of images "
                      "per class"))  # fmt: skip

    def choose_folder() -> None:
        chosen = [Path(p) for p in dialog.selectedFiles() if Path(p).is_dir()]
        folder.append(chosen[0] if chosen else Path(dialog.directory().absolutePath()))
        dialog.done(QDialog.DialogCode.Accepted)  # not accept(): it would go into the folder

    button.clicked.connect(choose_folder)
    layout = dialog.layout()
    if isinstance(layout, QGridLayout):
        layout.addWidget(button, layout.rowCount(), 0, 1, layout.columnCount())
    else:  # pragma: no cover - Qt's dialog lays itself out on a grid
        layout.addWidget(button)
    if not dialog.exec():
        return None
    if folder:
        return folder[0]
    files = dialog.selectedFiles()
    return Path(files[0]) if files else None
