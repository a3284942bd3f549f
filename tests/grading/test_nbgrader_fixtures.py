"""nbgrader's own test notebooks, graded with the course's configuration.

nbgrader ships the notebooks its test suite grades (``nbgrader/tests/apps/files``); the scores
below are the ones its tests expect. This runs them through the course's ``nbgrader_config.py``
and ``grading/`` (sandbox, timeouts, restored cells, repaired metadata), with nbgrader's real
command line, to hold the three places where the course's extensions once broke nbgrader:

- ``Execute.timeout`` set on the command line is the limit again (nbgrader's
  ``test_autograde_timeout``: the 5-second cell passes under the default and fails under 2 s);
- a deleted test cell put back into an nbformat 4.0 notebook leaves it valid nbformat;
- a duplicated answer cell, or a cell pasted in from another notebook, is graded (nbgrader
  issues #1682 and #1941 crashed with ``KeyError: 'grade_id'``), and the log names the cell.
"""

import json
import shutil
from pathlib import Path

import nbformat
import nbgrader
import pytest

from tests import ROOT
from tests.support.course import read_scores, run_nbgrader, submit

pytestmark = pytest.mark.slow

FILES = Path(nbgrader.__file__).parent / "tests" / "apps" / "files"
FULL_TEST_IPYNB = 3.0  # test.ipynb as shipped: its autograded cells all pass (nbgrader's tests)
# ... in one kernel. With the tests in the trusted kernel (grading.plugins.trusted), one of them
# cannot pass: sum_of_squares_uses_squares deletes the student's `squares` (`del squares`) and
# expects the student's sum_of_squares to fail; the deletion removes the trusted side's proxy,
# not the function in the student's kernel (docs/instructors.md says so). Its 0.5 points:
ROUTED_TEST_IPYNB = FULL_TEST_IPYNB - 0.5


def load(name: str) -> dict:
    return json.loads((FILES / name).read_text(encoding="utf-8"))


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def without(nb: dict, *ids: str) -> dict:
    copy = json.loads(json.dumps(nb))
    copy["cells"] = [c for c in copy["cells"] if grade_id(c) not in ids]
    return copy


def with_duplicate(nb: dict, gid: str) -> dict:
    copy = json.loads(json.dumps(nb))
    index = next(i for i, c in enumerate(copy["cells"]) if grade_id(c) == gid)
    copy["cells"].insert(index + 1, json.loads(json.dumps(copy["cells"][index])))
    return copy


def with_pasted(nb: dict, cell: dict) -> dict:
    copy = json.loads(json.dumps(nb))
    copy["cells"].insert(3, json.loads(json.dumps(cell)))
    return copy


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("nbgrader-fixtures")
    for name in ("nbgrader_config.py", "grading"):
        source = ROOT / name
        target = root / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.write_text(source.read_text())
    for assignment, notebook in (("ps1", "test.ipynb"), ("ps2", "timeout.ipynb")):
        folder = root / "solutions" / assignment
        folder.mkdir(parents=True)
        (folder / "p1.ipynb").write_text((FILES / notebook).read_text())
        (folder / "jupyter.png").write_bytes((FILES / "jupyter.png").read_bytes())
    folder = root / "solutions" / "ps3"
    folder.mkdir(parents=True)
    (folder / "p1.ipynb").write_text(json.dumps(stubborn_notebook()))
    generated = run_nbgrader(root, "generate_assignment", "*", "--force")
    assert generated.returncode == 0, generated.stderr
    release = json.loads((root / "assignments" / "ps1" / "p1.ipynb").read_text())
    source = load("test.ipynb")
    pasted = load("timeout.ipynb")["cells"][0]  # an answer cell of another assignment
    pasted["metadata"]["nbgrader"]["grade_id"] = "foo-from-another-notebook"

    def put(student, assignment, nb):
        path = submit(root, student, assignment, nb)
        if path.name != "p1.ipynb":
            path.rename(path.with_name("p1.ipynb"))

    put("as-shipped", "ps1", source)
    put("deleted-test", "ps1", without(source, "correct_squares"))
    put("duplicated", "ps1", with_duplicate(source, "squares"))
    put("pasted", "ps1", with_pasted(source, pasted))
    put("no-grade-id", "ps1", _without_grade_id(with_pasted(source, pasted)))
    put("blank", "ps1", release)
    for student in ("foo", "bar"):
        put(student, "ps2", load("timeout.ipynb"))
    put("stubborn", "ps3", stubborn_notebook())
    logs = {
        "ps1": run_nbgrader(root, "autograde", "ps1"),
        "foo": run_nbgrader(root, "autograde", "ps2", "--student", "foo"),
        "bar": run_nbgrader(root, "autograde", "ps2", "--student", "bar", "--Execute.timeout=2"),
        "stubborn": run_nbgrader(root, "autograde", "ps3", "--Execute.timeout=3"),
    }
    return root, logs, read_scores(root)


