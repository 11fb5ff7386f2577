"""How likely is each answer: scores read from a chat model's probabilities, not its text.

A generated reply must be parsed, and parsing can fail (:func:`course_utils.replies.parse_score`
returns ``None``). Reading probabilities cannot: after the prompt, the model gives every
complete answer ``"**Score**: 0"`` ... ``"**Score**: 12"`` a log-probability, the sum over
its tokens up to the end-of-turn token (:func:`answer_log_likelihoods`), and a softmax over
these gives a distribution over the scores. The prompt is read once
(:func:`read_prompt`); its key-value cache then scores all the answers together
(:func:`continuation_log_probs`).

Used by the LoRA-tuned :class:`course_utils.lora.GenerativeScorer`, the prompt scorers of
:mod:`course_utils.prompts` and the guard's surprise check (:mod:`course_utils.short_answer.surprise`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Messages = list[dict[str, str]]


def answer(score: int) -> str:
    """The assistant's answer for ``score``: ``"**Score**: 7"``."""
    return f"**Score**: {int(score)}"


def read_prompt(model, prompt: Sequence[int]):
    """One forward pass over ``prompt`` (token ids): ``(log-probabilities of the next token, output)``.

    The output holds the key-value cache; pass the pair to :func:`continuation_log_probs`
    as ``state`` to score continuations of the same prompt many times without reading it again.
    """
    import torch

    with torch.no_grad():
        start = torch.tensor([list(prompt)], device=model.device)
        try:  # only the last position's scores are needed, not a vocabulary's worth per token
            first = model(start, use_cache=True, logits_to_keep=1)
        except TypeError:  # architectures without that option
            first = model(start, use_cache=True)
    return torch.log_softmax(first.logits[0, -1].float(), -1), first


def continuation_log_probs(model, prompt: Sequence[int], continuations: Sequence[Sequence[int]],
                           pad_id: int, state=None) -> list[np.ndarray]:
    """log P(token | prompt, tokens before it) for every token of each continuation.

    One forward pass reads the shared ``prompt`` (token ids), or ``state`` from
    :func:`read_prompt` is reused (its cache is copied, not changed); the continuations
    are then scored together, right-padded with ``pad_id``, from the key-value cache.
    Returns one array per continuation, as long as it. Used by
    :func:`answer_log_likelihoods` and by the guard's surprise check
    (:mod:`course_utils.short_answer.surprise`).
    """
    import copy

    import torch

    last, first = read_prompt(model, prompt) if state is None else state
    width = max(len(c) for c in continuations)
    batch = torch.tensor([list(c) + [pad_id] * (width - len(c)) for c in continuations], device=model.device)
    k = len(continuations)
    with torch.no_grad():
        try:
            # transformers >= 5.2x calls the cache `cache`, older versions (Colab's) `past_key_values`
            name = "cache" if "cache" in first else "past_key_values"
            past = first[name] if state is None else copy.deepcopy(first[name])
            past.batch_repeat_interleave(k)
            rest = model(batch, **{name: past}, use_cache=True).logits
        except Exception:  # caches some architectures cannot expand: recompute
            start = torch.tensor([list(prompt)] * k, device=model.device)
            rest = model(torch.cat([start, batch], 1)).logits[:, len(prompt):]
        logp = torch.log_softmax(rest.float(), -1)
    out = []
    for i, c in enumerate(continuations):
        steps = [float(last[c[0]])] + [float(logp[i, j - 1, c[j]]) for j in range(1, len(c))]
        out.append(np.array(steps))
    return out


def answer_log_likelihoods(model, tokenizer, messages: Messages, answers: Sequence[str]) -> np.ndarray:
    """log P(answer | messages) of each complete assistant answer, summed over its tokens.

    The answers (up to and including the end-of-turn token) are scored together after
    the chat prompt they share (:func:`continuation_log_probs`). Used by
    :class:`GenerativeScorer` and by the prompt scorers of :mod:`course_utils.prompts`.
    """
    cands = [tokenizer.apply_chat_template(messages + [{"role": "assistant", "content": a}],
                                           tokenize=True, return_dict=True)["input_ids"] for a in answers]
    prefix = 0
    while all(len(c) > prefix and c[prefix] == cands[0][prefix] for c in cands):
        prefix += 1
    eos = tokenizer.convert_tokens_to_ids(tokenizer.eos_token)
    suffixes = []
    for c in cands:  # the answer's own tokens, up to and including the end of turn
        tail = list(c[prefix:])
        suffixes.append(tail[: tail.index(eos) + 1] if eos in tail else tail)
    steps = continuation_log_probs(model, cands[0][:prefix], suffixes, tokenizer.pad_token_id)
    return np.array([s.sum() for s in steps])
