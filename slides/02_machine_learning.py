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
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from course_utils.data import make_fruit

plt.rcParams.update({"figure.figsize": (9, 4.5), "font.size": 12})

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The data: two features, one label
#
# `course_utils.data.make_fruit()` draws the same synthetic fruit as notebook 02.

# %%
fruit = make_fruit()
fruit.head()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Can a line separate them?

# %% tags=["hide-input"]
fig, ax = plt.subplots()
for label, marker in (("apple", "o"), ("orange", "s")):
    part = fruit[fruit.label == label]
    ax.scatter(part["size"], part["sweetness"], marker=marker, alpha=0.7, label=label)
ax.set_xlabel("size (cm)")
ax.set_ylabel("sweetness (0-10)")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Fit on training data, score on held-out data

# %%
X, y = fruit[["size", "sweetness"]], fruit["label"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42)
model = LogisticRegression().fit(X_train, y_train)
print(f"train accuracy {model.score(X_train, y_train):.3f}, "
      f"test accuracy {model.score(X_test, y_test):.3f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the model learned: a decision boundary

# %% tags=["hide-input"]
xx, yy = np.meshgrid(np.linspace(X["size"].min() - 0.5, X["size"].max() + 0.5, 200),
                     np.linspace(X["sweetness"].min() - 0.5, X["sweetness"].max() + 0.5, 200))
grid = np.c_[xx.ravel(), yy.ravel()]
import pandas as pd

proba = model.predict_proba(pd.DataFrame(grid, columns=["size", "sweetness"]))[:, 1]
fig, ax = plt.subplots()
ax.contourf(xx, yy, proba.reshape(xx.shape), levels=20, cmap="RdBu_r", alpha=0.35)
ax.contour(xx, yy, proba.reshape(xx.shape), levels=[0.5], colors="k")
for label, marker in (("apple", "o"), ("orange", "s")):
    part = X_test[y_test == label]
    ax.scatter(part["size"], part["sweetness"], marker=marker, edgecolor="k", label=f"{label} (test)")
ax.set_xlabel("size (cm)")
ax.set_ylabel("sweetness (0-10)")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Train, dev, test
#
# * **train**: fit the model
# * **dev** (or cross-validation on train): choose features, hyper-parameters, models
# * **test**: touched **once**, at the end, to report
#
# Every essay notebook uses `train_dev_test_split`: the test set is the original
# workshop's (`train_test_split(df, test_size=0.2, random_state=42)`), so results stay
# comparable.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Your turn
#
# Notebook `02_machine_learning` ends with exercises; each solution is hidden under
# **Solution (double-click to reveal)**.
