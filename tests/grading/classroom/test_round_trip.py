"""The instructor's term on a throw-away course: LMS zips in, grades and feedback out, none lost.

A temporary course (``tests.support.course``) with its own ``classroom.toml`` (a2 due 2026-11-01
12:00 UTC, weight 3, Canvas id 1002; a3 due in 2099, so not due yet, weight 1; 10 % per started
day, capped at 30 %) and a class of six:

- Jane Doe: a2 on time; a3 early, in Moodle's folder layout;
- Richard Roe: a2 30 hours late (Canvas's ``LATE`` marker, a ``-1`` re-upload after an older
  blank one): 20 % off, taken from the written answer too once it is graded;
- Ann Miller: a2 as ``A2 final (1).ipynb`` with a common mistake in every function; a3 flat
  under a Moodle participant number not on the roster (placed by name), blank;
- Bea Cut: a2 cut off in the upload (not a notebook nbgrader can read);
- Nora Show: submits nothing;
- Pat Smith: in the Canvas zip but not on the roster.

The cycle, as the instructor runs it: the roster, ``make due-dates``' code, ``make collect-zip``
with the good zip and then, as a later download, with a missing file, an empty one, a truncated
one, a web page, a text file and a zip with one damaged entry (each must fail apart and leave the
course exactly as it was), then the good zip again; ``make autograde`` (the course's sandboxed
engine); the written answers graded in formgrader (a real Jupyter server, its grade API); a
single student's regrade; ``make export``, ``nbgrader generate_feedback``, ``make feedback-zip``
and ``make report``. Expected scores come from the notebooks' own points, not from the code under
test.
"""

import csv
import datetime as dt
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from grading.classroom.export import POINTS_ROW, feedback_zips
from grading.classroom.lms import collect_zip
from grading.classroom.settings import import_roster, set_due_dates
from tests.support.assignment_mistakes import ROUNDS, apply_edits
from tests.support.course import (
    COURSE_ID,
    gradebook_url,
    html_text,
    make_course,
    nbgrader_env,
    run_engine,
    run_module,
    run_nbgrader,
)
from tests.support.zips import damage, make_zip

pytestmark = pytest.mark.slow

A2, A3 = "a2_batch_normalization", "a3_optimizers"
DUE = {
    A2: dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC),
    A3: dt.datetime(2099, 1, 15, 12, 0, tzinfo=dt.UTC),
}
SUBMITTED_A3 = dt.datetime(2026, 11, 14, 9, 0, tzinfo=dt.UTC)
MANUAL = {"rroe": 4.0, "jdoe": 3.0}  # points given in formgrader to the a2 written answer
CLASSROOM_TOML = f"""
[late_penalty]
per_day = 0.10
cap = 0.30

[lms]
zip_time_zone = "UTC"
total_column = "Total (%)"

[assignments.{A2}]
due = 2026-11-01T12:00:00Z
weight = 3
lms_column = "A2 Batch norm"
canvas_id = 1002

[assignments.{A3}]
due = 2099-01-15T12:00:00Z
weight = 1
lms_column = "A3 Optimizers (1003)"
"""
ROSTER = """id,first_name,last_name,email,lms_user_id
jdoe,Jane,Doe,jdoe@example.org,1001
rroe,Richard,Roe,rroe@example.org,1002
amiller,Ann,Miller,,1003
bcut,Bea,Cut,,1005
nshow,Nora,Show,,1004
"""
BAD_ZIPS = ("missing", "empty", "truncated", "web page", "text file", "damaged")


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


