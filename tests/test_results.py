"""Tests for course_tools.results: registry, aggregation, CSV merge and Markdown."""

import numpy as np
import pandas as pd
import pytest

from course_tools import results as R


@pytest.fixture()
def fake(monkeypatch):
    rng = np.random.default_rng(0)
    human = rng.integers(0, 13, 60)
    test = pd.DataFrame({"essay": ["x"] * 60, "rater1_domain1": human, "rater2_domain1": human})
    monkeypatch.setattr(R, "reference_data", lambda: (test.iloc[:0], test))
    monkeypatch.setattr(R, "EXPERIMENTS", {})
    monkeypatch.setattr(R, "EXTRA_MODULES", [])
    monkeypatch.setattr(R, "machine", lambda: "test machine")

    @R.register("perfect", "Section A", "Perfect copy", original=0.5)
    def _perfect(seed):
        return {"pred": human, "seconds": 0.1, "n_train": 10}

    @R.register("noisy", "Section B", "Noisy", seeds=2)
    def _noisy(seed):
        r = np.random.default_rng(seed)
        return {"pred": np.clip(human + r.integers(-2, 3, 60), 0, 12), "seconds": 1.0, "note": "hi"}

    return human


def test_run_merge_and_render(fake, tmp_path):
    csv, md = tmp_path / "t.csv", tmp_path / "t.md"
    assert R.main(["--seeds", "3", "--csv", str(csv), "--md", str(md)]) == 0
    rows = {r["id"]: r for r in R.read_csv(csv)}
    assert float(rows["perfect"]["qwk_mean"]) == 1.0
    assert rows["perfect"]["n_seeds"] == "3"
    assert rows["noisy"]["n_seeds"] == "2"  # capped by the row
    assert float(rows["noisy"]["qwk_mean"]) < 1.0
    assert float(rows["noisy"]["qwk_sd"]) > 0
    low, high = float(rows["noisy"]["qwk_ci_low"]), float(rows["noisy"]["qwk_ci_high"])
    assert low < float(rows["noisy"]["qwk_per_seed"].split()[0]) < high
    text = md.read_text()
    assert "## Section A" in text and "## Section B" in text
    assert "+0.500" in text  # delta vs the original figure
    a, b = text.split("## Section B")
    assert "Δ vs original" in a and "Δ vs original" not in b  # a section without originals drops the columns
    assert "python -m course_tools.results" in text

    # --only reruns one row and keeps the others
    before = R.read_csv(csv)
    R.EXPERIMENTS["noisy"].label = "Noisy v2"
    assert R.main(["--only", "noisy", "--seeds", "1", "--csv", str(csv), "--md", str(md)]) == 0
    after = {r["id"]: r for r in R.read_csv(csv)}
    assert after["noisy"]["label"] == "Noisy v2" and after["noisy"]["n_seeds"] == "1"
    assert after["perfect"] == {k: v for k, v in before[0].items()}

    # a stored row whose experiment is gone is dropped at the next write
    del R.EXPERIMENTS["perfect"]
    assert R.main(["--only", "noisy", "--seeds", "1", "--csv", str(csv), "--md", str(md)]) == 0
    assert [r["id"] for r in R.read_csv(csv)] == ["noisy"]


def test_bad_rows(fake, tmp_path):
    with pytest.raises(ValueError, match="No row id"):
        R.select(["nothing-like-this"])
    with pytest.raises(ValueError):
        R.register("has space", "S", "L")

    @R.register("short", "S", "Too short")
    def _short(seed):
        return {"pred": [1, 2], "seconds": 0.0}

    with pytest.raises(ValueError, match="predictions"):
        R.evaluate("short", R.EXPERIMENTS["short"], 1)


def test_registry_has_the_issue_rows():
    # no importlib.reload here: a fresh module would lose the rows other modules registered
    for rid in ("human", "tfidf_lr", "svd300_lr", "textstat_rf", "svd10_textstat_rf", "minilm_lr",
                "ensemble_cutoffs", "ensemble_cutoffs_2raters", "ensemble_rubric", "ensemble_rubric_2raters"):
        assert rid in R.EXPERIMENTS
    assert R.EXPERIMENTS["tfidf_lr"].original == 0.567


def test_not_measured_rows_show_the_gap_not_a_number(fake, tmp_path):
    R.register_not_measured("gpu_only", "Section A", "Needs a GPU", 0.7, "no GPU here")
    csv, md = tmp_path / "t.csv", tmp_path / "t.md"
    assert R.main(["--seeds", "1", "--csv", str(csv), "--md", str(md)]) == 0
    row = {r["id"]: r for r in R.read_csv(csv)}["gpu_only"]
    assert row["qwk_mean"] == "" and row["note"] == "no GPU here" and row["original"] == "0.700"
    line = next(x for x in md.read_text().splitlines() if "`gpu_only`" in x)
    assert "not measured here" in line and "0.700" in line and "no GPU here" in line
    assert line.count("|") == 13  # the same 12 columns as measured rows


