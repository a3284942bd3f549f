"""The LMS round trip on a throw-away course: zips in, grades and feedback out.

A temporary course (``tests.support.course``) with its own ``classroom.toml`` (a2 due 2026-11-01
12:00 UTC, weight 3; a3 due 2026-11-15 12:00 UTC, weight 1; 10 % per started day, capped at 30 %)
and a roster of four students, one of whom never submits. Two LMS downloads are built here as real
zips with real file times:

- Canvas, a2: Jane Doe on time; Richard Roe 25 h late (Canvas's ``LATE`` marker and re-upload
  name ``-1``) after an older blank upload; a student not on the roster; a text file.
- Moodle, a3: Jane Doe in Moodle's folder layout; Ann Miller flat, under a participant number
  not on the roster (matched by name), her notebook renamed; an online-text file.

Then ``make due-dates``' code, ``make autograde`` (the course's sandboxed engine), a manual grade
with a comment, a single student's regrade (``make autograde STUDENT=... ASSIGNMENT=...``),
``generate_feedback``, the two exports and the feedback zips. Expected scores come from the
notebooks' own points, not from the code under test.
"""

import csv
import datetime as dt
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grading.classroom.export import POINTS_ROW, feedback_zips
from grading.classroom.lms import collect_zip
from grading.classroom.settings import import_roster, set_due_dates
from tests.support.course import (
    COURSE_ID,
    gradebook_url,
    make_course,
    nbgrader_env,
    run_engine,
    run_nbgrader,
)

pytestmark = pytest.mark.slow

A2, A3 = "a2_batch_normalization", "a3_optimizers"
DUE = {
    A2: dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC),
    A3: dt.datetime(2026, 11, 15, 12, 0, tzinfo=dt.UTC),
}
WEIGHTS = {A2: 3.0, A3: 1.0}
MANUAL = 3.0  # points the instructor gives Jane's written a2 answer
CLASSROOM_TOML = f"""
[late_penalty]
per_day = 0.10
cap = 0.30

[lms]
zip_time_zone = "UTC"
total_column = "Total (%)"

[assignments.{A2}]
due = {DUE[A2].isoformat().replace("+00:00", "Z")}
weight = {WEIGHTS[A2]}
lms_column = "A2 Batch norm (1002)"

[assignments.{A3}]
due = {DUE[A3].isoformat().replace("+00:00", "Z")}
weight = {WEIGHTS[A3]}
lms_column = "A3 Optimizers (1003)"
"""
ROSTER = """id,first_name,last_name,email,lms_user_id
jdoe,Jane,Doe,jdoe@example.org,1001
rroe,Richard,Roe,,1002
amiller,Ann,Miller,,1003
nshow,Nora,Show,,1004
"""


def notebook_points(path: Path) -> tuple[float, float]:
    """(autograded points, manually graded points) of an instructor notebook."""
    cells = json.loads(path.read_text())["cells"]
    auto = manual = 0.0
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            if meta.get("solution"):
                manual += meta.get("points", 0)
            else:
                auto += meta.get("points", 0)
    return auto, manual


