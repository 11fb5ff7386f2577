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
# # 08 · Tuning done right: grid search and Optuna on the dev set
#
# Every model has settings (here: the SVD dimension). We choose them on the dev set,
# with a plain grid and with Optuna's TPE sampler, keep the *best* model, and touch
# the test set exactly once.
#
# Two mistakes of the original material to avoid: it scored the **last** model its
# loop trained instead of the best one, and it **switched the target column** mid-way
# (rater 1 in one place, the resolved score in another), so its numbers were not
# comparable. Here `TARGET` is set once, at the top.
#
# *Time to work through: about 20 minutes.*

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

# %%
from course_utils.data import TARGET, essay_splits, load_asap

df = load_asap(7)
# essay_splits: test = the original workshop's 314 test essays (notebook 03); dev = 15% of the
# other essays, drawn at random (seed 42); train = the rest (course_utils.data.train_dev_test_split)
train, dev, test = essay_splits(df, max_train=profile.max_train_essays)  # target: set once, used everywhere

# %% [markdown]
# ## 1. Grid search over the SVD dimension (dev set)

# %%
from course_utils.metrics import qwk
from course_utils.scorers import SvdScorer

dev_preds = {}  # dim -> dev predictions, kept for the paired comparison of exercise 2


def dev_qwk(dim: int) -> float:
    """Train on train, score on dev: the only number tuning may look at."""
    model = SvdScorer(dim=dim, random_state=42).fit(train.essay, train[TARGET])
    dev_preds[dim] = model.predict(dev.essay)
    return qwk(dev[TARGET], dev_preds[dim], 0, 12)


grid = {dim: dev_qwk(dim) for dim in profile.svd_dims}
for dim, q in grid.items():
    print(f"dim={dim:>3}: dev QWK {q:.3f}")
grid_best = max(grid, key=grid.get)
print(f"grid search: best dim {grid_best} (dev QWK {grid[grid_best]:.3f})")

# %% [markdown]
# The wrong way: `for dim in dims: model = fit(dim)` and then evaluate `model` —
# that is the **last** dimension tried, whatever its dev score. Keep the argmax.
#
# ## 2. Optuna (TPE) over the same dimension

# %%
import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
lo, hi = min(profile.svd_dims), max(profile.svd_dims)


def objective(trial: optuna.Trial) -> float:
    return dev_qwk(trial.suggest_int("dim", lo, hi, log=True))


study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=42))
study.optimize(objective, n_trials=profile.optuna_trials)
print(f"Optuna: best dim {study.best_params['dim']} (dev QWK {study.best_value:.3f}) "
      f"after {len(study.trials)} trials")

# %%
import matplotlib.pyplot as plt

trials = study.trials_dataframe()
plt.scatter(trials["params_dim"], trials["value"], label="Optuna trials")
plt.scatter(list(grid), list(grid.values()), marker="x", label="grid")
plt.xscale("log")
plt.xticks(list(grid), [str(d) for d in grid])  # a tick at every grid dimension
plt.minorticks_off()
plt.xlabel("SVD dimension (log scale)")
plt.ylabel("dev QWK")
plt.legend()
plt.show()

# %% [markdown]
# The dev set has only a couple of hundred essays, so differences of 0.01 between
# settings are mostly noise (exercise 2 tests this with a paired comparison): near its
# top the dev QWK curve is bumpy (compare Optuna's
# trials with the grid's points close to them). In practice, prefer the simplest
# setting near the top rather than chasing the last decimal; the next cell simply keeps
# the best dev QWK of the two searches, so that the choice is easy to follow.
#
# ## 3. The test set, once, with the chosen setting

# %%
from course_utils.metrics import aes_metrics, bootstrap_ci

best_dim = grid_best if grid[grid_best] >= study.best_value else study.best_params["dim"]
final = SvdScorer(dim=best_dim, random_state=42).fit(train.essay, train[TARGET])
pred = final.predict(test.essay)
ci = bootstrap_ci(test[TARGET], pred, "QWK", n=profile.n_bootstrap, seed=0)
print(f"SVD({best_dim}) + LR chosen on dev: test QWK {ci.estimate:.3f} "
      f"(95% bootstrap CI {ci.low:.3f}-{ci.high:.3f}, width {ci.high - ci.low:.3f})")
from course_utils import baselines

base = baselines.fit_baselines(train.essay, train[TARGET])
rows = baselines.report("08", f"SVD({best_dim}) + LR, tuned", test.essay, test[TARGET], pred, base,
                        n_train=len(train))

# %% [markdown]
# The interval says how far this one figure could move with another 314 essays. To say
# whether the tuned model agrees with rater 1 better than the length line does, compare
# the two on the same resampled essays (the paired comparison of notebook 03):

# %%
from course_utils.metrics import paired_bootstrap

length_test = base[baselines.LENGTH_LINE].predict(test.essay)
print(paired_bootstrap(test[TARGET], pred, length_test, n_resamples=profile.n_bootstrap, labels=range(13))
      .verdict(f"SVD({best_dim}) + LR", "the length line"))

# %% [markdown]
#
# ## Summary
#
# * Choose settings on dev (grid or Optuna), keep the **best** model, not the last one
#   trained, and keep one target column throughout.
# * Dev and test sets of a few hundred essays are noisy: decide "A beats B" with a
#   paired bootstrap on the same essays, not by comparing two separate intervals.
#
# Next: [notebook 09](09_beyond_the_original.ipynb) goes beyond the original's models
# with regression, optimised cutoffs and ensembles.
#
# ## Exercises
#
# ### Exercise 1: Tune two settings
# Let Optuna tune `dim` and the logistic regression's `C` (log-uniform 0.1–10) together.

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
def objective2(trial: optuna.Trial) -> float:
    scorer = SvdScorer(dim=trial.suggest_int("dim", lo, hi, log=True),
                       C=trial.suggest_float("C", 0.1, 10, log=True), random_state=42)
    return scorer.fit(train.essay, train[TARGET]).score(dev.essay, dev[TARGET])


study2 = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
study2.optimize(objective2, n_trials=profile.optuna_trials)
print(study2.best_params, round(study2.best_value, 3))
gain = study2.best_value - study.best_value
print(f"Tuning C as well reaches dev QWK {study2.best_value:.3f} against {study.best_value:.3f} for dim alone ({gain:+.3f}):")
print(("a higher dev QWK was found" if gain > 0 else
       f"no higher dev QWK was found: {profile.optuna_trials} trials spread over two settings explore each one more thinly")
      + "; a single-split observation on one dev set (exercise 2 shows how to test such a gap).")

# %% [markdown]
# ### Exercise 2: Can the dev set tell the grid's settings apart?
# Compare the grid's best model with every other grid setting on the dev essays with
# `paired_bootstrap` (the dev predictions are in `dev_preds`). Which settings does the
# dev set tell apart from the best one?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
for dim in grid:
    if dim != grid_best:
        result = paired_bootstrap(dev[TARGET], dev_preds[grid_best], dev_preds[dim],
                                  n_resamples=profile.n_bootstrap, labels=range(13))
        print(f"dim={dim:>3}:", result.verdict(f"dim={grid_best}", f"dim={dim}"))
# Settings whose interval contains 0 cannot be told apart from the best one on this dev
# set; settings whose interval lies above 0 are worse, as far as these essays can tell.
