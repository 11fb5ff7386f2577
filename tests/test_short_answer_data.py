"""Tests of course_utils.data.load_short_answers (offline copy and Hub-shaped rows)."""

from __future__ import annotations

import pandas as pd
import pytest

from course_utils import data
from course_utils.data import (
    LABELS_3WAY,
    LABELS_5WAY,
    SHORT_ANSWER_COLUMNS,
    DataNotFoundError,
    _normalise_short_answers,
    load_short_answers,
)


def _write_beetle(folder, rows):
    (folder / "beetle").mkdir()
    pd.DataFrame(rows).to_csv(folder / "beetle" / "beetle.csv", index=False)


OFFLINE_ROWS = [
    dict(answer_id="M-Q1.sbj1-l1.qa1", question_id="Q1", module="M", split="train",
         question="Why?", reference_answer="Because.", student_answer="because",
         label_3way="incorrect", label_5way="partially_correct_incomplete"),
    dict(answer_id="M-Q1.sbj2-l1.qa2", question_id="Q1", module="M",
         split="test_unseen_answers", question="Why?", reference_answer="Because.",
         student_answer="no idea", label_3way="incorrect", label_5way=None),
    dict(answer_id="M-Q2.sbj2-l1.qa3", question_id="Q2", module="M",
         split="test_unseen_questions", question="How?", reference_answer="Thus.",
         student_answer="thus", label_3way="correct", label_5way=None),
]


def test_offline_schema_and_split_names(tmp_path, monkeypatch):
    _write_beetle(tmp_path, OFFLINE_ROWS)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    df = load_short_answers("beetle")
    assert list(df.columns) == SHORT_ANSWER_COLUMNS
    assert df["split"].tolist() == ["train", "test_ua", "test_uq"]
    assert df["label"].tolist() == ["partially_correct_incomplete", None, None]
    assert df["label_3way"].tolist() == ["incorrect", "incorrect", "correct"]


def test_hub_shaped_rows_are_normalised():
    hub = pd.DataFrame(
        {
            "id": ["FaultFinding-Q_A.sbj1-l1.qa1", "FaultFinding-Q_B.sbj1-l1.qa2"],
            "question": ["q1", "q2"],
            "reference_answer": ["r1", "r2"],
            "student_answer": ["a1", "a2"],
            "label": [2, 4],  # ClassLabel ints in the Hub's order
            "split": ["test-ua", "test_uq"],
        }
    )
    df = _normalise_short_answers(hub, "hub")
    assert df["label"].tolist() == ["partially_correct_incomplete", "non_domain"]
    assert df["label_3way"].tolist() == ["incorrect", "incorrect"]
    assert df["question_id"].tolist() == ["Q_A", "Q_B"]
    assert df["split"].tolist() == ["test_ua", "test_uq"]


def test_hub_rows_without_parseable_ids_group_by_question():
    hub = pd.DataFrame(
        {
            "id": ["x1", "x2", "x3"],
            "question": ["q1", "q1", "q2"],
            "reference_answer": ["r", "r", "r"],
            "student_answer": ["a", "b", "c"],
            "label": [0, 1, 3],
            "split": ["train"] * 3,
        }
    )
    df = _normalise_short_answers(hub, "hub")
    ids = df["question_id"].tolist()
    assert ids[0] == ids[1] != ids[2]
    assert df["label_3way"].tolist() == ["correct", "contradictory", "incorrect"]


def test_unknown_label_is_a_clear_error():
    bad = pd.DataFrame(OFFLINE_ROWS)
    bad.loc[0, "label_5way"] = "excellent"
    with pytest.raises(ValueError, match="unknown 5-way label"):
        _normalise_short_answers(bad, "x")


def test_bad_name_and_missing_scientsbank(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="beetle"):
        load_short_answers("asap")
    _write_beetle(tmp_path, OFFLINE_ROWS)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    with pytest.raises(DataNotFoundError, match="only Beetle"):
        load_short_answers("scientsbank")


def test_real_offline_beetle_if_present():
    root = data.data_dir()
    if root is None or not (root / "beetle" / "beetle.csv").is_file():
        pytest.skip("offline Beetle copy not available")
    df = load_short_answers("beetle")
    assert len(df) == 5199
    assert df["split"].value_counts().to_dict() == {"train": 3941, "test_uq": 819, "test_ua": 439}
    assert set(df["label_3way"]) == set(LABELS_3WAY)
    assert set(df.loc[df.split == "train", "label"]) <= set(LABELS_5WAY)
    assert df.loc[df.split != "train", "label"].isna().all()


def test_short_answer_splits_keeps_the_first_test_questions_in_both_splits():
    from course_utils.data import short_answer_splits

    df = pd.DataFrame({
        "question_id": ["q2", "q1", "q3", "q2", "q1", "q3", "q9"],
        "split": ["test_ua", "test_ua", "test_ua", "train", "train", "train", "train"],
        "student_answer": list("abcdefg"),
    })
    train, test = short_answer_splits(df, max_questions=2)
    assert sorted(test["question_id"]) == ["q1", "q2"]
    assert sorted(train["question_id"]) == ["q1", "q2"]  # q3 is beyond the first two; q9 has no test answers
    train_all, test_all = short_answer_splits(df)
    assert sorted(train_all["question_id"]) == ["q1", "q2", "q3"] and len(test_all) == 3
    with pytest.raises(ValueError, match="load_short_answers"):
        short_answer_splits(df.drop(columns="split"))
