"""A throw-away nbgrader course built from this repository, for the pipeline test and benchmarks.

``make_course(dest)`` copies what nbgrader needs (``nbgrader_config.py``, ``grading/``,
``solutions/`` and the settings it loads from ``tools/environment/``) into ``dest``.
``nbgrader_config.py`` makes its own folder the course root, so every nbgrader command run there
with ``run_nbgrader`` (nbgrader's real command line, in a subprocess) writes its gradebook,
releases and grades in ``dest`` and leaves the repository alone. ``read_scores`` reads the results
back from the gradebook with ``nbgrader.api``: exit codes alone say little (``nbgrader validate``
exits 0 when tests fail, ``nbgrader autograde`` exits 1 when a single submission out of many
cannot be read).
"""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from grading.coursedir import (  # noqa: F401 - re-exported for the tests
    ASSIGNMENTS,
    COURSE_ID,
    ROOT,
    available_assignments,
    gradebook_url,
    nbgrader_env,
    run_module,
    run_nbgrader,
)

COURSE_FILES = ("nbgrader_config.py", "grading", "solutions", "tools/environment")


def make_course(dest: Path, root: Path = ROOT) -> Path:
    """Copy the files nbgrader needs from ``root`` into the (new or empty) folder ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise ValueError(f"dest must be a new or empty folder, got {dest} (not empty).")
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for name in COURSE_FILES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=ignore)
        else:
            shutil.copy2(source, dest / name)
    return dest


def run_engine(course: Path, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run the course's grading engine (``make autograde``) in ``course`` with ``args``."""
    return run_module(course, "grading.engine.autograde", *args, timeout=timeout)


def submit(course: Path, student: str, assignment: str, notebook) -> Path:
    """Place a submission where nbgrader looks for it: ``submitted/<student>/<assignment>/``.

    ``notebook`` is a path to copy, a notebook as a dict, or raw text (e.g. a broken file).
    """
    folder = Path(course) / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.ipynb"
    if isinstance(notebook, str | os.PathLike) and Path(notebook).is_file():
        shutil.copy(notebook, path)
    elif isinstance(notebook, dict):
        path.write_text(json.dumps(notebook, indent=1))
    elif isinstance(notebook, str):
        path.write_text(notebook)
    else:
        raise ValueError(f"notebook must be a file path, a dict or a str, got {type(notebook)}.")
    return path


def _text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def answer_cells(nb: dict) -> list[dict]:
    """The code cells a student writes (nbgrader solution cells that are not graded themselves)."""
    return [
        cell
        for cell in nb["cells"]
        if cell["cell_type"] == "code"
        and cell.get("metadata", {}).get("nbgrader", {}).get("solution")
        and not cell["metadata"]["nbgrader"].get("grade")
    ]


def with_code(nb: dict, code: str, where: str = "first") -> dict:
    """A copy of ``nb`` with ``code`` appended to its first or last answer cell."""
    if where not in ("first", "last"):
        raise ValueError(f"where must be 'first' or 'last', got {where!r}")
    copy = json.loads(json.dumps(nb))
    answers = answer_cells(copy)
    if not answers:
        raise ValueError("nb has no answer cell")
    cell = answers[0] if where == "first" else answers[-1]
    cell["source"] = _text(cell) + "\n\n" + code
    return copy


def with_broken_answer(nb: dict) -> dict:
    """A copy of ``nb`` whose first answer cell's functions are rebound to return None."""
    names = [
        line[4:].split("(")[0]
        for line in _text(answer_cells(nb)[0]).split("\n")
        if line.startswith("def ")
    ]
    return with_code(nb, "\n".join(f"{n} = lambda *args, **kwargs: None" for n in names))


class _Text(HTMLParser):
    """The text of an HTML page, without its styles and scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    """What a reader of a feedback page sees (syntax-highlighted code comes out as plain text)."""
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


@dataclass
class Score:
    """One student's result on one assignment, as the gradebook holds it."""

    code_score: float
    max_code_score: float
    score: float
    max_score: float
    needs_manual_grade: bool
    # grade_id -> (auto_score or None if never scored, max_score, "code" or "markdown")
    grades: dict = field(default_factory=dict)


def read_scores(course: Path) -> dict:
    """``{(assignment, student): Score}`` for every submission in the course's gradebook."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(gradebook_url(course), course_id=COURSE_ID) as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                grades = {
                    grade.name: (grade.auto_score, grade.max_score, grade.cell_type)
                    for notebook in submission.notebooks
                    for grade in notebook.grades
                }
                scores[assignment.name, submission.student.id] = Score(
                    code_score=submission.code_score,
                    max_code_score=submission.max_code_score,
                    score=submission.score,
                    max_score=submission.max_score,
                    needs_manual_grade=submission.needs_manual_grade,
                    grades=grades,
                )
    return scores
