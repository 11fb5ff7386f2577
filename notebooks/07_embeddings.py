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
# # 07 · Sentence embeddings: a strong general tool that disappoints here
#
# A sentence-transformer maps a text to a vector so that texts with similar *meaning*
# are close. We score essays with all-MiniLM-L6-v2 embeddings and logistic regression,
# see why it falls short of simple features, project the embeddings to 2-D, and look at
# cosine similarity and its pitfalls.
#
# *Time to work through: about 20 minutes. The first run in a new place encodes the essays once (slower); later runs read the cache.*

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
# ## 1. Embeddings (cached)
#
# `course_utils.embeddings.encode` embeds each text once and caches the vectors, so a
# rerun or a tuning loop never re-encodes. Each essay becomes a 384-dimensional unit
# vector. The model reads at most 256 word pieces: the end of a long essay is cut off.

# %%
from course_utils.embeddings import encode

E_train = encode(train.essay.tolist(), model_id=profile.embedding_model)
E_dev = encode(dev.essay.tolist(), model_id=profile.embedding_model)
print(E_train.shape)

# %% [markdown]
# ## 2. Embeddings + logistic regression

# %%
from course_utils.metrics import aes_metrics
from course_utils.scorers import EmbeddingScorer

from course_utils import baselines

emb = EmbeddingScorer(model_id=profile.embedding_model, random_state=42).fit(train.essay, train[TARGET])
base = baselines.fit_baselines(train.essay, train[TARGET])
emb_dev, line_dev = emb.score(dev.essay, dev[TARGET]), aes_metrics(
    dev[TARGET], base["length line"].predict(dev.essay), 0, 12)["QWK"]
print(f"MiniLM + LR: dev QWK {emb_dev:.3f}; the length line of notebook 03: {line_dev:.3f} "
      f"({'below' if emb_dev < line_dev else 'above'} it)")

# %% [markdown]
# Why it disappoints (compare it with counting words, above): the model was trained to tell *what a text is about*. All
# these essays are about the same thing (a time someone was patient), so the vectors
# differ little, and what the rubric rewards — organisation, development,
# conventions, length — is mostly what the embedding was trained to ignore. Unit-length
# vectors even discard length outright.
#
# ## 3. A 2-D projection coloured by score

# %%
import matplotlib.pyplot as plt
from sklearn.decomposition import PCA

xy = PCA(n_components=2, random_state=42).fit_transform(E_train)
plt.scatter(xy[:, 0], xy[:, 1], c=train[TARGET], cmap="viridis", s=8)
plt.colorbar(label="human score")
plt.xlabel("first principal component")
plt.ylabel("second principal component")
plt.title("MiniLM embeddings (PCA to 2-D)")
plt.show()

# %% [markdown]
# Scores are mixed across the cloud: there is a gradient, but no clean separation.
#
# ## 4. Cosine similarity and its pitfalls
#
# For unit vectors, cosine similarity is the dot product. Let us find, for one dev
# essay, its most similar training essay and compare their scores.

# %%
import numpy as np

sims = E_dev @ E_train.T  # cosine similarities (vectors are normalised)
nearest = sims.argmax(axis=1)
gap = np.abs(dev[TARGET].to_numpy() - train[TARGET].to_numpy()[nearest])
print(f"mean cosine similarity of a dev essay to its nearest training essay: {sims.max(axis=1).mean():.3f}")
print(f"score difference to that nearest neighbour: mean {gap.mean():.2f} points; "
      f"{np.mean(gap >= 3):.0%} differ by 3 or more")
print(f"nearest-neighbour scoring: dev QWK {aes_metrics(dev[TARGET], train[TARGET].to_numpy()[nearest], 0, 12)['QWK']:.3f}")

# %% [markdown]
# Similar is not the same as correct: two essays can tell the same kind of story in
# very different quality, and an essay that copies the prompt's words looks "similar"
# to good essays. Pitfalls: (1) similarities are all high in one topic, so absolute
# thresholds mean little; (2) truncation hides the end of long essays; (3) a different
# model gives a different geometry.

# %%
print("A pair with high similarity and different scores:")
i = int(np.argmax(sims.max(axis=1) * (gap >= 3)))
print(f"cosine {sims[i, nearest[i]]:.3f}; human scores {dev[TARGET].iloc[i]} vs {train[TARGET].iloc[nearest[i]]}")

# %% [markdown]
# ## 5. The test set, once

# %%
rows = baselines.report("07", "MiniLM + LR", test.essay, test[TARGET], emb.predict(test.essay), base,
                        n_train=len(train))
print(baselines.describe_published("minilm_lr"))
from course_utils.metrics import paired_bootstrap

print(paired_bootstrap(test[TARGET], emb.predict(test.essay), base[baselines.LENGTH_LINE].predict(test.essay), n_resamples=profile.n_bootstrap,
                       labels=range(13)).verdict("MiniLM + LR", "the length line"))

# %% [markdown]
# ## Summary
#
# * A sentence embedding says what a text is *about*; essays on one prompt are all about
#   the same thing, so it carries little of what the rubric rewards.
# * Nearest neighbours by cosine similarity show it: similar essays can get very
#   different scores.
# * The paired comparison above says whether the embeddings beat the length line on
#   these test essays.
#
# Next: [notebook 08](08_tuning.ipynb) tunes these models' settings properly, on the
# dev set, with a grid and with Optuna.

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: Add length back
# Append the (standardised) word count to the embeddings and refit a logistic
# regression. Does the dev QWK improve?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

n_tr = train.essay.str.split().str.len().to_numpy()[:, None]
n_dv = dev.essay.str.split().str.len().to_numpy()[:, None]
sc = StandardScaler().fit(n_tr)
lr = LogisticRegression(class_weight="balanced", max_iter=2000)
lr.fit(np.hstack([E_train, sc.transform(n_tr)]), train[TARGET])
with_length = aes_metrics(dev[TARGET], lr.predict(np.hstack([E_dev, sc.transform(n_dv)])), 0, 12)["QWK"]
print(f"embeddings + length: dev QWK {with_length:.3f} (embeddings alone {emb_dev:.3f})")
with_length_pred = lr.predict(np.hstack([E_dev, sc.transform(n_dv)]))
print(paired_bootstrap(dev[TARGET], with_length_pred, emb.predict(dev.essay), n_resamples=profile.n_bootstrap,
                       labels=range(13)).verdict("embeddings + length", "embeddings alone"))
print("Unit-length embeddings throw the length away; the line above says whether adding it back helps on dev.")

# %% [markdown]
# ### Exercise 2: k nearest neighbours
# Score each dev essay by the mean score of its 10 most similar training essays
# (rounded). Compare with the single nearest neighbour.

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
top10 = np.argsort(-sims, axis=1)[:, :10]
knn = np.rint(train[TARGET].to_numpy()[top10].mean(axis=1)).astype(int)
one_nn = aes_metrics(dev[TARGET], train[TARGET].to_numpy()[nearest], 0, 12)["QWK"]
ten_nn = aes_metrics(dev[TARGET], knn, 0, 12)["QWK"]
print(f"10-NN: dev QWK {ten_nn:.3f}; 1-NN: {one_nn:.3f}")
print(f"Averaging ten neighbours {'smooths out' if ten_nn > one_nn else 'does not fix'} the noise of a single "
      "neighbour's score; similarity alone is a weak guide to quality.")
