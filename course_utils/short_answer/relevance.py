"""Layer 2 of the guard, the relevance model: is this answer an attempt at this question?

Taught in notebook 18. :func:`default_relevance_model` is the one shipped with the
package (``relevance_minilm.npz``, trained by :func:`train_relevance` on Beetle's
training split with all-MiniLM-L6-v2 embeddings).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from course_utils.config import SEED
from course_utils.short_answer.beetle import BEETLE_NON_ANSWERS
from course_utils.short_answer.features import (
    DEFAULT_EMBEDDING_MODEL,
    _embed,
    adaptive_features,
    bank_features,
    context_similarity,
    has_content,
    is_question_copy,
    relevance_features,
)
from course_utils.short_answer.junk import make_junk, other_question_pools

DEFAULT_WEIGHTS = Path(__file__).with_name("relevance_minilm.npz")  # package data


class RelevanceModel:
    """Is this answer an attempt at this question? An MLP on similarities, plus one rule.

    ``fit(questions, answers, relevant)`` takes parallel lists; :meth:`training_set`
    builds them from graded answers (positives: real answers, including wrong and
    incomplete ones; negatives: answers to unrelated questions and generated junk).
    The MLP never sees a raw embedding (with the element-wise products, measured on
    Beetle's unseen questions, it memorised the training topics and rejected about a
    fifth of real answers). It sees, for each (question, answer) pair:

    * ``cos(question, answer)`` and how close the answer is to a few answers *known* to
      be on topic (``context``: in a :class:`FewShotGrader`, its graded answers; in
      training, ``n_context`` other real answers to the same question);
    * ``adaptive=True``: the same similarities standardised by the known answers' own
      spread (:func:`adaptive_features`), so a question whose answers cluster tightly
      sets a tighter bar;
    * ``question_bank=True``: the highest similarity to the answer centroid of another,
      unrelated *training* question, and the margin to this question's centroid
      (:func:`bank_features`). This catches on-domain answers to other questions, the
      hardest junk: they use the right words but look more like another question's
      answers than like this one's;
    * word overlap with the question and surface statistics (:func:`surface_features`).

    Two inputs get relevance 0 without asking the MLP: empty or punctuation-only
    answers, and (``copy_rule=True``) copies of the question (:func:`is_question_copy`).

    Design choices (features, ``hidden=(64, 32)``, threshold 0.5) were made on dev
    questions carved from Beetle's training split, never on its test splits. In those
    exploratory comparisons the question bank helped most; harder training negatives,
    more negatives, sub-centroids in the bank and a per-question threshold did not.
    The measured figures are those of ``python -m course_tools.short_answer_results``.
    """

    def __init__(
        self,
        model_id: str = DEFAULT_EMBEDDING_MODEL,
        hidden: tuple[int, ...] = (64, 32),
        threshold: float = 0.5,
        alpha: float = 1e-3,
        max_iter: int = 200,
        n_context: int = 30,
        embedding_features: bool = False,
        adaptive: bool = True,
        copy_rule: bool = True,
        question_bank: bool = True,
        bank_centroid_sim: float = 0.8,
        use_disk: bool = True,
        random_state: int = SEED,
    ):
        self.embedding_features = embedding_features
        self.adaptive = adaptive
        self.copy_rule = copy_rule
        self.question_bank = question_bank
        self.bank_centroid_sim = bank_centroid_sim
        self.model_id = model_id
        self.hidden = hidden
        self.threshold = threshold
        self.alpha = alpha
        self.max_iter = max_iter
        self.n_context = n_context
        self.use_disk = use_disk
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict:
        """The constructor arguments (scikit-learn convention)."""
        keys = ("model_id", "hidden", "threshold", "alpha", "max_iter", "n_context", "embedding_features",
                "adaptive", "copy_rule", "question_bank", "bank_centroid_sim", "use_disk", "random_state")
        return {k: getattr(self, k) for k in keys}

    @staticmethod
    def training_set(
        df: pd.DataFrame,
        negatives_per_question: int = 6,
        seed: int = SEED,
        exclude_labels: Sequence[str] = ("irrelevant", "non_domain"),
        model_id: str = DEFAULT_EMBEDDING_MODEL,
    ) -> pd.DataFrame:
        """(question, answer, relevant, category) rows from graded answers in :func:`load_short_answers` form.

        Positives: every answer except those whose 5-way ``label`` is in
        ``exclude_labels`` (Beetle's own irrelevant / non-domain answers, which become
        negatives). Negatives per question: ``negatives_per_question`` of each junk
        category (:func:`make_junk`, training pool 0), including answers to unrelated
        questions (shuffled pairs).
        """
        if not {"question_id", "question", "student_answer"} <= set(df.columns):
            raise ValueError("df needs question_id, question and student_answer columns (load_short_answers).")
        rng = np.random.default_rng(seed)
        labels = df["label"] if "label" in df.columns else pd.Series(None, index=df.index)
        is_junk = labels.isin(list(exclude_labels))
        rows = []
        for part, relevant, category in ((df[~is_junk], 1, "real_answer"), (df[is_junk], 0, "labelled_non_answer")):
            rows.append(pd.DataFrame({"question_id": part["question_id"], "question": part["question"],
                                      "answer": part["student_answer"].fillna(""), "relevant": relevant,
                                      "category": category}))
        for qid, group in df.groupby("question_id", sort=True):
            question = group["question"].iloc[0]
            answers, refs = other_question_pools(df, qid, model_id=model_id)
            junk = make_junk(question, answers, refs, rng, per_category=negatives_per_question, pool=0)
            junk.insert(0, "question", question)
            junk.insert(0, "question_id", qid)
            junk["relevant"] = 0
            rows.append(junk[["question_id", "question", "answer", "relevant", "category"]])
        out = pd.concat(rows, ignore_index=True)
        return out[out["answer"].map(has_content)].reset_index(drop=True)

    def fit(
        self,
        questions: Sequence[str],
        answers: Sequence[str],
        relevant: Sequence[int],
    ) -> RelevanceModel:
        """Embed the pairs and train the MLP (standardised features, early stopping).

        Each row's context is ``n_context`` *other* relevant answers to the same
        question (grouped by question text), drawn at random.
        """
        from sklearn.neural_network import MLPClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        questions, answers = list(questions), list(answers)
        y = np.asarray(relevant, dtype=int)
        if not (len(questions) == len(answers) == len(y)):
            raise ValueError("questions, answers and relevant must have the same length.")
        if set(np.unique(y)) != {0, 1}:
            raise ValueError("relevant must contain both 0 (irrelevant) and 1 (relevant) examples.")
        rng = np.random.default_rng(self.random_state)
        q = _embed(questions, self.model_id, self.use_disk)
        a = _embed([t if has_content(t) else "(empty)" for t in answers], self.model_id, self.use_disk)
        qarr = np.asarray(questions, dtype=object)
        self._fit_bank(qarr, q, a, y)
        ctx = np.zeros((len(y), self._context(a[:1], a[:2], q[0]).shape[1]), dtype=np.float32)
        for question in np.unique(qarr):
            rows = np.flatnonzero(qarr == question)
            pos = rows[y[rows] == 1]
            if len(pos) < 2:
                raise ValueError(f"Question {question[:60]!r} needs at least 2 relevant answers for context.")
            for i in rows:
                others = pos[pos != i]
                pick = rng.choice(others, min(self.n_context, len(others)), replace=False)
                ctx[i] = self._context(a[i], a[pick], q[i])[0]
        X = relevance_features(q, a, questions, answers, ctx, self.embedding_features)
        self.pipeline_ = make_pipeline(
            StandardScaler(),
            MLPClassifier(hidden_layer_sizes=self.hidden, alpha=self.alpha, max_iter=self.max_iter,
                          early_stopping=True, random_state=self.random_state),
        )
        self.pipeline_.fit(X, y)
        # Plain NumPy weights for fast single-answer prediction.
        scaler, mlp = self.pipeline_[0], self.pipeline_[-1]
        self._mean, self._scale = scaler.mean_.astype(np.float32), scaler.scale_.astype(np.float32)
        self._layers = [(w.astype(np.float32), b.astype(np.float32)) for w, b in zip(mlp.coefs_, mlp.intercepts_)]
        return self

    def save(self, path) -> None:
        """Write the fitted weights and settings to an ``.npz`` file (no pickle: safe to load)."""
        if not hasattr(self, "_layers"):
            raise ValueError("This RelevanceModel is not fitted yet: call fit() first.")
        params = {k: np.asarray(v) for k, v in self.get_params().items()}
        layers = {f"w{i}": w for i, (w, _) in enumerate(self._layers)} | {
            f"b{i}": b for i, (_, b) in enumerate(self._layers)}
        np.savez_compressed(path, n_layers=len(self._layers), mean=self._mean, scale=self._scale,
                            bank_q=self.bank_q_, bank_c=self.bank_c_, **layers,
                            **{f"param_{k}": v for k, v in params.items()})

    @classmethod
    def load(cls, path) -> RelevanceModel:
        """A fitted model from :meth:`save`'s file."""
        with np.load(path, allow_pickle=False) as f:
            params = {k[6:]: f[k].item() if f[k].ndim == 0 else tuple(f[k].tolist())
                      for k in f.files if k.startswith("param_")}
            model = cls(**params)
            model._mean, model._scale = f["mean"], f["scale"]
            model.bank_q_, model.bank_c_ = f["bank_q"], f["bank_c"]
            model._layers = [(f[f"w{i}"], f[f"b{i}"]) for i in range(int(f["n_layers"]))]
        return model

    def _fit_bank(self, qarr: np.ndarray, q: np.ndarray, a: np.ndarray, y: np.ndarray) -> None:
        """Remember every training question: its embedding and the centroid of its real answers."""
        texts = np.unique(qarr)
        self.bank_q_ = np.vstack([q[np.flatnonzero(qarr == t)[0]] for t in texts]).astype(np.float32)
        cen = np.vstack([a[(qarr == t) & (y == 1)].mean(0) for t in texts])
        self.bank_c_ = (cen / np.linalg.norm(cen, axis=1, keepdims=True)).astype(np.float32)

    def _context(self, a_emb: np.ndarray, ctx_emb: np.ndarray, q_emb: np.ndarray) -> np.ndarray:
        """The context columns of :func:`relevance_features` (similarities to known answers)."""
        cols = [context_similarity(a_emb, ctx_emb)]
        if self.adaptive:
            cols.append(adaptive_features(a_emb, ctx_emb, q_emb))
        if self.question_bank:
            cols.append(bank_features(a_emb, ctx_emb, q_emb, self.bank_q_, self.bank_c_, self.bank_centroid_sim))
        return np.hstack(cols)

    def proba_from_embeddings(
        self,
        q_emb: np.ndarray,
        a_emb: np.ndarray,
        questions: Sequence[str],
        answers: Sequence[str],
        ctx_emb: np.ndarray,
    ) -> np.ndarray:
        """P(relevant) from precomputed embeddings (the fast path a grader uses).

        0 without asking the MLP for empty answers and, with ``copy_rule``, for copies
        of the question (:func:`is_question_copy`).
        """
        if not hasattr(self, "_layers"):
            raise ValueError("This RelevanceModel is not fitted yet: call fit() first.")
        feats = relevance_features(q_emb, a_emb, questions, answers, self._context(a_emb, ctx_emb, q_emb),
                                   self.embedding_features)
        h = (feats - self._mean) / self._scale
        for i, (w, b) in enumerate(self._layers):
            h = h @ w + b
            if i < len(self._layers) - 1:
                h = np.maximum(h, 0)  # relu, MLPClassifier's default
        p = 1 / (1 + np.exp(-np.clip(h[:, 0], -30, 30)))
        keep = np.array([has_content(a) for a in answers])
        if self.copy_rule:
            keep &= ~np.array([is_question_copy(q, a) for q, a in zip(questions, answers)], dtype=bool)
        return np.where(keep, p, 0.0)

    def predict_proba(self, question: str, answers: Sequence[str], context: Sequence[str]) -> np.ndarray:
        """P(relevant) of each answer to ``question``, given ``context``: answers known to be on topic."""
        answers, context = list(answers), list(context)
        if not context:
            raise ValueError("context is empty: pass a few answers known to be on topic for this question.")
        q = _embed([question], self.model_id, self.use_disk)
        a = _embed([t if has_content(t) else "(empty)" for t in answers], self.model_id, self.use_disk)
        c = _embed(context, self.model_id, self.use_disk)
        return self.proba_from_embeddings(q, a, [question] * len(answers), answers, c)

    def predict(self, question: str, answers: Sequence[str], context: Sequence[str]) -> np.ndarray:
        """1 = relevant, 0 = irrelevant (probability below ``threshold``)."""
        return (self.predict_proba(question, answers, context) >= self.threshold).astype(int)


