"""From a validated project to what a run is made of: its data read and prepared (feature maps,
the seeded split, normalisation fitted on the training rows) and its network built.

The trainer and the tools build runs from here; the project validator (engine/project/__init__.py) sits
above and re-exports these names. Nothing here validates a project: it takes one that
`normalize_project` returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import _
from ..core.layers import needs_images, needs_sequences, offered
from ..core.limits import either
from ..core.losses import LOSSES
from ..core.model import LayerStack, build_model
from ..core.streams import stream
from ..data import (
    DATASETS,
    Dataset,
    Normalizer,
    apply_features,
    generate,
    load_csv,
    load_idx,
    load_image_folder,
    load_npz,
    split_indices,
)

#: The losses that give two classes one output unit (the others give one unit a class).
SINGLE_OUTPUT_LOSSES = tuple(n for n in LOSSES.names() if LOSSES.get(n).single_output)


def output_width(project: dict[str, Any], classes: int | None = None) -> int:
    """1 for regression and for two classes with a single-output loss; k otherwise."""
    if project["data"]["problem"] == "regression":
        return 1
    k = classes if classes is not None else project["data"]["classes"]
    if k == 2 and project["training"]["loss"] in SINGLE_OUTPUT_LOSSES:
        return 1
    return k



@dataclass
class PreparedData:
    """A data set after feature maps, split and normalisation, ready for training."""

    dataset: Dataset
    features: list[str]
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    normalizer: Normalizer
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_inputs(self) -> int:
        return self.x_train.shape[1]

    def transform(self, raw_x: np.ndarray) -> np.ndarray:
        """Raw inputs (e.g. a grid of 2-D points) to network inputs: feature maps, then normalisation."""
        feats = self.features if self.dataset.columns == ["x1", "x2"] and self.features != ["x1", "x2"] else None
        return self.normalizer(apply_features(raw_x, feats))

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return {
            "train": (self.x_train, self.y_train),
            "validation": (self.x_val, self.y_val),
            "test": (self.x_test, self.y_test),
        }[name]


def resolve_path(path: str, base_dir: str | Path | None, folder: bool = False) -> Path:
    """A data path from a project file, relative to the project's folder, as a regular file (or a
    folder, for image folders)."""
    p = Path(path).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = Path(base_dir) / p
    if not p.exists():
        message = (_("data folder {path!r} not found (looked at {p})") if folder
                   else _("data file {path!r} not found (looked at {p})"))  # fmt: skip
        raise PlaygroundError(message.format(path=path, p=p))
    if folder and not p.is_dir():
        raise PlaygroundError(_("data folder {path!r} is not a folder (an image folder holds one folder per class)")
                              .format(path=path))
    if not folder and not p.is_file():
        raise PlaygroundError(_("data file {path!r} is not a regular file").format(path=path))
    return p


def load_dataset(project: dict[str, Any], base_dir: str | Path | None = None) -> Dataset:
    """The raw data set a project names: generated from its seed's data stream, or loaded from a file."""
    d = project["data"]
    src = d["source"]
    if isinstance(src, str):
        return generate(src, d["samples"], d["noise"], stream(project["seed"], "data"), d["classes"],
                        d.get("sequence_length"))
    if "points" in src:
        x = np.array(src["points"]["x"], dtype=np.float64).reshape(-1, 2)
        raw = np.array(src["points"]["y"])
        if d["problem"] == "classification":
            if raw.size and (np.any(raw != np.round(raw)) or raw.min() < 0 or raw.max() >= d["classes"]):
                raise PlaygroundError(_("data.source.points.y must hold class labels 0..{classes}").format(
                                          classes=d['classes'] - 1))
            y = raw.astype(np.intp)
        else:
            y = raw.astype(np.float64)
        return Dataset(
            x, y, d["problem"], ["x1", "x2"], d["classes"] if d["problem"] == "classification" else 0, name="points"
        )
    if "csv" in src:
        return load_csv(resolve_path(src["csv"], base_dir), d["problem"], src.get("label", -1))
    if "npz" in src:
        return load_npz(resolve_path(src["npz"], base_dir), d["problem"])
    if "folder" in src:
        return load_image_folder(resolve_path(src["folder"], base_dir, folder=True), src["size"], src["color"],
                                 d["problem"])  # fmt: skip
    idx = src["idx"]
    return load_idx(resolve_path(idx["images"], base_dir), resolve_path(idx["labels"], base_dir), d["problem"])


