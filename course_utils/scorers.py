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
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline

from course_utils import checks
from course_utils.hub import MINILM_ID
from course_utils.metrics import qwk

DEFAULT_EMBEDDING_MODEL = MINILM_ID


# --- input checks ---------------------------------------------------------------------
def check_texts(texts: Iterable[str], name: str = "texts") -> list[str]:
    """:func:`course_utils.checks.check_texts`, and not every text blank."""
    texts = checks.check_texts(texts, name)
    if all(not t.strip() for t in texts):
        raise ValueError(f"every text in {name} is blank; pass the essays' text.")
    return texts


def check_scores(scores, n: int, min_classes: int = 2) -> np.ndarray:
    """Integer scores of length ``n`` with at least ``min_classes`` distinct values."""
    y = np.asarray(scores, dtype=float) if not isinstance(scores, np.ndarray) else scores.astype(float)
    if y.ndim != 1:
        raise ValueError(f"scores must be one-dimensional, got shape {y.shape}.")
    if len(y) != n:
        raise ValueError(f"texts and scores differ in length ({n} vs {len(y)}).")
    if np.isnan(y).any():
        raise ValueError(f"scores contain {int(np.isnan(y).sum())} NaN value(s); drop those essays.")
    if not np.all(y == np.round(y)):
        raise ValueError("scores must be integers (score points such as 0-12).")
    y = y.astype(int)
    if len(np.unique(y)) < min_classes:
        raise ValueError(
            f"scores hold a single class ({y[0]}); a scorer needs at least two score points."
        )
    return y


# --- feature transformers ---------------------------------------------------------------
class TextstatTransformer(BaseEstimator):
    """Texts -> the nine textstat features (:func:`course_utils.features.textstat_features`)."""

    def fit(self, texts, y=None) -> TextstatTransformer:
        return self

    def transform(self, texts) -> np.ndarray:
        from course_utils.features import textstat_features

        return textstat_features(texts)


class RubricTransformer(BaseEstimator):
    """Texts -> counts a rubric names (:func:`course_utils.features.rubric_features`)."""

    def fit(self, texts, y=None) -> RubricTransformer:
        return self

    def transform(self, texts) -> np.ndarray:
        from course_utils.features import rubric_features

        return rubric_features(texts)


class EmbeddingTransformer(BaseEstimator):
    """Texts -> cached sentence embeddings (:func:`course_utils.embeddings.encode`)."""

    def __init__(self, model_id: str = DEFAULT_EMBEDDING_MODEL, batch_size: int = 32):
        self.model_id = model_id
        self.batch_size = batch_size

    def fit(self, texts, y=None) -> EmbeddingTransformer:
        return self

    def transform(self, texts) -> np.ndarray:
        from course_utils.embeddings import encode

        return encode(list(texts), model_id=_full_id(self.model_id), batch_size=self.batch_size)


def _full_id(model_id: str) -> str:
    return model_id if "/" in model_id else f"sentence-transformers/{model_id}"


def _tfidf(**kw):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(**kw)


def _svd_branch(dim: int, random_state: int | None):
    from sklearn.decomposition import TruncatedSVD

    return make_pipeline(_tfidf(), TruncatedSVD(n_components=dim, random_state=random_state))


def _lr(random_state: int | None, C: float = 1.0):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(class_weight="balanced", max_iter=2000, C=C, random_state=random_state)


def _rf(n_estimators: int, random_state: int | None):
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=n_estimators, random_state=random_state, n_jobs=1)