def make_zip(path: Path, entries) -> Path:
    """A zip like an LMS's: ``entries`` is [(name, bytes, UTC time of the submission)]."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, when in entries:
            info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
            zf.writestr(info, data)
    return path


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lms")
    root = make_course(tmp / "course")
    (root / "classroom.toml").write_text(CLASSROOM_TOML)
    for name in (A2, A3):
        done = run_nbgrader(root, "generate_assignment", name, "--force")
        assert done.returncode == 0, done.stdout + done.stderr
    (tmp / "roster.csv").write_text(ROSTER)
    assert import_roster(tmp / "roster.csv", root) == ["jdoe", "rroe", "amiller", "nshow"]
    set_due_dates(root)

    solution = {n: (root / "solutions" / n / f"{n}.ipynb").read_bytes() for n in (A2, A3)}
    blank = {n: (root / "assignments" / n / f"{n}.ipynb").read_bytes() for n in (A2, A3)}
    hour = dt.timedelta(hours=1)
    canvas = make_zip(
        tmp / "submissions.zip",
        [
            (f"doejane_1001_5551_{A2}.ipynb", solution[A2], DUE[A2] - 2 * hour),
            (f"roerichard_LATE_1002_5550_{A2}.ipynb", blank[A2], DUE[A2] + hour),
            (f"roerichard_LATE_1002_5552_{A2}-1.ipynb", solution[A2], DUE[A2] + 25 * hour),
            (f"smithpat_1999_5553_{A2}.ipynb", solution[A2], DUE[A2] - hour),
            ("doejane_1001_5551_notes.txt", b"my notes", DUE[A2] - hour),
        ],
    )
    moodle = make_zip(
        tmp / "moodle-a3.zip",
        [
            (f"Jane Doe_1001_assignsubmission_file_/{A3}.ipynb", solution[A3], DUE[A3] - hour),
            ("Ann Miller_42_assignsubmission_file_my a3 (2).ipynb", blank[A3], DUE[A3] - hour),
            (
                "Richard Roe_1002_assignsubmission_onlinetext_onlinetext.html",
                b"<p>hi</p>",
                DUE[A3],
            ),
        ],
    )
    collected = {
        A2: collect_zip(canvas, A2, root),
        A3: collect_zip(moodle, A3, root, lms="moodle"),
    }

    graded = run_engine(root, "--jobs", "2")  # make autograde
    assert graded.returncode == 0, graded.stdout + graded.stderr
    return {"root": root, "tmp": tmp, "collected": collected, "autograde_log": graded.stdout}


def placed(result) -> dict:
    return {(p.student, p.notebook): Path(p.file).name for p in result.placed}


def not_placed(result) -> dict:
    return {Path(p.file).name: p.reason for p in result.not_placed}


# ------------------------------------------------------------------ collect-zip
def test_canvas_zip_lands_in_submitted_with_submission_times(course):
    root, result = course["root"], course["collected"][A2]
    assert placed(result) == {
        ("jdoe", f"{A2}.ipynb"): f"doejane_1001_5551_{A2}.ipynb",
        ("rroe", f"{A2}.ipynb"): f"roerichard_LATE_1002_5552_{A2}-1.ipynb",
    }
    for student in ("jdoe", "rroe"):
        assert (root / "submitted" / student / A2 / f"{A2}.ipynb").is_file()
    solution = (root / "solutions" / A2 / f"{A2}.ipynb").read_bytes()
    assert (root / "submitted" / "rroe" / A2 / f"{A2}.ipynb").read_bytes() == solution
    stamp = (root / "submitted" / "rroe" / A2 / "timestamp.txt").read_text()
    # nbgrader writes UTC without a zone
    assert dt.datetime.fromisoformat(stamp) == (DUE[A2] + dt.timedelta(hours=25)).replace(
        tzinfo=None
    )


def test_files_canvas_patterns_cannot_place_are_listed_with_reasons(course):
    reasons = not_placed(course["collected"][A2])
    assert set(reasons) == {
        f"roerichard_LATE_1002_5550_{A2}.ipynb",
        f"smithpat_1999_5553_{A2}.ipynb",
        "doejane_1001_5551_notes.txt",
    }
    assert "older upload" in reasons[f"roerichard_LATE_1002_5550_{A2}.ipynb"]
    assert "not on the roster" in reasons[f"smithpat_1999_5553_{A2}.ipynb"]
    assert "not a notebook" in reasons["doejane_1001_5551_notes.txt"]
    listing = (course["root"] / "downloaded" / A2 / "not-placed.txt").read_text()
    assert all(name in listing for name in reasons)
    assert not (course["root"] / "submitted" / "smithpat").exists()


def test_moodle_zip_in_both_layouts_by_id_and_by_name(course):
    result = course["collected"][A3]
    assert placed(result) == {
        ("jdoe", f"{A3}.ipynb"): f"{A3}.ipynb",
        ("amiller", f"{A3}.ipynb"): "Ann Miller_42_assignsubmission_file_my a3 (2).ipynb",
    }
    assert set(not_placed(result)) == {
        "Richard Roe_1002_assignsubmission_onlinetext_onlinetext.html"
    }
    blank = (course["root"] / "assignments" / A3 / f"{A3}.ipynb").read_bytes()
    assert (course["root"] / "submitted" / "amiller" / A3 / f"{A3}.ipynb").read_bytes() == blank


# ------------------------------------------------------------------ late penalty


def gradebook(root):
    from nbgrader.api import Gradebook

    return Gradebook(gradebook_url(root), course_id=COURSE_ID)


def test_late_submission_loses_twenty_percent_and_feedback_says_so(course):
    root = course["root"]
    auto, _ = notebook_points(root / "solutions" / A2 / f"{A2}.ipynb")
    with gradebook(root) as gb:
        late = gb.find_submission(A2, "rroe")
        on_time = gb.find_submission(A2, "jdoe")
        assert late.total_seconds_late == pytest.approx(25 * 3600)
        assert late.code_score == auto
        assert late.late_submission_penalty == pytest.approx(0.2 * auto)
        assert on_time.total_seconds_late == 0 and not on_time.late_submission_penalty
        assert gb.find_assignment(A2).duedate == DUE[A2].replace(tzinfo=None)
    done = run_nbgrader(root, "generate_feedback", A2, "--student", "rroe", "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    html = (root / "feedback" / "rroe" / A2 / f"{A2}.html").read_text()
    assert f"Late submission penalty (Score: -{round(0.2 * auto, 2)})" in html


# ------------------------------------------------------------------ regrade keeps a manual grade
def test_regrading_one_student_keeps_the_manual_grade_and_comment(course):
    root = course["root"]
    with gradebook(root) as gb:
        submission = gb.find_submission(A2, "jdoe")
        written = next(g for g in submission.notebooks[0].grades if g.cell_type == "markdown")
        written.manual_score = MANUAL
        comment = gb.find_comment(written.name, A2, A2, "jdoe")
        comment.manual_comment = "Right idea; name the folded scale."
        gb.db.commit()
        name = written.name
    stamp_before = (root / "autograded" / "rroe" / A2 / f"{A2}.ipynb").stat().st_mtime
    # make autograde STUDENT=jdoe ASSIGNMENT=a2_batch_normalization FORCE=1
    done = run_engine(root, "--assignment", A2, "--student", "jdoe", "--force", "--jobs", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    with gradebook(root) as gb:
        grade = gb.find_grade(name, A2, A2, "jdoe")
        assert grade.manual_score == MANUAL
        assert gb.find_comment(name, A2, A2, "jdoe").manual_comment.startswith("Right idea")
        auto, _ = notebook_points(root / "solutions" / A2 / f"{A2}.ipynb")
        assert gb.find_submission(A2, "jdoe").score == auto + MANUAL
    # only Jane was regraded
    assert (root / "autograded" / "rroe" / A2 / f"{A2}.ipynb").stat().st_mtime == stamp_before


# ------------------------------------------------------------------ export
def test_lms_csv_has_one_row_per_student_and_the_weighted_total(course):
    root = course["root"]
    out = root / "build" / "grades-lms.csv"
    done = run_nbgrader(
        root, "export", "--exporter=grading.classroom.export.CanvasExportPlugin", "--to", str(out)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = list(csv.reader(io.StringIO(out.read_text())))
    auto2, manual2 = notebook_points(root / "solutions" / A2 / f"{A2}.ipynb")
    auto3, manual3 = notebook_points(root / "solutions" / A3 / f"{A3}.ipynb")
    max2, max3 = auto2 + manual2, auto3 + manual3
    with gradebook(root) as gb:
        jane_a2 = gb.find_submission(A2, "jdoe").score  # regraded or not: auto (+ manual)

    def total(s2, s3):
        return round(100 * (0.75 * s2 / max2 + 0.25 * s3 / max3), 2)

    assert rows[0] == [
        "Student", "ID", "SIS User ID", "SIS Login ID", "Section",
        "A2 Batch norm (1002)", "A3 Optimizers (1003)", "Total (%)",
    ]  # fmt: skip
    expected = [
        [POINTS_ROW, "", "", "", "", max2, max3, 100.0],
        ["Doe, Jane", "1001", "jdoe", "", "", jane_a2, auto3, total(jane_a2, auto3)],
        ["Miller, Ann", "1003", "amiller", "", "", 0.0, 0.0, 0.0],
        ["Roe, Richard", "1002", "rroe", "", "", 0.8 * auto2, 0.0, total(0.8 * auto2, 0)],
        ["Show, Nora", "1004", "nshow", "", "", 0.0, 0.0, 0.0],
    ]
    assert len(rows) == len(expected) + 1
    for got, want in zip(rows[1:], expected, strict=True):
        for column, (cell, value) in enumerate(zip(got, want, strict=True)):
            where = f"{got[0]!r}, column {rows[0][column]!r}"
            if isinstance(value, float):
                assert float(cell) == pytest.approx(round(value, 2), abs=0.005), where
            else:
                assert cell == value, where


def test_nbgraders_own_export_gives_the_non_submitter_zero_everywhere(course):
    root = course["root"]
    done = run_nbgrader(root, "export", "--to", str(root / "grades.csv"))
    assert done.returncode == 0, done.stdout + done.stderr
    with open(root / "grades.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["student_id"] == "nshow"]
    assert sorted(r["assignment"] for r in rows) == [A2, A3]
    assert all(float(r["score"]) == 0 for r in rows)


def test_feedback_zip_holds_every_students_feedback_under_its_lms_name(course):
    root = course["root"]
    done = run_nbgrader(root, "generate_feedback", "*", "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    zips = feedback_zips(root)
    assert set(zips) == {A2, A3}
    with zipfile.ZipFile(zips[A2][0]) as zf:
        names = sorted(zf.namelist())
        assert names == [
            f"doejane_1001_5551_{A2}-feedback.html",
            f"roerichard_LATE_1002_5552_{A2}-feedback.html",
        ]
        assert b"Late submission penalty" in zf.read(names[1])
    with zipfile.ZipFile(zips[A3][0]) as zf:
        assert sorted(zf.namelist()) == [f"amiller_{A3}-feedback.html", f"jdoe_{A3}-feedback.html"]


# ------------------------------------------------------------------ bad input


def test_collect_zip_rejects_an_unknown_assignment_and_lms(course, tmp_path):
    archive = make_zip(tmp_path / "x.zip", [("a.ipynb", b"{}", DUE[A2])])
    with pytest.raises(ValueError, match="assignment must be a released one"):
        collect_zip(archive, "a9", course["root"])
    with pytest.raises(ValueError, match="lms must be one of"):
        collect_zip(archive, A2, course["root"], lms="blackboard")


# ------------------------------------------------------------------ command line (last)
def test_collect_zip_command_prints_what_went_where(course):
    root = course["root"]
    done = subprocess.run(
        [sys.executable, "-m", "grading.classroom.lms", str(course["tmp"] / "submissions.zip")]
        + ["--assignment", A2, "--lms", "canvas"],
        cwd=root,
        env=nbgrader_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    jane = f"placed     doejane_1001_5551_{A2}.ipynb -> submitted/jdoe/{A2}/{A2}.ipynb"
    assert any(line.startswith(jane) for line in lines), done.stdout
    assert any(line.startswith(f"NOT PLACED smithpat_1999_5553_{A2}.ipynb: ") for line in lines)
    assert lines[-1].startswith("2 notebooks placed, 3 files not placed")


# ------------------------------------------------------------------ the report on a real run
def test_report_reads_the_engines_grading_log(course):
    from grading.classroom.report import summarize, write_report

    root = course["root"]
    summary = summarize(root)
    graded = [(e["assignment"], e["student"]) for e in summary.log]
    # four submissions graded once, Jane's a2 regraded
    assert sorted(graded) == sorted(
        [(A2, "jdoe"), (A2, "rroe"), (A3, "jdoe"), (A3, "amiller"), (A2, "jdoe")]
    )
    assert all(e["status"] == "graded" and e["seconds"] > 0 for e in summary.log)
    assert summary.missing[A2] == ["amiller", "nshow"] and summary.missing[A3] == ["nshow", "rroe"]
    assert summary.percents[A3]["amiller"] == 0.0
    assert "5 submissions graded in" in write_report(root).read_text()
