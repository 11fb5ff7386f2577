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
# # AI Scoring in Python · 4. Fine-tuning
#
# Notebooks 10-13: transformers that read the essays
#
# * how a tokenizer sees an essay, and what truncation costs
# * a manual PyTorch loop, done right (11), then the Hugging Face `Trainer` (12)
# * scoring as regression, cutoffs and ensembles (13)

# %% tags=["remove-cell"]
import matplotlib.pyplot as plt
import numpy as np

from course_utils import config, finetune
from course_utils.data import DataNotFoundError, load_asap
from course_utils.hub import resolve_model
from course_utils.cutoffs import mu, mu_inv
from course_tools.slides import plot_results, show_notebooks, show_results, show_source

plt.rcParams.update({"figure.figsize": (9, 4.5), "font.size": 12})
profile = config.get_profile()
try:
    asap = load_asap(7)
except DataNotFoundError as exc:
    asap = None
    why = str(exc)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Word pieces

# %%
from transformers import AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained(resolve_model(profile.finetune_model))
print(tokenizer.tokenize("I waitted pateintly for my little brother."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How long are the essays, in tokens?

# %% tags=["hide-input"]
if asap is None:
    print(f"Data not available here: {why}")
else:
    lengths = np.array([len(ids) for ids in tokenizer(asap.essay.tolist())["input_ids"]])
    fig, ax = plt.subplots()
    ax.hist(lengths, bins=40, color="#4C72B0")
    top = ax.get_ylim()[1]
    for i, name in enumerate(config.PROFILE_NAMES):
        limit = config.get_profile(name).finetune_max_length
        ax.axvline(limit, color="k", ls="--", lw=1)
        ax.text(limit, top * (0.9 - 0.15 * i), f" {name}: max_length {limit}\n"
                f" {np.mean(lengths > limit):.0%} of essays cut", fontsize=10)
    ax.set_xlabel("tokens per essay")
    ax.set_ylabel("essays")
    plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A training loop, done right
#
# * seed everything; shuffle the training set only
# * choose the epoch / learning rate on **dev**, never on test
# * `model.train()` to learn, `model.eval()` + `torch.no_grad()` to predict
# * clip gradients **after** `backward()`; on a Colab T4 use fp16 (a T4 has no bf16)
#
# %% [markdown] slideshow={"slide_type": "subslide"}
# ## One training step, as notebook 11 runs it

# %% tags=["hide-input"]
show_source(finetune.train_step)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Mixed precision: bf16 where the GPU has it, else fp16

# %% tags=["hide-input"]
show_source(finetune.mixed_precision)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Scores as numbers: regression, then cutoffs
#
# Map scores 0-12 into $(0, 1)$, regress, map back; `OptimizedCutoffs` then moves the
# boundaries between score points to maximise QWK on out-of-fold predictions.

# %% tags=["hide-input"]
scores = np.arange(0, 13)
x = np.linspace(0.001, 0.999, 200)
fig, ax = plt.subplots()
ax.plot(mu(scores, 0, 12), scores, "o", label="score point → μ(score)")
ax.plot(x, mu_inv(x, 0, 12), "-", label="μ⁻¹: prediction → score")
ax.set_xlabel("model output")
ax.set_ylabel("score")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Ensembles, chosen on dev
#
# * average the continuous predictions of models whose errors differ, then fit cutoffs
# * weights and cutoffs tuned on ~190 dev essays flatter themselves on those essays
# * so compare *procedures* by nested cross-validation on dev: choose on 4 folds, score the 5th
# * equal weights have nothing to overfit; the test set is scored once, at the end
# * `results/asap7_ensemble_dev.md` shows the comparison behind the table's ensemble row

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Results on the test set

# %% tags=["hide-input"]
plot_results("asap7", sections=["reference", "fine-tun", "transformer"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Results table

# %% tags=["hide-input"]
show_results("asap7", sections=["reference", "fine-tun", "transformer"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Your turn
#
# Notebooks `10`-`13` end with exercises. Fine-tuning wants a GPU: in Colab,
# *Runtime → Change runtime type → T4 GPU*; on a CPU the `fast` profile trains on a
# subset.

# %% tags=["hide-input"]
show_notebooks([10, 11, 12, 13])
