"""When a run stops by itself: an epoch limit (Keras's fit(epochs=N)) and early stopping
(Keras's EarlyStopping callback), behind one button of the control bar that says what is on."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QMenu,
    QSpinBox,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from engine import PlaygroundError
from engine.core.i18n import N_, _, term
from engine.project import EARLY_STOPPING_DEFAULTS
from engine.project.fields import field
from engine.project.lessons import METRIC_WORDS

from ..run.state import ProjectState
from ..widgets import Label, name_widget
from .bounds import number_edit, spin_range

STOP_TIP = N_("When a run stops by itself: an epoch limit, early stopping")
MONITOR_TIPS = {
    "val_loss": N_("the validation split's loss (needs a validation fraction above 0%)"),
    "loss": N_("the training split's loss"),
    "val_accuracy": N_("the validation split's accuracy"),
    "accuracy": N_("the training split's accuracy"),
}


def stop_summary(project: dict[str, Any]) -> str:
    """What the button shows: 'never', 'epoch 100', 'val_loss · 10', or both."""
    t = project["training"]
    parts = []
    if project.get("app", {}).get("epoch_limit"):
        parts.append(_("epoch {epochs:,}").format(epochs=t["epochs"]))
    es = t["early_stopping"]
    if es:
        parts.append(f"{es['monitor']} · {es['patience']}")  # Keras's metric name, as in the files
    return " + ".join(parts) or _("never")


class StopControl(QToolButton):
    """A button that opens the stop settings; its text is what is on."""

    message = Signal(str)

    def __init__(self, state: ProjectState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._updating = False
        name_widget(self, "stopButton", _("When training stops"), _(STOP_TIP))
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setProperty("role", "summary")
        menu = QMenu(self)
        menu.setObjectName("stopPopup")
        box = QWidget()
        form = QFormLayout(box)
        form.setContentsMargins(10, 8, 10, 8)
        self.limit_on = name_widget(
            QCheckBox(_("stop at epoch")), "epochLimitOn", _("Stop at an epoch"),
            _("Stop when this many epochs are done, as Keras's fit(epochs=N) does; off, the run goes on until you "
              "pause it, as in TensorFlow Playground"),
        )  # fmt: skip
        self.limit = name_widget(QSpinBox(), "epochLimit", _("Epoch limit"),
                                 _("training.epochs: the CLI trains this many"))
        spin_range(self.limit, "training.epochs")
        self.limit.setKeyboardTracking(False)
        form.addRow(self.limit_on, self.limit)
        self.early_on = name_widget(
            QCheckBox(term("early stopping")), "earlyStoppingOn", _("Early stopping"),
            _("Keras's EarlyStopping: stop when the watched metric has not improved for `patience` epochs"),
        )  # fmt: skip
        form.addRow(self.early_on)
        self.monitor = name_widget(QComboBox(), "earlyMonitor", _("Early stopping watches"))
        for m in field("training.early_stopping.monitor").choices():
            self.monitor.addItem(term(METRIC_WORDS.get(m, m)), m)  # in words; the identifier (val_loss) as data
            self.monitor.setItemData(self.monitor.count() - 1, _(MONITOR_TIPS.get(m, m)), 3)  # 3: tooltip role
        form.addRow(Label(_("watch")), self.monitor)
        self.patience = name_widget(
            QSpinBox(), "earlyPatience", _("Patience"), _("Epochs without improvement before the run stops")
        )
        spin_range(self.patience, "training.early_stopping.patience")
        self.patience.setKeyboardTracking(False)
        form.addRow(Label(_("patience")), self.patience)
        self.min_delta = name_widget(
            number_edit("training.early_stopping.min_delta", 0.0), "earlyMinDelta", _("Least change"),
            _("A smaller improvement does not count"),
        )
        form.addRow(Label(_("min delta")), self.min_delta)
        self.restore = name_widget(
            QCheckBox(_("restore best weights")), "earlyRestore", _("Restore best weights"),
            _("At the stop, go back to the weights of the best epoch (Keras's restore_best_weights)"),
        )  # fmt: skip
        form.addRow(self.restore)
        holder = QWidgetAction(menu)
        holder.setDefaultWidget(box)
        menu.addAction(holder)
        self.setMenu(menu)
        self.popup = box
        self.limit_on.toggled.connect(lambda on: self._set({"app.epoch_limit": bool(on)}))
        self.limit.valueChanged.connect(lambda v: self._set({"training.epochs": int(v)}))
        self.early_on.toggled.connect(self._early_toggled)
        self.monitor.activated.connect(lambda _i: self._set_early("monitor", self.monitor.currentData()))
        self.patience.valueChanged.connect(lambda v: self._set_early("patience", int(v)))
        self.min_delta.committed.connect(lambda v: self._set_early("min_delta", float(v)))
        self.restore.toggled.connect(lambda on: self._set_early("restore_best_weights", bool(on)))
        state.changed.connect(lambda _c: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        self._updating = True
        try:
            p = self.state.project
            t = p["training"]
            self.setText(stop_summary(p))
            self.limit_on.setChecked(bool(p.get("app", {}).get("epoch_limit")))
            self.limit.setValue(int(t["epochs"]))
            es = t["early_stopping"]
            shown = es or EARLY_STOPPING_DEFAULTS
            self.early_on.setChecked(es is not None)
            self.monitor.setCurrentIndex(self.monitor.findData(shown["monitor"]))
            self.patience.setValue(int(shown["patience"]))
            self.min_delta.set_value(float(shown["min_delta"]))
            self.restore.setChecked(bool(shown["restore_best_weights"]))
            for w in (self.monitor, self.patience, self.min_delta, self.restore):
                w.setEnabled(es is not None)
            no_val = p["data"]["validation_fraction"] == 0
            if es and no_val and es["monitor"].startswith("val_"):
                self.setToolTip(_("early stopping watches {metric}, but there is no validation split").format(
                    metric=es["monitor"]))
            else:
                self.setToolTip(_(STOP_TIP))
        finally:
            self._updating = False

    def _set(self, changes: dict[str, Any]) -> None:
        if self._updating:
            return
        try:
            self.state.apply(changes)
        except PlaygroundError as exc:
            self.message.emit(str(exc))
            self.refresh()

    def _early_toggled(self, on: bool) -> None:
        if on:
            monitor = "val_loss" if self.state.project["data"]["validation_fraction"] > 0 else "loss"
            self._set({"training.early_stopping": {**EARLY_STOPPING_DEFAULTS, "monitor": monitor}})
        else:
            self._set({"training.early_stopping": None})

    def _set_early(self, key: str, value: Any) -> None:
        es = self.state.project["training"]["early_stopping"]
        if es is not None:
            self._set({"training.early_stopping": {**es, key: value}})
