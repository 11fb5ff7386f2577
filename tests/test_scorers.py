"""Tests for course_utils.scorers on a synthetic score range (5-30), no network."""

import numpy as np
import pytest

from course_utils import scorers as S
from course_utils.metrics import qwk

WORDS = {
    "low": "bad sad mad dog cat run sit".split(),
    "mid": "patience waiting turn line store mother friend".split(),
    "high": "perseverance tolerance understanding composure endurance resilience".split(),
}


def _essays(n=150, seed=0, lo=5, hi=30):
    """Essays whose length and vocabulary grow with the score (range lo..hi)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(lo, hi + 1, n)
    texts = []
    for s in y:
        frac = (s - lo) / (hi - lo)
        band = "low" if frac < 0.34 else "mid" if frac < 0.67 else "high"
        words = rng.choice(WORDS[band], size=5 + int(s))
        sentences = [" ".join(words[i : i + 6]).capitalize() + "." for i in range(0, len(words), 6)]
        texts.append(" ".join(sentences))
    return texts, y


@pytest.fixture(scope="module")
def data():
    return _essays(150, 0), _essays(60, 1)


@pytest.mark.parametrize(
    "make",
    [
        lambda: S.TfidfScorer(),
        lambda: S.SvdScorer(dim=10),
        lambda: S.FeatureScorer(n_estimators=30),
        lambda: S.CombinedScorer(dim=5, n_estimators=30),
    ],
    ids=["tfidf", "svd", "features", "combined"],
)
def test_scorers_learn_any_range(make, data):
    (texts, y), (test_texts, test_y) = data
    scorer = make().fit(texts, y)
    pred = scorer.predict(test_texts)
    assert pred.dtype.kind == "i"
    assert pred.min() >= y.min() and pred.max() <= y.max()
    assert qwk(test_y, pred, 5, 30) > 0.5  # the signal is strong and easy
    # refitting repeats the predictions; score(texts, y) is QWK (scikit-learn's convention)
    np.testing.assert_array_equal(make().fit(texts, y).predict(test_texts), pred)
    assert scorer.score(test_texts, test_y) == pytest.approx(qwk(test_y, pred, 5, 30))
    with pytest.raises(TypeError):
        scorer.score(test_texts)  # predictions come from predict, not score


def test_seeded_and_sklearn_params(data):
    (texts, y), (test_texts, _) = data
    a = S.FeatureScorer(n_estimators=20, random_state=3).fit(texts, y).predict(test_texts)
    b = S.FeatureScorer(n_estimators=20, random_state=3).fit(texts, y).predict(test_texts)
    np.testing.assert_array_equal(a, b)
    assert S.SvdScorer(dim=7).get_params()["dim"] == 7
    assert S.SvdScorer().set_params(dim=12).dim == 12


def _fake_encode(texts, model_id="x", batch_size=32, **kw):
    """Stand-in for embeddings.encode: bag-of-words counts over the toy vocabulary."""
    vocab = sorted({w for band in WORDS.values() for w in band})
    return np.array([[t.lower().count(w) for w in vocab] for t in texts], dtype=np.float32)


def test_embedding_scorer_uses_encode(monkeypatch, data):
    import course_utils.embeddings as emb

    calls = []

    def spy(texts, model_id="x", **kw):
        calls.append(model_id)
        return _fake_encode(texts)

    monkeypatch.setattr(emb, "encode", spy)
    (texts, y), (test_texts, test_y) = data
    pred = S.EmbeddingScorer().fit(texts, y).predict(test_texts)
    assert calls and calls[0] == "sentence-transformers/all-MiniLM-L6-v2"
    assert qwk(test_y, pred, 5, 30) > 0.5


def test_regression_and_ensemble(monkeypatch, data):
    import course_utils.embeddings as emb

    monkeypatch.setattr(emb, "encode", _fake_encode)
    (texts, y), (test_texts, test_y) = data
    reg = S.RegressionScorer("ridge", svd_dim=5).fit(texts, y)
    assert reg.oof_.shape == y.shape
    pred = reg.predict(test_texts)
    assert pred.min() >= 5 and pred.max() <= 30
    assert qwk(test_y, pred, 5, 30) > 0.6
    target = y + np.random.default_rng(0).normal(0, 0.5, len(y))  # a continuous target
    ens = S.EnsembleScorer(
        members=[S.RegressionScorer("ridge", svd_dim=5), S.RegressionScorer("gbm", svd_dim=5, embeddings=False)]
    ).fit(texts, y, target=target)
    assert len(ens.model_) == 2
    assert qwk(test_y, ens.predict(test_texts), 5, 30) > 0.6


def test_a_causal_lm_gives_its_hidden_states_and_features_can_be_left_out(monkeypatch, data):
    """model_id naming a causal LM routes the embeddings to encode_lm; svd_dim=0 and textstat=False
    leave a regressor on those vectors alone; no features at all is a clear error."""
    import course_utils.embeddings as emb
    from course_utils.hub import SMOLLM_ID

    calls = []

    def spy(texts, model_id="x", layer=0, **kw):
        calls.append((model_id, layer))
        return _fake_encode(texts)

    monkeypatch.setattr(emb, "encode_lm", spy)
    monkeypatch.setattr(emb, "encode", lambda *a, **k: pytest.fail("the sentence encoder was called"))
    (texts, y), (test_texts, test_y) = data
    reg = S.RegressionScorer("ridge", svd_dim=0, textstat=False, model_id=SMOLLM_ID).fit(texts, y)
    assert calls[0] == (SMOLLM_ID, 18)
    assert [name for name, _ in reg.model_["features"].transformer_list] == ["embeddings"]
    assert qwk(test_y, reg.predict(test_texts), 5, 30) > 0.5
    with pytest.raises(ValueError, match="No features left"):
        S.RegressionScorer("ridge", svd_dim=0, textstat=False, embeddings=False).fit(texts, y)


@pytest.mark.parametrize(
    "texts,scores,match",
    [
        ([], [], "empty"),
        (["a", "b"], [1, np.nan], "NaN"),
        (["a", "b", "c"], [4, 4, 4], "single class"),
        (["a", "b"], [1], "differ in length"),
        (["a", None], [1, 2], "not a string"),
        (["a", "b"], [1, 2.5], "integers"),
        ("one essay", [1], "single string"),
    ],
)
def test_bad_input(texts, scores, match):
    with pytest.raises(ValueError, match=match):
        S.TfidfScorer().fit(texts, scores)


def test_errors_on_misuse(data):
    (texts, y), _ = data
    with pytest.raises(RuntimeError, match="not fitted"):
        S.TfidfScorer().predict(["an essay"])
    with pytest.raises(ValueError, match="regressor"):
        S.RegressionScorer("magic").fit(texts, y)
    with pytest.raises(ValueError, match="dim"):
        S.SvdScorer(dim=5000).fit(texts, y)


def test_rubric_ensemble_and_char_ngrams(monkeypatch, data):
    import course_utils.embeddings as emb
    from course_utils.ensembles import CharNgramScorer, RubricEnsembleScorer

    monkeypatch.setattr(emb, "encode", _fake_encode)
    (texts, y), (test_texts, test_y) = data
    char = CharNgramScorer(min_df=1).fit(texts, y)
    assert char.oof_.shape == y.shape and qwk(test_y, char.predict(test_texts), 5, 30) > 0.5
    ens = RubricEnsembleScorer(random_state=0)
    ens.fit(texts, y)
    assert [type(m).__name__ for m in ens.model_] == ["RegressionScorer", "RegressionScorer", "CharNgramScorer"]
    assert all(m.rubric for m in ens.model_[:2]) and ens.model_[2].random_state == 0
    pred = ens.predict(test_texts)
    assert pred.min() >= 5 and pred.max() <= 30 and qwk(test_y, pred, 5, 30) > 0.6
