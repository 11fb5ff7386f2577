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
# # 04 · Bag of words: TF-IDF and logistic regression
#
# The simplest essay scorer counts words. We turn each essay into a TF-IDF vector,
# fit a logistic regression that predicts the score point, look at which words push an
# essay up or down, and read the confusion matrix.
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
# ## 1. TF-IDF
#
# For word $w$ in essay $d$: $\text{tfidf}(w, d) = \text{tf}(w, d)\cdot
# \left(\log\frac{1 + N}{1 + \text{df}(w)} + 1\right)$, then each essay's vector is scaled to length 1.
# Frequent-everywhere words ("the", "I") get small weights; words that distinguish
# essays get large ones.

# %%
from sklearn.feature_extraction.text import TfidfVectorizer

vec = TfidfVectorizer().fit(train.essay)
X_train = vec.transform(train.essay)
print(f"{X_train.shape[0]} essays x {X_train.shape[1]} words; "
      f"{X_train.nnz / X_train.shape[0]:.0f} non-zero words per essay on average")

# %% [markdown]
# ## 2. The scorer: TF-IDF, then logistic regression, in one pipeline
#
# Logistic regression fits one weight per word and score point and predicts the
# most likely score. `class_weight="balanced"` makes rare score points count as much
# as common ones, as in the original workshop. A scikit-learn `Pipeline` chains the two
# steps, so `fit` learns the vocabulary and the weights from the training essays only,
# and `predict` applies both to new essays.
#
# The original workshop called these two steps `train(texts, scores)` and
# `score(texts)`. This course uses scikit-learn's names: `fit` trains and `predict`
# returns scores; `score(texts, scores)` returns the QWK, as scikit-learn's `score`
# returns a metric.

# %%
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from course_utils.metrics import aes_metrics

pipeline = make_pipeline(TfidfVectorizer(),
                         LogisticRegression(class_weight="balanced", max_iter=2000, random_state=42))
pipeline.fit(train.essay, train[TARGET])
dev_pred = pipeline.predict(dev.essay)
print("dev:", {k: round(v, 3) for k, v in aes_metrics(dev[TARGET], dev_pred, 0, 12).items()})

# %% [markdown]
# The course library packs this pipeline as `TfidfScorer` (exercise 2 below uses it).
# It gives the same predictions:

# %%
import numpy as np

from course_utils.scorers import TfidfScorer

scorer = TfidfScorer(random_state=42).fit(train.essay, train[TARGET])
print("same dev predictions as our pipeline:", np.array_equal(scorer.predict(dev.essay), dev_pred))
print(f"scorer.score (QWK on dev): {scorer.score(dev.essay, dev[TARGET]):.3f}")

# %% [markdown]
# ## 3. Which words matter? The highest-weighted words per score band
#
# Logistic regression has one weight vector per score point. We average them over
# bands (low 0–5, middle 6–8, high 9–12) and list the largest weights.

# %%
import pandas as pd

vectorizer, lr = pipeline[0], pipeline[-1]
words = np.array(vectorizer.get_feature_names_out())
bands = {"low (0-5)": lr.classes_ <= 5, "middle (6-8)": (lr.classes_ >= 6) & (lr.classes_ <= 8),
         "high (9-12)": lr.classes_ >= 9}
top = {name: words[np.argsort(lr.coef_[mask].mean(axis=0))[::-1][:12]] for name, mask in bands.items()}
pd.DataFrame(top)

# %% [markdown]
# Count what the lists hold before telling a story about them. Two kinds of "word" are
# not essay vocabulary: words on scikit-learn's English stop list (`ENGLISH_STOP_WORDS`:
# function words such as *the*, *it*, *we*, but also a few content words such as *show*,
# *describe* and *fire*) and the
# anonymisation tags (`caps5`, `person1`, which replaced names and places):

# %%
import re

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

TAG = re.compile(r"(caps|person|location|organization|date|time|num|money|percent|month)\d+")
for band, ws in top.items():
    tags = [w for w in ws if TAG.fullmatch(w)]
    common = [w for w in ws if w in ENGLISH_STOP_WORDS]
    print(f"{band:>13}: {len(common)} stop-list words {common}, {len(tags)} tags {tags}")
