"""LoRA generative scoring: teach a small chat model to answer "**Score**: n".

The original workshop fine-tunes LiquidAI/LFM2-350M with LoRA and trl's ``SFTTrainer``
to answer "**Score**: n" and parses the last characters of the generated text. Here:

* the chat template is one function (:func:`build_messages`; the answer is :func:`answer`);
* the SFT dataset is built from the *training* essays only (:func:`sft_dataset`,
  :func:`check_no_overlap`), as trl "prompt-completion" conversations, so the loss is
  on the answer only (``completion_only_loss``);
* :func:`lora_config` picks target modules that exist in the given architecture;
* :class:`GenerativeScorer` ``predict`` does not generate and parse: it reads the model's
  probability of each complete answer "0" ... "12" (multi-token answers such as "12" are
  scored token by token, up to the end-of-turn token; :mod:`course_utils.answer_likelihood`),
  so every essay gets a valid score -- the argmax or the expected score.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

# The answer format and reading its probability are shared with course_utils.prompts;
# notebooks, tests and the guard call them as lora.<name> too.
from course_utils.answer_likelihood import (  # noqa: F401
    answer,
    answer_log_likelihoods,
    continuation_log_probs,
    read_prompt,
)
from course_utils.config import SEED, device
from course_utils.metrics import softmax
from course_utils.prompts import essay_block

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
    user = (
        f"Score this essay from {min_score} to {max_score}. Answer **Score**: n.\n\n"
        + essay_block(essay, delimit)
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


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
    data = Dataset.from_dict(
        {
            "prompt": [build_messages(e, min_score, max_score, delimit) for e in essays],
            "completion": [[{"role": "assistant", "content": answer(s)}] for s in scores],
        }
    )
    if tokenizer is not None and max_length is not None:
        # trl cuts a longer conversation from the right, which would cut the answer (the only
        # tokens the loss is on): make sure every shortened conversation fits whole.
        for i, example in enumerate(data):
            n = len(tokenizer.apply_chat_template(example["prompt"] + example["completion"], tokenize=True,
                                                  return_dict=True)["input_ids"])
            if n > max_length:
                raise ValueError(f"Example {i} is {n} tokens after shortening its essay, over max_length="
                                 f"{max_length}: its answer would be cut; raise max_length.")
    return data


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
@contextmanager
def _dataset_bars(show: bool):
    """``datasets``' progress bars (trl's "Tokenizing/Truncating train dataset") on or off, then as before."""
    import datasets

    was_on = datasets.utils.logging.is_progress_bar_enabled()
    if not show:
        datasets.disable_progress_bars()
    try:
        yield
    finally:
        if was_on:
            datasets.enable_progress_bars()


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

        from course_utils.hub import resolve_model

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
        # transformers >= 5.2x renamed gradient_checkpointing (trl defaults it to True) to
        # activation_checkpointing; the new name where it exists, so no deprecation warning.
        renamed = "activation_checkpointing" in getattr(SFTConfig, "__dataclass_fields__", {})
        no_checkpointing = {"activation_checkpointing" if renamed else "gradient_checkpointing": False}
        with tempfile.TemporaryDirectory() as out, warnings.catch_warnings(), _dataset_bars(verbose):
            # peft and trl still read model.is_gradient_checkpointing, which transformers deprecates
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
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
                **no_checkpointing,
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
            if not verbose:  # no log dict per step: the loss curve is in log_history_
                from transformers import PrinterCallback

                trainer.remove_callback(PrinterCallback)
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
        with warnings.catch_warnings():  # peft reads model.is_gradient_checkpointing (deprecated)
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            scorer.model_ = PeftModel.from_pretrained(scorer.model_, str(path)).eval()
        scorer.fit_seconds_, scorer.log_history_ = saved["fit_seconds"], saved["log_history"]
        return scorer

    # -- prediction --------------------------------------------------------------------------
    def _log_likelihoods(self, essay: str) -> np.ndarray:
        """log P(answer | prompt) for each score, summed over the answer's tokens."""
        messages = build_messages(essay, self.min_score, self.max_score, self.delimit)
        answers = [answer(s) for s in range(self.min_score, self.max_score + 1)]
        return answer_log_likelihoods(self.model_, self.tokenizer_, messages, answers)

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
        with warnings.catch_warnings():  # trl's wrapper passes an argument transformers deprecates
            warnings.filterwarnings("ignore", message=".*past_key_values.*deprecated", category=FutureWarning)
            loglik = np.array([
                self._log_likelihoods(truncate_essay(e, self.tokenizer_, budget))
                for e in tqdm(essays, desc="scoring", disable=not progress)
            ])
        self.valid_mass_ = np.exp(loglik).sum(axis=1)
        return softmax(loglik, axis=1)  # renormalised over the valid answers

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


#: Test essays scored by each LLM row of the results table (a fixed, seeded subset).
LLM_EVAL_N = 64

def eval_positions(n: int, n_test: int = 314, seed: int = SEED) -> np.ndarray:
    """Sorted positions of a fixed random subset of ``n`` test essays (the same every run)."""
    if not 1 <= n <= n_test:
        raise ValueError(f"n must be between 1 and {n_test}, got {n}.")
    return np.sort(np.random.default_rng(seed).permutation(n_test)[:n])
