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
# # 16 · LoRA generative scoring
#
# Prompting asks a general model to score; fine-tuning *teaches* it. We LoRA-tune a small
# chat model (LiquidAI/LFM2-350M in Colab, as in the original workshop; offline the
# SmolLM2-135M-Instruct stand-in) with trl's `SFTTrainer` to answer "**Score**: n", then
# score essays without generating any text: we read the probability the model gives to
# each complete answer "**Score**: 0" ... "**Score**: 12" and take the most likely one
# (or the expected score). Every essay gets a valid score; nothing is parsed.
#
# Two things the original got wrong, and we fix: its model was trained **on the test
# essays** (so its QWK of 0.693 is not a test result), and its parser read the last three
# characters of the generated text.
#
# *Time to work through: about 40 minutes.*

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
# ## 1. The chat template and the training data
#
# Each training example is a conversation: a system turn, a user turn with the score
# range and the essay, and the assistant's answer. trl calls this a *prompt-completion*
# dataset: `prompt` holds the first two turns, `completion` the answer, and the loss is
# computed **on the answer only** -- the model is not trained to reproduce essays.
# The examples come from the training split only (`lora.training_data`);
# `exclude=` makes `sft_dataset` raise an error if a test essay slips in.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from course_utils import baselines, lora
from course_utils.data import load_asap, reference_split
from course_utils.metrics import aes_metrics

essays, scores, test_essays = lora.training_data(profile.lora_train_essays)
train, test = reference_split(load_asap(7))
subset = test.iloc[lora.eval_positions(profile.llm_eval_essays)]
human = subset.rater1_domain1.to_numpy()
print(f"LoRA training essays: {len(essays)} (of {len(train)}); evaluation: {len(subset)} test essays")

data = lora.sft_dataset(essays, scores, exclude=test_essays)
example = data[0]
for turn in example["prompt"] + example["completion"]:
    print(f"[{turn['role']}] {turn['content'][:300]}")

# %% [markdown]
# The model's chat template turns the conversation into one string with special tokens.
# Note how the answer's digits are tokenised: for some tokenizers "12" is two tokens, so
# reading only the *first* answer token would confuse 1 with 10, 11 and 12.

# %%
scorer = lora.GenerativeScorer(profile.llm_model, max_length=profile.lora_max_length,
                              epochs=profile.lora_epochs, random_state=config.SEED)
scorer._load()
tok = scorer.tokenizer_
print(tok.apply_chat_template(example["prompt"] + example["completion"], tokenize=False))
for s in ("7", "10", "12"):
    print(f"{s!r} -> {tok.convert_ids_to_tokens(tok(s, add_special_tokens=False)['input_ids'])}")

# %% [markdown]
# ## 2. LoRA: which layers?
#
# LoRA adds a small trainable low-rank update $W + BA$ next to chosen weight matrices
# and freezes everything else. The layer names differ between model families (Llama:
# `q_proj ... down_proj`; LFM2: `q_proj, out_proj, in_proj, w1-w3`; GPT-2: `c_attn`...),
# so `lora_config` inspects the model and picks the linear layers that exist.

# %%
print("linear layers:", lora.linear_module_names(scorer.model_))
lcfg = lora.lora_config(scorer.model_)
print("LoRA targets :", sorted(lcfg.target_modules), f"| rank {lcfg.r}")

# %% [markdown]
# ## 3. Before training: answer probabilities of the untuned model
#
# `predict_proba` scores every candidate answer by its log-likelihood given the prompt
# (all tokens of "12" plus the end-of-turn token), normalised over the 13 answers.
# `valid_mass_` is how much probability the model put on well-formed answers at all.

# %%
pred_before = scorer.predict(subset.essay)
mass_before = scorer.valid_mass_
before = aes_metrics(human, pred_before, 0, 12)
print(f"untuned: QWK {before['QWK']:.3f}, predictions {np.bincount(pred_before, minlength=13)}, "
      f"median probability on valid answers {np.median(mass_before):.3f}")

# %% [markdown]
# ## 4. Fine-tuning with trl's SFTTrainer
#
# **What you will see in the CPU profiles.** LoRA needs many passes over many essays;
# the minutes a CPU has allow one short pass of a 135M stand-in. Expect the argmax
# prediction to give (nearly) the same score to every essay, so its QWK is near 0,
# and the expected score (section 5) to order the essays only a little. That is too
# little training, not a broken method. A `full`-profile run (LFM2-350M on a GPU) is
# not measured in this notebook; the course's own CPU run with all test essays is
# printed below, and the original workshop's figure is in its note.

# %%
for row_id in ("llm_lora",):
    row = baselines.published(row_id)  # the course's own run with all test essays, or None
    if row is not None:
        print(f"{row['label']}: test QWK {row['qwk_mean']:.3f} on {row['n_test']:.0f} essays, "
              f"{row['machine']}\n    ({row['note']})")

