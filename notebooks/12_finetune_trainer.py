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
# # 12 · Fine-tuning with the Hugging Face Trainer
#
# Notebook 11 wrote the training loop by hand. The `transformers.Trainer` writes it
# for us: batching, the learning-rate schedule, clipping (after `backward()`), mixed
# precision, evaluation and logging. We still decide three things ourselves, and the
# original workshop got each of them wrong:
#
# * **which set the Trainer evaluates on** — the original passed the *test* set as
#   `eval_dataset` with `load_best_model_at_end=True`, so its 0.723 was chosen on test;
#   we pass the dev set;
# * **the argument names** — the original's `evaluation_strategy` was renamed
#   `eval_strategy` and today's transformers rejects the old name;
# * **logging** — `report_to="none"`, so nobody meets a Weights & Biases login prompt.
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
# ## 1. Data as a PyTorch dataset
#
# `EssayDataset` tokenises the essays once (truncated to `max_length` tokens, chosen in
# [notebook 10](10_tokenization.ipynb)) and stores the labels: for classification the
# score minus the lowest score, so labels run 0..12. The Trainer pads each batch to its
# longest essay.

# %%
import tempfile

import numpy as np
import pandas as pd
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, TrainingArguments

from course_utils import baselines, finetune
from course_utils.data import TARGET, essay_splits, load_asap
from course_utils.hub import resolve_model
from course_utils.metrics import aes_metrics, williamson_check

finetune.quiet_transformers()  # no expected-warning noise; at most 4 CPU threads

train, dev, test = essay_splits(load_asap(7), max_train=profile.finetune_train_essays)
LO, HI = 0, 12  # the range of TARGET, rater 1's score, as in every notebook
MAX_LENGTH = profile.finetune_max_length

model_path = resolve_model(profile.finetune_model)
tokenizer = AutoTokenizer.from_pretrained(model_path)
train_ds = finetune.EssayDataset(train.essay, train[TARGET], tokenizer, LO, HI,
                                 "classification", MAX_LENGTH)
dev_ds = finetune.EssayDataset(dev.essay, dev[TARGET], tokenizer, LO, HI,
                               "classification", MAX_LENGTH)
test_ds = finetune.EssayDataset(test.essay, test[TARGET], tokenizer, LO, HI,
                                "classification", MAX_LENGTH)
item = train_ds[0]
print(f"{len(train_ds)} training essays; first item: {len(item['input_ids'])} tokens, "
      f"label {item['labels']} (score {train[TARGET].iloc[0]})")

# %% [markdown]
# ## 2. The original's arguments no longer run
#
# The original wrote `TrainingArguments(..., evaluation_strategy="epoch")`:

# %%
with tempfile.TemporaryDirectory() as folder:
    try:
        TrainingArguments(output_dir=folder, evaluation_strategy="epoch")
    except TypeError as err:
        print(f"TypeError: {err}")

# %% [markdown]
# `finetune.trainer_arguments` builds arguments that do run: `eval_strategy="epoch"`,
# `report_to="none"`, 10% warm-up, clipping at norm 1, essays of similar length batched
# together, fp16 on a T4 and bf16 on newer GPUs. It saves no checkpoints
# (`save_strategy="no"`): a callback keeps the best weights in memory instead.

# %%
output_dir = tempfile.mkdtemp()
args = finetune.trainer_arguments(
    output_dir, epochs=profile.finetune_epochs, lr=profile.finetune_lr,
    batch_size=profile.finetune_batch_size, seed=config.SEED,
)
print({k: getattr(args, k) for k in ("eval_strategy", "save_strategy", "report_to", "warmup_steps",
                                      "max_grad_norm", "fp16", "bf16", "train_sampling_strategy")})

# %% [markdown]
# ## 3. Metrics, the Trainer and the best-QWK callback
#
# * `make_compute_metrics` turns the Trainer's logits into scores and returns QWK, Acc
#   and SMD, so the log shows the numbers we care about, not only the loss;
# * `ScoringTrainer` is a `Trainer` whose `compute_loss` we choose (cross-entropy here;
#   notebook 13 uses it for regression);
# * `BestQWKCallback` reads the dev QWK after every evaluation, deep-copies the weights
#   when it improves, and puts the best weights back when training ends — what
#   `load_best_model_at_end` does, without writing checkpoints to disk.
#
# The evaluation set is **dev**. The test set is not given to the Trainer at all.
#
# **What you will see in the CPU profiles.** In `fast` this classification run ends
# close to the length line, with dev QWK still rising at the last epoch: three passes
# over 600 essays are too few for 13 classes, each learned separately, and this run
# stops before it has converged. With more essays and epochs (the `full`
# profile on a GPU) the same code learns more; that run is not measured in this notebook.
#
# *This cell takes about 4 minutes on a 2-core CPU in `fast` (225 training steps of 8
# essays, three passes over 600).*

