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
# # 01 · Python basics
#
# Just enough Python to read and change every notebook in this course: variables and
# types, lists and dictionaries, control flow, functions, classes, and importing and
# installing packages. Examples use essays and scores, the material of the course.
#
# *Time to work through: 30–45 minutes.*

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
# ## 1. Variables and types
#
# A variable is a name for a value. Python works out the type from the value.

# %%
essay = "Patience is when you wait without complaining."
score = 8
max_score = 12
share = score / max_score
is_passing = score >= 6

print(type(essay).__name__, type(score).__name__, type(share).__name__, type(is_passing).__name__)
print(f"Score {score}/{max_score} = {share:.0%}; passing: {is_passing}")

# %% [markdown]
# A string that starts with `f` (an *f-string*) puts values into text: `{score}` writes
# the value, and a format after a colon says how. `{share:.0%}` writes a share as a
# percentage with no decimals, `{x:.2f}` a number with two decimals, `{name:20s}` a
# string padded to 20 characters. `{x!r}` writes the value as Python would (a string
# with its quotes).
#
# Strings have many useful methods. Counting words is the oldest essay feature there is:

# %%
words = essay.split()
print(f"{len(words)} words; first word: {words[0]!r}; upper case: {essay.upper()[:8]}...")

# %% [markdown]
# ## 2. Lists and dictionaries
#
# A **list** keeps values in order; a **dictionary** maps keys to values.

# %%
scores = [8, 5, 11, 7, 9]
scores.append(6)
print(f"scores={scores}, n={len(scores)}, mean={sum(scores) / len(scores):.2f}, best={max(scores)}")
print("first two:", scores[:2], "last:", scores[-1])

rubric = {"ideas": 3, "organization": 2, "style": 2, "conventions": 1}
rubric["style"] = 3
print("traits:", list(rubric), "| total:", sum(rubric.values()))

# %% [markdown]
# ## 3. Control flow: `if`, `for`, comprehensions

# %%
for s in scores:
    if s >= 10:
        band = "high"
    elif s >= 6:
        band = "middle"
    else:
        band = "low"
    print(s, band)

high_scores = [s for s in scores if s >= 9]  # a list comprehension
print("high:", high_scores)

# %% [markdown]
# ## 4. Functions
#
# A function packages a computation under a name, with a docstring saying what it does.
# Good functions check their input and say clearly what is wrong.
#
# * `rater1: list[int]` and `-> float` are *type hints*: they tell the reader that the
#   function expects lists of whole numbers and returns a decimal number. Python does
#   not check them.
# * `zip(rater1, rater2)` pairs the two lists item by item; `sum` of True/False values
#   counts the Trues (True counts as 1).
# * `raise ValueError(...)` stops the function with an error and a message.
# * `try:` runs code that may fail; `except ValueError as err:` catches that kind of
#   error, with its message in `err`, so the notebook goes on instead of stopping.

# %%
def exact_agreement(rater1: list[int], rater2: list[int]) -> float:
    """Share of essays on which two raters give the same score."""
    if len(rater1) != len(rater2):
        raise ValueError(f"Need the same number of scores, got {len(rater1)} and {len(rater2)}.")
    same = sum(a == b for a, b in zip(rater1, rater2))
    return same / len(rater1)


print(f"Exact agreement: {exact_agreement([8, 5, 11, 7], [8, 6, 11, 6]):.2f}")
try:
    exact_agreement([1, 2], [1])
except ValueError as err:
    print("Error:", err)

# %% [markdown]
# ## 5. Classes and methods
#
# A class bundles data with the functions (methods) that use it. Every scorer in this
# course is a class with the same two methods, `fit` and `predict`, as in scikit-learn.
#
# * `__init__` runs when an object is made (`LengthScorer()`); `self` is that object, and
#   `self.words_per_point = ...` stores a value in it.
# * `fit` learns from examples and returns `self`, so `LengthScorer().fit(...)` is the
#   fitted object. Its return hint `-> "LengthScorer"` is in quotes because the class is
#   not finished when Python reads that line.
# * What `fit` learns ends in an underscore (`max_score_`): scikit-learn's way of telling
#   learnt values from the settings given to `__init__`.

