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
# # AI Scoring in Python · 5. Generative models
#
# Notebooks 14-16: hosted APIs, prompting, LoRA
#
# * hosted models (Groq, Cerebras free tiers) and local generation
# * rubric, few-shot and chain-of-thought prompts
# * LoRA: fine-tuning a generative model to write the score

# %% tags=["remove-cell"]
import matplotlib.pyplot as plt
import numpy as np

from course_tools.slides import plot_results, show_notebooks, show_results

plt.rcParams.update({"figure.figsize": (9, 4.5), "font.size": 12})

# %% [markdown] slideshow={"slide_type": "slide"}
# ## API keys, safely
#
# * Colab: the 🔑 *Secrets* panel, then **grant the notebook access** to the secret
# * elsewhere: an environment variable (`GROQ_API_KEY`, `CEREBRAS_API_KEY`)
# * otherwise the notebook asks with a hidden prompt
#
# Keys are never printed, logged or saved. Free tiers are rate-limited: the profiles
# score only `llm_eval_essays` essays by prompting.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The rubric goes into the prompt
#
# `course_utils.prompts` builds the chat messages of notebook 15 (here the start of
# the rubric prompt):

# %%
from course_utils import prompts

messages = prompts.with_rubric("When my little brother was sick I waited with him all night.")
for message in messages:
    print(f"[{message['role']}] {message['content'][:520]} ...\n")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## LoRA: train a few parameters
#
# Freeze $W \in \mathbb{R}^{d \times d}$ and learn $W + BA$ with $B \in \mathbb{R}^{d
# \times r}$, $A \in \mathbb{R}^{r \times d}$: $2dr$ trainable numbers instead of
# $d^2$.

# %% tags=["hide-input"]
ranks = np.array([1, 2, 4, 8, 16, 32, 64])
fig, ax = plt.subplots()
for d in (576, 1024, 2048):
    ax.plot(ranks, 2 * d * ranks / d**2, "o-", label=f"d = {d}")
ax.set_xscale("log", base=2)
ax.set_yscale("log")
ax.set_xlabel("LoRA rank r")
ax.set_ylabel("trainable fraction of one d × d matrix")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Results on the test set

# %% tags=["hide-input"]
plot_results("asap7", sections=["reference", "generative", "llm", "prompt", "lora"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Results table

# %% tags=["hide-input"]
show_results("asap7", sections=["reference", "generative", "llm", "prompt", "lora"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Your turn
#
# Notebooks `14`-`16` end with exercises. Without an API key the hosted-model cells
# say so and the notebook goes on with a local model.

# %% tags=["hide-input"]
show_notebooks([14, 15, 16])
