"""Exercises: the convention is checked, solutions fold in Colab/JupyterLab, learner copies."""

from __future__ import annotations

import nbformat
import pytest

from course_tools import exercises as ex

SOURCE = '''# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A notebook

# %%
x = 1

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: add one

# %% tags=["solution"]
print(x + 1)

# %% [markdown]
# ### Exercise 2: add two

# %% tags=["solution"]
y = x + 2

# %% tags=["solution"]
print(y)
'''


def make_nb(n_exercises: int = 2, solutions: bool = True, hidden: bool = False,
            heading: bool = True, numbers: list[int] | None = None):
    cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("x = 1")]
    if heading:
        cells.append(nbformat.v4.new_markdown_cell("## Exercises"))
    for k, number in enumerate(numbers or range(1, n_exercises + 1)):
        cells.append(nbformat.v4.new_markdown_cell(f"### Exercise {number}: task {k}"))
        if solutions:
            meta = {"tags": ["solution"]}
            source = f"print({k})"
            if hidden:
                meta.update(cellView="form", jupyter={"source_hidden": True})
                source = ex.SOLUTION_TITLE + "\n" + source
            cell = nbformat.v4.new_code_cell(source, metadata=meta)
            cell.outputs = [nbformat.v4.new_output("stream", text=f"{k}\n")]
            cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells)


def test_a_good_notebook_has_no_problems():
    nb = make_nb(3, hidden=True)
    found = ex.find_exercises(nb)
    assert [(e.number, e.title) for e in found] == [(1, "task 0"), (2, "task 1"), (3, "task 2")]
    assert all(len(e.solution_cells) == 1 for e in found)
    assert ex.check_notebook(nb) == []


@pytest.mark.parametrize(
    ("nb", "message"),
    [
        (make_nb(heading=False), "no '## Exercises' heading"),
        (make_nb(1, hidden=True), "1 exercise(s); write 2-4"),
        (make_nb(5, hidden=True), "5 exercise(s); write 2-4"),
        (make_nb(2, solutions=False), "Exercise 1 has no solution cell"),
        (make_nb(numbers=[1, 3], hidden=True), "numbered [1, 3]"),
        (make_nb(2, hidden=False), "not folded for Colab/JupyterLab"),
    ],
)
def test_problems_are_named(nb, message):
    problems = ex.check_notebook(nb, "04_x")
    assert any(message in p for p in problems), problems


def test_unhidden_solutions_pass_when_folding_is_not_required():
    assert ex.check_notebook(make_nb(2), require_hidden=False) == []


def test_learner_copy_replaces_solutions_and_leaves_the_original():
    nb = make_nb(3, hidden=True)
    learner = ex.learner_copy(nb)
    assert sum(ex.is_solution(c) for c in nb.cells) == 3  # original untouched
    assert not any(ex.is_solution(c) for c in learner.cells)
    placeholders = [c for c in learner.cells if c.source == ex.PLACEHOLDER.strip()]
    assert len(placeholders) == 3
    assert all(not c.get("outputs") for c in learner.cells if c.cell_type == "code")
    assert not any("print(" in c.source for c in learner.cells)
    assert [c.source for c in learner.cells if c.cell_type == "markdown"] == [
        c.source for c in nb.cells if c.cell_type == "markdown"
    ]


def test_consecutive_solution_cells_become_one_placeholder(tmp_path):
    import jupytext

    path = tmp_path / "04_demo.py"
    path.write_text(SOURCE)
    nb = jupytext.read(path)
    assert [len(e.solution_cells) for e in ex.find_exercises(nb)] == [1, 2]
    learner = ex.learner_copy(nb)
    assert [c.source for c in learner.cells if c.cell_type == "code"] == [
        "x = 1", "# Your code here", "# Your code here"
    ]


