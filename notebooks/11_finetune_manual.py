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
# # 11 · Fine-tuning a transformer with a manual PyTorch loop, done right
#
# We fine-tune a small pretrained encoder (ELECTRA-small in Colab) to score ASAP-7
# essays, writing the training loop ourselves. First we run the loop **as the original
# workshop wrote it**, and find its four problems:
#
# 1. gradients are clipped *before* `backward()`, so clipping does nothing;
# 2. the "best" weights are kept as `model.state_dict()`, a live reference, so the
#    "best" model is simply the last one;
# 3. the test set picks the checkpoint, so the reported figure is optimistic;
# 4. essays go through one at a time (batch size 1): many small, noisy steps.
#
# Then we write the corrected training step ourselves, check it against the course
# library's version, and train with `course_utils.finetune.FineTunedScorer`, whose loop
# fixes each problem and adds a dev set with early stopping, a learning-rate schedule
# with warm-up and mixed precision on GPUs.
#
# *Time to work through: about 45 minutes.*

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
# ## 1. Data, model and settings
#
# Train / dev / test: the reference test set (314 essays, touched once at the end) and
# a dev set carved from the training part. The profile decides how many training
# essays, epochs and tokens per essay we use, and the learning rate: on a CPU we
# train on fewer essays, so the `fast` profile uses small batches, three passes and a
# higher learning rate to learn something in a few minutes (chosen on the dev set). `max_length` was chosen in
# [notebook 10](10_tokenization.ipynb), which measured how many ASAP-7 essays each
# length truncates.

# %%
import time

import numpy as np
import pandas as pd
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from course_utils import baselines, finetune
from course_utils.data import TARGET, essay_splits, load_asap
from course_utils.hub import resolve_model
from course_utils.metrics import qwk, williamson_check

finetune.quiet_transformers()  # no expected-warning noise; at most 4 CPU threads

train, dev, test = essay_splits(load_asap(7), max_train=profile.finetune_train_essays)
LO, HI = 0, 12  # the range of TARGET, rater 1's score, as in every notebook
MAX_LENGTH = profile.finetune_max_length
print(f"fine-tuning on {len(train)} essays: max_length {MAX_LENGTH}, {profile.finetune_epochs} epoch(s), "
      f"batch size {profile.finetune_batch_size}, lr {profile.finetune_lr}")

model_path = resolve_model(profile.finetune_model)
tokenizer = AutoTokenizer.from_pretrained(model_path)


def new_model():
    """A fresh copy of the pretrained encoder with a new 13-way classification head."""
    config.seed_everything()
    return AutoModelForSequenceClassification.from_pretrained(model_path, num_labels=HI - LO + 1)


@torch.inference_mode()
def predict(model, texts, batch_size=32):
    """Integer scores for a list of essays (argmax of the 13 logits)."""
    model.eval()
    out = []
    for i in range(0, len(texts), batch_size):
        enc = tokenizer(list(texts[i : i + batch_size]), truncation=True, max_length=MAX_LENGTH,
                        padding=True, return_tensors="pt")
        out.append(model(**enc).logits.argmax(-1).numpy() + LO)
    return np.concatenate(out)


# %% [markdown]
# ## 2. The original loop
#
# This is the original workshop's loop, kept as it was apart from the data: one essay
# per step, clipping before `backward()`, a checkpoint chosen **on the test set**, and
# `state_dict()` kept as the best model. To give the selection problem a chance to show
# on a short run we evaluate three times per epoch, on the test set as the original does,
# and — only to compare afterwards — on the dev set. To keep this quick it trains on
# `profile.finetune_demo_essays` essays for one epoch and evaluates on half as many
# (all of them in `full`).
#
# *This cell takes one to two minutes on a 2-core CPU in `fast` (200 one-essay steps and six
# evaluations).*

