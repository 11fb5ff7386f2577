"""The GitHub Actions workflows (.github/workflows/*.yml): actionlint finds nothing in them,
they run the Makefile's own targets, and the switch their full-models job uses works.

actionlint (with ShellCheck for the ``run:`` scripts) comes from requirements-dev.txt, so
``make setup`` installs both; a missing one fails here with what to run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from course_utils import config

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def tool(name: str) -> str:
    """A command installed by requirements-dev.txt: next to this Python first, then PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run `make setup` (requirements-dev.txt installs it).")
    return found


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    command = [tool("actionlint"), f"-shellcheck={tool('shellcheck')}", "-no-color", *map(str, paths)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def run_lines(workflow: dict) -> list[str]:
    return [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]


def test_the_workflows_exist():
    assert {p.name for p in WORKFLOWS} >= {"test.yml", "colab-drift.yml"}


def test_actionlint_finds_nothing():
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0, f"actionlint:\n{result.stdout}{result.stderr}"


def test_actionlint_would_catch_a_broken_workflow(tmp_path):
    """The check above can fail: a typo in a key and an unquoted variable are both reported."""
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
                      "      - run: echo $1\n        shel: bash\n")
    result = actionlint(broken)
    assert result.returncode == 1
    assert '"shel"' in result.stdout and "SC2086" in result.stdout


def test_make_targets_named_by_the_workflows_exist():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))
    for path in WORKFLOWS:
        for line in run_lines(load(path)):
            for target in re.findall(r"\bmake ([a-z][a-z-]*)", line):
                assert target in targets, f"{path.name} runs `make {target}`, which the Makefile lacks"


def test_test_workflow_runs_where_learners_are():
    workflow = load(ROOT / ".github" / "workflows" / "test.yml")
    assert set(workflow["on"]) == {"push", "pull_request"}
    assert "--index-url https://download.pytorch.org/whl/cpu" in workflow["env"]["TORCH_PIP_OPTS"]
    test, full = workflow["jobs"]["test"], workflow["jobs"]["full-models"]
    assert test["strategy"]["matrix"]["python"] == ["3.11", "3.13"]
    assert any("make test " in line + " " for line in run_lines({"jobs": {"t": test}}))
    assert full["env"]["COURSE_FULL_MODELS"] == "1"
    text = (ROOT / ".github" / "workflows" / "test.yml").read_text()
    assert "HF_HUB_OFFLINE" not in text and "COURSE_OFFLINE" not in text and "COURSE_DATA_DIR" not in text
    for job in (test, full):
        caches = [s for s in job["steps"] if s.get("uses", "").startswith("actions/cache@")]
        assert len(caches) == 1 and caches[0]["with"]["path"] == "~/.cache/huggingface"


def test_drift_workflow_is_weekly_and_may_open_issues():
    workflow = load(ROOT / ".github" / "workflows" / "colab-drift.yml")
    assert "workflow_dispatch" in workflow["on"] and workflow["on"]["schedule"][0]["cron"]
    assert workflow["permissions"]["issues"] == "write"
    lines = "\n".join(run_lines(workflow))
    assert "python -m course_tools.colab_drift fetch" in lines and "make test-colab COLAB_FREEZE=" in lines
    assert "gh issue" in lines


# --- the switch of the full-models job (course_utils/config.py) -------------------------------
def test_full_models_switch_gives_smoke_the_full_models(monkeypatch):
    full = config.get_profile("full")
    monkeypatch.delenv("COURSE_FULL_MODELS", raising=False)
    plain = config.get_profile("smoke")
    assert plain.sa_cross_encoder_model != full.sa_cross_encoder_model  # else this test shows nothing
    monkeypatch.setenv("COURSE_FULL_MODELS", "1")
    smoke = config.get_profile("smoke")
    assert {f: getattr(smoke, f) for f in config.MODEL_FIELDS} == {f: getattr(full, f) for f in config.MODEL_FIELDS}
    assert smoke.name == "smoke" and smoke.sa_train_answers == plain.sa_train_answers  # sizes stay smoke's
    assert smoke.finetune_max_length == plain.finetune_max_length
    monkeypatch.setenv("COURSE_FULL_MODELS", "0")
    assert config.get_profile("smoke") == plain


def test_model_fields_are_every_model_knob():
    knobs = {name for name in config.get_profile("full").as_dict() if name.endswith("_model")}
    assert knobs == set(config.MODEL_FIELDS)


def test_setup_says_the_full_models_are_used(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    monkeypatch.setenv("COURSE_FULL_MODELS", "1")
    assert config.setup().sa_cross_encoder_model == config.get_profile("full").sa_cross_encoder_model
    assert "Profile: smoke (set by COURSE_PROFILE) | models: the full profile's" in capsys.readouterr().out
    monkeypatch.delenv("COURSE_FULL_MODELS")
    config.setup()
    assert "models:" not in capsys.readouterr().out
