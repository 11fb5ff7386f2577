"""course_utils: the small helper library of the course "AI Scoring in Python".

Each notebook writes its key idea in the open, then uses the version kept here. The
modules, in the order the notebooks teach them:

* :mod:`course_utils.config` -- profiles (full / fast / smoke), device, seeds (notebook 00)
* :mod:`course_utils.hub` -- Hugging Face model ids and their offline stand-ins (00)
* :mod:`course_utils.environment` -- offline mode and the cache folder, read by both (00)
* :mod:`course_utils.preflight` -- an instructor's pre-flight in Colab: GPU, Hub, keys, timed passes (00)
* :mod:`course_utils.data` -- ASAP essays, the reference split, the fruit data (02-03)
* :mod:`course_utils.metrics` -- QWK, exact agreement, SMD, Williamson's checks (03)
* :mod:`course_utils.checks` -- clear errors for bad input: texts, score ranges (used throughout)
* :mod:`course_utils.plots` -- the figures notebooks and slides share (02-03, 05, 10-11, 13)
* :mod:`course_utils.baselines` -- the length line, a constant score, the leaderboard (03-16)
* :mod:`course_utils.features` -- textstat readability features, offline (06)
* :mod:`course_utils.embeddings` -- cached sentence embeddings (07)
* :mod:`course_utils.scorer_base` -- what every scorer shares: checks, transformers (04-09)
* :mod:`course_utils.scorers` -- essay scorers as scikit-learn estimators (04-09)
* :mod:`course_utils.regression_scorers` -- regression, then cutoffs; ensembles of them (09)
* :mod:`course_utils.cutoffs` -- mu / mu_inv and optimised cutoffs (09, 13)
* :mod:`course_utils.ensembles` -- ensembles chosen on the dev set (09, 13)
* :mod:`course_utils.tokenization` -- how transformers read essays (10)
* :mod:`course_utils.essay_dataset` -- essays as a PyTorch dataset, length-grouped batches (11-13)
* :mod:`course_utils.training` -- the loss, one training step, mixed precision (11-13)
* :mod:`course_utils.finetune` -- fine-tuning an encoder with a manual loop (11, 13)
* :mod:`course_utils.trainer` -- the same with the Hugging Face Trainer (12-13)
* :mod:`course_utils.llm` -- hosted and local chat models, API keys (14-15)
* :mod:`course_utils.replies` -- reading a score from a generated reply (14-15)
* :mod:`course_utils.prompts` -- rubric, few-shot and chain-of-thought prompts (15)
* :mod:`course_utils.answer_likelihood` -- scores from answer probabilities, not text (15-16)
* :mod:`course_utils.lora` -- LoRA generative scoring, "**Score**: n" (16)
* :mod:`course_utils.short_answer` -- cross-encoder, few-shot grader, relevance guard,
  meta-learning (17-19)

The course's own machinery (results tables, slides, the notebook runner) is the separate
package ``course_tools`` in the repository; it is not installed and nothing here imports it.
Heavy libraries (torch, transformers) are imported inside functions, so importing this
package is fast.
"""

__version__ = "0.1.0"
