# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 19 · Meta-learning through Newton's method (implicit differentiation)
#
# *Advanced.* The few-shot grader of notebook 18 fits one logistic regression per
# question with an L2 penalty `λ`. Which `λ`? Each question has only 30 graded answers —
# too few to tune `λ` per question. But all questions can share one `λ`, learned from
# many questions at once: **meta-learning**. For each training question we split its
# graded answers into a *support* set (fit the grader) and a *query* set (score it), and
# we minimise the mean query loss over questions with respect to `log λ`.
#
# The query loss depends on `λ` only through the fitted weights `θ*(λ)`, the solution of
# Newton's method. We do not differentiate through the Newton iterations. At the optimum
# the gradient of the training objective is zero, `g(θ*(λ), λ) = 0`, for every `λ`.
# Differentiating this identity — the **implicit function theorem** — gives
#
# $$\frac{d\theta^*}{d\lambda} = -H^{-1}\,\frac{\partial g}{\partial \lambda} = -H^{-1} W,$$
#
# with `H` the Hessian at the optimum (Newton already builds it) and `W` the penalised
# weights (`∂/∂λ` of `λ/2·||W||²` is `W`). The chain rule finishes the job:
# `dL_query/d log λ = λ · ∇θ L_query · dθ*/dλ`. One linear solve per question.
#
# We write the
# hypergradient in a few lines of NumPy, **check it against the library version and
# against finite differences**, then learn `λ` by gradient descent and evaluate it once
# on unseen answers.
#
# *Time to work through: about 30 minutes.*

# %%
# Colab only: install the course's helper package (does nothing elsewhere).
import subprocess, sys
if "google.colab" in sys.modules:
    url = "git+https://github.com/ai-scoring-course/ai-scoring-in-python"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)
    print(f"Installed course_utils and its missing dependencies from {url}; Colab's own packages are unchanged: no restart needed.")

# %%
from course_utils import config
profile = config.setup()  # prints profile, device, Hub mode, data source; seeds everything

# %% [markdown]
# ## 1. Tasks: one per training question
#
# Only the training split is used to learn `λ` (support: 30 answers; query: the rest of
# that question's training answers). The embedding model is `profile.sa_embedding_model`
# (offline: the English MiniLM stand-in).

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from course_utils import short_answer as sa
from course_utils.data import load_short_answers, short_answer_splits

torch.set_num_threads(1)  # tiny matrices: one thread is fastest (and CI machines are shared)
model_id = profile.sa_embedding_model
train_q, ua_q = short_answer_splits(load_short_answers("beetle"), max_questions=profile.sa_questions)
tasks = sa.meta_tasks(train_q, model_id, n_support=30)  # one task per question, training answers only
print(f"{len(tasks)} tasks; support sizes {[len(t[1]) for t in tasks]}, "
      f"query sizes {[len(t[3]) for t in tasks]}")

# %% [markdown]
# ## 2. The hypergradient in a few lines
#
# With `Z = [X, 1]`, parameters `θ` (last row: intercepts), `P = softmax(Zθ)`: the
# gradient of the training objective is `g = Zᵀ(P − Y) + λ·θ` (intercepts not
# penalised) and its Hessian `H = Σₙ (zₙzₙᵀ) ⊗ (diag(pₙ) − pₙpₙᵀ) + λ·I` — the same
# `H` Newton's method uses (notebook 18). Softmax ignores a shift shared by all
# classes, so we fix the first class's intercept at 0 and solve for the other entries.
# The library's `sa.newton_logreg` gives `θ*`; the rest is the formula above:

# %%
def softmax(F):
    E = np.exp(F - F.max(1, keepdims=True))
    return E / E.sum(1, keepdims=True)


