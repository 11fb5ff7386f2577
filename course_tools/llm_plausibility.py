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


def surprise_comparison(sets: pd.DataFrame, train: pd.DataFrame, handwritten: pd.DataFrame,
                        by_label: pd.DataFrame, model_id: str) -> pd.DataFrame:
    """The default guard against the same guard with layer 5 (:class:`SurpriseCheck`), held-out data only.

    ``handwritten`` and ``by_label``: the default guard's held-out results
    (:func:`evaluate_subjects`, :func:`beetle_grades_by_label`), computed by the caller.
    One row per measure: junk graded 0 by category (hand-written held-out halves; Beetle's
    held-out questions' ``irrelevant``), and real answers flagged (hand-written held-out
    graded answers, leave-one-out; Beetle's held-out questions' correct + contradictory).
    """
    from course_utils import short_answer as sa
    from course_utils.hub import SMOLLM_ID, resolve_model

    check = sa.SurpriseCheck()
    guard = sa.Guard(surprise=check)
    t = time.perf_counter()
    hw = sa.evaluate_subjects(sets, guard=guard, split="heldout", model_id=model_id)
    bl = sa.beetle_grades_by_label(train, guard=guard, split="heldout", model_id=model_id)
    seconds = time.perf_counter() - t
    base_bl = by_label[by_label["questions"] == "heldout"]
    rows = []
    for cat in sa.JUNK_KINDS:
        before, after = handwritten[handwritten["category"] == cat], hw[hw["category"] == cat]
        rows.append({"measure": f"{cat}: graded 0", "data": "hand-written, held-out", "answers": len(after),
                     "default guard": (before["grade"] == 0).mean(), "with layer 5": (after["grade"] == 0).mean()})
    before, after = (d[d["category"] == "real_answer"] for d in (handwritten, hw))
    rows.append({"measure": "real answers flagged", "data": "hand-written, held-out", "answers": len(after),
                 "default guard": before["flagged"].mean(), "with layer 5": after["flagged"].mean()})
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
                     bar=check.bar, seconds=seconds, misses=hw[(hw["category"] == "on_topic_nonsense") & (hw["grade"] != 0)])
    return out


if __name__ == "__main__":
    from course_utils import short_answer as sa
    from course_utils.hub import LFM2_ID

    print(plausibility_table(sa.load_eval_sets(), LFM2_ID).T.to_string())
