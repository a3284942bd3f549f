"""The feedback page: nbgrader's, with a summary that names every test cell.

nbgrader's feedback template lists each test cell in the page's summary as "Test cell", so
the summary of an assignment is seventeen identical links. ``templates/feedback/course.html.j2``
extends nbgrader's template and names each by its grade id and the first sentence of the
comment it starts with, however many lines that runs over ("test-bn-train-basic:
batchnorm_train returns (y, batch_mean, batch_var) with the right shapes, and leaves its
arguments as they were."). ``configure_feedback_page`` sets it for ``nbgrader
generate_feedback`` only (``GenerateFeedback.HTMLExporter``), so formgrader's own pages keep
their templates.
"""

import os

import nbgrader

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
NBGRADER_TEMPLATES = os.path.join(
    os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates"
)
TEMPLATE_FILE = "course.html.j2"


def configure_feedback_page(c) -> None:
    """The course's part of ``nbgrader_config.py`` for the feedback page's template."""
    c.GenerateFeedback.HTMLExporter.extra_template_basedirs = [TEMPLATES, NBGRADER_TEMPLATES]
    c.GenerateFeedback.HTMLExporter.template_file = TEMPLATE_FILE
