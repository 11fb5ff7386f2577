"""Measure the short-answer graders into ``results/short_answer*.csv``, then render ``results/short_answer.md``.

    python -m course_tools.short_answer_results            # everything (~10-20 min on 2 busy CPU cores)
    python -m course_tools.short_answer_results --skip-cross-encoder   # keeps the previous cross-encoder rows
    python -m course_tools.short_answer_results --rebuild-guard        # retrains the shipped relevance model first
    python -m course_tools.short_answer_results --skip-language-models # keeps the previous layer-5 and chat-model rows
    python -m course_tools.short_answer_results --latency-only         # re-measures only the latency rows (~1 min)

``--latency-only`` is for a quiet machine: it replaces the latency rows of
``results/short_answer.csv`` and keeps every other row as it was; the report says
when, and under what load, each part was measured. Every run ends by rendering the
Markdown report from the CSVs alone (:mod:`course_tools.short_answer_report`).

What is measured (Beetle, SemEval-2013 Task 7, 3-way labels):

* the cross-encoder (notebook 17) and the few-shot grader (notebook 18): accuracy and
  macro-F1 on unseen answers (``test_ua``) and unseen questions (``test_uq``);
* the default guard (``FewShotGrader()``) on junk it never trained on: the hand-written
  sets of ``course_utils/short_answer/eval_sets/`` (held-out halves) and Beetle's own labelled
  non-answers (held-out questions), by category and subject; on generated junk
  (:func:`course_utils.short_answer.guard_eval.adversarial_set`); and the share of real answers it
  wrongly rejects;
* latency on this machine's CPU: fitting one question's grader from 30 answers, and
  one live regrade that embeds a never-seen answer;
* the guard's optional layer 4 (an answer unlike every credited support answer) on
  *dev* questions only, for several margins (:func:`course_tools.short_answer_eval.support_similarity_sweep`);
* a chat model asked whether an answer is a serious attempt, on the hand-written dev
  halves (:mod:`course_tools.llm_plausibility`; not a guard layer).

Model selection uses the training split only (the L2 strength is meta-learned on
training questions, the cross-encoder's best epoch is chosen on dev questions carved
from train). The test splits are used once, for the table.

The evaluation functions it calls are taught in notebooks 18-19 and live in
:mod:`course_utils.short_answer` and :mod:`course_tools.short_answer_eval`. ``--rebuild-guard``
writes ``course_utils/short_answer/relevance_minilm.npz``, the relevance model that
``FewShotGrader()`` uses by default (Beetle training split only).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

from course_tools.short_answer_eval import (
    beetle_grades_by_label,
    beetle_non_answer_split,
    evaluate_beetle_non_answers,
    guard_table,
    support_similarity_sweep,
    support_split,
    unseen_question_predictions,
)
from course_tools.short_answer_report import OUT, companion, render, tidy
from course_utils import short_answer as sa
from course_utils.config import SEED, seed_everything
from course_utils.short_answer.evaluation import latency_benchmark
from course_utils.short_answer.features import DEFAULT_EMBEDDING_MODEL
from course_utils.short_answer.guard import default_guard
from course_utils.short_answer.relevance import DEFAULT_WEIGHTS, default_relevance_model

ROOT = Path(__file__).resolve().parent.parent
# tables whose rows a --skip-... run takes from the previous CSV instead of measuring them
LANGUAGE_MODEL_TABLES = ("llm_plausibility_dev", "guard_layer5_heldout")
LAYER5_INFO = ("layer5_model", "layer5_bar", "layer5_seconds", "layer5_regrade_p50_ms", "layer5_regrade_p95_ms",
               "layer5_threads")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--embedding-model", default=DEFAULT_EMBEDDING_MODEL)
    parser.add_argument("--cross-encoder-model", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--cross-encoder-epochs", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--n-support", type=int, default=30)
    parser.add_argument("--latency-runs", type=int, default=200)
    parser.add_argument("--skip-cross-encoder", action="store_true",
                        help="keep the previous run's cross-encoder rows and epoch table")
    parser.add_argument("--skip-language-models", action="store_true",
                        help="keep the previous run's chat-model (plausibility) and layer-5 rows")
    parser.add_argument("--latency-only", action="store_true",
                        help="re-measure only the latency rows and keep every other row of the existing CSVs")
    parser.add_argument("--rebuild-guard", action="store_true",
                        help="retrain the shipped relevance model (Beetle train split) before measuring")
    parser.add_argument("--threads", type=int, default=2,
                        help="torch threads (default 2: both cores of the course's 2-core target machine; "
                             "1 on a machine shared with other jobs)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    import torch

    from course_utils.data import load_short_answers

    args = parse_args(argv)
    seed_everything(SEED)
    # The latency target is for a quiet 2-core machine, so two threads by default; on a
    # machine shared with other jobs a second thread mostly waits (--threads 1).
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    df = load_short_answers("beetle")
    if args.latency_only:
        train, ua = (df[df["split"] == s] for s in ("train", "test_ua"))
        latency, info = measure_latency(train, ua, args.embedding_model, previous_l2(out.with_suffix(".csv")),
                                        args.n_support, args.latency_runs)
        replace_latency(out, latency, info)
    else:
        measure(df, args, " ".join(["python -m course_tools.short_answer_results", *(argv or [])]))
    render(out)
    print(f"wrote {out.with_suffix('.md')} from {out.with_suffix('.csv')} and its companions")


def measure(df: pd.DataFrame, args: argparse.Namespace, command: str) -> None:
    """Every measurement of a full run, written to the CSVs (nothing rendered here)."""
    import torch

    from course_utils.hub import MINILM_ID, resolve_model

    out, model_id = Path(args.out), args.embedding_model
    train, ua, uq = (df[df["split"] == s] for s in ("train", "test_ua", "test_uq"))
    used = resolve_model(model_id, kind="encoder", verbose=False)
    info = {"command": command, "measured": stamp(), "machine": platform.machine(), "cpu_count": os.cpu_count(),
            "model_id": model_id, "n_support": args.n_support,
            "used_embedding": model_id if used == model_id else f"{MINILM_ID} (local copy; the Hub is offline)"}
    load_before = os.getloadavg()
    if args.rebuild_guard:
        rebuild_guard(train)
    sets = sa.load_eval_sets()
    guard = guard_measurements(df, train, ua, uq, sets, args.n_support, model_id)
    tables, answers = guard.pop("tables"), guard.pop("answers")
    info.update(guard.pop("info"))
    load_mid = os.getloadavg()
    tables["scores"] = pd.DataFrame(grader_rows(train, ua, uq, args, guard["l2"]))
    lm_tables, lm_answers, lm_info = language_model_rows(out, sets, train, guard, model_id, args.skip_language_models)
    tables.update(lm_tables)
    info.update(lm_info, loads=f"{loads(load_before)}, {loads(load_mid)}", threads=torch.get_num_threads())
    epochs = cross_encoder(out, train, ua, uq, args, tables)
    latency, latency_info = measure_latency(train, ua, model_id, guard["l2"], args.n_support, args.latency_runs)
    tables["latency"] = latency
    info.update(latency_info)
    write_csvs(out, tables, info, pd.concat([answers, lm_answers], ignore_index=True), epochs)


def rebuild_guard(train: pd.DataFrame) -> None:
    """Retrain the shipped relevance model on Beetle's training split (held-out non-answer questions left out)."""
    t = time.perf_counter()
    held_out = beetle_non_answer_split(train)["heldout"]
    sa.train_relevance(train, DEFAULT_EMBEDDING_MODEL, held_out_questions=held_out).save(DEFAULT_WEIGHTS)
    default_relevance_model.cache_clear()
    default_guard.cache_clear()
    print(f"relevance model trained in {time.perf_counter() - t:.0f} s, wrote {DEFAULT_WEIGHTS}")