n_tags = train.essay.str.count(r"@[A-Z]+\d+")
high = train[TARGET] >= 9
print(f"tags per essay: {n_tags[high].mean():.1f} in high-scored essays, "
      f"{n_tags[~high].mean():.1f} in the others")

# %% [markdown]
# Whatever the counts above say for this profile, the lesson holds: the weights reflect
# what *co-occurs* with scores in these essays (how long and detailed an essay is, how
# many names it mentions), not organisation or style. That is one reason a bag of
# words stays well below human agreement, and why it must be compared with the length
# line of notebook 03.
#
# ## 4. The confusion matrix (dev set)

# %%
import matplotlib.pyplot as plt
from sklearn.metrics import ConfusionMatrixDisplay

ConfusionMatrixDisplay.from_predictions(dev[TARGET], dev_pred, labels=list(range(0, 13)),
                                        colorbar=False)
plt.title("TF-IDF + LR on the dev set (rows: human, columns: machine)")
plt.show()

# %% [markdown]
# ## 5. The test set, once
#
# Beside the test figure: the two baselines of notebook 03 (the length line and a
# constant score), the leaderboard so far, and the published figure for the same
# model with all 1,255 training essays (the `max_train_essays` setting of the profile
# may use fewer here).

# %%
from course_utils import baselines
from course_utils.metrics import paired_bootstrap

base = baselines.fit_baselines(train.essay, train[TARGET])
rows = baselines.report("04", "TF-IDF + LR", test.essay, test[TARGET], pipeline.predict(test.essay),
                        base, n_train=len(train))
print(baselines.describe_published("tfidf_lr"))
print(paired_bootstrap(test[TARGET], pipeline.predict(test.essay), base[baselines.LENGTH_LINE].predict(test.essay), n_resamples=profile.n_bootstrap,
                       labels=range(13)).verdict("TF-IDF + LR", "the length line"))

# %% [markdown]
# ## Summary
#
# * TF-IDF turns an essay into word weights; logistic regression maps them to a score
#   point; a `Pipeline` keeps both fitted on the training essays only.
# * The heaviest words are not "good vocabulary": they track length, detail and the
#   anonymisation tags. Always print the length line and a constant score beside a
#   model's figure.
#
# Next: [notebook 05](05_svd.ipynb) compresses these word weights into a few hundred
# dimensions with SVD.
#
# %% [markdown]
# ## Exercises
#
# ### Exercise 1: Bigrams
# Refit with `TfidfVectorizer(ngram_range=(1, 2), min_df=2)` in a pipeline with the
# same logistic regression. Does the dev QWK improve?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
bigram = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2),
                       LogisticRegression(class_weight="balanced", max_iter=2000))
bigram.fit(train.essay, train[TARGET])
uni = aes_metrics(dev[TARGET], dev_pred, 0, 12)["QWK"]
bi = aes_metrics(dev[TARGET], bigram.predict(dev.essay), 0, 12)["QWK"]
print(f"dev QWK unigrams {uni:.3f}, with bigrams {bi:.3f}")
print(paired_bootstrap(dev[TARGET], bigram.predict(dev.essay), dev_pred, n_resamples=profile.n_bootstrap,
                       labels=range(13)).verdict("bigrams", "unigrams"))
print(f"With {len(train)} essays most word pairs are rare (min_df=2 drops those seen once), so they add little.")

# %% [markdown]
# ### Exercise 2: Regularisation
# `TfidfScorer(C=...)` sets the inverse regularisation strength. Try `C` in
# 0.3, 1, 3, 10 and compare the dev QWK (never the test set).

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
preds_C = {C: TfidfScorer(C=C).fit(train.essay, train[TARGET]).predict(dev.essay) for C in (0.3, 1, 3, 10)}
by_C = {C: aes_metrics(dev[TARGET], p, 0, 12)["QWK"] for C, p in preds_C.items()}
for C, value in by_C.items():
    print(f"C={C:>4}: dev QWK {value:.3f}")
best_C, worst_C = max(by_C, key=by_C.get), min(by_C, key=by_C.get)
print(f"The dev set's highest QWK is at C={best_C}. Best against worst, paired on the same dev essays:")
print(paired_bootstrap(dev[TARGET], preds_C[best_C], preds_C[worst_C], n_resamples=profile.n_bootstrap,
                       labels=range(13)).verdict(f"C={best_C}", f"C={worst_C}"))
print("Notebook 08 tunes settings on dev with Optuna.")
