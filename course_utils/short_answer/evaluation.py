"""Evaluating the short-answer graders on Beetle.

Taught in notebooks 18 and 19; ``python -m course_tools.short_answer_results`` uses
the same functions.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from course_utils.config import SEED
from course_utils.short_answer.features import DEFAULT_EMBEDDING_MODEL
from course_utils.short_answer.grader import FewShotGrader
from course_utils.short_answer.junk import make_junk, other_question_pools
from course_utils.short_answer.relevance import RelevanceModel

BEETLE_GRADES = {"incorrect": 0, "contradictory": 1, "correct": 2}
GRADE_TO_3WAY = {v: k for k, v in BEETLE_GRADES.items()}
BEETLE_GRADES_5WAY = {
    "irrelevant": 0,
    "non_domain": 0,
    "contradictory": 1,
    "partially_correct_incomplete": 2,
    "correct": 3,
}
BEETLE_NON_ANSWERS = ("non_domain", "irrelevant")


def sample_support(group: pd.DataFrame, n: int, seed: int = SEED) -> pd.DataFrame:
    """``n`` graded answers of one question (all of them when there are fewer), seeded."""
    if n < 2:
        raise ValueError(f"n must be at least 2 graded answers, got {n}.")
    return group.sample(min(n, len(group)), random_state=seed)


def support_split(df: pd.DataFrame, n: int, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per question, ``n`` answers for the teacher to grade (support) and the rest (query)."""
    idx = np.concatenate([sample_support(g, n, seed).index.to_numpy()
                          for _, g in df.groupby("question_id", sort=True)])
    return df.loc[idx], df.drop(idx)


def grades_of(labels_3way: Sequence[str]) -> np.ndarray:
    """Beetle 3-way labels as integer grades (:data:`BEETLE_GRADES`)."""
    try:
        return np.array([BEETLE_GRADES[v] for v in labels_3way], dtype=int)
    except KeyError as exc:
        raise ValueError(f"Unknown 3-way label {exc.args[0]!r}; expected {sorted(BEETLE_GRADES)}.") from None


def few_shot_predictions(
    support: pd.DataFrame,
    query: pd.DataFrame,
    guard,
    model_id: str = DEFAULT_EMBEDDING_MODEL,
    n_support: int = 30,
    l2: float = 1.0,
    seed: int = SEED,
) -> pd.DataFrame:
    """Fit one grader per question on ``n_support`` answers from ``support``, grade ``query``.

    Both frames are in :func:`load_short_answers` form; a question in ``query`` must have
    answers in ``support``. ``guard`` as in :class:`FewShotGrader` (``None``: unguarded). Returns ``query``'s rows with ``grade`` (gold),
    ``pred_grade``, ``pred_3way`` and ``relevance``.
    """
    out = []
    for qid, q_rows in query.groupby("question_id", sort=True):
        pool = support[support["question_id"] == qid]
        if pool.empty:
            raise ValueError(f"question {qid!r} has no graded answers in support.")
        shots = sample_support(pool, n_support, seed)
        grader = FewShotGrader(guard, model_id=model_id, l2=l2).fit(
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


def classification_scores(gold: Sequence[str], pred: Sequence[str]) -> dict:
    """3-way accuracy and macro-F1 (over the three Beetle classes)."""
    from sklearn.metrics import accuracy_score, f1_score

    labels = ["correct", "contradictory", "incorrect"]
    return {
        "accuracy": float(accuracy_score(gold, pred)),
        "macro_f1": float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)),
        "n": int(len(gold)),
    }


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


def train_relevance(train: pd.DataFrame, model_id: str = DEFAULT_EMBEDDING_MODEL, negatives_per_question: int = 6,
                    max_iter: int = 200, held_out_questions=()) -> RelevanceModel:
    """The relevance model trained on the training split only.

    Beetle's own ``non_domain`` / ``irrelevant`` answers become negatives, except those
    of ``held_out_questions``: they are left out entirely, to evaluate the guard on
    labelled junk it never saw.
    """
    if "label" in train.columns:
        train = train[~(train["label"].isin(BEETLE_NON_ANSWERS) & train["question_id"].isin(list(held_out_questions)))]
    ts = RelevanceModel.training_set(train, negatives_per_question=negatives_per_question, model_id=model_id,
                                     exclude_labels=BEETLE_NON_ANSWERS)
    return RelevanceModel(model_id=model_id, max_iter=max_iter).fit(ts["question"], ts["answer"], ts["relevant"])


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
        shots = sample_support(g, n_support, seed)
        rest = g.drop(shots.index)
        X = encode(shots["student_answer"].fillna("").tolist(), model_id=model_id)
        Xq = encode(rest["student_answer"].fillna("").tolist(), model_id=model_id)
        tasks.append((X, grades_of(shots["label_3way"]), Xq, grades_of(rest["label_3way"])))
    return tasks


def unseen_question_predictions(uq: pd.DataFrame, guard, model_id: str,
                                n_support: int = 30, l2: float = 1.0, seed: int = SEED) -> pd.DataFrame:
    """Few-shot on unseen questions: per question, the teacher grades ``n_support`` answers; the rest are scored."""
    support, query = support_split(uq, n_support, seed)
    return few_shot_predictions(support, query, guard, model_id=model_id, n_support=n_support, l2=l2, seed=seed)


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


def latency_benchmark(question: str, answers: list[str], grades: np.ndarray, guard,
                      model_id: str, l2: float, n_runs: int = 200, n_warmup: int = 20) -> pd.DataFrame:
    """p50 / p95 milliseconds: fitting one grader from ``answers``, and one live regrade.

    *fit* uses answers whose embeddings are cached (they were embedded when the teacher
    graded them); *fit incl. embedding* embeds ``len(answers)`` never-seen texts first;
    *regrade* embeds one never-seen answer, checks relevance and grades it. Runs with
    the caller's torch thread setting.
    """
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
    for i in range(n_warmup // 4 + n_runs // 10):
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
    rows.append(("live regrade (embed + guard + grade)", regrade_times[n_warmup:]))
    return pd.DataFrame(
        [{"operation": name, "p50_ms": 1000 * np.percentile(ts, 50), "p95_ms": 1000 * np.percentile(ts, 95),
          "runs": len(ts)} for name, ts in rows]
    )
