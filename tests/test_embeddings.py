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


def test_set_backend_rejects_unknown_names():
    with pytest.raises(ValueError, match="backend must be one of"):
        embeddings.set_backend("tensorflow")
    assert embeddings._BACKEND == "torch"


def test_the_onnx_backend_says_what_to_install_when_it_is_missing(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    with pytest.raises(ImportError, match="pip install onnxruntime"):
        embeddings.set_backend("onnx")
    assert embeddings._BACKEND == "torch"


@pytest.mark.slow
def test_the_onnx_backend_gives_the_torch_vectors_and_the_same_grades(monkeypatch, tmp_path):
    """ONNX Runtime runs the same weights: vectors within 1e-5, a cache of their own, the same grades."""
    from course_utils import short_answer as sa

    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(embeddings, "_MEMORY", {})
    texts = ["Photosynthesis turns light into chemical energy.", "The bulb is in a closed path with the battery.",
             "no idea", "Der Hund schläft.", "a much longer answer " * 20]
    question = "Why does the bulb light up?"
    answers = ["it is in a closed path with the battery", "the circuit is closed", "because of the battery",
               "the switch is open", "it is red", "electricity", "the path is complete", "I like bulbs"]
    grades = [2, 2, 1, 0, 0, 1, 2, 0]
    new = ["the bulb and battery form a closed path", "bulbs are nice", "the switch is closed so current flows"]
    torch_vectors = embeddings.encode(texts, use_disk=False)
    torch_alone = embeddings.encode(["one text alone, with no padding"], use_disk=False)
    torch_grades = sa.FewShotGrader().fit(question, answers, grades).predict_outcome(new)
    monkeypatch.setattr(embeddings, "_BACKEND", "torch")  # restored after the test
    assert embeddings.set_backend("onnx") == "torch"
    onnx_vectors = embeddings.encode(texts, use_disk=False)
    assert np.abs(onnx_vectors - torch_vectors).max() < 1e-5 and not np.array_equal(onnx_vectors, torch_vectors)
    assert np.abs(embeddings.encode(["one text alone, with no padding"], use_disk=False) - torch_alone).max() < 1e-5
    assert {k.split("|")[-1] for k in embeddings._MEMORY} == {"norm=True", "onnx"}  # two caches, never mixed
    onnx_grades = sa.FewShotGrader().fit(question, answers, grades).predict_outcome(new)
    assert onnx_grades.equals(torch_grades)


@pytest.mark.slow
def test_encode_lm_is_one_layers_mean_without_padding_and_cached(monkeypatch, tmp_path):
    """encode_lm stops at the wanted layer yet gives that layer's hidden states, averaged over the
    text's own tokens (a text batched beside a longer one gets its vector alone), and caches them."""
    import torch

    from course_utils.hub import SMOLLM_ID
    from course_utils.llm.local_model import load_local_model

    tokenizer, model = load_local_model(SMOLLM_ID)  # the converted model from the usual cache
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(embeddings, "_MEMORY", {})
    texts = ["I waited.", "My sister was patient when the bus was late and it rained all afternoon."]
    x = embeddings.encode_lm(texts, layer=3)
    assert x.shape == (2, model.config.hidden_size)
    with torch.no_grad():  # the whole model, one text at a time, no padding
        direct = [model(**tokenizer(t, return_tensors="pt"), output_hidden_states=True).hidden_states[3][0]
                  .mean(0).numpy() for t in texts]
    assert np.allclose(x, direct, atol=1e-4)
    calls, real = [], embeddings._lm_layer_means
    monkeypatch.setattr(embeddings, "_lm_layer_means", lambda *a: calls.append(a))
    monkeypatch.setattr(embeddings, "_MEMORY", {})  # a fresh process: read from disk
    assert np.allclose(embeddings.encode_lm(texts[::-1], layer=3), x[::-1]) and calls == []
    with pytest.raises(ValueError, match="layer must be 1..30"):
        real(texts, SMOLLM_ID, 31, 64, 2)
