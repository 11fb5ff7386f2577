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
# (or the expected score). Every essay gets one of the 13 scores and nothing is parsed,
# even when the model puts little probability on any of them (section 3 shows how little
# before training, and why that matters).
#
# Two things the original got wrong, and we fix: its model was trained **on the test
# essays** (so its QWK of 0.693 is not a test result), and its parser read the last three
# characters of the generated text: a reply "Score: 10 out of 12" reads as 12, and
# "**Score**: 8." as " 8." (no number at all).
#
# *Time to work through: about 40 minutes, plus the training cell, the longest of the
# notebook (the README's table of notebooks gives measured run times).*

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
#
# The examples come from the training split only: `lora.training_data` draws a seeded
# random subset of `profile.lora_train_essays` of the 1,255 training essays (all of them in
# `full`; fewer on a CPU, where every essay costs training time). Its target, like every
# score in this notebook, is rater 1's score (`rater1_domain1`), as in notebook 03.
# `exclude=test.essay` makes `sft_dataset` raise an error if a test essay slips in.
# The evaluation essays are a fixed seeded random subset of `profile.llm_eval_essays` test
# essays (`lora.eval_positions`, the same essays as notebook 15), each model scored on all of them.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from course_utils import baselines, lora
from course_utils.data import load_asap, reference_split
from course_utils.metrics import aes_metrics, bootstrap_ci

essays, scores, _ = lora.training_data(profile.lora_train_essays)
train, test = reference_split(load_asap(7))
subset = test.iloc[lora.eval_positions(profile.llm_eval_essays)]
human = subset.rater1_domain1.to_numpy()
print(f"LoRA training essays: {len(essays)} (of {len(train)}); evaluation: {len(subset)} test essays")
print(f"human scores of the evaluation essays (count of 0..12): {np.bincount(human, minlength=13)}")
second = aes_metrics(human, subset.rater2_domain1.to_numpy(), 0, 12)["QWK"]
print(f"rater 2 against rater 1 on these essays: QWK {second:.3f} (what a second human reaches)")

data = lora.sft_dataset(essays, scores, exclude=test.essay)
example = data[0]
for turn in example["prompt"] + example["completion"]:
    print(f"[{turn['role']}] {turn['content'][:300]}")

# %% [markdown]
# The model's chat template turns the conversation into one string with special tokens.
# Note how the answer's digits are tokenised: for some tokenizers "12" is two tokens, so
# reading only the *first* answer token would confuse 1 with 10, 11 and 12.
# (`scorer._load()` loads the tokenizer and the model without training; the leading
# underscore marks a step that `fit` and `predict` normally do for you.)

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
# A linear layer computes $Wx$ with a weight matrix $W$ of size $d \times k$. LoRA
# freezes $W$ and learns an update $\Delta W = BA$ of low rank: $B$ is $d \times r$ and
# $A$ is $r \times k$, with a small rank $r$ (here 8), so the layer computes
# $W'x = Wx + \frac{\alpha}{r} BAx$. $B$ starts at zero, so training starts from the
# untuned model; $\alpha$ (here $2r$) scales the update. Only $A$ and $B$ are trained:
# $r(d + k)$ numbers per layer instead of $dk$.
#
# The layer names differ between model families (Llama:
# `q_proj ... down_proj`; LFM2: `q_proj, out_proj, in_proj, w1-w3`; GPT-2: `c_attn`...),
# so `lora_config` inspects the model and picks the linear layers that exist.

# %%
print("linear layers:", lora.linear_module_names(scorer.model_))
lcfg = lora.lora_config(scorer.model_, r=scorer.lora_r, alpha=2 * scorer.lora_r)
print("LoRA targets :", sorted(lcfg.target_modules), f"| rank r = {lcfg.r}, alpha = {lcfg.lora_alpha}")
added = sum(lcfg.r * (m.in_features + m.out_features) for name, m in scorer.model_.named_modules()
            if name.split(".")[-1] in lcfg.target_modules and hasattr(m, "in_features"))
total = sum(p.numel() for p in scorer.model_.parameters())
print(f"LoRA trains {added:,} added weights; the frozen model has {total:,} ({added / total:.1%})")

