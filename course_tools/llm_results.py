"""Results rows and the robustness report for the LLM notebooks (14-16).

``python -m course_tools.results --only llm_`` computes the LLM rows of
``results/asap7.md``; ``python -m course_tools.llm_results`` measures the robustness study
into ``results/asap7_llm_robustness.csv`` and renders ``results/asap7_llm_robustness.md``
from it (``--render``: from the CSV alone, nothing run). The scoring code itself is taught in
:mod:`course_utils.lora`, :mod:`course_utils.llm` and :mod:`course_utils.prompts`.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from course_utils.config import SEED
from course_utils.lora import LLM_EVAL_N, GenerativeScorer, eval_positions, training_data

#: Sizes of the LLM rows of the results table (CPU-friendly; state them with the numbers).
LORA_TRAIN_N = 256  # training essays for the LoRA row (a seeded subset of the train part)
#: The LoRA row's settings: 1 epoch of batch 4 (64 updates on 256 essays).
LORA_SETTINGS = {"max_length": 320, "epochs": 1, "batch_size": 4, "grad_accum": 1, "learning_rate": 2e-4}
ROBUSTNESS_N = 16  # essays of the evaluation subset attacked in the robustness study
LLM_MODEL = "LiquidAI/LFM2-350M"  # offline: SmolLM2-135M-Instruct stands in

def _standin_note(n_eval: int) -> str:
    from course_utils.config import is_offline

    model = "SmolLM2-135M-Instruct (offline stand-in for LFM2-350M)" if is_offline() else LLM_MODEL
    essays = "all 314 test essays" if n_eval == 314 else f"fixed subset of {n_eval} of the 314 test essays"
    return f"{model}; {essays}"


#: Training essays whose expected scores fit the prompt rows' cutoffs (a seeded subset).
CUTOFF_N = 64
#: Weights on a CPU: bfloat16 took half the CPU time of float32 where these rows were measured.
LLM_DTYPE = "bfloat16"
PROMPT_KINDS = {"zero_shot": "zero-shot", "rubric": "rubric", "few_shot": "few-shot (k=2 similar training essays)"}
#: Test essays per prompt row and for the LoRA row: all 314 of the reference test part.
PROMPT_TEST_N = {"zero_shot": 314, "rubric": 314, "few_shot": 314}
LORA_TEST_N = 314


def _prompt_scorer(kind: str, pool):
    """The prompt of row ``kind`` as a :class:`prompts.PromptScorer` (``pool``: few-shot examples)."""
    from course_utils import prompts

    if kind == "few_shot":
        build = prompts.FewShot(pool.essay.tolist(), pool.rater1_domain1.to_numpy(), k=2, max_words=150)
    else:
        template = {"zero_shot": prompts.zero_shot, "rubric": prompts.with_rubric}[kind]
        build = lambda e: template(e, max_words=300)  # noqa: E731
    from course_utils.config import device

    return prompts.PromptScorer(build, LLM_MODEL, dtype=LLM_DTYPE if device() == "cpu" else None)


def _split_for_prompts():
    """``(train, test, fit, pool)``: the reference split; ``fit``, the ``CUTOFF_N`` training essays
    (seeded) that fit cutoffs; ``pool``, the other training essays, the few-shot examples' pool."""
    from course_utils.data import load_asap, reference_split

    train, test = reference_split(load_asap(7))
    fit = train.sample(n=CUTOFF_N, random_state=SEED)
    return train, test, fit, train.drop(index=fit.index)


#: Runs this process computed itself: read back even with ``COURSE_LLM_CACHE=0``, so that the rows
#: sharing a run (rounded and cutoffs) compute it once per process.
_WRITTEN_HERE: set[Path] = set()


def _reuse(path: Path) -> bool:
    """Whether a cached run at ``path`` may be read: always, unless ``COURSE_LLM_CACHE=0``, and then
    only when this process wrote it."""
    from course_tools.results import cache_off

    return path in _WRITTEN_HERE or not cache_off("COURSE_LLM_CACHE")


