"""Can a local chat model tell on-topic nonsense from real answers? Dev halves only.

The guard's open problem is nonsense in the question's own words ("the tide pulls the
cold air out to sea"): telling it from a real answer takes knowledge of the world. This
measures the simplest check a chat model offers -- ask it whether the answer is a
serious attempt and compare the likelihoods of the replies "Yes" and "No" --
on the dev halves of the hand-written sets (``on_topic_nonsense`` against
``real_answer``). It is a measurement for ``results/short_answer.md``, not a layer of
the guard. Offline the model is the stand-in SmolLM2-135M-Instruct; the full profile's
LFM2-350M and hosted models are not measured here.

    python -m course_tools.llm_plausibility          # prints the figures (~1 min on 2 CPU cores)
    python -m course_tools.llm_plausibility --surprise-sweep [MODEL]   # dev figures behind layer 5's bar
    python -m course_tools.llm_plausibility --judge local|groq|cerebras [MODEL]   # layer 6, held-out data

``--judge`` measures the guard's opt-in layer 6 (:class:`ChatJudge`, a chat model's one-word
verdict) on the held-out halves and writes ``results/short_answer_judge_<provider>.md``. A
hosted provider needs its key (Colab secrets or the environment); offline only ``local``
(the stand-in SmolLM2-135M-Instruct) can run, and hosted models are not measured here.

It also measures the guard's opt-in layer 5 (:class:`SurpriseCheck`): the dev-data sweep
that its bar was chosen from (:func:`surprise_sweep`), and the held-out comparison with
the default guard (:func:`surprise_comparison`) that ``course_tools.short_answer_results`` reports.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

SYSTEM = "You are a strict teacher. Answer Yes or No."
USER = ("Question: {question}\nStudent answer: {answer}\nCould a serious student write this answer "
        "(right or wrong), or is it absurd nonsense? Is it a serious attempt? Answer Yes or No.")


def yes_no_scores(questions, answers, model_id: str) -> np.ndarray:
    """``log P("Yes") - log P("No")`` as the model's whole reply, for each (question, answer)."""
    from course_utils.llm import load_local_model
    from course_utils.lora import answer_log_likelihoods

    tokenizer, model = load_local_model(model_id)
    out = []
    for q, a in zip(questions, answers):
        messages = [{"role": "system", "content": SYSTEM},
                    {"role": "user", "content": USER.format(question=q, answer=a)}]
        yes, no = answer_log_likelihoods(model, tokenizer, messages, ["Yes", "No"])
        out.append(yes - no)
    return np.array(out)


def plausibility_table(sets: pd.DataFrame, model_id: str, max_flagged: float = 0.05) -> pd.DataFrame:
    """One row: AUC (real answers above nonsense), nonsense caught at <= ``max_flagged`` real flagged, timing."""
    from sklearn.metrics import roc_auc_score

    from course_utils.hub import SMOLLM_ID, resolve_model

    dev = sets[(sets["split"] == "dev") & sets["category"].isin(["real_answer", "on_topic_nonsense"])]
    t = time.perf_counter()
    scores = yes_no_scores(dev["question"], dev["answer"], model_id)
    seconds = (time.perf_counter() - t) / len(dev)
    real = (dev["category"] == "real_answer").to_numpy()
    bar = np.quantile(scores[real], max_flagged, method="lower")  # flag below: at most max_flagged of real answers
    used = resolve_model(model_id, kind="causal-lm", verbose=False)
    return pd.DataFrame([{
        "model requested": model_id, "weights used": model_id if used == model_id else f"{SMOLLM_ID} (offline stand-in)",
        "real answers": int(real.sum()), "nonsense answers": int((~real).sum()),
        "auc": roc_auc_score(real, scores),
        "nonsense caught": float((scores[~real] < bar).mean()), "real flagged": float((scores[real] < bar).mean()),
        "seconds per answer": seconds}])


