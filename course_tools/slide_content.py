"""What the decks in ``slides/`` call while they are built: results, the guide's tables, code.

Every number a slide shows comes from here: read from ``results/*.csv`` (written by
``make results``) or from ``docs/instructor_guide.md``, never typed into a deck. A table
that has not been written yet shows as "not measured yet".

    from course_tools.slide_content import result, show_results, plot_results
    result("asap7", "tfidf_lr")          # QWK of one row, as a float (None if missing)
    show_results("asap7", sections=["classical"])
    plot_results("asap7", sections=["classical"])   # a slide-wide chart, labels at 14 pt
    show_guide_table("Full day")         # the day's plan, as the instructor guide has it
"""

from __future__ import annotations

import re
from pathlib import Path

from course_tools.tables import markdown_table

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


class MissingData:
    """Stands for a data set that is not available where a deck is built (offline, no
    ``COURSE_DATA_DIR``): any use raises the loader's
    :class:`~course_utils.data.DataNotFoundError`, which the build shows on the slide as
    one line ("Not run here: ...") instead of the cell's output.

        try:
            asap = load_asap(7)
        except DataNotFoundError as exc:
            asap = MissingData(exc)
    """

    def __init__(self, error: Exception):
        object.__setattr__(self, "_error", error)

    def _fail(self, *args, **kwargs):
        from course_utils.data import DataNotFoundError

        raise DataNotFoundError(str(object.__getattribute__(self, "_error")))

    __getattr__ = __getitem__ = __len__ = __iter__ = __call__ = _fail

    def __repr__(self) -> str:
        return "<data not available here>"


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
            where: dict[str, str | list[str]] | None = None,
            contains: dict[str, str] | None = None):
    for column in [*(where or {}), *(contains or {})]:
        if column not in table.columns:
            raise ValueError(f"The results table has no column {column!r}; it has "
                             f"{list(table.columns)}.")
    for column, value in (where or {}).items():
        values = value if isinstance(value, (list, tuple)) else [value]
        table = table[table[column].astype(str).isin([str(v) for v in values])]
    for column, text in (contains or {}).items():
        table = table[table[column].fillna("").astype(str).str.lower().str.contains(
            text.lower(), regex=False)]
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
                   where: dict[str, str | list[str]] | None = None,
                   contains: dict[str, str] | None = None):
    """The rows and columns of ``results/<name>.csv`` a slide shows, or ``None`` if none.

    ``where`` keeps rows whose columns equal these values (``{"table": "scores"}``; a list
    keeps rows equal to any of its values); ``contains`` keeps rows whose column contains
    this text (case-insensitive: ``{"system": "cross-encoder"}``);
    ``sections`` keeps rows whose ``section`` contains one of these words
    (case-insensitive); ``columns`` keeps (and, given a dict, renames) those columns that
    exist. For ``asap7`` the default columns are :data:`ASAP_COLUMNS`.
    """
    table = results_table(name)
    if table is None:
        return None
    if columns is None and name == "asap7":
        columns = ASAP_COLUMNS
    table = _select(table, sections, columns, where, contains)
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
                 where: dict[str, str | list[str]] | None = None,
                 contains: dict[str, str] | None = None) -> None:
    """Display a committed results table on a slide, or say it is "not measured yet".

    See :func:`select_results` for ``sections``, ``where``, ``contains`` and ``columns``.
    Numbers are rounded to ``digits`` for display; nothing is typed by hand. The rows'
    notes (column ``note``) follow as footnotes, each labelled by its row's name.
    """
    from IPython.display import Markdown, display

    table = select_results(name, sections, columns, where, contains)
    if table is None:
        which = sections or where or contains
        display(Markdown(f"*Not measured yet: no{f' rows for {which} in' if which else ''} "
                         f"`results/{name}.csv`. "
                         "Run `make results` and rebuild the slides (`make slides`).*"))
        return
    display(table.style.hide(axis="index").format(precision=digits, na_rep=""))
    footer = "".join(f"<br>{label}{note[:200]}{'…' if len(note) > 200 else ''}"
                     for label, note in row_notes(results_table(name), table.index)[:6])
    if footer:
        display(Markdown(f"<span class='course-footer'>{footer.removeprefix('<br>')}</span>"))


#: Columns that name a row, in the order a footnote looks for a non-empty one.
ROW_NAMES = ("label", "system", "source", "category", "operation", "id")


def _filled(value) -> str:
    """``value`` as text, or "" when it is missing (NaN, None) or blank."""
    return value.strip() if isinstance(value, str) else ""


