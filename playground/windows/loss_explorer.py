"""Tools → Loss Explorer: type class scores, pick each example's correct class, and read the
multiclass SVM and softmax losses worked out step by step (CS231n lecture 3's cat/car/frog).

The numbers come from `engine.teaching.scores`, which takes each example's loss from the registered
losses the trainer minimises; this window only lays them out.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.core.errors import PlaygroundError
from engine.core.i18n import _
from engine.teaching.scores import (
    CS231N_CLASSES,
    CS231N_LABELS,
    CS231N_SCORES,
    MARGIN,
    MAX_CLASSES,
    MAX_EXAMPLES,
    ExampleLosses,
    ScoreLosses,
    score_losses,
)

from ..widgets import Label, guarded, name_widget, wrapped
from .worked import num, paren

CORRECT = QColor(210, 236, 210)  # the correct class's cell


def svm_lines(e: ExampleLosses, classes: list[str]) -> list[str]:
    """The SVM loss of one example as a sum of hinges, then their values."""
    y = e.label
    others = [j for j in range(len(classes)) if j != y]
    raw = [f"max(0, {num(e.scores[j])} − {paren(e.scores[y])} + {num(MARGIN)})" for j in others]
    inner = [f"max(0, {num(e.scores[j] - e.scores[y] + MARGIN)})" for j in others]
    terms = " + ".join(num(e.margins[j]) for j in others)
    return [
        "  SVM      " + _("Σ over j ≠ {correct} of max(0, s_j − s_{correct} + {margin})").format(
            correct=classes[y], margin=num(MARGIN)),
        "           = " + " + ".join(raw),
        "           = " + " + ".join(inner),
        f"           = {terms} = {num(e.svm)}",
    ]


def softmax_lines(e: ExampleLosses, classes: list[str]) -> list[str]:
    """The softmax loss of one example: e^s, the normalised probabilities, −ln p of the correct class."""
    y = e.label
    power = "e^s" if e.shift == 0 else f"e^(s − {num(e.shift)})"
    p = float(e.probs[y])
    log10 = num(e.softmax_log10, 3)
    return [
        "  softmax  " + _("{power} = {values};  sum = {total}").format(
            power=power, values=", ".join(num(v) for v in e.exps), total=num(float(e.exps.sum()))),
        "           " + _("p = {power} / sum = {values}").format(
            power=power, values=", ".join(num(v) for v in e.probs)),
        f"           −ln p_{classes[y]} = −ln {num(p)} = {num(e.softmax)}   (−log₁₀ {num(p)} = {log10})",
    ]


def working(result: ScoreLosses, classes: list[str]) -> str:
    """Every example's two losses worked out, one block each."""
    blocks = []
    for i, e in enumerate(result.examples):
        lines = [_("example {number} (correct: {name}), scores {scores}").format(
            number=i + 1, name=classes[e.label], scores=", ".join(num(v) for v in e.scores))]
        lines += svm_lines(e, classes) + softmax_lines(e, classes)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def totals(result: ScoreLosses) -> str:
    """The data losses as the means they are."""
    n = len(result.examples)
    svm = " + ".join(num(e.svm) for e in result.examples)
    soft = " + ".join(num(e.softmax) for e in result.examples)
    return _("Multiclass SVM loss L = ({svm}) / {count} = {mean}\nSoftmax loss L = ({softmax}) / {count} = "
             "{softmax_mean}").format(svm=svm, count=n, mean=num(result.svm), softmax=soft,
                                      softmax_mean=num(result.softmax))


