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

#: Every essay scorer of the day, in the order it is taught (notebooks 04-16): the
#: classical scorers, all four CPU ensembles of notebook 09, the fine-tuned models and the
#: ensemble chosen on dev, and each prompt of notebook 15 with cutoffs fitted on training
#: essays (deck 5 shows them without). Rows without a measurement are left out.
DAY = ["tfidf_lr", "svd300_lr", "textstat_rf", "svd10_textstat_rf", "minilm_lr",
       "ensemble_cutoffs", "ensemble_cutoffs_2raters", "ensemble_rubric",
       "ensemble_rubric_2raters", "finetune_clf", "finetune_reg", "finetune_ensemble_dev",
       "llm_zero_shot_cutoffs", "llm_rubric_cutoffs", "llm_few_shot_cutoffs", "llm_lora"]


#: Short names for the chart (the decks of each section give the full ones).
SHORT = {"tfidf_lr": "TF-IDF + LR", "svd300_lr": "SVD(300) + LR", "textstat_rf": "textstat + RF",
         "svd10_textstat_rf": "SVD(10) + textstat + RF", "minilm_lr": "embeddings + LR",
         "ensemble_cutoffs": "CPU ensemble (09)", "ensemble_cutoffs_2raters": "CPU ens., raters' mean",
         "ensemble_rubric": "rubric ensemble (09)", "ensemble_rubric_2raters": "rubric ens., raters' mean",
         "finetune_clf": "fine-tuned, classif.", "finetune_reg": "fine-tuned, regression",
         "finetune_ensemble_dev": "fine-tuned + classical",
         "llm_zero_shot_cutoffs": "LLM zero-shot + cutoffs", "llm_rubric_cutoffs": "LLM rubric + cutoffs",
         "llm_few_shot_cutoffs": "LLM few-shot + cutoffs", "llm_lora": "LoRA chat model"}


def trained_on(row_id: str) -> str:
    """The row's short name with how many training essays it learnt from."""
    n = result("asap7", row_id, "n_train")
    return SHORT[row_id] if n is None else f"{SHORT[row_id]} ({n:,.0f})"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The day on one chart: test QWK on ASAP prompt 7

# %% tags=["hide-input"]
plot_methods(DAY, labels={i: trained_on(i) for i in DAY if result("asap7", i) is not None})
md(f"<span class='course-small'>QWK against rater 1, all {fmt(result('asap7', 'human', 'n_test'), 0)} "
   f"test essays; (n): training essays; a constant score: "
   f"{fmt(result('asap7', 'baseline_constant'))}.</span>")

# %% [markdown] slideshow={"slide_type": "notes"}
# Every bar is a test-set QWK with its bootstrap 95% interval; the green line is the
# second human rater with its own interval shaded, the orange one is the length line,
# the dashed one Williamson's 0.70. Read the chart from the top: the classical scorers
# of the morning, the four CPU ensembles, the fine-tuned encoders, then the generative
# models. The labels say how many essays each learnt from: the fine-tuned rows are the
# MiniLM-L6 stand-in trained on a CPU, the generative rows a 135M local model that saw
# a few dozen or a few hundred essays, so both sections would look different on a GPU
# with the full models. Rows that need a GPU or a key were not measured and are not
# drawn. For the prompted models the training essays only fit the cutoffs. A constant
# score, the habit's third reference, has QWK 0 by construction and draws no bar. Ask:
# which bars would you trust to be different from each other, given their intervals?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the chart says, and what it does not

# %% tags=["hide-input"]
day = select_results("asap7", columns=[])
day = day[day["id"].isin(DAY)].dropna(subset=["qwk_mean"])
human, length = result("asap7", "human"), result("asap7", "baseline_length")
below = day[day["qwk_mean"] < length]
md(f"* **no winner is read off this chart**: the highest of {len(day)} test results "
   f"flatters itself (it was picked *because* it came out high on these essays); choices "
   f"are made on dev\n"
   f"* on this one test split, **{len(below)}** of the {len(day)} scorers have a point "
   f"estimate below the length line ({fmt(length)}): " + ", ".join(SHORT[i] for i in below["id"]) + "\n"
   f"* the fine-tuned model alone: **{fmt(result('asap7', 'finetune_reg'))}** (regression); "
   f"with the classical scorer in an ensemble chosen on dev: "
   f"**{fmt(result('asap7', 'finetune_ensemble_dev'))}**\n"
   f"* \"as good as a second human\" is a question about two agreements on the *same* "
   f"essays: the next slide answers it with a paired comparison")

# %% [markdown] slideshow={"slide_type": "notes"}
# Two messages to leave the room with. First, the length line is a real bar: a method
# below it has learnt less than a word count; the list here compares point estimates on
# one split, so the rows just below it are not shown to be worse. Second, picking the
# highest bar of a chart of test results is the test-set choice the whole day warned
# against: among many rows, the top one is partly there by luck. The rubric ensembles
# and the ensembles trained on the mean of both raters are scored against rater 1 like
# every row. Ask: what evidence beyond QWK would you want before using any of these
# scores for a decision about a student?

# %% [markdown] slideshow={"slide_type": "slide"} tags=["nb03"]
# ## Beside a second human, paired

# %%
from course_utils.baselines import LengthLine
from course_utils.data import load_asap, reference_split
from course_utils.metrics import paired_bootstrap
from course_utils.scorers import EnsembleScorer, RegressionScorer

