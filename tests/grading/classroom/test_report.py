"""The grading report from a small gradebook of known scores, and its figures' text extents.

nbgrader generates a2 in a throw-away course (the gradebook gets its real cells and points); a3
is in the gradebook without a single submission. Four a2 submissions get known test-cell scores
through nbgrader's gradebook API, one of them 30 hours late (20 % under the course's policy of
10 % a started day); s5 on the roster never submits and s6 uploaded an empty file. Three
autograded notebooks carry failing tests: s2 and s3 make the same named mistake in
``batchnorm_train`` (s2 in two test cells), s2 another one in ``fuse_dense_bn``, and s4's blank
notebook fails every test without a named mistake. A grading log in the engine's format has a
timeout. The numbers ``summarize`` returns and the page ``write_report`` writes are checked
against them; every figure is drawn and no text may overlap another or another panel.
"""

import datetime as dt
import json

import matplotlib
import pytest
from matplotlib.text import Text

from grading.classroom.figures import failure_figure, score_figure, time_figure
from grading.classroom.report import GradedTest, Summary, summarize, write_report
from grading.classroom.settings import set_due_dates
from grading.classroom.standing import Standing
from tests.support.course import COURSE_ID, ROOT, gradebook_url, make_course, run_nbgrader

pytestmark = pytest.mark.slow

