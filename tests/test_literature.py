"""course_tools.literature: the five-fold protocol's runner, merge and table (fast, fake rows)."""

import numpy as np
import pandas as pd
import pytest

from course_tools import literature as L


@pytest.fixture()
def fake(monkeypatch):
    """Five folds of 20 fake essays; two rows, one perfect, one off by a point."""
    rng = np.random.default_rng(0)
    parts = []
    for k in range(5):
        y = rng.integers(0, 25, 20)
        parts.append(pd.DataFrame({"essay": [f"e{k}{i}" for i in range(20)], "domain1_score": y,
                                   "rater1_domain1": y // 2, "rater2_domain1": y - y // 2}))
    monkeypatch.setattr(L, "folds", lambda k: (parts[k], parts[k].iloc[:0], parts[k]))
    monkeypatch.setattr(L, "ROWS", {})
    L.row("perfect", "Perfect", run=lambda k: {"pred": parts[k].domain1_score.to_numpy(), "seconds": 1.0})
    L.row("off", "Off by one", run=lambda k: {"pred": np.clip(parts[k].domain1_score + 1, 0, 24),
                                              "seconds": 2.0}, note="a note")
    import course_tools.run_course as rc

    monkeypatch.setattr(rc, "machine", lambda: "test machine")
    return parts


def test_run_merge_and_render(fake, tmp_path):
    csv, md = tmp_path / "t.csv", tmp_path / "t.md"
    assert L.main(["--csv", str(csv), "--md", str(md)]) == 0
    rows = {r["id"]: r for r in L.read_csv(csv)}
    assert float(rows["perfect"]["qwk_mean"]) == 1.0 and float(rows["perfect"]["qwk_sd"]) == 0.0
    assert 0.9 < float(rows["off"]["qwk_mean"]) < 1.0 and len(rows["off"]["qwk_per_fold"].split()) == 5
    text = md.read_text()
    assert "`domain1_score`" in text and "Taghipour & Ng (2016)" in text and "a note" in text
    # every published figure names its source and whether it was checked, and the table shows both
    for p in L.published_rows():
        assert p["citation"] and p["checked"] in ("yes", "no") and p["where"]
        assert p["citation"] in text and (p["qwk_prompt7"] or "not shown") in text
    # --only re-runs one row and keeps the other
    L.ROWS["off"]["label"] = "Off by one v2"
    assert L.main(["--only", "off", "--csv", str(csv), "--md", str(md)]) == 0
    rows = {r["id"]: r for r in L.read_csv(csv)}
    assert set(rows) == {"perfect", "off"} and rows["off"]["label"] == "Off by one v2"
    with pytest.raises(SystemExit):
        L.main(["--only", "nothing", "--csv", str(csv), "--md", str(md)])


def test_the_rows_cover_every_cpu_essay_scorer():
    import importlib

    fresh = importlib.reload(L)
    for rid in ("human", "tfidf_lr", "svd300_lr", "textstat_rf", "svd10_textstat_rf", "minilm_lr",
                "regression_ridge", "ensemble_cutoffs", "ensemble_rubric"):
        assert rid in fresh.ROWS


def test_render_needs_only_the_csv(fake, tmp_path, monkeypatch):
    csv, md = tmp_path / "t.csv", tmp_path / "t.md"
    assert L.main(["--csv", str(csv), "--md", str(md)]) == 0
    measured = md.read_text()
    md.unlink()
    monkeypatch.setattr(L, "evaluate", lambda *a: pytest.fail("--render measured something"))
    assert L.main(["--render", "--csv", str(csv), "--md", str(md)]) == 0
    assert md.read_text() == measured


def test_dev_comparison_is_stored_then_rendered(tmp_path, monkeypatch):
    subsets = [("ridge", "gbm"), ("ridge",), ("ridge+rubric", "gbm+rubric", "char")]
    dev = {s: [0.80 + 0.01 * i + 0.001 * k for k in range(5)] for i, s in enumerate(subsets)}
    oof = {s: [0.85] * 5 for s in subsets}
    monkeypatch.setattr(L, "dev_comparison", lambda: (dev, oof))
    import course_tools.run_course as rc

    monkeypatch.setattr(rc, "machine", lambda: "test machine")
    csv, md = tmp_path / "dev.csv", tmp_path / "dev.md"
    text = L.write_dev_comparison(csv, md)
    from course_tools.results import read_csv

    rows = read_csv(csv)
    assert [r["subset"] for r in rows] == ["ridge+rubric + gbm+rubric + char", "ridge", "ridge + gbm"]  # best first
    assert rows[0]["candidate"].startswith("RubricEnsembleScorer") and rows[1]["candidate"] == ""
    assert md.read_text() == text == L.render_dev(rows) and "test machine" in text
    named = text.split("## Named candidates")[1].split("## Every subset")[0]
    assert named.index("EnsembleScorer: ridge + gbm") < named.index("RubricEnsembleScorer")  # DEV_CANDIDATES order
    assert "0.822 ± 0.002" in text and "0.820 0.821 0.822 0.823 0.824" in text


@pytest.mark.parametrize("name", ["asap7_literature", "asap7_literature_dev"])
def test_the_committed_files_are_rendered_from_the_committed_csvs(name):
    from course_tools.results import read_csv

    rows = read_csv(L.ROOT / "results" / f"{name}.csv")
    rendered = L.render_dev(rows) if name.endswith("_dev") else L.render_markdown(rows)
    assert (L.ROOT / "results" / f"{name}.md").read_text() == rendered, (
        f"results/{name}.md differs from its CSV: run `python -m course_tools.literature --render`")


def test_the_fourth_member_table_is_rendered_from_its_csv_and_read_by_the_gap_paragraph(tmp_path, monkeypatch):
    from course_tools import literature_members as M
    from course_tools.results import read_csv, write_csv

    rows = read_csv(M.CSV_PATH)
    assert (M.MD_PATH).read_text() == M.render(rows), (
        "results/asap7_literature_members.md differs from its CSV: run `python -m course_tools.literature_members --render`")
    assert {r["candidate"] for r in rows} <= set(M.CANDIDATES)
    row = {"candidate": "svr", "description": "a candidate", "folds": "0 1", "alone": "0.7 0.8",
           "with_rubric_ensemble": "0.82 0.81", "rubric_ensemble": "0.81 0.80", "gain_mean": "0.0100",
           "seconds_per_fold": "3", "machine": "m", "date": "d"}
    path = tmp_path / "members.csv"
    write_csv([row], path, M.FIELDS)
    monkeypatch.setattr(L, "MEMBERS_CSV_PATH", path)
    assert "a candidate: +0.010 (folds 0, 1)" in L._fourth_members()
    assert "+0.010" in M.render([row]) and "0.820 0.810" in M.render([row])
    monkeypatch.setattr(L, "MEMBERS_CSV_PATH", tmp_path / "absent.csv")
    assert L._fourth_members().startswith("Not measured here")


def test_a_checked_published_figure_must_name_its_table_and_page(tmp_path):
    fields = L.PUBLISHED_FIELDS
    row = dict(zip(fields, ["M", "0.800", "", "A paper", "five folds", "yes", "seen in a secondary listing"]))
    path = tmp_path / "p.csv"
    from course_tools.results import write_csv

    write_csv([row], path, fields)
    with pytest.raises(ValueError, match="table and page"):
        L.published_rows(path)
    write_csv([{**row, "where": "Table 3, p. 1888"}], path, fields)
    assert L.published_rows(path)[0]["checked"] == "yes"
    write_csv([{**row, "checked": "maybe"}], path, fields)
    with pytest.raises(ValueError, match="yes or no"):
        L.published_rows(path)


def test_the_best_dev_subset_is_the_highest_mean_and_every_name_is_a_member():
    from course_tools.ensemble_members import best_dev_subset

    rows = [{"subset": "ridge + gbm", "dev_qwk_mean": "0.81"}, {"subset": "smollm + char", "dev_qwk_mean": "0.84"}]
    assert best_dev_subset(rows) == ["smollm", "char"]
    assert set(best_dev_subset(rows)) <= set(L.dev_members())
    for subset in L.DEV_CANDIDATES.values():
        assert set(subset) <= set(L.dev_members())
    with pytest.raises(FileNotFoundError, match="--dev"):
        best_dev_subset([])


def test_the_goal_paragraph_leads_with_the_nested_row_and_pairs_the_highest_by_fold(monkeypatch):
    monkeypatch.setattr(L, "_fourth_members", lambda: "")

    def r(row_id, folds):
        return {"id": row_id, "qwk_mean": str(np.mean(folds)), "qwk_per_fold": " ".join(map(str, folds))}

    rows = [r("ensemble_rubric", [0.80, 0.82, 0.84, 0.86, 0.83]), r("ensemble_nested", [0.81, 0.83, 0.85, 0.86, 0.84]),
            r("ensemble_smollm", [0.82, 0.83, 0.86, 0.87, 0.84])]
    text = " ".join(L._goal_and_gap(rows))
    assert text.index("`ensemble_nested` (0.838)") < text.index("The highest row, `ensemble_smollm` (0.844)")
    assert "standard errors" in text and "taking the highest row is itself a choice made on test" in text
    assert "`ensemble_smollm` minus `ensemble_nested`: +0.010 +0.000 +0.010 +0.010 +0.000" in text
    assert "`ensemble_smollm` minus `ensemble_rubric`" in text
    flat = " ".join(L._goal_and_gap([r("ensemble_nested", [0.9] * 5)]))  # no spread: no standard errors
    assert "0.050 above the goal" in flat and "standard errors" not in flat and "inf" not in flat


def test_nested_choices_pick_each_folds_own_dev_best():
    rows = [{"subset": "a", "dev_qwk_per_fold": "0.80 0.70 0.90"},
            {"subset": "b", "dev_qwk_per_fold": "0.75 0.72 0.85"}]
    # by the mean over folds "a" wins (0.800 vs 0.773); fold 1 alone chooses "b"
    assert L.nested_choices(rows) == [(0, "a", 0.80), (1, "b", 0.72), (2, "a", 0.90)]
    with pytest.raises(ValueError, match="different numbers of folds"):
        L.nested_choices(rows + [{"subset": "c", "dev_qwk_per_fold": "0.9 0.9"}])
    assert "## Caveat: this choice is not a nested selection" in L.render_dev(
        [{**r, "candidate": "", "dev_qwk_mean": "0.8", "dev_qwk_sd": "0.1", "oof_qwk_mean": "0.8",
          "seconds": "1", "machine": "m", "date": "d"} for r in rows])


def test_reference_dev_file_is_rendered_from_its_csv_and_names_one_choice():
    from course_tools import reference_dev as R
    from course_tools.results import read_csv

    rows = read_csv(R.CSV_PATH)
    assert [r["candidate"] for r in rows] == list(R.CANDIDATES)
    assert [r["chosen"] for r in rows].count("yes") == 1
    best = max(rows, key=lambda r: float(r["dev_qwk"]))
    assert best["chosen"] == "yes"  # the choice is the best dev QWK, nothing else
    assert R.MD_PATH.read_text() == R.render(rows), "run `python -m course_tools.reference_dev --render`"



def test_reference_subsets_file_ranks_every_pair_by_dev_qwk_and_the_row_fits_the_first():
    from course_tools import reference_subsets as S
    from course_tools.ensemble_members import dev_members
    from course_tools.results import CSV_PATH, read_csv

    rows = read_csv(S.CSV_PATH)
    names = set(dev_members())
    assert len(rows) == len(S.TARGETS) * (2 ** len(names) - 1)  # every non-empty subset, each target
    assert {m for r in rows for m in r["subset"].split(" + ")} == names
    assert {r["target"] for r in rows} == set(S.TARGETS)
    qwks = [float(r["dev_qwk"]) for r in sorted(rows, key=lambda r: int(r["rank"]))]
    assert qwks == sorted(qwks, reverse=True)  # rank 1 is the best dev QWK, nothing else
    assert S.MD_PATH.read_text() == S.render(rows), "run `python -m course_tools.reference_subsets --render`"
    members, both = S.chosen()
    row = next(r for r in read_csv(CSV_PATH) if r["id"] == "ensemble_refdev")
    assert f"members: {' + '.join(members)};" in row["note"]
    assert ("mean of rater 1 and rater 2" in row["note"]) == both


def test_subset_scores_average_members_and_fit_cutoffs_on_their_out_of_fold_mean():
    import numpy as np

    from course_tools.reference_subsets import _subset_scores

    y = np.array([0, 1, 2, 3, 4] * 10)
    preds = {("a", "t"): (y + 0.4, y + 0.4), ("b", "t"): (y - 0.4, y - 0.4)}
    scores, oof_qwk = _subset_scores(preds, ("a", "b"), "t", y, 0, 4)
    assert scores.tolist() == y.tolist() and oof_qwk == 1.0  # the mean is exact

def test_paired_difference_interval_brackets_the_difference_and_is_zero_for_equal_predictions():
    import numpy as np

    from course_tools.reference_dev import paired_diff_ci

    rng = np.random.default_rng(0)
    y = rng.integers(0, 13, 200)
    a = np.clip(y + rng.integers(-2, 3, 200), 0, 12)
    assert paired_diff_ci(y, a, a, n=200) == (0.0, 0.0)
    low, high = paired_diff_ci(y, a, y, n=500)  # b is perfect: QWK 1 against a's < 1
    assert 0 < low <= high
