"""LoRA generative scoring: teach a small chat model to answer "**Score**: n".

The original workshop fine-tunes LiquidAI/LFM2-350M with LoRA and trl's ``SFTTrainer``
to answer "**Score**: n" and parses the last characters of the generated text. Here:

* the chat template is one function (:func:`build_messages`, :func:`answer`);
* the SFT dataset is built from the *training* essays only (:func:`sft_dataset`,
  :func:`check_no_overlap`), as trl "prompt-completion" conversations, so the loss is
  on the answer only (``completion_only_loss``);
* :func:`lora_config` picks target modules that exist in the given architecture;
* :class:`GenerativeScorer` ``predict`` does not generate and parse: it reads the model's
  probability of each complete answer "0" ... "12" (multi-token answers such as "12" are
  scored token by token, up to the end-of-turn token), so every essay gets a valid score
  -- the argmax or the expected score.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from course_utils.config import SEED, device

Messages = list[dict[str, str]]

SYSTEM = "You are a teacher who scores grade-7 essays about patience."

#: Leaf-module names of attention and MLP projections in common causal-LM families.
KNOWN_TARGETS = (
    "q_proj", "k_proj", "v_proj", "o_proj", "out_proj",  # llama, qwen, mistral, LFM2
    "gate_proj", "up_proj", "down_proj",  # llama-style MLP
    "in_proj", "w1", "w2", "w3",  # LFM2 convolution and MLP
    "c_attn", "c_proj", "c_fc",  # GPT-2
    "query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h",  # GPT-NeoX, Falcon
    "fc1", "fc2", "Wqkv",  # phi and others
)


# --- the chat template --------------------------------------------------------------------
def build_messages(essay: str, min_score: int = 0, max_score: int = 12, delimit: bool = False) -> Messages:
    """System and user turns: the score range and the essay (optionally fenced off as data)."""
    from course_utils.prompts import essay_block

    user = (
        f"Score this essay from {min_score} to {max_score}. Answer **Score**: n.\n\n"
        + essay_block(essay, delimit)
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def answer(score: int) -> str:
    """The assistant's answer for ``score``: ``"**Score**: 7"``."""
    return f"**Score**: {int(score)}"


# --- data -----------------------------------------------------------------------------------
def check_no_overlap(train_essays: Sequence[str], other_essays: Sequence[str]) -> None:
    """Raise ``ValueError`` when a training essay is also in ``other_essays`` (e.g. the test set)."""
    norm = {" ".join(e.split()) for e in other_essays}
    leaked = [i for i, e in enumerate(train_essays) if " ".join(e.split()) in norm]
    if leaked:
        raise ValueError(
            f"{len(leaked)} training essay(s) (e.g. index {leaked[0]}) are also evaluation "
            "essays: build the SFT data from the training split only."
        )


def truncate_essay(essay: str, tokenizer, max_tokens: int) -> str:
    """The essay cut to at most ``max_tokens`` tokens (the start is kept)."""
    ids = tokenizer(essay, add_special_tokens=False)["input_ids"]
    if len(ids) <= max_tokens:
        return essay
    return tokenizer.decode(ids[:max_tokens]) + " [...]"