# %%
demo = train.iloc[: profile.finetune_demo_essays]
model = new_model()
optimizer = torch.optim.AdamW(model.parameters(), lr=profile.finetune_lr)
test_small = test.iloc[: len(demo) // 2]
dev_small = dev.iloc[: len(demo) // 2]
check_every = max(1, len(demo) // 3)
best_qwk, best_state, log = -1.0, None, []

start = time.perf_counter()
for i, (text, score) in enumerate(zip(demo.essay, demo[TARGET])):
    model.train()
    optimizer.zero_grad()
    inputs = tokenizer(text, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
    loss = model(**inputs, labels=torch.tensor([score - LO])).loss
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # problem 1: before backward()
    loss.backward()
    optimizer.step()
    if (i + 1) % check_every == 0:
        test_qwk = qwk(test_small[TARGET], predict(model, test_small.essay), LO, HI)
        dev_qwk = qwk(dev_small[TARGET], predict(model, dev_small.essay), LO, HI)
        log.append({"step": i + 1, "test_QWK": test_qwk, "dev_QWK": dev_qwk})
        if test_qwk > best_qwk:  # problem 3: the test set picks the model
            best_qwk, best_state = test_qwk, model.state_dict()  # problem 2: a reference
original_seconds = time.perf_counter() - start
original_final = finetune.snapshot_state(model)  # to score it on the test set in section 4
log = pd.DataFrame(log)
print(f"{len(demo)} one-essay steps in {original_seconds:.0f} s; "
      f"the original would report test QWK {best_qwk:.3f} (on {len(test_small)} test essays)")
log.round(3)

# %% [markdown]
# ### Problem 1: clipping before `backward()` clips nothing
#
# `clip_grad_norm_` rescales the gradients that are *there*. Before `backward()` they
# are empty (or left over from the last step), so the new gradients go into the
# optimizer unclipped. We compute the gradients of one batch both ways:

# %%
def grad_norm(m):
    return float(torch.nn.utils.get_total_norm([p.grad for p in m.parameters() if p.grad is not None]))


batch = tokenizer(list(train.essay.iloc[:8]), truncation=True, max_length=MAX_LENGTH,
                  padding=True, return_tensors="pt")
labels = torch.tensor(train[TARGET].iloc[:8].to_numpy() - LO)
model.eval()  # no dropout, so both orders see the same gradients

model.zero_grad()
torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
model(**batch, labels=labels).loss.backward()
print(f"clip (max norm 0.1), then backward: gradient norm {grad_norm(model):.3f}")

model.zero_grad()
model(**batch, labels=labels).loss.backward()
raw = grad_norm(model)
torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
print(f"backward, then clip (max norm 0.1): gradient norm {raw:.3f} -> {grad_norm(model):.3f}")
model.zero_grad()

# %% [markdown]
# **Why it matters:** clipping protects fine-tuning from the occasional huge gradient
# that wrecks the pretrained weights; in the wrong place that protection is silently
# gone.
#
# ### Problem 2: `state_dict()` is a live view, not a copy
#
# The tensors in `model.state_dict()` share memory with the model. We keep a view and a
# real copy (`finetune.snapshot_state`) of the same weights, take one more training
# step, and compare both with the model:

# %%
view, copy_now = model.state_dict(), finetune.snapshot_state(model)
model.train()
optimizer.zero_grad()
model(**batch, labels=labels).loss.backward()
optimizer.step()
name = next(k for k in view if k.startswith("classifier") and k.endswith("weight"))  # the head
print(f"after one more step, {name}: the view equals the new weights: "
      f"{torch.equal(view[name], model.state_dict()[name])}; the copy still holds the old ones: "
      f"{not torch.equal(copy_now[name], model.state_dict()[name])}")
best_step = int(log.loc[log.test_QWK.idxmax(), "step"])
print(f"So the original's 'best' state (kept at step {best_step}) is whatever the model holds "
      f"now: the weights after the loop's {len(demo)} steps and the extra step above.")

# %% [markdown]
# **Why it matters:** early stopping that restores the last weights is no early
# stopping. Copy the weights instead (`copy.deepcopy(model.state_dict())`, or
# `finetune.snapshot_state`, which copies them to the CPU).
#
# ### Problem 3: choosing on the test set inflates the result
#
# The original keeps whichever checkpoint scores best **on the test set** and reports
# that score: a maximum over several tries, so on average it is biased upwards.
# Choosing on dev and then reporting the test score of that one checkpoint is an
# honest estimate:

# %%
by_dev = log.loc[log.dev_QWK.idxmax()]
gap = log.test_QWK.max() - by_dev.test_QWK
print(f"chosen on test: reported test QWK {log.test_QWK.max():.3f}")
print(f"chosen on dev:  test QWK {by_dev.test_QWK:.3f} (step {int(by_dev.step)})")
if log.test_QWK.nunique() == 1:
    verdict = ("every checkpoint scores the same on test in this run (the short original loop has "
               "learned nothing to choose between), so the choice cannot show its bias here.")
elif gap == 0:
    verdict = ("dev picked the same checkpoint as test, so this run shows no gap; "
               "the bias is an average over runs, not a promise for each one.")
else:
    verdict = "the test-chosen figure is the higher one, as expected."
print(f"gap {gap:+.3f}: {verdict}")

# %% [markdown]
# **Why it matters:** the two numbers differ only by how the checkpoint was chosen. With
# more checkpoints the expected gap grows, and a figure chosen on test cannot be
# compared with anything else.
#
# ### Problem 4: one essay per step
#
# One essay per step means many small steps, each following the gradient of a single
# essay: noisy, and with no room for a learning-rate schedule. Batching also lets the
# hardware work on several essays at once. Whether that is faster per essay depends on
# the hardware and on padding (a batch is padded to its longest essay); we measure it:

# %%
texts = sorted(train.essay.iloc[:8], key=len)  # similar lengths: little padding
model.train()
t = time.perf_counter()
for text in texts:
    model(**tokenizer(text, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")).logits.sum().backward()
one_by_one = time.perf_counter() - t
t = time.perf_counter()
enc = tokenizer(texts, truncation=True, max_length=MAX_LENGTH, padding=True, return_tensors="pt")
model(**enc).logits.sum().backward()
batched = time.perf_counter() - t
model.zero_grad()
print(f"8 essays, forward + backward on {config.device()}: one at a time {one_by_one:.2f} s, "
      f"as one batch {batched:.2f} s")
ratio = batched / one_by_one
print("batching is", "faster" if ratio < 0.95 else "slower" if ratio > 1.05 else "about as fast (within 5%)",
      "here")

# %% [markdown]
# **Why it matters:** on a GPU a batch of 16 costs about as much as one essay, so
# batching is much faster there; on a CPU, which does little in parallel, the gain per
# essay is smaller and can vanish (the line above says what it is here). On every device, averaged
# batches with a learning-rate schedule train more stably than single-essay steps at a
# fixed rate.

# %% [markdown]
# ## 3. The loop done right
#
# ### One training step, written out
#
# The order is the lesson: `zero_grad -> forward -> loss -> backward -> clip -> step ->
# schedule`. Clipping comes after `backward()`, when there are gradients to clip.

# %%
import torch.nn.functional as F


def training_step(model, batch, optimizer, scheduler=None, max_grad_norm=1.0):
    """One optimisation step for classification; returns the loss and the gradient norm."""
    model.train()
    optimizer.zero_grad(set_to_none=True)
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    loss = F.cross_entropy(model(**inputs).logits.float(), batch["labels"].long())
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)  # after backward
    optimizer.step()
    if scheduler is not None:
        scheduler.step()
    return {"loss": float(loss.detach()), "grad_norm": float(norm)}


# %% [markdown]
# The library's `finetune.train_step` is the same step plus mixed precision on GPUs.
# Two identical models, the same batch and the same random numbers (for dropout): after
# one step each, the losses, gradient norms and weights should agree.

# %%
step_batch = {**batch, "labels": labels}
results = []
for step in (training_step, None):
    m = new_model()
    opt = torch.optim.AdamW(m.parameters(), lr=profile.finetune_lr)
    torch.manual_seed(0)
    out = (training_step(m, step_batch, opt) if step else
           finetune.train_step(m, step_batch, opt, "classification", max_grad_norm=1.0))
    results.append((out, torch.cat([p.detach().flatten() for p in m.parameters()])))
(ours, w_ours), (library, w_library) = results
print(f"ours:    loss {ours['loss']:.6f}, gradient norm {ours['grad_norm']:.6f}")
print(f"library: loss {library['loss']:.6f}, gradient norm {library['grad_norm']:.6f}")
print("same weights after the step:", torch.allclose(w_ours, w_library, atol=1e-6))
del results, m, opt

# %% [markdown]
# `FineTunedScorer` wraps that step in the rest of a careful loop: mini-batches of
# similar-length essays with dynamic padding, AdamW with weight decay, a linear
# learning-rate schedule with 10% warm-up, and mixed precision on a GPU (bf16 where
# supported, fp16 with a gradient scaler on a T4, fp32 on a CPU). After each epoch it
# scores the **dev** set, prints QWK, Acc and SMD, deep-copies the weights when dev QWK
# improves, stops after `patience` epochs without improvement, and puts the best
# weights back at the end. `fit` has no test-set argument.
#
# *This cell takes about 4 minutes on a 2-core CPU in `fast` (225 training steps of 8
# essays, three passes over 600).*

# %%
scorer = finetune.FineTunedScorer(
    profile.finetune_model, LO, HI, mode="classification",
    max_length=MAX_LENGTH, epochs=profile.finetune_epochs, lr=profile.finetune_lr,
    batch_size=profile.finetune_batch_size, seed=config.SEED,
)
scorer.fit(train.essay, train[TARGET], dev.essay, dev[TARGET])
steps = int(np.ceil(len(train) / profile.finetune_batch_size)) * len(scorer.history_)
print(f"best epoch {scorer.best_epoch_} (dev QWK {scorer.best_dev_qwk_:.3f}); "
      f"precision {scorer.precision_}; {steps} batched steps in {scorer.fit_seconds_:.0f} s "
      f"(the original loop: {len(demo)} one-essay steps in {original_seconds:.0f} s)")
pd.DataFrame(scorer.history_).round(3)

# %% [markdown]
# ## 4. The test set, once
#
# Beside the figure: the two baselines every model must beat (notebook 03), the
# original loop's test figure on the same essays, and the results table's figure for
# the same model trained on all 1,066 training essays for four epochs.

# %%
pred = scorer.predict(test.essay)
base = baselines.fit_baselines(train.essay, train[TARGET])
rows = baselines.report("11", "fine-tuned (manual loop)", test.essay, test[TARGET], pred, base,
                        n_train=len(train))
baselines.against_constant(rows, "fine-tuned (manual loop)", pred)
model.load_state_dict(original_final)
original_test = qwk(test[TARGET], predict(model, test.essay), LO, HI)
print(f"the original loop's final model on all {len(test)} test essays: QWK {original_test:.3f}")
print(baselines.describe_published("finetune_clf"))
williamson_check(test[TARGET], pred, test.rater2_domain1)

# %% [markdown]
# The printed lines say, for this profile, whether the model beats the length line and
# the constant predictor, and how many distinct scores it gives. In `smoke` (64 essays,
# one pass, CI) it learns next to nothing: one score, or nearly, for every essay. In
# `fast` it learns, but from fewer essays and passes than the results table, whose
# figure is printed beside it.
#
# ## 5. Save and load
#
# `save` writes the model and tokenizer with `save_pretrained` plus the scorer's
# settings; `load` gives back a scorer that predicts exactly the same scores.

# %%
import tempfile

with tempfile.TemporaryDirectory() as folder:
    scorer.save(folder)
    again = finetune.FineTunedScorer.load(folder)
    sample = list(test.essay.iloc[:8])
    print("identical predictions after reload:",
          np.array_equal(scorer.predict(sample), again.predict(sample)))

# %% [markdown]
# ## Summary
#
# * Clip **after** `backward()`, copy weights with `deepcopy` (or `snapshot_state`), and
#   let the **dev** set choose the checkpoint; the test set is scored once.
# * Mini-batches with a learning-rate schedule train more stably than one essay per step.
# * A fine-tuned model must beat the length line and a constant predictor; with few
#   essays and few passes it may not, and the results table shows what more data buys.
#
# Next: [notebook 12](12_finetune_trainer.ipynb) lets the Hugging Face `Trainer` write
# this loop for us.
#
# ## Exercises
#
# ### Exercise 1: fix the original step
#
# Rewrite one step of the original loop for a batch of four essays so that clipping
# happens after `backward()`, and show that the gradient norm after clipping is at
# most the limit (use `max_norm=0.5`).

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
m = new_model()
opt = torch.optim.AdamW(m.parameters(), lr=profile.finetune_lr)
enc = tokenizer(list(train.essay.iloc[:4]), truncation=True, max_length=MAX_LENGTH,
                padding=True, return_tensors="pt")
y = torch.tensor(train[TARGET].iloc[:4].to_numpy() - LO)
m.train()
opt.zero_grad()
m(**enc, labels=y).loss.backward()
before = torch.nn.utils.clip_grad_norm_(m.parameters(), 0.5)  # returns the norm before clipping
print(f"gradient norm {float(before):.3f} before clipping, {grad_norm(m):.3f} after")
opt.step()
# The norm after clipping is at most 0.5: clipping after backward() acts on the real gradients.
# Before clipping it was larger, so this step would otherwise have moved the weights further.

# %% [markdown]
# ### Exercise 2: a copy that stays put
#
# Keep `copy.deepcopy(m.state_dict())` and `m.state_dict()` side by side, take one more
# optimizer step, and check which of the two still holds the old weights.

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
import copy

kept_copy, kept_view = copy.deepcopy(m.state_dict()), m.state_dict()
old = kept_copy[name].clone()  # the classification head's weights (name from Problem 2)
opt.zero_grad()
m(**enc, labels=y).loss.backward()
opt.step()
print("deep copy unchanged:", torch.equal(kept_copy[name], old))
print("state_dict view unchanged:", torch.equal(kept_view[name], old))
# Only the deep copy still holds the old weights; the view moved with the model.
# Early stopping must keep a copy, or the "best" model is the last one.

# %% [markdown]
# ### Exercise 3: the learning-rate schedule
#
# How many optimizer steps and warm-up steps does `FineTunedScorer` take in the `full`
# profile (all training essays of the split)? Plot the learning rate over training with
# `transformers.get_linear_schedule_with_warmup`.

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
import matplotlib.pyplot as plt
from transformers import get_linear_schedule_with_warmup

from course_utils import plots

full = config.get_profile("full")
n_full = len(essay_splits(load_asap(7), verbose=False)[0])
steps = int(np.ceil(n_full / full.finetune_batch_size)) * full.finetune_epochs
warmup = int(0.1 * steps)
dummy = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=full.finetune_lr)
schedule = get_linear_schedule_with_warmup(dummy, warmup, steps)
rates = []
for _ in range(steps):
    rates.append(schedule.get_last_lr()[0])
    dummy.step()
    schedule.step()
print(f"{n_full} essays: {steps} steps, {warmup} of them warm-up")
plots.lr_schedule(rates, warmup)
plt.show()
# The rate climbs linearly for the first 10% of the steps, then falls linearly to zero:
# small steps while the new head is random, large ones in the middle, fine ones at the end.
