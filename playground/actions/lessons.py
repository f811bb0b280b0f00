"""Lessons in the window: the project's `app.lesson` hides or locks controls and panels, a bar
walks its steps and marks each goal as met while training, and Tools → Make Lesson… writes one
from the current project (engine/project/lessons.py holds the format and the goal test).

Locks are kept in two places that agree: the controls are disabled (or hidden), and the
project state refuses any edit under a locked setting, whatever sends it. Play, Step and Reset
are no settings: their menu actions (and keys) are disabled too, and check `allows` when run.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLayout,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.core.errors import PlaygroundError
from engine.core.i18n import LANGUAGES, N_, PSEUDO, _, language, pick, term
from engine.data import FEATURES
from engine.project.fields import label
from engine.project.lessons import (
    METRIC_WORDS,
    METRICS,
    PANEL_WORDS,
    PANELS,
    check_goal,
    describe,
    target,
    validate_lesson,
)

from ..run.session import Session
from ..widgets import Label, NumberEdit, name_widget, wrapped

#: The controls (object names, * for any) that edit each setting a lesson can hide or lock.
WIDGETS: dict[str, tuple[str, ...]] = {
    "seed": ("seed", "regenerateButton"),
    "data.source": ("data_*", "openDataButton", "drawMode", "drawClass"),
    "data.problem": ("problem",),
    "data.classes": ("classes",),
    "data.noise": ("noise", "noiseValue"),
    "data.samples": ("samples",),
    "data.test_fraction": ("testRatio", "testRatioValue"),
    "data.validation_fraction": ("validationRatio", "validationRatioValue"),
    "data.features": (),  # the input squares of the network view: locked through the state
    "data.normalize": ("normalize",),
    "network.layers": ("addLayer", "removeLayer", "addNeuron*", "removeNeuron*", "units*", "layer*Button"),
    "network.layers[].activation": ("activation*",),
    "network.layers[].dropout": ("dropout*",),
    "network.initializer": ("initializer", "initLabel"),
    "training.loss": ("loss",),
    "training.optimizer": ("optimizer", "learningRate", "opt_*"),
    "training.optimizer.name": ("optimizer", "opt_*"),
    "training.optimizer.learning_rate": ("learningRate",),
    "training.regularization": ("regularization", "regularizationRate", "l1Rule"),
    "training.regularization.kind": ("regularization",),
    "training.regularization.rate": ("regularizationRate",),
    "training.batch_size": ("batchSize",),
    "training.schedule": ("schedule", "schedule_*"),
    "view.show_test_data": ("showTestData",),
    "view.discretize": ("discretizeOutput",),
    "view.play": ("playButton",),
    "view.step": ("stepButton", "stepUnit"),
    "view.reset": ("resetButton",),
}
#: The window's actions (menu entries and their keys: Space, S, R) that do what a view target locks.
ACTIONS: dict[str, tuple[str, ...]] = {
    "view.play": ("actionPlay",),
    "view.step": ("actionStep",),
    "view.reset": ("actionReset", "actionNewWeights"),
}
#: What the status bar says when a lesson's lock stops an action (one whole sentence each).
LOCKED_SAID = {"view.play": N_("Play is locked by this lesson"), "view.step": N_("Step is locked by this lesson"),
               "view.reset": N_("Reset is locked by this lesson")}  # fmt: skip
PANEL_WIDGETS = {"controls": "controlBar", "data": "dataScroll", "network": "networkView", "output": "outputView",
                 "curves": "curvesView", "insights": "insightTabs", "timeline": "timeBar"}  # fmt: skip


def _form_row(widget: QWidget) -> list[QWidget]:
    """The widget with its form label and the row's other widgets (a slider's value label)."""
    out = [widget]
    parent = widget.parentWidget()
    lay = parent.layout() if parent is not None else None
    if not isinstance(lay, QFormLayout):
        if parent is not None and parent.property("captionBox"):
            out.append(parent)
        return out
    for row in range(lay.rowCount()):
        field = lay.itemAt(row, QFormLayout.ItemRole.FieldRole)
        if field is None:
            continue
        inner = field.layout()
        members = [inner.itemAt(k).widget() for k in range(inner.count())] if isinstance(inner, QLayout) else [
            field.widget()]  # fmt: skip
        if widget in members:
            label_item = lay.itemAt(row, QFormLayout.ItemRole.LabelRole)
            out += [w for w in members if w is not None]
            if label_item is not None and label_item.widget() is not None:
                out.append(label_item.widget())
    return out


class LessonBar(QWidget):
    """Step n of m, its text and its goal (met or not yet), with Back and Next."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lessonBar")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 3, 8, 3)
        self.back = name_widget(QPushButton("◀"), "lessonBack", _("Previous step"))
        self.next = name_widget(QPushButton("▶"), "lessonNext", _("Next step"))
        for b in (self.back, self.next):
            b.setFixedWidth(34)
        self.text = wrapped("", "lessonText")
        self.goal = wrapped("", "lessonGoal")
        column = QVBoxLayout()
        column.setSpacing(1)
        column.addWidget(self.text)
        column.addWidget(self.goal)
        lay.addWidget(self.back)
        lay.addLayout(column, 1)
        lay.addWidget(self.next)
        self.hide()


