# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # AI Scoring in Python · The workshop
#
# Automated scoring of essays and short answers, from word counts to language models
#
# * 20 notebooks (00-19), each runnable in Google Colab, on a CPU laptop, and offline
# * six section decks and a closing deck follow this one

# %% [markdown] slideshow={"slide_type": "notes"}
# Welcome the room. Say who you are, and that every score and agreement figure of the
# day comes from running the notebooks on the same essays, so anyone can check it. (In
# the browser, the S key opens these notes in a separate window.) Ask: who has graded
# essays or short answers by hand? Who has trained a model before? Adjust the pace to
# the answers.

# %% tags=["remove-cell"]
from course_utils import config
from course_tools.slide_content import fmt, md, result, show_guide_table

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Learning objectives
#
# By the end of the day you can
#
# 1. measure a scorer against human raters: QWK, the Williamson criteria, confidence intervals
# 2. build classical scorers: TF-IDF, SVD, hand-crafted features, embeddings, ensembles
# 3. fine-tune a transformer *correctly*: dev set, early stopping, schedule, clipping
# 4. score with generative models: prompts, hosted against local models, LoRA
# 5. grade short answers in milliseconds, and refuse to grade what is not an answer
# 6. report honest numbers: choose on dev, touch the test set once

# %% [markdown] slideshow={"slide_type": "notes"}
# Read the six objectives aloud. Stress the last one: it is the thread of the day, and
# the original workshop this course grew from broke it in several places (test set used
# to pick checkpoints, a model trained on its test essays). Ask: which of these matters
# most for your own work? Come back to that answer at the wrap-up.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What automated essay scoring (AES) is
#
# A model that gives an essay the score a trained human rater would give.
#
# | family | what the model sees | notebooks |
# |---|---|---|
# | frequency features | which words occur, how often (TF-IDF, SVD topics) | 04, 05 |
# | hand-crafted features | length, sentences, readability formulas | 06 |
# | transformers | embeddings, then a fine-tuned encoder reading the essay | 07, 10-13 |
# | hybrids | features + embeddings + fine-tuned models, averaged | 09, 13 |
# | generative models | a language model prompted, or LoRA-tuned, to write the score | 14-16 |

# %% [markdown] slideshow={"slide_type": "notes"}
# This is the map of the day. Each family reads more of the essay than the one before,
# and costs more. Say that the hybrids reach the highest QWK on this one test split of
# 314 essays; whether that lead is more than chance is a question the day teaches you
# to ask (a paired comparison, notebook 03). Model size is not compared here: on a CPU
# only small stand-in models run. Ask: what would a human rater look at that none of
# these models can see?

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb03"]
# ## What the models read: one essay, two raters

# %%
from course_utils.data import load_asap

asap = load_asap(7)
essay = asap.iloc[0]
print(f"{len(asap):,} essays on patience. Rater 1 gave this one {essay.rater1_domain1}, "
      f"rater 2 gave it {essay.rater2_domain1} (of 12).")
print(" ".join(essay.essay.split()[:70]), "...")

# %% [markdown] slideshow={"slide_type": "notes"}
# The first essay of the data set, as a model receives it: plain text by a grade-7
# student, spelling as written, names and places replaced by tags such as @PERSON1.
# Read it aloud and ask the room to score it from 0 to 12 before you reveal the two
# raters' scores. The spread of the room's scores is the point: two trained raters
# often differ by a point or two, and every model of the day is measured against that
# disagreement. Ask: what did you look at first?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The day's plan (full day)

# %% tags=["hide-input"]
show_guide_table("Full day")

# %% [markdown] slideshow={"slide_type": "notes"}
# The instructor guide has the same plan. Point out the breaks and that long training
# cells (11, 12, 16, 17) should be started before you explain them. A half-day plan is
# on the next slide.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The plan for half a day

# %% tags=["hide-input"]
show_guide_table("Half day", columns=["time", "section", "notebooks", "deck"])

# %% [markdown] slideshow={"slide_type": "notes"}
# Half a day covers one notebook per section and shows the others on slides only. What
# to skip: the Python refresher (01) if the room knows Python, with its exercises as
# homework; 05, 06, 08 and 09 are shown from their results slide; 10 and 11 on slides
# only; LoRA (16) on slides only; meta-learning (19) is optional. Start notebook 15's
# scoring cell before you explain it, and the GPU runtime for 12 during the break. Ask
# the room whether they prefer depth (run every notebook) or breadth (slides).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What needs a GPU or an API key

# %% tags=["hide-input"]
show_guide_table("What needs a GPU or a key")
full, fast = config.get_profile("full"), config.get_profile("fast")
md(f"Fine-tuning: `full` reads {full.finetune_max_length} tokens of every training essay "
   f"for {full.finetune_epochs} epochs; `fast` reads {fast.finetune_max_length} tokens of "
   f"{fast.finetune_train_essays} essays for {fast.finetune_epochs} epochs.")

# %% [markdown] slideshow={"slide_type": "notes"}
# Everything runs without a GPU and without a key: the fast profile trains on subsets,
# and a small local model stands in for the hosted APIs. Ask everyone to switch Colab to
# a T4 runtime now (Runtime, Change runtime type) and to create a free Groq or Cerebras
# key during the first break if they want to try the hosted models in notebook 14.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Honest numbers
#
# * settings are chosen on the **dev** set; the **test** set is scored once, at the end
# * each essay scorer's test QWK comes with a bootstrap 95% interval: 314 test essays
#   cannot tell 0.72 from 0.73
# * "A beats B" on the same essays is decided by a **paired** comparison (notebook 03);
#   without one, a difference is called what it is: one test split's observation

# %% tags=["hide-input"]
md(f"The reference: a second human rater agrees with the first at QWK "
   f"**{fmt(result('asap7', 'human'))}** "
   f"(95% interval {fmt(result('asap7', 'human', 'qwk_ci_low'))} to "
   f"{fmt(result('asap7', 'human', 'qwk_ci_high'))}) on the test essays.")

# %% [markdown] slideshow={"slide_type": "notes"}
# This slide sets the rules for every result you will show. The human-human agreement
# is a reference point, not a ceiling: every model is trained on rater 1's scores and
# can learn that rater's habits, so a model may agree with rater 1 more than a second
# human does without being a better judge of writing. The two comparisons are not
# symmetric. Ask: if two trained humans agree only this well, what does a machine that
# matches them prove, and what does it not prove?
