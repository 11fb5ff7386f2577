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
# *Advanced.* You need derivatives (the chain rule) and matrices (a matrix inverse, a linear
# solve); the terms beyond them are defined where they first appear. The few-shot grader of notebook 18 fits one logistic regression per
# question with an L2 penalty `λ`. Which `λ`? A new question has only the teacher's 30 graded
# answers — too few to tune `λ` per question. (In Beetle every training answer is labelled: we pretend a
# teacher graded 30 of each question, the support, and use the other labels only to score, the query.) But all questions can share one `λ`, learned from
# many questions at once: **meta-learning**. (Notebook 18's grader uses `λ = 0.3`, chosen on dev
# data by accuracy on Beetle's training answers and QWK on hand-written dev answers; here `λ` is
# learned by a different criterion, and section 4 compares the two.) For each training question we split its
# graded answers into a *support* set (fit the grader) and a *query* set (score it), and
# we minimise the mean query loss over questions with respect to `log λ` (`λ` must stay positive
# and matters by orders of magnitude, so we move `log λ`: a step multiplies `λ`). The query loss
# is the **cross-entropy**: the mean of `−log p(gold class)` over the query answers, small
# when the grader gives the right class a high probability. We optimise it rather than
# accuracy because it changes smoothly with `λ` (accuracy jumps), so it has a gradient; a
# lower cross-entropy need not move accuracy or macro-F1 by the same amount.
#
# The query loss depends on `λ` only through the fitted weights `θ*(λ)`, the solution of
# Newton's method. We do not differentiate through the Newton iterations. At the optimum
# the gradient of the training objective is zero, `g(θ*(λ), λ) = 0`, for every `λ`.
# Differentiating this identity — the **implicit function theorem** — with `θ` flattened into one
# vector: `d/dλ g(θ*(λ), λ) = H · dθ*/dλ + ∂g/∂λ = 0`, with `H = ∂g/∂θ`; solving for `dθ*/dλ` gives
#
# $$\frac{d\theta^*}{d\lambda} = -H^{-1}\,\frac{\partial g}{\partial \lambda} = -H^{-1} (M \odot \theta^*),$$
#
# with `H` the **Hessian** at the optimum (the matrix of second derivatives of the training
# objective; Newton's method already builds it) and `M ⊙ θ*` the penalised weights: `M` is
# 1 for every weight and 0 for the intercepts, which are not penalised, and `⊙` multiplies
# entry by entry (`∂g/∂λ = M ⊙ θ*`, because the penalty adds `λ·(M ⊙ θ)` to the gradient `g`). In the
# code `λ` is `l2`, and `log λ` is `log_l2`. The chain rule finishes the job:
# `dL_query/d log λ = λ · ∇θ L_query · dθ*/dλ`. One linear solve per question.
#
# This derivative of the query loss with respect to `λ` (a setting of the training, not a
# weight) is called the **hypergradient**. We write it in a few lines of NumPy, **check it against the library version and
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
# Only the training split is used to learn `λ` (support: 30 graded answers plus the grader's free
# example, the question graded 0, so 31 rows; query: the rest of that question's training answers).
# Each answer is read as notebook 18's grader reads it: two embeddings and its characters. The
# embedding model is `profile.sa_embedding_model` (offline: the English MiniLM stand-in). To keep the
# run short, the profile uses only `profile.sa_questions` of Beetle's training questions (all of them
# when it is `None`).

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from course_utils import short_answer as sa
from course_utils.data import load_short_answers, short_answer_splits

torch.set_num_threads(1)  # tiny matrices: one thread is fastest
model_id = profile.sa_embedding_model
train_q, ua_q = short_answer_splits(load_short_answers("beetle"), max_questions=profile.sa_questions)
tasks = sa.meta_tasks(train_q, model_id, n_support=30)  # one task per question, training answers only
print(f"{len(tasks)} tasks ({train_q['question_id'].nunique()} questions); support sizes {[len(t[1]) for t in tasks]}, "
      f"query sizes {[len(t[3]) for t in tasks]}")

