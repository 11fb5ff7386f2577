"""The hypergradient: d(validation loss)/d log(l2) through the Newton solution.

Taught in notebook 19 (implicit function theorem; meta-learning one L2 strength shared
by many questions).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from course_utils.config import SEED
from course_utils.short_answer.beetle import grades_of, sample_support
from course_utils.short_answer.newton import (
    _augment,
    _check_xy,
    _free,
    _grad_hess,
    _newton,
    _row_space,
    single_thread,
)


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


#: Each task's inputs in the row space of its answers, by the bytes of the task: they do not
#: depend on ``l2``, so a curve over ``l2`` or a descent (one call per task and step) makes them once.
_TASK_INPUTS: dict[str, tuple] = {}


def _task_inputs(X, y, X_val, y_val, n_classes: int) -> tuple:
    """``(Zt, Zt_val, Y, Y_val)``: support and query in X's row space with an intercept column, one-hot labels."""
    import torch

    digest = hashlib.blake2b(digest_size=16)
    for t in (X, y, X_val, y_val):
        digest.update(str(tuple(t.shape)).encode() + str(t.dtype).encode())
        digest.update(t.numpy().tobytes())
    key = f"{n_classes}:{digest.hexdigest()}"
    if key not in _TASK_INPUTS:
        V = _row_space(X)
        Zt = _augment(X if V is None else X @ V)
        Zt_val = _augment(X_val if V is None else X_val @ V)
        Y = torch.nn.functional.one_hot(y, n_classes).to(X.dtype)
        Y_val = torch.nn.functional.one_hot(y_val, n_classes).to(X.dtype)
        if len(_TASK_INPUTS) >= 256:  # a bound on memory: forget the oldest
            del _TASK_INPUTS[next(iter(_TASK_INPUTS))]
        _TASK_INPUTS[key] = (Zt, Zt_val, Y, Y_val)
    return _TASK_INPUTS[key]


def _hypergradient(X, y, X_val, y_val, n_classes: int, l2: float) -> Hypergradient:
    import torch

    Zt, Zt_val, Y, Y_val = _task_inputs(X, y, X_val, y_val, n_classes)
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
    tol: float = 0.0,
    verbose: bool = False,
) -> tuple[float, list[dict]]:
    """Learn one ``log(l2)`` shared by many questions by gradient descent on the hypergradient.

    ``tasks`` is a list of ``(X_support, y_support, X_query, y_query)``: per question, a
    few graded answers to fit on and held-out answers to score the fit. The objective is
    the mean query cross-entropy over questions. Plain gradient descent with the step
    clipped to 1 (in log space) keeps it stable; it stops after ``steps`` steps or once
    ``|gradient| < tol``. Returns the final ``log(l2)`` and the history (``step, log_l2, l2,
    loss, grad``), whose last row is the returned ``log(l2)`` with its own loss and gradient.
    """
    if not tasks:
        raise ValueError("tasks is empty: pass at least one (X, y, X_val, y_val) tuple.")
    history = []
    for step in range(steps + 1):
        parts = [hypergradient(*task, n_classes=n_classes, log_l2=log_l2) for task in tasks]
        loss = float(np.mean([p.loss for p in parts]))
        grad = float(np.mean([p.grad for p in parts]))
        history.append({"step": step, "log_l2": log_l2, "l2": float(np.exp(log_l2)), "loss": loss, "grad": grad})
        if verbose:
            print(f"step {step:2d}  l2={np.exp(log_l2):8.4f}  query CE={loss:.4f}  d/dlog(l2)={grad:+.4f}")
        if step == steps or abs(grad) < tol:
            break
        log_l2 -= float(np.clip(lr * grad, -1.0, 1.0))
    return log_l2, history


def meta_tasks(train: pd.DataFrame, model_id: str, n_support: int = 30, seed: int = SEED,
               max_questions: int | None = None, views: Sequence[str] | None = None,
               question_as_zero: bool = True, char_weight: float | None = None) -> list[tuple]:
    """(support, query) tasks from training questions for :func:`short_answer.meta_learn_l2`.

    Each answer is read as the grader reads it (:func:`~course_utils.short_answer.grader.grader_inputs`;
    ``views``: the grader's default, :data:`~course_utils.short_answer.grader.DEFAULT_VIEWS`), and the
    support gets the grader's free example, the question graded 0 (``question_as_zero``), and the
    character view fitted on the support (``char_weight``: the grader's default when ``None``).
    """
    from course_utils.short_answer.grader import (
        DEFAULT_CHAR_WEIGHT,
        DEFAULT_VIEWS,
        char_ngram_vectorizer,
        grader_features,
        with_question_as_zero,
    )

    views = DEFAULT_VIEWS if views is None else views
    char_weight = DEFAULT_CHAR_WEIGHT if char_weight is None else char_weight
    tasks = []
    for i, (_, g) in enumerate(train.groupby("question_id", sort=True)):
        if max_questions is not None and i >= max_questions:
            break
        if len(g) < n_support + 5:
            continue
        shots = sample_support(g, n_support, seed)
        rest = g.drop(shots.index)
        question = g["question"].iloc[0]
        answers, grades = shots["student_answer"].fillna("").tolist(), grades_of(shots["label_3way"])
        if question_as_zero:
            answers, grades = with_question_as_zero(question, answers, grades)
        vec = char_ngram_vectorizer(answers) if char_weight > 0 else None
        X = grader_features(question, answers, vec, char_weight, model_id, views)
        Xq = grader_features(question, rest["student_answer"].fillna("").tolist(), vec, char_weight, model_id, views)
        tasks.append((X, grades, Xq, grades_of(rest["label_3way"])))
    return tasks