@lru_cache(maxsize=1)
def default_relevance_model() -> RelevanceModel:
    """The relevance model shipped with the package (read once)."""
    if not DEFAULT_WEIGHTS.is_file():
        raise FileNotFoundError(
            f"{DEFAULT_WEIGHTS} is missing: rebuild it with "
            "`python -m course_tools.short_answer_results --rebuild-guard`.")
    return RelevanceModel.load(DEFAULT_WEIGHTS)


def train_relevance(train: pd.DataFrame, model_id: str = DEFAULT_EMBEDDING_MODEL, negatives_per_question: int = 6,
                    max_iter: int = 200, held_out_questions=()) -> RelevanceModel:
    """The relevance model trained on the training split only.

    Beetle's own ``non_domain`` / ``irrelevant`` answers become negatives, except those
    of ``held_out_questions``: they are left out entirely, to evaluate the guard on
    labelled junk it never saw.
    """
    if "label" in train.columns:
        train = train[~(train["label"].isin(BEETLE_NON_ANSWERS) & train["question_id"].isin(list(held_out_questions)))]
    ts = RelevanceModel.training_set(train, negatives_per_question=negatives_per_question, model_id=model_id,
                                     exclude_labels=BEETLE_NON_ANSWERS)
    return RelevanceModel(model_id=model_id, max_iter=max_iter).fit(ts["question"], ts["answer"], ts["relevant"])
