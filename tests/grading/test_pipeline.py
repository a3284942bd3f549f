"""The grading pipeline end to end: nbgrader's own command line on a throw-away copy of the course.

One temporary course for the module (``tests.support.course``): ``nbgrader generate_assignment``
builds every assignment from ``solutions/``, then a single ``nbgrader autograde "*"`` grades all
submissions, ``nbgrader generate_feedback "*"`` and ``nbgrader export`` follow. Results are read
from the gradebook (``nbgrader.api``) and from the files nbgrader writes, never from exit codes
alone. Submissions:

- every assignment: ``solution`` (the instructor notebook, must get every autograded point) and
  ``blank`` (the release as handed out, must get 0 without crashing the grader);
- on ``EDGE``, the cheapest assignment to grade: ``edge-one-wrong`` (one function returns None),
  ``edge-tampered`` (the same, with test cells edited and deleted, and an infinite loop in a cell
  of its own: one notebook run less) and ``edge-invalid`` (not a notebook). Their names sort
  before ``solution``, so the other students are graded after them.

The edge cases are built from the notebooks' structure (a solution cell is followed by the test
cells that grade it), so they work for any assignment of the course.
"""

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grading.plugins.execution import STUDENT_CELL_TIMEOUT
from tests import ROOT
from tests.support.course import (
    available_assignments,
    html_text,
    make_course,
    read_scores,
    run_nbgrader,
    submit,
)

pytestmark = pytest.mark.slow

ASSIGNMENTS = available_assignments()
# Cheapest to autograde first (measured with benchmarks/autograde.py): NumPy work before training.
CHEAPEST_FIRST = (
    "a2_batch_normalization",
    "a3_optimizers",
    "a1_unstable_gradients",
    "a4_transfer_learning",
    "a5_regularization",
)
EDGE = next(a for a in CHEAPEST_FIRST if a in ASSIGNMENTS)
SOLUTION_DELIMITERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_DELIMITERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


# ------------------------------------------------------------------ notebook structure
def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def source(cell) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def is_test(cell) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell["cell_type"] == "code"


def is_answer_code(cell) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("solution")) and not meta.get("grade") and cell["cell_type"] == "code"


def region_lines(text: str, begin: str, end: str) -> list[str]:
    """The lines strictly between ``begin`` and ``end`` delimiter lines."""
    lines, inside = [], False
    for line in text.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def meaningful(lines) -> set[str]:
    """Lines worth searching for: stripped, with a letter or digit, not a bare comment."""
    return {
        s
        for s in (line.strip() for line in lines)
        if len(s) >= 8 and re.search(r"[A-Za-z0-9]", s) and not s.startswith("#")
    }


def outside_regions(text: str, begin: str, end: str) -> str:
    """``text`` without its delimited regions (delimiter lines included)."""
    lines, inside = [], False
    for line in text.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif not inside:
            lines.append(line)
    return "\n".join(lines)


def visible_text(nb) -> str:
    """Everything in an instructor notebook but its hidden tests."""
    return "\n".join(outside_regions(source(c), *HIDDEN_DELIMITERS) for c in nb["cells"])


def answer_cell_tests(nb) -> dict:
    """{grade_id of an autograded answer cell: [grade_ids of the test cells that follow it]}."""
    groups, current = {}, None
    for cell in nb["cells"]:
        if is_answer_code(cell):
            current = nbgrader_meta(cell)["grade_id"]
            groups[current] = []
        elif is_test(cell) and current is not None:
            groups[current].append(nbgrader_meta(cell)["grade_id"])
    return groups


