# Training Deep Neural Networks: every command a student, an instructor or CI needs.
# `make lectures` is the main job, `make test` the whole test suite (CI runs exactly that).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# TensorFlow's C++ log lines land in notebook outputs as stderr; keep them out.
export TF_CPP_MIN_LOG_LEVEL := 2

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

# ---------------------------------------------------------------- main job
lectures: $(STAMP)
	@mkdir -p build/lectures
	$(BIN)/jupyter nbconvert --to html --execute --ExecutePreprocessor.timeout=900 \
		--output-dir build/lectures lectures/*.ipynb
	@echo "Executed lectures rendered to build/lectures/"

# ---------------------------------------------------------------- tests
# Fast mode and the packaged digits data: CI stays quick and never waits on the network.
test: $(STAMP) browser-deps sandbox-deps postgres-deps
	COURSE_FAST=1 COURSE_DATASET=digits $(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax --durations=15

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

# Autograding runs every student kernel in bubblewrap (grading/sandbox.py); without it grading
# refuses to run student code.
.PHONY: sandbox-deps postgres-deps
sandbox-deps:
	@if command -v bwrap >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing bubblewrap for the grading sandbox"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q bubblewrap; \
	else \
		echo "Grading needs bubblewrap: sudo apt-get install -y bubblewrap"; \
	fi

# The Dask + PostgreSQL grading test starts its own server with Debian's PostgreSQL binaries.
postgres-deps:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing PostgreSQL for the grading-at-scale test"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; \
	else \
		echo "The grading-at-scale test needs PostgreSQL: sudo apt-get install -y postgresql"; \
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
.PHONY: help-instructors release autograde restore feedback export student-bundle bench-autograde

help-instructors:
	@echo "make release         regenerate assignments/ from solutions/ (nbgrader generate_assignment)"
	@echo "make autograde       grade every new submission in submitted/, sandboxed, JOBS at a time"
	@echo "                     (FORCE=1 regrades; ASSIGNMENT=, STUDENT= narrow it; SCHEDULER=tcp://..."
	@echo "                     grades on a Dask cluster; DB=postgresql://... another gradebook)"
	@echo "make restore         put back the newest gradebook backup (BACKUP=name for another)"
	@echo "make feedback        feedback/<student>/<assignment>/*.html for every graded submission"
	@echo "make export          all scores to build/grades.csv"
	@echo "make student-bundle  build/student-bundle/ and .zip: the course without solutions/"

release: $(STAMP)
	$(NBGRADER) generate_assignment "*" --force $(if $(DB),--db $(DB))

# The gradebook (git-ignored) is made by the release; a fresh checkout gets it on first use.
gradebook.db:
	$(MAKE) release

# grading/autograde.py: a gradebook backup, then one sandboxed nbgrader job per submission.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
autograde: $(STAMP) gradebook.db sandbox-deps
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m grading.autograde --jobs $(JOBS) \
		$(if $(FORCE),--force) $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) \
		$(if $(STUDENT),--student $(STUDENT)) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) \
		$(if $(DB),--db $(DB))

restore: $(STAMP)
	$(BIN)/python -m grading.backup restore $(BACKUP) $(if $(DB),--db $(DB))

feedback: $(STAMP)
	$(NBGRADER) generate_feedback "*" --force

export: $(STAMP)
	@mkdir -p build
	$(NBGRADER) export --to build/grades.csv

student-bundle: $(STAMP)
	$(BIN)/python -m grading.bundle

bench-autograde: $(STAMP)
	$(BIN)/python benchmarks/autograde.py

# Submissions per hour with 1 and 2 workers on 40 submissions, and one submission's cost.
.PHONY: bench-autograde-parallel
bench-autograde-parallel: $(STAMP) sandbox-deps
	COURSE_FAST=1 PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/autograde_parallel.py

# ---------------------------------------------------------------- students
# jupyter_server_config.py: the course root, localhost only, allow_root only when run as root.
lab: $(STAMP)
	$(BIN)/jupyter lab --config=jupyter_server_config.py

clean:
	rm -rf build .pytest_cache