# %% [markdown]
# ## 3. Before training: answer probabilities of the untuned model
#
# `predict_proba` scores every candidate answer by its log-likelihood given the prompt
# (all tokens of "12" plus the end-of-turn token), normalised over the 13 answers.
# `valid_mass_` is how much probability the model put on the 13 well-formed answers at all,
# before normalising.

# %%
pred_before = scorer.predict(subset.essay)
mass_before = scorer.valid_mass_
before = aes_metrics(human, pred_before, 0, 12)
print(f"untuned: QWK {before['QWK']:.3f}, predictions (count of 0..12) {np.bincount(pred_before, minlength=13)}, "
      f"median probability on the 13 well-formed answers {np.median(mass_before):.3f}")

# %% [markdown]
# The untuned model has never seen this task. Its probability on the 13 well-formed answers
# is the median printed above: it would rather write something else (a sentence, another
# format), and normalising over the 13 answers turns that small remainder into a score
# anyway. Which answer wins then depends on the wording of the prompt, not on the essay,
# so the untuned model tends to give one score to every essay (with the stand-in: the
# count above). One score for every essay has QWK 0 by construction: its agreement is
# exactly what chance gives. So `valid_mass_` is also a reliability flag: a score built
# from a tiny share of the model's probability deserves no trust, and a scorer in use
# should send such essays to a human.
#
# ## 4. Fine-tuning with trl's SFTTrainer
#
# This is what `scorer.fit` runs (shortened; `lora.GenerativeScorer.fit??` shows the whole method):
#
# ```python
# data = sft_dataset(essays, scores, tokenizer=tok, max_length=max_length, exclude=test_essays)
# args = SFTConfig(num_train_epochs=epochs, per_device_train_batch_size=4, gradient_accumulation_steps=2,
#                  learning_rate=2e-4, lr_scheduler_type="linear", max_length=max_length,
#                  completion_only_loss=True,   # the loss on the answer tokens only
#                  logging_steps=1, seed=random_state, ...)
# trainer = SFTTrainer(model=model, args=args, train_dataset=data, processing_class=tok,
#                      peft_config=lora_config(model, r=8, alpha=16))  # wraps the model with LoRA
# trainer.train()
# ```
#
# **Truncation.** `SFTTrainer` cuts a conversation longer than `max_length` tokens from
# the right, which would cut the answer, the only tokens the loss is on. So `sft_dataset`
# first shortens a long *essay* (it keeps the essay's start and marks the cut with
# " [...]") until prompt + answer fit, checks that every conversation fits, and scoring
# shortens essays the same way. The cell below counts the essays shortened in this run:
# the part of those essays past the cut is never read, in training or in scoring.

# %%
settings = scorer.get_params()
print("this run:", {k: settings[k] for k in ("epochs", "learning_rate", "batch_size", "grad_accum",
                                             "max_length", "lora_r")})
budget = lora.essay_budget(tok, scorer.max_length)
n_tokens = lambda texts: np.array([len(tok(t, add_special_tokens=False)["input_ids"]) for t in texts])  # noqa: E731
print(f"room for the essay: {budget} tokens; shortened: {np.sum(n_tokens(essays) > budget)} of {len(essays)} "
      f"training essays, {np.sum(n_tokens(subset.essay) > budget)} of {len(subset)} evaluation essays")
updates = int(np.ceil(np.ceil(len(essays) / scorer.batch_size) / scorer.grad_accum) * scorer.epochs)
print(f"about {updates} updates of the LoRA weights ({len(essays)} essays, {scorer.batch_size} x "
      f"{scorer.grad_accum} essays per update, {scorer.epochs:g} epoch(s))")

# %% [markdown]
# **What you will see on a CPU.** The CPU profiles train for a few CPU minutes: one pass,
# the number of updates printed above, of the 135M-parameter stand-in. Expect the model
# to learn mostly the answer *format* (section 5 prints how much of its probability is
# then on well-formed answers) and little about the essays: few distinct scores and, on
# these few evaluation essays, a QWK that the paired comparison of section 5 cannot tell
# apart from the length line, or that falls below it. The course also ran the same method
# separately, scored on all test essays; the next cell prints that run with its settings
# (model, training essays, epochs, batch, max_length), beside the length line fitted on
# the same training essays and scored on the same test essays. LFM2-350M trained on a GPU
# (the `full` profile) has no measured figure in this course, so how much a larger model
# or longer training would gain is not shown here.

