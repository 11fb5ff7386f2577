"""The full profile's models, as architectures: tiny random-weight copies through the course's code.

Neither CI nor the GPU machine reaches the Hugging Face Hub, so the full profile's
weights (ELECTRA-small, LFM2-350M, multilingual MiniLM, RoBERTa-large) cannot be loaded
here. Their architectures can: each is built from its transformers config class with
tiny sizes and random weights, saved to a folder, and that folder goes through the same
code as the Hub id would (``resolve_model`` uses a local folder as is) for one step on
the CPU. The full profile's settings are checked against each architecture too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from course_utils import config, finetune  # noqa: E402
from course_utils import lora as gen  # noqa: E402
from course_utils.hub import ModelNotAvailableError, minilm_path, smollm_path  # noqa: E402

FULL = config.get_profile("full")
pytestmark = pytest.mark.slow  # about a minute together on 2 busy cores


@dataclass(frozen=True)
class Architecture:
    config_class: str  # the transformers config class of the real model
    tiny: dict  # sizes for a tiny random copy
    max_positions: int  # the real model's position limit (from its config.json on the Hub)
    tokenizer: str = "minilm"  # the offline tokenizer the tiny copy uses


TINY_ENCODER = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                    max_position_embeddings=128, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
# Every model id the full profile names -> its architecture.
ARCHITECTURES = {
    "google/electra-small-discriminator": Architecture("ElectraConfig", dict(TINY_ENCODER, embedding_size=16), 512),
    "LiquidAI/LFM2-350M": Architecture(
        "Lfm2Config",
        dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, layer_types=["conv", "full_attention"], max_position_embeddings=512,
             block_multiple_of=16),
        128_000, tokenizer="smollm"),
    "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2": Architecture("BertConfig", TINY_ENCODER, 512),
    "sentence-transformers/all-MiniLM-L6-v2": Architecture("BertConfig", TINY_ENCODER, 512),
    "roberta-large": Architecture("RobertaConfig", dict(TINY_ENCODER, type_vocab_size=1, max_position_embeddings=130),
                                  514 - 2),  # RoBERTa's first two positions are reserved
}
FULL_MODELS = {field: value for field, value in FULL.as_dict().items() if field.endswith("_model")}


def _tokenizer(kind: str, **kwargs):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(minilm_path() if kind == "minilm" else smollm_path(), **kwargs)
    except ModelNotAvailableError as exc:  # pragma: no cover - depends on the machine
        pytest.skip(str(exc))


def build_tiny(model_id: str, folder) -> str:
    """Save a tiny random-weight model of ``model_id``'s architecture (+ a tokenizer) to ``folder``."""
    arch = ARCHITECTURES[model_id]
    # RoBERTa has one token type: like its own tokenizer, give the model no token_type_ids
    no_types = {"model_input_names": ["input_ids", "attention_mask"]} if arch.config_class == "RobertaConfig" else {}
    tokenizer = _tokenizer(arch.tokenizer, **no_types)
    cfg = getattr(transformers, arch.config_class)(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id
                                                   if tokenizer.pad_token_id is not None else 0, **arch.tiny)
    torch.manual_seed(0)
    if arch.config_class == "Lfm2Config":
        cfg.bos_token_id, cfg.eos_token_id = tokenizer.bos_token_id, tokenizer.eos_token_id
        model = transformers.AutoModelForCausalLM.from_config(cfg)
    else:
        model = transformers.AutoModel.from_config(cfg)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """``tiny(model_id)`` -> folder of its tiny copy (built once per module)."""
    cache = {}

    def get(model_id):
        if model_id not in cache:
            cache[model_id] = build_tiny(model_id, tmp_path_factory.mktemp(model_id.replace("/", "__")))
        return cache[model_id]

    return get


def _essays(n, seed=0):
    rng = np.random.default_rng(seed)
    words = "patience waited doctor line mother calm store turn quietly bus".split()
    return [" ".join(rng.choice(words, 12)) for _ in range(n)], rng.integers(0, 5, n)


# --- the table covers the full profile, and matches the real models where that can be seen ---
def test_every_full_profile_model_has_an_architecture_check():
    assert set(FULL_MODELS.values()) == set(ARCHITECTURES), "add the new model id to ARCHITECTURES"


def test_architecture_table_matches_the_offline_stand_in():
    real = transformers.AutoConfig.from_pretrained(minilm_path())
    assert type(real).__name__ == ARCHITECTURES["sentence-transformers/all-MiniLM-L6-v2"].config_class
    assert real.max_position_embeddings == ARCHITECTURES["sentence-transformers/all-MiniLM-L6-v2"].max_positions


@pytest.mark.parametrize("field,limit_field", [("finetune_model", "finetune_max_length"),
                                               ("llm_model", "lora_max_length"),
                                               ("sa_cross_encoder_model", "sa_max_length")])
def test_full_profile_lengths_fit_the_architecture(field, limit_field):
    length = getattr(FULL, limit_field)
    assert length <= ARCHITECTURES[FULL_MODELS[field]].max_positions, f"{limit_field}={length} is too long"


