"""Input checks shared by the course's modules, so every one fails the same clear way."""

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
