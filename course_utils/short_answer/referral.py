"""Referral: "needs a teacher" instead of a guess, for answers the grader cannot vouch for.

Taught in notebook 18. The guard rejects what is clearly not an attempt (grade 0); the
grader grades the rest. Between the two lies what neither can know without knowledge of
the world: fluent on-topic nonsense looks like a misconception, a new correct idea looks
like nothing the teacher graded. :class:`Referral` sends such an answer to the teacher,
for one of three reasons, checked in this order:

1. *a guard layer is unsure*: the relevance model's P(an attempt) is only just above its
   bar, or the on-topic-nonsense margin (:func:`~course_utils.short_answer.nonsense.nonsense_margin`)
   is only just below its bar;
2. *far from every graded answer*: the answer's highest cosine to the teacher's graded
   answers is below ``support_margin`` times the smallest leave-one-out nearest-neighbour
   cosine among them (:func:`~course_utils.short_answer.nonsense.support_floor` over all grades);
3. *a low-confidence grade*: the classifier's most probable grade has probability below
   ``min_confidence``.

A rejected answer is never referred: its grade is 0 and its reason the guard's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_utils.short_answer.nonsense import (
    content_words,
    nonsense_margin,
    support_floor,
    topics_embeddings,
)

UNSURE_GUARD = "needs a teacher: the guard is unsure"
FAR_AWAY = "needs a teacher: unlike every graded answer"
LOW_CONFIDENCE = "needs a teacher: low-confidence grade"


@dataclass(frozen=True)
class Referral:
    """When to refer an accepted answer to the teacher (defaults chosen on dev data only).

    The defaults: the most on-topic nonsense graded 0 or referred with at most 12% of real
    answers referred, on the dev halves of ``eval_sets/`` (real answers leave-one-out) and
    on Beetle's training questions (30 graded answers each): 0.787 of the nonsense, 11.1%
    and 5.8% of the real answers. ``min_confidence`` is off: on dev the top grade's
    probability was no lower for nonsense (mean 0.388) than for real answers (0.394).

    ``relevance_band``: refer when P(an attempt) < guard threshold + this; ``nonsense_band``:
    refer when the nonsense margin > the guard's nonsense bar - this; ``support_margin``:
    refer when the best cosine to a graded answer < this times the graded answers' own
    smallest nearest-neighbour cosine; ``min_confidence``: refer when the top grade's
    probability is below this. ``0`` switches a check off.
    """

    relevance_band: float = 0.3
    nonsense_band: float = 0.04
    support_margin: float = 1.0
    min_confidence: float = 0.0

    def __post_init__(self):
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
                     referral: Referral) -> list[str]:
    """The first referral reason per answer (``""``: not referred); rejected answers are never referred."""
    low = confidence < referral.min_confidence
    out = []
    for ok, u, f, lo in zip(accepted, unsure, far, low):
        reason = "" if not ok else UNSURE_GUARD if u else FAR_AWAY if f else LOW_CONFIDENCE if lo else ""
        out.append(reason)
    return out


DEFAULT_REFERRAL = Referral()
