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
# # 02 · Machine learning on apples and oranges
#
# Before essays, the whole machine-learning workflow on data small enough to see:
# fruit described by two numbers, *size* and *sweetness*. We split the data into
# train, dev and test sets, fit three classifiers, **choose one on the dev set**, test
# it **once**, and save it to disk.
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
# ## 1. The data

# %%
import matplotlib.pyplot as plt

from course_utils.data import make_fruit

fruit = make_fruit(n_apples=100, n_oranges=100, seed=0)
print(fruit.head())
print(fruit.groupby("label").mean().round(2))

# %%
from course_utils import plots

plots.fruit_scatter(fruit)
plt.show()

# %% [markdown]
# The two clouds overlap: no rule will be right on every fruit. That is normal, and it
# is why we measure accuracy on data the model has not seen.
#
# ## 2. Train, dev and test
#
# * **train** (60%): the model learns from it;
# * **dev** (20%): we compare models and settings on it;
# * **test** (20%): we look at it **once**, at the very end, to report how good the chosen
#   model is. Choosing a model on the test set makes its test score optimistic.

# %%
from sklearn.model_selection import train_test_split

X = fruit[["size", "sweetness"]]
y = fruit["label"]
X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.2, random_state=42, stratify=y)
X_train, X_dev, y_train, y_dev = train_test_split(
    X_rest, y_rest, test_size=0.25, random_state=42, stratify=y_rest
)
print(f"train {len(X_train)}, dev {len(X_dev)}, test {len(X_test)}")

# %% [markdown]
# ## 3. Three classifiers
#
# From the simplest to the most flexible:
#
# * **Logistic regression** draws a straight line between the classes.
# * **Gaussian naive Bayes** models each class as a bell curve per feature.
# * **Random forest** votes over many decision trees, each asking yes/no questions.

# %%
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

models = {  # simplest first: on a tie, the first one listed is chosen (section 6)
    "logistic regression": LogisticRegression(),
    "naive Bayes": GaussianNB(),
    "random forest": RandomForestClassifier(n_estimators=200, random_state=42),
}
dev_accuracy = {}
for name, model in models.items():
    model.fit(X_train, y_train)
    dev_accuracy[name] = model.score(X_dev, y_dev)
    print(f"{name:20s} train acc {model.score(X_train, y_train):.3f}  dev acc {dev_accuracy[name]:.3f}")
print(f"(on {len(y_dev)} dev fruit, one fruit more or less moves an accuracy by {1 / len(y_dev):.3f})")

# %% [markdown]
# The random forest gets every training fruit right: it can memorise, so its train
# column says little. The dev column is the honest comparison, but a rough one: the
# three dev accuracies differ by at most a fruit or two. Two models can even score
# higher on dev than on train: 40 dev fruit are few, and by chance they can hold fewer
# hard cases (fruit in the overlap of the two clouds) than the 120 training fruit.
#
# ## 4. Classification reports
#
# Accuracy hides which class is confused with which. Precision asks "of the fruit
# called apples, how many were apples?", recall asks "of the apples, how many did we
# find?", and F1 combines the two into one number (their *harmonic mean*,
# 2 × precision × recall / (precision + recall), which is low when either one is low).
# `support` is how many fruit of that class the set holds; `macro avg` is the plain
# mean over the two classes, `weighted avg` the mean weighted by support (the same here,
# where both classes have 20 fruit).

# %%
from sklearn.metrics import classification_report

for name, model in models.items():
    print(f"--- {name} (dev set)")
    print(classification_report(y_dev, model.predict(X_dev), digits=3))

# %% [markdown]
# ## 5. Decision boundaries
#
# Colouring every point of the plane by the class a model predicts shows *how* it
# decides. The dots are the **training** fruit, the ones each model learnt from; a dot
# on the shading of the other fruit is a training fruit that model gets wrong. The
# titles give the accuracy on the dev fruit, which are not drawn.

# %%
fig = plots.decision_regions(models, fruit.loc[X_train.index],
                             titles={name: f"dev acc {acc:.3f}" for name, acc in dev_accuracy.items()})
fig.suptitle(f"dots: the {len(X_train)} training fruit; shading: the fruit each model predicts there", y=1.04)
plt.show()

# %% [markdown]
# ## 6. Choose on dev, test once
#
# We pick the model with the best dev accuracy (`max` keeps the first of equal values,
# so a tie goes to the simpler model, listed first), refit it on train + dev, and
# evaluate it on the test set exactly once.
#
# An accuracy measured on *n* fruit is a share, and a share is uncertain: its
# *standard error* is about √(p(1−p)/n), and the true accuracy usually lies within two
# standard errors of the measured one (a rough 95% interval).

# %%
def standard_error(accuracy, n):
    """Rough standard error of an accuracy measured on n items."""
    return (accuracy * (1 - accuracy) / n) ** 0.5


best_name = max(dev_accuracy, key=dev_accuracy.get)
runner_up = max(acc for name, acc in dev_accuracy.items() if name != best_name)
margin = round((dev_accuracy[best_name] - runner_up) * len(y_dev))
print(f"Chosen on dev: {best_name} (dev acc {dev_accuracy[best_name]:.3f}; "
      f"{margin} fruit more than the next model, of {len(y_dev)})")
best = models[best_name].fit(X_rest, y_rest)
test_accuracy = best.score(X_test, y_test)
se = standard_error(test_accuracy, len(y_test))
print(f"Test accuracy of the chosen model: {test_accuracy:.3f} ({round(test_accuracy * len(y_test))} of "
      f"{len(y_test)} fruit), roughly {test_accuracy - 2 * se:.2f} to {test_accuracy + 2 * se:.2f} (± 2 SE)")