def my_hypergradient(X, y, Xq, yq, n_classes, log_l2):
    """d(mean query cross-entropy) / d log(l2), by the implicit function theorem."""
    l2 = np.exp(log_l2)
    fit = sa.newton_logreg(X, y, n_classes, l2=l2, max_iter=50, tol=1e-12)
    theta = np.vstack([fit.coef.T, fit.intercept])                      # θ*(λ): (d + 1, K)
    Z, Zq = np.hstack([X, np.ones((len(X), 1))]), np.hstack([Xq, np.ones((len(Xq), 1))])
    Yq = np.eye(n_classes)[yq]
    P = softmax(Z @ theta)
    penalised = np.ones_like(theta)
    penalised[-1] = 0
    H = sum(np.kron(np.outer(z, z), np.diag(p) - np.outer(p, p)) for z, p in zip(Z, P))
    H += l2 * np.diag(penalised.ravel())
    free = np.arange(theta.size) != (theta.shape[0] - 1) * n_classes
    dtheta = np.zeros(theta.size)                                        # dθ*/dλ = -H⁻¹ ∂g/∂λ
    dtheta[free] = -np.linalg.solve(H[np.ix_(free, free)], (penalised * theta).ravel()[free])
    grad_query = (Zq.T @ (softmax(Zq @ theta) - Yq) / len(Zq)).ravel()  # ∇θ L_query
    return l2 * grad_query @ dtheta                                      # chain rule, d/d log λ


# %% [markdown]
# Against the library (`sa.hypergradient`, the same formula in torch, solved in the
# 30-dimensional span of the answers) and against central differences
# `(L(ρ+ε) − L(ρ−ε)) / 2ε` with `ρ = log λ`, whose error is of order `ε²` and which
# need two full Newton fits each. They should agree to several digits.

# %%
X, y, Xq, yq = tasks[0]
X, Xq = X.astype(np.float64), Xq.astype(np.float64)
rows = []
for rho in (-2.0, 0.0, 2.0):
    h = sa.hypergradient(X, y, Xq, yq, 3, rho)
    eps = 1e-3
    fd = (sa.hypergradient(X, y, Xq, yq, 3, rho + eps).loss
          - sa.hypergradient(X, y, Xq, yq, 3, rho - eps).loss) / (2 * eps)
    rows.append({"log_l2": rho, "query_loss": h.loss, "notebook": my_hypergradient(X, y, Xq, yq, 3, rho),
                 "library": h.grad, "finite_diff": fd, "rel_error_fd": abs(h.grad - fd) / max(abs(fd), 1e-12)})
check = pd.DataFrame(rows)
check["rel_error_notebook"] = (check["notebook"] - check["library"]).abs() / check["library"].abs().clip(1e-12)
print(check.to_string(index=False))
assert (check["rel_error_fd"] < 1e-3).all() and (check["rel_error_notebook"] < 1e-4).all()

# %% [markdown]
# ## 3. The mean query loss as a function of log λ
#
# With one parameter we can also just draw the curve — a good way to see what gradient
# descent has to find. (With many shared parameters, such as a projection of the
# embeddings, only the gradient scales.)

# %%
grid = np.linspace(-4, 4, 17)
curve = [np.mean([sa.hypergradient(*t, n_classes=3, log_l2=r).loss for t in tasks]) for r in grid]
log_l2, history = sa.meta_learn_l2(tasks, n_classes=3, log_l2=-3.0, steps=15, lr=2.0, verbose=True)
hist = pd.DataFrame(history)
plt.plot(grid, curve, label="mean query cross-entropy")
plt.plot(hist["log_l2"], hist["loss"], "o-", ms=3, label="gradient descent path")
plt.xlabel("log λ")
plt.ylabel("query loss")
plt.legend()
plt.show()
print(f"learned λ = {np.exp(log_l2):.3f}; grid minimum at λ = {np.exp(grid[int(np.argmin(curve))]):.3f}")

# %% [markdown]
# ## 4. Once, on unseen answers
#
# The learned `λ` against scikit-learn's default (`C = 1`, i.e. `λ = 1`), without the
# relevance guard, on the same questions' unseen answers.

# %%
for name, l2 in (("default λ = 1", 1.0), (f"meta-learned λ = {np.exp(log_l2):.3f}", float(np.exp(log_l2)))):
    pred = sa.few_shot_predictions(train_q, ua_q, None, model_id=model_id, n_support=30, l2=l2)
    s = sa.classification_scores(pred["label_3way"], pred["pred_3way"])
    print(f"{name}: accuracy {s['accuracy']:.3f}, macro-F1 {s['macro_f1']:.3f} (n={s['n']})")

