"""Profiles: every setting that differs between a Colab GPU, a CPU laptop and CI.
Taught in notebook 00.

The course runs in three places, chosen with the environment variable
``COURSE_PROFILE``:

* ``full``  -- the original workshop's settings, for Colab with a GPU (the default
  when a CUDA GPU is present);
* ``fast``  -- a CPU laptop (the default without a GPU): most notebooks in under 5
  minutes on 2 cores; the measured times are in ``results/notebook_times.csv``;
* ``smoke`` -- CI: the whole course in about ten minutes on two cores.

Notebooks never write ``if smoke:``; they read the knobs from :func:`get_profile`::

    from course_utils import config
    profile = config.setup()          # prints profile, device, offline mode; seeds
    profile.finetune_epochs           # 4 in full, 3 in fast, 1 in smoke
"""

from __future__ import annotations

import os
import random
from dataclasses import asdict, dataclass, replace

import numpy as np

# is_offline and cache_dir live below both this module and hub (which needs them too);
# config.is_offline() and config.cache_dir() are how notebooks and modules call them.
from course_utils.environment import cache_dir, is_offline  # noqa: F401
from course_utils.hub import (
    ELECTRA_SMALL_ID,
    LFM2_ID,
    MINILM_ID,
    MULTILINGUAL_MINILM_ID,
    ROBERTA_LARGE_ID,
)

PROFILE_NAMES = ("full", "fast", "smoke")
SEED = 42


@dataclass(frozen=True)
class Profile:
    """All knobs that differ by profile. ``None`` for a subset size means "all rows"."""

    name: str
    # --- classical essay scoring (notebooks 04-09) ---------------------------------
    max_train_essays: int | None  # cap on training essays for slow models
    svd_dims: tuple[int, ...]  # dimension sweep on the dev set
    optuna_trials: int
    rf_trees: int
    n_seeds: int  # seeds per row of the results table
    n_bootstrap: int
    # --- fine-tuning (notebooks 11-13) ---------------------------------------------
    finetune_model: str
    finetune_train_essays: int | None
    finetune_epochs: int
    finetune_max_length: int
    finetune_batch_size: int
    finetune_lr: float
    finetune_demo_essays: int | None  # one-essay steps of notebook 11's original loop
    # --- generative models (notebooks 14-16) ---------------------------------------
    llm_model: str
    llm_eval_essays: int  # essays scored by prompting (free API tiers are rate-limited)
    llm_max_new_tokens: int
    lora_train_essays: int | None
    lora_epochs: int
    lora_max_length: int
    # --- short answers (notebooks 17-19) -------------------------------------------
    sa_embedding_model: str
    sa_cross_encoder_model: str
    sa_train_answers: int | None
    sa_epochs: int
    sa_max_length: int
    sa_questions: int | None  # questions used in the few-shot evaluation
    # --- shared ---------------------------------------------------------------------
    embedding_model: str = MINILM_ID
    encode_batch_size: int = 32
    # --- tokenization (notebook 10): essays embedded per truncation strategy --------
    truncation_train_essays: int | None = None
    truncation_dev_essays: int | None = None

    def as_dict(self) -> dict:
        """The profile as a plain dict (handy for logging next to results)."""
        return asdict(self)


_FULL = Profile(
    name="full",
    max_train_essays=None,
    svd_dims=(10, 25, 50, 100, 200, 300, 500),
    optuna_trials=30,
    rf_trees=500,
    n_seeds=5,
    n_bootstrap=1000,
    finetune_model=ELECTRA_SMALL_ID,
    finetune_train_essays=None,
    finetune_epochs=4,
    finetune_max_length=512,
    finetune_batch_size=16,
    finetune_lr=5e-5,
    finetune_demo_essays=None,
    llm_model=LFM2_ID,
    llm_eval_essays=100,
    llm_max_new_tokens=256,
    lora_train_essays=None,
    lora_epochs=1,
    lora_max_length=768,
    sa_embedding_model=MULTILINGUAL_MINILM_ID,
    sa_cross_encoder_model=ROBERTA_LARGE_ID,
    sa_train_answers=None,
    sa_epochs=3,
    sa_max_length=256,
    sa_questions=None,
)

_FAST = replace(
    _FULL,
    name="fast",
    svd_dims=(10, 50, 100, 300),
    optuna_trials=15,
    rf_trees=300,
    n_seeds=3,
    n_bootstrap=500,
    # A CPU sees fewer essays, so it takes more passes at a higher rate than `full` to learn
    # in a few minutes. Chosen on dev sets (600 essays, batch 8, 3 epochs): at lr 3e-4 the
    # Trainer runs of notebooks 12 (classification) and 13 (regression) gave one score to
    # every dev essay (dev QWK 0.000 and 0.004) and the manual loop of 11 reached 0.458 only
    # at epoch 3; at 1e-4 notebook 13's run reached dev QWK 0.451. The results table uses
    # 4 epochs, batch 8, lr 1e-4 on all 1,066 training essays.
    finetune_train_essays=600,
    finetune_epochs=3,
    finetune_max_length=256,
    finetune_batch_size=8,
    finetune_lr=1e-4,
    finetune_demo_essays=200,
    llm_eval_essays=20,
    llm_max_new_tokens=64,
    lora_train_essays=200,
    lora_max_length=512,
    sa_embedding_model=_FULL.embedding_model,
    sa_cross_encoder_model=MINILM_ID,
    sa_train_answers=1500,
    sa_epochs=1,
    sa_max_length=128,
    sa_questions=20,
    truncation_train_essays=300,
)