def surprise_sweep(sets: pd.DataFrame, train: pd.DataFrame, model_id: str,
                   bars=(-14.0, -13.0, -12.5, -12.0, -11.5, -11.0, -10.5)) -> pd.DataFrame:
    """Dev data only: the share that layer 5 *alone* flags, per bar.

    Hand-written dev halves: on-topic nonsense (the model is shown the subject's credited
    dev answers) and real answers (leave-one-out: the credited dev answers but this one).
    Beetle's dev questions: answers labelled correct, contradictory or partially correct,
    the model shown the credited ones among 30 sampled support answers. The words of the
    graded answers (all but the one scored) are not content words, as in the guard. The
    bar -12 was taken where about 2% of these Beetle answers are flagged, without going over.
    """
    from course_tools.short_answer_eval import beetle_non_answer_split
    from course_utils import short_answer as sa
    from course_utils.short_answer.beetle import BEETLE_NON_ANSWERS, grades_of, sample_support
    from course_utils.short_answer.rules import tokens

    check = sa.SurpriseCheck(model_id)
    scores = {"dev nonsense": [], "dev real answers": [], "Beetle dev questions' real answers": []}
    for _, s in sets[sets["split"] == "dev"].groupby("subject"):
        q = s["question"].iloc[0]
        graded = s[s["kind"] == "graded"]
        credited = graded.loc[graded["grade"] > 0, "answer"].tolist()
        junk = s.loc[s["category"] == "on_topic_nonsense", "answer"].tolist()
        vocab = {w for a in graded["answer"] for w in tokens(a)}
        scores["dev nonsense"] += list(check.surprise(q, check.prompt(q, credited), junk, vocab))
        for a in graded["answer"]:
            shown = [c for c in credited if c != a]
            others = {w for b in graded["answer"] if b != a for w in tokens(b)}
            scores["dev real answers"] += list(check.surprise(q, check.prompt(q, shown), [a], others))
    for qid in beetle_non_answer_split(train)["dev"]:
        g = train[train["question_id"] == qid]
        shots = sample_support(g[~g["label"].isin(BEETLE_NON_ANSWERS)], 30)
        rest = g.drop(shots.index)
        rest = rest[rest["label"].isin(["correct", "contradictory", "partially_correct_incomplete"])]
        q = shots["question"].iloc[0]
        shown = shots.loc[grades_of(shots["label_3way"]) > 0, "student_answer"].fillna("").tolist()
        vocab = {w for a in shots["student_answer"].fillna("") for w in tokens(a)}
        scores["Beetle dev questions' real answers"] += list(
            check.surprise(q, check.prompt(q, shown), rest["student_answer"].fillna("").tolist(), vocab))
    return pd.DataFrame([{"bar": bar, **{f"{k}: flagged": float((np.array(v) < bar).mean()) for k, v in scores.items()}}
                         for bar in bars] + [{"bar": "answers", **{f"{k}: flagged": len(v) for k, v in scores.items()}}])


def _junk_and_real_rows(before: pd.DataFrame, after: pd.DataFrame, column: str, **extra) -> list[dict]:
    """Hand-written results of two guards: junk graded 0 per category, then real answers flagged."""
    from course_utils.short_answer.guard_eval import JUNK_KINDS

    rows = []
    for cat in JUNK_KINDS:
        b, a = before[before["category"] == cat], after[after["category"] == cat]
        rows.append({"measure": f"{cat}: graded 0", **extra, "answers": len(a),
                     "default guard": (b["grade"] == 0).mean(), column: (a["grade"] == 0).mean()})
    b, a = (d[d["category"] == "real_answer"] for d in (before, after))
    rows.append({"measure": "real answers flagged", **extra, "answers": len(a),
                 "default guard": b["flagged"].mean(), column: a["flagged"].mean()})
    return rows


