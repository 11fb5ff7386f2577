"""Evaluating the guard on junk it never trained on.

Taught in notebook 18. Two kinds of junk:

* hand-written sets in ``course_utils/short_answer/eval_sets/`` (see its README), not
  produced by the guard's generators: per subject, one question, 24 graded answers and
  50 junk answers in five categories, each split into ``dev`` (for choosing settings)
  and ``heldout`` (reported, never tuned on) -- :func:`load_eval_sets`,
  :func:`evaluate_subjects`;
* for Beetle's questions, junk from the generators' evaluation pools (a different seed
  and pool than training), with the false alarms on real answers --
  :func:`adversarial_set`, :func:`evaluate_guard`.

The targets: every junk answer graded 0; at most 5% of real answers flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from course_utils.config import SEED
from course_utils.short_answer.beetle import grades_of, sample_support
from course_utils.short_answer.features import DEFAULT_EMBEDDING_MODEL
from course_utils.short_answer.grader import FewShotGrader
from course_utils.short_answer.junk import make_junk, other_question_pools

EVAL_DIR = Path(__file__).resolve().parent / "eval_sets"  # package data: a pip install has it
EVAL_URL = "https://raw.githubusercontent.com/ai-scoring-course/ai-scoring-in-python/main/course_utils/short_answer/eval_sets"
JUNK_KINDS = ("structural", "non_answer", "injection", "other_subject", "on_topic_nonsense")


def _read(name: str) -> pd.DataFrame:
    path = EVAL_DIR / name
    source = path if path.is_file() else f"{EVAL_URL}/{name}"  # pip-installed (Colab): no data folder
    return pd.read_csv(source, keep_default_na=False)  # an empty answer stays ""


def load_eval_sets() -> pd.DataFrame:
    """The hand-written sets: ``subject, question, author, kind, category, split, grade, answer``.

    ``author``: ``"guard author"`` (written by the guard's developer) or ``"independent"``
    (written by someone who never saw the guard; see the folder's README).
    """
    questions = _read("questions.csv")
    parts = [_read(f"{row.subject}.csv").assign(subject=row.subject, question=row.question, author=row.author)
             for row in questions.itertuples()]
    out = pd.concat(parts, ignore_index=True)
    out["grade"] = pd.to_numeric(out["grade"], errors="coerce")
    return out[["subject", "question", "author", "kind", "category", "split", "grade", "answer"]]


def _margins(grader: FewShotGrader, answers) -> np.ndarray:
    """Layer 3's margins of ``answers`` under ``grader``'s guard (NaN without layer 3)."""
    answers = [a if isinstance(a, str) else "" for a in answers]
    if grader.guard_ is None or not grader.guard_.nonsense:
        return np.full(len(answers), np.nan)
    return grader.guard_.nonsense_margins(grader.guard_context_, answers)


def evaluate_subjects(sets: pd.DataFrame, guard="default", split: str = "heldout",
                      model_id: str = DEFAULT_EMBEDDING_MODEL) -> pd.DataFrame:
    """Grade each subject's junk and real answers of ``split``; one row per answer.

    Junk: a grader fitted on all of the subject's graded answers. Real answers:
    leave-one-out, a grader fitted on the *other* graded answers, so no answer is
    checked against itself. Columns: ``subject, category, answer, grade, gold`` (the teacher's
    grade of a real answer), ``flagged, reason`` and ``margin``: layer 3's nonsense margin
    (NaN without layer 3, or where the answer adds no word to the question's). With layers
    4-6 off, ``Guard(nonsense_threshold=t)`` flags exactly the rows whose reason is from an
    earlier layer or whose margin is above ``t``: one run sweeps every threshold.
    """
    if split not in ("dev", "heldout"):
        raise ValueError(f"split must be 'dev' or 'heldout', got {split!r}.")
    rows = []
    for subject, s in sets.groupby("subject", sort=True):
        question = s["question"].iloc[0]
        graded = s[s["kind"] == "graded"].reset_index(drop=True)
        answers, grades = graded["answer"].tolist(), graded["grade"].astype(int).to_numpy()
        grader = FewShotGrader(guard, model_id=model_id).fit(question, answers, grades)
        junk = s[(s["kind"] == "junk") & (s["split"] == split)]
        junk_grades, reasons = grader.predict_with_reasons(junk["answer"])  # one pass of the guard
        rows.append(pd.DataFrame({"subject": subject, "category": junk["category"], "answer": junk["answer"],
                                  "grade": junk_grades, "gold": np.nan, "reason": reasons,
                                  "margin": _margins(grader, junk["answer"])}))
        real = np.flatnonzero(graded["split"] == split)
        loo_grades, loo_reasons, loo_margins = [], [], []
        for i in real:
            keep = np.arange(len(graded)) != i
            loo = FewShotGrader(guard, model_id=model_id).fit(question, [answers[j] for j in np.flatnonzero(keep)],
                                                              grades[keep])
            grade, reason = loo.predict_with_reasons([answers[i]])
            loo_grades.append(grade)
            loo_reasons += reason
            loo_margins.append(_margins(loo, [answers[i]]))
        if len(real):  # one frame per subject's real answers
            rows.append(pd.DataFrame({"subject": subject, "category": "real_answer", "answer": [answers[i] for i in real],
                                      "grade": np.concatenate(loo_grades), "gold": grades[real],
                                      "reason": loo_reasons, "margin": np.concatenate(loo_margins)}))
    out = pd.concat(rows, ignore_index=True)
    out["flagged"] = out["reason"] != ""
    return out


def adversarial_set(
    df: pd.DataFrame,
    question_ids: Sequence[str],
    per_category: int = 1,
    seed: int = SEED + 1,
    model_id: str = DEFAULT_EMBEDDING_MODEL,
) -> pd.DataFrame:
    """Junk inputs for ``question_ids``: ``per_category`` of each :data:`JUNK_CATEGORIES`.

    Built from the evaluation pools (pool 1 of the fixed sentences, a different seed
    than training, and answers to other questions taken from the *test* splits), so no
    training negative is reused verbatim. Columns: ``question_id, question, answer,
    category``.
    """
    rng = np.random.default_rng(seed)
    test = df[df["split"] != "train"]
    rows = []
    for qid in question_ids:
        mine = df[df["question_id"] == qid]
        if mine.empty:
            raise ValueError(f"question_id {qid!r} is not in df.")
        question = mine["question"].iloc[0]
        answers, refs = other_question_pools(df, qid, source=test if len(test) else df, model_id=model_id)
        junk = make_junk(question, answers, refs, rng, per_category=per_category, pool=1)
        junk.insert(0, "question", question)
        junk.insert(0, "question_id", qid)
        rows.append(junk)
    return pd.concat(rows, ignore_index=True)


def evaluate_guard(df: pd.DataFrame, support: pd.DataFrame, real: pd.DataFrame, guard,
                   model_id: str, l2: float, n_support: int = 30, seed: int = SEED) -> dict:
    """Adversarial set and false alarms, one grader per question.

    ``support`` holds the graded answers each question's grader is fitted on, ``real``
    the real answers whose false-alarm rate is measured (only ``correct`` and
    ``contradictory`` ones are surely on topic: Beetle's ``incorrect`` also holds
    irrelevant and non-domain answers). Returns ``{"adversarial": DataFrame,
    "real": DataFrame}`` with per-row grades and relevance.
    """
    adv = adversarial_set(df, sorted(real["question_id"].unique()), model_id=model_id)
    adv_rows, real_rows = [], []
    for qid, r in real.groupby("question_id", sort=True):
        shots = sample_support(support[support["question_id"] == qid], n_support, seed)
        grader = FewShotGrader(guard, model_id=model_id, l2=l2).fit(
            shots["question"].iloc[0], shots["student_answer"].fillna(""), grades_of(shots["label_3way"]))
        a = adv[adv["question_id"] == qid].copy()
        a["relevance"] = grader.relevance(a["answer"])
        a["grade"] = grader.predict(a["answer"])
        adv_rows.append(a)
        r = r.copy()
        r["relevance"] = grader.relevance(r["student_answer"].fillna(""))
        real_rows.append(r)
    adv_out = pd.concat(adv_rows, ignore_index=True)
    adv_out["flagged"] = adv_out["relevance"] < grader.threshold
    real_out = pd.concat(real_rows)
    real_out["flagged"] = real_out["relevance"] < grader.threshold
    real_out["on_topic"] = real_out["label_3way"].isin(["correct", "contradictory"])
    return {"adversarial": adv_out, "real": real_out}
