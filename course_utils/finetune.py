"""Fine-tuning a transformer to score essays with a manual PyTorch loop, done right.
Taught in notebook 11 (the Trainer path, notebooks 12-13, is :mod:`course_utils.trainer`).

:class:`FineTunedScorer` does what the original workshop meant to do: a **dev set**
carved from the training data decides everything (``fit`` has no test-set argument);
gradients are **clipped after** ``backward()``; the best weights are **deep-copied**
(``model.state_dict()`` is a live view); a linear **learning-rate schedule with
warm-up**, mini-batches of similar-length essays with dynamic padding, **mixed
precision** on GPUs (bf16 where supported, else fp16 with a gradient scaler, as on a
Colab T4) and fp32 on a CPU.

Two scoring modes share the backbone: ``"classification"`` (one logit per score point,
cross-entropy) and ``"regression"`` (one logit, ``sigmoid`` and mean squared error
against ``mu(score)``, :mod:`course_utils.cutoffs`). :func:`classical_member` is the
TF-IDF ridge model notebook 13 mixes with the fine-tuned one. The results-table rows
are measured by ``course_tools.finetune_results``.

The pieces the loop is built from have their own modules, and notebooks reach them as
``finetune.<name>``: the dataset and its length-grouped batches in
:mod:`course_utils.essay_dataset`; the loss, logits to scores, mixed precision, one
training step and the copy of the weights in :mod:`course_utils.training` (shared with
the Trainer of :mod:`course_utils.trainer`).
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from course_utils.checks import check_texts
from course_utils.config import SEED, seed_everything
from course_utils.ensembles import choose_ensemble_weight  # noqa: F401  (notebook 13 uses it)
from course_utils.essay_dataset import EssayDataset, check_scores, length_grouped_batches
from course_utils.hub import ELECTRA_SMALL_ID
from course_utils.metrics import aes_metrics

# What the manual loop shares with the Trainer lives in course_utils.training; notebooks
# 11-13, the slides and the tests call these names as finetune.<name>.
from course_utils.training import (  # noqa: F401
    MODES,
    Mode,
    check_mode,
    logits_to_continuous,
    logits_to_scores,
    mixed_precision,
    quiet_transformers,
    scoring_loss,
    snapshot_state,
    train_step,
)


# --- The manual-loop scorer ----------------------------------------------------------
class FineTunedScorer:
    """Fine-tune a transformer to score essays with a manual PyTorch loop.

    Parameters
    ----------
    model_id : Hub id or local folder; resolved with :func:`course_utils.hub.resolve_model`.
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
        model_id: str = ELECTRA_SMALL_ID,
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
        check_mode(self.mode)
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

    def _optimisation(self, total: int) -> dict:
        """AdamW (no weight decay on biases and norms), a linear schedule with warm-up over
        ``total`` steps, and mixed precision for this device: the arguments of :func:`train_step`."""
        import torch
        from transformers import get_linear_schedule_with_warmup

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
        return {"optimizer": optimizer, "scheduler": scheduler, "scaler": scaler, "amp_dtype": amp_dtype}

    def _train_epoch(self, train_ds: EssayDataset, rng: np.random.Generator, step: dict, bar) -> float:
        """One pass over the training essays in length-grouped batches; the mean loss."""
        losses = []
        for idx in length_grouped_batches(train_ds.lengths(), self.batch_size, rng):
            batch = self._collate([train_ds[i] for i in idx])
            batch = {k: v.to(self.device_) for k, v in batch.items()}
            out = train_step(self.model_, batch, mode=self.mode, max_grad_norm=self.max_grad_norm, **step)
            losses.append(out["loss"])
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}", refresh=False)  # drawn with the next update
        return float(np.mean(losses))

    def fit(self, train_texts: Sequence[str], train_scores, dev_texts: Sequence[str],
            dev_scores) -> FineTunedScorer:
        """Train on ``train_*``; choose the epoch (early stopping) on ``dev_*`` by QWK.

        There is deliberately no test-set argument: the test set is for the final,
        one-time evaluation with :meth:`predict`.
        """
        from tqdm.auto import tqdm

        from course_utils.hub import resolve_model

        self._validate()
        train_texts = check_texts(train_texts, "train_texts")
        dev_texts = check_texts(dev_texts, "dev_texts")
        dev_y = check_scores(dev_scores, len(dev_texts), self.min_score, self.max_score, "dev_scores")
        start = time.perf_counter()
        seed_everything(self.seed)
        self._load(resolve_model(self.model_id, kind="encoder"))
        train_ds = self._dataset(train_texts, train_scores)
        rng = np.random.default_rng(self.seed)
        total = int(np.ceil(len(train_ds) / self.batch_size)) * self.epochs
        step = self._optimisation(total)

        self.history_: list[dict[str, float]] = []
        self.best_dev_qwk_, self.best_epoch_, best_state, bad = -np.inf, 0, None, 0
        bar = tqdm(total=total, desc=f"fine-tuning ({self.mode})", disable=not self.progress)
        for epoch in range(1, self.epochs + 1):
            t0 = time.perf_counter()
            train_loss = self._train_epoch(train_ds, rng, step, bar)
            dev_pred = self.predict(dev_texts)
            stats = aes_metrics(dev_y, dev_pred, self.min_score, self.max_score)
            row = {"epoch": epoch, "train_loss": train_loss, "dev_QWK": stats["QWK"],
                   "dev_Acc": stats["Acc"], "dev_SMD": stats["SMD"],
                   "dev_scores_used": int(len(np.unique(dev_pred))), "seconds": time.perf_counter() - t0}
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


def __getattr__(name: str):
    # The Trainer path lives in course_utils.trainer (notebooks 12-13, which call these
    # names as finetune.<name>); trainer imports nothing from this module, only from
    # course_utils.training, and its import waits until a name is asked for (it is slow).
    if name in ("make_compute_metrics", "trainer_arguments", "ScoringTrainer", "BestQWKCallback"):
        from course_utils import trainer

        return getattr(trainer, name)
    raise AttributeError(f"module 'course_utils.finetune' has no attribute {name!r}")


# --- The classical ensemble member (notebook 13) -------------------------------------
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