def essay_budget(tokenizer, max_length: int, min_score: int = 0, max_score: int = 12,
                 delimit: bool = False) -> int:
    """Tokens left for the essay when prompt + answer must fit in ``max_length``."""
    messages = build_messages("", min_score, max_score, delimit) + [
        {"role": "assistant", "content": answer(max_score)}
    ]
    overhead = len(tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"])
    budget = max_length - overhead - 8  # margin for " [...]" and merges at the edges
    if budget < 32:
        raise ValueError(f"max_length={max_length} leaves {budget} tokens for the essay: raise it.")
    return budget


def sft_dataset(
    essays: Sequence[str],
    scores: Sequence[int],
    min_score: int = 0,
    max_score: int = 12,
    tokenizer=None,
    max_length: int | None = None,
    exclude: Sequence[str] | None = None,
    delimit: bool = False,
):
    """A ``datasets.Dataset`` of prompt-completion conversations for trl's ``SFTTrainer``.

    ``prompt`` holds the system and user turns, ``completion`` the answer, so trl
    computes the loss on the answer only. With ``tokenizer`` and ``max_length`` long
    essays are truncated so the answer is never cut off. ``exclude`` (e.g. the test
    essays) makes sure none of them is used for training.
    """
    from datasets import Dataset

    essays, scores = list(essays), np.asarray(scores)
    if len(essays) != len(scores) or not essays:
        raise ValueError(f"Need as many scores as essays (got {len(essays)} and {len(scores)}), at least one.")
    if scores.min() < min_score or scores.max() > max_score:
        raise ValueError(f"scores must lie in {min_score}..{max_score}.")
    if exclude is not None:
        check_no_overlap(essays, exclude)
    if tokenizer is not None and max_length is not None:
        budget = essay_budget(tokenizer, max_length, min_score, max_score, delimit)
        essays = [truncate_essay(e, tokenizer, budget) for e in essays]
    return Dataset.from_dict(
        {
            "prompt": [build_messages(e, min_score, max_score, delimit) for e in essays],
            "completion": [[{"role": "assistant", "content": answer(s)}] for s in scores],
        }
    )


# --- LoRA ---------------------------------------------------------------------------------
def linear_module_names(model) -> list[str]:
    """Distinct leaf names of the linear layers in ``model``, without the output head."""
    import torch

    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    names = set()
    for full_name, module in model.named_modules():
        is_linear = isinstance(module, torch.nn.Linear) or type(module).__name__ == "Conv1D"
        if is_linear and module is not head:
            names.add(full_name.split(".")[-1])
    return sorted(names)


def lora_config(model, r: int = 8, alpha: int = 16, dropout: float = 0.05, targets: Sequence[str] | None = None):
    """A peft ``LoraConfig`` whose target modules exist in ``model``.

    By default the linear layers whose names are known attention/MLP projections
    (:data:`KNOWN_TARGETS`); when none is known, all linear layers except the output
    head. ``targets`` chooses names yourself (they must exist).
    """
    from peft import LoraConfig

    present = linear_module_names(model)
    if not present:
        raise ValueError("The model has no linear layers to adapt.")
    if targets is not None:
        missing = sorted(set(targets) - set(present))
        if missing:
            raise ValueError(f"{missing} are not linear layers of this model; it has {present}.")
        chosen = sorted(set(targets))
    else:
        chosen = [n for n in present if n in KNOWN_TARGETS] or present
    return LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=chosen,
                      bias="none", task_type="CAUSAL_LM")


