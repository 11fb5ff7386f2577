"""course_utils.plots: the figures notebooks and slides share draw what they are given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from course_utils import plots  # noqa: E402
from course_utils.cutoffs import mu  # noqa: E402
from course_utils.data import make_fruit  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_fruit_scatter_and_decision_regions():
    from sklearn.linear_model import LogisticRegression

    fruit = make_fruit(n_apples=30, n_oranges=20, seed=0)
    fig = plots.fruit_scatter(fruit)
    points = [c.get_offsets() for c in fig.axes[0].collections]
    assert sorted(len(p) for p in points) == [20, 30]
    model = LogisticRegression().fit(fruit[["size", "sweetness"]], fruit["label"])
    fig = plots.decision_regions({"LR": model, "LR again": model}, fruit, titles={"LR": "dev 0.9"})
    assert [ax.get_title() for ax in fig.axes] == ["LR\ndev 0.9", "LR again"]


def test_score_distributions_has_both_raters_and_length():
    essays = pd.DataFrame({"essay": ["a b c", "a b", "a b c d e"], "rater1_domain1": [3, 2, 5],
                           "rater2_domain1": [4, 2, 5]})
    fig = plots.score_distributions(essays)
    assert [ax.get_title() for ax in fig.axes] == ["rater 1 (our target)", "rater 2", "length vs score"]
    np.testing.assert_array_equal(fig.axes[2].collections[0].get_offsets(), [[3, 3], [2, 2], [5, 5]])


def test_svd_variance_is_cumulative_and_marks_k():
    fig = plots.svd_variance([0.5, 0.2, 0.1], marks=(2, 9))
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [0.5, 0.7, 0.8])
    assert [t.get_text() for t in fig.axes[0].texts] == [" k=2: 70%"]  # k=9 is out of range


def test_token_lengths_labels_the_share_cut():
    fig = plots.token_lengths([100, 300, 600, 50], limits=(256, 512))
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["256: 50.0% longer", "512: 25.0% longer"]


def test_lr_schedule_and_mu_mapping():
    fig = plots.lr_schedule([0.0, 1.0, 0.5], warmup=1)
    assert list(fig.axes[0].lines[0].get_ydata()) == [0.0, 1.0, 0.5]
    small = plots.lr_schedule([0.0, 5e-5, 2.5e-5])  # learning rates are small numbers
    small.canvas.draw()
    ax = small.axes[0]
    assert ax.yaxis.get_offset_text().get_text() == ""  # no "1e-5" in the corner that the ticks depend on
    assert "5e-05" in [t.get_text() for t in ax.get_yticklabels()]
    fig = plots.mu_mapping(0, 12)
    targets = fig.axes[0].lines[1]
    np.testing.assert_allclose(targets.get_xdata(), mu(np.arange(13), 0, 12))
    np.testing.assert_array_equal(targets.get_ydata(), np.arange(13))


def test_qwk_bars_one_bar_per_row_with_its_interval():
    fig = plots.qwk_bars(["a", "b"], [0.6, 0.75], [0.5, 0.7], [0.7, 0.8], source="x.csv")
    ax = fig.axes[0]
    assert [round(p.get_width(), 2) for p in ax.patches] == [0.75, 0.6]  # first row on top
    assert "x.csv" in ax.get_xlabel()


def _small_calls():
    """One call per plotting function on small data, and which axes show scores."""
    from sklearn.tree import DecisionTreeClassifier

    fruit = make_fruit(n_apples=15, n_oranges=10, seed=0)
    model = DecisionTreeClassifier(max_depth=2, random_state=0)
    model.fit(fruit[["size", "sweetness"]], fruit["label"])
    essays = pd.DataFrame({"essay": ["a b c", "a b", "a b c d e"], "rater1_domain1": [3, 2, 5],
                           "rater2_domain1": [4, 2, 5]})
    # name -> (figure, {axes index: axes that carry scores ("x", "y")})
    return {
        "fruit_scatter": (plots.fruit_scatter(fruit), {}),
        "decision_regions": (plots.decision_regions({"a": model, "b": model}, fruit), {}),
        "score_distributions": (plots.score_distributions(essays), {0: "x", 1: "x", 2: "y"}),
        "svd_variance": (plots.svd_variance([0.5, 0.2]), {}),
        "correlation_bars": (plots.correlation_bars(pd.Series({"a": 0.5, "b": -0.2})), {}),
        "token_lengths": (plots.token_lengths([10, 300, 600]), {}),
        "lr_schedule": (plots.lr_schedule([0.0, 1.0, 0.5]), {}),
        "mu_mapping": (plots.mu_mapping(0, 12), {0: "y"}),
        "qwk_bars": (plots.qwk_bars(["a"], [0.6], [0.5], [0.7]), {}),
    }


def test_every_plotting_function_labels_its_axes_and_uses_integer_score_ticks():
    calls = _small_calls()
    public = {name for name, obj in vars(plots).items()
              if callable(obj) and not name.startswith("_") and getattr(obj, "__module__", "") == plots.__name__
              and name != "integer_ticks"}
    assert public == set(calls), "add a case for each plotting function to _small_calls"
    for name, (fig, score_axes) in calls.items():
        for i, ax in enumerate(fig.axes):
            assert ax.get_xlabel() and ax.get_ylabel(), f"{name}: axes {i} lacks an axis label"
        for i, which in score_axes.items():
            fig.canvas.draw()
            axis = fig.axes[i].xaxis if which == "x" else fig.axes[i].yaxis
            ticks = axis.get_majorticklocs()
            assert np.allclose(ticks, np.round(ticks)), f"{name}: score ticks {ticks} are not whole numbers"


def test_decision_regions_legend_names_dots_and_region_colours():
    fig, _ = _small_calls()["decision_regions"]
    legend = fig.axes[-1].get_legend()
    texts = sorted(t.get_text() for t in legend.get_texts())
    assert texts == ["apple", "orange", "predicted apple", "predicted orange"]
    region = {p.get_label(): p.get_facecolor()[:3] for p in legend.get_patches()}
    dots = {c.get_label(): c.get_facecolor()[0][:3] for c in fig.axes[0].collections if c.get_label() in plots.FRUIT_COLORS}
    for fruit, colour in dots.items():
        assert np.allclose(region[f"predicted {fruit}"], colour)
