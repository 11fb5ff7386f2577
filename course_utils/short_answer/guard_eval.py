"""Evaluating the guard on junk it never trained on.

Taught in notebook 18. Two sources, neither produced by the guard's generators:

* hand-written sets in ``course_utils/short_answer/eval_sets/`` (see its README): per subject, one
  question, 24 graded answers and 50 junk answers in five categories, each split
  into ``dev`` (for choosing settings) and ``heldout`` (reported, never tuned on);
  twenty-three of the twenty-six subjects were written by helpers who never saw the guard;
* Beetle's own ``non_domain`` / ``irrelevant`` training answers (left out of the
  shipped relevance model's training), split by question into dev and held-out.

The targets: every junk answer graded 0; at most 5% of real answers flagged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from course_utils.config import SEED
from course_utils.short_answer.evaluation import BEETLE_NON_ANSWERS, grades_of, sample_support
from course_utils.short_answer.features import DEFAULT_EMBEDDING_MODEL
from course_utils.short_answer.grader import FewShotGrader
from course_utils.short_answer.guard import support_floor

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


def evaluate_subjects(sets: pd.DataFrame, guard="default", split: str = "heldout",
                      model_id: str = DEFAULT_EMBEDDING_MODEL) -> pd.DataFrame:
    """Grade each subject's junk and real answers of ``split``; one row per answer.

    Junk: a grader fitted on all of the subject's graded answers. Real answers:
    leave-one-out, a grader fitted on the *other* graded answers, so no answer is
    checked against itself. Columns: ``subject, category, answer, grade, gold`` (the teacher's
    grade of a real answer), ``flagged, reason``.
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
        _, reasons = grader.check(junk["answer"])
        rows.append(pd.DataFrame({"subject": subject, "category": junk["category"], "answer": junk["answer"],
                                  "grade": grader.predict(junk["answer"]), "gold": np.nan, "reason": reasons}))
        for i in np.flatnonzero(graded["split"] == split):
            keep = np.arange(len(graded)) != i
            loo = FewShotGrader(guard, model_id=model_id).fit(question, [answers[j] for j in np.flatnonzero(keep)],
                                                              grades[keep])
            rows.append(pd.DataFrame({"subject": [subject], "category": ["real_answer"], "answer": [answers[i]],
                                      "grade": loo.predict([answers[i]]), "gold": [grades[i]],
                                      "reason": loo.reasons([answers[i]])}))
    out = pd.concat(rows, ignore_index=True)
    out["flagged"] = out["reason"] != ""
    return out


def beetle_non_answer_split(train: pd.DataFrame) -> dict[str, list[str]]:
    """Training questions with labelled non-answers, alternately to ``dev`` and ``heldout``."""
    qids = sorted(train.loc[train["label"].isin(BEETLE_NON_ANSWERS), "question_id"].unique())
    return {"dev": qids[::2], "heldout": qids[1::2]}


def beetle_grades_by_label(train: pd.DataFrame, guard="default", split: str = "heldout", n_support: int = 30,
                           model_id: str = DEFAULT_EMBEDDING_MODEL, seed: int = SEED) -> pd.DataFrame:
    """Every answer of ``split``'s questions that is not in the support set, graded, with its 5-way label.

    Each question's grader is fitted on ``n_support`` of its answers that are not
    ``non_domain`` / ``irrelevant``. Shows what Beetle's ``irrelevant`` answers are:
    compare the share graded 0 with that of ``partially_correct_incomplete`` answers,
    which are grade 0 in the 3-way scheme too. Columns: ``label, answer, grade, reason, flagged``.
    """
    rows = []
    for qid in beetle_non_answer_split(train)[split]:
        q = train[train["question_id"] == qid]
        shots = sample_support(q[~q["label"].isin(BEETLE_NON_ANSWERS)], n_support, seed)
        grader = FewShotGrader(guard, model_id=model_id).fit(
            shots["question"].iloc[0], shots["student_answer"].fillna(""), grades_of(shots["label_3way"]))
        rest = q.drop(shots.index)
        answers = rest["student_answer"].fillna("").tolist()
        rows.append(pd.DataFrame({"label": rest["label"].to_numpy(), "answer": answers,
                                  "grade": grader.predict(answers), "reason": grader.reasons(answers)}))
    out = pd.concat(rows, ignore_index=True)
    out["flagged"] = out["reason"] != ""
    return out


