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
# precision, evaluation and logging. We still decide three things ourselves; the
# workshop this course grew out of ("the original") got the first wrong, and its code
# for the other two fails or stops for a login prompt with today's libraries:
#
# * **which set the Trainer evaluates on** — the original passed the *test* set as
#   `eval_dataset` with `load_best_model_at_end=True`, so its 0.723 was chosen on test;
#   we pass the dev set. (That 0.723 came from ELECTRA-small, the model this notebook
#   asks for where the Hub can be reached, with other settings and one seed: it cannot be
#   set against this notebook's figures to measure the selection bias);
# * **the argument names** — the original's `evaluation_strategy` was renamed
#   `eval_strategy` and today's transformers rejects the old name;
# * **logging** — `report_to="none"`, so nobody meets a Weights & Biases login prompt.
#
# *Time to work through: about 30 minutes of reading, plus the training cell of section 3,
# the longest cell of the notebook (several minutes on a laptop CPU; it prints its
# seconds).*

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
#
# In the CPU profiles the training essays are a seeded random subset of the training
# split (`profile.finetune_train_essays`; the first printed line gives the sizes), to keep
# the training time down; `full` uses them all. The model is the small pretrained encoder
# that notebook 11 fine-tuned (the printed model line names the
# checkpoint that actually runs). `AutoModelForSequenceClassification` puts a
# new classification head with 13 outputs, one per score, on top of it: that head starts
# from random weights, so the first epoch has everything still to learn.

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
# `finetune.trainer_arguments` returns a `TrainingArguments(...)` with arguments that do
# run. Written out, it is
#
# ```python
# TrainingArguments(
#     output_dir=output_dir, num_train_epochs=epochs, learning_rate=lr,
#     per_device_train_batch_size=batch_size, per_device_eval_batch_size=2 * batch_size,
#     warmup_steps=0.1, weight_decay=0.01, max_grad_norm=1.0,
#     eval_strategy="epoch", save_strategy="no", logging_strategy="epoch", report_to="none",
#     seed=seed, data_seed=seed, fp16=..., bf16=...,            # by the GPU, off on a CPU
#     train_sampling_strategy="group_by_length",
#     disable_tqdm=True)                                        # passed by the next cell
# ```
#
# `eval_strategy="epoch"` evaluates after every epoch; `report_to="none"` (stored as an
# empty list) reports to no tracker; `warmup_steps=0.1` (a value below 1 is read as a
# share of all steps: 10% warm-up, after which the rate falls in a straight line to 0 at
# the last step); `weight_decay=0.01` shrinks the weights a little at every step;
# `per_device_...` is the batch size on each device (one here: the CPU or one GPU); `data_seed` fixes the
# order in which the essays are drawn; clipping at norm 1; essays of similar length batched
# together; half precision on a GPU (`fp16` on a T4, `bf16` on newer GPUs: 16-bit
# numbers, faster and smaller). These are the names of transformers 5, which the course
# requires (Colab has it); in transformers 4, `warmup_steps=0.1` was `warmup_ratio=0.1`
# and `train_sampling_strategy="group_by_length"` was `group_by_length=True`. It saves no checkpoints (`save_strategy="no"`): a callback
# keeps the best weights in memory instead. `logging_strategy="epoch"` logs the training
# loss once per epoch, averaged over that epoch's steps. `disable_tqdm=True` turns off
# the Trainer's own progress display: the table after training shows the same figures
# once. The printed settings below show the strategies as `<IntervalStrategy.EPOCH:
# 'epoch'>`: transformers stores them as named constants, and the text after the colon
# is the setting.
#
# The number of epochs, the learning rate, the batch size and the 600 training essays
# (`fast`) are fixed in advance by the profile, to fit a CPU's minutes; none was chosen
# on test (nor on dev: notebook 08's search on dev is how one would choose them).

# %%
output_dir = tempfile.mkdtemp()
args = finetune.trainer_arguments(
    output_dir, epochs=profile.finetune_epochs, lr=profile.finetune_lr,
    batch_size=profile.finetune_batch_size, seed=config.SEED, disable_tqdm=True,
)
print({k: getattr(args, k) for k in ("num_train_epochs", "learning_rate", "per_device_train_batch_size",
                                      "eval_strategy", "save_strategy", "report_to", "warmup_steps",
                                      "max_grad_norm", "fp16", "bf16", "train_sampling_strategy")})
