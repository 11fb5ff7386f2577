"""Exercises: check them, hide their solutions, and write learner copies (``make exercises``).

    python -m course_tools.exercises                 # learner copies in build/exercises/ (+ warnings)
    python -m course_tools.exercises --check         # only check every notebook from 01 on; exit 1 on problems
    python -m course_tools.exercises --hide notebooks/04_bag_of_words.py   # fold solutions

The convention (CONTRIBUTING.md): every notebook from 01 on ends with a Markdown
``## Exercises``, then 2-4 exercises, each a Markdown ``### Exercise N: ...`` followed by
a code cell tagged ``solution``. In the full notebooks a solution cell is folded, so a
learner can reveal it without leaving the notebook::

    # %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
    # @title Solution (double-click to reveal)
    ...

``cellView="form"`` with a ``# @title`` line makes Colab show only the title until the
learner double-clicks it; ``jupyter.source_hidden`` collapses the input in JupyterLab
and Notebook 7 (click the bar to expand). jupytext keeps both in the ``py:percent``
header. ``--hide`` adds them to a source and re-writes its paired ``.ipynb``.

Learner copies (in the spirit of INRIA's scikit-learn MOOC) replace each solution by an
empty ``# Your code here`` cell; they are generated, not committed, so they cannot drift.
CI runs the full notebooks, so a broken solution fails the build.

A solution that takes minutes (another pass of a language model, more fine-tuning) is
guarded so that "Run all" does not spend them, yet CI still runs it::

    RUN_SOLUTION = False  # True runs it
    if RUN_SOLUTION or config.run_solutions("about 2 minutes"):
        ...

:func:`course_utils.config.run_solutions` is true in the ``smoke`` profile (CI, nbval)
and with ``COURSE_RUN_SOLUTIONS=1``; otherwise it prints how to run the solution.
Every solution ends with two lines (printed or as comments) saying what its result
shows.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
OUT_DIR = ROOT / "build" / "exercises"

SOLUTION_TAG = "solution"
SOLUTION_TITLE = "# @title Solution (double-click to reveal)"
PLACEHOLDER = "# Your code here\n"
MIN_EXERCISES, MAX_EXERCISES = 2, 4
#: The py:percent header of a folded solution cell (jupytext writes metadata sorted).
SOLUTION_HEADER = '# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]'

_SECTION_RE = re.compile(r"^##\s+Exercises\s*$", re.MULTILINE)
_EXERCISE_RE = re.compile(r"^###\s+Exercise\s+(\d+)\s*[:.]?\s*(.*)$", re.MULTILINE)


@dataclass
class Exercise:
    """One ``### Exercise N: title`` and the indices of its solution cells."""

    number: int
    title: str
    heading_cell: int
    solution_cells: list[int] = field(default_factory=list)


def is_solution(cell) -> bool:
    """True for a code cell tagged ``solution``."""
    return cell.get("cell_type") == "code" and SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def is_hidden(cell) -> bool:
    """True when a solution cell is folded in Colab and in JupyterLab."""
    meta = cell.get("metadata", {})
    return (
        meta.get("cellView") == "form"
        and meta.get("jupyter", {}).get("source_hidden") is True
        and cell.get("source", "").lstrip().startswith("# @title")
    )


def find_exercises(nb) -> list[Exercise]:
    """The exercises after the ``## Exercises`` heading, in order, with their solutions."""
    exercises: list[Exercise] = []
    in_section = False
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            text = cell.source
            match = _SECTION_RE.search(text)
            if match:
                in_section = True
                text = text[match.end():]
            if in_section:
                for m in _EXERCISE_RE.finditer(text):
                    exercises.append(Exercise(int(m.group(1)), m.group(2).strip(), i))
        elif in_section and exercises and is_solution(cell):
            exercises[-1].solution_cells.append(i)
    return exercises


def check_notebook(nb, name: str = "notebook", require_hidden: bool = True) -> list[str]:
    """Problems with a notebook's exercises (an empty list when it follows the convention)."""
    if not any(c.cell_type == "markdown" and _SECTION_RE.search(c.source) for c in nb.cells):
        return [f"{name}: no '## Exercises' heading (the notebook must end with 2-4 exercises)"]
    exercises = find_exercises(nb)
    problems = []
    if not MIN_EXERCISES <= len(exercises) <= MAX_EXERCISES:
        problems.append(f"{name}: {len(exercises)} exercise(s); write {MIN_EXERCISES}-{MAX_EXERCISES}")
    numbers = [e.number for e in exercises]
    if numbers != list(range(1, len(exercises) + 1)):
        problems.append(f"{name}: exercises are numbered {numbers}; number them 1, 2, 3, ...")
    for e in exercises:
        if not e.solution_cells:
            problems.append(
                f"{name}: Exercise {e.number} has no solution cell; follow its Markdown with "
                '"# %% tags=[\\"solution\\"]"'
            )
        if not e.title:
            problems.append(f"{name}: Exercise {e.number} has no title ('### Exercise N: title')")
    stray = [i for i, c in enumerate(nb.cells) if is_solution(c)
             and not any(i in e.solution_cells for e in exercises)]
    if stray:
        problems.append(f"{name}: cells {stray} are tagged solution outside an exercise")
    if require_hidden:
        unhidden = [i for e in exercises for i in e.solution_cells if not is_hidden(nb.cells[i])]
        if unhidden:
            problems.append(
                f"{name}: solution cell(s) {unhidden} are not folded for Colab/JupyterLab; run "
                f"`python -m course_tools.exercises --hide notebooks/{name}.py`"
            )
    return problems


