"""Regenerate the README's table of notebooks (``python -m course_tools.readme``).

Titles come from each notebook's first heading, times from ``results/notebook_times.csv``
(written by ``make course``), so the table never drifts from what was measured. Run times
live in that CSV and this table only: notebooks carry no run-time line, so a re-measure
changes two files, not forty. ``--check`` exits 1 when the table is out of date
(``tests/test_repository.py`` checks the same).
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

from course_tools.tables import markdown_table

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TIMES = ROOT / "results" / "notebook_times.csv"
START, END = "<!-- notebooks:start -->", "<!-- notebooks:end -->"


def notebook_title(source: Path) -> str:
    """The first Markdown heading of a jupytext source, without '# NN ·'."""
    for line in source.read_text().splitlines():
        match = re.match(r"#\s+#\s+(?:\d+\s*·\s*)?(.+)", line)
        if match:
            return match.group(1).strip()
    return source.stem


def measured_rows() -> dict[tuple[str, str], dict]:
    """(notebook, profile) -> the CSV row, for notebooks that ran ok.

    A row whose status is not ``ok`` (a failed run, or ``outdated`` when a profile's
    settings changed after the measurement) counts as not measured.
    """
    if not TIMES.is_file():
        return {}
    with TIMES.open() as f:
        return {(r["notebook"], r["profile"]): r for r in csv.DictReader(f) if r["status"] == "ok"}


def measured_times() -> dict[tuple[str, str], str]:
    """(notebook, profile) -> '12 s' for notebooks that ran ok."""
    return {key: f"{float(r['seconds']):.0f} s" for key, r in measured_rows().items()}


def table() -> str:
    """The Markdown table of notebooks."""
    import pandas as pd

    from course_tools.colab_links import repo_slug  # the one place for the repository's address

    times = measured_times()
    rows = []
    for source in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        stem = source.stem
        url = f"https://colab.research.google.com/github/{repo_slug()}/blob/main/notebooks/{stem}.ipynb"
        rows.append({
            "#": stem[:2],
            "notebook": f"[{notebook_title(source)}](notebooks/{stem}.ipynb)",
            "Colab": f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})",
            "smoke (CI, 2 CPU cores)": times.get((stem, "smoke"), "not measured"),
            "fast (2 CPU cores)": times.get((stem, "fast"), "not measured"),
            "full (GPU)": times.get((stem, "full"), "not measured here"),
        })
    return markdown_table(pd.DataFrame(rows), numparse=False)


def render(text: str) -> str:
    """``text`` with the part between the markers replaced by the current table."""
    if START not in text or END not in text:
        raise ValueError(f"README.md lacks the markers {START} / {END}.")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main() -> int:
    new = render(README.read_text())
    if "--check" in sys.argv:
        if new != README.read_text():
            print("README.md's notebook table is out of date: run `python -m course_tools.readme`.")
            return 1
        return 0
    README.write_text(new)
    print(f"Updated the notebook table in {README.relative_to(ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
