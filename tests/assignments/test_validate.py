"""`nbgrader validate` in a terminal shows a planted mistake's whole diagnosis, on a full line.

A student's a3, answered with the solution's code but Adam without its bias correction
(``tests.support.answers``), is validated by nbgrader's real command line, under each
configuration a student's validation reads, alone (``JUPYTER_NO_CONFIG`` hides the course
environment's own ``etc/jupyter``, which ``tests/environment`` checks):

- the student bundle's, through its ``make check`` (``tools/validate_assignment.py`` in a fresh
  bundle, with the bundle's ``nbgrader_config.py``);
- the repository's ``nbgrader_config.py``, which loads the same settings.

nbgrader cuts every line at 90 columns by default, and the first Adam test's message puts its
"Likely mistake: ..." far beyond that, so without the course's settings these tests fail.
"""

import json
import os
import subprocess
import sys

import pytest

from grading.classroom.bundle import build_bundle
from tests.support.answers import ADAM_WITHOUT_BIAS_CORRECTION, answered, named_mistake
from tests.support.course import ROOT

pytestmark = pytest.mark.slow

ASSIGNMENT = "a3_optimizers"
VALIDATE_S = 600


@pytest.fixture(scope="module")
def wrong_a3() -> dict:
    return answered(ASSIGNMENT, [ADAM_WITHOUT_BIAS_CORRECTION])


@pytest.fixture(scope="module")
def diagnosis(wrong_a3) -> str:
    return "Likely mistake: " + named_mistake(wrong_a3, "no bias correction")


def _only_this_config() -> dict:
    """The environment without the course environment's etc/jupyter (nor ~/.jupyter): nbgrader
    reads the nbgrader_config.py of the folder it runs in, and nothing else."""
    return dict(os.environ, JUPYTER_NO_CONFIG="1", COURSE_FAST="1")


def _lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


def test_make_check_in_the_bundle_shows_the_likely_mistake_on_a_full_line(
    tmp_path, wrong_a3, diagnosis
):
    bundle = build_bundle(tmp_path / "student-bundle", make_zip=False)
    notebook = bundle / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook.write_text(json.dumps(wrong_a3, indent=1))
    done = subprocess.run(
        [sys.executable, str(bundle / "tools" / "validate_assignment.py"), "a3"],
        cwd=bundle,
        env=_only_this_config(),
        capture_output=True,
        text=True,
        timeout=VALIDATE_S,
    )
    output = done.stdout + done.stderr
    print(output[-3000:])
    assert "VALIDATION FAILED" in output, output[-3000:]
    assert _lines_with(output, diagnosis), (
        f"no line holds {diagnosis!r} whole; the lines that name a likely mistake:\n"
        + "\n".join(_lines_with(output, "Likely mistake"))
    )
    assert "No nbgrader_config.py file found" not in output  # the bundle ships one
    assert done.returncode == 1, f"failing tests must fail `make check` ({done.returncode})"
    assert output.rstrip().splitlines()[-1].startswith(f"{ASSIGNMENT}: not every test passes")


def test_validate_with_the_repository_config_shows_the_likely_mistake_on_a_full_line(
    tmp_path, wrong_a3, diagnosis
):
    notebook = tmp_path / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook.parent.mkdir()
    notebook.write_text(json.dumps(wrong_a3, indent=1))
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", str(notebook)],
        cwd=ROOT,  # where nbgrader finds the repository's nbgrader_config.py
        env=_only_this_config(),
        capture_output=True,
        text=True,
        timeout=VALIDATE_S,
    )
    output = done.stdout + done.stderr
    assert "VALIDATION FAILED" in output, output[-3000:]
    assert _lines_with(output, diagnosis), (
        f"no line holds {diagnosis!r} whole; the lines that name a likely mistake:\n"
        + "\n".join(_lines_with(output, "Likely mistake"))
    )
