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
# # AI Scoring in Python · 1. Python
#
# Setting up (notebook 00) and the Python you need (notebook 01)
#
# * where the course runs: Colab with a GPU, a CPU laptop, CI
# * profiles, offline mode, API keys
# * lists, dictionaries, functions, pandas

# %% tags=["remove-cell"]
import pandas as pd

from course_utils import config
from course_tools.slides import show_notebooks, show_results

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Three places, one set of notebooks
#
# `COURSE_PROFILE` picks the settings; `config.setup()` prints where you run and seeds
# everything. The knobs below are read from `course_utils/config.py`:

# %% tags=["hide-input"]
knobs = ["max_train_essays", "finetune_epochs", "finetune_max_length", "finetune_train_essays",
         "llm_eval_essays", "optuna_trials"]
def knob(name: str, key: str):
    value = getattr(config.get_profile(name), key)
    return "all" if value is None else value


pd.DataFrame({name: {k: knob(name, k) for k in knobs} for name in config.PROFILE_NAMES},
             dtype=object)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The two cells at the top of every notebook

# %%
# Colab only: install the course's helper package (does nothing elsewhere).
import subprocess, sys
if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+https://github.com/ai-scoring-course/ai-scoring-in-python"], check=True)

# %% [markdown]
# ```python
# from course_utils import config
# profile = config.setup()  # prints profile, device, Hub mode, data source; seeds everything
# ```
#
# Then `profile.finetune_epochs`, `profile.max_train_essays`, ... wherever a setting
# differs between Colab, a laptop and CI. Never `if smoke:` in a notebook.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Python in one slide: values, lists, dictionaries

# %%
scores = [3, 7, 9, 4]
essay = {"id": 17, "text": "Patience is when you wait ...", "score": 9}
print(len(scores), sum(scores) / len(scores), max(scores))
print(essay["score"], essay.get("rater2", "no second rater"))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Functions and loops

# %%
def word_count(text: str) -> int:
    """How many words a text has."""
    return len(text.split())


essays = ["I waited.", "She was patient with her little brother all day long."]
[word_count(e) for e in essays]

# %% [markdown] slideshow={"slide_type": "slide"}
# ## pandas: a table of essays

# %%
df = pd.DataFrame({"essay": essays, "score": [2, 8]})
df["words"] = df["essay"].map(word_count)
df

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How long each notebook takes
#
# Measured by `make course` (`results/notebook_times.csv`), never estimated:

# %% tags=["hide-input"]
show_results("notebook_times", columns=["notebook", "profile", "status", "seconds", "machine"],
             digits=1)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Your turn
#
# Notebooks `00_setup` and `01_python_basics`: each ends with exercises; a solution is
# hidden under **Solution (double-click to reveal)**.

# %% tags=["hide-input"]
show_notebooks([0, 1])
