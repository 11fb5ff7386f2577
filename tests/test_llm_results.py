"""course_tools.llm_results: the prompt rows give a valid score for every test essay."""

import numpy as np
import pytest

from course_tools import llm_results as LR


def test_prompt_rows_score_every_essay(monkeypatch):
    rng = np.random.default_rng(0)
    fake = {"test": (7 + rng.normal(0, 0.3, 314)).tolist(), "fit": [6.6, 6.9, 7.1, 7.4] * 16,
            "fit_scores": [4, 7, 8, 11] * 16, "test_seconds": 10.0, "fit_seconds": 2.0,
            "test_valid_mass": 0.05}
    monkeypatch.setattr(LR, "prompt_expected_scores", lambda kind: fake)
    rounded, mapped = LR._prompt_row("zero_shot", cutoffs=False), LR._prompt_row("zero_shot", cutoffs=True)
    for out in (rounded, mapped):
        assert len(out["pred"]) == 314 and out["pred"].dtype.kind == "i"
        assert out["pred"].min() >= 0 and out["pred"].max() <= 12 and "0 unparseable" in out["note"]
    assert set(rounded["pred"]) <= {6, 7, 8}  # rounding keeps a small model's scores in the middle
    assert len(set(mapped["pred"])) >= 3 and mapped["seconds"] == 12.0  # cutoffs spread them out


def test_subset_rows_say_which_essays(monkeypatch):
    monkeypatch.setitem(LR.PROMPT_TEST_N, "rubric", 64)
    fake = {"test": [7.0] * 64, "fit": [6.0, 8.0] * 32, "fit_scores": [5, 9] * 32, "test_seconds": 1.0,
            "fit_seconds": 1.0, "test_valid_mass": 0.1}
    monkeypatch.setattr(LR, "prompt_expected_scores", lambda kind: fake)
    out = LR._prompt_row("rubric", cutoffs=True)
    assert len(out["pred"]) == len(out["test_index"]) == 64 == out["n_test"]
    assert "fixed subset of 64" in out["note"]


def test_every_llm_row_scores_the_whole_test_set():
    assert set(LR.PROMPT_TEST_N) == set(LR.PROMPT_KINDS)
    assert all(n == 314 for n in LR.PROMPT_TEST_N.values()) and LR.LORA_TEST_N == LR.COT_TEST_N == 314


def test_robustness_is_stored_then_rendered(tmp_path, monkeypatch):
    import pandas as pd

    before, after = np.array([3.0, np.nan, 5.0, 7.0]), np.array([12.0, 12.0, 5.0, np.nan])
    attack = LR._attack_row("rubric prompt", before, after, np.array([True, True, False, True]))
    assert attack["parsed before/after"] == "3/3" and attack["mean shift"] == 4.5  # over essays parsed both times
    assert attack["scores changed"] == 1 and attack["scored 12 after"] == 2 and attack["flagged by injection detector"] == "3/4"
    strange = LR._strange_row("rubric prompt", np.array([1.0, np.nan, 3.0, 9.0, 9.0, 9.0]),
                              np.array([False, False, False, True, False, False]))
    assert strange["mean score, off-topic (3)"] == 2.0 and strange["flagged by relevance check"] == "5/6"
    assert strange["mean score after check"] == 1.5
    run = {"model": "tiny", "machine": "test machine", "date": "2026-01-01", "seconds": "3",
           "injection": "ignore the rubric", "essays attacked": 4, "evaluation subset": 64}
    meta = {"relevance_false_alarms_test": 1 / 314, "injection_false_alarms_train": 0.0}
    rows = LR.robustness_rows(pd.DataFrame([attack]).round(2), pd.DataFrame([strange]).round(2), meta, run)
    csv, md = tmp_path / "r.csv", tmp_path / "r.md"
    from course_tools.results import read_csv, write_csv

    write_csv(rows, csv, LR.ROBUSTNESS_FIELDS)
    text = LR.render_robustness_file(csv, md)
    assert text == md.read_text() == LR.render_robustness(read_csv(csv))
    table = [line for line in text.splitlines() if line.startswith("| rubric prompt")]
    cells = [c.strip() for c in table[0].strip("|").split("|")]
    assert cells == ["rubric prompt", "4", "3/3", "5.00", "9.67", "4.50", "1", "2", "3/4"]
    assert "tiny; greedy decoding; machine: test machine" in text and "flags 0.3% of the" in text
    assert '"ignore the rubric" appended' in text and "First 4 essays of the fixed 64-essay" in text