def guard_measurements(df, train, ua, uq, sets, n_support: int, model_id: str) -> dict:
    """The default guard on hand-written, Beetle-labelled and generated junk; the meta-learned L2."""
    authors = sets.groupby("subject")["author"].first()
    by_label = pd.concat([beetle_grades_by_label(train, split=s, model_id=model_id).assign(questions=s)
                          for s in ("dev", "heldout")], ignore_index=True)
    handwritten = pd.concat([sa.evaluate_subjects(sets, split="heldout", model_id=model_id),
                             evaluate_beetle_non_answers(train, graded=by_label[by_label["questions"] == "heldout"])],
                            ignore_index=True)
    log_l2, history = sa.meta_learn_l2(sa.meta_tasks(train, model_id, n_support), n_classes=3, steps=15)
    l2 = float(np.exp(log_l2))
    print(f"meta-learned l2 = {l2:.4f} (query CE {history[0]['loss']:.4f} -> {history[-1]['loss']:.4f})")
    guard_ua = sa.evaluate_guard(df, train, ua, "default", model_id, l2, n_support)
    uq_support, uq_query = support_split(uq, n_support)
    guard_uq = sa.evaluate_guard(df, uq_support, uq_query, "default", model_id, l2, n_support)
    adv = pd.concat([guard_ua["adversarial"], guard_uq["adversarial"]], ignore_index=True)
    held_out, false_all = guard_tables(handwritten, guard_ua, guard_uq, authors)
    junk = handwritten[handwritten["category"] != "real_answer"]
    tables = {"adversarial": adversarial_table(adv), "guard_held_out": held_out,
              "beetle_by_label": by_label_table(by_label),
              "false_flags": false_all.assign(system="few-shot grader, default guard"),
              "support_layer_dev": support_similarity_sweep(train, sets, model_id=model_id)}
    answers = junk[junk["grade"] != 0][["subject", "category", "answer"]].assign(table="junk_missed")
    info = {"guard_author_subjects": ", ".join(authors[authors == "guard author"].index),
            "independent_subjects": ", ".join(authors[authors != "guard author"].index)}
    return {"tables": tables, "answers": answers, "info": info, "l2": l2, "handwritten": handwritten,
            "by_label": by_label}


