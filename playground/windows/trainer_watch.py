"""Says when the trainer process stops answering, and offers to restart it.

A trainer that is stopped (SIGSTOP, a debugger), starved of memory or stuck in one long call no
longer reads its commands; the window goes on (commands wait in a queue), and this asks, without
blocking, whether to restart it. The question goes away by itself when the trainer answers again.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from engine.core.i18n import _

from ..run.session import Session


class TrainerWatch(QObject):
    """The 'trainer is not responding' question of one window (object name `trainerNotResponding`)."""

    def __init__(self, window: QWidget, session: Session) -> None:
        super().__init__(window)
        self.window, self.session = window, session
        self.box: QMessageBox | None = None
        session.responding.connect(self._on_responding)

    @Slot(bool, float)
    def _on_responding(self, ok: bool, seconds: float) -> None:
        if ok:
            self._close()
            self.session.message.emit(_("The trainer answers again; press Play to go on."))
            return
        if self.box is not None:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, _("The trainer is not responding"),
                          _("The trainer has not answered for {seconds} s: it may be stopped, out of memory "
                            "or stuck in a long step. Restart it? A new trainer continues from the last weights "
                            "the window received; your project is kept either way.").format(seconds=f"{seconds:.0f}"),
                          QMessageBox.StandardButton.NoButton, self.window)  # fmt: skip
        box.setObjectName("trainerNotResponding")
        restart = box.addButton(_("Restart the Trainer"), QMessageBox.ButtonRole.AcceptRole)
        restart.setObjectName("restartTrainer")
        box.addButton(_("Wait"), QMessageBox.ButtonRole.RejectRole).setObjectName("waitForTrainer")
        box.setDefaultButton(restart)
        box.finished.connect(lambda _r: self._answered(box, box.clickedButton() is restart))
        self.box = box
        box.open()  # not exec(): the window goes on while the question is up

    def _answered(self, box: QMessageBox, restart: bool) -> None:
        if self.box is box:
            self.box = None
        box.deleteLater()
        if restart:
            self.session.restart_trainer()

    def _close(self) -> None:
        box, self.box = self.box, None
        if box is not None:
            box.finished.disconnect()
            box.close()
            box.deleteLater()
