"""Published LLM figures beside the course's own: only figures read in the paper's table get a number."""

import pandas as pd
import pytest

from course_tools import results as R
from course_tools import slide_content as sc
from course_tools import slide_demos as demos

FIELDS = ["model", "setting", "prompt", "qwk", "source", "table_or_page", "checked"]
CHECKED = {"model": "Model A", "setting": "zero-shot", "prompt": "ASAP 1 (not 7)", "qwk": "0.251",
           "source": "Wang, Ding & Zhai (2026). A title. AAAI-26", "table_or_page": "Table 1, p. 7",
           "checked": "checked: read in the paper's full text"}
UNCHECKED = {"model": "Model B", "setting": "few-shot", "prompt": "ASAP 1-8", "qwk": "0.999",
             "source": "Kundu & Barbosa (2024). Another title", "table_or_page": "",
             "checked": "not checked (only the abstract was read)"}


def test_short_citation():
    assert demos.short_citation(CHECKED["source"]) == "Wang et al. 2026"
    assert demos.short_citation(UNCHECKED["source"]) == "Kundu & Barbosa 2024"
    assert demos.short_citation("Morris (2023), The Effectiveness of a Dynamic Loss Function") == "Morris 2023"


def test_one_rule_says_which_published_figure_was_checked():
    assert R.llm_figure_checked(CHECKED) and not R.llm_figure_checked(UNCHECKED)
    assert not R.llm_figure_checked({**CHECKED, "qwk": ""})  # checked, but no figure to show
    rows = pd.DataFrame([CHECKED, {**CHECKED, "qwk": None}]).assign(qwk=[0.251, float("nan")])
    assert [R.llm_figure_checked(r) for _, r in rows.iterrows()] == [True, False]  # as the slides read it


def test_results_lines_quote_only_checked_figures(tmp_path, monkeypatch):
    path = tmp_path / "published.csv"
    R.write_csv([CHECKED, UNCHECKED], path, FIELDS)
    monkeypatch.setattr(R, "PUBLISHED_LLM_CSV", path)
    text = "\n".join(R.published_llm_lines())
    assert "2 studies" in text and "Model A, zero-shot: QWK 0.251" in text and "Table 1, p. 7" in text
    assert "0.999" not in text and "none is shown" in text
    R.write_csv([UNCHECKED], path, FIELDS)
    text = "\n".join(R.published_llm_lines())
    assert "0.999" not in text and "None of their figures" in text


def test_slide_tables_number_only_checked_rows_and_keep_the_studies_apart(monkeypatch):
    table = pd.DataFrame([CHECKED, UNCHECKED]).assign(qwk=[0.251, 0.999])
    monkeypatch.setattr(sc, "results_table", lambda name: table if name == demos.PUBLISHED else None)
    monkeypatch.setattr(sc, "select_results", lambda *a, **k: pd.DataFrame(
        {"label": ["rubric prompt"], "qwk_mean": [-0.123], "qwk_ci_low": [-0.172], "qwk_ci_high": [-0.075],
         "n_test": [314.0]}))
    shown = []
    monkeypatch.setattr(sc, "md", shown.append)
    demos.show_published_beside_stand_in()
    measured, published, takeaway, notes = shown
    assert takeaway == ("**What they show**: 1 setting, point estimates without intervals: QWK 0.251 to 0.251, all "
                        "below the 0.70 guideline (notebook 03); none meets it, none ranks against ours.")
    assert "Not a ranking" in notes and "not on one ruler" in notes
    assert "ASAP 7, 314 test essays" in measured and "| SmolLM2-135M-Instruct (stand-in): rubric prompt | -0.123 [-0.172, -0.075] |" in measured
    assert published.startswith("**Published, Wang et al. 2026**: ASAP 1 (not 7)") and "| model | zero-shot |" in published
    assert "| Model A | 0.251 |" in published
    assert "Wang et al. 2026: Wang, Ding & Zhai (2026)" in notes and "Table 1, p. 7" in notes
    assert "0.999" not in "".join(shown) and "Kundu & Barbosa 2024" in notes
    shown.clear()
    demos.show_published_beside_stand_in(stand_in=(), study="Wang", others=False)  # one study per slide
    assert len(shown) == 3 and "Measured here" not in shown[0]  # no measured table: the slide before has it
    assert "Wang et al. 2026: Wang" in shown[-1] and "Kundu" not in shown[-1]
    with pytest.raises(ValueError, match="no checked published study"):
        demos.show_published_beside_stand_in(study="Kundu")
