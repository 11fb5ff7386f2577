"""course_utils.lora: template, SFT data (train only), LoRA targets, a tiny fit/predict."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import lora


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    """A tiny random Llama model with the SmolLM2 tokenizer (a few MB, loads in a second)."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from course_utils.hub import ModelNotAvailableError, smollm_path

    try:
        tokenizer = AutoTokenizer.from_pretrained(smollm_path())
    except ModelNotAvailableError as exc:  # pragma: no cover - depends on the machine
        pytest.skip(str(exc))
    import torch

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    folder = tmp_path_factory.mktemp("tiny-llama")
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def test_template_and_answer():
    messages = lora.build_messages("My essay.", 0, 12)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "0 to 12" in messages[1]["content"] and "My essay." in messages[1]["content"]
    assert lora.answer(7) == "**Score**: 7"
    assert "<essay>" in lora.build_messages("x", delimit=True)[1]["content"]


def test_no_test_essay_reaches_the_sft_dataset(asap7):
    essays, scores, test_essays = lora.training_data()
    data = lora.sft_dataset(essays, scores, exclude=test_essays)
    assert len(data) == 1255
    prompts = {row["prompt"][1]["content"] for row in data}
    assert not any(any(t.strip() in p for p in prompts) for t in test_essays[:314])
    # the guard itself fires when a test essay sneaks in
    with pytest.raises(ValueError, match="training split only"):
        lora.sft_dataset(essays[:5] + [test_essays[0]], list(scores[:5]) + [3], exclude=test_essays)
    # and the subset used for LoRA is drawn from the training part
    sub, _, _ = lora.training_data(n=50, seed=1)
    assert set(sub) <= set(essays)


def test_long_essays_are_shortened_so_the_answer_is_never_cut(tiny_model_dir):
    from transformers import AutoTokenizer
    from trl.data_utils import truncate_dataset

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    essays = ["patience " * 40, "I waited for the bus for a long time and stayed calm. " * 60]
    data = lora.sft_dataset(essays, [5, 12], tokenizer=tok, max_length=128)
    assert "patience " * 40 in data[0]["prompt"][1]["content"] + " "  # a short essay is left whole
    assert data[1]["prompt"][1]["content"].endswith(" [...]")  # a long one keeps its start, marked
    # what trl does: tokenize prompt + completion, then cut from the right at max_length
    ids = [tok.apply_chat_template(ex["prompt"] + ex["completion"], tokenize=True, return_dict=True)["input_ids"]
           for ex in data]
    from datasets import Dataset

    cut = truncate_dataset(Dataset.from_dict({"input_ids": ids}), 128)["input_ids"]
    assert len(ids[1]) <= 128 and cut == ids  # nothing is cut: the answer "**Score**: 12" is whole
    assert lora.answer(12) in tok.decode(cut[1])
    # too small a max_length is an error, never a silently cut answer
    with pytest.raises(ValueError, match="raise it"):
        lora.sft_dataset(essays, [5, 12], tokenizer=tok, max_length=60)


def test_sft_dataset_rejects_bad_input():
    with pytest.raises(ValueError, match="as many scores"):
        lora.sft_dataset(["a", "b"], [1])
    with pytest.raises(ValueError, match="0..12"):
        lora.sft_dataset(["a"], [13])


@pytest.mark.slow
def test_lora_targets_exist_in_the_architecture(tiny_model_dir):
    from transformers import AutoModelForCausalLM, GPT2Config, GPT2LMHeadModel

    llama = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    cfg = lora.lora_config(llama)
    assert set(cfg.target_modules) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    gpt2 = GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=100))
    assert set(lora.lora_config(gpt2).target_modules) == {"c_attn", "c_proj", "c_fc"}
    assert "lm_head" not in lora.linear_module_names(llama)
    with pytest.raises(ValueError, match="not linear layers"):
        lora.lora_config(llama, targets=["c_attn"])


@pytest.mark.slow
def test_tiny_lora_fit_predict(tiny_model_dir):
    essays = [f"Essay number {i} about being patient while waiting for a bus." for i in range(8)]
    scores = np.array([2, 4, 6, 8, 10, 12, 3, 7])
    scorer = lora.GenerativeScorer(tiny_model_dir, max_length=128, batch_size=4, grad_accum=1,
                                  epochs=1, learning_rate=1e-3)
    before = scorer.predict_proba(essays[:2])
    scorer.fit(essays, scores, exclude=["An essay from the test set."])
    assert scorer.log_history_ and np.isfinite(scorer.log_history_[-1]["loss"])
    probs = scorer.predict_proba(essays)
    assert probs.shape == (8, 13) and np.allclose(probs.sum(1), 1)
    assert not np.allclose(probs[:2], before)  # the adapters changed the answer distribution
    pred = scorer.predict(essays)
    assert pred.dtype.kind == "i" and ((pred >= 0) & (pred <= 12)).all()
    exp = lora.GenerativeScorer(tiny_model_dir, max_length=128, decision="expected")
    exp.model_, exp.tokenizer_ = scorer.model_, scorer.tokenizer_
    assert ((exp.predict(essays) >= 0) & (exp.predict(essays) <= 12)).all()
    assert np.all(scorer.valid_mass_ > 0) and np.all(scorer.valid_mass_ <= 1 + 1e-6)