# --- the scorer ---------------------------------------------------------------------------
class GenerativeScorer(BaseEstimator):
    """A chat model LoRA-tuned to answer "**Score**: n"; scores from answer probabilities.

    ``fit(essays, scores)`` trains LoRA adapters with trl's ``SFTTrainer`` (loss on the
    answer only). ``predict_proba`` returns, for each essay, the probability of each
    score ``min_score..max_score`` (normalised over these answers); ``predict`` returns
    the most probable score (``decision="argmax"``) or the rounded expected score
    (``decision="expected"``). ``predict`` also works without ``fit`` (zero-shot).
    ``delimit=True`` fences the essay off in ``<essay>`` tags, in training and prediction.
    """

    def __init__(
        self,
        model_id: str = "LiquidAI/LFM2-350M",
        min_score: int = 0,
        max_score: int = 12,
        epochs: float = 1.0,
        learning_rate: float = 2e-4,
        batch_size: int = 4,
        grad_accum: int = 2,
        max_length: int = 512,
        lora_r: int = 8,
        decision: str = "argmax",
        delimit: bool = False,
        random_state: int = SEED,
    ) -> None:
        self.model_id = model_id
        self.min_score, self.max_score = min_score, max_score
        self.epochs, self.learning_rate = epochs, learning_rate
        self.batch_size, self.grad_accum = batch_size, grad_accum
        self.max_length, self.lora_r = max_length, lora_r
        self.decision, self.delimit, self.random_state = decision, delimit, random_state

    # -- loading ---------------------------------------------------------------------------
    def _load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from course_utils.models import resolve_model

        path = resolve_model(self.model_id, kind="causal-lm")
        self.tokenizer_ = AutoTokenizer.from_pretrained(path)
        if self.tokenizer_.pad_token is None:
            self.tokenizer_.pad_token = self.tokenizer_.eos_token
        # float32 weights; on a GPU training uses fp16 autocast (a T4 has no bf16)
        self.model_ = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).to(device())
        self.model_.eval()

    def _check(self) -> None:
        if self.decision not in ("argmax", "expected"):
            raise ValueError(f"decision must be 'argmax' or 'expected', got {self.decision!r}.")
        if not self.min_score < self.max_score:
            raise ValueError("min_score must be below max_score.")

    # -- training --------------------------------------------------------------------------
    def fit(self, essays: Sequence[str], scores: Sequence[int], exclude: Sequence[str] | None = None,
            verbose: bool = False) -> GenerativeScorer:
        """LoRA-tune on ``essays``/``scores`` (training data only; ``exclude`` guards that)."""
        import tempfile

        from trl import SFTConfig, SFTTrainer

        self._check()
        start = time.perf_counter()
        self._load()
        self.train_dataset_ = sft_dataset(essays, scores, self.min_score, self.max_score,
                                          self.tokenizer_, self.max_length, exclude, self.delimit)
        cuda = device() == "cuda"
        with tempfile.TemporaryDirectory() as out:
            args = SFTConfig(
                output_dir=out,
                num_train_epochs=self.epochs,
                per_device_train_batch_size=self.batch_size,
                gradient_accumulation_steps=self.grad_accum,
                learning_rate=self.learning_rate,
                lr_scheduler_type="linear",
                warmup_steps=0,
                max_length=self.max_length,
                completion_only_loss=True,
                gradient_checkpointing=False,
                bf16=False,
                fp16=cuda,
                seed=self.random_state,
                data_seed=self.random_state,
                save_strategy="no",
                report_to="none",
                logging_steps=1,
                disable_tqdm=not verbose,
                dataloader_num_workers=0,
                dataloader_pin_memory=cuda,
            )
            trainer = SFTTrainer(
                model=self.model_,
                args=args,
                train_dataset=self.train_dataset_,
                processing_class=self.tokenizer_,
                peft_config=lora_config(self.model_, r=self.lora_r, alpha=2 * self.lora_r),
            )
            trainer.train()
        self.model_ = trainer.model.eval()
        self.log_history_ = [h for h in trainer.state.log_history if "loss" in h]  # per step
        self.fit_seconds_ = time.perf_counter() - start
        return self

    # -- saving ------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Save the LoRA adapters (a few MB, not the base model) and the scorer's settings."""
        import json

        if not hasattr(self, "fit_seconds_"):
            raise RuntimeError("Only a fitted GenerativeScorer can be saved: call fit() first.")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.model_.save_pretrained(path)  # a peft model saves its adapters only
        extra = {"fit_seconds": self.fit_seconds_, "log_history": self.log_history_}
        (path / "scorer.json").write_text(json.dumps({"params": self.get_params(), **extra}, indent=2))
        return path

    @classmethod
    def load(cls, path: str | Path) -> GenerativeScorer:
        """Load a scorer saved with :meth:`save`: the base model, then its adapters."""
        import json

        from peft import PeftModel

        path = Path(path)
        if not (path / "scorer.json").is_file():
            raise ValueError(f"{path} has no scorer.json: save a fitted scorer with GenerativeScorer.save().")
        saved = json.loads((path / "scorer.json").read_text())
        scorer = cls(**saved["params"])
        scorer._check()
        scorer._load()
        scorer.model_ = PeftModel.from_pretrained(scorer.model_, str(path)).eval()
        scorer.fit_seconds_, scorer.log_history_ = saved["fit_seconds"], saved["log_history"]
        return scorer

    # -- prediction --------------------------------------------------------------------------
    def _candidate_ids(self, essay: str) -> list[list[int]]:
        messages = build_messages(essay, self.min_score, self.max_score, self.delimit)
        out = []
        for s in range(self.min_score, self.max_score + 1):
            full = messages + [{"role": "assistant", "content": answer(s)}]
            out.append(self.tokenizer_.apply_chat_template(full, tokenize=True, return_dict=True)["input_ids"])
        return out

    def _log_likelihoods(self, essay: str) -> np.ndarray:
        """log P(answer | prompt) for each score, summed over the answer's tokens."""
        import torch

        cands = self._candidate_ids(essay)
        prefix = 0
        while all(len(c) > prefix and c[prefix] == cands[0][prefix] for c in cands):
            prefix += 1
        eos = self.tokenizer_.convert_tokens_to_ids(self.tokenizer_.eos_token)
        suffixes = []
        for c in cands:  # the answer's own tokens, up to and including the end of turn
            tail = list(c[prefix:])
            suffixes.append(tail[: tail.index(eos) + 1] if eos in tail else tail)
        width = max(len(s) for s in suffixes)
        pad = self.tokenizer_.pad_token_id
        batch = torch.tensor([s + [pad] * (width - len(s)) for s in suffixes], device=self.model_.device)
        k = len(cands)
        with torch.no_grad():
            first = self.model_(torch.tensor([cands[0][:prefix]], device=self.model_.device), use_cache=True)
            last = torch.log_softmax(first.logits[0, -1].float(), -1)
            try:
                past = first.past_key_values
                past.batch_repeat_interleave(k)
                rest = self.model_(batch, past_key_values=past, use_cache=True).logits
            except Exception:  # caches some architectures cannot expand: recompute
                full = torch.cat([torch.tensor([cands[0][:prefix]] * k, device=batch.device), batch], 1)
                rest = self.model_(full).logits[:, prefix:]
            logp = torch.log_softmax(rest.float(), -1)
        out = np.zeros(k)
        for i, s in enumerate(suffixes):
            total = float(last[s[0]])
            for j in range(1, len(s)):
                total += float(logp[i, j - 1, s[j]])
            out[i] = total
        return out

    def predict_proba(self, essays: Sequence[str], progress: bool = False) -> np.ndarray:
        """``(n, max_score - min_score + 1)`` probabilities of the scores, rows summing to 1.

        ``valid_mass_`` then holds, per essay, the total probability the model gave to
        well-formed answers before normalising (near 1 after fine-tuning).
        """
        from tqdm.auto import tqdm

        self._check()
        if not hasattr(self, "model_"):
            self._load()
        essays = list(essays)
        if not essays:
            raise ValueError("essays is empty.")
        budget = essay_budget(self.tokenizer_, self.max_length, self.min_score, self.max_score,
                              self.delimit)
        loglik = np.array([
            self._log_likelihoods(truncate_essay(e, self.tokenizer_, budget))
            for e in tqdm(essays, desc="scoring", disable=not progress)
        ])
        self.valid_mass_ = np.exp(loglik).sum(axis=1)
        probs = np.exp(loglik - loglik.max(axis=1, keepdims=True))
        return probs / probs.sum(axis=1, keepdims=True)

    def expected_score(self, essays: Sequence[str]) -> np.ndarray:
        """The probability-weighted mean score of each essay (a float)."""
        return self.predict_proba(essays) @ np.arange(self.min_score, self.max_score + 1)

    def predict(self, essays: Sequence[str], progress: bool = False) -> np.ndarray:
        """A valid integer score for every essay (argmax or rounded expected score)."""
        probs = self.predict_proba(essays, progress)
        points = np.arange(self.min_score, self.max_score + 1)
        if self.decision == "expected":
            return np.rint(probs @ points).astype(int)
        return points[probs.argmax(axis=1)]