class Lessons(QObject):
    """Applies the open project's lesson to the window and follows its steps."""

    def __init__(self, window: QWidget, session: Session) -> None:
        super().__init__(window)
        self.window = window
        self.session = session
        self.bar = LessonBar()
        self.lesson: dict[str, Any] = {"hide": [], "lock": [], "steps": []}
        self.step = 0
        self.met: set[int] = set()
        self._hidden: list[QWidget] = []  # what the lesson hid (shown again when it ends)
        self._disabled: list[tuple[QWidget, str]] = []  # what it disabled, with its own tooltip
        self._actions: list[QAction] = []  # the menu actions it disabled
        self.bar.back.clicked.connect(lambda: self.go(self.step - 1))
        self.bar.next.clicked.connect(lambda: self.go(self.step + 1))
        # After the panels (connected earlier): they rebuild controls that the lesson then hides.
        session.state.changed.connect(self._changed)
        session.frame.connect(self._frame)
        self._load(session.state.project)

    def _changed(self, change: Any) -> None:
        if change.replaced or any(p.startswith("app") for p in change.paths):
            self._load(change.project)
        QTimer.singleShot(0, self.apply)  # controls rebuilt by this change are hidden too

    def _load(self, project: dict[str, Any]) -> None:
        self._restore()
        lesson = project.get("app", {}).get("lesson") or {}
        self.lesson = {"hide": lesson.get("hide", []), "lock": lesson.get("lock", []), "steps": lesson.get("steps", [])}
        self.session.state.locked = [*self.lesson["hide"], *self.lesson["lock"]]
        self.step, self.met = 0, set()
        self._show_step()
        self.apply()

    def allows(self, target_path: str) -> bool:
        """Whether the lesson lets Play, Step or Reset (`target_path`, view.*) happen; when it
        does not, says so. Every way to these actions asks here, not only their buttons."""
        if not any(target(name) == target_path for name in self.session.state.locked):
            return True
        self.session.message.emit(_(LOCKED_SAID[target_path]))
        return False

    def widgets_for(self, name: str) -> list[QWidget]:
        """The window's widgets a hide/lock entry stands for."""
        t = target(name)
        if t in PANEL_WIDGETS:
            found = self.window.findChild(QWidget, PANEL_WIDGETS[t])
            return [found] if found is not None else []
        patterns = WIDGETS.get(t, ())
        return [w for w in self.window.findChildren(QWidget)
                if w.objectName() and any(fnmatch.fnmatchcase(w.objectName(), p) for p in patterns)]  # fmt: skip

    def apply(self) -> None:
        """Hide and disable what the lesson says (again after controls were rebuilt)."""
        for name in self.lesson["hide"]:
            for w in self.widgets_for(name):
                for part in _form_row(w):
                    if not part.isHidden() or part.property("rowFolded"):  # one the one-row bar put away is ours now
                        part.setProperty("rowFolded", False)
                        part.hide()
                        self._hidden.append(part)
        for name in self.lesson["lock"]:
            for w in self.widgets_for(name):
                if w.isEnabled():
                    self._disabled.append((w, w.toolTip()))
                    w.setEnabled(False)
                    w.setToolTip(_("Locked by this lesson"))
        for name in [*self.lesson["hide"], *self.lesson["lock"]]:  # a hidden button's keys are locked too
            for act in self.window.findChildren(QAction):
                if act.objectName() in ACTIONS.get(target(name), ()) and act.isEnabled():
                    act.setEnabled(False)
                    self._actions.append(act)

    def _restore(self) -> None:
        """Show and enable again what the last lesson hid or locked (controls rebuilt since are new)."""
        for w in self._hidden:
            if shiboken6.isValid(w):
                w.show()
        for w, tip in self._disabled:
            if shiboken6.isValid(w):
                w.setEnabled(True)
                w.setToolTip(tip)
        for act in self._actions:
            if shiboken6.isValid(act):
                act.setEnabled(True)
        self._hidden, self._disabled, self._actions = [], [], []

    # ----------------------------------------------------------------- steps
    def go(self, step: int) -> None:
        steps = self.lesson["steps"]
        self.step = max(0, min(len(steps) - 1, step))
        self._show_step()

    def _show_step(self) -> None:
        steps = self.lesson["steps"]
        self.bar.setVisible(bool(steps))
        if not steps:
            return
        s = steps[self.step]
        self.bar.text.setText(_("Lesson · step {step} of {count}: {text}").format(
            step=self.step + 1, count=len(steps), text=pick(s["text"])))
        self.bar.back.setEnabled(self.step > 0)
        self.bar.next.setEnabled(self.step < len(steps) - 1)
        self._frame()

    def _frame(self, *_args: Any) -> None:
        """Check the step's goal on the newest epoch's metrics (a met goal stays met)."""
        steps = self.lesson["steps"]
        if not steps or not self.bar.isVisible():
            return
        goal = steps[self.step].get("goal")
        if goal is None:
            self.bar.goal.setText(_("No goal for this step: read, try, then press ▶."))
            return
        snap = self.session.snapshot
        metrics = {m: _last(snap.history.get(m)) for m in METRICS} if snap is not None else {}
        met, why = check_goal(goal, self.session.state.project, metrics, snap.epoch if snap is not None else None)
        if met:
            self.met.add(self.step)
        done = self.step in self.met
        text = (_("Goal: {goal} — ✓ met ({why})") if done else _("Goal: {goal} — not yet ({why})")).format(
            goal=describe(goal), why=why)
        if self.bar.goal.text() != text:  # setText lays the bar out again, even for the same text
            self.bar.goal.setText(text)