@pytest.mark.slow
def test_lora_save_load_gives_identical_probabilities(tiny_model_dir, tmp_path):
    essays = [f"Essay {i}: I waited patiently for my turn at the doctor." for i in range(4)]
    scorer = lora.GenerativeScorer(tiny_model_dir, max_length=128, batch_size=4, grad_accum=1,
                                  epochs=1, learning_rate=1e-3)
    with pytest.raises(RuntimeError, match="fit"):
        scorer.save(tmp_path / "unfitted")
    scorer.fit(essays, np.array([1, 5, 9, 12]))
    scorer.save(tmp_path / "lora")
    assert (tmp_path / "lora" / "adapter_config.json").is_file()
    loaded = lora.GenerativeScorer.load(tmp_path / "lora")
    assert loaded.get_params() == scorer.get_params()
    np.testing.assert_allclose(loaded.predict_proba(essays), scorer.predict_proba(essays), atol=1e-5)  # float32 sums
    with pytest.raises(ValueError, match="scorer.json"):
        lora.GenerativeScorer.load(tmp_path)


@pytest.mark.slow
def test_multi_token_scores_use_full_answers(tiny_model_dir):
    """'12' is two tokens ('1', '2') for SmolLM2: its probability must not equal P('1')."""
    scorer = lora.GenerativeScorer(tiny_model_dir, max_length=128)
    scorer._load()
    ll = scorer._log_likelihoods("A short essay.")
    assert ll.shape == (13,) and np.all(np.isfinite(ll)) and np.all(ll < 0)
    gaps = np.abs(np.subtract.outer(ll[[1, 10, 11, 12]], ll[[1, 10, 11, 12]]))[~np.eye(4, dtype=bool)]
    assert gaps.min() > 1e-4  # four different log-likelihoods (rounding them could split equal values)


@pytest.mark.slow
def test_answer_log_likelihoods_is_what_the_scorer_reads(tiny_model_dir):
    """The shared helper gives the GenerativeScorer's numbers for its own prompt."""
    scorer = lora.GenerativeScorer(tiny_model_dir, max_length=128)
    scorer._load()
    messages = lora.build_messages("A short essay.")
    answers = [lora.answer(s) for s in range(13)]
    direct = lora.answer_log_likelihoods(scorer.model_, scorer.tokenizer_, messages, answers)
    np.testing.assert_allclose(direct, scorer._log_likelihoods("A short essay."), atol=1e-6)


@pytest.mark.slow
def test_prompt_scorer_always_gives_a_score(tiny_model_dir):
    """Zero-shot, rubric and few-shot prompts scored from answer probabilities: no None."""
    from course_utils import prompts

    essays = ["I waited for the bus.", "My brother was patient when the dog ran away, and we found it."]
    few = prompts.FewShot(essays * 2, [3, 9, 4, 8], k=1, model_id="all-MiniLM-L6-v2")
    for build in (lambda e: prompts.zero_shot(e, max_words=50), lambda e: prompts.with_rubric(e, max_words=50),
                  few):
        scorer = prompts.PromptScorer(build, tiny_model_dir)
        probs = scorer.predict_proba(essays)
        assert probs.shape == (2, 13) and np.allclose(probs.sum(axis=1), 1)
        assert np.all((scorer.valid_mass_ > 0) & (scorer.valid_mass_ <= 1 + 1e-6))
        expected = scorer.expected_score(essays)
        np.testing.assert_allclose(expected, probs @ np.arange(13), atol=1e-9)
        pred = scorer.predict(essays)
        assert pred.dtype.kind == "i" and np.all((pred >= 0) & (pred <= 12))
    # cutoffs fitted on training essays map expected scores onto the human scale
    scorer.fit_expected([2.0, 4.0, 6.0, 8.0], [1, 3, 9, 11])
    assert scorer.to_scores([2.0, 8.0]).tolist() == [1, 11]
    with pytest.raises(ValueError, match="prompt builder"):
        prompts.PromptScorer("zero_shot")


def test_continuation_log_probs_match_a_full_forward_pass(tiny_model_dir):
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    prompt, conts = [5, 6, 7, 8], [[9, 10, 11], [12], [13, 14]]
    got = lora.continuation_log_probs(model, prompt, conts, pad_id=0)
    for c, g in zip(conts, got):
        with torch.no_grad():
            logp = torch.log_softmax(model(torch.tensor([prompt + c])).logits[0].float(), -1)
        want = [float(logp[len(prompt) + j - 1, t]) for j, t in enumerate(c)]
        assert len(g) == len(c) and np.allclose(g, want, atol=1e-4)
