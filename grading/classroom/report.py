"""How the class did, on one page: ``make report`` writes ``build/report.html``.

    python -m grading.classroom.report [--root COURSE] [--out build/report.html]

Read from what grading leaves behind, never re-run:

- nbgrader's gradebook: each submission's score after the late penalty (score distribution per
  assignment, students on the roster without a submission counted apart) and each test cell's
  score (the share of graded submissions that lost points on it);
- ``solutions/``: which test cells hold hidden tests, so that visible and hidden tests stand side
  by side (a hidden test most students fail points at unclear instructions);
- ``autograded/<student>/<assignment>/*.ipynb``: the messages of failing test cells, counted as
  "named mistakes" (the assignments' checks name the variable and the mistake);
- the grading log ``build/grading-log.jsonl`` (one JSON object per graded submission: seconds,
  status, faults such as timeouts and dead kernels), when the autograder wrote one.

Plots are matplotlib PNGs embedded in the page, so the file can be mailed or uploaded alone.
``summarize`` returns the numbers the page shows (tested against a gradebook of known scores).
"""

import argparse
import base64
import collections
import html
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from grading.cli import run_command
from grading.coursedir import COURSE_ID, ROOT, gradebook_url

HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"


@dataclass
class TestCell:
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
    # assignment -> {student: percent of max score after the late penalty}
    percents: dict = field(default_factory=dict)
    max_scores: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)  # assignment -> students on roster w/o submission
    tests: list = field(default_factory=list)  # TestCell, in notebook order
    mistakes: collections.Counter = field(default_factory=collections.Counter)  # (a, msg) -> n
    log: list = field(default_factory=list)  # grading-log entries, as read
    faults: list = field(default_factory=list)  # (assignment, student, cell, reason)


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


def failing_messages(notebook: Path) -> dict:
    """{grade_id: "Error: message"} of the test cells that failed in an autograded notebook."""
    messages = {}
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or meta.get("solution"):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                first = (output.get("evalue") or "").strip().splitlines()
                messages[meta["grade_id"]] = f"{output.get('ename', 'Error')}: " + (
                    first[0] if first else ""
                )
                break
    return messages


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


def summarize(root: Path = ROOT, log_path: Path | None = None) -> Summary:
    """The report's numbers from the course at ``root``."""
    from nbgrader.api import Gradebook

    root = Path(root)
    summary = Summary()
    with Gradebook(gradebook_url(root), course_id=COURSE_ID) as gb:
        students = [s.id for s in gb.students]
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            name, top = assignment.name, float(assignment.max_score or 0)
            hidden = hidden_cells(root, name)
            cells = {}
            for notebook in assignment.notebooks:
                for cell in notebook.grade_cells:
                    if cell.cell_type == "code":
                        cells[cell.name] = TestCell(name, cell.name, cell.name in hidden)
            percents = {}
            for submission in assignment.submissions:
                penalty = submission.late_submission_penalty or 0.0
                score = max(0.0, float(submission.score) - float(penalty))
                percents[submission.student.id] = 100 * score / top if top else 0.0
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        test = cells.get(grade.name)
                        if test is None or grade.auto_score is None:
                            continue
                        test.graded += 1
                        test.failed += grade.score < grade.max_score
            summary.percents[name] = percents
            summary.max_scores[name] = top
            summary.missing[name] = sorted(set(students) - set(percents))
            summary.tests.extend(cells.values())
    for notebook in sorted((root / "autograded").glob("*/*/*.ipynb")):
        assignment = notebook.parent.name
        for message in failing_messages(notebook).values():
            summary.mistakes[assignment, message] += 1
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


# ------------------------------------------------------------------ plots
def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def plot_scores(summary: Summary) -> str:
    import matplotlib.pyplot as plt

    names = list(summary.percents)
    fig, axes = plt.subplots(1, max(1, len(names)), figsize=(3.2 * max(1, len(names)), 2.8))
    axes = [axes] if len(names) <= 1 else list(axes)
    for ax, name in zip(axes, names, strict=False):
        values = list(summary.percents[name].values())
        ax.hist(values, bins=range(0, 101, 10), color="tab:blue", edgecolor="white")
        ax.set_title(f"{name}\n{len(values)} submitted, {len(summary.missing[name])} missing")
        ax.set_xlabel("score (% of max)")
        ax.set_xlim(0, 100)
    axes[0].set_ylabel("submissions")
    fig.suptitle("Score distribution per assignment (after late penalties)")
    return _png(fig)


