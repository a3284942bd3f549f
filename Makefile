# Training Deep Neural Networks: every command a student, an instructor or CI needs.
# `make lectures` is the main job, `make test` the whole test suite (CI runs exactly that).
# `make help` lists every target: the `## ` comment on a target's line is its help text, and a
# `##@ ` line starts a section of the list.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# How many lectures (make lectures) or submissions (make autograde) run at a time: one per core.
JOBS   ?= $(shell nproc 2>/dev/null || echo 1)
# nbgrader runs `alembic` by name and the grading tools start `nbgrader` by name: the venv's bin/
# goes first on their PATH.
ON_VENV_PATH := PATH="$(abspath $(BIN)):$$PATH"
NBGRADER     := $(ON_VENV_PATH) $(BIN)/nbgrader

# Everything: what students use, the tests, grading at scale and the developers' tools
# (pyproject.toml's dependencies and extras; the student bundle installs the first two only).
EXTRAS := test,grading,dev
# What the environment needs beyond its packages (tools/setup_environment.py): TensorFlow starts
# without its log lines in every Python of the venv, kernels without the TCP warning, and
# `nbgrader validate` prints whole lines.
ENVIRONMENT_FILES := tools/setup_environment.py $(wildcard tools/environment/*)

.PHONY: help help-instructors help-classroom setup lectures test check lab validate lint format clean mathjax

##@ Everyone
help: ## this list (help-instructors and help-classroom show one section)
help-instructors: ## the Instructors section of this list
help-classroom: ## the Classroom section of this list
help-instructors: HELP_SECTION := Instructors
help-classroom: HELP_SECTION := Classroom
help help-instructors help-classroom:
	@awk -v only='$(HELP_SECTION)' -F ':.*## ' \
		'BEGIN { if (only == "") print "Usage: make TARGET [NAME=value ...]" } \
		/^##@ / { section = substr($$0, 5); if (only == "" || section == only) print "\n" section; next } \
		/^[a-zA-Z0-9_.-]+:.*## / && (only == "" || section == only) { printf "  %-25s %s\n", $$1, $$2 }' \
		$(firstword $(MAKEFILE_LIST))

$(STAMP): pyproject.toml $(ENVIRONMENT_FILES)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	$(BIN)/python tools/setup_environment.py
	@touch $@

setup: $(STAMP) ## create the venv (VENV, default .venv): the course with its extras test, grading and dev

# Rendered copies load MathJax (and require.js) from build/web, installed from npm, instead of a
# CDN: formulas render without a network. tools/render_lectures.py points the pages at them.
MATHJAX := build/web/node_modules/mathjax/MathJax.js
mathjax: $(MATHJAX) ## MathJax and require.js from npm into build/web, for offline rendered lectures
$(MATHJAX):
	npm install --no-audit --no-fund --silent --prefix build/web mathjax@2.7.9 requirejs@2.3.7

# JOBS lectures at a time (default: one per core); JOBS=1 runs them one after another.
lectures: $(STAMP) $(MATHJAX) ## execute every lecture (full mode) and render HTML to build/lectures (JOBS)
	$(BIN)/python tools/render_lectures.py --output-dir build/lectures --jobs $(JOBS)
	@echo "Executed lectures rendered to build/lectures/"

# Fast mode and the packaged digits data: CI stays quick and never waits on the network.
# TEST_WORKERS pytest workers, one more than the cores: much of the suite waits (servers
# starting, kernels, cell time limits), and a third worker fills those waits (13:28 -> 12:22 on
# 2 cores). Whole modules go to a worker: a module's fixtures are built once.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
test: $(STAMP) browser-deps sandbox-deps postgres-deps $(MATHJAX) ## the whole test suite, fast mode (CI; TEST_WORKERS)
	COURSE_FAST=1 COURSE_DATASET=digits $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --nbval-lax --durations=15

# jupyter_server_config.py: the course root, localhost only, allow_root only when run as root.
lab: $(STAMP) ## JupyterLab on the course
	$(BIN)/jupyter lab --config=jupyter_server_config.py

# The students' `make check` in their bundle (grading/classroom/student/Makefile).
validate: $(STAMP) ## validate one assignment as the Validate button does (ASSIGNMENT=a3_optimizers or a3)
	$(BIN)/python tools/validate_assignment.py "$(ASSIGNMENT)"

# The developers' quick loop: what a change most often breaks, in under a minute. The unit tests
# only: the end-to-end tests (marked slow: notebooks executed, servers started) stay in make test.
check: $(STAMP) ## developers' quick loop: ruff, then the unit tests of helpers and grading (< 1 min)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	COURSE_FAST=1 COURSE_DATASET=digits $(BIN)/python -m pytest -q -n 2 -m "not slow" -p no:nbval \
		tests/helpers tests/grading tests/assignments/test_messages.py tests/test_docs.py tests/test_repository.py

lint: $(STAMP) ## ruff check and format check over the repository, notebooks included
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## ruff: fix what it can and format the repository
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## remove build/ and pytest's cache
	rm -rf build .pytest_cache

##@ Debian packages (installed when run as root, else the command to run is printed)
.PHONY: browser-deps sandbox-deps postgres-deps

# $(call debian_package,PACKAGE,COMMAND THAT SUCCEEDS WHEN IT IS INSTALLED,WHO NEEDS IT)
define debian_package
@if $(2) >/dev/null 2>&1; then :; \
elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	echo "Installing $(1) for $(3)"; \
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(1); \
else \
	echo "Missing $(1) for $(3): sudo apt-get update && sudo apt-get install -y $(1)"; \
fi
endef

browser-deps: ## Chromium, driven by the browser test (Playwright never downloads a browser)
	$(call debian_package,chromium,command -v chromium,the browser test)

# Without bubblewrap, grading refuses to run student code.
sandbox-deps: ## bubblewrap, the sandbox every student kernel runs in when autograding
	$(call debian_package,bubblewrap,command -v bwrap,the grading sandbox)

postgres-deps: ## PostgreSQL, whose server the Dask + PostgreSQL grading test starts
	$(call debian_package,postgresql,ls /usr/lib/postgresql/*/bin/initdb,the grading-at-scale test)

