"""Fine-tuning a transformer to score essays: a manual PyTorch loop done right, and the Trainer.

The manual loop (:class:`FineTunedScorer`) does what the original workshop meant to do:

* a **dev set** carved from the training data decides everything (early stopping,
  the best epoch, cutoffs, ensemble weights); ``fit`` has no test-set argument;
* **gradient clipping after** ``backward()`` (before it there are no gradients to clip);
* the best weights are **deep-copied** (``model.state_dict()`` is a live view that
  keeps changing as training goes on);
* a linear **learning-rate schedule with warm-up**, mini-batches with dynamic padding,
  **mixed precision** on GPUs (bf16 where supported, else fp16 with a gradient scaler, as
  on a Colab T4), fp32 on a CPU, a ``tqdm.auto`` progress bar and dev metrics per epoch.

Two scoring modes share the same backbone:

* ``"classification"``: one logit per score point, cross-entropy, labels ``score - min``;
* ``"regression"``: one logit, ``sigmoid`` and mean squared error against
  ``mu(score)`` (:mod:`course_utils.regression`); ``mu_inv`` or :class:`OptimizedCutoffs`
  turn the output back into scores.

The Hugging Face Trainer path uses the same loss and metrics:
:func:`make_compute_metrics`, ``ScoringTrainer`` (a ``Trainer`` whose ``compute_loss``
is :func:`scoring_loss`), ``BestQWKCallback`` (tracks dev QWK and keeps a copy of the
best weights) and :func:`trainer_arguments` (``eval_strategy`` on the dev set,
``report_to="none"``). ``ScoringTrainer`` and ``BestQWKCallback`` are built on first
access so that ``import course_utils.finetune`` stays fast.

:func:`results_experiments` defines the rows this module adds to the results table
(``python -m course_utils.results --only finetune``). Ensembles of the fine-tuned and
classical models are built with :mod:`course_utils.ensembles`; the procedure of the
``finetune_ensemble_dev`` row is chosen on dev (:func:`dev_ensemble_selection`), and
``python -m course_utils.finetune`` writes that comparison to
``results/asap7_ensemble_dev.md``.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from course_utils.config import SEED, seed_everything
from course_utils.ensembles import (  # noqa: F401  (re-exported for notebook 13)
    choose_ensemble_weight,
    equal_weights,
    fit_ensemble,
    select_procedure,
    tuned_pair_weights,
)
from course_utils.metrics import aes_metrics, as_scores
from course_utils.regression import OptimizedCutoffs, mu
from course_utils.validation import check_texts

Mode = Literal["classification", "regression"]
MODES = ("classification", "regression")


# --------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------
def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be 'classification' or 'regression', got {mode!r}.")


def _check_scores(scores, n: int, lo: int, hi: int, name: str) -> np.ndarray:
    y = as_scores(scores, name)
    if len(y) != n:
        raise ValueError(f"{name} has {len(y)} scores but there are {n} essays.")
    outside = y[(y < lo) | (y > hi)]
    if outside.size:
        raise ValueError(
            f"{name} has {outside.size} score(s) outside {lo}-{hi} (e.g. {outside[0]}); "
            "check min_score/max_score."
        )
    return y


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------
class EssayDataset:
    """Tokenised essays and their labels, as a map-style PyTorch dataset.

    Items are dicts (``input_ids``, ``attention_mask``, ... and ``labels`` when scores are
    given) that ``transformers.DataCollatorWithPadding`` pads per batch; both
    ``torch.utils.data.DataLoader`` and the Hugging Face ``Trainer`` accept it.
    Labels are ``score - min_score`` (0, 1, ...) for classification and
    ``mu(score, min_score, max_score)`` (a float in (0, 1)) for regression.
    """

    def __init__(
        self,
        texts: Sequence[str],
        scores=None,
        tokenizer=None,
        min_score: int = 0,
        max_score: int = 12,
        mode: Mode = "classification",
        max_length: int = 512,
    ):
        _check_mode(mode)
        if tokenizer is None:
            raise ValueError("EssayDataset needs a tokenizer (AutoTokenizer.from_pretrained(...)).")
        if max_length < 8:
            raise ValueError(f"max_length must be at least 8 tokens, got {max_length}.")
        self.texts = check_texts(texts, "texts")
        self.mode = mode
        self.min_score, self.max_score = int(min_score), int(max_score)
        self.encodings = tokenizer(self.texts, truncation=True, max_length=max_length)
        self.labels: np.ndarray | None = None
        if scores is not None:
            y = _check_scores(scores, len(self.texts), self.min_score, self.max_score, "scores")
            if mode == "classification":
                self.labels = (y - self.min_score).astype(np.int64)
            else:
                self.labels = mu(y, self.min_score, self.max_score).astype(np.float32)

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, i: int) -> dict[str, Any]:
        item = {key: values[i] for key, values in self.encodings.items()}
        if self.labels is not None:
            item["labels"] = self.labels[i].item()
        return item

    def lengths(self) -> np.ndarray:
        """Number of tokens of each essay (after truncation)."""
        return np.array([len(ids) for ids in self.encodings["input_ids"]])


def length_grouped_batches(
    lengths: Sequence[int], batch_size: int, rng: np.random.Generator, group: int = 50
) -> list[list[int]]:
    """Shuffled batches of similar-length essays, so dynamic padding wastes little time.

    Indices are shuffled, cut into chunks of ``group * batch_size``, sorted by length
    inside each chunk, cut into batches, and the batches shuffled again.
    """
    order = rng.permutation(len(lengths))
    lengths = np.asarray(lengths)
    batches = []
    chunk = group * batch_size
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(-lengths[part], kind="stable")]
        batches += [part[i : i + batch_size].tolist() for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


# --------------------------------------------------------------------------------------
# Loss, predictions and metrics (shared by the manual loop and the Trainer)
# --------------------------------------------------------------------------------------
def scoring_loss(logits, labels, mode: Mode):
    """Cross-entropy for classification; sigmoid + MSE against ``mu(score)`` for regression."""
    import torch.nn.functional as F

    _check_mode(mode)
    if mode == "classification":
        return F.cross_entropy(logits.float(), labels.long())
    return F.mse_loss(torch_sigmoid(logits.float()).squeeze(-1), labels.float())


def torch_sigmoid(x):
    """``torch.sigmoid`` (a named function so the regression output is easy to find)."""
    import torch

    return torch.sigmoid(x)


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
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return p @ np.arange(min_score, max_score + 1)


def logits_to_scores(logits: np.ndarray, mode: Mode, min_score: int, max_score: int) -> np.ndarray:
    """Integer scores: argmax for classification, ``mu_inv(sigmoid)`` for regression."""
    logits = np.asarray(logits, dtype=np.float64)
    if mode == "classification":
        return logits.argmax(axis=1).astype(int) + min_score
    x = logits_to_continuous(logits, mode, min_score, max_score)
    return np.clip(np.floor(x + 0.5), min_score, max_score).astype(int)


def make_compute_metrics(min_score: int, max_score: int, mode: Mode):
    """A ``compute_metrics`` function for the Trainer: QWK, Acc and SMD on score values.

    Classification labels are ``score - min``; regression labels are ``mu(score)`` and
    go back through ``mu_inv``, like the predictions.
    """
    _check_mode(mode)
    from course_utils.regression import mu_inv

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
        return {"QWK": stats["QWK"], "Acc": stats["Acc"], "SMD": stats["SMD"]}

    return compute_metrics


# --------------------------------------------------------------------------------------
# One training step and a safe copy of the weights
# --------------------------------------------------------------------------------------
def mixed_precision(device: str):
    """``(autocast dtype or None, use a GradScaler)`` for this device.

    bf16 where the GPU supports it (A100, H100, ...), fp16 with loss scaling on older
    GPUs such as the T4, and plain fp32 on a CPU.
    """
    import torch

    if device != "cuda":
        return None, False
    if torch.cuda.is_bf16_supported():
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


# --------------------------------------------------------------------------------------
# The manual-loop scorer
# --------------------------------------------------------------------------------------
class FineTunedScorer:
    """Fine-tune a transformer to score essays with a manual PyTorch loop.

    Parameters
    ----------
    model_id : Hub id or local folder; resolved with :func:`course_utils.models.resolve_model`.
    min_score, max_score : the score range (ASAP-7: 0-12).
    mode : ``"classification"`` or ``"regression"`` (sigmoid + MSE against ``mu``).
    max_length : tokens per essay (longer essays are truncated; see notebook 10).
    epochs : the most epochs; early stopping on dev QWK may stop sooner.
    lr, batch_size, weight_decay, warmup_ratio, max_grad_norm : optimisation settings.
    patience : epochs without a better dev QWK before stopping.
    seed : seeds Python, NumPy, PyTorch, the head's initialisation and the batch order.
    device : ``"cuda"`` or ``"cpu"``; ``None`` picks the GPU when there is one.
    progress : show a ``tqdm`` progress bar.

    After ``fit``: ``history_`` (one dict per epoch: train loss, dev QWK/Acc/SMD, seconds),
    ``best_epoch_``, ``best_dev_qwk_``, ``fit_seconds_``.
    """

    def __init__(
        self,
        model_id: str = "google/electra-small-discriminator",
        min_score: int = 0,
        max_score: int = 12,
        mode: Mode = "classification",
        max_length: int = 512,
        epochs: int = 4,
        lr: float = 5e-5,
        batch_size: int = 16,
        seed: int = SEED,
        weight_decay: float = 0.01,
        warmup_ratio: float = 0.1,
        max_grad_norm: float = 1.0,
        patience: int = 2,
        device: str | None = None,
        progress: bool = True,
    ):
        self.model_id = model_id
        self.min_score = min_score
        self.max_score = max_score
        self.mode = mode
        self.max_length = max_length
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.seed = seed
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.max_grad_norm = max_grad_norm
        self.patience = patience
        self.device = device
        self.progress = progress

    # -- sklearn-style parameters ---------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params) -> FineTunedScorer:
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"Unknown parameter {key!r}; valid: {sorted(valid)}.")
            setattr(self, key, value)
        return self

    def _validate(self) -> None:
        _check_mode(self.mode)
        if int(self.min_score) != self.min_score or int(self.max_score) != self.max_score:
            raise ValueError("min_score and max_score must be integers.")
        if self.min_score >= self.max_score:
            raise ValueError(f"min_score ({self.min_score}) must be below max_score ({self.max_score}).")
        for name in ("epochs", "batch_size", "patience"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}.")
        if not 0 <= self.warmup_ratio < 1:
            raise ValueError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}.")

    @property
    def n_labels(self) -> int:
        return self.max_score - self.min_score + 1 if self.mode == "classification" else 1

    def _load(self, source: str) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        from course_utils.config import device as default_device

        self.device_ = self.device or default_device()
        self.tokenizer_ = AutoTokenizer.from_pretrained(source)
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # the "newly initialised head" report is expected
        try:
            self.model_ = AutoModelForSequenceClassification.from_pretrained(
                source, num_labels=self.n_labels
            )
        finally:
            hf_logging.set_verbosity(verbosity)
        self.model_.to(self.device_)

    def _dataset(self, texts, scores=None) -> EssayDataset:
        return EssayDataset(texts, scores, self.tokenizer_, self.min_score, self.max_score,
                            self.mode, self.max_length)

    def _collate(self, items: list[dict]) -> dict:
        from transformers import DataCollatorWithPadding

        if not hasattr(self, "_collator"):
            self._collator = DataCollatorWithPadding(self.tokenizer_, return_tensors="pt")
        return self._collator(items)

    def fit(self, train_texts: Sequence[str], train_scores, dev_texts: Sequence[str],
            dev_scores) -> FineTunedScorer:
        """Train on ``train_*``; choose the epoch (early stopping) on ``dev_*`` by QWK.

        There is deliberately no test-set argument: the test set is for the final,
        one-time evaluation with :meth:`predict`.
        """
        import torch
        from tqdm.auto import tqdm
        from transformers import get_linear_schedule_with_warmup

        from course_utils.models import resolve_model

        self._validate()
        train_texts = check_texts(train_texts, "train_texts")
        dev_texts = check_texts(dev_texts, "dev_texts")
        dev_y = _check_scores(dev_scores, len(dev_texts), self.min_score, self.max_score, "dev_scores")
        start = time.perf_counter()
        seed_everything(self.seed)
        self._load(resolve_model(self.model_id, kind="encoder"))
        train_ds = self._dataset(train_texts, train_scores)

        rng = np.random.default_rng(self.seed)
        steps_per_epoch = int(np.ceil(len(train_ds) / self.batch_size))
        total = steps_per_epoch * self.epochs
        decay = [p for n, p in self.model_.named_parameters() if p.ndim > 1]
        no_decay = [p for n, p in self.model_.named_parameters() if p.ndim <= 1]
        optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": self.weight_decay},
             {"params": no_decay, "weight_decay": 0.0}],
            lr=self.lr,
        )
        scheduler = get_linear_schedule_with_warmup(optimizer, int(self.warmup_ratio * total), total)
        amp_dtype, use_scaler = mixed_precision(self.device_)
        scaler = torch.amp.GradScaler("cuda") if use_scaler else None
        self.precision_ = {None: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16"}[amp_dtype]

        self.history_: list[dict[str, float]] = []
        self.best_dev_qwk_, self.best_epoch_, best_state, bad = -np.inf, 0, None, 0
        bar = tqdm(total=total, desc=f"fine-tuning ({self.mode})", disable=not self.progress)
        for epoch in range(1, self.epochs + 1):
            t0, losses = time.perf_counter(), []
            for idx in length_grouped_batches(train_ds.lengths(), self.batch_size, rng):
                batch = self._collate([train_ds[i] for i in idx])
                batch = {k: v.to(self.device_) for k, v in batch.items()}
                out = train_step(self.model_, batch, optimizer, self.mode, self.max_grad_norm,
                                 scheduler, scaler, amp_dtype)
                losses.append(out["loss"])
                bar.update(1)
                bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}")
            dev_pred = self.predict(dev_texts)
            stats = aes_metrics(dev_y, dev_pred, self.min_score, self.max_score)
            row = {"epoch": epoch, "train_loss": float(np.mean(losses)), "dev_QWK": stats["QWK"],
                   "dev_Acc": stats["Acc"], "dev_SMD": stats["SMD"],
                   "seconds": time.perf_counter() - t0}
            self.history_.append(row)
            bar.write(f"epoch {epoch}: train loss {row['train_loss']:.4f} | dev QWK {row['dev_QWK']:.3f} "
                      f"Acc {row['dev_Acc']:.3f} SMD {row['dev_SMD']:+.3f} | {row['seconds']:.0f} s")
            if stats["QWK"] > self.best_dev_qwk_:
                self.best_dev_qwk_, self.best_epoch_, bad = stats["QWK"], epoch, 0
                best_state = snapshot_state(self.model_)  # a copy, not a live reference
            else:
                bad += 1
                if bad >= self.patience:
                    bar.write(f"early stopping: no better dev QWK for {bad} epoch(s)")
                    break
        bar.close()
        self.model_.load_state_dict(best_state)
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise RuntimeError("This FineTunedScorer is not fitted yet: call fit() or load().")

    def predict_logits(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Raw model outputs, ``(n, n_labels)``; essays are batched by length for speed."""
        import torch

        self._check_fitted()
        texts = check_texts(texts, "texts")
        ds = self._dataset(texts)
        order = np.argsort(-ds.lengths(), kind="stable")
        bs = batch_size or 2 * self.batch_size
        out = np.zeros((len(ds), self.n_labels), dtype=np.float32)
        amp_dtype, _ = mixed_precision(self.device_)
        self.model_.eval()
        with torch.inference_mode():
            for start in range(0, len(order), bs):
                idx = order[start : start + bs]
                batch = self._collate([ds[i] for i in idx])
                batch = {k: v.to(self.device_) for k, v in batch.items()}
                with torch.autocast(self.device_, dtype=amp_dtype, enabled=amp_dtype is not None):
                    logits = self.model_(**batch).logits
                out[idx] = logits.float().cpu().numpy()
        return out

    def predict_continuous(self, texts: Sequence[str]) -> np.ndarray:
        """Continuous predictions on the score scale (for cutoffs and ensembles)."""
        return logits_to_continuous(self.predict_logits(texts), self.mode, self.min_score,
                                    self.max_score)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Integer scores: argmax (classification) or ``mu_inv(sigmoid)`` (regression)."""
        return logits_to_scores(self.predict_logits(texts), self.mode, self.min_score,
                                self.max_score)

    def save(self, path: str | Path) -> Path:
        """Save model, tokenizer and scorer settings with ``save_pretrained``."""
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.model_.save_pretrained(path)
        self.tokenizer_.save_pretrained(path)
        params = {k: v for k, v in self.get_params().items() if k not in ("device", "progress")}
        (path / "scorer.json").write_text(json.dumps(params, indent=2))
        return path

    @classmethod
    def load(cls, path: str | Path, device: str | None = None) -> FineTunedScorer:
        """Load a scorer saved with :meth:`save`."""
        path = Path(path)
        if not (path / "scorer.json").is_file():
            raise ValueError(f"{path} has no scorer.json: save it with FineTunedScorer.save().")
        params = json.loads((path / "scorer.json").read_text())
        scorer = cls(**params, device=device, progress=False)
        scorer._validate()
        scorer._load(str(path))
        return scorer


# --------------------------------------------------------------------------------------
# The Hugging Face Trainer path
# --------------------------------------------------------------------------------------
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
    )
    kwargs.update(overrides)
    return TrainingArguments(**kwargs)


@lru_cache(maxsize=1)
def _trainer_classes() -> dict[str, type]:
    from transformers import Trainer, TrainerCallback

    class ScoringTrainer(Trainer):
        """A ``Trainer`` whose loss is :func:`scoring_loss`: cross-entropy, or sigmoid +
        MSE against ``mu(score)`` for regression (``mode=`` in the constructor)."""

        def __init__(self, *args, mode: Mode = "classification", **kwargs):
            _check_mode(mode)
            self.mode = mode
            super().__init__(*args, **kwargs)

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
    raise AttributeError(f"module 'course_utils.finetune' has no attribute {name!r}")


# --------------------------------------------------------------------------------------
# Cutoffs and ensembles (selection on dev only)
# --------------------------------------------------------------------------------------
def classical_member(train_texts: Sequence[str], train_scores, seed: int = SEED):
    """The classical model for the ensemble, returning continuous predictions.

    Ridge regression on word and character TF-IDF features (fitted on the training
    texts only); returns a fitted scikit-learn pipeline whose ``predict`` gives scores
    on the continuous score scale.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline, make_union

    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True),
    )
    model = make_pipeline(features, Ridge(alpha=3.0, random_state=seed))
    return model.fit(list(train_texts), np.asarray(train_scores, dtype=float))


