"""Scoring many essays with a chat model: one prompt per essay, one score per reply.

>>> out = score_with_llm(essays, prompts.with_rubric, ChatClient("local"), max_tokens=12)
>>> out.scores, out.n_unparseable, out.metrics(human_scores)

Each reply goes through the reply cache (:mod:`course_utils.llm.reply_cache`) and
:func:`course_utils.replies.parse_score`, which refuses to guess: a reply without one
clear score in range counts as unparseable (``None``), and :class:`LLMScores` reports
how many there were next to the agreement with the human scores.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_utils.llm.client import ChatClient
from course_utils.llm.errors import LLMResponseError
from course_utils.llm.providers import Messages
from course_utils.llm.reply_cache import cached_chat, reply_folder
from course_utils.replies import parse_score


@dataclass
class LLMScores:
    """What :func:`score_with_llm` returns: parsed scores, raw replies and counts."""

    scores: list[int | None]
    replies: list[str]
    seconds: float
    n_cached: int = 0
    n_errors: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def n_unparseable(self) -> int:
        """Replies without a valid score (including failed calls)."""
        return sum(s is None for s in self.scores)

    def filled(self, fallback: int) -> np.ndarray:
        """Scores with ``fallback`` in place of each unparseable reply (for full tables)."""
        return np.array([fallback if s is None else s for s in self.scores], dtype=int)

    def metrics(self, human: Sequence[int], min_score: int = 0, max_score: int = 12) -> dict:
        """``aes_metrics`` on the parsed essays, plus ``unparseable`` and ``coverage``."""
        from course_utils.metrics import aes_metrics

        human = np.asarray(human)
        if len(human) != len(self.scores):
            raise ValueError(f"human has {len(human)} scores for {len(self.scores)} essays.")
        ok = np.array([s is not None for s in self.scores])
        out = {"unparseable": int((~ok).sum()), "coverage": float(ok.mean())}
        if ok.sum() >= 2:
            parsed = np.array([s for s in self.scores if s is not None])
            out = {**aes_metrics(human[ok], parsed, min_score, max_score), **out}
        return out


def score_with_llm(
    essays: Sequence[str],
    prompt_builder: Callable[[str], Messages],
    client: ChatClient,
    min_score: int = 0,
    max_score: int = 12,
    cache: bool | str | Path = True,
    progress: bool = True,
    desc: str = "scoring",
    **options,
) -> LLMScores:
    """Ask ``client`` to score each essay (``prompt_builder(essay)`` makes the messages).

    Replies are cached on disk (``COURSE_CACHE_DIR/llm_responses`` or the folder given
    as ``cache``), keyed by model, messages and options: a rerun reads them back and
    spends no quota. ``cache=False`` always asks. A call that fails with
    :class:`LLMResponseError` counts as unparseable; other errors stop the run.
    """
    from tqdm.auto import tqdm

    essays = list(essays)
    if not essays:
        raise ValueError("essays is empty.")
    folder = reply_folder(cache, "llm_responses")
    options.setdefault("temperature", 0.0)
    scores, replies, errors, n_cached = [], [], [], 0
    start = time.perf_counter()
    for essay in tqdm(essays, desc=desc, disable=not progress):
        try:
            reply, cached = cached_chat(client, prompt_builder(essay), options, folder)
        except LLMResponseError as exc:
            errors.append(str(exc))
            replies.append("")
            scores.append(None)
            continue
        n_cached += cached
        replies.append(reply)
        scores.append(parse_score(reply, min_score, max_score))
    return LLMScores(scores, replies, time.perf_counter() - start, n_cached, len(errors), errors)