##@ Benchmarks
.PHONY: bench-lectures bench-autograde bench-autograde-parallel
MODE ?= fast
DATASET ?=
bench-lectures: $(STAMP) ## seconds and peak memory per lecture (MODE=fast|full, DATASET=name)
	$(BIN)/python benchmarks/lectures.py --mode $(MODE) $(if $(DATASET),--dataset $(DATASET))

bench-autograde: $(STAMP) ## seconds to autograde each solution (budget: 60 s each)
	$(BIN)/python benchmarks/autograde.py

bench-autograde-parallel: $(STAMP) sandbox-deps ## submissions per hour with 1 and 2 workers (40 submissions)
	COURSE_FAST=1 $(ON_VENV_PATH) $(BIN)/python benchmarks/autograde_parallel.py

##@ Instructors
# nbgrader with nbgrader_config.py (docs/instructors.md): solutions/ -> assignments/, and
# submitted/<student>/<assignment>/ -> autograded/ -> feedback/ and build/grades.csv.
.PHONY: release autograde restore feedback export student-bundle

release: $(STAMP) ## regenerate assignments/ from solutions/ (ASSIGNMENT= for one; DB=)
	$(BIN)/python -m grading.classroom.names --kind source --assignment "$(ASSIGNMENT)"
	$(NBGRADER) generate_assignment "$(or $(ASSIGNMENT),*)" --force $(if $(DB),--db $(DB))

# The gradebook (git-ignored) is made by the release; a fresh checkout gets it on first use.
gradebook.db: ## the SQLite gradebook, made by make release when missing
	$(MAKE) release

# A gradebook backup, then one sandboxed nbgrader job per submission.
autograde: $(STAMP) gradebook.db sandbox-deps ## grade new submissions, sandboxed, JOBS at a time (FORCE ASSIGNMENT STUDENT SCHEDULER DB)
	$(ON_VENV_PATH) $(BIN)/python -m grading.engine.autograde --jobs $(JOBS) \
		$(if $(FORCE),--force) $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) \
		$(if $(STUDENT),--student $(STUDENT)) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) \
		$(if $(DB),--db $(DB))

