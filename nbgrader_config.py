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

from grading.classroom.settings import configure_nbgrader  # noqa: E402
from grading.coursedir import COURSE_ID  # noqa: E402
from grading.engine.backup import BackupGradebook  # noqa: E402
from grading.plugins.execution import SandboxedExecute  # noqa: E402
from grading.plugins.feedback import HideHiddenTests  # noqa: E402
from grading.plugins.feedback_page import configure_feedback_page  # noqa: E402
from grading.plugins.late import CurrentLatePenalty  # noqa: E402
from grading.plugins.sanitize import (  # noqa: E402
    DeduplicateCells,
    RepairCellMetadata,
    RestoreDeletedCells,
)
from grading.plugins.stderr import StderrIsNotFailure  # noqa: E402

# What students get too (tools/environment/nbgrader_config.py): `nbgrader validate` prints each
# line of a failing test whole instead of cutting it at 90 columns.
load_subconfig(os.path.join(COURSE_ROOT, "tools", "environment", "nbgrader_config.py"))  # noqa: F821

c.CourseDirectory.root = COURSE_ROOT
c.CourseDirectory.course_id = COURSE_ID
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"

# The default exchange (/usr/local/share/nbgrader/exchange) is not writable for most users.
c.Exchange.root = os.path.join(COURSE_ROOT, ".exchange")
# nbgrader only uses an exchange that exists ("Unwritable directory" otherwise); git ignores it.
os.makedirs(c.Exchange.root, exist_ok=True)

# Before running a submission: cells pasted from elsewhere are ungraded instead of crashing,
# edited test cells are replaced by the originals (nbgrader does that anyway), and deleted ones
# are put back and run instead of silently scoring nothing.
# The gradebook is backed up first (backups/, newest 10 kept; `make restore` brings one back).
c.Autograde.sanitize_preprocessors = [
    BackupGradebook,
    "nbgrader.preprocessors.ClearOutput",
    RepairCellMetadata,
    DeduplicateCells,
    "nbgrader.preprocessors.OverwriteKernelspec",
    RestoreDeletedCells,
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Running a submission (grading/plugins/execution.py): every kernel in a bubblewrap sandbox with no
# network, 4 GiB of memory and 512 processes at most, 30 s per cell for student code and tests
# (120 s for the instructor's read-only cells), 1 MB of output per cell. A dead kernel costs only
# the cells it did not run. Warnings on stderr do not cost a test its points
# (grading/plugins/stderr.py).
# The instructor's test, setup and oracle cells run in a trusted kernel where the student's
# functions are proxies returning data (grading/plugins/trusted); route_tests = False runs every
# cell in the student's kernel, where the student's code can change how the tests behave.
# Per assignment: c.SandboxedExecute.memory_limit_per_assignment = {"a5_regularization": "6G"}.
# The caps come from a cgroup where one can be made, else from a fallback without cgroups
# (docs/deployment.md: which host gets which); c.SandboxedKernelManager.caps = "cgroup" or
# "fallback" insists on one.
# nbgrader's own `Execute.timeout` still works and, set, applies to every cell.
c.Autograde.autograde_preprocessors = [
    SandboxedExecute,
    StderrIsNotFailure,
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Feedback: the late penalty recomputed from the current grades (grading/plugins/late.py), which
# hidden test failed and its message, never the hidden test's code; a summary that names each
# test cell (grading/plugins/feedback_page.py).
c.GenerateFeedback.preprocessors = [
    CurrentLatePenalty,
    "nbgrader.preprocessors.GetGrades",
    HideHiddenTests,
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
configure_feedback_page(c)

# ---------------------------------------------------------------- classroom
# Late penalty per started day, capped (nbgrader's late-submission plugin,
# grading/plugins/late.py), with the policy read from classroom.toml, recomputed whenever a grade
# is written in this process (formgrader's included); the due dates go into the gradebook with
# `make due-dates`.
configure_nbgrader(c, COURSE_ROOT)
# On the course's JupyterHub (hub/), every user shares one exchange outside this folder.
if os.environ.get("NBGRADER_EXCHANGE_ROOT"):
    c.Exchange.root = os.environ["NBGRADER_EXCHANGE_ROOT"]
