"""grading.classroom.names: a typo in ASSIGNMENT= or STUDENT= stops the command and lists the
valid names (a throw-away folder with the course's layout: solutions/, assignments/,
submitted/; no gradebook yet); then the same through every make target that takes a name, and
``make release ASSIGNMENT=`` releasing that one assignment only."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from grading.classroom.names import check_assignments, check_students, split_names
from tests import ROOT
from tests.support.course import COURSE_ID, gradebook_url, make_course


@pytest.fixture
def course(tmp_path):
    for folder, name in [("solutions", "a1_x"), ("solutions", "a2_y"), ("assignments", "a1_x")]:
        (tmp_path / folder / name).mkdir(parents=True)
        (tmp_path / folder / name / f"{name}.ipynb").write_text("{}")
    for student in ("jdoe", "rroe"):
        (tmp_path / "submitted" / student / "a1_x").mkdir(parents=True)
    return tmp_path


def test_known_names_pass_and_are_returned_as_a_list(course):
    assert check_assignments("a1_x", course) == ["a1_x"]
    assert check_assignments("a1_x,a2_y", course, kind="source") == ["a1_x", "a2_y"]
    assert check_assignments(None, course) == []
    assert check_students(["rroe"], course) == ["rroe"]
    assert split_names(" a, b  c ") == ["a", "b", "c"]


def test_a_typo_names_the_close_match_and_every_valid_name(course):
    with pytest.raises(ValueError) as error:
        check_assignments("a1_xx", course)
    assert str(error.value) == (
        "unknown assignment 'a1_xx'. Did you mean a1_x? The assignments are: a1_x"
    )
    with pytest.raises(ValueError, match=r"The assignments are: a1_x$"):
        check_assignments("a2_y", course)  # not released yet
    with pytest.raises(ValueError, match=r"unknown student 'jdo'\. Did you mean jdoe\? "):
        check_students("jdo", course)
    with pytest.raises(ValueError, match=r"kind must be one of \('released', 'source'\)"):
        check_assignments("a1_x", course, kind="graded")


@pytest.mark.slow  # a real nbgrader, kernel or training run: make test, not make check
def test_the_command_line_exits_1_with_the_message(course):
    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "grading.classroom.names", "--root", str(course), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert run("--assignment", "a2_y", "--kind", "source").returncode == 0
    typo = run("--assignment", "a2_batchnorm", "--kind", "source")
    assert typo.returncode == 1
    assert typo.stderr.strip() == (
        "error: unknown assignment 'a2_batchnorm'. The assignments are: a1_x, a2_y"
    )


# ------------------------------------------------------------------ through make
TYPOS = {
    "release": ["ASSIGNMENT=a2_batchnorm"],
    "autograde": ["ASSIGNMENT=a2_batchnorm"],
    "export": ["ASSIGNMENT=a2_batchnorm"],
    "collect-zip": ["ZIP=submissions.zip", "ASSIGNMENT=a2_batchnorm"],
    "feedback-zip": ["ASSIGNMENT=a2_batchnorm"],
}


def run_make(course, *args: str) -> subprocess.CompletedProcess:
    """The course's Makefile run in ``course`` with this Python's environment (its bin/ as the
    Makefile's BIN), not reinstalling it and not making the gradebook or the sandbox first."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    command = ["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), "-C", str(course)]
    command += [f"BIN={Path(sys.executable).parent}", "-o", ".venv/.installed-stamp"]
    command += ["-o", "gradebook.db", "-o", "sandbox-deps", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.slow  # a real nbgrader, kernel or training run: make test, not make check
@pytest.mark.parametrize("target", sorted(TYPOS))
def test_every_make_target_stops_on_a_typo_and_lists_the_assignments(target):
    done = run_make(ROOT, target, *TYPOS[target])
    assert done.returncode != 0, done.stdout
    assert "unknown assignment 'a2_batchnorm'. Did you mean a2_batch_normalization?" in (
        done.stderr
    )
    assert "The assignments are: a1_unstable_gradients, a2_batch_normalization" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow  # a real nbgrader, kernel or training run: make test, not make check
def test_make_autograde_stops_on_an_unknown_student():
    done = run_make(ROOT, "autograde", "STUDENT=nobody_at_all")
    assert done.returncode != 0
    assert "autograde: unknown student 'nobody_at_all'." in done.stderr
    assert "The students are: " in done.stderr


@pytest.mark.slow  # a real nbgrader, kernel or training run: make test, not make check
def test_make_release_with_an_assignment_releases_that_one_only(tmp_path):
    course = make_course(tmp_path / "course")
    done = run_make(course, "release", "ASSIGNMENT=a2_batch_normalization")
    assert done.returncode == 0, done.stdout + done.stderr
    released = sorted(p.relative_to(course).as_posix() for p in course.glob("assignments/*/*"))
    assert released == ["assignments/a2_batch_normalization/a2_batch_normalization.ipynb"]
    with Gradebook(gradebook_url(course), course_id=COURSE_ID) as gb:
        assert [a.name for a in gb.assignments] == ["a2_batch_normalization"]
