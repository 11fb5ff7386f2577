"""The short-answer results: measured into CSVs, rendered from them alone; ``--latency-only`` changes only latency."""

import re

import pandas as pd
import pytest

from course_tools import short_answer_report as report_md
from course_tools import short_answer_results as sar


def _tables() -> dict[str, pd.DataFrame]:
    """One small table of each kind the report renders."""
    nan = float("nan")
    return {
        "scores": pd.DataFrame([{"system": "few-shot grader (m)", "split": "unseen answers", "accuracy": 0.62,
                                 "macro_f1": 0.589, "n": 439, "note": "30 graded; l2=0.693 meta-learned on train"}]),
        "adversarial": pd.DataFrame([{"category": "empty", "inputs": 56, "graded_0": 1.0, "flagged_by_guard": 1.0}]),
        "guard_held_out": pd.DataFrame([{"category": "structural", "art": 1.0, "beetle": nan, "by the guard's author": 1.0,
                                         "by helpers": 1.0, "answers": 130, "all subjects": 1.0}]),
        "beetle_by_label": pd.DataFrame([{"questions": h, "label": lab, "gold_grade": 0, "answers": 10,
                                          "graded_0": g, "flagged": 0.1}
                                         for h in ("dev", "heldout") for lab, g in
                                         (("partially_correct_incomplete", 0.4), ("irrelevant", 0.2))]),
        "false_flags": pd.DataFrame([{"source": "biology", "real answers": 12, "flagged": 0.083,
                                      "flagged_credited": 0.0, "note": "leave-one-out", "system": "grader"}]),
        "support_layer_dev": pd.DataFrame([{"margin": m, "source": "beetle", "category": "irrelevant", "flagged": f,
                                            "answers": 55} for m, f in ((nan, 0.2), (0.7, 0.25))]),
        "llm_plausibility_dev": pd.DataFrame([{"model requested": "m", "weights used": "s", "real answers": 312,
                                               "nonsense answers": 130, "auc": 0.431, "nonsense caught": 0.015,
                                               "real flagged": 0.048, "seconds per answer": 0.263}]),
        "guard_layer5_heldout": pd.DataFrame([{"measure": "on_topic_nonsense: graded 0", "data": "hand-written",
                                               "answers": 130, "default guard": 0.577, "with layer 5": 0.746}]),
        "latency": pd.DataFrame([{"operation": "live regrade", "p50_ms": 75.0, "p95_ms": 80.0, "runs": 200,
                                  "threads": 2}]),
    }


INFO = {"command": "python -m course_tools.short_answer_results", "measured": "2026-11-29 21:04 UTC",
        "loads": "1.0/1.0/1.0, 2.0/2.0/2.0", "machine": "x86_64", "cpu_count": 2, "threads": 2, "model_id": "m",
        "used_embedding": "m", "n_support": 30, "guard_author_subjects": "biology",
        "independent_subjects": "art", "layer5_model": "s (offline stand-in)", "layer5_bar": -12.0,
        "layer5_seconds": 279.4, "layer5_regrade_p50_ms": 221.0, "layer5_regrade_p95_ms": 326.0, "layer5_threads": 2,
        "latency_measured": "2026-11-29 21:14 UTC", "latency_loads": "0.2/1.3/1.9, 0.8/1.4/1.9"}


@pytest.fixture()
def report(tmp_path):
    out = tmp_path / "short_answer"
    answers = pd.DataFrame({"table": ["junk_missed", "layer5_missed"], "subject": ["art", "law"],
                            "category": ["on_topic_nonsense"] * 2, "answer": ["blue counts double", "judges wear wigs"]})
    epochs = pd.DataFrame({"epoch": [1, 2], "loss": [0.966, 0.759]})
    sar.write_csvs(out, _tables(), INFO, answers, epochs)
    return out


