"""Grades and feedback back to the LMS: files an LMS can import without damage, feedback zips.

    python -m grading.classroom.export grades [--assignment a2_batch_normalization,...]
    python -m grading.classroom.export feedback-zip [--assignment ...]
    nbgrader export --exporter=grading.classroom.export.CanvasExportPlugin --assignment A \
        --to grades-canvas.csv                  # the same file through nbgrader (or Moodle...)

``make export ASSIGNMENT=...`` writes, in ``build/``:

- ``grades-canvas.csv``: Canvas's gradebook import layout, as Canvas's own gradebook export writes
  it: ``Student`` ("Last, First"), ``ID`` (the Canvas user id: the roster's ``lms_user_id``),
  ``SIS User ID`` (the course's student id), ``SIS Login ID``, ``Section``, then one column per
  *named* assignment, headed "Name (id)" when ``classroom.toml`` gives its ``canvas_id`` (Canvas
  then matches the column by id; a bare name matches only an identical title, and an unmatched
  header becomes a new assignment), and a second row ``Points Possible``;
- ``grades-moodle.csv``: Moodle's grade export layout, which its CSV grade import reads back
  (first name, last name, ID number, institution, department, email address, one
  "Assignment: Name (Real)" column per assignment, the export time);
- ``grades-total.csv``: for the instructor, never for an LMS: every assignment in percent, the
  weighted total over the assignments due so far (a missing submission counts 0 there) and a
  note per student (late, not submitted, could not be read, still to grade by hand);
- ``grades.csv``: nbgrader's own export, every assignment and student.

In the two LMS files a cell is a score only when there is one to post: a student without a
submission, an assignment not yet due, a file that could not be read and a submission with
answers still to grade by hand are blank, never 0 (an import posts a 0 over whatever the LMS
holds; a blank cell is "no grade" to both Canvas and Moodle). Every score is after the late
penalty, recomputed from the current grades first (``grading.plugins.late``), so the files,
the feedback and the report agree. No total column: Canvas would import it as an assignment.

``feedback_zips`` packs ``feedback/<student>/<assignment>/*.html`` into one zip per assignment.
A student who came through a Canvas download keeps Canvas's file-name prefix
(``doejane_12345_987654_``) from the last successful ``make collect-zip``, so the file names say
whose feedback it is in Canvas's own terms.
"""

import argparse
import csv
import datetime as dt
import json
import re
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.plugins import CsvExportPlugin, ExportPlugin

from grading.classroom.lms import PATTERNS, RECORDS
from grading.classroom.names import check_assignments
from grading.classroom.settings import AssignmentSettings, course_gradebook_url, load
from grading.classroom.standing import Standing
from grading.cli import run_command
from grading.coursedir import COURSE_ID, ROOT
from grading.engine.readable import unreadable_notebooks
from grading.plugins.late import refresh_penalties

CANVAS_FIXED = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_ROW = "    Points Possible"  # Canvas's own label, indentation included
MOODLE_FIXED = (
    "First name",
    "Last name",
    "ID number",
    "Institution",
    "Department",
    "Email address",
)
MOODLE_TIME = "Last downloaded from this course"
OUTPUTS = {
    "canvas": "grades-canvas.csv",
    "moodle": "grades-moodle.csv",
    "total": "grades-total.csv",
    "nbgrader": "grades.csv",
}


def points(value: float) -> str:
    """A number as Canvas's and Moodle's exports write points: two decimals."""
    return f"{value:.2f}"


@dataclass
class Cell:
    """One student's result on one assignment, and whether an LMS should get it."""

    standing: Standing | None = None  # None: no submission in the gradebook
    unreadable: str = ""  # why the submitted file cannot be read

    def for_lms(self, due: bool, partial: bool = False) -> str:
        """The cell of an LMS file: the score, or blank when there is nothing to post."""
        if not due or self.standing is None or self.unreadable:
            return ""
        if self.standing.to_grade and not partial:
            return ""
        return points(self.standing.score)

    def blank_because(self, due: bool) -> str:
        """Why ``for_lms`` is blank, in words."""
        if not due:
            return "not due yet"
        if self.standing and self.standing.to_grade and not self.unreadable:
            return f"{self.standing.to_grade:g} points still to grade by hand"
        return self.note()

    def note(self) -> str:
        if self.unreadable:
            return f"could not be read ({self.unreadable})"
        if self.standing is None:
            return "not submitted"
        parts = []
        if self.standing.hours_late > 0:
            parts.append(f"late {self.standing.hours_late:.1f} h, -{self.standing.penalty:g}")
        return ", ".join(parts + self.standing.open_items())