# --- the base class ----------------------------------------------------------------------
class BaseScorer(BaseEstimator):
    """Common checks and aliases; subclasses implement :meth:`_build` (a sklearn pipeline)."""

    def _build(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def fit(self, texts, scores) -> BaseScorer:
        """Learn from essays and their integer scores; returns ``self``."""
        texts = check_texts(texts)
        y = check_scores(scores, len(texts))
        self.min_score_, self.max_score_ = int(y.min()), int(y.max())
        self.classes_ = np.unique(y)
        self.model_ = self._build()
        self._fit_model(texts, y)
        return self

    def _fit_model(self, texts: list[str], y: np.ndarray) -> None:
        self.model_.fit(texts, y)

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit(texts, scores).")

    def predict(self, texts) -> np.ndarray:
        """Integer scores for ``texts``, inside the training range."""
        self._check_fitted()
        pred = np.asarray(self.model_.predict(check_texts(texts)))
        return np.clip(np.rint(pred), self.min_score_, self.max_score_).astype(int)

    def score(self, texts, scores) -> float:
        """QWK of the predictions for ``texts`` against the true ``scores``.

        scikit-learn's ``score(X, y)`` convention (a metric, higher is better), so grid
        searches rank models by QWK by default. For the scores themselves, call
        :meth:`predict`.
        """
        pred = self.predict(texts)
        y = check_scores(scores, len(pred), min_classes=1)
        lo, hi = min(self.min_score_, y.min()), max(self.max_score_, y.max())
        return qwk(y, pred, lo, hi)


class TfidfScorer(BaseScorer):
    """TF-IDF word weights + logistic regression (class_weight balanced)."""

    def __init__(self, C: float = 1.0, random_state: int | None = 42):
        self.C = C
        self.random_state = random_state

    def _build(self):
        return make_pipeline(_tfidf(), _lr(self.random_state, self.C))


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


# --- beyond the original: regression + cutoffs ------------------------------------------
def regression_features(
    svd_dim: int = 100,
    embeddings: bool = True,
    model_id: str = "all-MiniLM-L6-v2",
    random_state: int | None = 42,
    rubric: bool = False,
):
    """Texts -> [SVD of TF-IDF (1-2 grams), textstat, (rubric counts), (embeddings)] (a FeatureUnion)."""
    from sklearn.decomposition import TruncatedSVD

    tfidf = _tfidf(sublinear_tf=True, ngram_range=(1, 2), min_df=2)
    parts = [
        ("svd", make_pipeline(tfidf, TruncatedSVD(n_components=int(svd_dim), random_state=random_state))),
        ("textstat", TextstatTransformer()),
    ]
    if rubric:
        parts.append(("rubric", RubricTransformer()))
    if embeddings:
        parts.append(("embeddings", EmbeddingTransformer(model_id)))
    return FeatureUnion(parts)


def _one_openmp_thread():
    """Run scikit-learn's OpenMP code (gradient boosting) on one thread.

    On a machine whose other core is busy, OpenMP threads spin-wait for each other and
    a 10-second gradient-boosting fit on ~1,000 essays can take minutes; with one
    thread it stays fast and gives the same model.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")


class RegressionScorer(BaseScorer):
    """Regression on SVD + textstat features (+ embeddings), then QWK-optimised cutoffs.

    ``regressor`` is ``"ridge"`` (standardised features, ridge regression whose
    penalty is chosen by efficient leave-one-out CV on the training essays) or
    ``"gbm"`` (histogram gradient boosting). The unsupervised features (TF-IDF, SVD)
    are fitted on the training essays; the cutoffs that turn continuous predictions
    into scores are fitted on ``cv``-fold out-of-fold predictions of the *training*
    essays, so no dev or test essay is used.

    ``fit(texts, scores, target=None)``: ``target`` is an optional continuous training
    target for the regressor (for example the mean of two raters, a less noisy label);
    the cutoffs are always fitted against ``scores``. ``rubric=True`` adds the counts a
    rubric names (spelling, punctuation, vocabulary, organisation markers).
    """

    def __init__(
        self,
        regressor: str = "ridge",
        svd_dim: int = 100,
        embeddings: bool = True,
        model_id: str = "all-MiniLM-L6-v2",
        cv: int = 5,
        random_state: int | None = 42,
        rubric: bool = False,
    ):
        self.regressor = regressor
        self.svd_dim = svd_dim
        self.embeddings = embeddings
        self.model_id = model_id
        self.cv = cv
        self.random_state = random_state
        self.rubric = rubric

    def _regressor(self):
        from sklearn.ensemble import HistGradientBoostingRegressor
        from sklearn.linear_model import RidgeCV
        from sklearn.preprocessing import StandardScaler

        if self.regressor == "ridge":
            return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-1, 4, 21)))
        if self.regressor == "gbm":
            return HistGradientBoostingRegressor(
                max_iter=300, learning_rate=0.05, max_leaf_nodes=15, l2_regularization=1.0,
                random_state=self.random_state,
            )
        raise ValueError(f"regressor must be 'ridge' or 'gbm', got {self.regressor!r}.")

    def _build(self):
        reg = self._regressor()  # checks the name before any work
        return {"features": regression_features(
            self.svd_dim, self.embeddings, self.model_id, self.random_state, self.rubric
        ), "regressor": reg}

    def fit(self, texts, scores, target=None) -> RegressionScorer:
        """Learn from essays and integer ``scores`` (optionally a continuous ``target``)."""
        texts = check_texts(texts)
        y = check_scores(scores, len(texts))
        t = y.astype(float) if target is None else np.asarray(target, dtype=float)
        if t.shape != y.shape or np.isnan(t).any():
            raise ValueError("target must be a numeric array without NaN, one value per essay.")
        self.min_score_, self.max_score_ = int(y.min()), int(y.max())
        self.classes_ = np.unique(y)
        self.model_ = self._build()
        from course_utils.cutoffs import OptimizedCutoffs

        Z = self.model_["features"].fit_transform(texts)
        with _one_openmp_thread():
            self.oof_ = out_of_fold(self.model_["regressor"], Z, t, self.cv, self.random_state)
            self.model_["regressor"].fit(Z, t)
        self.cutoffs_ = OptimizedCutoffs(self.min_score_, self.max_score_).fit(self.oof_, y)
        return self

    def predict_continuous(self, texts) -> np.ndarray:
        """The regressor's raw (continuous) predictions."""
        self._check_fitted()
        Z = self.model_["features"].transform(check_texts(texts))
        with _one_openmp_thread():
            return np.asarray(self.model_["regressor"].predict(Z), dtype=float)

    def predict(self, texts) -> np.ndarray:
        return self.cutoffs_.transform(self.predict_continuous(texts))


class EnsembleScorer(BaseScorer):
    """The mean of several regression scorers' continuous predictions, then cutoffs.

    ``members`` is a list of :class:`RegressionScorer`; the default is ridge on
    SVD(100) + textstat + embeddings and gradient boosting on SVD(20) + textstat. The
    cutoffs are fitted on the mean of the members' out-of-fold predictions.
    ``fit(texts, scores, target=None)`` as in :class:`RegressionScorer`.
    """

    def __init__(self, members: list | None = None, random_state: int | None = 42):
        self.members = members
        self.random_state = random_state

    def _build(self) -> list[RegressionScorer]:
        if self.members is not None:
            if not self.members:
                raise ValueError("members is empty: pass at least one RegressionScorer.")
            return [clone(m).set_params(random_state=self.random_state) for m in self.members]
        return [
            RegressionScorer("ridge", svd_dim=100, embeddings=True, random_state=self.random_state),
            RegressionScorer("gbm", svd_dim=20, embeddings=False, random_state=self.random_state),
        ]

    def fit(self, texts, scores, target=None) -> EnsembleScorer:
        """Fit every member, then the cutoffs on their mean out-of-fold prediction."""
        from course_utils.cutoffs import OptimizedCutoffs

        texts = check_texts(texts)
        y = check_scores(scores, len(texts))
        self.min_score_, self.max_score_ = int(y.min()), int(y.max())
        self.classes_ = np.unique(y)
        self.model_ = self._build()
        for m in self.model_:
            m.fit(texts, y, target)
        self.oof_ = np.mean([m.oof_ for m in self.model_], axis=0)
        self.cutoffs_ = OptimizedCutoffs(self.min_score_, self.max_score_).fit(self.oof_, y)
        return self

    def predict_continuous(self, texts) -> np.ndarray:
        """The mean of the members' continuous predictions."""
        self._check_fitted()
        return np.mean([m.predict_continuous(texts) for m in self.model_], axis=0)

    def predict(self, texts) -> np.ndarray:
        return self.cutoffs_.transform(self.predict_continuous(texts))


def out_of_fold(model, X, y: np.ndarray, cv: int = 5, random_state: int | None = 42) -> np.ndarray:
    """Continuous out-of-fold predictions of ``model`` on training data ``X`` (K-fold)."""
    from sklearn.model_selection import KFold, cross_val_predict

    if cv < 2:
        raise ValueError(f"cv must be at least 2 folds, got {cv}.")
    folds = KFold(n_splits=cv, shuffle=True, random_state=random_state)
    if isinstance(X, list):
        X = np.asarray(X, dtype=object)
    return cross_val_predict(clone(model), X, y, cv=folds).astype(float)


SCORERS = {
    "tfidf": TfidfScorer,
    "svd": SvdScorer,
    "features": FeatureScorer,
    "combined": CombinedScorer,
    "embedding": EmbeddingScorer,
    "regression": RegressionScorer,
    "ensemble": EnsembleScorer,
}
