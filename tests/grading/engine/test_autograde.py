"""grading.engine.autograde: the command line's errors and exit codes; a typo in an assignment
or a student's name stops it with the valid names."""

import subprocess
import sys

import pytest

from tests import ROOT


@pytest.mark.slow  # a real nbgrader, kernel or training run: make test, not make check
def test_autograde_command_line_errors(tmp_path):
    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "grading.engine.autograde", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    bad_jobs = run("--jobs", "0")
    assert bad_jobs.returncode == 2 and "--jobs must be 1 or more, got 0" in bad_jobs.stderr
    no_course = run("--root", str(tmp_path))
    assert no_course.returncode == 2 and "no nbgrader_config.py" in no_course.stderr
    (tmp_path / "nbgrader_config.py").write_text("")
    (tmp_path / "assignments" / "a2_batch_normalization").mkdir(parents=True)
    (tmp_path / "assignments" / "a2_batch_normalization" / "a2_batch_normalization.ipynb").touch()
    (tmp_path / "submitted" / "zoe").mkdir(parents=True)
    nothing = run("--root", str(tmp_path), "--student", "zoe")
    assert nothing.returncode == 0 and "Nothing to grade for student=zoe" in nothing.stdout
    typo = run("--root", str(tmp_path), "--assignment", "a2_batchnorm")
    assert typo.returncode == 2
    assert typo.stderr.strip() == (
        "autograde: unknown assignment 'a2_batchnorm'. Did you mean a2_batch_normalization? "
        "The assignments are: a2_batch_normalization"
    )
    student = run("--root", str(tmp_path), "--student", "zo")
    assert student.returncode == 2
    assert "unknown student 'zo'. Did you mean zoe? The students are: zoe" in student.stderr
