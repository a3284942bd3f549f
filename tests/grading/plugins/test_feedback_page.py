"""grading.plugins.feedback_page: the course's template reaches ``nbgrader generate_feedback``
only (formgrader's exporters keep theirs), and it is part of the repository (nbgrader's output
folder ``feedback/`` is git-ignored, a folder of the same name must not be)."""

import re
import subprocess

import pytest
from nbconvert.exporters import HTMLExporter
from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from grading.plugins.feedback_page import TEMPLATE_FILE, TEMPLATES, configure_feedback_page
from tests import ROOT


def test_generate_feedback_gets_the_course_template_and_nothing_else_does(tmp_path):
    c = Config()
    configure_feedback_page(c)
    converter = GenerateFeedback(coursedir=CourseDirectory(config=c, root=str(tmp_path)), config=c)
    exporter = converter.exporter_class(parent=converter, config=converter.config)
    assert exporter.template.filename == f"{TEMPLATES}/feedback/{TEMPLATE_FILE}"
    assert HTMLExporter(config=c).template_file == "index.html.j2"  # formgrader's, untouched


def test_the_template_is_not_ignored_by_git():
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", f"{TEMPLATES}/feedback/{TEMPLATE_FILE}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode == 128:
        pytest.skip(f"not a git checkout: {done.stderr.strip()}")
    assert done.returncode == 1, f"git ignores the template: {done.stdout}"


def _summary_line(tmp_path, source):
    """The summary entry the course's template writes for one test cell of ``source``."""
    import nbformat

    c = Config()
    configure_feedback_page(c)
    converter = GenerateFeedback(coursedir=CourseDirectory(config=c, root=str(tmp_path)), config=c)
    exporter = converter.exporter_class(parent=converter, config=converter.config)
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "grade": True, "solution": False, "grade_id": "test-x", "points": 2, "score": 1.0,
    }  # fmt: skip
    nb = nbformat.v4.new_notebook(cells=[cell])
    resources = {"nbgrader": {"notebook": "x", "score": 1.0, "max_score": 2.0, "late_penalty": 0}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    entry = next(line for line in body.splitlines() if 'href="#test-x"' in line)
    return " ".join(re.sub(r"<[^>]+>", "", entry).split())


def test_a_test_cell_is_named_by_its_id_and_its_comments_first_sentence(tmp_path):
    two_lines = "# f returns the right shape, and leaves its\n# arguments alone. Then more.\nf(1)"
    assert _summary_line(tmp_path, two_lines) == (
        "Test test-x: f returns the right shape, and leaves its arguments alone. "
        "(Score: 1.0 / 2.0)"
    )
    assert _summary_line(tmp_path, "# no full stop\nf(1)") == (
        "Test test-x: no full stop. (Score: 1.0 / 2.0)"
    )
    assert (
        _summary_line(tmp_path, "f(1)  # no leading comment") == "Test test-x (Score: 1.0 / 2.0)"
    )
