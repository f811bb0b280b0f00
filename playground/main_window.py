"""The main window: it composes the panels, owns the menus and wires the worker. It computes
nothing itself; training lives in the worker, maths in the engine."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QFont, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine import PlaygroundError, Regularizer, check_gradients, get_loss
from engine.codegen import export_script, script_paths
from engine.io import (
    apply_weights,
    atomic_write_bytes,
    atomic_write_text,
    export_data,
    load_project,
    read_weights,
    save_project,
    save_weights,
)
from engine.network import Network
from engine.project import build_network, default_project, load_dataset

from .commands import Build, Pause, Play, SetLive, SetOptimizer, SetViews, SetWeight, SetWeights, Step
from .panels.controls import ControlBar
from .panels.data_panel import DataPanel
from .panels.images import ImageDataView
from .panels.insights import GradientFlowView, HiddenSpaceView
from .panels.network_view import NetworkView
from .panels.plots import CurvesView, HistogramView, OutputView
from .panels.runs_view import CompareDialog, RunsView
from .panels.time_bar import TimeBar
from .paths import ICON, PRESETS
from .plot_export import plot_bytes
from .race_window import RaceWindow, open_race
from .recovery import RecoveryFile
from .runs import RunHistory
from .snapshot import Snapshot
from .state import ProjectState, is_live
from .timeline import Timeline
from .widgets import Label, guarded, menu_text, message_box, name_widget, plain
from .worker import WorkerHandle

MAX_RECENT = 8
MAX_BANNER = 2_000  # characters of a note or message shown in the banner
AUTOSAVE_MS = 30_000
SLOW_VIEWS_PERIOD = 0.1  # seconds between redraws of each slow view while playing


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("nn-playground")
        if ICON.exists():
            self.setWindowIcon(QIcon(str(ICON)))
        self.settings = settings or QSettings("nn-playground", "nn-playground")
        self.state = ProjectState()
        self.snapshot: Snapshot | None = None
        self.playing = False
        self._slow_views_at = 0.0  # when a slow view last redrew, and which group's turn it was
        self._slow_turn = 0
        self.handle = WorkerHandle(self)
        self.handle.worker.snapshot_ready.connect(self._on_snapshot)
        self.handle.worker.failed.connect(self._on_worker_failed)

        self.controls = ControlBar(self.state)
        self.data_panel = DataPanel(self.state)
        self.network = NetworkView(self.state)
        self.output = OutputView()
        self.images = ImageDataView()
        self.images.hide()
        self.curves = CurvesView()
        self.histograms = HistogramView()
        self.gradients = GradientFlowView()
        self.hidden_space = HiddenSpaceView()
        self.run_history = RunHistory()
        self.timeline = Timeline()
        self.time_bar = TimeBar()
        self.shown: Snapshot | None = None  # what the views draw: the newest snapshot, or a past one
        self.runs = RunsView(self.run_history)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("insightTabs")
        self.tabs.setDocumentMode(True)
        for widget, title, name in (
            (self.histograms, "Weights", "weights"),
            (self.gradients, "Gradient flow", "gradients"),
            (self.hidden_space, "Hidden space", "hidden"),
            (self.runs, "Runs", "runs"),
        ):
            self._add_tab(widget, title, name)
        self._views: set[str] = set()
        self.banner = Label()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.params_label = name_widget(
            Label(),
            "paramsLabel",
            "Parameter count",
            "Trainable parameters: every weight and bias. Click for the summary.",
        )
        self.params_label.setTextFormat(Qt.TextFormat.RichText)  # a link; the text is only a count
        self.params_label.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.params_label.linkActivated.connect(lambda _l: self.show_summary())
        self._compose()
        self._menus()
        self._status()

        self.state.edited.connect(self._on_edited)
        self.state.replaced.connect(lambda: self.rebuild())
        self.state.dirty_changed.connect(lambda _d: self._update_title())
        self.state.path_changed.connect(self._update_title)
        self.controls.play_toggled.connect(self.set_playing)
        self.controls.step_requested.connect(self.step)
        self.controls.reset_requested.connect(self.reset)
        for panel in (self.controls, self.data_panel, self.network):
            panel.message.connect(self.show_message)
        self.network.weight_edited.connect(self._edit_weight)
        self.data_panel.open_file_requested.connect(self.open_data_file)
        self.data_panel.draw_mode_changed.connect(self._draw_mode)
        self.output.point_added.connect(self._add_point)
        self.output.point_erased.connect(self._erase_point)
        self.hidden_space.wanted.connect(lambda on: self._want_view("hidden", on))
        self.gradients.wanted.connect(lambda on: self._want_view("gradients", on))
        self.tabs.currentChanged.connect(lambda _i: self.runs.refresh())
        self.runs.overlays_changed.connect(self.curves.set_overlays)
        self.time_bar.moved.connect(self._travel)
        self.time_bar.use_weights.connect(self._use_past_weights)
        self.runs.compare_requested.connect(self.compare_runs)
        self.runs.export_requested.connect(self.export_runs)
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1560, 960)
        self._update_title()
        self.recovery = RecoveryFile(Path(self.settings.fileName()).parent / "recovery.json")
        self._autosave = QTimer(self)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.autosave)
        self._autosave.start()
        self.rebuild()

    # ----------------------------------------------------------------- layout
    def _compose(self) -> None:
        left = QScrollArea()
        left.setObjectName("dataScroll")
        left.setWidget(self.data_panel)
        left.setWidgetResizable(True)
        left.setMinimumWidth(250)
        left.setMaximumWidth(330)
        left.setFrameShape(QScrollArea.Shape.NoFrame)
        middle = QWidget()
        mid = QVBoxLayout(middle)
        mid.setContentsMargins(6, 8, 6, 8)
        mid.addWidget(self.network, 1)
        mid.addWidget(self.params_label)
        mid.addWidget(self.time_bar)
        right = QSplitter(Qt.Orientation.Vertical)
        right.setObjectName("rightColumn")
        for widgets in ((self.output, self.images), (self.curves,), (self.tabs,)):
            holder = QWidget()
            lay = QVBoxLayout(holder)
            lay.setContentsMargins(8, 8, 12, 8)
            for w in widgets:  # the output plane or, for image data, the image views
                lay.addWidget(w)
            right.addWidget(holder)
        right.setSizes([430, 220, 230])
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("mainSplitter")
        split.addWidget(left)
        split.addWidget(middle)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        split.setStretchFactor(2, 2)
        split.setSizes([280, 760, 520])
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.controls)
        lay.addWidget(self.banner)
        lay.addWidget(split, 1)
        self.setCentralWidget(central)

    def _add_tab(self, widget: QWidget, title: str, name: str) -> None:
        holder = QWidget()
        holder.setObjectName(f"tab_{name}")
        lay = QVBoxLayout(holder)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addWidget(widget)
        self.tabs.addTab(holder, title)

    def show_view(self, name: str) -> bool:
        """Bring the insight tab `name` (weights, gradients, hidden, runs) to the front."""
        for i in range(self.tabs.count()):
            if self.tabs.widget(i).objectName() == f"tab_{name}":
                self.tabs.setCurrentIndex(i)
                return True
        return False

    def _want_view(self, name: str, on: bool) -> None:
        """Views whose data the worker computes only while they are on screen."""
        before = set(self._views)
        (self._views.add if on else self._views.discard)(name)
        if self._views != before:
            self.handle.send(SetViews(frozenset(self._views)))

    def _action(
        self, text: str, slot: Any, shortcut: str | QKeySequence | None = None, name: str = "", tip: str = ""
    ) -> QAction:
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        if name:
            act.setObjectName(name)
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.triggered.connect(lambda _checked=False: slot())
        self.addAction(act)
        return act

    def _menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addAction(self._action("&New", self.new_project, QKeySequence.StandardKey.New, "actionNew"))
        file.addAction(self._action("&Open Project…", self.open_project, QKeySequence.StandardKey.Open, "actionOpen"))
        self.recent_menu = file.addMenu("Open &Recent")
        file.addAction(self._action("&Save Project", self.save, QKeySequence.StandardKey.Save, "actionSave"))
        file.addAction(self._action("Save Project &As…", self.save_as, QKeySequence.StandardKey.SaveAs, "actionSaveAs"))
        file.addSeparator()
        file.addAction(self._action("&Import Weights…", self.import_weights, None, "actionImportWeights"))
        export = file.addMenu("&Export Weights")
        export.addAction(
            self._action("NumPy (.npz)…", lambda: self.export_weights(fmt="npz"), "Ctrl+E", "actionExportNpz")
        )
        export.addAction(
            self._action("JSON (.json)…", lambda: self.export_weights(fmt="json"), None, "actionExportJson")
        )
        export.addAction(
            self._action("ONNX (.onnx)…", lambda: self.export_weights(fmt="onnx"), None, "actionExportOnnx")
        )
        code = file.addMenu("Export as &Code")
        code.addAction(
            self._action(
                "PyTorch script (.py)…",
                lambda: self.export_code(framework="pytorch"),
                None,
                "actionExportPytorch",
                "A runnable script that rebuilds this network in PyTorch and loads its weights",
            )
        )
        code.addAction(
            self._action(
                "Keras script (.py)…",
                lambda: self.export_code(framework="keras"),
                None,
                "actionExportKeras",
                "A runnable script that rebuilds this network in Keras and loads its weights",
            )
        )
        file.addAction(self._action("Export &Data…", self.export_data, None, "actionExportData"))
        file.addAction(self._action("Export &Plot as PNG/SVG…", self.export_plot, None, "actionExportPlot"))
        file.addSeparator()
        file.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit, "actionQuit"))
        run = bar.addMenu("&Run")
        self.play_action = self._action(
            "Play / Pause", lambda: self.set_playing(not self.playing), Qt.Key.Key_Space, "actionPlay"
        )
        run.addAction(self.play_action)
        run.addAction(self._action("Step", lambda: self.step(self.controls.step_unit.currentText()), "S", "actionStep"))
        run.addAction(self._action("Reset", self.reset, "R", "actionReset"))
        presets = bar.addMenu("&Presets")
        for path in sorted(PRESETS.glob("*.json")):
            try:
                title = json.loads(path.read_text()).get("app", {}).get("title", path.stem)
            except (OSError, ValueError):
                continue
            presets.addAction(
                self._action(title, lambda p=path: self.open_project(p, preset=True), None, f"preset_{path.stem}")
            )
        tools = bar.addMenu("&Tools")
        tools.addAction(
            self._action(
                "Check &Gradients",
                self.check_gradients,
                "Ctrl+G",
                "actionCheckGradients",
                "Compare backprop with central differences, per layer",
            )
        )
        tools.addAction(self._action("Model &Summary", self.show_summary, None, "actionSummary"))
        tools.addAction(
            self._action(
                "Optimizer &Race…",
                self.open_race,
                "Ctrl+R",
                "actionRace",
                "Train this network with several optimizers side by side, on the same batches",
            )
        )
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&About nn-playground", self._about, None, "actionAbout"))
        self._refresh_recent()

    def _status(self) -> None:
        self.rate_label = Label()
        self.rate_label.setObjectName("rateLabel")
        self.loss_label = Label()
        self.loss_label.setObjectName("lossLabel")
        # Fixed widths: these change every frame, and a new size hint re-lays out the status bar.
        self.loss_label.setFixedWidth(330)
        self.rate_label.setFixedWidth(130)
        self.statusBar().addPermanentWidget(self.loss_label)
        self.statusBar().addPermanentWidget(self.rate_label)

    # ----------------------------------------------------------------- the run
    def rebuild(self, weights: list[np.ndarray] | None = None) -> None:
        """Start a fresh trainer for the current project (new weights unless given)."""
        self.handle.send(
            Build(copy.deepcopy(self.state.project), self.state.base_dir, weights, play=self.playing)
        )

    @Slot(bool)
    def set_playing(self, on: bool) -> None:
        self.playing = bool(on)
        self.controls.set_playing(self.playing)
        self.handle.send(Play() if self.playing else Pause())
        if self.playing:
            self._hide_banner()

    def step(self, unit: str = "batch") -> None:
        self.set_playing(False)
        self.handle.send(Step(unit))

    def reset(self) -> None:
        self._hide_banner()
        self.rebuild()

    def _on_edited(self, path: str, value: Any) -> None:
        project = copy.deepcopy(self.state.project)
        if not is_live(path):
            if path == "training.optimizer":
                self.handle.send(SetOptimizer(copy.deepcopy(value), project))
                return
            self.rebuild()
            return
        self.handle.send(SetLive(((path, value),), project))

    @Slot(object)
    def _on_snapshot(self, snap: Snapshot) -> None:
        try:
            self.snapshot = snap
            new_run = self.run_history.update(snap)
            if self.timeline.add(snap) and (not snap.playing or self.time_bar.count == 0):
                self.time_bar.set_count(len(self.timeline))  # while playing: at 10 Hz, in _show
            if self.time_bar.index is not None and (snap.playing or new_run):
                self.time_bar.go_live()  # training on (or a new run) brings the views back to now
            if self.time_bar.index is None:
                self._show(snap, new_run)
            if self.playing and not snap.playing and snap.message:
                self.playing = False
                self.controls.set_playing(False)
            if snap.message:
                self._show_banner(snap.message, error=not snap.stopped)
            elif new_run and snap.warnings:
                self._show_banner(" ".join(w[0].upper() + w[1:] for w in snap.warnings), error=False)
        finally:
            # Report the frame drawn only after the repaint it triggered (a 1 ms timer runs after
            # the pending paint events), so the worker stays out of the way while Qt paints.
            QTimer.singleShot(1, self._frame_done)

    def _travel(self, index: int | None) -> None:
        """Show a kept snapshot (pausing the run) or, for None, the newest one."""
        live = self.snapshot
        if live is None:
            return
        if index is None:
            self.time_bar.show_epoch(None, live.epoch)
            self._show(live, True)
            return
        if self.playing:
            self.set_playing(False)
        past = self.timeline.at(index, live)
        self.time_bar.show_epoch(past.epoch, live.epoch)
        self._show(past, True)

    def _use_past_weights(self) -> None:
        if self.time_bar.index is None or self.shown is None:
            return
        weights = [w.copy() for w in self.shown.weights]
        epoch = self.shown.epoch
        self.time_bar.go_live()
        self.handle.send(SetWeights(weights, self.shown.generation))
        self.show_message(f"Carrying on from the weights of epoch {epoch:,}")

    def _show(self, snap: Snapshot, force: bool = False) -> None:
        """Draw a snapshot in every view (`force`: the slow views too, now)."""
        self.shown = snap
        self.controls.set_epoch(snap.epoch)
        self.network.set_snapshot(snap)
        is_images = snap.data.dataset.image_shape is not None
        if self.images.isVisible() != is_images:
            self.images.setVisible(is_images)
            self.output.setVisible(not is_images)
        if is_images:
            self.images.set_snapshot(snap)
        else:
            self.output.set_snapshot(snap)
        # Curves, histograms, gradient flow and the runs table change slowly: while playing
        # each redraws about 10 times a second, one group per frame in turn, so no frame pays
        # for all of them (that frame was the slowest: 30 ms for the largest network).
        slow = (
            lambda: self.curves.set_snapshot(snap),
            lambda: (self.histograms.set_snapshot(snap), self.gradients.set_snapshot(snap)),
            self.runs.refresh,
        )
        now = time.perf_counter()
        if not snap.playing or force:
            for draw in slow:
                draw()
        elif now - self._slow_views_at >= SLOW_VIEWS_PERIOD / len(slow):
            self._slow_views_at = now
            self._slow_turn = (self._slow_turn + 1) % len(slow)
            slow[self._slow_turn]()
        if snap.hidden is not None:  # only while the hidden-space tab is on screen
            self.hidden_space.set_snapshot(snap)
        self.params_label.setText(
            f"{sum(w.size for w in snap.weights):,} parameters · <a href='summary'>model summary</a>"
        )
        loss = "—" if not np.isfinite(snap.last_loss) else f"{snap.last_loss:.4f}"
        self.loss_label.setText(f"epoch {snap.epoch:,} · batch loss {loss} · α {snap.learning_rate:.3g}")
        self.rate_label.setText(f"{snap.steps_per_second:,.0f} steps/s" if snap.playing else "paused")

    def _frame_done(self) -> None:
        self.handle.worker.snapshot_consumed()

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        self.set_playing(False)
        self.show_error("Training problem", message)

    def _edit_weight(self, layer: int, i: Any, j: int, value: float) -> None:
        gen = self.snapshot.generation if self.snapshot is not None else None
        self.handle.send(SetWeight(layer, i, j, value, gen))

    # ----------------------------------------------------------------- drawing points
    def _draw_mode(self, on: bool) -> None:
        self.output.draw_mode = on
        self.output.plot.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    def _current_points(self) -> tuple[list[list[float]], list[int]] | None:
        if self.snapshot is None or self.snapshot.extent is None:
            return None
        ds = self.snapshot.data.dataset
        return ds.x.tolist(), [int(v) for v in ds.y]

    def _add_point(self, x: float, y: float) -> None:
        pts = self._current_points()
        if pts is None:
            return
        xs, ys = pts
        xs.append([x, y])
        ys.append(int(self.data_panel.draw_class.currentData() or 0))
        self._set_points(xs, ys)

    def _erase_point(self, x: float, y: float) -> None:
        pts = self._current_points()
        if pts is None or len(pts[0]) <= 2:
            return
        xs, ys = pts
        d = np.hypot(np.array(xs)[:, 0] - x, np.array(xs)[:, 1] - y)
        k = int(np.argmin(d))
        del xs[k], ys[k]
        self._set_points(xs, ys)

    def _set_points(self, xs: list[list[float]], ys: list[int]) -> None:
        weights = self.snapshot.weights if self.snapshot is not None else None
        self.state.edited.disconnect(self._on_edited)
        try:
            self.state.set("data.source", {"points": {"x": xs, "y": ys}})
        except PlaygroundError as exc:
            self.show_message(str(exc))
            return
        finally:
            self.state.edited.connect(self._on_edited)
        self.rebuild(weights)  # same network, keep training from where it was

    # ----------------------------------------------------------------- files
    def confirm_discard(self) -> bool:
        """Ask before unsaved changes are lost: Save, Discard or Cancel. True to go on."""
        if not self.state.dirty:
            return True
        answer = plain.ask(
            self,
            "Unsaved changes",
            "The project has unsaved changes. Save them first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_project(self) -> None:
        if self.confirm_discard():
            self.state.replace(default_project())

    def open_project(self, path: str | Path | None = None, preset: bool = False) -> bool:
        if not self.confirm_discard():
            return False
        path = path or self._ask_path(False, "Open project", "", "Projects (*.json)")
        if not path:
            return False
        path = Path(path)
        try:
            project = load_project(path)
        except PlaygroundError as exc:
            self.show_error("Could not open the project", str(exc))
            return False
        self.state.replace(project, None if preset else path)
        if not preset:
            self._add_recent(path)
        title = project.get("app", {}).get("title")
        self.show_message(f"Opened {title or path.name}")
        view = project.get("app", {}).get("view")
        if isinstance(view, str):
            self.show_view(view)
        note = project.get("app", {}).get("note")
        if note:
            self._show_banner(note, error=False)
        return True

    def save(self) -> bool:
        if self.state.path is None:
            return self.save_as()
        return self._save_to(self.state.path)

    def save_as(self, path: str | Path | None = None) -> bool:
        """Save under the name given; `.json` is added only to a name without an extension, and
        replacing a file under that added name is confirmed first."""
        path = path or self._ask_path(True, "Save project", "project.json", "Projects (*.json)")
        if not path:
            return False
        path = Path(path)
        if not path.suffix:
            path = path.with_name(path.name + ".json")
            if not self._confirm_replace([path]):
                return False
        return self._save_to(path)

    def _confirm_replace(self, paths: list[Path]) -> bool:
        """Ask before replacing files the user did not name; True when none exist or they agree."""
        existing = [p for p in paths if p.exists()]
        if not existing:
            return True
        names = "\n".join(str(p) for p in existing)
        answer = plain.ask(
            self,
            "Replace files?",
            f"This also writes over:\n{names}\nReplace {'it' if len(existing) == 1 else 'them'}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _save_to(self, path: Path) -> bool:
        try:
            save_project(path, self.state.project)
        except (PlaygroundError, OSError) as exc:
            self.show_error("Could not save the project", str(exc))
            return False
        self.state.set_path(path)
        self.state.set_dirty(False)
        self._add_recent(path)
        self.show_message(f"Saved {path.name}")
        return True

    def _network_from_snapshot(self) -> Network | None:
        """The network of the newest snapshot, built from the project that run was made from
        (the edited project may already be a step ahead of it)."""
        snap = self.snapshot
        if snap is None:
            return None
        ds = snap.data.dataset
        net = build_network(
            snap.project, snap.weights[0].shape[0], ds.classes if ds.problem == "classification" else None
        )
        net.set_weights(snap.weights)
        return net

    def import_weights(self, path: str | Path | None = None) -> bool:
        path = path or self._ask_path(False, "Import weights", "", "Weights (*.npz *.json)")
        if not path:
            return False
        net = self._network_from_snapshot()
        if net is None:
            return False
        try:
            arrays, _config = read_weights(path)
            apply_weights(net, arrays, Path(path).name)
        except PlaygroundError as exc:
            self.show_error("Could not import the weights", str(exc))
            return False
        self.handle.send(SetWeights(net.get_weights(), self.snapshot.generation))
        self.show_message(f"Imported weights from {Path(path).name}")
        return True

    def export_weights(self, path: str | Path | None = None, fmt: str = "npz") -> bool:
        filters = {"npz": "NumPy weights (*.npz)", "json": "JSON weights (*.json)", "onnx": "ONNX model (*.onnx)"}
        path = path or self._ask_path(True, "Export weights", f"weights.{fmt}", filters[fmt])
        if not path:
            return False
        net = self._network_from_snapshot()
        if net is None:
            return False
        try:
            # the project and the normalisation these weights belong to
            save_weights(path, net, self.snapshot.project, self.snapshot.data.normalizer)
        except PlaygroundError as exc:
            self.show_error("Could not export the weights", str(exc))
            return False
        except OSError as exc:
            self.show_error("Could not export the weights", f"{path}: {exc.strerror or exc}")
            return False
        self.show_message(f"Weights saved to {Path(path).name}")
        return True

    def export_code(self, path: str | Path | None = None, framework: str = "pytorch") -> bool:
        """A PyTorch or Keras script plus its weights file (`<name>_weights.npz`) beside it."""
        path = path or self._ask_path(True, f"Export as {framework} script", "model.py", "Python script (*.py)")
        if not path:
            return False
        net = self._network_from_snapshot()
        if net is None:
            return False
        script, weights = script_paths(path)
        unnamed = [p for p in (script, weights) if p != Path(path)]  # the dialog confirmed the named one
        if not self._confirm_replace(unnamed):
            return False
        return self._write(
            "the script",
            lambda: export_script(script, framework, net, self.snapshot.project, self.snapshot.data),
            f"{script.name} and {weights.name}",
        )

    def compare_runs(self, a: Any, b: Any) -> QDialog:
        dlg = CompareDialog(a, b, self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def export_runs(self, path: str | Path | None = None) -> bool:
        """Every run's per-epoch metrics (and a settings summary) as one CSV table."""
        path = path or self._ask_path(True, "Export runs", "runs.csv", "CSV (*.csv)")
        if not path:
            return False
        return self._write("the runs", lambda: atomic_write_text(path, self.run_history.to_csv()), Path(path).name)

    def _write(self, what: str, write: Any, done: str) -> bool:
        """Run a file write; a failure is shown (naming `what`), success goes to the status bar."""
        try:
            write()
        except (PlaygroundError, OSError) as exc:
            self.show_error(f"Could not export {what}", str(exc))
            return False
        self.show_message(f"Saved {done}")
        return True

    def export_data(self, path: str | Path | None = None) -> bool:
        if self.snapshot is None:
            return False
        path = path or self._ask_path(True, "Export data", "data.csv", "CSV (*.csv);;NumPy (*.npz)")
        if not path:
            return False
        return self._write("the data", lambda: export_data(path, self.snapshot.data), Path(path).name)

    def export_plot(self, path: str | Path | None = None) -> bool:
        """What the data view shows (the output plane, or the image views for image data) as PNG
        or SVG, through the atomic writer: a failed export keeps the old file."""
        path = path or self._ask_path(True, "Export plot", "output.png", "PNG image (*.png);;SVG drawing (*.svg)")
        if not path:
            return False
        path = Path(path)
        widget = self.images if self.images.isVisible() else self.output.plot
        return self._write("the plot", lambda: atomic_write_bytes(path, plot_bytes(widget, path.suffix)), path.name)

    def open_data_file(self) -> None:
        p = self._ask_path(False, "Open data", "", "Data (*.csv *.npz *.idx *.gz *.idx3-ubyte *.idx1-ubyte)")
        if p is None:
            return
        if p.suffix.lower() == ".csv":
            source: dict[str, Any] = {"csv": str(p)}
        elif p.suffix.lower() == ".npz":
            source = {"npz": str(p)}
        else:
            labels, _ = QFileDialog.getOpenFileName(
                self, "Open the matching label file", str(p.parent), "IDX labels (*)"
            )
            if not labels:
                return
            source = {"idx": {"images": str(p), "labels": labels}}
        self.load_data_source(source)

    def load_data_source(self, source: dict[str, Any]) -> bool:
        """Switch the project to file data; a bad file is explained and nothing changes."""
        trial = copy.deepcopy(self.state.project)
        trial["data"]["source"] = source
        trial["data"]["features"] = None
        try:
            ds = load_dataset(trial, self.state.base_dir)
            changes: dict[str, Any] = {"data.source": source, "data.features": None, "data.problem": ds.problem}
            if ds.problem == "classification":
                changes["data.classes"] = max(2, ds.classes)
            if ds.image_shape is not None:
                changes["data.normalize"] = "unit"
            self.state.update(changes)
            if ds.notes:
                self.show_message("; ".join(ds.notes))
        except PlaygroundError as exc:
            self.show_error("Could not load the data", str(exc))
            return False
        return True

    # ----------------------------------------------------------------- tools
    def check_gradients(self) -> str | None:
        net = self._network_from_snapshot()
        if net is None:
            return None
        data = self.snapshot.data
        t = self.snapshot.project["training"]
        n = min(32, data.x_train.shape[0])
        report = check_gradients(
            net,
            data.x_train[:n],
            data.y_train[:n],
            get_loss(t["loss"]),
            Regularizer(t["regularization"]["kind"], t["regularization"]["rate"]),
            max_per_array=40,
        )
        verdict = (
            "Backpropagation agrees with the numerical gradient (max relative error < 1e-6)."
            if report.passed()
            else "Some entries differ by more than 1e-6."
        )
        if report.near_kinks:
            verdict += (
                f"\n{report.near_kinks} pre-activations sit within ε of a kink (e.g. ReLU at 0), "
                "where the numerical gradient is unreliable."
            )
        text = (
            f"Numerical gradient (J(θ+ε) − J(θ−ε)) / 2ε, ε = 1e-5, on {n} training samples, "
            f"vs. backprop:\n\n{report.table()}\n\n{verdict}"
        )
        self._text_dialog("Gradient check", text)
        return text

    def open_race(self) -> RaceWindow:
        """The optimizer race on a copy of the current project (it trains on its own thread)."""
        return open_race(self.state.project, self.state.base_dir, self)

    def show_summary(self) -> str | None:
        net = self._network_from_snapshot()
        if net is None:
            return None
        text = net.summary(self.state.path.stem if self.state.path else "model")
        self._text_dialog("Model summary", text)
        return text

    def _text_dialog(self, title: str, text: str) -> QDialog:
        dlg = QDialog(self)
        dlg.setObjectName(title.lower().replace(" ", "") + "Dialog")
        dlg.setWindowTitle(title)
        lay = QVBoxLayout(dlg)
        view = QPlainTextEdit(text)
        view.setReadOnly(True)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        view.setFont(font)
        view.setMinimumSize(640, 300)
        lay.addWidget(view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dlg.close)
        lay.addWidget(buttons)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def _about(self) -> None:
        plain.message_box(
            self,
            QMessageBox.Icon.Information,
            "About nn-playground",
            "nn-playground: build a neural network by clicking and watch it learn.\n"
            "A NumPy engine trains on a worker thread; the views show the newest snapshot.",
        ).exec()

    # ----------------------------------------------------------------- messages
    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def show_error(self, title: str, message: str) -> QMessageBox:
        """A window-modal error that does not block the event loop (the app keeps working)."""
        box = message_box(self, QMessageBox.Icon.Warning, title, message)
        box.setObjectName("errorDialog")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def _show_banner(self, text: str, error: bool = True) -> None:
        if len(text) > MAX_BANNER:  # a note is a few lines; a megabyte of it would stall the layout
            text = text[: MAX_BANNER - 1] + "…"
        self.banner.setText(text)
        self.banner.setProperty("kind", "error" if error else "info")
        self.banner.style().unpolish(self.banner)
        self.banner.style().polish(self.banner)
        self.banner.show()

    def _hide_banner(self) -> None:
        self.banner.hide()

    def _update_title(self) -> None:
        name = self.state.path.name if self.state.path else "untitled"
        self.setWindowTitle(f"{name}{' •' if self.state.dirty else ''} — nn-playground")

    # ----------------------------------------------------------------- settings
    def _ask_path(self, save: bool, title: str, name: str, filters: str) -> Path | None:
        """A file chosen in a dialog that starts in the last folder used; None if cancelled."""
        if save:
            chosen, _ = QFileDialog.getSaveFileName(self, title, self._last_dir(name), filters)
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, title, self._last_dir(), filters)
        return Path(chosen) if chosen else None

    def _last_dir(self, name: str = "") -> str:
        base = str(self.settings.value("lastDir", str(Path.home())))
        return str(Path(base) / name) if name else base

    def _add_recent(self, path: Path) -> None:
        recent = [p for p in self._recent() if p != str(path)]
        recent.insert(0, str(path))
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self.settings.setValue("lastDir", str(path.parent))
        self._refresh_recent()

    def _recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in (value or [])]

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        recent = self._recent()
        for p in recent:
            self.recent_menu.addAction(menu_text(p), lambda p=p: self.open_project(p))
        self.recent_menu.setEnabled(bool(recent))

    # ----------------------------------------------------------------- recovery
    @property
    def recovery_path(self) -> Path:
        return self.recovery.path

    def autosave(self) -> bool:
        """Write the unsaved project (and the weights, when they belong to it) to the recovery
        file; runs every 30 s and from the crash handler. Nothing to do when all is saved."""
        if not self.state.dirty:
            return False
        snap = self.snapshot
        weights = snap.weights if snap is not None and snap.project == self.state.project else None
        return self.recovery.write(self.state.project, self.state.path, weights)

    def discard_recovery(self) -> None:
        self.recovery.discard()

    def offer_recovery(self) -> bool:
        """At start-up: if an earlier session left unsaved work, offer to restore it. A file that
        cannot be used is set aside (renamed) with a message, so the app always starts."""
        if not self.recovery.exists():
            return False
        try:
            work = self.recovery.read()
        except PlaygroundError as exc:
            self.show_error("Unsaved work could not be restored", str(exc))
            return False
        answer = plain.ask(
            self,
            "Restore unsaved work?",
            f"nn-playground closed without saving {work.name} (autosaved {work.saved_at}). Restore it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer != QMessageBox.StandardButton.Yes:
            self.discard_recovery()
            return False
        self.state.replace(work.project, work.path, dirty=True)
        if work.weights is not None:
            self.handle.send(SetWeights(work.weights))
        self.show_message(f"Restored {work.name}")
        return True

    # ----------------------------------------------------------------- closing
    @guarded
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.confirm_discard():
            event.ignore()
            return
        self.settings.setValue("geometry", self.saveGeometry())
        self.discard_recovery()  # saved or knowingly discarded: nothing to recover
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop the worker thread and wait for it; safe to call twice."""
        self.playing = False
        for race in self.findChildren(RaceWindow):
            race.shutdown()
        self.handle.stop()
