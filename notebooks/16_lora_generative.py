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
# SmolLM2-135M-Instruct stand-in) with trl's `SFTTrainer` (SFT: *supervised
# fine-tuning*, training on example conversations) to answer "**Score**: n", then
# score essays without generating any text: we read the probability the model gives to
# each complete answer "**Score**: 0" ... "**Score**: 12" and take the most likely one
# (or the expected score). Every essay gets one of the 13 scores and nothing is parsed,
# even when the model puts little probability on any of them (section 3 shows how little
# before training, and why that matters).
#
# Two things the original got wrong, and we fix: its model was trained **on the test
# essays** (so its QWK of 0.693 is not a test result), and its parser read the last three
# characters of the generated text: a reply "Score: 10 out of 12" reads as 12, and
# "**Score**: 8." as " 8.", which `int()` cannot read.
#
# *Time to work through: about 40 minutes, plus the training cell, the longest of the
# notebook (it prints how long it took).*

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
# random subset of `profile.lora_train_essays` essays from the 1,255 training essays (all
# of them in `full`; fewer on a CPU, where every essay costs training time; the count is
# printed below). Its target, like every
# score in this notebook, is rater 1's score (`rater1_domain1`), as in notebook 03.
# `exclude=test.essay` makes `sft_dataset` raise an error if a test essay slips in.
# The evaluation essays are a fixed seeded random subset of `profile.llm_eval_essays` test
# essays (`lora.eval_positions`, the same essays as notebook 15), each model scored on all of them.

# %%
import time

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
second_all = aes_metrics(test.rater1_domain1, test.rater2_domain1, 0, 12)["QWK"]
mode = np.bincount(human).argmax()
print(f"rater 2 against rater 1: QWK {second:.3f} on these {len(subset)} essays, {second_all:.3f} on all "
      f"{len(test)} test essays; {np.sum(human == mode)} of the {len(subset)} have the score {mode}")

data = lora.sft_dataset(essays, scores, exclude=test.essay)
example = data[0]
for turn in example["prompt"] + example["completion"]:
    print(f"[{turn['role']}] {turn['content'][:300]}")

# %% [markdown]
# When most of a few essays share one score, QWK on them is unstable (wide intervals) and
# can sit far from its value on all test essays, a second human's included: section 5
# prints both. The
# few essays are a price of CPU time (each essay is scored 13 times, once per answer).
#
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
# `q_proj ... down_proj`, and the SmolLM2 stand-in is a Llama-type model, so offline the
# names printed below are these; LFM2: `q_proj, out_proj, in_proj, w1-w3`; GPT-2: `c_attn`...),
# so `lora.lora_config` inspects the model and picks the linear layers that exist. What it
# returns is the `peft` library's own configuration object; written by hand it would be
#
# ```python
# from peft import LoraConfig
# LoraConfig(r=8, lora_alpha=16,      # rank r of A and B; alpha scales the update
#            lora_dropout=0.05,        # dropout on the LoRA path while training
#            target_modules=[...the names printed below...],
#            bias="none",              # train no bias terms, only A and B
#            task_type="CAUSAL_LM")    # a model that predicts the next token
# ```

# %%
print("linear layers:", lora.linear_module_names(scorer.model_))
lcfg = lora.lora_config(scorer.model_, r=scorer.lora_r, alpha=2 * scorer.lora_r)
print(f"{type(lcfg).__module__}.{type(lcfg).__name__}: targets {sorted(lcfg.target_modules)}, r = {lcfg.r}, "
      f"lora_alpha = {lcfg.lora_alpha}, lora_dropout = {lcfg.lora_dropout}, task_type = {lcfg.task_type}")
added = sum(lcfg.r * (m.in_features + m.out_features) for name, m in scorer.model_.named_modules()
            if name.split(".")[-1] in lcfg.target_modules and hasattr(m, "in_features"))
total = sum(p.numel() for p in scorer.model_.parameters())
print(f"LoRA trains {added:,} added weights; the frozen model has {total:,} ({added / total:.1%})")

