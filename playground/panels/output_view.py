"""The output view: the network's output over the input plane (the decision boundary, or the
regression surface) under the training and test points, a hovered neuron's picture in its
place, and clicks on the plane to inspect, add or erase a point."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QWidget

from engine.core.activations import ACTIVATIONS
from engine.core.i18n import _, ngettext

from ..colors import class_color, class_color_name, class_rgb, diverging_rgb, fade
from ..plotlib import pg
from ..run.snapshot import Snapshot
from ..widgets import Deferred, Label, name_widget
from .batchnorm_view import PlaneMode
from .plotting import SquarePlot, make_plot, set_range, titled
from .table_view import TablePredictions

PLANE_STRENGTH = 0.6  # how strongly the output plane is coloured under the points


def plane_rgb(
    out: np.ndarray,
    problem: str,
    threshold: float,
    output_activation: str,
    discretize: bool = False,
    class_names: list[str] | tuple[str, ...] = (),
) -> tuple[np.ndarray, str]:
    """Colours for the network's output over the plane (g, g, outputs) and the legend for them."""
    if problem == "regression":
        return diverging_rgb(out[..., 0], -1, 1), _("colour: predicted value, orange −1 · white 0 · blue +1")
    k = max(2, out.shape[2])
    names = [class_names[c] if c < len(class_names) and class_names[c] != str(c)
             else _("class {number}").format(number=c) for c in range(k)]
    swatches = " · ".join(f"{class_color_name(c, k)}: {names[c]}" for c in range(k))
    if out.shape[2] == 1:
        # Centre on the decision threshold: 0.5 for probabilities and 0/1 targets, 0 for hinge.
        v = np.clip((out[..., 0] - threshold) * (2.0 if threshold == 0.5 else 1.0), -1, 1)
        if discretize:
            legend = _("{swatches} · colour: the predicted class").format(swatches=swatches)
            return diverging_rgb(np.where(v > 0, 1.0, -1.0)), legend
        return diverging_rgb(v), _("{swatches} · shade: confidence").format(swatches=swatches)
    if ACTIVATIONS.get(output_activation).probabilities and not ACTIVATIONS.get(output_activation).elementwise:
        probs = out  # softmax: a row of probabilities already
    else:  # scores (multiclass hinge): softmax them for display only
        e = np.exp(out - out.max(axis=-1, keepdims=True))
        probs = e / e.sum(axis=-1, keepdims=True)
    if discretize:
        legend = _("{swatches} (predicted class)").format(swatches=swatches)
        return class_rgb(np.eye(out.shape[2])[probs.argmax(axis=-1)], out.shape[2]), legend
    return class_rgb(probs, out.shape[2]), _("{swatches} · faded where unsure").format(swatches=swatches)