# --------------------------------------------------------------------------------------
# Rows of the results table
# --------------------------------------------------------------------------------------
RESULTS_MODEL = "google/electra-small-discriminator"  # offline: the MiniLM-L6 stand-in
RESULTS_SETTINGS = {"max_length": 256, "epochs": 4, "lr": 1e-4, "batch_size": 8}
RESULTS_SEEDS = 3
_RUNS: dict[tuple, dict] = {}


def _run_cache_dir() -> Path:
    from course_utils.config import cache_dir

    path = cache_dir() / "finetune_runs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def fine_tune_run(mode: Mode, seed: int, settings: dict | None = None,
                  use_cache: bool = True) -> dict[str, Any]:
    """Fine-tune on the reference split's training part; return dev and test outputs.

    Train = the reference training part minus a 15% dev set (:func:`train_dev_test_split`);
    the dev set picks the epoch; the 314-essay test set is predicted once. Returns
    continuous and integer predictions for dev and test, the dev history and the
    fit+predict seconds. One run serves several rows (plain, cutoffs, ensemble): it is
    kept in memory and, keyed by its settings, data and code version, in
    ``COURSE_CACHE_DIR/finetune_runs`` (``use_cache=False`` retrains).
    """
    import torch

    from course_utils.config import device
    from course_utils.data import load_asap, train_dev_test_split
    from course_utils.models import resolve_model

    settings = {**RESULTS_SETTINGS, **(settings or {})}
    train, dev, test = train_dev_test_split(load_asap(7))
    model_path = resolve_model(RESULTS_MODEL, kind="encoder", verbose=False)
    ident = json.dumps({"mode": mode, "seed": seed, "settings": settings, "model": RESULTS_MODEL,
                        "backbone": Path(model_path).parent.name if Path(model_path).is_dir() else model_path,
                        "train": train.essay_id.tolist(), "dev": dev.essay_id.tolist(),
                        "test": test.essay_id.tolist(), "version": 1}, sort_keys=True)
    key = hashlib.sha1(ident.encode()).hexdigest()[:16]
    if key in _RUNS:
        return _RUNS[key]
    path = _run_cache_dir() / f"{mode}_seed{seed}_{key}.npz"
    if use_cache and path.is_file():
        with np.load(path, allow_pickle=False) as data:
            run = {k: data[k] for k in data.files}
        run["history"] = json.loads(str(run["history"]))
        run["seconds"] = float(run["seconds"])
        run["device"] = str(run["device"])
        print(f"Reusing the fine-tuning run cached at {path} (delete it to retrain).")
        _RUNS[key] = run
        return run

    torch.set_num_threads(max(1, min(torch.get_num_threads(), 4)))
    scorer = FineTunedScorer(RESULTS_MODEL, 0, 12, mode=mode, seed=seed, progress=True,
                             **settings)
    start = time.perf_counter()
    scorer.fit(train.essay.tolist(), train.rater1_domain1.to_numpy(),
               dev.essay.tolist(), dev.rater1_domain1.to_numpy())
    dev_logits = scorer.predict_logits(dev.essay.tolist())
    test_logits = scorer.predict_logits(test.essay.tolist())
    seconds = time.perf_counter() - start
    run = {
        "dev_cont": logits_to_continuous(dev_logits, mode, 0, 12),
        "dev_pred": logits_to_scores(dev_logits, mode, 0, 12),
        "test_cont": logits_to_continuous(test_logits, mode, 0, 12),
        "test_pred": logits_to_scores(test_logits, mode, 0, 12),
        "history": scorer.history_,
        "seconds": seconds,
        "device": f"{device()} ({scorer.precision_})",
    }
    np.savez(path, **{**run, "history": json.dumps(run["history"])})
    _RUNS[key] = run
    return run


