"""Regenerate the README's table of notebooks and each notebook's run-time line
(``python -m course_tools.readme``).

Titles come from each notebook's first heading, times from ``results/notebook_times.csv``
(written by ``make course``), so neither the table nor a notebook's header drifts from
what was measured. A notebook's header holds one line starting with ``*Run time`` (or
the placeholder ``RUNTIME``) that this module rewrites; after it, re-pair the
``.ipynb`` files with ``make sync``. Tests check that both are current.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

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


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


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


RUNTIME_PLACEHOLDER = "# RUNTIME"
RUNTIME_START = "# *Run time"


def runtime_line(stem: str) -> str:
    """The header line of one notebook: its measured run times per profile."""
    rows = measured_rows()
    parts = [f"`{p}` {_duration(float(rows[(stem, p)]['seconds']))} ({rows[(stem, p)]['machine']})"
             if (stem, p) in rows else f"`{p}` not measured with its current settings"
             for p in ("smoke", "fast")]
    full = (f"`full` {_duration(float(rows[(stem, 'full')]['seconds']))} ({rows[(stem, 'full')]['machine']})"
            if (stem, "full") in rows else "`full` (Colab GPU) not measured here")
    measured = "; ".join(parts + [full])
    return f"{RUNTIME_START}, measured by `make course` (results/notebook_times.csv): {measured}.*"


def render_header(source_text: str, stem: str) -> str:
    """``source_text`` (a py:percent notebook) with its run-time line brought up to date."""
    lines = source_text.split("\n")
    for i, line in enumerate(lines):
        if line.strip() == RUNTIME_PLACEHOLDER or line.startswith(RUNTIME_START):
            lines[i] = runtime_line(stem)
            return "\n".join(lines)
    return source_text


def stale_headers() -> list[str]:
    """Notebook sources whose run-time line differs from the measured table."""
    return [p.name for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
            if render_header(p.read_text(), p.stem) != p.read_text()]


def table() -> str:
    """The Markdown table of notebooks."""
    from course_tools.colab_links import repo_slug  # the one place for the repository's address

    times = measured_times()
    rows = [
        "| # | notebook | Colab | smoke (CI, 2 CPU cores) | fast (2 CPU cores) | full (GPU) |",
        "|---|---|---|---|---|---|",
    ]
    for source in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        stem = source.stem
        url = f"https://colab.research.google.com/github/{repo_slug()}/blob/main/notebooks/{stem}.ipynb"
        badge = f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"
        cells = [times.get((stem, p), "not measured") for p in ("smoke", "fast")]
        full = times.get((stem, "full"), "not measured here")
        rows.append(
            f"| {stem[:2]} | [{notebook_title(source)}](notebooks/{stem}.ipynb) | {badge} | "
            f"{cells[0]} | {cells[1]} | {full} |"
        )
    return "\n".join(rows)


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
        stale = stale_headers()
        if new != README.read_text() or stale:
            print("README.md's notebook table or the run-time lines of "
                  f"{', '.join(stale) or 'no notebook'} are out of date: run "
                  "`python -m course_tools.readme`, then `make sync`.")
            return 1
        return 0
    README.write_text(new)
    print(f"Updated the notebook table in {README.relative_to(ROOT)}.")
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        text = path.read_text()
        if render_header(text, path.stem) != text:
            path.write_text(render_header(text, path.stem))
            print(f"Updated the run-time line of {path.relative_to(ROOT)} (run `make sync`).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