def surprise_comparison(sets: pd.DataFrame, train: pd.DataFrame, handwritten: pd.DataFrame,
                        by_label: pd.DataFrame, model_id: str) -> pd.DataFrame:
    """The default guard against the same guard with layer 5 (:class:`SurpriseCheck`), held-out data only.

    ``handwritten`` and ``by_label``: the default guard's held-out results
    (:func:`evaluate_subjects`, :func:`beetle_grades_by_label`), computed by the caller.
    One row per measure: junk graded 0 by category (hand-written held-out halves; Beetle's
    held-out questions' ``irrelevant``), and real answers flagged (hand-written held-out
    graded answers, leave-one-out; Beetle's held-out questions' correct + contradictory).
    """
    import torch

    from course_tools.short_answer_eval import beetle_grades_by_label
    from course_utils import short_answer as sa
    from course_utils.hub import SMOLLM_ID, resolve_model

    check = sa.SurpriseCheck()
    guard = sa.Guard(surprise=check)
    t = time.perf_counter()
    hw = sa.evaluate_subjects(sets, guard=guard, split="heldout", model_id=model_id)
    bl = beetle_grades_by_label(train, guard=guard, split="heldout", model_id=model_id)
    seconds = time.perf_counter() - t
    # one live regrade with layer 5 (the question's prompt already read), as in the latency section:
    # a never-seen variant of a credited answer, which the first four layers let through to layer 5
    s = sets[sets["subject"] == sorted(sets["subject"].unique())[0]]
    graded = s[s["kind"] == "graded"]
    grader = sa.FewShotGrader(guard, model_id=model_id).fit(s["question"].iloc[0], graded["answer"],
                                                            graded["grade"].astype(int))
    variants = [f"{a} (attempt {i}, {time.time_ns()})" for i, a in enumerate(graded.loc[graded["grade"] > 0, "answer"])]
    reached = [v for v, r in zip(variants, sa.FewShotGrader(model_id=model_id).fit(
        s["question"].iloc[0], graded["answer"], graded["grade"].astype(int)).reasons(variants)) if not r]
    ms = []
    for i in range(25):
        v = f"{reached[i % len(reached)]} {i}"
        t = time.perf_counter()
        grader.predict([v])
        ms.append(1000 * (time.perf_counter() - t))
    ms = ms[5:]  # after warm-up
    base_bl = by_label[by_label["questions"] == "heldout"]
    rows = _junk_and_real_rows(handwritten, hw, "with layer 5", data="hand-written, held-out")
    for labels, name, col in ((["correct", "contradictory"], "real answers flagged", "flagged"),
                              (["irrelevant"], "irrelevant: graded 0", "grade")):
        before, after = (d[d["label"].isin(labels)] for d in (base_bl, bl))
        value = (lambda d: d["flagged"].mean()) if col == "flagged" else (lambda d: (d["grade"] == 0).mean())
        rows.append({"measure": name, "data": "Beetle held-out questions" + (" (correct + contradictory)"
                     if col == "flagged" else ""), "answers": len(after),
                     "default guard": value(before), "with layer 5": value(after)})
    used = resolve_model(check.model_id, kind="causal-lm", verbose=False)
    out = pd.DataFrame(rows)
    out.attrs.update(model=check.model_id if used == check.model_id else f"{SMOLLM_ID} (offline stand-in)",
                     bar=check.bar, seconds=seconds, regrade_ms=(np.percentile(ms, 50), np.percentile(ms, 95)),
                     threads=torch.get_num_threads(),
                     misses=hw[(hw["category"] == "on_topic_nonsense") & (hw["grade"] != 0)])
    return out


def judge_comparison(sets: pd.DataFrame, client, model_id: str | None = None, n_timed: int = 10) -> pd.DataFrame:
    """The default guard against the same guard with layer 6 (:class:`ChatJudge`), held-out halves only.

    Junk graded 0 by category and real answers flagged (leave-one-out, as in
    :func:`evaluate_subjects`); the judge is asked only about the answers the other layers
    let through. Beetle is left out (about 1,200 more requests). ``n_timed`` requests are
    then repeated without the cache to time one request.
    """
    from course_utils import short_answer as sa
    from course_utils.short_answer.features import DEFAULT_EMBEDDING_MODEL

    model_id = model_id or DEFAULT_EMBEDDING_MODEL
    before = sa.evaluate_subjects(sets, split="heldout", model_id=model_id)
    judge = sa.ChatJudge(client)
    after = sa.evaluate_subjects(sets, guard=sa.Guard(judge=judge), split="heldout", model_id=model_id)
    rows = _junk_and_real_rows(before, after, "with layer 6")
    b, a = (d[(d["category"] == "real_answer") & (d["gold"] > 0)] for d in (before, after))
    rows.append({"measure": "credited real answers flagged", "answers": len(a),
                 "default guard": b["flagged"].mean(), "with layer 6": a["flagged"].mean()})
    # the time of a request, measured without the cache (the run above may have read replies from it)
    sample = after[after["reason"].isin(["", "nonsense (chat model)"])].head(n_timed)
    fresh, ms = sa.ChatJudge(client, cache=False), []
    for r in sample.itertuples():
        s = sets[sets["subject"] == r.subject]
        credited = s.loc[(s["kind"] == "graded") & (s["grade"] > 0), "answer"].tolist()
        t = time.perf_counter()
        fresh.reply(fresh.messages(s["question"].iloc[0], credited, r.answer))
        ms.append(1000 * (time.perf_counter() - t))
    common = pd.Series(list(judge.replies.values())).value_counts().head(3)
    out = pd.DataFrame(rows)
    out.attrs.update(client=repr(client), judged=len(judge.replies), unreadable=judge.n_unreadable,
                     request_ms=(np.percentile(ms, 50), np.percentile(ms, 95), len(ms)) if ms else None,
                     common=common,
                     misses=after[(after["category"] == "on_topic_nonsense") & (after["grade"] != 0)],
                     flagged_real=after[(after["category"] == "real_answer") & (after["reason"] == "nonsense (chat model)")])
    return out


