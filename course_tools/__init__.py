"""course_tools: the machinery that builds the course, apart from what it teaches.

Run from a checkout (``make`` calls these; Colab never installs this package):

* :mod:`course_tools.results` -- the essay results table (``make results``)
* :mod:`course_tools.finetune_results` -- fine-tuning rows and the dev ensemble comparison
* :mod:`course_tools.llm_results` -- LLM rows and the prompt-injection robustness report
* :mod:`course_tools.short_answer_results` -- the short-answer results table
* :mod:`course_tools.run_course` -- run every notebook headless (``make course``)
* :mod:`course_tools.readme` -- the README's notebook table
* :mod:`course_tools.exercises` -- learner copies with solutions removed (``make exercises``)
* :mod:`course_tools.slides` -- the reveal.js decks and their PDFs (``make slides``)
* :mod:`course_tools.slide_content` -- what the decks show: results, the guide's tables
* :mod:`course_tools.colab_env` -- the Colab-pinned venv and its no-package-moved check (``make test-colab``)
* :mod:`course_tools.colab_links` -- the repository's address in one place (``make colab-links``)

The teaching library, :mod:`course_utils`, never imports this package.
"""
