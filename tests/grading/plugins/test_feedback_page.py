"""grading.plugins.feedback_page: the course's template reaches ``nbgrader generate_feedback``
only (formgrader's exporters keep theirs), and it is part of the repository (nbgrader's output
folder ``feedback/`` is git-ignored, a folder of the same name must not be)."""

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