print(f"max_length {MAX_LENGTH} tokens per essay (longer essays are cut)")

# %% [markdown]
# ## 3. Metrics, the Trainer and the best-QWK callback
#
# * `make_compute_metrics(LO, HI, "classification")` returns the function the Trainer
#   calls after each evaluation. Its body, shortened:
#
#   ```python
#   def compute_metrics(eval_pred):
#       pred = eval_pred.predictions.argmax(axis=1) + LO   # logits -> scores
#       gold = eval_pred.label_ids + LO
#       stats = aes_metrics(gold, pred, LO, HI)
#       return {"QWK": stats["QWK"], "Acc": stats["Acc"], "SMD": stats["SMD"],
#               "scores_used": len(np.unique(pred)),      # distinct scores predicted
#               "top_score": ...}                         # the score predicted most often
#   ```
#
#   so the log shows the numbers we care about, not only the loss. The Trainer adds a
#   prefix to each name: `eval_QWK` after an evaluation on `eval_dataset`, `test_QWK`
#   when `trainer.predict` scores the test set;
# * `ScoringTrainer` is a `Trainer` whose `compute_loss` we choose (`mode=` is our own
#   argument, not the Trainer's). For classification it is the Trainer's default loss,
#   cross-entropy; notebook 13 uses `mode="regression"`:
#
#   ```python
#   def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
#       labels = inputs.pop("labels")
#       outputs = model(**inputs)
#       if self.mode == "regression":   # notebook 13: squared error after a sigmoid
#           loss = mse_loss(sigmoid(outputs.logits).squeeze(-1), labels)  # labels scaled to 0..1 there
#       else:
#           loss = cross_entropy(outputs.logits, labels)
#       return (loss, outputs) if return_outputs else loss
#   ```
# * `BestQWKCallback` is a `TrainerCallback`; the Trainer calls its methods at fixed moments:
#
#   ```python
#   def __init__(self):
#       self.best_qwk, self.best_state, self.history = -float("inf"), None, []
#   def on_evaluate(self, args, state, control, metrics=None, model=None, **kwargs):
#       self.history.append({"epoch": state.epoch, **metrics})
#       if metrics["eval_QWK"] > self.best_qwk:          # better on dev: keep a copy
#           self.best_qwk, self.best_epoch = metrics["eval_QWK"], state.epoch
#           self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
#   def on_train_end(self, args, state, control, model=None, **kwargs):
#       model.load_state_dict(self.best_state)           # put the best weights back
#   ```
#
#   It starts from minus infinity, so the first epoch's weights are always stored as the
#   first candidate, even at dev QWK 0; a later epoch replaces them only with a strictly
#   higher dev QWK (a tie keeps the earlier epoch). This is what the Trainer's own `load_best_model_at_end=True,
#   metric_for_best_model="QWK"` does, without writing checkpoints to disk (that route
#   needs `save_strategy="epoch"` and saves every epoch's weights).
# * `processing_class=tokenizer` hands the tokenizer to the Trainer (it used to be called
#   `tokenizer=`); the Trainer then pads each batch with it.
#
# The evaluation set is **dev**. The test set is not given to the Trainer during
# training or for choosing the epoch; section 5 scores it once, at the end.
#
# **What to expect in the CPU profiles.** Expect dev QWK still rising at the last epoch,
# an argmax that puts the essays on only a few scores, and an argmax that may not beat
# the length line, for two likely reasons (this notebook does not separate them;
# notebook 13 compares classification with regression on the same essays): the run is
# short (a few passes over a subset of the essays on a CPU), and classification treats a
# 7 and an 8 as unrelated labels, so it cannot use the fact that scores are ordered
# (notebook 13 predicts the score as a number instead) and has 13 of them to learn.
# Section 4 reads the same model's 13 probabilities another way, one that does use the
# order of the scores, and lets dev choose between the two readings; section 5 then asks
# how much of any gain the same reading would give a word count. Expect that reading to
# lift a word count too, so that a CPU run's lead over a length line given the same help
# may be within noise. The lines after the
# table say how this run went; section 5 also prints a reference figure from separate
# runs: this classifier with the offline MiniLM model (the one the CPU profiles run)
# trained on the full training split.

