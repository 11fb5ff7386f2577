"""Would a stronger embedding model grade better? The few-shot grader on dev data only (issue 28, goal 1).

    python -m course_tools.short_answer_models            # about 5 minutes on 2 CPU cores
    python -m course_tools.short_answer_models --render   # the .md from the CSV, nothing run

The grader reads each answer through a sentence-embedding model: all-MiniLM-L6-v2 by default
(22M parameters, 384 numbers). all-mpnet-base-v2 (110M parameters, 768 numbers; offline from
its five PyPI parts, checked against the Hub's SHA-256) is the stronger model the course can
load without the Hub. Both graders are the classifier alone (``guard=None``: the relevance
model is trained on MiniLM's embeddings), every other setting the default, on dev data only:

* Beetle's training questions with at least 40 answers: per question 30 graded answers
  (random, seed 0), the rest graded; accuracy, and the difference per question, paired, with
  a bootstrap interval over questions;
* the hand-written sets' dev halves: per subject and draw, 3 graded answers per grade, the
  other 3 graded; 10 draws; QWK pooled over subjects and draws, and the difference with a
  bootstrap interval over subjects (their draws kept together).

Also the median time of one live regrade (embed one answer, grade it) for each model, 2 torch
threads. Writes ``results/short_answer_models.csv`` and renders ``.md`` from it.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from course_tools.literature import ROOT

CSV_PATH = ROOT / "results" / "short_answer_models.csv"
MD_PATH = ROOT / "results" / "short_answer_models.md"
COMMAND = "python -m course_tools.short_answer_models"
FIELDS = ["model", "source", "units", "answers", "score", "metric", "diff", "diff_low", "diff_high", "regrade_p50_ms",
          "machine", "date"]
DRAWS = 10


def beetle_tasks() -> list[tuple]:
    """``(unit, question, graded answers, grades, other answers, their grades)`` per training question."""
    from course_utils import short_answer as sa
    from course_utils.data import load_short_answers

    train = load_short_answers("beetle").query("split == 'train'")
    tasks = []
    for qid, q in train.groupby("question_id", sort=True):
        if len(q) < 40:
            continue
        shots = sa.sample_support(q, 30, 0)
        rest = q.drop(shots.index)
        tasks.append((qid, q["question"].iloc[0], shots["student_answer"].fillna("").tolist(),
                      sa.grades_of(shots["label_3way"]), rest["student_answer"].fillna("").tolist(),
                      sa.grades_of(rest["label_3way"])))
    return tasks


def handwritten_tasks(draws: int = DRAWS) -> list[tuple]:
    """The same per subject and draw: 3 graded answers per grade of the dev half, the others graded."""
    from course_utils import short_answer as sa

    sets = sa.load_eval_sets().query("split == 'dev' and kind == 'graded'")
    tasks = []
    for subject, g in sets.groupby("subject", sort=True):
        grades = g["grade"].astype(int).to_numpy()
        answers = g["answer"].tolist()
        for d in range(draws):
            rng = np.random.default_rng(d)
            chosen = np.concatenate([rng.choice(np.flatnonzero(grades == c), 3, replace=False)
                                     for c in np.unique(grades)])
            graded = np.zeros(len(g), bool)
            graded[chosen] = True
            tasks.append((subject, g["question"].iloc[0], [a for a, k in zip(answers, graded) if k], grades[graded],
                          [a for a, k in zip(answers, graded) if not k], grades[~graded]))
    return tasks


def grade_all(tasks: list[tuple], model_id: str) -> pd.DataFrame:
    """Every graded answer: unit (question or subject), gold, predicted (the classifier alone)."""
    from course_utils import short_answer as sa

    rows = []
    for unit, question, answers, grades, others, gold in tasks:
        grader = sa.FewShotGrader(None, model_id=model_id).fit(question, answers, grades)
        rows.append(pd.DataFrame({"unit": unit, "gold": gold, "pred": grader.predict(others)}))
    return pd.concat(rows, ignore_index=True)


def _score(df: pd.DataFrame, metric: str) -> float:
    from course_utils.metrics import qwk

    return float((df.gold == df.pred).mean()) if metric == "accuracy" else qwk(df.gold, df.pred, 0, 2)


def paired_interval(a: pd.DataFrame, b: pd.DataFrame, metric: str, n: int = 2000, seed: int = 0) -> tuple:
    """95% bootstrap interval of score(b) - score(a), resampling units (questions or subjects) whole:
    :func:`course_utils.metrics.paired_bootstrap` with ``groups``. ``a`` and ``b`` grade the same answers."""
    from course_utils.metrics import paired_bootstrap, qwk

    def score(gold, pred):
        return float(np.mean(gold == pred)) if metric == "accuracy" else qwk(gold, pred, 0, 2)

    result = paired_bootstrap(a["gold"], b["pred"], a["pred"], metric=score, n_resamples=n, seed=seed,
                              groups=a["unit"])
    return result.low, result.high


def regrade_p50(model_id: str, task: tuple, runs: int = 50) -> float:
    """Median ms of one live regrade (an answer never embedded before), after 5 warm-up runs."""
    from course_utils import short_answer as sa

    _, question, answers, grades, others, _ = task
    grader = sa.FewShotGrader(None, model_id=model_id).fit(question, answers, grades)
    nonce, times = f"{time.time_ns():x}", []
    for i in range(runs + 5):
        start = time.perf_counter()
        grader.predict([f"{others[i % len(others)]} {nonce} {i}"])
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times[5:]))


def compare() -> list[dict]:
    import torch

    from course_tools.run_course import machine
    from course_utils.config import SEED, seed_everything
    from course_utils.hub import MINILM_ID, MPNET_ID

    torch.set_num_threads(2)
    seed_everything(SEED)
    sources = {"Beetle training questions": (beetle_tasks(), "accuracy", "questions"),
               "hand-written dev halves": (handwritten_tasks(), "QWK", "subjects")}
    rows = []
    for source, (tasks, metric, units) in sources.items():
        graded = {m: grade_all(tasks, m) for m in (MINILM_ID, MPNET_ID)}
        for m, df in graded.items():
            low, high = (0.0, 0.0) if m == MINILM_ID else paired_interval(graded[MINILM_ID], df, metric)
            rows.append({"model": m, "source": source, "units": f"{df.unit.nunique()} {units}", "answers": len(df),
                         "score": f"{_score(df, metric):.4f}", "metric": metric,
                         "diff": f"{_score(df, metric) - _score(graded[MINILM_ID], metric):+.4f}",
                         "diff_low": f"{low:+.4f}", "diff_high": f"{high:+.4f}",
                         "regrade_p50_ms": f"{regrade_p50(m, tasks[0]):.1f}", "machine": machine(),
                         "date": f"{datetime.now(timezone.utc):%Y-%m-%d}"})
            print(f"{source}, {m}: {metric} {rows[-1]['score']}", flush=True)
    return rows


def render(rows: list[dict]) -> str:
    """``short_answer_models.md`` from the stored rows (nothing is run)."""
    from course_tools.tables import markdown_table

    table = pd.DataFrame([[r["source"], r["model"].split("/")[-1], r["units"], r["answers"], r["metric"], r["score"],
                           "" if r["diff"] == "+0.0000" and r["diff_low"] == r["diff_high"] else
                           f"{r['diff']} ({r['diff_low']} to {r['diff_high']})", r["regrade_p50_ms"]] for r in rows],
                         columns=["data", "embedding model", "units", "gradings", "metric", "score",
                                  "difference from MiniLM (95% paired interval)", "regrade p50 (ms)"])
    return "\n".join([
        "# Short answers: a larger embedding model for the few-shot grader? (dev data only)", "",
        f"Regenerate: `{COMMAND}` (writes `short_answer_models.csv`; `--render` writes this file from it alone; "
        "do not edit either by hand).", "",
        "The classifier alone (no guard), default settings, with all-MiniLM-L6-v2 (the default) or "
        "all-mpnet-base-v2 (five times the parameters; its weights checked against the Hub's). Beetle: its "
        "training questions with at least 40 answers, 30 graded answers each (seed 0), the rest graded. "
        f"Hand-written: the dev halves, 3 teacher-graded answers per grade (9, fewer than the 12 of the "
        f"held-out measurement) and the other 3 answers graded by the grader, {DRAWS} draws per subject, so an "
        "answer is graded in several draws (`gradings` counts every grading). Differences are paired (the same answers graded both ways) with a bootstrap interval over "
        "questions or subjects. Regrade: the median of 50 live regrades (2 torch threads) on the first "
        "question or subject, the classifier alone, measured in this run: compare the two models' rows with "
        f"each other, not with other tables. Machine: {rows[0]['machine']}; {rows[0]['date']}.", "",
        markdown_table(table, numparse=False), "", _conclusion(rows), "",
    ])


def _conclusion(rows: list[dict]) -> str:
    """What the table says, from its intervals and times (nothing hand-written about the figures)."""
    other = [r for r in rows if "mpnet" in r["model"]]
    base = [r for r in rows if r not in other]
    open_ = [r for r in other if float(r["diff_low"]) <= 0 <= float(r["diff_high"])]
    ms = [float(r["regrade_p50_ms"]) for r in other]
    slower = np.mean(ms) / np.mean([float(r["regrade_p50_ms"]) for r in base])
    shown = (f"On {len(open_)} of {len(other)} data sets the interval includes 0: no difference shown there. "
             if open_ else "Every interval excludes 0. ")
    cost = f"A regrade with all-mpnet-base-v2 takes about {slower:.0f} times as long (median up to {max(ms):.0f} ms here"
    return shown + cost + (", beyond the 25 ms target), so MiniLM stays the default." if min(ms) > 25 else ").")


def main(argv: list[str] | None = None) -> int:
    from course_tools.results import report_main

    return report_main(argv, __doc__.splitlines()[0], compare, CSV_PATH, MD_PATH, render, COMMAND, FIELDS)


if __name__ == "__main__":
    sys.exit(main())
