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
test: $(STAMP) browser-deps sandbox-deps postgres-deps $(MATHJAX)
	COURSE_FAST=1 COURSE_DATASET=digits $(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax --durations=15

# tests/lab/test_browser_ui.py drives Debian's chromium (Playwright never downloads a browser).
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
	$(BIN)/python -m grading.classroom.names --kind source --assignment "$(ASSIGNMENT)"
	$(NBGRADER) generate_assignment "$(or $(ASSIGNMENT),*)" --force $(if $(DB),--db $(DB))

# The gradebook (git-ignored) is made by the release; a fresh checkout gets it on first use.
gradebook.db:
	$(MAKE) release

# grading/autograde.py: a gradebook backup, then one sandboxed nbgrader job per submission.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
autograde: $(STAMP) gradebook.db sandbox-deps
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m grading.engine.autograde --jobs $(JOBS) \
		$(if $(FORCE),--force) $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) \
		$(if $(STUDENT),--student $(STUDENT)) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) \
		$(if $(DB),--db $(DB))

restore: $(STAMP)
	$(BIN)/python -m grading.engine.backup restore $(BACKUP) $(if $(DB),--db $(DB))

feedback: $(STAMP)
	$(NBGRADER) generate_feedback "*" --force

export: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m grading.classroom.export grades \
		$(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)") $(if $(PARTIAL),--partial)

student-bundle: $(STAMP)
	$(BIN)/python -m grading.classroom.bundle

bench-autograde: $(STAMP)
	$(BIN)/python benchmarks/autograde.py

# Submissions per hour with 1 and 2 workers on 40 submissions, and one submission's cost.
.PHONY: bench-autograde-parallel
bench-autograde-parallel: $(STAMP) sandbox-deps
	COURSE_FAST=1 PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/autograde_parallel.py

# ---------------------------------------------------------------- classroom (issue 11)
# The LMS round trip and the grading report; classroom.toml holds due dates, weights, late policy.
.PHONY: help-classroom due-dates roster collect-zip feedback-zip report
help-classroom:
	@echo "make roster ROSTER=students.csv      import the roster (id,first_name,last_name,email,lms_user_id)"
	@echo "make due-dates                       write classroom.toml's due dates into the gradebook"
	@echo "make collect-zip ZIP=f.zip ASSIGNMENT=a1_unstable_gradients [LMS=canvas|moodle]"
	@echo "                                     an LMS download -> submitted/<student>/<assignment>/"
	@echo "make export                          build/grades.csv (nbgrader) and build/grades-lms.csv (Canvas layout)"
	@echo "make feedback-zip                    build/feedback/<assignment>.zip to upload to the LMS"
	@echo "make report                          build/report.html: how the class did"
	@echo "make hub                             the course's JupyterHub on 127.0.0.1:8000 (root)"

due-dates: $(STAMP) gradebook.db
	$(BIN)/python -m grading.classroom.settings due-dates

roster: $(STAMP) gradebook.db
	@test -n "$(ROSTER)" || { echo "Usage: make roster ROSTER=students.csv"; exit 2; }
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m grading.classroom.settings roster "$(ROSTER)"

collect-zip: $(STAMP) gradebook.db
	@test -n "$(ZIP)" -a -n "$(ASSIGNMENT)" || \
		{ echo "Usage: make collect-zip ZIP=submissions.zip ASSIGNMENT=a1_unstable_gradients [LMS=canvas|moodle]"; exit 2; }
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m grading.classroom.lms "$(ZIP)" \
		--assignment "$(ASSIGNMENT)" $(if $(LMS),--lms $(LMS))

feedback-zip: $(STAMP)
	$(BIN)/python -m grading.classroom.export feedback-zip $(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)")

report: $(STAMP) gradebook.db
	$(BIN)/python -m grading.classroom.report --out build/report.html

# The course's JupyterHub (hub/). Every user's server runs from build/hub-venv, an environment
# built from a Python all users can run (this machine's .venv may live under root's home), with
# the course package, JupyterHub and PAM bindings from PyPI; its proxy comes from npm into
# build/hub-node. `make hub` sets up unix users, the exchange and the instructor's copy first.
HUB_PYTHON ?= /usr/bin/python3
HUB_VENV   := build/hub-venv
HUB_PROXY  := build/hub-node/node_modules/.bin/configurable-http-proxy
.PHONY: hub hub-deps
hub-deps: $(HUB_VENV)/.installed-stamp $(HUB_PROXY)

$(HUB_VENV)/.installed-stamp: pyproject.toml
	@test -x $(HUB_VENV)/bin/python || $(HUB_PYTHON) -m venv $(HUB_VENV)
	$(HUB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(HUB_VENV)/bin/python -m pip install --quiet -e . 'jupyterhub>=5.3,<6' 'pamela>=1.2'
	@touch $@

$(HUB_PROXY):
	npm install --prefix build/hub-node --no-audit --no-fund 'configurable-http-proxy@^4.6'

hub: hub-deps
	$(HUB_VENV)/bin/python hub/setup_course.py
	@echo "JupyterHub on http://127.0.0.1:$${COURSE_HUB_PORT:-8000} (Ctrl-C stops it)"
	$(HUB_VENV)/bin/jupyterhub -f hub/jupyterhub_config.py

# ---------------------------------------------------------------- students
# jupyter_server_config.py: the course root, localhost only, allow_root only when run as root.
lab: $(STAMP)
	$(BIN)/jupyter lab --config=jupyter_server_config.py

clean:
	rm -rf build .pytest_cache