def test_the_report_is_rendered_from_the_csvs_alone(report):
    text = report_md.render(report)
    assert report_md.render(report) == text == report.with_suffix(".md").read_text()  # same files, same text
    assert "0.589" in text and re.search(r"\|\s*439\s*\|", text) and "Junk not graded 0 (1 of 130)" in text
    assert "biology" in text and "p50 221 ms, p95 326 ms (2 threads)" in text and "took 279 s" in text
    assert 'law: "judges wear wigs".' in text and "| off (default) " in text and re.search(r"\|\s*0.70\s*\|", text)
    # the epochs that chose the cross-encoder's epoch sit under its scores, not after the last section
    assert text.index("## 3-way accuracy") < text.index(report_md.HISTORY_TITLE) < text.index(report_md.LATENCY_TITLE)
    assert not re.search(r"\bnan\b", text) and re.search(r"\|\s+1 \|", text)  # missing cells empty, epochs as integers
    csv = pd.read_csv(report.with_suffix(".csv"))
    csv.loc[csv["table"] == "scores", "macro_f1"] = 0.123
    csv.to_csv(report.with_suffix(".csv"), index=False)
    assert "0.123" in report_md.render(report) and "0.589" not in report.with_suffix(".md").read_text()


def test_latency_only_replaces_the_latency_rows_and_keeps_the_rest(report):
    new = pd.DataFrame([{"operation": "live regrade", "p50_ms": 12.5, "p95_ms": 20.0, "runs": 200, "threads": 1}])
    sar.replace_latency(report, new, {"latency_measured": "2026-11-30 08:00 UTC",
                                      "latency_loads": "0.1/0.2/0.3, 0.2/0.2/0.3"})
    text = report_md.render(report)
    assert "75.000" not in text and "12.500" in text and "Measured 2026-11-30 08:00 UTC" in text
    assert "0.1/0.2/0.3, 0.2/0.2/0.3" in text and "0.589" in text  # other rows kept
    csv = pd.read_csv(report.with_suffix(".csv"))
    assert csv.loc[csv["table"] == "latency", "p50_ms"].tolist() == [12.5]
    assert csv.loc[csv["table"] == "false_flags", "flagged"].tolist() == [0.083]
    assert sar.previous_l2(report.with_suffix(".csv")) == pytest.approx(0.693)


def test_skip_language_models_keeps_the_previous_rows_answers_and_timings(report):
    tables, answers, info = sar.language_model_rows(report, None, None, {}, "m", skip=True)
    expected = _tables()
    for name in sar.LANGUAGE_MODEL_TABLES:
        pd.testing.assert_frame_equal(tables[name].reset_index(drop=True), expected[name], check_dtype=False)
    assert answers["answer"].tolist() == ["judges wear wigs"]
    assert info["layer5_regrade_p95_ms"] == "326.0" and set(info) == set(sar.LAYER5_INFO)
    sar.write_csvs(report, _tables(), INFO | {"command": "x --skip-language-models"}, answers, pd.DataFrame())
    assert "chat-model and layer-5 figures (tables and timings) come from an earlier full run" in report_md.render(report)


def test_latency_only_needs_a_previous_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="run the full command once"):
        sar.replace_latency(tmp_path / "none", pd.DataFrame(), {})
    with pytest.raises(FileNotFoundError, match="run `python -m course_tools.short_answer_results` first"):
        report_md.render(tmp_path / "none")


def test_by_label_table_and_sentence_come_from_the_graded_answers():
    rows = [("irrelevant", 0), ("irrelevant", 2), ("partially_correct_incomplete", 0),
            ("partially_correct_incomplete", 0), ("correct", 2)]
    by_label = pd.concat([pd.DataFrame(rows, columns=["label", "grade"]).assign(questions=half, flagged=False)
                          for half in ("dev", "heldout")], ignore_index=True)
    table = sar.by_label_table(by_label)
    dev = table[table["questions"] == "dev"].set_index("label")
    assert dev.loc["irrelevant", "graded_0"] == 0.5 and dev.loc["partially_correct_incomplete", "graded_0"] == 1.0
    assert dev.loc["correct", "gold_grade"] == 2 and dev.loc["irrelevant", "gold_grade"] == 0
    assert list(dev.index) == ["correct", "partially_correct_incomplete", "irrelevant"]  # Beetle's order
    assert "dev questions 50% of `irrelevant`, 100% of `partially_correct_incomplete`" in report_md.zero_shares(table)