def prepare_data(
    project: dict[str, Any], dataset: Dataset | None = None, base_dir: str | Path | None = None
) -> PreparedData:
    """Feature maps, seeded stratified split and normalisation fitted on the training rows."""
    d = project["data"]
    ds = dataset if dataset is not None else load_dataset(project, base_dir)
    point_data = ds.columns == ["x1", "x2"]
    features = d["features"] if (point_data and d["features"]) else None
    x = apply_features(ds.x, features)
    train, val, test = split_indices(
        ds.y, ds.problem, d["validation_fraction"], d["test_fraction"], stream(project["seed"], "split"), d["split"]
    )
    dtype = np.dtype(project["network"]["dtype"])
    # One copy per split, normalised in place: at MNIST size every extra copy is 300 MB.
    x_train = x[train]
    norm = Normalizer(d["normalize"]).fit(x_train)

    def rows(idx: np.ndarray, fresh: np.ndarray | None = None) -> np.ndarray:
        part = x[idx] if fresh is None else fresh  # fancy indexing copies
        part = part.astype(dtype, copy=False) if part.dtype.kind == "f" else part.astype(dtype)
        return norm.apply_in_place(part)

    return PreparedData(
        ds,
        list(features) if features else list(ds.columns),
        train,
        val,
        test,
        norm,
        rows(train, x_train),
        ds.y[train],
        rows(val),
        ds.y[val],
        rows(test),
        ds.y[test],
    )


def build_network(
    project: dict[str, Any], n_inputs: int, classes: int | None = None, image_shape: tuple[int, ...] | None = None,
    sequence_shape: tuple[int, int] | None = None,
) -> LayerStack:
    """The model a project describes, initialised from its seed's weights stream: the same layer
    stack for every project, on the images' shape when the data are images (a dense stack then
    starts with Keras's Flatten), on the sequences' (T, F) when the data are sequences and a layer
    takes them (a recurrent layer; a dense stack reads a sequence's T·F values as one row), on
    rows of `n_inputs` features otherwise."""
    n = project["network"]
    if image_shape is not None and int(np.prod(image_shape)) != n_inputs:
        image_shape = None  # feature maps made rows of other widths: the images are gone
    if sequence_shape is not None and int(np.prod(sequence_shape)) != n_inputs:
        sequence_shape = None
    if needs_images(n["layers"]) and image_shape is None:
        raise PlaygroundError(_("network.layers convolution and pooling layers need image data (and data.features "
                                "null)"))
    sequence = needs_sequences(n["layers"])
    if sequence and sequence_shape is None:
        sets = either(n for n in DATASETS.names() if DATASETS.get(n).kind == "sequence")
        kinds = ", ".join(kind.name for kind in offered() if kind.takes == "sequence")
        raise PlaygroundError(_("network.layers recurrent layers ({kinds}) need sequence data: a generated sequence "
                                "set ({sets}) or a file of sequences").format(kinds=kinds, sets=sets))  # fmt: skip
    shape = sequence_shape if sequence else image_shape if image_shape is not None else (n_inputs,)
    return build_model(shape, n["layers"], output_width(project, classes), n["output_activation"],  # type: ignore[arg-type]
                       n["initializer"], n.get("bias_init", 0.0), np.dtype(n["dtype"]),
                       stream(project["seed"], "weights"), sequence=sequence)  # fmt: skip
