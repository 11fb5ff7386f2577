"""The Hugging Face Trainer path for essay scoring. Taught in notebooks 12 and 13.

The same loss and metrics as the manual loop of :mod:`course_utils.finetune` (both come
from :mod:`course_utils.training`): :func:`make_compute_metrics` (QWK, Acc, SMD on score
values), ``ScoringTrainer`` (a ``Trainer`` whose ``compute_loss`` is
:func:`course_utils.training.scoring_loss`),
``BestQWKCallback`` (tracks dev QWK and keeps a copy of the best weights) and
:func:`trainer_arguments` (``eval_strategy`` on the dev set, ``report_to="none"``).
``ScoringTrainer`` and ``BestQWKCallback`` are built on first access so that importing
this module stays fast (transformers' Trainer is slow to import).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from course_utils.config import SEED
from course_utils.metrics import aes_metrics
from course_utils.training import (
    Mode,
    check_mode,
    logits_to_scores,
    mixed_precision,
    scoring_loss,
    snapshot_state,
)


def make_compute_metrics(min_score: int, max_score: int, mode: Mode):
    """A ``compute_metrics`` function for the Trainer: QWK, Acc and SMD on score values,
    ``scores_used``, the number of distinct scores predicted, and ``top_score``, the score
    predicted most often (the lowest of ties).

    Classification labels are ``score - min``; regression labels are ``mu(score)`` and
    go back through ``mu_inv``, like the predictions.
    """
    check_mode(mode)
    from course_utils.cutoffs import mu_inv

    def compute_metrics(eval_pred) -> dict[str, float]:
        logits, labels = eval_pred.predictions, eval_pred.label_ids
        if isinstance(logits, tuple):
            logits = logits[0]
        pred = logits_to_scores(logits, mode, min_score, max_score)
        if mode == "classification":
            gold = np.asarray(labels).astype(int) + min_score
        else:
            gold = mu_inv(np.asarray(labels).reshape(-1), min_score, max_score)
        stats = aes_metrics(gold, pred, min_score, max_score)
        values, counts = np.unique(pred, return_counts=True)
        return {"QWK": stats["QWK"], "Acc": stats["Acc"], "SMD": stats["SMD"],
                "scores_used": int(len(values)), "top_score": int(values[np.argmax(counts)])}

    return compute_metrics


def trainer_arguments(output_dir: str | Path, epochs: int = 4, lr: float = 5e-5,
                      batch_size: int = 16, seed: int = SEED, **overrides):
    """``TrainingArguments`` for scoring: evaluate on the dev set each epoch, no logins.

    ``eval_strategy="epoch"`` (``evaluation_strategy`` was removed from transformers),
    ``save_strategy="no"`` (:class:`BestQWKCallback` keeps the best weights in memory),
    ``report_to="none"`` (no wandb prompt), fp16 on GPUs without bf16, bf16 on the others.
    """
    from transformers import TrainingArguments

    from course_utils.config import device

    amp_dtype, use_scaler = mixed_precision(device())
    kwargs = dict(
        output_dir=str(output_dir),
        num_train_epochs=epochs,
        learning_rate=lr,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=2 * batch_size,
        warmup_steps=0.1,
        weight_decay=0.01,
        max_grad_norm=1.0,
        eval_strategy="epoch",
        save_strategy="no",
        logging_strategy="epoch",
        report_to="none",
        seed=seed,
        data_seed=seed,
        fp16=use_scaler,
        bf16=amp_dtype is not None and not use_scaler,
        train_sampling_strategy="group_by_length",
        disable_tqdm=False,
        dataloader_pin_memory=device() == "cuda",  # pinning helps only a GPU (and warns on a CPU)
    )
    kwargs.update(overrides)
    fields = getattr(TrainingArguments, "__dataclass_fields__", {})
    if "gradient_checkpointing" in kwargs and "activation_checkpointing" in fields:
        # transformers 5 renamed it; the old name still works but warns on every call.
        kwargs["activation_checkpointing"] = kwargs.pop("gradient_checkpointing")
    return TrainingArguments(**kwargs)


@lru_cache(maxsize=1)
def _trainer_classes() -> dict[str, type]:
    from transformers import PrinterCallback, Trainer, TrainerCallback

    class ScoringTrainer(Trainer):
        """A ``Trainer`` whose loss is :func:`scoring_loss`: cross-entropy, or sigmoid +
        MSE against ``mu(score)`` for regression (``mode=`` in the constructor)."""

        def __init__(self, *args, mode: Mode = "classification", **kwargs):
            check_mode(mode)
            self.mode = mode
            super().__init__(*args, **kwargs)
            # With progress bars off, transformers prints every log as a dict; the
            # notebooks show BestQWKCallback's per-epoch table instead.
            self.remove_callback(PrinterCallback)

        def _get_eval_sampler(self, eval_dataset):
            # Evaluation and predict keep the dataset's order: notebooks line predictions
            # up with their essays (transformers would otherwise group them by length too).
            import torch

            if eval_dataset is None or not hasattr(eval_dataset, "__len__"):
                return None
            return torch.utils.data.SequentialSampler(eval_dataset)

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            labels = inputs.pop("labels")
            outputs = model(**inputs)
            loss = scoring_loss(outputs.logits, labels, self.mode)
            return (loss, outputs) if return_outputs else loss

    class BestQWKCallback(TrainerCallback):
        """Track dev QWK after each evaluation; keep a copy of the best weights and put
        them back into the model when training ends."""

        def __init__(self, metric: str = "eval_QWK"):
            self.metric = metric
            self.best_qwk = -np.inf
            self.best_epoch: float | None = None
            self.best_state: dict | None = None
            self.history: list[dict[str, float]] = []

        def on_evaluate(self, args, state, control, metrics=None, model=None, **kwargs):
            if not metrics or self.metric not in metrics:
                return
            self.history.append({"epoch": state.epoch, **metrics})
            if metrics[self.metric] > self.best_qwk:
                self.best_qwk, self.best_epoch = metrics[self.metric], state.epoch
                self.best_state = snapshot_state(model)

        def on_train_end(self, args, state, control, model=None, **kwargs):
            if self.best_state is not None and model is not None:
                model.load_state_dict(self.best_state)

    return {"ScoringTrainer": ScoringTrainer, "BestQWKCallback": BestQWKCallback}


def __getattr__(name: str):
    if name in ("ScoringTrainer", "BestQWKCallback"):
        return _trainer_classes()[name]
    raise AttributeError(f"module 'course_utils.trainer' has no attribute {name!r}")
