"""Submissions that try to set their own grade, graded as an instructor grades them.

Every fixture in ``tests/fixtures/grading/forgery/`` (see its README) is a few lines a student
adds to a submission. All submissions go through one run of the course's grading engine
(``python -m grading.engine.autograde``, what ``make autograde`` runs) with the course's
``nbgrader_config.py``: the instructor's tests in the trusted kernel, the student's code in the
sandboxed one. The forgeries also go through a second course graded with
``--SandboxedExecute.route_tests=False`` (every cell in the student's kernel, as nbgrader does
it), where each must raise its score: proof that it would forge a grade, and that routing is
what stops it. Scores are read from the gradebook, cell by cell.

- a **forgery** scores exactly, test by test, what the same submission scores without its
  lines: the release (``raise NotImplementedError()``) or stubs of the right shape;
- a **hostile channel** (a call that hangs, a 2 GB answer, an object that is not data, a kernel
  that exits during a call, a result nested 100,000 deep, a rewritten agent) fails the tests
  that call it with a message saying why, costs nothing else, and the students graded after it
  get full marks from the same trusted kernels;
- honest solutions keep every point.
"""

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import ROOT
from tests.support.course import (
    answer_cells,
    make_course,
    read_scores,
    run_engine,
    run_nbgrader,
    submit,
)

pytestmark = pytest.mark.slow

FIXTURES = ROOT / "tests" / "fixtures" / "grading" / "forgery"
ASSIGNMENTS = {
    "a1": "a1_unstable_gradients",
    "a2": "a2_batch_normalization",
    "a3": "a3_optimizers",
    "a4": "a4_transfer_learning",
    "a5": "a5_regularization",
}
UNROUTED = "--SandboxedExecute.route_tests=False"


@dataclass
class Fixture:
    name: str
    kind: str
    on: list[str]
    answers: str
    where: str
    code: str
    each: str = ""
    unrouted: str = ""
    fails: list[str] = field(default_factory=list)
    stops: str = ""
    message: str = ""

    def student(self, short: str) -> str:
        return f"{self.name.replace('_', '-')}-{short}"


def parse(path: Path) -> Fixture:
    text = path.read_text()
    header = dict(re.findall(r"^# (\w+): (.*)$", text, flags=re.MULTILINE))
    return Fixture(
        name=path.stem,
        kind=header["kind"],
        on=header["on"].split(),
        answers=header["answers"],
        where=header["where"],
        code=text,
        each=header.get("each", ""),
        unrouted=header.get("unrouted", ""),
        fails=header.get("fails", "").split(),
        stops=header.get("stops", ""),
        message=header.get("message", ""),
    )


ALL = [parse(p) for p in sorted(FIXTURES.glob("*.py"))]
FORGERIES = [f for f in ALL if f.kind == "forgery"]
CHANNEL = [f for f in ALL if f.kind == "channel"]
FORGED = [(f, short) for f in FORGERIES for short in f.on]


def text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def cell_defining(nb: dict, name: str) -> dict:
    for cell in answer_cells(nb):
        tree = ast.parse(text(cell))
        if any(getattr(node, "name", None) == name for node in tree.body):
            return cell
    raise ValueError(f"no answer cell defines {name}")


def append(cell: dict, code: str) -> None:
    cell["source"] = text(cell) + "\n\n" + code


def with_stubs(nb: dict, assignment: str) -> dict:
    """The release with every graded function replaced by its stub (in the function's cell)."""
    source = (FIXTURES / "stubs" / f"{assignment}.py").read_text()
    tree = ast.parse(source)
    shared = [n for n in tree.body if not isinstance(n, ast.FunctionDef | ast.Expr)]
    append(answer_cells(nb)[0], "\n".join(ast.get_source_segment(source, n) for n in shared))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            append(cell_defining(nb, node.name), ast.get_source_segment(source, node))
    return nb


def graded_functions(nb: dict) -> list[str]:
    return [
        node.name
        for cell in answer_cells(nb)
        for node in ast.parse(text(cell)).body
        if isinstance(node, ast.FunctionDef)
    ]


def notebook(root: Path, assignment: str, answers: str, fixture: Fixture | None = None) -> dict:
    folder = "solutions" if answers == "solution" else "assignments"
    nb = json.loads((root / folder / assignment / f"{assignment}.ipynb").read_text())
    if answers == "stubs":
        nb = with_stubs(nb, assignment)
    if fixture is not None:
        names = graded_functions(nb)  # the student's functions, not the fixture's own
        where = answer_cells(nb)[0] if fixture.where == "first" else None
        append(where or cell_defining(nb, fixture.where), fixture.code)
        if fixture.each:
            for name in names:
                append(cell_defining(nb, name), fixture.each.format(name=name))
    return nb


def reference(fixture: Fixture, short: str) -> str:
    return f"{'stubs' if fixture.answers == 'stubs' else 'blank'}-{short}"


@dataclass
class Graded:
    routed: dict  # (assignment, student) -> Score, tests in the trusted kernel
    unrouted: dict  # the same, every cell in the student's kernel
    engine: str
    root: Path

    def outputs(self, student: str, assignment: str) -> dict:
        path = self.root / "autograded" / student / assignment / f"{assignment}.ipynb"
        nb = json.loads(path.read_text())
        return {
            cell["metadata"].get("nbgrader", {}).get("grade_id"): json.dumps(cell["outputs"])
            for cell in nb["cells"]
            if cell["cell_type"] == "code"
        }


