"""Features of (question, answer) pairs for the relevance model.

Taught in notebook 18: similarities to the question and to answers known to be on
topic, their question-adaptive z-scores, a bank of other questions, word overlap and
surface statistics.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

import numpy as np

from course_utils.hub import MINILM_ID

DEFAULT_EMBEDDING_MODEL = MINILM_ID


def _embed(texts: Sequence[str], model_id: str, use_disk: bool) -> np.ndarray:
    from course_utils.embeddings import encode

    return encode(list(texts), model_id=model_id, use_disk=use_disk)


def has_content(text: str) -> bool:
    """False for answers with no letter or digit: empty, punctuation or emoji only (rejected without a model)."""
    return bool(re.search(r"\w", text or ""))


def surface_features(answers: Sequence[str]) -> np.ndarray:
    """Cheap text statistics that expose junk: length, letters, vowels, repeats, spaces.

    The last column is the share of distinct character trigrams: about 1 for prose,
    low for a repeated pattern such as ``eoeoeoeo`` or ``asdfasdf``.
    """
    feats = []
    for text in answers:
        t = text or ""
        letters = [c for c in t.lower() if c.isalpha()]
        n = max(len(t), 1)
        ascii_letters = [c for c in letters if c in string.ascii_lowercase]
        vowels = sum(c in "aeiou" for c in ascii_letters)
        words = t.split()
        feats.append(
            [
                np.log1p(len(t)),
                np.log1p(len(words)),
                len(letters) / n,
                len(ascii_letters) / max(len(letters), 1),
                vowels / max(len(ascii_letters), 1),
                len(set(t.lower())) / n,
                max((len(w) for w in words), default=0) / 20,
                len({t[i : i + 3] for i in range(len(t) - 2)}) / (len(t) - 2) if len(t) > 2 else 1.0,
            ]
        )
    return np.asarray(feats, dtype=np.float32)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", (text or "").lower()))


def question_overlap(questions: Sequence[str], answers: Sequence[str]) -> np.ndarray:
    """Share of each answer's words that also occur in its question (1.0 for a copied question)."""
    out = []
    for q, a in zip(questions, answers):
        wa = _words(a)
        out.append(len(wa & _words(q)) / len(wa) if wa else 1.0)
    return np.asarray(out, dtype=np.float32)


# Words a student may wrap around a copied question ("the question is ...", "i think ...").
COPY_FILLER = frozenset("the a an is are it this that question i my think answer".split())


def is_question_copy(question: str, answer: str, min_words: int = 3, min_cover: float = 0.4) -> bool:
    """True when ``answer`` only repeats the question: a transparent rule, no model.

    Every answer word must be a question word or one of :data:`COPY_FILLER`, and the
    answer must either contain every question word ("Why?" -> "why") or be at least
    ``min_words`` words long and cover ``min_cover`` of the question's distinct words.
    A short restatement that adds a word ("because z was closed") is left to the model.
    On Beetle's training answers this flags 2 of 3,941 real answers (one of them an
    on-topic ``contradictory`` answer that negates the question).
    """
    wa, wq = _words(answer), _words(question)
    if not wa or not wa <= wq | COPY_FILLER:
        return False
    shared = wa & wq
    return shared >= wq or (len(re.findall(r"[a-z0-9]+", answer.lower())) >= min_words
                            and len(shared) >= min_cover * len(wq))


def context_similarity(a_emb: np.ndarray, ctx_emb: np.ndarray) -> np.ndarray:
    """``(n, 2)``: the highest and the mean of the top-3 cosine similarities to known answers."""
    S = np.atleast_2d(a_emb) @ np.atleast_2d(ctx_emb).T
    k = min(3, S.shape[1])
    top = -np.sort(-S, axis=1)[:, :k]
    return np.column_stack([top[:, 0], top.mean(1)]).astype(np.float32)


def _unit_centroid(embeddings: np.ndarray) -> np.ndarray:
    """The mean of ``embeddings`` scaled to length 1 (cosine similarity is then a dot product)."""
    centroid = np.atleast_2d(embeddings).mean(0)
    return centroid / max(float(np.linalg.norm(centroid)), 1e-12)


