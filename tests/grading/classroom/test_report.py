"""The grading report from a small gradebook of known scores.

nbgrader generates a2 in a throw-away course (the gradebook gets its real cells and points);
four submissions get known test-cell scores through nbgrader's gradebook API, one of them a late
penalty, a fifth student on the roster never submits. Two autograded notebooks carry failing
test messages, and a grading log in the lead's format (COORDINATION.md) has a timeout. The
numbers ``summarize`` returns and the page ``write_report`` writes are checked against them.
"""

import json

import pytest

from grading.classroom.report import summarize, write_report
from tests.support.course import COURSE_ID, gradebook_url, make_course, run_nbgrader

pytestmark = pytest.mark.slow

A2 = "a2_batch_normalization"
HIDDEN_MISTAKE = "batch_var: you divided by n-1; BatchNormalization uses the biased variance"
VISIBLE_MISTAKE = "fused kernel: gamma is missing from the scale"
# student -> test cells that score 0 (every other test cell scores full points)
FAILS = {
    "s1": set(),
    "s2": {"test-bn-train-hidden", "test-fuse-keras"},
    "s3": {"test-bn-train-hidden"},
    "s4": "all",
}
LATE_PENALTY = {"s3": 2.8}
LOG = [
    {"assignment": A2, "student": "s1", "seconds": 10.5, "status": "graded", "faults": []},
    {"assignment": A2, "student": "s2", "seconds": 20.0, "status": "graded", "faults": []},
    {
        "assignment": A2,
        "student": "s4",
        "seconds": 31.0,
        "status": "graded",
        "faults": [{"cell": "test-fuse-keras", "reason": "timeout after 30 s"}],
    },
]


def cells_of(root):
    """{grade_id: points} of a2's autograded test cells and its hidden ones, from solutions/."""
    cells = json.loads((root / "solutions" / A2 / f"{A2}.ipynb").read_text())["cells"]
    points, hidden = {}, set()
    for cell in cells:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            points[meta["grade_id"]] = meta["points"]
            if "BEGIN HIDDEN TESTS" in "".join(cell["source"]):
                hidden.add(meta["grade_id"])
    return points, hidden


def failing_notebook(root, student, messages):
    """An autograded notebook whose test cells in ``messages`` show that error."""
    nb = json.loads((root / "assignments" / A2 / f"{A2}.ipynb").read_text())
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in messages:
            cell["outputs"] = [
                {
                    "output_type": "error",
                    "ename": "AssertionError",
                    "evalue": messages[gid],
                    "traceback": [],
                }
            ]
    path = root / "autograded" / student / A2 / f"{A2}.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(nb))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from nbgrader.api import Gradebook

    root = make_course(tmp_path_factory.mktemp("report") / "course")
    done = run_nbgrader(root, "generate_assignment", A2, "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    points, _ = cells_of(root)
    with Gradebook(gradebook_url(root), course_id=COURSE_ID) as gb:
        for student in (*FAILS, "s5"):
            gb.update_or_create_student(student)
        for student, fails in FAILS.items():
            gb.add_submission(A2, student)
            for gid, top in points.items():
                grade = gb.find_grade(gid, A2, A2, student)
                grade.auto_score = 0.0 if fails == "all" or gid in fails else float(top)
            notebook = gb.find_submission_notebook(A2, A2, student)
            notebook.late_submission_penalty = LATE_PENALTY.get(student)
        gb.db.commit()
    failing_notebook(
        root, "s2", {"test-bn-train-hidden": HIDDEN_MISTAKE, "test-fuse-keras": VISIBLE_MISTAKE}
    )
    failing_notebook(root, "s3", {"test-bn-train-hidden": HIDDEN_MISTAKE})
    (root / "build").mkdir()
    (root / "build" / "grading-log.jsonl").write_text(
        "\n".join(json.dumps(e) for e in LOG) + "\nnot json\n"
    )
    return root


def test_score_distribution_after_late_penalties(course):
    points, _ = cells_of(course)
    auto = sum(points.values())
    top = auto + 4  # the written answer's 4 points, never graded here
    summary = summarize(course)
    assert summary.max_scores[A2] == top
    expected = {
        "s1": 100 * auto / top,
        "s2": 100 * (auto - points["test-bn-train-hidden"] - points["test-fuse-keras"]) / top,
        "s3": 100 * (auto - points["test-bn-train-hidden"] - 2.8) / top,
        "s4": 0.0,
    }
    assert summary.percents[A2] == pytest.approx(expected)
    assert summary.missing[A2] == ["s5"]


def test_failure_share_per_test_cell_visible_and_hidden(course):
    points, hidden = cells_of(course)
    summary = summarize(course)
    shares = {t.name: (t.failure_share, t.hidden, t.graded) for t in summary.tests}
    assert set(shares) == set(points)
    assert shares["test-bn-train-hidden"] == (0.75, True, 4)
    assert shares["test-fuse-keras"] == (0.5, False, 4)
    for gid in set(points) - {"test-bn-train-hidden", "test-fuse-keras"}:
        assert shares[gid] == (0.25, gid in hidden, 4), gid
    assert {t.name for t in summary.tests if t.hidden} == hidden


def test_named_mistakes_are_counted_from_the_autograded_notebooks(course):
    summary = summarize(course)
    assert summary.mistakes.most_common() == [
        ((A2, f"AssertionError: {HIDDEN_MISTAKE}"), 2),
        ((A2, f"AssertionError: {VISIBLE_MISTAKE}"), 1),
    ]


def test_grading_times_and_faults_from_the_log(course):
    summary = summarize(course)
    assert [e["seconds"] for e in summary.log] == [10.5, 20.0, 31.0]
    assert summary.faults == [(A2, "s4", "test-fuse-keras", "timeout after 30 s")]


def test_report_page_has_the_plots_and_the_numbers(course):
    out = write_report(course)
    page = out.read_text()
    assert out == course / "build" / "report.html"
    assert page.count('src="data:image/png;base64,') == 4
    assert "4 submissions" in page and "1 on the roster without one" in page
    assert "3 submissions graded in 62 s (slowest 31.0 s)" in page
    assert "timeout after 30 s" in page
