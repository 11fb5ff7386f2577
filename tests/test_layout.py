"""The teaching library stays readable and apart from the course machinery.

``course_utils`` is what Colab installs and what learners read; ``course_tools`` builds
the course (results tables, slides, README, the notebook runner) and is never installed.
Structure a newcomer can change in an afternoon: no ``course_utils`` module over
:data:`MAX_LINES` lines, no function over :data:`MAX_FUNCTION_LINES` lines in either
package, no import circle among their modules (imports at any depth count, function-local
ones included; importing a name your own package's ``__init__`` re-exports counts as
importing the package).
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
TEACHING = ROOT / "course_utils"
MACHINERY = ROOT / "course_tools"
MAX_LINES = 450
MAX_FUNCTION_LINES = 60
PACKAGES = ("course_utils", "course_tools")
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


# --- structure: function length and import circles ------------------------------------------
def long_functions(path: Path, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """``"name (N lines, line L)"`` for each function of ``path`` longer than ``limit`` lines.

    A function's length runs from its ``def`` line to its last line (decorators not counted);
    methods are named ``Class.method``, nested functions ``outer.<locals>.inner``.
    """
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = child.end_lineno - child.lineno + 1
                if n > limit:
                    found.append(f"{prefix}{child.name} ({n} lines, line {child.lineno})")
                visit(child, f"{prefix}{child.name}.<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return found


def module_files(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``packages`` (a package is its ``__init__``)."""
    modules = {}
    for package in packages:
        for path in _modules(root / package):
            parts = path.relative_to(root).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def import_edges(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, dict[str, str]]:
    """``{importer: {imported: "file:line"}}`` among the modules of ``packages``.

    Every ``import`` statement counts, at any depth (inside functions too). ``from P import
    name`` is an import of the submodule ``P.name`` when there is one, else of ``P`` itself
    (its ``__init__``, which holds the re-export). Relative imports are resolved.
    """
    modules = module_files(root, packages)

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, dict[str, str]] = {name: {} for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [known(alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(up + ([node.module] if node.module else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else known(base)
                           for a in node.names]
            where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
            for target in targets:
                if target and target != name:
                    edges[name].setdefault(target, where)
    return edges


def import_circles(edges: dict[str, dict[str, str]]) -> list[str]:
    """One readable circle per group of modules that import each other (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, {}):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(set(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return [_circle(edges, sorted(c)[0], c) for c in components]


def _circle(edges: dict[str, dict[str, str]], start: str, members: set[str]) -> str:
    """The shortest path ``start -> ... -> start`` inside ``members``, each step with where it is."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(edges[v]):
            if w in members and w not in came_from:
                came_from[w] = v
                if w == start:
                    queue.clear()
                    break
                queue.append(w)
    path = [start]
    while True:
        path.insert(0, came_from[path[0]])
        if path[0] == start:
            break
    steps = [f"{a} imports {b} ({edges[a][b]})" for a, b in zip(path, path[1:])]
    return f"{' -> '.join(path)}: " + "; ".join(steps) + f" [all of: {', '.join(sorted(members))}]"


def test_no_import_circle():
    circles = import_circles(import_edges())
    assert not circles, ("import circles (move the shared piece into a module both import, or import "
                         "the submodule itself instead of the package's re-export):\n  " + "\n  ".join(circles))


@pytest.mark.parametrize("path", [p for pkg in PACKAGES for p in _modules(ROOT / pkg)],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_function_over_the_limit(path):
    long = long_functions(path)
    assert not long, (f"{path.relative_to(ROOT)}: functions over {MAX_FUNCTION_LINES} lines: "
                      f"{'; '.join(long)}; split them into named steps")


def test_the_checks_catch_circles_and_long_functions(tmp_path):
    pkg = tmp_path / "course_utils"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("import os\n\ndef f():\n    from course_utils import b\n")
    (pkg / "b.py").write_text("from . import a\n")
    (pkg / "sub" / "__init__.py").write_text("from .x import helper\n")  # a re-export
    (pkg / "sub" / "x.py").write_text("from course_utils.sub import other\n\n\ndef helper():\n"
                                       + "    pass\n" * 61)
    (pkg / "c.py").write_text("import course_utils.a\n")  # imports, but not in a circle
    edges = import_edges(tmp_path, ("course_utils",))
    assert edges["course_utils.a"] == {"course_utils.b": "course_utils/a.py:4"}
    assert edges["course_utils.sub.x"] == {"course_utils.sub": "course_utils/sub/x.py:1"}
    circles = sorted(import_circles(edges))
    assert len(circles) == 2, circles
    assert circles[0].startswith("course_utils.a -> course_utils.b -> course_utils.a: "
                                 "course_utils.a imports course_utils.b (course_utils/a.py:4)")
    assert circles[1].startswith("course_utils.sub -> course_utils.sub.x -> course_utils.sub")
    assert long_functions(pkg / "sub" / "x.py") == ["helper (62 lines, line 4)"]
    assert long_functions(pkg / "a.py") == []