def classical_run(seed: int) -> dict[str, Any]:
    """The classical ensemble member, trained on the same train part as the fine-tuned model.

    Uses the course's best classical model, :class:`course_utils.scorers.EnsembleScorer`
    (ridge on SVD + textstat + MiniLM embeddings averaged with gradient boosting on SVD +
    textstat, notebook 09), when that module is available, else the TF-IDF ridge of
    :func:`classical_member`. Returns continuous dev and test predictions and seconds.
    """
    from course_utils.data import load_asap, train_dev_test_split

    key = ("classical", seed)
    if key in _RUNS:
        return _RUNS[key]
    train, dev, test = train_dev_test_split(load_asap(7))
    ident = json.dumps({"seed": seed, "train": train.essay_id.tolist(), "dev": dev.essay_id.tolist(),
                        "test": test.essay_id.tolist(), "version": 2}, sort_keys=True)
    path = _run_cache_dir() / f"classical_seed{seed}_{hashlib.sha1(ident.encode()).hexdigest()[:16]}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as data:
            run = {k: data[k] for k in data.files}
        run["seconds"], run["name"] = float(run["seconds"]), str(run["name"])
        print(f"Reusing the classical run cached at {path} (delete it to retrain).")
        _RUNS[key] = run
        return run
    start = time.perf_counter()
    try:
        from course_utils.scorers import EnsembleScorer
    except ImportError:  # the classical module is optional here
        model, name = classical_member(train.essay, train.rater1_domain1, seed), "TF-IDF ridge"
    else:
        model = EnsembleScorer(random_state=seed)
        model.fit(train.essay.tolist(), train.rater1_domain1.to_numpy())
        model, name = _Continuous(model), "EnsembleScorer (ridge + gradient boosting)"
    run = {"dev_cont": np.asarray(model.predict(dev.essay.tolist()), dtype=float),
           "test_cont": np.asarray(model.predict(test.essay.tolist()), dtype=float),
           "seconds": time.perf_counter() - start, "name": name}
    np.savez(path, **run)
    _RUNS[key] = run
    return run


