"""Short-answer grading: a millisecond few-shot grader with a relevance guard.

The pieces (notebooks 17-19):

* :func:`newton_logreg` -- multinomial logistic regression fitted by Newton's method in
  torch. The objective is scikit-learn's with ``C = 1 / l2``::

      sum_i cross_entropy(x_i W + b, y_i) + l2 / 2 * ||W||^2      (b not penalised)

  When there are fewer answers than embedding dimensions (20-30 answers, 384 dims) the
  problem is solved exactly in the row space of ``X`` (an SVD), so one Newton step
  solves a system of about ``30 x n_classes`` unknowns instead of ``384 x n_classes``.
* :func:`hypergradient` -- the derivative of a validation loss with respect to
  ``log(l2)``, through the Newton solution, by the implicit function theorem;
  :func:`meta_learn_l2` uses it to learn one L2 strength shared by all questions.
* :class:`RelevanceModel` -- a small MLP on similarities between the answer, the
  question, the grader's graded answers and other known questions' answers, plus a
  rule for copies of the question, that says whether an answer is an attempt at
  *this* question. Trained with real answers as positives and, as negatives, answers
  to other questions plus generated junk (:data:`JUNK_CATEGORIES`). A wrong or
  incomplete on-topic answer is relevant.
* :class:`FewShotGrader` -- ``fit(question, answers, grades)`` from a handful of graded
  answers; ``predict`` gives grade 0 to every answer the relevance model rejects.
  Embeddings come from :func:`course_utils.embeddings.encode`, cached by text hash, so
  a regrade embeds only the new answer.

**Beetle grades.** Beetle's 3-way labels are mapped to the integer grades
:data:`BEETLE_GRADES`: ``incorrect = 0``, ``contradictory = 1``, ``correct = 2``. Grade
0 is the grade for "no credit / not an answer": Beetle itself files irrelevant and
non-domain answers under ``incorrect`` (together with partially correct ones), so the
relevance guard's 0 is exactly Beetle's label for a non-answer. 1 and 2 are class codes,
not a credit scale (a contradictory answer is not "half right"). Where 5-way labels
exist, :data:`BEETLE_GRADES_5WAY` gives an ordinal 0-3 scale (0 = irrelevant or
non-domain, 1 = contradictory, 2 = partially correct / incomplete, 3 = correct).
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import pandas as pd

from course_utils.config import SEED

BEETLE_GRADES = {"incorrect": 0, "contradictory": 1, "correct": 2}
GRADE_TO_3WAY = {v: k for k, v in BEETLE_GRADES.items()}
BEETLE_GRADES_5WAY = {
    "irrelevant": 0,
    "non_domain": 0,
    "contradictory": 1,
    "partially_correct_incomplete": 2,
    "correct": 3,
}
DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"

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


# --------------------------------------------------------------------------------------
# Newton's method for multinomial logistic regression
# --------------------------------------------------------------------------------------
class NewtonResult(NamedTuple):
    """A fitted multinomial logistic regression (shapes as scikit-learn's)."""

    coef: np.ndarray  # (n_classes, n_features)
    intercept: np.ndarray  # (n_classes,), centred to sum to 0
    n_iter: int
    grad_norm: float


@contextmanager
def single_thread():
    """Run torch on one thread inside the block (restored afterwards).

    Newton steps on 30 answers are tiny matrix operations; on a busy 2-core machine a
    second thread only adds synchronisation waits (measured: ~10x slower).
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _check_xy(X, y, n_classes: int, l2: float):
    import torch

    X = torch.as_tensor(np.asarray(X, dtype=np.float64))
    y = torch.as_tensor(np.asarray(y)).long()
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (n_answers, n_features), got shape {tuple(X.shape)}.")
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"y must be 1-D with one label per row of X ({len(X)}), got shape {tuple(y.shape)}.")
    if len(X) == 0:
        raise ValueError("X is empty: pass at least one graded answer.")
    if not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}.")
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"y must hold class indices 0..{n_classes - 1}; found {int(y.min())}..{int(y.max())}.")
    if not np.isfinite(l2) or l2 <= 0:
        raise ValueError(f"l2 must be a positive number (scikit-learn's C = 1 / l2), got {l2!r}.")
    if not torch.isfinite(X).all():
        raise ValueError("X contains NaN or infinite values.")
    return X, y


def _row_space(X):
    """An orthonormal basis V of X's row space when that is smaller than X's width."""
    import torch

    n, d = X.shape
    if d <= n + 1:
        return None
    _, s, vh = torch.linalg.svd(X, full_matrices=False)
    keep = s > s[0] * 1e-10 if len(s) and s[0] > 0 else s > 0
    return vh[keep].T if keep.any() else vh[:1].T


def _augment(Z):
    import torch

    return torch.cat([Z, torch.ones(len(Z), 1, dtype=Z.dtype)], dim=1)


def _loss(Zt, Y, theta, l2):
    """Penalised summed cross-entropy for parameters theta (r+1, K); last row = intercept."""
    F = Zt @ theta
    return -(Y * F.log_softmax(1)).sum() + 0.5 * l2 * (theta[:-1] ** 2).sum()


def _grad_hess(Zt, Y, theta, l2):
    """Gradient (r+1, K) and Hessian ((r+1)K, (r+1)K) of :func:`_loss`."""
    import torch

    P = (Zt @ theta).softmax(1)
    mask = torch.ones_like(theta)
    mask[-1] = 0
    grad = Zt.T @ (P - Y) + l2 * mask * theta
    S = torch.diag_embed(P) - P[:, :, None] * P[:, None, :]  # (n, K, K)
    p, k = theta.shape
    # H[(i,k),(j,l)] = sum_n Zt[n,i] Zt[n,j] S[n,k,l]: K*K small matrix products.
    C = Zt[None, None] * S.permute(1, 2, 0)[..., None]  # (K, K, n, p)
    H = (Zt.T @ C).permute(2, 0, 3, 1).reshape(p * k, p * k)
    H = H + l2 * torch.diag(mask.reshape(-1))
    return grad, H


def _free(theta):
    """Index of the free parameters: every entry except the first class's intercept."""
    import torch

    free = torch.ones(theta.numel(), dtype=torch.bool)
    free[(theta.shape[0] - 1) * theta.shape[1]] = False  # b_0 = 0 fixes the softmax shift
    return free


def _newton(Zt, Y, l2, max_iter, tol):
    import torch

    theta = torch.zeros(Zt.shape[1], Y.shape[1], dtype=Zt.dtype)
    free = _free(theta)
    loss = _loss(Zt, Y, theta, l2)
    gnorm = float("inf")
    for it in range(1, max_iter + 1):
        grad, H = _grad_hess(Zt, Y, theta, l2)
        g = grad.reshape(-1)[free]
        gnorm = float(g.abs().max())
        if gnorm <= tol * max(1.0, len(Zt)):
            return theta, it - 1, gnorm
        step = torch.zeros_like(theta).reshape(-1)
        step[free] = torch.linalg.solve(H[free][:, free], g)
        step = step.reshape(theta.shape)
        t, slope = 1.0, float((g * step.reshape(-1)[free]).sum())
        while True:  # backtracking (Armijo) line search: rarely needed, keeps it safe
            new = theta - t * step
            new_loss = _loss(Zt, Y, new, l2)
            if new_loss <= loss - 1e-4 * t * slope or t < 1e-8:
                break
            t /= 2
        theta, loss = new, new_loss
    grad, _ = _grad_hess(Zt, Y, theta, l2)
    return theta, max_iter, float(grad.reshape(-1)[free].abs().max())


def newton_logreg(
    X, y, n_classes: int, l2: float = 1.0, max_iter: int = 30, tol: float = 1e-9
) -> NewtonResult:
    """Multinomial logistic regression by Newton's method (float64 torch).

    Minimises ``sum_i CE(x_i W + b, y_i) + l2/2 ||W||^2`` with the intercept ``b``
    unpenalised -- scikit-learn's ``LogisticRegression(C=1/l2)`` objective, so both
    give the same ``coef_`` and (centred) ``intercept_``. ``y`` holds class indices
    ``0..n_classes-1``; a class with no examples simply gets a low probability.
    For two classes scikit-learn fits a single logit; that is the same model as ours
    with ``C = 2 / l2`` (our two weight vectors are ``-w/2`` and ``+w/2``).
    Converges in a handful of iterations (quadratic convergence near the optimum).
    """
    import torch

    X, y = _check_xy(X, y, n_classes, l2)
    with single_thread():
        V = _row_space(X)
        Z = X if V is None else X @ V
        Y = torch.nn.functional.one_hot(y, n_classes).to(X.dtype)
        theta, n_iter, gnorm = _newton(_augment(Z), Y, l2, max_iter, tol)
        W = theta[:-1] if V is None else V @ theta[:-1]
        b = theta[-1] - theta[-1].mean()
    return NewtonResult(W.T.numpy().copy(), b.numpy().copy(), n_iter, gnorm)


def softmax_proba(X, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """Class probabilities ``softmax(X coef.T + intercept)`` (NumPy, for fast prediction)."""
    F = np.asarray(X, dtype=np.float64) @ np.asarray(coef, dtype=np.float64).T + intercept
    F -= F.max(axis=1, keepdims=True)
    E = np.exp(F)
    return E / E.sum(axis=1, keepdims=True)


# --------------------------------------------------------------------------------------
# Implicit differentiation through the Newton solution
# --------------------------------------------------------------------------------------
class Hypergradient(NamedTuple):
    """A validation loss and its derivative with respect to ``log(l2)``."""

    loss: float
    grad: float


def hypergradient(X, y, X_val, y_val, n_classes: int, log_l2: float) -> Hypergradient:
    """Mean validation cross-entropy of the Newton fit and ``d loss / d log(l2)``.

    At the optimum ``theta*(l2)`` the gradient of the training objective vanishes,
    ``g(theta*, l2) = 0``. Differentiating this identity (implicit function theorem):
    ``d theta*/d l2 = -H^{-1} dg/dl2`` with ``dg/dl2 = W`` (the penalised part of theta)
    and ``H`` the Hessian at the optimum. The chain rule gives
    ``dL_val/d log(l2) = l2 * grad_theta L_val . d theta*/d l2``. No unrolling of the
    Newton iterations is needed.
    """

    l2 = float(np.exp(log_l2))
    X, y = _check_xy(X, y, n_classes, l2)
    X_val, y_val = _check_xy(X_val, y_val, n_classes, l2)
    if X_val.shape[1] != X.shape[1]:
        raise ValueError(f"X_val has {X_val.shape[1]} features, X has {X.shape[1]}.")
    with single_thread():
        return _hypergradient(X, y, X_val, y_val, n_classes, l2)


def _hypergradient(X, y, X_val, y_val, n_classes: int, l2: float) -> Hypergradient:
    import torch

    V = _row_space(X)
    Zt = _augment(X if V is None else X @ V)
    Zt_val = _augment(X_val if V is None else X_val @ V)
    Y = torch.nn.functional.one_hot(y, n_classes).to(X.dtype)
    Y_val = torch.nn.functional.one_hot(y_val, n_classes).to(X.dtype)
    theta, _, _ = _newton(Zt, Y, l2, 50, 1e-12)
    free = _free(theta)
    _, H = _grad_hess(Zt, Y, theta, l2)
    dg_dl2 = theta.clone()
    dg_dl2[-1] = 0  # the intercept is not penalised
    dtheta = torch.zeros(theta.numel(), dtype=theta.dtype)
    dtheta[free] = -torch.linalg.solve(H[free][:, free], dg_dl2.reshape(-1)[free])
    P_val = (Zt_val @ theta).softmax(1)
    loss = float(-(Y_val * (Zt_val @ theta).log_softmax(1)).sum() / len(Zt_val))
    grad_val = (Zt_val.T @ (P_val - Y_val) / len(Zt_val)).reshape(-1)
    return Hypergradient(loss, float(l2 * (grad_val @ dtheta)))


def meta_learn_l2(
    tasks: Sequence[tuple],
    n_classes: int,
    log_l2: float = 0.0,
    steps: int = 30,
    lr: float = 0.5,
    verbose: bool = False,
) -> tuple[float, list[dict]]:
    """Learn one ``log(l2)`` shared by many questions by gradient descent on the hypergradient.

    ``tasks`` is a list of ``(X_support, y_support, X_query, y_query)``: per question, a
    few graded answers to fit on and held-out answers to score the fit. The objective is
    the mean query cross-entropy over questions. Plain gradient descent with the step
    clipped to 1 (in log space) keeps it stable. Returns the final ``log(l2)`` and the
    history (``log_l2, loss, grad`` per step).
    """
    if not tasks:
        raise ValueError("tasks is empty: pass at least one (X, y, X_val, y_val) tuple.")
    history = []
    for step in range(steps):
        parts = [hypergradient(*task, n_classes=n_classes, log_l2=log_l2) for task in tasks]
        loss = float(np.mean([p.loss for p in parts]))
        grad = float(np.mean([p.grad for p in parts]))
        history.append({"step": step, "log_l2": log_l2, "l2": float(np.exp(log_l2)), "loss": loss, "grad": grad})
        if verbose:
            print(f"step {step:2d}  l2={np.exp(log_l2):8.4f}  query CE={loss:.4f}  d/dlog(l2)={grad:+.4f}")
        log_l2 -= float(np.clip(lr * grad, -1.0, 1.0))
    return log_l2, history


# --------------------------------------------------------------------------------------
# Junk answers for the relevance model and the adversarial evaluation
# --------------------------------------------------------------------------------------
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


def has_content(text: str) -> bool:
    """False for empty or punctuation-only answers (the guard rejects them without a model)."""
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


# --------------------------------------------------------------------------------------
# Relevance model
# --------------------------------------------------------------------------------------
def _embed(texts: Sequence[str], model_id: str, use_disk: bool) -> np.ndarray:
    from course_utils.embeddings import encode

    return encode(list(texts), model_id=model_id, use_disk=use_disk)


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


class RelevanceModel:
    """Is this answer an attempt at this question? An MLP on similarities, plus one rule.

    ``fit(questions, answers, relevant)`` takes parallel lists; :meth:`training_set`
    builds them from graded answers (positives: real answers, including wrong and
    incomplete ones; negatives: answers to unrelated questions and generated junk).
    The MLP never sees a raw embedding (with the element-wise products, measured on
    Beetle's unseen questions, it memorised the training topics and rejected about a
    fifth of real answers). It sees, for each (question, answer) pair:

    * ``cos(question, answer)`` and how close the answer is to a few answers *known* to
      be on topic (``context``: in a :class:`FewShotGrader`, its graded answers; in
      training, ``n_context`` other real answers to the same question);
    * ``adaptive=True``: the same similarities standardised by the known answers' own
      spread (:func:`adaptive_features`), so a question whose answers cluster tightly
      sets a tighter bar;
    * ``question_bank=True``: the highest similarity to the answer centroid of another,
      unrelated *training* question, and the margin to this question's centroid
      (:func:`bank_features`). This catches on-domain answers to other questions, the
      hardest junk: they use the right words but look more like another question's
      answers than like this one's;
    * word overlap with the question and surface statistics (:func:`surface_features`).

    Two inputs get relevance 0 without asking the MLP: empty or punctuation-only
    answers, and (``copy_rule=True``) copies of the question (:func:`is_question_copy`).

    Design choices (features, ``hidden=(64, 32)``, threshold 0.5) were made on dev
    questions carved from Beetle's training split, never on its test splits. In those
    exploratory comparisons the question bank helped most; harder training negatives,
    more negatives, sub-centroids in the bank and a per-question threshold did not.
    The measured figures are those of ``python -m course_tools.short_answer_results``.
    """

    def __init__(
        self,
        model_id: str = DEFAULT_EMBEDDING_MODEL,
        hidden: tuple[int, ...] = (64, 32),
        threshold: float = 0.5,
        alpha: float = 1e-3,
        max_iter: int = 200,
        n_context: int = 30,
        embedding_features: bool = False,
        adaptive: bool = True,
        copy_rule: bool = True,
        question_bank: bool = True,
        bank_centroid_sim: float = 0.8,
        use_disk: bool = True,
        random_state: int = SEED,
    ):
        self.embedding_features = embedding_features
        self.adaptive = adaptive
        self.copy_rule = copy_rule
        self.question_bank = question_bank
        self.bank_centroid_sim = bank_centroid_sim
        self.model_id = model_id
        self.hidden = hidden
        self.threshold = threshold
        self.alpha = alpha
        self.max_iter = max_iter
        self.n_context = n_context
        self.use_disk = use_disk
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict:
        """The constructor arguments (scikit-learn convention)."""
        keys = ("model_id", "hidden", "threshold", "alpha", "max_iter", "n_context", "embedding_features",
                "adaptive", "copy_rule", "question_bank", "bank_centroid_sim", "use_disk", "random_state")
        return {k: getattr(self, k) for k in keys}

    @staticmethod
    def training_set(
        df: pd.DataFrame,
        negatives_per_question: int = 6,
        seed: int = SEED,
        exclude_labels: Sequence[str] = ("irrelevant", "non_domain"),
        model_id: str = DEFAULT_EMBEDDING_MODEL,
    ) -> pd.DataFrame:
        """(question, answer, relevant, category) rows from graded answers in :func:`load_short_answers` form.

        Positives: every answer except those whose 5-way ``label`` is in
        ``exclude_labels`` (Beetle's own irrelevant / non-domain answers, which become
        negatives). Negatives per question: ``negatives_per_question`` of each junk
        category (:func:`make_junk`, training pool 0), including answers to unrelated
        questions (shuffled pairs).
        """
        if not {"question_id", "question", "student_answer"} <= set(df.columns):
            raise ValueError("df needs question_id, question and student_answer columns (load_short_answers).")
        rng = np.random.default_rng(seed)
        labels = df["label"] if "label" in df.columns else pd.Series(None, index=df.index)
        is_junk = labels.isin(list(exclude_labels))
        rows = []
        for part, relevant, category in ((df[~is_junk], 1, "real_answer"), (df[is_junk], 0, "labelled_non_answer")):
            rows.append(pd.DataFrame({"question_id": part["question_id"], "question": part["question"],
                                      "answer": part["student_answer"].fillna(""), "relevant": relevant,
                                      "category": category}))
        for qid, group in df.groupby("question_id", sort=True):
            question = group["question"].iloc[0]
            answers, refs = other_question_pools(df, qid, model_id=model_id)
            junk = make_junk(question, answers, refs, rng, per_category=negatives_per_question, pool=0)
            junk.insert(0, "question", question)
            junk.insert(0, "question_id", qid)
            junk["relevant"] = 0
            rows.append(junk[["question_id", "question", "answer", "relevant", "category"]])
        out = pd.concat(rows, ignore_index=True)
        return out[out["answer"].map(has_content)].reset_index(drop=True)

    def fit(
        self,
        questions: Sequence[str],
        answers: Sequence[str],
        relevant: Sequence[int],
    ) -> RelevanceModel:
        """Embed the pairs and train the MLP (standardised features, early stopping).

        Each row's context is ``n_context`` *other* relevant answers to the same
        question (grouped by question text), drawn at random.
        """
        from sklearn.neural_network import MLPClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        questions, answers = list(questions), list(answers)
        y = np.asarray(relevant, dtype=int)
        if not (len(questions) == len(answers) == len(y)):
            raise ValueError("questions, answers and relevant must have the same length.")
        if set(np.unique(y)) != {0, 1}:
            raise ValueError("relevant must contain both 0 (irrelevant) and 1 (relevant) examples.")
        rng = np.random.default_rng(self.random_state)
        q = _embed(questions, self.model_id, self.use_disk)
        a = _embed([t if has_content(t) else "(empty)" for t in answers], self.model_id, self.use_disk)
        qarr = np.asarray(questions, dtype=object)
        self._fit_bank(qarr, q, a, y)
        ctx = np.zeros((len(y), self._context(a[:1], a[:2], q[0]).shape[1]), dtype=np.float32)
        for question in np.unique(qarr):
            rows = np.flatnonzero(qarr == question)
            pos = rows[y[rows] == 1]
            if len(pos) < 2:
                raise ValueError(f"Question {question[:60]!r} needs at least 2 relevant answers for context.")
            for i in rows:
                others = pos[pos != i]
                pick = rng.choice(others, min(self.n_context, len(others)), replace=False)
                ctx[i] = self._context(a[i], a[pick], q[i])[0]
        X = relevance_features(q, a, questions, answers, ctx, self.embedding_features)
        self.pipeline_ = make_pipeline(
            StandardScaler(),
            MLPClassifier(hidden_layer_sizes=self.hidden, alpha=self.alpha, max_iter=self.max_iter,
                          early_stopping=True, random_state=self.random_state),
        )
        self.pipeline_.fit(X, y)
        # Plain NumPy weights for fast single-answer prediction.
        scaler, mlp = self.pipeline_[0], self.pipeline_[-1]
        self._mean, self._scale = scaler.mean_.astype(np.float32), scaler.scale_.astype(np.float32)
        self._layers = [(w.astype(np.float32), b.astype(np.float32)) for w, b in zip(mlp.coefs_, mlp.intercepts_)]
        return self

    def _fit_bank(self, qarr: np.ndarray, q: np.ndarray, a: np.ndarray, y: np.ndarray) -> None:
        """Remember every training question: its embedding and the centroid of its real answers."""
        texts = np.unique(qarr)
        self.bank_q_ = np.vstack([q[np.flatnonzero(qarr == t)[0]] for t in texts]).astype(np.float32)
        cen = np.vstack([a[(qarr == t) & (y == 1)].mean(0) for t in texts])
        self.bank_c_ = (cen / np.linalg.norm(cen, axis=1, keepdims=True)).astype(np.float32)

    def _context(self, a_emb: np.ndarray, ctx_emb: np.ndarray, q_emb: np.ndarray) -> np.ndarray:
        """The context columns of :func:`relevance_features` (similarities to known answers)."""
        cols = [context_similarity(a_emb, ctx_emb)]
        if self.adaptive:
            cols.append(adaptive_features(a_emb, ctx_emb, q_emb))
        if self.question_bank:
            cols.append(bank_features(a_emb, ctx_emb, q_emb, self.bank_q_, self.bank_c_, self.bank_centroid_sim))
        return np.hstack(cols)

    def proba_from_embeddings(
        self,
        q_emb: np.ndarray,
        a_emb: np.ndarray,
        questions: Sequence[str],
        answers: Sequence[str],
        ctx_emb: np.ndarray,
    ) -> np.ndarray:
        """P(relevant) from precomputed embeddings (the fast path a grader uses).

        0 without asking the MLP for empty answers and, with ``copy_rule``, for copies
        of the question (:func:`is_question_copy`).
        """
        if not hasattr(self, "_layers"):
            raise ValueError("This RelevanceModel is not fitted yet: call fit() first.")
        feats = relevance_features(q_emb, a_emb, questions, answers, self._context(a_emb, ctx_emb, q_emb),
                                   self.embedding_features)
        h = (feats - self._mean) / self._scale
        for i, (w, b) in enumerate(self._layers):
            h = h @ w + b
            if i < len(self._layers) - 1:
                h = np.maximum(h, 0)  # relu, MLPClassifier's default
        p = 1 / (1 + np.exp(-np.clip(h[:, 0], -30, 30)))
        keep = np.array([has_content(a) for a in answers])
        if self.copy_rule:
            keep &= ~np.array([is_question_copy(q, a) for q, a in zip(questions, answers)], dtype=bool)
        return np.where(keep, p, 0.0)

    def predict_proba(self, question: str, answers: Sequence[str], context: Sequence[str]) -> np.ndarray:
        """P(relevant) of each answer to ``question``, given ``context``: answers known to be on topic."""
        answers, context = list(answers), list(context)
        if not context:
            raise ValueError("context is empty: pass a few answers known to be on topic for this question.")
        q = _embed([question], self.model_id, self.use_disk)
        a = _embed([t if has_content(t) else "(empty)" for t in answers], self.model_id, self.use_disk)
        c = _embed(context, self.model_id, self.use_disk)
        return self.proba_from_embeddings(q, a, [question] * len(answers), answers, c)

    def predict(self, question: str, answers: Sequence[str], context: Sequence[str]) -> np.ndarray:
        """1 = relevant, 0 = irrelevant (probability below ``threshold``)."""
        return (self.predict_proba(question, answers, context) >= self.threshold).astype(int)


# --------------------------------------------------------------------------------------
# The few-shot grader
# --------------------------------------------------------------------------------------
class FewShotGrader:
    """One question's grader: Newton-fitted logistic regression on answer embeddings.

    >>> grader = FewShotGrader(relevance_model=rel).fit(question, answers, grades)
    >>> grader.predict(["the bulb is in a closed path"])     # a grade; 0 if irrelevant

    ``grades`` are integers (0 = no credit / not an answer). :meth:`predict_proba`
    returns a probability for every grade in ``grades_`` (the fitted grades plus 0):
    ``P(grade) = r * P_lr(grade) + (1 - r) * [grade == 0]`` with ``r`` the relevance
    probability. :meth:`predict` is hard-guarded: an answer with ``r < threshold`` gets
    0 whatever the classifier says. Without a relevance model every answer counts as
    relevant (except empty ones).
    """

    def __init__(
        self,
        relevance_model: RelevanceModel | None = None,
        model_id: str = DEFAULT_EMBEDDING_MODEL,
        l2: float = 1.0,
        threshold: float = 0.5,
        zero_grade: int = 0,
        use_disk: bool = False,
    ):
        self.relevance_model = relevance_model
        self.model_id = model_id
        self.l2 = l2
        self.threshold = threshold
        self.zero_grade = zero_grade
        self.use_disk = use_disk

    def get_params(self, deep: bool = True) -> dict:
        """The constructor arguments (scikit-learn convention)."""
        keys = ("relevance_model", "model_id", "l2", "threshold", "zero_grade", "use_disk")
        return {k: getattr(self, k) for k in keys}

    def fit(self, question: str, answers: Sequence[str], grades: Sequence[int]) -> FewShotGrader:
        """Fit from a handful of graded answers to ``question`` (embeddings are cached)."""
        answers = list(answers)
        grades = np.asarray(grades)
        if not isinstance(question, str) or not question.strip():
            raise ValueError("question must be a non-empty string.")
        if len(answers) != len(grades) or not answers:
            raise ValueError(f"answers ({len(answers)}) and grades ({len(grades)}) must be non-empty and equally long.")
        if grades.dtype.kind not in "iu" and not np.all(grades == np.round(grades.astype(float))):
            raise ValueError(f"grades must be integers (0 = no credit); got {grades[:5].tolist()}.")
        grades = grades.astype(int)
        if self.relevance_model is not None and not hasattr(self.relevance_model, "_layers"):
            raise ValueError("relevance_model is not fitted: call its fit() first.")
        self.question_ = question
        self.q_emb_ = _embed([question], self.model_id, self.use_disk)
        X = _embed([a if has_content(a) else "(empty)" for a in answers], self.model_id, self.use_disk)
        self.support_emb_ = X  # the graded answers: the relevance model's on-topic context
        self.classes_ = np.unique(grades)
        self.grades_ = np.union1d(self.classes_, [self.zero_grade])
        if len(self.classes_) == 1:  # every answer got the same grade: predict it
            self.coef_ = np.zeros((1, X.shape[1]))
            self.intercept_ = np.zeros(1)
        else:
            y = np.searchsorted(self.classes_, grades)
            fit = newton_logreg(X, y, len(self.classes_), l2=self.l2)
            self.coef_, self.intercept_, self.n_iter_ = fit.coef, fit.intercept, fit.n_iter
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise ValueError("This FewShotGrader is not fitted yet: call fit(question, answers, grades).")

    def _embed_answers(self, answers: Sequence[str]) -> tuple[list[str], np.ndarray]:
        answers = list(answers) if not isinstance(answers, str) else [answers]
        if not answers:
            raise ValueError("answers is empty.")
        safe = [a if has_content(a) else "(empty)" for a in answers]
        return answers, _embed(safe, self.model_id, self.use_disk)

    def relevance(self, answers: Sequence[str]) -> np.ndarray:
        """P(relevant to this question) for each answer (1 without a relevance model, 0 if empty)."""
        self._check_fitted()
        answers, A = self._embed_answers(answers)
        return self._relevance(answers, A)

    def _relevance(self, answers: list[str], A: np.ndarray) -> np.ndarray:
        if self.relevance_model is None:
            return np.array([float(has_content(a)) for a in answers])
        return self.relevance_model.proba_from_embeddings(
            self.q_emb_, A, [self.question_] * len(answers), answers, self.support_emb_
        )

    def _scores(self, answers: Sequence[str]):
        self._check_fitted()
        answers, A = self._embed_answers(answers)
        p_cls = softmax_proba(A, self.coef_, self.intercept_)
        return answers, p_cls, self._relevance(answers, A)

    def predict_proba(self, answers: Sequence[str]) -> np.ndarray:
        """``(n, len(grades_))`` probabilities, mixing in grade 0 by the relevance probability."""
        _, p_cls, r = self._scores(answers)
        out = np.zeros((len(p_cls), len(self.grades_)))
        out[:, np.searchsorted(self.grades_, self.classes_)] = r[:, None] * p_cls
        out[:, np.searchsorted(self.grades_, self.zero_grade)] += 1 - r
        return out

    def predict(self, answers: Sequence[str]) -> np.ndarray:
        """Grades: the most probable fitted grade, or ``zero_grade`` when the guard rejects the answer."""
        _, p_cls, r = self._scores(answers)
        pred = self.classes_[p_cls.argmax(1)]
        return np.where(r >= self.threshold, pred, self.zero_grade)


# --------------------------------------------------------------------------------------
# Evaluation helpers shared by notebook 18 and the results command
# --------------------------------------------------------------------------------------
def sample_support(group: pd.DataFrame, n: int, seed: int = SEED) -> pd.DataFrame:
    """``n`` graded answers of one question (all of them when there are fewer), seeded."""
    if n < 2:
        raise ValueError(f"n must be at least 2 graded answers, got {n}.")
    return group.sample(min(n, len(group)), random_state=seed)


def support_split(df: pd.DataFrame, n: int, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per question, ``n`` answers for the teacher to grade (support) and the rest (query)."""
    idx = np.concatenate([sample_support(g, n, seed).index.to_numpy()
                          for _, g in df.groupby("question_id", sort=True)])
    return df.loc[idx], df.drop(idx)


def grades_of(labels_3way: Sequence[str]) -> np.ndarray:
    """Beetle 3-way labels as integer grades (:data:`BEETLE_GRADES`)."""
    try:
        return np.array([BEETLE_GRADES[v] for v in labels_3way], dtype=int)
    except KeyError as exc:
        raise ValueError(f"Unknown 3-way label {exc.args[0]!r}; expected {sorted(BEETLE_GRADES)}.") from None


def few_shot_predictions(
    support: pd.DataFrame,
    query: pd.DataFrame,
    relevance_model: RelevanceModel | None,
    model_id: str = DEFAULT_EMBEDDING_MODEL,
    n_support: int = 30,
    l2: float = 1.0,
    seed: int = SEED,
) -> pd.DataFrame:
    """Fit one grader per question on ``n_support`` answers from ``support``, grade ``query``.

    Both frames are in :func:`load_short_answers` form; a question in ``query`` must have
    answers in ``support``. Returns ``query``'s rows with ``grade`` (gold),
    ``pred_grade``, ``pred_3way`` and ``relevance``.
    """
    out = []
    for qid, q_rows in query.groupby("question_id", sort=True):
        pool = support[support["question_id"] == qid]
        if pool.empty:
            raise ValueError(f"question {qid!r} has no graded answers in support.")
        shots = sample_support(pool, n_support, seed)
        grader = FewShotGrader(relevance_model, model_id=model_id, l2=l2).fit(
            shots["question"].iloc[0], shots["student_answer"], grades_of(shots["label_3way"])
        )
        rows = q_rows.copy()
        rows["grade"] = grades_of(rows["label_3way"])
        rows["pred_grade"] = grader.predict(rows["student_answer"])
        rows["relevance"] = grader.relevance(rows["student_answer"])
        out.append(rows)
    result = pd.concat(out)
    result["pred_3way"] = result["pred_grade"].map(GRADE_TO_3WAY)
    return result


def question_dev_split(df: pd.DataFrame, dev_size: float = 0.15, seed: int = SEED):
    """Train / dev split of the training answers by question (whole questions go to dev)."""
    from sklearn.model_selection import GroupShuffleSplit

    if not 0 < dev_size < 1:
        raise ValueError(f"dev_size must be between 0 and 1, got {dev_size}.")
    if df["question_id"].nunique() < 2:
        raise ValueError("Need answers to at least 2 questions to split by question.")
    splitter = GroupShuffleSplit(n_splits=1, test_size=dev_size, random_state=seed)
    tr, dv = next(splitter.split(df, groups=df["question_id"]))
    return df.iloc[tr].reset_index(drop=True), df.iloc[dv].reset_index(drop=True)


def classification_scores(gold: Sequence[str], pred: Sequence[str]) -> dict:
    """3-way accuracy and macro-F1 (over the three Beetle classes)."""
    from sklearn.metrics import accuracy_score, f1_score

    labels = ["correct", "contradictory", "incorrect"]
    return {
        "accuracy": float(accuracy_score(gold, pred)),
        "macro_f1": float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)),
        "n": int(len(gold)),
    }


def adversarial_set(
    df: pd.DataFrame,
    question_ids: Sequence[str],
    per_category: int = 1,
    seed: int = SEED + 1,
    model_id: str = DEFAULT_EMBEDDING_MODEL,
) -> pd.DataFrame:
    """Junk inputs for ``question_ids``: ``per_category`` of each :data:`JUNK_CATEGORIES`.

    Built from the evaluation pools (pool 1 of the fixed sentences, a different seed
    than training, and answers to other questions taken from the *test* splits), so no
    training negative is reused verbatim. Columns: ``question_id, question, answer,
    category``.
    """
    rng = np.random.default_rng(seed)
    test = df[df["split"] != "train"]
    rows = []
    for qid in question_ids:
        mine = df[df["question_id"] == qid]
        if mine.empty:
            raise ValueError(f"question_id {qid!r} is not in df.")
        question = mine["question"].iloc[0]
        answers, refs = other_question_pools(df, qid, source=test if len(test) else df, model_id=model_id)
        junk = make_junk(question, answers, refs, rng, per_category=per_category, pool=1)
        junk.insert(0, "question", question)
        junk.insert(0, "question_id", qid)
        rows.append(junk)
    return pd.concat(rows, ignore_index=True)


# --------------------------------------------------------------------------------------
# The cross-encoder (notebook 17): (reference answer, student answer) -> 3-way label
# --------------------------------------------------------------------------------------
CE_LABELS = ["correct", "contradictory", "incorrect"]


def pair_dataset(df: pd.DataFrame, tokenizer, max_length: int):
    """A tokenised ``datasets.Dataset`` of (reference answer, student answer) pairs with 3-way labels."""
    from datasets import Dataset

    ds = Dataset.from_dict(
        {
            "reference": df["reference_answer"].astype(str).tolist(),
            "answer": df["student_answer"].fillna("").astype(str).tolist(),
            "label": [CE_LABELS.index(v) for v in df["label_3way"]],
        }
    )
    return ds.map(
        lambda b: tokenizer(b["reference"], b["answer"], truncation=True, max_length=max_length),
        batched=True,
        remove_columns=["reference", "answer"],
    )


def cross_encoder_metrics(eval_pred) -> dict:
    """``compute_metrics`` for the Trainer: 3-way accuracy and macro-F1."""
    logits, labels = eval_pred
    pred = np.asarray(logits).argmax(-1)
    scores = classification_scores([CE_LABELS[i] for i in labels], [CE_LABELS[i] for i in pred])
    return {"accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"]}


def train_cross_encoder(
    train: pd.DataFrame,
    dev: pd.DataFrame,
    model_id: str,
    output_dir: str,
    epochs: int = 3,
    max_length: int = 128,
    batch_size: int = 16,
    lr: float = 5e-5,
    seed: int = SEED,
):
    """Fine-tune a cross-encoder with the Hugging Face Trainer; returns the trainer.

    The dev set (whole questions carved from train, :func:`question_dev_split`) is
    evaluated after every epoch; the checkpoint with the best dev macro-F1 is loaded at
    the end (``load_best_model_at_end``). The test splits are not touched here.
    """
    import torch
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )

    from course_utils.hub import resolve_model

    if train.empty or dev.empty:
        raise ValueError("train and dev must both hold answers.")
    path = resolve_model(model_id, kind="encoder")
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(
        path,
        num_labels=len(CE_LABELS),
        id2label=dict(enumerate(CE_LABELS)),
        label2id={v: i for i, v in enumerate(CE_LABELS)},
    )
    args = TrainingArguments(
        output_dir=output_dir,
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="epoch",
        load_best_model_at_end=True,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        save_total_limit=2,
        save_only_model=True,
        num_train_epochs=epochs,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=64,
        learning_rate=lr,
        weight_decay=0.01,
        warmup_steps=0.1,
        fp16=torch.cuda.is_available(),  # a Colab T4 has no bf16
        report_to="none",
        seed=seed,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=pair_dataset(train, tokenizer, max_length),
        eval_dataset=pair_dataset(dev, tokenizer, max_length),
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=cross_encoder_metrics,
    )
    trainer.train()
    return trainer


def epoch_history(trainer) -> pd.DataFrame:
    """Dev accuracy / macro-F1 (and training loss) per epoch from a trainer's log."""
    rows: dict[float, dict] = {}
    for entry in trainer.state.log_history:
        if "epoch" not in entry:
            continue
        row = rows.setdefault(round(entry["epoch"], 2), {"epoch": round(entry["epoch"], 2)})
        for key in ("loss", "eval_loss", "eval_accuracy", "eval_macro_f1"):
            if key in entry:
                row[key.replace("eval_", "dev_")] = entry[key]
    return pd.DataFrame([r for r in rows.values() if "dev_macro_f1" in r])


def predict_cross_encoder(trainer, df: pd.DataFrame, max_length: int) -> pd.DataFrame:
    """``df`` with ``pred_3way`` and one probability column per label (``p_correct``, ...)."""
    ds = pair_dataset(df, trainer.processing_class, max_length)
    logits = trainer.predict(ds).predictions
    logits = logits - logits.max(1, keepdims=True)
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    out = df.copy()
    out["pred_3way"] = [CE_LABELS[i] for i in proba.argmax(1)]
    for i, name in enumerate(CE_LABELS):
        out[f"p_{name}"] = proba[:, i]
    return out
