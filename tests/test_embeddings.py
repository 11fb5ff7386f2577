import numpy as np
import pytest

from course_utils import embeddings


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        embeddings.encode([])
    with pytest.raises(ValueError, match=r"texts\[1\]"):
        embeddings.encode(["ok", None])  # type: ignore[list-item]


@pytest.mark.slow
def test_encode_is_cached_and_normalised(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(embeddings, "_MEMORY", {})
    x = embeddings.encode(["The cat sat.", "A patient person waits."])
    assert x.shape == (2, 384)
    assert np.allclose(np.linalg.norm(x, axis=1), 1, atol=1e-5)
    # second call: nothing new to encode, so the model is not called again
    calls = []
    real = embeddings.load_encoder
    monkeypatch.setattr(embeddings, "load_encoder", lambda m: calls.append(m) or real(m))
    y = embeddings.encode(["A patient person waits.", "The cat sat."])
    assert calls == [] and np.allclose(y, x[::-1])
    # and from disk in a fresh process-like state
    monkeypatch.setattr(embeddings, "_MEMORY", {})
    z = embeddings.encode(["The cat sat."])
    assert calls == [] and np.allclose(z[0], x[0])
    sim = float(x[0] @ embeddings.encode(["The cat was sitting."])[0])
    assert sim > 0.7  # real MiniLM weights: paraphrases are close


@pytest.mark.slow
def test_only_use_disk_texts_are_written_to_disk(monkeypatch, tmp_path):
    """A text embedded with use_disk=False (a student's answer) never reaches the disk cache."""
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(embeddings, "_MEMORY", {})
    embeddings.encode(["a private student answer"], use_disk=False)
    embeddings.encode(["a public topic list"], use_disk=True)  # saves the disk cache
    monkeypatch.setattr(embeddings, "_MEMORY", {})  # a fresh process
    calls = []
    real = embeddings.load_encoder
    monkeypatch.setattr(embeddings, "load_encoder", lambda m: calls.append(m) or real(m))
    embeddings.encode(["a public topic list"], use_disk=True)
    assert calls == []  # read from disk
    embeddings.encode(["a private student answer"], use_disk=True)
    assert len(calls) == 1  # not on disk: encoded again