# %% [markdown]
# ## 3. Before training: answer probabilities of the untuned model
#
# `predict_proba` scores every candidate answer by its log-likelihood given the prompt
# (the tokens of "**Score**: 12" plus the end-of-turn token), normalised over the 13
# answers. The prefix "**Score**: " is the same in all 13, so its log-probability is a
# common term: it lowers `valid_mass_` below but cancels when the 13 are normalised. In
# outline, for one essay:
#
# ```python
# for n in range(13):                                   # each complete answer
#     ids = prompt_tokens + answer_tokens(f"**Score**: {n}") + [end_of_turn]
#     logp = log_softmax(model(ids).logits)             # next-token log-probabilities
#     loglik[n] = sum of logp at each answer token      # log P(answer | prompt)
# probs = softmax(loglik)                               # over the 13 answers
# ```
#
# `valid_mass_` is how much probability the model put on the 13 well-formed answers at all,
# before normalising (the sum of `exp(loglik)`). `predict` returns the argmax of
# `predict_proba`: the most likely score.

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
# exactly what chance gives. So `valid_mass_` is a warning flag, in one direction only: a
# score built from a tiny share of the model's probability deserves no trust, and a
# scorer in use should send such essays to a human. A large share shows only that the
# model writes the format; section 5 shows it says nothing about the score being right.
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


def n_tokens(texts):
    return np.array([len(tok(t, add_special_tokens=False)["input_ids"]) for t in texts])


print(f"room for the essay: {budget} tokens; shortened: {np.sum(n_tokens(essays) > budget)} of {len(essays)} "
      f"training essays, {np.sum(n_tokens(subset.essay) > budget)} of {len(subset)} evaluation essays")
updates = int(np.ceil(np.ceil(len(essays) / scorer.batch_size) / scorer.grad_accum) * scorer.epochs)
print(f"about {updates} updates of the LoRA weights ({len(essays)} essays, {scorer.batch_size} x "
      f"{scorer.grad_accum} essays per update, {scorer.epochs:g} epoch(s))")

# %% [markdown]
# `grad_accum` is *gradient accumulation*: the gradients of `grad_accum` batches of
# `batch_size` essays are added up before one update of the weights, which acts like one
# larger batch in less memory.

# %% [markdown]
# **What you will see on a CPU.** The CPU profiles train for about ten minutes on a
# 2-core CPU (the cell prints its seconds): one pass,
# the number of updates printed above, of the 135M-parameter stand-in. Expect the model
# to learn mostly the answer *format* (section 5 prints how much of its probability is
# then on well-formed answers) and little about the essays: few distinct scores and, on
# these few evaluation essays, a QWK that the paired comparison of section 5 cannot tell
# apart from the length line, or that falls below it. The course also ran a related
# configuration separately, scored on all test essays; the next cell prints that run with
# its settings (model, training essays, epochs, batch, max_length) beside this run's, and
# the length line fitted on the same training essays and scored on the same test essays.
# The two runs differ in several settings at once, so the gap between them measures no
# single setting. LFM2-350M trained on a GPU
# (the `full` profile) has no measured figure in this course, so how much a larger model
# or longer training would gain is not shown here.

