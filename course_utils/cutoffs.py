"""Scoring as regression: map scores to [0, 1], predict, and map back with cutoffs.
Taught in notebooks 09 and 13.

``mu`` puts each score point at the midpoint of its own slice of [0, 1], so that
a sigmoid output can reach every score; ``mu_inv`` maps a number in [0, 1] back to
the score whose slice contains it. :class:`OptimizedCutoffs` learns better
thresholds than rounding, maximising QWK on data that is *not* the test set.

For scores 0-12 there are 13 slices of width 1/13: ``mu(0) = 0.5/13``,
``mu(12) = 12.5/13``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from course_utils.checks import check_score_range
from course_utils.metrics import as_scores, qwk_closed_form


def _check_range(lo: int, hi: int) -> None:
    if int(lo) != lo or int(hi) != hi or lo >= hi:
        raise ValueError(f"Need integer lo < hi for the score range, got lo={lo}, hi={hi}.")


def mu(n, lo: int, hi: int) -> np.ndarray:
    """Map integer scores ``n`` in ``lo..hi`` to the midpoints of equal slices of [0, 1]."""
    _check_range(lo, hi)
    n = np.asarray(n, dtype=float)
    check_score_range(n, lo, hi)
    return (n - lo + 0.5) / (hi - lo + 1)


def mu_inv(x, lo: int, hi: int) -> np.ndarray:
    """Map numbers in [0, 1] back to integer scores ``lo..hi`` (values outside are clipped)."""
    _check_range(lo, hi)
    x = np.asarray(x, dtype=float)
    if np.isnan(x).any():
        raise ValueError("mu_inv got NaN predictions.")
    k = np.floor(np.clip(x, 0.0, 1.0) * (hi - lo + 1))
    return (np.clip(k, 0, hi - lo) + lo).astype(int)


class OptimizedCutoffs(BaseEstimator, TransformerMixin):
    """Thresholds on continuous predictions chosen to maximise QWK.

    ``fit(predictions, scores)`` starts from the midpoints between score points (plain
    rounding) and moves one threshold at a time to the value that maximises QWK on the
    given data -- which must be dev or cross-validation predictions, never the test
    set. ``transform(predictions)`` returns integer scores.

    Parameters
    ----------
    min_score, max_score : the score range; ``None`` takes it from ``fit``'s scores.
    n_passes : coordinate-ascent passes over the thresholds.
    n_grid : candidate positions tried for each threshold.
    """

    def __init__(
        self,
        min_score: int | None = None,
        max_score: int | None = None,
        n_passes: int = 3,
        n_grid: int = 41,
    ):
        self.min_score = min_score
        self.max_score = max_score
        self.n_passes = n_passes
        self.n_grid = n_grid

    def fit(self, predictions, scores) -> OptimizedCutoffs:
        x = np.asarray(predictions, dtype=float)
        y = as_scores(scores, "scores")
        if x.shape != y.shape:
            raise ValueError(f"predictions and scores differ in length ({len(x)} vs {len(y)}).")
        if np.isnan(x).any():
            raise ValueError("predictions contain NaN.")
        lo = int(y.min()) if self.min_score is None else int(self.min_score)
        hi = int(y.max()) if self.max_score is None else int(self.max_score)
        _check_range(lo, hi)
        self.min_score_, self.max_score_ = lo, hi
        cuts = np.arange(lo, hi) + 0.5  # rounding
        best = qwk_closed_form(y, self._apply(x, cuts))
        for _ in range(self.n_passes):
            for i in range(len(cuts)):
                left = cuts[i - 1] if i > 0 else lo - 0.5
                right = cuts[i + 1] if i + 1 < len(cuts) else hi + 0.5
                for c in np.linspace(left, right, self.n_grid)[1:-1]:
                    trial = cuts.copy()
                    trial[i] = c
                    value = qwk_closed_form(y, self._apply(x, trial))
                    if value > best + 1e-12:
                        best, cuts = value, trial
        self.cutoffs_ = cuts
        self.train_qwk_ = best
        return self

    def _apply(self, x: np.ndarray, cuts: np.ndarray) -> np.ndarray:
        return (np.searchsorted(cuts, x, side="right") + self.min_score_).astype(int)

    def transform(self, predictions) -> np.ndarray:
        if not hasattr(self, "cutoffs_"):
            raise RuntimeError("OptimizedCutoffs is not fitted yet: call fit() on dev predictions.")
        x = np.asarray(predictions, dtype=float)
        if np.isnan(x).any():
            raise ValueError("predictions contain NaN.")
        return self._apply(x, self.cutoffs_)

    def predict(self, predictions) -> np.ndarray:
        """Alias of :meth:`transform`."""
        return self.transform(predictions)


class WithCutoffs:
    """A scorer's continuous output read through cutoffs fitted on dev essays.

    Gives a baseline the same help as a model read through cutoffs, so that the two can
    be compared fairly. ``scorer`` is fitted already and has ``predict_continuous(texts)``
    (e.g. :class:`course_utils.baselines.LengthLine`); ``fit(texts, scores)`` fits
    :class:`OptimizedCutoffs` on its output for those (dev) essays; ``predict(texts)``
    returns integer scores.
    """

    def __init__(self, scorer, min_score: int, max_score: int):
        self.scorer, self.min_score, self.max_score = scorer, min_score, max_score

    def fit(self, texts, scores) -> WithCutoffs:
        x = self.scorer.predict_continuous(texts)
        self.cutoffs_ = OptimizedCutoffs(self.min_score, self.max_score).fit(x, scores)
        self.n_train_ = getattr(self.scorer, "n_train_", None)  # what the scorer itself was fitted on
        return self

    def predict(self, texts) -> np.ndarray:
        if not hasattr(self, "cutoffs_"):
            raise RuntimeError("WithCutoffs is not fitted yet: call fit() on dev essays and their scores.")
        return self.cutoffs_.predict(self.scorer.predict_continuous(texts))
