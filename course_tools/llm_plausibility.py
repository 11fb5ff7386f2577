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


if __name__ == "__main__":
    from course_utils import short_answer as sa
    from course_utils.hub import LFM2_ID

    print(plausibility_table(sa.load_eval_sets(), LFM2_ID).T.to_string())
