"""The grading engine: one student's assignment is one job, run by nbgrader, many at a time.

nbgrader grades the submissions of a run one after another in one process. Here each job is
``nbgrader autograde ASSIGNMENT --student STUDENT`` in a process of its own (same
``nbgrader_config.py``, so the same sandbox and limits), and jobs run side by side:

- on this machine, ``workers`` at a time (``run_local``);
- on a Dask cluster (``run_dask``): the same function on every worker, given a scheduler
  address; the workers must see the course folder at the same path (a shared file system, as
  nbgrader's exchange needs anyway) and the same Python environment. All results land in one
  gradebook: PostgreSQL through nbgrader's ``db_url`` for a cluster; SQLite (with a generous
  lock timeout) on one machine.

A student's errors, crashes and timeouts are grades, not failures of the run: a job fails only
when nbgrader itself could not grade the submission. A submitted file nbgrader cannot read at all
(empty, cut off, nbformat 3, not a notebook: ``grading.engine.readable``) is not handed to it:
the job reports "could not be read: <reason>" and the student gets a feedback page saying what
to resubmit. Each job reports its score from the gradebook (with the late penalty, and the
points still to grade by hand) and the faults the autograded notebook records
(``grading.plugins.execution``), and is appended to ``build/grading-log.jsonl`` with the
mechanism that capped its kernel's memory and processes (``grading.plugins.caps``), which the
run also prints once.

Each job's nbgrader process is forked from one that imported nbgrader once
(``grading.engine.launcher``), so a submission does not pay for Python's imports.

Every job borrows a trusted test kernel (``grading.engine.trusted_pool``): started once per
worker with Keras imported, it runs the instructor's tests of one submission after another.
"""

import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from grading.classroom.standing import Standing
from grading.coursedir import SQLITE_TIMEOUT, gradebook_url
from grading.engine import launcher
from grading.engine.backup import SKIP_ENV
from grading.engine.readable import unreadable_notebooks, write_unreadable_feedback
from grading.engine.trusted_pool import POOL
from grading.plugins.caps import CAPS_LOG_PREFIX
from grading.plugins.execution import KERNEL_DIED, NOT_RUN, TIMED_OUT
from grading.plugins.trusted.kernel import TrustedKernelError

FAULT_NAMES = (KERNEL_DIED, TIMED_OUT)
LOG_PATH = Path("build") / "grading-log.jsonl"


@dataclass(frozen=True)
class Job:
    """One student's submission of one assignment."""

    assignment: str
    student: str
    # graded before, and the submitted files have changed since: regraded (nbgrader --force)
    resubmitted: bool = field(default=False, compare=False)


@dataclass
class Result:
    """What grading one job gave: the log's record (see ``COORDINATION`` in the README)."""

    assignment: str
    student: str
    status: str  # "graded", "unreadable" (not given to nbgrader) or "failed"
    seconds: float
    score: float | None = None  # the points of the tests and any manual grades so far
    max_score: float | None = None
    faults: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    error: str = ""
    time: str = ""
    caps: str = ""  # what capped the kernel's memory and processes, as nbgrader logged it
    penalty: float = 0.0  # late penalty in points, taken from score
    hours_late: float = 0.0
    still_open: list = field(default_factory=list)  # written answers to grade or review

    def summary(self) -> str:
        """One line for the instructor."""
        head = f"{self.student:<16} {self.assignment:<24}"
        if self.status == "unreadable":
            return f"{head} could not be read: {self.error} (the student's feedback says so)"
        if self.status != "graded":
            return f"{head} FAILED ({self.seconds:.1f} s): {self.error}"
        line = f"{head} {self.score - self.penalty:g} / {self.max_score:g}"
        if self.hours_late > 0:
            line += (
                f" LATE {self.hours_late:.1f} h: {self.score:g} minus a late penalty of "
                f"{self.penalty:g}"
            )
        if self.still_open:
            line += "; " + "; ".join(self.still_open)
        line += f" ({self.seconds:.1f} s)"
        problems = [f"{f['cell']}: {f['reason']}" for f in self.faults] + self.notes
        return line + ("; " + "; ".join(problems) if problems else "")


def default_db_url(root: Path) -> str:
    """The course's gradebook, with a lock timeout long enough for parallel jobs."""
    return gradebook_url(root, timeout=SQLITE_TIMEOUT)