def _cached_run(name: str, key_parts: list, compute) -> dict:
    """``compute()``'s dict, run once and then read from ``COURSE_CACHE_DIR/llm_expected/<name>_<key>.json``,
    the key made from ``key_parts`` and the model really loaded (offline: the stand-in).
    ``COURSE_LLM_CACHE=0`` recomputes (and rewrites) a run written before this process: how
    ``--rerun`` measures a real rerun."""
    import hashlib
    import json

    from course_utils.config import cache_dir
    from course_utils.hub import resolve_model

    base = Path(resolve_model(LLM_MODEL, kind="causal-lm", verbose=False)).name
    parts = [key_parts[0], base, *key_parts[1:]]
    key = hashlib.sha1(json.dumps(parts).encode()).hexdigest()[:16]
    path = cache_dir() / "llm_expected" / f"{name}_{key}.json"
    if path.is_file() and _reuse(path):
        return json.loads(path.read_text())
    out = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out))
    _WRITTEN_HERE.add(path)
    return out


def prompt_expected_scores(kind: str) -> dict:
    """Expected scores of prompt ``kind`` on the test essays (``PROMPT_TEST_N``) and ``CUTOFF_N`` training essays.

    The training essays (a seeded subset of the reference training part) are only
    used to fit cutoffs; few-shot examples come from the other training essays, so no
    essay is its own example. One forward pass per essay (no generation). Cached on
    disk (``COURSE_CACHE_DIR/llm_expected``), keyed by the model and the prompt, so the
    rounded and the cutoff rows share one run.
    """
    from course_utils.config import seed_everything

    _, test, fit, pool = _split_for_prompts()
    n_test = PROMPT_TEST_N[kind]
    if n_test < len(test):
        test = test.iloc[eval_positions(n_test)]

    def run() -> dict:
        seed_everything(0)
        scorer = _prompt_scorer(kind, pool)
        start = time.perf_counter()
        test_expected = scorer.expected_score(test.essay.tolist())
        test_seconds = time.perf_counter() - start
        test_mass = scorer.valid_mass_
        fit_expected = scorer.expected_score(fit.essay.tolist())
        return {"test": test_expected.tolist(), "fit": fit_expected.tolist(),
                "fit_scores": fit.rater1_domain1.astype(int).tolist(), "test_seconds": test_seconds,
                "fit_seconds": time.perf_counter() - start - test_seconds,
                "test_valid_mass": float(np.mean(test_mass))}

    return _cached_run(kind, [kind, CUTOFF_N, LLM_DTYPE, n_test, 1], run)


def _prompt_row(kind: str, cutoffs: bool) -> dict:
    from course_utils import prompts

    run = prompt_expected_scores(kind)
    scorer = prompts.PromptScorer(prompts.zero_shot)  # here it only maps expected scores to scores
    seconds = run["test_seconds"]
    how = "expected score over the answers **Score**: 0..12, rounded"
    if cutoffs:
        scorer.fit_expected(run["fit"], run["fit_scores"])
        seconds += run["fit_seconds"]
        how = (f"expected score mapped by cutoffs fitted on {CUTOFF_N} training essays "
               "(seconds include scoring them)")
    n_test = PROMPT_TEST_N[kind]
    note = (f"{_standin_note(n_test)}; one forward pass per essay, no generation: every essay gets a "
            f"score (0 unparseable); {LLM_DTYPE} weights on CPU; {how}; mean probability of well-formed answers "
            f"{run['test_valid_mass']:.2f}")
    out = {"pred": scorer.to_scores(run["test"]), "seconds": seconds, "note": note,
           "n_train": CUTOFF_N if cutoffs else 0, "n_test": n_test}
    if n_test < 314:
        out["test_index"] = eval_positions(n_test)
    return out


def results_lora(seed: int = 0, train_n: int = LORA_TRAIN_N) -> GenerativeScorer:
    """The LoRA scorer of the results table, trained once and cached.

    Trained with :data:`LORA_SETTINGS` on a seeded subset of ``train_n`` training
    essays (never a test essay: ``exclude``). The adapters are saved in
    ``COURSE_CACHE_DIR/lora_runs``, keyed by the settings, the data and the base model,
    so the results row and the robustness study (``python -m course_tools.llm_results``)
    share one training run; delete the folder to retrain. ``fit_seconds_`` is the
    original training time.
    """
    import hashlib
    import json

    from course_utils.config import cache_dir, seed_everything
    from course_utils.hub import resolve_model

    essays, scores, test_essays = training_data(train_n, seed=SEED + seed)
    base = Path(resolve_model(LLM_MODEL, kind="causal-lm", verbose=False)).name
    ident = json.dumps({"seed": seed, "settings": LORA_SETTINGS, "base": base, "essays": essays,
                        "scores": [int(x) for x in scores], "version": 1}, sort_keys=True)
    path = cache_dir() / "lora_runs" / f"seed{seed}_n{train_n}_{hashlib.sha1(ident.encode()).hexdigest()[:16]}"
    if (path / "scorer.json").is_file() and _reuse(path):
        print(f"Reusing the LoRA adapters cached at {path} (delete the folder to retrain).")
        return GenerativeScorer.load(path)
    seed_everything(seed)
    scorer = GenerativeScorer(LLM_MODEL, random_state=seed, **LORA_SETTINGS)
    scorer.fit(essays, scores, exclude=test_essays)
    scorer.save(path)
    _WRITTEN_HERE.add(path)
    return scorer