# %% [markdown]
# ## Summary
#
# * The regularisation strength `λ` shared by every question's grader can be learned
#   from the training questions: the hypergradient through Newton's solution costs one
#   linear solve per question (implicit function theorem), and it matches finite
#   differences.
# * `λ` is learned on training questions only and evaluated once on unseen answers; the
#   lines above say whether it beats the default in this profile.
#
# This is the last notebook. The [README](../README.md) links the slides and the
# results tables.

# %% [markdown]
# ## Exercises

# %% [markdown]
# ### Exercise 1: unrolling instead of the implicit function theorem
#
# Differentiate through the Newton iterations themselves: write 10 Newton steps in
# torch with `log λ` as a tensor that requires gradients (`torch.func.grad` and
# `torch.func.hessian` of the training objective give `g` and `H`; work in the span of
# the answers, `X V` with `V` from an SVD, to keep `H` small), compute the query loss
# and call `backward()`. Compare with `sa.hypergradient`. Which one needs less memory
# as the number of steps grows?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
Xt, Xqt = torch.as_tensor(X, dtype=torch.float64), torch.as_tensor(Xq, dtype=torch.float64)
V = torch.linalg.svd(Xt, full_matrices=False).Vh.T  # the span of the answers: same solution, fewer unknowns
Z = torch.cat([Xt @ V, torch.ones(len(Xt), 1, dtype=torch.float64)], 1)
Zq = torch.cat([Xqt @ V, torch.ones(len(Xqt), 1, dtype=torch.float64)], 1)
Y = torch.nn.functional.one_hot(torch.as_tensor(y), 3).double()
Yq = torch.nn.functional.one_hot(torch.as_tensor(yq), 3).double()


def train_loss(theta, l2):
    return -(Y * (Z @ theta).log_softmax(1)).sum() + l2 / 2 * (theta[:-1] ** 2).sum()


rho = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
theta = torch.zeros(Z.shape[1], 3, dtype=torch.float64)
n = theta.numel()
free = torch.arange(n) != (theta.shape[0] - 1) * 3  # fix the first class's intercept
for _ in range(10):
    g = torch.func.grad(train_loss)(theta, rho.exp()).reshape(-1)
    H = torch.func.hessian(train_loss)(theta, rho.exp()).reshape(n, n)
    step = torch.zeros(n, dtype=torch.float64).index_put((free.nonzero()[:, 0],),
                                                          torch.linalg.solve(H[free][:, free], g[free]))
    theta = theta - step.reshape(theta.shape)
loss = -(Yq * (Zq @ theta).log_softmax(1)).sum() / len(Zq)
loss.backward()
unrolled, implicit = rho.grad.item(), sa.hypergradient(X, y, Xq, yq, 3, 0.0).grad
rel = abs(unrolled - implicit) / max(abs(implicit), 1e-12)
print(f"unrolled: {unrolled:.8f}; implicit: {implicit:.8f}; relative difference {rel:.1e}")
print(f"They {'agree: 10 Newton steps have converged' if rel < 1e-4 else 'differ: 10 Newton steps have not converged'}. "
      "Unrolling keeps every step's graph for backward(), so its memory grows with the number of steps;")
print("the implicit gradient needs only the optimum (one linear solve), however many steps found it.")

# %% [markdown]
# ### Exercise 2: does the learned λ transfer to other questions?
#
# Learn `λ` on half of the tasks and compare the mean query loss on the *other* half
# for the learned `λ` and for `λ = 1`.

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
half = max(1, len(tasks) // 2)
learned, _ = sa.meta_learn_l2(tasks[:half], n_classes=3, log_l2=0.0, steps=10, lr=2.0)
others = tasks[half:] or tasks[:half]
held_loss = {}
for name, r in (("λ = 1", 0.0), (f"learned λ = {np.exp(learned):.3f}", learned)):
    held_loss[name] = np.mean([sa.hypergradient(*t, n_classes=3, log_l2=r).loss for t in others])
    print(name, held_loss[name].round(4))
default_loss, learned_loss = held_loss.values()
print(f"On the {len(others)} other questions the learned λ {'transfers' if learned_loss < default_loss else 'does not transfer'}: "
      f"mean query loss {learned_loss:.4f} against {default_loss:.4f} for λ = 1.")
print("That is one split into halves; other splits (or more questions) tell how far to trust it.")

# %% [markdown]
# Further reading: results/short_answer.md (the short-answer graders measured on held-out questions).
