"""The implicit hypergradient of course_utils.short_answer against a bounded-error numeric derivative.

Why it is built this way: a central difference with one small step divides the loss's
rounding noise by the step, and an inner solve that stops early turns that noise into
~1e-9 (it once failed on one machine and passed on another of the same kind). Here the
inner problem is solved to machine precision (checked), and the derivative is a
Richardson extrapolation over steps 0.2 ... 0.025, whose error is estimated from the
table itself and stays far above the noise. Mutation tests show the check still
catches a wrong gradient.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import short_answer as sa

CASES = [(6, 0.0), (384, -1.0), (384, 1.5)]  # (features, log l2): small, and wider than the 30 answers


def _data(n, d, k, seed):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d))
    y = rng.integers(0, k, n)
    return centres[y] + rng.normal(scale=1.5, size=(n, d)), y


def _task(d):
    return (*_data(30, d, 3, seed=1), *_data(20, d, 3, seed=2))


def validation_loss(X, y, X_val, y_val, log_l2: float) -> float:
    """Mean validation cross-entropy of the Newton fit at ``l2 = exp(log_l2)``, solved to machine precision."""
    fit = sa.newton_logreg(X, y, n_classes=3, l2=float(np.exp(log_l2)), max_iter=100, tol=1e-14)
    assert fit.grad_norm < 1e-12, f"inner solve stopped at gradient {fit.grad_norm:.1e}"
    P = sa.softmax_proba(X_val, fit.coef, fit.intercept)
    return float(-np.mean(np.log(P[np.arange(len(y_val)), y_val])))


def richardson_derivative(f, x: float, h: float = 0.2, levels: int = 4) -> tuple[float, float]:
    """``f'(x)`` by Richardson extrapolation of central differences at h, h/2, ..., and its error.

    A central difference is ``f' + c1 h^2 + c2 h^4 + ...``; each column of the table
    removes one power. The error estimate is the change made by the last column.
    """
    table = []
    for i in range(levels):
        step = h / 2**i
        row = [(f(x + step) - f(x - step)) / (2 * step)]
        for j in range(1, i + 1):
            row.append(row[j - 1] + (row[j - 1] - table[i - 1][j - 1]) / (4**j - 1))
        table.append(row)
    return table[-1][-1], abs(table[-1][-1] - table[-1][-2])


def agrees(analytic: float, numeric: float, error: float) -> bool:
    """Analytic and numeric derivatives agree within 10x the estimated error (+ rounding slack)."""
    return abs(analytic - numeric) <= 10 * error + 1e-10 + 1e-8 * abs(numeric)


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"d{c[0]}-logl2{c[1]}")
def case(request):
    d, log_l2 = request.param
    task = _task(d)
    numeric, error = richardson_derivative(lambda t: validation_loss(*task, t), log_l2)
    return task, log_l2, numeric, error


def test_inner_solve_reaches_machine_precision_at_every_step(case):
    task, log_l2, _, _ = case
    losses = [validation_loss(*task, log_l2 + k * 1e-3) for k in range(-3, 4)]
    # The loss is smooth at the 1e-3 scale: its fourth differences are about
    # f'''' * 1e-12; an inner solve that stalls makes them jump by ~1e-9.
    assert np.abs(np.diff(losses, 4)).max() < 1e-11


def test_richardson_error_is_small(case):
    _, _, numeric, error = case
    assert error < 1e-7 * max(1.0, abs(numeric)), f"extrapolation error {error:.1e} is not bounded"


def test_implicit_gradient_matches_finite_differences(case):
    (X, y, Xv, yv), log_l2, numeric, error = case
    h = sa.hypergradient(X, y, Xv, yv, 3, log_l2)
    assert h.loss == pytest.approx(validation_loss(X, y, Xv, yv, log_l2), abs=1e-12)
    assert agrees(h.grad, numeric, error), f"analytic {h.grad:.10e} vs numeric {numeric:.10e} (error {error:.1e})"


def test_a_wrong_gradient_fails_the_check(case):
    """Mutations: a sign error, and the chain rule's l2 factor dropped (d/d l2 instead of d/d log l2)."""
    (X, y, Xv, yv), log_l2, numeric, error = case
    grad = sa.hypergradient(X, y, Xv, yv, 3, log_l2).grad
    assert not agrees(-grad, numeric, error)
    if log_l2 != 0.0:  # at l2 = 1 the factor is 1: the mutation changes nothing there
        assert not agrees(grad / np.exp(log_l2), numeric, error)
    assert not agrees(grad * (1 + 1e-4), numeric, error)  # even a 0.01% error is caught


def test_stalled_newton_solve_is_fixed():
    """The line search once shrank near-optimal steps to nothing (gradient stuck at ~1e-8)."""
    X, y, _, _ = _task(384)
    fit = sa.newton_logreg(X, y, n_classes=3, l2=float(np.exp(1.502)), max_iter=30, tol=1e-14)
    assert fit.grad_norm < 1e-12 and fit.n_iter < 20
