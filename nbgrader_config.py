"""nbgrader configuration for the course: solutions/ is the source, assignments/ the release.

Instructor notebooks (with solutions and hidden tests) live in ``solutions/<assignment>/``;
``nbgrader generate_assignment`` writes the student versions to ``assignments/<assignment>/``.
``submitted/``, ``autograded/``, ``feedback/`` and ``gradebook.db`` stay local (git ignores them).
The instructor tooling nbgrader loads from here lives in ``grading/`` (see its docstrings).
"""

import os
import sys

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))
if COURSE_ROOT not in sys.path:
    sys.path.append(COURSE_ROOT)  # makes the course's grading/ package importable

from grading.execution import cell_timeout  # noqa: E402
from grading.feedback import HideHiddenTests  # noqa: E402
from grading.sanitize import RestoreDeletedCells  # noqa: E402

c.CourseDirectory.root = COURSE_ROOT
c.CourseDirectory.course_id = "training-deep-nets"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"

# The default exchange (/usr/local/share/nbgrader/exchange) is not writable for most users.
c.Exchange.root = os.path.join(COURSE_ROOT, ".exchange")
# nbgrader only uses an exchange that exists ("Unwritable directory" otherwise); git ignores it.
os.makedirs(c.Exchange.root, exist_ok=True)

# Autograding: a time limit per cell (30 s for student code and tests, more for the instructor's
# read-only cells), after which nbgrader interrupts the kernel and grades the rest.
c.Execute.timeout_func = cell_timeout
# Before running a submission: edited test cells are replaced by the originals (nbgrader does
# that anyway), and deleted ones are put back and run instead of silently scoring nothing.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    RestoreDeletedCells,
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Feedback: show which hidden test failed and its message, never the hidden test's code.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    HideHiddenTests,
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# ---------------------------------------------------------------- classroom (issue 11)
# Late penalty per started day, capped (nbgrader's late-submission plugin, grading/late.py), with
# the policy read from classroom.toml; the due dates go into the gradebook with `make due-dates`.
from grading.classroom import configure_nbgrader  # noqa: E402

configure_nbgrader(c, COURSE_ROOT)
# On the course's JupyterHub (hub/), every user shares one exchange outside this folder.
if os.environ.get("NBGRADER_EXCHANGE_ROOT"):
    c.Exchange.root = os.environ["NBGRADER_EXCHANGE_ROOT"]