def test_render_needs_only_the_csv(fake, tmp_path, monkeypatch):
    csv, md = tmp_path / "t.csv", tmp_path / "t.md"
    assert R.main(["--seeds", "2", "--csv", str(csv), "--md", str(md)]) == 0
    measured = md.read_text()
    md.unlink()

    def no_measuring(*args, **kwargs):
        raise AssertionError("--render measured something")

    monkeypatch.setattr(R, "evaluate", no_measuring)
    monkeypatch.setattr(R, "EXPERIMENTS", {})  # not even the registry is needed
    assert R.main(["--render", "--csv", str(csv), "--md", str(md)]) == 0
    assert md.read_text() == measured
    with pytest.raises(FileNotFoundError, match="measure first"):
        R.render(tmp_path / "missing.csv", md)


def test_the_committed_table_is_rendered_from_the_committed_csv():
    """results/asap7.md is exactly what --render makes of results/asap7.csv (no hand edits)."""
    committed = R.MD_PATH.read_text()
    assert R.render_markdown(R.read_csv(R.CSV_PATH)) + "\n" == committed, (
        "results/asap7.md differs from its CSV: run `python -m course_tools.results --render`")


def test_markdown_table_prints_text_cells_as_they_are():
    from course_tools.tables import markdown_table

    df = pd.DataFrame({"seconds": ["16.6", "0.0"], "QWK": [0.5, np.nan]})
    parsed = markdown_table(df).splitlines()
    kept = markdown_table(df, numparse=False).splitlines()
    assert parsed[2].split("|")[1].strip() == "16.600" and kept[2].split("|")[1].strip() == "16.6"
    assert kept[3].split("|")[2].strip() == ""  # missing cells are empty, not "nan"
    with pytest.raises(TypeError, match="DataFrame"):
        markdown_table([[1, 2]])


def test_a_cheap_row_repeats_when_rerun_in_fresh_processes(asap7, tmp_path):
    """Item 4 of issue 31: `--only ROW` twice gives the same QWK (here the length line, 1 seed)."""
    rows = R.rerun("baseline_length", 1, tmp_path)
    assert [r["id"] for r in rows] == ["baseline_length"]  # no other row id contains it
    row = rows[0]
    assert row["qwk_run1"] == row["qwk_run2"] and row["max_abs_diff"] == "0.0000" and row["repeats"] == "yes"
    assert float(row["qwk_run1"]) > 0.3  # a real measurement, not an empty row


def test_a_slow_row_can_be_rerun_once_against_its_stored_figures(asap7, tmp_path, monkeypatch):
    """--against-stored: one fresh process compared with the stored per-seed QWK, and the cause says so."""
    stored = {r["id"]: r for r in R.read_csv(R.CSV_PATH)}["baseline_length"]
    row = R.rerun("baseline_length", 1, tmp_path, against_stored=True)[0]
    assert row["qwk_run1"] == stored["qwk_per_seed"].split()[0] == row["qwk_run2"] and row["repeats"] == "yes"
    assert f"as stored ({stored['date']})" in row["cause"]
    wrong = tmp_path / "stored.csv"  # a stored figure the code no longer gives
    R.write_csv([{**stored, "qwk_per_seed": "0.5000"}], wrong)
    monkeypatch.setattr(R, "CSV_PATH", wrong)
    row = R.rerun("baseline_length", 1, tmp_path, against_stored=True)[0]
    assert row["repeats"] == "no" and row["qwk_run1"] == "0.5000" and "differs in a fresh process" in row["cause"]


def test_a_rerun_of_a_cached_row_says_whether_it_recomputed(monkeypatch):
    """A rerun that reads a cached run repeats nothing, and its cause must say so."""
    monkeypatch.delenv("COURSE_LLM_CACHE", raising=False)
    assert "reuses the cached run" in R.rerun_cause("llm_few_shot", 0.0)
    monkeypatch.setenv("COURSE_LLM_CACHE", "0")
    assert R.rerun_cause("llm_few_shot", 0.0).startswith("recomputed both times (COURSE_LLM_CACHE=0")
    monkeypatch.setenv("COURSE_FINETUNE_CACHE", "no")
    assert "not bit-repeatable" in R.rerun_cause("finetune_reg", 0.002)
    assert R.rerun_cause("tfidf_lr", 0.0) == "seeded; the same QWK in two fresh processes"


def test_the_rerun_section_says_whether_a_fine_tuning_row_was_retrained():
    row = {"id": "finetune_reg", "repeats": "yes",
           "cause": "recomputed both times (COURSE_FINETUNE_CACHE=0, 2 torch threads); seeded"}
    assert "`finetune_reg` retrained from scratch in two fresh processes" in R.finetune_rerun_lines([row])[0]
    assert "the same QWK (table above)" in R.finetune_rerun_lines([row])[0]
    assert "they differ" in R.finetune_rerun_lines([{**row, "repeats": "no"}])[0]
    once = {**row, "id": "finetune_ensemble", "cause": "recomputed once (COURSE_FINETUNE_CACHE=0); seeded"}
    both = R.finetune_rerun_lines([row, once])[0]
    assert "`finetune_reg` retrained from scratch in two" in both
    assert "`finetune_ensemble` retrained from scratch once and compared with the stored figures" in both
    cached = {**row, "cause": "a rerun reuses the cached run (COURSE_CACHE_DIR/finetune_runs)"}
    assert R.finetune_rerun_lines([cached])[0].startswith("Fine-tuning rows: not retrained twice")


