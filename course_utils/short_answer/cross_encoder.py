"""The cross-encoder: (reference answer, student answer) -> 3-way label.

Taught in notebook 17.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course_utils.config import SEED
from course_utils.short_answer.evaluation import classification_scores

CE_LABELS = ["correct", "contradictory", "incorrect"]


def pair_dataset(df: pd.DataFrame, tokenizer, max_length: int):
    """A tokenised ``datasets.Dataset`` of (reference answer, student answer) pairs with 3-way labels.

    The pairs are tokenised in one call before the dataset is built (no ``Dataset.map``,
    so no progress bar in the notebook's output).
    """
    from datasets import Dataset

    encoded = tokenizer(
        df["reference_answer"].astype(str).tolist(),
        df["student_answer"].fillna("").astype(str).tolist(),
        truncation=True,
        max_length=max_length,
    )
    return Dataset.from_dict({**encoded, "label": [CE_LABELS.index(v) for v in df["label_3way"]]})


def cross_encoder_metrics(eval_pred) -> dict:
    """``compute_metrics`` for the Trainer: 3-way accuracy and macro-F1."""
    logits, labels = eval_pred
    pred = np.asarray(logits).argmax(-1)
    scores = classification_scores([CE_LABELS[i] for i in labels], [CE_LABELS[i] for i in pred])
    return {"accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"]}


def cross_encoder_arguments(output_dir: str, epochs: int, batch_size: int, lr: float, seed: int):
    """The Trainer's settings: evaluate and save every epoch, keep the best dev macro-F1."""
    import torch
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=output_dir, eval_strategy="epoch", save_strategy="epoch", logging_strategy="epoch",
        load_best_model_at_end=True, metric_for_best_model="macro_f1", greater_is_better=True,
        save_total_limit=2, save_only_model=True, num_train_epochs=epochs,
        per_device_train_batch_size=batch_size, per_device_eval_batch_size=64, learning_rate=lr,
        weight_decay=0.01, warmup_steps=0.1,
        fp16=torch.cuda.is_available(),  # a Colab T4 has no bf16
        report_to="none", seed=seed, disable_tqdm=True,
        dataloader_pin_memory=torch.cuda.is_available(),  # pinning helps only a GPU (and warns on a CPU)
    )


def train_cross_encoder(
    train: pd.DataFrame,
    dev: pd.DataFrame,
    model_id: str,
    output_dir: str,
    epochs: int = 3,
    max_length: int = 128,
    batch_size: int = 16,
    lr: float = 5e-5,
    seed: int = SEED,
):
    """Fine-tune a cross-encoder with the Hugging Face Trainer; returns the trainer.

    The dev set (whole questions carved from train, :func:`question_dev_split`) is
    evaluated after every epoch; the checkpoint with the best dev macro-F1 is loaded at
    the end (``load_best_model_at_end``). The test splits are not touched here.
    """
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        PrinterCallback,
        Trainer,
    )

    from course_utils.hub import resolve_model

    if train.empty or dev.empty:
        raise ValueError("train and dev must both hold answers.")
    path = resolve_model(model_id, kind="encoder")
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(
        path, num_labels=len(CE_LABELS), id2label=dict(enumerate(CE_LABELS)),
        label2id={v: i for i, v in enumerate(CE_LABELS)})
    trainer = Trainer(
        model=model,
        args=cross_encoder_arguments(output_dir, epochs, batch_size, lr, seed),
        train_dataset=pair_dataset(train, tokenizer, max_length),
        eval_dataset=pair_dataset(dev, tokenizer, max_length),
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=cross_encoder_metrics,
    )
    trainer.remove_callback(PrinterCallback)  # no log dict per epoch: epoch_history(trainer) has them
    trainer.train()
    return trainer


def epoch_history(trainer) -> pd.DataFrame:
    """Dev accuracy / macro-F1 (and training loss) per epoch from a trainer's log."""
    rows: dict[float, dict] = {}
    for entry in trainer.state.log_history:
        if "epoch" not in entry:
            continue
        row = rows.setdefault(round(entry["epoch"], 2), {"epoch": round(entry["epoch"], 2)})
        for key in ("loss", "eval_loss", "eval_accuracy", "eval_macro_f1"):
            if key in entry:
                row[key.replace("eval_", "dev_")] = entry[key]
    return pd.DataFrame([r for r in rows.values() if "dev_macro_f1" in r])


def predict_cross_encoder(trainer, df: pd.DataFrame, max_length: int) -> pd.DataFrame:
    """``df`` with ``pred_3way`` and one probability column per label (``p_correct``, ...)."""
    ds = pair_dataset(df, trainer.processing_class, max_length)
    logits = trainer.predict(ds).predictions
    logits = logits - logits.max(1, keepdims=True)
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    out = df.copy()
    out["pred_3way"] = [CE_LABELS[i] for i in proba.argmax(1)]
    for i, name in enumerate(CE_LABELS):
        out[f"p_{name}"] = proba[:, i]
    return out
