"""The course's figures, each drawn by one small function used by notebooks and slides alike.

Taught in notebooks 02, 03, 05, 10, 11 and 13; the slide decks (``slides/``) call the
same functions, so a figure on a slide is the figure in the notebook.

>>> from course_utils import plots
>>> fig = plots.score_distributions(essays)   # then plt.show() in a notebook
>>> fig = plots.mu_mapping(0, 12)

Every function draws a new figure and returns it; none of them calls ``plt.show()``, so
a notebook or a slide decides when to show it.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np

from course_utils.cutoffs import mu, mu_inv

#: Every function sets both axis labels; score axes get integer ticks (tests/test_plots.py).

#: One colour per fruit, the same in every figure of notebook 02 (dots and regions).
FRUIT_COLORS = {"apple": "tab:blue", "orange": "tab:orange"}  # told apart in colour-blind eyes too
FRUIT_MARKERS = {"apple": "o", "orange": "^"}  # and by shape


def integer_ticks(axis) -> None:
    """Put ticks on whole numbers only (for score axes): ``integer_ticks(ax.yaxis)``."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _scatter_fruit(ax, fruit, size: float = 20, alpha: float = 0.7) -> None:
    for label, group in fruit.groupby("label"):
        ax.scatter(group["size"], group["sweetness"], c=FRUIT_COLORS.get(label), s=size,
                   marker=FRUIT_MARKERS.get(label, "o"), label=label, alpha=alpha)


def fruit_scatter(fruit, figsize=(5, 4)):
    """The fruit data: size against sweetness, one colour per label.

    Taught in notebook 02.
    """
    fig, ax = plt.subplots(figsize=figsize)
    _scatter_fruit(ax, fruit)
    ax.set_xlabel("size (cm)")
    ax.set_ylabel("sweetness (0-10)")
    ax.legend()
    return fig