class _Continuous:
    """Adapter: ``predict`` returns a course scorer's ``predict_continuous``."""

    def __init__(self, scorer):
        self.scorer = scorer

    def predict(self, texts):
        return self.scorer.predict_continuous(texts)


def _dev_scores() -> np.ndarray:
    from course_utils.data import load_asap, train_dev_test_split

    return train_dev_test_split(load_asap(7))[1].rater1_domain1.to_numpy()


def _with_cutoffs(dev_cont, test_cont) -> np.ndarray:
    cut = OptimizedCutoffs(0, 12).fit(dev_cont, _dev_scores())
    return cut.transform(test_cont)


# The ensemble procedures compared on dev (members: 0 regression, 1 classification
# expected score, 2 classical). The row ``finetune_ensemble_dev`` uses the one with the
# best nested-CV dev QWK averaged over the seeds; the test set plays no part.
ENSEMBLE_MEMBERS = ("fine-tuned regression", "fine-tuned classification (expected score)",
                    "classical (CPU ensemble)")
ENSEMBLE_CANDIDATES = {
    "regression + classical, weight tuned on dev": ((0, 2), tuned_pair_weights),
    "regression + classical, equal weights": ((0, 2), equal_weights),
    "regression + classification + classical, equal weights": ((0, 1, 2), equal_weights),
    "regression + classification + classical, 1/4 + 1/4 + 1/2":
        ((0, 1, 2), lambda preds, y, lo, hi: np.array([0.25, 0.25, 0.5])),
}


