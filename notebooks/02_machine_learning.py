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
# * **Logistic regression** draws a straight line between the classes.
# * **Random forest** votes over many decision trees, each asking yes/no questions.
# * **Gaussian naive Bayes** models each class as a bell curve per feature.

# %%
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

models = {
    "logistic regression": LogisticRegression(),
    "random forest": RandomForestClassifier(n_estimators=200, random_state=42),
    "naive Bayes": GaussianNB(),
}
dev_accuracy = {}
for name, model in models.items():
    model.fit(X_train, y_train)
    dev_accuracy[name] = model.score(X_dev, y_dev)
    print(f"{name:20s} train acc {model.score(X_train, y_train):.3f}  dev acc {dev_accuracy[name]:.3f}")

# %% [markdown]
# The random forest fits its training data almost perfectly: it can memorise. The dev
# column is the honest comparison.
#
# ## 4. Classification reports
#
# Accuracy hides which class is confused with which. Precision asks "of the fruit
# called apples, how many were apples?", recall asks "of the apples, how many did we
# find?", and F1 is their harmonic mean.

# %%
from sklearn.metrics import classification_report

for name, model in models.items():
    print(f"--- {name} (dev set)")
    print(classification_report(y_dev, model.predict(X_dev), digits=3))

# %% [markdown]
# ## 5. Decision boundaries
#
# Colouring every point of the plane by the class a model predicts shows *how* it
# decides.

# %%
plots.decision_regions(models, fruit.loc[X_train.index],
                       titles={name: f"dev acc {acc:.2f}" for name, acc in dev_accuracy.items()})
plt.show()

# %% [markdown]
# ## 6. Choose on dev, test once
#
# We pick the model with the best dev accuracy (ties go to the simpler model, listed
# first), refit it on train + dev, and evaluate it on the test set exactly once.

# %%
best_name = max(dev_accuracy, key=dev_accuracy.get)
print(f"Chosen on dev: {best_name} (dev acc {dev_accuracy[best_name]:.3f})")
best = models[best_name].fit(X_rest, y_rest)
test_accuracy = best.score(X_test, y_test)
print(f"Test accuracy of the chosen model: {test_accuracy:.3f}")
print(classification_report(y_test, best.predict(X_test), digits=3))

# %% [markdown]
# The test accuracy need not equal the dev accuracy: both sets hold only 40 fruit, so
# one fruit more or less on the right side moves the accuracy by 2.5 points, and the
# model that won on dev was partly lucky there. That is why the test figure, measured
# once, is the one to report.

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
print(f"Best depth on dev: {max(by_depth, key=by_depth.get)}. Deeper trees fit the training data more closely;")
print("the dev column, not the train column, says whether that carries over to new fruit.")

# %% [markdown]
# ### Exercise 3: harder fruit
# Make the task harder with `make_fruit(seed=1)` after moving the classes closer
# (hint: edit a copy of the data, e.g. shrink every orange's size by 1 cm). How does
# logistic regression's dev accuracy change?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
def lr_dev_accuracy(data):
    """Logistic regression's dev accuracy, on the same kind of split for both versions of the data."""
    Xa, Xb, ya, yb = train_test_split(data[["size", "sweetness"]], data["label"], test_size=0.25,
                                      random_state=42, stratify=data["label"])
    return LogisticRegression().fit(Xa, ya).score(Xb, yb)


easy = make_fruit(seed=1)
hard = easy.copy()
hard.loc[hard.label == "orange", "size"] -= 1.0
acc_easy, acc = lr_dev_accuracy(easy), lr_dev_accuracy(hard)
print(f"Logistic regression dev accuracy, make_fruit(seed=1): {acc_easy:.3f} as it is, {acc:.3f} with oranges 1 cm smaller")
print(f"Moving the classes closer {'lowers' if acc < acc_easy else 'does not lower'} the accuracy here: the more the clouds "
      "overlap, the more fruit fall on the wrong side of any line.")
