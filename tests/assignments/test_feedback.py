"""Wrong submissions lose points and their feedback names the mistake; correct variants get
every point. Graded by the course's own grading command on a throw-away course.

For every assignment the module builds, from the instructor notebook
(``tests/support/assignment_mistakes.py``):

- ``mistakes-1``, ``mistakes-2``, ...: one submission per round of common mistakes, each
  graded function broken by at least one of them over the rounds; among them the slips that
  hide their cause (an argument changed in place, a function another one goes through);
- ``variants``: correct solutions written differently (loops, float32, a functional model, the
  other placement of epsilon, a copy changed in place, ...), one of which makes Keras print a
  warning on stderr.

The mistakes submissions leave out the final experiment cell of a4 and a5 (read-only, not
graded, and the slowest cell), as a student may: grading still runs every test cell.

``python -m grading.engine.autograde --jobs 2`` (``make autograde``: one sandboxed ``nbgrader
autograde`` per submission, two at a time) grades them all, ``nbgrader generate_feedback``
writes the feedback, and the scores come from the gradebook. A diagnosis counts only where the
feedback shows it as the error of a test (``CheckFailed: ...`` or ``AssertionError: ...`` and
the lines of its message), not in the test's source that the feedback also shows; a test that
goes through a broken function must say to fix that function first.
"""

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.assignment_mistakes import ROUNDS, VARIANTS, apply_edits
from tests.support.course import (
    available_assignments,
    html_text,
    make_course,
    read_scores,
    run_engine,
    run_nbgrader,
    submit,
)

pytestmark = pytest.mark.slow

ASSIGNMENTS = [a for a in available_assignments() if a in ROUNDS]
CASES = [
    (name, index, mistake)
    for name in ASSIGNMENTS
    for index, round_ in enumerate(ROUNDS[name])
    for mistake in round_
]
ERROR_LINE = re.compile(r"^\s*(CheckFailed|AssertionError): (.*)$")
GRADE_CELL = re.compile(r"^\s*Grade cell: (\S+)")


def student(index: int) -> str:
    return f"mistakes-{index + 1}"


@dataclass
class Graded:
    root: Path
    scores: dict
    log: str
    seconds: float

    def feedback(self, who: str, name: str) -> str:
        path = self.root / "feedback" / who / name / f"{name}.html"
        return path.read_text(encoding="utf-8")


def cell_messages(html: str) -> list[tuple[str, str]]:
    """(grade_id, message) of every failed check the feedback page shows, each message with its
    later lines (the previews, "Likely mistake: ...") up to the blank line that ends it."""
    lines = html_text(html).splitlines()
    found, cell = [], None
    for i, line in enumerate(lines):
        if grade := GRADE_CELL.match(line):
            cell = grade.group(1)
        elif match := ERROR_LINE.match(line):
            rest = []
            for more in lines[i + 1 :]:
                if not more.strip():
                    break
                rest.append(more.strip())
            found.append((cell, "\n".join([match.group(2), *rest])))
    return found


def error_messages(html: str) -> list[str]:
    """The messages of the failed checks the feedback page shows."""
    return [message for _, message in cell_messages(html)]


def without_experiment(notebook: dict) -> dict:
    """The notebook without its read-only, ungraded experiment cell (if it has one)."""
    cells = notebook["cells"]
    notebook["cells"] = [
        c
        for c in cells
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "experiment"
    ]
    return notebook


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    root = make_course(tmp_path_factory.mktemp("feedback") / "course")
    generated = run_nbgrader(root, "generate_assignment", "*", "--force")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    for name in ASSIGNMENTS:
        solution = json.loads((root / "solutions" / name / f"{name}.ipynb").read_text())
        for index, round_ in enumerate(ROUNDS[name]):
            submit(root, student(index), name, without_experiment(apply_edits(solution, round_)))
        submit(root, "variants", name, apply_edits(solution, VARIANTS[name]))
    # New students are added to the gradebook by the engine before its jobs start
    # (grading.engine.jobs.add_students), so two jobs never both insert one.
    start = time.monotonic()
    done = run_engine(root, "--jobs", "2", "--no-backup")
    seconds = time.monotonic() - start
    assert done.returncode == 0, done.stdout + done.stderr
    feedback = run_nbgrader(root, "generate_feedback", "*")
    assert feedback.returncode == 0, feedback.stdout + feedback.stderr
    return Graded(root, read_scores(root), done.stdout + done.stderr, seconds)


