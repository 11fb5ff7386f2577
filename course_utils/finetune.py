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
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from course_utils.checks import check_score_range, check_texts
from course_utils.config import SEED, seed_everything
from course_utils.cutoffs import mu
from course_utils.ensembles import choose_ensemble_weight  # noqa: F401  (notebook 13 uses it)
from course_utils.hub import ELECTRA_SMALL_ID
from course_utils.metrics import aes_metrics, as_scores, softmax

Mode = Literal["classification", "regression"]
MODES = ("classification", "regression")


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be 'classification' or 'regression', got {mode!r}.")


def _check_scores(scores, n: int, lo: int, hi: int, name: str) -> np.ndarray:
    y = as_scores(scores, name)
    if len(y) != n:
        raise ValueError(f"{name} has {len(y)} scores but there are {n} essays.")
    return check_score_range(y, lo, hi, name, hint="check min_score/max_score")


# --- Data ----------------------------------------------------------------------------
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


# --- Loss, predictions and metrics (shared by the manual loop and the Trainer) -------
def scoring_loss(logits, labels, mode: Mode):
    """Cross-entropy for classification; sigmoid + MSE against ``mu(score)`` for regression."""
    import torch
    import torch.nn.functional as F

    _check_mode(mode)
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

        from course_utils.hub import resolve_model

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
                bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}", refresh=False)  # drawn with the next update
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


def __getattr__(name: str):
    # The Trainer path lives in course_utils.trainer (notebooks 12-13); these names stay
    # reachable here so that ``finetune.ScoringTrainer`` and friends keep working.
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