def decision_regions(models: dict, fruit, titles: dict | None = None, figsize=(13, 4)):
    """Colour the plane by the class each fitted model predicts, with ``fruit`` on top.

    ``models`` maps a name to a fitted classifier on the columns ``size`` and
    ``sweetness``; ``titles`` (optional) maps the same names to a second title line.
    Taught in notebook 02.
    """
    import pandas as pd
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    xx, yy = np.meshgrid(
        np.linspace(fruit["size"].min() - 1, fruit["size"].max() + 1, 200),
        np.linspace(fruit["sweetness"].min() - 1, fruit["sweetness"].max() + 1, 200),
    )
    grid = pd.DataFrame({"size": xx.ravel(), "sweetness": yy.ravel()})
    # region colour = the predicted fruit's dot colour, paler: a dot on a region of
    # another colour is a training point the model gets wrong
    cmap = ListedColormap([FRUIT_COLORS["orange"], FRUIT_COLORS["apple"]])
    fig, axes = plt.subplots(1, len(models), figsize=figsize, sharey=True, squeeze=False)
    for ax, (name, model) in zip(axes[0], models.items()):
        zz = (model.predict(grid) == "apple").reshape(xx.shape).astype(float)
        ax.contourf(xx, yy, zz, levels=[-0.5, 0.5, 1.5], alpha=0.2, cmap=cmap)
        _scatter_fruit(ax, fruit, size=12, alpha=1.0)
        ax.set_title(name + (f"\n{titles[name]}" if titles and name in titles else ""))
        ax.set_xlabel("size (cm)")
        ax.set_ylabel("sweetness (0-10)")
    handles, _ = axes[0, 0].get_legend_handles_labels()
    handles += [Patch(color=c, alpha=0.2, label=f"predicted {f}") for f, c in FRUIT_COLORS.items()]
    axes[0, -1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig


def score_distributions(essays, figsize=(13, 3.5)):
    """Both raters' score histograms and essay length against rater 1's score.

    ``essays`` has the ASAP columns ``essay``, ``rater1_domain1`` and ``rater2_domain1``.
    Taught in notebook 03.
    """
    fig, axes = plt.subplots(1, 3, figsize=figsize)
    bins = np.arange(-0.5, 13.5)
    axes[0].hist(essays.rater1_domain1, bins=bins, rwidth=0.85)
    axes[0].set_title("rater 1 (our target)")
    axes[1].hist(essays.rater2_domain1, bins=bins, rwidth=0.85, color="tab:green")
    axes[1].set_title("rater 2")
    for ax, rater in zip(axes[:2], ("rater 1", "rater 2")):
        ax.set_xlabel(f"{rater}'s score")
        ax.set_ylabel("essays")
        integer_ticks(ax.xaxis)
    n_words = essays.essay.str.split().str.len()
    axes[2].scatter(n_words, essays.rater1_domain1, s=6, alpha=0.4)
    axes[2].set_title("length vs score")
    axes[2].set_xlabel("words")
    axes[2].set_ylabel("rater 1's score")
    integer_ticks(axes[2].yaxis)
    fig.tight_layout()
    return fig


def svd_variance(explained_variance_ratio, marks=(), figsize=(6.4, 4)):
    """Cumulative share of variance kept by the first ``k`` SVD components.

    ``marks`` are values of ``k`` to label on the curve. Taught in notebook 05.
    """
    share = np.cumsum(explained_variance_ratio)
    k = np.arange(1, len(share) + 1)
    fig, ax = plt.subplots(figsize=figsize)
    ax.plot(k, share)
    for m in marks:
        if 1 <= m <= len(share):
            ax.plot(m, share[m - 1], "o", color="tab:red")
            ax.annotate(f" k={m}: {share[m - 1]:.0%}", (m, share[m - 1]), va="top")
    ax.set_xlabel("number of components k")
    ax.set_ylabel("cumulative share of variance explained")
    ax.set_title("Truncated SVD of the TF-IDF matrix")
    return fig


def correlation_bars(correlations, xlabel: str = "Pearson r with rater 1's score", figsize=(8, 4)):
    """Horizontal bars of each feature's correlation with the score, sorted, with a line at 0.

    ``correlations`` is a pandas Series indexed by feature name (as notebook 06 computes it).
    """
    corr = correlations.sort_values()
    fig, ax = plt.subplots(figsize=figsize)
    ax.barh([str(name) for name in corr.index], corr.to_numpy(), color="#4C72B0")
    ax.axvline(0, color="k", lw=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("feature")
    fig.tight_layout()
    return fig


def token_lengths(n_tokens, limits=(256, 512), figsize=(7, 3)):
    """Histogram of essay lengths in tokens, with the share cut at each length limit.

    Taught in notebook 10.
    """
    n_tokens = np.asarray(n_tokens)
    fig, ax = plt.subplots(figsize=figsize)
    ax.hist(n_tokens, bins=50, color="tab:blue")
    for limit, color in zip(limits, ("tab:orange", "tab:red", "tab:purple", "k")):
        ax.axvline(limit, color=color, ls="--",
                   label=f"{limit}: {np.mean(n_tokens > limit):.1%} longer")
    ax.set(xlabel="tokens per essay (with [CLS] and [SEP])", ylabel="essays")
    ax.legend()
    return fig


def lr_schedule(rates, warmup: int | None = None, figsize=(6.4, 3.2)):
    """The learning rate at each optimizer step (linear warm-up, then linear decay).

    Taught in notebook 11.
    """
    fig, ax = plt.subplots(figsize=figsize)
    ax.plot(rates)
    if warmup:
        ax.axvline(warmup, color="k", ls=":", lw=1, label=f"end of warm-up (step {warmup})")
        ax.legend()
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("learning rate")
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(_plain_number))  # 5e-05, not "5" under a "1e-5"
    return fig


def _plain_number(value, _position) -> str:
    """A tick label as the number itself (5e-05, 0), never scaled by an offset in the corner."""
    return f"{value:g}"


def mu_mapping(lo: int, hi: int, figsize=(6.4, 4)):
    """``mu`` (scores to training targets) and ``mu_inv`` (outputs back to scores).

    Taught in notebook 13.
    """
    scores = np.arange(lo, hi + 1)
    x = np.linspace(0, 1, 500)
    fig, ax = plt.subplots(figsize=figsize)
    ax.step(x, mu_inv(x, lo, hi), where="post", label="mu_inv(x)")
    ax.plot(mu(scores, lo, hi), scores, "o", label="mu(score): the training targets")
    ax.set_xlabel("model output (after sigmoid)")
    ax.set_ylabel("score")
    integer_ticks(ax.yaxis)
    ax.legend()
    return fig


def qwk_bars(labels, means, lows, highs, bar: float = 0.70, source: str = "", figsize=None):
    """Horizontal bars of QWK with their confidence intervals and the 0.70 bar.

    Taught in notebook 03 (QWK and the Williamson bar); the slides draw the rows of
    ``results/asap7.csv`` with it.
    """
    labels = ["\n".join(textwrap.wrap(str(label), 34)) for label in labels][::-1]
    means, lows, highs = (np.asarray(v, dtype=float)[::-1] for v in (means, lows, highs))
    fig, ax = plt.subplots(figsize=figsize or (11, 0.55 * len(labels) + 1.3))
    ax.barh(range(len(labels)), means, xerr=[means - lows, highs - means], color="#4C72B0",
            capsize=3)
    ax.set_yticks(range(len(labels)), labels, fontsize=10)
    ax.set_ylabel("scorer")
    ax.axvline(bar, color="k", ls="--", lw=1, label=f"Williamson:\nQWK ≥ {bar:.2f}")
    ax.set_xlabel("QWK on the test set (95% bootstrap CI)" + (f"; source: {source}" if source else ""))
    ax.set_xlim(min(0.0, float(lows.min()) - 0.05), 1)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig
