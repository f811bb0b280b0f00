"""Input feature maps for 2-D data (TensorFlow Playground's), and normalisation."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import N_, _
from ..core.numbers import number
from ..core.registry import Registry

FeatureMap = Callable[[np.ndarray, np.ndarray], np.ndarray]
FEATURES: Registry[FeatureMap] = Registry(N_("input feature"))
# The words are TensorFlow Playground's: X₁, X₁², X₁X₂ (the network graph writes them so).
FEATURES.register("x1", "X₁")(lambda a, b: a)
FEATURES.register("x2", "X₂")(lambda a, b: b)
FEATURES.register("x1^2", "X₁²")(lambda a, b: a * a)
FEATURES.register("x2^2", "X₂²")(lambda a, b: b * b)
FEATURES.register("x1*x2", "X₁·X₂")(lambda a, b: a * b)
FEATURES.register("sin(x1)", "sin(X₁)")(lambda a, b: np.sin(a))
FEATURES.register("sin(x2)", "sin(X₂)")(lambda a, b: np.sin(b))

NORMALIZATIONS = ("none", "standardize", "unit")
#: Each normalisation in the app's words (the identifiers stay in files).
NORMALIZATION_WORDS = {"none": N_("None (raw)"), "standardize": N_("Standardize"), "unit": N_("Divide by max |x|")}


#: How many times wider one column's spread may be than another's before standardising is suggested.
SCALE_RATIO = 20.0


#: The normalisations that leave the columns' sizes apart ("unit" divides all by one number).
UNEVEN = ("none", "unit")


def scale_advice(x: np.ndarray, columns: Sequence[str]) -> str | None:
    """Words suggesting standardisation when the columns' spreads (standard deviations) differ by
    more than SCALE_RATIO× (the wine data's proline runs to 1,680, its hue stays near 1): unscaled,
    the widest column dominates the first layer's sums z = Σ wᵢxᵢ and its weight's gradient
    ∂J/∂wᵢ ∝ xᵢ, so one learning rate is too large for it and too small for the others. None when
    the columns are alike (or fewer than two vary)."""
    if x.ndim != 2 or x.shape[1] < 2 or x.shape[0] < 2:
        return None
    with np.errstate(over="ignore", invalid="ignore"):  # columns near 1e300 square to inf: still "widest"
        std = np.nan_to_num(x.std(axis=0), nan=np.inf)
    varying = np.flatnonzero(std > 0)
    if varying.size < 2:
        return None
    big = int(varying[np.argmax(std[varying])])
    small = int(varying[np.argmin(std[varying])])
    if std[big] <= SCALE_RATIO * std[small]:
        return None
    name = lambda j: columns[j] if j < len(columns) else _("column {number}").format(number=j + 1)  # noqa: E731
    return _(
        "the input columns differ widely in size: '{wide}' runs from {wide_min} to {wide_max} while '{narrow}' "
        "stays within {narrow_min} to {narrow_max}. Unscaled, the large column dominates the first layer's sums "
        "and their gradients, and no one learning rate suits every column: choose Standardize (normalisation), "
        "which makes each column (x − mean)/std, so each counts alike."
    ).format(wide=name(big), wide_min=number(x[:, big].min(), grouped=True),
             wide_max=number(x[:, big].max(), grouped=True), narrow=name(small),
             narrow_min=number(x[:, small].min(), 3, grouped=True),
             narrow_max=number(x[:, small].max(), 3, grouped=True))  # fmt: skip


def apply_features(x: np.ndarray, names: Sequence[str] | None) -> np.ndarray:
    """Columns named in `names`, computed from 2-D points; None keeps the raw columns."""
    if names is None:
        return x
    if x.shape[1] != 2:
        raise PlaygroundError(_("feature maps need 2-D points (x1, x2); these data have {shape} columns").format(
                                  shape=x.shape[1]))
    if not names:
        raise PlaygroundError(_("select at least one input feature"))
    a, b = x[:, 0], x[:, 1]
    return np.column_stack([FEATURES.get(n)(a, b) for n in names])


class Normalizer:
    """Per-feature standardisation or division by the maximum, fitted on the training rows only
    (so no information leaks from the validation and test splits)."""

    def __init__(self, kind: str = "none") -> None:
        if kind not in NORMALIZATIONS:
            raise PlaygroundError(_("normalize must be one of {normalizations}, got {kind!r}").format(
                                      normalizations=', '.join(NORMALIZATIONS), kind=kind))
        self.kind = kind
        self.shift: np.ndarray | float = 0.0
        self.scale: np.ndarray | float = 1.0

    def fit(self, x_train: np.ndarray) -> Normalizer:
        if self.kind == "standardize":
            self.shift = x_train.mean(axis=0)
            std = x_train.std(axis=0)
            self.scale = np.where(std > 0, std, 1.0)
        elif self.kind == "unit":
            # max |x| without an |x| temporary (an MNIST training split is 300 MB of float64)
            top = max(float(x_train.max()), -float(x_train.min())) if x_train.size else 0.0
            self.scale = top if top > 0 else 1.0
        return self

    def apply_in_place(self, x: np.ndarray) -> np.ndarray:
        """The same as calling it, writing into `x` (a float array the caller owns): no copy."""
        if self.kind == "standardize":
            x -= self.shift
        if self.kind != "none":
            x /= self.scale
        return x

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "none":
            return x
        if self.kind == "unit":
            return x / self.scale  # one pass: there is no shift
        return (x - self.shift) / self.scale