# %%
config.seed_everything()
model = AutoModelForSequenceClassification.from_pretrained(model_path, num_labels=HI - LO + 1)
best = finetune.BestQWKCallback()
trainer = finetune.ScoringTrainer(
    model=model, args=args, train_dataset=train_ds, eval_dataset=dev_ds,
    processing_class=tokenizer, compute_metrics=finetune.make_compute_metrics(LO, HI, "classification"),
    callbacks=[best], mode="classification",
)
import time

start = time.perf_counter()
trainer.train()
print(f"trained in {time.perf_counter() - start:.0f} s")

# One table per epoch: the training loss (logged by the Trainer) beside the dev metrics.
# The Trainer's log is a list of dictionaries: rows with "loss" (training) and rows with
# "eval_..." (dev), each with its "epoch". We take the training rows' last loss per epoch,
# take the dev rows from the callback (one per epoch), and put the two side by side.
log = pd.DataFrame(trainer.state.log_history)
training_rows = log.dropna(subset=["loss"])
train_loss = training_rows.groupby(training_rows["epoch"].round(2))["loss"].last().rename("training loss")
dev_rows = pd.DataFrame(best.history)
dev_rows["epoch"] = dev_rows["epoch"].round(2)
dev_rows = dev_rows.set_index("epoch")
dev_table = dev_rows[["eval_loss", "eval_QWK", "eval_Acc", "eval_SMD"]]
dev_table.columns = ["dev loss", "dev QWK", "dev Acc", "dev SMD"]
history = pd.concat([train_loss, dev_table], axis=1)  # side by side, matched on the epoch
print(history.round(3).to_string())

last_epoch = history.index.max()
if round(best.best_epoch, 2) == last_epoch:
    print(f"best dev QWK {best.best_qwk:.3f} at epoch {best.best_epoch:g}, the last one: dev QWK had not "
          "stopped rising, so the kept weights are the final ones (still the highest of the epochs' dev figures).")
else:
    print(f"best dev QWK {best.best_qwk:.3f} at epoch {best.best_epoch:g} of {last_epoch:g}: the callback "
          f"put epoch {best.best_epoch:g}'s weights back.")
for epoch in dev_rows.index[dev_rows["eval_scores_used"] == 1]:
    print(f"epoch {epoch:g}: the model gave one score, {dev_rows.loc[epoch, 'eval_top_score']:.0f}, to every dev "
          f"essay, so its dev QWK is 0; its Acc {history.loc[epoch, 'dev Acc']:.3f} is the share of dev essays with "
          "that score.")

