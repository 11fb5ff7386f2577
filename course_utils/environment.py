"""What the environment says about this machine: may the Hub be used, and where to cache.

Two environment variables that the whole library reads, kept below everything else so
that :mod:`course_utils.hub` (which model is really loaded) and
:mod:`course_utils.config` (the profiles) can both import them without importing each
other:

* ``HF_HUB_OFFLINE=1`` or ``COURSE_OFFLINE=1`` -- no Hugging Face Hub (CI, an air-gapped
  laptop): :func:`is_offline` is true and models come from local stand-ins;
* ``COURSE_CACHE_DIR`` -- where converted models, embeddings and model replies are kept
  between runs (:func:`cache_dir`; by default ``~/.cache/ai-scoring-course``).

Notebooks call them through :mod:`course_utils.config` (``config.is_offline()``).
"""

from __future__ import annotations

import os
from pathlib import Path


def is_offline() -> bool:
    """True when the Hugging Face Hub must not be used (``HF_HUB_OFFLINE`` or ``COURSE_OFFLINE``)."""
    return any(
        os.environ.get(var, "").strip().lower() in {"1", "true", "yes", "on"}
        for var in ("HF_HUB_OFFLINE", "COURSE_OFFLINE")
    )


def cache_dir() -> Path:
    """Where the course caches converted models and embeddings (``COURSE_CACHE_DIR``)."""
    path = Path(os.environ.get("COURSE_CACHE_DIR", Path.home() / ".cache" / "ai-scoring-course"))
    path.mkdir(parents=True, exist_ok=True)
    return path