def changed_since_graded(submitted: Path, autograded: Path) -> bool:
    """Whether a submission folder holds other files than the ones last graded: another
    submission time (``timestamp.txt``, copied by nbgrader into the autograded folder) or a
    notebook newer than the graded ones (a later ``make collect-zip`` writes new files;
    an unchanged submission keeps its files and their times)."""
    stamps = [folder / "timestamp.txt" for folder in (submitted, autograded)]
    if all(p.is_file() for p in stamps) and len({p.read_text().strip() for p in stamps}) > 1:
        return True
    graded = [p.stat().st_mtime for p in autograded.glob("*.ipynb")]
    newest = [p.stat().st_mtime for p in submitted.glob("*.ipynb")]
    return bool(graded and newest) and max(newest) > max(graded)


def find_jobs(
    root: Path, assignment: str | None = None, student: str | None = None, force: bool = False
) -> list[Job]:
    """Submissions in ``root/submitted/<student>/<assignment>/`` to grade: all of them with
    ``force``, else those not yet autograded and those submitted again since they were
    (``changed_since_graded``). ``assignment``/``student`` narrow the list."""
    root = Path(root)
    jobs = []
    for folder in sorted((root / "submitted").glob("*/*")):
        if not folder.is_dir() or not any(folder.glob("*.ipynb")):
            continue
        job = Job(assignment=folder.name, student=folder.parent.name)
        if assignment and job.assignment != assignment:
            continue
        if student and job.student != student:
            continue
        graded = root / "autograded" / job.student / job.assignment
        if not force and graded.is_dir():
            if not changed_since_graded(folder, graded):
                continue
            job = Job(job.assignment, job.student, resubmitted=True)
        jobs.append(job)
    return jobs


def nbgrader_command(
    job: Job, db_url: str, force: bool, extra_args=(), trusted_kernel: str | None = None
) -> list[str]:
    command = [sys.executable, "-m", "nbgrader", "autograde", job.assignment]
    command += ["--student", job.student, f"--db={db_url}", *extra_args]
    if trusted_kernel:
        command.append(f"--SandboxedExecute.trusted_kernel={trusted_kernel}")
    return command + (["--force"] if force else [])


def routes_tests(extra_args) -> bool:
    """Whether the jobs run tests in a trusted kernel (unless routing is switched off)."""
    return not any(
        arg.lower() in ("--sandboxedexecute.route_tests=false", "--sandboxedexecute.route_tests=0")
        for arg in extra_args
    )


def _environment() -> dict:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env[SKIP_ENV] = "1"
    env.pop("NBGRADER_EXECUTION", None)
    return env


def faults_in(notebook_path: Path) -> list[dict]:
    """The timeouts and kernel deaths an autograded notebook records, by cell."""
    found = []
    nb = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    for index, cell in enumerate(nb.get("cells", [])):
        name = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") in FAULT_NAMES:
                found.append({"cell": name, "reason": output.get("evalue", "").rstrip(".")})
    skipped = sum(
        1
        for cell in nb.get("cells", [])
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error" and o.get("ename") == NOT_RUN
    )
    if skipped:
        found.append({"cell": f"{skipped} later cells", "reason": "not run"})
    return found


def _plain_url(db_url: str) -> str:
    """nbgrader's Gradebook without the SQLite lock-timeout query the engine adds."""
    return db_url.split("?", 1)[0] if db_url.startswith("sqlite") else db_url


def add_students(db_url: str, jobs: list[Job]) -> None:
    """Create every job's student before the jobs start: two nbgrader processes grading one
    new student's two assignments at once would both insert the student, and one would fail."""
    from nbgrader.api import Gradebook

    with Gradebook(_plain_url(db_url)) as gb:
        for student in sorted({job.student for job in jobs}):
            gb.update_or_create_student(student)


def read_score(db_url: str, job: Job) -> dict:
    """The job's numbers in the gradebook, as ``Result`` fields: score (before the late
    penalty), max_score, penalty, hours_late and still_open."""
    from nbgrader.api import Gradebook

    with Gradebook(_plain_url(db_url)) as gb:
        submission = gb.find_submission(job.assignment, job.student)
        standing = Standing.of(submission)
        return {
            "score": submission.score,
            "max_score": standing.max_score,
            "penalty": standing.penalty,
            "hours_late": standing.hours_late,
            "still_open": standing.open_items(),
        }