# %% [markdown]
# In general the best dev QWK over the epochs is an optimistic estimate: it is the
# maximum of a few noisy figures on the same dev essays, and a maximum picks up luck
# along with skill. That is one reason the test set is still scored, once, below. The
# bias is small when the chosen epoch leads the others by far (compare the dev QWK
# column), but it is never zero: the rule still kept a maximum. And dev and test figures
# differ by sampling noise in either direction: the test QWK's 95% interval below, on
# 314 essays, reaches about 0.06 either side of it; scaled to about 190 dev essays
# (times $\sqrt{314/190}$) that is about 0.08 either side, and two independent errors of
# 0.06 and 0.08 add up to about $\sqrt{0.06^2 + 0.08^2} = 0.1$, so a gap of up to about
# 0.1 between the dev and the test figure of the same reading is ordinary (the dev figure to set beside the test figure
# is the dev QWK, in section 4, of the reading dev keeps). (The training loss in the table is averaged over the epoch while
# the weights still change; the dev loss is measured at the epoch's end, so it can be
# the lower of the two.)
#
# ## 4. From 13 probabilities to one score: dev decides
#
# For each essay the model outputs 13 logits, one per score; the softmax turns them into
# 13 probabilities that add up to 1. So far a score was read off them by the **argmax**,
# the score with the highest probability. After a short run the argmax uses only a few
# scores (the table below counts them), because only a few of the 13 outputs ever come
# out on top. One other reading uses all 13 probabilities, in two steps:
#
# * the **expected score**, $\sum_n n\,P(n)$: an essay given probability 0.5 for 6 and
#   0.5 for 8 gets 7, a number between the scores, and a model that hesitates between 6
#   and 8 no longer has to pick one;
# * **cutoffs** (notebook 09) turn that number back into a score: 12 thresholds between
#   the 13 scores, and an essay gets the score of the band its expected score falls in.
#   Expected scores crowd towards the middle, like a regression's predictions, so plain
#   rounding (thresholds at 0.5, 1.5, ..., 11.5) seldom gives low or high scores;
#   `OptimizedCutoffs` moves the thresholds, one at a time, to where QWK on the essays it
#   is fitted on rises (a local search: see the band table below).
#
# Which reading to use on the test set is a choice, so dev makes it, by a rule fixed
# before looking: keep the reading with the higher dev QWK. Cutoffs fitted on the essays
# they then score look better than they are, so their dev QWK is **cross-validated**
# (5 folds, as in notebook 09): each dev essay is scored by cutoffs fitted on the other
# four fifths of dev. That estimates the *procedure* "fit cutoffs on about 150 essays";
# the cutoffs sent to the test set are refitted on all 189, and only the test set checks
# those. The two readings are not on an equal footing in one respect: the epoch was
# chosen by the argmax's dev QWK (section 3), so the argmax's figure is the maximum the
# callback picked and carries that optimism in full, while the other reading only
# inherits the epoch. That tilts the comparison towards the argmax.
#
# The table also reads the model's expected score rounded, and the length line both
# ways, rounded (as everywhere in the course) and through cutoffs cross-validated the
# same way, so that what the expected score does, and what cutoffs alone do for a
# baseline, can be told apart. The paired bootstrap line (notebook 03) says how sure these 189 essays
# are of the difference between the model's two readings, for these out-of-fold scores:
# it does not refit the cutoffs in each resample, so it understates the uncertainty of
# the procedure. The rule does not wait for it, because one reading must be used.

# %%
from sklearn.model_selection import KFold

from course_utils.cutoffs import OptimizedCutoffs, WithCutoffs
from course_utils.metrics import paired_bootstrap


def out_of_fold_cutoffs(x, y, folds=5):
    """Each essay scored by cutoffs fitted on the other folds; also returns each fold's cutoffs."""
    scores, fits = np.zeros(len(y), dtype=int), []
    for fit_part, held in KFold(folds, shuffle=True, random_state=config.SEED).split(x):
        fitted = OptimizedCutoffs(LO, HI).fit(x[fit_part], y[fit_part])
        scores[held] = fitted.predict(x[held])
        fits.append(fitted.cutoffs_)
    return scores, np.array(fits)


dev_logits = trainer.predict(dev_ds).predictions  # the kept weights, on the dev essays
y_dev = dev[TARGET].to_numpy()
dev_expected = finetune.logits_to_continuous(dev_logits, "classification", LO, HI)  # sum of n * P(n)
dev_cut, fold_cutoffs = out_of_fold_cutoffs(dev_expected, y_dev)
line = baselines.LengthLine(LO, HI).fit(train.essay, train[TARGET])
line_dev = line.predict_continuous(dev.essay)  # the line before rounding
readings = {"argmax": finetune.logits_to_scores(dev_logits, "classification", LO, HI),
            "expected score, rounded": np.clip(np.round(dev_expected), LO, HI).astype(int),
            "expected score + cutoffs": dev_cut,
            "length line, rounded": line.predict(dev.essay),
            "length line + cutoffs": out_of_fold_cutoffs(line_dev, y_dev)[0]}
table = pd.DataFrame({name: aes_metrics(y_dev, scores, LO, HI) for name, scores in readings.items()}).T
table["scores used"] = [len(set(scores.tolist())) for scores in readings.values()]
print(f"dev essays ({len(y_dev)}), cutoffs cross-validated:")
print(table[["QWK", "Acc", "Adj", "SMD", "scores used"]].round(3).to_string())
comparison = paired_bootstrap(y_dev, readings["expected score + cutoffs"], readings["argmax"], labels=range(LO, HI + 1),
                              n_resamples=baselines.VERDICT_RESAMPLES, seed=baselines.VERDICT_SEED)