# %%
row = baselines.published("llm_lora")  # the course's separate run, or None when unreachable
if row is not None:
    settings_row = [part for part in row["note"].split("; ")
                    if not part.startswith(("original", "seconds"))]
    print(f"{row['label']}: test QWK {row['qwk_mean']:.3f} [{row['qwk_ci_low']:.3f}, {row['qwk_ci_high']:.3f}] "
          f"on {row['n_test']:.0f} test essays, {row['n_seeds']:.0f} training seed(s)\n"
          f"    settings: {'; '.join(settings_row)}")
    row_essays, row_scores, _ = lora.training_data(int(row["n_train"]))
    row_line = baselines.LengthLine().fit(row_essays, row_scores).predict(test.essay)
    ci = bootstrap_ci(test.rater1_domain1, row_line, "QWK", n=1000, seed=0)
    line_qwk = aes_metrics(test.rater1_domain1, row_line, 0, 12)["QWK"]
    print(f"length line, fitted on the same {len(row_essays)} training essays, computed here: QWK "
          f"{line_qwk:.3f} [{ci.low:.3f}, {ci.high:.3f}] on the same {len(test)} test essays")
    apart = row["qwk_ci_high"] < ci.low or ci.high < row["qwk_ci_low"]
    print(f"Two separate runs, so no paired comparison; their 95% intervals "
          f"{'do not overlap: that run scored ' + ('below' if row['qwk_mean'] < line_qwk else 'above') + ' the length line' if apart else 'overlap: these figures do not order them'}.")

# %% [markdown]
# *The next cell is the notebook's longest.*

# %%
scorer = lora.GenerativeScorer(profile.llm_model, max_length=profile.lora_max_length,
                              epochs=profile.lora_epochs, random_state=config.SEED)
scorer.fit(essays, scores, exclude=test.essay)
steps = [h["step"] for h in scorer.log_history_]
losses = [h["loss"] for h in scorer.log_history_]
trainable, _ = scorer.model_.get_nb_trainable_parameters()
print(f"trained {trainable:,} LoRA weights on {len(essays)} essays in {len(steps)} updates; "
      f"training loss {losses[0]:.3f} at the first update, {losses[-1]:.3f} at the last")
plt.plot(steps, losses, marker=".")
plt.xlabel("update (optimizer step)")
plt.ylabel("training loss (answer tokens only)")
plt.title("Training loss per update, one batch each")
plt.show()

# %% [markdown]
# The loss is on the answer tokens "**Score**: n" and the end-of-turn token, and all but
# the digits are the same in every answer. A falling loss therefore shows first that the
# model learned the *format*; it says little about whether it learned to *score*. Each
# point is one batch of training essays (noisy), and no held-out loss is computed: the
# test essays in section 5 answer that question.
#
# ## 5. Scoring the test essays
#
# For each essay, `probs` holds the 13 probabilities P(0) ... P(12). The argmax is the
# score with the highest probability; the **expected score** is $\sum_n n\,P(n)$, written
# `probs @ points` (a matrix product: each row of probabilities times the scores 0..12,
# summed), then rounded. Each variant is scored on the same evaluation essays, beside the
# length line and the constant score fitted on the same training essays as the LoRA model.

# %%
probs = scorer.predict_proba(subset.essay)
points = np.arange(0, 13)
argmax = points[probs.argmax(1)]
expected_raw = probs @ points  # sum over n of P(n) * n, for every essay
expected = np.rint(expected_raw).astype(int)
base = baselines.fit_baselines(essays, scores)  # the same training essays as the LoRA model
variants = {"untuned, argmax": pred_before, "LoRA, argmax": argmax, "LoRA, expected score": expected,
            **{f"baseline: {name}": model.predict(subset.essay) for name, model in base.items()}}
rows = []
for name, pred in variants.items():
    m = aes_metrics(human, pred, 0, 12)
    rows.append({"scorer": name, "QWK": m["QWK"], "Acc": m["Acc"], "SMD": m["SMD"],
                 "distinct scores": len(np.unique(pred)), "N": m["N"]})