def row_notes(raw, index) -> list[tuple[str, str]]:
    """``("name: ", note)`` for the rows ``index`` of a results table that have a note.

    The name is the row's first non-empty column of :data:`ROW_NAMES` (a row labelled by
    an empty cell shows its note alone, never "nan:"); repeated pairs are shown once.
    """
    if raw is None or "note" not in raw.columns:
        return []
    names = [c for c in ROW_NAMES if c in raw.columns]
    notes = []
    for _, row in raw.loc[index].iterrows():
        note = _filled(row["note"])
        if note:
            name = next((_filled(row[c]) for c in names if _filled(row[c])), "")
            notes.append((f"{name}: " if name else "", note))
    return list(dict.fromkeys(notes))


#: Figures on a slide are drawn this wide and shown across the slide's output area
#: (about 1020 of its 1100 px), so a label of LABEL_PT points shows at 15/72 * 1020/11
#: ≈ 19 px, 74% of the decks' 26 px body text (``slides/templates/offline_reveal``);
#: the deck test measures both on the rendered slide.
FIGURE_WIDTH_IN = 11.0
FIGURE_DPI = 150
LABEL_PT = 15
INTEGER_TICK = re.compile(r"^[−-]?\d+$")


def figure_facts(fig) -> dict:
    """What the deck test checks of a figure: its smallest text (points), and per axes
    whether it has both axis labels and, for a histogram, only whole-number ticks.

    Call after the figure is drawn (tick labels are filled in when it is).
    """
    from matplotlib.patches import Rectangle
    from matplotlib.text import Text

    bbox = fig.bbox
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
             and t.get_window_extent().overlaps(bbox)]
    unlabelled, fractional = 0, 0
    for ax in fig.axes:
        unlabelled += not (ax.get_xlabel().strip() and ax.get_ylabel().strip())
        bars = [b for b in ax.patches if isinstance(b, Rectangle)]
        if bars and ax.get_ylabel().strip() in HISTOGRAM_YLABELS:
            ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
            fractional += sum(not INTEGER_TICK.match(t) for t in ticks)
    return {"min_font_pt": min((t.get_fontsize() for t in texts), default=0.0),
            "unlabelled_axes": unlabelled, "fractional_ticks": fractional}


#: The y-axis labels that mark a histogram of scores (drawn by :func:`score_histograms`).
HISTOGRAM_YLABELS = ("essays", "answers")


def show_figure(fig, kind: str = "figure", alt: str = "") -> None:
    """Show a figure across the slide's width, with what the deck test checks of it.

    The PNG is an ``<img class="course-chart">`` whose ``data-*`` attributes carry
    :func:`figure_facts` and the resolution, so the test can tell how large its labels
    look next to the slide's text.
    """
    import base64
    import html
    import io

    import matplotlib.pyplot as plt
    from IPython.display import HTML, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=FIGURE_DPI)
    facts = figure_facts(fig)
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    display(HTML(
        f'<img class="course-chart" data-kind="{kind}" data-dpi="{FIGURE_DPI}" '
        f'data-min-font-pt="{facts["min_font_pt"]:g}" '
        f'data-unlabelled-axes="{facts["unlabelled_axes"]}" '
        f'data-fractional-ticks="{facts["fractional_ticks"]}" '
        f'alt="{html.escape(alt or kind)}" src="data:image/png;base64,{data}">'))


def slide_layout(fig, height: float) -> None:
    """Make a figure slide-wide (:data:`FIGURE_WIDTH_IN`) with every text at :data:`LABEL_PT`."""
    from matplotlib.text import Text

    fig.set_size_inches(FIGURE_WIDTH_IN, height)
    for ax in fig.axes:
        ax.tick_params(labelsize=LABEL_PT)
    for text in fig.findobj(Text):
        text.set_fontsize(LABEL_PT)
    fig.tight_layout()


def plot_results(name: str = "asap7", sections: list[str] | None = None,
                 where: dict[str, str | list[str]] | None = None) -> None:
    """Bar chart of QWK with its bootstrap CI from ``results/<name>.csv`` (or a note).

    Drawn by :func:`course_utils.plots.qwk_bars`, the course's one QWK chart, then laid
    out for a slide: as wide as the slide, labels at :data:`LABEL_PT` above the bars.
    """
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
    fig = qwk_bars(table.label, table.qwk_mean, table.qwk_ci_low, table.qwk_ci_high)
    labels_above_bars(fig.axes[0], list(table.label)[::-1])
    slide_layout(fig, height=min(6.4, 0.46 * len(table) + 0.9))
    show_figure(fig, kind="results", alt=f"QWK of {len(table)} scorers on the test essays")


#: Above this many rows, :func:`plot_methods` leaves the row labels in the left margin.
MANY_ROWS = 10
#: The lines drawn across :func:`plot_methods`' chart: (row id, name, colour, line style).
REFERENCE_LINES = (("human", "two humans", "#2E7D32", "-"),
                   ("baseline_length", "length line", "#E67E22", "-."))