def test_guard_tables_pool_by_author():
    """Per subject, pooled over all subjects and by who wrote the sets; Beetle rows first."""
    nan = float("nan")
    handwritten = pd.DataFrame({
        "subject": ["a", "a", "b", "b", "a", "b"], "category": ["real_answer"] * 4 + ["structural"] * 2,
        "answer": list("uvwxyz"), "grade": [0, 2, 1, 0, 0, 2], "gold": [0, 2, 1, 0, nan, nan],
        "flagged": [True, False, True, False, True, False]})
    beetle = {"real": pd.DataFrame({"on_topic": [True, False], "flagged": [False, True]})}
    junk, flags = sar.guard_tables(handwritten, beetle, beetle, pd.Series({"a": "guard author", "b": "independent"}))
    row = junk.set_index("category").loc["structural"]
    assert (row["a"], row["b"], row["by the guard's author"], row["by helpers"], row["all subjects"]) == (1, 0, 1, 0, 0.5)
    flags = flags.set_index("source")
    assert flags.loc["Beetle unseen answers", "flagged"] == 0  # on-topic answers only
    assert flags.loc["hand-written, all", "flagged"] == 0.5 and flags.loc["hand-written, all", "real answers"] == 4
    assert flags.loc["hand-written, by helpers", "flagged_credited"] == 1.0  # b's one credited answer is flagged
    assert flags.loc["hand-written, by the guard's author", "flagged_credited"] == 0.0


def test_surprise_section_reports_both_guards_the_cost_and_every_miss():
    table = pd.DataFrame([{"measure": "on_topic_nonsense: graded 0", "data": "hand-written, held-out", "answers": 10,
                           "default guard": 0.6, "with layer 5": 0.8}])
    misses = pd.DataFrame({"subject": ["art", "law"], "answer": ["blue counts double", "judges wear wigs"]})
    info = INFO | {"layer5_model": "m (offline stand-in)", "layer5_bar": "-12.5", "layer5_seconds": "30",
                   "layer5_regrade_p50_ms": "150", "layer5_regrade_p95_ms": "180"}
    text = "\n".join(report_md.surprise_section(table, info, misses))
    assert "below -12.5" in text and "m (offline stand-in)" in text and "0.800" in text
    assert "p50 150 ms, p95 180 ms" in text and "(2):" in text
    assert 'art: "blue counts double"; law: "judges wear wigs".' in text


def test_judge_report_names_the_client_the_request_and_every_miss(tmp_path):
    from course_tools.llm_plausibility import write_judge_report

    table = pd.DataFrame([{"measure": "on_topic_nonsense: graded 0", "answers": 10,
                           "default guard": 0.6, "with layer 6": 0.9}])
    table.attrs.update(client="ChatClient(provider='local', model='m')", judged=40, unreadable=3, seconds=12.0,
                       request_ms=(900.0, 1200.0, 10), common=pd.Series({"ATTEMPT": 30, "The answer is": 3}),
                       misses=pd.DataFrame({"subject": ["art"], "answer": ["blue counts double"]}),
                       flagged_real=pd.DataFrame({"subject": ["law"], "gold": [2.0], "answer": ["civil: damages"]}))
    text = write_judge_report(table, "local", tmp_path / "judge.md")
    assert (tmp_path / "judge.md").read_text() == text
    assert "--judge local" in text and "ChatClient(provider='local', model='m')" in text and "40 distinct requests" in text
    assert "neither ATTEMPT nor NONSENSE (they flag nothing): 3 of 40" in text and "Reply ATTEMPT or NONSENSE." in text
    assert "p50 900 ms, p95 1200 ms (10 requests)" in text and "'ATTEMPT' (30); 'The answer is' (3)" in text
    assert re.search(r"\|\s*10\s*\|\s*0.600\s*\|\s*0.900\s*\|", text) and "- art: blue counts double" in text
    assert "- law (teacher's grade 2): civil: damages" in text


