"""The guard: layers that give grade 0 to anything that is not an attempt at the question.

Taught in notebook 18. Layers, cheapest first; the first one that objects decides:

1. the text rules of :mod:`course_utils.short_answer.rules` (structure, non-answers,
   instructions to the grader);
2. the :class:`~course_utils.short_answer.relevance.RelevanceModel` (text from another
   subject or another question; copies of the question);
3. :func:`~course_utils.short_answer.nonsense.nonsense_margin` -- on-topic-sounding nonsense: the question's words around
   absurd content ("the number of roots depends on the phase of the moon");
4. :func:`~course_utils.short_answer.nonsense.support_floor` (off by default, ``support_margin``) -- far from every answer the
   teacher gave credit: a per-question bar set by the credited answers' own spread.
   Measured on dev questions it does not pay for itself (``course_tools.short_answer_eval``):
   an answer to the *neighbouring* question uses the same words as the credited ones.
5. :class:`~course_utils.short_answer.surprise.SurpriseCheck` (off by default,
   ``surprise``) -- a word a language model did not expect after the question and the
   credited answers ("binary search uses a *magnet*"). It catches on-topic nonsense the
   embeddings miss, but costs a language model's forward pass per answer.
6. :class:`~course_utils.short_answer.judge.ChatJudge` (off by default, ``judge``) -- a
   chat model asked whether the answer is a serious attempt: the route to knowledge of
   the world, with a hosted model in Colab; a request per answer.

The default guard's relevance model ships with the package
(:func:`~course_utils.short_answer.relevance.default_relevance_model`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from course_utils.short_answer.features import _embed, has_content
from course_utils.short_answer.nonsense import (
    content_words,
    nonsense_margin,
    support_floor,
    topics_embeddings,
)
from course_utils.short_answer.relevance import RelevanceModel, default_relevance_model
from course_utils.short_answer.rules import text_reason, tokens

#: The reason layer 3 gives (a referral sends these verdicts to a teacher).
NONSENSE_REASON = "on-topic nonsense"


class GuardContext(NamedTuple):
    """What the guard knows about one question (built by :meth:`Guard.prepare`)."""

    question: str
    vocabulary: frozenset
    q_emb: np.ndarray
    support_emb: np.ndarray
    support_content_emb: np.ndarray
    credited_emb: np.ndarray = np.zeros((0, 0))
    floor: float = -1.0
    surprise_prompt: str = ""
    credited: tuple = ()


class Guard:
    """The layered guard. ``Guard()`` is the default: rules, shipped relevance model, nonsense check.

    ``relevance_model``: ``"default"`` (the shipped one), a fitted
    :class:`RelevanceModel`, or ``None`` (no embedding layer). ``rules`` and
    ``nonsense`` switch layers 1 and 3 off for experiments. ``nonsense_threshold``
    (0.0) was chosen on the development junk and Beetle training answers only.
    ``support_margin``: a number switches layer 4 on (:func:`support_floor`); ``None``
    (the default, chosen on dev: no margin caught more junk without flagging over 5%
    of real answers) leaves it off. ``surprise``: a
    :class:`~course_utils.short_answer.surprise.SurpriseCheck` switches layer 5 on
    (``None``, the default, leaves it off: a language model per answer is over the
    regrade budget). ``judge``: a :class:`~course_utils.short_answer.judge.ChatJudge`
    switches layer 6 on (``None``, the default, leaves it off: a request per answer).
    """

    def __init__(self, relevance_model="default", rules: bool = True, nonsense: bool = True,
                 threshold: float = 0.5, nonsense_threshold: float = 0.0, use_disk: bool = False,
                 support_margin: float | None = None, surprise=None, judge=None):
        if isinstance(relevance_model, str) and relevance_model != "default":
            raise ValueError(f"relevance_model must be 'default', a RelevanceModel or None, got {relevance_model!r}.")
        self.relevance_model = default_relevance_model() if relevance_model == "default" else relevance_model
        if self.relevance_model is not None and not hasattr(self.relevance_model, "_layers"):
            raise ValueError("relevance_model is not fitted: call its fit() first.")
        self.rules, self.nonsense = rules, nonsense
        self.threshold, self.nonsense_threshold, self.use_disk = threshold, nonsense_threshold, use_disk
        if support_margin is not None and not 0 < support_margin <= 2:
            raise ValueError(f"support_margin must be None or in (0, 2], got {support_margin!r}.")
        self.support_margin = support_margin
        if surprise is not None and not hasattr(surprise, "flags"):
            raise ValueError(f"surprise must be None or a SurpriseCheck, got {type(surprise).__name__}.")
        self.surprise = surprise
        if judge is not None and not hasattr(judge, "verdicts"):
            raise ValueError(f"judge must be None or a ChatJudge, got {type(judge).__name__}.")
        self.judge = judge
        self.model_id = getattr(self.relevance_model, "model_id", None) or RelevanceModel().model_id

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        return _embed([t if has_content(t) else "(empty)" for t in texts], self.model_id, self.use_disk)

    def prepare(self, question: str, support_answers: Sequence[str], grades: Sequence[int] | None = None,
                zero_grade: int = 0) -> GuardContext:
        """Per question: its vocabulary, the embeddings of the graded answers and their content.

        ``grades`` (needed by layer 4): the teacher's grades of ``support_answers``;
        layers 5 and 6 show the model the credited ones (all of them when ``grades`` is ``None``).
        """
        support = list(support_answers)
        shown = support if grades is None else [a for a, g in zip(support, grades) if g > zero_grade]
        vocab = frozenset(w for a in [question, *support] for w in tokens(a))
        content = self._embed([content_words(question, a) for a in support]) if self.nonsense else None
        support_emb = self._embed(support)
        ctx = GuardContext(question, vocab, self._embed([question]), support_emb, content)
        if self.surprise is not None:
            ctx = ctx._replace(surprise_prompt=self.surprise.prompt(question, shown))
        if self.judge is not None:
            ctx = ctx._replace(credited=tuple(shown))
        if self.support_margin is None:
            return ctx
        if grades is None or len(grades) != len(support):
            raise ValueError("support_margin needs the grades of the support answers: prepare(question, answers, grades).")
        credited = support_emb[np.asarray(grades) > zero_grade]
        return ctx._replace(credited_emb=credited,
                            floor=support_floor(support_emb, grades, zero_grade, self.support_margin))

    def nonsense_margins(self, ctx: GuardContext, answers: Sequence[str]) -> np.ndarray:
        """Layer 3's margin per answer (NaN where it adds no word to the question's).

        Layer 3 flags an answer that reaches it when its margin is above ``nonsense_threshold``.
        """
        if ctx.support_content_emb is None:
            raise ValueError("this guard was prepared with nonsense=False: it has no layer 3.")
        added = [content_words(ctx.question, a) for a in answers]
        keep = [k for k, a in enumerate(added) if a]
        out = np.full(len(added), np.nan)
        if keep:
            out[keep] = nonsense_margin(self._embed([added[k] for k in keep]), ctx.support_content_emb,
                                        topics_embeddings(self.model_id))
        return out

    def check(self, ctx: GuardContext, answers: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """P(an attempt at the question) and the reason for each rejection (``""`` if accepted)."""
        answers = list(answers)
        reasons = [text_reason(a, ctx.question, ctx.vocabulary) if self.rules else
                   ("" if has_content(a) else "no letters or digits") for a in answers]
        p = np.array([0.0 if r else 1.0 for r in reasons])
        todo = [i for i, r in enumerate(reasons) if not r]
        if todo and self.relevance_model is not None:
            texts = [answers[i] for i in todo]
            p[todo] = self.relevance_model.proba_from_embeddings(
                ctx.q_emb, self._embed(texts), [ctx.question] * len(texts), texts, ctx.support_emb)
            for i in todo:
                if p[i] < self.threshold:
                    reasons[i] = "off topic (relevance model)"
        todo = [i for i in todo if not reasons[i]]
        if todo and self.nonsense:
            margins = self.nonsense_margins(ctx, [answers[i] for i in todo])
            for i, margin in zip(todo, margins):
                if margin > self.nonsense_threshold:  # NaN (nothing added): left to the other layers
                    p[i], reasons[i] = 0.0, NONSENSE_REASON
        todo = [i for i in todo if not reasons[i]]
        if todo and self.support_margin is not None and ctx.floor > -1:
            best = (self._embed([answers[i] for i in todo]) @ ctx.credited_emb.T).max(1)
            for i, b in zip(todo, best):
                if b < ctx.floor:
                    p[i], reasons[i] = 0.0, "unlike every credited answer"
        todo = [i for i in todo if not reasons[i]]
        if todo and self.surprise is not None:
            flags = self.surprise.flags(ctx.question, ctx.surprise_prompt, [answers[i] for i in todo], ctx.vocabulary)
            for i in np.asarray(todo)[flags]:
                p[i], reasons[i] = 0.0, "unexpected words (language model)"
        todo = [i for i in todo if not reasons[i]]
        if todo and self.judge is not None:
            flags = self.judge.flags(ctx.question, ctx.credited, [answers[i] for i in todo])
            for i in np.asarray(todo)[flags]:
                p[i], reasons[i] = 0.0, "nonsense (chat model)"
        return p, reasons


@lru_cache(maxsize=1)
def default_guard() -> Guard:
    """The guard a ``FewShotGrader()`` uses unless told otherwise (built once per session)."""
    return Guard()