def evaluate_beetle_non_answers(train: pd.DataFrame, guard="default", split: str = "heldout",
                                n_support: int = 30, model_id: str = DEFAULT_EMBEDDING_MODEL,
                                seed: int = SEED, graded: pd.DataFrame | None = None) -> pd.DataFrame:
    """Beetle's ``non_domain`` / ``irrelevant`` answers of ``split``'s questions, graded.

    The rows of :func:`beetle_grades_by_label` with those labels (pass its result as
    ``graded`` to reuse it). Columns as :func:`evaluate_subjects` (``subject`` =
    ``"beetle"``, ``category`` = the 5-way label).
    """
    if graded is None:
        graded = beetle_grades_by_label(train, guard, split, n_support, model_id, seed)
    junk = graded[graded["label"].isin(BEETLE_NON_ANSWERS)]
    return pd.DataFrame({"subject": "beetle", "category": junk["label"], "answer": junk["answer"],
                         "grade": junk["grade"], "reason": junk["reason"],
                         "flagged": junk["flagged"]}).reset_index(drop=True)


def guard_table(results: pd.DataFrame) -> pd.DataFrame:
    """Per category and subject: answers, share graded 0 (junk) or share flagged (real answers)."""
    def summary(g: pd.DataFrame) -> pd.Series:
        real = g.name[0] == "real_answer"
        return pd.Series({"answers": len(g), "graded_0": np.nan if real else float((g["grade"] == 0).mean()),
                          "flagged": float(g["flagged"].mean())})

    return results.groupby(["category", "subject"]).apply(summary, include_groups=False).reset_index()


def support_similarity_sweep(train: pd.DataFrame, sets: pd.DataFrame, margins=(0.6, 0.7, 0.8, 0.85, 0.9, 1.0, 1.1),
                             n_support: int = 30, model_id: str = DEFAULT_EMBEDDING_MODEL,
                             seed: int = SEED) -> pd.DataFrame:
    """Layer 4 (:func:`support_floor`) on *dev* data only, for each ``margin``; ``margin`` NaN = off.

    On top of the default guard: Beetle's dev questions (their non-answers; their
    other ``correct`` / ``contradictory`` answers as real ones) and the dev halves of
    the hand-written sets (real answers leave-one-out). Columns: ``margin, source,
    category, flagged, answers`` -- the share flagged (hand-written junk pooled).
    """
    rows = []  # (source, category, guard flagged, best cosine to a credited answer, floor at margin 1)

    def add(source, question, answers, grades, texts, categories):
        grader = FewShotGrader(model_id=model_id).fit(question, answers, grades)
        ctx = grader.guard_context_
        best = (grader.guard_._embed(texts) @ ctx.support_emb[np.asarray(grades) > 0].T).max(1)
        floor = support_floor(ctx.support_emb, grades, 0, 1.0)
        rows.extend((source, c, r != "", b, floor) for c, r, b in zip(categories, grader.reasons(texts), best))

    for qid in beetle_non_answer_split(train)["dev"]:
        q = train[train["question_id"] == qid]
        real = q[~q["label"].isin(BEETLE_NON_ANSWERS)]
        shots = sample_support(real, n_support, seed)
        rest = real.drop(shots.index)
        rest = rest[rest["label_3way"].isin(["correct", "contradictory"])]
        junk = q[q["label"].isin(BEETLE_NON_ANSWERS)]
        texts = junk["student_answer"].fillna("").tolist() + rest["student_answer"].fillna("").tolist()
        add("beetle", shots["question"].iloc[0], shots["student_answer"].fillna("").tolist(),
            grades_of(shots["label_3way"]), texts, junk["label"].tolist() + ["real_answer"] * len(rest))
    for _, s in sets.groupby("subject", sort=True):
        graded = s[s["kind"] == "graded"].reset_index(drop=True)
        answers, grades = graded["answer"].tolist(), graded["grade"].astype(int).to_numpy()
        junk = s[(s["kind"] == "junk") & (s["split"] == "dev")]
        add("hand-written", s["question"].iloc[0], answers, grades, junk["answer"].tolist(), junk["category"].tolist())
        for i in np.flatnonzero(graded["split"] == "dev"):
            keep = np.arange(len(graded)) != i
            add("hand-written", s["question"].iloc[0], [answers[j] for j in np.flatnonzero(keep)], grades[keep],
                [answers[i]], ["real_answer"])
    d = pd.DataFrame(rows, columns=["source", "category", "flagged", "best", "floor"])
    d.loc[(d["source"] == "hand-written") & (d["category"] != "real_answer"), "category"] = "all junk"
    out = []
    for margin in (np.nan, *margins):
        flag = d["flagged"] if np.isnan(margin) else d["flagged"] | (d["best"] < margin * d["floor"])
        for (source, category), g in d.assign(f=flag).groupby(["source", "category"]):
            out.append({"margin": margin, "source": source, "category": category, "flagged": g["f"].mean(),
                        "answers": len(g)})
    return pd.DataFrame(out)

