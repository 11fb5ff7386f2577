"""Issue 28's measurement: grades, referral ("needs a teacher") and latency on held-out data.

    python -m course_tools.short_answer_referral                  # ~1 min on 2 CPU cores
    python -m course_tools.short_answer_referral --latency-only   # the latency rows alone (~1 min)

Writes ``results/short_answer_referral.csv`` (one ``table`` column: ``grading``,
``outcomes``, ``latency``) and re-renders ``results/short_answer.md``. Two graders side
by side: today's default (two views of each answer, its character view and the question graded
0, ``l2 = 0.3``, the nonsense layer's verdicts referred) and the default before it (the answer
alone, ``l2 = 1``, the referral settings of then, the nonsense layer rejecting); the outcome
table is today's default's.
Data, each used once here:

* the hand-written sets' held-out halves: per subject the teacher's graded answers are
  the *dev* half's 12 (4 per grade); the grader grades the held-out half's 12 real
  answers and meets its 25 junk answers;
* Beetle's unseen questions (``test_uq``): per question 30 graded answers (random, seed
  0), the rest graded.

The settings were chosen on dev data only (the dev halves, Beetle's training questions):
see :mod:`course_utils.short_answer.referral` and the grader's ``views``.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pandas as pd

from course_tools.short_answer_eval import (
    beetle_outcomes,
    grading_scores,
    handwritten_outcomes,
    outcome_table,
)
from course_tools.short_answer_report import OUT, companion, render
from course_utils import short_answer as sa
from course_utils.config import SEED, seed_everything

BEFORE = sa.Referral(relevance_band=0.3, nonsense_band=0.04, support_margin=1.0, refer_nonsense=False)
SYSTEMS = {"answer only, l2 = 1 (the default before)": {"views": ("answer",), "l2": 1.0, "question_as_zero": False,
                                                         "char_weight": 0.0,
                                                         "referral": BEFORE},
           "answer + what it adds + characters, the question as a 0, l2 = 0.3 (today's default)": {}}  # last: outcomes
NINTH_BATCH = ("horticulture", "classical_civilisation", "pharmacology", "linguistics")
TENTH_BATCH = ("archaeology", "architecture", "forensic_science", "oceanography")


def grading_rows(sets: pd.DataFrame, uq: pd.DataFrame) -> tuple[list[dict], dict]:
    """QWK / exact / accuracy per source and system; the default system's outcomes for the outcome table."""
    rows, outcomes = [], {}
    for system, kw in SYSTEMS.items():
        hand = handwritten_outcomes(sets, "heldout", **kw)
        beetle = beetle_outcomes(uq, 30, 0, **kw)
        for source, part in ((f"hand-written, all {hand['subject'].nunique()} subjects", hand),
                             ("hand-written, by helpers", hand[hand["author"] == "independent"]),
                             ("hand-written, ninth batch", hand[hand["subject"].isin(NINTH_BATCH)]),
                             ("hand-written, tenth batch", hand[hand["subject"].isin(TENTH_BATCH)]),
                             ("Beetle unseen questions", beetle)):
            rows.append(grading_scores(part, source, system))
        outcomes = {"hand": hand, "beetle": beetle}
    return rows, outcomes


def regrade_latency(uq: pd.DataFrame, runs: int = 100) -> pd.DataFrame:
    """p50 / p95 ms: fit from cached embeddings, and one regrade of a never-seen answer, with
    ``predict`` and with ``predict_outcome``, and both again without the character view
    (``char_weight=0``), all taking turns (the same load for all)."""
    qid = sorted(uq["question_id"].unique())[0]
    shots = sa.sample_support(uq[uq["question_id"] == qid], 30, 0)
    question, answers = shots["question"].iloc[0], shots["student_answer"].fillna("").tolist()
    grades = sa.grades_of(shots["label_3way"])
    grader = sa.FewShotGrader().fit(question, answers, grades)  # embeds and caches the answers
    plain = sa.FewShotGrader(char_weight=0).fit(question, answers, grades)  # the same without the character view
    times = {"fit from cached embeddings": [], "live regrade (predict)": [],
             "live regrade with referral (predict_outcome)": [],
             "fit from cached embeddings, no character view": [], "live regrade (predict), no character view": []}
    nonce = f"{time.time_ns():x}"
    calls = (lambda i: grader.fit(question, answers, grades),
             lambda i: grader.predict([f"{answers[i % len(answers)]} {nonce} p{i}"]),
             lambda i: grader.predict_outcome([f"{answers[i % len(answers)]} {nonce} o{i}"]),
             lambda i: plain.fit(question, answers, grades),
             lambda i: plain.predict([f"{answers[i % len(answers)]} {nonce} n{i}"]))
    for i in range(runs + 10):
        for name, call in zip(times, calls):
            t = time.perf_counter()
            call(i)
            times[name].append(time.perf_counter() - t)
    return pd.DataFrame([{"operation": name, "p50_ms": 1000 * np.percentile(ts[10:], 50),
                          "p95_ms": 1000 * np.percentile(ts[10:], 95), "runs": runs} for name, ts in times.items()])


def timed_latency(uq: pd.DataFrame) -> pd.DataFrame:
    """:func:`regrade_latency` with torch's thread count and the load averages before and after."""
    import torch

    before = os.getloadavg()
    latency = regrade_latency(uq)
    loads = " -> ".join("/".join(f"{x:.1f}" for x in la) for la in (before, os.getloadavg()))
    return latency.assign(table="latency", threads=torch.get_num_threads(), load=loads)


def main(argv: list[str]) -> None:
    import torch

    from course_utils.data import load_short_answers

    seed_everything(SEED)
    torch.set_num_threads(2)
    df = load_short_answers("beetle")
    uq = df[df["split"] == "test_uq"]
    out = companion(OUT, "referral")
    if "--latency-only" in argv:  # re-measure the latency rows alone (a quieter machine), keep the rest
        old = pd.read_csv(out)
        pd.concat([old[old["table"] != "latency"], timed_latency(uq)], ignore_index=True).to_csv(out, index=False)
    else:
        rows, outcomes = grading_rows(sa.load_eval_sets(), uq)
        tables = [pd.DataFrame(rows).assign(table="grading"),
                  pd.concat([outcome_table(outcomes["hand"], "hand-written held-out halves"),
                             outcome_table(outcomes["beetle"], "Beetle unseen questions")]).assign(table="outcomes"),
                  timed_latency(uq)]
        pd.concat(tables, ignore_index=True).to_csv(out, index=False)
    render(OUT)
    print(f"wrote {out} and {OUT.with_suffix('.md')}")


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