def _lora_row(seed: int) -> dict:
    from course_utils.data import load_asap, reference_split

    _, test = reference_split(load_asap(7))
    idx = eval_positions(LORA_TEST_N) if LORA_TEST_N < len(test) else np.arange(len(test))
    scorer = results_lora(seed)
    start = time.perf_counter()
    pred = scorer.predict(test.essay.iloc[idx].tolist())
    seconds = scorer.fit_seconds_ + time.perf_counter() - start
    st = LORA_SETTINGS
    note = (f"{_standin_note(len(idx))}; LoRA r=8 on {LORA_TRAIN_N} training essays, {st['epochs']} epoch, "
            f"batch {st['batch_size']}, lr {st['learning_rate']:g}, max_length {st['max_length']}; "
            "argmax of answer probabilities (no unparseable replies); seconds = training + scoring")
    return {"pred": pred, "test_index": idx, "seconds": seconds, "note": note,
            "n_train": LORA_TRAIN_N, "n_test": len(idx)}


def _examples_mean_row(seed: int) -> dict:
    """The few-shot prompt's two examples without the model: each test essay gets the mean human score
    of its 2 most similar pool essays (halves rounded up), the pool and similarity of the few-shot rows."""
    from course_utils import prompts

    _, test, _, pool = _split_for_prompts()
    start = time.perf_counter()
    few_shot = prompts.FewShot(pool.essay.tolist(), pool.rater1_domain1.to_numpy(), k=2, max_words=150)
    scores = np.array([few_shot.train_scores[few_shot.neighbours(e)] for e in test.essay], dtype=float)
    pred = np.floor(scores.mean(axis=1) + 0.5).astype(int)
    note = ("no language model: the few-shot rows' 2 examples (cosine of all-MiniLM-L6-v2 embeddings, the same "
            f"pool of {len(pool)} training essays), their human scores averaged; all {len(test)} test essays")
    return {"pred": pred, "seconds": time.perf_counter() - start, "note": note, "n_train": len(pool),
            "n_test": len(test)}


#: Chain-of-thought row: reply length (room for four trait lines and the score line) and batch size.
COT_MAX_TOKENS = 96
COT_BATCH = 8
#: Test essays of the chain-of-thought row (all of them; a smaller n takes a fixed subset).
COT_TEST_N = 314


def cot_replies(essays: list[str], max_tokens: int = COT_MAX_TOKENS, batch_size: int = COT_BATCH) -> list[str]:
    """Greedy chain-of-thought replies of the local model (``LLM_DTYPE`` weights on a CPU, as the other
    LLM rows), ``batch_size`` essays per ``generate``, left-padded, the shortest prompts together: a
    fraction of the time of one essay at a time. Notebook 15's ``ChatClient("local")`` answers one essay
    at a time in float32, so a reply may differ from its reply to the same essay."""
    import torch

    from course_utils import prompts
    from course_utils.config import device
    from course_utils.llm.local_model import load_local_model

    tokenizer, model = load_local_model(LLM_MODEL, LLM_DTYPE if device() == "cpu" else None)
    texts = [tokenizer.apply_chat_template(prompts.chain_of_thought(e, max_words=300), add_generation_prompt=True,
                                           tokenize=False) for e in essays]
    order = np.argsort([len(t) for t in texts], kind="stable")
    replies: list[str] = [""] * len(texts)
    side, tokenizer.padding_side = tokenizer.padding_side, "left"
    try:
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            enc = tokenizer([texts[i] for i in idx], return_tensors="pt", padding=True,
                            add_special_tokens=False).to(model.device)
            with torch.no_grad():
                out = model.generate(**enc, max_new_tokens=max_tokens, do_sample=False, temperature=None,
                                     top_k=None, top_p=None, pad_token_id=tokenizer.pad_token_id)
            for i, row in zip(idx, out[:, enc["input_ids"].shape[1]:]):
                replies[i] = tokenizer.decode(row, skip_special_tokens=True).strip()
    finally:
        tokenizer.padding_side = side
    return replies