@dataclass
class Student:
    id: str
    first_name: str
    last_name: str
    email: str
    lms_user_id: str

    @property
    def sortable_name(self) -> str:
        """Canvas's "Last, First" (the id when the roster has no name)."""
        if self.last_name or self.first_name:
            return f"{self.last_name}, {self.first_name}".strip(", ")
        return self.id


@dataclass
class GradeTable:
    """Every roster student's results on the chosen assignments, read from the gradebook."""

    assignments: list  # AssignmentSettings, in classroom.toml's order
    due: dict  # name -> whether its due date has passed (no due date: due)
    students: list  # Student, sorted by last name, first name, id
    cells: dict = field(default_factory=dict)  # (assignment, student id) -> Cell
    max_scores: dict = field(default_factory=dict)  # assignment -> points possible


def _settings(classroom, name: str) -> AssignmentSettings:
    return classroom.assignments.get(name) or AssignmentSettings(name, None, 0.0, name)


def read_table(gradebook, root: Path, names: list[str], now: dt.datetime) -> GradeTable:
    """The results of ``names`` (assignments in the gradebook), penalties recomputed first."""
    from nbgrader.api import MissingEntry

    classroom = load(root)
    refresh_penalties(gradebook, classroom.late_policy)
    in_gradebook = {a.name: a for a in gradebook.assignments}
    order = [n for n in classroom.assignments if n in names]
    order += [n for n in names if n not in order]
    settings = [_settings(classroom, n) for n in order]
    table = GradeTable(
        assignments=settings,
        due={s.name: s.due is None or s.due <= now for s in settings},
        students=sorted(
            (
                Student(
                    s.id,
                    s.first_name or "",
                    s.last_name or "",
                    s.email or "",
                    s.lms_user_id or "",
                )
                for s in gradebook.students
            ),
            key=lambda s: (s.last_name.casefold(), s.first_name.casefold(), s.id),
        ),
    )
    for s in settings:
        assignment = in_gradebook.get(s.name)
        table.max_scores[s.name] = float(assignment.max_score or 0) if assignment else 0.0
        for student in table.students:
            cell = Cell()
            folder = Path(root) / "submitted" / student.id / s.name
            unreadable = unreadable_notebooks(folder) if folder.is_dir() else {}
            if unreadable:
                cell.unreadable = "; ".join(unreadable.values())
            try:
                submission = gradebook.find_submission(s.name, student.id)
            except MissingEntry:
                pass
            else:
                cell.standing = Standing.of(submission, table.max_scores[s.name])
            table.cells[s.name, student.id] = cell
    return table


def canvas_rows(table: GradeTable, partial: bool = False) -> list[list[str]]:
    """Canvas's gradebook CSV: header, Points Possible, one row per student."""
    rows = [list(CANVAS_FIXED) + [s.canvas_header for s in table.assignments]]
    rows.append(
        [POINTS_ROW, "", "", "", ""]
        + [points(table.max_scores[s.name]) for s in table.assignments]
    )
    for student in table.students:
        rows.append(
            [student.sortable_name, student.lms_user_id, student.id, "", ""]
            + [
                table.cells[s.name, student.id].for_lms(table.due[s.name], partial)
                for s in table.assignments
            ]
        )
    return rows


def moodle_rows(table: GradeTable, exported: int, partial: bool = False) -> list[list[str]]:
    """Moodle's grade export layout (its CSV import reads it): header, one row per student."""
    rows = [list(MOODLE_FIXED) + [s.moodle_header for s in table.assignments] + [MOODLE_TIME]]
    for student in table.students:
        rows.append(
            [student.first_name, student.last_name, student.id, "", "", student.email]
            + [
                table.cells[s.name, student.id].for_lms(table.due[s.name], partial)
                for s in table.assignments
            ]
            + [str(exported)]
        )
    return rows