# %%
row = baselines.published("llm_lora")  # the course's separate run, or None when unreachable
if row is not None:
    settings_row = [part for part in row["note"].split("; ")
                    if not part.startswith(("original", "seconds"))]
    print(f"{row['label']}: test QWK {row['qwk_mean']:.3f} [{row['qwk_ci_low']:.3f}, {row['qwk_ci_high']:.3f}] "
          f"on {row['n_test']:.0f} test essays, {row['n_seeds']:.0f} training seed(s)\n"
          f"    its settings: {'; '.join(settings_row)}\n"
          f"    this run:     {len(essays)} training essays, max_length {scorer.max_length}, "
          f"{scorer.epochs:g} epoch(s), batch {scorer.batch_size} x {scorer.grad_accum}")
    row_essays, row_scores, _ = lora.training_data(int(row["n_train"]))
    row_line = baselines.LengthLine().fit(row_essays, row_scores).predict(test.essay)
    ci = bootstrap_ci(test.rater1_domain1, row_line, "QWK", n=1000, seed=0)
    line_qwk = aes_metrics(test.rater1_domain1, row_line, 0, 12)["QWK"]
    print(f"length line, fitted on the same {len(row_essays)} training essays, computed here: QWK "
          f"{line_qwk:.3f} [{ci.low:.3f}, {ci.high:.3f}] on the same {len(test)} test essays")
    apart = row["qwk_ci_high"] < ci.low or ci.high < row["qwk_ci_low"]
    print("That run's per-essay scores are not available here, so no paired comparison; its interval covers "
          "the sampling of test essays only, not the run-to-run variation of training. Their 95% intervals "
          f"{'do not overlap: that run scored ' + ('below' if row['qwk_mean'] < line_qwk else 'above') + ' the length line' if apart else 'overlap: these figures do not order them'}.")

# %% [markdown]
# *The next cell is the notebook's longest.*

# %%
# A fresh scorer: `fit` loads the model again and adds the LoRA matrices to it, so the
# untuned scores of section 3 (pred_before) stay as they were.
scorer = lora.GenerativeScorer(profile.llm_model, max_length=profile.lora_max_length,
                              epochs=profile.lora_epochs, random_state=config.SEED)
start = time.perf_counter()
scorer.fit(essays, scores, exclude=test.essay)
print(f"trained in {time.perf_counter() - start:.0f} s")
steps = [h["step"] for h in scorer.log_history_]
losses = [h["loss"] for h in scorer.log_history_]
trainable, _ = scorer.model_.get_nb_trainable_parameters()
print(f"trained {trainable:,} LoRA weights on {len(essays)} essays in {len(steps)} updates; "
      f"training loss {losses[0]:.3f} at the first update, {losses[-1]:.3f} at the last")
plt.plot(steps, losses, marker=".")
plt.xlabel("update (optimizer step)")
plt.ylabel("training loss (answer tokens only)")
plt.title(f"Training loss per update ({scorer.batch_size} x {scorer.grad_accum} essays each)")
plt.show()

# %% [markdown]
# The loss is on the answer tokens "**Score**: n" and the end-of-turn token, and all but
# the digits are the same in every answer. A falling loss therefore shows first that the
# model learned the *format*; it says little about whether it learned to *score*. Each
# point is the loss of one update's essays (noisy).
#
# Whether it learned to score is a question for essays it did not train on, and not for
# the test essays, which only report. The training essays this run did not use serve:
# for each, we read the probability the model gives to the human's score. Its average
# negative logarithm (the *cross-entropy*, in *nats*: units of the natural logarithm;
# lower is better) is compared with two scorers that ignore the essay: one that knows
# only how often each score occurs among the training essays, and a uniform guess over
# the 13 scores (ln 13 ≈ 2.56 nats). The comparison with the frequencies is paired: both
# are scored on the same essays, so we bootstrap the per-essay differences.

# %%
unused = train[~train.essay.isin(essays)].sample(len(subset), random_state=config.SEED)
held_probs, held_human = scorer.predict_proba(unused.essay), unused.rater1_domain1.to_numpy()
held_ce = -np.mean(np.log(held_probs[np.arange(len(unused)), held_human]))
prior = (np.bincount(scores, minlength=13) + 1) / (len(scores) + 13)  # score frequencies (+1 each: none is 0)
prior_ce = -np.mean(np.log(prior[held_human]))
print(f"on {len(unused)} training essays this run did not use, cross-entropy of the human score: "
      f"LoRA {held_ce:.2f}; score frequencies only {prior_ce:.2f}; uniform over 13 scores {np.log(13):.2f} nats")
per_essay = -np.log(held_probs[np.arange(len(unused)), held_human]) + np.log(prior[held_human])  # LoRA minus frequencies
resampled = per_essay[np.random.default_rng(0).integers(0, len(unused), (1000, len(unused)))].mean(axis=1)
low_d, high_d = np.percentile(resampled, [2.5, 97.5])
print(f"LoRA minus frequencies, per essay: mean {per_essay.mean():+.2f} nats, paired 95% interval "
      f"[{low_d:+.2f}, {high_d:+.2f}] (below 0 favours LoRA).")
