"""Start the app: `nn-playground [PROJECT.json] [--play]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from engine.core.i18n import _

from . import i18n
from .actions import language
from .main_window import MainWindow
from .resources import PRESETS, STYLE


def make_app() -> QApplication:
    """The QApplication with the app's names and stylesheet (reuses an existing one)."""
    # The worker thread runs NumPy in Python; a short GIL switch interval keeps the UI's own
    # Python callbacks (painting, hover) from queueing behind it for 5 ms each.
    sys.setswitchinterval(0.001)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("nn-playground")
    app.setOrganizationName("nn-playground")
    app.setApplicationDisplayName("nn-playground")
    # Set only when they differ: each set re-polishes every widget alive (a second of a window's
    # thousand widgets each time a test or a figure asks for the app again).
    font = app.font()
    if font.pointSizeF() != 10:
        font.setPointSizeF(10)
        app.setFont(font)
    style = STYLE.read_text(encoding="utf-8") if STYLE.exists() else ""
    if style and app.styleSheet() != style:
        app.setStyleSheet(style)
    i18n.use_hangul_fallback(app)  # Hangul renders even where the system has no Korean font
    return app


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="nn-playground", description=_("A desktop neural-network playground."))
    parser.add_argument("project", nargs="?", help=_("a project file, or a preset's name, to open"))
    parser.add_argument("--play", action="store_true", help=_("start training at once"))
    args = parser.parse_args(argv)
    app = make_app()
    # The language chosen in View → Language, else the system's (LANG=ko_KR.UTF-8: Korean), before any widget.
    i18n.install_from_settings(QSettings("nn-playground", "nn-playground"))
    window = MainWindow()
    if window.settings.value("geometry") is None and app.primaryScreen() is not None:
        window.setGeometry(app.primaryScreen().availableGeometry())  # first run: the whole screen
    window.show()
    _install_crash_handler(window)
    restarted = language.take_restart(window.settings)  # View → Language restarted the app: take the work back
    if restarted is not None or not args.project:
        window.files.offer_recovery(**(restarted or {}))
    preset = PRESETS / f"{args.project}.json" if args.project else None
    if preset is not None and not Path(args.project).exists() and preset.is_file():
        window.files.open_project(preset, preset=True)
    elif args.project and not window.files.open_project(args.project):
        print(_("nn-playground: could not open {path}").format(path=args.project), file=sys.stderr)
    if args.play and window.lessons.allows("view.play"):  # a lesson that locks Play holds for --play too
        window.session.set_playing(True)
    return app.exec()


CRASH_SAVE_SECONDS = 5.0  # how long a crash waits for its autosave (a file of at most ~11 MB)


def _install_crash_handler(window: MainWindow) -> None:
    """An uncaught exception autosaves the project before it is reported, so nothing is lost."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        try:
            window.files.autosave(wait=CRASH_SAVE_SECONDS)
        finally:
            previous(kind, value, tb)
        window.show_message(_("Unexpected error: {error} (your project was autosaved)").format(error=value))

    sys.excepthook = hook
