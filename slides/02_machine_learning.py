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
import pandas as pd

from course_utils import plots
from course_tools import diagrams
from course_tools.slide_content import show_figure, show_notebooks, slide_layout

plt.rcParams.update({"font.size": 12})

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## From a text to a score

# %% tags=["hide-input"]
show_figure(diagrams.text_to_score(), kind="diagram",
            alt="an essay becomes features, a classifier maps them to a score")

# %% [markdown] slideshow={"slide_type": "notes"}
# The whole day in one picture. Every scorer turns a text into numbers (features) by a
# fixed recipe, and a model fitted on essays that humans have scored maps those numbers
# to a score. What changes from notebook to notebook is the middle: word weights,
# length and readability, embeddings, a fine-tuned transformer. This section does it
# with fruit, where the features are two measurements, so we can see the model decide.
# Ask: for an essay, what would you put in the features box?

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## The data: two features and a label

# %%
from course_utils.data import make_fruit

fruit = make_fruit(n_apples=100, n_oranges=100, seed=0)
print(fruit.head(4))
print(fruit.groupby("label").mean().round(2))

# %% [markdown] slideshow={"slide_type": "notes"}
# make_fruit draws 100 apples and 100 oranges with a fixed seed, so every laptop gets
# the same fruit. Size is in centimetres and sweetness on a 0-10 scale; apples are a
# little smaller and sweeter on average, with overlap. The group means in the second
# table show the difference. In the essay notebooks the rows are essays, the feature
# columns come from the text, and the label is a human score. Ask: which column plays
# the part of the human rater?

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## Features and a label
#
# Each fruit: two **features** (size, sweetness) and a **label** (apple or orange),
# drawn by `make_fruit`, the notebook's data.

# %% tags=["hide-input"]
fig = plots.fruit_scatter(fruit)
slide_layout(fig, height=4.6)
show_figure(fig, alt="size against sweetness: apples blue circles, oranges orange triangles")

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
# ## Train, dev, test: what each part may be used for

# %% tags=["hide-input"]
show_figure(diagrams.data_discipline(120, 40, 40, unit=" fruit"), kind="diagram",
            alt="train, dev and test to scale, and what each is for")

# %% [markdown] slideshow={"slide_type": "notes"}
# The bars are to scale for the notebook's 200 fruit: 120 to train, 40 to compare on,
# 40 to report. The arrow is the important part: whatever we decide by looking at dev
# (which model, which setting) goes back into the model, so dev stops being a fresh
# measurement after a while. Test never sends anything back. The essay notebooks keep
# the same discipline with 1,066, 189 and 314 essays. Ask: what counts as a choice?
# (Features, model, hyperparameters, when to stop training, even which seed to report.)

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## The split in code

# %%
from sklearn.model_selection import train_test_split

X, y = fruit[["size", "sweetness"]], fruit["label"]
X_rest, X_test, y_rest, y_test = train_test_split(
    X, y, test_size=0.2, random_state=42, stratify=y)
X_train, X_dev, y_train, y_dev = train_test_split(
    X_rest, y_rest, test_size=0.25, random_state=42, stratify=y_rest)
print(f"train {len(X_train)}, dev {len(X_dev)}, test {len(X_test)}")
print("apples in dev:", (y_dev == "apple").sum(), "| in test:", (y_test == "apple").sum())

# %% [markdown] slideshow={"slide_type": "notes"}
# Two calls: first cut 20% off as test, then a quarter of the rest (20% of the whole) as
# dev. stratify keeps the share of apples the same in every part, and random_state makes
# the split the same on every laptop. The test part is set aside now and not touched
# until the end of the notebook. Ask: why split off the test set first, before anything
# else happens to the data?

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## Three classifiers: `fit` on train, compare on dev

# %%
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

models = {"logistic regression": LogisticRegression(),
          "random forest": RandomForestClassifier(n_estimators=200, random_state=42),
          "naive Bayes": GaussianNB()}
