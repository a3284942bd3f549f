# Training Deep Neural Networks: every command a student, an instructor or CI needs.
# `make lectures` is the main job, `make test` the whole test suite (CI runs exactly that).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# TensorFlow's C++ log lines land in notebook outputs as stderr; keep them out. The oneDNN notice
# comes through absl before TF_CPP_MIN_LOG_LEVEL applies: only TF_ENABLE_ONEDNN_OPTS=0 removes it.
export TF_CPP_MIN_LOG_LEVEL := 2
export TF_ENABLE_ONEDNN_OPTS := 0

.PHONY: help setup lectures test lint format lab clean bench-lectures

help:
	@echo "make lectures  set up .venv if needed, execute every lecture (full mode), render HTML to build/lectures"
	@echo "make test      set up .venv if needed, run the whole test suite (fast mode)"
	@echo "make lab       open JupyterLab on the course"
	@echo "make lint      ruff check and format check over helpers/, tests/ and the notebooks"

# ---------------------------------------------------------------- environment
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

setup: $(STAMP)

# ---------------------------------------------------------------- main job: the lectures
# Rendered copies load MathJax (and require.js) from build/web, installed from npm, instead of a
# CDN: formulas render without a network. tools/render_lectures.py points the pages at them.
MATHJAX := build/web/node_modules/mathjax/MathJax.js
.PHONY: mathjax
mathjax: $(MATHJAX)
$(MATHJAX):
	npm install --no-audit --no-fund --silent --prefix build/web mathjax@2.7.9 requirejs@2.3.7

lectures: $(STAMP) $(MATHJAX)
	$(BIN)/python tools/render_lectures.py --output-dir build/lectures
	@echo "Executed lectures rendered to build/lectures/"

# ---------------------------------------------------------------- tests
# Fast mode and the packaged digits data: CI stays quick and never waits on the network.
test: $(STAMP) browser-deps $(MATHJAX)
	COURSE_FAST=1 COURSE_DATASET=digits $(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax

# tests/test_browser_ui.py drives Debian's chromium (Playwright never downloads a browser).
.PHONY: browser-deps
browser-deps:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing chromium for the browser test"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else \
		echo "The browser test needs Chromium: sudo apt-get update && sudo apt-get install -y chromium"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# ---------------------------------------------------------------- benchmarks
# Seconds and peak memory per lecture: make bench-lectures MODE=full DATASET=digits_tiled
MODE ?= fast
DATASET ?=
bench-lectures: $(STAMP)
	$(BIN)/python benchmarks/lectures.py --mode $(MODE) $(if $(DATASET),--dataset $(DATASET))

# ---------------------------------------------------------------- instructors
# nbgrader with nbgrader_config.py (README, "Instructors"): solutions/ -> assignments/, and
# submitted/<student>/<assignment>/ -> autograded/ -> feedback/ and build/grades.csv.
# nbgrader runs `alembic` by name, hence the environment's bin/ on PATH.
NBGRADER := PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/nbgrader
.PHONY: help-instructors release autograde feedback export student-bundle bench-autograde

help-instructors:
	@echo "make release         regenerate assignments/ from solutions/ (nbgrader generate_assignment)"
	@echo "make autograde       grade every new submission in submitted/ (FORCE=1: regrade all)"
	@echo "make feedback        feedback/<student>/<assignment>/*.html for every graded submission"
	@echo "make export          all scores to build/grades.csv"
	@echo "make student-bundle  build/student-bundle/ and .zip: the course without solutions/"

release: $(STAMP)
	$(NBGRADER) generate_assignment "*" --force

# The gradebook (git-ignored) is made by the release; a fresh checkout gets it on first use.
gradebook.db:
	$(MAKE) release

autograde: $(STAMP) gradebook.db
	@test -n "$(wildcard submitted/*/*/*.ipynb)" || \
		{ echo "Nothing to grade: put notebooks in submitted/<student>/<assignment>/"; exit 1; }
	$(NBGRADER) autograde "*" $(if $(FORCE),--force)

feedback: $(STAMP)
	$(NBGRADER) generate_feedback "*" --force

export: $(STAMP)
	@mkdir -p build
	$(NBGRADER) export --to build/grades.csv

student-bundle: $(STAMP)
	$(BIN)/python -m grading.bundle

bench-autograde: $(STAMP)
	$(BIN)/python benchmarks/autograde.py

# ---------------------------------------------------------------- students
# jupyter_server_config.py: the course root, localhost only, allow_root only when run as root.
lab: $(STAMP)
	$(BIN)/jupyter lab --config=jupyter_server_config.py

clean:
	rm -rf build .pytest_cache
