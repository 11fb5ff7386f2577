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
# # 03 · Essay data and how to measure a scorer
#
# The essays: ASAP prompt 7 ("Patience"), 1,569 narratives by US grade-7 students,
# each scored by two trained raters on a 0–12 scale (four traits, 0–3 each). We look at
# the data, then build the agreement statistics of Williamson, Xi & Breyer (2012) from
# their definitions, check them against scikit-learn, and measure the yardstick every
# machine score is compared with: **how well two humans agree**.
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

profile = config.setup()

# %% [markdown]
# ## 1. The essays

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from course_utils.data import load_asap, reference_split

essays = load_asap(7)
print(essays.shape)
print(essays.drop(columns="essay").describe().round(2))
print("domain1_score = rater 1 + rater 2 on every essay:",
      (essays.domain1_score == essays.rater1_domain1 + essays.rater2_domain1).all())

# %%
example = essays.iloc[0]
print(f"Essay {example.essay_id}: rater 1 gave {example.rater1_domain1}, rater 2 gave {example.rater2_domain1}\n")
print(example.essay[:600], "...")

# %% [markdown]
# `rater1_domain1` and `rater2_domain1` are the two raters' scores (0–12);
# `domain1_score` (2–24 here) is their sum, the score the essay finally received. The
# course predicts **rater 1's score**. Names, places and dates were replaced by tags such
# as `@PERSON1` or `@CAPS2` to anonymise the essays; models see these tags too
# (notebook 10 shows how a tokenizer splits them).
#
# ## 2. The reference split
#
# Before looking closer, we set a fifth of the essays aside as the **test set**: every
# model is trained and chosen on the other essays, and scored on these once, at the end.
# `reference_split` is scikit-learn's `train_test_split(essays, test_size=0.2,
# random_state=42)`: the same 314 test essays in every notebook.

# %%
train, test = reference_split(essays)
print(f"train: {len(train)} essays, test: {len(test)} essays")
h1, h2 = test.rater1_domain1.to_numpy(), test.rater2_domain1.to_numpy()

# %% [markdown]
# ## 3. Score distributions (training essays)

# %%
from course_utils import plots

plots.score_distributions(train)
plt.show()
n_words = train.essay.str.split().str.len()
print(f"Correlation of essay length (words) with rater 1, training essays: "
      f"{np.corrcoef(n_words, train.rater1_domain1)[0, 1]:.3f}")

# %% [markdown]
# Length alone correlates strongly with the score: any model must beat that, and a
# model that only counts words would be easy to game.

# %% [markdown]
# ## 4. The metrics, from their definitions
#
# **Exact agreement** is the share of essays with identical scores; **adjacent
# agreement** allows a difference of one point.

# %%
exact = np.mean(h1 == h2)
adjacent = np.mean(np.abs(h1 - h2) <= 1)
print(f"exact agreement {exact:.4f}, adjacent agreement {adjacent:.4f}")

# %% [markdown]
# **Quadratic weighted kappa (QWK)** compares the observed table of score pairs $O$
# (how many essays got score $i$ from one rater and $j$ from the other) with the table
# $E$ expected if the two raters scored independently, each keeping their own overall
# score counts (the table's row and column totals, called its *marginals*). It
# penalises a disagreement by the squared distance between the scores:
#
# $$\kappa_w = 1 - \frac{\sum_{ij} w_{ij} O_{ij}}{\sum_{ij} w_{ij} E_{ij}}, \qquad
#   w_{ij} = \frac{(i-j)^2}{(k-1)^2}$$
#
# where $i, j$ run over the $k$ score points of the scale (0–12 here, $k = 13$).

# %%
def qwk_by_hand(a: np.ndarray, b: np.ndarray, lo: int, hi: int) -> float:
    k = hi - lo + 1  # number of score points
    observed = np.zeros((k, k))  # observed[i, j]: essays scored i by a and j by b
    for x, y in zip(a, b):
        observed[x - lo, y - lo] += 1
    n = observed.sum()
    a_totals, b_totals = observed.sum(axis=1), observed.sum(axis=0)  # the marginals
    expected, weights = np.zeros((k, k)), np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            expected[i, j] = a_totals[i] * b_totals[j] / n  # if a and b were independent
            weights[i, j] = (i - j) ** 2 / (k - 1) ** 2
    return 1 - (weights * observed).sum() / (weights * expected).sum()


from sklearn.metrics import cohen_kappa_score

print(f"QWK by hand:      {qwk_by_hand(h1, h2, 0, 12):.10f}")
print(f"QWK scikit-learn: {cohen_kappa_score(h1, h2, weights='quadratic', labels=list(range(13))):.10f}")

