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

:func:`encode_lm` gives a causal language model's view of a text the same way: the mean of
one layer's hidden states over the text's tokens (``layer=18`` of SmolLM2-135M's 30), cached
per model and layer. A middle layer of a small LM carries what a next-word predictor noticed
about the writing (fluency, spelling, register), which sentence-embedding models are trained
to discard.
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
from course_utils.hub import MINILM_ID, SMOLLM_ID, resolve_model


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

    def compute(todo: list[str]) -> np.ndarray:
        if _BACKEND == "onnx":
            import torch

            model = load_onnx_encoder(model_id, torch.get_num_threads())
        else:
            model = load_encoder(model_id)
        return model.encode(todo, batch_size=batch_size, normalize_embeddings=normalize,
                            show_progress_bar=show_progress, convert_to_numpy=True)

    cache_key = f"{model_id}|norm={normalize}" + ("" if _BACKEND == "torch" else f"|{_BACKEND}")
    return _cached(texts, cache_key, use_disk, compute)


def _cached(texts: list[str], cache_key: str, use_disk: bool, compute) -> np.ndarray:
    """``texts``' vectors from the cache ``cache_key``; ``compute(unseen texts)`` fills in the rest
    (each text once); with ``use_disk`` the cache file is updated when it lacks any of them."""
    store = _memory(cache_key, use_disk)
    keys = [_key(t) for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts) if k not in store.vectors}.items())
    if todo:
        for (k, _), v in zip(todo, compute([t for _, t in todo])):
            store.vectors[k] = np.asarray(v, dtype=np.float32)
    if use_disk and not store.on_disk.issuperset(keys):
        store.on_disk.update(keys)
        _save(cache_key, {k: store.vectors[k] for k in store.on_disk})
    return np.stack([store.vectors[k] for k in keys])


class _StopForward(Exception):
    """Raised by a hook once the wanted layer has run: the layers above it are not computed."""


def _lm_layer_means(texts: list[str], model_id: str, layer: int, max_length: int, batch_size: int) -> np.ndarray:
    """Mean hidden state of ``layer`` (1 = the first transformer layer's output) per text, padding excluded."""
    import torch

    from course_utils.llm.local_model import load_local_model

    tokenizer, model = load_local_model(model_id)
    blocks = model.model.layers
    if not 1 <= layer <= len(blocks):
        raise ValueError(f"layer must be 1..{len(blocks)} for {model_id}, got {layer}.")
    captured = {}

    def hook(_module, _inputs, output):
        captured["h"] = output[0] if isinstance(output, tuple) else output
        raise _StopForward

    order = np.argsort([len(t) for t in texts])  # similar lengths together: less padding
    out = np.zeros((len(texts), model.config.hidden_size), np.float32)
    handle = blocks[layer - 1].register_forward_hook(hook)
    tokenizer.padding_side = "right"
    try:
        for start in range(0, len(texts), batch_size):
            idx = order[start:start + batch_size]
            batch = tokenizer([texts[i] for i in idx], return_tensors="pt", padding=True, truncation=True,
                              max_length=max_length).to(model.device)
            with torch.no_grad():
                try:
                    model(**batch)
                except _StopForward:
                    pass
            mask = batch["attention_mask"].unsqueeze(-1).to(captured["h"].dtype)
            means = (captured["h"] * mask).sum(1) / mask.sum(1)
            out[idx] = means.float().cpu().numpy()
    finally:
        handle.remove()
    return out


def encode_lm(
    texts: Iterable[str],
    model_id: str = SMOLLM_ID,
    layer: int = 18,
    max_length: int = 1024,
    batch_size: int = 8,
    use_disk: bool = True,
) -> np.ndarray:
    """A causal LM's mean hidden state of ``layer`` for each text, ``(n, hidden size)`` float32, cached.

    Offline, ``model_id`` resolves as in :func:`course_utils.llm.local_model.load_local_model`
    (SmolLM2-135M-Instruct from its 4-bit GGUF file, so the numbers differ slightly from the Hub's
    float weights). Texts longer than ``max_length`` tokens are cut there.
    """
    return _cached(check_texts(texts), f"{model_id}|layer={layer}|mean|max_length={max_length}", use_disk,
                   lambda todo: _lm_layer_means(todo, model_id, layer, max_length, batch_size))
