"""How the class did, on one page: ``make report`` writes ``build/report.html``.

    python -m grading.classroom.report [--root COURSE] [--out build/report.html]

Read from what grading leaves behind, never re-run, and only for assignments somebody submitted:

- nbgrader's gradebook: each submission's score after the late penalty (recomputed from the
  current grades, as the exports do), who on the roster did not submit, who was late and by how
  much, each test cell's share of submissions losing points on it (visible and hidden tests side
  by side: a hidden test most students fail points at unclear instructions), and a table of
  every student's results;
- ``submitted/``: files nbgrader cannot read ("could not be read: <reason>");
- ``downloaded/<assignment>/not-placed.txt``: files of the last LMS download no student got;
- ``autograded/``: the named mistakes ("Likely mistake: ...") per graded function, counted in
  students (``grading.classroom.mistakes``);
- the grading log ``build/grading-log.jsonl`` (seconds, faults such as timeouts and dead
  kernels), when the autograder wrote one.

Plots are matplotlib PNGs (``grading.classroom.figures``) embedded in the page, so the file can
be mailed or uploaded alone. ``summarize`` returns the numbers the page shows.
"""

import argparse
import html
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from grading.classroom.mistakes import class_mistakes
from grading.classroom.settings import course_gradebook_url, load
from grading.classroom.standing import Standing
from grading.cli import run_command
from grading.coursedir import COURSE_ID, ROOT
from grading.engine.readable import unreadable_notebooks
from grading.plugins.late import refresh_penalties

HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"


@dataclass
class GradedTest:
    assignment: str
    name: str
    hidden: bool
    graded: int = 0  # submissions with a score for this cell
    failed: int = 0  # ... that lost points on it

    @property
    def failure_share(self) -> float:
        return self.failed / self.graded if self.graded else 0.0


@dataclass
class Summary:
    assignments: list = field(default_factory=list)  # with at least one submission, in order
    students: dict = field(default_factory=dict)  # roster id -> "First Last"
    results: dict = field(default_factory=dict)  # assignment -> {student: Standing}
    max_scores: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)  # assignment -> roster students w/o submission
    late: dict = field(default_factory=dict)  # assignment -> [(student, hours, penalty)]
    unreadable: dict = field(default_factory=dict)  # assignment -> {student: reason}
    not_placed: dict = field(default_factory=dict)  # assignment -> ["file: reason"]
    tests: list = field(default_factory=list)  # GradedTest, in notebook order
    mistakes: dict = field(default_factory=dict)  # assignment -> {function: [(mistake, [s])]}
    log: list = field(default_factory=list)  # grading-log entries, as read
    faults: list = field(default_factory=list)  # (assignment, student, cell, reason)

    @property
    def percents(self) -> dict:
        """assignment -> {student: percent of the maximum after the late penalty}."""
        return {a: {s: r.percent for s, r in rs.items()} for a, rs in self.results.items()}