def training_data(n: int | None = None, seed: int = SEED):
    """``(essays, scores, test_essays)`` from ASAP-7's reference split: train part only.

    ``n`` draws a seeded random subset of the 1,255 training essays (all when ``None``).
    The test essays come back only so callers can pass them as ``exclude``.
    """
    from course_utils.data import load_asap, reference_split

    train, test = reference_split(load_asap(7))
    if n is not None and n < len(train):
        train = train.sample(n=n, random_state=seed)
    return train.essay.tolist(), train.rater1_domain1.to_numpy(), test.essay.tolist()


# --- results rows: python -m course_utils.results --only llm_ ------------------------------
#: Sizes of the LLM rows of the results table (CPU-friendly; state them with the numbers).
LLM_EVAL_N = 64  # test essays scored by each LLM row (a fixed, seeded subset)
LORA_TRAIN_N = 256  # training essays for the LoRA row (a seeded subset of the train part)
#: The LoRA row's settings: 1 epoch of batch 4 (64 updates on 256 essays).
LORA_SETTINGS = {"max_length": 320, "epochs": 1, "batch_size": 4, "grad_accum": 1, "learning_rate": 2e-4}
ROBUSTNESS_N = 16  # essays of the evaluation subset attacked in the robustness study
LLM_MODEL = "LiquidAI/LFM2-350M"  # offline: SmolLM2-135M-Instruct stands in


