"""`nbgrader validate` as the assignment tells a student to run it: in a terminal, in the
assignment's folder (no course ``nbgrader_config.py`` there), from a student's shell.

An unanswered assignment is validated once by nbgrader's real command line. It fails, and prints
each failing test cell and its error with every line whole (nbgrader alone cuts them at 90
columns; the assignment's test cells have longer lines), and nothing else: no TensorFlow
start-up lines, no kernel TCP warning, no "No nbgrader_config.py file found". The course
environment's own ``nbgrader_config.py`` and ``jupyter_config.py`` (``make setup``) make it so.
"""

import json
import shutil
import subprocess
import sys

import pytest

from tests import ROOT
from tests.environment import NO_CONFIG_WARNING, TCP_WARNING, TF_LOG_MARKERS, student_env

pytestmark = pytest.mark.slow

ASSIGNMENT = "a1_unstable_gradients"
NBGRADER_CUT = 87  # nbgrader's default: lines longer than its width (90) minus 3 end in "..."


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    """The notebook, and what `nbgrader validate` printed in the assignment's folder."""
    folder = tmp_path_factory.mktemp("student") / ASSIGNMENT
    shutil.copytree(ROOT / "assignments" / ASSIGNMENT, folder)
    notebook = folder / f"{ASSIGNMENT}.ipynb"
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", notebook.name],
        cwd=folder,
        env=student_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    return json.loads(notebook.read_text()), done.stdout + done.stderr


def test_validate_fails_an_unanswered_assignment(validated):
    _, output = validated
    assert "VALIDATION FAILED" in output, output[-3000:]
    assert "NotImplementedError" in output, output[-3000:]


def test_validate_prints_no_tensorflow_lines_and_no_warnings(validated):
    _, output = validated
    found = [m for m in TF_LOG_MARKERS if m in output]
    assert not found, f"TensorFlow's start-up lines in the output of validate:\n{output[:3000]}"
    assert TCP_WARNING not in output, output[:3000]
    assert NO_CONFIG_WARNING not in output, output[:3000]


def test_validate_prints_every_line_of_a_failing_test_whole(validated):
    notebook, output = validated
    printed = set(output.splitlines())
    failing = [
        "".join(cell["source"]).splitlines()
        for cell in notebook["cells"]
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade")
        and cell["cell_type"] == "code"
    ]
    failing = [lines for lines in failing if f"    {lines[0]}" in printed]  # shown as failing
    assert failing, output[-3000:]
    long_lines = [line for lines in failing for line in lines if len(f"    {line}") > NBGRADER_CUT]
    assert long_lines, "no line long enough to be cut: this test could not fail"
    cut = [line for line in long_lines if f"    {line}" not in printed]
    assert not cut, f"{len(cut)} of {len(long_lines)} long lines are not printed whole: {cut[:3]}"