# %% [markdown]
# ## 2. The hypergradient in a few lines
#
# With `Z = [X, 1]`, parameters `θ` (last row: intercepts), `P = softmax(Zθ)` (**softmax**
# turns each row of scores into probabilities: `exp` of each, divided by their sum) and
# `M` as above (1 for weights, 0 for the intercept row): the gradient of the training
# objective is `g = Zᵀ(P − Y) + λ·(M ⊙ θ)` and its Hessian
# `H = Σₙ (zₙzₙᵀ) ⊗ (diag(pₙ) − pₙpₙᵀ) + λ·diag(M)` — the same `H` Newton's method uses
# (notebook 18). `⊗` is the Kronecker product (`np.kron`): every entry of the first matrix
# times the whole second matrix, which lays out one block per pair of features. In the
# code, `penalised` is `M`. Softmax ignores a shift shared by all
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
# span of the answers: 31 support rows, the 30 answers and the question, can only point in 31
# directions, so the weights are written in those 31 and the matrices stay small; the cell below
# does the same before calling `my_hypergradient`) and against **central
# differences** `(L(ρ+ε) − L(ρ−ε)) / 2ε` with `ρ = log λ`: the slope between two nearby
# points, whose error is of order `ε²` and which need two full Newton fits each. They should agree to several digits.

# %%
X, y, Xq, yq = tasks[0]
X, Xq = X.astype(np.float64), Xq.astype(np.float64)
# The grader's inputs are wide (two embeddings and the character pieces), but the weights that fit 31
# support rows lie in their span (every combination of those rows). The SVD gives an orthonormal basis
# of that span (31 directions of length 1, at right angles): writing X and Xq in it changes no loss
# and shrinks H from thousands of rows to (31 + 1) x 3 = 96.
_, _, Vt = np.linalg.svd(X, full_matrices=False)
print(f"support rows {X.shape[0]}, features {X.shape[1]} -> {Vt.shape[0]} coordinates in their span; "
      f"H: {(Vt.shape[0] + 1) * 3} rows instead of {(X.shape[1] + 1) * 3}")
X, Xq = X @ Vt.T, Xq @ Vt.T
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
# embeddings, only the gradient scales.) Descent starts at `log λ = −3`; each step moves
# `log λ` by 8 times the gradient (at most 1), until the gradient is below 0.005 in size (at most
# 30 steps). The table after the figure shows the last steps; its last row is the learned `λ`. The curve is drawn every 0.5 in `log λ`, so its lowest point is
# only that precise.

# %%
grid = np.linspace(-4, 4, 17)
curve = [np.mean([sa.hypergradient(*t, n_classes=3, log_l2=r).loss for t in tasks]) for r in grid]
descent = dict(log_l2=-3.0, steps=30, lr=8.0, tol=0.005)  # where and how descent runs
log_l2, history = sa.meta_learn_l2(tasks, n_classes=3, **descent)
hist = pd.DataFrame(history)
plt.plot(grid, curve, color="tab:blue", label="mean query cross-entropy (grid)")
plt.plot(hist["log_l2"], hist["loss"], "x--", color="tab:red", ms=7, label="gradient descent steps")
plt.xlabel("log λ")
plt.ylabel("mean query cross-entropy")
plt.legend()
plt.show()
print(hist.tail(4).round(4).to_string(index=False))
i_min = int(np.argmin(curve))
print(f"learned λ = {np.exp(log_l2):.3f} (query loss {hist['loss'].iloc[-1]:.4f}); grid minimum at "
      f"λ = {np.exp(grid[i_min]):.3f} (query loss {curve[i_min]:.4f}), i.e. somewhere between "
      f"{np.exp(grid[max(i_min - 1, 0)]):.3f} and {np.exp(grid[min(i_min + 1, len(grid) - 1)]):.3f}")
