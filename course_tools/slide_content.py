"""What the decks in ``slides/`` call while they are built: results, the guide's tables, code.

Every number a slide shows comes from here: read from ``results/*.csv`` (written by
``make results``) or from ``docs/instructor_guide.md``, never typed into a deck. A table
that has not been written yet shows as "not measured yet".

    from course_tools.slide_content import result, show_results, plot_results
    result("asap7", "tfidf_lr")          # QWK of one row, as a float (None if missing)
    show_results("asap7", sections=["classical"])
    show_guide_table("Full day")         # the day's plan, as the instructor guide has it
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "results"
GUIDE = ROOT / "docs" / "instructor_guide.md"


def first_heading(nb, default: str) -> str:
    """The first Markdown heading of a notebook or deck, or ``default``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return default


def md(text: str) -> None:
    """Show Markdown on a slide (for sentences that quote a computed number)."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def results_table(name: str):
    """``results/<name>.csv`` as a DataFrame, or ``None`` when it has not been written yet."""
    import pandas as pd

    if not name or "/" in name or name.endswith(".csv"):
        raise ValueError(f"Give a results table name such as 'asap7', got {name!r}.")
    path = RESULTS_DIR / f"{name}.csv"
    if not path.is_file():
        return None
    return pd.read_csv(path)


#: Columns of ``results/asap7.csv`` shown on slides, with their display names.
ASAP_COLUMNS = {
    "label": "method", "qwk_mean": "QWK", "qwk_sd": "± SD", "qwk_ci_low": "CI low",
    "qwk_ci_high": "CI high", "original": "original", "acc_mean": "exact", "smd_mean": "SMD",
    "n_seeds": "seeds", "n_test": "test essays",
}


def _select(table, sections: list[str] | None, columns: dict[str, str] | list[str] | None,
            where: dict[str, str | list[str]] | None = None):
    for column, value in (where or {}).items():
        if column not in table.columns:
            raise ValueError(f"The results table has no column {column!r}; it has "
                             f"{list(table.columns)}.")
        values = value if isinstance(value, (list, tuple)) else [value]
        table = table[table[column].astype(str).isin([str(v) for v in values])]
    if sections and "section" in table.columns:
        wanted = [s.lower() for s in sections]
        table = table[table["section"].astype(str).str.lower().map(
            lambda s: any(w in s for w in wanted))]
    if columns:  # None or [] keeps every column
        names = columns if isinstance(columns, dict) else {c: c for c in columns}
        keep = [c for c in names if c in table.columns]
        if keep:
            table = table[keep].rename(columns=names)
    return table


def select_results(name: str, sections: list[str] | None = None,
                   columns: dict[str, str] | list[str] | None = None,
                   where: dict[str, str | list[str]] | None = None):
    """The rows and columns of ``results/<name>.csv`` a slide shows, or ``None`` if none.

    ``where`` keeps rows whose columns equal these values (``{"table": "scores"}``; a list
    keeps rows equal to any of its values);
    ``sections`` keeps rows whose ``section`` contains one of these words
    (case-insensitive); ``columns`` keeps (and, given a dict, renames) those columns that
    exist. For ``asap7`` the default columns are :data:`ASAP_COLUMNS`.
    """
    table = results_table(name)
    if table is None:
        return None
    if columns is None and name == "asap7":
        columns = ASAP_COLUMNS
    table = _select(table, sections, columns, where)
    if table.empty:
        return None
    for column in table.columns:  # counts read as floats (NaN elsewhere) shown as integers
        values = table[column]
        if (values.dtype.kind == "f" and values.notna().all() and values.abs().max() >= 2
                and (values == values.round()).all()):
            table = table.assign(**{column: values.astype("int64")})
    return table


def show_results(name: str, columns: dict[str, str] | list[str] | None = None,
                 sections: list[str] | None = None, digits: int = 3,
                 where: dict[str, str | list[str]] | None = None) -> None:
    """Display a committed results table on a slide, or say it is "not measured yet".

    See :func:`select_results` for ``sections`` and ``columns``. Numbers are rounded to
    ``digits`` for display; nothing is typed by hand.
    """
    from IPython.display import Markdown, display

    table = select_results(name, sections, columns, where)
    if table is None:
        which = sections or where
        display(Markdown(f"*Not measured yet: no{f' rows for {which} in' if which else ''} "
                         f"`results/{name}.csv`. "
                         "Run `make results` and rebuild the slides (`make slides`).*"))
        return
    display(table.style.hide(axis="index").format(precision=digits, na_rep=""))
    raw = results_table(name)
    notes = []
    key = next((c for c in ("label", "system") if raw is not None and c in raw.columns), None)
    if key is not None and "note" in raw.columns:
        rows = raw.loc[table.index]
        notes = list(dict.fromkeys((label, str(note)) for label, note in zip(rows[key], rows["note"])
                                   if isinstance(note, str) and note.strip()))
    footer = "".join(f"<br>{label}: {note[:200]}{'…' if len(note) > 200 else ''}"
                     for label, note in notes[:6])
    display(Markdown(f"<span class='course-footer'>Source: `results/{name}.csv` "
                     f"(written by `make results`).{footer}</span>"))


def plot_results(name: str = "asap7", sections: list[str] | None = None,
                 where: dict[str, str | list[str]] | None = None) -> None:
    """Bar chart of QWK with its bootstrap CI from ``results/<name>.csv`` (or a note).

    Drawn by :func:`course_utils.plots.qwk_bars`, the course's one QWK chart.
    """
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display

    from course_utils.plots import qwk_bars

    table = select_results(name, sections, columns=[], where=where)
    needed = {"label", "qwk_mean", "qwk_ci_low", "qwk_ci_high"}
    if table is not None and needed <= set(table.columns):
        table = table.dropna(subset=["qwk_mean"])
    if table is None or table.empty or not needed <= set(table.columns):
        which = sections or where
        display(Markdown(f"*Not measured yet: no{f' rows for {which} in' if which else ''} "
                         f"`results/{name}.csv`. Run `make results`.*"))
        return
    qwk_bars(table.label, table.qwk_mean, table.qwk_ci_low, table.qwk_ci_high,
             source=f"results/{name}.csv")
    plt.show()


def show_source(function) -> None:
    """Show a course function's code (without its docstring) on a slide, highlighted.

    The slide shows the code the notebooks run, so the two cannot drift apart.
    """
    import ast
    import inspect
    import textwrap

    from IPython.display import Markdown, display

    source = textwrap.dedent(inspect.getsource(function))
    tree = ast.parse(source)
    body = tree.body[0].body
    lines = source.splitlines()
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None),
                                                             ast.Constant):
        doc = body[0]
        lines = lines[: doc.lineno - 1] + lines[doc.end_lineno:]
    where = f"{function.__module__}.{function.__qualname__}"
    display(Markdown("```python\n" + "\n".join(lines) + f"\n```\n<span class='course-footer'>"
                     f"Source: `{where}` (docstring left out).</span>"))


def show_notebooks(numbers: list[int]) -> None:
    """A Markdown list of the section's notebooks: title and exercises, read from the files.

    Notebooks that do not exist yet are listed as such, so the deck keeps in step with
    ``notebooks/`` without anyone editing it.
    """
    import nbformat
    from IPython.display import Markdown, display

    from course_tools.exercises import find_exercises

    lines = []
    for number in numbers:
        found = sorted((ROOT / "notebooks").glob(f"{number:02d}_*.ipynb"))
        if not found:
            lines.append(f"* **{number:02d}**: *not written yet*")
            continue
        nb = nbformat.read(found[0], as_version=4)
        title = first_heading(nb, found[0].stem)
        title = re.sub(r"^\d{2}\s*[·:.-]\s*", "", title)
        n = len(find_exercises(nb))
        extra = f" ({n} exercises)" if n else ""
        lines.append(f"* **{number:02d}** `{found[0].name}`: {title}{extra}")
    display(Markdown("\n".join(lines)))


def result(name: str, row_id: str, column: str = "qwk_mean", key: str = "id") -> float | None:
    """One number of ``results/<name>.csv``: ``column`` of the row whose ``key`` is ``row_id``.

    ``None`` when the table, the row or the value is missing (not measured yet).
    """
    table = results_table(name)
    if table is None or key not in table.columns or column not in table.columns:
        return None
    rows = table[table[key].astype(str) == row_id]
    if rows.empty or rows[column].isna().all():
        return None
    return float(rows[column].dropna().iloc[0])


def fmt(value: float | None, digits: int = 3) -> str:
    """A result for a sentence on a slide: rounded, or "not measured yet"."""
    return "*not measured yet*" if value is None else f"{value:.{digits}f}"


def guide_table(heading: str, guide: Path | None = None):
    """The first Markdown table under the heading that starts with ``heading`` in the guide.

    Returns a DataFrame of strings (Markdown kept as written). The title deck shows the
    day's plan this way, so it cannot drift from ``docs/instructor_guide.md``.
    """
    import pandas as pd

    text = (guide or GUIDE).read_text(encoding="utf-8")
    match = re.search(rf"^#+ {re.escape(heading)}.*?$", text, flags=re.M)
    if match is None:
        raise ValueError(f"{guide or GUIDE} has no heading starting with {heading!r}.")
    rows = []
    for line in text[match.end():].splitlines():
        if line.startswith("#"):
            break
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    if len(rows) < 3:
        raise ValueError(f"No table under {heading!r} in {guide or GUIDE}.")
    return pd.DataFrame(rows[2:], columns=rows[0])


def show_guide_table(heading: str, columns: list[str] | None = None) -> None:
    """Show a table of the instructor guide on a slide, as Markdown, with its source."""
    table = guide_table(heading)
    if columns:
        table = table[columns]
    header = "| " + " | ".join(table.columns) + " |\n|" + "---|" * len(table.columns)
    body = "\n".join("| " + " | ".join(row) + " |" for row in table.itertuples(index=False))
    md(f"{header}\n{body}\n\n<span class='course-footer'>Source: "
       f"`docs/instructor_guide.md`, section *{heading}*.</span>")
