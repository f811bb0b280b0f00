"""The data panel: pick a data set by its thumbnail, then noise, samples, classes, splits (and how
rows are split), batch size (and what becomes of the last partial batch), seed, normalisation;
open a data file; draw points by hand."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine import PlaygroundError
from engine.core.i18n import N_, _, ngettext, term
from engine.data import CLASS_RANGE, DATASETS, NORMALIZATIONS, generate
from engine.data.dataset import SPLITS
from engine.data.downloads import REMOTE_SETS
from engine.data.features import NORMALIZATION_WORDS, UNEVEN, scale_advice
from engine.data.folders import COLOR_WORDS
from engine.project.fields import Effect, field

from ..colors import class_color, diverging_rgb
from ..run.batch_rules import control_tip, needed
from ..run.state import ProjectState
from ..widgets import Caption, Label, name_widget
from .bounds import spin_range

THUMB = 54
SCALE_HINT = N_("⚠ Columns differ widely in size: choose Standardize.")
NOISE_TIP = N_("Noise 0–50%: how far points stray across the boundary")
REGENERATE_TIP = N_("New random data: the next seed")
FILE_DATA = N_("Off for data from a file: its rows are what the file holds, with nothing to generate again "
               "(the seed still sets the split and the initial weights)")  # fmt: skip
#: The kinds of problem, as the problem list shows them (the identifier as the item's data).
PROBLEM_WORDS = {"classification": N_("classification"), "regression": N_("regression")}
BATCH_TIP = N_("Samples per gradient step: 1 is stochastic, all is full-batch gradient descent.")


@cache
def dataset_icon(name: str) -> QIcon:
    """A small picture of a generator's data, drawn once."""
    pix = QPixmap(THUMB * 2, THUMB * 2)
    pix.fill(QColor(250, 250, 250))
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    kind = DATASETS.get(name).kind
    if kind == "images":
        ds = generate(name, samples=4, noise=0.0 if DATASETS.get(name).max_samples else 0.05, seed=3,
                      classes=min(4, DATASETS.get(name).classes[1]))  # fmt: skip
        h, w = ds.image_shape
        top = float(ds.x[:4].max()) or 1.0
        for k in range(4):
            img = (255 - ds.x[k].reshape(h, w) * (255.0 / top)).astype(np.uint8).copy()
            qimg = QImage(img.data, w, h, w, QImage.Format.Format_Grayscale8)
            painter.drawImage(QRectF((k % 2) * THUMB + 4, (k // 2) * THUMB + 4, THUMB - 8, THUMB - 8), qimg)
    elif kind == "sequence":
        _draw_sequences(painter, name)
    else:
        ds = generate(name, samples=300 if kind == "points" else None, noise=0.0, seed=1,
                      classes={"spiral": 3, "blobs": 4}.get(name))  # fmt: skip
        xy = ds.x[:, -2:]  # a table's last two columns (iris: the petals, which separate the species)
        if kind == "points":
            lo, span = np.array([-6.0, -6.0]), np.array([12.0, 12.0])
        else:
            lo, span = xy.min(axis=0), np.ptp(xy, axis=0) + 1e-9
            lo, span = lo - 0.08 * span, span * 1.16
        painter.setPen(Qt.PenStyle.NoPen)
        if ds.problem == "regression":
            colors = diverging_rgb(ds.y, -1, 1)
        else:
            colors = np.array([class_color(int(c), ds.classes) for c in ds.y])
        size = THUMB * 2
        for (x, y), c in zip(xy, colors):
            painter.setBrush(QColor(*map(int, c)))
            painter.drawEllipse(QPointF((x - lo[0]) / span[0] * size, size - (y - lo[1]) / span[1] * size), 3.2, 3.2)
    painter.end()
    return QIcon(pix)


def _draw_sequences(painter: QPainter, name: str) -> None:
    """Three sequences of a sequence set, one band each: the first feature as a line over the
    steps, a dot where the second (the adding problem's marker) is on."""
    ds = generate(name, samples=3, noise=0.0, seed=2)
    steps, features = ds.sequence_shape
    seqs = ds.x.reshape(3, steps, features)
    size, band = THUMB * 2, THUMB * 2 / 3
    lo, hi = float(seqs[:, :, 0].min()), float(seqs[:, :, 0].max())
    span = hi - lo or 1.0
    for k in range(3):
        color = QColor(*map(int, class_color(k, 3)))
        xs = [8 + (size - 16) * t / max(steps - 1, 1) for t in range(steps)]
        ys = [k * band + band - 8 - (band - 16) * (v - lo) / span for v in seqs[k, :, 0]]
        path = QPainterPath(QPointF(xs[0], ys[0]))
        for x, y in zip(xs[1:], ys[1:]):
            path.lineTo(x, y)
        painter.setPen(QPen(color, 3.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        if features > 1:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            for x, y, on in zip(xs, ys, seqs[k, :, 1]):
                if on > 0.5:
                    painter.drawEllipse(QPointF(x, y), 6.0, 6.0)


class DataPanel(QWidget):
    """Edits the project's data section; the main window rebuilds the run on each change."""

    open_file_requested = Signal()
    download_requested = Signal(str)  # a downloadable set's name (MNIST, Fashion-MNIST)
    draw_mode_changed = Signal(bool)
    message = Signal(str)

    def __init__(self, state: ProjectState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataPanel")
        self.state = state
        self._updating = False
        self._dataset: Any = None  # the run's data, from the newest snapshot
        lay = QVBoxLayout(self)
        lay.setContentsMargins(14, 12, 10, 12)
        lay.setSpacing(8)
        lay.addWidget(Caption(_("Data")))
        grid = QGridLayout()
        grid.setSpacing(6)
        # No exclusive button group: it would make the thumbnails one Tab stop (arrows move
        # inside it, as for radio buttons) and keep one lit for file data. refresh() lights the
        # one in use.
        self.source_buttons: dict[str, QToolButton] = {}
        for i, name in enumerate(DATASETS.names()):
            b = name_widget(QToolButton(), f"data_{name}", _("{name} data set").format(name=DATASETS.words(name)),
                            _(DATASETS.get(name).note))  # fmt: skip
            b.setCheckable(True)
            b.setIcon(dataset_icon(name))
            b.setIconSize(QSize(THUMB, THUMB))
            b.setProperty("role", "thumb")
            b.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab reaches every data set; Space picks it
            self.source_buttons[name] = b
            b.clicked.connect(lambda _checked=False, n=name: self._choose_source(n))
            grid.addWidget(b, i // 3, i % 3)
        lay.addLayout(grid)
        self.source_label = Label()
        self.source_label.setObjectName("sourceLabel")
        self.source_label.setWordWrap(True)
        lay.addWidget(self.source_label)
        self.open_button = name_widget(
            QPushButton(_("Open data file…")),
            "openDataButton",
            _("Open data file"),
            _("Load a CSV, NPZ (arrays x, y) or IDX (MNIST format) file, or a folder of images with one subfolder "
              "per class (the dialog's Open Folder button, or drop the folder on the window)"),
        )
        self.open_button.clicked.connect(self.open_file_requested)
        lay.addWidget(self.open_button)
        remote = QHBoxLayout()
        remote.setSpacing(6)
        for name in REMOTE_SETS.names():
            rs = REMOTE_SETS.get(name)
            b = name_widget(QPushButton(_(rs.title)), f"remote_{name}", _("{name} data set").format(name=_(rs.title)),
                            _("{name}: 70,000 28×28 images in 10 classes ({credit}). Downloaded once from "
                              "its public location, checked against its published SHA-256, kept on this computer; "
                              "the 60,000 training images are used with the splits set below.").format(
                                name=_(rs.title), credit=rs.credit))  # fmt: skip
            b.clicked.connect(lambda _checked=False, n=name: self.download_requested.emit(n))
            remote.addWidget(b)
        lay.addLayout(remote)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(6)
        self.problem = name_widget(
            QComboBox(),
            "problem",
            _("Problem type"),
            _("Classification predicts a class; regression predicts a number. Generated sets fix it."),
        )
        # In the user's words; the identifiers by position (an item's text equal to its data reads as raw).
        self._problems = list(field("data.problem").choices())
        self.problem.addItems([term(PROBLEM_WORDS.get(choice, choice)) for choice in self._problems])
        self.problem.activated.connect(lambda i: self._set("data.problem", self._problems[i]))
        form.addRow(Label(_("Problem")), self.problem)
        # Its range is the data set's (refresh): the generators' class ranges, a file's own count.
        self.classes = name_widget(QSpinBox(), "classes", _("Number of classes"), _("Classes for the multiclass sets"))
        self.classes.valueChanged.connect(lambda v: self._set("data.classes", v))
        form.addRow(Label(_("Classes")), self.classes)
        self.noise, self.noise_value = _percent_slider("noise", _("Noise"), _(NOISE_TIP), 50)
        _apply_when_settled(self.noise, lambda: self._set("data.noise", self.noise.value() / 100))
        form.addRow(Label(_("Noise")), _row(self.noise, self.noise_value))
        self.samples = name_widget(QSpinBox(), "samples", _("Samples"), _("How many points (or images) to generate"))
        spin_range(self.samples, "data.samples")
        self.samples.setKeyboardTracking(False)
        self.samples.valueChanged.connect(lambda v: self._set("data.samples", v))
        form.addRow(Label(_("Samples")), self.samples)
        length = field("data.sequence_length")
        self.sequence_length = name_widget(QSpinBox(), "sequenceLength", _("Sequence length"), f"{_(length.help)}.")
        self.sequence_length.setRange(int(length.lo), int(length.hi))
        self.sequence_length.setKeyboardTracking(False)
        self.sequence_length.valueChanged.connect(lambda v: self._set("data.sequence_length", v))
        self.sequence_length_label = Label(_("Steps (T)"))
        form.addRow(self.sequence_length_label, self.sequence_length)
        self.test_ratio, self.test_value = _percent_slider(
            "testRatio", _("Test fraction"), _("Share of the data held out as the test split (never trained on)"), 90
        )
        _apply_when_settled(self.test_ratio, self._ratios_changed)
        form.addRow(Label(_("Test")), _row(self.test_ratio, self.test_value))
        self.val_ratio, self.val_value = _percent_slider(
            "validationRatio", _("Validation fraction"), _("Share held out for validation: early stopping watches it"),
            50,
        )
        _apply_when_settled(self.val_ratio, self._ratios_changed)
        form.addRow(Label(_("Validation")), _row(self.val_ratio, self.val_value))
        self.split = _choice("data.split", "dataSplit", _("How rows are split"), SPLITS)
        self.split.activated.connect(lambda _i: self._set("data.split", self.split.currentData()))
        form.addRow(Label(_("Split")), self.split)
        self.batch = name_widget(QSpinBox(), "batchSize", _("Batch size"), _(BATCH_TIP))
        spin_range(self.batch, "training.batch_size")
        self.batch.setKeyboardTracking(False)
        self.batch.valueChanged.connect(lambda v: self._set("training.batch_size", v))
        form.addRow(Label(term("batch size")), self.batch)
        self.last_batch = _choice("training.last_batch", "lastBatch", _("Last partial batch"))
        self.last_batch.activated.connect(lambda _i: self._set("training.last_batch", self.last_batch.currentData()))
        form.addRow(Label(_("Last batch")), self.last_batch)
        self.normalize = name_widget(
            QComboBox(),
            "normalize",
            _("Normalisation"),
            _("standardize: (x − mean)/std per feature; unit: ÷ the maximum (pixels to [0, 1]). "
              "Statistics come from the training split only."),
        )
        for kind in NORMALIZATIONS:  # in words; the identifier as data
            self.normalize.addItem(_(NORMALIZATION_WORDS[kind]), kind)
        self.normalize.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.normalize.setMinimumContentsLength(8)  # the column's width decides, as for the split
        self.normalize.activated.connect(lambda _i: self._set("data.normalize", self.normalize.currentData()))
        form.addRow(Label(_("Normalise")), self.normalize)
        # Beside the control: columns of very different sizes (wine's proline in the thousands) and no
        # normalisation chosen get the suggestion in words.
        self.normalize_hint = Label("")
        self.normalize_hint.setObjectName("normalizeHint")
        self.normalize_hint.setWordWrap(True)
        self.normalize_hint.hide()
        form.addRow(self.normalize_hint)
        self._advice: tuple[Any, str | None] = (None, None)  # (data set, its advice), worked out once
        self.seed = name_widget(QSpinBox(), "seed", _("Seed"),
                                _("Seeds the data, the split, the weights and the shuffling"))
        spin_range(self.seed, "seed")
        self.seed.setKeyboardTracking(False)
        self.seed.valueChanged.connect(lambda v: self._set("seed", v))
        form.addRow(Label(_("Seed")), self.seed)
        lay.addLayout(form)
        self.regenerate = name_widget(QPushButton(_("Regenerate")), "regenerateButton", _("Regenerate"),
                                      _(REGENERATE_TIP))
        self.regenerate.clicked.connect(lambda: self.seed.setValue(self.seed.value() + 1))
        lay.addWidget(self.regenerate)

        lay.addWidget(Caption(_("Draw")))
        self.draw = name_widget(
            QCheckBox(_("Draw points")),
            "drawMode",
            _("Draw mode"),
            _("Click the output plot to add a point of the chosen class; right-click erases the nearest"),
        )
        self.draw.toggled.connect(self.draw_mode_changed)
        self.draw_class = name_widget(QComboBox(), "drawClass", _("Class to draw"))
        lay.addWidget(_row(self.draw, self.draw_class))
        lay.addStretch(1)
        state.changed.connect(lambda _change: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        self._updating = True
        try:
            p = self.state.project
            d = p["data"]
            src = d["source"]
            generated = isinstance(src, str)
            for name, b in self.source_buttons.items():
                b.setChecked(generated and name == src)
            self.source_label.setText(self._source_text(src))
            self.problem.setCurrentIndex(self._problems.index(d["problem"]) if d["problem"] in self._problems else -1)
            self.problem.setEnabled(not generated)
            ds = self._dataset if not generated else None
            lo, hi = CLASS_RANGE.get(src, (2, 2)) if isinstance(src, str) else (2, max(2, d["classes"]))
            if ds is not None and ds.problem == "classification":
                lo = hi = max(2, ds.classes)
            self.classes.setRange(max(lo, 2), max(hi, 2))
            self.classes.setValue(ds.classes if ds is not None and ds.problem == "classification" else d["classes"])
            self.classes.setEnabled(generated and hi > lo)
            self.noise.setValue(round(d["noise"] * 100))
            # File data are what the file holds: there is nothing to add noise to or to draw again.
            self.noise.setEnabled(generated)
            self.noise.setToolTip(_(NOISE_TIP) if generated else f"{_(NOISE_TIP)}. {_(FILE_DATA)}")
            self.regenerate.setEnabled(generated)
            self.regenerate.setToolTip(_(REGENERATE_TIP) if generated else f"{_(REGENERATE_TIP)}. {_(FILE_DATA)}")
            self.samples.setValue(len(ds.y) if ds is not None else d["samples"])
            self.samples.setEnabled(generated)
            sequences = DATASETS.get(src).kind == "sequence" if generated else (
                ds is not None and ds.sequence_shape is not None)  # fmt: skip
            length = d.get("sequence_length") or (DATASETS.get(src).default_length if generated else 0)
            if not generated and ds is not None and ds.sequence_shape is not None:
                length = ds.sequence_shape[0]
            if length:
                self.sequence_length.setValue(int(length))
            self.sequence_length.setEnabled(generated and sequences)
            for w in (self.sequence_length, self.sequence_length_label):
                w.setVisible(sequences)
            self.test_ratio.setValue(round(d["test_fraction"] * 100))
            self.val_ratio.setValue(round(d["validation_fraction"] * 100))
            self._batch_limit()
            self.batch.setValue(p["training"]["batch_size"])
            self.split.setCurrentIndex(self.split.findData(d["split"]))
            self.last_batch.setCurrentIndex(self.last_batch.findData(p["training"]["last_batch"]))
            self.normalize.setCurrentIndex(self.normalize.findData(d["normalize"]))
            advice = self._scale_advice() if d["normalize"] in UNEVEN else None
            # Two lines beside the control (a longer wrapped label is cut in the form); the tooltip and
            # the run's banner give the columns and the reason.
            self.normalize_hint.setText(_(SCALE_HINT) if advice else "")
            self.normalize_hint.setToolTip(advice[0].upper() + advice[1:] if advice else "")
            self.normalize_hint.setVisible(advice is not None)
            self.seed.setValue(p["seed"])
            classes = self.classes.value() if d["problem"] == "classification" else 0
            if self.draw_class.count() != classes:
                self.draw_class.clear()
                for c in range(classes):
                    self.draw_class.addItem(_("class {number}").format(number=c), c)
            drawable = DATASETS.get(src).kind == "points" if generated else "points" in src
            self.draw.setEnabled(d["problem"] == "classification" and drawable)
        finally:
            self._updating = False

    def _batch_limit(self) -> None:
        """The batch size's least value is what the layers need (batch normalization per unit: 2), and its
        tooltip says why."""
        need, why = needed(self.state.project, self._dataset)
        self.batch.setMinimum(need)
        self.batch.setToolTip(_(BATCH_TIP) + control_tip(need, why))

    def set_dataset(self, ds: Any) -> None:
        """The data the run uses: file and drawn data show their own samples, classes and shape
        (the project's generator settings do not apply to them)."""
        if ds is self._dataset:
            return
        self._dataset = ds
        self.refresh()
        if isinstance(self.state.project["data"]["source"], str):
            self._updating = True  # a minimum raised clamps the value: not an edit
            try:
                self._batch_limit()
            finally:
                self._updating = False

    def _scale_advice(self) -> str | None:
        """The suggestion to standardise, for table data whose columns differ widely in size
        (images are scaled as pixels, by "divide by max"); worked out once per data set."""
        ds = self._dataset
        if ds is None or ds.image_shape is not None:
            return None
        if self._advice[0] is not ds:
            self._advice = (ds, scale_advice(ds.x, ds.columns))
        return self._advice[1]

    def _source_text(self, src: Any) -> str:
        ds = self._dataset
        if isinstance(src, str):
            return _(DATASETS.get(src).note)
        if "points" in src:
            text = _("Hand-drawn points: {count}").format(count=len(src["points"]["x"]))
        elif "folder" in src:
            text = _("Image folder: {name} ({size} {color})").format(
                name=Path(src["folder"]).name, size="×".join(map(str, src["size"])),
                color=_(COLOR_WORDS.get(src["color"], src["color"])))
        else:
            kind = next(iter(src))
            path = src[kind] if isinstance(src[kind], str) else src[kind]["images"]
            text = _("File ({kind}): {name}").format(kind=kind, name=Path(path).name)
        if ds is not None and "points" not in src:
            if ds.sequence_shape is not None:
                steps, features = ds.sequence_shape
                shape = ngettext("sequences of {steps} steps × {features} feature",
                                 "sequences of {steps} steps × {features} features", features).format(
                    steps=steps, features=features)
            elif ds.image_shape:
                shape = _("{size} images").format(size="×".join(map(str, ds.image_shape)))
            else:
                shape = ngettext("{count} column", "{count} columns", ds.x.shape[1]).format(count=ds.x.shape[1])
            kinds = (ngettext("{count} class", "{count} classes", ds.classes).format(count=ds.classes)
                     if ds.problem == "classification" else term("regression"))
            text += "\n" + ngettext("{count:,} sample · {shape} · {kinds}", "{count:,} samples · {shape} · {kinds}",
                                     len(ds.y)).format(count=len(ds.y), shape=shape, kinds=kinds)
        return text

    def _set(self, path: str, value: Any) -> None:
        if self._updating:
            return
        try:
            self.state.set(path, value)
        except PlaygroundError as exc:
            self.message.emit(str(exc))
            self.refresh()

    def _choose_source(self, name: str) -> None:
        try:
            self.state.choose_source(name)
        except PlaygroundError as exc:
            self.message.emit(str(exc))
        self.refresh()  # a click toggled the button; light the one in use

    def _ratios_changed(self) -> None:
        if self._updating:  # refresh() setting the sliders one by one: not an edit
            return
        test, val = self.test_ratio.value() / 100, self.val_ratio.value() / 100
        if test + val >= 0.95:
            self.message.emit(_("test + validation must leave at least {share} for training").format(share="5%"))
            self.refresh()
            return
        try:
            self.state.apply({"data.test_fraction": test, "data.validation_fraction": val})
        except PlaygroundError as exc:
            self.message.emit(str(exc))
            self.refresh()


def _choice(path: str, name: str, accessible: str, tips: dict[str, str] | None = None) -> QComboBox:
    """A combo for a choice of the field table: its choices in the app's words (the identifier as
    the item's data), the field's help as the tooltip, each choice's own line on its item."""
    f = field(path)
    effect = _(_EFFECTS[f.effect]) if f.effect in _EFFECTS else ""
    combo = name_widget(QComboBox(), name, accessible, f"{_(f.help)}. {effect}".strip())
    # The column's width decides (its widest setting, not the longest choice): no sideways scroll at 1280.
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)
    for choice in f.choices():
        combo.addItem(_(f.name_of(choice)), choice)
        if tips:
            combo.setItemData(combo.count() - 1, _(tips[choice]), Qt.ItemDataRole.ToolTipRole)
    return combo


#: What a change of a setting does to the run, by its effect in the field table.
_EFFECTS = {
    Effect.LIVE: N_("Takes effect live, at the next step."),
    Effect.DATA: N_("Changing it prepares the data again and starts a new run."),
}


def _percent_slider(name: str, accessible: str, tip: str, maximum: int) -> tuple[QSlider, QLabel]:
    """A 0..maximum % slider and the label that shows its value (with '…' while a drag has not
    been let go, since the run still uses the old value until then)."""
    slider = name_widget(QSlider(Qt.Orientation.Horizontal), name, accessible, tip)
    slider.setRange(0, maximum)
    label = Label("0%")
    label.setMinimumWidth(label.fontMetrics().horizontalAdvance("100%…"))
    slider.valueChanged.connect(lambda v: label.setText(f"{v}%{'…' if slider.isSliderDown() else ''}"))
    slider.sliderReleased.connect(lambda: label.setText(f"{slider.value()}%"))
    return slider, label


def _apply_when_settled(slider: QSlider, apply: Any) -> None:
    """Apply a slider's value on every change that is not mid-drag (arrow keys, PageUp, a click
    on the track, the wheel) and once when a drag is let go: what it shows is what the run uses."""
    slider.valueChanged.connect(lambda _v: None if slider.isSliderDown() else apply())
    slider.sliderReleased.connect(apply)


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    lay = QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(6)
    for w in widgets:
        lay.addWidget(w)
    return box