def total_rows(table: GradeTable, root: Path) -> list[list[str]]:
    """The instructor's file: percent per assignment, the weighted total of the assignments due
    so far (a missing or unreadable submission counts 0), and what to know about each."""
    classroom = load(root)
    counted = {
        s.name: s.weight
        for s in table.assignments
        if table.due[s.name] and table.max_scores[s.name] > 0
    }
    weight_sum = sum(counted.values())
    header = ["Student ID", "Last name", "First name"]
    header += [f"{s.name} (%)" for s in table.assignments]
    header += [classroom.total_column, "Notes"]
    rows = [header]
    for student in table.students:
        percents, notes, total = [], [], 0.0
        for s in table.assignments:
            cell = table.cells[s.name, student.id]
            top = table.max_scores[s.name]
            if not table.due[s.name]:
                percents.append("")
                continue
            scored = 0.0 if cell.standing is None or cell.unreadable else cell.standing.score
            percent = 100 * scored / top if top else 0.0
            percents.append(points(percent))
            if s.name in counted:
                total += counted[s.name] * percent
            if cell.note():
                notes.append(f"{s.name}: {cell.note()}")
        total_cell = points(total / weight_sum) if weight_sum else ""
        rows.append(
            [student.id, student.last_name, student.first_name]
            + percents
            + [total_cell, "; ".join(notes)]
        )
    return rows


def _write_csv(path: Path, rows) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def graded_assignments(gradebook) -> list[str]:
    """Assignments with at least one submission in the gradebook."""
    return sorted(a.name for a in gradebook.assignments if a.num_submissions)


class _LmsExport(ExportPlugin):
    """Shared by the export plugins: the course root, the assignments, the table."""

    def _table(self, gradebook) -> tuple[GradeTable, Path]:
        root = Path(self.parent.coursedir.root)
        names = [str(a) for a in self.assignment] or graded_assignments(gradebook)
        check_assignments(names, root)
        return read_table(gradebook, root, names, dt.datetime.now(dt.UTC)), root


class CanvasExportPlugin(_LmsExport):
    """``nbgrader export --exporter=grading.classroom.export.CanvasExportPlugin``."""

    def export(self, gradebook):
        table, _ = self._table(gradebook)
        dest = _write_csv(self.to or OUTPUTS["canvas"], canvas_rows(table))
        self.log.info("Wrote %d students to %s", len(table.students), dest)


class MoodleExportPlugin(_LmsExport):
    """``nbgrader export --exporter=grading.classroom.export.MoodleExportPlugin``."""

    def export(self, gradebook):
        table, _ = self._table(gradebook)
        dest = _write_csv(self.to or OUTPUTS["moodle"], moodle_rows(table, int(time.time())))
        self.log.info("Wrote %d students to %s", len(table.students), dest)


@dataclass
class ExportResult:
    files: dict  # kind -> path
    table: GradeTable
    blank: dict  # assignment -> {student: why the LMS cell is blank}


def export_grades(
    root: Path = ROOT,
    assignments=None,
    out: Path | None = None,
    now: dt.datetime | None = None,
    partial: bool = False,
) -> ExportResult:
    """Every file of ``make export``; ``assignments`` (names, or None: those with submissions)
    go to the LMS files."""
    from nbgrader.api import Gradebook

    root = Path(root)
    out = Path(out) if out else root / "build"
    now = now or dt.datetime.now(dt.UTC)
    names = check_assignments(assignments, root) if assignments else None
    with Gradebook(course_gradebook_url(root), course_id=COURSE_ID) as gb:
        names = names or graded_assignments(gb)
        if not names:
            raise ValueError("assignments: nothing is graded yet, so there is nothing to export")
        table = read_table(gb, root, names, now)
        everything = read_table(gb, root, graded_assignments(gb), now)
        files = {
            "canvas": _write_csv(out / OUTPUTS["canvas"], canvas_rows(table, partial)),
            "moodle": _write_csv(
                out / OUTPUTS["moodle"], moodle_rows(table, int(now.timestamp()), partial)
            ),
            "total": _write_csv(out / OUTPUTS["total"], total_rows(everything, root)),
        }
        raw = CsvExportPlugin(to=str(out / OUTPUTS["nbgrader"]))
        raw.export(gb)
        files["nbgrader"] = out / OUTPUTS["nbgrader"]
    blank = {}
    for s in table.assignments:
        for student in table.students:
            cell = table.cells[s.name, student.id]
            if cell.for_lms(table.due[s.name], partial) == "":
                blank.setdefault(s.name, {})[student.id] = cell.blank_because(table.due[s.name])
    return ExportResult(files=files, table=table, blank=blank)