def grade(root: Path, submissions: dict, *args: str) -> tuple[dict, str]:
    generated = run_nbgrader(root, "generate_assignment", "*", "--force")
    assert generated.returncode == 0, generated.stderr[-3000:]
    for (assignment, student), build in submissions.items():
        submit(root, student, assignment, build(root))
    done = run_engine(root, "--jobs", "2", "--no-backup", *args, timeout=3600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    n = len(submissions)
    assert f"Graded {n} of {n}" in done.stdout, done.stdout[-3000:]
    return read_scores(root), done.stdout


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    routed = {}
    for short, assignment in ASSIGNMENTS.items():
        routed[assignment, f"blank-{short}"] = lambda r, a=assignment: notebook(r, a, "release")
        routed[assignment, f"aaa-honest-{short}"] = lambda r, a=assignment: notebook(
            r, a, "solution"
        )
    for short in ("a1", "a2", "a3"):
        a = ASSIGNMENTS[short]
        routed[a, f"stubs-{short}"] = lambda r, a=a: notebook(r, a, "stubs")
    for fixture, short in FORGED + [(f, s) for f in CHANNEL for s in f.on]:
        a = ASSIGNMENTS[short]
        routed[a, fixture.student(short)] = lambda r, a=a, f=fixture: notebook(r, a, f.answers, f)
    a2 = ASSIGNMENTS["a2"]
    routed[a2, "zzz-honest-a2"] = lambda r: notebook(r, a2, "solution")
    unrouted = {key: routed[key] for key in [(a2, "blank-a2"), (a2, "stubs-a2")]}
    for fixture in FORGERIES:
        unrouted[a2, fixture.student("a2")] = routed[a2, fixture.student("a2")]
    root = make_course(tmp_path_factory.mktemp("forgery") / "course")
    routed_scores, log = grade(root, routed)
    off = make_course(tmp_path_factory.mktemp("unrouted") / "course")
    unrouted_scores, _ = grade(off, unrouted, UNROUTED)
    return Graded(routed_scores, unrouted_scores, log, root)


def code_grades(score) -> dict:
    return {gid: g[0] for gid, g in score.grades.items() if g[2] == "code"}


@pytest.mark.parametrize(
    "fixture, short", FORGED, ids=[f"{f.name}-{short}" for f, short in FORGED]
)
def test_a_forgery_scores_what_the_submission_scores_without_it(graded, fixture, short):
    assignment = ASSIGNMENTS[short]
    forged = graded.routed[assignment, fixture.student(short)]
    plain = graded.routed[assignment, reference(fixture, short)]
    assert code_grades(forged) == code_grades(plain), (
        f"{fixture.name} on {assignment}: {forged.code_score} points, "
        f"{plain.code_score} without it"
    )
    assert forged.code_score < forged.max_code_score


@pytest.mark.parametrize("fixture", FORGERIES, ids=[f.name for f in FORGERIES])
def test_a_forgery_bites_when_tests_run_in_the_students_kernel(graded, fixture):
    a2 = ASSIGNMENTS["a2"]
    forged = graded.unrouted[a2, fixture.student("a2")]
    plain = graded.unrouted[a2, reference(fixture, "a2")]
    if fixture.unrouted == "same":  # the checks alone refuse it
        assert forged.code_score == plain.code_score, (fixture.name, code_grades(forged))
        return
    assert forged.code_score > plain.code_score, (fixture.name, forged.code_score)
    if fixture.unrouted == "full":
        assert forged.code_score == forged.max_code_score, (fixture.name, code_grades(forged))


@pytest.mark.parametrize("fixture", CHANNEL, ids=[f.name for f in CHANNEL])
def test_a_hostile_channel_costs_only_the_calls_it_breaks(graded, fixture):
    a2 = ASSIGNMENTS["a2"]
    score = graded.routed[a2, fixture.student("a2")]
    full = graded.routed[a2, "aaa-honest-a2"]
    grades, maxima = code_grades(score), {g: v[1] for g, v in full.grades.items()}
    order = list(grades)
    stopped = order[order.index(fixture.stops) :] if fixture.stops else []
    failing = set(order if fixture.fails == ["all"] else fixture.fails) | set(stopped)
    for gid, points in grades.items():
        expected = 0 if gid in failing else maxima[gid]
        assert points == expected, f"{fixture.name}: {gid} scored {points}, expected {expected}"
    outputs = graded.outputs(fixture.student("a2"), a2)
    first = order[0] if fixture.fails == ["all"] else fixture.fails[0]
    assert fixture.message in outputs[first], outputs[first][-1500:]


@pytest.mark.parametrize("short", sorted(ASSIGNMENTS))
def test_honest_solutions_keep_every_point(graded, short):
    score = graded.routed[ASSIGNMENTS[short], f"aaa-honest-{short}"]
    assert score.code_score == score.max_code_score > 0, code_grades(score)


def test_the_students_graded_after_the_hostile_ones_get_full_marks(graded):
    score = graded.routed[ASSIGNMENTS["a2"], "zzz-honest-a2"]
    assert score.code_score == score.max_code_score, code_grades(score)
    assert "FAILED" not in graded.engine