if high_d < 0:
    reading = "puts more probability on the human's score than the score frequencies alone do"
elif low_d > 0:
    reading = ("puts less probability on the human's score than the score frequencies alone do: it shows no sign "
               "of having learned to score here")
else:
    reading = "cannot be told apart from the score frequencies here: it has not shown that it learned to score"
print(f"The tuned model {reading} ({len(unused)} essays, one training run).")

# %% [markdown]
#
# ## 5. Scoring the test essays
#
# For each essay, `probs` holds the 13 probabilities P(0) ... P(12). The argmax is the
# score with the highest probability; the **expected score** is $\sum_n n\,P(n)$, written
# `probs @ points` (a matrix product: each row of probabilities times the scores 0..12,
# summed), then rounded. Each variant is scored on the same evaluation essays, beside the
# length line and the constant score fitted on the same training essays as the LoRA model,
# and beside rater 2 (scored against rater 1 like every row).

# %%
probs = scorer.predict_proba(subset.essay)
points = np.arange(0, 13)
argmax = points[probs.argmax(1)]
expected_raw = probs @ points  # sum over n of P(n) * n, for every essay
expected = np.rint(expected_raw).astype(int)
base = baselines.fit_baselines(essays, scores)  # the same training essays as the LoRA model
variants = {"untuned, argmax": pred_before, "LoRA, argmax": argmax, "LoRA, expected score": expected,
            **{f"baseline: {name}": model.predict(subset.essay) for name, model in base.items()},
            "rater 2 (human)": subset.rater2_domain1.to_numpy()}
rows = []
for name, pred in variants.items():
    m = aes_metrics(human, pred, 0, 12)
    ci = bootstrap_ci(human, pred, "QWK", n=1000, seed=0)
    one_score = len(np.unique(pred)) == 1  # QWK 0 by construction: a bootstrap interval would say nothing
    shown = "– (one score)" if one_score else f"[{ci.low:.2f}, {ci.high:.2f}]".replace("-0.00", "0.00")
    rows.append({"scorer": name, "QWK": m["QWK"], "95% interval": shown,
                 "Acc": m["Acc"], "SMD": m["SMD"], "distinct scores": len(np.unique(pred)), "N": m["N"]})
lora_table = pd.DataFrame(rows).set_index("scorer").round(3)
# one row of the leaderboard of test figures that notebook 03 started (a record: nothing is chosen from it)
baselines.record("16", f"LoRA generative, argmax ({len(subset)} test essays)", human, argmax, len(essays),
                 profile.name)
commonest = np.bincount(human).argmax()
print(f"{np.sum(human == commonest)} of {len(subset)} essays have the human score {commonest}: a scorer that always "
      f"gives {commonest} gets exact agreement {np.mean(human == commonest):.2f}, so here Acc rewards guessing the "
      "commonest score and does not rank scorers.")
print(f"rater 2 on all {len(test)} test essays: QWK "
      f"{aes_metrics(test.rater1_domain1, test.rater2_domain1, 0, 12)['QWK']:.3f} (on these {len(subset)}: "
      f"{lora_table.loc['rater 2 (human)', 'QWK']:.3f}).")
print(f"median probability on the 13 well-formed answers: {np.median(mass_before):.3f} before tuning, "
      f"{np.median(scorer.valid_mass_):.3f} after; median probability of the most likely score after tuning "
      f"{np.median(probs.max(1)):.3f} (a uniform guess over 13 gives each 0.077)")
median_score = base[baselines.CONSTANT].predict(subset.essay[:1])[0]
for name in ("untuned, argmax", "LoRA, argmax", "LoRA, expected score"):
    if len(np.unique(variants[name])) == 1:
        acc, acc_const = aes_metrics(human, variants[name], 0, 12)["Acc"], lora_table.loc["baseline: constant (training median)", "Acc"]
        print(f"{name}: the score {variants[name][0]} for every essay, so it ignores the essays (QWK 0 by "
              f"construction); exact agreement {acc:.2f}, against {acc_const:.2f} for the training median "
              f"{median_score} given to every essay")