def plot_tests(summary: Summary) -> str:
    import matplotlib.pyplot as plt

    names = list(summary.percents)
    fig, axes = plt.subplots(
        1,
        max(1, len(names)),
        figsize=(
            3.6 * max(1, len(names)),
            0.5
            + 0.22 * max([sum(t.assignment == n for t in summary.tests) for n in names] or [1]),
        ),
        squeeze=False,
    )
    for ax, name in zip(axes[0], names, strict=False):
        tests = [t for t in summary.tests if t.assignment == name]
        y = range(len(tests))
        ax.barh(
            list(y),
            [100 * t.failure_share for t in tests],
            color=["tab:orange" if t.hidden else "tab:blue" for t in tests],
        )
        ax.set_yticks(list(y), [t.name for t in tests], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of graded submissions failing")
        ax.set_title(name, fontsize=9)
    from matplotlib.patches import Patch

    handles = [
        Patch(color="tab:blue", label="visible test"),
        Patch(color="tab:orange", label="hidden test"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.14))
    fig.suptitle("Failure share per test cell")
    return _png(fig)


def plot_mistakes(summary: Summary, top: int = 12) -> str:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    common = summary.mistakes.most_common(top)
    fig, ax = plt.subplots(figsize=(10, 0.6 + 0.35 * max(1, len(common))))
    labels = [f"{a[:2]}  {m[:90]}" for (a, m), _ in common]
    ax.barh(range(len(common)), [n for _, n in common], color="tab:red")
    ax.set_yticks(range(len(common)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("submissions")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"The {len(common)} most common failing-test messages")
    return _png(fig)


def plot_times(summary: Summary) -> str:
    import matplotlib.pyplot as plt

    entries = sorted(summary.log, key=lambda e: e.get("seconds", 0))
    fig, ax = plt.subplots(figsize=(10, 2.8))
    colors = [
        "tab:red" if e.get("status") == "failed" or e.get("faults") else "tab:green"
        for e in entries
    ]
    ax.bar(range(len(entries)), [e.get("seconds", 0) for e in entries], color=colors)
    if len(entries) <= 40:
        labels = [f"{e.get('student')}\n{str(e.get('assignment'))[:2]}" for e in entries]
        ax.set_xticks(range(len(entries)), labels, fontsize=7)
    else:
        ax.set_xticks([])
    ax.set_xlabel("submissions, fastest to slowest (red: a fault or a failure)")
    ax.set_ylabel("seconds")
    ax.set_title("Grading time per submission")
    return _png(fig)


def render(summary: Summary) -> str:
    def img(data: str, alt: str) -> str:
        return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'

    rows = []
    for name, percents in summary.percents.items():
        values = sorted(percents.values())
        mean = sum(values) / len(values) if values else 0.0
        median = values[len(values) // 2] if values else 0.0
        rows.append(
            f"<li><b>{html.escape(name)}</b>: {len(values)} submissions, mean {mean:.1f} %, "
            f"median {median:.1f} %, {len(summary.missing[name])} on the roster without one</li>"
        )
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Grading report</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}img{max-width:100%}"
        "</style></head><body><h1>Grading report</h1><ul>",
        *rows,
        "</ul>",
        img(plot_scores(summary), "score distribution per assignment"),
    ]
    if summary.tests:
        parts.append(img(plot_tests(summary), "failure share per test cell"))
    if summary.mistakes:
        parts.append(img(plot_mistakes(summary), "most common failing-test messages"))
    if summary.log:
        seconds = [e.get("seconds", 0) for e in summary.log]
        parts.append(
            f"<p>{len(seconds)} submissions graded in {sum(seconds):.0f} s "
            f"(slowest {max(seconds):.1f} s).</p>"
        )
        parts.append(img(plot_times(summary), "grading time per submission"))
    if summary.faults:
        parts.append("<h2>Timeouts, dead kernels and failures</h2><ul>")
        parts += [
            f"<li>{html.escape(str(a))} / {html.escape(str(s))}: cell {html.escape(str(c))}: "
            f"{html.escape(str(r))}</li>"
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
