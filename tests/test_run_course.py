"""The notebook runner (``make course``) on tiny notebooks of its own, in a temporary folder.

Executed copies must hold what a learner sees (figures as images, progress bars as text);
the summary names each notebook's status and the total; the times are merged into a CSV
(``results/notebook_times.csv`` in the course) without losing other profiles' rows. None
of this needs ``build/<profile>/`` from an earlier ``make course``: every test here can fail in CI.
"""

import csv
from pathlib import Path

import nbformat
import pytest

from course_tools import run_course


def write_notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


def tiny_course(folder: Path) -> Path:
    """A notebooks folder: one notebook that plots and shows a progress bar, one that fails."""
    folder.mkdir(parents=True)
    write_notebook(folder / "98_tiny.ipynb",
                   "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()",
                   "from tqdm.auto import tqdm\nfor _ in tqdm(range(3), desc='work'):\n    pass",
                   "print('no plot here')")
    write_notebook(folder / "99_broken.ipynb", "raise ValueError('tiny failure')")
    (folder / "notes.ipynb").write_text("{}")  # not a course notebook: no NN_ prefix
    return folder


def read_times(path: Path) -> list[dict]:
    with path.open() as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_make_course_runs_summarises_and_records_times(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(run_course, "ROOT", tmp_path)
    monkeypatch.setattr(run_course, "NOTEBOOKS", tiny_course(tmp_path / "notebooks"))
    monkeypatch.setattr(run_course, "TIMES", tmp_path / "results" / "notebook_times.csv")
    monkeypatch.setattr(run_course, "machine", lambda: "test machine")
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    monkeypatch.setenv("MPLBACKEND", "Agg")  # as a Makefile or a CI runner might set it
    run_course.record_times([  # an earlier run: one row to replace, two to keep
        {"notebook": "98_tiny", "profile": "smoke", "status": "ok", "seconds": "999.0", "machine": "old"},
        {"notebook": "98_tiny", "profile": "fast", "status": "ok", "seconds": "5.0", "machine": "old"},
        {"notebook": "00_setup", "profile": "smoke", "status": "ok", "seconds": "1.0", "machine": "old"},
    ], "smoke")

    assert run_course.main(["--timeout", "120", "--note", "shared"]) == 1  # one notebook failed
    out = capsys.readouterr().out
    assert "Profile: smoke" in out and "Summary (smoke profile, test machine (shared))" in out
    assert "\n    ValueError: tiny failure\n" in out  # the error's last line, without colour codes
    lines = out.split("Summary")[1].splitlines()
    assert [line.split()[:2] for line in lines[2:5]] == [["98_tiny", "ok"], ["99_broken", "FAILED"], ["total", "1/2"]]

    times = read_times(run_course.TIMES)
    assert [(r["notebook"], r["profile"], r["status"]) for r in times] == [
        ("98_tiny", "fast", "ok"), ("00_setup", "smoke", "ok"), ("98_tiny", "smoke", "ok"),
        ("99_broken", "smoke", "FAILED")]
    tiny = times[2]
    assert 0 < float(tiny["seconds"]) < 120 and tiny["machine"] == "test machine (shared)"

    copy = nbformat.read(tmp_path / "build" / "smoke" / "98_tiny.ipynb", as_version=4)
    assert any("image/png" in out.get("data", {}) for out in copy.cells[0].outputs)
    bar = "".join(out.get("text", "") for out in copy.cells[1].outputs)
    assert "work: 100%" in bar and "3/3" in bar
    assert run_course.figure_problems(copy) == []

    # --no-record leaves the CSV alone; a prefix that matches nothing is an error
    monkeypatch.setattr(run_course, "run_notebook", lambda path, out_dir, timeout: ("ok", 1.0, ""))
    before = run_course.TIMES.read_text()
    assert run_course.main(["98", "--no-record"]) == 0
    assert run_course.TIMES.read_text() == before
    assert run_course.main(["42"]) == 2


def test_summary_counts_failures_and_adds_the_seconds():
    rows = [{"notebook": "01_a", "status": "ok", "seconds": "1.5"},
            {"notebook": "02_b", "status": "FAILED", "seconds": "2.0"}]
    lines = run_course.summary(rows)
    assert lines[-1].split() == ["total", "1/2", "ok", "3.5"]
    assert lines[2].split() == ["02_b", "FAILED", "2.0"]


def test_figure_problems_names_plots_without_images():
    nb = nbformat.v4.new_notebook()
    plot = nbformat.v4.new_code_cell("plt.hist(x)")
    plot.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "<Axes: >"})]
    quiet = nbformat.v4.new_code_cell("print(1)")
    skipped = nbformat.v4.new_code_cell("plt.plot(solution)")
    skipped.outputs = [nbformat.v4.new_output("stream", text="solution skipped")]
    nb.cells = [plot, quiet, skipped]
    problems = run_course.figure_problems(nb)
    assert problems == ["cell 0: plots but holds no image",
                        "cell 0: prints a matplotlib object (end the cell with plt.show())"]


def test_slowest_first_orders_by_this_profiles_recorded_times(tmp_path):
    times = tmp_path / "times.csv"
    run_course.record_times([
        {"notebook": "01_a", "profile": "smoke", "status": "ok", "seconds": "5.0", "machine": "m"},
        {"notebook": "02_b", "profile": "smoke", "status": "ok", "seconds": "50.0", "machine": "m"},
        {"notebook": "03_c", "profile": "fast", "status": "ok", "seconds": "500.0", "machine": "m"},
        {"notebook": "01_a", "profile": "fast", "status": "ok", "seconds": "900.0", "machine": "m"},
    ], "smoke", times)
    paths = [Path(f"notebooks/{n}.ipynb") for n in ("01_a", "02_b", "03_c")]
    # 03_c has no smoke time: unknown goes first; then the slowest smoke time
    assert [p.stem for p in run_course.slowest_first(paths, "smoke", times)] == ["03_c", "02_b", "01_a"]
    assert [p.stem for p in run_course.slowest_first(paths, "fast", times)] == ["02_b", "01_a", "03_c"]
    assert run_course.slowest_first(paths, "smoke", tmp_path / "none.csv") == paths
