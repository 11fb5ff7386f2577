"""Essay scorers as scikit-learn estimators: from word counts to embeddings.

Every scorer learns from ``fit(texts, scores)`` and returns integer scores inside the
training range from ``predict(texts)``; any integer score range works (0-12, 5-30, ...).
Taught in notebooks 04-09::

    from course_utils.scorers import TfidfScorer
    scorer = TfidfScorer().fit(train.essay, train.rater1_domain1)
    predicted = scorer.predict(test.essay)          # integer scores
    scorer.score(dev.essay, dev.rater1_domain1)     # QWK, scikit-learn's score(X, y)

The classifiers of the original workshop:

* :class:`TfidfScorer` -- TF-IDF + logistic regression (class_weight balanced)
* :class:`SvdScorer` -- TF-IDF -> truncated SVD -> logistic regression
* :class:`FeatureScorer` -- the nine textstat features -> random forest
* :class:`CombinedScorer` -- SVD + textstat features -> random forest
* :class:`EmbeddingScorer` -- sentence embeddings -> logistic regression

And going beyond it (scoring as regression, see :mod:`course_utils.cutoffs`):

* :class:`RegressionScorer` -- features + SVD + embeddings -> a regressor, mapped to
  scores with :class:`~course_utils.cutoffs.OptimizedCutoffs` fitted on
  out-of-fold predictions of the training set (never the test set)
* :class:`EnsembleScorer` -- the mean of several regressors' predictions, then cutoffs

What all scorers share (input checks, feature transformers, :class:`BaseScorer`) is in
:mod:`course_utils.scorer_base`; the regression scorers in
:mod:`course_utils.regression_scorers`. Every name is importable from here.
"""

from __future__ import annotations

import numpy as np
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline

from course_utils.regression_scorers import (  # noqa: F401  (scorers.<name>, as notebook 09 calls them)
    EnsembleScorer,
    RegressionScorer,
    out_of_fold,
    regression_features,
)
from course_utils.scorer_base import (
    BaseScorer,
    EmbeddingTransformer,
    TextstatTransformer,
    tfidf_vectorizer,
)


def _svd_branch(dim: int, random_state: int | None):
    from sklearn.decomposition import TruncatedSVD

    return make_pipeline(tfidf_vectorizer(), TruncatedSVD(n_components=dim, random_state=random_state))


def _lr(random_state: int | None, C: float = 1.0):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(class_weight="balanced", max_iter=2000, C=C, random_state=random_state)


def _rf(n_estimators: int, random_state: int | None):
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=n_estimators, random_state=random_state, n_jobs=1)


# --- the original workshop's classifiers ----------------------------------------------
class TfidfScorer(BaseScorer):
    """TF-IDF word weights + logistic regression (class_weight balanced)."""

    def __init__(self, C: float = 1.0, random_state: int | None = 42):
        self.C = C
        self.random_state = random_state

    def _build(self):
        return make_pipeline(tfidf_vectorizer(), _lr(self.random_state, self.C))


class SvdScorer(BaseScorer):
    """TF-IDF -> truncated SVD with ``dim`` components -> logistic regression."""

    def __init__(self, dim: int = 300, C: float = 1.0, random_state: int | None = 42):
        self.dim = dim
        self.C = C
        self.random_state = random_state

    def _build(self):
        if int(self.dim) < 1:
            raise ValueError(f"dim must be a positive integer, got {self.dim}.")
        return make_pipeline(_svd_branch(int(self.dim), self.random_state), _lr(self.random_state, self.C))

    def _fit_model(self, texts, y) -> None:
        try:
            self.model_.fit(texts, y)
        except ValueError as exc:
            if "n_components" in str(exc):
                raise ValueError(
                    f"dim={self.dim} is too large for {len(texts)} essays and their vocabulary; "
                    "lower dim."
                ) from exc
            raise


class FeatureScorer(BaseScorer):
    """The nine textstat features -> random forest."""

    def __init__(self, n_estimators: int = 100, random_state: int | None = 42):
        self.n_estimators = n_estimators
        self.random_state = random_state

    def _build(self):
        return make_pipeline(TextstatTransformer(), _rf(self.n_estimators, self.random_state))

    @property
    def feature_importances_(self) -> np.ndarray:
        """The random forest's importances, in the order of ``features.FEATURE_NAMES``."""
        self._check_fitted()
        return self.model_[-1].feature_importances_


class CombinedScorer(BaseScorer):
    """``dim`` SVD components of TF-IDF + the nine textstat features -> random forest."""

    def __init__(self, dim: int = 10, n_estimators: int = 100, random_state: int | None = 42):
        self.dim = dim
        self.n_estimators = n_estimators
        self.random_state = random_state

    def _build(self):
        union = FeatureUnion(
            [("svd", _svd_branch(int(self.dim), self.random_state)), ("textstat", TextstatTransformer())]
        )
        return Pipeline([("features", union), ("rf", _rf(self.n_estimators, self.random_state))])

    def feature_names(self) -> list[str]:
        """Names of the model's input columns (SVD components, then textstat features)."""
        from course_utils.features import FEATURE_NAMES

        return [f"svd_{i}" for i in range(int(self.dim))] + list(FEATURE_NAMES)


class EmbeddingScorer(BaseScorer):
    """Sentence embeddings (cached) -> logistic regression (class_weight balanced)."""

    def __init__(
        self, model_id: str = "all-MiniLM-L6-v2", C: float = 1.0, random_state: int | None = 42
    ):
        self.model_id = model_id
        self.C = C
        self.random_state = random_state

    def _build(self):
        return make_pipeline(EmbeddingTransformer(self.model_id), _lr(self.random_state, self.C))


SCORERS = {
    "tfidf": TfidfScorer,
    "svd": SvdScorer,
    "features": FeatureScorer,
    "combined": CombinedScorer,
    "embedding": EmbeddingScorer,
    "regression": RegressionScorer,
    "ensemble": EnsembleScorer,
}
