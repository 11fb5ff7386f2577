"""Checks on the repository itself: notebook pairs, clean outputs, no secrets, env files."""

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
IPYNBS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
KEY_PATTERN = re.compile(r"(gsk_[A-Za-z0-9]{20,}|csk-[A-Za-z0-9]{20,}|hf_[A-Za-z0-9]{30,}|sk-[A-Za-z0-9]{30,})")


def tracked_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()
    return [ROOT / p for p in out if (ROOT / p).is_file()]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 4


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.stem)
def test_pair_exists_and_is_in_sync(source):
    import jupytext

    paired = source.with_suffix(".ipynb")
    assert paired.is_file(), f"{paired.name} is missing: run `jupytext --to ipynb {source}`"
    text_nb = jupytext.read(source)
    json_nb = jupytext.read(paired)
    a = [(c.cell_type, c.source.strip()) for c in text_nb.cells]
    b = [(c.cell_type, c.source.strip()) for c in json_nb.cells]
    assert a == b, f"{paired.name} is out of sync with {source.name}: run `make sync`"
    formats = json_nb.metadata.get("jupytext", {}).get("formats", "")
    assert "py:percent" in formats, f"{paired.name} is not paired with a py:percent source"


@pytest.mark.parametrize("notebook", IPYNBS, ids=lambda p: p.stem)
def test_committed_notebooks_are_clean(notebook):
    nb = json.loads(notebook.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{notebook.name} cell {i} has outputs: clear them"
            assert cell.get("execution_count") is None, f"{notebook.name} cell {i} has a count"
    assert notebook.with_suffix(".py").is_file(), f"{notebook.name} has no .py source"


def test_no_key_like_strings_committed():
    hits = []
    for path in tracked_files():
        if path.suffix in {".png", ".jpg", ".gz", ".zip", ".parquet", ".safetensors"}:
            continue
        try:
            text = path.read_text(errors="ignore")
        except OSError:
            continue
        if KEY_PATTERN.search(text):
            hits.append(str(path.relative_to(ROOT)))
    assert not hits, f"key-like strings in {hits}"


def _names(lines):
    names = set()
    for line in lines:
        line = line.split("#")[0].strip().lstrip("- ").strip()
        if not line or line.startswith("-"):
            continue
        names.add(re.split(r"[<>=!\s]", line, maxsplit=1)[0].lower())
    return names


def test_environment_yml_parses_and_covers_requirements():
    yaml = pytest.importorskip("yaml")
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["name"] == "ai-scoring"
    deps = env["dependencies"]
    conda = _names(d for d in deps if isinstance(d, str))
    pip = _names(next(d["pip"] for d in deps if isinstance(d, dict)))
    reqs = _names((ROOT / "requirements.txt").read_text().splitlines())
    missing = reqs - conda - pip
    assert not missing, f"environment.yml lacks {sorted(missing)} from requirements.txt"


def test_readme_and_ci_give_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make course" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_lists_every_notebook():
    readme = (ROOT / "README.md").read_text()
    for source in NOTEBOOKS:
        assert f"notebooks/{source.stem}.ipynb" in readme, f"README lacks {source.stem}"


def test_pyproject_dependencies_match_requirements():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = _names(project["dependencies"]) - {"torch"}
    reqs = _names((ROOT / "requirements.txt").read_text().splitlines())
    assert deps == reqs, "pyproject.toml's dependencies and requirements.txt differ"


def test_readme_notebook_table_is_current():
    from course_tools import readme

    current = (ROOT / "README.md").read_text()
    assert readme.render(current) == current, "run `python -m course_tools.readme`"


def test_run_times_live_in_the_csv_and_the_readme_only():
    """A re-measure changes results/notebook_times.csv and README.md, not forty notebook files."""
    stamped = [p.name for p in NOTEBOOKS if re.search(r"^# \*Run time", p.read_text(), flags=re.M)]
    assert stamped == [], f"{stamped} carry a run-time line: delete it (the README's table has the times)"
    from course_tools import readme

    rows = readme.measured_rows()
    assert rows, "results/notebook_times.csv holds no notebook that ran ok"
    lines = {x.split("](notebooks/")[1].split(".ipynb")[0]: x for x in readme.table().splitlines()
             if "](notebooks/" in x}
    column = {"smoke": 4, "fast": 5, "full": 6}
    for (stem, profile), row in rows.items():
        if stem in lines and profile in column:
            cell = lines[stem].split("|")[column[profile]].strip()
            assert cell == f"{float(row['seconds']):.0f} s", f"README table: {stem} {profile} shows {cell!r}"