def test_referral_section_is_rendered_from_its_csv_and_absent_without_it(report):
    assert report_md.REFERRAL_TITLE not in report_md.render(report)
    rows = [{"table": "grading", "source": "Beetle unseen questions", "system": "default", "answers": 900, "qwk": 0.512,
             "exact": 0.641, "referred": 0.05, "exact_not_referred": 0.655},
            {"table": "outcomes", "source": "hand-written held-out halves", "category": "on_topic_nonsense",
             "answers": 150, "graded_0": 0.7, "referred": 0.1, "graded_0_or_referred": 0.8, "rejected_by_guard": 0.3},
            {"table": "latency", "operation": "fit from cached embeddings", "p50_ms": 3.0, "p95_ms": 4.5, "runs": 100,
             "threads": 2, "load": "1.0/1.0/1.0 -> 2.0/2.0/2.0"}]
    pd.DataFrame(rows).to_csv(report_md.companion(report, "referral"), index=False)
    text = report_md.render(report)
    section = text[text.index(report_md.REFERRAL_TITLE):]
    assert "0.512" in section and "0.655" in section and "0.8" in section and "4.5" in section
    assert "1.0/1.0/1.0 -> 2.0/2.0/2.0" in section and "not measured here" in section
    assert not re.search(r"\bnan\b", section)
    assert "The ONNX Runtime backend: not measured here" in section  # no agreement table in the CSV
    assert "`graded_0_or_referred` exceeds `graded_0`" in section  # 0.8 > 0.7: a referral kept a grade above 0
    rows.append({"table": "backend", "source": "Beetle unseen questions", "answers": 900, "same_grade": 899,
                 "same_referred": 900, "same_reason": 898})
    pd.DataFrame(rows).to_csv(report_md.companion(report, "referral"), index=False)
    section = report_md.render(report)
    assert "| Beetle unseen questions |       900 |          899 |             900 |           898 |" in section
    assert not re.search(r"\bnan\b|899\.0", section)


def test_the_machine_s_busy_share_reads_proc_stat():
    from course_tools import short_answer_referral as sar_

    busy = sar_._busy_seconds()
    if busy is not None:  # Linux
        assert busy > 0 and sar_._busy_seconds() >= busy


def test_p95_reading_brackets_the_quantile_and_reads_the_target():
    import numpy as np

    from course_tools.short_answer_referral import p95_reading

    rng = np.random.default_rng(0)
    ms = 10 + rng.exponential(3.0, 300)  # independent runs; the true p95 is 10 + 3 ln 20 = 18.99 ms
    r = p95_reading(ms, target=25.0)
    assert r["p95_low_ms"] <= 10 + 3 * np.log(20) <= r["p95_high_ms"] and r["runs"] == 300
    assert r["verdict"] == "met" and abs(r["lag1"]) < 2 / np.sqrt(300)
    assert p95_reading(ms, target=12.0)["verdict"] == "missed"
    assert p95_reading(ms, target=r["p95_ms"])["verdict"] == "not settled"
    bursts = np.repeat(ms[:60], 5)  # each slow run followed by four more like it
    b = p95_reading(bursts, target=25.0)
    assert b["verdict"].endswith("independent runs)") and "runs in bursts: interval widened to" in b["verdict"]
    narrow = p95_reading(rng.permutation(bursts), target=25.0)  # the same runs, shuffled: independent
    assert narrow["verdict"] in ("met", "not settled")
    assert b["p95_high_ms"] - b["p95_low_ms"] > narrow["p95_high_ms"] - narrow["p95_low_ms"]


def test_embedding_model_comparison_is_rendered_from_its_csv():
    from course_tools import short_answer_models as M
    from course_tools.results import read_csv

    rows = read_csv(M.CSV_PATH)
    assert {r["source"] for r in rows} == {"Beetle training questions", "hand-written dev halves"}
    assert M.MD_PATH.read_text() == M.render(rows), "run `python -m course_tools.short_answer_models --render`"


def test_paired_interval_over_units_is_zero_for_the_same_grades_and_positive_for_better_ones():
    import numpy as np

    from course_tools.short_answer_models import paired_interval

    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 120)
    a = pd.DataFrame({"unit": np.repeat(np.arange(12), 10), "gold": gold, "pred": np.where(rng.random(120) < 0.5, gold, 0)})
    assert paired_interval(a, a, "accuracy", n=100) == (0.0, 0.0)
    low, high = paired_interval(a, a.assign(pred=gold), "QWK", n=300)
    assert 0 < low <= high


def test_issue28_targets_are_read_from_the_committed_tables():
    from course_tools.short_answer_report import issue28_verdicts

    d = pd.read_csv(report_md.companion(report_md.OUT, "referral"))
    line = issue28_verdicts(d)[0]
    beetle = d[(d["table"] == "grading") & (d["source"] == "Beetle unseen questions")]["exact"].iloc[-1]
    assert f"Beetle accuracy {beetle:.3f} (>= 0.70): {'met' if beetle >= 0.7 else 'missed'}" in line
    assert "regrade with PyTorch p95" in line and "other junk graded 0" in line
    assert issue28_verdicts(d[d["table"] == "backend"]) == []  # nothing to read: no line