# %% [markdown]
# *This cell is the notebook's long one: about 10 minutes on a 2-core CPU in `fast`
# (measured: 624 s for 200 essays).*

# %%
scorer = lora.GenerativeScorer(profile.llm_model, max_length=profile.lora_max_length,
                              epochs=profile.lora_epochs, random_state=config.SEED)
scorer.fit(essays, scores, exclude=test_essays)
losses = [h["loss"] for h in scorer.log_history_]
print(f"trained on {len(essays)} essays in {scorer.fit_seconds_:.0f} s; loss {losses[0]:.3f} -> {losses[-1]:.3f}")
plt.plot(losses)
plt.xlabel("step")
plt.ylabel("training loss (answer tokens only)")
plt.show()

# %% [markdown]
# ## 5. Scoring the test essays

# %%
probs = scorer.predict_proba(subset.essay)
points = np.arange(0, 13)
argmax = points[probs.argmax(1)]
expected = np.rint(probs @ points).astype(int)
rows = []
base = baselines.fit_baselines(essays, scores)  # the same training essays as the LoRA model
variants = {"untuned, argmax": pred_before, "LoRA, argmax": argmax, "LoRA, expected score": expected,
            **{f"baseline: {name}": model.predict(subset.essay) for name, model in base.items()}}
for name, pred in variants.items():
    m = aes_metrics(human, pred, 0, 12)
    rows.append({"scorer": name, "QWK": m["QWK"], "Acc": m["Acc"], "SMD": m["SMD"], "N": m["N"]})
lora_table = pd.DataFrame(rows).round(3)
baselines.leaderboard("16", f"LoRA generative, argmax ({len(subset)} test essays)",
                      lora_table.loc[1, "QWK"], len(essays), profile.name, show=False)
print(f"median probability on valid answers after tuning: {np.median(scorer.valid_mass_):.3f}")
lora_table

# %%
i = 0
plt.bar(points, probs[i])
plt.axvline(human[i], color="k", ls="--", label=f"human score {human[i]}")
plt.xlabel("score")
plt.ylabel("probability")
plt.title(f"One test essay: argmax {argmax[i]}, expected {probs[i] @ points:.2f}")
plt.legend()
plt.show()

# %% [markdown]
# The `N` column says on how many test essays each figure rests; with this few (a few
# dozen at most), the numbers are noisy. The last two rows are the length line and a
# constant score on the same essays. The results table's figure, with its training and test subset sizes:

# %%
print(baselines.describe_published("llm_lora"))
tuned, line, const = lora_table.loc[1, "QWK"], lora_table.loc[3, "QWK"], lora_table.loc[4, "QWK"]
print(f"Here LoRA (argmax) {'beats' if tuned > line else 'does not beat'} the length line "
      f"({tuned:.3f} vs {line:.3f} on {len(subset)} essays, {len(essays)} training essays) and "
      f"{'beats' if tuned > const else 'does not beat'} the constant score (QWK {const:.3f}).")

# %% [markdown]
# The original's 0.693 came from a model that had seen the test essays.
#
# ## 6. Robustness
#
# Does the fine-tuned scorer follow an instruction inside the essay? And what does it
# give an off-topic text or gibberish? It *always* returns a score -- which is exactly
# why it needs a relevance check in front of it.

# %%
from course_utils import prompts

n_rob = min(len(subset), 8)
originals = subset.essay.iloc[:n_rob].tolist()
attacked = [prompts.inject(e) for e in originals]
s_before, s_after = scorer.predict(originals), scorer.predict(attacked)
print(f"injection: mean score {s_before.mean():.2f} -> {s_after.mean():.2f} "
      f"(shift {np.mean(s_after - s_before):+.2f}; {np.sum(s_after != s_before)} of {n_rob} changed; "
      f"{np.sum(s_after == 12)} scored 12)")
print(f"injection detector flags {sum(prompts.looks_like_injection(e) for e in attacked)} of {n_rob}")

strange = list(prompts.OFF_TOPIC) + prompts.gibberish(3)
strange_scores = scorer.predict(strange)
pool = train if profile.max_train_essays is None else train.sample(profile.max_train_essays, random_state=config.SEED)
check = prompts.RelevanceCheck().fit(pool.essay.tolist())  # a capped pool in the smoke profile
pd.DataFrame({"kind": ["off-topic"] * 3 + ["gibberish"] * 3, "LoRA score": strange_scores,
              "relevant?": check.is_relevant(strange),
              "score after the check": check.apply(strange, strange_scores)})

