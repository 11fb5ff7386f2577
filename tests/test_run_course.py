"""Executed copies hold what a learner sees: figures as images, progress bars as text."""

from pathlib import Path

import nbformat
import pytest

from course_tools import run_course

ROOT = Path(__file__).resolve().parent.parent


def tiny_notebook(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()"),
        nbformat.v4.new_code_cell("from tqdm.auto import tqdm\nfor _ in tqdm(range(3), desc='work'):\n    pass"),
        nbformat.v4.new_code_cell("print('no plot here')"),
    ]
    path = tmp_path / "99_tiny.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_executed_copy_holds_the_figure_and_a_finished_text_bar(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")  # as a Makefile or a CI runner might set it
    status, _, error = run_course.run_notebook(tiny_notebook(tmp_path), tmp_path / "out", 120)
    assert status == "ok", error
    nb = nbformat.read(tmp_path / "out" / "99_tiny.ipynb", as_version=4)
    assert any("image/png" in out.get("data", {}) for out in nb.cells[0].outputs)
    bar = "".join(out.get("text", "") for out in nb.cells[1].outputs)
    assert "work: 100%" in bar and "3/3" in bar
    assert run_course.figure_problems(nb) == []


def test_figure_problems_names_plots_without_images():
    nb = nbformat.v4.new_notebook()
    plot = nbformat.v4.new_code_cell("plt.hist(x)")
    plot.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "<Axes: >"})]
    quiet = nbformat.v4.new_code_cell("print(1)")
    nb.cells = [plot, quiet]
    problems = run_course.figure_problems(nb)
    assert problems == ["cell 0: plots but holds no image",
                        "cell 0: prints a matplotlib object (end the cell with plt.show())"]


@pytest.mark.parametrize("profile", ["smoke", "fast"])
def test_executed_course_copies_hold_their_figures(profile):
    """Every executed copy in build/<profile>/ (written by run_course) shows its figures."""
    copies = sorted((ROOT / "build" / profile).glob("[0-9][0-9]_*.ipynb"))
    if not copies:
        pytest.skip(f"no executed copies in build/{profile}/ (run: COURSE_PROFILE={profile} "
                    "python -m course_tools.run_course)")
    problems = {p.name: run_course.figure_problems(nbformat.read(p, as_version=4)) for p in copies}
    assert {k: v for k, v in problems.items() if v} == {}
