"""Referral: "needs a teacher" instead of a guess, for answers the grader cannot vouch for.

Taught in notebook 18. The guard rejects what is clearly not an attempt (grade 0); the
grader grades the rest. Between the two lies what neither can know without knowledge of
the world: fluent on-topic nonsense looks like a misconception, a new correct idea looks
like nothing the teacher graded. :class:`Referral` sends such an answer to the teacher,
for one of four reasons, checked in this order:

0. *may be on-topic nonsense*: the guard's on-topic-nonsense layer flagged it. That layer
   cannot tell nonsense from a misconception, so its verdict goes to the teacher: the
   answer keeps the guard's 0 until the teacher looks (``refer_nonsense``);
1. *a guard layer is unsure*: the relevance model's P(an attempt) is only just above its
   bar, or the on-topic-nonsense margin
   (:func:`~course_utils.short_answer.nonsense.nonsense_margin`) is only just below its bar;
2. *far from every graded answer*: the answer's highest cosine to the teacher's graded
   answers is below ``support_margin`` times the smallest leave-one-out nearest-neighbour
   cosine among them (:func:`~course_utils.short_answer.nonsense.support_floor` over all grades);
3. *a low-confidence grade*: the classifier's most probable grade has probability below
   ``min_confidence``.

Any other rejected answer is never referred: its grade is 0 and its reason the guard's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_utils.short_answer.guard import NONSENSE_REASON
from course_utils.short_answer.nonsense import (
    content_words,
    nonsense_margin,
    support_floor,
    topics_embeddings,
)

UNSURE_GUARD = "needs a teacher: the guard is unsure"
FAR_AWAY = "needs a teacher: unlike every graded answer"
LOW_CONFIDENCE = "needs a teacher: low-confidence grade"
MAY_BE_NONSENSE = "needs a teacher: may be on-topic nonsense"
NONSENSE_LAYER = NONSENSE_REASON  # the guard's reason for layer 3


@dataclass(frozen=True)
class Referral:
    """When to refer an answer to the teacher (defaults chosen on dev data only).

    The rule, fixed before the search: among settings that grade 0 by the guard at most 3%
    and refer at most 15% of the real answers in both dev sources, the one that grades 0 or
    refers the most on-topic nonsense; a tie goes to the fewest referrals. Dev sources: the
    dev halves of ``eval_sets/`` (real answers leave-one-out) and Beetle's training questions
    (30 graded answers each), graded by today's default grader. Chosen: only the nonsense
    layer's verdicts are referred (every band 0): 86.7% of the dev nonsense graded 0 or
    referred; real answers graded 0 by the guard 1.9% (hand-written) and 3.0% (Beetle),
    referred 10.8% and 1.1%. The settings before (the nonsense layer rejecting; bands 0.3 and
    0.04; ``support_margin`` 1) graded 0 by the guard 12.8% of the hand-written dev answers.
    A relevance band adds referrals (0.3: 13.9% and 5.9%) and no nonsense; ``support_margin``
    1 referred more than 15%. Swept again for the grader with the character view (384 settings):
    the default grades 0 or refers 84.7% of the dev nonsense, grades 0 by the guard 1.7% and
    3.0% of the real answers and refers 10.8% and 1.1%; the best setting under the rule,
    ``support_margin`` 0.9, catches one more nonsense answer of 170 (85.3%) for 13.5% referred.
    A one-answer difference was treated as a tie (a refinement of the rule made after this
    sweep, stated here), so the default stands.

    ``refer_nonsense``: the on-topic-nonsense layer refers instead of rejecting (the grade
    stays 0 until the teacher looks); ``relevance_band``: refer when P(an attempt) < guard
    threshold + this; ``nonsense_band``: refer when the nonsense margin > the guard's
    nonsense bar - this; ``support_margin``: refer when the best cosine to a graded answer <
    this times the graded answers' own smallest nearest-neighbour cosine;
    ``min_confidence``: refer when the top grade's probability is below this. ``0``
    switches a check off.
    """

    relevance_band: float = 0.0
    nonsense_band: float = 0.0
    support_margin: float = 0.0
    min_confidence: float = 0.0
    refer_nonsense: bool = True

    def __post_init__(self):
        if not isinstance(self.refer_nonsense, bool):
            raise ValueError(f"Referral.refer_nonsense must be True or False, got {self.refer_nonsense!r}.")
        for name in ("relevance_band", "nonsense_band", "support_margin", "min_confidence"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value <= 1.5:
                raise ValueError(f"Referral.{name} must be a number in [0, 1.5] (0 switches it off), got {value!r}.")


def guard_unsure(guard, ctx, answers: list[str], p_attempt: np.ndarray, referral: Referral) -> np.ndarray:
    """Accepted answers that a guard layer only just let through (``(n,)`` bool)."""
    unsure = np.zeros(len(answers), dtype=bool)
    if guard is None:
        return unsure
    if referral.relevance_band > 0 and guard.relevance_model is not None:
        unsure |= p_attempt < guard.threshold + referral.relevance_band
    if referral.nonsense_band > 0 and guard.nonsense:
        added = [content_words(ctx.question, a) for a in answers]
        keep = [i for i, a in enumerate(added) if a]
        if keep:
            margins = nonsense_margin(guard._embed([added[i] for i in keep]), ctx.support_content_emb,
                                      topics_embeddings(guard.model_id))
            unsure[keep] |= margins > guard.nonsense_threshold - referral.nonsense_band
    return unsure


def far_from_support(answer_emb: np.ndarray, support_emb: np.ndarray, grades: np.ndarray,
                     referral: Referral) -> np.ndarray:
    """Answers further from every graded answer than the graded answers are from each other."""
    if referral.support_margin <= 0:
        return np.zeros(len(answer_emb), dtype=bool)
    floor = support_floor(support_emb, np.ones(len(grades), dtype=int), 0, referral.support_margin)
    return (answer_emb @ support_emb.T).max(1) < floor


def referral_reasons(accepted: np.ndarray, unsure: np.ndarray, far: np.ndarray, confidence: np.ndarray,
                     referral: Referral, guard_reasons: list[str] | None = None) -> list[str]:
    """The first referral reason per answer (``""``: not referred).

    A rejected answer is referred only when the on-topic-nonsense layer rejected it and
    ``referral.refer_nonsense`` is on (``guard_reasons``: the guard's reason per answer).
    """
    low = confidence < referral.min_confidence
    guard_reasons = [""] * len(accepted) if guard_reasons is None else guard_reasons
    out = []
    for ok, u, f, lo, why in zip(accepted, unsure, far, low, guard_reasons):
        if not ok:
            out.append(MAY_BE_NONSENSE if referral.refer_nonsense and why == NONSENSE_LAYER else "")
            continue
        out.append(UNSURE_GUARD if u else FAR_AWAY if f else LOW_CONFIDENCE if lo else "")
    return out


DEFAULT_REFERRAL = Referral()
