"""The instructor guide's timetables fit (issue 30 item 8).

For each block of the *Half day* and *Full day* plans in ``docs/instructor_guide.md``
(rows that share a deck form one block), the time it needs is the talk of its decks'
speaker notes, read at :data:`WORDS_PER_MINUTE`, plus the run time of its notebooks in
the ``fast`` profile (``results/notebook_times.csv``, a 2-core CPU); notebooks marked
"(optional)" are left out. A block whose need exceeds its slot fails, with the sums.
"""

from __future__ import annotations

import re

import jupytext
import pandas as pd
import pytest

from course_tools import slide_content, slides

WORDS_PER_MINUTE = 130
PROFILE = "fast"
PLANS = ("Half day", "Full day")
TIMES = slide_content.RESULTS_DIR / "notebook_times.csv"


def minutes(clock: str) -> int:
    match = re.fullmatch(r"(\d+):(\d\d)", clock.strip())
    if match is None:
        raise ValueError(f"Not a time of day in the plan: {clock!r} (write h:mm).")
    return int(match.group(1)) * 60 + int(match.group(2))


def talk_minutes(deck: str) -> float:
    """Minutes to say a deck's speaker notes at :data:`WORDS_PER_MINUTE`."""
    path = slides.SLIDES_DIR / f"{deck}.py"
    nb = jupytext.read(path)
    words = sum(len(cell.source.split()) for cell in nb.cells
                if cell.metadata.get("slideshow", {}).get("slide_type") == "notes")
    return words / WORDS_PER_MINUTE


def run_minutes(profile: str = PROFILE) -> dict[int, float]:
    """Measured run time of each notebook in ``profile``, in minutes."""
    table = pd.read_csv(TIMES)
    table = table[table["profile"] == profile]
    return {int(name[:2]): seconds / 60 for name, seconds in zip(table["notebook"], table["seconds"])}


def required_notebooks(cell: str) -> list[int]:
    """Notebook numbers of a plan cell, without those marked "(optional)"."""
    return [int(n) for n, optional in re.findall(r"\b(\d\d)\b(\s*\(optional\))?", cell) if not optional]


def blocks(plan: pd.DataFrame) -> list[dict]:
    """Rows that share a deck merged into blocks: ``decks``, ``notebooks``, ``slot`` (minutes)
    and ``rows`` (their start times). Each row's slot runs to the next row's time; the
    last row is the end of the day."""
    starts = [minutes(t) for t in plan["time"]]
    if starts != sorted(starts):
        raise AssertionError(f"The plan's times are not in order: {list(plan['time'])}")
    merged: list[dict] = []
    for i, row in enumerate(plan.itertuples(index=False)):
        decks = set(re.findall(r"`(\w+)`", row.deck))
        if not decks or i + 1 == len(plan):
            continue
        slot = starts[i + 1] - starts[i]
        touching = [b for b in merged if b["decks"] & decks]
        block = {"decks": decks, "notebooks": set(required_notebooks(row.notebooks)),
                 "slot": slot, "rows": [row.time]}
        for other in touching:
            merged.remove(other)
            block["decks"] |= other["decks"]
            block["notebooks"] |= other["notebooks"]
            block["slot"] += other["slot"]
            block["rows"] = other["rows"] + block["rows"]
        merged.append(block)
    return merged


def block_need(block: dict, runs: dict[int, float]) -> tuple[float, float]:
    """(talk, run) minutes of a block."""
    missing = sorted(n for n in block["notebooks"] if n not in runs)
    if missing:
        raise AssertionError(f"No {PROFILE!r} run time for notebooks {missing} in {TIMES.name}: "
                             "measure them before planning their block.")
    return (sum(talk_minutes(d) for d in block["decks"]),
            sum(runs[n] for n in block["notebooks"]))


@pytest.mark.parametrize("heading", PLANS)
def test_every_block_fits_its_slot(heading):
    plan = slide_content.guide_table(heading)
    runs = run_minutes()
    found = blocks(plan)
    assert found, f"The {heading!r} plan names no deck."
    too_long = []
    for block in found:
        talk, run = block_need(block, runs)
        if talk + run > block["slot"]:
            too_long.append(
                f"{', '.join(sorted(block['decks']))} (rows {', '.join(block['rows'])}): "
                f"{talk:.1f} min of speaker notes + {run:.1f} min of notebooks "
                f"{sorted(block['notebooks'])} in {PROFILE!r} = {talk + run:.1f} min, "
                f"slot {block['slot']} min")
    assert not too_long, (f"Blocks of the {heading!r} plan that do not fit (lengthen the slot, cut "
                          "notes, or mark a notebook '(optional)'):\n  " + "\n  ".join(too_long))


def test_every_deck_is_in_the_full_day():
    plan = slide_content.guide_table("Full day")
    named = {d for cell in plan["deck"] for d in re.findall(r"`(\w+)`", cell)}
    decks = {p.stem for p in slides.deck_paths()}
    assert decks <= named, f"Decks with no slot in the full day: {sorted(decks - named)}"


def test_a_block_that_does_not_fit_is_caught():
    plan = pd.DataFrame({"time": ["0:00", "0:10", "0:30"], "section": ["a", "b", "End"],
                         "notebooks": ["15, 16", "19 (optional)", ""],
                         "deck": ["`05_generative`", "`06_short_answers`", ""]})
    first, second = blocks(plan)
    runs = run_minutes()
    talk, run = block_need(first, runs)
    assert first["slot"] == 10 and first["notebooks"] == {15, 16}
    assert talk + run > first["slot"]  # 15 and 16 alone run longer than 10 minutes
    assert second["notebooks"] == set()  # optional notebooks are left out
    merged = blocks(pd.DataFrame({"time": ["0:00", "0:20", "0:50"], "section": ["a", "b", "c"],
                                  "notebooks": ["00", "01", ""],
                                  "deck": ["`00_workshop`, `01_python`", "`01_python`", ""]}))
    assert len(merged) == 1 and merged[0]["slot"] == 50 and merged[0]["notebooks"] == {0, 1}
    with pytest.raises(ValueError, match="h:mm"):
        minutes("ten")