# %% [markdown]
# **A trap in scikit-learn.** `cohen_kappa_score` weights a disagreement by the
# *positions* of the labels it sees, not by the score values. When a score point never
# occurs, positions and values differ and the kappa changes. Pass the full score range
# as `labels`. Here two raters never use the score 1:

# %%
a = np.array([0, 0, 2, 3, 3, 2, 0, 3])
b = np.array([0, 2, 2, 3, 2, 3, 0, 3])
print(f"by hand (values 0-3):          {qwk_by_hand(a, b, 0, 3):.4f}")
print(f"sklearn with labels=range(4):  {cohen_kappa_score(a, b, weights='quadratic', labels=[0, 1, 2, 3]):.4f}")
print(f"sklearn without labels:        {cohen_kappa_score(a, b, weights='quadratic'):.4f}  <- wrong scale")

# %% [markdown]
# **Standardised mean difference (SMD)** measures whether the machine scores higher or
# lower than the human on average, in units of their *pooled* standard deviation (the
# square root of the average of the two variances: a typical spread of the scores):
#
# $$\text{SMD} = \frac{\bar{m} - \bar{h}}{\sqrt{(s_h^2 + s_m^2)/2}}$$
#
# Positive means the machine (here: rater 2) scores **higher**; some texts use human
# minus machine, the opposite sign.

# %%
# numpy's .std() divides by n, not n - 1 (its default ddof=0, "delta degrees of freedom")
pooled = np.sqrt((h1.std() ** 2 + h2.std() ** 2) / 2)
smd_by_hand = (h2.mean() - h1.mean()) / pooled
print(f"mean rater 1 {h1.mean():.3f}, mean rater 2 {h2.mean():.3f}, SMD {smd_by_hand:+.4f}")
print(f"Pearson r {np.corrcoef(h1, h2)[0, 1]:.4f}")

# %% [markdown]
# ## 5. The course's implementation
#
# `course_utils.metrics.aes_metrics` computes all of them at once (QWK on score
# values), and checks its input: unequal lengths, missing or non-integer scores raise a
# clear error instead of a wrong number.

# %%
from course_utils.metrics import aes_metrics, bootstrap_ci, williamson_check

human_human = aes_metrics(test.rater1_domain1, test.rater2_domain1)
print({k: round(v, 4) for k, v in human_human.items()})
assert abs(human_human["QWK"] - qwk_by_hand(h1, h2, 0, 12)) < 1e-12
assert abs(human_human["SMD"] - smd_by_hand) < 1e-12

try:
    aes_metrics([3, 4, 5], [3.5, 4, 5])
except ValueError as err:
    print("Caught:", err)

# %% [markdown]
# The **human–human baseline** on the 314 test essays: how well one trained human
# (rater 2) agrees with another (rater 1). It is a reference point, not a ceiling:
# section 9 explains why a machine can score above it.
#
# ## 6. How sure are we? Bootstrap intervals
#
# 314 essays is not many. Resampling the essays with replacement and recomputing the
# figure each time shows how much it would move with another sample of essays; the
# middle 95% of the resampled figures is the *95% interval*. We use 1,000 resamples
# for every interval in this notebook: with a few hundred, the interval's ends rest
# on a handful of extreme resamples and move visibly from one seed to another.

# %%
N_RESAMPLES = 1000
for metric in ("QWK", "Acc", "SMD"):
    ci = bootstrap_ci(test.rater1_domain1, test.rater2_domain1, metric=metric, n=N_RESAMPLES, seed=0)
    print(f"{metric}: {ci.estimate:.3f}  95% interval [{ci.low:.3f}, {ci.high:.3f}]  ({N_RESAMPLES} resamples)")

# %% [markdown]
# These intervals say how much *one* scorer's figure would move with another sample of
# essays. To compare *two* scorers, do not compare their intervals: section 9 shows the
# paired comparison the rest of the course uses.
#
# ## 7. The Williamson et al. (2012) criteria
#
# The guidelines of ETS (Educational Testing Service, which runs tests such as the
# TOEFL and scores essays by machine) for deploying an automated scorer ask, among
# other things, for QWK ≥ 0.70 and r ≥ 0.70 with the human, a QWK at most 0.10 below
# the human–human QWK, and |SMD| ≤ 0.15. `williamson_check` prints each figure with
# its 95% interval (the same resamples as above). `pass` compares the point estimate
# with the threshold; `verdict` reads the interval: "pass" only when the whole
# interval clears the threshold, "pass on the point estimate only" when it crosses it.
# As an illustration rater 2 plays the "machine" against rater 1. The degradation row
# needs a second human; here the "machine" *is* that second human, so its degradation
# is 0 whatever the scores, and the table marks it n/a.