print("Paired on the dev essays: " + comparison.verdict("expected score + cutoffs", "argmax") + ". These are "
      "out-of-fold scores and the cutoffs are not refitted in each resample, so the interval is too narrow: an "
      "interval that refitted them could reach 0 where this one does not. The rule does not use this line.")
on_dev = table["QWK"]
print(f"What the cutoffs add on dev: {on_dev['expected score + cutoffs'] - on_dev['expected score, rounded']:+.3f} "
      f"to the model's expected score, {on_dev['length line + cutoffs'] - on_dev['length line, rounded']:+.3f} to "
      f"the length line; the argmax against the rounded length line: {on_dev['argmax'] - on_dev['length line, rounded']:+.3f} "
      "(one set of dev essays, no interval).")
READING = max(["argmax", "expected score + cutoffs"], key=lambda name: table.loc[name, "QWK"])
print(f"kept for the test set: {READING}")

# %% [markdown]
# When dev keeps the cutoffs, they are refitted on all dev essays for the test set. The
# table below shows them as bands, one row per score: an essay whose expected score lies
# between `from` and `to` gets that score. How many essays a band gets depends on how
# many expected scores fall in it, not on its width: expected scores crowd in the
# middle, so a narrow middle band can hold many essays and a wide outer band few (compare
# `width` with `dev essays put here`, and with rater 1's count beside it; a band's width
# is only nominal where no expected score reaches, as at the top). The column
# `to: range over folds` shows how far the band's upper threshold moved between the five
# fits of the cross-validation: 12 thresholds fitted to raise QWK on about 150-190
# essays are unstable, and they trade exact hits (Acc) for QWK. The column `dev essays
# put here` counts the refitted cutoffs on the very essays they were fitted on
# (in-sample), which the first line under the table sets beside the cross-validated figure.
# `OptimizedCutoffs` searches locally: it starts at the rounding points and tries a grid
# of positions for one threshold at a time, keeping a move only if QWK rises. A threshold
# no fit moved (range 0) stayed at its rounding point, usually because no expected score
# lies near it, so a move changes no essay's score. When the model's expected scores stop
# well below the top (the first line under the table gives their range), every essay above the
# last moved threshold shares one band: the model then gives no 12 and puts its highest
# essays on 11. The last line under the table tries every position of the top threshold
# on the same dev essays, to show what the local search left.
# Section 5's table of test essays per score shows what the bands do on new essays.

# %%
cutoffs = OptimizedCutoffs(LO, HI).fit(dev_expected, y_dev)  # for the test set: fitted on all dev essays
if READING != "argmax":
    edges = np.concatenate([[LO], cutoffs.cutoffs_, [HI]])
    bands = pd.DataFrame({"from": edges[:-1], "to": edges[1:]}, index=range(LO, HI + 1))
    bands["width"] = bands["to"] - bands["from"]
    bands["to: range over folds"] = np.append(fold_cutoffs.max(axis=0) - fold_cutoffs.min(axis=0), np.nan)
    in_sample = cutoffs.predict(dev_expected)  # the refitted cutoffs on the essays they were fitted on
    bands["dev essays put here"] = pd.Series(in_sample).value_counts().reindex(bands.index, fill_value=0)
    bands["rater 1's dev essays"] = pd.Series(y_dev).value_counts().reindex(bands.index, fill_value=0)
    print(bands.round(2).to_string(na_rep="-"))
    print(f"expected scores on dev run from {dev_expected.min():.2f} to {dev_expected.max():.2f}; dev QWK of "
          f"these cutoffs on the essays they were fitted on: {aes_metrics(y_dev, in_sample, LO, HI)['QWK']:.3f} (cross-validated: "
          f"{table.loc['expected score + cutoffs', 'QWK']:.3f})")

    def in_sample_qwk(cuts):  # the refitted cutoffs' dev QWK with other thresholds
        return aes_metrics(y_dev, np.searchsorted(cuts, dev_expected, side="right") + LO, LO, HI)["QWK"]

    # what the local search did not try: every position of the top threshold above the one below it
    tries = [np.append(cutoffs.cutoffs_[:-1], t) for t in np.linspace(cutoffs.cutoffs_[-2], HI - 0.5, 400)[1:]]
    best_top = max(tries, key=in_sample_qwk)
    print(f"the top threshold at {cutoffs.cutoffs_[-1]:.2f} gives in-sample dev QWK {in_sample_qwk(cutoffs.cutoffs_):.4f}; "
          f"the best of 399 positions above {cutoffs.cutoffs_[-2]:.2f} ({best_top[-1]:.3f}) gives {in_sample_qwk(best_top):.4f}")