def _spread(values: np.ndarray) -> tuple[float, float]:
    """Mean and a floored standard deviation (so a tight cluster does not divide by ~0)."""
    return float(values.mean()), max(float(values.std()), 0.02)


def adaptive_features(a_emb: np.ndarray, ctx_emb: np.ndarray, q_emb: np.ndarray) -> np.ndarray:
    """``(n, 3)`` question-adaptive features: each answer compared with the known answers' own spread.

    1. nearest-known-answer similarity, standardised by the known answers' leave-one-out
       nearest-neighbour similarities (a question whose answers cluster tightly sets a
       tighter bar than one with varied answers);
    2. ``cos(question, answer)`` standardised by the known answers' similarities to the
       question;
    3. similarity to the known answers' centroid, standardised the same way.

    A raw similarity of 0.6 means "on topic" for one question and "another question's
    answer" for the next; these z-scores put every question on one scale.
    """
    A, C = np.atleast_2d(a_emb), np.atleast_2d(ctx_emb)
    q = np.atleast_2d(q_emb)[0]
    if len(C) < 2:
        raise ValueError("adaptive features need at least 2 known on-topic answers.")
    cc = C @ C.T
    np.fill_diagonal(cc, -np.inf)
    m_nn, s_nn = _spread(cc.max(1))
    m_q, s_q = _spread(C @ q)
    centroid = _unit_centroid(C)
    m_c, s_c = _spread(C @ centroid)
    nn = (A @ C.T).max(1)
    return np.column_stack([(nn - m_nn) / s_nn, (A @ q - m_q) / s_q, (A @ centroid - m_c) / s_c]).astype(np.float32)


def bank_features(
    a_emb: np.ndarray,
    ctx_emb: np.ndarray,
    q_emb: np.ndarray,
    bank_q: np.ndarray,
    bank_c: np.ndarray,
    max_centroid_sim: float = 0.8,
    max_question_sim: float = 0.4,
) -> np.ndarray:
    """``(n, 2)``: does the answer look more like an answer to another *known* question?

    ``bank_q`` / ``bank_c`` hold the questions the relevance model was trained on and
    the centroids of their real answers. Known questions related to this one (question
    cosine >= ``max_question_sim`` or answer-centroid cosine >= ``max_centroid_sim``,
    e.g. "voltage reading of 1.5 for terminal 1" vs "terminal 2") are skipped, since
    their answers are on topic here too. Columns: the highest cosine to an unrelated
    known question's centroid, and the cosine to this question's centroid minus it.
    """
    A, centroid = np.atleast_2d(a_emb), _unit_centroid(ctx_emb)
    q = np.atleast_2d(q_emb)[0]
    unrelated = (bank_q @ q < max_question_sim) & (bank_c @ centroid < max_centroid_sim)
    other = (A @ bank_c[unrelated].T).max(1) if unrelated.any() else np.zeros(len(A), dtype=np.float32)
    return np.column_stack([other, A @ centroid - other]).astype(np.float32)


def relevance_features(
    q_emb: np.ndarray,
    a_emb: np.ndarray,
    questions: Sequence[str],
    answers: Sequence[str],
    ctx_sim: np.ndarray,
    embedding_features: bool = True,
) -> np.ndarray:
    """Features of (question, answer) pairs.

    ``q*a`` and ``|q-a|`` (how the answer relates to the question), ``cos(q, a)``,
    the answer's similarity to answers known to be on topic for this question
    (``ctx_sim``: :func:`context_similarity`, optionally followed by the columns of
    :func:`adaptive_features` and :func:`bank_features`), word overlap with the question and surface statistics.
    The raw answer embedding is left out on purpose: with it the MLP memorises which
    topics occur in training and waves through an on-domain answer to another question.
    """
    q_emb = np.atleast_2d(q_emb)
    a_emb = np.atleast_2d(a_emb)
    if len(q_emb) == 1 and len(a_emb) > 1:
        q_emb = np.repeat(q_emb, len(a_emb), axis=0)
    cos = (q_emb * a_emb).sum(1, keepdims=True)
    overlap = question_overlap(questions, answers)[:, None]
    scalars = [cos, ctx_sim, overlap, surface_features(answers)]
    if not embedding_features:
        return np.hstack(scalars)
    return np.hstack([q_emb * a_emb, np.abs(q_emb - a_emb), *scalars])
