"""Class scores to losses, term by term: CS231n's multiclass SVM and softmax losses on a few
examples, with every intermediate number a learner checks by hand.

The per-example losses come from the registered losses the trainer minimises
(`multiclass_hinge`, `categorical_crossentropy`), so the explorer shows exactly what training
does; the terms beside them (each class's margin, e^s, the probabilities) are the steps between.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.activations import get_activation
from ..core.errors import PlaygroundError
from ..core.i18n import N_, _
from ..core.losses import get_loss

#: CS231n lecture 3's example: three images scored for cat, car and frog (one row per image).
CS231N_CLASSES = (N_("cat"), N_("car"), N_("frog"))  # the app shows them in the user's language
CS231N_SCORES = ((3.2, 5.1, -1.7), (1.3, 4.9, 2.0), (2.2, 2.5, -3.1))
CS231N_LABELS = (0, 1, 2)
MARGIN = 1.0  # Δ of the multiclass SVM loss, as the registered multiclass_hinge uses
EXP_LIMIT = 700.0  # e^s is shown as it is up to here (e^710 overflows a float)
MAX_CLASSES = 20
MAX_EXAMPLES = 20


@dataclass(frozen=True)
class ExampleLosses:
    """One example's scores s, its correct class y and both losses with their steps."""

    scores: np.ndarray  # (k,)
    label: int
    margins: np.ndarray  # (k,) max(0, s_j − s_y + Δ); 0 at j = y, which the sum leaves out
    svm: float  # Σ_{j≠y} margins_j
    exps: np.ndarray  # (k,) e^(s_j − shift): the unnormalised probabilities
    shift: float  # 0, or max s where e^s would overflow (a shift cancels in the probabilities)
    probs: np.ndarray  # (k,) softmax(s)
    softmax: float  # −ln p_y

    @property
    def softmax_log10(self) -> float:
        """−log₁₀ p_y: what CS231n's slide printed (0.89 for the cat), a factor ln 10 below the loss."""
        return self.softmax / math.log(10.0)


@dataclass(frozen=True)
class ScoreLosses:
    examples: list[ExampleLosses]

    @property
    def svm(self) -> float:
        """The data loss L = (1/N) Σ_i L_i of the SVM."""
        return float(np.mean([e.svm for e in self.examples]))

    @property
    def softmax(self) -> float:
        return float(np.mean([e.softmax for e in self.examples]))


def check_scores(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The scores as an (N, k) float array and the labels as N class indices, or why not."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels)
    if s.ndim != 2 or not 1 <= s.shape[0] <= MAX_EXAMPLES or not 2 <= s.shape[1] <= MAX_CLASSES:
        raise PlaygroundError(
            _("scores are 1 to {max_examples} examples of 2 to {max_classes} classes each, got shape {shape}").format(
                max_examples=MAX_EXAMPLES, max_classes=MAX_CLASSES, shape=s.shape)
        )
    if not np.all(np.isfinite(s)):
        raise PlaygroundError(_("every score must be a finite number"))
    if y.shape != (s.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise PlaygroundError(_("give one correct class (an index) per example, got {y!r}").format(y=y))
    if y.min() < 0 or y.max() >= s.shape[1]:
        raise PlaygroundError(_("a correct class is 0 to {shape}, got {tolist}").format(
                                  shape=s.shape[1] - 1, tolist=y.tolist()))
    return s, y.astype(np.intp)


def score_losses(scores: np.ndarray, labels: np.ndarray) -> ScoreLosses:
    """Both losses of every example (rows of `scores`, correct classes `labels`)."""
    s, y = check_scores(scores, labels)
    linear, softmax = get_activation("linear"), get_activation("softmax")
    svm = get_loss("multiclass_hinge").per_sample(s, s, y, linear)
    ce = get_loss("categorical_crossentropy").per_sample(s, softmax.forward(s), y, softmax)
    out = []
    for i in range(s.shape[0]):
        row, label = s[i], int(y[i])
        margins = np.maximum(0.0, row - row[label] + MARGIN)
        margins[label] = 0.0
        shift = 0.0 if row.max() <= EXP_LIMIT else float(row.max())
        exps = np.exp(row - shift)
        out.append(ExampleLosses(row, label, margins, float(svm[i]), exps, shift, exps / exps.sum(), float(ce[i])))
    return ScoreLosses(out)
