"""The guard: layers that give grade 0 to anything that is not an attempt at the question.

Taught in notebook 18. Layers, cheapest first; the first one that objects decides:

1. the text rules of :mod:`course_utils.short_answer.layers` (structure, non-answers,
   instructions to the grader);
2. the :class:`~course_utils.short_answer.relevance.RelevanceModel` (text from another
   subject or another question; copies of the question);
3. :func:`nonsense_margin` -- on-topic-sounding nonsense: the question's words around
   absurd content ("the number of roots depends on the phase of the moon").

The default guard's relevance model ships with the package (``relevance_minilm.npz``,
trained on Beetle's training split, all-MiniLM-L6-v2 embeddings); rebuild it with
``python -m course_tools.short_answer_results --rebuild-guard``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from course_utils.short_answer.features import _embed, has_content
from course_utils.short_answer.layers import ENGLISH_STOPWORDS, FILLER, text_reason, tokens
from course_utils.short_answer.relevance import RelevanceModel

DEFAULT_WEIGHTS = Path(__file__).with_name("relevance_minilm.npz")

# Everyday and fanciful topics: what absurd content in an answer tends to be about.
# Broad themes, no evaluation answer copied; but written after the hand-written
# evaluation sets, by their author, so the held-out nonsense figures are not
# independent of this list (data/short_answer_eval/README.md).
EVERYDAY_TOPICS = tuple(t.strip() for t in """
    dogs cats pets; horses cows farm animals; birds pigeons ducks; fish aquarium goldfish;
    lions tigers zoo; insects spiders bees; dinosaurs; unicorns dragons; monkeys bananas;
    chocolate cake sweets; pizza pasta cheese; bread butter breakfast; ice cream dessert;
    soup vegetables dinner; coffee tea drinks; candy sugar snacks; cooking recipe oven;
    fridge freezer kitchen; weather rain sunshine; snow winter cold; moon phase full moon;
    stars horoscope zodiac; planets astrology; days of the week Tuesday; birthday party;
    holidays vacation beach; Christmas presents; seasons summer; feeling bored tired;
    afraid scared frightened; lonely sad crying; happy laughing jokes; angry upset;
    falling in love; being polite asking nicely; sleeping dreaming; friends family mother;
    the teacher the classroom; singing songs music; dancing ballet;
    painting colours red blue; reading newspapers books; television films movies;
    video games; football match soccer; basketball tennis sports; swimming pool;
    playing cards dice luck; ink pens pencils; glass windows; wooden door furniture;
    shoes clothes fashion; cars traffic driving; trains aeroplanes travel;
    mobile phones internet; money shopping prices; houses gardens; hospitals doctors;
    magic spells wizards; aliens spaceships UFO; ghosts haunted; luck superstition;
    fairy tales princesses; vowels letters alphabet spelling;
    counting students in the class; names of people; random numbers lottery; jokes pranks;
    sneezing coughing; eating and drinking; walking running; hair and teeth;
    washing cleaning
