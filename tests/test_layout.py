"""The teaching library stays readable and apart from the course machinery.

``course_utils`` is what Colab installs and what learners read; ``course_tools`` builds
the course (results tables, slides, README, the notebook runner) and is never installed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
TEACHING = ROOT / "course_utils"
MACHINERY = ROOT / "course_tools"
MAX_LINES = 600
MACHINERY_NAMES = {"results", "finetune_results", "llm_results", "short_answer_results",
                   "run_course", "readme", "exercises", "slides"}


def _modules(package: Path) -> list[Path]:
    return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", _modules(TEACHING), ids=lambda p: str(p.relative_to(ROOT)))
def test_teaching_module_is_short_and_never_imports_machinery(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(ROOT)} has {n} lines; split it (limit {MAX_LINES})"
    bad = sorted(m for m in _imported(path) if m.split(".")[0] == "course_tools")
    assert not bad, f"{path.relative_to(ROOT)} imports the course machinery: {bad}"


def test_machinery_lives_in_course_tools():
    teaching = {p.stem for p in _modules(TEACHING)} | {p.name for p in TEACHING.iterdir() if p.is_dir()}
    assert not teaching & MACHINERY_NAMES, f"machinery in course_utils: {teaching & MACHINERY_NAMES}"
    assert {p.stem for p in _modules(MACHINERY)} >= {"results", "run_course", "readme"}


def test_colab_installs_only_the_teaching_library():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    assert all(pattern.startswith("course_utils") for pattern in include), include


def test_the_check_catches_a_machinery_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from course_tools.results import register\nimport os\n")
    assert "course_tools.results" in _imported(bad)
