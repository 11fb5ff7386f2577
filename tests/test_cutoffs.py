"""Tests for course_utils.cutoffs: mu / mu_inv and OptimizedCutoffs on any score range."""

import numpy as np
import pytest

from course_utils.cutoffs import OptimizedCutoffs, mu, mu_inv
from course_utils.metrics import qwk


@pytest.mark.parametrize("lo,hi", [(0, 12), (5, 30), (-3, 3), (1, 2)])
def test_round_trip(lo, hi):
    scores = np.arange(lo, hi + 1)
    x = mu(scores, lo, hi)
    assert np.all((x > 0) & (x < 1))
    assert np.all(np.diff(x) > 0)
    np.testing.assert_array_equal(mu_inv(x, lo, hi), scores)
    # the midpoint of each slice: mu(lo) = 0.5 / n_points
    assert x[0] == pytest.approx(0.5 / (hi - lo + 1))


def test_mu_inv_clips_and_vectorises():
    np.testing.assert_array_equal(mu_inv([-0.2, 0.0, 0.999, 1.0, 1.7], 0, 12), [0, 0, 12, 12, 12])
    assert mu_inv(0.5, 5, 30) == 18  # 26 slices; floor(0.5 * 26) = 13 -> 5 + 13


def _biased(seed, lo, hi, n=600):
    rng = np.random.default_rng(seed)
    y = rng.integers(lo, hi + 1, n)
    # a regressor that shrinks towards the middle and is shifted: rounding is poor
    pred = lo + 0.6 * (y - lo) + 0.15 * (hi - lo) + rng.normal(0, 0.6, n)
    return pred, y


@pytest.mark.parametrize("lo,hi", [(0, 12), (5, 30)])
def test_cutoffs_improve_held_out_qwk(lo, hi):
    dev_pred, dev_y = _biased(0, lo, hi)
    new_pred, new_y = _biased(1, lo, hi)
    cut = OptimizedCutoffs(lo, hi).fit(dev_pred, dev_y)
    rounded = np.clip(np.rint(new_pred), lo, hi).astype(int)
    improved = cut.transform(new_pred)
    assert improved.min() >= lo and improved.max() <= hi
    assert len(cut.cutoffs_) == hi - lo
    assert np.all(np.diff(cut.cutoffs_) >= 0)
    assert qwk(new_y, improved, lo, hi) > qwk(new_y, rounded, lo, hi) + 0.02


def test_cutoffs_range_from_data_and_predict_alias():
    pred, y = _biased(2, 5, 30)
    cut = OptimizedCutoffs().fit(pred, y)
    assert (cut.min_score_, cut.max_score_) == (int(y.min()), int(y.max()))
    np.testing.assert_array_equal(cut.predict(pred), cut.transform(pred))


def test_errors():
    with pytest.raises(ValueError):
        mu([0, 13], 0, 12)
    with pytest.raises(ValueError):
        mu([1], 3, 3)
    with pytest.raises(ValueError):
        mu_inv([np.nan], 0, 12)
    with pytest.raises(ValueError):
        OptimizedCutoffs().fit([0.1, 0.2], [0])
    with pytest.raises(ValueError):
        OptimizedCutoffs().fit([0.1, np.nan], [0, 1])
    with pytest.raises(ValueError):
        OptimizedCutoffs().fit([0.1, 0.2], [0, 1.5])
    with pytest.raises(RuntimeError):
        OptimizedCutoffs().transform([0.3])


def test_with_cutoffs_reads_a_baseline_through_cutoffs_fitted_on_dev():
    from course_utils.baselines import LengthLine
    from course_utils.cutoffs import OptimizedCutoffs, WithCutoffs

    rng = np.random.default_rng(3)
    words = rng.integers(20, 400, 120)
    texts = ["word " * n for n in words]
    scores = np.clip(np.round(words / 40 + rng.normal(0, 1, len(words))), 0, 12).astype(int)
    line = LengthLine(0, 12).fit(texts[:80], scores[:80])
    raw = line.predict_continuous(texts[80:])
    assert np.allclose(raw, line.slope_ * words[80:] + line.intercept_)
    assert np.array_equal(line.predict(texts[80:]), np.clip(np.round(raw), 0, 12).astype(int))
    read = WithCutoffs(line, 0, 12).fit(texts[80:100], scores[80:100])  # "dev"
    by_hand = OptimizedCutoffs(0, 12).fit(line.predict_continuous(texts[80:100]), scores[80:100])
    assert np.array_equal(read.predict(texts[100:]), by_hand.predict(line.predict_continuous(texts[100:])))
    assert read.n_train_ == 80  # what the line was fitted on; dev only placed the cutoffs
    with pytest.raises(RuntimeError, match="not fitted"):
        WithCutoffs(line, 0, 12).predict(texts[:3])
    with pytest.raises(RuntimeError, match="not fitted"):
        LengthLine().predict_continuous(texts[:3])