# %% [markdown]
# ## 5. The test set, once
#
# `trainer.predict` runs the model over the test essays; `finetune.logits_to_scores`
# gives the argmax scores and `finetune.logits_to_continuous` the expected scores, read
# with the cutoffs fitted on dev, whichever reading dev kept. (When dev kept the cutoffs
# we first switch off the Trainer's `compute_metrics`, which always takes the argmax:
# otherwise it would compute a test figure for the reading dev did not keep.)
# `baselines.report` then prints the model beside the two baselines and the leaderboard
# (notebook 03 started it: every model scored so far in this profile); the line after it
# compares the model with the constant predictor. With cutoffs the model has used dev's
# labels three times (the epoch, the reading and the cutoffs) while the plain length line
# used only the training essays, so the next line compares it with the length line read
# through cutoffs fitted the same way on the same dev essays, and the lines in words
# below use that like-for-like baseline.

# %%
if READING != "argmax":
    trainer.compute_metrics = None  # no test figure for the reading dev did not keep
out = trainer.predict(test_ds)
if READING == "argmax":
    pred = finetune.logits_to_scores(out.predictions, "classification", LO, HI)
    print(f"test QWK {aes_metrics(test[TARGET], pred, LO, HI)['QWK']:.3f} "
          f"(the Trainer's own metric: {out.metrics['test_QWK']:.3f})")
else:
    pred = cutoffs.predict(finetune.logits_to_continuous(out.predictions, "classification", LO, HI))
NAME = "fine-tuned (Trainer)" if READING == "argmax" else "fine-tuned (Trainer) + cutoffs"
base = baselines.fit_baselines(train.essay, train[TARGET])
if READING != "argmax":
    print("Against the plain length line, the course's usual baseline (not like-for-like here: see the line after "
          "the leaderboard):")
rows = baselines.report("12", NAME, test.essay, test[TARGET], pred, base, n_train=len(train))
baselines.against_constant(rows, NAME, pred)
if READING != "argmax":
    # OptimizedCutoffs fitted on the line's own numbers for the dev essays, as the model's were on its expected
    # scores; the line itself keeps its fit on the training essays
    line_cut = WithCutoffs(line, LO, HI).fit(dev.essay, y_dev)
    line_test = line_cut.predict(test.essay)
    versus = paired_bootstrap(test[TARGET], pred, line_test, labels=range(LO, HI + 1),
                              n_resamples=baselines.VERDICT_RESAMPLES, seed=baselines.VERDICT_SEED)
    print(f"against the length line + cutoffs fitted the same way on the same dev essays (test QWK "
          f"{aes_metrics(test[TARGET], line_test, LO, HI)['QWK']:.3f}): {versus.verdict(NAME, 'length line + cutoffs')}.")
    if versus.low > 0:
        print("  -> the model leads even when the word count gets cutoffs fitted the same way: the encoder adds to them.")
    elif versus.high < 0:
        print("  -> a word count read through cutoffs fitted the same way agrees better than the model on these essays.")
    else:
        print("  -> with cutoffs fitted the same way, a word count cannot be told apart from the model: on these essays its "
              "lead over the plain length line cannot be credited to the encoder rather than to the cutoffs.")
    # a leaderboard row for this like-for-like baseline (it shows on the leaderboards of the next notebooks)
    baselines.record("--", "length line + cutoffs (dev)", test[TARGET], line_test, len(train), profile.name)
flags = williamson_check(test[TARGET], pred, test.rater2_domain1)
flags

# %% [markdown]
# The table above holds the Williamson et al. (2012) criteria from notebook 03: QWK, and
# `r`, the Pearson correlation of machine and human scores, should reach 0.70; the
# *degradation* is the human–human QWK (rater 1 with rater 2) minus the machine–human QWK,
# and should stay under 0.10; |SMD| should stay under 0.15. "pass" or "fail" alone means
# the whole 95% interval lies on that side of the threshold; "... on the point estimate
# only" means the interval still reaches the threshold, so these essays cannot settle
# that criterion. The report line above reads the point estimates alone ("flagged"); the
# table and the lines in words add the interval. In words, for this run (when dev kept
# the cutoffs, "counting words" is the length line given cutoffs fitted the same way on
# the same dev essays, the like-for-like baseline):

