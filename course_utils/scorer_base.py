"""What every essay scorer shares: input checks, feature transformers, the base class.

A scorer is a scikit-learn estimator that learns from ``fit(texts, scores)`` and returns
integer scores from ``predict(texts)``. :class:`BaseScorer` holds what is the same for
all of them -- checking the essays and scores with clear errors, remembering the
training score range, clipping predictions into it, and ``score(texts, scores)`` as QWK
so that grid searches rank models by agreement. The transformers turn texts into the
numbers a model reads (textstat features, rubric counts, sentence embeddings).
The scorers themselves are in :mod:`course_utils.scorers` (the original workshop's
classifiers) and :mod:`course_utils.regression_scorers` (regression and cutoffs).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from sklearn.base import BaseEstimator

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
    """Texts -> cached embeddings: a sentence encoder's (:func:`course_utils.embeddings.encode`),
    or, for a causal language model such as SmolLM2, the mean hidden state of its layer ``lm_layer``
    (:func:`course_utils.embeddings.encode_lm`)."""

    def __init__(self, model_id: str = DEFAULT_EMBEDDING_MODEL, batch_size: int = 32, lm_layer: int = 18):
        self.model_id = model_id
        self.batch_size = batch_size
        self.lm_layer = lm_layer

    def fit(self, texts, y=None) -> EmbeddingTransformer:
        return self

    def transform(self, texts) -> np.ndarray:
        from course_utils.embeddings import encode, encode_lm
        from course_utils.hub import guess_kind

        model_id = _full_id(self.model_id)
        if guess_kind(model_id) == "causal-lm":
            return encode_lm(list(texts), model_id=model_id, layer=self.lm_layer)
        return encode(list(texts), model_id=model_id, batch_size=self.batch_size)


def _full_id(model_id: str) -> str:
    return model_id if "/" in model_id else f"sentence-transformers/{model_id}"


def tfidf_vectorizer(**kw):
    """A scikit-learn ``TfidfVectorizer`` (imported when first needed)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(**kw)


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