lora_table

# %% [markdown]
# `N` is the number of essays behind each figure, and the interval column shows how
# little so few essays settle: the rater 2 and length-line rows, for example, have wide,
# overlapping intervals, so this table does not order a human and the length line (rater
# 2's figure on all test essays is printed above). The constant score gives every essay
# the training median, so its QWK is 0 by construction; its `Acc` and `SMD` show what a
# scorer that ignores the essay gets, and the line above says why its `Acc` is high here.
# Any other scorer that gives one score to every essay is named in the lines above the
# table: a tuned model can learn to write "**Score**: n" reliably (a large probability on
# well-formed answers) and still give nearly the same flat distribution to every essay
# (a small top probability that barely changes from essay to essay), so that the same
# score wins for every essay. Learning the format is not learning to score.
#
# The verdicts against the length line come from the paired bootstrap of notebook 03,
# on the same essays. "Cannot tell apart" is not "equally good": read the interval and the
# count of resamples won, since an interval that contains 0 can still lie mostly on one
# side. All of these rest on one training run (seed 42): the intervals cover the sampling
# of essays, not the variation from one training run to another, and another seed may
# put the argmax on another score. Rounding the expected score
# can hide an ordering (if every expected score lies between 7.6 and 8.4, all round to
# 8), so the last line compares the unrounded expected scores with the human scores by
# rank (Spearman), which needs no rounding, with a bootstrap interval.

# %%
from scipy.stats import spearmanr

for name, pred in (("LoRA, argmax", argmax), ("LoRA, expected score", expected)):
    print(baselines.length_line_verdict(name, subset.essay, human, pred, base[baselines.LENGTH_LINE]))
rho = spearmanr(expected_raw, human).statistic
draws = np.random.default_rng(0).integers(0, len(subset), (1000, len(subset)))  # 1,000 resamples of the essays
with np.errstate(invalid="ignore"):  # a resample with one human score has no rank correlation
    rhos = np.array([spearmanr(expected_raw[d], human[d]).statistic for d in draws])
low, high = np.nanpercentile(rhos, [2.5, 97.5])
print(f"unrounded expected scores: from {expected_raw.min():.2f} to {expected_raw.max():.2f}; "
      f"Spearman correlation with the human scores {rho:.3f}, 95% interval [{low:.2f}, {high:.2f}] on "
      f"{len(subset)} essays: " + ("the interval includes 0, so no ordering is shown." if low <= 0 <= high else
                                 "the interval excludes 0."))

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
top2 = np.sort(probs[i])[-2:]
print(f"its most likely score has probability {top2[1]:.2f} (the runner-up {top2[0]:.2f}; uniform would give "
      f"each of the 13 scores 0.08): the flatter the bars, the more the argmax is decided by small differences, "
      "while the expected score averages over them all.")

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
# why it needs a relevance check in front of it. Even a scorer that gives one score to
# every essay can follow an instruction written inside one: it ignores the essay's
# quality, not its words. Each check is also run on the untouched essays, since a check
# that flags everything would catch every attack too.

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
if np.sum(s_after == 12) > np.sum(s_before == 12):
    print(f"The appended line moved {np.sum((s_after == 12) & (s_before != 12))} of {n_rob} essays to 12. With no "
          "control text appended (a neutral sentence of the same length) this shows that the scores move with "
          "the appended words, not that training taught the model to copy: the untuned model may do the same.")
flags_untouched = sum(prompts.looks_like_injection(e) for e in subset.essay)
print(f"injection detector (notebook 15: it searches for known attack phrasings) flags "
      f"{sum(prompts.looks_like_injection(e) for e in attacked)} of {n_rob} attacked essays and {flags_untouched} of "
      f"{len(subset)} untouched ones"
      + (f" (0 of {len(subset)} still allows a false-flag rate up to about {3 / len(subset):.0%}: by the 'rule of "
         "three', when 0 of n cases are flagged, 3/n is an approximate 95% upper bound on the true rate)"
         if flags_untouched == 0 else ""))
