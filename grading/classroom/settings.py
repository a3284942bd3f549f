"""The classroom's settings (``classroom.toml``) and the gradebook entries that follow from them.

``classroom.toml`` at the course root holds what nbgrader has no configuration file for: each
assignment's due date, its weight in the total and its column name in the LMS, the late-penalty
policy and how to read an LMS's zip download. ``load`` validates it (a ``ValueError`` names the
key and what is allowed); ``set_due_dates`` writes the due dates into nbgrader's gradebook, where
``nbgrader autograde`` compares them with each submission's timestamp; ``import_roster`` checks a
roster CSV and imports it with ``nbgrader db student import``.

    python -m grading.classroom.settings due-dates          # make due-dates
    python -m grading.classroom.settings roster roster.csv  # make roster ROSTER=roster.csv
"""

import argparse
import csv
import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from grading.cli import run_command
from grading.coursedir import COURSE_ID, ROOT, gradebook_url, run_nbgrader
from grading.plugins.late import (
    LatePolicy,
    follow_grade_changes,
    following_grade_changes,
    stop_following_grade_changes,
)

CONFIG_NAME = "classroom.toml"
ROSTER_COLUMNS = ("id", "first_name", "last_name", "email", "lms_user_id")
CANVAS_TITLE_AND_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z")  # Canvas's own Assignment.title_and_id


@dataclass(frozen=True)
class AssignmentSettings:
    name: str
    due: dt.datetime | None
    weight: float
    lms_column: str  # the assignment's name in the LMS
    canvas_id: int | None = None  # Canvas's assignment id, when known

    @property
    def canvas_header(self) -> str:
        """The column Canvas's gradebook import matches to this assignment: "Name (id)" by id,
        the bare name only by an exact title match."""
        return f"{self.lms_column} ({self.canvas_id})" if self.canvas_id else self.lms_column

    @property
    def moodle_header(self) -> str:
        """The column Moodle's grade export writes for an assignment activity, which its CSV
        import offers to map back to the grade item."""
        return f"Assignment: {self.lms_column} (Real)"


@dataclass(frozen=True)
class Classroom:
    root: Path
    assignments: dict  # name -> AssignmentSettings, in the file's order
    per_day: float
    cap: float
    zip_time_zone: str
    total_column: str

    def weights(self) -> dict:
        """{assignment: weight}, normalised to sum to 1."""
        total = sum(a.weight for a in self.assignments.values())
        return {name: a.weight / total for name, a in self.assignments.items()}

    @property
    def late_policy(self) -> LatePolicy:
        return LatePolicy(per_day=self.per_day, cap=self.cap)