# --- fine-tuning an essay scorer (ELECTRA): manual loop and Trainer, both heads ----------------
@pytest.mark.parametrize("mode", ["classification", "regression"])
def test_manual_loop_one_step(tiny, mode):
    folder = tiny(FULL.finetune_model)
    texts, scores = _essays(8)
    scorer = finetune.FineTunedScorer(folder, min_score=0, max_score=4, mode=mode, max_length=32, epochs=1,
                                      batch_size=8, lr=1e-3, device="cpu", progress=False, seed=0)
    scorer.fit(texts, scores, texts[:4], scores[:4])
    assert type(scorer.model_).__name__ == "ElectraForSequenceClassification"
    assert scorer.model_.config.num_labels == (5 if mode == "classification" else 1)
    pred = scorer.predict(texts)
    assert pred.shape == (8,) and pred.min() >= 0 and pred.max() <= 4


@pytest.mark.parametrize("mode", ["classification", "regression"])
def test_trainer_one_step(tiny, tmp_path, mode):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = tiny(FULL.finetune_model)
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=5 if mode == "classification" else 1)
    texts, scores = _essays(8)
    data = finetune.EssayDataset(texts, scores, tok, 0, 4, mode, 32)
    args = finetune.trainer_arguments(tmp_path, epochs=1, lr=1e-3, batch_size=8, use_cpu=True,
                                      disable_tqdm=True, logging_strategy="no", warmup_steps=0)
    assert not args.fp16 and not args.bf16  # no CUDA: no mixed precision
    trainer = finetune.ScoringTrainer(model=model, args=args, train_dataset=data, eval_dataset=data,
                                      processing_class=tok, mode=mode,
                                      compute_metrics=finetune.make_compute_metrics(0, 4, mode))
    before = {k: v.clone() for k, v in model.classifier.state_dict().items()}
    result = trainer.train()
    assert result.global_step == 1 and np.isfinite(result.training_loss)
    assert any(not torch.equal(before[k], v) for k, v in model.classifier.state_dict().items())
    assert "eval_QWK" in trainer.evaluate()


# --- generative scoring (LFM2): LoRA targets, one SFT step, answer probabilities ----------------
def lora_adapted_modules(folder: str, targets=None) -> dict[str, int]:
    """Build the course's LoRA config for the model in ``folder`` and count adapted layers per name."""
    from peft import get_peft_model

    model = transformers.AutoModelForCausalLM.from_pretrained(folder)
    peft_model = get_peft_model(model, gen.lora_config(model, targets=targets))
    counts: dict[str, int] = {}
    for name, module in peft_model.named_modules():
        if hasattr(module, "lora_A") and len(module.lora_A):
            counts[name.split(".")[-1]] = counts.get(name.split(".")[-1], 0) + 1
    return counts


def test_lora_targets_exist_in_lfm2(tiny):
    counts = lora_adapted_modules(tiny(FULL.llm_model))
    # attention (q/k/v/out_proj), the short convolutions (in_proj/out_proj) and the MLP (w1..w3)
    assert set(counts) == {"q_proj", "k_proj", "v_proj", "out_proj", "in_proj", "w1", "w2", "w3"}
    assert counts["out_proj"] == 2 and counts["w1"] == 2  # one attention + one conv layer, 2 MLPs


def test_a_wrong_target_module_name_fails(tiny):
    folder = tiny(FULL.llm_model)
    with pytest.raises(ValueError, match="query_key_value"):  # a Falcon/BLOOM name: not in LFM2
        lora_adapted_modules(folder, targets=["q_proj", "query_key_value"])
    from peft import LoraConfig, get_peft_model

    model = transformers.AutoModelForCausalLM.from_pretrained(folder)
    with pytest.raises(ValueError):  # peft itself refuses too, so no silent no-op adapter
        get_peft_model(model, LoraConfig(target_modules=["query_key_value"], task_type="CAUSAL_LM"))


def test_lfm2_sft_step_and_answer_probabilities(tiny):
    essays = [f"Essay {i}: I waited patiently in line at the store." for i in range(4)]
    scorer = gen.GenerativeScorer(tiny(FULL.llm_model), max_length=128, batch_size=4, grad_accum=1, epochs=1,
                                  learning_rate=1e-3)
    scorer.fit(essays, np.array([1, 5, 9, 12]))
    assert len(scorer.log_history_) == 1 and np.isfinite(scorer.log_history_[0]["loss"])
    assert type(scorer.model_.get_base_model()).__name__ == "Lfm2ForCausalLM"
    probs = scorer.predict_proba(essays[:2])
    assert probs.shape == (2, 13) and np.allclose(probs.sum(1), 1)


# --- short answers: the multilingual encoder and the cross-encoder (RoBERTa) ----------------------
@pytest.mark.parametrize("field", ["sa_embedding_model", "embedding_model"])
def test_sentence_encoder_architecture(tiny, field):
    from course_utils.embeddings import encode

    vectors = encode(["the bulb is in a closed path", "a gap in the circuit"], model_id=tiny(FULL_MODELS[field]),
                     use_disk=False)
    assert vectors.shape == (2, 32) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