def eval_positions(n: int, n_test: int = 314, seed: int = SEED) -> np.ndarray:
    """Sorted positions of a fixed random subset of ``n`` test essays (the same every run)."""
    if not 1 <= n <= n_test:
        raise ValueError(f"n must be between 1 and {n_test}, got {n}.")
    return np.sort(np.random.default_rng(seed).permutation(n_test)[:n])


def _standin_note(n_eval: int) -> str:
    from course_utils.config import is_offline

    model = "SmolLM2-135M-Instruct (offline stand-in for LFM2-350M)" if is_offline() else LLM_MODEL
    return f"{model}; fixed subset of {n_eval} of the 314 test essays"


def _prompt_row(kind: str, seed: int) -> dict:
    from course_utils import llm, prompts
    from course_utils.config import seed_everything
    from course_utils.data import load_asap, reference_split

    seed_everything(seed)
    train, test = reference_split(load_asap(7))
    idx = eval_positions(LLM_EVAL_N)
    essays = test.essay.iloc[idx].tolist()
    start = time.perf_counter()
    if kind == "few_shot":
        build = prompts.FewShot(train.essay.tolist(), train.rater1_domain1.to_numpy(), k=2, max_words=150)
    else:
        build = {"zero_shot": prompts.zero_shot, "rubric": prompts.with_rubric}[kind]
    client = llm.ChatClient("local", LLM_MODEL)
    out = llm.score_with_llm(essays, lambda e: build(e, max_words=300) if kind != "few_shot" else build(e),
                             client, cache=False, progress=False, max_tokens=12)
    fallback = int(np.median(train.rater1_domain1))
    seconds = time.perf_counter() - start
    note = (f"{_standin_note(LLM_EVAL_N)}; greedy; {out.n_unparseable} unparseable replies "
            f"scored as the training median {fallback}")
    return {"pred": out.filled(fallback), "test_index": idx, "seconds": seconds, "note": note,
            "n_train": 0 if kind != "few_shot" else len(train), "n_test": LLM_EVAL_N}


