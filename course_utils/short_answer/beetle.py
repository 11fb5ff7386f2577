"""Beetle's labels as grades, and the teacher's graded answers drawn from them.

Taught in notebooks 17-19. Beetle's 3-way labels become the integer grades
:data:`BEETLE_GRADES` (``incorrect = 0``, ``contradictory = 1``, ``correct = 2``); grade 0
is "no credit / not an answer", since Beetle files irrelevant and non-domain answers
under ``incorrect``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from course_utils.config import SEED

BEETLE_GRADES = {"incorrect": 0, "contradictory": 1, "correct": 2}
GRADE_TO_3WAY = {v: k for k, v in BEETLE_GRADES.items()}
BEETLE_NON_ANSWERS = ("non_domain", "irrelevant")  # Beetle's 5-way labels for answers that are not attempts


def sample_support(group: pd.DataFrame, n: int, seed: int = SEED) -> pd.DataFrame:
    """``n`` graded answers of one question (all of them when there are fewer), seeded."""
    if n < 2:
        raise ValueError(f"n must be at least 2 graded answers, got {n}.")
    return group.sample(min(n, len(group)), random_state=seed)


def grades_of(labels_3way: Sequence[str]) -> np.ndarray:
    """Beetle 3-way labels as integer grades (:data:`BEETLE_GRADES`)."""
    try:
        return np.array([BEETLE_GRADES[v] for v in labels_3way], dtype=int)
    except KeyError as exc:
        raise ValueError(f"Unknown 3-way label {exc.args[0]!r}; expected {sorted(BEETLE_GRADES)}.") from None


def question_dev_split(df: pd.DataFrame, dev_size: float = 0.15, seed: int = SEED):
    """Train / dev split of the training answers by question (whole questions go to dev)."""
    from sklearn.model_selection import GroupShuffleSplit

    if not 0 < dev_size < 1:
        raise ValueError(f"dev_size must be between 0 and 1, got {dev_size}.")
    if df["question_id"].nunique() < 2:
        raise ValueError("Need answers to at least 2 questions to split by question.")
    splitter = GroupShuffleSplit(n_splits=1, test_size=dev_size, random_state=seed)
    tr, dv = next(splitter.split(df, groups=df["question_id"]))
    return df.iloc[tr].reset_index(drop=True), df.iloc[dv].reset_index(drop=True)