def test_cross_encoder_one_epoch(tiny, tmp_path):
    from course_utils import short_answer as sa

    rows = [("the bulb is in a closed path", a, lab) for a, lab in
            [("closed path", "correct"), ("open switch", "incorrect"), ("no path", "contradictory")] * 3]
    df = pd.DataFrame(rows, columns=["reference_answer", "student_answer", "label_3way"])
    trainer = sa.train_cross_encoder(df, df.iloc[:3], tiny(FULL.sa_cross_encoder_model), str(tmp_path),
                                     epochs=1, max_length=32, batch_size=9)
    assert type(trainer.model).__name__ == "RobertaForSequenceClassification"
    assert trainer.state.global_step == 1 and not trainer.args.fp16 and not trainer.args.bf16
    assert len(sa.predict_cross_encoder(trainer, df.iloc[:3], max_length=32)) == 3


def test_pair_dataset_tokenises_each_pair_without_a_progress_bar(tiny, capfd):
    from transformers import AutoTokenizer

    from course_utils.short_answer.cross_encoder import pair_dataset

    tokenizer = AutoTokenizer.from_pretrained(tiny(FULL.sa_cross_encoder_model))
    df = pd.DataFrame({"reference_answer": ["the bulb is in a closed path"] * 2,
                       "student_answer": ["closed path", None], "label_3way": ["correct", "incorrect"]})
    capfd.readouterr()
    ds = pair_dataset(df, tokenizer, max_length=8)
    out, err = capfd.readouterr()
    assert "Map" not in out + err and "%|" not in out + err  # nothing printed for the learner to wade through
    assert ds["label"] == [0, 2]
    assert ds["input_ids"][0] == tokenizer("the bulb is in a closed path", "closed path", truncation=True,
                                           max_length=8)["input_ids"]
    assert len(ds["input_ids"][1]) <= 8


# --- mixed precision: fp16 only with CUDA, never bf16 on a T4 -------------------------------------
class _Recorded(Exception):
    pass


@pytest.fixture
def t4(monkeypatch):
    """Pretend a Colab T4 is present (CUDA, capability 7.5: no bf16 hardware, though PyTorch's
    ``is_bf16_supported()`` says True there, counting emulation) and record training arguments
    instead of building them."""
    seen = {}

    def record(self):  # TrainingArguments (and trl's SFTConfig) check their settings here
        seen.update(fp16=self.fp16, bf16=self.bf16)
        raise _Recorded

    monkeypatch.setattr(transformers.TrainingArguments, "__post_init__", record)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a, **k: (7, 5))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)  # emulation counts
    monkeypatch.setattr(config, "device", lambda: "cuda")
    return seen


@pytest.mark.parametrize("capability, expected", [
    ((7, 5), (torch.float16, True)),   # T4: fp16 + loss scaling
    ((7, 0), (torch.float16, True)),   # V100
    ((8, 0), (torch.bfloat16, False)),  # A100
    ((8, 9), (torch.bfloat16, False)),  # L4
    ((9, 0), (torch.bfloat16, False)),  # H100
])
def test_mixed_precision_choice(monkeypatch, capability, expected):
    """bf16 by compute capability (>= 8.0), whatever is_bf16_supported() says (True on a T4: emulation)."""
    from course_utils import training

    assert finetune.mixed_precision("cpu") == (None, False)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a, **k: capability)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert training.has_native_bf16() is (capability[0] >= 8)
    assert finetune.mixed_precision("cuda") == expected


def test_trainer_arguments_on_a_t4(t4, tmp_path):
    with pytest.raises(_Recorded):
        finetune.trainer_arguments(tmp_path)
    assert t4["fp16"] is True and t4["bf16"] is False


def test_cross_encoder_on_a_t4(t4, tiny, tmp_path):
    from course_utils import short_answer as sa

    df = pd.DataFrame({"reference_answer": ["a"], "student_answer": ["b"], "label_3way": ["correct"]})
    with pytest.raises(_Recorded):
        sa.train_cross_encoder(df, df, tiny(FULL.sa_cross_encoder_model), str(tmp_path))
    assert t4["fp16"] is True and t4["bf16"] is False


def test_lora_training_on_a_t4(t4, tiny, monkeypatch):
    monkeypatch.setattr(gen, "device", lambda: "cuda")
    scorer = gen.GenerativeScorer(tiny(FULL.llm_model), max_length=128)
    real_load = gen.GenerativeScorer._load

    def load_on_cpu(self):  # the weights stay on this CPU; only fit() believes in the GPU
        with monkeypatch.context() as m:
            m.setattr(gen, "device", lambda: "cpu")
            real_load(self)

    monkeypatch.setattr(gen.GenerativeScorer, "_load", load_on_cpu)
    with pytest.raises(_Recorded):
        scorer.fit(["An essay."], [3])
    assert t4["fp16"] is True and t4["bf16"] is False