class OutputView(QWidget):
    """The decision boundary (or regression surface) with the training and test points."""

    point_added = Signal(float, float)
    point_erased = Signal(float, float)
    inspected = Signal(float, float)  # a left click on the plane outside draw mode: the point inspector
    loss_sizes_wanted = Signal(bool)  # the worker computes each training point's loss only while on

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay, head = titled(self, "outputView", _("Output"))
        self.show_test = name_widget(
            QCheckBox(_("Test data")),
            "showTestData",
            _("Show test data"),
            _("Draw the held-out test points (outlined) too"),
        )
        self.discretize = name_widget(
            QCheckBox(_("Discretize")),
            "discretizeOutput",
            _("Discretize output"),
            _("Colour each point of the plane by its predicted class only"),
        )
        self.size_by_loss = name_widget(
            QCheckBox(_("Size by loss")),
            "sizeByLoss",
            _("Size training points by their loss"),
            _("Draw each training point as big as its current loss, so the hard points stand out"),
        )
        head.addWidget(self.show_test)
        head.addWidget(self.discretize)
        head.addWidget(self.size_by_loss)
        self.plane_mode = PlaneMode()  # batch normalization: inference or the grid as a training batch
        head.addWidget(self.plane_mode)
        self.plot = make_plot("outputPlot")
        self.plot.setAccessibleName(_("Output plot"))
        self.plot.setAspectLocked(True)
        self.plot.setMinimumSize(200, 136)  # 1280×720 with a preset's note: the window still fits
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.train_points = pg.ScatterPlotItem(size=6, pen=pg.mkPen(255, 255, 255, 200, width=1))
        self.test_points = pg.ScatterPlotItem(size=6, pen=pg.mkPen(40, 40, 40, 230, width=1.4))
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.test_points)
        self.empty = Label(
            _("The output plane is drawn for two-dimensional point data.\nImage data: see the model summary and "
              "curves.")
        )
        self.empty.setObjectName("legend")
        self.empty.setWordWrap(True)
        self.empty.hide()
        self.square = SquarePlot(self.plot)
        # Table data (more than two columns, not images): the held-out rows' predictions instead
        # (built when first shown: most data sets never need it).
        self.table = Deferred(TablePredictions)
        self.table.hide()
        lay.addWidget(self.empty)
        lay.addWidget(self.square, 1)
        lay.addWidget(self.table, 1)
        self.legend = Label()
        self.legend.setObjectName("legend")
        lay.addWidget(self.legend)
        self.draw_mode = False
        self.snapshot: Snapshot | None = None
        self._preview: tuple[np.ndarray, str] | None = None  # a hovered neuron's picture
        self._points_key: tuple | None = None
        self.show_test.toggled.connect(lambda _on: self._draw_points(force=True))
        self.discretize.toggled.connect(lambda _on: self.redraw())
        self.size_by_loss.toggled.connect(self._size_toggled)
        self.plot.scene().sigMouseClicked.connect(self._clicked)

    def set_snapshot(self, snap: Snapshot) -> None:
        self.snapshot = snap
        self.plane_mode.follow(snap)
        self.redraw()

    def _size_toggled(self, on: bool) -> None:
        self.loss_sizes_wanted.emit(on)
        self._draw_points(force=True)

    def point_sizes(self) -> np.ndarray | None:
        """The training points' sizes when sized by loss: 3 px at no loss to 16 px at the largest
        (area follows the loss); validation points keep the usual size. None when not sized."""
        snap = self.snapshot
        if snap is None or not self.size_by_loss.isChecked() or snap.point_losses is None:
            return None
        losses = np.nan_to_num(snap.point_losses.astype(np.float64), nan=0.0, posinf=0.0)
        if losses.size != snap.data.train.size:
            return None
        top = float(losses.max()) if losses.size else 0.0
        train = 3.0 + 13.0 * np.sqrt(losses / top) if top > 0 else np.full(losses.size, 3.0)
        return np.concatenate([train, np.full(snap.data.validation.size, 6.0)])

    def set_draw_mode(self, on: bool) -> None:
        """Clicks add points (a cross cursor says so) instead of inspecting them."""
        self.draw_mode = on
        self.plot.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    def preview(self, rgb: np.ndarray | None, name: str = "") -> None:
        """Show one neuron's output over the plane instead of the network's while it is hovered
        (TensorFlow Playground's central interaction); None goes back."""
        self._preview = None if rgb is None else (rgb, name)
        self.redraw()

    def _legend(self, text: str) -> None:
        if self.legend.text() != text:  # setText re-lays out the panel even for the same text
            self.legend.setText(text)

    def redraw(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        has_plane = snap.extent is not None and snap.output_grid is not None
        self.square.setVisible(has_plane)
        self.table.setVisible(not has_plane)
        self.empty.setVisible(not has_plane)
        for box in (self.show_test, self.discretize, self.size_by_loss):  # options of the plane
            box.setVisible(has_plane)
        if not has_plane:
            self._legend("")
            d = snap.data.dataset.x.shape[1]
            note = ngettext("{count} input column: no plane to colour; predictions on held-out rows.",
                            "{count} input columns: no plane to colour; predictions on held-out rows.", d).format(
                count=d)
            if self.empty.text() != note:
                self.empty.setText(note)
            self.table.set_snapshot(snap)
            return
        x0, x1, y0, y1 = snap.extent
        if self._preview is not None:  # a hovered neuron: the network's own plane is not drawn
            rgb, name = self._preview
            legend = _("{neuron}: its output over the plane (move off the neuron to see the network's)").format(
                neuron=name)
        else:
            rgb, legend = plane_rgb(
                snap.output_grid,
                snap.data.dataset.problem,
                snap.threshold,
                snap.output_activation,
                self.discretize.isChecked(),
                snap.data.dataset.class_names,
            )
        if snap.plane_batch and self._preview is None:
            legend = _("BN training mode · {legend}").format(legend=legend)  # the grid as one batch (its tooltip)
        self._legend(legend)
        # The plane is drawn paler than the points (as TensorFlow Playground does), so a point
        # stays visible on the region it belongs to, and a misclassified one stands out.
        self.image.setImage(fade(rgb, PLANE_STRENGTH), autoLevels=False, levels=(0, 255))
        self.image.setRect(x0, y0, x1 - x0, y1 - y0)
        set_range(self.plot, "x", x0, x1)
        set_range(self.plot, "y", y0, y1)
        self._draw_points()

    def _draw_points(self, force: bool = False) -> None:
        snap = self.snapshot
        if snap is None or snap.extent is None:
            return
        key = (snap.generation, id(snap.data), self.show_test.isChecked())
        sizes = self.point_sizes()
        if key == self._points_key and not force:
            if sizes is not None:
                self.train_points.setSize(sizes)  # the losses change every frame; colours do not
            return
        self._points_key = key
        data = snap.data
        ds = data.dataset
        if ds.problem == "regression":
            brushes = [pg.mkBrush(*map(int, c)) for c in diverging_rgb(ds.y, -1, 1)]
        else:  # one brush a class, shared: pyqtgraph renders a point's symbol once per brush it is given
            palette = [pg.mkBrush(*map(int, class_color(c, ds.classes))) for c in range(max(ds.classes, 2))]
            brushes = [palette[c] for c in ds.y.tolist()]
        tr = np.concatenate([data.train, data.validation])
        self.train_points.setData(ds.x[tr, 0], ds.x[tr, 1], brush=[brushes[i] for i in tr],
                                  size=6 if sizes is None else sizes)  # fmt: skip
        if self.show_test.isChecked():
            te = data.test
            self.test_points.setData(ds.x[te, 0], ds.x[te, 1], brush=[brushes[i] for i in te])
        else:
            self.test_points.setData([], [])

    def _clicked(self, event) -> None:
        if self.snapshot is None or self.snapshot.extent is None:
            return
        pos = self.plot.getPlotItem().getViewBox().mapSceneToView(event.scenePos())
        x0, x1, y0, y1 = self.snapshot.extent
        if not (x0 <= pos.x() <= x1 and y0 <= pos.y() <= y1):
            return
        if not self.draw_mode:
            if event.button() == Qt.MouseButton.LeftButton:
                self.inspected.emit(pos.x(), pos.y())
            return
        if event.button() == Qt.MouseButton.RightButton:
            self.point_erased.emit(pos.x(), pos.y())
        elif event.button() == Qt.MouseButton.LeftButton:
            self.point_added.emit(pos.x(), pos.y())