@pytest.mark.parametrize(
    "name, index, mistake",
    CASES,
    ids=[f"{name[:2]}-{student(i)}-{m.function}" for name, i, m in CASES],
)
def test_a_wrong_function_loses_points_and_its_feedback_names_the_mistake(
    graded, name, index, mistake
):
    score = graded.scores[name, student(index)]
    kept = {gid: score.grades[gid][:2] for gid in mistake.fails if score.grades[gid][0]}
    assert not kept, (
        f"{mistake.function} is wrong ({mistake.new!r}) but these tests passed: {kept}"
    )
    grades = {gid: score.grades[gid][:2] for gid in mistake.keeps}
    lost = {gid: (auto, top) for gid, (auto, top) in grades.items() if (auto or 0) < top}
    assert not lost, f"{mistake.function} ({mistake.new!r}) costs points elsewhere: {lost}"
    messages = error_messages(graded.feedback(student(index), name))
    assert any(mistake.diagnosis in message for message in messages), (
        f"the feedback does not name the mistake {mistake.diagnosis!r}; it shows: "
        f"{[m for m in messages if mistake.function in m or 'Likely' in m][:5]}"
    )
    by_cell = dict(cell_messages(graded.feedback(student(index), name)))
    first = f"Fix `{mistake.function}` first: it fails its own tests"
    silent = {
        gid: by_cell.get(gid) for gid in mistake.knock_on if first not in by_cell.get(gid, "")
    }
    assert not silent, f"tests that go through {mistake.function} do not say {first!r}: {silent}"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_feedback_messages_are_short_never_show_nan_and_give_the_mistake_its_own_line(
    graded, name
):
    for index in range(len(ROUNDS[name])):
        messages = error_messages(graded.feedback(student(index), name))
        assert messages, f"{name}, {student(index)}: no failed check in the feedback"
        for message in messages:
            assert not re.search(r"\bnan\b", message, flags=re.IGNORECASE), message
            # one idea per line: the case and the numbers, the previews, the likely mistake; a
            # test that goes through another function adds that function's gist
            longest = max(message.splitlines(), key=len)
            assert len(longest) < 300, f"a line of {len(longest)} characters: {longest}"
            assert len(message) < 1000, f"a message of {len(message)} characters: {message}"
            inline = [m.start() for m in re.finditer("Likely mistake:", message)]
            assert all(message[i - 1] == "\n" for i in inline), (
                f"not on a line of its own: {message}"
            )


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_correct_variants_get_every_autograded_point(graded, name):
    score = graded.scores[name, "variants"]
    lost = {gid: g[:2] for gid, g in score.grades.items() if g[2] == "code" and (g[0] or 0) < g[1]}
    tried = [v.description for v in VARIANTS[name]]
    assert score.code_score == score.max_code_score > 0, f"{tried} lost points: {lost}"


def test_a_correct_solution_that_warns_keeps_its_points_and_shows_the_warning(graded):
    """reuse_for_task_b returning a functional keras.Model makes Keras warn on stderr in the
    tests that call it; the warning is shown, the points are kept."""
    name = "a4_transfer_learning"
    score = graded.scores[name, "variants"]
    for gid in ("test-reuse_for_task_b-structure", "test-reuse_for_task_b-hidden"):
        assert score.grades[gid][0] == score.grades[gid][1], f"{gid}: {score.grades[gid]}"
    html = graded.feedback("variants", name)
    assert "[stderr, not graded]" in html and "UserWarning" in html, "the warning is not shown"


def test_grading_time_is_reported(graded):
    """Not a limit (timings belong to benchmarks): prints the seconds for the record."""
    n = sum(len(ROUNDS[a]) + 1 for a in ASSIGNMENTS)
    print(f"\n{n} submissions autograded in {graded.seconds:.0f} s (2 at a time)")
    assert f"Graded {n} of {n}" in graded.log, graded.log[-2000:]