last = hist["grad"].iloc[-1]
print(f"Last gradient {last:+.4f} after {len(hist) - 1} steps: " + (
    "below the tolerance, so descent stops; the loss may still fall a little further on (compare the grid's "
    "minimum), by less than the tolerance lets matter."
    if abs(last) < descent["tol"] else
    "not below the tolerance: the steps stop short of the minimum (more steps would go on); "
    "near the minimum the curve is flat, so the query loss differs little."))

# %% [markdown]
# ## 4. Once, on unseen answers
#
# The learned `λ` against two others: notebook 18's `λ = 0.3` (chosen on dev data by accuracy and
# QWK) and scikit-learn's default (`C = 1`, i.e. `λ = 1`), without the relevance guard, on the unseen
# answers of the *same* training questions, beside the floor of answering each question's most
# frequent training label. All are scored on the same answers, so the paired bootstrap (notebook 03)
# decides; answers to one question are alike, so it draws whole questions (`groups=`), not single
# answers. Accuracy is the one metric of these verdicts.
#
# What this does *not* test: the point of one shared `λ` is to grade **new** questions,
# and these are new answers to questions whose other answers were used to learn `λ`.
# Exercise 2 is the check on other questions (by query loss, on training questions held
# out from the learning).

# %%
from course_utils.metrics import paired_bootstrap

learned_name = f"meta-learned λ = {np.exp(log_l2):.3f}"
preds = {}
for name, l2 in ((learned_name, float(np.exp(log_l2))), ("notebook 18's λ = 0.3", 0.3), ("λ = 1", 1.0)):
    preds[name] = pred = sa.few_shot_predictions(train_q, ua_q, None, model_id=model_id, n_support=30, l2=l2)
    s = sa.classification_scores(pred["label_3way"], pred["pred_3way"])
    print(f"{name}: accuracy {s['accuracy']:.3f}, macro-F1 {s['macro_f1']:.3f} "
          f"({s['n']} answers to {pred['question_id'].nunique()} questions)")
learned_pred = preds[learned_name]
per_question_majority = train_q.groupby("question_id")["label_3way"].agg(lambda v: v.mode()[0])
floor_pred = learned_pred["question_id"].map(per_question_majority)
floor = sa.classification_scores(learned_pred["label_3way"], floor_pred)
print(f"floor, each question's most common training label: accuracy {floor['accuracy']:.3f}, "
      f"macro-F1 {floor['macro_f1']:.3f}")


def accuracy(gold, pred):
    return float(np.mean(np.asarray(gold) == np.asarray(pred)))


# grade / pred_grade: the teacher's and the grader's labels as numbers (sa.BEETLE_GRADES)
floor_grade = floor_pred.map(sa.BEETLE_GRADES)
apart = []  # per fixed λ: does the interval exclude 0?
for other, other_pred in [(name, p["pred_grade"]) for name, p in preds.items() if name != learned_name] + [
        ("the floor", floor_grade)]:
    assert preds[learned_name].index.equals(other_pred.index)  # the same answers in the same order
    gain = paired_bootstrap(learned_pred["grade"], learned_pred["pred_grade"], other_pred, metric=accuracy,
                            groups=learned_pred["question_id"])
    differ = int((learned_pred["pred_grade"].to_numpy() != np.asarray(other_pred)).sum())
    print("accuracy, resampling questions: " + gain.verdict("the learned λ", other, items="answers")
          + f"; the two grade {differ} of {len(learned_pred)} answers differently (resamples where both are right "
          "or wrong on the same answers tie" + ("; with so few, nothing can be concluded)" if differ < 5 else ")"))
    if other != "the floor":
        apart.append(gain.low > 0 or gain.high < 0)
print("So: learning λ " + ("bought no accuracy these answers can measure over either fixed λ."
                           if not any(apart) else "changed accuracy measurably against a fixed λ (see above)."))

