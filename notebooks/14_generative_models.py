# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 14 · Generative models: hosted APIs and a local model
#
# A generative (causal) language model does one thing: given the text so far, it gives a
# probability to every possible next token. Chat, essays and scores are all built from
# that. In this notebook we
#
# 1. look at a model's next-token distribution and at how **temperature** and **top-k**
#    reshape it before sampling;
# 2. run a small model **locally** with a transformers pipeline and with the course's
#    `ChatClient`;
# 3. call two **hosted APIs** (Groq and Cerebras, both with free tiers) through the same
#    interface -- keys come from Colab secrets or environment variables, never from the
#    notebook;
# 4. read a score out of a reply robustly with `parse_score`.
#
# Offline (CI, no Hub access) the local model is SmolLM2-135M-Instruct standing in for the
# original workshop's LiquidAI/LFM2-350M, and the hosted calls are skipped with a message.
#
# *Time to work through: about 30 minutes.*

# %%
# Colab only: install the course's helper package (does nothing elsewhere).
import subprocess, sys
if "google.colab" in sys.modules:
    url = "git+https://github.com/ai-scoring-course/ai-scoring-in-python"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)
    print(f"Installed course_utils and its missing dependencies from {url}; Colab's own packages are unchanged: no restart needed.")

# %%
from course_utils import config
profile = config.setup()  # prints profile, device, Hub mode, data source; seeds everything

# %% [markdown]
# ## 1. The next-token distribution
#
# `llm.load_local_model` loads the profile's model once (`profile.llm_model`; offline a
# stand-in, and one line says which). We give it the start of a sentence and look at the
# probabilities of the next token.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from course_utils import llm

tokenizer, model = llm.load_local_model(profile.llm_model)
text = "Being patient means that you"
ids = tokenizer(text, return_tensors="pt").to(model.device)
with torch.no_grad():
    logits = model(**ids).logits[0, -1].float().cpu()
probs = torch.softmax(logits, -1)
top = torch.topk(probs, 10)
for p, i in zip(top.values, top.indices):
    print(f"{tokenizer.decode(int(i))!r:>14}  {p:.3f}")
print(f"vocabulary: {len(probs):,} tokens; the top 10 hold {top.values.sum():.1%} of the probability")

# %% [markdown]
# ### Temperature and top-k
#
# Sampling draws the next token from this distribution. **Temperature** $T$ divides the
# logits before the softmax: $T<1$ sharpens the distribution (more predictable text),
# $T>1$ flattens it (more varied, more errors); $T \to 0$ is greedy decoding, always the
# most likely token. **Top-k** keeps only the $k$ most likely tokens and renormalises.
# For scoring we want the same answer every time: temperature 0.

# %%
def reshape(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None) -> torch.Tensor:
    """Probabilities after temperature scaling and an optional top-k cut."""
    scaled = logits / temperature
    if top_k is not None:
        cutoff = torch.topk(scaled, top_k).values[-1]
        scaled = torch.where(scaled >= cutoff, scaled, torch.tensor(float("-inf")))
    return torch.softmax(scaled, -1)


shown = top.indices  # the 10 most likely tokens at T = 1
labels = [repr(tokenizer.decode(int(i))) for i in shown]
settings = [(0.5, None), (1.0, None), (2.0, None), (1.0, 3)]
fig, axes = plt.subplots(1, len(settings), figsize=(14, 3), sharey=True)
for ax, (t, k) in zip(axes, settings):
    p = reshape(logits, t, k)
    entropy = float(-(p[p > 0] * p[p > 0].log()).sum())
    ax.bar(range(10), p[shown].numpy())
    ax.set_xticks(range(10), labels, rotation=90)
    ax.set_title(f"T={t}" + (f", top-k={k}" if k else "") + f"\nentropy {entropy:.2f} nats")
axes[0].set_ylabel("probability")
plt.tight_layout()
plt.show()

# %% [markdown]
# The same effect on generated text: greedy decoding gives one answer; sampling at a
# high temperature gives a different one for every seed.