def learner_copy(nb):
    """A copy of ``nb`` with every solution replaced by an empty ``# Your code here`` cell.

    Outputs are cleared; consecutive solution cells of one exercise become one
    placeholder; a note at the top says where the solutions are. ``nb`` is unchanged.
    """
    import nbformat

    learner = copy.deepcopy(nb)
    cells = []
    for cell in learner.cells:
        if is_solution(cell):
            if cells and cells[-1].get("metadata", {}).get("placeholder"):
                continue
            cells.append(nbformat.v4.new_code_cell(PLACEHOLDER.rstrip("\n"),
                                                   metadata={"placeholder": True}))
            continue
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    for cell in cells:
        cell.get("metadata", {}).pop("placeholder", None)
    learner.cells = cells
    learner.metadata.pop("jupytext", None)  # a learner copy is not paired with a source
    return learner


def hide_solutions_in_source(path: Path) -> int:
    """Fold the solution cells of a ``py:percent`` source; return how many were changed.

    Rewrites each ``# %% ... tags=["solution"]`` header to :data:`SOLUTION_HEADER` and
    puts :data:`SOLUTION_TITLE` first in the cell. Only those lines change. Idempotent.
    """
    path = Path(path)
    if path.suffix != ".py" or not path.is_file():
        raise ValueError(f"{path} is not a py:percent notebook source (notebooks/NN_name.py).")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out, changed = [], 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("# %%") and '"solution"' in line and "[markdown]" not in line:
            header = SOLUTION_HEADER + "\n"
            has_title = i + 1 < len(lines) and lines[i + 1].startswith("# @title")
            if line != header or not has_title:
                changed += 1
            out.append(header)
            if not has_title:
                out.append(SOLUTION_TITLE + "\n")
        else:
            out.append(line)
        i += 1
    if changed:
        path.write_text("".join(out), encoding="utf-8")
    return changed


def sync_ipynb(source: Path) -> Path:
    """Re-write the ``.ipynb`` paired with a source: ``jupytext --to ipynb --update``.

    ``--update`` keeps the existing cell ids, so only the changed cells differ in git.
    """
    from jupytext.cli import jupytext as jupytext_cli

    source = Path(source)
    target = source.with_suffix(".ipynb")
    args = ["--to", "ipynb", "--quiet", str(source)]
    jupytext_cli((["--update"] if target.is_file() else []) + args)
    return target


def course_notebooks(first: int = 1) -> list[Path]:
    """``notebooks/NN_name.ipynb`` with ``NN >= first``, in order."""
    return [p for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) if int(p.name[:2]) >= first]


def write_learner_copies(paths: list[Path], out_dir: Path = OUT_DIR) -> list[Path]:
    """Write a learner copy of each notebook to ``out_dir``; return the written paths."""
    import nbformat

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        learner = learner_copy(nb)
        note = nbformat.v4.new_markdown_cell(
            f"*Learner copy of `notebooks/{path.name}`: the exercise solutions are removed "
            "(each is now an empty `# Your code here` cell). The full notebook has a "
            "solution under each exercise.*"
        )
        learner.cells.insert(1 if learner.cells else 0, note)
        target = out_dir / path.name
        nbformat.write(learner, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the exercises")
    parser.add_argument("--hide", nargs="+", type=Path, metavar="SOURCE",
                        help="fold the solution cells of these py:percent sources and re-pair")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder for learner copies")
    args = parser.parse_args(argv)

    if args.hide:
        try:
            for source in args.hide:
                n = hide_solutions_in_source(source)
                if n:
                    sync_ipynb(source)
                print(f"{source}: {n} solution cell(s) folded"
                      + (f"; {source.with_suffix('.ipynb').name} re-written" if n else ""))
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0

    import nbformat

    paths = course_notebooks()
    problems = []
    for path in paths:
        problems += check_notebook(nbformat.read(path, as_version=4), path.stem)
    for problem in problems:
        print(f"  {'problem' if args.check else 'warning'}: {problem}")
    print(f"Checked {len(paths)} notebook(s) from 01 on: {len(problems)} problem(s).")
    if args.check:
        return 1 if problems else 0
    written = write_learner_copies(paths, args.out)
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"Wrote {len(written)} learner cop{'y' if len(written) == 1 else 'ies'} to {shown}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
