"""Lessons talk about scoring, not about how this repository is built (issue 29, item 5).

Every notebook source (``notebooks/*.py``) is read line by line, Markdown and code alike,
and must not mention the course's machinery: ``make`` targets, ``course_tools``, the run-time
table, paths into ``results/``, the row ids of the results tables (written in backticks or
as "row <id>"), the guard's author, the course's internal goals, or how the evaluation sets
were written. One exception per notebook: a single closing Markdown line that starts with
``# Further reading:`` may point to the results tables (``results/...``); the other words stay
banned on it too. Each failure names the file, the line number, the line and the word.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
RESULTS = ROOT / "results"

#: Words about how the course is built or maintained, not what it teaches.
BUILD_WORDS = (
    r"\bmake (course|results|slides|test|sync|exercises|chromium|notebooks)\b",
    r"\bcourse_tools\b",
    r"\bnotebook_times\b",
    r"\bresults/",
    r"\bthe guard's author\b",
    r"\bguard(')?s? author\b",
    r"\bgoal of 0\.\d+",
    r"\bthe (course's|repository's) (goal|goals|author|authors|source text)\b",
    r"\bby helpers\b",
    r"\bhelpers'",
    r"\bcoordinator\b",
    r"\b(evaluation|eval) sets? (were|was) (written|produced|made|generated)\b",
    r"\b(who )?wrote (which|the|each) batch\b",
    r"\bresults table,? row\b",
)
#: The one closing line that may point to the results tables.
FURTHER_READING = re.compile(r"^# Further reading:")
#: Only this word may appear on the further-reading line.
ALLOWED_THERE = re.compile(r"\bresults/")


def row_ids(results_dir: Path = RESULTS) -> set[str]:
    """Every row id of the results tables (``id`` and ``table`` columns holding an ``_``)."""
    ids: set[str] = set()
    for path in sorted(results_dir.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                ids.update(v for k in ("id", "table") if "_" in (v := row.get(k) or ""))
    return ids


def banned_pattern(ids: set[str]) -> re.Pattern:
    """:data:`BUILD_WORDS` plus each row id written as `` `id` `` or "row id"."""
    words = list(BUILD_WORDS)
    for i in sorted(ids, key=len, reverse=True):
        words.append(rf"`{re.escape(i)}`")
        words.append(rf"\brows? {re.escape(i)}\b")
    return re.compile("|".join(words), flags=re.IGNORECASE)


def build_talk(path: Path, pattern: re.Pattern) -> list[str]:
    """``file:line: 'word' in: line`` for each mention of build machinery in one notebook."""
    lines = path.read_text(encoding="utf-8").splitlines()
    further = [n for n, line in enumerate(lines) if FURTHER_READING.match(line)]
    hits = []
    if len(further) > 1:
        hits.append(f"{path.name}: {len(further)} '# Further reading:' lines "
                    f"(lines {[n + 1 for n in further]}); keep one, at the end")
    allowed = further[-1] if further else None
    for n, line in enumerate(lines):
        for match in pattern.finditer(line):
            if n == allowed and ALLOWED_THERE.fullmatch(match.group(0)):
                continue
            hits.append(f"{path.name}:{n + 1}: {match.group(0)!r} in: {line.strip()[:120]}")
    return hits


def test_the_pattern_catches_each_kind_of_build_talk():
    pattern = banned_pattern({"tfidf_lr"})
    for text in ("Run time, measured by `make course`", "see results/asap7.md",
                 "python -m course_tools.results", "results table, row tfidf_lr",
                 "the row `tfidf_lr` over 5 seeds", "row tfidf_lr", "the course's goal of 0.85",
                 "the guard's author wrote", "(results/notebook_times.csv)"):
        assert pattern.search(text), text
    for text in ("a TF-IDF model with logistic regression", "tfidf_lr = make_pipeline()",
                 "the results of the model", "make a course of action"):
        assert not pattern.search(text), text


def test_one_closing_further_reading_line_may_point_to_results(tmp_path):
    pattern = banned_pattern({"tfidf_lr"})
    ok = tmp_path / "01_x.py"
    ok.write_text("# %%\nx = 1\n\n# %% [markdown]\n# Further reading: results/asap7.md\n")
    assert build_talk(ok, pattern) == []
    bad = tmp_path / "02_x.py"
    bad.write_text("# %% [markdown]\n# Further reading: results/a.md\n"
                   "# Further reading: `make course` and results/b.md\n")
    hits = build_talk(bad, pattern)
    assert any("2 '# Further reading:'" in h for h in hits), hits
    assert any("make course" in h for h in hits), hits


def test_notebooks_exist():
    assert len(NOTEBOOKS) >= 20, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_does_not_talk_about_how_the_course_is_built(path):
    hits = build_talk(path, banned_pattern(row_ids()))
    assert not hits, ("build talk in a lesson (a learner reads about scoring; move it to README, "
                      "CONTRIBUTING or results/, or into one closing '# Further reading:' line):\n"
                      + "\n".join(hits))