def _dev_members(seed: int) -> list[np.ndarray]:
    return [fine_tune_run("regression", seed)["dev_cont"], fine_tune_run("classification", seed)["dev_cont"],
            classical_run(seed)["dev_cont"]]


@lru_cache(maxsize=4)
def dev_ensemble_selection(n_seeds: int = RESULTS_SEEDS) -> tuple[str, dict[str, list[float]]]:
    """The ensemble procedure chosen on dev, and every candidate's nested-CV dev QWK per seed.

    Each member alone (with dev cutoffs) is estimated the same way, for comparison; the
    members are not candidates. Uses the (cached) runs of seeds ``0 .. n_seeds - 1``.
    """
    runs = [_dev_members(seed) for seed in range(n_seeds)]
    y = _dev_scores()
    best, table = select_procedure(ENSEMBLE_CANDIDATES, runs, y, 0, 12)
    members = {f"{name} alone": select_procedure({name: ((i,), equal_weights)}, runs, y, 0, 12)[1][name]
               for i, name in enumerate(ENSEMBLE_MEMBERS)}
    return best, {**members, **table}


def dev_ensemble_report(n_seeds: int = RESULTS_SEEDS) -> str:
    """Markdown table of :func:`dev_ensemble_selection` (``python -m course_utils.finetune``)."""
    best, table = dev_ensemble_selection(n_seeds)
    lines = [
        "# ASAP prompt 7: choosing the ensemble on dev",
        "",
        "Generated by `python -m course_utils.finetune` from the fine-tuning runs of the results "
        f"table ({_SETTINGS_NOTE.split(';')[0]}; seeds 0-{n_seeds - 1}). Dev set: the 189 essays "
        "carved from the training part; the test set is not read.",
        "",
        "Each figure is the nested-CV dev QWK: weights (where a procedure tunes them) and "
        "cutoffs are chosen on 4 of 5 folds of the dev set and the 5th fold is scored "
        "(pooled, 4 shuffles). The candidate with the best mean becomes the "
        "`finetune_ensemble_dev` row of `asap7.md`.",
        "",
        "| procedure | " + " | ".join(f"seed {s}" for s in range(n_seeds)) + " | mean |",
        "|---|" + "---:|" * (n_seeds + 1),
    ]
    for name, values in table.items():
        mark = " **(chosen)**" if name == best else ("" if name in ENSEMBLE_CANDIDATES else " (member)")
        lines.append(f"| {name}{mark} | " + " | ".join(f"{v:.3f}" for v in values)
                     + f" | {np.mean(values):.3f} |")
    return "\n".join(lines) + "\n"


