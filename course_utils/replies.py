"""Reading a score from a model's reply: ``parse_score``. Taught in notebook 14.

A generated reply is free text. The parser looks for the score the prompt asked for and
refuses to guess: no score, two different scores, a decimal, a negative number or a
value outside the range all give ``None`` ("unparseable"), which the notebooks count and
report. :mod:`course_utils.prompts` avoids parsing altogether by reading the model's
probabilities over the answers ``**Score**: 0`` .. ``**Score**: 12``.
"""

from __future__ import annotations

import re

_NUM = r"((?<![\w.])[-−]?\d+(?:\.\d+)?)"  # a sign is read, so "-1" is refused, never "1"
_OUT_OF = r"(?:\s*(?:/|out\s+of)\s*(\d+))?"
_SEP = r"\s*(?:\*\*)?\s*(?:\([^)]{0,20}\))?\s*(?:\*\*)?\s*(?:[:=]|is|of)?\s*(?:\*\*)?\s*"
_STRONG = re.compile(
    r"(?:\*\*\s*score\s*\*\*|\b(?:final|total|overall|holistic)(?:\s+score)?\b)" + _SEP + _NUM + _OUT_OF,
    re.IGNORECASE,
)
_LABELLED = re.compile(r"\bscore\b" + _SEP + _NUM + _OUT_OF, re.IGNORECASE)
_LAST_LINE = re.compile(r"^[^\w−-]*" + _NUM + _OUT_OF + r"\W*$")
_ANY = re.compile(r"(?<![\d.])" + _NUM + _OUT_OF + r"(?![\d])")
#: A second score offered right after the first: "4 or maybe 9", "4-5", "4 to 5", "4 (or 6)".
_ALTERNATIVE = re.compile(
    r"^\s*(?:\*\*)?\s*\(?\s*(?:,|;|/|-|–|—|or|to|and|\|)\s*"
    r"(?:(?:maybe|perhaps|possibly|probably|even|a|an)\s+)*[-−]?(\d+)",
    re.IGNORECASE,
)


def _valid(matches: list[tuple[str, str]], lo: int, hi: int) -> int | None:
    values = set()
    for number, out_of in matches:
        value = float(number.replace("−", "-"))
        if value != int(value) or not lo <= value <= hi or (out_of and int(out_of) != hi):
            return None
        values.add(int(value))
    return values.pop() if len(values) == 1 else None


def _hedged(pattern: re.Pattern, text: str) -> bool:
    """True when a score found by ``pattern`` is followed by another one ("4 or 9")."""
    for m in pattern.finditer(text):
        alt = _ALTERNATIVE.match(text[m.end():])
        if alt and alt.group(1) != m.group(1):
            return True
    return False


def parse_score(text: str | None, min_score: int = 0, max_score: int = 12) -> int | None:
    """The integer score in a model's reply, or ``None`` -- never raises.

    Looks, in order, for ``**Score**: 7`` / ``Final score: 7`` / ``Total: 7``, then any
    ``score: 7`` / ``score of 7``, then a last line that is just a number, then a single
    number anywhere. ``"7/12"`` and ``"7 out of 12"`` count when the denominator is
    ``max_score``. ``None`` when there is no score, several different ones (``"Score: 4
    or maybe 9"``), a decimal, a negative number or a value outside
    ``min_score..max_score``: a guess would be worse than an honest "unparseable".
    """
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        for pattern in (_STRONG, _LABELLED):
            found = pattern.findall(text)
            if found:
                return None if _hedged(pattern, text) else _valid(found, min_score, max_score)
        lines = [ln for ln in text.strip().splitlines() if ln.strip()]
        last = _LAST_LINE.match(lines[-1].strip())
        if last:
            return _valid([last.groups()], min_score, max_score)
        found = _ANY.findall(text)
        return _valid(found, min_score, max_score) if found else None
    except Exception:  # a parser must never crash a scoring run
        return None