A2, A3 = "a2_batch_normalization", "a3_optimizers"
DUE = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
CLASSROOM = f"""
[late_penalty]
per_day = 0.10
cap = 0.30
[assignments.{A2}]
due = 2026-11-01T12:00:00Z
[assignments.{A3}]
due = 2026-11-15T12:00:00Z
"""
DDOF = "your variance is the unbiased one (ddof=1); batch norm divides by m."
GAMMA = "gamma is missing from the folded scale."
# student -> test cells that score 0 (every other test cell scores full points)
FAILS = {
    "s1": set(),
    "s2": {"test-bn-train-hidden", "test-bn-train-keras", "test-fuse-keras"},
    "s3": {"test-bn-train-hidden"},
    "s4": "all",
}
HOURS_LATE = {"s3": 30}
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
                    "ename": "CheckFailed",
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
    (root / "classroom.toml").write_text(CLASSROOM)
    done = run_nbgrader(root, "generate_assignment", A2, "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    set_due_dates(root)  # a3 gets its due date and no notebooks, nor submissions
    points, _ = cells_of(root)
    with Gradebook(gradebook_url(root), course_id=COURSE_ID) as gb:
        for student in (*FAILS, "s5", "s6"):
            gb.update_or_create_student(student, first_name=student.upper(), last_name="Test")
        for student, fails in FAILS.items():
            late = dt.timedelta(hours=HOURS_LATE.get(student, -1))
            gb.add_submission(A2, student, timestamp=(DUE + late).replace(tzinfo=None))
            for gid, top in points.items():
                grade = gb.find_grade(gid, A2, A2, student)
                grade.auto_score = 0.0 if fails == "all" or gid in fails else float(top)
        gb.db.commit()
    ddof = f"the batch variance is wrong. Likely mistake: {DDOF}"
    failing_notebook(
        root,
        "s2",
        {
            "test-bn-train-hidden": ddof,
            "test-bn-train-keras": ddof,
            "test-fuse-keras": f"the fused kernel is wrong. Likely mistake: {GAMMA}",
        },
    )
    failing_notebook(root, "s3", {"test-bn-train-hidden": ddof})
    failing_notebook(root, "s4", {gid: "NotImplementedError: " for gid in points})
    (root / "submitted" / "s6" / A2).mkdir(parents=True)
    (root / "submitted" / "s6" / A2 / f"{A2}.ipynb").write_bytes(b"")
    (root / "downloaded" / A2).mkdir(parents=True)
    (root / "downloaded" / A2 / "not-placed.txt").write_text(
        "extracted/smithpat_1999_5553_a2.ipynb: LMS id 1999 ('smithpat') is not on the roster\n"
    )
    (root / "build").mkdir()
    (root / "build" / "grading-log.jsonl").write_text(
        "\n".join(json.dumps(e) for e in LOG) + "\nnot json\n"
    )
    return root


def test_only_assignments_with_submissions_and_scores_after_late_penalties(course):
    points, _ = cells_of(course)
    auto = sum(points.values())
    top = auto + 4  # the written answer's 4 points, never graded here
    summary = summarize(course)
    assert summary.assignments == [A2]  # a3 has no submission: no panel, no row
    assert summary.max_scores[A2] == top
    s3_score = auto - points["test-bn-train-hidden"]
    lost = sum(points[g] for g in FAILS["s2"])
    expected = {
        "s1": 100 * auto / top,
        "s2": 100 * (auto - lost) / top,
        "s3": 100 * 0.8 * s3_score / top,  # 30 h late: two started days, 20 %
        "s4": 0.0,
    }
    assert summary.percents[A2] == pytest.approx(expected)
    assert summary.late[A2] == [("s3", 30.0, pytest.approx(0.2 * s3_score))]
    assert summary.missing[A2] == ["s5"]
    assert summary.unreadable[A2] == {"s6": f"{A2}.ipynb: the file is empty (0 bytes)"}
    assert summary.not_placed[A2] == [
        "extracted/smithpat_1999_5553_a2.ipynb: LMS id 1999 ('smithpat') is not on the roster"
    ]


def test_failure_share_per_test_cell_visible_and_hidden(course):
    points, hidden = cells_of(course)
    summary = summarize(course)
    shares = {t.name: (t.failure_share, t.hidden, t.graded) for t in summary.tests}
    assert set(shares) == set(points)
    assert shares["test-bn-train-hidden"] == (0.75, True, 4)
    assert shares["test-fuse-keras"] == (0.5, False, 4)
    assert shares["test-bn-train-keras"] == (0.5, False, 4)
    for gid in set(points) - set(FAILS["s2"]):
        assert shares[gid] == (0.25, gid in hidden, 4), gid


def test_named_mistakes_per_function_are_counted_in_students(course):
    summary = summarize(course)
    # s2's ddof mistake fails two cells and counts once; s4's 17 failing cells name nothing
    assert summary.mistakes[A2] == {
        "batchnorm_train": [(DDOF, ["s2", "s3"])],
        "fuse_dense_bn": [(GAMMA, ["s2"])],
    }


def test_grading_times_and_faults_from_the_log(course):
    summary = summarize(course)
    assert [e["seconds"] for e in summary.log] == [10.5, 20.0, 31.0]
    assert summary.faults == [(A2, "s4", "test-fuse-keras", "timeout after 30 s")]


def test_report_page_has_the_lists_the_table_and_the_plots(course):
    out = write_report(course)
    page = out.read_text()
    assert out == course / "build" / "report.html"
    assert page.count('src="data:image/png;base64,') == 3  # scores, a2's tests, times
    assert A3 not in page
    assert "4 submissions graded" in page and "1 on the roster without a submission" in page
    assert "<li><b>Missing</b>: s5</li>" in page
    assert "<li><b>Late</b>: s3 (30.0 h, -" in page
    assert f"s6: could not be read: {A2}.ipynb: the file is empty (0 bytes)" in page
    assert "smithpat_1999_5553_a2.ipynb: LMS id 1999" in page
    assert f"<code>batchnorm_train</code>: {DDOF}: 2 students" in page
    assert f"<code>fuse_dense_bn</code>: {GAMMA}: 1 student</li>" in page
    assert "<td>s5</td><td>S5 Test</td><td>missing</td>" in page
    assert "<td>s6</td><td>S6 Test</td><td>could not be read</td>" in page
    assert "3 submissions graded in 62 s (slowest 31.0 s). Slowest: s4 " in page
    assert "timeout after 30 s" in page


# ------------------------------------------------------------------ no overlapping text
def drawn_texts(fig) -> list:
    """(text, extent in pixels, the axes it belongs to) of every text the figure draws."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    found = [(t, None) for t in fig.texts]  # the suptitle among them
    for legend in fig.legends:
        found += [(t, None) for t in legend.get_texts()]
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        found += [(t, ax) for t in (ax.title, ax.xaxis.label, ax.yaxis.label)]
        for labels, (low, high), index in (
            (ax.get_xticklabels(), sorted(ax.get_xlim()), 0),
            (ax.get_yticklabels(), sorted(ax.get_ylim()), 1),
        ):
            found += [
                (t, ax)
                for t in labels
                if low - 1e-9 <= t.get_position()[index] <= high + 1e-9  # ticks in view only
            ]
    return [
        (t.get_text(), t.get_window_extent(renderer), ax)
        for t, ax in found
        if isinstance(t, Text) and t.get_visible() and t.get_text().strip()
    ]


def overlaps(fig) -> list:
    """Pairs of texts that overlap, texts over another panel's plot area, texts off the
    figure."""
    texts = drawn_texts(fig)
    problems = []
    for i, (a, box_a, _) in enumerate(texts):
        if not fig.bbox.contains(box_a.x0, box_a.y0) or not fig.bbox.contains(box_a.x1, box_a.y1):
            problems.append((a, "outside the figure"))
        for b, box_b, _ in texts[i + 1 :]:
            if box_a.shrunk(0.98, 0.98).overlaps(box_b.shrunk(0.98, 0.98)):
                problems.append((a, b))
        for ax in fig.axes:
            if ax.get_visible() and ax is not texts[i][2] and box_a.overlaps(ax.bbox):
                problems.append((a, f"the plot area of {ax.get_title()!r}"))
    return problems


def busy_summary() -> Summary:
    """Five assignments, every test cell of the course with its real name, a long log."""
    summary = Summary()
    for index, path in enumerate(sorted((ROOT / "solutions").glob("*/*.ipynb"))):
        name = path.parent.name
        summary.assignments.append(name)
        summary.results[name] = {
            f"student-{n:03d}": Standing((n * 7 + index) % 35, 34.0) for n in range(120)
        }
        summary.missing[name] = [f"student-{n:03d}" for n in range(120, 140)]
        for cell in json.loads(path.read_text())["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                summary.tests.append(
                    GradedTest(name, meta["grade_id"], "hidden" in meta["grade_id"])
                )
                summary.tests[-1].graded, summary.tests[-1].failed = 120, len(summary.tests) % 90
    summary.log = [
        {
            "assignment": a,
            "student": f"student-{n:03d}",
            "seconds": 20 + n % 40,
            "status": "graded",
        }
        for a in summary.assignments
        for n in range(120)
    ]
    return summary


def test_no_figure_has_overlapping_text():
    matplotlib.use("Agg")
    summary = busy_summary()
    figures = {"scores": score_figure(summary), "times": time_figure(summary)}
    figures |= {name: failure_figure(summary, name) for name in summary.assignments}
    for name, fig in figures.items():
        assert overlaps(fig) == [], name
    # sized for their contents: panels wrap in rows of three, one bar's height per test cell
    assert figures["scores"].get_size_inches() == pytest.approx([10.8, 2 * 2.9 + 0.4])
    a5 = sum(t.assignment == "a5_regularization" for t in summary.tests)
    assert figures["a5_regularization"].get_size_inches()[1] == pytest.approx(1.6 + 0.26 * a5)


@pytest.mark.parametrize("count", [1, 2, 4])
def test_the_score_figure_of_the_first_weeks_keeps_its_title_inside(count):
    """Early in the term one or two assignments have submissions: the title, wider than one or
    two panels, must still fit."""
    matplotlib.use("Agg")
    summary = busy_summary()
    summary.assignments = summary.assignments[:count]
    summary.log = summary.log[: 2 * count]
    fig = score_figure(summary)
    assert overlaps(fig) == []
    width = max(3.6 * min(count, 3), 6.4)
    few = time_figure(summary)  # a couple of submissions: ticks count whole submissions
    few.canvas.draw()
    assert all(float(t).is_integer() for t in few.axes[0].get_xticks())
    assert fig.get_size_inches() == pytest.approx([width, 2.9 * (1 if count <= 3 else 2) + 0.4])


def test_the_overlap_check_finds_overlapping_text():
    import matplotlib.pyplot as plt

    matplotlib.use("Agg")
    fig, axes = plt.subplots(1, 2, figsize=(3, 2))  # no layout engine: labels collide
    for ax in axes:
        ax.set_yticks(range(3), ["test-build_regularized_mlp-max_norm"] * 3)
        ax.set_title("a5_regularization: failure share per test cell")
    assert overlaps(fig)
    plt.close(fig)
