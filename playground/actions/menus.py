"""The menus as a table of actions: (text, slot, shortcut, object name, tip[, checkable]), a
submenu as (text, [entries]), None for a separator (the File menu's first None is Open Recent)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from engine.core.i18n import LANGUAGES, _

from ..resources import PRESETS
from . import language
from .files import preset_title

Std = QKeySequence.StandardKey


def play_pause(window: Any) -> None:
    """Run → Play / Pause and Space: pausing is always allowed, playing only if no lesson locks it."""
    s = window.session
    if s.playing or window.lessons.allows("view.play"):
        s.set_playing(not s.playing)


#: The menu bar's titles in English (the catalog's keys), in order.
MENU_TITLES = ("&File", "&Run", "&View", "&Presets", "&Tools", "&Help")


def menu_table(window: Any) -> dict[str, list[Any]]:
    s, f, t = window.session, window.files, window.tools
    allows = window.lessons.allows  # a lesson's lock on Play, Step and Reset holds for their keys too
    return {  # entries: (text, slot, shortcut, name, tip), (text, [entries]), None
        _("&File"): [
            (_("&New"), f.new_project, Std.New, "actionNew", ""),
            (_("&Open Project…"), f.open_project, Std.Open, "actionOpen", ""),
            None,  # Open Recent goes here
            (_("&Save Project"), f.save, Std.Save, "actionSave", ""),
            (_("Save Project &As…"), f.save_as, Std.SaveAs, "actionSaveAs", ""),
            None,
            (_("Open TensorFlow Playground &Link…"), window.sharing.open_tfp_link, None, "actionOpenTfp",
             _("A playground.tensorflow.org link as a project, trained with TensorFlow Playground's maths")),
            (_("Copy as TensorFlow Playground Link"), window.sharing.copy_tfp_link, None, "actionCopyTfp",
             _("This project as a playground.tensorflow.org link (says what TensorFlow Playground cannot show)")),
            (_("Copy Project Lin&k"), window.sharing.copy_project_link, None, "actionCopyLink",
             _("The whole project (no weights) as one nnp: line to paste anywhere")),
            (_("&Paste Link"), window.sharing.paste, Std.Paste, "actionPasteLink",
             _("Open the nnp: or TensorFlow Playground link on the clipboard (Ctrl+V outside a text field)")),
            None,
            (_("Import &Model…"), f.import_model, None, "actionImportModel",
             _("An ONNX, Keras (.keras) or PyTorch (.pt) model as a project with its weights, to walk through")),
            (_("&Import Weights…"), f.import_weights, None, "actionImportWeights", ""),
            (_("&Export Weights"), [
                (_("NumPy (.npz)…"), lambda: f.export_weights(fmt="npz"), "Ctrl+E", "actionExportNpz", ""),
                (_("JSON (.json)…"), lambda: f.export_weights(fmt="json"), None, "actionExportJson", ""),
                (_("ONNX (.onnx)…"), lambda: f.export_weights(fmt="onnx"), None, "actionExportOnnx", ""),
            ]),
            (_("Export as &Code"), [
                (_("PyTorch script (.py)…"), lambda: f.export_code(framework="pytorch"), None, "actionExportPytorch",
                 _("A runnable script that rebuilds this network in PyTorch and loads its weights")),
                (_("Keras script (.py)…"), lambda: f.export_code(framework="keras"), None, "actionExportKeras",
                 _("A runnable script that rebuilds this network in Keras and loads its weights")),
            ]),
            (_("Export &Data…"), f.export_data, None, "actionExportData", ""),
            (_("Export &Plot as PNG/SVG…"), f.export_plot, None, "actionExportPlot", ""),
            None,
            (_("&Quit"), window.close, Std.Quit, "actionQuit", ""),
        ],
        _("&Run"): [
            (_("Play / Pause"), lambda: play_pause(window), Qt.Key.Key_Space, "actionPlay", ""),
            (_("Step"), lambda: allows("view.step") and s.step(window.controls.unit()), "S",
             "actionStep", ""),
            (_("Reset"), lambda: allows("view.reset") and s.reset(), "R", "actionReset",
             _("Epoch 0 with the same initial weights: a fair comparison")),
            (_("New Initial Weights"), lambda: allows("view.reset") and s.new_weights(), "Shift+R", "actionNewWeights",
             _("Epoch 0 with a new random draw of initial weights, on the same data")),
        ],
        _("&View"): [
            (_("&Presentation"), window.presentation.follow_action, "F11", "actionPresentation",
             _("For a projector: one row of controls, the side panels folded to strips, the output plot and the "
               "curves large, larger text (F11 again: back to this layout)"), True),
            None,
            (_("&Language"), [
                (name, lambda code=code: language.choose(window, code), None, f"actionLanguage_{code}",
                 _("Show the window in {language} (after a restart; nothing is lost)").format(language=name), True)
                for code, name in LANGUAGES.items()  # each language named in itself, whatever is in use
            ]),
            (_("Show &English Terms"), lambda: language.toggle_terms(window), None, "actionEnglishTerms",
             _("Korean labels followed by the English term, for reading English material: 학습률 (learning rate)"),
             True),
        ],
        _("&Presets"): [
            (title, lambda p=p: f.open_project(p, preset=True), None, f"preset_{p.stem}", "")
            for p in sorted(PRESETS.glob("*.json"))
            if (title := preset_title(p)) is not None
        ],
        _("&Tools"): [
            (_("Check &Gradients"), t.check_gradients, "Ctrl+G", "actionCheckGradients",
             _("Compare backprop with central differences, per layer")),
            (_("Model &Summary"), t.show_summary, None, "actionSummary", ""),
            (_("Optimizer &Race…"), t.open_race, "Ctrl+R", "actionRace",
             _("Train this network with several optimizers side by side, on the same batches")),
            (_("&Backpropagation…"), t.open_backprop, "Ctrl+B", "actionBackprop",
             _("Step through one example's forward and backward pass, every number on the network")),
            (_("Computation &Graphs…"), t.open_graphs, None, "actionGraphs",
             _("The lectures' small graphs: edit an input, see every value and gradient")),
            (_("Make &Lesson…"), t.make_lesson, None, "actionMakeLesson",
             _("Hide or lock controls and write steps with goals; save it as a project or copy it as a link")),
            (_("Optimizer &Paths…"), t.open_paths, "Ctrl+P", "actionPaths",
             _("Six optimizers walking Rosenbrock, Beale and other surfaces from a start point you drag")),
            (_("Loss &Landscape…"), t.open_landscape, "Ctrl+L", "actionLandscape",
             _("The loss around the current weights with the run's path, and a learning-rate range test")),
            (_("Re&cord…"), t.record, None, "actionRecord",
             _("The run so far as an animation for a slide (GIF, APNG or MP4), a frame per kept epoch")),
            (_("&Draw an Input…"), t.open_draw_pad, "Ctrl+D", "actionDrawInput",
             _("Draw a digit or a shape, or open a photo, and see what the network says")),
            None,
            (_("&Activation Statistics…"), t.open_activation_stats, None, "actionActivationStats",
             _("Each hidden layer's activations at initialisation: too small weights collapse, too large saturate")),
            (_("Con&vex or Not…"), t.open_convexity, None, "actionConvexity",
             _("Logistic regression's loss over (w, b): cross-entropy is convex, squared error is not")),
            (_("Loss E&xplorer…"), t.open_loss_explorer, None, "actionLossExplorer",
             _("Type class scores: the multiclass SVM and softmax losses worked out (CS231n's cat, car, frog)")),
            (_("P&erceptron…"), t.open_perceptron, None, "actionPerceptron",
             _("The step unit and the perceptron rule on AND, OR and XOR; why gradient descent cannot train it")),
        ],
        _("&Help"): [(_("&About nn-playground"), t.about, None, "actionAbout", "")],
    }  # fmt: skip


def fill_menu(window: Any, menu: Any, entries: list[Any]) -> None:
    """Add a table's entries to `menu` (a top-level menu is named menuFile, menuRun... after its
    English title, whatever language it shows); the View menu's Language entries are checked."""
    if not menu.objectName() and menu.parent() is window.menuBar():
        english = {_(key): key for key in MENU_TITLES}
        menu.setObjectName("menu" + english.get(menu.title(), menu.title()).strip("&").replace("&", ""))
    for i, entry in enumerate(entries):
        if entry is None and menu.objectName() == "menuFile" and i == 2:
            window.recent_menu = menu.addMenu(_("Open &Recent"))
        elif entry is None:
            menu.addSeparator()
        elif isinstance(entry[1], list):
            fill_menu(window, menu.addMenu(entry[0]), entry[1])
        else:
            menu.addAction(action(window, *entry))
    language.check_actions(window)


def action(
    window: Any, text: str, slot: Callable[[], Any], shortcut: Any, name: str, tip: str, checkable: bool = False
) -> QAction:
    act = QAction(text, window)
    act.setCheckable(checkable)
    if shortcut:
        act.setShortcut(QKeySequence(shortcut))
    act.setObjectName(name)
    if tip:
        act.setStatusTip(tip)
        act.setToolTip(tip)
    act.triggered.connect(lambda _checked=False: slot())
    window.addAction(act)
    return act
