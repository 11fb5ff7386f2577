"""course_tools.llm_results: the prompt rows give a valid score for every test essay."""

import numpy as np

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
    assert all(n == 314 for n in LR.PROMPT_TEST_N.values()) and LR.LORA_TEST_N == 314
