import pandas as pd
import pytest

from course_utils import data
from course_utils.data import (
    ASAP_COLUMNS,
    DataNotFoundError,
    load_asap,
    make_fruit,
    reference_split,
    train_dev_test_split,
)


def test_load_asap7_schema(asap7):
    assert list(asap7.columns) == ASAP_COLUMNS
    assert len(asap7) == 1569
    assert asap7.rater1_domain1.between(0, 12).all()
    assert asap7.essay_id.is_monotonic_increasing


def test_reference_split_is_the_workshops(asap7):
    from sklearn.model_selection import train_test_split

    train, test = reference_split(asap7)
    exp_train, exp_test = train_test_split(asap7, test_size=0.2, random_state=42)
    assert len(test) == 314 and len(train) == 1255
    assert list(test.index) == list(exp_test.index)
    assert list(train.index) == list(exp_train.index)


def test_train_dev_test_keeps_test_and_is_disjoint(asap7):
    train, dev, test = train_dev_test_split(asap7)
    _, ref_test = reference_split(asap7)
    assert list(test.index) == list(ref_test.index)
    assert len(dev) == 189  # sklearn rounds the held-out part up: ceil(0.15 * 1255)
    ids = [set(x.essay_id) for x in (train, dev, test)]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    assert sum(map(len, ids)) == 1569


def test_missing_prompt_in_data_dir_explains_both_options(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(DataNotFoundError, match="COURSE_DATA_DIR.*Hub"):
        load_asap(8)


def test_data_dir_that_is_not_a_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "nope"))
    with pytest.raises(DataNotFoundError, match="not a folder"):
        load_asap(7)


def test_offline_without_data_dir(monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataNotFoundError, match="set COURSE_DATA_DIR"):
        load_asap(7)


def test_missing_column_is_named(tmp_path, monkeypatch):
    (tmp_path / "asap3").mkdir()
    pd.DataFrame({"essay_id": [1], "essay": ["x"]}).to_csv(tmp_path / "asap3" / "asap3.csv")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="rater1_domain1"):
        load_asap(3)


def test_other_prompt_from_data_dir(tmp_path, monkeypatch):
    (tmp_path / "asap1").mkdir()
    frame = pd.DataFrame(
        {
            "essay_id": [3, 1, 2],
            "essay_set": [1, 1, 1],
            "essay": ["c", "a", "b"],
            "rater1_domain1": [2, 4, 6],
            "rater2_domain1": [2, 5, 6],
            "domain1_score": [4, 9, 12],
        }
    )
    frame.to_csv(tmp_path / "asap1" / "asap1.csv", index=False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    df = load_asap(1)
    assert list(df.essay) == ["a", "b", "c"]


@pytest.mark.parametrize("prompt", [0, 9, "7"])
def test_bad_prompt(prompt):
    with pytest.raises(ValueError, match="prompt"):
        load_asap(prompt)


def test_split_needs_rows():
    with pytest.raises(ValueError, match="at least 5 rows"):
        reference_split(pd.DataFrame({"a": [1, 2]}))
    with pytest.raises(ValueError, match="dev_size"):
        train_dev_test_split(pd.DataFrame({"a": range(10)}), dev_size=1.5)


def test_make_fruit():
    fruit = make_fruit(30, 20, seed=1)
    assert list(fruit.columns) == ["size", "sweetness", "label"]
    assert (fruit.label == "apple").sum() == 30 and (fruit.label == "orange").sum() == 20
    assert fruit.sweetness.between(0, 10).all()
    # apples are smaller and sweeter on average
    means = fruit.groupby("label").mean()
    assert means.loc["apple", "size"] < means.loc["orange", "size"]
    assert means.loc["apple", "sweetness"] > means.loc["orange", "sweetness"]
    pd.testing.assert_frame_equal(fruit, make_fruit(30, 20, seed=1))
    with pytest.raises(ValueError, match="n_apples"):
        make_fruit(0, 10)


def test_hub_id_pattern():
    assert data.ASAP_HUB_ID.format(prompt=7) == "llm-aes/asap-7-original"


def test_literature_folds_partition_prompt_7(asap7):
    """Each fold splits all 1,569 essays into train / dev / test; the test parts tile the set."""
    from course_utils.data import literature_folds, load_folds

    shipped = pd.read_csv(data.Path(data.__file__).resolve().parent / data.NEA_FOLDS_FILE)
    assert len(shipped) == 1569 and set(shipped.essay_id) == set(asap7.essay_id)
    folds = load_folds(7)
    assert set(folds.columns) >= {"essay_id", "fold_0", "fold_4"}
    tests = []
    for k in range(5):
        train, dev, test = literature_folds(asap7, k)
        assert len(train) + len(dev) + len(test) == len(asap7)
        assert 900 < len(train) < 980 and 300 < len(dev) < 330 and 300 < len(test) < 330
        assert not set(train.essay_id) & set(test.essay_id) and not set(dev.essay_id) & set(test.essay_id)
        tests += test.essay_id.tolist()
    assert sorted(tests) == sorted(asap7.essay_id)  # every essay is tested exactly once


def test_literature_folds_bad_input(asap7):
    from course_utils.data import literature_folds, load_folds

    with pytest.raises(ValueError, match="fold must be"):
        literature_folds(asap7, 5)
    with pytest.raises(ValueError, match="prompt 7"):
        load_folds(3)
    other = asap7.head(3).assign(essay_id=[-1, -2, -3])
    with pytest.raises(ValueError, match="not in the fold table"):
        literature_folds(other, 0)