# %%
class LengthScorer:
    """Predicts a score from essay length alone: a baseline every model is compared with."""

    def __init__(self, words_per_point: float = 20.0):
        self.words_per_point = words_per_point

    def fit(self, essays: list[str], scores: list[int]) -> "LengthScorer":
        lengths = [len(e.split()) for e in essays]
        self.words_per_point = sum(lengths) / max(sum(scores), 1)
        self.max_score_ = max(scores)
        return self

    def predict(self, essays: list[str]) -> list[int]:
        return [min(round(len(e.split()) / self.words_per_point), self.max_score_) for e in essays]


train_essays = ["short one", "a somewhat longer essay about waiting", "waiting " * 40]
train_scores = [2, 6, 12]
model = LengthScorer().fit(train_essays, train_scores)
print(f"{model.words_per_point:.2f} words per point ->", model.predict(["I waited for the bus for an hour."]))

# %% [markdown]
# ## 6. Imports and installing packages
#
# Code others wrote comes in **packages**. `import` loads one; `pip install` adds one
# (in a notebook: `%pip install package-name`). This course uses NumPy, pandas,
# scikit-learn, PyTorch and Hugging Face libraries, plus its own small package.
# Its `aes_metrics` compares two raters' scores in several ways at once: `Acc` is the
# exact agreement of section 4; the others (QWK, Adj, SMD, r) are defined in notebook 03.
# `N` counts the essays, and `mean_human` and `mean_machine` are the means of the first
# and the second list (the first is taken as the human rater).
# `.items()` gives a dictionary's (key, value) pairs; we round each value to 3 decimals:

# %%
import numpy as np

import course_utils
from course_utils.metrics import aes_metrics

print("numpy", np.__version__, "| course_utils", course_utils.__version__)
agreement = aes_metrics([8, 5, 11, 7], [8, 6, 11, 6])
print({name: round(value, 3) for name, value in agreement.items()})

# %% [markdown]
# ## Summary
#
# * Variables, lists, dictionaries, loops, functions and classes are most of the Python
#   the course needs; a scorer is a class with `fit` and `predict`.
# * Packages are imported at the top; Colab installs the course's own with one cell.
#
# Next: [notebook 02](02_machine_learning.ipynb) introduces machine learning with
# scikit-learn.
#
# ## Exercises
#
# ### Exercise 1: word statistics
# Write a function `word_stats(text)` that returns a dictionary with the number of
# words, the number of distinct words (ignoring case) and the average word length.

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
def word_stats(text: str) -> dict[str, float]:
    words = text.split()
    return {
        "words": len(words),
        "distinct": len({w.lower() for w in words}),
        "mean_length": sum(len(w) for w in words) / len(words) if words else 0.0,
    }


print(word_stats("Patience is patience when patience is hard"))
# 7 words but 4 distinct ones once case is ignored: repetition is something a scorer
# can count, and "Patience" and "patience" must not count as two words.

# %% [markdown]
# ### Exercise 2: adjacent agreement
# Two raters agree *adjacently* when their scores differ by at most one point. Write
# `adjacent_agreement(rater1, rater2)` and check it on `[8, 5, 11, 7]` and `[9, 7, 11, 6]`
# (the answer is 0.75).

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
def adjacent_agreement(rater1: list[int], rater2: list[int]) -> float:
    if len(rater1) != len(rater2):
        raise ValueError("Need the same number of scores from both raters.")
    return sum(abs(a - b) <= 1 for a, b in zip(rater1, rater2)) / len(rater1)


print(adjacent_agreement([8, 5, 11, 7], [9, 7, 11, 6]))
# 0.75: three of the four pairs differ by at most one point (8/9, 11/11, 7/6); 5/7 does not.
# Adjacent agreement is lenient on a 0-12 scale, which is why QWK is reported beside it.

# %% [markdown]
# ### Exercise 3: a class of your own
# Write a class `MeanScorer` with `fit(essays, scores)` that remembers the rounded mean
# score and `predict(essays)` that returns it for every essay. Why is this a useful
# baseline?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
class MeanScorer:
    def fit(self, essays: list[str], scores: list[int]) -> "MeanScorer":
        self.mean_ = round(sum(scores) / len(scores))
        return self

    def predict(self, essays: list[str]) -> list[int]:
        return [self.mean_ for _ in essays]


print(MeanScorer().fit(train_essays, train_scores).predict(["any essay", "another"]))
# Every essay gets the same score, so this scorer knows nothing about the essays. On QWK
# (notebook 03) any constant scores 0, so a model that does not beat it on QWK has learnt
# nothing. On exact agreement a constant can do well when many essays share the most
# common score; that is one reason the course reports QWK. (Notebooks 03-08 use the
# training essays' median score as their constant, not the mean.)
