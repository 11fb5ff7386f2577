"""The few-shot grader: one question's logistic regression behind the guard.

Taught in notebook 18.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd

from course_utils.short_answer.features import DEFAULT_EMBEDDING_MODEL, _embed, has_content
from course_utils.short_answer.guard import Guard, default_guard
from course_utils.short_answer.newton import newton_logreg, softmax_proba
from course_utils.short_answer.nonsense import content_words
from course_utils.short_answer.referral import (
    DEFAULT_REFERRAL,
    Referral,
    far_from_support,
    guard_unsure,
    referral_reasons,
)
from course_utils.short_answer.relevance import RelevanceModel

#: What the classifier can read of an answer: the answer itself, what it adds to the question
#: (its words minus the question's and function words), and the question followed by the answer.
VIEWS = ("answer", "added", "question_answer")
#: What it reads by default (chosen on dev data; the third view costs about 14 ms per regrade).
DEFAULT_VIEWS = ("answer", "added")
#: The weight of the character view beside the embeddings (0: off). Chosen on dev data.
DEFAULT_CHAR_WEIGHT = 1.5


def _check_views(views: Sequence[str]) -> None:
    if not views or len(set(views)) != len(views) or not set(views) <= set(VIEWS):
        raise ValueError(f"views must be distinct names from {VIEWS}, at least one; got {tuple(views)!r}.")


def view_texts(question: str, answers: Sequence[str], views: Sequence[str] = VIEWS) -> list[str]:
    """The texts embedded for ``answers``, view after view (``"(empty)"`` for an empty answer or addition)."""
    make = {"answer": lambda a: a,
            "added": lambda a: content_words(question, a) or "(empty)",
            "question_answer": lambda a: f"{question} {a}"}
    return [make[v](a) if has_content(a) else "(empty)" for v in views for a in answers]


def grader_inputs(question: str, answers: Sequence[str], model_id: str = DEFAULT_EMBEDDING_MODEL,
                  views: Sequence[str] = DEFAULT_VIEWS, use_disk: bool = False) -> np.ndarray:
    """``(n, d * len(views))``: each answer's ``d``-number embedding in every view, side by side (one forward pass)."""
    _check_views(views)
    answers = list(answers)
    E = _embed(view_texts(question, answers, views), model_id, use_disk)
    return np.hstack([E[i * len(answers):(i + 1) * len(answers)] for i in range(len(views))])