def grade_job(
    root: str, job: Job, db_url: str, force: bool = False, extra_args=(), timeout: float = 3600
) -> Result:
    """Grade one job with nbgrader in ``root`` (a course folder this machine sees)."""
    start = time.monotonic()
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    unreadable = unreadable_notebooks(Path(root) / "submitted" / job.student / job.assignment)
    if unreadable:
        write_unreadable_feedback(root, job.student, job.assignment, unreadable)
        error = "; ".join(f"{name}: {why}" for name, why in unreadable.items())
        return Result(
            job.assignment, job.student, "unreadable", time.monotonic() - start, error=error,
            time=stamp,
        )  # fmt: skip
    try:
        with ExitStack() as stack:
            trusted = stack.enter_context(POOL.lease()) if routes_tests(extra_args) else None
            command = nbgrader_command(job, db_url, force or job.resubmitted, extra_args, trusted)
            done = launcher.run(command, cwd=root, env=_environment(), timeout=timeout)
    except (subprocess.TimeoutExpired, TrustedKernelError) as error:
        timed_out = isinstance(error, subprocess.TimeoutExpired)
        reason = f"nbgrader did not finish in {timeout:.0f} s" if timed_out else str(error)
        return Result(
            job.assignment, job.student, "failed", time.monotonic() - start, error=reason,
            time=stamp,
        )  # fmt: skip
    return _graded(root, job, db_url, done, time.monotonic() - start, stamp)


def _graded(root, job: Job, db_url: str, done, seconds: float, stamp: str) -> Result:
    """The result of an nbgrader run that finished: its score, or why it failed."""
    notes = re.findall(r"NOTE: (.*)", done.stderr)
    caps = "; ".join(dict.fromkeys(re.findall(re.escape(CAPS_LOG_PREFIX) + r"(.*)", done.stderr)))
    autograded = Path(root) / "autograded" / job.student / job.assignment
    notebooks = sorted(autograded.glob("*.ipynb"))
    errors = [line for line in done.stderr.splitlines() if "| ERROR]" in line]
    if done.returncode != 0 or not notebooks:
        reason = errors[-1] if errors else (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Result(
            job.assignment, job.student, "failed", seconds, notes=notes, error=reason[-300:],
            time=stamp, caps=caps,
        )  # fmt: skip
    faults = [f for nb in notebooks for f in faults_in(nb)]
    if job.resubmitted:
        notes.append("submitted again since it was graded: regraded, hand grades kept")
    return Result(
        job.assignment, job.student, "graded", seconds, faults=faults, notes=notes, time=stamp,
        caps=caps, **read_score(db_url, job),
    )  # fmt: skip


def append_log(root: Path, result: Result) -> None:
    path = Path(root) / LOG_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    record = asdict(result)
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")


def _collect(root: Path, finished, total: int, report) -> list[Result]:
    """Log and report each result as its job finishes (in whatever order they finish); the caps
    in force once, when the first job names them (again only if a later job's differ)."""
    results, caps_seen = [], set()
    for number, future in enumerate(finished, start=1):
        result = future.result()
        append_log(root, result)
        if result.caps and result.caps not in caps_seen:
            caps_seen.add(result.caps)
            report(f"{CAPS_LOG_PREFIX}{result.caps}")
        report(f"[{number}/{total}] {result.summary()}")
        results.append(result)
    return results


def run_local(
    root: Path,
    jobs: list[Job],
    db_url: str,
    workers: int,
    force: bool = False,
    extra_args=(),
    report=print,
) -> list[Result]:
    """Grade ``jobs`` here, ``workers`` at a time; ``report`` gets each summary line."""
    if workers < 1:
        raise ValueError(f"workers must be 1 or more, got {workers}")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(grade_job, str(root), job, db_url, force, tuple(extra_args))
            for job in jobs
        ]
        return _collect(root, as_completed(futures), len(jobs), report)


def run_dask(
    root: Path,
    jobs: list[Job],
    db_url: str,
    scheduler,
    force: bool = False,
    extra_args=(),
    report=print,
) -> list[Result]:
    """Grade ``jobs`` on a Dask cluster (``scheduler``: an address or a ``Client``)."""
    from dask.distributed import Client
    from dask.distributed import as_completed as dask_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = [
            client.submit(
                grade_job,
                str(Path(root).resolve()),
                job,
                db_url,
                force,
                tuple(extra_args),
                key=f"grade-{job.assignment}-{job.student}",
                pure=False,
            )
            for job in jobs
        ]
        return _collect(root, dask_completed(futures), len(jobs), report)
    finally:
        if client is not scheduler:
            client.close()
