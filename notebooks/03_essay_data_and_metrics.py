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

# %%
example = essays.iloc[0]
print(f"Essay {example.essay_id}: rater 1 gave {example.rater1_domain1}, rater 2 gave {example.rater2_domain1}\n")
print(example.essay[:600], "...")

# %% [markdown]
# Names, places and dates were replaced by tags such as `@PERSON1` or `@CAPS2` to
# anonymise the essays. Models see these tags too (notebook 10 shows how a tokenizer
# splits them).
#
# ## 2. Score distributions

# %%
from course_utils import plots

plots.score_distributions(essays)
plt.show()
n_words = essays.essay.str.split().str.len()
print(f"Correlation of essay length (words) with rater 1: {np.corrcoef(n_words, essays.rater1_domain1)[0, 1]:.3f}")

# %% [markdown]
# Length alone correlates strongly with the score: any model must beat that, and a
# model that only counts words would be easy to game.
#
# ## 3. The reference split
#
# The original workshop split the essays with
# `train_test_split(df, test_size=0.2, random_state=42)`. We keep exactly that split so
# our results are comparable with its published table; `reference_split` does it.

# %%
train, test = reference_split(essays)
print(f"train: {len(train)} essays, test: {len(test)} essays")
h1, h2 = test.rater1_domain1.to_numpy(), test.rater2_domain1.to_numpy()

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
# with the table $E$ expected if the two raters were independent (same marginals),
# penalising a disagreement by the squared distance between the scores:
#
# $$\kappa_w = 1 - \frac{\sum_{ij} w_{ij} O_{ij}}{\sum_{ij} w_{ij} E_{ij}}, \qquad
#   w_{ij} = \frac{(i-j)^2}{(k-1)^2}$$
#
# where $i, j$ run over the $k$ score points of the scale (0–12 here, $k = 13$).

# %%
def qwk_by_hand(a: np.ndarray, b: np.ndarray, lo: int, hi: int) -> float:
    k = hi - lo + 1
    observed = np.zeros((k, k))
    for x, y in zip(a, b):
        observed[x - lo, y - lo] += 1
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    i, j = np.indices((k, k))
    weights = (i - j) ** 2 / (k - 1) ** 2
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
# lower than the human on average, in units of their pooled standard deviation:
#
# $$\text{SMD} = \frac{\bar{m} - \bar{h}}{\sqrt{(s_h^2 + s_m^2)/2}}$$
#
# Positive means the machine (here: rater 2) scores **higher**. *Note:* the original
# workshop's text defines SMD this way, but its code computes human minus machine, the
# opposite sign. We follow the text.

# %%
pooled = np.sqrt((h1.std() ** 2 + h2.std() ** 2) / 2)  # population SDs (ddof=0)
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

# %%
print(f"Human-human on the test set: QWK {human_human['QWK']:.4f}, exact agreement {human_human['Acc']:.4f}")

# %% [markdown]
# ## 6. The Williamson et al. (2012) criteria
#
# ETS's guidelines for deploying an automated scorer ask, among other things, for
# QWK ≥ 0.70 and r ≥ 0.70 with the human, a QWK at most 0.10 below the human–human
# QWK, and |SMD| ≤ 0.15. As an illustration we treat rater 2 as the "machine" and
# compare with rater 1 (the degradation row needs a second human score; here the
# "machine" *is* that second human, so its degradation is 0 by construction).

# %%
williamson_check(test.rater1_domain1, test.rater2_domain1, human2=test.rater2_domain1)

# %% [markdown]
# ## 7. How sure are we? Bootstrap intervals
#
# 314 essays is not many. Resampling the essays with replacement and recomputing the
# QWK each time shows how much the figure would move with another sample of essays.

# %%
for metric in ("QWK", "Acc", "SMD"):
    ci = bootstrap_ci(test.rater1_domain1, test.rater2_domain1, metric=metric, n=profile.n_bootstrap, seed=0)
    print(f"{metric}: {ci.estimate:.3f}  95% interval [{ci.low:.3f}, {ci.high:.3f}]  ({profile.n_bootstrap} resamples)")

# %% [markdown]
# These intervals say how much *one* scorer's figure would move with another sample of
# essays. To compare *two* scorers, do not compare their intervals: section 9 shows the
# paired comparison the rest of the course uses.
#
# ## 8. Two baselines every model must beat
#
# Human agreement is a reference (section 9). Two floors matter as much:
#
# * the **length line**: count the words of an essay and map the count to a score with
#   a straight line fitted on the training essays (rounded and clipped to 0–12). Length
#   correlates strongly with the score (section 2), so a model that does not beat this
#   line has learned little beyond counting words;
# * a **constant predictor**: the training median for every essay. Its QWK is 0 by
#   construction: the mark of a model that learned nothing.
#
# `course_utils.baselines` has both. From here on every notebook prints them beside
# each test figure, and adds its models to a **leaderboard** (a small table kept in the
# course cache) that grows from notebook to notebook. This notebook starts it afresh;
# a later notebook run again replaces its own rows.

