"""The menus as a table of actions: (text, slot, shortcut, object name, tip[, checkable]), a
submenu as (text, [entries]), None for a separator (the File menu's first None is Open Recent)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from ..resources import PRESETS
from .files import preset_title

Std = QKeySequence.StandardKey


def play_pause(window: Any) -> None:
    """Run → Play / Pause and Space: pausing is always allowed, playing only if no lesson locks it."""
    s = window.session
    if s.playing or window.lessons.allows("view.play"):
        s.set_playing(not s.playing)


def menu_table(window: Any) -> dict[str, list[Any]]:
    s, f, t = window.session, window.files, window.tools
    allows = window.lessons.allows  # a lesson's lock on Play, Step and Reset holds for their keys too
    return {  # entries: (text, slot, shortcut, name, tip), (text, [entries]), None
        "&File": [
            ("&New", f.new_project, Std.New, "actionNew", ""),
            ("&Open Project…", f.open_project, Std.Open, "actionOpen", ""),
            None,  # Open Recent goes here
            ("&Save Project", f.save, Std.Save, "actionSave", ""),
            ("Save Project &As…", f.save_as, Std.SaveAs, "actionSaveAs", ""),
            None,
            ("Open TensorFlow Playground &Link…", window.sharing.open_tfp_link, None, "actionOpenTfp",
             "A playground.tensorflow.org link as a project, trained with TensorFlow Playground's maths"),
            ("Copy as TensorFlow Playground Link", window.sharing.copy_tfp_link, None, "actionCopyTfp",
             "This project as a playground.tensorflow.org link (says what TensorFlow Playground cannot show)"),
            ("Copy Project Lin&k", window.sharing.copy_project_link, None, "actionCopyLink",
             "The whole project (no weights) as one nnp: line to paste anywhere"),
            ("&Paste Link", window.sharing.paste, Std.Paste, "actionPasteLink",
             "Open the nnp: or TensorFlow Playground link on the clipboard (Ctrl+V outside a text field)"),
            None,
            ("Import &Model…", f.import_model, None, "actionImportModel",
             "An ONNX, Keras (.keras) or PyTorch (.pt) model as a project with its weights, to walk through"),
            ("&Import Weights…", f.import_weights, None, "actionImportWeights", ""),
            ("&Export Weights", [
                ("NumPy (.npz)…", lambda: f.export_weights(fmt="npz"), "Ctrl+E", "actionExportNpz", ""),
                ("JSON (.json)…", lambda: f.export_weights(fmt="json"), None, "actionExportJson", ""),
                ("ONNX (.onnx)…", lambda: f.export_weights(fmt="onnx"), None, "actionExportOnnx", ""),
            ]),
            ("Export as &Code", [
                ("PyTorch script (.py)…", lambda: f.export_code(framework="pytorch"), None, "actionExportPytorch",
                 "A runnable script that rebuilds this network in PyTorch and loads its weights"),
                ("Keras script (.py)…", lambda: f.export_code(framework="keras"), None, "actionExportKeras",
                 "A runnable script that rebuilds this network in Keras and loads its weights"),
            ]),
            ("Export &Data…", f.export_data, None, "actionExportData", ""),
            ("Export &Plot as PNG/SVG…", f.export_plot, None, "actionExportPlot", ""),
            None,
            ("&Quit", window.close, Std.Quit, "actionQuit", ""),
        ],
        "&Run": [
            ("Play / Pause", lambda: play_pause(window), Qt.Key.Key_Space, "actionPlay", ""),
            ("Step", lambda: allows("view.step") and s.step(window.controls.step_unit.currentText()), "S",
             "actionStep", ""),
            ("Reset", lambda: allows("view.reset") and s.reset(), "R", "actionReset",
             "Epoch 0 with the same initial weights: a fair comparison"),
            ("New Initial Weights", lambda: allows("view.reset") and s.new_weights(), "Shift+R", "actionNewWeights",
             "Epoch 0 with a new random draw of initial weights, on the same data"),
        ],
        "&View": [
            ("&Presentation", window.presentation.follow_action, "F11", "actionPresentation",
             "For a projector: one row of controls, the side panels folded to strips, the output plot and the "
             "curves large, larger text (F11 again: back to this layout)", True),
        ],
        "&Presets": [
            (title, lambda p=p: f.open_project(p, preset=True), None, f"preset_{p.stem}", "")
            for p in sorted(PRESETS.glob("*.json"))
            if (title := preset_title(p)) is not None
        ],
        "&Tools": [
            ("Check &Gradients", t.check_gradients, "Ctrl+G", "actionCheckGradients",
             "Compare backprop with central differences, per layer"),
            ("Model &Summary", t.show_summary, None, "actionSummary", ""),
            ("Optimizer &Race…", t.open_race, "Ctrl+R", "actionRace",
             "Train this network with several optimizers side by side, on the same batches"),
            ("&Backpropagation…", t.open_backprop, "Ctrl+B", "actionBackprop",
             "Step through one example's forward and backward pass, every number on the network"),
            ("Computation &Graphs…", t.open_graphs, None, "actionGraphs",
             "The lectures' small graphs: edit an input, see every value and gradient"),
            ("Make &Lesson…", t.make_lesson, None, "actionMakeLesson",
             "Hide or lock controls and write steps with goals; save it as a project or copy it as a link"),
            ("Optimizer &Paths…", t.open_paths, "Ctrl+P", "actionPaths",
             "Six optimizers walking Rosenbrock, Beale and other surfaces from a start point you drag"),
            ("Loss &Landscape…", t.open_landscape, "Ctrl+L", "actionLandscape",
             "The loss around the current weights with the run's path, and a learning-rate range test"),
            ("Re&cord…", t.record, None, "actionRecord",
             "The run so far as an animation for a slide (GIF, APNG or MP4), a frame per kept epoch"),
            ("&Draw an Input…", t.open_draw_pad, "Ctrl+D", "actionDrawInput",
             "Draw a digit or a shape, or open a photo, and see what the network says"),
            None,
            ("&Activation Statistics…", t.open_activation_stats, None, "actionActivationStats",
             "Each hidden layer's activations at initialisation: too small weights collapse, too large saturate"),
            ("Con&vex or Not…", t.open_convexity, None, "actionConvexity",
             "Logistic regression's loss over (w, b): cross-entropy is convex, squared error is not"),
            ("Loss E&xplorer…", t.open_loss_explorer, None, "actionLossExplorer",
             "Type class scores: the multiclass SVM and softmax losses worked out (CS231n's cat, car, frog)"),
            ("P&erceptron…", t.open_perceptron, None, "actionPerceptron",
             "The step unit and the perceptron rule on AND, OR and XOR; why gradient descent cannot train it"),
        ],
        "&Help": [("&About nn-playground", t.about, None, "actionAbout", "")],
    }  # fmt: skip


def fill_menu(window: Any, menu: Any, entries: list[Any]) -> None:
    for i, entry in enumerate(entries):
        if entry is None and menu.title() == "&File" and i == 2:
            window.recent_menu = menu.addMenu("Open &Recent")
        elif entry is None:
            menu.addSeparator()
        elif isinstance(entry[1], list):
            fill_menu(window, menu.addMenu(entry[0]), entry[1])
        else:
            menu.addAction(action(window, *entry))


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
