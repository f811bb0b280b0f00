"""View → Language and View → Show English Terms: the choice is kept in the settings and takes
effect at the next start. Every panel builds its texts once, so switching live would need each of
them to rebuild; instead the app offers to restart at once, and a restart loses nothing: the
project and the weights go to the recovery file (as an autosave does) and the new window takes
them back without asking, saved or unsaved as they were."""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QProcess, QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from engine.core import i18n as catalog
from engine.core.i18n import _

from .. import i18n

Button = QMessageBox.StandardButton
#: The settings key that tells the next start to take the recovery file back without asking:
#: "dirty" or "clean", as the project was.
RESTORE_KEY = "restoreAfterRestart"
RESTART_SAVE_SECONDS = 10.0


def check_actions(window: Any) -> None:
    """Tick the language the settings hold and "Show English Terms" as they are."""
    chosen = i18n.chosen_language(window.settings)
    for code in catalog.LANGUAGES:
        act = window.findChild(QAction, f"actionLanguage_{code}")
        if act is not None:
            act.setChecked(code == chosen)
    terms = window.findChild(QAction, "actionEnglishTerms")
    if terms is not None:
        terms.setChecked(i18n.english_terms(window.settings))


def choose(window: Any, code: str) -> None:
    """View → Language → `code`: keep the choice and offer to restart in it."""
    changed = code != i18n.chosen_language(window.settings) or code != catalog.language()
    window.settings.setValue(i18n.LANGUAGE_KEY, code)
    check_actions(window)
    if changed and code != catalog.language():
        offer_restart(window, _("The window will show in {language} after a restart.").format(
            language=catalog.LANGUAGES[code]))


def toggle_terms(window: Any) -> None:
    """View → Show English Terms: keep the setting and offer to restart with it."""
    on = not i18n.english_terms(window.settings)
    window.settings.setValue(i18n.TERMS_KEY, on)
    check_actions(window)
    if on != catalog.english_terms() and catalog.language() not in ("en", catalog.PSEUDO):
        offer_restart(window, _("English terms will show beside the Korean ones after a restart."))


def offer_restart(window: Any, what: str) -> bool:
    """Ask whether to restart now (True when the app restarts)."""
    answer = window.files.dialogs.ask(
        _("Restart nn-playground?"),
        _("{what} Restart now? The project and its weights are kept, saved or not.").format(what=what),
        Button.Yes | Button.No,
        Button.Yes,
    )
    return answer == Button.Yes and restart(window)


def restart(window: Any, launch: Any = QProcess.startDetached) -> bool:
    """Hand the project and its weights to the recovery file, close the window and start the app
    again, which takes them back without asking (`launch` starts the new process)."""
    files = window.files
    snap = window.session.snapshot
    # The run's weights fit the project while its network and data are the ones they were built for (a
    # live setting changed since, such as the learning rate, leaves them theirs).
    fits = snap is not None and all(snap.project.get(k) == files.state.project.get(k) for k in ("network", "data"))
    weights = snap.weights if fits else None
    files.autosaver.request(files.state.project, files.state.path, weights)
    if not files.autosaver.wait(RESTART_SAVE_SECONDS) or files.recovery.error:
        files.dialogs.error(_("Could not restart"), _("The project could not be kept for the restart ({error}).")
                            .format(error=files.recovery.error or _("the save took too long")))
        return False
    window.settings.setValue(RESTORE_KEY, "dirty" if files.state.dirty else "clean")
    window.settings.sync()
    files.keep_recovery = True  # the window's closing must not remove what the new one takes back
    files.state.set_dirty(False)  # kept in the recovery file: closing asks nothing
    window.close()
    launch(sys.executable, ["-m", "playground"])
    return True


def take_restart(settings: QSettings) -> dict[str, Any] | None:
    """At start: how to take the recovery file back after a restart (for offer_recovery), or None
    when the app was not restarted for a language; the mark is used once."""
    value = settings.value(RESTORE_KEY)
    if value not in ("dirty", "clean"):
        return None
    settings.remove(RESTORE_KEY)
    return {"ask": False, "dirty": value == "dirty"}
