"""What the output panel shows for table data (a CSV such as the wine data, iris), where there is
no plane to colour: how the network does on the held-out rows.

- Classification: the confusion matrix of the test split (else validation, else train), as the
  image views have: it says which classes the network mixes up, which one number cannot.
- Regression: predicted against true value for each held-out row, on the line y = x where the
  prediction is right: it shows a bias (points off to one side), where the errors grow and any
  outliers, which the loss curve averages away; the caption gives RMSE and R².
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from engine.core.i18n import N_, _, ngettext
from engine.core.numbers import number

from ..colors import class_color
from ..plotlib import pg
from ..run.snapshot import Snapshot
from ..widgets import Label
from .images import ConfusionMatrix
from .plotting import make_plot, set_range

WAITING = N_("Predictions on the held-out rows appear after the first step.")
#: The split a caption speaks of, as its first words.
SPLIT_TITLES = {"test": N_("Test split"), "validation": N_("Validation split"), "train": N_("Train split")}


def regression_numbers(true: np.ndarray, predicted: np.ndarray) -> tuple[float, float]:
    """(RMSE, R²): √(mean (ŷ − y)²) and 1 − Σ(ŷ − y)² / Σ(y − ȳ)² (NaN for constant targets)."""
    err = predicted.astype(np.float64) - true
    sse = float(np.sum(err * err))
    sst = float(np.sum((true - true.mean()) ** 2)) if true.size else 0.0
    rmse = float(np.sqrt(sse / true.size)) if true.size else float("nan")
    return rmse, (1.0 - sse / sst) if sst > 0 else float("nan")


class TablePredictions(QWidget):
    """The confusion matrix or the predicted-vs-true plot of the newest snapshot's held-out rows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tablePredictions")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.caption = Label("")
        self.caption.setObjectName("legend")
        self.caption.setWordWrap(True)
        self.stack = QStackedWidget()
        self.confusion = ConfusionMatrix(clickable=False)
        self.confusion.setObjectName("tableConfusion")
        self.confusion.setToolTip(_("Rows: the true class; columns: the class the network predicts. The diagonal "
                                    "is right; a cell off it counts the rows of one class taken for another."))
        self.scatter_plot = make_plot("tablePredictedVsTrue")
        self.scatter_plot.setLabel("bottom", _("true value"))
        self.scatter_plot.setLabel("left", _("predicted value"))
        self.scatter_plot.setToolTip(_("Each held-out row: its true value across, the network's prediction up. "
                                       "On the line a prediction is right; above it too high, below too low."))
        self.diagonal = pg.PlotDataItem(pen=pg.mkPen(150, 150, 150, width=1.2, style=Qt.PenStyle.DashLine))
        self.points = pg.ScatterPlotItem(size=6, pen=pg.mkPen(255, 255, 255, 200, width=1),
                                         brush=pg.mkBrush(*class_color(1, 2)))  # fmt: skip
        self.scatter_plot.addItem(self.diagonal)
        self.scatter_plot.addItem(self.points)
        self.stack.addWidget(self.confusion)
        self.stack.addWidget(self.scatter_plot)
        lay.addWidget(self.stack, 1)
        lay.addWidget(self.caption)
        self._key: tuple | None = None

    def set_snapshot(self, snap: Snapshot) -> None:
        ds = snap.data.dataset
        ev = snap.image_eval
        key = (id(ev), id(snap.data))
        if key == self._key:
            return
        self._key = key
        if ds.problem == "classification":
            self.stack.setCurrentWidget(self.confusion)
            names = ds.class_names or [str(k) for k in range(max(ds.classes, 2))]
            self.confusion.set_eval(ev, names)
            self._say(_(WAITING) if ev is None else "")  # the matrix says its split, accuracy and rows itself
            return
        self.stack.setCurrentWidget(self.scatter_plot)
        if ev is None or ev.values is None:
            self.points.setData([], [])
            self.diagonal.setData([], [])
            self._say(_(WAITING))
            return
        true = ds.y[ev.indices].astype(np.float64)
        predicted = ev.values.astype(np.float64)
        shown = np.isfinite(predicted)
        self.points.setData(true[shown], predicted[shown])
        values = np.concatenate([true, predicted[shown]])
        lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
        pad = 0.05 * (hi - lo) if hi > lo else 0.5
        self.diagonal.setData([lo - pad, hi + pad], [lo - pad, hi + pad])
        set_range(self.scatter_plot, "x", lo - pad, hi + pad)
        set_range(self.scatter_plot, "y", lo - pad, hi + pad)
        rmse, r2 = regression_numbers(true, predicted)
        split = _(SPLIT_TITLES[ev.split]) if ev.split in SPLIT_TITLES else f"{ev.split.capitalize()} split"
        self._say(ngettext("{split}, {rows:,} row · RMSE {rmse} · R² {r2} · on the dashed line, predicted = true",
                           "{split}, {rows:,} rows · RMSE {rmse} · R² {r2} · on the dashed line, predicted = true",
                           ev.indices.size).format(split=split, rows=ev.indices.size, rmse=number(rmse),
                                                   r2=number(r2)))

    def _say(self, text: str) -> None:
        if self.caption.text() != text:
            self.caption.setText(text)
        self.caption.setVisible(bool(text))