def _cot_row(seed: int) -> dict:
    """Chain of thought on all test essays: generated replies (greedy), parsed; an unparsed reply
    gets the training median, the constant baseline's score (notebook 15's rule). Cached on disk."""
    from course_utils.replies import parse_score

    train, test, _, _ = _split_for_prompts()
    idx = eval_positions(COT_TEST_N)
    test = test.iloc[idx]
    fallback = int(np.median(train.rater1_domain1))

    def generate() -> dict:
        start = time.perf_counter()
        replies = cot_replies(test.essay.tolist())
        return {"replies": replies, "seconds": time.perf_counter() - start}

    run = _cached_run("chain_of_thought", ["cot", LLM_DTYPE, COT_MAX_TOKENS, len(test), 1], generate)
    scores = [parse_score(r) for r in run["replies"]]
    parsed = sum(s is not None for s in scores)
    note = (f"{_standin_note(len(test))}; generated replies (greedy, at most {COT_MAX_TOKENS} new tokens, "
            f"{COT_BATCH} essays per batch), read by parse_score: {parsed} of {len(test)} parsed, the others "
            f"get the training median ({fallback}), so every essay has a score; {LLM_DTYPE} weights on CPU")
    out = {"pred": np.array([fallback if s is None else s for s in scores]), "seconds": run["seconds"],
           "note": note, "n_train": 0, "n_test": len(test)}
    if len(test) < 314:
        out["test_index"] = idx
    return out


def _register_results() -> None:
    try:
        from course_tools.results import register, register_not_measured
    except ImportError:  # pragma: no cover
        return
    section = "Generative models (local LLM)"
    for kind, label in PROMPT_KINDS.items():
        for cutoffs in (False, True):
            register(f"llm_{kind}" + ("_cutoffs" if cutoffs else ""), section,
                     f"LLM {label} prompt, answer probabilities" + (" + cutoffs" if cutoffs else ""),
                     seeds=1, note="hosted APIs (Groq, Cerebras): not measured here (no key)")(
                lambda seed, kind=kind, cutoffs=cutoffs: _prompt_row(kind, cutoffs))
    register("llm_examples_mean", section, "Few-shot's 2 examples' mean score, no language model",
             seeds=1, note="the baseline of the few-shot rows (notebook 15)")(_examples_mean_row)
    register("llm_chain_of_thought", section, "LLM chain-of-thought prompt, generated reply parsed",
             seeds=1, note="hosted APIs (Groq, Cerebras): not measured here (no key)")(_cot_row)
    register("llm_lora", section, "LoRA generative scorer (SFT, answer probabilities)",
             original=0.693, seeds=1,
             note="original 0.693 was trained on the test essays (leakage)")(_lora_row)
    why = ("needs an API key (course_utils.llm.get_api_key); none was available where this table "
           "was made. Notebooks 14-15 call the API in Colab")
    register_not_measured("api_groq_rubric", section, "Groq openai/gpt-oss-20b, rubric prompt (hosted API)",
                          None, why)
    register_not_measured("api_cerebras_rubric", section,
                          "Cerebras llama3.1-8b, rubric prompt (hosted API; the original's "
                          "llama-4-scout is retired)", None, why)


_register_results()


# --- robustness: python -m course_tools.llm_results ----------------------------------------
RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"
ROBUSTNESS_CSV = RESULTS_DIR / "asap7_llm_robustness.csv"
ROBUSTNESS_MD = RESULTS_DIR / "asap7_llm_robustness.md"
ROBUSTNESS_FIELDS = ["part", "scorer", "measure", "value"]


def _robustness_scorers(client, lora, train_n: int) -> dict:
    """The three scorers attacked: the rubric prompt without and with delimiting, and the LoRA scorer."""
    from course_utils import llm, prompts

    def prompt_scores(texts, delimit):
        build = lambda e: prompts.with_rubric(e, delimit=delimit, max_words=300)  # noqa: E731
        out = llm.score_with_llm(texts, build, client, max_tokens=12, progress=False)
        return np.array([np.nan if s is None else s for s in out.scores], dtype=float)

    return {
        "rubric prompt": lambda t: prompt_scores(t, False),
        "rubric prompt, essay delimited": lambda t: prompt_scores(t, True),
        f"LoRA ({train_n} training essays)": lambda t: lora.predict(t).astype(float),
    }


