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
# * features and labels; `fit` and `predict`
# * why we hold data out: train, dev and test
# * how logistic regression, random forests and naive Bayes decide

# %% [markdown] slideshow={"slide_type": "notes"}
# Everything later in the day is this notebook with essays instead of fruit: features
# from a text, a label from a human rater, a model chosen on dev and tested once. Ask:
# who has used scikit-learn? Those who have can help their neighbours in the exercises.

# %% tags=["remove-cell"]
import matplotlib.pyplot as plt
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB

from course_utils import plots
from course_utils.data import make_fruit
from course_tools.slide_content import md, show_notebooks

plt.rcParams.update({"font.size": 12})
fruit = make_fruit(n_apples=100, n_oranges=100, seed=0)
X, y = fruit[["size", "sweetness"]], fruit["label"]
X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.2, random_state=42, stratify=y)
X_train, X_dev, y_train, y_dev = train_test_split(
    X_rest, y_rest, test_size=0.25, random_state=42, stratify=y_rest)
models = {"logistic regression": LogisticRegression(),
          "random forest": RandomForestClassifier(n_estimators=200, random_state=42),
          "naive Bayes": GaussianNB()}
dev_accuracy, train_accuracy = {}, {}
for name, model in models.items():
    model.fit(X_train, y_train)
    dev_accuracy[name] = model.score(X_dev, y_dev)
    train_accuracy[name] = model.score(X_train, y_train)

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## Features and a label
#
# Each fruit: two **features** (size, sweetness) and a **label** (apple or orange),
# drawn by `make_fruit`, the notebook's data.

# %% tags=["hide-input"]
plots.fruit_scatter(fruit, figsize=(6, 4))
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# The clouds overlap: no rule can be right on every fruit, and that is normal. For
# essays the features will be word counts or embeddings and the label a human score.
# Ask: which single feature would you use to tell them apart, and where would you put
# the threshold?

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## Why a dev set
#
# * **train** (60%): the model learns from it
# * **dev** (20%): we compare models and settings on it, as often as we like
# * **test** (20%): looked at **once**, at the end, to report the chosen model
#
# Choosing on the test set makes the test score optimistic: it is then the best of
# several tries, not a fresh measurement.

# %% [markdown] slideshow={"slide_type": "notes"}
# This is the most important slide of the morning. Every comparison of models,
# features or settings is a choice, and a choice made on the test set leaks the test
# set into the model. Ask: if you try 20 models and report the best test score, what
# have you measured? (The luckiest of 20 draws.)

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## How logistic regression decides
#
# $$P(\text{apple} \mid x) = \sigma(w^\top x + b) = \frac{1}{1 + e^{-(w^\top x + b)}}$$
#
# * one weight per feature; the boundary $w^\top x + b = 0$ is a **straight line**
# * fitted by maximising the likelihood of the training labels (plus an L2 penalty)
# * weights say how much each feature pushes towards a class

# %% [markdown] slideshow={"slide_type": "notes"}
# The same model scores essays in notebooks 04, 05 and 07, with thousands of features
# instead of two, and more than two classes (a softmax instead of a sigmoid). Ask: what
# does a large positive weight on sweetness mean?

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## How a random forest and naive Bayes decide
#
# **Random forest**: many decision trees, each grown on a bootstrap sample with a
# random subset of features at each split; the forest **votes**. Splits are yes/no
# questions (*size > 7.3?*), so boundaries are made of axis-parallel steps.
#
# **Gaussian naive Bayes**: Bayes' rule, with features assumed independent given the class:
#
# $$P(y \mid x) \propto P(y) \prod_j \mathcal{N}(x_j;\, \mu_{jy}, \sigma_{jy}^2)$$

# %% [markdown] slideshow={"slide_type": "notes"}
# A forest can memorise its training data; naive Bayes makes a strong assumption and
# draws curved boundaries. The random forest returns in notebook 06 on hand-crafted
# features. Ask: are size and sweetness independent given the fruit? If not, what does
# naive Bayes get wrong?

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## Three boundaries, compared on dev

# %% tags=["hide-input"]
plots.decision_regions(models, fruit.loc[X_train.index], figsize=(13, 4.2),
                       titles={n: f"train acc {train_accuracy[n]:.2f}, dev acc {a:.2f}"
                               for n, a in dev_accuracy.items()})
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# Accuracies are computed from the data, on the notebook's split. The
# forest's training accuracy is near perfect; its dev accuracy is the honest number.
# Ask: which model would you choose, and on which column?

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## Choose on dev, test once

# %% tags=["hide-input"]
best = max(dev_accuracy, key=dev_accuracy.get)
md(f"Best on dev: **{best}** (dev accuracy {dev_accuracy[best]:.3f}).\n\n"
   f"Its test accuracy, looked at once: **{models[best].score(X_test, y_test):.3f}** "
   f"on {len(X_test)} fruit.\n\n"
   "Then save it (`joblib.dump`) so the same model scores tomorrow's fruit.")

# %% [markdown] slideshow={"slide_type": "notes"}
# The order is the point: choose with dev, then one look at test. The test figure may
# be lower than the dev figure; that is the honest surprise the test set exists for.
# Ask: what would you do if the test accuracy disappointed you? (Report it. Any change
# you make now needs a new, untouched test set.)

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## Your turn

# %% tags=["hide-input"]
show_notebooks([2])

# %% [markdown] slideshow={"slide_type": "notes"}
# Exercise 2 (tune on dev) is the one to insist on: it is the pattern of notebook 08.
# Give 10 minutes; ask one person to show how they chose a setting without the test set.