# %%
williamson_check(test.rater1_domain1, test.rater2_domain1, human2=test.rater2_domain1,
                 n_resamples=N_RESAMPLES, seed=0)

# %% [markdown]
# QWK, r and SMD pass on their point estimates, yet no interval clears its threshold:
# on another 314 essays rater 2 could fall below 0.70. Such verdicts need more essays.
#
# ## 8. Two baselines every model must beat
#
# Human agreement is a reference (section 9). Two floors matter as much:
#
# * the **length line**: count the words of an essay and map the count to a score with
#   a straight line fitted on the training essays (rounded and clipped to 0–12). Length
#   correlates strongly with the score (section 3), so a model that does not beat this
#   line has learned little beyond counting words;
# * a **constant predictor**: the training median for every essay. Its QWK is 0 by
#   construction: the mark of a model that learned nothing.
#
# `course_utils.baselines` has both. From here on every notebook prints them beside
# each test figure, and adds its models to a **leaderboard** that grows from notebook
# to notebook: a record of test results with their intervals, never used to choose.

# %%
from course_utils import baselines

baselines.start_leaderboard(profile.name)  # start an empty leaderboard
base = baselines.fit_baselines(train.essay, train.rater1_domain1)
line = base["length line"]
print(f"length line: score = {line.slope_:.4f} x words {line.intercept_:+.2f} (fitted on {len(train)} essays)")
rows = baselines.report("03", "rater 2 (a second human)", test.essay, test.rater1_domain1,
                        test.rater2_domain1, base, n_train=None)  # a human: not trained
median = base[baselines.CONSTANT].value_
print(f"test essays whose rater-1 score is the training median ({median}): {np.mean(h1 == median):.3f}")

# %% [markdown]
# The numbers above are the yardsticks for the rest of the course: the length line's
# QWK is what "just counting words" achieves on these 314 essays. The constant's exact
# agreement is the share of essays that have the median score (last line), here as
# high as rater 2's: on a 13-point scale, where raters one point apart count as a miss,
# exact agreement cannot tell a rater from a scorer that learned nothing; QWK can.
#
# ## 9. Is scorer A better than scorer B? A paired comparison
#
# Two scorers graded the **same** essays, so compare them on the same essays. The
# paired bootstrap:
#
# 1. draw 314 essays from the test set **with replacement** (some twice, some not at all);
# 2. compute QWK against rater 1 for **both** scorers on that same resample, and keep
#    the difference A − B;
# 3. repeat (here 1,000 times) and read the middle 95% of the differences.
#
# If that interval lies above 0, A agrees better with rater 1 on essays like these; if
# it contains 0, these essays cannot tell A and B apart. Because both scorers see the
# same resample, an essay that is hard for both moves both QWKs together and cancels
# out of the difference, so the paired interval is narrower than an unpaired one, where
# each scorer gets its own resample (as in the two separate intervals of the
# leaderboard). Here A is rater 2 and B the length line. `qwk_closed_form` is the same
# QWK as `qwk` in microseconds (with squared weights, it needs only means and variances).

# %%
from course_utils.metrics import paired_bootstrap, qwk_closed_form

h, a, b = (np.asarray(x) for x in (test.rater1_domain1, test.rater2_domain1, line.predict(test.essay)))
rng, rng_own = np.random.default_rng(42), np.random.default_rng(7)
paired_diffs, unpaired_diffs = [], []
for _ in range(N_RESAMPLES):
    i = rng.integers(0, len(h), len(h))  # one resample of essay positions, used for both
    j = rng_own.integers(0, len(h), len(h))  # unpaired: the length line's own resample
    qwk_a = qwk_closed_form(h[i], a[i])
    paired_diffs.append(qwk_a - qwk_closed_form(h[i], b[i]))
    unpaired_diffs.append(qwk_a - qwk_closed_form(h[j], b[j]))
print(f"QWK(rater 2) - QWK(length line) = {qwk_closed_form(h, a) - qwk_closed_form(h, b):+.3f}")
for name, diffs in (("paired", paired_diffs), ("unpaired", unpaired_diffs)):
    low, high = np.quantile(diffs, [0.025, 0.975])
    print(f"{name:>8}: 95% interval [{low:+.3f}, {high:+.3f}] (width {high - low:.3f}), "
          f"rater 2 ahead in {np.sum(np.array(diffs) > 0)} of {N_RESAMPLES} resamples")

# %% [markdown]
# `course_utils.metrics.paired_bootstrap` does the paired version and says what follows
# from the interval; later notebooks use it for every "A beats B". Its seed (42) and
# count (1,000) are those of the loop above and of the verdict line of section 8, so
# all three draw the same resamples and print the same interval (another seed would
# move its ends slightly).

