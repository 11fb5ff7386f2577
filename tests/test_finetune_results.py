"""Tests for course_tools.finetune_results: the ensemble row is chosen on dev only."""

from __future__ import annotations

import functools
import re

import numpy as np

from course_tools import finetune_results


def test_rows_are_registered_with_the_results_table():
    from course_tools import results

    results.load_extra_modules()
    rows = set(results.EXPERIMENTS)
    assert set(finetune_results.results_experiments()) <= rows
    assert {"electra_manual", "electra_trainer", "electra_regression"} <= rows


def test_dev_selected_ensemble_never_reads_the_test_set(monkeypatch):
    """The chosen procedure and its weights depend on dev predictions only."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 13, 120)
    dev = {name: y + rng.normal(0, sd, 120) for name, sd in
           (("regression", 1.5), ("classification", 1.5), ("classical", 1.5))}
    candidates = {"pair": ((0, 2), finetune_results.equal_weights), "three": ((0, 1, 2), finetune_results.equal_weights)}

    def install(test_values):
        def fake_run(mode, seed, settings=None, use_cache=True):
            return {"dev_cont": dev[mode], "test_cont": test_values, "seconds": 1.0}
        monkeypatch.setattr(finetune_results, "fine_tune_run", fake_run)
        monkeypatch.setattr(finetune_results, "classical_run", lambda seed: fake_run("classical", seed))
        monkeypatch.setattr(finetune_results, "_dev_scores", lambda: y)
        monkeypatch.setattr(finetune_results, "ENSEMBLE_CANDIDATES", candidates)
        monkeypatch.setattr(finetune_results, "select_procedure",  # one shuffle keeps the test fast
                            functools.partial(finetune_results.select_procedure, repeats=1))
        finetune_results.dev_ensemble_selection.cache_clear()
        return finetune_results.dev_ensemble_selection(2), finetune_results.results_experiments()["finetune_ensemble_dev"](0)

    (best_a, table_a), row_a = install(np.zeros(50))
    (best_b, table_b), row_b = install(np.full(50, 12.0))
    finetune_results.dev_ensemble_selection.cache_clear()
    assert best_a == best_b and table_a == table_b and row_a["note"] == row_b["note"]
    # three members with independent errors: the three-way average wins on dev
    assert best_a == "three"
    assert row_a["pred"].tolist() != row_b["pred"].tolist() and len(row_a["pred"]) == 50
    assert set(table_a) >= set(candidates) and row_a["note"].startswith("seed 0: three (0.33 + 0.33 + 0.33)")


def test_dev_choice_is_stored_then_rendered(tmp_path, monkeypatch):
    table = {"fine-tuned regression alone": [0.61, 0.62], "pair": [0.7, 0.72], "three": [0.71, 0.74]}
    monkeypatch.setattr(finetune_results, "dev_ensemble_selection", lambda n_seeds: ("three", table))
    monkeypatch.setattr(finetune_results, "ENSEMBLE_CANDIDATES", {"pair": None, "three": None})
    csv, md = tmp_path / "dev.csv", tmp_path / "dev.md"
    text = finetune_results.write_dev_ensemble(csv, md, n_seeds=2)
    from course_tools.results import read_csv

    rows = read_csv(csv)
    assert [(r["role"], r["chosen"]) for r in rows] == [("member", ""), ("candidate", ""), ("candidate", "yes")]
    assert rows[2]["qwk_per_seed"] == "0.7100 0.7400" and rows[2]["qwk_mean"] == "0.7250"
    assert "seeds 0-1" in text and re.search(r"\| three \*\*\(chosen\)\*\* +\| 0\.710 +\| 0\.740 +\| 0\.725 +\|", text)
    md.unlink()
    monkeypatch.setattr(finetune_results, "dev_ensemble_selection", lambda n_seeds: 1 / 0)  # nothing is run
    assert finetune_results.render_dev_ensemble(csv, md) == text


def test_the_committed_dev_choice_is_rendered_from_its_csv():
    from course_tools.results import read_csv

    rows = read_csv(finetune_results.DEV_CSV)
    assert finetune_results.DEV_MD.read_text() == finetune_results.dev_ensemble_report(rows), (
        "results/asap7_ensemble_dev.md differs from its CSV: run `python -m course_tools.finetune_results --render`")


def test_two_seeded_fits_give_identical_logits(tmp_path):
    """Seeds cover the new head, dropout and the batch order: two fits, the same logits, bit for bit."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from course_utils.finetune import FineTunedScorer
    from course_utils.hub import ModelNotAvailableError, minilm_path

    try:
        tokenizer = AutoTokenizer.from_pretrained(minilm_path())
    except ModelNotAvailableError as exc:
        import pytest

        pytest.skip(str(exc))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)  # dropout 0.1 kept: it must be seeded
    torch.manual_seed(0)
    BertModel(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    rng = np.random.default_rng(0)
    words = ["good", "essay", "patient", "waited", "because", "the", "long", "line", "mother", "calm"]
    y = rng.integers(0, 5, 40)
    texts = [" ".join(rng.choice(words, 3 + 5 * s)) for s in y]

    def fit_and_predict(seed):
        s = FineTunedScorer(str(tmp_path), 0, 4, mode="classification", max_length=32, epochs=2, lr=1e-3,
                            batch_size=8, device="cpu", progress=False, seed=seed)
        s.fit(texts[:32], y[:32], texts[32:], y[32:])
        return s.predict_logits(texts), [h["train_loss"] for h in s.history_]

    (a, loss_a), (b, loss_b), (c, _) = fit_and_predict(0), fit_and_predict(0), fit_and_predict(1)
    assert np.array_equal(a, b) and loss_a == loss_b
    assert not np.array_equal(a, c)  # the seed matters, so the equality above is not vacuous