# %%
fair = base if READING == "argmax" else {**base, baselines.LENGTH_LINE: line_cut}
print("\n".join(baselines.in_words(NAME, test.essay, test[TARGET], pred, fair, flags, LO, HI)))
print("\ntest essays per score:")
print(baselines.score_counts(test[TARGET], pred, LO, HI).rename(columns={"human": "rater 1", "machine": "fine-tuned"})
      .T.to_string())
test_qwk = aes_metrics(test[TARGET], pred, LO, HI)["QWK"]
outcome = (f"\nIn one line: dev kept {READING} (dev QWK {table.loc[READING, 'QWK']:.3f}"
           f"{', cross-validated' if READING != 'argmax' else ''}); test QWK {test_qwk:.3f}")
if READING != "argmax":
    outcome += ("; against the length line given the same help: "
                + ("ahead" if versus.low > 0 else "behind" if versus.high < 0 else "not told apart"))
print(outcome + ".")

# %% [markdown]
# The original reported the best of its evaluations **on the test set**; here dev alone
# decided which weights to keep and how to read a score off them, and this test figure
# is the first and only one. The lines in words name the score the model over-uses most
# and what that does to the mean (the SMD) and to the spread (the SD: scores far apart,
# from an argmax on a few scores or from wide cutoff bands, can even widen it), and the
# table counts the essays per score. If the mean is off although the dev SMD was near 0,
# look at section 4's band table for a threshold with many expected scores just above it:
# when the model's expected scores stop just above a threshold (as when the largest dev
# expected score lies only a little above the threshold of the top band used), a small
# shift of the test essays' expected scores moves many of them across it, and the share
# of essays on that score changes. Against the rounded expected score, the cutoffs cost
# exact and adjacent hits on dev (the dev table); on test, when the lines in words show
# the model's exact and adjacent agreement below the constant predictor's, that is the
# price of a rule that chooses on QWK alone: the cutoffs spread the scores away from the
# commonest one. Part of a shift in the mean can also come from the test essays
# themselves: compare the plain length line's SMD on dev (section 4's table) with its SMD
# on test (the report above), where no cutoffs are involved. The test intervals hold the
# dev-fitted cutoffs fixed: they describe this scorer, and say less about the procedure
# (other dev essays would give other thresholds, section 4).
# Notebook 13 trains the model to predict the score as a number in the first place, and
# fits cutoffs on dev to it.
#
# For reference, from separate runs: this classifier with the offline MiniLM model (the
# one the CPU profiles run; where the Hub is reached, this notebook fine-tunes
# ELECTRA-small instead) trained on the full training split, its score read the same way
# as this run's (those runs report the test figure of each reading, with cutoffs fitted
# on their own dev essays; which reading their dev would have kept is not recorded). It
# comes from other runs, as does the original's 0.723 of the introduction (another model,
# chosen on test): neither is a paired comparison with this run, nor with each other:

# %%
print(baselines.describe_published("finetune_clf" if READING == "argmax" else "finetune_clf_cutoffs"))
published = baselines.published("finetune_clf")  # both readings come from the same runs; this row holds their settings
if published is not None:
    print(f"Its settings: {str(published['note']).split(';')[0]}, {int(published['n_train']):,} training essays. "
          f"This run: max_length {MAX_LENGTH}, {profile.finetune_epochs} epoch(s), batch "
          f"{profile.finetune_batch_size}, lr {profile.finetune_lr:g}, {len(train)} training essays.")
from course_utils.metrics import bootstrap_ci

full_train = essay_splits(load_asap(7), verbose=False)[0]  # the whole training split
line_full = baselines.LengthLine(LO, HI).fit(full_train.essay, full_train[TARGET])
neighbours = {"the length line": line_full.predict(test.essay)}
if READING != "argmax":  # the like-for-like neighbour of a reference read through cutoffs
    neighbours["the length line + cutoffs fitted on dev"] = WithCutoffs(line_full, LO, HI).fit(dev.essay, y_dev).predict(test.essay)
