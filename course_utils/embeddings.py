"""Sentence embeddings with a cache, so reruns and tuning loops never re-encode a text.
Taught in notebook 07.

>>> from course_utils.embeddings import encode
>>> X = encode(["A short essay.", "Another one."])   # (2, 384) for all-MiniLM-L6-v2

Vectors are cached per model in memory and on disk (``COURSE_CACHE_DIR/embeddings``),
keyed by a hash of the text, so a regrade embeds only the texts it has not seen.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from course_utils.checks import check_texts
from course_utils.config import cache_dir, device
from course_utils.hub import MINILM_ID, resolve_model

_MEMORY: dict[str, dict[str, np.ndarray]] = {}


@lru_cache(maxsize=4)
def load_encoder(model_id: str):
    """Load (once) a sentence-transformers model, resolving it offline if needed."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(resolve_model(model_id, kind="encoder"), device=device())


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _cache_file(model_id: str) -> Path:
    folder = cache_dir() / "embeddings"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / (model_id.replace("/", "__") + ".npz")


def _memory(model_id: str, use_disk: bool) -> dict[str, np.ndarray]:
    if model_id not in _MEMORY:
        store: dict[str, np.ndarray] = {}
        path = _cache_file(model_id)
        if use_disk and path.is_file():
            with np.load(path) as data:
                store = dict(zip(data["keys"].tolist(), data["vectors"]))
        _MEMORY[model_id] = store
    return _MEMORY[model_id]


def _save(cache_key: str, store: dict[str, np.ndarray]) -> None:
    """Merge ``store`` with what another process may have saved, then replace atomically."""
    path = _cache_file(cache_key)
    if path.is_file():
        try:
            with np.load(path) as data:
                for k, v in zip(data["keys"].tolist(), data["vectors"]):
                    store.setdefault(k, v)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file is simply rewritten
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    np.savez(tmp, keys=np.array(list(store)), vectors=np.stack(list(store.values())))
    os.replace(tmp, path)


def encode(
    texts: Iterable[str],
    model_id: str = MINILM_ID,
    batch_size: int = 32,
    normalize: bool = True,
    use_disk: bool = True,
    show_progress: bool = False,
) -> np.ndarray:
    """Embed ``texts`` as a ``(n, dim)`` float32 array, encoding only unseen texts.

    Raises ``ValueError`` for an empty list or a text that is not a string.
    """
    texts = check_texts(texts)
    cache_key = f"{model_id}|norm={normalize}"
    store = _memory(cache_key, use_disk)
    keys = [_key(t) for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts) if k not in store}.items())
    if todo:
        model = load_encoder(model_id)
        vectors = model.encode(
            [t for _, t in todo],
            batch_size=batch_size,
            normalize_embeddings=normalize,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
        )
        for (k, _), v in zip(todo, vectors):
            store[k] = v.astype(np.float32)
        if use_disk:
            _save(cache_key, store)
    return np.stack([store[k] for k in keys])
