"""The baselines every scorer is compared with, and the leaderboard."""

import numpy as np
import pytest

from course_utils import baselines


def test_length_line_follows_length_and_stays_in_range():
    texts = ["word " * n for n in (10, 20, 30, 40, 400)]
    line = baselines.LengthLine(0, 12).fit(texts[:4], [2, 4, 6, 8])
    assert np.allclose([line.slope_, line.intercept_], [0.2, 0.0])
    assert line.predict(texts).tolist() == [2, 4, 6, 8, 12]  # 80 is clipped to 12


def test_constant_scorer_predicts_the_training_median():
    const = baselines.ConstantScorer().fit(["a", "b", "c"], [1, 8, 9])
    assert const.predict(["x", "y"]).tolist() == [8, 8]


def test_compare_decides_the_length_line_by_a_paired_bootstrap(capsys):
    train = ["word " * n for n in (10, 20, 30, 40)]
    base = baselines.fit_baselines(train, [2, 4, 6, 8])
    lengths = [12, 18, 24, 30, 36] * 6
    test = ["word " * n for n in lengths]
    human = [10 - n // 6 for n in lengths]  # length misleads here: longer essays score lower
    rows = baselines.compare("model", test, human, human, base)
    out = capsys.readouterr().out
    assert rows["model"]["QWK"] == pytest.approx(1.0)
    assert rows["constant (training median)"]["QWK"] == pytest.approx(0.0)
    assert "model agrees better than length line" in out and "interval" in out
    longer_is_better = [n // 6 for n in lengths]  # now the length line is right and the model is not
    baselines.compare("model", test, longer_is_better, human, base)
    assert "length line agrees better than model" in capsys.readouterr().out
    baselines.compare("model", test, human, base["length line"].predict(test), base)
    assert "cannot tell model and length line apart" in capsys.readouterr().out  # the very same predictions


def test_describe_published_speaks_of_the_model_not_of_the_table(monkeypatch):
    row = {"label": "TF-IDF + LR", "n_train": 1255, "n_seeds": 5, "qwk_mean": 0.567, "qwk_sd": 0.012}
    monkeypatch.setattr(baselines, "published", lambda row_id: row if row_id == "known" else None)
    text = baselines.describe_published("known")
    assert text == ("Full data: TF-IDF + LR; trained on train + dev (1,255 essays), "
                    "test QWK 0.567 ± 0.012 (mean ± SD over 5 training seeds)")
    assert "not measured here" in baselines.describe_published("unknown")
    assert "row" not in text and "results" not in text


def test_describe_published_says_deterministic_not_plus_minus_zero(monkeypatch):
    row = {"label": "TF-IDF + LR", "n_train": 1255, "n_seeds": 5, "qwk_mean": 0.5664, "qwk_sd": 0.0,
           "qwk_ci_low": 0.4843, "qwk_ci_high": 0.6407, "original": 0.567}
    monkeypatch.setattr(baselines, "published", lambda row_id: row)
    text = baselines.describe_published("tfidf_lr")
    assert "± 0.000" not in text and "deterministic" in text
    assert "[0.484, 0.641]" in text and "original workshop reported 0.567" in text
    row.update(original=float("nan"), qwk_ci_low="")  # no original figure, no interval: neither printed
    text = baselines.describe_published("tfidf_lr")
    assert "original" not in text and "interval" not in text


def _verdict_data():
    lengths = [12, 18, 24, 30, 36] * 6
    test = ["word " * n for n in lengths]
    base = baselines.fit_baselines(["word " * n for n in (10, 20, 30, 40)], [2, 4, 6, 8])
    rng = np.random.default_rng(1)
    human = [n // 6 for n in lengths]
    machine = np.clip(np.array(human) + rng.integers(-2, 3, len(human)), 0, 12)
    return test, human, machine, base


def test_report_prints_one_paired_verdict_that_a_notebook_can_reproduce(tmp_path, monkeypatch, capsys):
    from course_utils.metrics import paired_bootstrap

    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    test, human, machine, base = _verdict_data()
    baselines.report("05", "model", test, human, machine, base, n_train=4)
    out = capsys.readouterr().out
    same = paired_bootstrap(human, machine, base["length line"].predict(test), labels=range(13),
                            n_resamples=baselines.VERDICT_RESAMPLES, seed=baselines.VERDICT_SEED)
    assert same.verdict("model", "length line", metric="QWK") in out and "(QWK difference " in out
    other = paired_bootstrap(human, machine, base["length line"].predict(test), labels=range(13),
                             n_resamples=500, seed=0)
    assert other.verdict("model", "length line", metric="QWK") not in out  # another run gives another interval
    assert out.count("interval [") == 1


def test_verdict_on_the_edge_is_called_borderline(monkeypatch):
    from course_utils import metrics

    test, human, machine, base = _verdict_data()
    edge = metrics.PairedComparison(0.06, 0.004, 0.12, 0.97, 1000, 0.95, 1000)
    monkeypatch.setattr(baselines, "versus_length_line", lambda *a, **k: edge)
    assert "Borderline" in baselines.length_line_verdict("model", test, human, machine, base["length line"])
    clear = metrics.PairedComparison(0.06, 0.03, 0.12, 0.99, 1000, 0.95, 1000)
    monkeypatch.setattr(baselines, "versus_length_line", lambda *a, **k: clear)
    assert "Borderline" not in baselines.length_line_verdict("model", test, human, machine, base["length line"])
    inside = metrics.PairedComparison(0.0, -0.004, 0.12, 0.6, 1000, 0.95, 1000)  # contains 0: no verdict to doubt
    monkeypatch.setattr(baselines, "versus_length_line", lambda *a, **k: inside)
    assert "Borderline" not in baselines.length_line_verdict("model", test, human, machine, base["length line"])


def test_williamson_flags_read_qwk_and_smd():
    assert "under 0.70" in baselines.williamson_flags("m", {"QWK": 0.561, "SMD": 0.159})
    assert "beyond ±0.15" in baselines.williamson_flags("m", {"QWK": 0.561, "SMD": 0.159})
    assert "flags, on the point estimates: QWK 0.561" in baselines.williamson_flags("m", {"QWK": 0.561, "SMD": 0.159})
    with_r = baselines.williamson_flags("m", {"QWK": 0.72, "r": 0.684, "SMD": 0.0})
    assert "QWK 0.720 (at least 0.70); r 0.684 (under 0.70); SMD +0.000 (within" in with_r
    assert "higher" in baselines.williamson_flags("m", {"QWK": 0.561, "SMD": 0.159})
    text = baselines.williamson_flags("m", {"QWK": 0.73, "SMD": -0.10})
    assert "at least 0.70" in text and "within ±0.15" in text and "flagged" not in text
    assert "lower" in baselines.williamson_flags("m", {"QWK": 0.5, "SMD": -0.2})


def test_leaderboard_names_missing_notebooks_and_marks_a_human_without_training_set(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    baselines.leaderboard("03", "rater 2", 0.73, None, "smoke", show=False)
    baselines.leaderboard("04", "TF-IDF", 0.56, 100, "smoke", show=False)
    table = baselines.leaderboard("08", "tuned", 0.56, 100, "smoke")
    out = capsys.readouterr().out
    assert "Not in it yet: notebook(s) 05, 06, 07" in out
    assert "since notebook 03" not in out and "different numbers of essays" not in out  # one size (100)
    assert table.set_index("model").loc["rater 2", "n_train"] == "–"
    baselines.leaderboard("05", "SVD", 0.5, 100, "smoke")
    assert "Not in it" not in capsys.readouterr().out


def test_reporting_notebooks_are_those_that_add_rows():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "notebooks"
    found = set()
    for path in root.glob("[0-9][0-9]_*.py"):
        if re.search(r"baselines\.(report|leaderboard|record)\(\s*\"\d\d\"", path.read_text()):
            found.add(path.name[:2])
    assert found == set(baselines.REPORTING_NOTEBOOKS)


def test_leaderboard_grows_and_replaces_rows(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    baselines.leaderboard("04", "TF-IDF", 0.5, 100, "smoke", show=False)
    baselines.leaderboard("05", "SVD", 0.6, 100, "smoke", show=False)
    table = baselines.leaderboard("04", "TF-IDF", 0.55, 100, "smoke", show=False)
    assert table.model.tolist() == ["SVD", "TF-IDF"] and table.test_QWK.tolist() == [0.6, 0.55]
    assert not (tmp_path / "leaderboard-fast.csv").exists()
    baselines.leaderboard("03", "length line", 0.58, 100, "fast", show=False)
    baselines.start_leaderboard("smoke")  # a rerun of notebook 03 starts afresh, this profile only
    assert baselines.leaderboard("03", "rater 2", 0.7, 0, "smoke", show=False).model.tolist() == ["rater 2"]
    assert (tmp_path / "leaderboard-fast.csv").exists()


def test_leaderboard_shows_n_and_interval_and_says_it_is_not_for_choosing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    baselines.leaderboard("04", "old row", 0.5, 100, "smoke", show=False)  # no interval given
    lengths = [12, 18, 24, 30, 36] * 6
    test = ["word " * n for n in lengths]
    human = [n // 6 for n in lengths]
    base = baselines.fit_baselines(["word " * n for n in (10, 20, 30, 40)], [2, 4, 6, 8])
    baselines.report("05", "model", test, human, human, base, n_train=4)
    out = capsys.readouterr().out
    assert "never used to choose a model" in out
    table = baselines.leaderboard("05", "model", 1.0, 4, "smoke", show=False, n_test=30, interval=(1.0, 1.0))
    row = table.set_index("model").loc["length line"]
    assert row["n_test"] == "30" and row["95% interval"].startswith("[")
    assert table.set_index("model").loc["old row", "95% interval"] == ""


def test_unfitted_baselines_say_so():
    with pytest.raises(RuntimeError, match="fit"):
        baselines.LengthLine().predict(["a"])


def test_against_constant_calls_a_small_margin_no_better(capsys):
    rows = {"m": {"QWK": 0.03}, "constant (training median)": {"QWK": 0.0}}
    assert baselines.against_constant(rows, "m", np.array([5, 6, 6])) == pytest.approx(0.03)
    out = capsys.readouterr().out
    assert "no better than it" in out and "2 distinct score(s) to the 3 test essays" in out
    rows["m"]["QWK"] = 0.6
    baselines.against_constant(rows, "m", np.array([5, 6, 7]))
    assert "(beats it)" in capsys.readouterr().out


def test_describe_published_names_the_rows_real_training_set(monkeypatch):
    """1,066 is the training split alone (dev held out for the epoch), not train + dev (review of 12)."""
    row = {"label": "Fine-tuned", "n_train": 1066, "n_seeds": 3, "qwk_mean": 0.674, "qwk_sd": 0.011,
           "qwk_ci_low": 0.62, "qwk_ci_high": 0.734}
    monkeypatch.setattr(baselines, "published", lambda row_id: row)
    text = baselines.describe_published("finetune_clf")
    assert "train + dev" not in text and "the 1,066 training essays" in text and "189 dev essays held out" in text
    assert "interval over test essays (the first seed's run) [0.620, 0.734]" in text
    row["qwk_per_seed"] = "0.6800 0.6616 0.6805"  # the interval's own run is named with its QWK
    assert "(the first seed's run, QWK 0.680) [0.620, 0.734]" in baselines.describe_published("finetune_clf")
    del row["qwk_per_seed"]
    row.update(n_train=256, n_seeds=1)
    text = baselines.describe_published("llm_lora")
    assert "trained on 256 training essays" in text and "held out" not in text and "first seed" not in text
    assert baselines.REFERENCE_TRAIN_DEV - baselines.REFERENCE_DEV == 1066


def test_leaderboard_says_when_rows_differ_in_training_size(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    baselines.leaderboard("03", "rater 2", 0.73, None, "smoke", show=False)
    baselines.leaderboard("04", "TF-IDF", 0.56, 1066, "smoke", show=False)
    baselines.leaderboard("12", "fine-tuned", 0.59, 600, "smoke")
    assert "different numbers of essays (600, 1066)" in capsys.readouterr().out


def test_in_words_reads_the_paired_verdict_williamson_and_the_scores_used():
    import pandas as pd

    train = ["word " * n for n in (10, 20, 30, 40)]
    base = baselines.fit_baselines(train, [2, 4, 6, 8])
    lengths = [12, 18, 24, 30, 36] * 6
    test = ["word " * n for n in lengths]
    human = [10 - n // 6 for n in lengths]  # longer essays score lower: the length line is wrong here
    flags = pd.DataFrame({"criterion": ["QWK >= 0.70", "|SMD| <= 0.15", "degradation < 0.10"],
                          "verdict": ["pass", "fail", "fail on the point estimate only"]})
    lines = baselines.in_words("model", test, human, human, base, flags)
    assert lines[0].startswith("* Against counting words: better, on these 30 essays")
    assert lines[1] == ("* Williamson: fails |SMD| <= 0.15 outright; degradation < 0.10 not settled by these essays "
                        "(point estimates on the failing side: degradation < 0.10).")
    assert "uses 5 of the 13 possible scores" in lines[2] and "as often as rater 1" in lines[2]
    assert lines[3].startswith("* Exact agreement 1.000 (within one point: 1.000), against 0.200 (0.600) for the constant")
    counts = baselines.score_counts(human, [8] * len(human))
    assert counts.loc[8, "machine"] == 30 and counts["human"].sum() == 30
    all_eights = baselines.in_words("model", test, human, [8] * len(human), base, flags)[2]
    assert "it gives 8 to 30 essays (rater 1: 6) and never gives 4, 5, 6, 7 (scores that rater 1 gives)." in all_eights
    longer_is_better = [n // 6 for n in lengths]
    assert "worse" in baselines.in_words("model", test, longer_is_better, human, base, flags)[0]
    same = baselines.in_words("model", test, human, base["length line"].predict(test), base, flags[:1])
    assert "cannot tell them apart" in same[0] and "settle every criterion" in same[1]
    below = [h - 1 for h in human]  # every score one lower than the human's
    assert "lower than rater 1 on average" in baselines.in_words("model", test, human, below, base, flags)[2]


def test_reference_sizes_follow_from_the_split_of_asap7s_1569_essays():
    """The sizes `training_set` names are what `train_dev_test_split` gives on ASAP-7 (1,569 essays)."""
    import pandas as pd

    from course_utils.data import train_dev_test_split

    train, dev, test = train_dev_test_split(pd.DataFrame({"essay_id": range(1569)}))
    assert (len(train) + len(dev), len(dev), len(test)) == (baselines.REFERENCE_TRAIN_DEV, baselines.REFERENCE_DEV, 314)


def test_leaderboard_prints_rows_in_course_order_and_flags_other_test_sets(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    human = [2, 4, 6, 8, 10, 6, 7, 8] * 5
    baselines.record("16", "LoRA", human[:20], [8] * 20, 200, "smoke")  # a later notebook run first
    rows = {r["model"]: r for r in __import__("csv").DictReader((tmp_path / "leaderboard-smoke.csv").open())}
    assert rows["LoRA"]["n_test"] == "20" and rows["LoRA"]["95% interval"] == "[0.000, 0.000]"
    baselines.record("04", "TF-IDF", human, human, 1066, "smoke")
    table = baselines.leaderboard("11", "fine-tuned", 0.6, 600, "smoke", n_test=40, interval=(0.5, 0.7))
    out = capsys.readouterr().out
    assert "LoRA" not in out and "Rows of later notebooks (16) are left out" in out
    assert list(table["model"]) == ["TF-IDF", "fine-tuned"]
    assert "different test essays" not in out  # 40 and 40
    baselines.leaderboard("17", "cross-encoder", 0.5, 100, "smoke", n_test=314)
    out = capsys.readouterr().out
    assert "LoRA" in out and "different test essays (20, 40, 314 of them)" in out


def test_the_verdict_line_and_in_words_read_one_paired_bootstrap(monkeypatch):
    """The printed verdict and the words below it come from the same resamples, computed once."""
    import pandas as pd

    from course_utils import metrics

    test, human, machine, base = _verdict_data()
    machine = np.clip(machine + 1, 0, 12)  # scores no other test has used
    calls = []
    real = metrics.paired_bootstrap
    monkeypatch.setattr(metrics, "paired_bootstrap", lambda *a, **k: calls.append(1) or real(*a, **k))
    verdict = baselines.length_line_verdict("model", test, human, machine, base["length line"])
    flags = pd.DataFrame({"criterion": ["QWK >= 0.70"], "verdict": ["fail"]})
    words = baselines.in_words("model", test, human, machine, base, flags)[0]
    assert len(calls) == 1
    c = real(human, machine, base["length line"].predict(test), n_resamples=baselines.VERDICT_RESAMPLES,
             seed=baselines.VERDICT_SEED, labels=range(13))
    assert c.verdict("model", "length line", metric="QWK") in verdict
    if c.low <= 0 <= c.high:
        assert f"{-c.low:.3f}" in words and f"{c.high:.3f}" in words
    baselines.length_line_verdict("model", test, human, np.clip(machine - 2, 0, 12), base["length line"])
    assert len(calls) == 2  # other scores: a new comparison


def test_report_writes_each_row_as_record_does(tmp_path, monkeypatch, capsys):
    import csv

    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    test, human, machine, base = _verdict_data()
    baselines.report("05", "model", test, human, machine, base, n_train=4)
    path = tmp_path / "leaderboard-smoke.csv"
    reported = list(csv.DictReader(path.open()))
    path.unlink()
    for label, pred in {**{k: m.predict(test) for k, m in base.items()}, "model": machine}.items():
        baselines.record("--" if label in base else "05", label, human, pred,
                         getattr(base.get(label), "n_train_", 4), "smoke")
    assert list(csv.DictReader(path.open())) == reported
    assert len(reported) == 3 and all(r["95% interval"] and r["n_test"] == "30" for r in reported)