_SMOKE = replace(
    _FAST,
    name="smoke",
    max_train_essays=400,
    svd_dims=(10, 50),
    optuna_trials=4,
    rf_trees=50,
    n_seeds=1,
    n_bootstrap=100,
    finetune_train_essays=64,
    finetune_epochs=1,
    finetune_max_length=128,
    finetune_batch_size=16,
    finetune_demo_essays=32,
    llm_eval_essays=4,
    llm_max_new_tokens=16,
    lora_train_essays=16,
    lora_max_length=256,
    sa_train_answers=200,
    sa_epochs=1,
    sa_max_length=64,
    sa_questions=4,
    truncation_train_essays=64,
    truncation_dev_essays=64,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (_FULL, _FAST, _SMOKE)}

# The knobs that name a Hub model. ``COURSE_FULL_MODELS=1`` gives every profile the full
# profile's models with its own sizes: CI's online job runs the smoke notebooks with
# ELECTRA-small, LFM2-350M, the multilingual MiniLM and RoBERTa-large on a CPU.
MODEL_FIELDS = ("finetune_model", "llm_model", "sa_embedding_model", "sa_cross_encoder_model",
                "embedding_model")


def has_cuda() -> bool:
    """True when PyTorch is installed and sees a CUDA GPU."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def in_colab() -> bool:
    """True inside Google Colab (its kernel has imported ``google.colab``)."""
    import sys

    return "google.colab" in sys.modules


def device() -> str:
    """``"cuda"`` when a CUDA GPU is available, else ``"cpu"``."""
    return "cuda" if has_cuda() else "cpu"


def profile_name() -> tuple[str, str]:
    """The active profile's name and why it was chosen."""
    name = os.environ.get("COURSE_PROFILE", "").strip().lower()
    if name:
        if name not in PROFILES:
            raise ValueError(
                f"COURSE_PROFILE={name!r} is not a profile; use one of {', '.join(PROFILE_NAMES)}."
            )
        return name, "set by COURSE_PROFILE"
    if has_cuda():
        return "full", "default: a CUDA GPU is present"
    return "fast", "default: no CUDA GPU"


def get_profile(name: str | None = None) -> Profile:
    """The :class:`Profile` named ``name``, or the active one (``COURSE_PROFILE``)."""
    if name is None:
        name, _ = profile_name()
    if name not in PROFILES:
        raise ValueError(f"Unknown profile {name!r}; use one of {', '.join(PROFILE_NAMES)}.")
    if full_models():
        return replace(PROFILES[name], **{f: getattr(_FULL, f) for f in MODEL_FIELDS})
    return PROFILES[name]


def full_models() -> bool:
    """True when ``COURSE_FULL_MODELS`` asks every profile to use the full profile's models."""
    return os.environ.get("COURSE_FULL_MODELS", "").strip().lower() in {"1", "true", "yes", "on"}


def seed_everything(seed: int = SEED) -> None:
    """Seed Python, NumPy and (if installed) PyTorch so reruns give the same numbers."""
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def run_solutions(cost: str) -> bool:
    """Whether a costly exercise solution runs now; if not, say how to run it.

    Costly solutions start with ``if RUN_SOLUTION or config.run_solutions("about N
    minutes"):`` so that "Run all" does not spend minutes on them. They run in the
    ``smoke`` profile (CI executes every solution, so a broken one fails the build) and
    whenever ``COURSE_RUN_SOLUTIONS=1``.
    """
    if profile_name()[0] == "smoke" or os.environ.get("COURSE_RUN_SOLUTIONS", "").strip().lower() in {
            "1", "true", "yes", "on"}:
        return True
    print(f"This solution was skipped on 'Run all': it takes {cost}. Set RUN_SOLUTION = True in "
          "this cell (or COURSE_RUN_SOLUTIONS=1 before starting Jupyter) to run it.")
    return False


def setup(seed: int = SEED, verbose: bool = True) -> Profile:
    """Start of every notebook: pick the profile, seed everything, say where we run.

    Prints one line such as
    ``Profile: fast (default: no CUDA GPU) | device: cpu | Hub: offline | data: ../shared/data``,
    ending in ``| running in Colab`` there (plus a hint when the Colab runtime has no GPU).
    """
    name, why = profile_name()
    profile = get_profile(name)
    seed_everything(seed)
    if verbose:
        data = os.environ.get("COURSE_DATA_DIR") or "Hugging Face Hub"
        gpu = ""
        if has_cuda():
            import torch

            gpu = f" ({torch.cuda.get_device_name(0)})"
        hub = "offline" if is_offline() else "online"
        where = " | running in Colab" if in_colab() else ""
        models = " | models: the full profile's (COURSE_FULL_MODELS)" if full_models() and name != "full" else ""
        print(
            f"Profile: {profile.name} ({why}){models} | device: {device()}{gpu} | "
            f"Hub: {hub} | data: {data} | seed: {seed}{where}"
        )
        if in_colab() and not gpu:
            print("You are in Colab without a GPU: Runtime -> Change runtime type -> T4 GPU "
                  "runs the full profile; this CPU runtime runs the fast one.")
    return profile
