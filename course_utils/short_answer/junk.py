"""Generated junk answers: negatives for the relevance model's training.

Taught in notebook 18. The hand-written evaluation sets in ``course_utils/short_answer/eval_sets/``
are *not* produced here, so the guard is measured on junk it never trained on.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

import numpy as np
import pandas as pd

from course_utils.short_answer.features import DEFAULT_EMBEDDING_MODEL, _embed

JUNK_CATEGORIES = (
    "gibberish",
    "keyboard_mash",
    "question_copy",
    "other_language",
    "other_question_answer",
    "other_question_reference",
    "off_domain_expert",
    "empty",
)


# Off-topic sentences in other languages (they answer no circuit question). The two
# halves are disjoint: pool 0 trains the relevance model, pool 1 is for evaluation.
OTHER_LANGUAGE = (
    (
        "Ich weiß nicht, was ich heute kochen soll.",
        "Morgen fahren wir mit dem Zug nach Berlin.",
        "Mi hermano juega al fútbol todos los sábados.",
        "La biblioteca cierra a las ocho de la noche.",
        "Je voudrais un café et un croissant, s'il vous plaît.",
        "Le chat dort sur le canapé depuis ce matin.",
        "Oggi il cielo è nuvoloso e fa freddo.",
        "Eu gosto de ler livros na praia.",
        "Wij gaan volgend jaar op vakantie naar Spanje.",
        "Bugün hava çok güzel, parka gidelim.",
        "Jutro idę do kina z przyjaciółmi.",
        "Я люблю гулять в парке осенью.",
        "今日はとても暑いですね。",
        "我喜欢在周末去公园散步。",
        "Kesho tutaenda sokoni kununua matunda.",
        "Minä pidän kahvista aamulla.",
    ),
    (
        "Das Wetter ist heute sehr schön.",
        "Meine Großmutter wohnt in einem kleinen Dorf.",
        "¿Dónde está la estación de autobuses?",
        "Nos gusta cenar tarde los domingos.",
        "Il pleut beaucoup en novembre à Paris.",
        "Nous avons visité le musée hier après-midi.",
        "Mi piace molto la pizza con i funghi.",
        "O comboio para Lisboa está atrasado.",
        "De fiets staat achter het huis.",
        "Akşam yemeğinde balık yedik.",
        "Lubię słuchać muzyki klasycznej.",
        "Завтра будет идти снег.",
        "駅はどこですか。",
        "他每天早上喝一杯茶。",
        "Watoto wanacheza mpira uwanjani.",
        "Jag har två katter och en hund.",
    ),
)

# Expert answers to questions from other subjects (never about circuits).
OFF_DOMAIN_EXPERT = (
    (
        "Photosynthesis converts light energy, water and carbon dioxide into glucose and oxygen.",
        "The French Revolution began in 1789 and ended the absolute monarchy.",
        "Mitochondria produce most of the cell's ATP through cellular respiration.",
        "The area of a circle is pi times the radius squared.",
        "Supply and demand determine the market price of a good.",
        "Plate tectonics explains earthquakes and the formation of mountains.",
        "A haiku has three lines with five, seven and five syllables.",
        "Water boils at 100 degrees Celsius at sea level.",
        "DNA is a double helix made of nucleotides.",
        "The Treaty of Versailles ended the First World War in 1919.",
        "Shakespeare wrote Hamlet around the year 1600.",
        "The derivative of x squared is two x.",
    ),
    (
        "Evaporation turns liquid water into water vapour when it is heated by the sun.",
        "The Roman Empire was divided into an eastern and a western half.",
        "Enzymes speed up chemical reactions without being used up.",
        "The Pythagorean theorem says a squared plus b squared equals c squared.",
        "Inflation is a general rise in prices over time.",
        "Volcanoes form where magma rises through the crust.",
        "A sonnet is a poem of fourteen lines.",
        "The moon orbits the earth about once every 27 days.",
        "Red blood cells carry oxygen using haemoglobin.",
        "The printing press was invented by Gutenberg around 1440.",
        "Verbs describe actions, nouns name things.",
        "A prime number has exactly two divisors.",
    ),
)

_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")


def gibberish(rng: np.random.Generator) -> str:
    """Random pseudo-words: letters drawn at random, 1-6 words."""
    words = []
    for _ in range(int(rng.integers(1, 7))):
        n = int(rng.integers(2, 10))
        words.append("".join(rng.choice(list(string.ascii_lowercase), n)))
    return " ".join(words)


def keyboard_mash(rng: np.random.Generator) -> str:
    """Runs of neighbouring keys, repeated syllables and the like (``asdfasdf``, ``jkjkjk``)."""
    row = _KEYBOARD_ROWS[int(rng.integers(len(_KEYBOARD_ROWS)))]
    kind = int(rng.integers(3))
    if kind == 0:  # a run along the row, maybe repeated
        start = int(rng.integers(0, len(row) - 3))
        run = row[start : start + int(rng.integers(3, len(row) - start + 1))]
        return run * int(rng.integers(1, 4))
    if kind == 1:  # two keys alternating
        a, b = rng.choice(list(row), 2, replace=False)
        return (a + b) * int(rng.integers(3, 9))
    keys = rng.choice(list(row), int(rng.integers(4, 15)))  # random keys from one row, spaced
    text = "".join(keys)
    cut = int(rng.integers(1, len(text)))
    return text[:cut] + " " + text[cut:]


def question_copy(question: str, rng: np.random.Generator) -> str:
    """The question itself, or a lightly edited copy (lower case, no '?', a fragment)."""
    kind = int(rng.integers(4))
    q = question.strip()
    if kind == 0:
        return q
    if kind == 1:
        return q.lower().rstrip("?")
    if kind == 2:
        words = q.split()
        k = max(3, int(len(words) * rng.uniform(0.5, 0.9)))
        return " ".join(words[:k])
    return "the question is " + q.lower()


def make_junk(
    question: str,
    other_answers: Sequence[str],
    other_references: Sequence[str],
    rng: np.random.Generator,
    per_category: int = 1,
    pool: int = 0,
) -> pd.DataFrame:
    """Junk answers to ``question``: ``per_category`` of each :data:`JUNK_CATEGORIES`.

    ``other_answers`` / ``other_references`` are student and reference answers to
    *other* questions. ``pool`` (0 or 1) picks disjoint halves of the fixed sentence
    pools, so the adversarial evaluation (pool 1) never reuses a training sentence.
    Returns a DataFrame with ``answer`` and ``category``.
    """
    if pool not in (0, 1):
        raise ValueError(f"pool must be 0 (training) or 1 (evaluation), got {pool!r}.")
    rows = []
    for _ in range(per_category):
        rows += [
            (gibberish(rng), "gibberish"),
            (keyboard_mash(rng), "keyboard_mash"),
            (question_copy(question, rng), "question_copy"),
            (str(rng.choice(OTHER_LANGUAGE[pool])), "other_language"),
            (str(rng.choice(OFF_DOMAIN_EXPERT[pool])), "off_domain_expert"),
            (["", " ", "?", "...", "-"][int(rng.integers(5))], "empty"),
        ]
        if len(other_answers):
            rows.append((str(rng.choice(list(other_answers))), "other_question_answer"))
        if len(other_references):
            rows.append((str(rng.choice(list(other_references))), "other_question_reference"))
    return pd.DataFrame(rows, columns=["answer", "category"])


def other_question_pools(
    df: pd.DataFrame,
    question_id: str,
    source: pd.DataFrame | None = None,
    model_id: str = DEFAULT_EMBEDDING_MODEL,
    max_similarity: float = 0.4,
) -> tuple[list[str], list[str]]:
    """Student and reference answers (from ``source``, default ``df``) to unrelated questions.

    Many Beetle questions are near-duplicates of each other ("Explain why you got a
    voltage reading of 1.5 / of 0 for terminal 1 ..."), and their answers really are on
    topic for one another. A question counts as unrelated when both its question text
    and its reference answer have cosine similarity below ``max_similarity`` with
    ``question_id``'s (embeddings cached by :func:`course_utils.embeddings.encode`).
    """
    source = df if source is None else source
    qs = pd.concat([df, source]).drop_duplicates("question_id")[["question_id", "question", "reference_answer"]]
    if question_id not in set(qs["question_id"]):
        raise ValueError(f"question_id {question_id!r} is not in df.")
    Q = _embed(qs["question"].tolist(), model_id, True)
    R = _embed(qs["reference_answer"].tolist(), model_id, True)
    k = qs["question_id"].tolist().index(question_id)
    sim = np.maximum(Q @ Q[k], R @ R[k])
    unrelated = set(qs["question_id"][sim < max_similarity])
    other = source[source["question_id"].isin(unrelated)]
    return other["student_answer"].dropna().tolist(), other["reference_answer"].drop_duplicates().tolist()
