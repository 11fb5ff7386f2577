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
# Without internet access the notebook uses a small local model, SmolLM2-135M-Instruct
# (135 million parameters, instead of the profile's LiquidAI/LFM2-350M), and the hosted
# calls are skipped with a message. A model this small often does not follow
# instructions; watch for it below.
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
# `llm.load_local_model` loads the profile's model once (`profile.llm_model`; without
# internet a smaller one, and one line says which). We give it the start of a sentence
# and look at the probabilities of the next token.

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
#
# The figure shows the 10 tokens most likely at $T=1$ (the rest of the vocabulary holds
# the remaining probability, so at $T=2$ the bars add up to much less than 1). Each
# title gives the distribution's **entropy**, a measure of how spread out it is: 0 when
# one token has all the probability, higher when it is spread over many (measured in
# *nats*, the unit of the natural logarithm).
#
# For scoring, **temperature 0** (greedy decoding) is a reasonable default: the same
# essay gets the same reply on the same model and machine. It is not the only way to be
# repeatable (a fixed seed makes local sampling repeatable too), and hosted APIs do not
# promise identical replies even at temperature 0 (requests are batched on shared
# hardware). Nor is repeatable the same as right: another design samples several replies
# at $T>0$ and averages their scores, which also shows how unsure the model is.

# %%
def reshape(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None) -> torch.Tensor:
    """Probabilities after temperature scaling and an optional top-k cut."""
    scaled = logits / temperature
    if top_k is not None:
        cutoff = torch.topk(scaled, top_k).values[-1]
        scaled = torch.where(scaled >= cutoff, scaled, torch.tensor(float("-inf")))
    return torch.softmax(scaled, -1)


shown = top.indices  # the 10 most likely tokens at T = 1
labels = [tokenizer.decode(int(i)).strip() for i in shown]  # the text of each token
settings = [(0.5, None), (1.0, None), (2.0, None), (1.0, 3)]
fig, axes = plt.subplots(1, len(settings), figsize=(14, 3), sharey=True)
for ax, (t, k) in zip(axes, settings):
    p = reshape(logits, t, k)
    entropy = float(-(p[p > 0] * p[p > 0].log()).sum())
    ax.bar(range(10), p[shown].numpy())
    ax.set_xticks(range(10), labels, rotation=90)
    ax.set_xlabel("next token (10 most likely at T=1)")
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

