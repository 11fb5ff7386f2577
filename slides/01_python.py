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
# # AI Scoring in Python · 1. Setup and Python
#
# Notebooks 00-01: Colab, profiles, offline mode, and just enough Python
#
# * every notebook starts the same way: install, pick a profile, seed
# * the Python every later notebook uses: lists, dictionaries, functions, classes

# %% [markdown] slideshow={"slide_type": "notes"}
# Goal of this section: everyone has notebook 00 running in Colab within 15 minutes,
# and can read the Python of later notebooks. Ask the room to open notebook 00 in Colab
# now, while you talk through the next slide.

# %% tags=["remove-cell"]
import pandas as pd

from course_utils import config
from course_tools.slide_content import show_notebooks

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb00"]
# ## Three profiles, one course
#
# `COURSE_PROFILE` picks the settings; `config.setup()` picks one for you (`full` with
# a CUDA GPU, else `fast`), seeds everything and prints where you run.

# %% tags=["hide-input"]
rows = {name: config.get_profile(name) for name in config.PROFILE_NAMES}
profiles = pd.DataFrame({
    "training essays (fine-tuning)": {n: p.finetune_train_essays or "all" for n, p in rows.items()},
    "epochs (fine-tuning)": {n: p.finetune_epochs for n, p in rows.items()},
    "tokens per essay": {n: p.finetune_max_length for n, p in rows.items()},
    "test essays scored by an LLM": {n: p.llm_eval_essays for n, p in rows.items()},
}).T
profiles.style.set_table_styles([{"selector": "th, td",   # at the size of the slide's text
                                  "props": "font-size: 24px; padding: 6px 18px"}])

# %% [markdown] slideshow={"slide_type": "notes"}
# The table is the course's settings, as config.get_profile returns them: every knob
# that differs between a Colab GPU (full), a laptop (fast) and the automated tests
# (smoke). Same code, different sizes. Ask: who has a GPU in their Colab session right now? Those
# without one get the fast profile automatically and still run every notebook.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb00"]
# ## Data, models and keys, online and offline
#
# * **data**: from the Hugging Face Hub, or a local copy in `COURSE_DATA_DIR`;
#   the repository never stores the essays
# * **models**: offline, each Hub model is replaced by a small stand-in model installed
#   with the course (encoders → all-MiniLM-L6-v2, chat models → SmolLM2-135M-Instruct);
#   one printed line says so
# * **API keys** (notebooks 14-15): Colab secrets (the key icon, *Notebook access* on), else an
#   environment variable; never typed into a cell, never printed
# * **GPU**: *Runtime → Change runtime type → T4 GPU*; a T4 has fp16 but no bf16

# %% [markdown] slideshow={"slide_type": "notes"}
# This is why the course runs in a classroom without internet: data from a folder,
# small stand-in models installed with the course (their weights come as a Python
# package, like any other library). Numbers measured with stand-ins differ from Colab's, and
# the notebooks say which model ran. Ask: does your institution allow student essays
# on a cloud service? Keep the answer for the hosted-models slide in section 5.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb01"]
# ## Variables and types

# %%
essay = "Patience is when you wait without complaining."
score, max_score = 8, 12
share = score / max_score
is_passing = score >= 6
print(type(essay).__name__, type(score).__name__, type(share).__name__,
      type(is_passing).__name__)
