"""From an LMS's "download all submissions" zip to ``submitted/<student>/<assignment>/``.

    python -m grading.classroom.lms submissions.zip --assignment a1_unstable_gradients \\
        [--lms canvas]
    make collect-zip ZIP=submissions.zip ASSIGNMENT=a1_unstable_gradients

The work is nbgrader's ``zip_collect`` with two plugins of this module:

- ``TimestampExtractor`` unpacks the zip into ``downloaded/<assignment>/extracted/`` keeping each
  file's time as the zip records it (Canvas and Moodle store the submission time there; read in
  ``classroom.toml``'s ``lms.zip_time_zone``), so that nbgrader writes ``timestamp.txt`` and
  ``nbgrader autograde`` can apply the late penalty;
- ``LmsCollector`` reads the student from each file's name with the LMS's naming pattern:
  Canvas ``doejane_12345_987654_a1.ipynb`` (``doejane_LATE_12345_...`` when late, ``a1-1.ipynb``
  for a re-upload), Moodle ``Jane Doe_12345_assignsubmission_file_/a1.ipynb`` or, without
  folders, ``Jane Doe_12345_assignsubmission_file_a1.ipynb``. The number is matched to the
  roster's ``lms_user_id`` (``make roster``), else the name to exactly one roster entry. A
  notebook under another name (``a1 (2).ipynb``) is filed under the released name when it is
  the student's only notebook for a one-notebook assignment.

Every file the patterns cannot place (not a notebook, an unknown student, a name that fits no
pattern) is listed with its reason and stays in ``downloaded/<assignment>/extracted/``; the list
is also written to ``downloaded/<assignment>/not-placed.txt``. So are the placed notebooks
nbgrader cannot read, and the students on the roster without a submission.

A collection never destroys the previous one: the zip is read whole before anything is touched
(``grading.classroom.archive``), nbgrader works in a staging folder, and its results replace the
earlier ``downloaded/<assignment>/`` (whose records name the feedback files for Canvas) and the
students' ``submitted/`` folders in one step, or not at all (``grading.classroom.staging``).
"""

import argparse
import datetime as dt
import json
import os
import re
import shutil
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from nbgrader.plugins import ExtractorPlugin, FileNameCollectorPlugin
from traitlets import Enum, Unicode

from grading.classroom.archive import check_zip
from grading.classroom.names import check_assignments
from grading.classroom.settings import course_gradebook_url, load
from grading.classroom.staging import replace_folders
from grading.cli import run_command
from grading.coursedir import ROOT, run_nbgrader
from grading.engine.readable import unreadable_notebooks

LMS_NAMES = ("auto", "canvas", "moodle")
PATTERNS = {
    # lastnamefirstname[_LATE]_<user id>_<submission id>_<the student's file name>
    "canvas": re.compile(
        r"(?:^|/)(?P<name>[^_/]+)_(?:(?P<late>LATE)_)?(?P<lms_id>\d+)_(?P<submission_id>\d+)_"
        r"(?P<file_id>[^/]+)$"
    ),
    # <Full Name>_<participant id>_assignsubmission_file_[/]<the student's file name>
    "moodle": re.compile(
        r"(?:^|/)(?P<name>[^_/]+)_(?P<lms_id>\d+)_assignsubmission_file_/?(?P<file_id>[^/]+)$"
    ),
}
RECORDS = "collect-records.jsonl"  # one line per file the collector saw, for the summary


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


class TimestampExtractor(ExtractorPlugin):
    """nbgrader's extractor, but each file keeps the time its zip entry records."""

    zip_time_zone = Unicode("UTC", help="Time zone of the zip's file times.").tag(config=True)

    def extract(self, archive_path, extracted_path):
        zone = ZoneInfo(self.zip_time_zone)
        for archive in sorted(Path(archive_path).rglob("*")):
            if not archive.is_file():
                continue
            if archive.suffix not in self.zip_ext or not zipfile.is_zipfile(archive):
                shutil.copy2(archive, Path(extracted_path) / archive.name)
                continue
            target = Path(extracted_path) / archive.stem
            self.log.info("Extracting %s to %s", archive, target)
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    if info.is_dir():
                        continue
                    path = Path(zf.extract(info, target))
                    when = dt.datetime(*info.date_time, tzinfo=zone).timestamp()
                    os.utime(path, (when, when))