lora_table = pd.DataFrame(rows).set_index("scorer").round(3)
# one row of the leaderboard of test figures that notebook 03 started (a record: nothing is chosen from it)
baselines.leaderboard("16", f"LoRA generative, argmax ({len(subset)} test essays)",
                      lora_table.loc["LoRA, argmax", "QWK"], len(essays), profile.name, show=False)
print(f"median probability on the 13 well-formed answers: {np.median(mass_before):.3f} before tuning, "
      f"{np.median(scorer.valid_mass_):.3f} after")
lora_table

# %% [markdown]
# `N` is the number of essays behind each figure: this few makes every QWK noisy. The
# constant score gives every essay the training median, so its QWK is 0 by construction
# (as is the untuned model's when it gives one score to all); its `Acc` and `SMD` show
# what a scorer that ignores the essay gets. The verdicts against the length line come
# from the paired bootstrap of notebook 03, on the same essays; with this few essays
# they are a small single-split observation, not a verdict about the method. Rounding
# the expected score can hide an ordering (if every expected score lies between 7.6 and
# 8.4, all round to 8), so the last line compares the unrounded expected scores with the
# human scores by rank (Spearman), which needs no rounding.

# %%
from scipy.stats import spearmanr

for name, pred in (("LoRA, argmax", argmax), ("LoRA, expected score", expected)):
    print(baselines.length_line_verdict(name, subset.essay, human, pred, base[baselines.LENGTH_LINE]))
rho = spearmanr(expected_raw, human).statistic
print(f"unrounded expected scores: from {expected_raw.min():.2f} to {expected_raw.max():.2f}; "
      f"Spearman correlation with the human scores {rho:.3f} on {len(subset)} essays")

# %%
i = 0
plt.bar(points, probs[i])
plt.axvline(human[i], color="k", ls="--", label=f"human score {human[i]}")
plt.xticks(points)
plt.xlabel("score")
plt.ylabel("probability")
plt.title(f"One test essay: argmax {argmax[i]}, expected {expected_raw[i]:.2f}")
plt.legend()
plt.show()

# %% [markdown]
# The original's 0.693 came from a model that had seen the test essays, but it also
# differs from this notebook's runs in model (LFM2-350M against the 135M stand-in), in
# the amount of training and in hardware: the gap mixes all of these, and leakage alone
# is not measured here.
#
# ## 6. Robustness
#
# Does the fine-tuned scorer follow an instruction inside the essay? And what does it
# give an off-topic text or gibberish? It *always* returns a score -- which is exactly
# why it needs a relevance check in front of it. A scorer that gives (nearly) one score
# to every essay cannot change much under any attack: read the `distinct scores` column
# of section 5 before reading the counts below. Each check is also run on the untouched
# essays, since a check that flags everything would catch every attack too.

# %%
from course_utils import prompts

n_rob = min(len(subset), 8)
originals = subset.essay.iloc[:n_rob].tolist()
attacked = [prompts.inject(e) for e in originals]
print("the end of one attacked essay:", "..." + attacked[0][-160:])
s_before, s_after = scorer.predict(originals), scorer.predict(attacked)
print(f"injection: mean score {s_before.mean():.2f} -> {s_after.mean():.2f} "
      f"(shift {np.mean(s_after - s_before):+.2f}; {np.sum(s_after != s_before)} of {n_rob} changed; "
      f"scored 12: {np.sum(s_before == 12)} before, {np.sum(s_after == 12)} after)")
print(f"injection detector flags {sum(prompts.looks_like_injection(e) for e in attacked)} of {n_rob} attacked "
      f"essays and {sum(prompts.looks_like_injection(e) for e in subset.essay)} of {len(subset)} untouched ones")

# %% [markdown]
# The relevance check (notebook 15) embeds the training essays, takes their mean direction
# and flags a text whose cosine similarity with it is lower than that of almost every
# training essay. A flagged text goes to a human instead of receiving the model's score.

# %%
strange = list(prompts.OFF_TOPIC) + prompts.gibberish(3)
kinds = ["off-topic"] * len(prompts.OFF_TOPIC) + ["gibberish"] * 3
strange_scores = scorer.predict(strange)
pool = train if profile.max_train_essays is None else train.sample(profile.max_train_essays, random_state=config.SEED)
check = prompts.RelevanceCheck().fit(pool.essay.tolist())  # fitted on training essays only
relevant = check.is_relevant(strange)
print(f"relevance check flags {np.sum(~check.is_relevant(subset.essay.tolist()))} of {len(subset)} untouched "
      f"evaluation essays ({len(pool)} training essays behind the check)")
