"""The Tools menu's dialogs: gradient check, model summary, optimizer race and paths, run comparison,
the draw pad. Each window's module is imported when it is first opened, not on the way to the
main window's first show."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFont, QFontMetricsF
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QPlainTextEdit, QVBoxLayout, QWidget

from engine.core.i18n import _

from ..run.session import Session
from ..widgets import plain
from .presentation import keep_on_screen

if TYPE_CHECKING:
    from ..windows.activation_stats import ActivationWindow
    from ..windows.backprop import BackpropWindow
    from ..windows.convex import ConvexWindow
    from ..windows.drawpad import DrawPad
    from ..windows.gradcheck import GradCheckDialog
    from ..windows.graphs import GraphWindow
    from ..windows.landscape import LandscapeWindow
    from ..windows.loss_explorer import LossExplorer
    from ..windows.optimizer_paths import PathsWindow
    from ..windows.perceptron import PerceptronWindow
    from ..windows.race import RaceWindow
    from ..windows.record import RecordDialog
    from .lessons import MakeLessonDialog


def summary_font() -> QFont:
    """The fixed-width font a text dialog (the model summary) shows its text in."""
    font = QFont("monospace")
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


class Tools:
    def __init__(self, session: Session, parent: QWidget) -> None:
        self.session = session
        self.parent = parent
        self._data: Any = None
        session.frame.connect(self._follow_data)

    def _follow_data(self, snap: Any, _force: bool) -> None:
        """Entries that depend on the kind of data (Draw an Input… is for images) follow it."""
        from ..windows.drawpad import pad_entry

        if snap.data is not self._data:
            self._data = snap.data
            action = self.parent.findChild(QAction, "actionDrawInput")
            if action is not None:
                pad_entry(action, snap)

    def open_draw_pad(self) -> DrawPad | None:
        """The draw pad (one window: a second request raises it), for image data."""
        from ..windows.drawpad import DrawPad

        snap = self.session.snapshot
        if snap is None or snap.data.dataset.image_shape is None:
            self.parent.show_message(_("Draw an Input is for image data; these data are not images."))
            return None
        samples = self.parent.images.samples
        return self.open_single(DrawPad, "drawPad", lambda: DrawPad(
            self.session, self.parent.dialogs.open_path, lambda: samples.picked_row, self.parent))

    def check_gradients(self) -> GradCheckDialog | None:
        """The gradient check of the newest snapshot's network, on its own thread with progress
        and Cancel (the window stays live however big the network)."""
        from ..windows.gradcheck import open_gradcheck

        if self.session.snapshot is None:
            return None
        return placed(open_gradcheck(self.session, self.parent))

    def show_summary(self) -> str | None:
        net = self.session.network()
        if net is None:
            return None
        path = self.session.state.path
        metrics = QFontMetricsF(summary_font())  # a Hangul heading is narrower than two of its columns
        text = net.summary(path.stem if path else "model",
                           lambda words: metrics.horizontalAdvance(words) / metrics.horizontalAdvance("x"))
        self.text_dialog(_("Model summary"), text, "modelsummary")
        return text

    def open_race(self) -> RaceWindow:
        """The optimizer race on a copy of the current project (it trains on its own thread)."""
        from ..windows.race import open_race

        speed = getattr(self.parent, "speed", None)  # the window's speed governs the race too
        return placed(open_race(self.session.state.project, self.session.state.base_dir, self.parent, speed))

    def open_backprop(self) -> BackpropWindow | None:
        """The backprop walk (one window: a second request raises it), for every model."""
        from ..windows.backprop import BackpropWindow

        return self.open_single(BackpropWindow, "backpropWindow", lambda: BackpropWindow(self.session, self.parent))

    def inspect_point(self, x: float, y: float) -> BackpropWindow | None:
        """A click on the output plane: the point inspector (the backprop window on that point)."""
        win = self.open_backprop()
        if win is not None:
            win.pick(x, y)
        return win

    def open_graphs(self) -> GraphWindow:
        from ..windows.graphs import GraphWindow

        win = GraphWindow(self.parent)
        win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        win.show()
        return placed(win)

    def make_lesson(self) -> MakeLessonDialog:
        from .lessons import MakeLessonDialog

        dlg = MakeLessonDialog(self.session, self.parent)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def open_paths(self) -> PathsWindow:
        """Optimizers on two-parameter test surfaces (no network: the engine's optimizers alone)."""
        from ..windows.optimizer_paths import open_paths

        return placed(open_paths(self.parent))

    def open_landscape(self) -> LandscapeWindow:
        """The loss landscape of the network being trained (computed on its own thread)."""
        from ..windows.landscape import open_landscape

        return placed(open_landscape(self.session, self.parent))

    def open_single(self, cls: type[Any], name: str, make: Callable[[], Any] | None = None) -> Any:
        """One window of a kind (a second request raises it), made by `make` (default: the class
        with this window as its parent) and deleted when closed."""
        win = self.parent.findChild(cls, name)
        if win is None:
            win = make() if make is not None else cls(self.parent)
            win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        win.show()
        win.raise_()
        return placed(win)

    def open_loss_explorer(self) -> LossExplorer:
        """Class scores to the multiclass SVM and softmax losses, worked out."""
        from ..windows.loss_explorer import LossExplorer

        return self.open_single(LossExplorer, "lossExplorer")

    def open_perceptron(self) -> PerceptronWindow:
        """The perceptron rule on logic gates, and why gradient descent cannot train a step."""
        from ..windows.perceptron import PerceptronWindow

        return self.open_single(PerceptronWindow, "perceptronWindow")

    def open_convexity(self) -> ConvexWindow:
        """Logistic regression's (w, b) landscape with cross-entropy beside squared error."""
        from ..windows.convex import ConvexWindow

        return self.open_single(ConvexWindow, "convexWindow")

    def open_activation_stats(self) -> ActivationWindow:
        """Each hidden layer's activations at initialisation (one window: a second request raises it)."""
        from ..windows.activation_stats import ActivationWindow

        return self.open_single(
            ActivationWindow, "activationStats", lambda: ActivationWindow(self.session, self.parent))

    def record(self) -> RecordDialog:
        """The run's kept epochs as an animation for a slide (drawn here, encoded on its own thread)."""
        from ..windows.record import open_record

        return placed(open_record(self.session, self.parent.dialogs, self.parent))

    def compare_runs(self, a: object, b: object) -> QDialog:
        from ..panels.runs_view import CompareDialog

        dlg = CompareDialog(a, b, self.parent)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def text_dialog(self, title: str, text: str, name: str = "text") -> QDialog:
        """A read-only text in a dialog named `name` + "Dialog" (the same name in every language)."""
        dlg = QDialog(self.parent)
        dlg.setObjectName(f"{name}Dialog")
        dlg.setWindowTitle(title)
        lay = QVBoxLayout(dlg)
        view = QPlainTextEdit(text)
        view.setReadOnly(True)
        view.setFont(summary_font())
        view.setMinimumSize(640, 300)
        lay.addWidget(view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dlg.close)
        lay.addWidget(buttons)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def about(self) -> None:
        plain.message_box(
            self.parent,
            QMessageBox.Icon.Information,
            _("About nn-playground"),
            _("nn-playground: build a neural network by clicking and watch it learn.\n"
              "A NumPy engine trains in a process of its own; the views show the newest snapshot."),
        ).exec()


W = TypeVar("W", bound=QWidget)


def placed(win: W) -> W:
    """A tool window within its screen: a default size taller than a 1280×720 projector's (the
    backprop walk's layout asked 752 px) is shrunk to the screen, its title bar kept on it."""
    keep_on_screen(win)
    return win