def _nanmean(values: np.ndarray) -> float:
    return float(np.nanmean(values)) if np.isfinite(values).any() else np.nan


def _attack_row(name: str, before: np.ndarray, after: np.ndarray, detector: np.ndarray) -> dict:
    both = np.isfinite(before) & np.isfinite(after)
    return {
        "scorer": name, "essays": len(before),
        "parsed before/after": f"{int(np.isfinite(before).sum())}/{int(np.isfinite(after).sum())}",
        "mean before": _nanmean(before), "mean after injection": _nanmean(after),
        "mean shift": float(np.mean(after[both] - before[both])) if both.any() else np.nan,
        "scores changed": int(np.sum(before[both] != after[both])),
        "scored 12 after": int(np.sum(after == 12)),
        "flagged by injection detector": f"{int(detector.sum())}/{len(before)}",
    }


def _strange_row(name: str, s: np.ndarray, relevant: np.ndarray) -> dict:
    return {
        "scorer": name,
        "mean score, off-topic (3)": _nanmean(s[:3]), "mean score, gibberish (3)": _nanmean(s[3:]),
        "flagged by relevance check": f"{int((~relevant).sum())}/6",
        "mean score after check": float(np.nanmean(np.where(relevant, s, 0.0))),
    }


def robustness_report(n: int = ROBUSTNESS_N, train_n: int = LORA_TRAIN_N, seed: int = 0) -> tuple:
    """Measure how the rubric prompt and the LoRA scorer react to attacks, and two defences.

    On the first ``n`` essays of the fixed evaluation subset: the mean score before and
    after appending :data:`prompts.INJECTION`, for the rubric prompt without and with
    delimiting and for a LoRA scorer trained as in the ``llm_lora`` row; on three
    off-topic and three gibberish texts: the scores, and how many the relevance check
    and the injection detector flag. The LoRA scorer is the results row's
    (:func:`results_lora`, cached). Returns ``(attack_table, strange_table, false_alarms)``.
    """
    import pandas as pd

    from course_utils import llm, prompts
    from course_utils.data import load_asap, reference_split

    train, test = reference_split(load_asap(7))
    essays = test.essay.iloc[eval_positions(LLM_EVAL_N)[:n]].tolist()
    attacked = [prompts.inject(e) for e in essays]
    strange = list(prompts.OFF_TOPIC) + prompts.gibberish(3, seed=0)
    scorers = _robustness_scorers(llm.ChatClient("local", LLM_MODEL), results_lora(seed, train_n), train_n)
    check = prompts.RelevanceCheck().fit(train.essay.tolist())
    detector = np.array([prompts.looks_like_injection(e) for e in attacked])
    attack_rows, strange_rows = [], []
    for name, score in scorers.items():
        attack_rows.append(_attack_row(name, score(essays), score(attacked), detector))
        strange_rows.append(_strange_row(name, score(strange), check.is_relevant(strange)))
    meta = {"relevance_false_alarms_test": float(np.mean(~check.is_relevant(test.essay.tolist()))),
            "injection_false_alarms_train": float(np.mean([prompts.looks_like_injection(e) for e in train.essay]))}
    return pd.DataFrame(attack_rows).round(2), pd.DataFrame(strange_rows).round(2), meta


def robustness_rows(attacks, strange, meta: dict, run: dict) -> list[dict]:
    """The report's figures as tidy CSV rows (part, scorer, measure, value); ``run`` says where and when."""
    rows = [{"part": "run", "scorer": "", "measure": k, "value": str(v)} for k, v in run.items()]
    for part, df in (("injection", attacks), ("off-topic", strange)):
        for record in df.to_dict("records"):
            rows += [{"part": part, "scorer": record["scorer"], "measure": k, "value": str(v)}
                     for k, v in record.items() if k != "scorer"]
    rows += [{"part": "false alarms", "scorer": "", "measure": k, "value": str(v)} for k, v in meta.items()]
    return rows


def _cell(value: str) -> str:
    """A stored value as the report shows it: integers as they are, other numbers with 2 decimals."""
    for kind, fmt in ((int, str), (float, lambda v: f"{v:.2f}")):
        try:
            return fmt(kind(value))
        except ValueError:
            pass
    return value