print(f"Score {score}/{max_score} = {share:.0%}; passing: {is_passing}")
words = essay.split()
print(f"{len(words)} words; first word: {words[0]!r}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Python works out the type from the value: text is a str, 8 an int, 8/12 a float, and
# a comparison a bool. The f-string in the second print is how every notebook prints its
# numbers: the expression in braces, then a format after the colon (.0% for a share).
# Counting words with split() is the oldest essay feature there is; it returns as the
# length line in notebook 03. Ask: what does split() count wrongly? (Punctuation stays
# attached to words; anonymisation tags such as @PERSON1 count as words.)

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb01"]
# ## Lists and dictionaries

# %%
scores = [8, 5, 11, 7, 9]                 # a list keeps values in order
scores.append(6)
print(f"n={len(scores)}, mean={sum(scores) / len(scores):.2f}, best={max(scores)}")
print("first two:", scores[:2], "last:", scores[-1])

rubric = {"ideas": 3, "organization": 2, "style": 2, "conventions": 1}
rubric["style"] = 3                       # a dictionary maps keys to values
print("traits:", list(rubric), "| total:", sum(rubric.values()))

# %% [markdown] slideshow={"slide_type": "notes"}
# A list is what a column of scores becomes; a dictionary is how a rubric's traits and
# their points are written down. Slicing counts from zero and a negative index counts
# from the end: point at scores[:2] and scores[-1] and their output. The rubric here has
# the four traits of ASAP prompt 7, each 0-3: a rater's score is their sum, 0-12. Ask:
# how would you add another score to the list, and how would you change the ideas trait
# to 2?

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb01"]
# ## `if`, `elif`, `else`, and a comprehension

# %%
def band(score):
    if score >= 10:
        return "high"
    elif score >= 6:
        return "middle"
    else:
        return "low"

print({s: band(s) for s in scores})                       # a dictionary comprehension
high_scores = [s for s in scores if band(s) == "high"]    # a list comprehension
print("high:", high_scores)

# %% [markdown] slideshow={"slide_type": "notes"}
# Python reads the conditions from the top and takes the first that holds, so a score of
# 11 is "high" and never reaches the middle test. Indentation is the syntax: the four
# spaces under if are what belongs to it. The comprehension on the last lines is a loop
# and a filter in one expression; later notebooks use it to pick essays and scores. Ask:
# what band does 10 get, and what would change if the first test were s > 10?

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb01"]
# ## Functions check their input

# %%
def adjacent_agreement(rater1, rater2, tolerance=1):
    """Share of essays on which two raters differ by at most `tolerance` points."""
    if len(rater1) != len(rater2):
        raise ValueError(f"Need the same number of scores, got {len(rater1)} and {len(rater2)}.")
    close = [abs(a - b) <= tolerance for a, b in zip(rater1, rater2)]
    return sum(close) / len(close)

print(f"Within 1 point: {adjacent_agreement([8, 5, 11, 7], [8, 7, 11, 6]):.2f}")
try:
    adjacent_agreement([1, 2], [1])
except ValueError as err:
    print("Error:", err)

# %% [markdown] slideshow={"slide_type": "notes"}
# The habit the course keeps everywhere: a function says clearly what is wrong with its
# input instead of returning a wrong number. zip pairs the two raters' scores, and
# summing True/False counts the essays within one point. Notebook 01 writes the same
# function for exact agreement, the first agreement measure of notebook 03; between two
# trained human raters on a 0-12 scale exact agreement is low, agreement within a point
# much higher. Ask: why
# is an error better than a wrong number here? (A wrong number gets reported; an error
# gets fixed.)

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb01"]
# ## A class: `fit` learns, `predict` scores

# %%
class LengthScorer:
    def fit(self, essays, scores):
        lengths = [len(e.split()) for e in essays]
        self.words_per_point = sum(lengths) / max(sum(scores), 1)
        self.max_score_ = max(scores)
        return self

    def predict(self, essays):
        return [min(round(len(e.split()) / self.words_per_point), self.max_score_) for e in essays]

essays = ["short one", "a somewhat longer essay about waiting", "waiting " * 40]
model = LengthScorer().fit(essays, [2, 6, 12])
print(f"{model.words_per_point:.2f} words per point")
print(model.predict(["I waited for the bus for an hour."]))

# %% [markdown] slideshow={"slide_type": "notes"}
# Every scorer of the day has this shape, as in scikit-learn: fit learns from essays and
# their human scores and returns the scorer itself, predict gives new essays a score.
# What fit learns is stored on the object (words_per_point, max_score_; the trailing
# underscore marks what was learnt). This one scores by length alone, a baseline every
# later model must beat. Ask: what would this scorer do with an essay that repeats one
# word 200 times? (Give it top marks: length is gameable.)

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb01"]
# ## Imports: code others wrote

# %%
import numpy as np

import course_utils
from course_utils.metrics import aes_metrics

print("numpy", np.__version__, "| course_utils", course_utils.__version__)
metrics = aes_metrics([8, 5, 11, 7], [8, 6, 11, 6])
print({name: round(value, 3) for name, value in metrics.items()})

# %% [markdown] slideshow={"slide_type": "notes"}
# import loads a package; pip install adds one (in a notebook, %pip install name). The
# course uses NumPy, pandas, scikit-learn, PyTorch and Hugging Face, plus its own small
# package, course_utils, which learners can open and read. aes_metrics returns every
# agreement measure of notebook 03 at once: QWK, exact and adjacent agreement, Pearson's
# r, the standardised mean difference and the number of essays. Ask: which of these
# numbers do you already know how to read?

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb01"]
# ## Your turn
#
# Each notebook ends with exercises; the solution sits folded under each one
# (**Solution (double-click to reveal)** in Colab).

# %% tags=["hide-input"]
show_notebooks([0, 1])

# %% [markdown] slideshow={"slide_type": "notes"}
# Give 10-15 minutes for notebook 01's exercises, or set them as homework if the room
# knows Python. Walk around: the usual problem is a Colab runtime that must be
# restarted after the install cell (see the instructor guide's Colab section).
