"""Hostile and broken submissions, graded the way an instructor grades a class.

Every fixture in ``tests/fixtures/grading/hostile/`` is a few lines added to a correct solution
(see its README). All of them, with an honest student graded before them and one after, go
through one run of the course's grading engine (``python -m grading.engine.autograde``, what
``make autograde`` runs: a backup, then one sandboxed nbgrader job per submission, two at a
time), then nbgrader's ``generate_feedback``. Each test checks the grade in the gradebook, the
feedback line, and the host: none of these would hold without the sandbox.

One more submission goes through formgrader's route: ``NbGraderAPI.autograde``, the call behind
its Autograde button, with the course's ``nbgrader_config.py``.

The submissions that test the caps (``CAP_FIXTURES``: 6 GiB of memory, a fork bomb, a process
left running) are graded a second time with the caps' fallback forced (``COURSE_CAPS=fallback``:
no cgroup, a per-kernel process limit and a memory watchdog), between the two honest students,
and must come out the same.
"""

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import ROOT
from tests.support.course import (
    kept_trusted_kernels,
    make_course,
    nbgrader_env,
    read_scores,
    run_engine,
    run_nbgrader,
    submit,
    with_code,
)

pytestmark = pytest.mark.slow

ASSIGNMENT = "a2_batch_normalization"  # NumPy work: the cheapest assignment to grade
FIXTURES = ROOT / "tests" / "fixtures" / "grading" / "hostile"
HONEST = ("aaa-honest", "zzz-honest")
HOSTILE = tuple(sorted(p.stem for p in FIXTURES.glob("*.py")))
CAP_FIXTURES = ("detached", "fork_bomb", "memory")
FORMGRADER_STUDENT = "formgrader-write-files"


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_answer_code(cell) -> bool:
    m = meta(cell)
    return cell["cell_type"] == "code" and m.get("solution") and not m.get("grade")


def is_test(cell) -> bool:
    m = meta(cell)
    return cell["cell_type"] == "code" and m.get("grade") and not m.get("solution")


def text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def hostile_notebook(solution: dict, fixture: Path, values: dict) -> dict:
    """The solution with ``fixture``'s lines appended to its first or last answer cell."""
    snippet = fixture.read_text()
    for key, value in values.items():
        snippet = snippet.replace("{" + key + "}", str(value))
    where = re.match(r"# where: (first|last)", snippet).group(1)
    return with_code(solution, snippet, where)


def points_after_last_answer(solution: dict) -> float:
    cells = solution["cells"]
    last = max(i for i, c in enumerate(cells) if is_answer_code(c))
    return sum(meta(c).get("points", 0) for c in cells[last + 1 :] if is_test(c))


def hidden_lines(solution: dict, release: dict) -> set[str]:
    """Lines only the hidden tests hold (not also in the released notebook's visible text)."""
    visible = "\n".join(text(cell) for cell in release["cells"])
    lines, inside = set(), False
    for cell in solution["cells"]:
        for line in text(cell).split("\n"):
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and len(line.strip()) >= 12 and line.strip() not in visible:
                lines.add(line.strip())
    return lines