def char_ngram_vectorizer(texts: Sequence[str]):
    """The character view's vocabulary: TF-IDF of character 2- to 5-grams within words, fitted on ``texts``.

    Fitted on one question's graded answers, it sees the words this question's answers use, spelled
    out in pieces, so that "photosynthesise" and "photosynthesis" share most of theirs.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True).fit(list(texts))


def grader_features(question: str, answers: Sequence[str], vectorizer=None, char_weight: float = DEFAULT_CHAR_WEIGHT,
                    model_id: str = DEFAULT_EMBEDDING_MODEL, views: Sequence[str] = DEFAULT_VIEWS,
                    use_disk: bool = False) -> np.ndarray:
    """What the classifier reads: :func:`grader_inputs`, then ``char_weight`` times the character view
    (``vectorizer``, from :func:`char_ngram_vectorizer`; none or a weight of 0: the embeddings alone)."""
    X = grader_inputs(question, answers, model_id, views, use_disk)
    if vectorizer is None or char_weight == 0:
        return X
    return np.hstack([X, char_weight * vectorizer.transform(list(answers)).toarray()])


def with_question_as_zero(question: str, answers: Sequence[str], grades: Sequence[int],
                          zero_grade: int = 0) -> tuple[list[str], np.ndarray]:
    """The teacher's graded answers plus one free example: the question itself, graded ``zero_grade``.

    Repeating the question earns no credit, so the classifier learns that direction too.
    """
    return [*answers, question], np.append(np.asarray(grades, dtype=int), zero_grade)


class FewShotGrader:
    """One question's grader: Newton-fitted logistic regression on answer embeddings, behind a guard.

    >>> grader = FewShotGrader().fit(question, answers, grades)   # guarded by default
    >>> grader.predict(["the bulb is in a closed path"])          # a grade; 0 if not an answer

    ``guard``: ``"default"`` (the layered :class:`~course_utils.short_answer.guard.Guard`
    with the relevance model shipped in the package), a :class:`Guard`, a fitted
    :class:`RelevanceModel` (a guard with that model), or ``None`` -- the explicit
    opt-out: no guard, only empty answers get 0.

    ``grades`` are integers, none below ``zero_grade`` (0 = no credit / not an answer).
    :meth:`predict_proba` gives a probability for every grade in ``grades_`` (the
    fitted grades plus 0): ``P(grade) = r * P_lr(grade) + (1 - r) * [grade == 0]``
    with ``r`` the guard's probability that the answer is an attempt. :meth:`predict`
    is hard-guarded: an answer the guard rejects gets 0 whatever the classifier says.
    ``views``: what the classifier reads of each answer, one embedding per view, side by side
    (:data:`VIEWS`; :func:`grader_inputs`): the answer, what it adds to the question, the
    question followed by the answer. ``question_as_zero``: it also learns from the question
    itself graded ``zero_grade`` (:func:`with_question_as_zero`). Chosen on dev data only:
    Beetle's training questions (30 graded answers each; accuracy) and the hand-written sets'
    dev halves (3 graded answers per grade, the rest graded, 10 draws; QWK). The answer
    alone with ``l2 = 1`` (the default before): 0.605 and 0.420; all three views, ``l2 =
    0.3``: 0.660 and 0.605; with the question as a 0: 0.661 and 0.614; the default, the first
    two views with the question as a 0 and ``l2 = 0.3``: 0.658 and 0.606 (``l2`` 0.2 to 0.5
    within 0.01), without the third view's 14 ms per regrade (p95 22 against 37 ms).
    ``char_weight``: the character view (:func:`char_ngram_vectorizer`) beside the embeddings,
    chosen the same way, by the best dev QWK whose dev accuracy stays within 0.005 of the
    grader without it (the classifier alone, no guard): without it 0.658 and 0.580; weight 1.5:
    0.659 and 0.626 (the gain's 95% interval over subjects, paired: -0.008 to 0.101); weights
    0.5, 1 and 2: QWK 0.602, 0.616 and 0.623; word 1-2-grams instead: at most 0.601.
    :meth:`predict_outcome` adds a third outcome, "needs a teacher", decided by
    ``referral`` (a :class:`~course_utils.short_answer.referral.Referral`; ``None``: never refer).
    """

    def __init__(
        self,
        guard: Guard | RelevanceModel | str | None = "default",
        model_id: str = DEFAULT_EMBEDDING_MODEL,
        l2: float = 0.3,
        zero_grade: int = 0,
        use_disk: bool = False,
        referral: Referral | None = DEFAULT_REFERRAL,
        views: Sequence[str] = DEFAULT_VIEWS,
        question_as_zero: bool = True,
        char_weight: float = DEFAULT_CHAR_WEIGHT,
    ):
        self.guard = guard
        self.model_id = model_id
        self.l2 = l2
        self.zero_grade = zero_grade
        self.use_disk = use_disk
        self.referral = referral
        self.views = tuple(views)
        self.question_as_zero = question_as_zero
        self.char_weight = char_weight

    def get_params(self, deep: bool = True) -> dict:
        """The constructor arguments (scikit-learn convention)."""
        return {k: getattr(self, k) for k in ("guard", "model_id", "l2", "zero_grade", "use_disk", "referral",
                                                   "views", "question_as_zero", "char_weight")}

    def _make_guard(self) -> Guard | None:
        if self.guard is None or isinstance(self.guard, Guard):
            return self.guard
        if isinstance(self.guard, str):
            if self.guard != "default":
                raise ValueError(f"guard must be 'default', a Guard, a RelevanceModel or None, got {self.guard!r}.")
            return default_guard()
        if isinstance(self.guard, RelevanceModel):
            return Guard(relevance_model=self.guard)
        raise ValueError(f"guard must be 'default', a Guard, a RelevanceModel or None, got {type(self.guard).__name__}.")

    def fit(self, question: str, answers: Sequence[str], grades: Sequence[int]) -> FewShotGrader:
        """Fit from a handful of graded answers to ``question`` (embeddings are cached)."""
        answers = list(answers)
        grades = np.asarray(grades)
        if not isinstance(question, str) or not question.strip():
            raise ValueError("question must be a non-empty string.")
        if len(answers) != len(grades) or not answers:
            raise ValueError(f"answers ({len(answers)}) and grades ({len(grades)}) must be non-empty and equally long.")
        if grades.dtype.kind not in "iu" and not np.all(grades == np.round(grades.astype(float))):
            raise ValueError(f"grades must be integers (0 = no credit); got {grades[:5].tolist()}.")
        grades = grades.astype(int)
        if (grades < self.zero_grade).any():
            raise ValueError(f"grades below the zero grade ({self.zero_grade}) are not allowed, got "
                             f"{sorted(set(grades[grades < self.zero_grade].tolist()))}: {self.zero_grade} is the "
                             "grade for 'no credit / not an answer', the lowest there is.")
        _check_views(self.views)
        w = self.char_weight
        if not (isinstance(w, numbers.Real) and not isinstance(w, bool) and np.isfinite(w) and w >= 0):
            raise ValueError(f"char_weight must be a number >= 0 (0 turns the character view off), got {self.char_weight!r}.")
        if self.referral is not None and not isinstance(self.referral, Referral):
            raise ValueError(f"referral must be a Referral or None, got {type(self.referral).__name__}.")
        self.guard_ = self._make_guard()
        self.question_ = question
        self.support_grades_ = grades
        self.support_emb_ = _embed([a if has_content(a) else "(empty)" for a in answers], self.model_id,
                                   self.use_disk)
        self.guard_context_ = (None if self.guard_ is None else
                               self.guard_.prepare(question, answers, grades, self.zero_grade))
        texts, y_grades = (with_question_as_zero(question, answers, grades, self.zero_grade)
                           if self.question_as_zero else (answers, grades))
        self.vectorizer_ = char_ngram_vectorizer(texts) if self.char_weight > 0 else None
        X = self._features(texts)
        self.classes_ = np.unique(y_grades)
        self.grades_ = np.union1d(self.classes_, [self.zero_grade])
        if len(self.classes_) == 1:  # every answer got the same grade: predict it
            self.coef_ = np.zeros((1, X.shape[1]))
            self.intercept_ = np.zeros(1)
        else:
            y = np.searchsorted(self.classes_, y_grades)
            fit = newton_logreg(X, y, len(self.classes_), l2=self.l2)
            self.coef_, self.intercept_, self.n_iter_ = fit.coef, fit.intercept, fit.n_iter
        return self

    def _features(self, answers: Sequence[str]) -> np.ndarray:
        return grader_features(self.question_, answers, self.vectorizer_, self.char_weight, self.model_id,
                               self.views, self.use_disk)

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise ValueError("This FewShotGrader is not fitted yet: call fit(question, answers, grades).")

    def _answers(self, answers: Sequence[str]) -> list[str]:
        self._check_fitted()
        answers = [answers] if isinstance(answers, str) else list(answers)
        if not answers:
            raise ValueError("answers is empty.")
        return answers

    def check(self, answers: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """The guard's verdict: P(an attempt at the question) and a reason per rejected answer."""
        answers = self._answers(answers)
        if self.guard_ is None:
            reasons = ["" if has_content(a) else "no letters or digits" for a in answers]
            return np.array([0.0 if r else 1.0 for r in reasons]), reasons
        return self.guard_.check(self.guard_context_, answers)

    def relevance(self, answers: Sequence[str]) -> np.ndarray:
        """P(an attempt at this question) for each answer (1 unguarded, 0 if empty)."""
        return self.check(answers)[0]

    def reasons(self, answers: Sequence[str]) -> list[str]:
        """Why the guard rejects each answer (``""`` for an accepted one): which layer decided."""
        return self.check(answers)[1]

    def _scores(self, answers: Sequence[str]):
        """Classifier probabilities, the guard's verdict and the answers' embeddings."""
        answers = self._answers(answers)
        texts = [a if has_content(a) else "(empty)" for a in answers]
        guard = self.guard_
        if guard is not None and guard.nonsense and guard.model_id == self.model_id:
            # the guard's nonsense check embeds what each answer adds to the question: one forward pass for all
            texts += [c for c in (content_words(self.question_, a) for a in answers) if c]
        texts += view_texts(self.question_, answers, [v for v in self.views if v != "answer"])
        A = _embed(texts, self.model_id, self.use_disk)[: len(answers)]
        X = self._features(answers)  # the embeddings from the cache
        return softmax_proba(X, self.coef_, self.intercept_), self.check(answers), A

    @property
    def threshold(self) -> float:
        """The guard's cut-off on P(an attempt) (0.5 unguarded: only empty answers fall below it)."""
        return 0.5 if self.guard_ is None else self.guard_.threshold

    def predict_proba(self, answers: Sequence[str]) -> np.ndarray:
        """``(n, len(grades_))`` probabilities, mixing in grade 0 by the guard's probability."""
        p_cls, (r, _), _ = self._scores(answers)
        out = np.zeros((len(p_cls), len(self.grades_)))
        out[:, np.searchsorted(self.grades_, self.classes_)] = r[:, None] * p_cls
        out[:, np.searchsorted(self.grades_, self.zero_grade)] += 1 - r
        return out

    def predict(self, answers: Sequence[str]) -> np.ndarray:
        """Grades: the most probable fitted grade, or ``zero_grade`` when the guard rejects the answer."""
        return self.predict_with_reasons(answers)[0]

    def predict_with_reasons(self, answers: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """``(predict(answers), reasons(answers))`` with one pass of the guard instead of two."""
        p_cls, (r, reasons), _ = self._scores(answers)
        pred = self.classes_[p_cls.argmax(1)]
        return np.where(r >= self.threshold, pred, self.zero_grade), reasons

    def predict_outcome(self, answers: Sequence[str]) -> pd.DataFrame:
        """One row per answer: ``grade`` (int), ``referred`` (bool), ``reason`` (str).

        ``grade`` is always :meth:`predict`'s. A rejected answer: ``grade`` = ``zero_grade``, not
        referred, ``reason`` = the guard's. A referred answer: ``reason`` = why a teacher should
        look; its grade is the grader's best guess, or ``zero_grade`` when the
        on-topic-nonsense layer flagged it (until the teacher looks). An accepted one: its
        grade, not referred, ``reason`` = ``""``.
        """
        answers = self._answers(answers)
        p_cls, (r, reasons), A = self._scores(answers)
        accepted = r >= self.threshold
        grades = np.where(accepted, self.classes_[p_cls.argmax(1)], self.zero_grade).astype(int)
        referred = [""] * len(answers)
        if self.referral is not None:
            unsure = guard_unsure(self.guard_, self.guard_context_, answers, r, self.referral)
            far = far_from_support(A, self.support_emb_, self.support_grades_, self.referral)
            referred = referral_reasons(accepted, unsure, far, p_cls.max(1), self.referral, reasons)
        return pd.DataFrame({"grade": grades, "referred": np.array([bool(x) for x in referred], dtype=bool),
                             "reason": [ref or g for g, ref in zip(reasons, referred)]})