def test_rerun_section_is_rendered_from_its_csv(tmp_path):
    path = tmp_path / "reruns.csv"
    R.write_csv([{"id": "tfidf_lr", "seeds": 2, "qwk_run1": "0.5664 0.5664", "qwk_run2": "0.5664 0.5670",
                        "max_abs_diff": "0.0006", "repeats": "no", "cause": "a cause", "machine": "m",
                        "date": "d"}], path, R.RERUN_FIELDS)
    text = "\n".join(R.rerun_lines(path))
    assert "## Reruns" in text and "0.5664 0.5670" in text and "a cause" in text and "| no " in text
    assert R.rerun_lines(tmp_path / "absent.csv") == []


def test_rerun_stores_each_row_as_soon_as_it_is_measured(monkeypatch, tmp_path):
    """A list of rows to rerun that stops halfway (a long LLM row killed) keeps the rows already measured."""
    monkeypatch.setattr(R, "RERUN_CSV", tmp_path / "reruns.csv")
    monkeypatch.setattr(R, "render", lambda *a, **k: tmp_path / "out.md")
    done = {"id": "tfidf_lr", "seeds": 1, "qwk_run1": "0.5664", "qwk_run2": "0.5664", "max_abs_diff": "0.0000",
            "repeats": "yes", "cause": "seeded", "machine": "m", "date": "2026-12-07"}

    def fake_rerun(row_id, n_seeds, workdir, against_stored=False):
        if row_id == "llm_rubric":
            raise KeyboardInterrupt  # stopped during the second row
        return [done]

    monkeypatch.setattr(R, "rerun", fake_rerun)
    with pytest.raises(KeyboardInterrupt):
        R.main(["--rerun", "tfidf_lr", "llm_rubric", "--seeds", "1"])
    assert [r["id"] for r in R.read_csv(tmp_path / "reruns.csv")] == ["tfidf_lr"]


def test_rerun_lines_name_reruns_that_repeat_each_other_but_not_the_stored_figure(tmp_path):
    from course_tools.results import RERUN_FIELDS, rerun_lines, write_csv

    path = tmp_path / "reruns.csv"
    write_csv([{"id": "a", "seeds": "1", "qwk_run1": "0.2106", "qwk_run2": "0.2106", "max_abs_diff": "0.0000",
                "repeats": "yes", "cause": "seeded"},
               {"id": "b", "seeds": "1", "qwk_run1": "0.5000", "qwk_run2": "0.5000", "max_abs_diff": "0.0000",
                "repeats": "yes", "cause": "seeded"}], path, RERUN_FIELDS)
    stored = [{"id": "a", "qwk_per_seed": "0.2285", "qwk_mean": "0.2285"},
              {"id": "b", "qwk_per_seed": "0.5002", "qwk_mean": "0.5002"}]
    text = "\n".join(rerun_lines(path, stored))
    assert "`a` (stored 0.2285, rerun 0.2106)" in text and "`b` (" not in text  # 0.0002 is within 4 decimals' noise
    stored[0]["qwk_per_seed"] = "0.2106"
    assert "repeat each other but not" not in "\n".join(rerun_lines(path, stored))


def test_goal_line_reads_the_rows_chosen_on_dev_in_order_then_the_highest_row():
    from course_tools.results import GOAL_TRIES, goal_line

    def fake(row_id, seeds, low, high):
        return {"id": row_id, "qwk_mean": f"{sum(seeds) / len(seeds):.4f}", "qwk_per_seed": " ".join(map(str, seeds)),
                "qwk_ci_low": str(low), "qwk_ci_high": str(high), "note": ""}

    best = fake("top", [0.79, 0.80], 0.75, 0.84)
    alone = goal_line([best])[0]
    assert "The highest row, `top`, is at or above it" in alone and "0 of 2 seeds below 0.78" in alone
    assert "which includes it: these 314 essays cannot show" in alone and "in the order" not in alone
    first, second, last = (rid for rid, _ in GOAL_TRIES)
    line = goal_line([best, fake(last, [0.77, 0.79], 0.74, 0.82), fake(second, [0.78, 0.80], 0.74, 0.83),
                      fake(first, [0.70, 0.70], 0.66, 0.74)])[0]
    assert line.index(f"`{first}`") < line.index(f"`{last}`") < line.index("`top`")  # tries in order, then highest
    assert "The first is below it" in line and "which lies below it" in line
    assert f"The last, `{last}`" in line and "a point estimate (0.780; 1 of 2" in line
    assert f"differs from `{second}` on the test essays by -0.010 -0.010 (mean -0.010)" in line
    assert "not shown to be met" in line
    met = goal_line([fake(first, [0.80, 0.80], 0.79, 0.84)])[0]
    assert "not shown to be met" not in met and "which lies above it" in met