# %% [markdown]
# ## Summary
#
# * LoRA trains a few million added weights to make a chat model answer "**Score**: n";
#   the loss is on the answer only, and the training essays never include test essays.
# * Reading the probability of every complete answer gives a valid score for every
#   essay, with nothing to parse; the argmax or the expected score is the prediction.
# * A generative scorer still scores injected, off-topic and gibberish texts: it needs
#   the relevance and injection checks in front of it.
#
# Next: [notebook 17](17_cross_encoder.ipynb) moves to short answers, scored against a
# reference answer with a cross-encoder.
#
# ## Exercises

# %% [markdown]
# ### Exercise 1: The first-token shortcut
#
# A common shortcut reads only the probability of the *first* answer token after
# "**Score**: ". Compute that for the digits 0-9 for the first evaluation essay and
# compare it with `predict_proba`. Which scores can the shortcut not tell apart?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
import torch

msgs = lora.build_messages(subset.essay.iloc[0])
text = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True) + "**Score**: "
ids = tok(text, return_tensors="pt", add_special_tokens=False).to(scorer.model_.device)
with torch.no_grad():
    next_probs = torch.softmax(scorer.model_(**ids).logits[0, -1].float(), -1)
digit_ids = [tok(str(d), add_special_tokens=False)["input_ids"][-1] for d in range(10)]
first = next_probs[digit_ids].cpu().numpy()
print("first-token probabilities of 0-9:", (first / first.sum()).round(3))
print("full-answer probabilities 0-12  :", probs[0].round(3))
one_token = all(len(tok(str(d), add_special_tokens=False)["input_ids"]) == 1 for d in (10, 11, 12))
print("10, 11 and 12 are single tokens here: the shortcut could still work." if one_token else
      "10, 11 and 12 start with the token '1': the shortcut adds them to 1 and cannot tell them apart.")
if not one_token:
    print(f"Full answers: P(1) {probs[0][1]:.3f}, P(10, 11 or 12) {probs[0][10:].sum():.3f}; the shortcut's "
          f"single '1' ({first[1] / first.sum():.3f}) lumps all four together.")

# %% [markdown]
# ### Exercise 2: Delimiting for the fine-tuned model
#
# `build_messages(..., delimit=True)` fences the essay off. The scorer was trained
# without it. Score the original and attacked essays with a delimited prompt. Does it
# change the effect of the injection? What is the catch?
# (Hint: `scorer.set_params(delimit=True)`.)

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
RUN_SOLUTION = False  # True runs it: the model scores 16 more prompts
if RUN_SOLUTION or config.run_solutions("under half a minute on a 2-core CPU in fast"):
    scorer.set_params(delimit=True)  # the same adapters, a prompt format they were not trained on
    d_after = scorer.predict(attacked)
    d_before = scorer.predict(originals)
    scorer.set_params(delimit=False)
    print(f"delimited: mean score {d_before.mean():.2f} -> {d_after.mean():.2f} with injection "
          f"(undelimited {s_before.mean():.2f} -> {s_after.mean():.2f})")
    shift_d, shift_u = d_after.mean() - d_before.mean(), s_after.mean() - s_before.mean()
    print(f"The injection shifts the mean by {shift_d:+.2f} delimited against {shift_u:+.2f} undelimited: "
          f"delimiting {'weakens' if abs(shift_d) < abs(shift_u) else 'does not weaken'} it here.")
    moved = d_before.mean() - s_before.mean()
    print(f"The catch: delimiting alone moves the untouched essays' mean by {moved:+.2f}"
          + (" (the prompt is not the format the adapters were trained on);" if moved else
             " here, but the prompt is not the format the adapters were trained on;")
          + " to use it, train with it: GenerativeScorer(..., delimit=True).fit(...).")

# %% [markdown]
# ### Exercise 3: Argmax or expected score?
#
# The argmax picks the single most likely score; the expected score averages over all
# of them and is pulled towards the middle of the range. Compare the two on the
# evaluation essays: their mean, their spread (standard deviation) and their SMD against
# the human scores. Which one would you report, and why should this choice be made on a
# dev set rather than on these test essays?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
for name, pred in (("argmax", argmax), ("expected", expected)):
    m = aes_metrics(human, pred, 0, 12)
    print(f"{name:8s}: mean {pred.mean():.2f} (human {human.mean():.2f}), sd {pred.std():.2f} "
          f"(human {human.std():.2f}), SMD {m['SMD']:+.2f}, QWK {m['QWK']:.3f}")
smaller = expected.std() < argmax.std()
print(f"The expected score's spread is {'smaller' if smaller else 'not smaller'} than the argmax's here"
      + (": averaging over all scores pulls predictions towards the middle." if smaller else
         f"; its mean ({expected.mean():.2f}) lies {'nearer' if abs(expected.mean() - 6) < abs(argmax.mean() - 6) else 'no nearer'}"
         " to the middle of the range (6) than the argmax's."))
print("Choosing between the two is model selection: do it on a dev split of the training essays, not on these.")
