"""Tools → Check Gradients: backpropagation's gradient beside central differences, computed on a
job thread with progress and Cancel. Two forward passes per checked entry over 32 training rows:
on a 26,698-parameter CNN that took 12 s and froze the window when it ran on the UI thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QProgressBar, QPushButton, QVBoxLayout, QWidget

from engine import Regularizer, check_gradients, get_loss
from engine.core.i18n import _, ngettext
from engine.core.numbers import cells, number
from engine.teaching.gradcheck import GradCheckReport

from ..run.jobs import Jobs
from ..run.session import Session
from ..widgets import name_widget

ROWS = 32  # training rows the objective is taken on
PER_ARRAY = 40  # entries checked per weight array at most (sampled, seeded)
EPS = 1e-5


def report_text(report: GradCheckReport, rows: int, measure: Callable[[str], float] = cells) -> str:
    """The dialog's words for a finished check: the table (its columns counted by `measure`, as the
    model summary's are) and the verdict."""
    verdict = (_("Backpropagation agrees with the numerical gradient (max relative error < 1e-6).") if report.passed()
               else _("Some entries differ by more than 1e-6."))  # fmt: skip
    if report.near_kinks:
        verdict += "\n" + ngettext(
            "{count} pre-activation sits within ε of a kink (e.g. ReLU at 0), where the numerical gradient is "
            "unreliable.",
            "{count} pre-activations sit within ε of a kink (e.g. ReLU at 0), where the numerical gradient is "
            "unreliable.", report.near_kinks).format(count=report.near_kinks)
    head = ngettext("Numerical gradient (J(θ+ε) − J(θ−ε)) / 2ε, ε = {eps}, on {rows} training sample, vs. backprop:",
                    "Numerical gradient (J(θ+ε) − J(θ−ε)) / 2ε, ε = {eps}, on {rows} training samples, vs. backprop:",
                    rows).format(eps=number(EPS, 6), rows=rows)
    return f"{head}\n\n{report.table(measure)}\n\n{verdict}"


class GradCheckDialog(QDialog):
    """The gradient check of the newest snapshot's network, run on this dialog's job thread."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gradientcheckDialog")
        self.setWindowTitle(_("Gradient check"))
        self.session = session
        self.text: str | None = None  # the finished report, or why there is none
        self.jobs = Jobs(self)
        self.jobs.moved.connect(self._moved)
        self.jobs.done.connect(self._done)
        self.jobs.failed.connect(self._failed)
        lay = QVBoxLayout(self)
        self.view = QPlainTextEdit()
        self.view.setObjectName("gradCheckText")
        self.view.setReadOnly(True)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.view.setFont(font)
        self.view.setMinimumSize(640, 300)
        lay.addWidget(self.view)
        self.bar = name_widget(QProgressBar(), "gradCheckProgress", _("Entries checked"))
        lay.addWidget(self.bar)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.cancel = name_widget(QPushButton(_("Cancel")), "gradCheckCancel", _("Stop the check"))
        self.cancel.clicked.connect(self.jobs.cancel)
        buttons.addButton(self.cancel, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        lay.addWidget(buttons)
        self.finished.connect(lambda _r: self.jobs.shutdown())  # a check still running stops at its next entry

    @property
    def busy(self) -> bool:
        return self.jobs.busy

    def start(self) -> int | None:
        """Check the newest snapshot's weights (a check still running is replaced)."""
        net = self.session.network()
        snap = self.session.snapshot
        if net is None or snap is None:
            return None
        data, t = snap.data, snap.project["training"]
        n = min(ROWS, data.x_train.shape[0])
        x, y = data.x_train[:n], data.y_train[:n]
        loss = get_loss(t["loss"])
        reg = Regularizer(t["regularization"]["kind"], t["regularization"]["rate"])
        self.text = None
        self.cancel.setEnabled(True)
        self.bar.setRange(0, 0)  # busy until the first report says the total
        self.view.setPlainText(_("Checking {count_params:,} parameters' gradients (at most {per_array} entries per "
                                 "array) on {count} training samples…").format(
                                   count_params=net.count_params(), per_array=PER_ARRAY, count=n))  # fmt: skip
        return self.jobs.submit(lambda progress: (check_gradients(
            net, x, y, loss, reg, eps=EPS, max_per_array=PER_ARRAY, progress=progress), n))  # fmt: skip

    def _moved(self, done: int, total: int) -> None:
        if total > 1:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
            self.bar.setFormat(_("%v of %m entries"))

    def _done(self, result: object) -> None:
        report, rows = result  # type: ignore[misc]
        metrics = QFontMetricsF(self.view.font())  # a Hangul heading is narrower than two of its columns
        x = metrics.horizontalAdvance("x")
        self.text = report_text(report, rows, lambda words: metrics.horizontalAdvance(words) / x)
        self.view.setPlainText(self.text)
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.cancel.setEnabled(False)

    def _failed(self, message: str) -> None:
        done, total = self.bar.value(), self.bar.maximum()
        cancelled = _("Cancelled after {done} of {total} entries.").format(done=f"{max(done, 0):,}", total=f"{total:,}")
        self.text = (cancelled if message == "cancelled" and total else _("Cancelled.") if message == "cancelled"
                     else message)  # fmt: skip
        self.view.setPlainText(self.text)
        self.cancel.setEnabled(False)


def open_gradcheck(session: Session, parent: QWidget) -> GradCheckDialog:
    """The gradient check window (one: a second request raises it and checks again)."""
    dlg = parent.findChild(GradCheckDialog, "gradientcheckDialog")
    if dlg is None:
        dlg = GradCheckDialog(session, parent)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.show()
    dlg.raise_()
    dlg.start()
    return dlg
