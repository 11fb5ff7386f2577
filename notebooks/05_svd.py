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
# # 05 · Truncated SVD: from thousands of words to a few hundred topics
#
# TF-IDF vectors are long and sparse. Truncated SVD (latent semantic analysis)
# compresses them into a few dense dimensions that capture words used together. We
# look at the idea, the explained variance, and choose the dimension on the dev set.
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
train, dev, test = essay_splits(df, max_train=profile.max_train_essays)

# %% [markdown]
# ## 1. The idea
#
# Stack the TF-IDF vectors into a matrix $X$ (essays × words). The singular value
# decomposition writes $X = U \Sigma V^\top$; keeping only the $k$ largest singular
# values gives the best rank-$k$ approximation
#
# $$X \approx X_k = U_k \Sigma_k V_k^\top ,$$
#
# and each essay becomes the $k$ numbers of $U_k \Sigma_k = X V_k$. Each column of
# $V_k$ is a direction in word space: a weighted list of words that vary together
# across essays. Some directions look like topics; the first mostly measures how much
# common words weigh (see the words printed below), so read them before naming them.

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

from course_utils import plots

vec = TfidfVectorizer().fit(train.essay)
X = vec.transform(train.essay)
k_max = max(profile.svd_dims)
svd = TruncatedSVD(n_components=k_max, random_state=42).fit(X)
plots.svd_variance(svd.explained_variance_ratio_)
plt.show()
for k in profile.svd_dims:
    print(f"k={k:>3}: {svd.explained_variance_ratio_[:k].sum():.1%} of the variance")

# %% [markdown]
# The printed shares show how much of the variance each $k$ keeps: essay vocabulary is
# diverse, so it takes many components to keep most of it. The heaviest words of the
# first two components (component 0 is mostly common words, not a topic):

# %%
words = np.array(vec.get_feature_names_out())
for i in range(2):
    print(f"component {i}:", ", ".join(words[np.argsort(np.abs(svd.components_[i]))[::-1][:10]]))

# %% [markdown]
# ## 2. A dimension sweep on the dev set
#
# `SvdScorer(dim=k)` is TF-IDF → SVD(k) → logistic regression. We choose $k$ on dev.

# %%
from course_utils.scorers import SvdScorer

dev_qwk = {}
for k in profile.svd_dims:
    dev_qwk[k] = SvdScorer(dim=k, random_state=42).fit(train.essay, train[TARGET]).score(dev.essay, dev[TARGET])
    print(f"dim={k:>3}: dev QWK {dev_qwk[k]:.3f}")
best_k = max(dev_qwk, key=dev_qwk.get)
plt.plot(list(dev_qwk), list(dev_qwk.values()), "o-")
plt.xscale("log")
plt.xticks(list(dev_qwk), [str(k) for k in dev_qwk])  # a tick at every dimension tried
plt.minorticks_off()
plt.xlabel("SVD dimension (log scale)")
plt.ylabel("dev QWK")
plt.show()
print(f"best dimension on dev: {best_k}")

# %% [markdown]
# ## 3. The test set, once, with the dimension chosen on dev

# %%
from course_utils import baselines
from course_utils.metrics import paired_bootstrap

final = SvdScorer(dim=best_k, random_state=42).fit(train.essay, train[TARGET])
base = baselines.fit_baselines(train.essay, train[TARGET])
rows = baselines.report("05", f"SVD({best_k}) + LR", test.essay, test[TARGET],
                        final.predict(test.essay), base, n_train=len(train))
print(baselines.describe_published("svd300_lr"))
print(paired_bootstrap(test[TARGET], final.predict(test.essay), base[baselines.LENGTH_LINE].predict(test.essay), n_resamples=profile.n_bootstrap,
                       labels=range(13)).verdict(f"SVD({best_k}) + LR", "the length line"))

# %% [markdown]
# ## Summary
#
# * Truncated SVD keeps the directions in which words vary together; an
#   essay becomes a few hundred dense numbers instead of thousands of sparse ones.
# * The dimension is a choice made on dev; the test set is scored once with it.
# * The paired comparison above says whether the compressed model beats the length line
#   on these test essays.
#
# Next: [notebook 06](06_handcrafted_features.ipynb) scores essays from hand-made
# features such as readability and length.

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: Seeds
# TruncatedSVD uses a randomised algorithm. Fit `SvdScorer(dim=best_k)` with
# `random_state` 0, 1, 2 and print the dev QWK of each. How large is the spread?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
spread = [SvdScorer(dim=best_k, random_state=s).fit(train.essay, train[TARGET]).score(dev.essay, dev[TARGET])
          for s in range(3)]
print([round(q, 3) for q in spread], f"range {max(spread) - min(spread):.3f}; seed 42 (section 2): {dev_qwk[best_k]:.3f}")
all_four = spread + [dev_qwk[best_k]]
print(f"The seed alone moves dev QWK by up to {max(all_four) - min(all_four):.3f} over these four seeds: differences between "
      "models smaller than that need several seeds, or a paired comparison on the same essays (notebook 03).")

# %% [markdown]
# ### Exercise 2: How much variance does the best dimension keep?
# Use `svd.explained_variance_ratio_` to print the share of variance kept by `best_k`.

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
kept = svd.explained_variance_ratio_[:best_k].sum()
print(f"dim {best_k} keeps {kept:.1%} of the variance")
larger = [k for k in profile.svd_dims if k > best_k]
print(f"Larger dimensions ({larger}) keep more variance but did not score higher on this dev split "
      "(one split, one seed: notebook 08 shows how to test such a gap); the variance "
      "of word counts is not what scoring needs." if larger else
      "It is the largest dimension tried; a larger one might score better still.")
