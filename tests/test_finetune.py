"""Tests for course_utils.finetune: the bugs of the original loop must stay fixed.

A tiny BERT (2 layers, 32 dimensions, random weights) with the MiniLM tokenizer keeps
every test to seconds; no network.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from course_utils import finetune  # noqa: E402
from course_utils.cutoffs import mu, mu_inv  # noqa: E402
from course_utils.finetune import (  # noqa: E402
    EssayDataset,
    FineTunedScorer,
    logits_to_continuous,
    logits_to_scores,
    snapshot_state,
    train_step,
)
from course_utils.metrics import qwk  # noqa: E402

WORDS = "the patient girl waited for her turn at the store while people ran around".split()


def _essays(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Synthetic essays whose score (0-4) grows with their length."""
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 5, n)
    texts = [" ".join(rng.choice(WORDS, 3 + 6 * s)) for s in scores]
    return texts, scores


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    """A folder with a tiny randomly initialised BERT and the MiniLM tokenizer."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from course_utils.hub import ModelNotAvailableError, minilm_path

    try:
        tokenizer = AutoTokenizer.from_pretrained(minilm_path())
    except ModelNotAvailableError as exc:
        pytest.skip(str(exc))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128,
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-bert")
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def _scorer(folder: str, **kwargs) -> FineTunedScorer:
    params = dict(min_score=0, max_score=4, max_length=32, epochs=2, lr=1e-3, batch_size=8,
                  device="cpu", progress=False, seed=0)
    params.update(kwargs)
    return FineTunedScorer(folder, **params)


def _batch(scorer: FineTunedScorer, texts, scores) -> dict:
    ds = scorer._dataset(texts, scores)
    return scorer._collate([ds[i] for i in range(len(ds))])


# --- mu / mu_inv ----------------------------------------------------------------------
@pytest.mark.parametrize("lo,hi", [(0, 12), (1, 6), (-3, 3), (5, 30), (0, 1), (2, 60)])
def test_mu_round_trip_for_arbitrary_ranges(lo, hi):
    scores = np.arange(lo, hi + 1)
    x = mu(scores, lo, hi)
    assert np.all((x > 0) & (x < 1))
    assert np.array_equal(mu_inv(x, lo, hi), scores)
    # anything inside a score's slice maps back to that score
    width = 1 / (hi - lo + 1)
    assert np.array_equal(mu_inv(x + 0.49 * width, lo, hi), scores)
    assert np.array_equal(mu_inv(x - 0.49 * width, lo, hi), scores)


def test_regression_logits_round_like_mu_inv():
    logits = np.linspace(-6, 6, 101).reshape(-1, 1)
    x = 1 / (1 + np.exp(-logits[:, 0]))
    assert np.array_equal(logits_to_scores(logits, "regression", 2, 9), mu_inv(x, 2, 9))
    cont = logits_to_continuous(logits, "regression", 2, 9)
    assert np.array_equal(np.clip(np.floor(cont + 0.5), 2, 9).astype(int), mu_inv(x, 2, 9))


def test_classification_scores_and_expected_value():
    logits = np.array([[9.0, 0, 0], [0, 0, 9.0]])
    assert logits_to_scores(logits, "classification", 3, 5).tolist() == [3, 5]
    assert np.allclose(logits_to_continuous(logits, "classification", 3, 5), [3, 5], atol=1e-3)


def test_compute_metrics_on_score_values():
    from transformers import EvalPrediction

    fn = finetune.make_compute_metrics(0, 4, "regression")
    labels = mu(np.array([0, 1, 2, 3, 4]), 0, 4)
    logits = np.log(labels / (1 - labels)).reshape(-1, 1)  # perfect predictions
    out = fn(EvalPrediction(predictions=logits, label_ids=labels))
    assert out["QWK"] == pytest.approx(1.0) and out["Acc"] == 1.0 and out["SMD"] == 0.0
    assert out["scores_used"] == 5
    flat = fn(EvalPrediction(predictions=np.zeros((5, 1)), label_ids=labels))  # sigmoid(0): the middle score
    assert flat["scores_used"] == 1 and flat["QWK"] == 0.0 and flat["top_score"] == 2
    assert out["top_score"] == 0  # five scores once each: the lowest of the tie


# --- the dataset ------------------------------------------------------------------------
def test_dataset_labels(tiny_model_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    texts = ["one essay", "another essay", "a third"]
    clf = EssayDataset(texts, [2, 5, 3], tok, 2, 5, "classification", 16)
    assert [clf[i]["labels"] for i in range(3)] == [0, 3, 1]
    reg = EssayDataset(texts, [2, 5, 3], tok, 2, 5, "regression", 16)
    assert np.allclose([reg[i]["labels"] for i in range(3)], mu([2, 5, 3], 2, 5))
    assert "labels" not in EssayDataset(texts, None, tok, 2, 5, "regression", 16)[0]


def test_dataset_rejects_bad_input(tiny_model_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    with pytest.raises(ValueError, match="outside"):
        EssayDataset(["a", "b"], [1, 9], tok, 0, 4)
    with pytest.raises(ValueError, match="2 essays"):
        EssayDataset(["a", "b"], [1], tok, 0, 4)
    with pytest.raises(ValueError, match="mode"):
        EssayDataset(["a"], [1], tok, 0, 4, mode="ordinal")
    with pytest.raises(ValueError, match="single string"):
        EssayDataset("an essay", [1], tok, 0, 4)


def test_scorer_rejects_bad_settings():
    with pytest.raises(ValueError, match="min_score"):
        FineTunedScorer("x", 5, 5)._validate()
    with pytest.raises(ValueError, match="epochs"):
        FineTunedScorer("x", epochs=0)._validate()
    with pytest.raises(ValueError, match="mode"):
        FineTunedScorer("x", mode="ranking")._validate()


# --- the bugs of the original loop ------------------------------------------------------
def test_clipping_after_backward_changes_the_gradients(tiny_model_dir):
    scorer = _scorer(tiny_model_dir)
    scorer._load(tiny_model_dir)
    texts, scores = _essays(8)
    batch = _batch(scorer, texts, scores)
    optimizer = torch.optim.SGD(scorer.model_.parameters(), lr=0.0)
    out = train_step(scorer.model_, batch, optimizer, "classification", max_grad_norm=1e-3)
    after = torch.nn.utils.get_total_norm([p.grad for p in scorer.model_.parameters()])
    assert out["grad_norm"] > 1e-2  # the raw gradient was large ...
    assert float(after) == pytest.approx(1e-3, rel=1e-3)  # ... and clipping shrank it

    # The original order (clip, then backward) leaves the gradients unclipped.
    scorer.model_.zero_grad(set_to_none=True)
    torch.nn.utils.clip_grad_norm_(scorer.model_.parameters(), 1e-3)
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    finetune.scoring_loss(scorer.model_(**inputs).logits, batch["labels"], "classification").backward()
    unclipped = torch.nn.utils.get_total_norm([p.grad for p in scorer.model_.parameters()])
    assert float(unclipped) == pytest.approx(out["grad_norm"], rel=1e-4)


def test_best_state_is_a_copy(tiny_model_dir):
    scorer = _scorer(tiny_model_dir, mode="regression")
    scorer._load(tiny_model_dir)
    texts, scores = _essays(8)
    batch = _batch(scorer, texts, scores)
    reference = scorer.model_.state_dict()  # the original's "best model": a live view
    copy = snapshot_state(scorer.model_)
    name = "classifier.weight"
    before = copy[name].clone()
    optimizer = torch.optim.AdamW(scorer.model_.parameters(), lr=1e-2)
    train_step(scorer.model_, batch, optimizer, "regression")
    assert not torch.equal(scorer.model_.state_dict()[name], before)  # training moved on
    assert torch.equal(copy[name], before)  # the copy did not
    assert torch.equal(reference[name], scorer.model_.state_dict()[name])  # the view did


@pytest.mark.slow
def test_fit_selects_on_dev_and_restores_the_best_epoch(tiny_model_dir, monkeypatch):
    train_texts, train_scores = _essays(48, seed=1)
    dev_texts, dev_scores = _essays(16, seed=2)
    seen: list[list[str]] = []
    original = FineTunedScorer.predict

    def spy(self, texts):
        seen.append(list(texts))
        return original(self, texts)

    monkeypatch.setattr(FineTunedScorer, "predict", spy)
    scorer = _scorer(tiny_model_dir, epochs=4, patience=4, lr=5e-3, mode="regression")
    scorer.fit(train_texts, train_scores, dev_texts, dev_scores)
    # early stopping saw the dev set and nothing else, once per epoch
    assert seen == [dev_texts] * len(scorer.history_)
    assert len(scorer.history_) == 4
    best = max(h["dev_QWK"] for h in scorer.history_)
    assert scorer.best_dev_qwk_ == best
    assert scorer.history_[scorer.best_epoch_ - 1]["dev_QWK"] == best
    # the model in hand is the best epoch's, not the last one's
    assert qwk(dev_scores, original(scorer, dev_texts), 0, 4) == pytest.approx(best)
    best_row = scorer.history_[scorer.best_epoch_ - 1]  # it also counts the distinct dev scores it gave
    assert best_row["dev_scores_used"] == len(np.unique(original(scorer, dev_texts)))


def test_fit_has_no_test_set_argument():
    params = list(inspect.signature(FineTunedScorer.fit).parameters)
    assert params == ["self", "train_texts", "train_scores", "dev_texts", "dev_scores"]
    assert not any("test" in p for p in inspect.signature(finetune.choose_ensemble_weight).parameters)


def test_results_split_keeps_test_out_of_selection():
    from course_utils.data import DataNotFoundError, load_asap, train_dev_test_split

    try:
        df = load_asap(7)
    except DataNotFoundError as exc:
        pytest.skip(str(exc))
    train, dev, test = train_dev_test_split(df)
    assert not set(test.essay_id) & (set(train.essay_id) | set(dev.essay_id))
    assert not set(train.essay_id) & set(dev.essay_id)


# --- save / load and the Trainer ---------------------------------------------------------
@pytest.mark.slow
def test_save_load_gives_identical_predictions(tiny_model_dir, tmp_path):
    train_texts, train_scores = _essays(24, seed=3)
    dev_texts, dev_scores = _essays(8, seed=4)
    scorer = _scorer(tiny_model_dir, epochs=1).fit(train_texts, train_scores, dev_texts, dev_scores)
    scorer.save(tmp_path / "scorer")
    loaded = FineTunedScorer.load(tmp_path / "scorer", device="cpu")
    assert loaded.get_params()["mode"] == "classification"
    assert np.allclose(scorer.predict_logits(dev_texts), loaded.predict_logits(dev_texts), rtol=1e-5, atol=1e-5)  # float32: BLAS/thread order
    assert np.array_equal(scorer.predict(dev_texts), loaded.predict(dev_texts))
    with pytest.raises(ValueError, match="scorer.json"):
        FineTunedScorer.load(tmp_path)


@pytest.mark.slow
def test_trainer_regression_loss_and_best_qwk_callback(tiny_model_dir, tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=1)
    train = EssayDataset(*_essays(32, seed=5), tok, 0, 4, "regression", 32)
    dev = EssayDataset(*_essays(8, seed=6), tok, 0, 4, "regression", 32)
    callback = finetune.BestQWKCallback()
    args = finetune.trainer_arguments(tmp_path, epochs=2, lr=5e-3, batch_size=8, use_cpu=True,
                                      disable_tqdm=True, logging_strategy="no")
    assert args.eval_strategy == "epoch" and args.report_to in ("none", [], ["none"])
    trainer = finetune.ScoringTrainer(
        model=model, args=args, train_dataset=train, eval_dataset=dev, processing_class=tok,
        compute_metrics=finetune.make_compute_metrics(0, 4, "regression"), callbacks=[callback],
        mode="regression",
    )
    batch = trainer.data_collator([train[i] for i in range(4)])
    loss = trainer.compute_loss(model, dict(batch))
    logits = model(**{k: v for k, v in batch.items() if k != "labels"}).logits
    expected = torch.mean((torch.sigmoid(logits[:, 0]) - batch["labels"]) ** 2)
    assert float(loss.detach()) == pytest.approx(float(expected.detach()), rel=1e-5)
    trainer.train()
    assert len(callback.history) == 2
    assert callback.best_qwk == max(h["eval_QWK"] for h in callback.history)
    # after training the model holds the best evaluation's weights
    for key, value in callback.best_state.items():
        assert torch.equal(model.state_dict()[key].cpu(), value)


@pytest.mark.parametrize("cv", [None, 5])
def test_ensemble_weight_prefers_the_informative_member(cv):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 13, 200)
    good = y + rng.normal(0, 1.0, 200)  # close to the human scores
    noise = rng.uniform(0, 12, 200)  # unrelated to them
    w, value = finetune.choose_ensemble_weight([good, noise], y, 0, 12, cv=cv)
    assert w >= 0.8 and value > 0.8
    w2, _ = finetune.choose_ensemble_weight([noise, good], y, 0, 12, cv=cv)
    assert w2 <= 0.2


def test_ensemble_weight_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        finetune.choose_ensemble_weight([np.zeros(5), np.zeros(4)], np.zeros(5, int), 0, 12)
    with pytest.raises(ValueError, match="cv must be"):
        finetune.choose_ensemble_weight([np.zeros(5), np.zeros(5)], np.zeros(5, int), 0, 12, cv=1)


def test_trainer_predictions_keep_the_dataset_order():
    # Grouping by length is for training batches; predict() must return rows in the
    # essays' order, or predictions are scored against the wrong essays.
    from course_utils import trainer

    sampler = trainer.ScoringTrainer._get_eval_sampler(None, list(range(7)))
    assert list(sampler) == list(range(7))