def test_subject_bootstrap_qwk_resamples_whole_subjects():
    import numpy as np

    from course_tools.short_answer_eval import subject_bootstrap_qwk

    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 120)
    perfect = pd.DataFrame({"subject": np.repeat(list("abcdef"), 20), "gold": gold, "grade": gold})
    assert subject_bootstrap_qwk(perfect, n=50) == (1.0, 1.0)
    noisy = perfect.assign(grade=np.where(rng.random(120) < 0.6, gold, rng.integers(0, 3, 120)))
    low, high = subject_bootstrap_qwk(noisy, n=300)
    assert 0 < low < high < 1


def test_the_referral_section_reads_what_referral_changed_and_costs():
    from course_tools.short_answer_report import outcomes_line, referral_cost_line

    out = pd.DataFrame({"graded_0": [0.7, 1.0], "graded_0_or_referred": [0.7, 1.0]})
    assert "equals `graded_0` in every row" in outcomes_line(out)[0]
    assert "exceeds" in outcomes_line(out.assign(graded_0_or_referred=[0.8, 1.0]))[0]
    lat = pd.DataFrame({"operation": ["live regrade (predict)", "live regrade with referral (predict_outcome)"],
                        "p50_ms": [20.0, 21.0], "p95_ms": [28.0, 30.0], "p95_low_ms": [27.0, 28.0],
                        "p95_high_ms": [31.0, 33.0]})
    line = referral_cost_line(lat)[0]
    assert "+1.0 ms" in line and "intervals overlap" in line
    far = lat.assign(p95_low_ms=[27.0, 40.0], p95_high_ms=[31.0, 45.0])
    assert "do not overlap" in referral_cost_line(far)[0]
    assert referral_cost_line(lat.iloc[:1]) == []  # one row: nothing to compare


def test_the_epoch_table_says_whether_the_chosen_epoch_is_a_peak():
    from course_tools.short_answer_report import epoch_reading

    rising = pd.DataFrame({"epoch": [1, 2], "dev_loss": [0.97, 0.99], "dev_macro_f1": [0.45, 0.50]})
    line = epoch_reading(rising)[0]
    assert "the last has the highest dev macro-F1, so no peak was reached" in line and "dev loss rose" in line
    peak = pd.DataFrame({"epoch": [1, 2, 3], "dev_loss": [0.9, 0.8, 0.85], "dev_macro_f1": [0.4, 0.6, 0.5]})
    assert "epoch 2 has the highest" in epoch_reading(peak)[0] and "no peak" not in epoch_reading(peak)[0]
    assert epoch_reading(rising.iloc[:1]) == []


def test_what_the_teacher_is_sent_is_recovered_from_the_grading_row():
    from course_tools.short_answer_report import referred_agreement

    # 100 answers, 20 referred of which 15 right, 80 kept of which 40 right: exact 0.55, kept 0.50
    row = {"source": "hand-written, all 3 subjects", "system": "x (today's default)", "exact": 0.55,
           "exact_not_referred": 0.50, "referred": 0.20}
    line = referred_agreement(pd.DataFrame([row]))[0]
    assert "about 75% of the referred" in line and "mostly answers already graded right" in line
    worse = referred_agreement(pd.DataFrame([{**row, "exact": 0.42}]))[0]  # referred right: 10%
    assert "graded wrong more often" in worse
    assert referred_agreement(pd.DataFrame([{**row, "referred": 0.0}])) == []


def test_issue28_shares_are_read_with_an_interval():
    from course_tools.short_answer_report import issue28_verdicts

    hand = "hand-written held-out halves"
    d = pd.DataFrame([
        {"table": "outcomes", "source": hand, "category": "on_topic_nonsense", "answers": 200,
         "graded_0": 0.95, "referred": 0.0, "graded_0_or_referred": 0.95, "rejected_by_guard": 0.9},
        {"table": "outcomes", "source": hand, "category": "real_answer", "answers": 400,
         "graded_0": 0.4, "referred": 0.14, "graded_0_or_referred": 0.4, "rejected_by_guard": 0.001},
    ])
    line = issue28_verdicts(d)[0]
    assert "nonsense graded 0 or referred 0.950 (>= 0.90): met (190 of 200" in line  # Wilson low bound > 0.90
    assert "real answers referred 0.140 (<= 0.15): met as a point estimate (56 of 400" in line
    assert "not settled" in line and "graded 0 by the guard 0.001 (<= 0.03): met (0 of 400" in line