def cell_by_id(nb, grade_id):
    return next(c for c in nb["cells"] if nbgrader_meta(c).get("grade_id") == grade_id)


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ edge-case submissions
def wrong_variant(nb) -> tuple[dict, str]:
    """The notebook with the last function-only answer cell returning None; that cell's id."""
    groups = answer_cell_tests(nb)
    for cell in reversed(nb["cells"]):
        if not is_answer_code(cell) or not groups[nbgrader_meta(cell)["grade_id"]]:
            continue
        lines = source(cell).split("\n")
        begins = [i for i, line in enumerate(lines) if SOLUTION_DELIMITERS[0] in line]
        if begins and all(lines[i].startswith((" ", "\t")) for i in begins):
            new, inside = [], False
            for line in lines:
                if SOLUTION_DELIMITERS[0] in line:
                    inside = True
                    indent = line[: len(line) - len(line.lstrip())]
                    new.append(f"{indent}return None  # wrong on purpose")
                elif SOLUTION_DELIMITERS[1] in line:
                    inside = False
                elif not inside:
                    new.append(line)
            wrong = json.loads(json.dumps(nb))
            cell_by_id(wrong, nbgrader_meta(cell)["grade_id"])["source"] = "\n".join(new)
            return wrong, nbgrader_meta(cell)["grade_id"]
    raise AssertionError(f"{EDGE}: no answer cell holding only function bodies to break")


def tampered_variant(nb):
    """``wrong_variant`` whose tests are edited or deleted to hide the damage, plus damage to the
    tests of a correct function and the deletion of the written answers. Returns the notebook,
    the broken cell's id, and the ids of the deleted cells."""
    tampered, broken = wrong_variant(nb)
    groups = answer_cell_tests(nb)
    other = next(g for g, tests in groups.items() if g != broken and len(tests) >= 2)
    deleted = {groups[other][0]}  # a passing test: must come back and give its points
    cell_by_id(tampered, groups[other][1])["source"] = "raise AssertionError('edited')"
    for test_id in groups[broken]:
        test = cell_by_id(tampered, test_id)
        if HIDDEN_DELIMITERS[0] in source(cell_by_id(nb, test_id)):
            deleted.add(test_id)  # a failing hidden test: must come back and fail
        else:
            test["source"] = "pass  # edited by the student"
    answers = [
        nbgrader_meta(c)["grade_id"]
        for c in nb["cells"]
        if nbgrader_meta(c).get("grade") and nbgrader_meta(c).get("solution")
    ]
    deleted.update(answers)  # written answers sit under read-only questions
    tampered["cells"] = [
        c for c in tampered["cells"] if nbgrader_meta(c).get("grade_id") not in deleted
    ]
    return tampered, broken, deleted


def loop_variant(nb) -> dict:
    """The notebook with a cell of the student's own that never ends, right after the setup.
    It waits rather than spins: the cell time limit stops either the same way, and a spinning
    loop would take a core from the rest of the test suite for the whole limit."""
    looping = json.loads(json.dumps(nb))
    first_code = next(i for i, c in enumerate(looping["cells"]) if c["cell_type"] == "code")
    loop_cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "student-loop",
        "metadata": {},
        "outputs": [],
        "source": "while True:\n    __import__('time').sleep(0.1)",
    }
    looping["cells"].insert(first_code + 1, loop_cell)
    return looping


# ------------------------------------------------------------------ the course
@dataclass
class Course:
    root: Path
    autograde_log: str
    feedback_log: str
    scores: dict
    broken: str = ""
    deleted: set = field(default_factory=set)

    def autograded(self, student, assignment) -> Path:
        return self.root / "autograded" / student / assignment / f"{assignment}.ipynb"

    def feedback(self, student, assignment) -> Path:
        return self.root / "feedback" / student / assignment / f"{assignment}.html"

    def solution(self, assignment) -> dict:
        return load(self.root / "solutions" / assignment / f"{assignment}.ipynb")

    def release(self, assignment) -> dict:
        return load(self.root / "assignments" / assignment / f"{assignment}.ipynb")


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    root = make_course(tmp_path_factory.mktemp("grading") / "course")
    generated = run_nbgrader(root, "generate_assignment", "*", "--force")
    assert generated.returncode == 0, generated.stdout + generated.stderr

    for name in ASSIGNMENTS:
        submit(root, "solution", name, root / "solutions" / name / f"{name}.ipynb")
        submit(root, "blank", name, root / "assignments" / name / f"{name}.ipynb")
    edge_solution = load(root / "solutions" / EDGE / f"{EDGE}.ipynb")
    one_wrong, _ = wrong_variant(edge_solution)
    tampered, broken, deleted = tampered_variant(edge_solution)
    submit(root, "edge-one-wrong", EDGE, one_wrong)
    submit(root, "edge-tampered", EDGE, loop_variant(tampered))
    submit(root, "edge-invalid", EDGE, "this is not a notebook {")

    graded = run_nbgrader(root, "autograde", "*")
    feedback = run_nbgrader(root, "generate_feedback", "*")
    exported = run_nbgrader(root, "export", "--to", str(root / "grades.csv"))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    return Course(
        root=root,
        autograde_log=graded.stdout + graded.stderr,
        feedback_log=feedback.stdout + feedback.stderr,
        scores=read_scores(root),
        broken=broken,
        deleted=deleted,
    )


