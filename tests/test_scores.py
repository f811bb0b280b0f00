"""The loss explorer's numbers: CS231n's cat/car/frog example by its formulas."""

import math

import numpy as np
import pytest

from engine.core.errors import PlaygroundError
from engine.teaching.scores import CS231N_LABELS, CS231N_SCORES, score_losses


def test_cs231n_example():
    r = score_losses(np.array(CS231N_SCORES), np.array(CS231N_LABELS))
    assert [e.svm for e in r.examples] == pytest.approx([2.9, 0.0, 12.9])
    assert r.svm == pytest.approx(15.8 / 3) and round(r.svm, 2) == 5.27
    cat = r.examples[0]
    exps = np.exp([3.2, 5.1, -1.7])
    assert cat.exps == pytest.approx(exps) and cat.probs == pytest.approx(exps / exps.sum())
    assert cat.softmax == pytest.approx(-math.log(exps[0] / exps.sum())) and round(cat.softmax, 2) == 2.04
    assert round(cat.softmax_log10, 2) == 0.89  # the slide's number: log base 10
    assert cat.margins.tolist() == pytest.approx([0.0, 2.9, 0.0])


def test_every_example_matches_the_formulas():
    rng = np.random.default_rng(5)
    s = rng.normal(0, 3, (6, 4))
    y = rng.integers(0, 4, 6)
    r = score_losses(s, y)
    for row, label, e in zip(s, y, r.examples):
        svm = sum(max(0.0, row[j] - row[label] + 1) for j in range(4) if j != label)
        soft = -row[label] + math.log(sum(math.exp(v) for v in row))
        assert e.svm == pytest.approx(svm) and e.margins.sum() == pytest.approx(svm)
        assert e.softmax == pytest.approx(soft)
    assert r.softmax == pytest.approx(np.mean([e.softmax for e in r.examples]))


def test_equal_scores_give_c_minus_one_and_ln_c():
    r = score_losses(np.zeros((2, 5)), np.array([0, 3]))
    assert r.svm == 4 and r.softmax == pytest.approx(math.log(5))


def test_huge_scores_stay_finite():
    r = score_losses(np.array([[1000.0, 990.0]]), np.array([1]))
    e = r.examples[0]
    assert e.shift == 1000 and e.softmax == pytest.approx(10 + math.log1p(math.exp(-10)))
    assert np.all(np.isfinite(e.exps))


@pytest.mark.parametrize("scores, labels, message", [
    ([[1.0, 2.0]], [2], "correct class is 0 to 1"),
    ([[1.0]], [0], "2 to 20 classes"),
    ([[1.0, math.nan]], [0], "finite"),
    ([[1.0, 2.0]], [0.5], "one correct class"),
])
def test_bad_input_is_refused(scores, labels, message):
    with pytest.raises(PlaygroundError, match=message):
        score_losses(np.array(scores), np.array(labels))
