# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # AI Scoring in Python · 2. Machine learning
#
# Notebook 02: apples and oranges
#
# * features and labels
# * `fit` and `predict`: the scikit-learn API every scorer in the course follows
# * why we hold data out: train, dev and test

# %% tags=["remove-cell"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB

from course_utils.data import make_fruit
from course_tools.slides import show_notebooks

plt.rcParams.update({"figure.figsize": (9, 4.5), "font.size": 12})

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The data: two features, one label
#
# `course_utils.data.make_fruit()` draws the same synthetic fruit as notebook 02.

# %%
fruit = make_fruit(n_apples=100, n_oranges=100, seed=0)
fruit.groupby("label").mean().round(2)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Can a line separate them?

# %% tags=["hide-input"]
colors = {"apple": "tab:red", "orange": "tab:orange"}
fig, ax = plt.subplots(figsize=(7, 4.5))
for label, group in fruit.groupby("label"):
    ax.scatter(group["size"], group["sweetness"], c=colors[label], label=label, alpha=0.7)
ax.set_xlabel("size (cm)")
ax.set_ylabel("sweetness (0-10)")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Three classifiers, compared on dev

# %%
X, y = fruit[["size", "sweetness"]], fruit["label"]
X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.2, random_state=42, stratify=y)
X_train, X_dev, y_train, y_dev = train_test_split(
    X_rest, y_rest, test_size=0.25, random_state=42, stratify=y_rest)
models = {"logistic regression": LogisticRegression(),
          "random forest": RandomForestClassifier(n_estimators=200, random_state=42),
          "naive Bayes": GaussianNB()}
dev_accuracy = {}
for name, model in models.items():
    model.fit(X_train, y_train)
    dev_accuracy[name] = model.score(X_dev, y_dev)
    print(f"{name:20s} train acc {model.score(X_train, y_train):.3f}  dev acc {dev_accuracy[name]:.3f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How each model decides

# %% tags=["hide-input"]
xx, yy = np.meshgrid(np.linspace(X["size"].min() - 1, X["size"].max() + 1, 200),
                     np.linspace(X["sweetness"].min() - 1, X["sweetness"].max() + 1, 200))
grid = pd.DataFrame({"size": xx.ravel(), "sweetness": yy.ravel()})
fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
for ax, (name, model) in zip(axes, models.items()):
    zz = (model.predict(grid) == "apple").reshape(xx.shape)
    ax.contourf(xx, yy, zz, alpha=0.25, cmap="RdYlBu_r")
    for label, group in fruit.loc[X_train.index].groupby("label"):
        ax.scatter(group["size"], group["sweetness"], c=colors[label], s=12, label=label)
    ax.set_title(f"{name}\ndev acc {dev_accuracy[name]:.2f}")
    ax.set_xlabel("size (cm)")
axes[0].set_ylabel("sweetness")
axes[0].legend()
plt.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Train, dev, test
#
# * **train**: fit the model
# * **dev** (or cross-validation on train): choose features, hyper-parameters, models
# * **test**: touched **once**, at the end, to report
#
# Choose the model with the best **dev** accuracy; report its test accuracy once.
# Every essay notebook uses `train_dev_test_split`: the test set is the original
# workshop's (`train_test_split(df, test_size=0.2, random_state=42)`), so results stay
# comparable.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Your turn
#
# Notebook `02_machine_learning` ends with exercises; each solution is hidden under
# **Solution (double-click to reveal)**.

# %% tags=["hide-input"]
show_notebooks([2])
