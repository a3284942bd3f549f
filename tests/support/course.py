"""A throw-away nbgrader course built from this repository, for the pipeline test and benchmarks.

``make_course(dest)`` copies what nbgrader needs (``nbgrader_config.py``, ``grading/``,
``solutions/`` and the settings it loads from ``tools/environment/``) into ``dest``.
``nbgrader_config.py`` makes its own folder the course root, so every nbgrader command run there
with ``run_nbgrader`` (nbgrader's real command line, in a subprocess) writes its gradebook,
releases and grades in ``dest`` and leaves the repository alone. Two costs are paid once per
test process instead of once per course: the new gradebook (``alembic heads``), and the trusted
test kernels that ``run_engine`` and ``run_nbgrader autograde`` lend to the grading processes
(``kept_trusted_kernels``: each start imports TensorFlow). ``read_scores`` reads the results
back from the gradebook with ``nbgrader.api``: exit codes alone say little (``nbgrader validate``
exits 0 when tests fail, ``nbgrader autograde`` exits 1 when a single submission out of many
cannot be read).
"""

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from grading.coursedir import (  # noqa: F401 - re-exported for the tests
    ASSIGNMENTS,
    COURSE_ID,
    GRADEBOOK,
    ROOT,
    available_assignments,
    gradebook_url,
    nbgrader_env,
    run_module,
)
from grading.coursedir import run_nbgrader as _run_nbgrader
from grading.plugins.trusted import borrowed
from grading.plugins.trusted.kernel import TrustedKernel

COURSE_FILES = ("nbgrader_config.py", "grading", "solutions", "tools/environment")


@functools.cache
def _empty_gradebook() -> Path:
    """A new gradebook of the course, made once per process: nbgrader stamps every new
    gradebook with its schema version by running ``alembic heads`` in a subprocess (2 s of
    CPU), and the tests make a dozen courses."""
    folder = Path(tempfile.mkdtemp(prefix="empty-gradebook-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    make = "import sys\nfrom nbgrader.api import Gradebook\nGradebook(*sys.argv[1:]).close()"
    subprocess.run(
        [sys.executable, "-c", make, gradebook_url(folder), COURSE_ID],
        env=nbgrader_env(),  # nbgrader runs `alembic` by name: the venv's bin/ on PATH
        check=True,
        capture_output=True,
        timeout=300,
    )
    return folder / GRADEBOOK


def make_course(dest: Path, root: Path = ROOT) -> Path:
    """Copy the files nbgrader needs from ``root`` into the (new or empty) folder ``dest``, with
    an empty gradebook (no assignment, no student), as nbgrader's first command would make it."""
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
    shutil.copy(_empty_gradebook(), dest / GRADEBOOK)
    return dest


KEPT_KERNELS = 2  # one per job of the tests' usual ``--jobs 2``
_kept: list[TrustedKernel] = []


@atexit.register
def _stop_kept_kernels() -> None:
    for kernel in _kept:
        kernel.shutdown()


def kept_trusted_kernels() -> dict:
    """``GRADING_TRUSTED_KERNELS`` for a grading run: trusted kernels this test process starts
    once and lends to each of its engine runs and nbgrader autogrades
    (``grading.plugins.trusted.borrowed``), instead of each run starting two and importing
    TensorFlow in both. One that an earlier run left busy is interrupted, one that is gone is
    replaced (``TrustedKernel.ready``)."""
    for kernel in list(_kept):
        if not kernel.ready():
            kernel.shutdown()
            _kept.remove(kernel)
    missing = KEPT_KERNELS - len(_kept)
    if missing > 0:
        with ThreadPoolExecutor(missing) as pool:
            _kept.extend(pool.map(lambda _: TrustedKernel(), range(missing)))
    return {borrowed.ENV: os.pathsep.join(kernel.connection_file for kernel in _kept)}


def run_engine(course: Path, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run the course's grading engine (``make autograde``) in ``course`` with ``args``, lending
    it this process's trusted kernels."""
    return run_module(
        course, "grading.engine.autograde", *args, timeout=timeout, env=kept_trusted_kernels()
    )


def run_nbgrader(course: Path, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """``nbgrader *args`` in ``course`` (``grading.coursedir.run_nbgrader``); ``autograde`` gets
    this process's trusted kernels to borrow, as ``run_engine`` does."""
    env = kept_trusted_kernels() if args[:1] == ("autograde",) else None
    return _run_nbgrader(course, *args, timeout=timeout, env=env)


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
