"""Short-answer grading: a millisecond few-shot grader behind a layered guard.

Taught in notebooks 17-19. One module per idea:

* :mod:`~course_utils.short_answer.newton` -- multinomial logistic regression by
  Newton's method (notebook 18);
* :mod:`~course_utils.short_answer.implicit` -- the hypergradient through the Newton
  solution, meta-learning the L2 strength (notebook 19);
* :mod:`~course_utils.short_answer.junk` -- generated junk, the relevance model's
  training negatives;
* :mod:`~course_utils.short_answer.features` and
  :mod:`~course_utils.short_answer.relevance` -- the relevance model: is this answer
  an attempt at this question?
* :mod:`~course_utils.short_answer.layers` and :mod:`~course_utils.short_answer.guard`
  -- the guard's text rules and the layered :class:`Guard`;
* :mod:`~course_utils.short_answer.surprise` and :mod:`~course_utils.short_answer.judge`
  -- the opt-in language-model layers (:class:`SurpriseCheck`, :class:`ChatJudge`);
* :mod:`~course_utils.short_answer.grader` -- :class:`FewShotGrader`, guarded by default;
* :mod:`~course_utils.short_answer.evaluation` and
  :mod:`~course_utils.short_answer.guard_eval` -- evaluation on Beetle and on the
  hand-written sets (notebooks 18-19);
* :mod:`~course_utils.short_answer.cross_encoder` -- the cross-encoder (notebook 17).

**Beetle grades.** Beetle's 3-way labels are mapped to the integer grades
:data:`BEETLE_GRADES`: ``incorrect = 0``, ``contradictory = 1``, ``correct = 2``. Grade
0 is the grade for "no credit / not an answer": Beetle itself files irrelevant and
non-domain answers under ``incorrect``, so the guard's 0 is Beetle's label for a
non-answer. 1 and 2 are class codes, not a credit scale. Where 5-way labels exist,
:data:`BEETLE_GRADES_5WAY` gives an ordinal 0-3 scale.

Everything public is re-exported here: ``from course_utils import short_answer as sa;
sa.FewShotGrader``.
"""

from course_utils.short_answer.cross_encoder import (
    CE_LABELS,
    cross_encoder_metrics,
    epoch_history,
    pair_dataset,
    predict_cross_encoder,
    train_cross_encoder,
)
from course_utils.short_answer.evaluation import (
    BEETLE_GRADES,
    BEETLE_GRADES_5WAY,
    BEETLE_NON_ANSWERS,
    GRADE_TO_3WAY,
    adversarial_set,
    classification_scores,
    evaluate_guard,
    few_shot_predictions,
    grades_of,
    latency_benchmark,
    meta_tasks,
    question_dev_split,
    sample_support,
    support_split,
    train_relevance,
    unseen_question_predictions,
)
from course_utils.short_answer.features import (
    COPY_FILLER,
    DEFAULT_EMBEDDING_MODEL,
    adaptive_features,
    bank_features,
    context_similarity,
    has_content,
    is_question_copy,
    question_overlap,
    relevance_features,
    surface_features,
)
from course_utils.short_answer.grader import FewShotGrader
from course_utils.short_answer.guard import (
    EVERYDAY_TOPICS,
    Guard,
    GuardContext,
    content_words,
    default_guard,
    default_relevance_model,
    nonsense_margin,
    support_floor,
)
from course_utils.short_answer.guard_eval import (
    JUNK_KINDS,
    beetle_grades_by_label,
    beetle_non_answer_split,
    evaluate_beetle_non_answers,
    evaluate_subjects,
    guard_table,
    load_eval_sets,
    support_similarity_sweep,
)
from course_utils.short_answer.implicit import Hypergradient, hypergradient, meta_learn_l2
from course_utils.short_answer.judge import JUDGE_MODELS, ChatJudge, read_verdict
from course_utils.short_answer.junk import (
    JUNK_CATEGORIES,
    OFF_DOMAIN_EXPERT,
    OTHER_LANGUAGE,
    gibberish,
    keyboard_mash,
    make_junk,
    other_question_pools,
    question_copy,
)
from course_utils.short_answer.layers import (
    english_words,
    injection_reason,
    is_real_word,
    main_script,
    non_answer_reason,
    structural_reason,
    text_reason,
    tokens,
)
from course_utils.short_answer.newton import (
    NewtonResult,
    newton_logreg,
    single_thread,
    softmax_proba,
)
from course_utils.short_answer.relevance import RelevanceModel
from course_utils.short_answer.surprise import SurpriseCheck

__all__ = [
    "BEETLE_GRADES",
    "BEETLE_GRADES_5WAY",
    "BEETLE_NON_ANSWERS",
    "CE_LABELS",
    "ChatJudge",
    "COPY_FILLER",
    "DEFAULT_EMBEDDING_MODEL",
    "EVERYDAY_TOPICS",
    "FewShotGrader",
    "GRADE_TO_3WAY",
    "Guard",
    "GuardContext",
    "Hypergradient",
    "JUDGE_MODELS",
    "JUNK_CATEGORIES",
    "JUNK_KINDS",
    "NewtonResult",
    "OFF_DOMAIN_EXPERT",
    "OTHER_LANGUAGE",
    "RelevanceModel",
    "SurpriseCheck",
    "adaptive_features",
    "adversarial_set",
    "bank_features",
    "beetle_non_answer_split",
    "classification_scores",
    "content_words",
    "context_similarity",
    "cross_encoder_metrics",
    "default_guard",
    "default_relevance_model",
    "english_words",
    "epoch_history",
    "evaluate_beetle_non_answers",
    "beetle_grades_by_label",
    "evaluate_guard",
    "evaluate_subjects",
    "few_shot_predictions",
    "gibberish",
    "grades_of",
    "guard_table",
    "has_content",
    "hypergradient",
    "injection_reason",
    "is_question_copy",
    "is_real_word",
    "keyboard_mash",
    "latency_benchmark",
    "load_eval_sets",
    "main_script",
    "make_junk",
    "meta_learn_l2",
    "meta_tasks",
    "newton_logreg",
    "non_answer_reason",
    "nonsense_margin",
    "other_question_pools",
    "pair_dataset",
    "predict_cross_encoder",
    "question_copy",
    "question_dev_split",
    "question_overlap",
    "read_verdict",
    "relevance_features",
    "sample_support",
    "single_thread",
    "softmax_proba",
    "structural_reason",
    "support_floor",
    "support_split",
    "support_similarity_sweep",
    "surface_features",
    "text_reason",
    "tokens",
    "train_cross_encoder",
    "train_relevance",
    "unseen_question_predictions",
]