def lost_points(score) -> dict:
    """{grade_id: (auto_score, max_score)} of the autograded test cells short of full points."""
    return {
        gid: (auto, top)
        for gid, (auto, top, cell_type) in score.grades.items()
        if cell_type == "code" and (auto or 0) < top
    }


def autograded_tests(nb) -> set[str]:
    return {nbgrader_meta(c)["grade_id"] for c in nb["cells"] if is_test(c)}


# ------------------------------------------------------------------ 1. the release
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_committed_release_is_what_nbgrader_generates(course, name):
    committed_path = ROOT / "assignments" / name / f"{name}.ipynb"
    assert committed_path.is_file(), f"{committed_path} is missing: run `make release`"
    committed, generated = load(committed_path), course.release(name)
    assert len(committed["cells"]) == len(generated["cells"]), "cell count differs: make release"
    for i, (mine, fresh) in enumerate(zip(committed["cells"], generated["cells"], strict=True)):
        where = f"{name} cell {i} ({nbgrader_meta(fresh).get('grade_id')})"
        assert mine["cell_type"] == fresh["cell_type"], f"{where}: cell type differs"
        assert source(mine) == source(fresh), f"{where}: source differs: run `make release`"
        assert nbgrader_meta(mine) == nbgrader_meta(fresh), f"{where}: nbgrader metadata differs"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_holds_no_solution_and_no_hidden_test(course, name):
    solution, release = course.solution(name), course.release(name)
    released_text = "\n".join(source(c) for c in release["cells"])
    for marker in (*SOLUTION_DELIMITERS, *HIDDEN_DELIMITERS):
        assert marker.lstrip("# ") not in released_text, f"{marker!r} left in the release"
    visible = visible_text(solution)
    n_hidden = 0
    for cell in solution["cells"]:
        gid = nbgrader_meta(cell).get("grade_id")
        answer = meaningful(region_lines(source(cell), *SOLUTION_DELIMITERS))
        if answer:
            released = source(cell_by_id(release, gid))
            leaked = [line for line in answer if line in released]
            assert not leaked, f"{name}/{gid}: solution code in the release: {leaked}"
        hidden = meaningful(region_lines(source(cell), *HIDDEN_DELIMITERS))
        n_hidden += bool(hidden)
        leaked = [line for line in hidden if line in released_text and line not in visible]
        assert not leaked, f"{name}/{gid}: hidden test code in the release: {leaked}"
    assert n_hidden >= 1, f"{name} has no hidden tests"


# ------------------------------------------------------------------ 2. and 3. full and zero
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solution_gets_every_autograded_point(course, name):
    score = course.scores[name, "solution"]
    assert score.max_code_score > 0
    assert score.code_score == score.max_code_score, f"lost: {lost_points(score)}"
    assert course.autograded("solution", name).is_file()


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_blank_release_gets_zero_and_is_graded_to_the_end(course, name):
    score = course.scores[name, "blank"]
    assert score.code_score == 0, f"points for an empty notebook: {score.grades}"
    graded = load(course.autograded("blank", name))
    tests = [c for c in graded["cells"] if is_test(c)]
    not_run = [nbgrader_meta(c)["grade_id"] for c in tests if c.get("execution_count") is None]
    assert not not_run, f"test cells that never ran: {not_run}"
    unscored = [nbgrader_meta(c)["grade_id"] for c in tests]
    unscored = [gid for gid in unscored if score.grades[gid][0] is None]
    assert not unscored, f"test cells without a score: {unscored}"