generator = pipeline("text-generation", model=model, tokenizer=tokenizer)
messages = [
    {"role": "system", "content": "You are a teacher who scores essays from 0 to 12."},
    {"role": "user", "content": "Essay: I waited an hour for my turn and did not complain.\n"
                                "Answer with one line: **Score**: n"},
]
print(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
out = generator(messages, max_new_tokens=profile.llm_max_new_tokens, do_sample=False)
reply = out[0]["generated_text"][-1]["content"]
print("Reply:", reply)
from course_utils.llm import parse_score
print("Score read from the reply (section 4):", parse_score(reply, 0, 12))

# %% [markdown]
# Look at the reply before going on: did the model answer with a score at all? A model of
# a few hundred million parameters (or the 135-million one used without internet) often
# does not follow the requested format, and then there is no score to read: `parse_score`
# returns `None`. That is not a bug in the code but the model's limit, and it is why
# section 4 needs a parser that can say "no score", and why notebook 15 counts such
# replies.
# %% [markdown]
# ## 3. Hosted APIs: Groq and Cerebras
#
# Hosted providers run much larger models on their own hardware; you send messages over
# the internet (HTTPS, the encrypted web protocol) with an API key. Both offer free tiers
# with **rate limits** (requests and tokens per minute), so `ChatClient` builds each
# provider's SDK (its official Python package) with `max_retries=4`: the SDK waits and
# retries when the server answers with status 429 ("too many requests"; its
# `Retry-After` header says how long to wait) or a 5xx status (an error on the server's
# side), and after the last try `ChatClient` gives up with a clear message.
#
# **Keys.** Never paste a key into a notebook. In Colab: the key icon in the left
# sidebar → *Add new secret* → name `GROQ_API_KEY` (or `CEREBRAS_API_KEY`), paste the
# key, switch on *Notebook access*. Elsewhere: `export GROQ_API_KEY=...` in the shell
# that starts Jupyter. `llm.get_api_key` looks in those places (and prompts, hidden,
# when someone can type). Keys: <https://console.groq.com/keys>,
# <https://cloud.cerebras.ai>.
#
# Model names change: the Cerebras model `llama-4-scout-17b-16e-instruct` that this
# lesson once used has been retired. The names the course uses are in one place,
# `llm.PROVIDERS`; `llm.list_models("cerebras")` asks a provider for its current ones
# (a client you already have answers `client.list_models()`, the same call).

# %%
for name, conf in llm.PROVIDERS.items():
    print(f"{name:9s} default model: {conf['default_model']:22s} key: {conf['key']}")

try:
    llm.ChatClient("cerebras", "llama-4-scout-17b-16e-instruct")
except llm.ModelNotFoundError as err:
    print("\nModelNotFoundError:", err)

# %%
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
        print(f"{provider} ({hosted.model}):", hosted.chat(question, temperature=0, max_tokens=512))
    except llm.LLMError as err:  # rate limit, retired model, rejected key: say so and go on
        print(f"{provider}: {type(err).__name__}: {err}")

# %% [markdown]
# ## 4. Reading a score out of a reply
#
# A naive parser reads the last three characters of the reply as the score (the last
# column below), so any other wording crashes it or gives a wrong number. `parse_score`
# accepts the usual forms and returns `None` (never raises) when there is no clear,
# whole-number score in range: "Score: 7.5" is refused (not a whole score point), and
# "**Score**: 14" is refused (outside 0-12).
#
# **How the `None`s enter the agreement.** `score_with_llm` (notebook 15) computes QWK
# on the essays with a parsed score only, and reports the number of unparsed replies
# (and the share parsed, *coverage*) beside it. Read the two together: replies without a
# score are not a random sample (a model may fail more on very short or off-topic
# essays), so a QWK on 60% of the essays can look better than the scorer is. A scorer
# that must score every essay needs a rule for the rest (a fallback score, or a human),
# and that rule is part of what is evaluated.

# %%
import pandas as pd
from IPython.display import display

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
parsed = pd.Series([parse_score(r, 0, 12) for r in replies], dtype=object)  # keep ints and None
with pd.option_context("display.max_colwidth", None):  # show every reply in full
    display(pd.DataFrame({"reply": replies, "parse_score": parsed,
                          "last 3 characters": [r[-3:] for r in replies]}))

# %% [markdown]
# ## Summary
#
# * A generative model gives a probability for every next token; temperature and top-k
#   reshape it. Greedy decoding (temperature 0) is a reasonable default for scoring: the
#   same reply for the same essay on one machine (hosted APIs do not promise that), though
#   repeatable is not the same as right.
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
plt.ylabel(f"probability of the token {tokenizer.decode(best).strip()}")
plt.show()
i = next((k for k, p in enumerate(p_best) if p < 0.5), None)
if i is None:
    print("always above 0.5 here")
elif i == 0:
    print(f"already below 0.5 at T={temperatures[0]:.2f}")
else:  # the grid has steps of 0.2: the crossing lies between two grid points
    print(f"P falls below 0.5 between T={temperatures[i - 1]:.2f} (P={p_best[i - 1]:.3f}) "
          f"and T={temperatures[i]:.2f} (P={p_best[i]:.3f})")
print(f"P falls from {p_best[0]:.3f} at T=0.2 to {p_best[-1]:.3f} at T=3: higher temperatures spread the")
print("probability over more tokens, so sampled text strays further from the most likely reply.")

# %% [markdown]
# ### Exercise 2: How varied is sampling?
#
# Ask the local model the one-sentence question five times at temperature 1.0 with
# top-k 50 (seeds 0-4) and five times greedily. How many distinct replies do you get in
# each case? What would you have to count instead to know whether a *scorer's* scores
# are repeatable?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
sampled = {client.chat(question, temperature=1.0, top_k=50, seed=s, max_tokens=12) for s in range(5)}
greedy = {client.chat(question, temperature=0, max_tokens=12) for _ in range(5)}
print(f"distinct sampled replies: {len(sampled)}; distinct greedy replies: {len(greedy)}")
print(f"Greedy decoding gave {len(greedy)} distinct reply(ies) in five tries, sampling {len(sampled)}.")
print("Different seeds give different samples; the same seed would repeat them, so sampling is not")
print("unrepeatable in itself. For a scorer, count distinct *scores* (parse_score on each reply), or score")
print("the same essays twice and compute the agreement of the two runs (exact agreement, QWK).")

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