dev_accuracy, train_accuracy = {}, {}
for name, model in models.items():
    model.fit(X_train, y_train)
    dev_accuracy[name] = model.score(X_dev, y_dev)
    train_accuracy[name] = model.score(X_train, y_train)
    print(f"{name:20s} train acc {train_accuracy[name]:.3f}  dev acc {dev_accuracy[name]:.3f}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Three models, one interface: fit learns from the training fruit, score returns the
# accuracy on the fruit it is given. The random forest fits its training data almost
# perfectly because it can memorise; the dev column is the honest comparison. The same
# loop runs in notebook 08 over essay scorers, with QWK instead of accuracy. Ask: which
# column would you report to a colleague, and why not the training one?


# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## How logistic regression decides
#
# $$P(\text{orange} \mid x) = \sigma(w^\top x + b) = \frac{1}{1 + e^{-(w^\top x + b)}}$$
#
# * scikit-learn models the second class of `classes_` (alphabetical: orange);
#   $P(\text{apple} \mid x) = 1 - P(\text{orange} \mid x)$
# * one weight per feature; the boundary $w^\top x + b = 0$ is a **straight line**
# * fitted by maximising the likelihood of the training labels (plus an L2 penalty)
# * weights say how much each feature pushes towards a class

# %% [markdown] slideshow={"slide_type": "notes"}
# The same model scores essays in notebooks 04, 05 and 07, with thousands of features
# instead of two, and more than two classes (a softmax instead of a sigmoid). Ask: what
# does a large positive weight on sweetness mean?

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## `predict` and `predict_proba` on new fruit

# %%
import pandas as pd

lr = models["logistic regression"]
new = pd.DataFrame({"size": [6.5, 8.0, 9.5], "sweetness": [7.0, 5.8, 4.0]})
print(new.assign(predicted=lr.predict(new),
                 p_orange=lr.predict_proba(new)[:, 1].round(2)))
print("classes:", lr.classes_)
print("weights (size, sweetness):", lr.coef_.round(2), "bias:", lr.intercept_.round(2))

# %% [markdown] slideshow={"slide_type": "notes"}
# predict gives the label, predict_proba the probability of each class in the order of
# classes_ (apple, then orange, alphabetically). The middle fruit sits near the boundary,
# so its probability is near one half. The signs of the weights say which way each
# feature pushes: bigger means more orange, sweeter means more apple. Essay scorers of
# notebook 04 have one weight per word and score point instead of two. Ask: what would
# you do with a fruit whose probability is 0.5?


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
fig = plots.decision_regions(models, fruit.loc[X_train.index],
                             titles={n: f"train {train_accuracy[n]:.3f}, dev {a:.3f}"
                                     for n, a in dev_accuracy.items()})
slide_layout(fig, height=5.4)
show_figure(fig, alt="each model's predicted region, with the training fruit on top")

# %% [markdown] slideshow={"slide_type": "notes"}
# Each panel colours the plane by the fruit the model predicts there (pale blue: apple,
# pale orange: orange) with the training fruit on top; the titles repeat the accuracies
# of the loop's slide. The forest's training accuracy is near perfect; its dev accuracy
# is the honest number. Ask: which model would you choose, and on which column?

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## Precision and recall on dev

# %%
from sklearn.metrics import classification_report

print(classification_report(y_dev, models["naive Bayes"].predict(X_dev), digits=3))

# %% [markdown] slideshow={"slide_type": "notes"}
# Accuracy hides which class is confused with which. Precision asks: of the fruit called
# apples, how many were apples? Recall asks: of the apples, how many did we find? F1 is
# their harmonic mean, and support is how many fruit of each class the dev set holds.
# For scores 0-12 the same idea becomes the confusion matrix of notebook 04, where a
# model's favourite middle scores swallow the rare high and low ones. Ask: for an exam
# that decides who passes, which matters more, precision or recall of "fail"?

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## Choose on dev, test once

# %%
import numpy as np

print(f"dev fruit right (of {len(y_dev)}):", {n: round(a * len(y_dev)) for n, a in dev_accuracy.items()})
best_name = max(dev_accuracy, key=dev_accuracy.get)
print(f"Chosen on dev: {best_name} (dev acc {dev_accuracy[best_name]:.3f})")
best = models[best_name].fit(X_rest, y_rest)          # refit on train + dev
right = (best.predict(X_test) == y_test).to_numpy()
boot = np.random.default_rng(0).choice(right, (1000, len(right))).mean(axis=1)  # bootstrap
low, high = np.quantile(boot, [0.025, 0.975])
print(f"Test accuracy of the chosen model: {right.mean():.3f} on {len(right)} fruit "
      f"(95% interval {low:.3f} to {high:.3f})")

# %% [markdown] slideshow={"slide_type": "notes"}
# The order is the point: choose with dev (ties go to the model listed first, the
# simplest), refit the winner on train and dev together, then one look at test. The
# first line counts the dev fruit each model got right: the three differ by a fruit or
# so, and one fruit moves the accuracy by 2.5 points, so this choice is close to a coin
# toss. The test figure may differ from the dev figure for the same reason, and its
# interval (resampling the 40 test fruit 1,000 times) is wide. Ask: what would you do
# if the test accuracy disappointed you? (Report it. Any change now needs a new,
# untouched test set.)

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## Save the model, load it tomorrow

# %%
import tempfile
from pathlib import Path

import joblib

path = Path(tempfile.mkdtemp()) / "fruit_model.joblib"
joblib.dump(best, path)
loaded = joblib.load(path)
same = (loaded.predict(X_test) == best.predict(X_test)).all()
print(f"{path.name}: {path.stat().st_size} bytes; same predictions after loading: {same}")

# %% [markdown] slideshow={"slide_type": "notes"}
# A scoring service does not retrain: it loads the fitted model from a file and calls
# predict. joblib writes any fitted scikit-learn model, pipelines included, so the TF-IDF
# scorer of notebook 04 is saved the same way, vocabulary and weights together. Load
# only files you trust: loading runs code. Ask: what else must be saved with a model so
# that next year's scores mean the same? (The version of the library, the score range,
# the cutoffs, and the data it was trained on.)

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb02"]
# ## Your turn

# %% tags=["hide-input"]
show_notebooks([2])

# %% [markdown] slideshow={"slide_type": "notes"}
# Exercise 2 (tune on dev) is the one to insist on: it is the pattern of notebook 08.
# Give 10 minutes; ask one person to show how they chose a setting without the test set.