# %%
paired = paired_bootstrap(h, a, b, n_resamples=N_RESAMPLES, seed=42, labels=range(13))
assert np.allclose([paired.low, paired.high], np.quantile(paired_diffs, [0.025, 0.975]))
print(paired.verdict("rater 2", "the length line"))

# %% [markdown]
# **What "a model agrees with rater 1 better than rater 2 does" means.** Every model in
# this course is trained on rater 1's scores, and rater 2 is one noisy human. A model
# can learn rater 1's habits (how harshly they score, which features they reward) and
# then agree with rater 1 more than a second human does, without being "better than
# humans": it has not been compared with the true quality of the essay, which no one
# observes, nor with a panel of raters. So the human–human QWK is a **reference**
# (how much two trained people agree), not a ceiling; a model above it agrees with
# *this* rater more than a second rater did, on these essays, and the paired interval
# says whether even that is more than chance.
#
# ## Summary
#
# * QWK (on score values: pass the full range to scikit-learn), exact and adjacent
#   agreement, SMD and r measure a scorer against a human; human–human agreement is
#   a reference (not a ceiling), and 314 test essays leave wide bootstrap intervals.
# * To say "A is better than B", score both on the same resampled essays and read the
#   interval of the difference (`paired_bootstrap`).
# * The length line and a constant predictor are the floors every model must clear.
#
# Next: [notebook 04](04_bag_of_words.ipynb) builds the first real scorer, a bag of
# words.
#
# ## Exercises
#
# ### Exercise 1: is the test set typical?
# Compute the human–human QWK on the 1,255 training essays and compare it with the
# test set's. The two sets share no essay, so resample each on its own and read the
# 95% interval of the difference (test minus train).

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
def resampled_qwks(df, rng):
    """Human-human QWK on N_RESAMPLES resamples of df's essays."""
    r1, r2 = df.rater1_domain1.to_numpy(), df.rater2_domain1.to_numpy()
    return np.array([qwk_closed_form(r1[i], r2[i]) for i in rng.integers(0, len(df), (N_RESAMPLES, len(df)))])


on_train = aes_metrics(train.rater1_domain1, train.rater2_domain1)["QWK"]
rng = np.random.default_rng(0)
low, high = np.quantile(resampled_qwks(test, rng) - resampled_qwks(train, rng), [0.025, 0.975])
print(f"human-human QWK: train {on_train:.3f}, test {human_human['QWK']:.3f}, "
      f"difference {human_human['QWK'] - on_train:+.3f}, 95% interval [{low:+.3f}, {high:+.3f}]")
print("The interval contains 0: no sign that the test essays' raters agree more or less than the training essays'."
      if low <= 0 <= high else "The interval excludes 0: the test set's human agreement differs from the training essays'.")

# %% [markdown]
# ### Exercise 2: a length-only "machine" against the Williamson criteria
# Run `williamson_check` on the length line's test predictions (`base["length line"]`,
# fitted on the **training** essays). Does length alone pass any criterion?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
length_pred = base["length line"].predict(test.essay)
check = williamson_check(test.rater1_domain1, length_pred, human2=test.rater2_domain1)
print(check.to_string(index=False))
constant_pred = base[baselines.CONSTANT].predict(test.essay)
const_check = williamson_check(test.rater1_domain1, constant_pred, human2=test.rater2_domain1)
only_length = check["pass"] & ~const_check["pass"]
print(f"On the point estimate, length alone passes {int(check['pass'].sum())} of the {len(check)} criteria and the "
      f"constant predictor, which learned nothing, {int(const_check['pass'].sum())}; with the whole interval, "
      f"{int((check['verdict'] == 'pass').sum())} and {int((const_check['verdict'] == 'pass').sum())}.")
print("Criteria length passes and the constant does not:", list(check.loc[only_length, "criterion"]) or "none")
print("A criterion that the constant passes too says nothing about learning. Whether length beats the constant:")
print(paired_bootstrap(h, length_pred, constant_pred, n_resamples=N_RESAMPLES, labels=range(13))
      .verdict("the length line", "the constant predictor"))

# %% [markdown]
# ### Exercise 3: the sign of SMD
# Swap the arguments of `aes_metrics` (rater 2 as human, rater 1 as machine). Which
# metrics change, and how?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
swapped = aes_metrics(test.rater2_domain1, test.rater1_domain1)
for key in ("QWK", "Acc", "Adj", "SMD", "r"):
    print(f"{key}: {human_human[key]:+.4f} -> {swapped[key]:+.4f}")
# Only SMD changes: it flips sign. QWK, agreement and r are symmetric in the two raters,
# so they cannot tell which rater scores higher; SMD can.
