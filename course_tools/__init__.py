"""course_tools: the machinery that builds the course, apart from what it teaches.

Run from a checkout (``make`` calls these; Colab never installs this package):

* :mod:`course_tools.results` -- the essay results table (``make results``)
* :mod:`course_tools.finetune_results` -- fine-tuning rows and the dev ensemble comparison
* :mod:`course_tools.llm_results` -- LLM rows and the prompt-injection robustness report
* :mod:`course_tools.literature` -- the literature's five folds and the published figures
* :mod:`course_tools.short_answer_results` -- the short-answer measurements, into CSVs
* :mod:`course_tools.short_answer_report` -- ``results/short_answer.md``, rendered from those CSVs
* :mod:`course_tools.short_answer_referral` -- the grader's referral ("needs a teacher"), measured on held-out data after each change chosen on dev
* :mod:`course_tools.short_answer_eval` -- evaluation helpers only the results scripts use
* :mod:`course_tools.llm_plausibility` -- the opt-in language-model layers of the guard, measured
* :mod:`course_tools.guard_first_look` -- a hand-written batch's first look, replayed at any commit
* :mod:`course_tools.tables` -- the one Markdown table writer (``DataFrame.to_markdown``)
* :mod:`course_tools.run_course` -- run every notebook headless (``make course``)
* :mod:`course_tools.readme` -- the README's notebook table
* :mod:`course_tools.exercises` -- learner copies with solutions removed (``make exercises``)
* :mod:`course_tools.slides` -- the reveal.js decks and their PDFs (``make slides``)
* :mod:`course_tools.slide_content` -- what the decks show: results, the guide's tables
* :mod:`course_tools.slide_demos` -- the small live demos of decks 04-06
* :mod:`course_tools.diagrams` -- the decks' concept diagrams, drawn with matplotlib
* :mod:`course_tools.colab_env` -- the Colab-pinned venv and its no-package-moved check (``make test-colab``)
* :mod:`course_tools.colab_drift` -- Colab's newest package list against the pinned one (weekly workflow)
* :mod:`course_tools.colab_links` -- the repository's address in one place (``make colab-links``)

The teaching library, :mod:`course_utils`, never imports this package.
"""
