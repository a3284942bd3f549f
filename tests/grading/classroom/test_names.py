"""grading.classroom.names: a typo in ASSIGNMENT= or STUDENT= stops the command and lists the
valid names (a throw-away folder with the course's layout: solutions/, assignments/,
submitted/; no gradebook yet)."""

import subprocess
import sys

import pytest

from grading.classroom.names import check_assignments, check_students, split_names
from tests import ROOT


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