def hidden_cells(root: Path, assignment: str) -> set:
    """grade_ids of the test cells with hidden tests in ``solutions/<assignment>/``."""
    hidden = set()
    for path in (Path(root) / "solutions" / assignment).glob("*.ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id and HIDDEN_BEGIN in source:
                hidden.add(grade_id)
    return hidden


def read_log(path: Path) -> list:
    """The grading log's entries; a line that is not JSON is skipped with a note on stderr."""
    entries = []
    if Path(path).is_file():
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                print(f"{path}:{number}: not JSON, skipped", file=sys.stderr)
    return entries


def _unreadable(root: Path) -> dict:
    """assignment -> {student: reason} for the submitted files nbgrader cannot read."""
    found = {}
    for folder in sorted(Path(root).glob("submitted/*/*")):
        if folder.is_dir():
            reasons = unreadable_notebooks(folder)
            if reasons:
                found.setdefault(folder.name, {})[folder.parent.name] = "; ".join(
                    f"{name}: {why}" for name, why in reasons.items()
                )
    return found


def _not_placed(root: Path, assignment: str) -> list:
    listing = Path(root) / "downloaded" / assignment / "not-placed.txt"
    return listing.read_text(encoding="utf-8").splitlines() if listing.is_file() else []


def _read_gradebook(gb, root: Path, summary: Summary, unreadable: dict) -> None:
    summary.students = {
        s.id: " ".join(p for p in (s.first_name, s.last_name) if p) or s.id for s in gb.students
    }
    order = list(load(root).assignments)
    assignments = sorted(
        gb.assignments,
        key=lambda a: (order.index(a.name) if a.name in order else len(order), a.name),
    )
    for assignment in assignments:
        name, top = assignment.name, float(assignment.max_score or 0)
        if not assignment.submissions and name not in unreadable:
            continue  # nobody submitted: no panel, no row
        summary.assignments.append(name)
        summary.max_scores[name] = top
        hidden = hidden_cells(root, name)
        cells = {}
        for notebook in assignment.notebooks:
            for cell in notebook.grade_cells:
                if cell.cell_type == "code":
                    cells[cell.name] = GradedTest(name, cell.name, cell.name in hidden)
        results, late = {}, []
        for submission in assignment.submissions:
            student = submission.student.id
            if student in unreadable.get(name, {}):
                continue  # an older grade of a file since replaced by an unreadable one
            result = Standing.of(submission, top)
            results[student] = result
            if result.hours_late > 0:
                late.append((student, result.hours_late, result.penalty))
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    test = cells.get(grade.name)
                    if test is None or grade.auto_score is None:
                        continue
                    test.graded += 1
                    test.failed += grade.score < grade.max_score
        summary.results[name] = results
        summary.late[name] = sorted(late)
        summary.missing[name] = sorted(
            set(summary.students) - set(results) - set(unreadable.get(name, {}))
        )
        summary.tests.extend(cells.values())


def summarize(root: Path = ROOT, log_path: Path | None = None) -> Summary:
    """The report's numbers from the course at ``root``."""
    from nbgrader.api import Gradebook

    root = Path(root)
    summary = Summary()
    unreadable = _unreadable(root)
    with Gradebook(course_gradebook_url(root), course_id=COURSE_ID) as gb:
        refresh_penalties(gb, load(root).late_policy)
        _read_gradebook(gb, root, summary, unreadable)
    for name in summary.assignments:
        summary.unreadable[name] = unreadable.get(name, {})
        summary.not_placed[name] = _not_placed(root, name)
        summary.mistakes[name] = class_mistakes(root, name)
    summary.log = read_log(log_path or root / "build" / "grading-log.jsonl")
    for entry in summary.log:
        for fault in entry.get("faults") or []:
            summary.faults.append(
                (
                    entry.get("assignment"),
                    entry.get("student"),
                    fault.get("cell"),
                    fault.get("reason"),
                )
            )
        if entry.get("status") == "failed" and not entry.get("faults"):
            summary.faults.append((entry.get("assignment"), entry.get("student"), None, "failed"))
    return summary


# ------------------------------------------------------------------ the page
def _esc(value) -> str:
    return html.escape(str(value))


def _names(students) -> str:
    return ", ".join(_esc(s) for s in students) if students else "none"


def _cell(summary: Summary, assignment: str, student: str) -> str:
    """One student's entry in the per-student table."""
    if student in summary.unreadable.get(assignment, {}):
        return "could not be read"
    result = summary.results[assignment].get(student)
    if result is None:
        return "missing"
    text = f"{result.score:.1f} / {result.max_score:g}"
    if result.hours_late > 0:
        text += f" (late {result.hours_late:.0f} h, -{result.penalty:.1f})"
    if result.to_grade:
        text += f" ({result.to_grade:g} to grade)"
    if result.to_review:
        text += f" ({result.to_review:g} to review)"
    return text


def _assignment_section(summary: Summary, name: str) -> list[str]:
    results = summary.results[name]
    values = sorted(r.percent for r in results.values())
    mean = sum(values) / len(values) if values else 0.0
    median = values[len(values) // 2] if values else 0.0
    unreadable = summary.unreadable.get(name, {})
    late = [f"{_esc(s)} ({h:.1f} h, -{p:.1f} points)" for s, h, p in summary.late[name]]
    unread = [f"{_esc(s)}: could not be read: {_esc(r)}" for s, r in unreadable.items()]
    not_placed = [_esc(line) for line in summary.not_placed[name]]
    parts = [
        f"<h2>{_esc(name)}</h2>",
        f"<p>{len(results)} submissions graded, mean {mean:.1f} %, median {median:.1f} % "
        f"(after late penalties); {len(summary.missing[name])} on the roster without a "
        f"submission; {len(unreadable)} could not be read.</p><ul>",
        f"<li><b>Missing</b>: {_names(summary.missing[name])}</li>",
        f"<li><b>Late</b>: {', '.join(late) or 'none'}</li>",
        f"<li><b>Could not be read</b>: {'; '.join(unread) or 'none'}</li>",
        f"<li><b>Not placed</b> (last LMS download): {'; '.join(not_placed) or 'none'}</li>",
        "</ul>",
    ]
    mistakes = summary.mistakes.get(name) or {}
    if mistakes:
        parts.append("<h3>Most frequent named mistakes, per graded function</h3><ul>")
        for function, entries in mistakes.items():
            shown = "; ".join(
                f"{_esc(m)}: {len(who)} student{'s' if len(who) != 1 else ''}"
                for m, who in entries[:3]
            )
            parts.append(f"<li><code>{_esc(function)}</code>: {shown}</li>")
        parts.append("</ul>")
    return parts


def _student_table(summary: Summary) -> list[str]:
    head = "".join(f"<th>{_esc(a)}</th>" for a in summary.assignments)
    rows = [
        "<h2>Every student</h2><table border='1' cellpadding='3' style='border-collapse:"
        f"collapse'><tr><th>student</th><th>name</th>{head}</tr>"
    ]
    for student, name in sorted(summary.students.items()):
        cells = "".join(f"<td>{_cell(summary, a, student)}</td>" for a in summary.assignments)
        rows.append(f"<tr><td>{_esc(student)}</td><td>{_esc(name)}</td>{cells}</tr>")
    rows.append("</table>")
    return rows


def render(summary: Summary) -> str:
    from grading.classroom.figures import failure_figure, png, score_figure, time_figure

    def img(fig, alt: str) -> str:
        return f'<img alt="{_esc(alt)}" src="data:image/png;base64,{png(fig)}">'

    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Grading report</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}img{max-width:100%}"
        "td,th{font-size:90%}</style></head><body><h1>Grading report</h1>",
    ]
    if not summary.assignments:
        parts.append("<p>Nobody has submitted anything yet.</p></body></html>")
        return "\n".join(parts)
    parts.append(img(score_figure(summary), "score distribution per assignment"))
    for name in summary.assignments:
        parts += _assignment_section(summary, name)
        if any(t.assignment == name and t.graded for t in summary.tests):
            parts.append(img(failure_figure(summary, name), f"failure share per test of {name}"))
    parts += _student_table(summary)
    if summary.log:
        seconds = [e.get("seconds", 0) for e in summary.log]
        slowest = sorted(summary.log, key=lambda e: -e.get("seconds", 0))[:3]
        named = ", ".join(
            f"{_esc(e.get('student'))} {_esc(e.get('assignment'))} ({e.get('seconds', 0):.1f} s)"
            for e in slowest
        )
        parts.append(
            f"<h2>Grading</h2><p>{len(seconds)} submissions graded in {sum(seconds):.0f} s "
            f"(slowest {max(seconds):.1f} s). Slowest: {named}.</p>"
        )
        parts.append(img(time_figure(summary), "grading time per submission"))
    if summary.faults:
        parts.append("<h2>Timeouts, dead kernels and failures</h2><ul>")
        parts += [
            f"<li>{_esc(a)} / {_esc(s)}: cell {_esc(c)}: {_esc(r)}</li>"
            for a, s, c, r in summary.faults
        ]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(root: Path = ROOT, out: Path | None = None, log_path: Path | None = None) -> Path:
    root = Path(root)
    out = Path(out) if out else root / "build" / "report.html"
    summary = summarize(root, log_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(summary), encoding="utf-8")
    return out


def main(argv=None) -> int:
    import matplotlib

    matplotlib.use("Agg")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the course root")
    parser.add_argument("--out", type=Path, default=None, help="default: <root>/build/report.html")
    args = parser.parse_args(argv)
    out = write_report(args.root, args.out)
    print(f"Grading report: {out}")
    return 0


if __name__ == "__main__":
    run_command(main)
