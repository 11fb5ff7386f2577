"""Input checks shared by the course's modules, so every one fails the same clear way.

Used throughout; the first errors a learner meets come from here (notebook 03).
"""

from __future__ import annotations

from collections.abc import Iterable


def check_texts(texts: Iterable[str], name: str = "texts") -> list[str]:
    """Return ``texts`` as a list of strings, or raise ``ValueError`` saying what to fix.

    Rejects a single string (it would be read letter by letter), an empty collection,
    and any element that is not a string (``None``, NaN from a missing cell, ...).
    """
    if isinstance(texts, str):
        raise ValueError(
            f"{name} must be a list of texts, not one string (a single string would be read "
            "letter by letter): wrap it as [text]."
        )
    texts = list(texts)
    if not texts:
        raise ValueError(f"{name} is empty: pass at least one text.")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise ValueError(f"{name}[{i}] is {type(t).__name__}, not a string; drop or fill it.")
    return texts


def check_score_range(values, lo: int, hi: int, name: str = "scores", hint: str = ""):
    """Return ``values`` as a NumPy array, or raise ``ValueError`` if any lies outside ``lo..hi``.

    The message counts the offending values and shows one, so a wrong scale (0-24 scores
    against a 0-12 model, say) is named at once instead of giving a wrong number later.
    """
    import numpy as np

    arr = np.asarray(values)
    outside = arr[(arr < lo) | (arr > hi)]
    if outside.size:
        raise ValueError(
            f"{name} has {outside.size} score(s) outside the range {lo}-{hi} "
            f"(e.g. {outside[0]}){'; ' + hint if hint else ''}."
        )
    return arr
