"""The student bundle holds what students use and speaks to them, with commands of its own.

``grading.classroom.bundle`` copies the course for students into a temporary folder (no git
there, as on a student's machine). Checked there: nothing of the instructors' or developers'
(solutions, grading tools, their guides and tests), a README that starts with setting up and
never speaks of grading, a Makefile with the students' five commands and no apt, npm or sudo in
them, an environment without the instructors' packages, the students' nbgrader configuration,
and test modules that import without the instructor's files. (``make check`` on a planted
mistake: ``tests/assignments/test_validate.py``.)
"""

import re
import subprocess
import sys
import tomllib

import pytest
import yaml

from grading.classroom.bundle import build_bundle
from tests import ROOT
from tests.test_docs import FENCED, LINK, _anchors, _help_targets, _make, _make_targets_named

pytestmark = pytest.mark.slow

STUDENT_COMMANDS = {"help", "setup", "lab", "check", "test"}
NOT_FOR_STUDENTS = (
    "solutions",
    "grading",
    "hub",
    "classroom.toml",
    "STYLE_GUIDE.md",
    ".ci",
    "docs/instructors.md",
    "docs/deployment.md",
    "docs/development.md",
    "tests/grading",
    "tests/assignments",
    "tests/support",
    "tests/lab",
    "tests/hub",
    "tests/lectures",
    "tests/test_repository.py",
    "tests/test_docs.py",
    "lectures/conftest.py",
    "tools/render_lectures.py",
    "benchmarks/autograde.py",
)
# Words of the instructors' and developers' pages, as regular expressions.
INSTRUCTOR_WORDS = (
    r"Instructors",
    r"make release",
    r"make autograde",
    r"formgrader",
    r"solutions/",
    r"\bCI\b",
    r"make lectures",
)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build_bundle(tmp_path_factory.mktemp("fresh") / "student-bundle", make_zip=False)


def test_bundle_holds_what_students_use_and_nothing_of_the_instructors(bundle):
    present = [name for name in NOT_FOR_STUDENTS if (bundle / name).exists()]
    assert not present, f"the student bundle holds {present}"
    assert all((ROOT / name).exists() for name in NOT_FOR_STUDENTS)  # the check can fail
    notebooks = sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*.ipynb"))
    assert len([n for n in notebooks if n.startswith("lectures/")]) == 8, notebooks
    assert len([n for n in notebooks if n.startswith("assignments/")]) == 5, notebooks
    for needed in ("helpers/checks.py", "docs/students.md", "tools/setup_environment.py"):
        assert (bundle / needed).is_file(), needed


def test_bundle_readme_starts_with_setting_up_and_speaks_to_students(bundle):
    readme = (bundle / "README.md").read_text()
    found = [word for word in INSTRUCTOR_WORDS if re.search(word, readme)]
    assert not found, f"words for instructors or developers in the students' README: {found}"
    sections = re.findall(r"^## (.+)$", readme, re.M)
    assert sections[0] == "Start", sections
    first_commands = re.findall(r"make (\w+)", FENCED.findall(readme)[0])
    assert first_commands[:2] == ["setup", "lab"], first_commands


def test_bundle_makefile_has_the_students_commands_and_installs_nothing_outside_the_venv(bundle):
    assert set(_help_targets(directory=bundle)) == STUDENT_COMMANDS
    makefile = (bundle / "Makefile").read_text()
    assert not re.search(r"apt-get|\bnpm\b|\bsudo\b|playwright|chromium", makefile), makefile
    # what `make test` would run on a fresh copy: the venv, pip, the bundle's own tests
    dry_run = _make("-n", "test", directory=bundle)
    assert dry_run.returncode == 0, dry_run.stderr
    assert "pip install --quiet -e '.[test]'" in dry_run.stdout, dry_run.stdout
    assert re.search(r"pytest .*\btests$", dry_run.stdout, re.M), dry_run.stdout
    assert not re.search(r"apt-get|\bnpm\b|\bsudo\b", dry_run.stdout), dry_run.stdout


@pytest.mark.parametrize("page", ["README.md", "docs/students.md"])
def test_bundle_pages_name_its_commands_and_link_its_files(bundle, page):
    path = bundle / page
    unknown = _make_targets_named(path) - STUDENT_COMMANDS
    assert not unknown, f"{page} names commands the bundle's Makefile lacks: {unknown}"
    broken = []
    for target in LINK.findall(path.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        if not linked.is_file() or (anchor and anchor not in _anchors(linked)):
            broken.append(target)
    assert not broken, f"{page}: links to what the bundle does not hold: {broken}"


def test_bundle_environment_has_no_instructor_packages(bundle):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((bundle / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    expected = project["dependencies"] + project["optional-dependencies"]["test"] + ["-e ."]
    assert sorted(pip) == sorted(expected)


def test_bundle_ships_the_students_nbgrader_config(bundle):
    shipped = (bundle / "nbgrader_config.py").read_text()
    assert shipped == (ROOT / "tools" / "environment" / "nbgrader_config.py").read_text()
    assert "grading" not in re.findall(r"^(?:from|import) (\w+)", shipped, re.M)


def test_every_bundled_test_module_imports_without_instructor_files(bundle):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only"],
        cwd=bundle,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    # a collection error shows as an "ERROR ..." line and "N error(s)" in the summary; a test's
    # name may well contain the word (test_..._standard_errors)
    assert not re.search(r"^ERROR |\b\d+ errors?\b", done.stdout, re.M), done.stdout[-3000:]
    collected = re.search(r"(\d+) tests? collected", done.stdout)
    assert collected and int(collected.group(1)) > 100, done.stdout[-1000:]
    assert "tests/environment/test_validate.py" in done.stdout
