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
# # AI Scoring in Python · 3. Essay scoring
#
# Notebooks 03-09: ASAP prompt 7 ("Patience"), from word counts to embeddings
#
# * the data and how humans agree with each other
# * the Williamson et al. (2012) criteria
# * bag of words, SVD, hand-crafted features, embeddings, tuning, regression

# %% tags=["remove-cell"]
import matplotlib.pyplot as plt
import numpy as np

from course_utils.data import DataNotFoundError, load_asap, reference_split
from course_utils.metrics import aes_metrics
from course_tools.slides import plot_results, show_notebooks, show_results

plt.rcParams.update({"figure.figsize": (9, 4.5), "font.size": 12})
try:
    asap = load_asap(7)
except DataNotFoundError as exc:
    asap = None
    why = str(exc)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The essays

# %% tags=["hide-input"]
if asap is None:
    print(f"Data not available here: {why}")
else:
    print(f"{len(asap)} essays; two raters, each 0-12; "
          f"median length {asap.essay.str.split().str.len().median():.0f} words")
    print(asap.essay.iloc[0][:400], "...")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How the raters score, and what length tells

# %% tags=["hide-input"]
if asap is not None:
    essays = asap
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    bins = np.arange(-0.5, 13.5)
    axes[0].hist(essays.rater1_domain1, bins=bins, rwidth=0.85)
    axes[0].set_title("rater 1 (our target)")
    axes[1].hist(essays.rater2_domain1, bins=bins, rwidth=0.85, color="tab:green")
    axes[1].set_title("rater 2")
    n_words = essays.essay.str.split().str.len()
    axes[2].scatter(n_words, essays.rater1_domain1, s=6, alpha=0.4)
    axes[2].set_title("length vs score")
    axes[2].set_xlabel("words")
    plt.tight_layout()
    plt.show()
    print(f"Correlation of essay length (words) with rater 1: "
          f"{np.corrcoef(n_words, essays.rater1_domain1)[0, 1]:.3f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Agreement: quadratic weighted kappa
#
# $$\kappa_w = 1 - \frac{\sum_{i,j} w_{ij} O_{ij}}{\sum_{i,j} w_{ij} E_{ij}},
# \qquad w_{ij} = \frac{(i-j)^2}{(k-1)^2}$$
#
# $O$: observed score pairs, $E$: pairs expected by chance. Also exact agreement,
# adjacent agreement, the standardised mean difference (SMD) and Pearson's $r$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The bar: human vs human on the test set

# %% tags=["hide-input"]
if asap is not None:
    _, test = reference_split(asap)
    hh = aes_metrics(test.rater1_domain1, test.rater2_domain1, 0, 12)
    print(f"rater 1 vs rater 2 on {hh['N']} test essays: QWK {hh['QWK']:.3f}, "
          f"exact {hh['Acc']:.3f}, adjacent {hh['Adj']:.3f}, SMD {hh['SMD']:.3f}")

# %% [markdown]
# Williamson et al. (2012): QWK ≥ 0.70, $r$ ≥ 0.70, |SMD| ≤ 0.15, and no more than 0.10
# below human-human QWK (`course_utils.metrics.williamson_check`).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Scorers, one API
#
# ```python
# from course_utils.scorers import TfidfScorer
# scorer = TfidfScorer().fit(train.essay, train.rater1_domain1)
# scorer.score(test.essay, test.rater1_domain1)   # QWK on the test set
# ```
#
# TF-IDF (04) · SVD (05) · textstat features + random forest (06) · embeddings (07) ·
# tuning on dev (08) · regression, cutoffs, ensembles (09)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Results on the test set
#
# From the committed results table, not typed:

# %% tags=["hide-input"]
plot_results("asap7", sections=["reference", "classical", "beyond"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Results table

# %% tags=["hide-input"]
show_results("asap7", sections=["reference", "classical", "beyond"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Your turn
#
# Notebooks `03`-`09` each end with exercises; each solution is hidden under
# **Solution (double-click to reveal)**.

# %% tags=["hide-input"]
show_notebooks([3, 4, 5, 6, 7, 8, 9])
