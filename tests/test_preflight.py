"""The instructor's pre-flight (course_utils.preflight, notebook 00) with a stand-in Colab
(``google.colab`` with ``userdata`` secrets and ``files.download``) and a faked CUDA device;
the timed GPU passes are replaced by fakes, then each real pass runs once on the CPU with
the offline stand-ins and smoke sizes."""

from __future__ import annotations

import csv
import sys
import types
from dataclasses import replace
from pathlib import Path

import pytest

from course_utils import config, preflight

ROOT = Path(__file__).resolve().parent.parent
SECRETS = {"GROQ_API_KEY": "gsk-stand-in-" + "5" * 12, "CEREBRAS_API_KEY": "csk-stand-in-" + "6" * 12}


class SecretNotFoundError(Exception):
    """What Colab's ``userdata.get`` raises for an unknown secret."""


@pytest.fixture
def colab(monkeypatch):
    """A stand-in Colab: secrets from a dict, downloads recorded."""
    secrets: dict[str, str] = {}
    downloads: list[str] = []

    def get(name):
        if name not in secrets:
            raise SecretNotFoundError(name)
        return secrets[name]

    userdata = types.ModuleType("google.colab.userdata")
    userdata.get, userdata.SecretNotFoundError = get, SecretNotFoundError
    userdata.NotebookAccessError = type("NotebookAccessError", (Exception,), {})
    files = types.ModuleType("google.colab.files")
    files.download = downloads.append
    module = types.ModuleType("google.colab")
    module.userdata, module.files = userdata, files
    try:
        import google  # noqa: F401  (the real namespace package, e.g. from protobuf)
    except ImportError:
        monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    for name, mod in (("google.colab", module), ("google.colab.userdata", userdata), ("google.colab.files", files)):
        monkeypatch.setitem(sys.modules, name, mod)
    for var in (*preflight.KEYS, "HF_HUB_OFFLINE", "COURSE_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    return types.SimpleNamespace(secrets=secrets, downloads=downloads)


@pytest.fixture
def t4(monkeypatch):
    """A faked CUDA device: a 15.8 GB Tesla T4 (capability 7.5, no bf16 hardware, although
    PyTorch's ``is_bf16_supported()`` says True there, counting emulation), 3.2 GB peak memory per pass."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: "Tesla T4")
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i=0: types.SimpleNamespace(total_memory=15_828_320_256))
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a, **k: (7, 5))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    monkeypatch.setattr(torch.cuda, "manual_seed_all", lambda seed: None)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda *a: None)
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda *a: 3.2e9)


@pytest.fixture
def fakes(monkeypatch):
    """Fake passes (one fails) and a Hub where one data set does not answer."""
    seen = []

    def fake(name):
        def run(profile):
            seen.append((name, profile.name, profile.finetune_model))
            if name == "16_lora_generative":
                raise RuntimeError("CUDA out of memory (faked)")
            return f"{name} done"
        return run

    passes = {nb: (step, fake(nb)) for nb, (step, _) in preflight.PASSES.items()}
    monkeypatch.setattr(preflight, "PASSES", passes)
    probed = []

    def probe(kind, repo_id):
        probed.append(repo_id)
        if repo_id == "nkazi/Beetle":
            raise ConnectionError("no route")

    monkeypatch.setattr(preflight, "hub_probe", probe)
    return types.SimpleNamespace(seen=seen, probed=probed)


def test_outside_colab_it_only_says_what_it_would_check(monkeypatch, fakes, capsys):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert preflight.run(run_passes=True) is None
    out = capsys.readouterr().out
    assert out.startswith("Not in Colab: nothing is checked here.")
    for words in ("GPU (name, memory)", "Hugging Face Hub", "GROQ_API_KEY and CEREBRAS_API_KEY",
                  "11 fine-tuning", "14 local generation", "16 LoRA", "17 cross-encoder", "preflight.csv"):
        assert words in out, words
    assert fakes.seen == [] and fakes.probed == []


def test_outside_colab_a_learner_sees_one_line(monkeypatch, fakes, capsys):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert preflight.run(run_passes=False) is None
    out = capsys.readouterr().out
    assert out.startswith("Not in Colab: nothing is checked here.") and out.count("\n") == 1, out
    assert fakes.seen == [] and fakes.probed == []


def test_in_colab_with_a_gpu_checks_times_and_writes_the_report(colab, t4, fakes, tmp_path, monkeypatch, capsys):
    colab.secrets["GROQ_API_KEY"] = SECRETS["GROQ_API_KEY"]
    monkeypatch.setenv("CEREBRAS_API_KEY", SECRETS["CEREBRAS_API_KEY"])
    report = preflight.run(run_passes=True, folder=tmp_path / "preflight")
    out = capsys.readouterr().out
    checks = {c.name: c for c in report.checks}
    assert checks["GPU"].ok and checks["GPU"].detail == "Tesla T4, 15.8 GB; mixed precision fp16"
    assert checks["Hugging Face Hub"].ok is False and "nkazi/Beetle (ConnectionError)" in checks["Hugging Face Hub"].detail
    assert set(fakes.probed) >= {"google/electra-small-discriminator", "LiquidAI/LFM2-350M", "roberta-large"}
    assert checks["GROQ_API_KEY"].detail == "set" and checks["CEREBRAS_API_KEY"].detail == "set"
    # every pass ran once, with the full profile's settings, and a failure did not stop the others
    assert [s[0] for s in fakes.seen] == list(preflight.PASSES)
    assert {s[1:] for s in fakes.seen} == {("full", "google/electra-small-discriminator")}
    assert [p.status for p in report.passes] == ["ok", "ok", "failed", "ok"]
    assert report.passes[2].detail == "RuntimeError: CUDA out of memory (faked)"
    assert all(p.seconds is not None and p.peak_gpu_gb == pytest.approx(3.2) for p in report.passes)
    # the report: Markdown and CSV with the GPU's name, in notebook_times.csv's columns
    md, table = tmp_path / "preflight" / "preflight.md", tmp_path / "preflight" / "preflight.csv"
    assert colab.downloads == [str(md), str(table)]
    rows = list(csv.DictReader(table.open()))
    with (ROOT / "results" / "notebook_times.csv").open() as f:
        assert list(rows[0])[:5] == next(csv.reader(f))  # notebook, profile, status, seconds, machine
    assert [r["notebook"] for r in rows] == list(preflight.PASSES)
    assert {r["profile"] for r in rows} == {"preflight"}  # never read as a whole-notebook time
    assert all(r["machine"].startswith("cuda Tesla T4, ") and r["machine"].endswith(", Colab") for r in rows)
    assert "# Pre-flight on cuda Tesla T4" in md.read_text() and "| 16_lora_generative | LoRA" in md.read_text()
    assert "Tesla T4" in out and "PROBLEM: 1 of 7 not reachable" in out
    assert "pull request" not in out and "results/" not in out  # a learner's notebook, not the course's upkeep
    # keys are never shown: not in the output, the Markdown or the CSV
    for secret in SECRETS.values():
        for text in (out, md.read_text(), table.read_text()):
            assert secret not in text and secret[:8] not in text


def test_in_colab_the_passes_wait_for_run_passes(colab, t4, fakes, tmp_path, capsys):
    report = preflight.run(run_passes=False, folder=tmp_path)
    assert report.passes == [] and fakes.seen == [] and not list(tmp_path.iterdir())
    out = capsys.readouterr().out
    assert "GROQ_API_KEY" in out and "not set" in out and "set RUN_PREFLIGHT = True" in out


def test_in_colab_without_a_gpu_the_passes_are_skipped(colab, fakes, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(config, "has_cuda", lambda: False)
    report = preflight.run(run_passes=True, folder=tmp_path)
    assert report.checks[0].ok is False and "T4 GPU" in report.checks[0].detail
    assert [p.status for p in report.passes] == ["skipped"] * 4 and fakes.seen == []
    assert report.machine.startswith("cpu ") and "PROBLEM: none" in capsys.readouterr().out


def test_offline_mode_is_a_hub_problem(colab, monkeypatch, fakes):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    check = preflight.check_hub()
    assert check.ok is False and "offline mode is on" in check.detail and fakes.probed == []


def test_the_notebook_cell_runs_the_checks_only(colab, t4, fakes, monkeypatch, tmp_path, capsys):
    import jupytext

    cells = [c.source for c in jupytext.read(ROOT / "notebooks" / "00_setup.py").cells if c.cell_type == "code"]
    (cell,) = [c for c in cells if "preflight.run(" in c]
    assert "RUN_PREFLIGHT = False" in cell
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(cell, namespace)
    assert namespace["report"].machine.startswith("cuda Tesla T4") and fakes.seen == []
    assert not (tmp_path / "preflight").exists()


# --- the real passes, once, on the CPU: offline stand-ins, one step, tiny sizes ----------------
TINY = dict(finetune_max_length=32, llm_max_new_tokens=4, sa_max_length=32, lora_max_length=96)


@pytest.mark.slow
@pytest.mark.parametrize("notebook", ["11_finetune_manual", "14_generative_models", "17_cross_encoder"])
def test_each_real_pass_runs(notebook, monkeypatch, tmp_path):
    monkeypatch.setattr(preflight, "STEPS", 1)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    step, function = preflight.PASSES[notebook]
    tiny = replace(config.get_profile("smoke"), **TINY)
    result = preflight.time_pass(notebook, step, lambda full: function(tiny))
    if "DataNotFoundError" in result.detail:  # pragma: no cover - no offline copy of the data
        pytest.skip(result.detail)
    assert result.status == "ok", result.detail
    assert result.detail.startswith(getattr(tiny, {"11": "finetune_model", "14": "llm_model",
                                                   "17": "sa_cross_encoder_model"}[notebook[:2]]))
    assert "1 step of" in result.detail or "2 replies" in result.detail


def test_the_lora_pass_trains_a_few_steps_on_training_essays_only(monkeypatch, asap7):
    """The LoRA pass with a recording GenerativeScorer (tests/test_lora.py trains a real one;
    on two busy CPU cores even one real step of SmolLM2 takes a minute)."""
    from course_utils import lora

    calls = {}

    class Recorder(lora.GenerativeScorer):
        def fit(self, essays, scores, exclude=None, verbose=False):
            calls["fit"] = (list(essays), list(scores), list(exclude))
            return self

        def predict(self, essays, progress=False):
            calls["predict"] = list(essays)
            return [0] * len(essays)

    monkeypatch.setattr(lora, "GenerativeScorer", Recorder)
    full = config.get_profile("full")
    detail = preflight.pass_lora(full)
    essays, scores, exclude = calls["fit"]
    assert len(essays) == len(scores) == preflight.STEPS * 4 * 2  # steps x batch x accumulation
    assert not set(essays) & set(exclude) and len(calls["predict"]) == 2
    assert set(calls["predict"]) <= set(exclude)  # scored essays are dev essays, never trained on
    assert detail == f"{full.llm_model}: 4 steps of 4 x 2 essays at {full.lora_max_length} tokens, 2 essays scored"