def results_lora(seed: int = 0, train_n: int = LORA_TRAIN_N) -> GenerativeScorer:
    """The LoRA scorer of the results table, trained once and cached.

    Trained with :data:`LORA_SETTINGS` on a seeded subset of ``train_n`` training
    essays (never a test essay: ``exclude``). The adapters are saved in
    ``COURSE_CACHE_DIR/lora_runs``, keyed by the settings, the data and the base model,
    so the results row and the robustness study (``python -m course_utils.generative``)
    share one training run; delete the folder to retrain. ``fit_seconds_`` is the
    original training time.
    """
    import hashlib
    import json

    from course_utils.config import cache_dir, seed_everything
    from course_utils.models import resolve_model

    essays, scores, test_essays = training_data(train_n, seed=SEED + seed)
    base = Path(resolve_model(LLM_MODEL, kind="causal-lm", verbose=False)).name
    ident = json.dumps({"seed": seed, "settings": LORA_SETTINGS, "base": base, "essays": essays,
                        "scores": [int(x) for x in scores], "version": 1}, sort_keys=True)
    path = cache_dir() / "lora_runs" / f"seed{seed}_n{train_n}_{hashlib.sha1(ident.encode()).hexdigest()[:16]}"
    if (path / "scorer.json").is_file():
        print(f"Reusing the LoRA adapters cached at {path} (delete the folder to retrain).")
        return GenerativeScorer.load(path)
    seed_everything(seed)
    scorer = GenerativeScorer(LLM_MODEL, random_state=seed, **LORA_SETTINGS)
    scorer.fit(essays, scores, exclude=test_essays)
    scorer.save(path)
    return scorer


def _lora_row(seed: int) -> dict:
    from course_utils.data import load_asap, reference_split

    _, test = reference_split(load_asap(7))
    idx = eval_positions(LLM_EVAL_N)
    scorer = results_lora(seed)
    start = time.perf_counter()
    pred = scorer.predict(test.essay.iloc[idx].tolist())
    seconds = scorer.fit_seconds_ + time.perf_counter() - start
    st = LORA_SETTINGS
    note = (f"{_standin_note(LLM_EVAL_N)}; LoRA r=8 on {LORA_TRAIN_N} training essays, {st['epochs']} epoch, "
            f"batch {st['batch_size']}, lr {st['learning_rate']:g}, max_length {st['max_length']}; "
            "argmax of answer probabilities (no unparseable replies); seconds = training + scoring")
    return {"pred": pred, "test_index": idx, "seconds": seconds, "note": note,
            "n_train": LORA_TRAIN_N, "n_test": LLM_EVAL_N}


def _register_results() -> None:
    try:
        from course_utils.results import register, register_not_measured
    except ImportError:  # pragma: no cover
        return
    section = "Generative models (local LLM)"
    for kind, label in (("zero_shot", "LLM zero-shot prompt"), ("rubric", "LLM rubric prompt"),
                        ("few_shot", "LLM few-shot prompt (k=2 similar training essays)")):
        register(f"llm_{kind}", section, label, seeds=1,
                 note="hosted APIs (Groq, Cerebras): not measured here (no key)")(
            lambda seed, kind=kind: _prompt_row(kind, seed))
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