def results_experiments() -> dict[str, Any]:
    """The rows this module adds to ``results/asap7.md`` (row id -> ``run(seed)``).

    One fine-tuning run per mode and seed serves the plain, cutoff and ensemble rows
    (see :func:`fine_tune_run`); "seconds" of the derived rows add their own extra time.
    """
    def plain(mode):
        def run(seed):
            r = fine_tune_run(mode, seed)
            return {"pred": r["test_pred"], "seconds": r["seconds"], "n_train": _N_TRAIN,
                    "note": f"seed {seed}: best epoch {_best_epoch(r)} ({r['device']})"}
        return run

    def cutoffs(mode):
        def run(seed):
            r = fine_tune_run(mode, seed)
            t = time.perf_counter()
            pred = _with_cutoffs(r["dev_cont"], r["test_cont"])
            return {"pred": pred, "seconds": r["seconds"] + time.perf_counter() - t,
                    "n_train": _N_TRAIN, "note": f"{r['device']}"}
        return run

    def classical(seed):
        c = classical_run(seed)
        t = time.perf_counter()
        pred = _with_cutoffs(c["dev_cont"], c["test_cont"])
        return {"pred": pred, "seconds": c["seconds"] + time.perf_counter() - t,
                "n_train": _N_TRAIN, "note": c["name"]}

    def ensemble(cv):
        def run(seed):
            r, c = fine_tune_run("regression", seed), classical_run(seed)
            t = time.perf_counter()
            w, _ = choose_ensemble_weight([r["dev_cont"], c["dev_cont"]], _dev_scores(), 0, 12, cv=cv)
            pred = _with_cutoffs(w * r["dev_cont"] + (1 - w) * c["dev_cont"],
                                 w * r["test_cont"] + (1 - w) * c["test_cont"])
            return {"pred": pred, "seconds": r["seconds"] + c["seconds"] + time.perf_counter() - t,
                    "n_train": _N_TRAIN, "note": f"seed {seed}: weight {w:.2f}"}
        return run

    def dev_selected(seed):
        t = time.perf_counter()
        name, _ = dev_ensemble_selection()
        idx, procedure = ENSEMBLE_CANDIDATES[name]
        runs = [fine_tune_run("regression", seed), fine_tune_run("classification", seed), classical_run(seed)]
        fitted = fit_ensemble(procedure, [runs[i]["dev_cont"] for i in idx], _dev_scores(), 0, 12)
        pred = fitted.predict([runs[i]["test_cont"] for i in idx])
        weights = " + ".join(f"{w:.2f}" for w in fitted.weights)
        return {"pred": pred, "seconds": sum(runs[i]["seconds"] for i in idx) + time.perf_counter() - t,
                "n_train": _N_TRAIN, "note": f"seed {seed}: {name} ({weights})"}

    return {"finetune_clf": plain("classification"), "finetune_clf_cutoffs": cutoffs("classification"),
            "finetune_reg": plain("regression"), "finetune_reg_cutoffs": cutoffs("regression"),
            "finetune_classical_member": classical, "finetune_ensemble": ensemble(None),
            "finetune_ensemble_cv": ensemble(5), "finetune_ensemble_dev": dev_selected}