print("The attacks all use one known wording; a detector tested on the wording it was written for says little "
      "about other wordings.")

# %% [markdown]
# The relevance check (notebook 15) embeds the training essays, takes their mean direction
# and flags a text whose cosine similarity with it is lower than that of almost every
# training essay (the check's threshold is printed below). A flagged text goes to a human
# instead of receiving the model's score.

# %%
strange = list(prompts.OFF_TOPIC) + prompts.gibberish(3)
kinds = ["off-topic"] * len(prompts.OFF_TOPIC) + ["gibberish"] * 3
strange_scores = scorer.predict(strange)
pool = train if profile.max_train_essays is None else train.sample(profile.max_train_essays, random_state=config.SEED)
check = prompts.RelevanceCheck().fit(pool.essay.tolist())  # fitted on training essays only
relevant = check.is_relevant(strange)
print(f"threshold: cosine similarity {check.threshold_:.3f}, the {check.quantile:.0%} quantile of the {len(pool)} "
      f"training essays' (so about {check.quantile:.0%} of real essays are expected to be flagged); it flags "
      f"{np.sum(~check.is_relevant(subset.essay.tolist()))} of {len(subset)} untouched evaluation essays")
pd.DataFrame({"kind": kinds, "text": [t[:60] + "..." for t in strange], "LoRA score": strange_scores,
              "relevant?": relevant,
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
#   essay, with nothing to parse; the argmax or the expected score is the prediction. A
#   small probability on well-formed answers is a reason to distrust a score; a large one
#   shows only that the model writes the format.
# * Ten CPU minutes of LoRA on a 135M stand-in (one training run) taught the format more
#   than the scoring:
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
print("The two sets of numbers are normalised differently, so they do not add up exactly: the shortcut's over "
      "the ten digit tokens, the full answers over the 13 complete answers (each with its end-of-turn token). "
      "A '1' that continues as '13' or '1.' counts for the shortcut and for no full answer.")

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
# of them, so it is usually pulled away from the extremes, towards the middle of the
# model's own probability spread (not towards 6, the middle of the scale). Compare the
# two on the evaluation essays: their mean, their spread (standard deviation) and their
# SMD against the human scores. Which one would you report? Why must that choice be made
# on essays other than these test essays, and which essays could serve?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
from course_utils.metrics import paired_bootstrap

for name, pred in (("argmax", argmax), ("expected", expected)):
    m = aes_metrics(human, pred, 0, 12)
    print(f"{name:8s}: mean {pred.mean():.2f} (human {human.mean():.2f}), sd {pred.std():.2f} "
          f"(human {human.std():.2f}), SMD {m['SMD']:+.2f}, QWK {m['QWK']:.3f}")
if argmax.std() == 0:
    print(f"Here the argmax gives one score to every essay (sd 0), so nothing can spread less: the usual pattern "
          f"cannot show. The two readings also differ in mean by {abs(expected.mean() - argmax.mean()):.2f} points, "
          "which is why their SMDs differ so much.")
else:
    print(f"The expected score's spread is {'smaller than' if expected.std() < argmax.std() else 'not smaller than'} "
          "the argmax's here.")
print("Choosing between the two is model selection: make it on essays the model was not trained on and that are "
      f"not test essays, e.g. the {len(train) - len(essays)} training essays this LoRA run did not use. Section 4 "
      f"scored {len(unused)} of them:")
held_argmax, held_expected = points[held_probs.argmax(1)], np.rint(held_probs @ points).astype(int)
comparison = paired_bootstrap(held_human, held_expected, held_argmax, labels=range(13))
print(f"On {len(unused)} unused training essays: {comparison.verdict('the expected score', 'the argmax')}. "
      f"Only this comparison may choose, and {len(unused)} essays decide little: scoring more of the unused "
      "essays (each costs 13 likelihoods) would narrow the interval.")