""".split(";"))


def content_words(question: str, answer: str) -> str:
    """The answer without the question's words and function words: what it *adds*.

    ``"The number of roots depends on the phase of the moon"`` to a question about
    roots leaves ``"depends phase moon"``.
    """
    drop = set(tokens(question)) | ENGLISH_STOPWORDS | FILLER
    return " ".join(w for w in tokens(answer) if w not in drop)


def nonsense_margin(content_emb: np.ndarray, support_content_emb: np.ndarray, topics_emb: np.ndarray) -> np.ndarray:
    """How much closer an answer's added content is to everyday topics than to the graded answers'.

    ``(n,)``: highest cosine to :data:`EVERYDAY_TOPICS` minus the mean of the top-3
    cosines to the graded answers' own added content. Positive: the answer's content
    looks more like pets, food or the weather than like anything the class wrote.
    """
    C = np.atleast_2d(content_emb)
    S = C @ np.atleast_2d(support_content_emb).T
    k = min(3, S.shape[1])
    own = -np.sort(-S, axis=1)[:, :k].mean(1)
    return (C @ np.atleast_2d(topics_emb).T).max(1) - own


@lru_cache(maxsize=1)
def default_relevance_model() -> RelevanceModel:
    """The relevance model shipped with the package (read once)."""
    if not DEFAULT_WEIGHTS.is_file():
        raise FileNotFoundError(
            f"{DEFAULT_WEIGHTS} is missing: rebuild it with "
            "`python -m course_tools.short_answer_results --rebuild-guard`.")
    return RelevanceModel.load(DEFAULT_WEIGHTS)


class GuardContext(NamedTuple):
    """What the guard knows about one question (built by :meth:`Guard.prepare`)."""

    question: str
    vocabulary: frozenset
    q_emb: np.ndarray
    support_emb: np.ndarray
    support_content_emb: np.ndarray


class Guard:
    """The layered guard. ``Guard()`` is the default: rules, shipped relevance model, nonsense check.

    ``relevance_model``: ``"default"`` (the shipped one), a fitted
    :class:`RelevanceModel`, or ``None`` (no embedding layer). ``rules`` and
    ``nonsense`` switch layers 1 and 3 off for experiments. ``nonsense_threshold``
    (0.0) was chosen on the development junk and Beetle training answers only.
    """

    def __init__(self, relevance_model="default", rules: bool = True, nonsense: bool = True,
                 threshold: float = 0.5, nonsense_threshold: float = 0.0, use_disk: bool = False):
        if isinstance(relevance_model, str) and relevance_model != "default":
            raise ValueError(f"relevance_model must be 'default', a RelevanceModel or None, got {relevance_model!r}.")
        self.relevance_model = default_relevance_model() if relevance_model == "default" else relevance_model
        if self.relevance_model is not None and not hasattr(self.relevance_model, "_layers"):
            raise ValueError("relevance_model is not fitted: call its fit() first.")
        self.rules, self.nonsense = rules, nonsense
        self.threshold, self.nonsense_threshold, self.use_disk = threshold, nonsense_threshold, use_disk
        self.model_id = getattr(self.relevance_model, "model_id", None) or RelevanceModel().model_id

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        return _embed([t if has_content(t) else "(empty)" for t in texts], self.model_id, self.use_disk)

    def prepare(self, question: str, support_answers: Sequence[str]) -> GuardContext:
        """Per question: its vocabulary and the embeddings of the graded answers and their content."""
        support = list(support_answers)
        vocab = frozenset(w for a in [question, *support] for w in tokens(a))
        content = self._embed([content_words(question, a) for a in support]) if self.nonsense else None
        return GuardContext(question, vocab, self._embed([question]), self._embed(support), content)

    def check(self, ctx: GuardContext, answers: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """P(an attempt at the question) and the reason for each rejection (``""`` if accepted)."""
        answers = list(answers)
        reasons = [text_reason(a, ctx.question, ctx.vocabulary) if self.rules else
                   ("" if has_content(a) else "empty or punctuation") for a in answers]
        p = np.array([0.0 if r else 1.0 for r in reasons])
        todo = [i for i, r in enumerate(reasons) if not r]
        if todo and self.relevance_model is not None:
            texts = [answers[i] for i in todo]
            p[todo] = self.relevance_model.proba_from_embeddings(
                ctx.q_emb, self._embed(texts), [ctx.question] * len(texts), texts, ctx.support_emb)
            for i in todo:
                if p[i] < self.threshold:
                    reasons[i] = "off topic (relevance model)"
        todo = [i for i in todo if not reasons[i]]
        if todo and self.nonsense:
            added = [content_words(ctx.question, answers[i]) for i in todo]
            keep = [k for k, a in enumerate(added) if a]  # nothing added: left to the other layers
            if keep:
                m = nonsense_margin(self._embed([added[k] for k in keep]), ctx.support_content_emb,
                                    topics_embeddings(self.model_id))
                for k, margin in zip(keep, m):
                    if margin > self.nonsense_threshold:
                        p[todo[k]], reasons[todo[k]] = 0.0, "on-topic nonsense"
        return p, reasons


def topics_embeddings(model_id: str) -> np.ndarray:
    """Embeddings of :data:`EVERYDAY_TOPICS` (cached on disk after the first use)."""
    return _embed(list(EVERYDAY_TOPICS), model_id, True)


@lru_cache(maxsize=1)
def default_guard() -> Guard:
    """The guard a ``FewShotGrader()`` uses unless told otherwise (built once per session)."""
    return Guard()
