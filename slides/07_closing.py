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
# # AI Scoring in Python · 7. Closing
#
# The day on one chart, what to use when, and where to read more
#
# * every essay scorer of the day against two humans and the length line
# * which method for which situation
# * the papers behind the day

# %% [markdown] slideshow={"slide_type": "notes"}
# Ten minutes to close the day. Go back to the answer the room gave to the first slide's
# question: which objective matters most for your own work? This deck puts every
# method on one chart, turns the day into a table of choices, and gives the references
# for those who want to read further. Ask each table to name one method they would try
# first on their own data, and why.

# %% tags=["remove-cell"]
from course_tools.slide_content import fmt, md, plot_methods, result, select_results

#: One row per method of the day, in the order it is taught (notebooks 04-16); rows
#: without a measurement are left out of the chart.
DAY = ["tfidf_lr", "svd300_lr", "textstat_rf", "svd10_textstat_rf", "minilm_lr",
       "ensemble_cutoffs", "finetune_clf", "finetune_reg", "finetune_ensemble_dev",
       "llm_zero_shot_cutoffs", "llm_few_shot_cutoffs", "llm_lora"]

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The day on one chart: test QWK on ASAP prompt 7

# %% tags=["hide-input"]
plot_methods(DAY)

# %% [markdown] slideshow={"slide_type": "notes"}
# Every bar is a test-set QWK with its bootstrap 95% interval, read from the results
# table; the green line is the second human rater, the orange one is the length line,
# the dashed one Williamson's 0.70. Read the chart from the top: the classical scorers
# of the morning, the CPU ensemble, the fine-tuned encoders, then the generative models.
# Rows that need a GPU or a key and were not measured are not drawn; the fine-tuned
# rows are the MiniLM-L6 stand-in trained on a CPU, and the generative rows a small
# local model, so both sections would look different on a GPU with the full models.
# Ask: which bars would you trust to be different from each other, given their intervals?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the chart says

# %% tags=["hide-input"]
day = select_results("asap7", columns=[])
day = day[day["id"].isin(DAY)].dropna(subset=["qwk_mean"])
human, length = result("asap7", "human"), result("asap7", "baseline_length")
best = day.loc[day["qwk_mean"].idxmax()]
below = day[day["qwk_mean"] < length]
above_human = day[day["qwk_ci_low"] > human]
tuned = day[day["id"].str.startswith("finetune")].sort_values("qwk_mean").iloc[-1]
md(f"* best of the day: **{best['label']}**, QWK **{best['qwk_mean']:.3f}** "
   f"(95% CI {best['qwk_ci_low']:.3f} to {best['qwk_ci_high']:.3f}); two humans: "
   f"**{fmt(human)}**\n"
   f"* **{len(below)}** of the {len(day)} methods score below the length line "
   f"(**{fmt(length)}**): " + ", ".join(below["label"]) + "\n"
   f"* methods whose whole interval lies above the humans' agreement: **{len(above_human)}**\n"
   f"* the CPU ensemble of notebook 09: **{fmt(result('asap7', 'ensemble_cutoffs'))}**; the "
   f"best fine-tuned model measured here: **{tuned['qwk_mean']:.3f}** ({tuned['label']})")

# %% [markdown] slideshow={"slide_type": "notes"}
# The sentences are computed from the same table as the chart, so they change when it
# does. Two messages to leave the room with. First, the length line is a real bar: a
# method below it has learnt less than a word count. Second, "matches the humans" means
# an interval that overlaps theirs, on 314 essays; none of the day's methods is
# clearly better than a second human. Ask: what evidence beyond QWK would you want
# before using any of these scores for a decision about a student?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What to use when: essays
#
# | method | needs | when |
# |---|---|---|
# | length line (03) | nothing | a floor every scorer must beat; never to score |
# | TF-IDF or SVD + logistic regression (04, 05) | a few hundred scored essays, a CPU | a first baseline for one prompt |
# | textstat + SVD + random forest (06) | the same | readable features; know that length dominates |
# | embeddings + a classifier (07) | a sentence-transformer, a CPU | meaning, not style: better for short answers |
# | regression, cutoffs, an ensemble (09, 13) | a CPU, minutes | the strongest scorer here; start here |
# | fine-tuned encoder (11-13) | a GPU, about a thousand scored essays | when a GPU is at hand; ensemble it with 09 |
# | prompted chat model (14, 15) | a key or a local model; few or no scored essays | no training data yet; check against humans first |
# | LoRA-tuned chat model (16) | a GPU, scored essays | research; here below the classical scorers |

# %% [markdown] slideshow={"slide_type": "notes"}
# Read the table by the middle column: what you have decides what you can use. With a
# few hundred scored essays and a laptop, the regression ensemble of notebook 09 is the
# place to start, and it is the bar a fine-tuned or generative model has to clear. A
# prompted model needs no training essays, which is its real advantage, but its scores
# must be checked against human scores before anyone relies on them. Ask: which row
# matches the data and hardware you have at work?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What to use when: short answers
#
# | method | needs | when |
# |---|---|---|
# | few-shot grader (18) | about 30 graded answers per question, a CPU | new questions every week; grades in milliseconds |
# | the guard in front of it (18) | nothing more; layers 4-6 are opt-in | always: grade 0, with a reason, for what is not an answer |
# | cross-encoder (17) | many graded answers, a GPU helps | fixed questions with plenty of graded answers |
# | meta-learning (19) | graded answers of other questions | to set the grader's settings before a question has any |