pd.DataFrame({"kind": kinds, "LoRA score": strange_scores, "relevant?": relevant,
              "decision": [f"score {s}" if ok else "to a human (flagged)" for ok, s in zip(relevant, strange_scores)]})

# %% [markdown]
# The `LoRA score` column is what the scorer alone would report; the `decision` column is
# what happens with the check in front of it. The lines above it say how often the two
# checks flag untouched essays, the price of each catch.
#
# ## Summary
#
# * LoRA trains small added matrices (the count is printed in section 2) to make a chat
#   model answer "**Score**: n"; the loss is on the answer only, long essays are shortened
#   so the answer is never cut, and the training essays never include test essays.
# * Reading the probability of every complete answer gives one of the 13 scores for every
#   essay, with nothing to parse; the argmax or the expected score is the prediction, and
#   the probability left on well-formed answers says how much to trust it.
# * A few CPU minutes of LoRA on a 135M stand-in teach the format more than the scoring:
#   compare with the length line on the same essays before believing a fine-tuned model.
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
# (Steps: build the prompt with `lora.build_messages` and the chat template, add
# "**Score**: " after it, run the model once under `torch.no_grad()`, take the scores it
# gives every possible next token at the last position (`.logits[0, -1]`), turn them into
# probabilities with a softmax and keep the ten digit tokens.)

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
          + ("it moved nothing either way here, so this run cannot say whether delimiting helps."
             if shift_d == shift_u == 0 else
             f"delimiting {'weakens' if abs(shift_d) < abs(shift_u) else 'does not weaken'} it here."))
    moved = d_before.mean() - s_before.mean()
    print(f"The catch: the prompt is not the format the adapters were trained on (the untouched essays' mean "
          f"moves by {moved:+.2f} with it here); to use delimiting, train with it: "
          f"GenerativeScorer(..., delimit=True).fit(...). With {n_rob} essays and a scorer that gives few distinct "
          "scores, these shifts are a hint, not a measurement.")

# %% [markdown]
# ### Exercise 3: Argmax or expected score?
#
# The argmax picks the single most likely score; the expected score averages over all
# of them, so it is pulled away from the extremes, towards the middle of the model's own
# probability spread (not towards 6, the middle of the scale). Compare the two on the
# evaluation essays: their mean, their spread (standard deviation) and their SMD against
# the human scores. Which one would you report? Why must that choice be made on essays
# other than these test essays, and which essays could serve?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
from course_utils.metrics import paired_bootstrap

for name, pred in (("argmax", argmax), ("expected", expected)):
    m = aes_metrics(human, pred, 0, 12)
    print(f"{name:8s}: mean {pred.mean():.2f} (human {human.mean():.2f}), sd {pred.std():.2f} "
          f"(human {human.std():.2f}), SMD {m['SMD']:+.2f}, QWK {m['QWK']:.3f}")
print(f"The expected score's spread is {'smaller than' if expected.std() < argmax.std() else 'not smaller than'} "
      "the argmax's here. Choosing between the two is model selection: make it on essays the model "
      f"was not trained on and that are not test essays, e.g. the {len(train) - len(essays)} training "
      "essays this LoRA run did not use.")
RUN_SOLUTION = False  # True runs it: the model scores as many unused training essays as test essays
if RUN_SOLUTION or config.run_solutions("under a minute on a 2-core CPU in fast"):
    dev = train[~train.essay.isin(essays)].sample(len(subset), random_state=config.SEED)
    dev_probs, dev_human = scorer.predict_proba(dev.essay), dev.rater1_domain1.to_numpy()
    dev_argmax, dev_expected = points[dev_probs.argmax(1)], np.rint(dev_probs @ points).astype(int)
    comparison = paired_bootstrap(dev_human, dev_expected, dev_argmax, labels=range(13))
    print(f"On {len(dev)} unused training essays: {comparison.verdict('the expected score', 'the argmax')}. "
          "Only this comparison may choose; the test figures above only report.")