def _last(series: Any) -> float | None:
    if series is None or not len(series):
        return None
    value = series[-1]
    return None if value is None else float(value)


class MakeLessonDialog(QDialog):
    """Tick what to hide or lock, write the steps and their goals; the lesson goes into the
    project (one edit), ready to save as a file or copy as a link."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("makeLessonDialog")
        self.setWindowTitle(_("Make lesson"))
        self.session = session
        current = session.state.project.get("app", {}).get("lesson") or {}
        lay = QHBoxLayout(self)
        self.targets = [*PANELS, *WIDGETS]
        self.table = QTableWidget(len(self.targets), 3)
        self.table.setObjectName("lessonTargets")
        self.table.setHorizontalHeaderLabels(["", _("hide"), _("lock")])
        self.table.verticalHeader().hide()
        hidden = {target(h) for h in current.get("hide", [])}
        locked = {target(h) for h in current.get("lock", [])}
        for row, name in enumerate(self.targets):
            text = _("panel: {name}").format(name=_(PANEL_WORDS[name])) if name in PANELS else _target_label(name)
            item = QTableWidgetItem(text)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.table.setItem(row, 0, item)
            for col, chosen in ((1, hidden), (2, locked)):
                box = QTableWidgetItem()
                box.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                box.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
                self.table.setItem(row, col, box)
        self.table.resizeColumnsToContents()
        self.table.setMinimumWidth(330)
        lay.addWidget(self.table)

        right = QVBoxLayout()
        right.addWidget(Label(_("Steps")))
        self.steps = QListWidget()
        self.steps.setObjectName("lessonSteps")
        self.data: list[dict[str, Any]] = [dict(s) for s in current.get("steps", [])]
        for s in self.data:
            self.steps.addItem(pick(s["text"])[:60])
        self.steps.currentRowChanged.connect(self._select)
        right.addWidget(self.steps)
        buttons = QHBoxLayout()
        self.add = name_widget(QPushButton(_("Add step")), "lessonAddStep", _("Add a step"))
        self.remove = name_widget(QPushButton(_("Remove step")), "lessonRemoveStep", _("Remove the chosen step"))
        self.add.clicked.connect(self.add_step)
        self.remove.clicked.connect(self.remove_step)
        buttons.addWidget(self.add)
        buttons.addWidget(self.remove)
        right.addLayout(buttons)
        form = QFormLayout()
        # One text per language (a step written in both is shown in each learner's language);
        # `text` is the one of the user's language.
        self.texts: dict[str, QPlainTextEdit] = {}
        languages = QFormLayout()
        languages.setContentsMargins(0, 0, 0, 0)
        for lang, name in LANGUAGES.items():
            edit = QPlainTextEdit()
            edit.setObjectName("lessonStepText" if lang == "en" else f"lessonStepText_{lang}")
            edit.setAccessibleName(name)
            edit.setFixedHeight(56)
            languages.addRow(name, edit)
            self.texts[lang] = edit
        self.text = self.texts.get(_shown_language(), self.texts["en"])
        self.goal_metric = name_widget(QComboBox(), "lessonMetric", _("Goal metric"))
        self.goal_metric.addItem(_("no goal"), None)
        for m in METRICS:
            self.goal_metric.addItem(term(METRIC_WORDS[m]), m)  # in words; the identifier (val_loss) as data
        self.bound = name_widget(QComboBox(), "lessonBound", _("Below or above"))
        for key, text in (("below", _("is below")), ("above", _("is above"))):  # the words, not the keys
            self.bound.addItem(text, key)
        self.value = name_widget(NumberEdit(0.1, -1e9, 1e9), "lessonValue", _("Goal value"))
        self.max_neurons = name_widget(QSpinBox(), "lessonMaxNeurons", _("At most this many hidden neurons (0: any)"))
        self.max_neurons.setRange(0, 10_000)
        self.without = {f: QCheckBox(FEATURES.words(f)) for f in FEATURES.names()}  # in words: X₁², not x1^2
        feats = QHBoxLayout()
        for f, box in self.without.items():
            box.setObjectName(f"lessonWithout_{f}")
            feats.addWidget(box)
        form.addRow(_("text"), languages)
        form.addRow(_("goal"), self.goal_metric)
        form.addRow("", self.bound)
        form.addRow(_("value"), self.value)
        form.addRow(_("max neurons"), self.max_neurons)
        form.addRow(_("without"), feats)
        right.addLayout(form)
        self.message = wrapped("", "lessonMessage")
        right.addWidget(self.message)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        box.button(QDialogButtonBox.StandardButton.Ok).setText(_("Put in the project"))
        box.accepted.connect(self.accept_lesson)
        box.rejected.connect(self.reject)
        right.addWidget(box)
        lay.addLayout(right, 1)
        self._editing = -1
        if self.data:
            self.steps.setCurrentRow(0)
        self.resize(900, 560)

    # ----------------------------------------------------------------- steps
    def _store(self) -> None:
        """The editor's fields into the step being edited."""
        i = self._editing
        if not 0 <= i < len(self.data):
            return
        before = self.data[i].get("text")  # a step in other languages than the dialog's keeps them
        texts = {k: v for k, v in before.items() if k not in self.texts} if isinstance(before, dict) else {}
        texts.update({lang: t for lang, edit in self.texts.items() if (t := edit.toPlainText().strip())})
        if not texts:
            texts = {"en": f"Step {i + 1}"}
        # English alone stays a plain text (the format before languages); any other language is named.
        step: dict[str, Any] = {"text": texts["en"] if set(texts) == {"en"} else texts}
        metric = self.goal_metric.currentData()
        if metric is not None:
            goal: dict[str, Any] = {"metric": metric, self.bound.currentData(): self.value.value()}
            if self.max_neurons.value():
                goal["max_neurons"] = self.max_neurons.value()
            banned = [f for f, b in self.without.items() if b.isChecked()]
            if banned:
                goal["without_features"] = banned
            step["goal"] = goal
        self.data[i] = step
        self.steps.item(i).setText(pick(step["text"])[:60])

    def _select(self, row: int) -> None:
        self._store()
        self._editing = row
        if not 0 <= row < len(self.data):
            return
        s = self.data[row]
        text = s["text"] if isinstance(s["text"], dict) else {_language_of(s["text"]): s["text"]}
        for lang, edit in self.texts.items():
            edit.setPlainText(text.get(lang, "") if isinstance(text.get(lang), str) else "")
        goal = s.get("goal") or {}
        self.goal_metric.setCurrentIndex(max(0, self.goal_metric.findData(goal.get("metric"))))
        self.bound.setCurrentIndex(1 if "above" in goal else 0)
        self.value.set_value(goal.get("above", goal.get("below", 0.1)))
        self.max_neurons.setValue(goal.get("max_neurons", 0))
        for f, b in self.without.items():
            b.setChecked(f in goal.get("without_features", []))

    def add_step(self) -> None:
        self._store()
        self.data.append({"text": f"Step {len(self.data) + 1}"})
        self.steps.addItem(self.data[-1]["text"])
        self.steps.setCurrentRow(len(self.data) - 1)
        for edit in self.texts.values():  # written in any of the languages; "Step n" if left empty
            edit.clear()

    def remove_step(self) -> None:
        row = self.steps.currentRow()
        if 0 <= row < len(self.data):
            self._editing = -1
            del self.data[row]
            self.steps.takeItem(row)
            self.steps.setCurrentRow(min(row, len(self.data) - 1))

    def lesson(self) -> dict[str, Any]:
        self._store()
        pick = lambda col: [n for r, n in enumerate(self.targets)  # noqa: E731
                            if self.table.item(r, col).checkState() == Qt.CheckState.Checked]  # fmt: skip
        return {"hide": pick(1), "lock": pick(2), "steps": list(self.data)}

    def accept_lesson(self) -> bool:
        """Validate and put the lesson in the project (one edit); say what is wrong otherwise."""
        state = self.session.state
        locked = state.locked
        try:
            lesson = validate_lesson(self.lesson())
            app = {**state.project.get("app", {}), "lesson": lesson}
            state.locked = []  # the lesson being replaced must not block its own edit
            state.apply({"app": app})
        except PlaygroundError as exc:
            state.locked = locked
            self.message.setText(str(exc))
            return False
        self.accept()
        return True


def _shown_language() -> str:
    """The language the window shows (English under the pseudo-locale)."""
    return "en" if language() == PSEUDO else language()


def _language_of(text: str) -> str:
    """The language of a step's plain text (one with no language named): Korean if it has Hangul."""
    return "ko" if re.search(r"[\uac00-\ud7a3]", text) else "en"


#: The view's targets a lesson can hide or lock, in words (the catalog's messages).
VIEW_WORDS = {"view.show_test_data": N_("show test data"), "view.discretize": N_("discretize"),
              "view.play": N_("play button"), "view.step": N_("step button"), "view.reset": N_("reset button")}


def _target_label(path: str) -> str:
    """A lesson target in the user's words: a view control, a setting, or a setting of every layer."""
    if path in VIEW_WORDS:
        return _(VIEW_WORDS[path])
    try:
        return label(path)  # a key of every layer ("network.layers[].activation"): "every layer's activation"
    except PlaygroundError:
        return path