# --- robustness: python -m course_utils.generative ----------------------------------------
ROBUSTNESS_MD = "results/asap7_llm_robustness.md"


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
    client = llm.ChatClient("local", LLM_MODEL)

    def prompt_scores(texts, delimit):
        build = lambda e: prompts.with_rubric(e, delimit=delimit, max_words=300)  # noqa: E731
        out = llm.score_with_llm(texts, build, client, max_tokens=12, progress=False)
        return np.array([np.nan if s is None else s for s in out.scores], dtype=float)

    lora = results_lora(seed, train_n)
    scorers = {
        "rubric prompt": lambda t: prompt_scores(t, False),
        "rubric prompt, essay delimited": lambda t: prompt_scores(t, True),
        f"LoRA ({train_n} training essays)": lambda t: lora.predict(t).astype(float),
    }
    check = prompts.RelevanceCheck().fit(train.essay.tolist())
    detector = np.array([prompts.looks_like_injection(e) for e in attacked])
    attack_rows, strange_rows = [], []
    for name, score in scorers.items():
        before, after = score(essays), score(attacked)
        both = np.isfinite(before) & np.isfinite(after)
        attack_rows.append({
            "scorer": name, "essays": n,
            "parsed before/after": f"{int(np.isfinite(before).sum())}/{int(np.isfinite(after).sum())}",
            "mean before": np.nanmean(before) if np.isfinite(before).any() else np.nan,
            "mean after injection": np.nanmean(after) if np.isfinite(after).any() else np.nan,
            "mean shift": float(np.mean(after[both] - before[both])) if both.any() else np.nan,
            "scores changed": int(np.sum(before[both] != after[both])),
            "scored 12 after": int(np.sum(after == 12)),
            "flagged by injection detector": f"{int(detector.sum())}/{n}",
        })
        s = score(strange)
        relevant = check.is_relevant(strange)
        after_check = np.where(relevant, s, 0.0)
        strange_rows.append({
            "scorer": name,
            "mean score, off-topic (3)": np.nanmean(s[:3]) if np.isfinite(s[:3]).any() else np.nan,
            "mean score, gibberish (3)": np.nanmean(s[3:]) if np.isfinite(s[3:]).any() else np.nan,
            "flagged by relevance check": f"{int((~relevant).sum())}/6",
            "mean score after check": float(np.nanmean(after_check)),
        })
    real_flagged = float(np.mean(~check.is_relevant(test.essay.tolist())))
    false_alarms = float(np.mean([prompts.looks_like_injection(e) for e in train.essay]))
    meta = {"relevance_false_alarms_test": real_flagged, "injection_false_alarms_train": false_alarms}
    return pd.DataFrame(attack_rows).round(2), pd.DataFrame(strange_rows).round(2), meta


def _md_table(df) -> str:
    """A DataFrame as a Markdown table (no extra dependency)."""
    def cell(v) -> str:
        return f"{v:.2f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def write_robustness(path: str = ROBUSTNESS_MD, n: int = ROBUSTNESS_N, train_n: int = LORA_TRAIN_N) -> str:
    """Run :func:`robustness_report` and write it as Markdown (returns the text)."""
    from datetime import datetime, timezone

    from course_utils.config import is_offline
    from course_utils.prompts import INJECTION
    from course_utils.run_course import machine

    start = time.perf_counter()
    attacks, strange, meta = robustness_report(n, train_n)
    model = "SmolLM2-135M-Instruct (offline stand-in for LiquidAI/LFM2-350M)" if is_offline() else LLM_MODEL
    text = "\n".join([
        "# Robustness of the LLM scorers (ASAP-7)",
        "",
        "Regenerate: `python -m course_utils.generative` (writes this file; do not edit by hand).",
        f"Model: {model}; greedy decoding; machine: {machine()}; "
        f"{datetime.now(timezone.utc):%Y-%m-%d}; {time.perf_counter() - start:.0f} s.",
        "",
        f"## Prompt injection: \"{INJECTION}\" appended",
        "",
        f"First {n} essays of the fixed {LLM_EVAL_N}-essay test subset. Mean shift over essays "
        "parsed both times; unparseable replies are left out (not imputed).",
        "",
        _md_table(attacks),
        "",
        "## Off-topic and gibberish texts",
        "",
        "Relevance check: cosine similarity of the MiniLM embedding to the training "
        "essays' centroid below the 1% quantile of the training essays -> flagged, score 0 "
        "(or route to a human).",
        "",
        _md_table(strange),
        "",
        f"False alarms: the relevance check flags {meta['relevance_false_alarms_test']:.1%} of the "
        f"314 real test essays; the injection detector flags "
        f"{meta['injection_false_alarms_train']:.1%} of the 1,255 training essays.",
        "",
    ])
    out = Path(path) if Path(path).is_absolute() else Path(__file__).resolve().parent.parent / path
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return text


if __name__ == "__main__":
    print(write_robustness())
