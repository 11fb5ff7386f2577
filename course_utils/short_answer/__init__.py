"""Short-answer grading: a millisecond few-shot grader behind a layered guard.

Taught in notebooks 17-19. One module per idea:

* :mod:`~course_utils.short_answer.beetle` -- Beetle's labels as grades, the teacher's
  graded answers drawn from them;
* :mod:`~course_utils.short_answer.newton` -- multinomial logistic regression by
  Newton's method (notebook 18);
* :mod:`~course_utils.short_answer.grader` -- :class:`FewShotGrader`, one logistic
  regression per question on sentence embeddings, guarded by default;
* :mod:`~course_utils.short_answer.guard` -- the layered :class:`Guard` that composes
  the layers below, cheapest first:

  1. :mod:`~course_utils.short_answer.rules` -- text rules (structure, non-answers,
     instructions to the grader);
  2. :mod:`~course_utils.short_answer.relevance` -- the relevance model: is this answer
     an attempt at this question? (its inputs in :mod:`~course_utils.short_answer.features`,
     its generated negatives in :mod:`~course_utils.short_answer.junk`);
  3. and 4. :mod:`~course_utils.short_answer.nonsense` -- on-topic nonsense, and answers
     unlike every credited one (off by default);
  5. :mod:`~course_utils.short_answer.surprise` -- a word a language model did not
     expect (opt-in);
  6. :mod:`~course_utils.short_answer.judge` -- a chat model's verdict (opt-in);
* :mod:`~course_utils.short_answer.referral` -- "needs a teacher": the answers the grader
  cannot vouch for (:meth:`FewShotGrader.predict_outcome`);

* :mod:`~course_utils.short_answer.evaluation` -- the grader on Beetle: scores, latency;
* :mod:`~course_utils.short_answer.guard_eval` -- the guard on junk it never trained
  on (the hand-written sets in ``eval_sets/``, generated junk for Beetle's questions);
* :mod:`~course_utils.short_answer.implicit` -- the hypergradient through the Newton
  solution, meta-learning the L2 strength (notebook 19);
* :mod:`~course_utils.short_answer.cross_encoder` -- the cross-encoder (notebook 17).

**Beetle grades.** Beetle's 3-way labels are mapped to the integer grades
:data:`BEETLE_GRADES`: ``incorrect = 0``, ``contradictory = 1``, ``correct = 2``. Grade
0 is the grade for "no credit / not an answer": Beetle itself files irrelevant and
non-domain answers under ``incorrect``, so the guard's 0 is Beetle's label for a
non-answer. 1 and 2 are class codes, not a credit scale.

What the notebooks and slides use is re-exported here (``from course_utils import
short_answer as sa; sa.FewShotGrader``); everything else is imported from its module
(``from course_utils.short_answer.rules import is_real_word``).
"""

from course_utils.short_answer.beetle import (
    BEETLE_GRADES,
    grades_of,
    question_dev_split,
    sample_support,
)
from course_utils.short_answer.cross_encoder import (
    CE_LABELS,
    epoch_history,
    predict_cross_encoder,
    train_cross_encoder,
)
from course_utils.short_answer.evaluation import (
    classification_scores,
    few_shot_predictions,
    latency_runs,
)
from course_utils.short_answer.grader import FewShotGrader, char_ngram_vectorizer, view_texts
from course_utils.short_answer.guard import Guard
from course_utils.short_answer.guard_eval import (
    evaluate_guard,
    evaluate_subjects,
    load_eval_sets,
)
from course_utils.short_answer.implicit import hypergradient, meta_learn_l2, meta_tasks
from course_utils.short_answer.judge import ChatJudge
from course_utils.short_answer.newton import newton_logreg, softmax_proba
from course_utils.short_answer.nonsense import (
    EVERYDAY_TOPICS,
    content_words,
    nonsense_margin,
)
from course_utils.short_answer.referral import Referral
from course_utils.short_answer.relevance import RelevanceModel, train_relevance
from course_utils.short_answer.rules import (
    injection_reason,
    non_answer_reason,
    structural_reason,
)
from course_utils.short_answer.surprise import SurpriseCheck

__all__ = [
    "BEETLE_GRADES",
    "CE_LABELS",
    "ChatJudge",
    "EVERYDAY_TOPICS",
    "FewShotGrader",
    "Guard",
    "Referral",
    "RelevanceModel",
    "SurpriseCheck",
    "char_ngram_vectorizer",
    "classification_scores",
    "content_words",
    "epoch_history",
    "evaluate_guard",
    "evaluate_subjects",
    "few_shot_predictions",
    "grades_of",
    "hypergradient",
    "injection_reason",
    "latency_runs",
    "load_eval_sets",
    "meta_learn_l2",
    "meta_tasks",
    "newton_logreg",
    "non_answer_reason",
    "nonsense_margin",
    "predict_cross_encoder",
    "question_dev_split",
    "sample_support",
    "softmax_proba",
    "structural_reason",
    "train_cross_encoder",
    "train_relevance",
    "view_texts",
]
