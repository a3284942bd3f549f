"""The student bundle stands on its own: a README for students and a repository test that passes.

``grading.classroom.bundle`` copies the course without the instructor's material into a temporary
folder (no git there, as on a student's machine); the bundle's own ``tests/test_repository.py``
runs in it with pytest, and every test module the bundle ships must import without ``grading/`` or
``solutions/``.
"""

import re
import subprocess
import sys

import pytest

from grading.classroom.bundle import MARKER, build_bundle
from tests import ROOT

pytestmark = pytest.mark.slow
INSTRUCTOR_WORDS = (
    "## Instructors",
    "make release",
    "make autograde",
    "formgrader",
    "`solutions/`",
)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build_bundle(tmp_path_factory.mktemp("fresh") / "student-bundle", make_zip=False)


def _pytest(bundle, *args):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=bundle,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_bundle_readme_speaks_to_students(bundle):
    readme = (bundle / "README.md").read_text()
    assert "## Students" in readme and "student bundle" in readme
    found = [word for word in INSTRUCTOR_WORDS if word in readme]
    assert not found, f"instructor material in the students' README: {found}"
    assert "## Instructors" in (ROOT / "README.md").read_text()  # the check can fail


def test_bundle_has_no_instructor_material(bundle):
    for gone in ("solutions", "grading", "nbgrader_config.py", "classroom.toml", "hub"):
        assert not (bundle / gone).exists(), gone
    assert (bundle / MARKER).is_file()


def test_bundle_repository_test_passes_there(bundle):
    done = _pytest(bundle, "tests/test_repository.py")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_every_bundled_test_module_imports_without_instructor_files(bundle):
    done = _pytest(bundle, "--collect-only", "tests")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    # a collection error shows as an "ERROR ..." line and "N error(s)" in the summary; a test's
    # name may well contain the word (test_..._standard_errors)
    assert not re.search(r"^ERROR |\b\d+ errors?\b", done.stdout, re.M), done.stdout[-3000:]