def plot_methods(ids: list[str], name: str = "asap7",
                 references=REFERENCE_LINES, labels: dict[str, str] | None = None,
                 height: float | None = None) -> None:
    """QWK bars of the rows ``ids`` of ``results/<name>.csv`` that are measured (in that
    order), with the reference rows (human-human agreement, the length line) drawn as
    vertical lines across the chart, labelled with their QWK, and each reference's
    95% interval shaded across every row; laid out as :func:`plot_results` lays out its charts.
    ``labels`` replaces the label of the rows it names (row id -> text); ``height`` (inches)
    overrides the height that grows with the rows, for a slide with text under its chart."""
    from IPython.display import Markdown, display

    from course_utils.plots import qwk_bars

    table = select_results(name, columns=[])
    if table is not None:
        table = table[table["id"].isin(ids)].dropna(subset=["qwk_mean"])
        present = set(table["id"])
        table = table.set_index("id").loc[[i for i in ids if i in present]]
    if table is None or table.empty:
        display(Markdown(f"*Not measured yet: none of {ids} in `results/{name}.csv`.*"))
        return
    shown_labels = [(labels or {}).get(i, text) for i, text in zip(table.index, table.label)]
    fig = qwk_bars(shown_labels, table.qwk_mean, table.qwk_ci_low, table.qwk_ci_high)
    ax = fig.axes[0]
    for row_id, label, colour, style in references:
        value = result(name, row_id)
        if value is not None:
            low, high = result(name, row_id, "qwk_ci_low"), result(name, row_id, "qwk_ci_high")
            interval = low is not None and high is not None  # a reference measured on the same essays is uncertain too
            ax.axvline(value, color=colour, ls=style, lw=2.5,
                       label=f"{label}: {value:.3f}" + (f" (CI {low:.3f} to {high:.3f})" if interval else ""))
            if interval:
                ax.axvspan(low, high, color=colour, alpha=0.12, lw=0)
    if len(table) <= MANY_ROWS:  # more rows keep their labels in the margin, one line each
        labels_above_bars(ax, shown_labels[::-1])
    handles, texts = ax.get_legend_handles_labels()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    slide_layout(fig, height=height or min(6.4, 0.46 * len(table) + 1.8))
    # the legend below the chart, across the figure's width (clear of the row labels), and the chart above it
    for ncol in range(max(len(handles), 1), 0, -1):  # as many columns as fit the figure's width
        legend = fig.legend(handles, texts, loc="lower center", ncol=ncol, framealpha=1, fontsize=LABEL_PT)
        fig.canvas.draw()
        if ncol == 1 or legend.get_window_extent().width <= fig.bbox.width:
            break
        legend.remove()
    fig.tight_layout(rect=(0, legend.get_window_extent().height / fig.bbox.height + 0.01, 1, 1))
    show_figure(fig, kind="results", alt=f"QWK of {len(table)} methods on the test essays")


def labels_above_bars(ax, labels: list[str]) -> None:
    """Move a horizontal bar chart's row labels from the left margin onto the chart, one
    line above each (thinner) bar: long labels get the slide's whole width, unwrapped."""
    from matplotlib.container import BarContainer
    from matplotlib.transforms import blended_transform_factory

    ax.set_yticks(range(len(labels)), [""] * len(labels))
    ax.tick_params(axis="y", length=0)
    bars = [bar for c in ax.containers if isinstance(c, BarContainer) for bar in c]  # not the shaded bands
    for bar in bars:
        centre = bar.get_y() + bar.get_height() / 2
        bar.set_height(0.3)
        bar.set_y(centre - 0.15)
    where = blended_transform_factory(ax.transAxes, ax.transData)
    for y, label in enumerate(labels):
        text = ax.text(0.005, y + 0.17, str(label), transform=where, va="bottom", ha="left")
        text.set_in_layout(False)  # inside the axes: the layout need not make room for it
    ax.set_ylim(-0.6, len(labels) - 0.1)
    ax.get_legend().remove()
    ax.legend(loc="lower right", framealpha=1)


def score_histograms(essays, low: int = 0, high: int = 12) -> None:
    """Both raters' score histograms and length against score
    (:func:`course_utils.plots.score_distributions`), laid out for a slide: whole-number
    score ticks and every axis labelled."""
    from course_utils.plots import score_distributions

    fig = score_distributions(essays)
    ticks = range(low, high + 1, 2 if high - low > 8 else 1)
    for ax in fig.axes[:2]:
        ax.set_xticks(ticks)
        ax.set_xlabel("score")
        ax.set_ylabel("essays")
    fig.axes[2].set_yticks(ticks)
    fig.axes[2].set_ylabel("rater 1's score")
    slide_layout(fig, height=3.8)
    show_figure(fig, kind="histogram", alt="score histograms of both raters, length against score")


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
    """Show a table of the instructor guide on a slide, as Markdown."""
    table = guide_table(heading)
    if columns:
        table = table[columns]
    md(markdown_table(table))  # where the plan is written down is no part of the slide