# %%
client = llm.ChatClient("local", profile.llm_model)
question = [{"role": "user", "content": "In one sentence, what is patience?"}]
print("greedy      :", client.chat(question, temperature=0, max_tokens=profile.llm_max_new_tokens))
for seed in (1, 2):
    reply = client.chat(question, temperature=1.5, top_k=50, seed=seed, max_tokens=profile.llm_max_new_tokens)
    print(f"T=1.5 seed {seed}:", reply)

# %% [markdown]
# ## 2. A local model with a transformers pipeline
#
# `pipeline("text-generation")` takes chat messages, applies the model's **chat
# template** (the special tokens that mark system, user and assistant turns) and
# generates the assistant's reply. `ChatClient("local")` above does the same with
# `generate`, behind the interface the hosted APIs use.

# %%
from transformers import pipeline

from course_utils.hub import resolve_model

generator = pipeline("text-generation", model=model, tokenizer=tokenizer)
messages = [
    {"role": "system", "content": "You are a teacher who scores essays from 0 to 12."},
    {"role": "user", "content": "Essay: I waited an hour for my turn and did not complain.\n"
                                "Answer with one line: **Score**: n"},
]
print(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
out = generator(messages, max_new_tokens=profile.llm_max_new_tokens, do_sample=False)
print("Reply:", out[0]["generated_text"][-1]["content"])

# %% [markdown]
# ## 3. Hosted APIs: Groq and Cerebras
#
# Hosted providers run much larger models on their own hardware; you send messages over
# HTTPS with an API key. Both offer free tiers with **rate limits** (requests and tokens
# per minute), so `ChatClient` builds each provider's SDK with `max_retries=4`: the SDK
# waits and retries when the server answers 429 (it honours the `Retry-After` header) or
# 5xx, and after the last try `ChatClient` gives up with a clear message.
#
# **Keys.** Never paste a key into a notebook. In Colab: the key icon in the left
# sidebar → *Add new secret* → name `GROQ_API_KEY` (or `CEREBRAS_API_KEY`), paste the
# key, switch on *Notebook access*. Elsewhere: `export GROQ_API_KEY=...` in the shell
# that starts Jupyter. `llm.get_api_key` looks in those places (and prompts, hidden,
# when someone can type). Keys: <https://console.groq.com/keys>,
# <https://cloud.cerebras.ai>.
#
# Model names change: the original workshop's Cerebras model
# `llama-4-scout-17b-16e-instruct` has been retired. The names the course uses are in
# one place, `llm.PROVIDERS`; `client.list_models()` asks a provider for its current ones.

# %%
for name, conf in llm.PROVIDERS.items():
    print(f"{name:9s} default model: {conf['default_model']:22s} key: {conf['key']}")

try:
    llm.ChatClient("cerebras", "llama-4-scout-17b-16e-instruct")
except llm.ModelNotFoundError as err:
    print("\nModelNotFoundError:", err)

# %%
essay_question = [{"role": "user", "content": "In one sentence, what is patience?"}]
for provider in ("groq", "cerebras"):
    key_name = llm.PROVIDERS[provider]["key"]
    if config.is_offline():
        print(f"{provider}: skipped -- offline mode (COURSE_OFFLINE / HF_HUB_OFFLINE), no network calls.")
        continue
    if not llm.has_api_key(key_name):
        print(f"{provider}: skipped -- no {key_name} in Colab secrets or the environment (see above).")
        continue
    try:
        hosted = llm.ChatClient(provider)
        print(f"{provider} ({hosted.model}):", hosted.chat(essay_question, temperature=0, max_tokens=512))
    except llm.LLMError as err:  # rate limit, retired model, rejected key: say so and go on
        print(f"{provider}: {type(err).__name__}: {err}")

# %% [markdown]
# ## 4. Reading a score out of a reply
#
# The original workshop read the last three characters of the reply as the score, so
# any other wording crashed the notebook or gave a wrong number. `parse_score` accepts
# the usual forms and returns `None` (never raises) when there is no clear, in-range
# score; `score_with_llm` (notebook 15) counts those replies and reports them with the
# metrics.

# %%
import pandas as pd

from course_utils.llm import parse_score

replies = [
    "**Score**: 7",
    "Score: 7/12",
    "9",
    "The story is focused and well organised, with a few spelling errors. I would give it 8.",
    "Ideas: 3, Organization: 2, Style: 2, Conventions: 2. Total: 9",
    "**Score**: 14",
    "It could be a 6 or an 8.",
    "I cannot grade this.",
    "Score: 7.5",
]
pd.DataFrame({"reply": replies, "parse_score": [parse_score(r, 0, 12) for r in replies],
              "last 3 characters": [r[-3:] for r in replies]})

# %% [markdown]
# ## Summary
#
# * A generative model gives a probability for every next token; temperature and top-k
#   reshape it, and greedy decoding (temperature 0) makes scoring repeatable.
# * Hosted APIs run larger models behind keys and rate limits; `ChatClient` talks to
#   them and to a local model the same way.
# * A score must be read out of a reply with a parser that says when there is none.
#
# Next: [notebook 15](15_llm_prompting.ipynb) scores essays by prompting.

# %% [markdown]
# ## Exercises

# %% [markdown]
# ### Exercise 1: Temperature and the probability of the top token
#
# Plot the probability of the most likely next token after "Being patient means that
# you" for temperatures from 0.2 to 3. At which temperature does it fall below 0.5?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
temperatures = np.linspace(0.2, 3, 15)
best = int(top.indices[0])
p_best = [float(reshape(logits, t)[best]) for t in temperatures]
plt.plot(temperatures, p_best, marker="o")
plt.xlabel("temperature")
plt.ylabel(f"P({tokenizer.decode(best)!r})")
plt.show()
below = [t for t, p in zip(temperatures, p_best) if p < 0.5]
print(f"first temperature with P < 0.5: {below[0]:.2f}" if below else "always above 0.5 here")
print(f"P falls from {p_best[0]:.2f} at T=0.2 to {p_best[-1]:.2f} at T=3: higher temperatures spread the")
print("probability over more tokens, so sampled text strays further from the most likely reply.")

# %% [markdown]
# ### Exercise 2: How varied is sampling?
#
# Ask the local model the one-sentence question five times at temperature 1.0 with
# top-k 50 (seeds 0-4) and five times greedily. How many distinct replies do you get in
# each case?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
sampled = {client.chat(question, temperature=1.0, top_k=50, seed=s, max_tokens=12) for s in range(5)}
greedy = {client.chat(question, temperature=0, max_tokens=12) for _ in range(5)}
print(f"distinct sampled replies: {len(sampled)}; distinct greedy replies: {len(greedy)}")
print(f"Greedy decoding gave {len(greedy)} distinct reply(ies) in five tries, sampling {len(sampled)}:")
print("a scorer must give the same essay the same score, hence temperature 0.")

# %% [markdown]
# ### Exercise 3: Break the parser
#
# Write three replies a model might plausibly give for which `parse_score` returns
# `None`, and one for which it returns a number you think is wrong. What would you
# change?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
tricky = ["Score: twelve", "Between 7 and 8.", "**Score**: 7 (or 8 if we are generous)",
          "**Score**: 3 (Ideas)"]
for r in tricky:
    print(f"{parse_score(r, 0, 12)!s:>5}  <- {r}")
refused = sum(parse_score(r, 0, 12) is None for r in tricky[:3])
print(f"{refused} of the first 3 are refused (None), not guessed: a number as a word, two numbers, a score "
      "with an alternative.")
print(f"The last is read as {parse_score(tricky[-1], 0, 12)}, but that is one trait's score (0-3), not the "
      "holistic 0-12 score: a parser cannot tell which scale a number belongs to.")
# Better than a cleverer parser: a model trained to answer "**Score**: n" (notebook 16).
