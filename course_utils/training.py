"""What both ways of fine-tuning share, and one training step done right.

The manual loop of notebook 11 (:mod:`course_utils.finetune`) and the Hugging Face
Trainer of notebooks 12-13 (:mod:`course_utils.trainer`) train the same model the same
way; what they share lives here:

* the two scoring modes: ``"classification"`` (one logit per score point,
  cross-entropy) and ``"regression"`` (one logit, ``sigmoid`` and mean squared error
  against ``mu(score)``, :mod:`course_utils.cutoffs`) -- :func:`scoring_loss`, and
  :func:`logits_to_scores` / :func:`logits_to_continuous` to read the outputs back;
* :func:`mixed_precision`: bf16 where the GPU supports it, fp16 with a gradient scaler on
  older GPUs (a Colab T4), fp32 on a CPU;
* :func:`train_step`: ``zero_grad -> forward -> loss -> backward -> clip -> step ->
  schedule``, with the gradients clipped *after* ``backward()``;
* :func:`snapshot_state`: a deep copy of the weights (``model.state_dict()`` is a live view).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from course_utils.metrics import softmax

Mode = Literal["classification", "regression"]
MODES = ("classification", "regression")


def check_mode(mode: str) -> None:
    """Raise ``ValueError`` unless ``mode`` is ``"classification"`` or ``"regression"``."""
    if mode not in MODES:
        raise ValueError(f"mode must be 'classification' or 'regression', got {mode!r}.")


# --- Loss and predictions ---------------------------------------------------------------
def scoring_loss(logits, labels, mode: Mode):
    """Cross-entropy for classification; sigmoid + MSE against ``mu(score)`` for regression."""
    import torch
    import torch.nn.functional as F

    check_mode(mode)
    if mode == "classification":
        return F.cross_entropy(logits.float(), labels.long())
    return F.mse_loss(torch.sigmoid(logits.float()).squeeze(-1), labels.float())


def logits_to_continuous(logits: np.ndarray, mode: Mode, min_score: int, max_score: int) -> np.ndarray:
    """Continuous predictions on the score scale, where rounding gives the plain scores.

    Regression: ``sigmoid(logit) * K + min - 0.5`` with ``K`` score points, so that
    rounding equals ``mu_inv``. Classification: the expected score under the softmax.
    """
    logits = np.asarray(logits, dtype=np.float64)
    k = max_score - min_score + 1
    if mode == "regression":
        x = 1.0 / (1.0 + np.exp(-logits.reshape(len(logits), -1)[:, 0]))
        return x * k + min_score - 0.5
    return softmax(logits, axis=1) @ np.arange(min_score, max_score + 1)


def logits_to_scores(logits: np.ndarray, mode: Mode, min_score: int, max_score: int) -> np.ndarray:
    """Integer scores: argmax for classification, ``mu_inv(sigmoid)`` for regression."""
    logits = np.asarray(logits, dtype=np.float64)
    if mode == "classification":
        return logits.argmax(axis=1).astype(int) + min_score
    x = logits_to_continuous(logits, mode, min_score, max_score)
    return np.clip(np.floor(x + 0.5), min_score, max_score).astype(int)


# --- One training step and a safe copy of the weights --------------------------------
def quiet_transformers(max_threads: int = 4) -> None:
    """Silence what a learner cannot act on while fine-tuning, and cap the CPU threads.

    Hides transformers' "some weights are newly initialised" report (expected: the
    classifier head is new) and its weight-loading bar, and uses at most ``max_threads``
    torch threads (more threads than cores slow small batches down).
    """
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    torch.set_num_threads(max(1, min(max_threads, torch.get_num_threads())))


def has_native_bf16(index: int = 0) -> bool:
    """True when CUDA GPU ``index`` computes bf16 in hardware: compute capability 8.0 or higher.

    Ampere and later (A100, L4, H100, ...) do; a Colab T4 (capability 7.5) does not. Not
    ``torch.cuda.is_bf16_supported()``: by default it also counts software emulation and
    answers True on a T4, where bf16 autocast would be slow.
    """
    import torch

    major, _minor = torch.cuda.get_device_capability(index)
    return major >= 8


def mixed_precision(device: str):
    """``(autocast dtype or None, use a GradScaler)`` for this device.

    bf16 on GPUs with bf16 hardware (:func:`has_native_bf16`: A100, L4, H100, ...), fp16
    with loss scaling on older GPUs such as the T4, and plain fp32 on a CPU.
    """
    import torch

    if device != "cuda":
        return None, False
    if has_native_bf16():
        return torch.bfloat16, False
    return torch.float16, True


def train_step(model, batch: dict, optimizer, mode: Mode, max_grad_norm: float = 1.0,
               scheduler=None, scaler=None, amp_dtype=None) -> dict[str, float]:
    """One optimisation step in the right order; returns the loss and the gradient norm.

    ``zero_grad -> forward -> loss -> backward -> (unscale) -> clip -> step -> schedule``.
    Clipping must come after ``backward()``: before it the gradients are empty (or the
    previous batch's), so clipping there changes nothing. The gradients are left in
    place after the step so that tests can inspect them.
    """
    import torch

    model.train()
    optimizer.zero_grad(set_to_none=True)
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    device_type = next(model.parameters()).device.type
    with torch.autocast(device_type=device_type, dtype=amp_dtype, enabled=amp_dtype is not None):
        logits = model(**inputs).logits
    loss = scoring_loss(logits, batch["labels"], mode)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
    else:
        loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    if scheduler is not None:
        scheduler.step()
    return {"loss": float(loss.detach()), "grad_norm": float(norm)}


def snapshot_state(model) -> dict:
    """A deep copy of the model's weights on the CPU (unlike ``model.state_dict()``,
    whose tensors share memory with the live model and change as it trains)."""
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
