"""Multinomial logistic regression fitted by Newton's method (torch, float64).

Taught in notebook 18. The objective is scikit-learn's with ``C = 1 / l2``::

    sum_i cross_entropy(x_i W + b, y_i) + l2 / 2 * ||W||^2      (b not penalised)

When there are fewer answers than embedding dimensions (20-30 answers, 384 dims) the
problem is solved exactly in the row space of ``X`` (an SVD), so one Newton step
solves a system of about ``30 x n_classes`` unknowns instead of ``384 x n_classes``.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import NamedTuple

import numpy as np


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
            # Near the optimum the predicted decrease falls below the loss's rounding error,
            # so comparing losses cannot judge the step: take the full Newton step (else
            # the search shrinks it to nothing and the solve stalls at a gradient of ~1e-8).
            if new_loss <= loss - 1e-4 * t * slope or slope <= 1e-12 * abs(float(loss)) or t < 1e-8:
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
