"""The run history tab: every run of the session, with overlay, settings comparison and CSV export."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.core.i18n import N_, _, ngettext
from engine.core.numbers import number
from engine.project.fields import humanize

from ..run.runs import Run, RunHistory
from ..widgets import Label, name_widget, plain_tip
from .plotting import titled

COLUMNS = [N_("overlay"), N_("run"), N_("settings"), N_("epochs"), N_("train loss"), N_("test loss"),
           N_("test acc.")]


def _fmt(value: float, percent: bool = False) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value:.1%}" if percent else number(value)


class RunsView(QWidget):
    """A table of runs; tick "overlay" to draw a run's curves under the current one."""

    overlays_changed = Signal(list)  # the runs to overlay on the curves
    compare_requested = Signal(object, object)  # two runs
    export_requested = Signal()

    def __init__(self, history: RunHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        lay, head = titled(self, "runsView", _("Runs this session"))
        self.compare = name_widget(
            QPushButton(_("Compare settings")), "compareRuns", _("Compare settings"), _("Select two runs to compare")
        )
        self.export = name_widget(QPushButton(_("Export CSV…")), "exportRuns", _("Export runs"),
                                  _("Every run's metrics as CSV"))
        self.clear = name_widget(QPushButton(_("Clear")), "clearRuns", _("Clear runs"), _("Forget the finished runs"))
        for b in (self.compare, self.export, self.clear):
            head.addWidget(b)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("runsTable")
        self.table.setHorizontalHeaderLabels([_(c) for c in COLUMNS])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table, 1)
        self._numbers: list[int] = []
        self._overlay: set[int] = set()
        self._filling = False
        self.compare.setEnabled(False)
        self.table.itemChanged.connect(self._item_changed)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.compare.clicked.connect(self._compare)
        self.export.clicked.connect(self.export_requested.emit)
        self.clear.clicked.connect(self._clear)

    def refresh(self) -> None:
        """Rebuild rows when runs came or went; otherwise update the numbers in place."""
        runs = self.history.runs
        numbers = [r.number for r in runs]
        self._filling = True
        try:
            if numbers != self._numbers:
                self._numbers = numbers
                self._overlay &= set(numbers)
                self.table.setRowCount(len(runs))
                for row, run in enumerate(runs):
                    self._fill_row(row, run, new=True)
            elif runs:
                self._fill_row(len(runs) - 1, runs[-1], new=False)
        finally:
            self._filling = False

    def _fill_row(self, row: int, run: Run, new: bool) -> None:
        current = run is self.history.current
        cells = [
            "",
            _("{run} (now)").format(run=run.label) if current else run.label,
            run.summary(),
            f"{run.epochs:,}",
            _fmt(run.last("loss")),
            _fmt(run.last("test_loss")),
            _fmt(run.last("test_accuracy"), percent=True),
        ]
        for col, text in enumerate(cells):
            item = self.table.item(row, col) if not new else None
            if item is None:
                item = QTableWidgetItem()
                self.table.setItem(row, col, item)
            if item.text() != text:
                item.setText(text)
            if col == 0 and new:
                if current:
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # the live run is always drawn
                else:
                    item.setFlags(
                        Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                    )
                    checked = run.number in self._overlay
                    item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            if col == 2 and new:
                item.setToolTip(plain_tip(run.summary()))
            if col == 1 and new and current:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)

    def set_overlay(self, number: int, on: bool) -> None:
        """Tick or untick a run's overlay box (what a click does)."""
        row = self._numbers.index(number)
        self.table.item(row, 0).setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def overlays(self) -> list[Run]:
        return [r for r in self.history.runs if r.number in self._overlay and r is not self.history.current]

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 0:
            return
        number = self._numbers[item.row()]
        if item.checkState() == Qt.CheckState.Checked:
            self._overlay.add(number)
        else:
            self._overlay.discard(number)
        self.overlays_changed.emit(self.overlays())

    def selected_runs(self) -> list[Run]:
        rows = sorted({i.row() for i in self.table.selectedItems()})
        return [r for r in (self.history.find(self._numbers[k]) for k in rows) if r is not None]

    def _selection_changed(self) -> None:
        n = len(self.selected_runs())
        self.compare.setEnabled(n == 2)
        self.compare.setToolTip(_("Compare the two selected runs' settings") if n == 2 else
                                _("Select two runs to compare"))

    def _compare(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 2:
            self.compare_requested.emit(runs[0], runs[1])

    def _clear(self) -> None:
        self.history.clear()
        self.refresh()
        self.overlays_changed.emit(self.overlays())


class CompareDialog(QDialog):
    """Two runs' settings side by side; rows that differ are highlighted (or shown alone)."""

    def __init__(self, a: Run, b: Run, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareDialog")
        self.setWindowTitle(_("{first} vs {second}").format(first=a.label, second=b.label))
        self.rows = RunHistory.compare(a, b)
        self.differences = [r for r in self.rows if r[1] != r[2]]
        lay = QVBoxLayout(self)
        lay.addWidget(Label(ngettext("{count} of {total} setting differs.", "{count} of {total} settings differ.",
                                      len(self.differences)).format(count=len(self.differences), total=len(self.rows))))
        self.only = name_widget(QCheckBox(_("Only differences")), "onlyDifferences", _("Only differences"))
        self.only.setChecked(True)
        lay.addWidget(self.only)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("compareTable")
        self.table.setHorizontalHeaderLabels([_("setting"), a.label, b.label])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumSize(620, 320)
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        for run in (a, b):
            text = ngettext("{run}: {epochs:,} epoch, test loss {loss}", "{run}: {epochs:,} epochs, test loss {loss}",
                            run.epochs).format(run=run.label, epochs=run.epochs, loss=_fmt(run.last("test_loss")))
            row.addWidget(Label(text))
        lay.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        lay.addWidget(buttons)
        self.only.toggled.connect(lambda _on: self._fill())
        self._fill()

    def _fill(self) -> None:
        rows = self.differences if self.only.isChecked() else self.rows
        self.table.setRowCount(len(rows))
        for i, (key, va, vb) in enumerate(rows):
            for j, text in enumerate((humanize(key), str(va), str(vb))):
                item = QTableWidgetItem(text)
                if va != vb:
                    item.setBackground(QBrush(QColor(255, 243, 205)))
                self.table.setItem(i, j, item)


__all__ = ["CompareDialog", "RunsView"]