print(f"Beside it, computed here on the same test essays, fitted on the same {len(full_train):,} training essays:")
for label, scores in neighbours.items():
    ci = bootstrap_ci(test[TARGET], scores, "QWK", n=1000, seed=0)
    print(f"  {label}: QWK {aes_metrics(test[TARGET], scores, LO, HI)['QWK']:.3f} [{ci.low:.3f}, {ci.high:.3f}]")
print("No paired test: the classifier's per-essay scores come from separate runs, so whether intervals overlap or "
      "not does not compare them, and this notebook does not show whether the full-data classifier beats the length "
      "line read the same way. The length line also moves by 0.01-0.02 with the essays it is fitted on.")

# %% [markdown]
# That is a figure from separate runs, not a paired comparison with this run or with the
# length line on the same essays. Its ± is the spread over training seeds; the interval
# is the first seed's run resampled over the test essays (its standard error is about a
# quarter of the interval's width). The two are different kinds of chance: the spread
# over seeds (a new training run) and the test essays' sampling error (a new set of
# essays). An SD from three seeds is itself rough (its true value could be about half of
# it or about six times it), so do not read the seed spread as smaller or larger than the
# sampling error; both move a single figure.
#
# Notebook 11 fine-tuned the same model on the same essays with a hand-written loop (its
# figure is on the leaderboard above once you have run notebook 11 in this profile). Its
# test figure and this one differ in warm-up, batching by length, the order of the
# essays, the number of steps and (when dev kept the cutoffs here) in how the score is
# read off the probabilities, and they come from two notebooks: without both sets
# of predictions side by side, their gap is a single-split observation, not a paired
# comparison.
#
# ## Summary
#
# * The `Trainer` writes the loop; we still choose the evaluation set (dev, never
#   test), the argument names of today's transformers, and the logging.
# * `compute_metrics` puts QWK in the log; a callback keeps a copy of the best weights.
# * The argmax reads one score off 13 probabilities and, after a short run, uses only a
#   few scores; the expected score $\sum_n n\,P(n)$ with cutoffs fitted on dev uses all
#   13 probabilities and the order of the scores (it can still leave scores unused: see
#   section 4's top band). Which reading is used is a choice, so
#   dev makes it (cross-validated, because the cutoffs are fitted on dev too).
# * A gain over a baseline is the model's only if the baseline gets the same help: read
#   through cutoffs fitted the same way on the same dev essays, the length line (the
#   line "against the length line + cutoffs" in section 5, and the lines in words) shows
#   how much of the gain the cutoffs alone would give.
# * This run's result is in section 5's lines in words and the line "In one line" under
#   them.
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
# Check with `trainer.state`, the length of `trainer.get_train_dataloader()` and
# `trainer.args.get_warmup_steps(total_steps)` (the Trainer rounds 10% of the steps up).

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
# `trainer.state.log_history` holds everything the Trainer logged. From it, make a table
# of the dev loss (`eval_loss`, cross-entropy on the dev essays) and the dev QWK per
# epoch. Which epoch would each of them choose? Why does the course choose by dev QWK?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
log = pd.DataFrame(trainer.state.log_history)
per_epoch_log = log.dropna(subset=["eval_loss"]).set_index("epoch")[["eval_loss", "eval_QWK"]]
print(per_epoch_log.round(3).to_string())
by_loss, by_qwk = per_epoch_log["eval_loss"].idxmin(), per_epoch_log["eval_QWK"].idxmax()
print(f"lowest dev loss: epoch {by_loss:g}; highest dev QWK: epoch {by_qwk:g}"
      + (" (the same epoch here)" if by_loss == by_qwk else ""))
print("Cross-entropy only asks how much probability the true score gets: putting a 7 on an essay")
print("worth 8 costs as much as putting a 0 on it, when the true score gets the same probability.")
print("QWK weights a miss by its squared distance, as a human reader would mind a far miss more, so the")
print("epoch is chosen by dev QWK; the two can disagree. QWK is computed from argmax scores, so it jumps when a "
      "small change of the logits flips an essay's score, while the loss changes smoothly.")