train, test = reference_split(load_asap(7))         # 1,255 training, 314 test essays
r1, r2 = test.rater1_domain1, test.rater2_domain1
length = LengthLine(0, 12).fit(train.essay, train.rater1_domain1).predict(test.essay)
members = [RegressionScorer("ridge", svd_dim=100, embeddings=False, random_state=0),  # 09's two
           RegressionScorer("gbm", svd_dim=20, embeddings=False, random_state=0)]     # members
ensemble = EnsembleScorer(members).fit(train.essay, train.rater1_domain1).predict(test.essay)
for a, b, name_a, name_b in ((ensemble, r2, "ensemble (09)", "rater 2"),
                             (length, r2, "length line", "rater 2"),
                             (ensemble, length, "ensemble (09)", "length line")):
    print(paired_bootstrap(r1, a, b, n_resamples=1000, labels=range(13)).verdict(name_a, name_b))

# %% [markdown] slideshow={"slide_type": "notes"}
# The paired bootstrap of notebook 03, with rater 2 treated as one more "model": both
# agreements with rater 1 are computed on the same resampled essays, and the interval
# is the one of their difference. This is the one rule of the day: "better" or "worse"
# when the paired interval excludes 0, "cannot tell apart" when it contains 0. The
# ensemble is notebook 09's, trained here with one seed and without the embedding
# features of its ridge member, so that it runs in seconds; its QWK is a little below
# the chart's CPU ensemble. A
# model trained on rater 1 learns rater 1's habits, so agreeing with rater 1 as well as
# rater 2 does is not the same as scoring as well as a human. Ask: what would you need
# to add to claim that the ensemble is better than a second human?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What to use when: essays
#
# | method | needs | when |
# |---|---|---|
# | length line (03) | nothing | a floor every scorer must beat; never to score |
# | TF-IDF or SVD + logistic regression (04, 05) | a few hundred scored essays, a CPU | to learn the workflow; here no higher than the length line |
# | textstat + SVD + random forest (06) | the same | readable features; know that length dominates |
# | embeddings + a classifier (07) | a sentence-transformer, a CPU | meaning, not style; as a member of an ensemble (09) |
# | regression, cutoffs, an ensemble (09, 13) | a CPU, minutes | above the length line in a paired test (slide 4); start here |
# | fine-tuned encoder (11-13) | a GPU, about a thousand scored essays | when a GPU is at hand; ensemble it with 09 |
# | prompted chat model (14, 15) | a key or a local model; few or no scored essays | no training data yet; check against humans first |
# | LoRA-tuned chat model (16) | a GPU, scored essays | research; the 135M stand-in here, on a CPU, stays below the classical scorers |

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
# what is not an attempt before any grade is given. The cross-encoder reads the
# reference and the answer together and needs more training data. Ask: in your setting, who would
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
#   notebooks on ASAP prompt 7) from which this course grew; unpublished.

# %% [markdown] slideshow={"slide_type": "notes"}
# Williamson et al. is where the acceptance criteria of notebook 03 come from; read
# its section on agreement with human scores and the criteria beyond it. Taghipour and
# Ng train a recurrent network on all eight ASAP prompts; read how they split the
# essays and which score they predict before setting any of their figures beside this
# course's, which predict rater 1 on one test split. The original workshop has no
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
# LoRA is notebook 16's method: read its section on where to put the low-rank
# matrices. Optuna and its default sampler, TPE (Bergstra et al.), are notebook 08's:
# Bergstra et al. explain why a model of good and bad trials beats a grid. The
# SemEval-2013 task is where notebooks 17-19's Beetle data and its three-way labels come
# from: read its description of the unseen-answers and unseen-questions test sets.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References: the models that ran today
#
# * Reimers, N., & Gurevych, I. (2019). Sentence-BERT: Sentence embeddings using Siamese
#   BERT-networks. *EMNLP-IJCNLP 2019*. arXiv:1908.10084
# * Wang, W., Wei, F., Dong, L., Bao, H., Yang, N., & Zhou, M. (2020). MiniLM: Deep
#   self-attention distillation for task-agnostic compression of pre-trained
#   transformers. *NeurIPS 2020*. arXiv:2002.10957
# * Allal, L. B., et al. (2025). SmolLM2: When Smol goes big: data-centric training of a
#   small language model. arXiv:2502.02737

# %% [markdown] slideshow={"slide_type": "notes"}
# The embeddings of notebook 07 and the fine-tuning stand-in come from the
# sentence-transformers family (Reimers and Gurevych) built on MiniLM (Wang et al.); the
# local chat model of notebooks 14-16 is SmolLM2's 135M instruct model. Read the
# SmolLM2 report's evaluation tables to see what a model of this size can and cannot do,
# which explains deck 5's weak prompted scores. Ask: which of these would you replace
# first if you had a GPU?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Thank you
#
# * every notebook runs in Colab, on a laptop, and offline; the exercises have solutions
# * every result of the day names the model that actually ran; a stand-in is named as one
# * questions, corrections and new results: open an issue on the course's repository

# %% [markdown] slideshow={"slide_type": "notes"}
# Thank the room. Point to the notebooks as the place where every number of the
# day can be checked and rerun, and invite corrections: a figure that cannot be
# reproduced is a bug. Collect the feedback forms if there are any, and remind
# participants that the notebooks and the library stay available after today.