print(classification_report(y_test, best.predict(X_test), digits=3))
drop = dev_accuracy[best_name] - test_accuracy
se_drop = (standard_error(dev_accuracy[best_name], len(y_dev)) ** 2 + se ** 2) ** 0.5
print(f"Dev accuracy minus test accuracy: {drop:.3f} ({round(drop * len(y_test))} fruit of {len(y_test)}); the "
      f"standard error of a difference between two sets this small is about {se_drop:.3f}: {drop / se_drop:.1f} SE")

# %% [markdown]
# The test accuracy need not equal the dev accuracy. With 40 fruit per set, each
# accuracy is uncertain by several fruit (the interval above), and the dev ranking here
# rested on a margin of a fruit or so: the dev set cannot really tell these models
# apart. And the model that wins on dev tends to be one that was lucky there, so its dev
# accuracy is biased upwards and a drop on test is to be expected. A drop of about two
# standard errors is large, but chance on sets this small, plus the winner's luck, can
# produce it. That is why the test figure, measured once, is the one to report, with
# its interval. Notebook 03 meets the same problem on essays, with a sharper tool for
# it: the bootstrap.

# %% [markdown]
# ## 7. Save and load a model
#
# `joblib` writes a fitted model to a file, so a scoring service can load it later
# without retraining.

# %%
import tempfile
from pathlib import Path

import joblib

path = Path(tempfile.mkdtemp()) / "fruit_model.joblib"
joblib.dump(best, path)
loaded = joblib.load(path)
same = (loaded.predict(X_test) == best.predict(X_test)).all()
print(f"Saved to {path.name} ({path.stat().st_size} bytes); same predictions after loading: {same}")

# %% [markdown]
# ## Summary
#
# * A model learns from training data, the dev set chooses between models and
#   settings, and the test set is used once, at the end.
# * scikit-learn models share `fit`, `predict` and `score`; the course's essay scorers
#   follow the same pattern.
#
# Next: [notebook 03](03_essay_data_and_metrics.ipynb) meets the essays and the metrics
# that compare a machine with a human rater.
#
# ## Exercises
#
# ### Exercise 1: a fourth model
# Add a k-nearest-neighbours classifier (`sklearn.neighbors.KNeighborsClassifier`) with
# `n_neighbors=5` and compare its dev accuracy with the three models above.

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
from sklearn.neighbors import KNeighborsClassifier

knn = KNeighborsClassifier(n_neighbors=5).fit(X_train, y_train)
knn_acc = knn.score(X_dev, y_dev)
print(f"kNN dev accuracy: {knn_acc:.3f}; best so far: {max(dev_accuracy.values()):.3f}")
print(f"k nearest neighbours {'matches or beats' if knn_acc >= max(dev_accuracy.values()) else 'trails'} the best of the three on these {len(y_dev)} dev fruit "
      "(a single-split observation: another split may order them differently);")
print("the clouds overlap, so no classifier is right on every fruit: the dev set decides between them, not taste.")

# %% [markdown]
# ### Exercise 2: tune on dev
# Try `max_depth` in 1, 2, 3, 5 and `None` for the random forest. Which depth is best
# on dev? Do not look at the test set.

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
by_depth = {}
for depth in (1, 2, 3, 5, None):
    rf = RandomForestClassifier(n_estimators=200, max_depth=depth, random_state=42).fit(X_train, y_train)
    by_depth[depth] = rf.score(X_dev, y_dev)
    print(f"max_depth={depth}: train {rf.score(X_train, y_train):.3f}, dev {by_depth[depth]:.3f}")
best_depth = max(by_depth, key=by_depth.get)
spread = round((max(by_depth.values()) - min(by_depth.values())) * len(y_dev))
print(f"Best depth on dev: {best_depth}, but all five depths lie within {spread} fruit of one another "
      f"on {len(y_dev)} dev fruit: a single split cannot tell them apart.")
print("Deeper trees fit the training data more closely; the dev column, not the train column, "
      "says whether that carries over to new fruit.")

# %% [markdown]
# ### Exercise 3: harder fruit
# Make the task harder with `make_fruit(seed=1)` after moving the classes closer
# (hint: edit a copy of the data, e.g. shrink every orange's size by 1 cm). How does
# logistic regression's accuracy on held-out fruit change?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
def lr_heldout_accuracy(data):
    """Logistic regression's accuracy on a held-out quarter of the data (the same fruit for both versions)."""
    Xa, Xb, ya, yb = train_test_split(data[["size", "sweetness"]], data["label"], test_size=0.25,
                                      random_state=42, stratify=data["label"])
    return LogisticRegression().fit(Xa, ya).score(Xb, yb), len(yb)


easy = make_fruit(seed=1)
hard = easy.copy()
hard.loc[hard.label == "orange", "size"] -= 1.0
(acc_easy, n), (acc, _) = lr_heldout_accuracy(easy), lr_heldout_accuracy(hard)
print(f"Logistic regression on the same {n} held-out fruit: {acc_easy:.3f} ({round(acc_easy * n)} right) as they are, "
      f"{acc:.3f} ({round(acc * n)} right) with oranges 1 cm smaller")
print(f"On this split, moving the classes closer {'lowers' if acc < acc_easy else 'does not lower'} the accuracy by "
      f"{abs(round((acc_easy - acc) * n))} fruit: a single-split observation (another random_state gives another count).")
print("The direction is what to expect: the more the clouds overlap, the more fruit fall on the wrong side of any line.")
