"""The local chat model: a transformers causal LM on this machine, no key, no network.

>>> tokenizer, model = load_local_model("LiquidAI/LFM2-350M")   # loaded once, then reused
>>> local_chat("LiquidAI/LFM2-350M", [{"role": "user", "content": "Hi"}], max_tokens=8)

The model id goes through :func:`course_utils.hub.resolve_model`, so offline (CI, an
air-gapped laptop) SmolLM2-135M-Instruct stands in and one line says so. ``local_chat``
fills the model's chat template, generates greedily unless ``temperature > 0``, and
returns the new text only; it is what ``ChatClient("local").chat`` calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from course_utils.config import device
from course_utils.llm.providers import Messages


@lru_cache(maxsize=4)
def local_path(model_id: str) -> str:
    """The folder or Hub id that is really loaded for ``model_id`` (offline: the stand-in)."""
    from course_utils.hub import resolve_model

    return resolve_model(model_id, kind="causal-lm")


@lru_cache(maxsize=2)
def load_local_model(model_id: str, dtype: str | None = None):
    """``(tokenizer, model)`` for a causal LM, resolved offline if needed, loaded once.

    ``dtype``: ``None`` gives float16 on a GPU and float32 on a CPU; ``"bfloat16"`` halves
    the CPU time on processors with bfloat16 instructions (slightly different numbers).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = local_path(model_id)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if dtype is None:
        dtype = "float16" if device() == "cuda" else "float32"
    model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype)).to(device()).eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, model


def local_chat(
    model_id: str,
    messages: Messages,
    temperature: float = 0.0,
    max_tokens: int = 64,
    top_p: float | None = None,
    top_k: int | None = None,
    seed: int | None = None,
    stop: Sequence[str] | str | None = None,
) -> str:
    """The local model's reply to ``messages``: greedy at ``temperature=0``, sampled above."""
    import torch

    tokenizer, model = load_local_model(model_id)
    ids = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    ).to(model.device)
    sample = temperature is not None and temperature > 0
    gen = {"max_new_tokens": int(max_tokens), "do_sample": sample, "pad_token_id": tokenizer.pad_token_id}
    if sample:
        gen.update(temperature=float(temperature), top_k=top_k or 0, top_p=top_p or 1.0)
        if seed is not None:
            torch.manual_seed(seed)
    else:
        gen.update(temperature=None, top_k=None, top_p=None)
    with torch.no_grad():
        out = model.generate(**ids, **gen)
    text = tokenizer.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
    for s in [stop] if isinstance(stop, str) else stop or []:
        text = text.split(s)[0]
    return text.strip()