# ------------------------------------------------------------------ feedback zips
def _lms_prefixes(root: Path, assignment: str) -> dict:
    """{student: Canvas file-name prefix} from the last ``make collect-zip`` of ``assignment``."""

    records = Path(root) / "downloaded" / assignment / RECORDS
    newest = {}  # student -> (timestamp, prefix) of their newest Canvas upload
    if records.is_file():
        for line in records.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            name = Path(record["file"]).name
            match = PATTERNS["canvas"].search(name)
            if record["student"] and not record["reason"] and record["lms"] == "canvas" and match:
                candidate = (record["timestamp"], name[: match.start("file_id")])
                newest[record["student"]] = max(
                    newest.get(record["student"], candidate), candidate
                )
    return {student: prefix for student, (_, prefix) in newest.items()}


def feedback_zips(root: Path = ROOT, out: Path | None = None, assignments=None) -> dict:
    """One zip per assignment of every student's feedback; {assignment: (zip path, count)}."""
    root = Path(root)
    out = Path(out) if out else root / "build" / "feedback"
    names = check_assignments(assignments, root) if assignments else None
    feedback = root / "feedback"
    if not feedback.is_dir():
        raise ValueError(f"no feedback in {feedback}: run `make feedback` first")
    by_assignment = {}
    for html in sorted(feedback.glob("*/*/*.html")):
        student, assignment = html.parent.parent.name, html.parent.name
        if names is None or assignment in names:
            by_assignment.setdefault(assignment, []).append((student, html))
    written = {}
    out.mkdir(parents=True, exist_ok=True)
    for assignment, files in by_assignment.items():
        prefixes = _lms_prefixes(root, assignment)
        path = out / f"{assignment}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for student, html in files:
                prefix = prefixes.get(student, f"{re.sub(r'[^A-Za-z0-9.-]', '-', student)}_")
                zf.write(html, f"{prefix}{html.stem}-feedback.html")
        written[assignment] = (path, len(files))
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the course root")
    sub = parser.add_subparsers(dest="command", required=True)
    grades = sub.add_parser("grades", help="build/grades-*.csv for the LMS and the instructor")
    grades.add_argument("--assignment", default=None, help="names, separated by commas")
    grades.add_argument(
        "--partial",
        action="store_true",
        help="post scores of submissions with answers still to grade by hand",
    )
    zips = sub.add_parser("feedback-zip", help="build/feedback/<assignment>.zip for upload")
    zips.add_argument("--assignment", default=None, help="names, separated by commas")
    args = parser.parse_args(argv)
    if args.command == "grades":
        result = export_grades(args.root, args.assignment or None, partial=args.partial)
        names = [s.name for s in result.table.assignments]
        print(f"LMS files for {', '.join(names)} ({len(result.table.students)} students):")
        for kind, path in result.files.items():
            print(f"  {kind:<9} {path}")
        for assignment, students in result.blank.items():
            count = f"{len(students)} student{'s' if len(students) != 1 else ''}"
            print(f"{assignment}: blank in the LMS files for {count}:")
            for student, why in sorted(students.items()):
                print(f"  {student}: {why}")
    else:
        for assignment, (path, count) in feedback_zips(
            args.root, assignments=args.assignment or None
        ).items():
            print(f"{assignment}: {count} students' feedback in {path}")
    return 0


if __name__ == "__main__":
    run_command(main)