# ------------------------------------------------------------------ 4. one function wrong
def test_one_wrong_function_loses_exactly_its_points(course):
    groups = answer_cell_tests(course.solution(EDGE))
    score = course.scores[EDGE, "edge-one-wrong"]
    assert set(lost_points(score)) == set(groups[course.broken]), (
        f"{course.broken} returns None: expected to lose {groups[course.broken]}, "
        f"lost {lost_points(score)}"
    )
    expected = score.max_code_score - sum(score.grades[g][1] for g in groups[course.broken])
    assert score.code_score == expected > 0


# ------------------------------------------------------------------ 5. tampered tests
def test_edited_and_deleted_test_cells_are_graded_with_the_originals(course):
    groups = answer_cell_tests(course.solution(EDGE))
    tampered = course.scores[EDGE, "edge-tampered"]
    one_wrong = course.scores[EDGE, "edge-one-wrong"]
    assert set(lost_points(tampered)) == set(groups[course.broken]), (
        f"edited tests must fail as the originals do: lost {lost_points(tampered)}"
    )
    assert tampered.code_score == one_wrong.code_score
    graded = load(course.autograded("edge-tampered", EDGE))
    present = [nbgrader_meta(c).get("grade_id") for c in graded["cells"]]
    original = [nbgrader_meta(c).get("grade_id") for c in course.solution(EDGE)["cells"]]
    for gid in course.deleted:
        assert gid in present, f"deleted cell {gid} was not put back"
        before = original[original.index(gid) - 1]
        assert present.index(gid) == present.index(before) + 1, f"{gid} put back elsewhere"
        if gid in autograded_tests(graded):
            assert tampered.grades[gid][0] is not None, f"restored test {gid} was not run"


# ------------------------------------------------------------------ 6. infinite loop
def test_infinite_loop_is_stopped_by_the_cell_timeout(course):
    assert f"Timeout waiting for execute reply ({STUDENT_CELL_TIMEOUT}s)" in course.autograde_log
    graded = load(course.autograded("edge-tampered", EDGE))
    loop = next(c for c in graded["cells"] if source(c).startswith("while True"))
    errors = [o.get("ename") for o in loop["outputs"] if o["output_type"] == "error"]
    assert "CellTimeoutError" in errors, f"the loop cell's errors: {errors}"
    # Every later cell ran as usual: the points lost are the broken function's, no more.
    groups = answer_cell_tests(course.solution(EDGE))
    lost = lost_points(course.scores[EDGE, "edge-tampered"])
    assert set(lost) == set(groups[course.broken]), f"cells after the loop: lost {lost}"


# ------------------------------------------------------------------ 7. not a notebook
def test_invalid_notebook_gets_a_clear_error_and_the_others_are_graded(course):
    log = course.autograde_log
    assert f"error processing assignment '{EDGE}' for student 'edge-invalid'" in log
    assert "Notebook does not appear to be JSON" in log
    failed = set(re.findall(r"error processing assignment '[^']+' for student '([^']+)'", log))
    assert failed == {"edge-invalid"}, f"students whose grading failed: {failed}"
    assert not course.autograded("edge-invalid", EDGE).exists()
    assert course.scores[EDGE, "edge-invalid"].code_score == 0
    for name in ASSIGNMENTS:  # graded in the same run, after the broken file
        assert course.scores[name, "solution"].code_score > 0


# ------------------------------------------------------------------ 8. feedback and export
def submissions(course):
    return sorted(key for key in course.scores if key[1] != "edge-invalid")


def test_feedback_html_for_every_graded_submission(course):
    missing = [k for k in submissions(course) if not course.feedback(k[1], k[0]).is_file()]
    assert not missing, f"no feedback for {missing}\n{course.feedback_log[-3000:]}"
    for student in ("edge-one-wrong", "solution", "blank"):
        score = course.scores[EDGE, student]
        text = html_text(course.feedback(student, EDGE).read_text(encoding="utf-8"))
        total = f"{EDGE} (Score: {float(score.score)} / {float(score.max_score)})"
        assert total in text, f"{student}'s feedback lacks its total {total!r}"