# %%
config.seed_everything()
model = AutoModelForSequenceClassification.from_pretrained(model_path, num_labels=HI - LO + 1)
best = finetune.BestQWKCallback()
trainer = finetune.ScoringTrainer(
    model=model, args=args, train_dataset=train_ds, eval_dataset=dev_ds,
    processing_class=tokenizer, compute_metrics=finetune.make_compute_metrics(LO, HI, "classification"),
    callbacks=[best], mode="classification",
)
trainer.train()
history = pd.DataFrame(best.history)[["epoch", "eval_loss", "eval_QWK", "eval_Acc", "eval_SMD"]]
print(f"best dev QWK {best.best_qwk:.3f} after epoch {best.best_epoch:g}")
history.round(3)

# %% [markdown]
# ## 4. The test set, once
#
# `trainer.predict` runs the model over the test essays and applies the same
# `compute_metrics`.

# %%
out = trainer.predict(test_ds)
pred = finetune.logits_to_scores(out.predictions, "classification", LO, HI)
print(f"test QWK {aes_metrics(test[TARGET], pred, LO, HI)['QWK']:.3f} "
      f"(the Trainer's own metric: {out.metrics['test_QWK']:.3f})")
base = baselines.fit_baselines(train.essay, train[TARGET])
rows = baselines.report("12", "fine-tuned (Trainer)", test.essay, test[TARGET], pred, base,
                        n_train=len(train))
baselines.against_constant(rows, "fine-tuned (Trainer)", pred)
print(baselines.describe_published("finetune_clf"))
williamson_check(test[TARGET], pred, test.rater2_domain1)

# %% [markdown]
# The original reported the best of its evaluations **on the test set**; here the
# epoch was chosen on dev, and this test figure is the first and only one. The lines
# above say whether it beats the baselines in this profile. A model that gives one
# score to every essay (QWK 0.000, like the constant predictor) has learned nothing in
# this run: `smoke` (64 essays, one epoch) is too small to learn, and a short CPU run
# can also stay stuck on the most common score. The results-table line shows the figure
# with all training essays and four epochs.
#
# ## Summary
#
# * The `Trainer` writes the loop; we still choose the evaluation set (dev, never
#   test), the argument names of today's transformers, and the logging.
# * `compute_metrics` puts QWK in the log; a callback keeps a copy of the best weights.
#
# Next: [notebook 13](13_regression_cutoffs_ensembles.ipynb) predicts the score as a
# number, optimises cutoffs and builds ensembles.

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: metrics from a hand-made prediction
#
# Build a `transformers.EvalPrediction` for five essays whose logits pick the scores
# 3, 4, 5, 5, 6 while the true scores are 3, 4, 5, 6, 7, and run the notebook's
# `compute_metrics` on it. Which of QWK, Acc and SMD tells you that the machine scores
# too low?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
from transformers import EvalPrediction

picked = np.array([3, 4, 5, 5, 6])
logits = np.full((5, HI - LO + 1), -5.0)
logits[np.arange(5), picked - LO] = 5.0
gold = np.array([3, 4, 5, 6, 7]) - LO
metrics = finetune.make_compute_metrics(LO, HI, "classification")(EvalPrediction(logits, gold))
print({k: round(v, 3) for k, v in metrics.items()})
print(f"SMD is {metrics['SMD']:+.2f}: negative, so the machine scores lower than the human.")
print("QWK and Acc only say the scores disagree; SMD alone gives the direction.")

# %% [markdown]
# ### Exercise 2: how many steps?
#
# How many optimizer steps did the Trainer take, and how many of them were warm-up?
# Check with `trainer.state` and the length of `trainer.get_train_dataloader()`.

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
per_epoch = len(trainer.get_train_dataloader())
warm = trainer.args.get_warmup_steps(trainer.state.max_steps)
print(f"{per_epoch} batches per epoch x {args.num_train_epochs} epoch(s) = "
      f"{trainer.state.max_steps} steps (global_step {trainer.state.global_step}); "
      f"warm-up {warm} steps")
print(f"warmup_steps=0.1 is read as a share: {warm} of {trainer.state.max_steps} steps ramp the rate up.")
print(f"{trainer.state.max_steps} updates in all ({profile.name} profile): the test figure above shows what they bought.")

# %% [markdown]
# ### Exercise 3: the training log
#
# `trainer.state.log_history` holds everything the Trainer logged. Make a table of the
# training loss and the dev QWK per epoch.

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
log = pd.DataFrame(trainer.state.log_history)
cols = [c for c in ("epoch", "loss", "eval_QWK") if c in log]
per_epoch_log = log[cols].groupby("epoch").first()
print(per_epoch_log.round(3).to_string())
print("The training loss and the dev QWK are logged at the same epoch ends; the loss can fall")
print("while dev QWK stalls, which is why the epoch is chosen by dev QWK, not by the loss.")