@dataclass
class Placement:
    """What the collector decided for one file."""

    file: str
    student: str = ""
    notebook: str = ""
    timestamp: str = ""
    lms: str = ""
    late_marker: bool = False
    reason: str = ""  # why the file was not placed; empty when it was


class LmsCollector(FileNameCollectorPlugin):
    """Students from Canvas's or Moodle's file names, matched to the roster in the gradebook."""

    lms = Enum(LMS_NAMES, default_value="auto", help="The LMS's naming pattern.").tag(config=True)

    _students = None

    def _roster(self):
        if self._students is None:
            from nbgrader.api import Gradebook

            coursedir = self.parent.coursedir
            with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
                self._students = [
                    (s.id, s.lms_user_id or "", s.first_name or "", s.last_name or "")
                    for s in gb.students
                ]
        return self._students

    def _released(self) -> list[str]:
        coursedir = self.parent.coursedir
        folder = Path(coursedir.format_path(coursedir.release_directory, ".", "."))
        return sorted(p.name for p in (folder / coursedir.assignment_id).glob("*.ipynb"))

    def _record(self, placement: Placement) -> None:
        work = Path(self.parent._format_collect_path(self.parent.extracted_directory)).parent
        with open(work / RECORDS, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(placement.__dict__) + "\n")

    def _student(self, lms_id: str, name: str) -> tuple[str, str]:
        """(student id, "") or ("", why not)."""
        roster = self._roster()
        if not roster:
            return "", "the gradebook has no roster: make roster ROSTER=<csv> first"
        by_id = [sid for sid, lms_user_id, _, _ in roster if lms_user_id and lms_user_id == lms_id]
        if len(by_id) == 1:
            return by_id[0], ""
        wanted = _squash(name)
        by_name = [
            sid
            for sid, _, first, last in roster
            if wanted and wanted in (_squash(first + last), _squash(last + first))
        ]
        if len(by_name) == 1:
            return by_name[0], ""
        if by_name:
            return "", f"the name {name!r} fits {len(by_name)} students on the roster"
        return "", f"LMS id {lms_id} ({name!r}) is not on the roster"

    def collect(self, submitted_file):
        placement = Placement(file=submitted_file)
        patterns = PATTERNS if self.lms == "auto" else {self.lms: PATTERNS[self.lms]}
        posix = Path(submitted_file).as_posix()
        match = next(
            ((lms, m) for lms, p in patterns.items() if (m := p.search(posix))), (None, None)
        )
        if Path(submitted_file).suffix not in self.valid_ext:
            placement.reason = f"not a notebook ({Path(submitted_file).suffix or 'no extension'})"
        elif match[1] is None:
            placement.reason = f"the name fits no {'/'.join(patterns)} naming pattern"
        else:
            lms, m = match
            placement.lms, placement.late_marker = lms, bool(m.groupdict().get("late"))
            placement.student, placement.reason = self._student(m["lms_id"], m["name"])
            placement.notebook = self._notebook(m["file_id"])
            when = dt.datetime.fromtimestamp(os.path.getmtime(submitted_file), dt.UTC)
            placement.timestamp = when.isoformat()
        self._record(placement)
        if placement.reason:
            self.log.warning("Not placed: %s (%s)", submitted_file, placement.reason)
            return None
        return {
            "student_id": placement.student,
            "file_id": placement.notebook,
            "timestamp": placement.timestamp,
        }

    def _notebook(self, file_id: str) -> str:
        """The released notebook this file is: its own name, Canvas's re-upload name without
        ``-N``, or the only notebook of a one-notebook assignment."""
        released = self._released()
        undone = re.sub(r"-\d+(\.ipynb)$", r"\1", file_id)
        for candidate in (file_id, undone):
            if candidate in released:
                return candidate
        if len(released) == 1:
            self.log.warning("Filing %s as %s (the assignment's notebook)", file_id, released[0])
            return released[0]
        return file_id


