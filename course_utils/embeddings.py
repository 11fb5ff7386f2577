"""Sentence embeddings with a cache, so reruns and tuning loops never re-encode a text.
Taught in notebook 07.

>>> from course_utils.embeddings import encode
>>> X = encode(["A short essay.", "Another one."])   # (2, 384) for all-MiniLM-L6-v2

Vectors are cached per model in memory and on disk (``COURSE_CACHE_DIR/embeddings``),
keyed by a hash of the text, so a regrade embeds only the texts it has not seen. Only
texts encoded with ``use_disk=True`` are written to disk: ``use_disk=False`` (a
student's answer in the few-shot grader) stays in this process's memory.

``set_backend("onnx")`` runs the same model with ONNX Runtime instead of PyTorch (CPU only;
``pip install onnxruntime "onnx<1.23"``): for the few short texts of a live regrade, the
embedding takes about half the time, with vectors within about 1e-6 of PyTorch's (kept in
a cache of their own).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from course_utils.checks import check_texts
from course_utils.config import cache_dir, device
from course_utils.hub import MINILM_ID, resolve_model


@dataclass
class _Store:
    """One model's cache: every vector this process has, and which keys belong on disk."""

    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    on_disk: set[str] | None = None  # None: the disk file has not been read yet


_MEMORY: dict[str, _Store] = {}
#: How texts go through the model: "torch" (sentence-transformers, the default) or "onnx".
BACKENDS = ("torch", "onnx")
_BACKEND = "torch"


def set_backend(name: str) -> str:
    """Choose how :func:`encode` runs the model from now on in this process; returns the previous choice.

    ``"onnx"`` (CPU only) exports the model to ONNX Runtime the first time it is needed and
    raises ``ImportError`` with the install command when ``onnxruntime`` or ``onnx`` is missing.
    """
    global _BACKEND
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {name!r}.")
    if name == "onnx":
        from course_utils.onnx_encoder import _require_onnx

        _require_onnx()
        if device() != "cpu":
            raise ValueError("The ONNX backend runs on the CPU; on a GPU keep set_backend('torch').")
    previous, _BACKEND = _BACKEND, name
    return previous


@lru_cache(maxsize=4)
def load_encoder(model_id: str):
    """Load (once) a sentence-transformers model, resolving it offline if needed."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(resolve_model(model_id, kind="encoder"), device=device())


@lru_cache(maxsize=4)
def load_onnx_encoder(model_id: str, threads: int):
    """The model of :func:`load_encoder`, its transformer exported once to ONNX Runtime (``threads`` threads)."""
    from course_utils.onnx_encoder import OnnxEncoder, _require_onnx

    _require_onnx()
    return OnnxEncoder(load_encoder(model_id), threads)


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _cache_file(model_id: str) -> Path:
    folder = cache_dir() / "embeddings"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / (model_id.replace("/", "__") + ".npz")


def _memory(cache_key: str, use_disk: bool) -> _Store:
    store = _MEMORY.setdefault(cache_key, _Store())
    if use_disk and store.on_disk is None:
        store.on_disk = set()
        path = _cache_file(cache_key)
        if path.is_file():
            with np.load(path) as data:
                for k, v in zip(data["keys"].tolist(), data["vectors"]):
                    store.vectors.setdefault(k, v)
                    store.on_disk.add(k)
    return store


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
    cache_key = f"{model_id}|norm={normalize}" + ("" if _BACKEND == "torch" else f"|{_BACKEND}")
    store = _memory(cache_key, use_disk)
    keys = [_key(t) for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts) if k not in store.vectors}.items())
    if todo:
        if _BACKEND == "onnx":
            import torch

            model = load_onnx_encoder(model_id, torch.get_num_threads())
        else:
            model = load_encoder(model_id)
        vectors = model.encode(
            [t for _, t in todo],
            batch_size=batch_size,
            normalize_embeddings=normalize,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
        )
        for (k, _), v in zip(todo, vectors):
            store.vectors[k] = v.astype(np.float32)
    if use_disk and not store.on_disk.issuperset(keys):
        store.on_disk.update(keys)
        _save(cache_key, {k: store.vectors[k] for k in store.on_disk})
    return np.stack([store.vectors[k] for k in keys])
