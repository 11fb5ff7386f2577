"""Layer 5 of the guard (opt-in): a word the language model did not expect.

Taught in notebook 18. On-topic nonsense ("binary search uses a magnet to pull the item
out of the list") reuses the question's words, so sentence similarity puts it next to
real answers. A language model that has just read the question and the answers the
teacher gave credit to has an expectation of what comes next; the absurd part of such
an answer is a word it did not expect at all.

The check: show the model

    Question: <the question>
    Answer: <credited answer 1>
    ...
    Answer:

and read, for each word of a new answer, the log-probability of its first token. The
answer's *surprise* is the lowest of these over its **content words**: dictionary words
(:func:`~course_utils.short_answer.rules.english_words`) written in lower case, that
are not function words, not words of the question or of the teacher's graded answers
(a word the class itself used is not absurd here) and not the answer's first word.
Misspellings and formulas are not dictionary words and names are capitalised, so they
do not count: a student's "dosnt" or "Schabowski" is surprising, but it is not
nonsense. Below ``bar`` the answer is flagged.

Cost: one forward pass of the model per answer (batched; the prompt is read once per
question), about 0.2 s per regrade on a 2-core CPU with the 135M-parameter SmolLM2 --
over the regrade budget, hence off by default. The
bar is the model's: -12 was chosen for SmolLM2-135M-Instruct on dev data only (the dev
halves of the hand-written sets and Beetle's dev questions); another model needs its own
(``python -m course_tools.llm_plausibility --surprise-sweep MODEL``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from course_utils.hub import SMOLLM_ID
from course_utils.short_answer.rules import ENGLISH_STOPWORDS, FILLER, english_words, tokens

WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


class SurpriseCheck:
    """Flag answers with a content word the model finds very unlikely after the credited answers.

    ``model_id``: a causal language model (resolved offline to the stand-in when the Hub
    is unreachable). ``bar``: flag when the lowest content-word log-probability is below
    it. ``n_examples``: how many credited answers the prompt shows. ``batch_size``: answers
    scored per forward pass.
    """

    def __init__(self, model_id: str = SMOLLM_ID, bar: float = -12.0, n_examples: int = 8, batch_size: int = 16):
        if bar >= 0:
            raise ValueError(f"bar is a log-probability and must be negative, got {bar!r}.")
        if n_examples < 1:
            raise ValueError(f"n_examples must be at least 1, got {n_examples!r}.")
        self.model_id, self.bar, self.n_examples, self.batch_size = model_id, bar, n_examples, batch_size
        self._prompts: dict = {}  # prompt text -> (token ids, the model's state after reading them)

    def _model(self):
        from course_utils.llm import load_local_model

        return load_local_model(self.model_id)

    def prompt(self, question: str, credited: Sequence[str]) -> str:
        """The text the model reads before each answer: the question and up to ``n_examples`` credited answers."""
        shown = [" ".join(a.split()) for a in credited if a and a.strip()][: self.n_examples]
        return f"Question: {' '.join(question.split())}\n" + "".join(f"Answer: {a}\n" for a in shown) + "Answer:"

    def word_log_probs(self, prompt: str, answers: Sequence[str]) -> list[list[tuple[str, float]]]:
        """For each answer, ``(word, log P(its first token | prompt, the words before))`` for every word."""
        from course_utils.lora import continuation_log_probs, read_prompt

        tokenizer, model = self._model()
        if prompt not in self._prompts:  # read once per question, reused by every regrade
            if len(self._prompts) >= 8:
                self._prompts.pop(next(iter(self._prompts)))
            ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
            self._prompts[prompt] = (ids, read_prompt(model, ids))
        start, state = self._prompts[prompt]
        texts = [" " + " ".join((a or "").split()) for a in answers]
        out = []
        for b in range(0, len(texts), self.batch_size):
            chunk = texts[b: b + self.batch_size]
            enc = [tokenizer(t, add_special_tokens=False, return_offsets_mapping=True) for t in chunk]
            ids = [e["input_ids"] or [tokenizer.eos_token_id] for e in enc]
            steps = continuation_log_probs(model, start, ids, tokenizer.pad_token_id, state)
            for text, e, lp in zip(chunk, enc, steps):
                words = []
                for m in WORD_RE.finditer(text):  # the first token that reaches into the word
                    k = next((i for i, (s, t) in enumerate(e["offset_mapping"]) if t > m.start()), None)
                    if k is not None:
                        words.append((m.group(), float(lp[k])))
                out.append(words)
        return out

    def surprise(self, question: str, prompt: str, answers: Sequence[str], vocabulary=()) -> np.ndarray:
        """The lowest log-probability over each answer's content words (0 when it has none).

        Content words: lower-case dictionary words other than function words, the
        question's words, the words in ``vocabulary`` (those of the graded answers) and
        the answer's first word.
        """
        skip = set(tokens(question)) | set(vocabulary) | ENGLISH_STOPWORDS | FILLER
        known = english_words()
        out = []
        for words in self.word_log_probs(prompt, answers):
            lps = [lp for i, (w, lp) in enumerate(words)
                   if i > 0 and not w[0].isupper() and (t := w.lower().replace("'", "")) in known and t not in skip]
            out.append(min(lps, default=0.0))
        return np.array(out)

    def flags(self, question: str, prompt: str, answers: Sequence[str], vocabulary=()) -> np.ndarray:
        """True where an answer's surprise is below the bar."""
        return self.surprise(question, prompt, answers, vocabulary) < self.bar