def write_judge_report(table: pd.DataFrame, provider: str, path=None) -> str:
    """``results/short_answer_judge_<provider>.md``: the comparison, what was asked of whom, the misses."""
    import datetime
    import platform
    from pathlib import Path

    import torch

    from course_tools.tables import markdown_table
    from course_utils.config import device
    from course_utils.short_answer.judge import SYSTEM, USER

    a = table.attrs
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    where = (f"{platform.machine()}, {torch.get_num_threads()} torch threads, device {device()}"
             if provider == "local" else "a hosted API")
    lines = [
        f"# Layer 6 of the short-answer guard: a chat model's verdict ({provider})", "",
        f"Written by `python -m course_tools.llm_plausibility --judge {provider}`, {now}. Client: `{a['client']}` "
        f"({where}). Held-out halves of the hand-written sets (`course_utils/short_answer/eval_sets/`); "
        "the judge was asked only about the answers the default guard's layers let through "
        f"({a['judged']} distinct requests; replies cached on disk, so a rerun reads them back). "
        f"Replies that were neither ATTEMPT nor NONSENSE (they flag nothing): {a['unreadable']} of {a['judged']}. "
        + (f"One request without the cache: p50 {a['request_ms'][0]:.0f} ms, p95 {a['request_ms'][1]:.0f} ms "
           f"({a['request_ms'][2]} requests)." if a.get("request_ms") else "")
        + " Most common replies: " + "; ".join(f"{r!r} ({n})" for r, n in a["common"].items()) + ".", "",
        "The request (system, then user):", "", "```", SYSTEM, "", USER, "```", "",
        markdown_table(table), "",
        f"On-topic nonsense still graded above 0 ({len(a['misses'])}):", "",
    ]
    lines += [f"- {r.subject}: {r.answer}" for r in a["misses"].itertuples()] or ["- none"]
    lines += ["", f"Real answers the judge called nonsense ({len(a['flagged_real'])}):", ""]
    lines += [f"- {r.subject} (teacher's grade {r.gold:.0f}): {r.answer}" for r in a["flagged_real"].itertuples()] or ["- none"]
    text = "\n".join(lines) + "\n"
    path = Path(path or Path(__file__).resolve().parents[1] / "results" / f"short_answer_judge_{provider}.md")
    path.write_text(text)
    return text


if __name__ == "__main__":
    import sys

    from course_utils import short_answer as sa
    from course_utils.hub import LFM2_ID, SMOLLM_ID
    from course_utils.short_answer.judge import JUDGE_MODELS

    if "--surprise-sweep" in sys.argv:
        from course_utils.data import load_short_answers

        beetle = load_short_answers("beetle")
        rest = [a for a in sys.argv[1:] if a != "--surprise-sweep"]
        print(surprise_sweep(sa.load_eval_sets(), beetle[beetle["split"] == "train"],
                             rest[0] if rest else SMOLLM_ID).round(3).to_string(index=False))
    elif "--judge" in sys.argv:
        from course_utils.llm import PROVIDERS, ChatClient

        rest = sys.argv[sys.argv.index("--judge") + 1:]
        if not rest or rest[0] not in PROVIDERS:
            sys.exit(f"--judge needs a provider: one of {', '.join(PROVIDERS)} (and optionally a model name).")
        client = ChatClient(rest[0], rest[1] if len(rest) > 1 else JUDGE_MODELS[rest[0]])
        print(write_judge_report(judge_comparison(sa.load_eval_sets(), client), rest[0]))
    else:
        print(plausibility_table(sa.load_eval_sets(), LFM2_ID).T.to_string())
