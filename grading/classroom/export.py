"""Grades and feedback back to the LMS: a Canvas-ready grades CSV and zips of feedback.

    nbgrader export --to build/grades-lms.csv \\
        --exporter=grading.classroom.export.CanvasExportPlugin
    python -m grading.classroom.export feedback-zip     # build/feedback/<assignment>.zip

``CanvasExportPlugin`` is an nbgrader export plugin (``make export`` runs it next to nbgrader's
own CSV): one row per student on the roster, one column per assignment in ``classroom.toml``'s
order (headed by its ``lms_column``), the score after the late penalty, 0 for an assignment the
student never submitted, and a weighted total in percent with the weights of ``classroom.toml``.
The layout is Canvas's gradebook CSV: ``Student`` ("Last, First"), ``ID`` (the Canvas user id,
the roster's ``lms_user_id``), ``SIS User ID`` (the course's student id), ``SIS Login ID``,
``Section``, the assignments, and a second row ``Points Possible``. Moodle's grade import reads
the same file (map "SIS User ID" or "ID" to the user's id number).

``feedback_zips`` packs ``feedback/<student>/<assignment>/*.html`` into one zip per assignment.
A student who came through a Canvas download keeps Canvas's file-name prefix
(``doejane_12345_987654_``), so the file names say whose feedback it is in Canvas's own terms.
"""

import argparse
import csv
import json
import re
import zipfile
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin

from grading.classroom.lms import PATTERNS, RECORDS
from grading.classroom.settings import load
from grading.cli import run_command
from grading.coursedir import ROOT

FIXED_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_ROW = "    Points Possible"  # Canvas's own label, indentation included


def _round(x: float) -> float:
    return round(float(x), 2)


def grade_table(gradebook, root: Path) -> tuple[list[str], list[list]]:
    """(header, rows): the Points Possible row first, then one row per student."""

    classroom = load(root)
    in_gradebook = {a.name: a for a in gradebook.assignments}
    names = [n for n in classroom.assignments if n in in_gradebook]
    names += sorted(n for n in in_gradebook if n not in classroom.assignments)
    weights = {
        n: classroom.assignments[n].weight if n in classroom.assignments else 0.0 for n in names
    }
    maxima = {n: float(in_gradebook[n].max_score or 0) for n in names}
    counted = {n: w for n, w in weights.items() if maxima[n] > 0}
    total_weight = sum(counted.values())
    header = list(FIXED_COLUMNS)
    header += [
        classroom.assignments[n].lms_column if n in classroom.assignments else n for n in names
    ]
    header.append(classroom.total_column)
    rows = [[POINTS_ROW, "", "", "", ""] + [_round(maxima[n]) for n in names] + [100.0]]
    students = sorted(
        gradebook.students,
        key=lambda s: ((s.last_name or "").casefold(), (s.first_name or "").casefold(), s.id),
    )
    for student in students:
        scores = {}
        for name in names:
            try:
                submission = gradebook.find_submission(name, student.id)
            except MissingEntry:
                scores[name] = 0.0
            else:
                penalty = submission.late_submission_penalty or 0.0
                scores[name] = max(0.0, float(submission.score) - float(penalty))
        total = (
            100 * sum(w * scores[n] / maxima[n] for n, w in counted.items()) / total_weight
            if total_weight
            else 0.0
        )
        if student.last_name or student.first_name:
            display = f"{student.last_name or ''}, {student.first_name or ''}".strip(", ")
        else:
            display = student.id
        row = [display, student.lms_user_id or "", student.id, "", ""]
        rows.append(row + [_round(scores[n]) for n in names] + [_round(total)])
    return header, rows


class CanvasExportPlugin(ExportPlugin):
    """Every student's scores and weighted total in Canvas's gradebook CSV layout."""

    def export(self, gradebook):
        dest = Path(self.to or "grades-lms.csv")
        root = Path(self.parent.coursedir.root)
        header, rows = grade_table(gradebook, root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
        self.log.info("Wrote %d students to %s", len(rows) - 1, dest)


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


def feedback_zips(root: Path = ROOT, out: Path | None = None) -> dict:
    """One zip per assignment of every student's feedback; {assignment: (zip path, count)}."""
    root = Path(root)
    out = Path(out) if out else root / "build" / "feedback"
    feedback = root / "feedback"
    if not feedback.is_dir():
        raise ValueError(f"no feedback in {feedback}: run `make feedback` first")
    by_assignment = {}
    for html in sorted(feedback.glob("*/*/*.html")):
        student, assignment = html.parent.parent.name, html.parent.name
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
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("feedback-zip", help="build/feedback/<assignment>.zip for upload")
    args = parser.parse_args(argv)
    if args.command == "feedback-zip":
        for assignment, (path, count) in feedback_zips().items():
            print(f"{assignment}: {count} students' feedback in {path}")
    return 0


if __name__ == "__main__":
    run_command(main)
