"""Ensembles of continuous score predictions, with every choice made on dev data.

An ensemble here is a weighted mean of its members' continuous predictions (scores on
the score scale: a regression output through ``mu_inv``, a classifier's expected score,
a scikit-learn regressor), turned into integer scores by :class:`OptimizedCutoffs`.
A *procedure* says how the weights are chosen from dev predictions:

* :func:`equal_weights` -- no choice at all, the robust default with few dev essays;
* :func:`tuned_pair_weights` -- the weight of a two-member mixture that maximises dev
  QWK after cutoffs (:func:`choose_ensemble_weight`).

Weights and cutoffs chosen on ~190 dev essays flatter themselves on those essays, so
their dev QWK cannot rank procedures fairly. :func:`nested_dev_qwk` redoes every choice
(weights, then cutoffs) on k-1 folds of the dev set and scores the held-out fold:
an out-of-sample estimate, still without touching the test set.
:func:`out_of_fold_scores` gives the held-out scores themselves, so that two procedures
can be compared essay by essay (a paired bootstrap). :func:`select_procedure` picks the
best of a few candidates by that estimate.

:class:`RubricEnsembleScorer` is the course's strongest CPU essay scorer: the ensemble
of :class:`~course_utils.scorers.EnsembleScorer` with rubric counts and a character
n-gram member (:class:`CharNgramScorer`), its members chosen on dev data (notebook 09).
Taught in notebooks 09 and 13.

>>> import numpy as np
>>> y = np.array([2, 4, 6, 8, 10] * 8)
>>> a, b = y + 1.0, y - 1.0                    # each member off by one point
>>> weights = equal_weights([a, b], y, 0, 12)  # their mean is exact
>>> fit_ensemble(weights, [a, b], y, 0, 12).predict([a, b]).tolist() == y.tolist()
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from course_utils.config import SEED
from course_utils.cutoffs import OptimizedCutoffs
from course_utils.metrics import as_scores, qwk
from course_utils.scorers import EnsembleScorer, RegressionScorer

#: ``procedure(dev_preds, dev_scores, min_score, max_score) -> weights`` (one per member).
Procedure = Callable[[Sequence[np.ndarray], np.ndarray, int, int], np.ndarray]


def _members(preds: Sequence, n: int | None = None) -> np.ndarray:
    """Stack member predictions into an array (members x essays), checking shapes."""
    if len(preds) == 0:
        raise ValueError("an ensemble needs at least one member's predictions.")
    arrays = [np.asarray(p, dtype=float).ravel() for p in preds]
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise ValueError("member predictions must have the same length (one value per essay); "
                         f"got lengths {sorted(lengths)}.")
    if n is not None and lengths != {n}:
        raise ValueError(f"member predictions and scores must have the same length; got {lengths.pop()} "
                         f"predictions per member and {n} scores.")
    stacked = np.vstack(arrays)
    if not np.isfinite(stacked).all():
        raise ValueError("member predictions contain NaN or infinite values.")
    return stacked


#: Coarser cutoff search used inside :func:`choose_ensemble_weight`'s loop over weights.
_FAST_CUTOFFS = {"n_passes": 1, "n_grid": 21}


def _cutoffs(mix: np.ndarray, scores: np.ndarray, min_score: int, max_score: int) -> OptimizedCutoffs:
    return OptimizedCutoffs(min_score, max_score, **_FAST_CUTOFFS).fit(mix, scores)


def choose_ensemble_weight(dev_preds: Sequence[np.ndarray], dev_scores, min_score: int,
                           max_score: int, grid: int = 21, cv: int | None = None, repeats: int = 4,
                           random_state: int = SEED) -> tuple[float, float]:
    """Weight ``w`` of the first of two continuous dev predictions for ``w * a + (1 - w) * b``.

    Each weight on a grid is judged by the QWK of the mixture after
    :class:`OptimizedCutoffs`. With ``cv=None`` (the default) the cutoffs are fitted and
    scored on the whole dev set. With ``cv`` folds, they are fitted on the other folds
    and QWK is measured on the held-out fold's predictions (pooled over folds, averaged
    over ``repeats`` shuffles): an out-of-sample estimate, less flattered by cutoffs that
    overfit ~190 dev essays. Returns ``(w, dev QWK)``.
    """
    y = as_scores(dev_scores, "dev_scores")
    if len(dev_preds) != 2:
        raise ValueError(f"choose_ensemble_weight mixes exactly two members, got {len(dev_preds)}.")
    a, b = _members(dev_preds, len(y))
    if cv is not None and not 2 <= cv <= len(y):
        raise ValueError(f"cv must be None or between 2 and the number of dev essays, got {cv}.")

    def value(w: float) -> float:
        if cv is None:
            return _cutoffs(w * a + (1 - w) * b, y, min_score, max_score).train_qwk_
        return nested_dev_qwk([w, 1 - w], [a, b], y, min_score, max_score, folds=cv, repeats=repeats,
                              random_state=random_state, cutoffs=_FAST_CUTOFFS)

    best = (-np.inf, 0.5)
    for w in np.linspace(0, 1, grid):
        v = value(float(w))
        if v > best[0] + 1e-12:
            best = (v, float(w))
    return best[1], float(best[0])


def equal_weights(dev_preds: Sequence[np.ndarray], dev_scores, min_score: int, max_score: int) -> np.ndarray:
    """The plain average: weight ``1 / n`` for each of ``n`` members (the dev data are not used)."""
    n = len(_members(dev_preds))
    return np.full(n, 1.0 / n)


def tuned_pair_weights(dev_preds: Sequence[np.ndarray], dev_scores, min_score: int,
                       max_score: int) -> np.ndarray:
    """``[w, 1 - w]`` with ``w`` from :func:`choose_ensemble_weight` (in-sample dev QWK)."""
    w, _ = choose_ensemble_weight(dev_preds, dev_scores, min_score, max_score)
    return np.array([w, 1.0 - w])


class FittedEnsemble:
    """Weights and dev-fitted cutoffs; ``predict(member_preds)`` gives integer scores."""

    def __init__(self, weights: np.ndarray, cutoffs: OptimizedCutoffs):
        self.weights = np.asarray(weights, dtype=float)
        self.cutoffs = cutoffs

    def continuous(self, member_preds: Sequence[np.ndarray]) -> np.ndarray:
        members = _members(member_preds)
        if len(members) != len(self.weights):
            raise ValueError(f"this ensemble has {len(self.weights)} members, got {len(members)} predictions.")
        return self.weights @ members

    def predict(self, member_preds: Sequence[np.ndarray]) -> np.ndarray:
        return self.cutoffs.transform(self.continuous(member_preds))


def fit_ensemble(weights_or_procedure: np.ndarray | Sequence[float] | Procedure,
                 dev_preds: Sequence[np.ndarray], dev_scores, min_score: int,
                 max_score: int, cutoffs: dict | None = None) -> FittedEnsemble:
    """Choose weights (given, or by a procedure) and fit cutoffs, all on dev predictions.

    ``cutoffs``: extra :class:`OptimizedCutoffs` settings (``n_passes``, ``n_grid``).
    """
    y = as_scores(dev_scores, "dev_scores")
    members = _members(dev_preds, len(y))
    if callable(weights_or_procedure):
        weights = np.asarray(weights_or_procedure(list(members), y, min_score, max_score), dtype=float)
    else:
        weights = np.asarray(weights_or_procedure, dtype=float)
    if weights.shape != (len(members),) or not np.isclose(weights.sum(), 1.0) or (weights < 0).any():
        raise ValueError(f"need {len(members)} non-negative weights that sum to 1, got {weights.tolist()}.")
    fitted = OptimizedCutoffs(min_score, max_score, **(cutoffs or {})).fit(weights @ members, y)
    return FittedEnsemble(weights, fitted)


def out_of_fold_scores(procedure: Procedure | Sequence[float], dev_preds: Sequence[np.ndarray], dev_scores,
                       min_score: int, max_score: int, folds: int = 5, random_state: int = SEED,
                       cutoffs: dict | None = None) -> np.ndarray:
    """Each dev essay's score from an ensemble whose every choice was made without it.

    The dev set is cut into ``folds`` folds (shuffled with ``random_state``); for each fold
    the procedure chooses weights and :class:`OptimizedCutoffs` are fitted on the other
    folds, and the held-out fold is scored. Two procedures scored this way on the same
    essays can be compared with :func:`course_utils.metrics.paired_bootstrap`.
    """
    from sklearn.model_selection import KFold

    y = as_scores(dev_scores, "dev_scores")
    members = _members(dev_preds, len(y))
    if not 2 <= folds <= len(y):
        raise ValueError(f"folds must be between 2 and the number of dev essays ({len(y)}), got {folds}.")
    held_out = np.empty(len(y), dtype=int)
    for fit_idx, test_idx in KFold(folds, shuffle=True, random_state=random_state).split(y):
        fitted = fit_ensemble(procedure, list(members[:, fit_idx]), y[fit_idx], min_score, max_score, cutoffs)
        held_out[test_idx] = fitted.predict(list(members[:, test_idx]))
    return held_out


def nested_dev_qwk(procedure: Procedure | Sequence[float], dev_preds: Sequence[np.ndarray], dev_scores,
                   min_score: int, max_score: int, folds: int = 5, repeats: int = 4,
                   random_state: int = SEED, cutoffs: dict | None = None) -> float:
    """Out-of-sample QWK of a whole ensemble procedure, estimated on dev data only.

    The QWK of :func:`out_of_fold_scores`, averaged over ``repeats`` shuffles
    (``random_state``, ``random_state + 1``, ...). A single member (``[preds]`` with
    :func:`equal_weights`) gives the fair estimate of "this model + cutoffs" to compare
    with; fixed weights (a list) estimate one mixture. ``cutoffs`` is passed to
    :func:`fit_ensemble`.
    """
    y = as_scores(dev_scores, "dev_scores")
    values = [qwk(y, out_of_fold_scores(procedure, dev_preds, y, min_score, max_score, folds, random_state + r,
                                        cutoffs), min_score, max_score)
              for r in range(repeats)]
    return float(np.mean(values))


def select_procedure(candidates: Mapping[str, tuple[Sequence[int], Procedure]],
                     dev_runs: Sequence[Sequence[np.ndarray]], dev_scores, min_score: int,
                     max_score: int, **nested_kwargs) -> tuple[str, dict[str, list[float]]]:
    """Pick the candidate with the best mean :func:`nested_dev_qwk` over several runs.

    ``candidates`` maps a name to ``(member indices, procedure)``; ``dev_runs`` holds, for
    each run (e.g. each seed), the dev predictions of all available members. Returns the
    winner's name and every candidate's per-run estimates (ties go to the first listed).
    """
    if not candidates:
        raise ValueError("select_procedure needs at least one candidate.")
    table = {name: [nested_dev_qwk(procedure, [run[i] for i in idx], dev_scores, min_score,
                                   max_score, **nested_kwargs) for run in dev_runs]
             for name, (idx, procedure) in candidates.items()}
    best = max(table, key=lambda name: (np.mean(table[name]), -list(table).index(name)))
    return best, table


# --- a stronger CPU essay scorer, its members chosen on dev data ----------------------------
class CharNgramScorer(RegressionScorer):
    """Ridge regression on TF-IDF of character n-grams (2-5 characters inside words), then cutoffs.

    Character n-grams see what word counts miss: misspellings ("becuase"), word
    endings, punctuation next to words. The penalty is chosen by efficient
    leave-one-out CV on the training essays, the cutoffs on out-of-fold predictions
    (as :class:`RegressionScorer`).
    """

    def __init__(self, ngram_range: tuple[int, int] = (2, 5), min_df: int = 3,
                 max_features: int = 200_000, cv: int = 5, random_state: int | None = 42):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.cv = cv
        self.random_state = random_state

    def _build(self):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import RidgeCV

        features = TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(self.ngram_range), sublinear_tf=True,
                                   min_df=self.min_df, max_features=self.max_features)
        return {"features": features, "regressor": RidgeCV(alphas=np.logspace(-2, 3, 16))}


class RubricEnsembleScorer(EnsembleScorer):
    """:class:`EnsembleScorer` with the members that did best on the literature folds' dev parts.

    Ridge on SVD(100) + textstat + rubric counts + MiniLM embeddings, gradient boosting
    on SVD(20) + textstat + rubric counts, and ridge on character n-grams
    (:class:`CharNgramScorer`); the mean of their predictions, then cutoffs fitted on
    the mean of their out-of-fold predictions. Notebook 09 shows the dev comparison
    that chose them. ``fit(texts, scores, target=None)`` as in :class:`EnsembleScorer`.
    """

    def _build(self) -> list:
        if self.members is not None:
            return super()._build()
        return rubric_members(self.random_state)


def rubric_members(random_state: int | None = SEED) -> list:
    """The rubric ensemble's three members, unfitted (a list to extend with members of one's own)."""
    r = random_state
    return [
        RegressionScorer("ridge", svd_dim=100, embeddings=True, rubric=True, random_state=r),
        RegressionScorer("gbm", svd_dim=20, embeddings=False, rubric=True, random_state=r),
        CharNgramScorer(random_state=r),
    ]