@dataclass
class CollectResult:
    placed: list = field(default_factory=list)  # Placement, in file order
    not_placed: list = field(default_factory=list)  # Placement with a reason
    unreadable: dict = field(default_factory=dict)  # student -> why nbgrader cannot read it
    kept: list = field(default_factory=list)  # students not in this zip, earlier files kept
    missing: list = field(default_factory=list)  # roster students without any submission
    log: str = ""


def _nbgrader_zip_collect(root: Path, assignment: str, stage: str, lms: str) -> str:
    """nbgrader's ``zip_collect`` with this module's plugins, writing only under ``stage`` (a
    folder relative to ``root``); its log. A ``RuntimeError`` when nbgrader fails."""
    done = run_nbgrader(
        root,
        "zip_collect",
        assignment,
        "--force",
        "--extractor=grading.classroom.lms.TimestampExtractor",
        "--collector=grading.classroom.lms.LmsCollector",
        f"--LmsCollector.lms={lms}",
        f"--TimestampExtractor.zip_time_zone={load(root).zip_time_zone}",
        f"--ZipCollectApp.downloaded_directory={stage}/downloaded",
        f"--CourseDirectory.submitted_directory={stage}/submitted",
    )
    log = done.stdout + done.stderr
    if done.returncode != 0:
        tail = "\n".join(log.strip().splitlines()[-15:])
        raise RuntimeError(f"nbgrader zip_collect failed; nothing was changed:\n{tail}")
    return log


