"""Evaluating the short-answer graders: the guard, latency, meta-learning tasks.

Taught in notebooks 18 and 19; ``python -m course_tools.short_answer_results`` uses the
same functions to write ``results/short_answer.md``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from course_utils import short_answer as sa
from course_utils.config import SEED


def train_relevance(train: pd.DataFrame, model_id: str, negatives_per_question: int = 6,
                    max_iter: int = 200) -> sa.RelevanceModel:
    """The relevance guard trained on the training split only."""
    ts = sa.RelevanceModel.training_set(train, negatives_per_question=negatives_per_question, model_id=model_id)
    return sa.RelevanceModel(model_id=model_id, max_iter=max_iter).fit(ts["question"], ts["answer"], ts["relevant"])


def meta_tasks(train: pd.DataFrame, model_id: str, n_support: int = 30, seed: int = SEED,
               max_questions: int | None = None) -> list[tuple]:
    """(support, query) tasks from training questions for :func:`short_answer.meta_learn_l2`."""
    from course_utils.embeddings import encode

    tasks = []
    for i, (_, g) in enumerate(train.groupby("question_id", sort=True)):
        if max_questions is not None and i >= max_questions:
            break
        if len(g) < n_support + 5:
            continue
        shots = sa.sample_support(g, n_support, seed)
        rest = g.drop(shots.index)
        X = encode(shots["student_answer"].fillna("").tolist(), model_id=model_id)
        Xq = encode(rest["student_answer"].fillna("").tolist(), model_id=model_id)
        tasks.append((X, sa.grades_of(shots["label_3way"]), Xq, sa.grades_of(rest["label_3way"])))
    return tasks


def unseen_question_predictions(uq: pd.DataFrame, relevance: sa.RelevanceModel | None, model_id: str,
                                n_support: int = 30, l2: float = 1.0, seed: int = SEED) -> pd.DataFrame:
    """Few-shot on unseen questions: per question, the teacher grades ``n_support`` answers; the rest are scored."""
    support, query = sa.support_split(uq, n_support, seed)
    return sa.few_shot_predictions(support, query, relevance, model_id=model_id, n_support=n_support, l2=l2, seed=seed)


def evaluate_guard(df: pd.DataFrame, support: pd.DataFrame, real: pd.DataFrame, relevance: sa.RelevanceModel,
                   model_id: str, l2: float, n_support: int = 30, seed: int = SEED) -> dict:
    """Adversarial set and false alarms, one grader per question.

    ``support`` holds the graded answers each question's grader is fitted on, ``real``
    the real answers whose false-alarm rate is measured (only ``correct`` and
    ``contradictory`` ones are surely on topic: Beetle's ``incorrect`` also holds
    irrelevant and non-domain answers). Returns ``{"adversarial": DataFrame,
    "real": DataFrame}`` with per-row grades and relevance.
    """
    adv = sa.adversarial_set(df, sorted(real["question_id"].unique()), model_id=model_id)
    adv_rows, real_rows = [], []
    for qid, r in real.groupby("question_id", sort=True):
        shots = sa.sample_support(support[support["question_id"] == qid], n_support, seed)
        grader = sa.FewShotGrader(relevance, model_id=model_id, l2=l2).fit(
            shots["question"].iloc[0], shots["student_answer"].fillna(""), sa.grades_of(shots["label_3way"]))
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


def latency_benchmark(question: str, answers: list[str], grades: np.ndarray, relevance: sa.RelevanceModel,
                      model_id: str, l2: float, n_runs: int = 200, n_warmup: int = 20) -> pd.DataFrame:
    """p50 / p95 milliseconds: fitting one grader from ``answers``, and one live regrade.

    *fit* uses answers whose embeddings are cached (they were embedded when the teacher
    graded them); *fit incl. embedding* embeds ``len(answers)`` never-seen texts first;
    *regrade* embeds one never-seen answer, checks relevance and grades it. Runs with
    the caller's torch thread setting.
    """
    from course_utils.embeddings import encode

    encode(answers + [question], model_id=model_id, use_disk=False)  # loads the model, caches the texts
    grader = sa.FewShotGrader(relevance, model_id=model_id, l2=l2)
    rows = []
    fit_times = []
    for _ in range(n_warmup + n_runs):
        t = time.perf_counter()
        grader.fit(question, answers, grades)
        fit_times.append(time.perf_counter() - t)
    rows.append(("fit from cached embeddings", fit_times[n_warmup:]))
    cold_times = []
    for i in range(n_warmup // 4 + n_runs // 10):
        fresh = [f"{a} (v{i})" for a in answers]
        t = time.perf_counter()
        grader.fit(question, fresh, grades)
        cold_times.append(time.perf_counter() - t)
    rows.append(("fit incl. embedding the answers", cold_times[n_warmup // 4:]))
    regrade_times = []
    for i in range(n_warmup + n_runs):
        new = f"{answers[i % len(answers)]} {i}"  # a text the cache has never seen
        t = time.perf_counter()
        grader.predict_proba([new])
        grader.predict([new])
        regrade_times.append(time.perf_counter() - t)
    rows.append(("live regrade (embed + guard + grade)", regrade_times[n_warmup:]))
    return pd.DataFrame(
        [{"operation": name, "p50_ms": 1000 * np.percentile(ts, 50), "p95_ms": 1000 * np.percentile(ts, 95),
          "runs": len(ts)} for name, ts in rows]
    )