def adversarial_table(adv: pd.DataFrame) -> pd.DataFrame:
    """Generated junk by category, and all of it: inputs, share graded 0, share flagged by the guard."""
    by_cat = adv.groupby("category").agg(inputs=("grade", "size"), graded_0=("grade", lambda g: (g == 0).mean()),
                                         flagged_by_guard=("flagged", "mean")).reset_index()
    total = pd.DataFrame([{"category": "all", "inputs": len(adv), "graded_0": (adv["grade"] == 0).mean(),
                           "flagged_by_guard": adv["flagged"].mean()}])
    return pd.concat([by_cat, total], ignore_index=True)


def grader_rows(train, ua, uq, args: argparse.Namespace, l2: float) -> list[dict]:
    """The few-shot grader's 3-way scores on unseen answers and unseen questions."""
    model_id, n = args.embedding_model, args.n_support
    pred_ua = sa.few_shot_predictions(train, ua, "default", model_id=model_id, n_support=n, l2=l2)
    pred_uq = unseen_question_predictions(uq, "default", model_id, n, l2)
    notes = {"unseen answers": f"{n} graded train answers per question; l2={l2:.3g} meta-learned on train",
             "unseen questions": f"{n} graded answers of each new question (teacher-graded), scored on the rest"}
    return [{"system": f"few-shot grader ({model_id})", "split": split,
             **sa.classification_scores(pred["label_3way"], pred["pred_3way"]), "note": notes[split]}
            for split, pred in (("unseen answers", pred_ua), ("unseen questions", pred_uq))]


def language_model_rows(out: Path, sets, train, guard: dict, model_id: str, skip: bool):
    """The chat-model plausibility check and layer 5's held-out comparison (or the previous run's, if ``skip``)."""
    if skip:
        old = pd.read_csv(out.with_suffix(".csv"))
        tables = {t: tidy(old[old["table"] == t].drop(columns="table"), t) for t in LANGUAGE_MODEL_TABLES}
        answers = pd.read_csv(companion(out, "answers"), keep_default_na=False)
        info = read_info(out)
        return tables, answers[answers["table"] == "layer5_missed"], {k: info[k] for k in LAYER5_INFO}
    from course_tools.llm_plausibility import plausibility_table, surprise_comparison
    from course_utils.hub import LFM2_ID

    surprise = surprise_comparison(sets, train, guard["handwritten"], guard["by_label"], model_id)
    a = surprise.attrs
    info = dict(zip(LAYER5_INFO, (a["model"], a["bar"], a["seconds"], *a["regrade_ms"], a["threads"])))
    answers = a["misses"][["subject", "category", "answer"]].assign(table="layer5_missed")
    return ({"llm_plausibility_dev": plausibility_table(sets, LFM2_ID), "guard_layer5_heldout": surprise},
            answers, info)


def cross_encoder(out: Path, train, ua, uq, args: argparse.Namespace, tables: dict) -> pd.DataFrame:
    """Train and score the cross-encoder, or keep the previous run's rows (``--skip-cross-encoder``)."""
    if args.skip_cross_encoder:
        tables["scores"] = pd.concat([pd.DataFrame(previous_cross_encoder_rows(out.with_suffix(".csv"))),
                                      tables["scores"]], ignore_index=True)
        epochs = companion(out, "epochs")
        return pd.read_csv(epochs) if epochs.is_file() else pd.DataFrame()
    rows, history = cross_encoder_rows(train, ua, uq, args.cross_encoder_model, args.cross_encoder_epochs,
                                       args.max_length, ROOT / "build" / "short_answer_cross_encoder")
    tables["scores"] = pd.concat([pd.DataFrame(rows), tables["scores"]], ignore_index=True)
    return history