def course_state(root: Path) -> dict:
    """Every file of ``submitted/`` and ``downloaded/`` with its bytes and time."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for top in ("submitted", "downloaded")
        for p in sorted((root / top).rglob("*"))
        if p.is_file()
    }


def gradebook(root):
    from nbgrader.api import Gradebook

    return Gradebook(gradebook_url(root), course_id=COURSE_ID)


# ------------------------------------------------------------------ formgrader
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def grade_in_formgrader(root: Path, grades: dict, log_path: Path) -> list[dict]:
    """Start a Jupyter server in the course (nbgrader's formgrader extension reads the course's
    ``nbgrader_config.py`` from there, as ``make lab`` does) and give each {grade id: points}
    through formgrader's own grade API; its answers."""
    port, token = free_port(), os.urandom(16).hex()
    base = f"http://127.0.0.1:{port}"
    env = nbgrader_env()
    env["JUPYTER_RUNTIME_DIR"] = str(log_path.parent / "runtime")
    command = [sys.executable, "-m", "jupyter", "server", "--no-browser", f"--port={port}"]
    command += ["--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]
    command += [f"--ServerApp.root_dir={root}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    headers = {"Authorization": f"token {token}", "Content-Type": "application/json"}

    def call(path, method="GET", body=None):
        request = urllib.request.Request(
            f"{base}{path}", method=method, headers=headers, data=body
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")

    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                assert call("/formgrader/api/status") == {"status": True}
                break
            except (OSError, ValueError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(
                        f"no formgrader:\n{log_path.read_text()[-3000:]}"
                    ) from None
                time.sleep(1)
        return [
            call(
                f"/formgrader/api/grade/{grade_id}",
                "PUT",
                json.dumps({"manual_score": points, "extra_credit": None}).encode(),
            )
            for grade_id, points in grades.items()
        ]
    finally:
        server.terminate()
        server.wait(timeout=60)


# ------------------------------------------------------------------ the term
@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("term")
    root = make_course(tmp / "course")
    (root / "classroom.toml").write_text(CLASSROOM_TOML)
    for name in (A2, A3):
        done = run_nbgrader(root, "generate_assignment", name, "--force")
        assert done.returncode == 0, done.stdout + done.stderr
    (tmp / "roster.csv").write_text(ROSTER)
    assert import_roster(tmp / "roster.csv", root) == ["jdoe", "rroe", "amiller", "bcut", "nshow"]
    set_due_dates(root)

    solution = {n: (root / "solutions" / n / f"{n}.ipynb").read_bytes() for n in (A2, A3)}
    blank = {n: (root / "assignments" / n / f"{n}.ipynb").read_bytes() for n in (A2, A3)}
    mistakes = json.dumps(apply_edits(json.loads(solution[A2]), ROUNDS[A2][0])).encode()
    hour = dt.timedelta(hours=1)
    canvas_entries = [
        (f"doejane_1001_5551_{A2}.ipynb", solution[A2], DUE[A2] - 2 * hour),
        (f"roerichard_LATE_1002_5550_{A2}.ipynb", blank[A2], DUE[A2] + hour),
        (f"roerichard_LATE_1002_5552_{A2}-1.ipynb", solution[A2], DUE[A2] + 30 * hour),
        ("millerann_1003_5554_A2 final (1).ipynb", mistakes, DUE[A2] - 3 * hour),
        (f"cutbea_1005_5555_{A2}.ipynb", solution[A2][:4000], DUE[A2] - hour),
        (f"smithpat_1999_5553_{A2}.ipynb", solution[A2], DUE[A2] - hour),
        ("doejane_1001_5551_notes.txt", b"my notes", DUE[A2] - hour),
    ]
    canvas = make_zip(tmp / "submissions.zip", canvas_entries)
    moodle = make_zip(
        tmp / "moodle-a3.zip",
        [
            (f"Jane Doe_1001_assignsubmission_file_/{A3}.ipynb", solution[A3], SUBMITTED_A3),
            ("Ann Miller_42_assignsubmission_file_my a3 (2).ipynb", blank[A3], SUBMITTED_A3),
            (
                "Richard Roe_1002_assignsubmission_onlinetext_onlinetext.html",
                b"<p>hi</p>",
                SUBMITTED_A3,
            ),
        ],
    )
    collected = {A2: collect_zip(canvas, A2, root), A3: collect_zip(moodle, A3, root, "moodle")}

    # a later download of a2 that went wrong, in each way; nothing may change
    (tmp / "empty.zip").write_bytes(b"")
    (tmp / "truncated.zip").write_bytes(canvas.read_bytes()[: canvas.stat().st_size * 2 // 3])
    (tmp / "login.zip").write_bytes(b"<!DOCTYPE html>\n<html><title>Log in to Canvas</title>")
    (tmp / "notes.zip").write_bytes(b"Student,Score\n")
    damaged = damage(
        make_zip(tmp / "damaged.zip", canvas_entries), f"roerichard_LATE_1002_5552_{A2}-1.ipynb"
    )
    bad = dict(
        zip(
            BAD_ZIPS,
            [tmp / "missing.zip", tmp / "empty.zip", tmp / "truncated.zip", tmp / "login.zip"]
            + [tmp / "notes.zip", damaged],
            strict=True,
        )
    )
    before = course_state(root)
    failures = {}
    for kind, path in bad.items():
        with pytest.raises(ValueError) as error:
            collect_zip(path, A2, root)
        failures[kind] = (str(error.value), course_state(root) == before)
    command = run_module(root, "grading.classroom.lms", str(damaged), "--assignment", A2)
    again = collect_zip(canvas, A2, root)  # the good zip once more: nothing changes either
    unchanged_by_good_zip = course_state(root) == before

    graded = run_engine(root, "--jobs", "2")  # make autograde
    assert graded.returncode == 0, graded.stdout + graded.stderr
    return {
        "root": root,
        "tmp": tmp,
        "collected": collected,
        "again": again,
        "failures": failures,
        "damaged_command": command,
        "unchanged_by_good_zip": unchanged_by_good_zip,
        "autograde_log": graded.stdout,
    }


def placed(result) -> dict:
    return {(p.student, p.notebook): Path(p.file).name for p in result.placed}


def not_placed(result) -> dict:
    return {Path(p.file).name: p.reason for p in result.not_placed}


def a2_points(root) -> tuple[float, float]:
    return notebook_points(root / "solutions" / A2 / f"{A2}.ipynb")


# ------------------------------------------------------------------ collect-zip
def test_canvas_zip_lands_in_submitted_with_submission_times(course):
    root, result = course["root"], course["collected"][A2]
    assert placed(result) == {
        ("jdoe", f"{A2}.ipynb"): f"doejane_1001_5551_{A2}.ipynb",
        ("rroe", f"{A2}.ipynb"): f"roerichard_LATE_1002_5552_{A2}-1.ipynb",
        ("amiller", f"{A2}.ipynb"): "millerann_1003_5554_A2 final (1).ipynb",
        ("bcut", f"{A2}.ipynb"): f"cutbea_1005_5555_{A2}.ipynb",
    }
    solution = (root / "solutions" / A2 / f"{A2}.ipynb").read_bytes()
    assert (root / "submitted" / "rroe" / A2 / f"{A2}.ipynb").read_bytes() == solution
    stamp = (root / "submitted" / "rroe" / A2 / "timestamp.txt").read_text()
    # nbgrader writes UTC without a zone
    assert dt.datetime.fromisoformat(stamp) == (DUE[A2] + dt.timedelta(hours=30)).replace(
        tzinfo=None
    )


def test_files_not_placed_are_listed_with_reasons_and_so_is_who_has_nothing(course):
    result = course["collected"][A2]
    reasons = not_placed(result)
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
    assert result.missing == ["nshow"]
    assert list(result.unreadable) == ["bcut"]
    assert "the notebook is cut off" in result.unreadable["bcut"]


def test_moodle_zip_in_both_layouts_by_id_and_by_name(course):
    result = course["collected"][A3]
    assert placed(result) == {
        ("jdoe", f"{A3}.ipynb"): f"{A3}.ipynb",
        ("amiller", f"{A3}.ipynb"): "Ann Miller_42_assignsubmission_file_my a3 (2).ipynb",
    }
    assert set(not_placed(result)) == {
        "Richard Roe_1002_assignsubmission_onlinetext_onlinetext.html"
    }
    assert result.missing == ["bcut", "nshow", "rroe"]


def test_each_bad_download_fails_with_its_own_message_and_changes_nothing(course):
    failures = course["failures"]
    expected = {
        "missing": "does not exist",
        "empty": "is empty (0 bytes): the download did not finish",
        "truncated": "is truncated: it starts as a zip but its end",
        "web page": "is a web page, not a zip",
        "text file": "is not a zip file",
        "damaged": f"is damaged: 1 of its 7 files cannot be read: "
        f"roerichard_LATE_1002_5552_{A2}-1.ipynb (",
    }
    for kind, (message, unchanged) in failures.items():
        assert expected[kind] in message, (kind, message)
        assert unchanged, f"the {kind} zip changed the course"
    assert len({message for message, _ in failures.values()}) == len(BAD_ZIPS)
    assert failures["damaged"][0].endswith(
        "Download it again from the LMS and rerun; nothing was changed"
    )
    assert course["unchanged_by_good_zip"]


def test_the_damaged_zip_on_the_command_line_is_one_line_not_a_traceback(course):
    done = course["damaged_command"]
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: zip: damaged.zip is damaged: ")


# ------------------------------------------------------------------ autograde
def test_autograde_line_shows_the_late_penalty_and_names_the_unreadable_file(course):
    auto, manual = a2_points(course["root"])
    lines = course["autograde_log"].splitlines()
    late = next(line for line in lines if " rroe " in line and A2 in line)
    assert (
        f"{0.8 * auto:g} / {auto + manual:g} LATE 30.0 h: {auto:g} minus a late penalty of "
        f"{0.2 * auto:g}; {manual:g} points to grade by hand"
    ) in late
    cut = next(line for line in lines if " bcut " in line)
    assert f"could not be read: {A2}.ipynb: the notebook is cut off" in cut
    assert lines[-1].startswith(f"could not be read: bcut {A2}: {A2}.ipynb: the notebook is")
    assert "Graded 5 of 6 in " in course["autograde_log"]
    assert "1 could not be read (listed above)" in course["autograde_log"]


def test_the_unreadable_student_is_not_zeroed_and_is_told_what_to_resubmit(course):
    root = course["root"]
    with gradebook(root) as gb:  # no submission, so no 0 in the gradebook or the exports
        assert "bcut" not in {s.student.id for s in gb.find_assignment(A2).submissions}
    page = html_text((root / "feedback" / "bcut" / A2 / f"{A2}.html").read_text())
    assert f"Your file {A2}.ipynb could not be read: the notebook is cut off" in page
    assert f"save it (File > Save Notebook) and upload that {A2}.ipynb again" in page


# ------------------------------------------------------------------ hand grading, penalty
def test_a_written_answer_graded_in_formgrader_is_penalised_at_once(course):
    root = course["root"]
    auto, manual = a2_points(root)
    ids = {}
    with gradebook(root) as gb:
        for student in MANUAL:
            notebook = gb.find_submission_notebook(A2, A2, student)
            ids[student] = next(g.id for g in notebook.grades if g.cell_type == "markdown")
        before = gb.find_submission_notebook(A2, A2, "rroe").late_submission_penalty
    assert before == pytest.approx(0.2 * auto)  # what nbgrader's autograde stored
    answers = grade_in_formgrader(
        root, {ids[s]: p for s, p in MANUAL.items()}, course["tmp"] / "formgrader.log"
    )
    assert [a["manual_score"] for a in answers] == list(MANUAL.values())
    with gradebook(root) as gb:
        late = gb.find_submission(A2, "rroe")
        assert late.score == auto + MANUAL["rroe"]
        # stored by formgrader's own write (the course's hook in the server), no regrade
        assert late.late_submission_penalty == pytest.approx(0.2 * (auto + MANUAL["rroe"]))
        assert not gb.find_submission(A2, "jdoe").late_submission_penalty


def test_regrading_one_student_keeps_the_manual_grade_and_comment(course):
    root = course["root"]
    with gradebook(root) as gb:
        notebook = gb.find_submission_notebook(A2, A2, "jdoe")
        written = next(g for g in notebook.grades if g.cell_type == "markdown")
        comment = gb.find_comment(written.name, A2, A2, "jdoe")
        comment.manual_comment = "Right idea; name the folded scale."
        gb.db.commit()
        name = written.name
    stamp_before = (root / "autograded" / "rroe" / A2 / f"{A2}.ipynb").stat().st_mtime
    # make autograde STUDENT=jdoe ASSIGNMENT=a2_batch_normalization FORCE=1
    done = run_engine(root, "--assignment", A2, "--student", "jdoe", "--force", "--jobs", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    with gradebook(root) as gb:
        assert gb.find_grade(name, A2, A2, "jdoe").manual_score == MANUAL["jdoe"]
        assert gb.find_comment(name, A2, A2, "jdoe").manual_comment.startswith("Right idea")
        auto, _ = a2_points(root)
        assert gb.find_submission(A2, "jdoe").score == auto + MANUAL["jdoe"]
    # only Jane was regraded
    assert (root / "autograded" / "rroe" / A2 / f"{A2}.ipynb").stat().st_mtime == stamp_before


# ------------------------------------------------------------------ export
def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def assert_same_cells(got: list[list[str]], want: list[list[str]]) -> None:
    assert len(got) == len(want), got
    for row, (got_row, want_row) in enumerate(zip(got, want, strict=True)):
        assert len(got_row) == len(want_row), (row, got_row)
        for column, (cell, value) in enumerate(zip(got_row, want_row, strict=True)):
            assert cell == value, f"row {row} ({got_row[0]!r}), column {want[0][column]!r}"


@pytest.fixture(scope="module")
def exported(course):
    root = course["root"]
    done = run_module(
        root, "grading.classroom.export", "grades", "--assignment", f"{A2},{A3}"
    )  # make export ASSIGNMENT=a2_batch_normalization,a3_optimizers
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_canvas_file_is_canvas_gradebook_import_layout_cell_by_cell(course, exported):
    """Canvas's gradebook import (instructure/canvas-lms, app/models/gradebook_importer.rb)
    wants a header row whose first column contains "Student" and second "ID", "SIS User ID"
    followed by "SIS Login ID", the student columns ending with "Section"; a row whose first
    cell contains "Points Possible" is read as the points, not a student; an assignment column
    "Name (id)" is matched by id (``Assignment.title_and_id``: ``\\A(.*)\\s\\((\\d+)\\)\\z``),
    any other header by exact title, else it becomes a new assignment (as the Canvas guides
    warn: "New assignment columns in the Gradebook generate new assignments"); a blank or "-"
    cell is no score. Canvas's own export (lib/gradebook_exporter.rb) writes exactly this
    order, "    Points Possible" and points with two decimals."""
    root = course["root"]
    auto, manual = a2_points(root)
    auto3, manual3 = notebook_points(root / "solutions" / A3 / f"{A3}.ipynb")
    richard = 0.8 * (auto + MANUAL["rroe"])
    expected = [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
        + ["A2 Batch norm (1002)", "A3 Optimizers (1003)"],
        [POINTS_ROW, "", "", "", "", f"{auto + manual:.2f}", f"{auto3 + manual3:.2f}"],
        ["Cut, Bea", "1005", "bcut", "", "", "", ""],  # could not be read: not graded
        ["Doe, Jane", "1001", "jdoe", "", "", f"{auto + MANUAL['jdoe']:.2f}", ""],
        ["Miller, Ann", "1003", "amiller", "", "", "", ""],  # written answer not graded yet
        ["Roe, Richard", "1002", "rroe", "", "", f"{richard:.2f}", ""],  # a3 is not due
        ["Show, Nora", "1004", "nshow", "", "", "", ""],  # no submission: blank, not 0
    ]
    assert f"{richard:.2f}" == "27.20"  # 30 autograded and 4 written points, 20 % off
    assert_same_cells(read_csv(root / "build" / "grades-canvas.csv"), expected)


def test_moodle_file_is_moodles_grade_export_layout_cell_by_cell(course, exported):
    """Moodle's grade import reads what its export writes ("The import file format is the
    same as the corresponding export format", docs.moodle.org, Grade import), mapping users by
    "ID number" or "Email address". Its plain-text export (grade/export/txt/
    grade_export_txt.php) writes the profile fields of ``grade_export_userprofilefields``
    (default: firstname, lastname, idnumber, institution, department, email), then one column
    per grade item named "<module>: <name> (Real)" (grade/export/lib.php,
    ``format_column_name``), then "Last downloaded from this course"; its CSV import
    (grade/import/csv/classes/load_data.php) reads an empty cell or "-" as no grade."""
    root = course["root"]
    auto, _ = a2_points(root)
    rows = read_csv(root / "build" / "grades-moodle.csv")
    stamps = {row[-1] for row in rows[1:]}
    assert len(stamps) == 1 and abs(int(stamps.pop()) - time.time()) < 3600
    stamp = rows[1][-1]
    expected = [
        ["First name", "Last name", "ID number", "Institution", "Department", "Email address"]
        + ["Assignment: A2 Batch norm (Real)", "Assignment: A3 Optimizers (Real)"]
        + ["Last downloaded from this course"],
        ["Bea", "Cut", "bcut", "", "", "", "", "", stamp],
        ["Jane", "Doe", "jdoe", "", "", "jdoe@example.org", f"{auto + 3:.2f}", "", stamp],
        ["Ann", "Miller", "amiller", "", "", "", "", "", stamp],
        ["Richard", "Roe", "rroe", "", "", "rroe@example.org", "27.20", "", stamp],
        ["Nora", "Show", "nshow", "", "", "", "", "", stamp],
    ]
    assert_same_cells(rows, expected)


def test_nbgraders_export_command_writes_the_same_files_with_the_plugins(course, exported):
    root = course["root"]
    for lms, columns in (("Canvas", slice(None)), ("Moodle", slice(0, -1))):  # but the time
        out = root / "build" / f"via-nbgrader-{lms}.csv"
        done = run_nbgrader(
            root,
            "export",
            f"--exporter=grading.classroom.export.{lms}ExportPlugin",
            "--to",
            str(out),
            "--assignment",
            A2,
            "--assignment",
            A3,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        made = read_csv(root / "build" / f"grades-{lms.lower()}.csv")
        assert [r[columns] for r in read_csv(out)] == [r[columns] for r in made]


def test_the_weighted_total_is_in_the_instructors_file_only(course, exported):
    root = course["root"]
    auto, manual = a2_points(root)
    rows = read_csv(root / "build" / "grades-total.csv")
    assert rows[0] == ["Student ID", "Last name", "First name", f"{A2} (%)", f"{A3} (%)"] + [
        "Total (%)",
        "Notes",
    ]
    by_id = {row[0]: row for row in rows[1:]}
    top = auto + manual
    richard = 100 * 0.8 * (auto + 4) / top
    assert by_id["rroe"][3:6] == [f"{richard:.2f}", "", f"{richard:.2f}"]  # a3 not due
    assert by_id["rroe"][6] == f"{A2}: late 30.0 h, -{0.2 * (auto + 4):g}"
    assert by_id["nshow"][3:7] == ["0.00", "", "0.00", f"{A2}: not submitted"]
    assert by_id["bcut"][6].startswith(f"{A2}: could not be read (the notebook is cut off")
    assert by_id["amiller"][6].endswith(f"{manual:g} points to grade by hand")
    for lms in ("grades-canvas.csv", "grades-moodle.csv"):
        assert "Total" not in (root / "build" / lms).read_text()
    nbgrader_csv = {r["student_id"]: r for r in csv.DictReader(open(root / "build" / "grades.csv"))
                    if r["assignment"] == A2}  # fmt: skip
    assert float(nbgrader_csv["rroe"]["score"]) == pytest.approx(27.2)
    out = exported.stdout
    assert f"{A2}: blank in the LMS files for 3 students:" in out
    assert f"  amiller: {manual:g} points still to grade by hand" in out
    assert f"{A3}: blank in the LMS files for 5 students:" in out and "not due yet" in out


# ------------------------------------------------------------------ feedback
@pytest.fixture(scope="module")
def feedback(course, exported):
    done = run_nbgrader(course["root"], "generate_feedback", "*", "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_feedback_shows_the_current_penalty_and_names_each_test_cell(course, feedback):
    root = course["root"]
    auto, manual = a2_points(root)
    page = html_text((root / "feedback" / "rroe" / A2 / f"{A2}.html").read_text())
    assert f"{A2} (Score: 27.2 / {auto + manual:.1f})" in page
    assert f"Late submission penalty (Score: -{round(0.2 * (auto + 4), 2)})" in page
    assert "Test cell" not in page
    assert (
        "Test test-bn-train-basic: batchnorm_train returns (y, batch_mean, batch_var) with the "
        "right shapes, and leaves its arguments as they were. (Score: 1.0 / 1.0)"
    ) in page
    assert "Written response answer-fusing (Score: 4.0 / 4.0)" in page


def test_feedback_zip_keeps_canvas_names_after_the_failed_collection(course, feedback):
    root = course["root"]
    zips = feedback_zips(root)
    assert set(zips) == {A2, A3}
    with zipfile.ZipFile(zips[A2][0]) as zf:
        names = sorted(zf.namelist())
        assert names == [
            f"cutbea_1005_5555_{A2}-feedback.html",
            f"doejane_1001_5551_{A2}-feedback.html",
            f"millerann_1003_5554_{A2}-feedback.html",
            f"roerichard_LATE_1002_5552_{A2}-feedback.html",
        ]
        assert b"Late submission penalty" in zf.read(names[3])
        assert b"could not be read" in zf.read(names[0])
    with zipfile.ZipFile(zips[A3][0]) as zf:
        assert sorted(zf.namelist()) == [f"amiller_{A3}-feedback.html", f"jdoe_{A3}-feedback.html"]


# ------------------------------------------------------------------ typos and the report
def test_a_typo_in_any_target_stops_it_with_the_valid_names(course):
    root, tmp = course["root"], course["tmp"]
    commands = {
        "release": ("grading.classroom.names", "--kind", "source", "--assignment", "a2_batchnorm"),
        "collect-zip": ("grading.classroom.lms", str(tmp / "submissions.zip"), "--assignment",
                        "a2_batchnorm"),
        "export": ("grading.classroom.export", "grades", "--assignment", "a2_batchnorm"),
        "feedback-zip": ("grading.classroom.export", "feedback-zip", "--assignment", "a3"),
    }  # fmt: skip
    for target, args in commands.items():
        done = run_module(root, *args)
        assert done.returncode == 1, target
        assert "unknown assignment" in done.stderr and "The assignments are: " in done.stderr
        assert "a2_batch_normalization" in done.stderr and "Traceback" not in done.stderr
    autograde = run_engine(root, "--student", "jdo")
    assert autograde.returncode == 2 and "Did you mean jdoe?" in autograde.stderr


def test_report_lists_who_was_missing_late_unreadable_and_the_named_mistakes(course, feedback):
    from grading.classroom.report import summarize, write_report

    root = course["root"]
    summary = summarize(root)
    assert summary.assignments == [A2, A3]
    assert summary.missing == {A2: ["nshow"], A3: ["bcut", "nshow", "rroe"]}
    assert summary.late[A2] == [("rroe", 30.0, pytest.approx(0.2 * (a2_points(root)[0] + 4)))]
    assert list(summary.unreadable[A2]) == ["bcut"]
    assert any("smithpat_1999_5553" in line for line in summary.not_placed[A2])
    named = {f: [m for m, _ in entries] for f, entries in summary.mistakes[A2].items()}
    for mistake in ROUNDS[A2][0]:
        assert mistake.diagnosis in named[mistake.function], mistake.function
    assert all(who == ["amiller"] for e in summary.mistakes[A2].values() for _, who in e)
    graded = sorted((e["assignment"], e["student"], e["status"]) for e in summary.log)
    assert graded == sorted(
        [(A2, s, "graded") for s in ("jdoe", "rroe", "amiller", "jdoe")]
        + [(A2, "bcut", "unreadable"), (A3, "jdoe", "graded"), (A3, "amiller", "graded")]
    )
    page = write_report(root).read_text()
    assert "could not be read: " in page and "nshow" in page
