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
# # AI Scoring in Python · 6. Short answers
#
# Notebooks 17-19: the Beetle corpus (SemEval-2013 Task 7)
#
# * a student answer, a reference answer, a label
# * a fine-tuned cross-encoder (17)
# * the millisecond few-shot grader (18) and meta-learning (19)

# %% tags=["remove-cell"]
import matplotlib.pyplot as plt

from course_utils.data import DataNotFoundError, load_short_answers
from course_tools.slides import show_notebooks, show_results

plt.rcParams.update({"figure.figsize": (9, 4.5), "font.size": 12})
try:
    beetle = load_short_answers("beetle")
except DataNotFoundError as exc:
    beetle = None
    why = str(exc)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One question, many answers

# %% tags=["hide-input"]
if beetle is None:
    print(f"Data not available here: {why}")
else:
    print(f"{len(beetle)} answers to {beetle.question_id.nunique()} questions")
    row = beetle.iloc[0]
    for key in ("question", "reference_answer", "student_answer"):
        if key in beetle.columns:
            print(f"{key}: {row[key]}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Labels by split

# %% tags=["hide-input"]
if beetle is not None:
    label = "label_3way"
    counts = beetle.groupby(["split", label]).size().unstack(fill_value=0)
    counts.plot.barh(stacked=True, figsize=(8, 3.5))
    plt.xlabel("answers")
    plt.ylabel("")
    plt.tight_layout()
    plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Two ways to grade
#
# * **cross-encoder**: read reference and student answer together, classify
#   (`[CLS] reference [SEP] answer [SEP]`)
# * **few-shot grader** (`course_utils.short_answer.FewShotGrader`): embed the answers;
#   per question, a logistic regression fitted by Newton's method on a handful of
#   graded answers, guarded by a relevance model $r$ (is this an answer at all?):
#
# $$P(\text{grade}) = r \, P_{\text{LR}}(\text{grade}) + (1 - r)\,[\text{grade} = 0]$$
#
# * meta-learning (19): tune the regularisation through Newton's method by implicit
#   differentiation

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Results: Beetle, 3-way labels

# %% tags=["hide-input"]
show_results("short_answer", where={"table": "scores"},
             columns={"system": "system", "split": "test split", "accuracy": "accuracy",
                      "macro_f1": "macro-F1", "n": "answers"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## The relevance guard: answers that are not answers

# %% tags=["hide-input"]
show_results("short_answer", where={"table": "adversarial"},
             columns={"category": "adversarial input", "inputs": "inputs",
                      "graded_0": "graded 0", "flagged_by_guard": "flagged by the guard"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## How fast is the few-shot grader?

# %% tags=["hide-input"]
show_results("short_answer", where={"table": "latency"}, digits=1,
             columns={"operation": "operation", "p50_ms": "median (ms)",
                      "p95_ms": "95th percentile (ms)", "runs": "runs"})

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Your turn
#
# Notebooks `17`-`19` end with exercises; each solution is hidden under
# **Solution (double-click to reveal)**.

# %% tags=["hide-input"]
show_notebooks([17, 18, 19])