class Listener:
    """A TCP listener on the grader's 127.0.0.1 that records every connection."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.5)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.socket.accept()
                self.connections += 1
                conn.close()
            except TimeoutError:
                continue
            except OSError:
                return

    def close(self):
        self.running = False
        self.thread.join()
        self.socket.close()


@dataclass
class Graded:
    root: Path
    token: str
    students: tuple
    engine: subprocess.CompletedProcess
    formgrader: subprocess.CompletedProcess | None
    scores: dict
    full: float
    after_last: float
    hidden: set
    listener_connections: int

    def autograded(self, student) -> Path:
        return self.root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"

    def outputs(self, student) -> str:
        nb = json.loads(self.autograded(student).read_text())
        return "\n".join(json.dumps(c.get("outputs", [])) for c in nb["cells"])

    def feedback(self, student) -> str:
        return (self.root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()

    def line(self, student) -> str:
        return next(line for line in self.engine.stdout.splitlines() if f"] {student} " in line)

    def log(self) -> list[dict]:
        text = (self.root / "build" / "grading-log.jsonl").read_text()
        return [json.loads(line) for line in text.splitlines()]


FORMGRADER_SCRIPT = """
import sys
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader
config = PyFileConfigLoader("nbgrader_config.py", path=".").load_config()
api = NbGraderAPI(CourseDirectory(config=config), config=config)
result = api.autograde(sys.argv[1], sys.argv[2])
print("SUCCESS" if result["success"] else "FAILED " + result.get("log", ""))
"""


def grade_class(folder: Path, hostile: tuple, caps: str | None = None, formgrader=True) -> Graded:
    """The honest students and the ``hostile`` fixtures, graded in one run of the engine (with
    ``COURSE_CAPS=caps`` when given), then formgrader's route, then feedback."""
    root = make_course(folder / "course")
    assert run_nbgrader(root, "generate_assignment", ASSIGNMENT).returncode == 0
    solution_path = root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    solution = json.loads(solution_path.read_text())
    release_path = root / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    token = uuid.uuid4().hex[:12]
    listener = Listener()
    values = {"course": root, "home": Path.home(), "token": token, "port": listener.port}
    for student in HONEST:
        submit(root, student, ASSIGNMENT, solution_path)
    for name in hostile:
        submit(root, name, ASSIGNMENT, hostile_notebook(solution, FIXTURES / f"{name}.py", values))
    formgraded = None
    with pytest.MonkeyPatch.context() as patch:
        if caps:
            patch.setenv("COURSE_CAPS", caps)
        try:
            engine = run_engine(root, "--jobs", "2")
            if formgrader:
                fixture = FIXTURES / "write_files.py"
                notebook = hostile_notebook(solution, fixture, values)
                submit(root, FORMGRADER_STUDENT, ASSIGNMENT, notebook)
                formgraded = subprocess.run(
                    [sys.executable, "-c", FORMGRADER_SCRIPT, ASSIGNMENT, FORMGRADER_STUDENT],
                    cwd=root,
                    env={**nbgrader_env(), **kept_trusted_kernels()},
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
        finally:
            listener.close()
    feedback = run_nbgrader(root, "generate_feedback", ASSIGNMENT, "--force")
    assert feedback.returncode == 0, feedback.stderr[-3000:]
    scores = {s: v for (a, s), v in read_scores(root).items() if a == ASSIGNMENT}
    return Graded(
        root=root,
        token=token,
        students=(*HONEST, *hostile),
        engine=engine,
        formgrader=formgraded,
        scores=scores,
        full=sum(meta(c).get("points", 0) for c in solution["cells"] if is_test(c)),
        after_last=points_after_last_answer(solution),
        hidden=hidden_lines(solution, json.loads(release_path.read_text())),
        listener_connections=listener.connections,
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    """Every fixture, with the caps this host gives by default (a cgroup where one can be made)."""
    return grade_class(tmp_path_factory.mktemp("sandbox"), HOSTILE)


@pytest.fixture(scope="module")
def graded_fallback(tmp_path_factory) -> Graded:
    """The cap fixtures again, with the fallback forced: no cgroup at all."""
    return grade_class(
        tmp_path_factory.mktemp("fallback"), CAP_FIXTURES, caps="fallback", formgrader=False
    )


@pytest.fixture(params=["cgroup path", "fallback"])
def capped(request) -> Graded:
    """Each cap test, once per grading: the default one and the fallback one."""
    return request.getfixturevalue(
        "graded" if request.param == "cgroup path" else "graded_fallback"
    )


def cgroup_unavailable() -> str:
    """Why this host cannot give a kernel a cgroup ('' when it can)."""
    from grading.plugins.cgroups import CgroupError, KernelCgroup

    try:
        KernelCgroup(f"grading-hostile-probe-{os.getpid()}", 2**30, 16).close(grace=0)
    except CgroupError as error:
        return error.cause
    return ""


def test_the_run_grades_everyone_and_exits_0(capped):
    assert capped.engine.returncode == 0, capped.engine.stdout + capped.engine.stderr[-3000:]
    formgraded = {FORMGRADER_STUDENT} if capped.formgrader else set()
    assert set(capped.scores) == {*capped.students, *formgraded}
    total = len(capped.students)
    assert f"Graded {total} of {total}" in capped.engine.stdout
    assert "Gradebook backed up to backups/gradebook-" in capped.engine.stdout


@pytest.mark.parametrize("student", HONEST)
def test_honest_students_before_and_after_get_full_marks(capped, student):
    assert capped.scores[student].code_score == capped.full
    assert f"{capped.full:g} / " in capped.line(student)


def test_the_caps_in_force_are_printed_once_and_logged(capped, request):
    fallback = "fallback" in request.node.callspec.id
    if not fallback and cgroup_unavailable():
        pytest.skip(f"this host cannot give a kernel a cgroup ({cgroup_unavailable()})")
    expected = "fallback without cgroups (forced by configuration)" if fallback else "cgroup v"
    printed = [x for x in capped.engine.stdout.splitlines() if x.startswith("Memory and process")]
    assert len(printed) == 1 and expected in printed[0], capped.engine.stdout[:2000]
    assert all(r["caps"].startswith(expected) for r in capped.log()), capped.log()


def test_solutions_and_the_autograded_copy_are_out_of_reach(graded):
    outputs = graded.outputs("read_secrets")
    assert "BLOCKED" in outputs and "FOUND" not in outputs, outputs[:2000]
    assert "NOTEBOOKS IN CWD []" in outputs  # the hidden tests are not on the kernel's disk
    feedback = graded.feedback("read_secrets")
    leaked = [line for line in graded.hidden if line in feedback]
    assert not leaked, f"hidden test lines in the feedback: {leaked[:3]}"
    assert graded.scores["read_secrets"].code_score == graded.full


def test_no_file_is_written_outside_the_sandbox(graded):
    for path in (graded.root, Path.home(), Path("/tmp")):
        assert not (path / f"pwned-{graded.token}").exists(), path
    assert graded.outputs("write_files").count("BLOCKED") == 2  # course and home: not even there
    assert graded.scores["write_files"].code_score == graded.full


def test_formgraders_autograde_button_runs_the_same_sandbox(graded):
    assert "SUCCESS" in graded.formgrader.stdout, graded.formgrader.stderr[-3000:]
    assert not (graded.root / f"pwned-{graded.token}").exists()
    assert "BLOCKED" in graded.outputs(FORMGRADER_STUDENT)
    assert graded.scores[FORMGRADER_STUDENT].code_score == graded.full


def test_the_gradebook_cannot_be_touched(graded):
    with sqlite3.connect(graded.root / "gradebook.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert f"pwned_{graded.token}" not in tables
    assert "BLOCKED" in graded.outputs("gradebook")
    assert graded.scores["gradebook"].code_score == graded.full


def test_no_network_not_even_the_graders_loopback(graded):
    assert graded.listener_connections == 0
    assert "BLOCKED" in graded.outputs("network")
    assert graded.scores["network"].code_score == graded.full


def test_memory_cap_ends_the_kernel_and_costs_only_the_cells_after(capped):
    assert capped.scores["memory"].code_score == capped.full - capped.after_last
    assert "memory limit of 4 GiB exceeded" in capped.feedback("memory")
    assert "memory limit of 4 GiB exceeded" in capped.line("memory")


def test_a_fork_bomb_is_refused_and_the_kernel_goes_on(capped):
    """The bomb's copies are refused at the process cap (the honest students graded beside it
    are untouched), the kernel runs the tests after it, and no copy outlives grading."""
    assert "FORK REFUSED BlockingIOError" in capped.outputs("fork_bomb")
    assert capped.scores["fork_bomb"].code_score == capped.full
    running = subprocess.run(["pgrep", "-f", f"sleep-{capped.token}"], capture_output=True)
    assert running.stdout.strip() == b""


def test_output_is_capped_with_a_visible_note(graded):
    assert graded.autograded("big_output").stat().st_size < 3_000_000
    assert "output cut here" in graded.feedback("big_output")
    assert graded.scores["big_output"].code_score == graded.full


def test_nothing_the_kernel_started_is_left_running(capped):
    running = subprocess.run(["pgrep", "-f", capped.token], capture_output=True, text=True)
    assert running.stdout.strip() == "", f"left running: {running.stdout}"
    assert "STARTED" in capped.outputs("detached")
    assert capped.scores["detached"].code_score == capped.full


def test_exit_in_the_last_answer_costs_only_the_cells_after(graded):
    assert graded.scores["exits"].code_score == graded.full - graded.after_last
    assert "the kernel exited (exit code 1)" in graded.feedback("exits")
    assert "not run: the kernel died in an earlier cell" in graded.feedback("exits")


def test_marker_text_in_a_student_cell_does_not_break_the_feedback(graded):
    assert graded.scores["marker_text"].code_score == graded.full
    assert "BEGIN HIDDEN TESTS" in graded.feedback("marker_text")  # the student's own note


def test_a_cell_that_sleeps_forever_is_stopped_and_grading_goes_on(graded):
    assert graded.scores["sleeps_forever"].code_score == graded.full  # functions were defined
    assert "time limit of 30 s" in graded.feedback("sleeps_forever")
    assert "time limit of 30 s" in graded.line("sleeps_forever")


def test_every_run_is_logged_for_the_report(graded):
    records = graded.log()
    assert {r["student"] for r in records} == {*HONEST, *HOSTILE}
    assert all(r["status"] == "graded" and r["seconds"] > 0 for r in records)
    exits = next(r for r in records if r["student"] == "exits")
    assert any("exit code 1" in f["reason"] for f in exits["faults"])


def test_sandbox_missing_means_no_student_code_runs(graded, tmp_path):
    """With no bwrap on PATH the grader refuses, and says how to fix it."""
    copy = tmp_path / "copy.db"
    copy.write_bytes((graded.root / "gradebook.db").read_bytes())
    solution = graded.root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    submit(graded.root, "no-sandbox-check", ASSIGNMENT, solution)
    env = nbgrader_env()
    env["PATH"] = str(Path(sys.executable).parent)  # no /usr/bin: no bwrap
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbgrader",
            "autograde",
            ASSIGNMENT,
            "--student",
            "no-sandbox-check",
            f"--db=sqlite:///{copy}",
        ],
        cwd=graded.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "Refusing to run student code: bubblewrap (bwrap) is not installed" in done.stderr
    assert "c.SandboxedExecute.sandbox = False" in done.stderr


def test_env_of_the_grader_does_not_reach_the_kernel():
    from grading.plugins.sandbox import kernel_env

    env = kernel_env(["/x/bin/python"], {"DATABASE_URL": "postgres://secret", "COURSE_FAST": "1"})
    assert "DATABASE_URL" not in env and env["COURSE_FAST"] == "1"
    assert env["HOME"] == "/home/student"
    assert os.environ.get("HOME") != env["HOME"]
