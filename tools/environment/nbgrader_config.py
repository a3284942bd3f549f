"""nbgrader for students: validation prints each line of a failing test whole, and gives each
cell the time grading gives it.

Read from three places: the course environment's ``etc/jupyter/`` (``tools/setup_environment.py``,
run by ``make setup``: ``nbgrader validate`` in any folder), the student bundle's root (a copy
made by ``grading/classroom/bundle.py``) and the repository's ``nbgrader_config.py``, which loads
this file.

nbgrader's Validator cuts every line of a failing cell and of its error at ``Validator.width``
(90 columns) and ends it with "...", so the end of a check's message, where it names the likely
mistake and its fix, was lost. The same width draws the rule above each failing cell and wraps
the summary, so a width that holds the longest line (a message, a student's own code line or a
Keras error: several hundred characters) would draw rules as wide. Instead, lines keep nbgrader's
indent but are never cut; the rules and the summary keep their 90 columns. JupyterLab's Validate
dialog reads the same results before printing, whole already.

nbgrader's validation gives every cell 30 s. The read-only setup cell imports TensorFlow, which
takes longer on a slow or busy machine; validation then stops with "Timeout waiting for execute
reply" and shows no test at all. Grading gives the instructor's read-only code 120 s and every
other cell 30 s (``grading/plugins/execution.py``, whose tests check these numbers against it);
validation does the same. The setting is the Validator's own, so grading is left alone.
"""

from nbconvert.filters import strip_ansi
from nbgrader.validator import Validator

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

STUDENT_CELL_TIMEOUT = 30  # seconds: cells a student writes, and the tests
INSTRUCTOR_CELL_TIMEOUT = 120  # seconds: the instructor's read-only code (the setup cell)


def _indent_whole_lines(validator: Validator, text: str) -> str:
    """nbgrader's ``Validator._indent`` without cutting lines at ``Validator.width``."""
    return "\n".join(validator.indent + strip_ansi(line) for line in text.split("\n"))


Validator._indent = _indent_whole_lines


def grading_time_limit(cell) -> int:
    """Seconds ``cell`` may run when graded: read-only instructor code gets longer."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    instructor_code = meta.get("locked") and not meta.get("grade") and not meta.get("solution")
    return INSTRUCTOR_CELL_TIMEOUT if instructor_code else STUDENT_CELL_TIMEOUT


c.Validator.Execute.timeout_func = grading_time_limit