# %% [markdown] slideshow={"slide_type": "notes"}
# Short answers are a different problem from essays: the question changes every week
# and the answer is right or wrong rather than better or worse written. The few-shot
# grader learns a question from a teacher's first graded answers; the guard refuses
# what is not an attempt before any grade is given. The cross-encoder reads question
# and answer together and needs more training data. Ask: in your setting, who would
# grade the first 30 answers of a new question?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Five habits for honest numbers
#
# 1. choose on dev; score the test set once, at the end
# 2. report every figure beside the length line, a constant score and two humans
# 3. give an interval: 314 essays cannot tell 0.72 from 0.73
# 4. check a scorer against Williamson et al.'s criteria, not QWK alone
# 5. say which model actually ran (a stand-in is not the model it stands in for)

# %% [markdown] slideshow={"slide_type": "notes"}
# These five habits are the thread of the day, and each corrects a mistake of the
# original workshop: checkpoints chosen on the test set, a model trained on test essays,
# no baseline, single numbers without intervals. They cost nothing but discipline. Ask
# each participant to pick the habit they will find hardest to keep at work, and say
# why: usually it is the first one, under a deadline.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb03"]
# ## More than QWK: the length line against Williamson's criteria

# %%
from course_utils.baselines import LengthLine
from course_utils.data import load_asap, reference_split
from course_utils.metrics import williamson_check

train, test = reference_split(load_asap(7))
machine = LengthLine(0, 12).fit(train.essay, train.rater1_domain1).predict(test.essay)
check = williamson_check(test.rater1_domain1, machine, human2=test.rater2_domain1)
print(check.to_string(index=False))

# %% [markdown] slideshow={"slide_type": "notes"}
# Habit four in five lines: the length line's test predictions checked against all of
# Williamson et al.'s criteria at once, with the second rater for the degradation
# criterion. A scorer can pass some rows and fail others; QWK alone hides which. Run
# the same check on your own scorer's test predictions, once, at the end. Ask: which of
# these criteria would a scorer that only counts words pass, and what does that say
# about the criteria?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References: essay scoring
#
# * Williamson, D. M., Xi, X., & Breyer, F. J. (2012). A framework for evaluation and use
#   of automated scoring. *Educational Measurement: Issues and Practice*, 31(1), 2-13.
#   doi:10.1111/j.1745-3992.2011.00223.x
# * Taghipour, K., & Ng, H. T. (2016). A neural approach to automated essay scoring.
#   In *Proceedings of EMNLP 2016* (pp. 1882-1891). ACL. doi:10.18653/v1/D16-1193
# * The original workshop: a hands-on workshop on automated essay scoring (Colab
#   notebooks on ASAP prompt 7) from which this course grew; unpublished. Its QWKs are
#   the *original* column of the course's results table.

# %% [markdown] slideshow={"slide_type": "notes"}
# Williamson et al. is where the acceptance criteria of notebook 03 come from; read
# its section on agreement with human scores. Taghipour and Ng's neural model is the
# published reference on the same ASAP prompts, with the five folds notebook 09 uses
# for the literature comparison. Checked against the publishers' listings: authors,
# year, journal, volume, issue and pages for Williamson et al.; authors, year,
# proceedings, pages and DOI for Taghipour and Ng. The original workshop has no
# publication to cite.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References: methods and short answers
#
# * Hu, E. J., Shen, Y., Wallis, P., Allen-Zhu, Z., Li, Y., Wang, S., Wang, L., & Chen, W.
#   (2022). LoRA: Low-rank adaptation of large language models. *ICLR 2022*. arXiv:2106.09685
# * Akiba, T., Sano, S., Yanase, T., Ohta, T., & Koyama, M. (2019). Optuna: A
#   next-generation hyperparameter optimization framework. *KDD 2019*. doi:10.1145/3292500.3330701
# * Bergstra, J., Bardenet, R., Bengio, Y., & Kégl, B. (2011). Algorithms for
#   hyper-parameter optimization. *Advances in Neural Information Processing Systems
#   (NIPS 2011)*, 2546-2554.
# * Dzikovska, M. O., Nielsen, R. D., Brew, C., Leacock, C., Giampiccolo, D., Bentivogli,
#   L., Clark, P., Dagan, I., & Dang, H. T. (2013). SemEval-2013 Task 7: The joint student
#   response analysis and 8th recognizing textual entailment challenge. *SemEval 2013*.

# %% [markdown] slideshow={"slide_type": "notes"}
# LoRA is notebook 16's method; Optuna and its default sampler, TPE (Bergstra et al.),
# are notebook 08's; the SemEval-2013 task is where notebooks 17-19's Beetle data and
# its three-way labels come from. What was checked: LoRA's authors, arXiv number and
# venue (ICLR 2022, from secondary listings); Optuna's authors, venue and DOI (its
# pages were not checked); Bergstra et al.'s authors, title, venue and pages (from a
# library's reference list, not the proceedings); Dzikovska et al.'s authors, year and title, and
# that SemEval 2013 is volume 2 of *SEM 2013 (the pages were not checked).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Thank you
#
# * every notebook runs in Colab, on a laptop, and offline; the exercises have solutions
# * the results tables say which model ran, on which machine, with how many seeds
# * questions, corrections and new results: open an issue on the course's repository

# %% [markdown] slideshow={"slide_type": "notes"}
# Thank the room. Point to the results tables as the place where every number of the
# day can be checked and rerun, and invite corrections: a figure that cannot be
# reproduced is a bug. Collect the feedback forms if there are any, and remind
# participants that the notebooks and the library stay available after today.
