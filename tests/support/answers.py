"""A student's copy of an assignment, answered: for tests that validate as a student does.

``answered(assignment, edits)`` is the released notebook (visible tests only, as a student gets
it) with every answer cell holding the solution's code, nbgrader's delimiters removed, after
``edits`` (a slip planted in the solution's code: ``Edit(cell, old, new)``, as
``assignment_mistakes.apply_edits`` takes them). Written answers stay unanswered.
"""

import json
import re
from pathlib import Path
from typing import NamedTuple

from tests.support.assignment_mistakes import apply_edits
from tests.support.course import ROOT, answer_cells

DELIMITER = re.compile(r"^\s*#+ *(BEGIN|END) SOLUTION *\n?", re.M)


class Edit(NamedTuple):
    cell: str  # grade_id of the solution cell
    old: str  # text of that cell to replace (exactly once)
    new: str


# Adam without its bias correction: the slip a3's first Adam test names as its likely mistake.
ADAM_WITHOUT_BIAS_CORRECTION = Edit(
    "adam-step",
    "    m_hat = m / (1 - beta_1**t)\n    v_hat = v / (1 - beta_2**t)\n",
    "    m_hat, v_hat = m, v\n",
)


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _grade_id(cell) -> str:
    return cell["metadata"]["nbgrader"]["grade_id"]


def notebook_path(assignment: str, folder: str, root: Path = ROOT) -> Path:
    """``<root>/<folder>/<assignment>/<assignment>.ipynb`` (folder: solutions or assignments)."""
    return root / folder / assignment / f"{assignment}.ipynb"


def answered(assignment: str, edits=(), root: Path = ROOT) -> dict:
    """The released notebook of ``assignment`` with the solution's code, after ``edits``, in
    every answer cell."""
    solution = json.loads(notebook_path(assignment, "solutions", root).read_text())
    code = {_grade_id(c): _source(c) for c in answer_cells(apply_edits(solution, edits))}
    released = json.loads(notebook_path(assignment, "assignments", root).read_text())
    for cell in answer_cells(released):
        cell["source"] = DELIMITER.sub("", code[_grade_id(cell)])
    return released


def named_mistake(notebook: dict, start: str) -> str:
    """The explanation, beginning with ``start``, of a mistake a test cell of ``notebook`` names
    (a key of its ``mistakes``): the words a failure shows after "Likely mistake: "."""
    pattern = re.compile(r'"(' + re.escape(start) + r'[^"]*)"')
    found = {m for c in notebook["cells"] for m in pattern.findall(_source(c))}
    if len(found) != 1:
        raise ValueError(f"start must begin exactly one named mistake, got {start!r}: {found}")
    return found.pop()