# %%
from course_utils import baselines

baselines.start_leaderboard(profile.name)  # a new leaderboard for this profile
base = baselines.fit_baselines(train.essay, train.rater1_domain1)
line = base["length line"]
print(f"length line: score = {line.slope_:.4f} x words {line.intercept_:+.2f} (fitted on {len(train)} essays)")
rows = baselines.report("03", "rater 2 (a second human)", test.essay, test.rater1_domain1,
                        test.rater2_domain1, base, n_train=len(train))

# %% [markdown]
# The numbers above are the yardsticks for the rest of the course: the length line's
# QWK is what "just counting words" achieves on these 314 essays.
#
# ## 9. Is scorer A better than scorer B? A paired comparison
#
# Two scorers graded the **same** essays, so compare them on the same essays. The
# paired bootstrap:
#
# 1. draw 314 essays from the test set **with replacement** (some twice, some not at all);
# 2. compute QWK against rater 1 for **both** scorers on that same resample, and keep
#    the difference A − B;
# 3. repeat (here `profile.n_bootstrap` times) and read the middle 95% of the differences.
#
# If that interval lies above 0, A agrees better with rater 1 on essays like these; if
# it contains 0, these essays cannot tell A and B apart. Because both scorers see the
# same resample, an essay that is hard for both moves both QWKs together and cancels
# out of the difference, so the paired interval is narrower than the two separate
# intervals of section 7 suggest. Here A is rater 2 and B the length line:

# %%
from course_utils.metrics import paired_bootstrap, qwk

h, a, b = (np.asarray(x) for x in (test.rater1_domain1, test.rater2_domain1, line.predict(test.essay)))
rng = np.random.default_rng(42)
diffs = []
for _ in range(profile.n_bootstrap):
    i = rng.integers(0, len(h), len(h))  # one resample of essay positions, used for both
    diffs.append(qwk(h[i], a[i], 0, 12) - qwk(h[i], b[i], 0, 12))
low, high = np.quantile(diffs, [0.025, 0.975])
print(f"by hand: QWK(rater 2) - QWK(length line) = {qwk(h, a, 0, 12) - qwk(h, b, 0, 12):+.3f}, "
      f"95% interval [{low:+.3f}, {high:+.3f}], rater 2 ahead in {np.mean(np.array(diffs) > 0):.0%} of resamples")

# %% [markdown]
# `course_utils.metrics.paired_bootstrap` does the same (the same seed draws the same
# resamples) and says what follows from the interval; later notebooks use it for every
# "A beats B".

# %%
paired = paired_bootstrap(h, a, b, n_resamples=profile.n_bootstrap, seed=42, labels=range(13))
assert np.isclose(paired.low, low) and np.isclose(paired.high, high)
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
# ### Exercise 1: the whole data set
# Compute the human–human metrics on all 1,569 essays. Is the test set's QWK typical?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
everyone = aes_metrics(essays.rater1_domain1, essays.rater2_domain1)
print(f"All essays: QWK {everyone['QWK']:.4f}, exact {everyone['Acc']:.4f} vs test-set QWK {human_human['QWK']:.4f}")
ci_low_high = bootstrap_ci(test.rater1_domain1, test.rater2_domain1, metric="QWK", n=profile.n_bootstrap, seed=0)
print(f"The whole-data QWK lies {'inside' if ci_low_high.low <= everyone['QWK'] <= ci_low_high.high else 'outside'} the test set's "
      f"95% interval [{ci_low_high.low:.3f}, {ci_low_high.high:.3f}],\nso the test set is {'typical' if ci_low_high.low <= everyone['QWK'] <= ci_low_high.high else 'not typical'} of the data as far as 314 essays can tell.")

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
print(f"Length alone passes {int(check['pass'].sum())} of the {len(check)} criteria; the constant predictor, which "
      f"learned nothing, passes {int(const_check['pass'].sum())}.")
print("Criteria length passes and the constant does not:", list(check.loc[only_length, "criterion"]) or "none")
print("A criterion that the constant passes too says nothing about learning. Whether length beats the constant:")
print(paired_bootstrap(h, length_pred, constant_pred, n_resamples=profile.n_bootstrap, labels=range(13))
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
