"""Beyond the original workshop: scoring as regression, then cutoffs. Taught in notebook 09.

The original classifiers treat the 13 score points as unrelated labels. A regressor
knows that 9 lies between 8 and 10: :class:`RegressionScorer` predicts a continuous
score from SVD + textstat features (+ embeddings) and turns it into score points with
:class:`~course_utils.cutoffs.OptimizedCutoffs`, fitted on out-of-fold predictions of
the *training* essays (:func:`out_of_fold`; never the dev or test set).
:class:`EnsembleScorer` averages several regressors before the cutoffs.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import FeatureUnion, make_pipeline

from course_utils.scorer_base import (
    BaseScorer,
    EmbeddingTransformer,
    RubricTransformer,
    TextstatTransformer,
    check_scores,
    check_texts,
    tfidf_vectorizer,
)


def regression_features(
    svd_dim: int = 100,
    embeddings: bool = True,
    model_id: str = "all-MiniLM-L6-v2",
    random_state: int | None = 42,
    rubric: bool = False,
    textstat: bool = True,
):
    """Texts -> [(SVD of TF-IDF, 1-2 grams), (textstat), (rubric counts), (embeddings)] (a FeatureUnion).

    ``svd_dim=0`` leaves the SVD out; ``model_id`` may name a sentence encoder or a causal LM
    (:class:`~course_utils.scorer_base.EmbeddingTransformer`).
    """
    from sklearn.decomposition import TruncatedSVD

    parts = []
    if int(svd_dim) > 0:
        tfidf = tfidf_vectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2)
        parts.append(("svd", make_pipeline(tfidf, TruncatedSVD(n_components=int(svd_dim),
                                                                random_state=random_state))))
    if textstat:
        parts.append(("textstat", TextstatTransformer()))
    if rubric:
        parts.append(("rubric", RubricTransformer()))
    if embeddings:
        parts.append(("embeddings", EmbeddingTransformer(model_id)))
    if not parts:
        raise ValueError("No features left: keep svd_dim > 0, textstat, rubric or embeddings.")
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
    rubric names (spelling, punctuation, vocabulary, organisation markers). ``svd_dim=0``
    and ``textstat=False`` leave those features out (``RegressionScorer("ridge", svd_dim=0,
    textstat=False, model_id=SMOLLM_ID)`` is ridge on a small LM's hidden states alone).
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
        textstat: bool = True,
    ):
        self.regressor = regressor
        self.svd_dim = svd_dim
        self.embeddings = embeddings
        self.model_id = model_id
        self.cv = cv
        self.random_state = random_state
        self.rubric = rubric
        self.textstat = textstat

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
            self.svd_dim, self.embeddings, self.model_id, self.random_state, self.rubric, self.textstat
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
