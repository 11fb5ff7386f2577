"""Layers 3 and 4 of the guard: on-topic nonsense, and answers unlike every credited one.

Taught in notebook 18. Both compare a new answer with the answers the teacher graded:

* layer 3, :func:`nonsense_margin` -- the question's words wrapped around absurd content
  ("the number of roots depends on the phase of the moon"): strip the question's words
  and function words (:func:`content_words`) and ask whether what is left is closer to
  everyday topics (:data:`EVERYDAY_TOPICS`) than to what the class wrote;
* layer 4, :func:`support_floor` (off by default) -- an answer further from every
  credited answer than any credited answer is from its nearest neighbour.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from course_utils.short_answer.features import _embed
from course_utils.short_answer.rules import ENGLISH_STOPWORDS, FILLER, tokens

# Everyday and fanciful topics: what absurd content in an answer tends to be about.
# Broad themes, no evaluation answer copied; but written after the hand-written
# evaluation sets, by their author, so the held-out nonsense figures are not
# independent of this list (course_utils/short_answer/eval_sets/README.md).
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


def support_floor(support_emb: np.ndarray, grades: Sequence[int], zero_grade: int = 0,
                  margin: float = 1.0) -> float:
    """The lowest similarity a credited answer may have to the others, times ``margin``.

    For each answer graded above ``zero_grade``: its highest cosine to the *other*
    credited answers (leave-one-out nearest neighbour); the floor is ``margin`` times
    the smallest of these. An answer further from every credited answer than any
    credited answer is from its nearest neighbour is unlike anything that earned
    credit. ``-1`` (no floor) with fewer than two credited answers.
    """
    pos = np.atleast_2d(support_emb)[np.asarray(grades) > zero_grade]
    if len(pos) < 2:
        return -1.0
    sims = pos @ pos.T
    np.fill_diagonal(sims, -np.inf)
    return float(margin * sims.max(1).min())


def topics_embeddings(model_id: str) -> np.ndarray:
    """Embeddings of :data:`EVERYDAY_TOPICS` (cached on disk after the first use)."""
    return _embed(list(EVERYDAY_TOPICS), model_id, True)