_N_TRAIN = 1066  # the reference training part (1,255) minus the 15% dev set (189)


def _best_epoch(run: dict) -> int:
    history = run["history"]
    return 1 + int(np.argmax([h["dev_QWK"] for h in history]))


_SECTION = "Fine-tuning (CPU; MiniLM-L6 stand-in for ELECTRA-small)"
_SETTINGS_NOTE = (f"max_length {RESULTS_SETTINGS['max_length']}, {RESULTS_SETTINGS['epochs']} epoch(s), "
                  f"batch {RESULTS_SETTINGS['batch_size']}, lr {RESULTS_SETTINGS['lr']:g}; "
                  "ELECTRA-small itself: not measured here (no Hub access)")
_LABELS = {
    "finetune_clf": ("Fine-tuned MiniLM-L6, classification (argmax)", _SETTINGS_NOTE),
    "finetune_clf_cutoffs": ("Fine-tuned MiniLM-L6, classification, expected score + cutoffs on dev", ""),
    "finetune_reg": ("Fine-tuned MiniLM-L6, regression (sigmoid + MSE on mu), mu_inv", _SETTINGS_NOTE),
    "finetune_reg_cutoffs": ("Fine-tuned MiniLM-L6, regression + cutoffs on dev", ""),
    "finetune_classical_member": ("Classical member: the CPU ensemble (notebook 09) + cutoffs on dev", ""),
    "finetune_ensemble": ("Ensemble: fine-tuned regression + CPU ensemble, weight and cutoffs on dev",
                          "weight: best dev QWK after cutoffs fitted on the same 189 dev essays"),
    "finetune_ensemble_cv": (
        "Ensemble as above, weight by cross-validated dev QWK (post hoc)",
        "5-fold cross-validation on the dev essays (cutoffs fitted on 4 folds, QWK on the 5th, 4 shuffles); "
        "tried after the row above failed to beat its classical member on test, so not a blind result"),
    "finetune_ensemble_dev": (
        "Ensemble chosen on dev: best of 4 procedures by nested-CV dev QWK",
        "candidates and their dev estimates: results/asap7_ensemble_dev.md (python -m course_utils.finetune); "
        "added after the two rows above, its choice made on dev only and the test set scored once"),
}


def _register_results() -> None:
    try:
        from course_utils.results import register, register_not_measured
    except ImportError:  # the results module is optional for notebooks
        return
    for row_id, run in results_experiments().items():
        label, note = _LABELS[row_id]
        register(row_id, _SECTION, label, original=None, seeds=RESULTS_SEEDS, note=note)(run)
    why = ("needs the google/electra-small-discriminator weights, which the Hugging Face Hub serves "
           "and this machine cannot reach; notebooks 11-13 train it in Colab (full profile)")
    for row_id, label, original in (
        ("electra_manual", "ELECTRA-small, manual loop (the original's model)", 0.698),
        ("electra_trainer", "ELECTRA-small, Hugging Face Trainer", 0.723),
        ("electra_regression", "ELECTRA-small, regression (sigmoid + MSE on mu)", 0.737),
    ):
        register_not_measured(row_id, _SECTION, label, original, why)


_register_results()


if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "results" / "asap7_ensemble_dev.md"
    out.write_text(dev_ensemble_report())
    print(out.read_text())
