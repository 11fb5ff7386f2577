"""Evaluating the few-shot grader on Beetle: grades of unseen answers, scores, latency.

Taught in notebooks 17-19.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from course_utils.config import SEED
from course_utils.short_answer.beetle import GRADE_TO_3WAY, grades_of, sample_support
from course_utils.short_answer.features import DEFAULT_EMBEDDING_MODEL
from course_utils.short_answer.grader import FewShotGrader


def few_shot_predictions(
    support: pd.DataFrame,
    query: pd.DataFrame,
    guard,
    model_id: str = DEFAULT_EMBEDDING_MODEL,
    n_support: int = 30,
    l2: float = 0.3,
    seed: int = SEED,
    **grader_kw,
) -> pd.DataFrame:
    """Fit one grader per question on ``n_support`` answers from ``support``, grade ``query``.

    Both frames are in :func:`load_short_answers` form; a question in ``query`` must have
    answers in ``support``. ``guard`` as in :class:`FewShotGrader` (``None``: unguarded);
    ``grader_kw``: its other settings (``views=``, ``question_as_zero=``, ``char_weight=``). Returns ``query``'s
    rows with ``grade`` (gold), ``pred_grade``, ``pred_3way`` and ``relevance``.
    """
    out = []
    for qid, q_rows in query.groupby("question_id", sort=True):
        pool = support[support["question_id"] == qid]
        if pool.empty:
            raise ValueError(f"question {qid!r} has no graded answers in support.")
        shots = sample_support(pool, n_support, seed)
        grader = FewShotGrader(guard, model_id=model_id, l2=l2, **grader_kw).fit(
            shots["question"].iloc[0], shots["student_answer"], grades_of(shots["label_3way"])
        )
        rows = q_rows.copy()
        rows["grade"] = grades_of(rows["label_3way"])
        rows["pred_grade"] = grader.predict(rows["student_answer"])
        rows["relevance"] = grader.relevance(rows["student_answer"])
        out.append(rows)
    result = pd.concat(out)
    result["pred_3way"] = result["pred_grade"].map(GRADE_TO_3WAY)
    return result


def classification_scores(gold: Sequence[str], pred: Sequence[str]) -> dict:
    """3-way accuracy and macro-F1 (over the three Beetle classes)."""
    from sklearn.metrics import accuracy_score, f1_score

    labels = ["correct", "contradictory", "incorrect"]
    return {
        "accuracy": float(accuracy_score(gold, pred)),
        "macro_f1": float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)),
        "n": int(len(gold)),
    }


def latency_runs(question: str, answers: list[str], grades: np.ndarray, guard,
                 model_id: str, l2: float, n_runs: int = 200, n_warmup: int = 20,
                 n_cold: int | None = None) -> pd.DataFrame:
    """Milliseconds of every timed run: fitting one grader from ``answers``, and one live regrade.

    *fit* uses answers whose embeddings are cached (they were embedded when the teacher
    graded them); *fit incl. embedding* embeds ``len(answers)`` never-seen texts first;
    *regrade* embeds one never-seen answer, checks relevance and grades it. Runs with
    the caller's torch thread setting. ``n_warmup`` runs of each operation come first and
    are not returned (``n_warmup // 4`` for the slow one); ``n_cold``: runs of *fit incl.
    embedding* (default ``n_runs // 10``). Returns one row per run: ``operation``, ``run``
    (0, 1, ... in the order run) and ``ms``; :func:`latency_benchmark` summarises it.
    """
    n_cold = n_runs // 10 if n_cold is None else n_cold
    if min(n_runs, n_cold) < 1 or n_warmup < 0:
        raise ValueError(f"n_runs and n_cold must be at least 1 and n_warmup at least 0, "
                         f"got {n_runs}, {n_cold}, {n_warmup}.")
    from course_utils.embeddings import encode

    encode(answers + [question], model_id=model_id, use_disk=False)  # loads the model, caches the texts
    # texts never embedded before: an earlier call in this process holds its own in memory
    nonce = f"{time.time_ns():x}"
    grader = FewShotGrader(guard, model_id=model_id, l2=l2)
    rows = []
    fit_times = []
    for _ in range(n_warmup + n_runs):
        t = time.perf_counter()
        grader.fit(question, answers, grades)
        fit_times.append(time.perf_counter() - t)
    rows.append(("fit from cached embeddings", fit_times[n_warmup:]))
    cold_times = []
    for i in range(n_warmup // 4 + n_cold):
        fresh = [f"{a} ({nonce} v{i})" for a in answers]
        t = time.perf_counter()
        grader.fit(question, fresh, grades)
        cold_times.append(time.perf_counter() - t)
    rows.append(("fit incl. embedding the answers", cold_times[n_warmup // 4:]))
    regrade_times = []
    for i in range(n_warmup + n_runs):
        new = f"{answers[i % len(answers)]} {nonce} {i}"  # a text the cache has never seen
        t = time.perf_counter()
        grader.predict([new])  # one grade: embed, guard, grade (predict_proba would repeat the guard)
        regrade_times.append(time.perf_counter() - t)
    rows.append(("live regrade (embed, characters, guard, grade)", regrade_times[n_warmup:]))
    return pd.DataFrame([{"operation": name, "run": k, "ms": 1000 * t}
                         for name, ts in rows for k, t in enumerate(ts)])


def latency_benchmark(question: str, answers: list[str], grades: np.ndarray, guard,
                      model_id: str, l2: float, n_runs: int = 200, n_warmup: int = 20,
                      n_cold: int | None = None) -> pd.DataFrame:
    """p50 / p95 milliseconds of each operation of :func:`latency_runs` (same arguments), and its runs."""
    runs = latency_runs(question, answers, grades, guard, model_id, l2, n_runs, n_warmup, n_cold)
    return (runs.groupby("operation", sort=False)["ms"]
            .agg(p50_ms=lambda ms: np.percentile(ms, 50), p95_ms=lambda ms: np.percentile(ms, 95), runs="size")
            .reset_index())
