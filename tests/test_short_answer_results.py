"""``course_tools.short_answer_results --latency-only``: only the latency rows change."""

import pandas as pd
import pytest

from course_tools import short_answer_results as sar

MD = """# Short-answer grading

Intro.

## Real answers wrongly flagged (target <= 5%)

| source | flagged |
|---|---|
| biology | 0.083 |

{latency}

| operation | p50_ms |
|---|---|
| live regrade | 75.0 |

Old load note.

## Cross-encoder dev metrics per epoch (dev = questions carved from train)

| epoch | loss |
|---|---|
| 1.000 | 0.966 |
"""


@pytest.fixture()
def report(tmp_path):
    out = tmp_path / "short_answer"
    out.with_suffix(".md").write_text(MD.format(latency=sar.LATENCY_TITLE))
    pd.DataFrame([{"table": "false_flags", "source": "biology", "flagged": 0.083, "note": "l2=0.693 meta-learned"},
                  {"table": "latency", "operation": "live regrade", "p50_ms": 75.0}]).to_csv(
        out.with_suffix(".csv"), index=False)
    return out


def test_latency_only_rewrites_the_latency_rows_and_keeps_the_rest(report):
    new = pd.DataFrame([{"operation": "live regrade", "p50_ms": 12.5, "p95_ms": 20.0, "runs": 200, "threads": 1}])
    sar.rewrite_latency(report, new, ((0.1, 0.2, 0.3), (0.2, 0.2, 0.3)), "2026-11-30 08:00 UTC")
    md = report.with_suffix(".md").read_text()
    assert "75.0" not in md and "Old load note" not in md
    assert "12.500" in md and "Measured 2026-11-30 08:00 UTC" in md and "0.1/0.2/0.3, 0.2/0.2/0.3" in md
    assert "| biology | 0.083 |" in md and md.rstrip().endswith("| 1.000 | 0.966 |")  # other sections kept
    assert md.index(sar.LATENCY_TITLE) < md.index(sar.HISTORY_TITLE)
    csv = pd.read_csv(report.with_suffix(".csv"))
    assert csv.loc[csv["table"] == "latency", "p50_ms"].tolist() == [12.5]
    assert csv.loc[csv["table"] == "false_flags", "flagged"].tolist() == [0.083]
    assert sar.previous_l2(report.with_suffix(".csv")) == pytest.approx(0.693)


def test_latency_only_needs_a_previous_report(tmp_path):
    with pytest.raises(FileNotFoundError, match="run the full command once"):
        sar.rewrite_latency(tmp_path / "none", pd.DataFrame(), ((0, 0, 0), (0, 0, 0)), "now")


def test_skip_cross_encoder_keeps_the_previous_epoch_table_verbatim(report):
    section = sar.previous_section(report.with_suffix(".md"), sar.HISTORY_TITLE)
    assert section == [sar.HISTORY_TITLE, "", "| epoch | loss |", "|---|---|", "| 1.000 | 0.966 |"]
    assert sar.previous_section(report.with_suffix(".md"), "## Missing") is None


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
    assert "dev questions 50% of `irrelevant`, 100% of `partially_correct_incomplete`" in sar._zero_shares(by_label)


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
    table.attrs.update(model="m (offline stand-in)", bar=-12.5, seconds=30.0, regrade_ms=(150.0, 180.0), threads=2,
                       misses=misses)
    text = "\n".join(sar.surprise_section(table))
    assert "| 10 | 0.600 | 0.800 |" in text and "below -12.5" in text and "m (offline stand-in)" in text
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
    assert "| 10 | 0.600 | 0.900 |" in text and "- art: blue counts double" in text
    assert "- law (teacher's grade 2): civil: damages" in text
