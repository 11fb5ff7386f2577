"""Colab contract: dependencies Colab's image meets, the pinned-venv checker, one repository address."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.version import Version

from course_tools import colab_env, colab_links

ROOT = Path(__file__).resolve().parent.parent
FREEZE = ROOT / ".ci" / "colab-pip-freeze.gpu.txt"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
# Front-end and test tools: Colab ships its own; the package must never pull them in.
NOT_RUNTIME = {"ipykernel", "ipywidgets", "ipython", "jupyterlab", "notebook", "jupyter-client",
               "nbval", "nbclient", "nbformat", "nbconvert", "jupytext", "pytest", "ruff"}


@pytest.fixture(scope="module")
def colab():
    return colab_env.parse_freeze(FREEZE.read_text())


# --- dependencies ------------------------------------------------------------------------
def test_every_lower_bound_is_met_by_colabs_image(colab):
    assert len(colab) > 500, "the Colab freeze looks truncated"
    checked = 0
    for line in PROJECT["dependencies"]:
        req = Requirement(line)
        name = colab_env.canonical(req.name)
        if name in colab and name != "torch":
            version = Version(colab[name])
            assert req.specifier.contains(version, prereleases=True), (
                f"{line} rejects Colab's {name}=={version}: installing the course would change it")
            checked += 1
    torch = next(Requirement(d) for d in PROJECT["dependencies"] if d.startswith("torch"))
    assert torch.specifier.contains(Version(colab["torch"].split("+")[0]))  # 2.11.0+cu128
    assert checked >= 10


def test_package_requires_no_jupyter_front_end():
    names = {colab_env.canonical(Requirement(d).name) for d in PROJECT["dependencies"]}
    assert not names & NOT_RUNTIME, f"move {sorted(names & NOT_RUNTIME)} to requirements-dev.txt"
    dev = set(colab_env.requirement_names((ROOT / "requirements-dev.txt").read_text()))
    extra = {colab_env.canonical(Requirement(d).name) for d in PROJECT["optional-dependencies"]["dev"]}
    assert {"ipykernel", "ipywidgets"} <= extra and extra <= dev


def test_dev_requirements_accept_colabs_jupyter(colab):
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            name = colab_env.canonical(req.name)
            if name in colab:
                assert req.specifier.contains(Version(colab[name])), f"{line} vs Colab's {colab[name]}"


# --- the pinned-venv checker ---------------------------------------------------------------
FREEZE_TEXT = """# comment
torch==2.11.0+cu128
nvidia-cublas-cu12==12.8.4.1
Scikit_Learn==1.6.1
numpy==2.1.3
google-colab @ file:///colabtools/dist/google_colab-1.0.0.tar.gz
"""


def test_constraints_leave_out_the_cuda_stack():
    pins = colab_env.parse_freeze(FREEZE_TEXT)
    assert pins == {"torch": "2.11.0+cu128", "nvidia-cublas-cu12": "12.8.4.1", "scikit-learn": "1.6.1", "numpy": "2.1.3"}
    assert colab_env.constraints(pins, ["torch==2.13.0"]) == ["numpy==2.1.3", "scikit-learn==1.6.1", "torch==2.13.0"]
    assert colab_env.preinstall(pins, ["scikit-learn", "torch", "trl"]) == ["scikit-learn==1.6.1"]
    assert colab_env.requirement_names("numpy>=1.26  # why\n-r other.txt\ntrl[peft]>=0.2\n") == ["numpy", "trl"]


def test_check_names_every_package_that_moved(tmp_path, capsys):
    before, after = tmp_path / "before.txt", tmp_path / "after.txt"
    before.write_text("numpy==2.1.3\ndatasets==4.0.0\npandas==2.2.3\n")
    after.write_text("numpy==2.1.3\ndatasets==4.7.0\ntrl==0.29.1\n")
    assert colab_env.main(["check", str(before), str(after)]) == 1
    err = capsys.readouterr().err
    assert "datasets: 4.0.0 -> 4.7.0" in err and "pandas: 2.2.3 -> uninstalled" in err and "numpy" not in err
    after.write_text("numpy==2.1.3\ndatasets==4.0.0\npandas==2.2.3\ntrl==0.29.1\n")
    assert colab_env.main(["check", str(before), str(after)]) == 0
    assert "added 1: trl" in capsys.readouterr().out
    colab = tmp_path / "colab.txt"
    colab.write_text("numpy==2.1.3\ndatasets==4.0.0\npandas==2.2.3\ntrl==0.20.0\n")
    assert colab_env.main(["check", str(before), str(after), str(colab)]) == 1  # new here, older in Colab
    assert "trl: Colab has 0.20.0, the install brought 0.29.1" in capsys.readouterr().err
    assert colab_env.main(["constraints", str(tmp_path / "missing.txt"), str(after)]) == 2


# --- the first cell and the repository address ---------------------------------------------
def first_code_cell(source: Path) -> str:
    cells = re.split(r"^# %%.*$", source.read_text(), flags=re.M)
    return next(c for c in cells[1:] if c.strip() and not c.lstrip().startswith("# #")).strip()


def test_first_cell_is_the_same_small_cell_everywhere():
    cells = {p.stem: first_code_cell(p) for p in NOTEBOOKS}
    reference = cells["00_setup"]
    assert all(cell == reference for cell in cells.values()), [s for s, c in cells.items() if c != reference]
    assert len(reference.splitlines()) <= 6
    assert reference.count("print(") == 1 and "no restart" in reference
    assert f'"git+https://github.com/{colab_links.repo_slug()}"' in reference


def test_every_link_points_to_the_repository_in_pyproject():
    slug = colab_links.repo_slug()
    assert slug == PROJECT["urls"]["Repository"].removeprefix("https://github.com/")
    found = {}
    for path in colab_links.files_with_links():
        for other in colab_links.github_slugs(path.read_text()):
            found.setdefault(other, []).append(path.name)
    third_party: set[str] = set()  # GitHub links to other projects would be listed here
    assert set(found) - third_party == {slug}, f"links to other copies of the course: {found}"
    readme = (ROOT / "README.md").read_text()
    assert readme.count(f"colab.research.google.com/github/{slug}/blob/main/notebooks/") == len(NOTEBOOKS)


def test_colab_links_rewrites_a_fork(tmp_path):
    for name in ("pyproject.toml", "README.md", "CONTRIBUTING.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "notebooks").mkdir()
    for suffix in (".py", ".ipynb"):
        shutil.copy(ROOT / "notebooks" / f"00_setup{suffix}", tmp_path / "notebooks" / f"00_setup{suffix}")
    old = colab_links.repo_slug()
    fork = "a-teacher/my-course" if old != "a-teacher/my-course" else "another/fork"
    changed = colab_links.rewrite(fork, root=tmp_path)
    assert {p.name for p in changed} == {"pyproject.toml", "README.md", "CONTRIBUTING.md", "00_setup.py", "00_setup.ipynb"}
    assert colab_links.repo_slug(tmp_path) == fork
    for path in changed:
        assert old not in path.read_text(), path.name
    cell = json.loads((tmp_path / "notebooks" / "00_setup.ipynb").read_text())["cells"]
    assert any(f'"git+https://github.com/{fork}"' in "".join(c["source"]) for c in cell)
    assert f"colab.research.google.com/github/{fork}/blob/main/notebooks/00_setup.ipynb" in (
        tmp_path / "README.md").read_text()
    with pytest.raises(ValueError, match="owner/name"):
        colab_links.rewrite("not a repo", root=tmp_path)


def test_planned_lists_what_colab_already_has():
    pins = colab_env.parse_freeze("pydantic==2.11.9\nnltk==3.9.1\ntorch==2.11.0\n")
    report = {"install": [{"metadata": {"name": n}} for n in ("Pydantic", "nltk", "trl", "torch")]}
    assert colab_env.planned(pins, report) == ["nltk==3.9.1", "pydantic==2.11.9"]


def test_the_installed_package_ships_the_files_it_reads():
    """Colab installs a wheel without the repository's data/: the rubric must be package data."""
    from course_utils import prompts

    assert prompts.RUBRIC_PATH.is_file() and prompts.RUBRIC_PATH.parent == Path(prompts.__file__).resolve().parent
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert any(prompts.RUBRIC_PATH.match(p) for p in package_data["course_utils"])


def test_the_wheel_holds_every_data_file_the_library_reads(tmp_path):
    """A pip install (Colab's first cell) has no repository folders: whatever course_utils
    reads from disk must be inside the package and in the wheel."""
    import subprocess
    import sys
    import zipfile

    for path in (ROOT / "course_utils").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "parents[2]" not in text and 'parent.parent / "data"' not in text, (
            f"{path.relative_to(ROOT)} reads a file outside the package; make it package data")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    str(ROOT), "-w", str(tmp_path)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data_files = [p for p in (ROOT / "course_utils").rglob("*")
                  if p.is_file() and p.suffix in {".csv", ".npz"} and "__pycache__" not in p.parts]
    assert len(data_files) >= 4
    missing = [str(p.relative_to(ROOT)) for p in data_files if str(p.relative_to(ROOT)) not in names]
    assert not missing, f"not in the wheel (add to [tool.setuptools.package-data]): {missing}"
