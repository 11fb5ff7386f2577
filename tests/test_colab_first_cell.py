"""Notebook 00's first cells run as in Colab: a stand-in ``google.colab`` (with ``userdata``
secrets) in ``sys.modules``, ``subprocess.run`` recorded instead of installing anything."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from course_tools.colab_links import repo_slug
from course_utils import llm

ROOT = Path(__file__).resolve().parent.parent
SECRET = "gsk-stand-in-" + "7" * 12  # not key-shaped for the repository's secret scan


class SecretNotFoundError(Exception):
    """What Colab's ``userdata.get`` raises for an unknown secret."""


class NotebookAccessError(Exception):
    """What it raises when the notebook was not given access to the secret."""


def code_cells(source: Path) -> list[str]:
    import jupytext

    return [c.source for c in jupytext.read(source).cells if c.cell_type == "code"]


@pytest.fixture
def colab(monkeypatch):
    """A stand-in Colab: ``google.colab.userdata`` backed by a dict, pip calls recorded."""
    secrets: dict[str, object] = {}

    def get(name):
        value = secrets.get(name, SecretNotFoundError(name))
        if isinstance(value, Exception):
            raise value
        return value

    userdata = types.ModuleType("google.colab.userdata")
    userdata.get = get
    userdata.SecretNotFoundError = SecretNotFoundError
    userdata.NotebookAccessError = NotebookAccessError
    colab_module = types.ModuleType("google.colab")
    colab_module.userdata = userdata
    try:
        import google  # noqa: F401  (the real namespace package, e.g. from protobuf)
    except ImportError:
        monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab_module)
    monkeypatch.setitem(sys.modules, "google.colab.userdata", userdata)
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append((a, k)) or subprocess.CompletedProcess(a, 0))
    for var in ("GROQ_API_KEY", "CEREBRAS_API_KEY", "CI"):
        monkeypatch.delenv(var, raising=False)
    return types.SimpleNamespace(secrets=secrets, pip_calls=calls)


CELLS = code_cells(ROOT / "notebooks" / "00_setup.py")
INSTALL, SETUP = CELLS[0], CELLS[1]
KEYS = next(c for c in CELLS if "has_api_key" in c)


def test_first_cell_installs_the_course_from_github_once(colab, capsys):
    exec(INSTALL, {})
    assert len(colab.pip_calls) == 1
    args, kwargs = colab.pip_calls[0]
    assert args[0] == [sys.executable, "-m", "pip", "install", "-q", f"git+https://github.com/{repo_slug()}"]
    assert kwargs == {"check": True}  # a failed install stops the notebook instead of going on
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "Installed course_utils" in out[0] and "no restart needed" in out[0]


def test_first_cell_does_nothing_outside_colab(monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    exec(INSTALL, {})
    assert calls == [] and capsys.readouterr().out == ""


def test_setup_says_you_are_in_colab(colab, capsys, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    monkeypatch.setattr("course_utils.config.has_cuda", lambda: False)
    exec(SETUP, {})
    out = capsys.readouterr().out
    assert "running in Colab" in out and "Profile: smoke" in out
    assert "Colab without a GPU" in out and "T4 GPU" in out
    monkeypatch.delitem(sys.modules, "google.colab")
    exec(SETUP, {})
    assert "Colab" not in capsys.readouterr().out


def test_key_lookup_order_secret_then_environment_then_prompt(colab, monkeypatch):
    import getpass

    prompts = []
    monkeypatch.setattr(getpass, "getpass", lambda text: prompts.append(text) or "typed-key")
    colab.secrets["GROQ_API_KEY"] = SECRET
    monkeypatch.setenv("GROQ_API_KEY", "env-key")
    assert llm.get_api_key("GROQ_API_KEY") == SECRET  # 1. Colab secret wins over the environment
    colab.secrets["GROQ_API_KEY"] = NotebookAccessError("no notebook access")
    assert llm.get_api_key("GROQ_API_KEY") == "env-key"  # 2. secret unreadable: the environment
    del colab.secrets["GROQ_API_KEY"]
    assert llm.get_api_key("GROQ_API_KEY") == "env-key"
    monkeypatch.delenv("GROQ_API_KEY")
    assert llm.get_api_key("GROQ_API_KEY", prompt=True) == "typed-key"  # 3. the hidden prompt
    assert prompts and "GROQ_API_KEY" in prompts[0]
    with pytest.raises(llm.MissingAPIKeyError, match="Colab: the key icon"):
        llm.get_api_key("GROQ_API_KEY", prompt=False)


def test_secrets_are_never_printed(colab, capsys):
    colab.secrets["GROQ_API_KEY"] = SECRET
    exec(KEYS, {})
    out = capsys.readouterr().out
    assert "GROQ_API_KEY: set" in out and "CEREBRAS_API_KEY: not set" in out
    assert SECRET not in out and "gsk-" not in out
    assert llm.get_api_key("GROQ_API_KEY") == SECRET
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err
    assert os.environ.get("GROQ_API_KEY") is None  # read, not copied into the environment