def cross_encoder_rows(train: pd.DataFrame, ua: pd.DataFrame, uq: pd.DataFrame, model_id: str, epochs: int,
                       max_length: int, out_dir: Path) -> tuple[list[dict], pd.DataFrame]:
    """Train the cross-encoder (dev questions carved from train) and score both test splits."""
    fit, dev = sa.question_dev_split(train)
    lr = 1e-5 if "large" in model_id else 5e-5
    t = time.perf_counter()
    trainer = sa.train_cross_encoder(fit, dev, model_id, str(out_dir), epochs=epochs, max_length=max_length, lr=lr)
    seconds = time.perf_counter() - t
    history = sa.epoch_history(trainer)
    rows = []
    for split, part in (("unseen answers", ua), ("unseen questions", uq)):
        pred = sa.predict_cross_encoder(trainer, part, max_length)
        s = sa.classification_scores(pred["label_3way"], pred["pred_3way"])
        rows.append({"system": f"cross-encoder ({model_id}, {epochs} epochs)", "split": split, **s,
                     "note": f"trained {seconds:.0f} s on CPU; best epoch by dev macro-F1"})
    return rows, history


def write_csvs(out: Path, tables: dict[str, pd.DataFrame], info: dict, answers: pd.DataFrame,
               epochs: pd.DataFrame) -> None:
    """The combined CSV (one ``table`` per report table) and its companions (info, listed answers, epochs)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    order = ("scores", "adversarial", "guard_held_out", "beetle_by_label", "false_flags", "support_layer_dev",
             "llm_plausibility_dev", "guard_layer5_heldout", "latency")
    pd.concat([tables[t].assign(table=t) for t in order], ignore_index=True).to_csv(out.with_suffix(".csv"),
                                                                                     index=False)
    pd.DataFrame(list(info.items()), columns=["key", "value"]).to_csv(companion(out, "info"), index=False)
    answers[["table", "subject", "category", "answer"]].to_csv(companion(out, "answers"), index=False)
    if len(epochs):
        epochs.to_csv(companion(out, "epochs"), index=False)


def read_info(out: Path) -> dict[str, str]:
    return dict(pd.read_csv(companion(out, "info"), keep_default_na=False).itertuples(index=False))


def stamp() -> str:
    """The time of a measurement, to the minute (UTC)."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def loads(la) -> str:
    return "/".join(f"{x:.1f}" for x in la)


def measure_latency(train: pd.DataFrame, ua: pd.DataFrame, model_id: str, l2: float | None, n_support: int,
                    runs: int) -> tuple[pd.DataFrame, dict]:
    """Fit and regrade times of ``FewShotGrader()`` on the first unseen-answers question.

    ``l2=None`` meta-learns it on train first (as the full run does). Returns the table
    and its info: when it was measured, the load averages before and after.
    """
    import torch

    if l2 is None:
        l2 = float(np.exp(sa.meta_learn_l2(sa.meta_tasks(train, model_id, n_support), n_classes=3, steps=15)[0]))
    before, measured = os.getloadavg(), stamp()
    q = train[train["question_id"] == sorted(ua["question_id"].unique())[0]]
    shots = sa.sample_support(q, n_support)
    latency = latency_benchmark(shots["question"].iloc[0], shots["student_answer"].fillna("").tolist(),
                                sa.grades_of(shots["label_3way"]), "default", model_id, l2, runs)
    info = {"latency_measured": measured, "latency_loads": f"{loads(before)}, {loads(os.getloadavg())}"}
    return latency.assign(threads=torch.get_num_threads()), info


def previous_l2(csv: Path) -> float | None:
    """The meta-learned L2 strength the last full run reported (None: meta-learn it again)."""
    if not csv.is_file():
        return None
    notes = " ".join(pd.read_csv(csv).get("note", pd.Series(dtype=str)).dropna().astype(str))
    found = re.search(r"l2=([0-9.eE+-]+) meta-learned", notes)
    return float(found.group(1)) if found else None