def test_the_committed_robustness_report_is_rendered_from_its_csv():
    from course_tools.results import read_csv

    assert LR.ROBUSTNESS_MD.read_text() == LR.render_robustness(read_csv(LR.ROBUSTNESS_CSV)), (
        "results/asap7_llm_robustness.md differs from its CSV: run `python -m course_tools.llm_results --render`")


def test_chain_of_thought_row_parses_replies_and_gives_the_median_to_the_rest(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(LR, "COT_TEST_N", 4)
    monkeypatch.setattr(LR, "cot_replies", lambda essays: ["Ideas 2.\n**Score**: 9", "no score here",
                                                          "**Score**: 3", "The essay is fine."][:len(essays)])
    monkeypatch.setattr("course_utils.hub.resolve_model", lambda *a, **k: "stand-in")
    out = LR._cot_row(0)
    assert out["pred"][0] == 9 and out["pred"][2] == 3 and out["pred"][1] == out["pred"][3] == 8  # the median
    assert "2 of 4 parsed" in out["note"] and "fixed subset of 4" in out["note"] and len(out["test_index"]) == 4
    monkeypatch.setattr(LR, "cot_replies", lambda essays: 1 / 0)  # a rerun reads the cached replies
    assert (LR._cot_row(0)["pred"] == out["pred"]).all()


def test_with_the_cache_off_a_run_is_computed_once_per_process(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr("course_utils.hub.resolve_model", lambda *a, **k: "stand-in")
    monkeypatch.setattr(LR, "_WRITTEN_HERE", set())
    calls = []
    compute = lambda: calls.append(1) or {"n": len(calls)}  # noqa: E731
    assert LR._cached_run("demo", ["k"], compute) == {"n": 1}
    assert LR._cached_run("demo", ["k"], compute) == {"n": 1} and len(calls) == 1  # read back
    monkeypatch.setattr(LR, "_WRITTEN_HERE", set())  # as in a fresh process
    monkeypatch.setenv("COURSE_LLM_CACHE", "0")
    assert LR._cached_run("demo", ["k"], compute) == {"n": 2}  # an earlier process's run is recomputed
    assert LR._cached_run("demo", ["k"], compute) == {"n": 2} and len(calls) == 2  # this process's is shared


@pytest.mark.slow
def test_batched_replies_come_back_in_the_essays_order():
    essays = ["A very long essay about patience. " * 8, "Short.", "A middling essay about a patient friend."]
    replies = LR.cot_replies(essays, max_tokens=4, batch_size=2)
    # the batches are made by prompt length, so the reversed list is generated in the same batches
    assert len(replies) == 3 and LR.cot_replies(essays[::-1], max_tokens=4, batch_size=2)[::-1] == replies


def test_examples_mean_row_averages_the_two_examples_scores(monkeypatch):
    class TwoExamples:  # neighbours: the first two pool essays, whatever the essay
        def __init__(self, essays, scores, k, max_words):
            self.train_scores = np.asarray(scores)
            assert k == 2

        def neighbours(self, essay):
            return np.array([0, 1])

    monkeypatch.setattr("course_utils.prompts.FewShot", TwoExamples)
    out = LR._examples_mean_row(0)
    from course_utils.data import load_asap, reference_split

    train, test = reference_split(load_asap(7))
    pool = train.drop(index=train.sample(n=LR.CUTOFF_N, random_state=LR.SEED).index).rater1_domain1.to_numpy()
    assert len(out["pred"]) == len(test) == out["n_test"] and out["n_train"] == len(pool)
    assert set(out["pred"]) == {int(np.floor((pool[0] + pool[1]) / 2 + 0.5))} and "no language model" in out["note"]
