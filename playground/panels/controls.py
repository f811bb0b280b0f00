"""The hyperparameter bar: run controls, learning rate, optimizer and its own hyperparameters,
loss, regularization (and L1's step rule while L1 is chosen) and schedule. Every list comes from
an engine registry or the field table."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QToolButton,
    QWidget,
)

from engine import LOSSES, PlaygroundError, get_loss
from engine.core.i18n import N_, _, term
from engine.core.losses import output_for
from engine.core.numbers import number
from engine.core.optimizers import (
    OPTIMIZERS,
    SCHEDULE_DEFAULTS,
    SCHEDULE_FORMULAS,
    SCHEDULE_KEY_WORDS,
    SCHEDULES,
)
from engine.core.regularizers import FORMULAS as REG_FORMULAS
from engine.core.regularizers import L1_RULES, REGULARIZERS, from_ng_lambda
from engine.project.fields import field

from ..run.state import ProjectState
from ..widgets import Counter, FitCombo, NumberEdit, add_words, captioned, choose_data, name_widget
from ..widgets.flow import FlowLayout
from ..widgets.icons import pause_icon, play_icon, reset_icon, step_icon
from .bounds import number_edit
from .speed import SpeedControl
from .stopping import StopControl

LEARNING_RATES = ["0.00001", "0.0001", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3", "10"]
REG_RATES = ["0", "0.0001", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3", "10"]
REG_RATE_TIP = N_(
    "λ, the strength of the penalty: each mini-batch adds λ·ΣW² (L2) or λ·Σ|W| (L1) to its mean loss, with no ½ "
    "and no 1/m, as Keras (CS231n's λ·ΣW² is the same). Ng's course adds (λ/2m)·ΣW² to the mean over the m "
    "training examples, so his λ is 2m times ours: λ here = λ_Ng / (2m), e.g. his 0.7 on 211 examples is "
    "{example} here. Takes effect live."
)
REG_TIP = N_("Penalty on kernel weights (never biases), added to each mini-batch's mean loss.")
#: What one Step advances: the unit (what the session takes) and its words, in the list's order.
STEP_UNITS = {"batch": N_("batch"), "epoch": N_("epoch")}


def reg_rate_tip() -> str:
    """The regularization rate's tooltip, with Ng's 0.7 on 211 examples worked out in our λ."""
    return _(REG_RATE_TIP).format(example=number(from_ng_lambda(0.7, 211), 2))


class ControlBar(QWidget):
    """Play/pause, step, reset, epoch counter, then the training settings."""

    play_toggled = Signal(bool)
    step_requested = Signal(str)  # "batch" or "epoch"
    reset_requested = Signal()

    def __init__(self, state: ProjectState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("controlBar")
        self.state = state
        self._updating = False
        # The transport keeps together; the settings wrap onto a second row on a narrow screen.
        lay = FlowLayout(self, spacing=10, row_spacing=6)
        lay.setContentsMargins(14, 8, 14, 8)
        transport = QWidget()
        row = QHBoxLayout(transport)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)

        tip = _("Reset: epoch 0 with the same initial weights (R). New initial weights: Shift+R")
        self.reset_button = name_widget(QToolButton(), "resetButton", _("Reset"), tip)
        self.reset_button.setIcon(reset_icon())
        self.play_button = name_widget(QToolButton(), "playButton", _("Play"), _("Play / pause training (Space)"))
        self.play_button.setCheckable(True)
        self.play_button.setIcon(play_icon())
        self.step_button = name_widget(
            QToolButton(), "stepButton", _("Step"), _("Advance by one batch or one epoch (S)")
        )
        self.step_button.setIcon(step_icon())
        self.step_unit = name_widget(QComboBox(), "stepUnit", _("Step unit"), _("What one Step advances"))
        self.step_unit.addItems([term(words) for words in STEP_UNITS.values()])  # in order: unit() maps back
        for b in (self.reset_button, self.step_button):
            b.setProperty("role", "transport")
            b.setIconSize(QSize(22, 22))
        self.play_button.setProperty("role", "play")
        for b in (self.reset_button, self.play_button, self.step_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space, S and R belong to the window's shortcuts
        self.play_button.setIconSize(QSize(26, 26))
        row.addWidget(self.reset_button)
        row.addWidget(self.play_button)
        row.addWidget(self.step_button)
        row.addWidget(captioned(_("step"), self.step_unit))
        self.speed = SpeedControl()  # the pace of playing (panels/speed.py)
        row.addWidget(captioned(_("speed"), self.speed))
        self.epoch_label = name_widget(
            Counter("0,000,000", "counter"), "epochLabel", _("Epoch counter"), _("Completed epochs")
        )
        row.addWidget(captioned(term("epoch"), self.epoch_label))
        self.steps_label = name_widget(
            Counter("00,000,000", min_width=70), "stepsLabel", _("Step counter"),
            _("Optimizer updates so far (one per mini-batch)"),
        )
        row.addWidget(captioned(_("steps"), self.steps_label))
        lay.addWidget(transport)

        self.lr = name_widget(
            QComboBox(),
            "learningRate",
            _("Learning rate"),
            _("Learning rate α in w ← w − α·∂J/∂w. Too large diverges, too small crawls. Takes effect live."),
        )
        self.lr.setEditable(True)
        self.lr.addItems(LEARNING_RATES)
        self.lr.setMinimumContentsLength(7)
        self.lr.lineEdit().editingFinished.connect(self._lr_edited)
        self.lr.activated.connect(self._lr_edited)
        lay.addWidget(captioned(term("learning rate"), self.lr))

        self.optimizer = name_widget(FitCombo(), "optimizer", _("Optimizer"))
        for name in OPTIMIZERS.names():
            cls = OPTIMIZERS.get(name)
            self.optimizer.addItem(OPTIMIZERS.words(name), name)
            self.optimizer.setItemData(self.optimizer.count() - 1, _(cls.formula), Qt.ItemDataRole.ToolTipRole)
        self.optimizer.activated.connect(self._optimizer_chosen)
        lay.addWidget(captioned(term("optimizer"), self.optimizer))
        self.opt_params, self._opt_layout = _param_row("optimizerParams")
        self.opt_fields: dict[str, QWidget] = {}
        lay.addWidget(self.opt_params)

        self.loss = name_widget(FitCombo(), "loss", _("Loss"))
        add_words(self.loss, LOSSES, about=lambda name: get_loss(name).formula)
        self.loss.activated.connect(self._loss_chosen)
        lay.addWidget(captioned(term("loss"), self.loss))

        self.reg = name_widget(
            FitCombo(),
            "regularization",
            _("Regularization"),
            _(REG_TIP),
        )
        add_words(self.reg, REGULARIZERS, about=lambda kind: REG_FORMULAS[kind])
        self.reg.activated.connect(lambda _i: self._set("training.regularization.kind", self.reg.currentData()))
        lay.addWidget(captioned(term("regularization"), self.reg))
        self.reg_rate = name_widget(
            QComboBox(),
            "regularizationRate",
            _("Regularization rate"),
            reg_rate_tip(),
        )
        self.reg_rate.setEditable(True)
        self.reg_rate.addItems(REG_RATES)
        self.reg_rate.setMinimumContentsLength(6)
        self.reg_rate.lineEdit().editingFinished.connect(self._reg_rate_edited)
        self.reg_rate.activated.connect(self._reg_rate_edited)
        lay.addWidget(captioned(_("reg. rate"), self.reg_rate))
        # How an L1 step is taken: beside the choice, shown while L1 is (the other penalties have one way).
        l1 = field("training.regularization.l1_rule")
        self.l1_rule = name_widget(FitCombo(), "l1Rule", _("L1 rule"))
        for rule in l1.choices():
            self.l1_rule.addItem(_(l1.name_of(rule)), rule)
            self.l1_rule.setItemData(self.l1_rule.count() - 1, _(L1_RULES[rule]), Qt.ItemDataRole.ToolTipRole)
        self.l1_rule.activated.connect(
            lambda _i: self._set("training.regularization.l1_rule", self.l1_rule.currentData())
        )
        self.l1_box = captioned(_("L1 rule"), self.l1_rule)
        lay.addWidget(self.l1_box)

        self.schedule = name_widget(FitCombo(), "schedule", _("Learning-rate schedule"))
        add_words(self.schedule, SCHEDULES, about=lambda name: _(SCHEDULE_FORMULAS[name]))
        self.schedule.activated.connect(self._schedule_chosen)
        lay.addWidget(captioned(_("lr schedule"), self.schedule))
        self.sched_params, self._sched_layout = _param_row("scheduleParams")
        self.sched_fields: dict[str, NumberEdit] = {}
        lay.addWidget(self.sched_params)
        self.stop = StopControl(state)
        self.stop.message.connect(lambda text: self.message.emit(text))
        lay.addWidget(captioned(_("stop"), self.stop))
        # A one-row bar (View → Presentation) puts these away first, the highest first; the rest always stay.
        for box, rank in ((self.opt_params, 6), (self.sched_params, 6), (self.schedule.parentWidget(), 5),
                          (self.l1_box, 5), (self.stop.parentWidget(), 4), (self.reg_rate.parentWidget(), 3),
                          (self.reg.parentWidget(), 3), (self.loss.parentWidget(), 2),
                          (self.optimizer.parentWidget(), 1)):  # fmt: skip
            box.setProperty("rowPriority", rank)

        self.play_button.toggled.connect(self._play_toggled)
        self.step_button.clicked.connect(lambda: self.step_requested.emit(self.unit()))
        self.reset_button.clicked.connect(self.reset_requested)
        state.changed.connect(lambda _change: self.refresh())
        self.refresh()

    # ----------------------------------------------------------------- state -> widgets
    def refresh(self) -> None:
        self._updating = True
        try:
            t = self.state.project["training"]
            opt = t["optimizer"]
            defaults = OPTIMIZERS.get(opt["name"]).defaults
            self.lr.setEditText(f"{opt.get('learning_rate', defaults['learning_rate']):g}")
            self.optimizer.setCurrentIndex(self.optimizer.findData(opt["name"]))
            self._build_opt_fields(opt)
            self.loss.setCurrentIndex(self.loss.findData(t["loss"]))
            self.reg.setCurrentIndex(self.reg.findData(t["regularization"]["kind"]))
            self.reg_rate.setEditText(f"{t['regularization']['rate']:g}")
            self.reg_rate.setEnabled(t["regularization"]["kind"] != "none")
            reg = t["regularization"]
            self.reg.setToolTip(_(REG_TIP) + " " + reg_formula_words(reg["kind"], reg["l1_rule"]))
            rule = t["regularization"]["l1_rule"]
            self.l1_rule.setCurrentIndex(self.l1_rule.findData(rule))
            self.l1_rule.setToolTip(
                _("{what}. In use: {rule}. Takes effect live; links TensorFlow Playground's rule killed stay dead "
                  "while it is in use and come back under another").format(
                    what=_(field("training.regularization.l1_rule").help), rule=_(L1_RULES[rule]))
            )
            # A lesson that hides the rule hides the combo itself: its caption stays hidden with it.
            self.l1_box.setVisible(t["regularization"]["kind"] == "l1" and not self.l1_rule.isHidden())
            self.schedule.setCurrentIndex(self.schedule.findData(t["schedule"]["name"]))
            self._build_schedule_fields(t["schedule"])
            self.schedule.setToolTip(
                _("Learning-rate schedule: {formula} (t counts updates since the schedule was chosen; the curves "
                  "can show α)").format(formula=_(SCHEDULE_FORMULAS[t["schedule"]["name"]]))
            )
            self.optimizer.setToolTip(_(OPTIMIZERS.get(opt["name"]).formula))
            self.loss.setToolTip(
                _("Data loss = mean over samples of L (Ng's cost J adds the penalty to it). {formula}").format(
                    formula=_(get_loss(t["loss"]).formula))
            )
        finally:
            self._updating = False

    def _build_opt_fields(self, opt: dict[str, Any]) -> None:
        name = opt["name"]
        defaults = OPTIMIZERS.get(name).defaults
        keys = [k for k in defaults if k != "learning_rate"]
        if list(self.opt_fields) != keys or self.opt_params.property("optimizer") != name:
            _clear(self._opt_layout)
            self.opt_fields = {}
            for key in keys:
                if isinstance(defaults[key], str):  # a word: its choices in words, the identifiers as data
                    field = QComboBox()
                    for choice in OPTIMIZERS.get(name).choices[key]:
                        field.addItem(_(OPTIMIZERS.get(name).choice_words(key, choice)), choice)
                    field.activated.connect(
                        lambda _i, k=key, f=field: self._set(f"training.optimizer.{k}", f.currentData())
                    )
                elif isinstance(defaults[key], bool):
                    field = QCheckBox()
                    field.toggled.connect(lambda on, k=key: self._set(f"training.optimizer.{k}", bool(on)))
                else:
                    field = number_edit(f"training.optimizer.{key}", defaults[key])
                    field.setMaximumWidth(70)
                    field.committed.connect(lambda v, k=key: self._set(f"training.optimizer.{k}", v))
                    field.refused.connect(self.message)
                words = _(OPTIMIZERS.get(name).key_words(key))
                name_widget(field, f"opt_{key}", words)
                box = captioned(words, field)
                self._opt_layout.addWidget(box)
                box.show()  # added to a visible bar: Qt does not show new children by itself
                self.opt_fields[key] = field
            self.opt_params.setProperty("optimizer", name)
        cls = OPTIMIZERS.get(name)
        for key, field in self.opt_fields.items():
            field.setToolTip(_(cls.describe(key, opt.get("rules", "torch"))))  # ε and the rest say this rule's truth
            value = opt.get(key, defaults[key])
            if isinstance(field, QComboBox):
                choose_data(field, value)
            elif isinstance(field, QCheckBox):
                field.setChecked(bool(value))
            else:
                field.set_value(value)

    def _build_schedule_fields(self, spec: dict[str, Any]) -> None:
        """One field per parameter of the chosen schedule, bounded as the engine bounds it."""
        name = spec["name"]
        keys = list(SCHEDULE_DEFAULTS[name])
        if list(self.sched_fields) != keys or self.sched_params.property("schedule") != name:
            _clear(self._sched_layout)
            self.sched_fields = {}
            for key in keys:
                edit = number_edit(f"training.schedule.{key}", SCHEDULE_DEFAULTS[name][key])
                edit.setMaximumWidth(70)
                edit.committed.connect(lambda v, k=key: self._set(f"training.schedule.{k}", v))
                edit.refused.connect(self.message)
                words = _(SCHEDULE_KEY_WORDS.get(key, key))
                tip = _("{parameter} in {formula}; t counts updates since it was chosen").format(
                    parameter=words, formula=_(SCHEDULE_FORMULAS[name]))
                name_widget(edit, f"schedule_{key}", words, tip)
                box = captioned(words, edit)
                self._sched_layout.addWidget(box)
                box.show()
                self.sched_fields[key] = edit
            self.sched_params.setProperty("schedule", name)
            self.sched_params.setVisible(bool(keys))
        for key, edit in self.sched_fields.items():
            edit.set_value(spec.get(key, SCHEDULE_DEFAULTS[name][key]))

    # ----------------------------------------------------------------- widgets -> state
    def _set(self, path: str, value: Any) -> None:
        if self._updating:
            return
        try:
            self.state.set(path, value)
        except PlaygroundError as exc:
            self._report(str(exc))

    message = Signal(str)

    def _report(self, text: str) -> None:
        """A refused edit: say why (the main window shows it) and show the current values again."""
        self.message.emit(text)
        self.refresh()

    def unit(self) -> str:
        """What one Step advances, "batch" or "epoch", whatever language the list shows."""
        return list(STEP_UNITS)[max(0, self.step_unit.currentIndex())]

    def _lr_edited(self, *_args: Any) -> None:
        text = self.lr.currentText().strip()
        try:
            value = float(text)
        except ValueError:
            self._report(_("learning rate: {text!r} is not a number (try 0.03 or 3e-2)").format(text=text))
            return
        self._set("training.optimizer.learning_rate", value)

    def _reg_rate_edited(self, *_args: Any) -> None:
        text = self.reg_rate.currentText().strip()
        try:
            value = float(text)
        except ValueError:
            self._report(_("regularization rate: {text!r} is not a number (try 0.03 or 3e-2)").format(text=text))
            return
        self._set("training.regularization.rate", value)

    def _optimizer_chosen(self, _index: int) -> None:
        name = self.optimizer.currentData()
        lr = self.state.project["training"]["optimizer"].get("learning_rate")
        self._set("training.optimizer", {"name": name, "learning_rate": lr})

    def _loss_chosen(self, _index: int) -> None:
        if self._updating:
            return
        loss = self.loss.currentData()
        p = self.state.project
        out = output_for(loss, p["network"]["output_activation"], p["data"]["problem"])
        changes: dict[str, Any] = {"training.loss": loss, "network.output_activation": out}
        try:
            self.state.apply(changes)
        except PlaygroundError as exc:
            self._report(str(exc))

    def _schedule_chosen(self, _index: int) -> None:
        name = self.schedule.currentData()
        self._set("training.schedule", {"name": name, **SCHEDULE_DEFAULTS[name]})

    def _play_toggled(self, on: bool) -> None:
        self.play_button.setIcon(pause_icon() if on else play_icon())
        self.play_button.setAccessibleName(_("Pause") if on else _("Play"))
        self.play_toggled.emit(on)

    def set_playing(self, on: bool) -> None:
        """Reflect the worker's state without emitting play_toggled."""
        if self.play_button.isChecked() != on:
            self.play_button.blockSignals(True)
            self.play_button.setChecked(on)
            self.play_button.setIcon(pause_icon() if on else play_icon())
            self.play_button.setAccessibleName(_("Pause") if on else _("Play"))
            self.play_button.blockSignals(False)

    def set_epoch(self, epoch: int, steps: int | None = None) -> None:
        self.epoch_label.setText(f"{epoch:07,d}")
        if steps is not None:
            self.steps_label.setText(f"{steps:,}")


def reg_formula_words(kind: str, l1_rule: str) -> str:
    """The penalty's formula with the step rule in use, in the user's language (formulas stay formulas)."""
    if kind == "l1":
        return "J += λ Σ|W|; " + _(L1_RULES[l1_rule])
    return _(REG_FORMULAS[kind])


def _param_row(name: str) -> tuple[QWidget, QHBoxLayout]:
    """A row for a choice's own parameter fields (an optimizer's, a schedule's)."""
    box = QWidget()
    box.setObjectName(name)
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(8)
    return box, row


def _clear(layout: QHBoxLayout) -> None:
    """Remove a row of parameter fields."""
    while layout.count():
        old = layout.takeAt(0).widget()
        if old is not None:
            # Hide and unname now (findChild must not see it), let Qt free it later.
            # (setParent(None) would hand it to Python, which frees it at once: a double delete.)
            old.hide()
            for child in [old, *old.findChildren(QWidget)]:
                child.setObjectName("")
            old.deleteLater()
