"""The reply cache: ask a model once, read the reply back on every rerun.

A workshop reruns its notebooks many times; a hosted model's free tier is
rate-limited and a local model is slow. :func:`cached_chat` keys each reply by the model
that answers (``client.cache_id``), the messages and the options, and keeps it as one
small JSON file under :func:`reply_folder` (``COURSE_CACHE_DIR/<name>`` by default), so
the same question is never paid for twice. Change the prompt, the model or an option
and the key changes: the model is asked again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from course_utils.config import cache_dir
from course_utils.llm.client import ChatClient
from course_utils.llm.providers import Messages


def _cache_key(client_id: str, messages: Messages, options: dict) -> str:
    blob = json.dumps([client_id, messages, options], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def reply_folder(cache: bool | str | Path, name: str) -> Path | None:
    """Where replies are cached: ``None`` for ``cache=False``, the given folder, or ``COURSE_CACHE_DIR/name``."""
    if not cache:
        return None
    folder = Path(cache) if isinstance(cache, (str, Path)) else cache_dir() / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cached_chat(client: ChatClient, messages: Messages, options: dict, folder: Path | None) -> tuple[str, bool]:
    """``(reply, read_from_cache)``: the reply saved in ``folder`` for this model, messages and options,
    or a new one from ``client.chat`` (then saved whole: written to a temporary file, then renamed).    """
    path = folder / f"{_cache_key(client.cache_id, messages, options)}.json" if folder else None
    if path is not None and path.is_file():
        return json.loads(path.read_text())["reply"], True
    reply = client.chat(messages, **options)
    if path is not None:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"reply": reply}))
        tmp.replace(path)
    return reply, False
