"""The decks' concept diagrams (course_tools.diagrams): each draws, offline, a slide-wide
figure whose every text is at the slides' label size, and says what the course teaches."""

from __future__ import annotations

import re

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from course_tools import diagrams, slide_content  # noqa: E402


class _WordPieces:
    """A tokenizer that cuts every word after its fourth letter, as WordPiece might."""

    def tokenize(self, text):
        pieces = []
        for word in text.lower().split():
            pieces += [word[:4]] + ([f"##{word[4:]}"] if len(word) > 4 else [])
        return pieces


def _check(fig):
    assert isinstance(fig, Figure)
    fig.canvas.draw()
    width, height = fig.get_size_inches()
    assert width == slide_content.FIGURE_WIDTH_IN and 1.5 <= height <= 6.0, (width, height)
    facts = slide_content.figure_facts(fig)
    assert facts["min_font_pt"] >= slide_content.LABEL_PT, facts
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]
    plt.close(fig)
    return texts


@pytest.mark.parametrize("draw", diagrams.DIAGRAMS, ids=lambda f: f.__name__)
def test_each_diagram_draws_a_slide_wide_figure_with_large_text(draw):
    assert len(_check(draw())) >= 3


def test_at_least_eight_concept_diagrams_with_short_functions():
    import inspect

    drawn = [*diagrams.DIAGRAMS, diagrams.tokenizer_split]
    assert len(drawn) >= 8
    for draw in drawn:
        assert len(inspect.getsource(draw).splitlines()) <= 60, draw.__name__


def test_tokenizer_split_shows_the_tokenizers_pieces_and_counts_them():
    texts = _check(diagrams.tokenizer_split("Patience means waiting quietly", _WordPieces()))
    assert {"pati", "##ence", "mean", "##s", "wait", "##ing"} <= set(texts)
    assert any(t.startswith("4 words -> 8 pieces") for t in texts)


def test_tokenizer_split_with_the_offline_minilm_tokenizer():
    from course_utils.tokenization import load_tokenizer

    tok = load_tokenizer("sentence-transformers/all-MiniLM-L6-v2")
    texts = _check(diagrams.tokenizer_split("I waited pateintly at @LOCATION1.", tok))
    assert "##1" in texts and "location" in texts


def test_mu_cutoffs_places_scores_where_course_utils_does():
    from course_utils.cutoffs import mu, mu_inv

    fig = diagrams.mu_cutoffs(0, 12, example=0.6)
    dots = [line.get_xdata()[0] for line in fig.axes[0].lines if line.get_marker() == "o"]
    assert dots == pytest.approx(list(mu(range(13), 0, 12)))
    texts = _check(fig)
    assert f"prediction 0.60 -> score {int(mu_inv(0.6, 0, 12))}" in texts


def test_lora_counts_the_trained_numbers():
    texts = " ".join(_check(diagrams.lora_update(d=100, r=4)))
    assert "800 instead" in texts and "of 10,000" in texts and "(8.0%)" in texts


def test_data_discipline_sizes_the_parts_to_scale():
    fig = diagrams.data_discipline(1255, 190, 314, unit=" essays")
    widths = sorted(p.get_width() for p in fig.axes[0].patches)
    assert widths[-1] / widths[0] == pytest.approx((1255 * 106 / 1759 - 1.5) / (190 * 106 / 1759 - 1.5))
    assert "test\n314 essays" in _check(fig)


def test_guard_layers_follow_the_guards_own_list():
    from course_utils.short_answer import guard

    doc = guard.__doc__
    order = ["rules", "RelevanceModel", "nonsense_margin", "support_floor", "SurpriseCheck",
             "ChatJudge"]
    found = [doc.index(name) for name in order]
    assert found == sorted(found), "the guard's docstring lists its layers in another order"
    assert len(diagrams.GUARD_LAYERS) == len(order)
    for (label, _, on), name in zip(diagrams.GUARD_LAYERS, order):
        number = int(label.split()[0])
        item = re.search(rf"^{number}\. (.*?)(?=^\d\. |\Z)", doc, flags=re.M | re.S).group(1)
        assert name in item, (label, item[:80])
        assert on == ("off by default" not in item), label
    texts = _check(diagrams.guard_layers())
    assert [t for t in texts if t in ("on", "opt-in")] == ["on"] * 3 + ["opt-in"] * 3