def stubborn_notebook() -> dict:
    """A student loop that swallows the interrupt, then a test that would pass."""

    def cell(source, **meta):
        meta = {"schema_version": 3, "locked": False, "solution": False, "grade": False, **meta}
        return {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {"nbgrader": meta},
            "outputs": [],
            "source": source,
        }

    loop = "\n".join(
        [
            "import time",
            "while True:",
            "    try:",
            "        time.sleep(100)",
            "    except KeyboardInterrupt:",
            "        pass",
        ]
    )
    return {
        "cells": [
            cell(loop, solution=True, grade_id="stubborn-loop"),
            cell("assert True", grade=True, locked=True, points=1, grade_id="after-the-loop"),
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_a_kernel_that_ignores_the_interrupt_is_ended_and_later_cells_say_so(course):
    root, logs, scores = course
    assert logs["stubborn"].returncode == 0, logs["stubborn"].stderr[-2000:]
    nb = json.loads((root / "autograded" / "stubborn" / "ps3" / "p1.ipynb").read_text())
    errors = [o for c in nb["cells"] for o in c["outputs"] if o["output_type"] == "error"]
    assert [e["ename"] for e in errors] == ["CellTimeoutError", "CellNotRun"]
    assert "did not stop after the time limit" in errors[1]["evalue"]
    assert scores["ps3", "stubborn"].code_score == 0


def _without_grade_id(nb):
    del nb["cells"][3]["metadata"]["nbgrader"]["grade_id"]
    return nb


def test_every_fixture_is_graded_and_nbgrader_exits_0(course):
    root, logs, scores = course
    for name, log in logs.items():
        assert log.returncode == 0, f"{name}: {log.stderr[-2000:]}"
    students = {s for (a, s) in scores if a == "ps1"}
    assert students == {
        "as-shipped",
        "deleted-test",
        "duplicated",
        "pasted",
        "no-grade-id",
        "blank",
    }


def test_execute_timeout_from_the_command_line_is_the_limit_again(course):
    _, _, scores = course
    assert scores["ps2", "foo"].code_score == 1  # the 5 s cell within the default limit
    assert scores["ps2", "bar"].code_score == 0  # --Execute.timeout=2 stops it


def test_shipped_and_repaired_notebooks_get_nbgraders_expected_scores(course):
    _, _, scores = course
    for name in ("as-shipped", "deleted-test", "duplicated", "pasted", "no-grade-id"):
        score = scores["ps1", name]  # deleted-test: the test came back
        assert score.code_score == ROUTED_TEST_IPYNB, (name, score.grades)
        assert score.grades["sum_of_squares_uses_squares"][0] == 0, name
    assert scores["ps1", "blank"].code_score == 0


def test_restored_cell_leaves_an_nbformat_4_0_notebook_valid(course):
    root, _, _ = course
    path = root / "autograded" / "deleted-test" / "ps1" / "p1.ipynb"
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 0)
    nbformat.validate(nb)  # raises ValidationError on an "id" in a 4.0 notebook
    assert "correct_squares" in [grade_id(c) for c in nb.cells]


def test_pasted_cells_are_named_in_the_log(course):
    _, logs, _ = course
    log = logs["ps1"].stderr
    assert "grade id 'foo-from-another-notebook', unknown here" in log
    assert "has no grade id" in log