def _number(value, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"{where} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def load(root: Path = ROOT) -> Classroom:
    """Read and check ``root/classroom.toml``; without the file, no due dates and equal weights
    for nothing (an empty classroom), 10 % a day capped at 50 %."""
    path = Path(root) / CONFIG_NAME
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    late = data.get("late_penalty", {})
    lms = data.get("lms", {})
    assignments = {}
    for name, entry in data.get("assignments", {}).items():
        where = f"{CONFIG_NAME} [assignments.{name}]"
        due = entry.get("due")
        if due is not None:
            if not isinstance(due, dt.datetime) or due.tzinfo is None:
                raise ValueError(
                    f"{where} due must be a date and time with a time zone, e.g. "
                    f"2027-02-08T23:59:00Z; got {due!r}"
                )
            due = due.astimezone(dt.UTC)
        column, canvas_id = str(entry.get("lms_column", name)), entry.get("canvas_id")
        if canvas_id is None and (match := CANVAS_TITLE_AND_ID.match(column)):
            column, canvas_id = match[1], match[2]  # "Name (id)" as Canvas exports it
        if canvas_id is not None:
            if not str(canvas_id).isdigit():
                raise ValueError(
                    f"{where} canvas_id must be Canvas's numeric assignment id (the number in "
                    f"the assignment's address), got {canvas_id!r}"
                )
            canvas_id = int(canvas_id)
        assignments[name] = AssignmentSettings(
            name=name,
            due=due,
            weight=_number(entry.get("weight", 1.0), f"{where} weight", 0.0, 1e6),
            lms_column=column,
            canvas_id=canvas_id,
        )
    if assignments and sum(a.weight for a in assignments.values()) <= 0:
        raise ValueError(f"{CONFIG_NAME}: the weights must not all be 0")
    return Classroom(
        root=Path(root),
        assignments=assignments,
        per_day=_number(late.get("per_day", 0.10), "late_penalty.per_day", 0.0, 1.0),
        cap=_number(late.get("cap", 0.50), "late_penalty.cap", 0.0, 1.0),
        zip_time_zone=str(lms.get("zip_time_zone", "UTC")),
        total_column=str(lms.get("total_column", "Weighted total (%)")),
    )


def course_gradebook_url(root: Path = ROOT) -> str:
    """The gradebook nbgrader uses for the course at ``root``: ``c.CourseDirectory.db_url``
    when its ``nbgrader_config.py`` sets one (a PostgreSQL gradebook for a class graded on a
    cluster), else ``gradebook.db`` in the root. Read the way nbgrader reads the file, which
    leaves this process as it was (the file installs the late penalty's grade hook)."""
    from traitlets.config.loader import PyFileConfigLoader

    path = Path(root) / "nbgrader_config.py"
    if path.is_file():
        hooked = following_grade_changes()
        config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
        if not hooked:
            stop_following_grade_changes()
        url = config.get("CourseDirectory", {}).get("db_url")
        if url:
            return str(url)
    return gradebook_url(root)


def configure_nbgrader(c, root) -> None:
    """The classroom's part of ``nbgrader_config.py``: the late-penalty plugin and its policy,
    and the penalty following every grade written in this process (formgrader's included)."""
    classroom = load(root)
    c.AssignLatePenalties.plugin_class = "grading.plugins.late.DailyLatePenalty"
    c.DailyLatePenalty.per_day = c.CurrentLatePenalty.per_day = classroom.per_day
    c.DailyLatePenalty.cap = c.CurrentLatePenalty.cap = classroom.cap
    follow_grade_changes(classroom.late_policy)


def set_due_dates(root: Path = ROOT) -> dict:
    """Write each configured due date into the gradebook; {assignment: due date} written.

    Assignments not yet in the gradebook are created (``make release`` fills in their cells)."""
    from nbgrader.api import Gradebook

    classroom = load(root)
    written = {}
    with Gradebook(course_gradebook_url(root), course_id=COURSE_ID) as gb:
        for name, settings in classroom.assignments.items():
            # nbgrader stores naive UTC times
            due = settings.due.replace(tzinfo=None) if settings.due else None
            gb.update_or_create_assignment(name, duedate=due)
            written[name] = settings.due
    return written


def read_roster(path: Path) -> list[dict]:
    """The roster's rows, checked: an ``id`` column, unique non-empty ids, known columns only."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"roster must be an existing CSV file, got {path}")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = [c.strip() for c in reader.fieldnames or []]
        unknown = sorted(set(columns) - set(ROSTER_COLUMNS))
        if "id" not in columns or unknown:
            raise ValueError(
                f"roster columns must include 'id' and be among {ROSTER_COLUMNS}; "
                f"{path.name} has {columns}"
            )
        rows = [{k.strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    ids = [row["id"] for row in rows]
    missing = [i + 2 for i, sid in enumerate(ids) if not sid]
    if missing:
        raise ValueError(f"roster {path.name}: empty id on line(s) {missing}")
    duplicates = sorted({sid for sid in ids if ids.count(sid) > 1})
    if duplicates:
        raise ValueError(f"roster {path.name}: ids must be unique, repeated: {duplicates}")
    return rows


def import_roster(path: Path, root: Path = ROOT) -> list[str]:
    """Check the roster, then import it with ``nbgrader db student import``; the ids imported."""

    rows = read_roster(path)
    done = run_nbgrader(Path(root), "db", "student", "import", str(Path(path).resolve()))
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader db student import failed:\n{done.stdout}{done.stderr}")
    return [row["id"] for row in rows]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("due-dates", help="write classroom.toml's due dates into the gradebook")
    roster = sub.add_parser("roster", help="import a roster CSV into the gradebook")
    roster.add_argument("csv", type=Path)
    args = parser.parse_args(argv)
    if args.command == "due-dates":
        for name, due in set_due_dates().items():
            print(f"{name}: due {due.isoformat() if due else 'never (no due date)'}")
    else:
        ids = import_roster(args.csv)
        print(f"Roster: {len(ids)} students in the gradebook ({', '.join(ids[:5])}...)")
    return 0


if __name__ == "__main__":
    run_command(main)
