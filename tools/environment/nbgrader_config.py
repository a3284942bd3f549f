"""nbgrader for students: ``nbgrader validate`` prints each line of a failing test whole.

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
"""

from nbconvert.filters import strip_ansi
from nbgrader.validator import Validator


def _indent_whole_lines(validator: Validator, text: str) -> str:
    """nbgrader's ``Validator._indent`` without cutting lines at ``Validator.width``."""
    return "\n".join(validator.indent + strip_ansi(line) for line in text.split("\n"))


Validator._indent = _indent_whole_lines
