"""The Dataset record shared by generators and loaders, and the train/validation/test split."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import N_, _

#: What a data set's targets are: class labels or numbers.
PROBLEM_KINDS = ("classification", "regression")


@dataclass
class Dataset:
    """Raw data before feature maps and normalisation.

    `x` is (N, d) float; `y` is (N,) integer class labels 0..k−1 for classification or (N,)
    float targets for regression. `image_shape` is set when each row is a flattened image, (H, W)
    or (H, W, C); `sequence_shape` when each row is a flattened sequence, (T, F): T steps of F
    features, step-major (a row is t0_f0, t0_f1, …, t1_f0, …, as x.reshape(N, T, F) lays it out).
    A row is one or the other, never both: a (T, F) sequence is not a (H, W) image.
    """

    x: np.ndarray
    y: np.ndarray
    problem: str
    columns: list[str]
    classes: int = 0
    class_names: list[str] = field(default_factory=list)
    image_shape: tuple[int, ...] | None = None
    name: str = ""
    #: How a file was read, for the user (a detected header, a dropped pandas index column...).
    notes: list[str] = field(default_factory=list)
    #: The header's name of the label column (tables with a header), so a user can pick another.
    label_column: str = ""
    #: Where each row came from (an image folder's files, relative to it), for the sample tooltips.
    sample_names: list[str] = field(default_factory=list)
    #: (T, F) when each row is a sequence of T steps of F features (see the class's docstring).
    sequence_shape: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.problem not in PROBLEM_KINDS:
            raise PlaygroundError(_("problem must be {problem_kinds}, got {problem!r}").format(
                                      problem_kinds=' or '.join(PROBLEM_KINDS), problem=self.problem))
        if self.x.ndim != 2:
            raise PlaygroundError(_("data must be a table of shape (samples, inputs), got {shape}").format(
                                      shape=self.x.shape))
        if self.y.shape != (self.x.shape[0],):
            raise PlaygroundError(_("{shape} samples but {shape2} labels").format(
                                      shape=self.x.shape[0], shape2=self.y.shape[0] if self.y.ndim else 0))
        if self.x.shape[0] == 0:
            raise PlaygroundError(_("the data set is empty"))
        if self.sequence_shape is not None:
            steps, features = self.sequence_shape = (int(self.sequence_shape[0]), int(self.sequence_shape[1]))
            if self.image_shape is not None:
                raise PlaygroundError(_("a data set holds images or sequences, not both"))
            if steps < 1 or features < 1 or steps * features != self.x.shape[1]:
                raise PlaygroundError(_("{steps} steps of {features} features do not make rows of {shape}").format(
                                          steps=steps, features=features, shape=self.x.shape[1]))
        if not np.all(np.isfinite(self.x)):
            raise PlaygroundError(_("the inputs contain NaN or infinite values"))
        if self.problem == "classification":
            if self.classes == 0:
                self.classes = int(self.y.max()) + 1 if self.y.size else 0
            if not self.class_names:
                self.class_names = [str(i) for i in range(self.classes)]
        elif not np.all(np.isfinite(self.y)):
            raise PlaygroundError(_("the targets contain NaN or infinite values"))

    @property
    def n(self) -> int:
        return int(self.x.shape[0])


#: How rows are split (data.split): what each kind does.
SPLITS = {
    "stratified": N_("each class split in the same proportions; every split keeps the data's order"),
    "shuffled": N_("TensorFlow Playground's: the rows shuffled once, the first ones train (then validation, then "
                   "test), in that shuffled order, so training without reshuffling walks one fixed random order"),
}


def split_indices(
    y: np.ndarray,
    problem: str,
    validation: float,
    test: float,
    seed: int | np.random.Generator | np.random.SeedSequence,
    kind: str = "stratified",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices for train, validation and test (see SPLITS for `kind`).

    stratified: each class split in the same proportions, each split in ascending (original)
    order. shuffled: TensorFlow Playground's split (playground.ts generateData): one shuffle of
    every row, then floor(N · train fraction) rows train, in the shuffled order. The same seed
    gives the same split.
    """
    if validation < 0 or test < 0 or validation + test >= 1:
        raise PlaygroundError(_("validation and test fractions must be >= 0 and sum to < 1, got {validation} and "
                                "{test}").format(validation=validation, test=test))
    if kind not in SPLITS:
        raise PlaygroundError(_("the split must be one of {splits}, got {kind!r}").format(
                                  splits=', '.join(SPLITS), kind=kind))
    rng = np.random.default_rng(seed)
    n = y.shape[0]
    if kind == "shuffled":
        rows = rng.permutation(n).astype(np.intp)
        # round() first: 500 × (1 − 0.9) is 49.999999999999986, where TFP's 500 × 10 / 100 is 50.
        n_train = math.floor(round(n * (1 - validation - test), 9))
        n_val = min(round(validation * n), n - n_train)
        if n_train == 0:
            raise PlaygroundError(_("the split leaves no training samples"))
        return rows[:n_train], rows[n_train : n_train + n_val], rows[n_train + n_val :]
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if problem == "classification" else [np.arange(n)]
    parts: list[list[np.ndarray]] = [[], [], []]
    for rows in groups:
        rows = rng.permutation(rows)
        n_test = round(test * rows.size)
        n_val = round(validation * rows.size)
        parts[2].append(rows[:n_test])
        parts[1].append(rows[n_test : n_test + n_val])
        parts[0].append(rows[n_test + n_val :])
    train, val, tst = (np.sort(np.concatenate(p)).astype(np.intp) for p in parts)
    if train.size == 0:
        raise PlaygroundError(_("the split leaves no training samples"))
    return train, val, tst
