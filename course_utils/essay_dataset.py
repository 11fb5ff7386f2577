"""Essays as a PyTorch dataset, and batches of essays of similar length.

:class:`EssayDataset` tokenises the essays once and turns their scores into labels for
the chosen scoring mode; both a ``DataLoader`` (the manual loop of notebook 11) and the
Hugging Face ``Trainer`` (notebooks 12-13) read it. :func:`length_grouped_batches`
puts essays of similar length together, so that padding each batch to its longest essay
wastes little time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from course_utils.checks import check_score_range, check_texts
from course_utils.cutoffs import mu
from course_utils.metrics import as_scores
from course_utils.training import Mode, check_mode


def check_scores(scores, n: int, lo: int, hi: int, name: str) -> np.ndarray:
    """``scores`` as integers, one per essay, each in ``lo..hi`` (else a clear ``ValueError``)."""
    y = as_scores(scores, name)
    if len(y) != n:
        raise ValueError(f"{name} has {len(y)} scores but there are {n} essays.")
    return check_score_range(y, lo, hi, name, hint="check min_score/max_score")


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
        check_mode(mode)
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
            y = check_scores(scores, len(self.texts), self.min_score, self.max_score, "scores")
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
