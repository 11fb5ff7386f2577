"""Tests for course_utils.ensembles: procedures are judged on dev data only."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from course_utils import ensembles
from course_utils.metrics import qwk


def _members(n: int = 200, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 13, n)
    good = y + rng.normal(0, 1.0, n)
    other_good = y + rng.normal(0, 1.0, n)  # independent errors: averaging helps
    noise = rng.uniform(0, 12, n)
    return y, good, other_good, noise


def test_module_doctest():
    assert doctest.testmod(ensembles).failed == 0


def test_equal_weights():
    y, a, b, c = _members()
    assert np.allclose(ensembles.equal_weights([a, b, c], y, 0, 12), [1 / 3] * 3)


def test_tuned_pair_weights_sum_to_one_and_favour_the_informative_member():
    y, good, _, noise = _members()
    w = ensembles.tuned_pair_weights([good, noise], y, 0, 12)
    assert np.isclose(w.sum(), 1) and w[0] >= 0.8


def test_fit_ensemble_predicts_integer_scores_in_range():
    y, a, b, _ = _members()
    fitted = ensembles.fit_ensemble(ensembles.equal_weights, [a, b], y, 0, 12)
    pred = fitted.predict([a, b])
    assert pred.dtype.kind == "i" and pred.min() >= 0 and pred.max() <= 12
    assert np.allclose(fitted.continuous([a, b]), (a + b) / 2)


def test_fit_ensemble_rejects_bad_input():
    y, a, b, _ = _members()
    with pytest.raises(ValueError, match="sum to 1"):
        ensembles.fit_ensemble([0.7, 0.7], [a, b], y, 0, 12)
    with pytest.raises(ValueError, match="non-negative weights"):
        ensembles.fit_ensemble([1.0], [a, b], y, 0, 12)
    with pytest.raises(ValueError, match="same length"):
        ensembles.fit_ensemble([0.5, 0.5], [a, b[:-1]], y, 0, 12)
    with pytest.raises(ValueError, match="same length"):
        ensembles.fit_ensemble([0.5, 0.5], [a[:-1], b[:-1]], y, 0, 12)
    with pytest.raises(ValueError, match="NaN"):
        ensembles.fit_ensemble([0.5, 0.5], [np.full_like(a, np.nan), b], y, 0, 12)
    with pytest.raises(ValueError, match="at least one"):
        ensembles.fit_ensemble([], [], y, 0, 12)
    fitted = ensembles.fit_ensemble([0.5, 0.5], [a, b], y, 0, 12)
    with pytest.raises(ValueError, match="2 members"):
        fitted.predict([a])


def test_choose_ensemble_weight_needs_two_members():
    y, a, b, c = _members()
    with pytest.raises(ValueError, match="exactly two"):
        ensembles.choose_ensemble_weight([a, b, c], y, 0, 12)


def test_nested_dev_qwk_is_out_of_sample():
    # with few essays, cutoffs fitted and scored on the same essays flatter themselves
    rng = np.random.default_rng(0)
    y_small = rng.integers(0, 13, 40)
    weak = y_small + rng.normal(0, 4, 40)
    in_sample = ensembles.fit_ensemble(ensembles.equal_weights, [weak], y_small, 0, 12).cutoffs.train_qwk_
    assert ensembles.nested_dev_qwk(ensembles.equal_weights, [weak], y_small, 0, 12) < in_sample - 0.03
    y, good, other_good, noise = _members()
    # averaging two members with independent errors beats either one
    pair = ensembles.nested_dev_qwk(ensembles.equal_weights, [good, other_good], y, 0, 12)
    assert pair > ensembles.nested_dev_qwk(ensembles.equal_weights, [good], y, 0, 12)
    assert pair > ensembles.nested_dev_qwk(ensembles.equal_weights, [other_good], y, 0, 12)


def test_nested_dev_qwk_rejects_bad_folds():
    y, a, _, _ = _members(10)
    with pytest.raises(ValueError, match="folds must be"):
        ensembles.nested_dev_qwk(ensembles.equal_weights, [a], y, 0, 12, folds=11)


def test_select_procedure_picks_the_best_candidate():
    y, good, other_good, noise = _members()
    runs = [[good, other_good, noise]]
    candidates = {"noise alone": ((2,), ensembles.equal_weights), "good pair": ((0, 1), ensembles.equal_weights),
                  "good + noise": ((0, 2), ensembles.equal_weights)}
    best, table = ensembles.select_procedure(candidates, runs, y, 0, 12)
    assert best == "good pair" and set(table) == set(candidates)
    assert all(len(v) == 1 for v in table.values())
    # ties go to the first candidate listed
    best, _ = ensembles.select_procedure({"b": ((0,), ensembles.equal_weights), "a": ((0,), ensembles.equal_weights)}, runs, y, 0, 12)
    assert best == "b"
    with pytest.raises(ValueError, match="at least one candidate"):
        ensembles.select_procedure({}, runs, y, 0, 12)


def test_out_of_fold_scores_come_from_cutoffs_fitted_without_the_essay():
    from sklearn.model_selection import KFold

    from course_utils.cutoffs import OptimizedCutoffs

    y, good, _, _ = _members()
    scores = ensembles.out_of_fold_scores(ensembles.equal_weights, [good], y, 0, 12, folds=4, random_state=7)
    expected = np.empty(len(y), dtype=int)
    for fit_idx, held in KFold(4, shuffle=True, random_state=7).split(y):  # by hand, fold by fold
        expected[held] = OptimizedCutoffs(0, 12).fit(good[fit_idx], y[fit_idx]).transform(good[held])
    assert scores.tolist() == expected.tolist()
    by_repeat = [qwk(y, ensembles.out_of_fold_scores(ensembles.equal_weights, [good], y, 0, 12,
                                                                       random_state=42 + r), 0, 12) for r in range(4)]
    assert ensembles.nested_dev_qwk(ensembles.equal_weights, [good], y, 0, 12) == pytest.approx(np.mean(by_repeat))