def test_plain_nbgrader_autograde_backs_up_the_gradebook_first(course):
    backups = sorted((course.root / "backups").glob("gradebook-*.db"))
    assert backups, "nbgrader autograde ran without a gradebook backup"
    assert "Gradebook backed up to" in course.autograde_log


def test_csv_export_lists_every_student_with_their_score(course):
    with open(course.root / "grades.csv", newline="") as f:
        rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(f)}
    for key, score in course.scores.items():
        assert key in rows, f"{key} missing from the CSV export"
        assert float(rows[key]["score"]) == pytest.approx(score.score), key
        assert float(rows[key]["max_score"]) == pytest.approx(score.max_score), key
    assert float(rows[EDGE, "solution"]["score"]) == course.scores[EDGE, "solution"].max_code_score
    assert float(rows[EDGE, "blank"]["score"]) == 0


# ------------------------------------------------------------------ 9. no hidden code in feedback
def hidden_code(course, name) -> set[str]:
    """Hidden-test lines of ``name`` that appear nowhere else in the instructor notebook."""
    solution = course.solution(name)
    hidden = set()
    for cell in solution["cells"]:
        hidden |= meaningful(region_lines(source(cell), *HIDDEN_DELIMITERS))
    visible = visible_text(solution)
    return {line for line in hidden if line not in visible}


def leaks(html: str, lines: set[str]) -> list[str]:
    text = html_text(html)
    return sorted(line for line in lines if line in text or line in html)


def test_leak_check_finds_hidden_code_in_an_ordinary_rendering(course):
    """The check below can fail: rendered without our preprocessor, the graded notebook (what
    nbgrader's default feedback shows) gives the hidden tests away."""
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter().from_filename(str(course.autograded("blank", EDGE)))
    assert leaks(html, hidden_code(course, EDGE)), "the leak check finds nothing: it is broken"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_feedback_never_shows_hidden_test_code(course, name):
    lines = hidden_code(course, name)
    assert lines, f"{name}: no hidden-test lines to look for"
    for key in submissions(course):
        if key[0] == name:
            html = course.feedback(key[1], name).read_text(encoding="utf-8")
            assert not leaks(html, lines), f"feedback for {key} shows hidden tests"


def test_feedback_names_the_failed_hidden_tests_and_their_messages(course):
    graded = load(course.autograded("edge-one-wrong", EDGE))
    text = html_text(course.feedback("edge-one-wrong", EDGE).read_text(encoding="utf-8"))
    failed_hidden = [
        c
        for c in graded["cells"]
        if is_test(c)
        and HIDDEN_DELIMITERS[0] in source(c)
        and any(o["output_type"] == "error" for o in c["outputs"])
    ]
    assert failed_hidden, f"{course.broken} returns None: some hidden test should fail"
    for cell in failed_hidden:
        gid = nbgrader_meta(cell)["grade_id"]
        error = next(o for o in cell["outputs"] if o["output_type"] == "error")
        assert f"Grade cell: {gid}" in text, f"feedback does not name {gid}"
        message = f"{error['ename']}: {error['evalue']}"
        assert message in text, f"feedback lacks {gid}'s message {message!r}"


# ------------------------------------------------------------------ students' copy
def test_student_bundle_leaves_out_solutions_and_hidden_tests(tmp_path):
    from grading.classroom.bundle import build_bundle

    out = build_bundle(tmp_path / "bundle", make_zip=False)
    assert (out / "assignments").is_dir() and (out / "helpers").is_dir()
    for gone in ("solutions", "grading", "tests/grading/test_pipeline.py"):
        assert not (out / gone).exists(), f"{gone} is in the student bundle"
    # the students' nbgrader configuration (whole lines in validate), never the instructor's
    students_config = (ROOT / "tools" / "environment" / "nbgrader_config.py").read_text()
    assert (out / "nbgrader_config.py").read_text() == students_config
    for name in ASSIGNMENTS:
        assert (out / "assignments" / name / f"{name}.ipynb").is_file(), f"{name} missing"
    for notebook in out.rglob("*.ipynb"):
        text = notebook.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, notebook