restore: $(STAMP) ## put back the newest gradebook backup (BACKUP=name for another; DB=)
	$(BIN)/python -m grading.engine.backup restore $(BACKUP) $(if $(DB),--db $(DB))

feedback: $(STAMP) ## feedback/<student>/<assignment>/*.html for every graded submission
	$(NBGRADER) generate_feedback "*" --force

export: $(STAMP) ## grade files in build/ for Canvas, Moodle and you (ASSIGNMENT=a,b PARTIAL=1)
	$(ON_VENV_PATH) $(BIN)/python -m grading.classroom.export grades \
		$(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)") $(if $(PARTIAL),--partial)

student-bundle: $(STAMP) ## build/student-bundle/ and its .zip: what students use, with their own Makefile and README
	$(BIN)/python -m grading.classroom.bundle

##@ Classroom
# The LMS round trip and the grading report; classroom.toml holds due dates, weights, late policy.
.PHONY: roster due-dates collect-zip feedback-zip report hub hub-deps

roster: $(STAMP) gradebook.db ## import ROSTER=students.csv (id,first_name,last_name,email,lms_user_id)
	@test -n "$(ROSTER)" || { echo "Usage: make roster ROSTER=students.csv"; exit 2; }
	$(ON_VENV_PATH) $(BIN)/python -m grading.classroom.settings roster "$(ROSTER)"

due-dates: $(STAMP) gradebook.db ## write classroom.toml's due dates into the gradebook
	$(BIN)/python -m grading.classroom.settings due-dates

collect-zip: $(STAMP) gradebook.db ## an LMS's download into submitted/ (ZIP=f.zip ASSIGNMENT=a1_... [LMS=canvas|moodle])
	@test -n "$(ZIP)" -a -n "$(ASSIGNMENT)" || \
		{ echo "Usage: make collect-zip ZIP=submissions.zip ASSIGNMENT=a1_unstable_gradients [LMS=canvas|moodle]"; exit 2; }
	$(ON_VENV_PATH) $(BIN)/python -m grading.classroom.lms "$(ZIP)" \
		--assignment "$(ASSIGNMENT)" $(if $(LMS),--lms $(LMS))

feedback-zip: $(STAMP) ## build/feedback/<assignment>.zip to upload to the LMS (ASSIGNMENT= for one)
	$(BIN)/python -m grading.classroom.export feedback-zip $(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)")

report: $(STAMP) gradebook.db ## build/report.html: how the class did
	$(BIN)/python -m grading.classroom.report --out build/report.html

# The course's JupyterHub (hub/). Every user's server runs from build/hub-venv, an environment
# built from a Python all users can run (the course's venv may live under root's home), with
# the course package, JupyterHub and PAM bindings from PyPI; its proxy comes from npm into
# build/hub-node. `make hub` sets up unix users, the exchange and the instructor's copy first.
HUB_PYTHON ?= /usr/bin/python3
HUB_VENV   := build/hub-venv
HUB_PROXY  := build/hub-node/node_modules/.bin/configurable-http-proxy
hub-deps: $(HUB_VENV)/.installed-stamp $(HUB_PROXY) ## JupyterHub (PyPI) and its proxy (npm) into build/

$(HUB_VENV)/.installed-stamp: pyproject.toml $(ENVIRONMENT_FILES)
	@test -x $(HUB_VENV)/bin/python || $(HUB_PYTHON) -m venv $(HUB_VENV)
	$(HUB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(HUB_VENV)/bin/python -m pip install --quiet -e . 'jupyterhub>=5.3,<6' 'pamela>=1.2'
	$(HUB_VENV)/bin/python tools/setup_environment.py
	@touch $@

$(HUB_PROXY):
	npm install --prefix build/hub-node --no-audit --no-fund 'configurable-http-proxy@^4.6'

hub: hub-deps ## the course's JupyterHub on 127.0.0.1:8000, with users and exchange (as root)
	$(HUB_VENV)/bin/python hub/setup_course.py
	@echo "JupyterHub on http://127.0.0.1:$${COURSE_HUB_PORT:-8000} (Ctrl-C stops it)"
	$(HUB_VENV)/bin/jupyterhub -f hub/jupyterhub_config.py