def _sort_out(work: Path, log: str) -> CollectResult:
    """Which file was placed and which not (and why), from the collector's records in ``work``;
    the records and ``not-placed.txt`` rewritten with paths relative to ``work``."""
    records = work / RECORDS
    lines = records.read_text(encoding="utf-8").splitlines() if records.is_file() else []
    seen = [Placement(**json.loads(line)) for line in lines]
    for p in seen:
        p.file = str(Path(p.file).relative_to(work)) if Path(p.file).is_absolute() else p.file
    result = CollectResult(log=log)
    newest = {}
    for p in seen:
        if p.reason:
            result.not_placed.append(p)
        else:
            key = p.student, p.notebook
            if key in newest and newest[key].timestamp > p.timestamp:
                p.reason = f"an older upload; {Path(newest[key].file).name} is newer"
                result.not_placed.append(p)
                continue
            if key in newest:
                newest[key].reason = f"an older upload; {Path(p.file).name} is newer"
                result.not_placed.append(newest[key])
            newest[key] = p
    result.placed = list(newest.values())
    listed = {p.file for p in seen}
    extracted = {p for p in (work / "extracted").rglob("*") if p.is_file()}
    for path in sorted(extracted):  # anything nbgrader skipped before asking us
        if str(path.relative_to(work)) not in listed:
            result.not_placed.append(
                Placement(file=str(path.relative_to(work)), reason="skipped by zip_collect")
            )
    records.write_text("".join(json.dumps(p.__dict__) + "\n" for p in seen), encoding="utf-8")
    lines = [f"{p.file}: {p.reason}" for p in result.not_placed]
    (work / "not-placed.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
    return result


def _roster(root: Path) -> list[str]:
    from nbgrader.api import Gradebook

    with Gradebook(course_gradebook_url(root)) as gb:
        return sorted(s.id for s in gb.students)


def collect_zip(zip_path, assignment: str, root: Path = ROOT, lms: str = "auto") -> CollectResult:
    """Place the submissions of one LMS download in ``submitted/``; what went where, what did
    not and why, and who on the roster has no submission.

    The zip is checked whole first (``grading.classroom.archive``); nbgrader's ``zip_collect``
    then works in a staging folder, and its results replace the previous collection's folders
    only when it succeeded (``grading.classroom.staging``). A bad zip or a failed run leaves the
    course exactly as it was. Students with an earlier submission who are not in this zip keep
    it."""
    root, zip_path = Path(root), Path(zip_path)
    if lms not in LMS_NAMES:
        raise ValueError(f"lms must be one of {LMS_NAMES}, got {lms!r}")
    check_assignments([assignment], root)
    check_zip(zip_path)
    stage_name = f"downloaded/.staging-{assignment}"
    stage = root / stage_name
    shutil.rmtree(stage, ignore_errors=True)  # a leftover of an interrupted run
    try:
        archive = stage / "downloaded" / assignment / "archive"
        archive.mkdir(parents=True)
        shutil.copy2(zip_path, archive / zip_path.name)
        log = _nbgrader_zip_collect(root, assignment, stage_name, lms)
        work = stage / "downloaded" / assignment
        result = _sort_out(work, log)
        staged = sorted((stage / "submitted").glob(f"*/{assignment}"))
        for folder in staged:
            reasons = unreadable_notebooks(folder)
            if reasons:
                result.unreadable[folder.parent.name] = "; ".join(
                    f"{name}: {why}" for name, why in reasons.items()
                )
        pairs = [(work, root / "downloaded" / assignment)]
        pairs += [(f, root / "submitted" / f.parent.name / assignment) for f in staged]
        replace_folders(pairs, stage / "previous")
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    placed = {p.student for p in result.placed}
    have = {p.parent.name for p in (root / "submitted").glob(f"*/{assignment}") if p.is_dir()}
    result.kept = sorted(have - placed)
    result.missing = sorted(set(_roster(root)) - have)
    return result


def late_marker_mismatches(result: CollectResult, assignment: str, root: Path = ROOT) -> list:
    """Files whose Canvas LATE marker disagrees with their time and the due date."""
    settings = load(root).assignments.get(assignment)
    if settings is None or settings.due is None:
        return []
    return [
        p
        for p in result.placed
        if p.lms == "canvas"
        and p.late_marker != (dt.datetime.fromisoformat(p.timestamp) > settings.due)
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zip", type=Path, help="the LMS's download of all submissions")
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--lms", default="auto", choices=LMS_NAMES)
    args = parser.parse_args(argv)
    try:
        result = collect_zip(args.zip, args.assignment, lms=args.lms)
    except RuntimeError as error:  # nbgrader's own failure, its last lines shown
        print(f"error: {error}", file=sys.stderr)
        return 1
    for p in result.placed:
        target = f"submitted/{p.student}/{args.assignment}/{p.notebook}"
        print(f"placed     {Path(p.file).name} -> {target} (submitted {p.timestamp}, {p.lms})")
    for p in late_marker_mismatches(result, args.assignment):
        print(f"CHECK      {Path(p.file).name}: Canvas's LATE marker disagrees with its time")
    for p in result.not_placed:
        print(f"NOT PLACED {Path(p.file).name}: {p.reason}")
    for student, why in result.unreadable.items():
        print(f"UNREADABLE {student}: could not be read: {why} (ask for it again)")
    for student in result.kept:
        print(f"KEPT       {student}: not in this zip; the earlier submission stays")
    for student in result.missing:
        print(f"NO SUBMISSION {student}")
    print(
        f"{len(result.placed)} notebooks placed, {len(result.not_placed)} files not placed "
        f"(listed in downloaded/{args.assignment}/not-placed.txt), "
        f"{len(result.missing)} on the roster without a submission"
    )
    return 0 if result.placed else 1


if __name__ == "__main__":
    run_command(main)