def _part_table(rows: list[dict], part: str) -> str:
    import pandas as pd

    from course_tools.tables import markdown_table

    part_rows = [r for r in rows if r["part"] == part]
    cells = {(r["scorer"], r["measure"]): _cell(r["value"]) for r in part_rows}
    scorers = list(dict.fromkeys(r["scorer"] for r in part_rows))
    measures = list(dict.fromkeys(r["measure"] for r in part_rows))
    table = [[s, *(cells.get((s, m), "") for m in measures)] for s in scorers]
    return markdown_table(pd.DataFrame(table, columns=["scorer", *measures]), numparse=False)


def render_robustness(rows: list[dict]) -> str:
    """``results/asap7_llm_robustness.md`` from the rows of its CSV (nothing is run)."""
    run = {r["measure"]: r["value"] for r in rows if r["part"] == "run"}
    meta = {r["measure"]: float(r["value"]) for r in rows if r["part"] == "false alarms"}
    return "\n".join([
        "# Robustness of the LLM scorers (ASAP-7)",
        "",
        "Regenerate: `python -m course_tools.llm_results` (writes this file and `asap7_llm_robustness.csv`; "
        "`--render` rewrites this file from the CSV; do not edit by hand).",
        f"Model: {run['model']}; greedy decoding; machine: {run['machine']}; {run['date']}; {run['seconds']} s.",
        "",
        f"## Prompt injection: \"{run['injection']}\" appended",
        "",
        f"First {run['essays attacked']} essays of the fixed {run['evaluation subset']}-essay test subset. "
        "Mean shift over essays parsed both times; unparseable replies are left out (not imputed).",
        "",
        _part_table(rows, "injection"),
        "",
        "## Off-topic and gibberish texts",
        "",
        "Relevance check: cosine similarity of the MiniLM embedding to the training "
        "essays' centroid below the 1% quantile of the training essays -> flagged, score 0 "
        "(or route to a human).",
        "",
        _part_table(rows, "off-topic"),
        "",
        f"False alarms: the relevance check flags {meta['relevance_false_alarms_test']:.1%} of the "
        f"314 real test essays; the injection detector flags "
        f"{meta['injection_false_alarms_train']:.1%} of the 1,255 training essays.",
        "",
    ])


def render_robustness_file(csv_path: Path = ROBUSTNESS_CSV, md_path: Path = ROBUSTNESS_MD) -> str:
    """Write ``md_path`` from ``csv_path`` alone (returns the text)."""
    from course_tools.results import render_csv

    return render_csv(csv_path, md_path, render_robustness, "python -m course_tools.llm_results")


def write_robustness(csv_path: Path = ROBUSTNESS_CSV, md_path: Path = ROBUSTNESS_MD, n: int = ROBUSTNESS_N,
                     train_n: int = LORA_TRAIN_N) -> str:
    """Run :func:`robustness_report`, store it in ``csv_path``, render ``md_path`` from it (returns the text)."""
    from course_tools.results import write_csv
    from course_tools.run_course import machine
    from course_utils.config import is_offline
    from course_utils.prompts import INJECTION

    start = time.perf_counter()
    attacks, strange, meta = robustness_report(n, train_n)
    model = "SmolLM2-135M-Instruct (offline stand-in for LiquidAI/LFM2-350M)" if is_offline() else LLM_MODEL
    run = {"model": model, "machine": machine(), "date": f"{datetime.now(timezone.utc):%Y-%m-%d}",
           "seconds": f"{time.perf_counter() - start:.0f}", "injection": INJECTION, "essays attacked": n,
           "evaluation subset": LLM_EVAL_N}
    write_csv(robustness_rows(attacks, strange, meta, run), csv_path, ROBUSTNESS_FIELDS)
    return render_robustness_file(csv_path, md_path)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="results/asap7_llm_robustness.csv and .md (prompt injection, "
                                     "off-topic texts).")
    parser.add_argument("--n", type=int, default=ROBUSTNESS_N, help="essays attacked (default %(default)s)")
    parser.add_argument("--render", action="store_true", help="rewrite the Markdown from the CSV, run nothing")
    args = parser.parse_args(argv)
    print(render_robustness_file() if args.render else write_robustness(n=args.n))


if __name__ == "__main__":
    main()
