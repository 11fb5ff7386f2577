"""Short-answer measurements that only the results scripts run (not taught in a notebook).

``python -m course_tools.short_answer_results`` and ``course_tools.llm_plausibility`` use
these on top of :mod:`course_utils.short_answer`: Beetle's own labelled non-answers
split into dev and held-out questions, the layer-4 margin sweep, and the few-shot
grader on unseen questions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course_utils.config import SEED
from course_utils.short_answer.beetle import BEETLE_NON_ANSWERS, grades_of, sample_support
from course_utils.short_answer.evaluation import few_shot_predictions
from course_utils.short_answer.features import DEFAULT_EMBEDDING_MODEL
from course_utils.short_answer.grader import FewShotGrader
from course_utils.short_answer.nonsense import support_floor


def support_split(df: pd.DataFrame, n: int, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per question, ``n`` answers for the teacher to grade (support) and the rest (query)."""
    idx = np.concatenate([sample_support(g, n, seed).index.to_numpy()
                          for _, g in df.groupby("question_id", sort=True)])
    return df.loc[idx], df.drop(idx)


def unseen_question_predictions(uq: pd.DataFrame, guard, model_id: str,
                                n_support: int = 30, l2: float = 1.0, seed: int = SEED) -> pd.DataFrame:
    """Few-shot on unseen questions: per question, the teacher grades ``n_support`` answers; the rest are scored."""
    support, query = support_split(uq, n_support, seed)
    return few_shot_predictions(support, query, guard, model_id=model_id, n_support=n_support, l2=l2, seed=seed)


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


def guard_table(results: pd.DataFrame) -> pd.DataFrame:
    """Per category and subject: answers, share graded 0 (junk) or share flagged (real answers)."""
    def summary(g: pd.DataFrame) -> pd.Series:
        real = g.name[0] == "real_answer"
        return pd.Series({"answers": len(g), "graded_0": np.nan if real else float((g["grade"] == 0).mean()),
                          "flagged": float(g["flagged"].mean())})

    return results.groupby(["category", "subject"]).apply(summary, include_groups=False).reset_index()


def handwritten_outcomes(sets: pd.DataFrame, split: str = "heldout", **grader_kw) -> pd.DataFrame:
    """Per subject, a grader fitted on the *other* half's 12 graded answers judges ``split``'s answers.

    The teacher grades one half (4 answers per grade); the grader grades the other half's
    real answers and meets its junk. Columns: ``subject, author, category, gold, grade,
    referred, reason, rejected`` (``rejected``: the guard gave the 0).
    """
    rows = []
    for subject, s in sets.groupby("subject", sort=True):
        shots = s[(s["kind"] == "graded") & (s["split"] != split)]
        grader = FewShotGrader(**grader_kw).fit(s["question"].iloc[0], shots["answer"].fillna("").tolist(),
                                                shots["grade"].astype(int).to_numpy())
        rest = s[s["split"] == split]
        out = grader.predict_outcome(rest["answer"].fillna("").tolist())
        rows.append(out.assign(subject=subject, author=s["author"].iloc[0], category=rest["category"].to_numpy(),
                               gold=rest["grade"].to_numpy()))
    out = pd.concat(rows, ignore_index=True)
    out["rejected"] = (out["reason"] != "") & ~out["referred"]
    return out


def beetle_outcomes(uq: pd.DataFrame, n_support: int = 30, seed: int = 0, **grader_kw) -> pd.DataFrame:
    """Beetle's unseen questions: per question ``n_support`` graded answers (seeded), the rest judged.

    Columns as :func:`handwritten_outcomes` (``subject`` = the question id, ``category`` =
    ``real_answer`` or Beetle's 5-way non-answer label).
    """
    support, query = support_split(uq, n_support, seed)
    rows = []
    for qid, q in query.groupby("question_id", sort=True):
        shots = support[support["question_id"] == qid]
        grader = FewShotGrader(**grader_kw).fit(shots["question"].iloc[0], shots["student_answer"].fillna("").tolist(),
                                                grades_of(shots["label_3way"]))
        out = grader.predict_outcome(q["student_answer"].fillna("").tolist())
        category = np.where(q["label"].isin(BEETLE_NON_ANSWERS), q["label"], "real_answer")
        rows.append(out.assign(subject=str(qid), author="beetle", category=category, gold=grades_of(q["label_3way"])))
    out = pd.concat(rows, ignore_index=True)
    out["rejected"] = (out["reason"] != "") & ~out["referred"]
    return out


def outcome_table(outcomes: pd.DataFrame, source: str) -> pd.DataFrame:
    """Per category: answers, share graded 0, referred, graded 0 or referred, rejected by the guard."""
    g = outcomes.assign(zero=outcomes["grade"] == 0)
    g["zero_or_referred"] = g["zero"] | g["referred"]
    table = g.groupby("category").agg(answers=("grade", "size"), graded_0=("zero", "mean"),
                                      referred=("referred", "mean"), graded_0_or_referred=("zero_or_referred", "mean"),
                                      rejected_by_guard=("rejected", "mean")).reset_index()
    return table.assign(source=source)


def grading_scores(outcomes: pd.DataFrame, source: str, system: str) -> dict:
    """QWK (labels 0-2) with its subject-bootstrap interval, exact agreement and accuracy of the real answers'
    grades, referred ones included (with the 0 they keep until a teacher looks), and both again on the
    answers not referred (the grades no teacher checks)."""
    from course_utils.metrics import qwk

    real = outcomes[outcomes["category"] == "real_answer"]
    gold, pred = real["gold"].astype(int), real["grade"].astype(int)
    kept = ~real["referred"]
    low, high = subject_bootstrap_qwk(real)
    return {"source": source, "system": system, "answers": len(real), "qwk": qwk(gold, pred, 0, 2),
            "qwk_low": low, "qwk_high": high,
            "exact": float((gold == pred).mean()), "referred": float(real["referred"].mean()),
            "exact_not_referred": float((gold[kept] == pred[kept]).mean()),
            "qwk_not_referred": qwk(gold[kept], pred[kept], 0, 2)}


def subject_bootstrap_qwk(real: pd.DataFrame, n: int = 1000, seed: int = SEED) -> tuple[float, float]:
    """95% percentile interval of the pooled QWK (0-2), resampling whole subjects (or Beetle questions):
    answers to one question are not independent of each other."""
    from course_utils.metrics import bootstrap_ci

    ci = bootstrap_ci(real["gold"].astype(int), real["grade"].astype(int), "QWK", n=n, seed=seed,
                      groups=real["subject"])
    return ci.low, ci.high
