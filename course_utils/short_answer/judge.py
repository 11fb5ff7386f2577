"""Layer 6 of the guard (opt-in): ask a chat model whether the answer is a serious attempt.

Taught in notebook 18. On-topic nonsense ("secret ballots stop the pencils copying each
other's votes") is made of the question's own words; what gives it away is knowledge of
the world, which sentence embeddings and a 135M-parameter model lack and a large chat
model may have. This layer shows a chat model the question, a few answers the teacher
gave credit to, and the new answer, and asks for one word, ``ATTEMPT`` or ``NONSENSE``.

It runs after every other layer, on the answers they let through, one request per
answer (replies are cached on disk, so a rerun spends no quota). A reply that is
neither word flags nothing and is counted (``n_unreadable``): the layer can only add
zeros for the answers it was sure about.

What it costs and what it is worth depend on the model. A hosted one
(``ChatClient("groq")``, ``ChatClient("cerebras")``; a key in Colab secrets or the
environment) costs a network round trip per answer, and the local stand-in about a second
on a 2-core CPU, against a regrade budget of 25 ms: the layer is off by default. Offline,
the only chat model here is the stand-in SmolLM2-135M-Instruct (``python -m
course_tools.llm_plausibility --judge local`` measures it,
``results/short_answer_judge_local.md``); hosted models are **not measured here** (no
network): ``--judge groq`` measures one where a key is set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

SYSTEM = ("You check answers before they are graded. Reply with exactly one word: ATTEMPT or NONSENSE.")
USER = (
    "Question: {question}\n\n"
    "Answers that earned credit:\n{examples}\n\n"
    "New answer: {answer}\n\n"
    "Could a student seriously have written the new answer to this question, right or wrong "
    "(a misconception or a half-remembered fact is still an attempt)? Or is it absurd, a joke, "
    "or made-up nonsense that only borrows the question's words?\n"
    "Reply ATTEMPT or NONSENSE."
)
#: Models the layer is meant for: instruction-following models that answer at once. A reasoning
#: model (``openai/gpt-oss-20b``, the course's default on Groq) spends tokens thinking before
#: it replies, so give it a larger ``max_tokens`` (e.g. 1024) or its reply may be empty.
JUDGE_MODELS = {"groq": "llama-3.1-8b-instant", "cerebras": "llama3.1-8b", "local": None}
VERDICT_RE = re.compile(r"\b(ATTEMPT|NONSENSE)\b", re.IGNORECASE)


def read_verdict(reply: str) -> bool | None:
    """``True`` for NONSENSE, ``False`` for ATTEMPT, ``None`` for a reply that says neither or both."""
    found = {m.upper() for m in VERDICT_RE.findall(reply or "")}
    return None if len(found) != 1 else found == {"NONSENSE"}


class ChatJudge:
    """Flag answers a chat model calls nonsense.

    ``client``: a :class:`course_utils.llm.ChatClient` (or any object with
    ``.chat(messages, **options)`` and a ``cache_id``). ``n_examples``: how many credited
    answers the model is shown. ``max_tokens``: the longest reply asked for. ``cache``:
    ``True`` keeps replies in ``COURSE_CACHE_DIR/judge_replies``, a path keeps them there,
    ``False`` always asks.
    """

    def __init__(self, client, n_examples: int = 4, max_tokens: int = 8, cache: bool | str | Path = True):
        if not hasattr(client, "chat"):
            raise ValueError(f"client must be a ChatClient (something with .chat), got {type(client).__name__}.")
        if n_examples < 0:
            raise ValueError(f"n_examples must be >= 0, got {n_examples!r}.")
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {max_tokens!r}.")
        self.client, self.n_examples, self.max_tokens, self.cache = client, n_examples, max_tokens, cache
        self.replies: dict[str, str] = {}  # every distinct request this judge made -> the reply

    def messages(self, question: str, credited: Sequence[str], answer: str) -> list[dict[str, str]]:
        """The request for one answer: the question, up to ``n_examples`` credited answers, the answer."""
        shown = [" ".join(a.split()) for a in credited if a and a.strip()][: self.n_examples]
        examples = "\n".join(f"- {a}" for a in shown) or "- (none given)"
        user = USER.format(question=" ".join(question.split()), examples=examples, answer=" ".join(answer.split()))
        return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]

    @property
    def n_unreadable(self) -> int:
        """Distinct requests whose reply was neither ATTEMPT nor NONSENSE."""
        return sum(read_verdict(r) is None for r in self.replies.values())

    def reply(self, messages: list[dict[str, str]]) -> str:
        """The model's reply (read from the cache when this exact request was made before)."""
        from course_utils.llm import cached_chat, reply_folder

        options = {"temperature": 0.0, "max_tokens": self.max_tokens}
        reply, _ = cached_chat(self.client, messages, options, reply_folder(self.cache, "judge_replies"))
        self.replies[json.dumps(messages, sort_keys=True)] = reply
        return reply

    def verdicts(self, question: str, credited: Sequence[str], answers: Sequence[str]) -> list[bool | None]:
        """For each answer: ``True`` (nonsense), ``False`` (attempt) or ``None`` (unreadable reply)."""
        return [read_verdict(self.reply(self.messages(question, credited, a))) for a in answers]

    def flags(self, question: str, credited: Sequence[str], answers: Sequence[str]) -> np.ndarray:
        """True where the model called the answer nonsense (an unreadable reply flags nothing)."""
        return np.array([v is True for v in self.verdicts(question, credited, answers)], dtype=bool)