# %% [markdown]
# Why the two ways of choosing can disagree: the query cross-entropy that `λ` is learned by rewards
# probabilities close to the truth, while accuracy (and QWK) look only at the most probable grade.
# Section 3's curve is flat near its minimum, so values of `λ` across a wide range fit about equally
# well. What meta-learning offers here is a way to set `λ` from training questions without a grid search
# (it follows a gradient on the same kind of training answers notebook 18 used as dev data), and one
# that scales to many settings (one gradient for all of them).
#
# ## Summary
#
# * The regularisation strength `λ` shared by every question's grader can be learned
#   from the training questions: the hypergradient through Newton's solution costs one
#   linear solve per question (implicit function theorem), and it matches finite
#   differences.
# * Gradient descent on `log λ` needs enough steps to reach the minimum; the last
#   gradient tells. Near the minimum the loss curve is flat, so a λ a little off costs
#   little.
# * `λ` is learned on training questions only and scored once in this notebook on unseen answers to
#   those questions (answers notebook 18 already used for reporting, no choice made on them), with a paired bootstrap over questions
#   against two fixed values and the floor: the "So:" line says whether learning `λ` bought
#   measurable accuracy in this profile. New questions are checked only in Exercise 2.
#
# This is the last notebook.

# %% [markdown]
# ## Exercises

# %% [markdown]
# ### Exercise 1: unrolling instead of the implicit function theorem
#
# Differentiate through the Newton iterations themselves: write 10 Newton steps in
# torch with `log λ` as a tensor that requires gradients (`torch.func.grad` and
# `torch.func.hessian` of the training objective give `g` and `H`; work in the span of
# the answers, `X V` with `V` from an SVD, to keep `H` small; section 2's `X` and `Xq` are already
# written in it), compute the query loss and call `backward()`. Compare with `sa.hypergradient`.
# Which one needs less memory as the number of steps grows? (Torch in brief: a tensor created with
# `requires_grad=True` records every operation on it; `loss.backward()` then fills its `.grad` with
# d loss / d tensor. `torch.func.grad(f)` and `torch.func.hessian(f)` return functions that compute
# the gradient and the Hessian of `f`.)

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
# for the learned `λ`, `λ = 1` and notebook 18's `λ = 0.3`. Descend as section 3 does (`descent`), so the two learned
# values can be compared, and print the last gradient.

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
half = max(1, len(tasks) // 2)
learned, half_hist = sa.meta_learn_l2(tasks[:half], n_classes=3, **descent)  # as in section 3
print(f"learned on {half} questions: λ = {np.exp(learned):.3f} (last gradient {half_hist[-1]['grad']:+.4f}, "
      f"{len(half_hist) - 1} steps); on all {len(tasks)} in section 3: λ = {np.exp(log_l2):.3f}")
others = tasks[half:] or tasks[:half]
per_question = pd.DataFrame({name: [sa.hypergradient(*t, n_classes=3, log_l2=r).loss for t in others]
                             for name, r in (("λ = 1", 0.0), ("λ = 0.3", float(np.log(0.3))), ("learned λ", learned))})
print(f"On the {len(others)} other questions, mean query loss: " +
      ", ".join(f"{name} {loss:.4f}" for name, loss in per_question.mean().items()))
pick = np.random.default_rng(0).integers(0, len(per_question), size=(1000, len(per_question)))
for fixed in ("λ = 1", "λ = 0.3"):
    diff = (per_question["learned λ"] - per_question[fixed]).to_numpy()
    low, high = np.quantile(diff[pick].mean(1), [0.025, 0.975])
    wins = int((diff < 0).sum())
    print(f"learned minus {fixed}: {diff.mean():+.4f} (95% interval over these {len(diff)} questions: {low:+.4f} "
          f"to {high:+.4f}; lower loss on {wins} of {len(diff)} questions): "
          + ("these questions cannot tell them apart." if low <= 0 <= high else
             "the learned λ carries over better." if high < 0 else "the fixed λ does better here."))
print("One split into halves, so one observation of how a learned λ carries over; with 10 questions the intervals "
      "run narrow, and repeating it over many random halves would say more.")

# %% [markdown]
# Further reading: notebook 18's section 9 grades new answers to hand-written questions in other
# subjects, each from 12 graded answers (their other answers, the dev halves, helped choose the
# grader's settings).
