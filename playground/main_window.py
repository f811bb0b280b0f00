"""The main window composes the panels, builds the menus from the actions' table and wires both to
the session; the run lives in run/, what menus do in actions/, drawing a snapshot in panels/views."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QIcon
from PySide6.QtWidgets import QMainWindow, QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget

from engine.core.i18n import _
from engine.project.fields import humanize

from .actions.downloads import Downloads
from .actions.files import FileActions
from .actions.lessons import Lessons
from .actions.menus import fill_menu, menu_table
from .actions.presentation import Presentation, SideStrip, keep_on_screen
from .actions.sharing import Sharing
from .actions.tools import Tools
from .panels.batchnorm_view import BatchNormView
from .panels.controls import ControlBar
from .panels.curves_view import CurvesView
from .panels.data_panel import DataPanel
from .panels.histogram_view import HistogramView
from .panels.images import ImageDataView
from .panels.insights import GradientFlowView, HiddenSpaceView
from .panels.layers_view import LayersPanel
from .panels.network_area import NetworkArea
from .panels.network_view import NetworkView
from .panels.output_view import OutputView
from .panels.plotting import untitled
from .panels.runs_view import RunsView
from .panels.speed import SpeedPreference
from .panels.time_bar import TimeBar
from .panels.time_view import SequenceTabs, TimeGradientView
from .panels.unrolled_view import UnrolledView
from .panels.views import ViewRouter
from .resources import ICON
from .run.session import Session
from .widgets import Counter, Deferred, Label, guarded, menu_text, name_widget
from .widgets.dialogs import QtDialogs
from .widgets.keys import FocusKeys
from .widgets.note import NoteBar
from .widgets.plain import cut
from .windows.trainer_watch import TrainerWatch

AUTOSAVE_MS = 30_000
MESSAGE_MS = 12_000  # shortest time a status message stays


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        if ICON.exists():
            self.setWindowIcon(QIcon(str(ICON)))
        self.settings = settings or QSettings("nn-playground", "nn-playground")
        self.session = s = Session(self)
        state = s.state
        self.controls, self.data_panel, self.network = ControlBar(state), DataPanel(state), NetworkView(state)
        self.layers, self.unrolled = LayersPanel(state), UnrolledView()
        self.area = NetworkArea(state, self.network, self.layers, self.unrolled)  # neurons, layers, unrolled
        self.output, self.images, self.curves = OutputView(), ImageDataView(), CurvesView()
        self.images.hide()
        self.histograms, self.batch_norm = HistogramView(), BatchNormView()  # BN: each unit before and after
        # The tabs not shown at the start are built when first shown (or asked for anything).
        self.gradients, self.hidden_space = Deferred(GradientFlowView, untitled), Deferred(HiddenSpaceView, untitled)
        self.time_gradient = Deferred(TimeGradientView, untitled)  # recurrent layers on sequence data
        self.runs, self.time_bar = RunsView(s.run_history), TimeBar()
        self.banner = name_widget(Label(), "banner", _("Message banner"))
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.note_bar = NoteBar()
        tip = _("Trainable parameters: every weight and bias. Click for the summary.")
        self.params_label = name_widget(Label(), "paramsLabel", _("Parameter count"), tip)
        self.params_label.setTextFormat(Qt.TextFormat.RichText)  # a link; the text is only a count
        self.params_label.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        # Fixed sizes: these change every frame, and a new size hint re-lays out the status bar.
        self.rate_label = name_widget(Counter("000,000 steps/s", min_width=130), "rateLabel", _("Training speed"))
        self.loss_label = name_widget(Counter("epoch 0,000,000 · batch loss 0.0000 · α 0.001", min_width=330),
                                      "lossLabel", _("Epoch and batch loss"))  # fmt: skip
        self.view_label = name_widget(
            Label(), "viewBudget", _("View budget"),
            _("Drawing may take at most a quarter of the worker's time: on big networks the output plane is "
              "computed at a lower resolution, then frames are spaced out, so training keeps its speed."),
        )  # fmt: skip
        for w in (self.view_label, self.loss_label, self.rate_label):
            self.statusBar().addPermanentWidget(w)
        self.router = ViewRouter(
            self.controls, self.network, self.output, self.images, self.curves, self.histograms,
            self.gradients, self.hidden_space, self.runs, self.params_label, self.loss_label, self.rate_label,
            self.data_panel, self.view_label, area=self.area, batch_norm=self.batch_norm,
            time_gradient=self.time_gradient,
        )  # fmt: skip
        self.dialogs = QtDialogs(self, self.settings, self.show_message)
        self.files = FileActions(
            s, self.dialogs, self.settings, self._plot_widget, self._opened, lambda: self._refresh_recent()
        )
        self.tools = Tools(s, self)
        self.sharing = Sharing(self, s, self.files)  # links, the clipboard, dropped files
        self.lessons = Lessons(self, s)  # the project's lesson: hidden and locked controls, steps
        self.downloads = Downloads(self, self.files, self.data_panel)  # MNIST and Fashion-MNIST
        self.trainer_watch = TrainerWatch(self, s)  # asks to restart a trainer that stopped answering
        self.speed = SpeedPreference(self.settings, self)  # how fast playing goes: the app's preference
        self.speed.attach(self.controls.speed, s.set_speed)
        self._compose()
        self.presentation = Presentation(self)  # View → Presentation: the layout for a projector
        self.sequence_tabs = SequenceTabs(self.tabs, self.presentation.reveal_tabs)  # Through time: sequences only
        self._menus()
        self._wire()
        self.focus_keys = FocusKeys(self)  # a focused control keeps Space (and typed keys) for itself
        if (geometry := self.settings.value("geometry")) is None or not self.restoreGeometry(geometry):
            self.resize(1560, 960)  # first run, or a saved geometry Qt cannot read
        keep_on_screen(self)
        self.presentation.restore()
        self._update_title()
        self._autosave = QTimer(self, interval=AUTOSAVE_MS, timeout=self.files.autosave)
        self._autosave.start()

    # ----------------------------------------------------------------- layout
    def _compose(self) -> None:
        # Top down: each container is in the window before what it holds is added, so each panel
        # moves once (under the app's style sheet a move restyles the whole moved subtree).
        central = _holder("", (0, 0, 0, 0))
        central.layout().setSpacing(0)
        self.setCentralWidget(central)
        split, right = QSplitter(Qt.Orientation.Horizontal), QSplitter(Qt.Orientation.Vertical)
        split.setObjectName("mainSplitter")
        right.setObjectName("rightColumn")
        left, middle = QScrollArea(), _holder("", (6, 8, 6, 8))
        left.setObjectName("dataScroll")
        left.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its controls take Tab, not the frame
        left.setWidgetResizable(True)
        left.setMinimumWidth(236)
        left.setMaximumWidth(330)
        left.setFrameShape(QScrollArea.Shape.NoFrame)
        for w in (SideStrip(left, _("Data"), "data"), middle, right):  # the data panel folds in presentation
            split.addWidget(w)
        for w in (self.controls, self.note_bar, self.lessons.bar, self.sharing.bar, self.banner, split):
            central.layout().addWidget(w, w is split)
        left.setWidget(self.data_panel)
        for w, stretch in ((self.area, 1), (self.params_label, 0), (self.time_bar, 0)):
            middle.layout().addWidget(w, stretch)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("insightTabs")
        self.tabs.setDocumentMode(True)
        for widgets in ((self.output, self.images), (self.curves,), (self.tabs,)):
            right.addWidget(holder := _holder("", (8, 5, 12, 5)))
            for w in widgets:
                holder.layout().addWidget(w)
        for widget, title, name in (
            (self.histograms, _("Weights"), "weights"),
            (self.gradients, _("Gradient flow"), "gradients"),
            (self.batch_norm, _("Batch norm"), "batchnorm"),
            (self.time_gradient, _("Through time"), "time"),
            (self.hidden_space, _("Hidden space"), "hidden"),
            (self.runs, _("Runs"), "runs"),
        ):
            self.tabs.addTab(tab := _holder(f"tab_{name}", (0, 6, 0, 0)), title)
            tab.layout().addWidget(untitled(widget))
        right.setSizes([430, 220, 230])
        split.setStretchFactor(1, 3)
        split.setStretchFactor(2, 2)
        split.setSizes([280, 760, 520])

    def show_view(self, name: str) -> bool:
        """Bring the insight tab `name` (weights, gradients, batchnorm, hidden, runs) to the front."""
        for i in range(self.tabs.count()):
            if self.tabs.widget(i).objectName() == f"tab_{name}":
                self.sequence_tabs.bring(i)  # a tab for sequence data only comes once its data are in
                return True
        return False

    # ----------------------------------------------------------------- menus
    def _menus(self) -> None:
        for title, entries in menu_table(self).items():
            fill_menu(self, self.menuBar().addMenu(title), entries)
        self.play_action = self.findChild(QAction, "actionPlay")
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.files.recent()
        for p in recent:
            self.recent_menu.addAction(menu_text(p), lambda p=p: self.files.open_project(p))
        self.recent_menu.setEnabled(bool(recent))

    # ----------------------------------------------------------------- wiring
    def _wire(self) -> None:
        s = self.session
        s.frame.connect(lambda snap, force: self.router.show(snap, force))
        s.playing_changed.connect(self.controls.set_playing)
        s.timeline_changed.connect(self.time_bar.set_count)
        s.travelled.connect(self._travelled)
        s.message.connect(self.show_message)
        s.banner.connect(self._banner)
        s.error.connect(self.dialogs.error)
        s.state.dirty_changed.connect(lambda _d: self._update_title())
        s.state.path_changed.connect(self._update_title)
        self.controls.play_toggled.connect(s.set_playing)
        self.controls.step_requested.connect(s.step)
        self.controls.reset_requested.connect(s.reset)
        for panel in (self.controls, self.data_panel, self.network, self.layers):
            panel.message.connect(self.show_message)
        self.network.weight_edited.connect(s.edit_weight)
        self.network.hovered.connect(self.output.preview)
        self.data_panel.open_file_requested.connect(self.files.open_data_file)
        self.data_panel.draw_mode_changed.connect(self.output.set_draw_mode)
        self.output.point_added.connect(lambda x, y: s.add_point(x, y, self.data_panel.draw_class.currentData() or 0))
        self.output.point_erased.connect(s.erase_point)
        self.output.inspected.connect(self.tools.inspect_point)
        self.output.loss_sizes_wanted.connect(lambda on: s.set_view("point_loss", on))
        self.output.plane_mode.changed.connect(lambda on: s.set_view("plane_batch", on))
        for view, name in ((self.hidden_space, "hidden"), (self.gradients, "gradients"), (self.layers, "maps"),
                           (self.batch_norm, "batchnorm"), (self.unrolled, "unrolled"),
                           (self.time_gradient, "time")):  # fmt: skip
            view.wanted.connect(lambda on, name=name: s.set_view(name, on))  # computed only while on screen
        self.images.picked.connect(s.pick_image)
        self.unrolled.picked.connect(s.pick_image)
        s.frame.connect(lambda snap, _f: self.sequence_tabs.follow(snap.data.dataset.sequence_shape is not None))
        self.tabs.currentChanged.connect(lambda _i: self.runs.refresh())
        self.runs.overlays_changed.connect(self.curves.set_overlays)
        self.runs.compare_requested.connect(self.tools.compare_runs)
        self.runs.export_requested.connect(self.files.export_runs)
        self.time_bar.moved.connect(s.travel)
        self.time_bar.use_weights.connect(s.use_past_weights)
        self.params_label.linkActivated.connect(lambda _l: self.tools.show_summary())

    def _travelled(self, epoch: int | None, live_epoch: int) -> None:
        if epoch is None:
            self.time_bar.go_live()
        self.time_bar.show_epoch(epoch, live_epoch)

    def _plot_widget(self) -> QWidget:
        return self.images if self.images.isVisible() else self.output.plot

    def _opened(self, project: dict[str, Any]) -> None:
        """A project was opened: the tab its app section names comes to the front (Weights when it
        names none: a tab an earlier preset chose does not stay), and its note shows."""
        app = project.get("app", {})
        if not (isinstance(app.get("view"), str) and self.show_view(app["view"])):
            self.tabs.setCurrentIndex(0)
        self.note_bar.set_note(app.get("title", ""), app.get("note", ""))  # a text, or one per language

    # ----------------------------------------------------------------- messages
    def show_message(self, text: str) -> None:
        """A status message in the user's words (settings by their names, layers from 1); long
        enough on screen to be read."""
        text = humanize(text)
        self.statusBar().showMessage(text, max(MESSAGE_MS, 60 * len(text)))

    def _banner(self, text: str, kind: str) -> None:
        if not text:
            self.banner.hide()
            return
        text = cut(humanize(text))
        self.banner.setText(text)
        self.banner.setProperty("kind", kind)
        self.banner.style().unpolish(self.banner)
        self.banner.style().polish(self.banner)
        self.banner.show()

    def _update_title(self) -> None:
        state = self.session.state
        name = state.path.name if state.path else _("untitled")
        title = _("{name} • — nn-playground") if state.dirty else _("{name} — nn-playground")
        self.setWindowTitle(title.format(name=name))

    # ----------------------------------------------------------------- closing
    @guarded
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.files.confirm_discard():
            event.ignore()
            return
        self.settings.setValue("geometry", self.saveGeometry())
        self.files.discard_recovery()  # saved or knowingly discarded: nothing to recover
        handle = self.session.handle
        handle.request_stop()  # asked first: a worker waiting for commands ends at once, a step in progress soon
        if handle.thread is not None and handle.thread.isRunning() and not handle.thread.wait(100):
            self.show_message(_("Finishing the step in progress…"))  # said before waiting for it
            self.setEnabled(False)
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop the worker threads and wait for them; safe to call twice."""
        for child in self.findChildren(QObject):  # race and landscape windows, downloads: their threads
            if child is not self.session and callable(getattr(child, "shutdown", None)):
                child.shutdown()  # each waits for its own thread
        self.session.shutdown()


def _holder(name: str, margins: tuple[int, int, int, int]) -> QWidget:
    box = QWidget()
    box.setObjectName(name)
    QVBoxLayout(box).setContentsMargins(*margins)
    return box