def test_hide_folds_solutions_and_jupytext_keeps_the_metadata(tmp_path):
    import jupytext

    path = tmp_path / "04_demo.py"
    path.write_text(SOURCE)
    assert ex.hide_solutions_in_source(path) == 3
    text = path.read_text()
    assert text.count(ex.SOLUTION_HEADER + "\n" + ex.SOLUTION_TITLE + "\n") == 3
    assert ex.hide_solutions_in_source(path) == 0  # idempotent
    assert path.read_text() == text
    ipynb = ex.sync_ipynb(path)
    for nb in (jupytext.read(path), nbformat.read(ipynb, as_version=4)):
        assert ex.check_notebook(nb, "04_demo") == []
        sols = [c for c in nb.cells if ex.is_solution(c)]
        assert len(sols) == 3 and all(ex.is_hidden(c) for c in sols)
    # and back: ipynb -> py:percent keeps the header
    jupytext.write(nbformat.read(ipynb, as_version=4), tmp_path / "back.py", fmt="py:percent")
    assert (tmp_path / "back.py").read_text().count(ex.SOLUTION_HEADER) == 3


def test_hide_rejects_what_is_not_a_source(tmp_path):
    with pytest.raises(ValueError, match="py:percent"):
        ex.hide_solutions_in_source(tmp_path / "missing.py")
    (tmp_path / "a.ipynb").write_text("{}")
    with pytest.raises(ValueError, match="py:percent"):
        ex.hide_solutions_in_source(tmp_path / "a.ipynb")


# --------------------------------------------------------------------------------------
# The course's notebooks
# --------------------------------------------------------------------------------------
COURSE = ex.course_notebooks()


def _read(path):
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_notebook_has_two_to_four_exercises_with_solutions(path):
    assert ex.check_notebook(_read(path), path.stem, require_hidden=False) == []


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_folding_the_solutions_keeps_the_notebook_and_its_pair(path, tmp_path):
    """``--hide`` on a copy: every solution folds, jupytext keeps it, nothing else changes."""
    import shutil

    import jupytext

    source = tmp_path / path.with_suffix(".py").name
    shutil.copy(path.with_suffix(".py"), source)
    shutil.copy(path, tmp_path / path.name)
    ex.hide_solutions_in_source(source)
    ex.sync_ipynb(source)
    before, after = jupytext.read(path.with_suffix(".py")), _read(tmp_path / path.name)
    assert ex.check_notebook(after, path.stem) == []
    assert ex.check_notebook(jupytext.read(source), path.stem) == []
    assert len(before.cells) == len(after.cells)
    for old, new in zip(before.cells, after.cells):
        if ex.is_solution(old) and not old.source.startswith("# @title"):
            assert new.source == ex.SOLUTION_TITLE + "\n" + old.source
        else:
            assert (new.cell_type, new.source) == (old.cell_type, old.source)


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_a_notebook_folds_all_of_its_solutions_or_none(path):
    """Folding is applied per notebook (`--hide`); a half-folded notebook is a mistake."""
    nb = _read(path)
    folded = [ex.is_hidden(c) for c in nb.cells if ex.is_solution(c)]
    assert all(folded) or not any(folded), f"{path.name}: fold all with --hide"


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_solutions_are_executed_in_ci(path):
    """nbval runs every solution: none may be skipped or allowed to fail."""
    for cell in _read(path).cells:
        if ex.is_solution(cell):
            tags = set(cell.metadata.get("tags", []))
            assert not tags & {"nbval-skip", "raises-exception", "skip-execution"}, tags


def test_make_exercises_writes_learner_copies(tmp_path, capsys):
    ex.main(["--out", str(tmp_path)])
    written = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert written == [p.name for p in COURSE]
    for path in COURSE:
        full, learner = _read(path), _read(tmp_path / path.name)
        solutions = [c.source for c in full.cells if ex.is_solution(c)]
        codes = [c.source for c in learner.cells if c.cell_type == "code"]
        assert not any(ex.is_solution(c) for c in learner.cells)
        assert codes.count(ex.PLACEHOLDER.strip()) == len(ex.find_exercises(full))
        assert not any(s in codes for s in solutions if s.strip())
    assert "learner cop" in capsys.readouterr().out


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_every_solution_is_folded_for_colab(path):
    """Learners reveal a solution in place (Colab form / JupyterLab hidden source)."""
    nb = _read(path)
    hidden = [ex.is_hidden(c) for c in nb.cells if ex.is_solution(c)]
    assert hidden and all(hidden), f"{path.name}: run `python -m course_tools.exercises --hide {path}`"