class LossExplorer(QDialog):
    """An editable score table (a row per example, a column per class) and both losses."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossExplorer")
        self.setWindowTitle(_("Loss explorer"))
        self.classes: list[str] = [_(name) for name in CS231N_CLASSES]  # the lecture's cat, car, frog
        self.result: ScoreLosses | None = None
        self._filling = False

        lay = QVBoxLayout(self)
        lay.addWidget(wrapped(
            _("Each row is one example's class scores, s = f(x; W), as a linear classifier gives them; pick its "
              "correct class y. The multiclass SVM loss adds max(0, s_j − s_y + {margin}) over the wrong classes: "
              "zero once the correct score beats every other by the margin. The softmax loss turns the scores into "
              "probabilities p = e^s / Σ e^s and takes −ln p_y. The data loss is the mean over the examples. Logs "
              "are natural, as in every framework: CS231n's slide shows 0.89 for the cat because it took log₁₀ (2.04 "
              "/ ln 10 = 0.89).").format(margin=num(MARGIN)), "legend"))  # fmt: skip
        row = QHBoxLayout()
        row.addWidget(Label(_("classes")))
        self.class_edit = name_widget(
            QLineEdit(", ".join(self.classes)), "lossClasses", _("Class names"),
            _("Class names separated by commas (2 to {max_classes}); a new class starts with score 0").format(
                max_classes=MAX_CLASSES),
        )  # fmt: skip
        self.class_edit.editingFinished.connect(self._classes_typed)
        row.addWidget(self.class_edit, 1)
        buttons = (
            (_("Add example"), "lossAddExample", _("A new row of scores"), self.add_example),
            (_("Remove example"), "lossRemoveExample", _("Remove the last row"), self.remove_example),
            (_("CS231n's example"), "lossCs231n", _("The lecture's cat, car and frog scores"), self.load_cs231n),
            (_("All scores 0"), "lossZero",
             _("What an untrained network gives: the SVM loss is then C − 1 and the softmax loss ln C"), self.zero),
        )  # fmt: skip
        for text, name, tip, slot in buttons:
            b = name_widget(QPushButton(text), name, text, tip)
            b.clicked.connect(slot)
            row.addWidget(b)
        lay.addLayout(row)

        self.table = name_widget(QTableWidget(), "lossScores", _("Class scores"))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.itemChanged.connect(self._cell_changed)
        lay.addWidget(self.table)
        self.totals = wrapped("", "lossTotals")
        bold = QFont(self.totals.font())
        bold.setBold(True)
        self.totals.setFont(bold)
        lay.addWidget(self.totals)
        self.working = name_widget(QPlainTextEdit(), "lossWorking", _("The losses worked out"))
        self.working.setReadOnly(True)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.working.setFont(mono)
        self.working.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        lay.addWidget(self.working, 1)
        self.message = wrapped("", "lossMessage")
        lay.addWidget(self.message)
        self.resize(900, 640)
        self.load_cs231n()

    # ----------------------------------------------------------------- the table
    def set_scores(self, scores: np.ndarray, labels: list[int]) -> None:
        """Fill the table (rows: examples, columns: the classes, then the correct class) and recompute."""
        self._filling = True
        n, k = scores.shape
        self.table.clear()
        self.table.setRowCount(n)
        self.table.setColumnCount(k + 1)
        self.table.setHorizontalHeaderLabels([*self.classes, _("correct class")])
        self.table.setVerticalHeaderLabels([_("example {number}").format(number=i + 1) for i in range(n)])
        for i in range(n):
            for j in range(k):
                item = QTableWidgetItem(f"{scores[i, j]:g}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
            box = name_widget(QComboBox(), f"lossLabel{i}", _("Example {number}'s correct class").format(number=i + 1))
            box.addItems(self.classes)
            box.setCurrentIndex(labels[i])
            box.currentIndexChanged.connect(lambda _i: self.recompute())
            self.table.setCellWidget(i, k, box)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setFixedHeight(self.table.horizontalHeader().height() + 4 + n * self.table.rowHeight(0))
        self._filling = False
        self.recompute()

    def scores(self) -> np.ndarray:
        k = len(self.classes)
        return np.array([[float(self.table.item(i, j).text()) for j in range(k)] for i in range(self.table.rowCount())])

    def labels(self) -> list[int]:
        k = len(self.classes)
        return [self.table.cellWidget(i, k).currentIndex() for i in range(self.table.rowCount())]

    def set_score(self, row: int, col: int, value: float) -> None:
        """Type a score into the table, as a user does."""
        self.table.item(row, col).setText(f"{value:g}")

    @guarded
    def _cell_changed(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        text = item.text().strip().replace("−", "-")
        try:
            value = float(text)
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            self.say(_("{text!r} is not a number: a score is a finite number such as 3.2 or -1.7").format(
                         text=item.text()))
            self._filling = True
            item.setText(f"{self.result.examples[item.row()].scores[item.column()]:g}" if self.result else "0")
            self._filling = False
            return
        self.recompute()

    def _classes_typed(self) -> None:
        names = [c.strip() for c in self.class_edit.text().split(",") if c.strip()]
        if not 2 <= len(names) <= MAX_CLASSES or len(set(names)) != len(names):
            self.say(_("Give 2 to {max_classes} different class names, separated by commas.").format(
                         max_classes=MAX_CLASSES))
            self.class_edit.setText(", ".join(self.classes))
            return
        if names == self.classes:
            return
        old, labels = self.scores(), self.labels()
        k = len(names)
        scores = np.zeros((old.shape[0], k))
        keep = min(k, old.shape[1])
        scores[:, :keep] = old[:, :keep]
        self.classes = names
        self.set_scores(scores, [y if y < k else 0 for y in labels])

    def add_example(self) -> None:
        if self.table.rowCount() >= MAX_EXAMPLES:
            self.say(_("At most {max_examples} examples.").format(max_examples=MAX_EXAMPLES))
            return
        scores = np.vstack([self.scores(), np.zeros((1, len(self.classes)))])
        self.set_scores(scores, [*self.labels(), 0])

    def remove_example(self) -> None:
        if self.table.rowCount() <= 1:
            self.say(_("The loss needs at least one example."))
            return
        self.set_scores(self.scores()[:-1], self.labels()[:-1])

    def load_cs231n(self) -> None:
        self.classes = [_(name) for name in CS231N_CLASSES]
        self.class_edit.setText(", ".join(self.classes))
        self.set_scores(np.array(CS231N_SCORES), list(CS231N_LABELS))

    def zero(self) -> None:
        self.set_scores(np.zeros_like(self.scores()), self.labels())

    # ----------------------------------------------------------------- the losses
    def recompute(self) -> None:
        if self._filling:
            return
        try:
            result = score_losses(self.scores(), np.array(self.labels()))
        except PlaygroundError as exc:
            self.say(str(exc))
            return
        self.result = result
        self._mark_correct()
        self.working.setPlainText(working(result, self.classes))
        self.totals.setText(totals(result))
        self.say(self._check(result))

    def _mark_correct(self) -> None:
        self._filling = True
        labels = self.labels()
        for i in range(self.table.rowCount()):
            for j in range(len(self.classes)):
                item = self.table.item(i, j)
                item.setBackground(QBrush(CORRECT) if j == labels[i] else QBrush())
        self._filling = False

    def _check(self, r: ScoreLosses) -> str:
        """What equal scores mean: the losses of a network that has not learnt anything yet."""
        k = len(self.classes)
        if all(np.ptp(e.scores) == 0 for e in r.examples):
            return _("Every example's scores are equal, as an untrained network's are close to: each SVM loss is "
                     "(C − 1)·Δ = {svm} and each softmax loss ln C = ln {count} = {softmax}. A new network whose first "
                     "loss is far from these has a bug or too large initial weights.").format(
                svm=k - 1, count=k, softmax=num(math.log(k)))
        return _("Correct-class cells are green. Type a score and press Enter; the losses follow.")

    def say(self, text: str) -> None:
        self.message.setText(text)