def replace_latency(out: Path, latency: pd.DataFrame, latency_info: dict) -> None:
    """Replace the latency rows of ``out.csv`` and their info; keep every other row."""
    csv, info_csv = out.with_suffix(".csv"), companion(out, "info")
    if not (csv.is_file() and info_csv.is_file()):
        raise FileNotFoundError(f"{csv} and {info_csv} must exist: run the full command once before --latency-only.")
    table = pd.read_csv(csv)
    table = pd.concat([table[table["table"] != "latency"], latency.assign(table="latency")], ignore_index=True)
    table.to_csv(csv, index=False)
    info = read_info(out) | latency_info
    pd.DataFrame(list(info.items()), columns=["key", "value"]).to_csv(info_csv, index=False)
    print(f"replaced the latency rows of {csv} (load before/after: {latency_info['latency_loads']})")


def previous_cross_encoder_rows(csv: Path) -> list[dict]:
    """The cross-encoder rows of the last full run, marked as such (``--skip-cross-encoder``)."""
    if not csv.is_file():
        return []
    old = pd.read_csv(csv)
    old = old[(old["table"] == "scores") & old["system"].astype(str).str.startswith("cross-encoder")]
    keep = ["system", "split", "accuracy", "macro_f1", "n", "note"]
    rows = old[keep].to_dict("records")
    for r in rows:
        r["n"] = int(r["n"])
        if "not rerun" not in str(r["note"]):
            r["note"] = f"{r['note']} (from the previous full run, not rerun)"
    return rows


# The eval sets' ``author`` values as the report names them.
AUTHOR_COLUMNS = {"guard author": "by the guard's author", "independent": "by helpers"}


def guard_tables(handwritten: pd.DataFrame, guard_ua: dict, guard_uq: dict,
                 authors: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Held-out junk by category x subject (and pooled by who wrote the set), and real answers flagged by source."""
    junk = handwritten[handwritten["category"] != "real_answer"]
    table = guard_table(junk).pivot(index="category", columns="subject", values="graded_0")
    graded_0 = junk["grade"].eq(0).groupby([junk["category"], junk["subject"].map(authors)]).mean().unstack()
    table = table.join(graded_0.rename(columns=AUTHOR_COLUMNS))
    counts = junk.groupby("category").size().rename("answers")
    table = table.join(counts).reset_index()
    table["all subjects"] = junk.groupby("category")["grade"].apply(lambda g: (g == 0).mean()).to_numpy()
    false = []
    for source, g in (("Beetle unseen answers", guard_ua["real"]), ("Beetle unseen questions", guard_uq["real"])):
        on = g[g["on_topic"]]
        false.append({"source": source, "real answers": len(on), "flagged": on["flagged"].mean(),
                      "flagged_credited": on["flagged"].mean(), "note": "correct + contradictory only (Beetle's incorrect also holds non-answers); "
                              f"all real answers: {g['flagged'].mean():.3f} of {len(g)} flagged"})
    real = handwritten[handwritten["category"] == "real_answer"]
    pooled = [("hand-written, all", real),
              *((f"hand-written, {name}", real[real["subject"].map(authors) == a]) for a, name in AUTHOR_COLUMNS.items())]
    for source, g in [*real.groupby("subject"), *pooled]:
        credited = g[g["gold"] > 0]
        false.append({"source": source, "real answers": len(g), "flagged": g["flagged"].mean(),
                      "flagged_credited": credited["flagged"].mean(),
                      "note": f"held-out graded answers, leave-one-out; flagged_credited: the {len(credited)} "
                              "graded above 0 (a flagged grade-0 answer keeps its grade)"})
    return table, pd.DataFrame(false)


LABEL_ORDER = ("correct", "contradictory", "partially_correct_incomplete", "irrelevant", "non_domain")


def by_label_table(by_label: pd.DataFrame) -> pd.DataFrame:
    """Per 5-way label and question half: answers, share graded 0, share flagged by the guard."""
    out = (by_label.groupby(["label", "questions"])
           .agg(answers=("grade", "size"), graded_0=("grade", lambda g: (g == 0).mean()),
                flagged=("flagged", "mean"))
           .reset_index())
    # 5-way label -> 3-way grade: correct and contradictory keep their names, the rest are incorrect
    out["gold_grade"] = out["label"].map(lambda lab: sa.BEETLE_GRADES.get(lab, sa.BEETLE_GRADES["incorrect"]))
    out["label"] = pd.Categorical(out["label"], LABEL_ORDER, ordered=True)
    return out.sort_values(["questions", "label"])[["questions", "label", "gold_grade", "answers", "graded_0",
                                                    "flagged"]]


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
