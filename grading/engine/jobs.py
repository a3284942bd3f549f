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
when nbgrader itself could not grade the submission. Each job reports its score from the
gradebook and the faults the autograded notebook records (``grading.plugins.execution``), and is
appended to ``build/grading-log.jsonl``.

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

from grading.coursedir import SQLITE_TIMEOUT, gradebook_url
from grading.engine.backup import SKIP_ENV
from grading.engine.trusted_pool import POOL
from grading.plugins.execution import KERNEL_DIED, NOT_RUN, TIMED_OUT
from grading.plugins.trusted.kernel import TrustedKernelError

FAULT_NAMES = (KERNEL_DIED, TIMED_OUT)
LOG_PATH = Path("build") / "grading-log.jsonl"


@dataclass(frozen=True)
class Job:
    """One student's submission of one assignment."""

    assignment: str
    student: str


@dataclass
class Result:
    """What grading one job gave: the log's record (see ``COORDINATION`` in the README)."""

    assignment: str
    student: str
    status: str  # "graded" or "failed"
    seconds: float
    score: float | None = None
    max_score: float | None = None
    faults: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    error: str = ""
    time: str = ""

    def summary(self) -> str:
        """One line for the instructor."""
        head = f"{self.student:<16} {self.assignment:<24}"
        if self.status != "graded":
            return f"{head} FAILED ({self.seconds:.1f} s): {self.error}"
        line = f"{head} {self.score:g} / {self.max_score:g} ({self.seconds:.1f} s)"
        problems = [f"{f['cell']}: {f['reason']}" for f in self.faults] + self.notes
        return line + ("; " + "; ".join(problems) if problems else "")


def default_db_url(root: Path) -> str:
    """The course's gradebook, with a lock timeout long enough for parallel jobs."""
    return gradebook_url(root, timeout=SQLITE_TIMEOUT)


def find_jobs(
    root: Path, assignment: str | None = None, student: str | None = None, force: bool = False
) -> list[Job]:
    """Submissions in ``root/submitted/<student>/<assignment>/`` to grade: all of them with
    ``force``, else those not yet autograded. ``assignment``/``student`` narrow the list."""
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
        if not force and (root / "autograded" / job.student / job.assignment).is_dir():
            continue
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


def read_score(db_url: str, job: Job) -> tuple[float, float]:
    from nbgrader.api import Gradebook

    with Gradebook(_plain_url(db_url)) as gb:
        submission = gb.find_submission(job.assignment, job.student)
        return submission.score, submission.max_score


def grade_job(
    root: str, job: Job, db_url: str, force: bool = False, extra_args=(), timeout: float = 3600
) -> Result:
    """Grade one job with nbgrader in ``root`` (a course folder this machine sees)."""
    start = time.monotonic()
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        with ExitStack() as stack:
            trusted = stack.enter_context(POOL.lease()) if routes_tests(extra_args) else None
            done = subprocess.run(
                nbgrader_command(job, db_url, force, extra_args, trusted),
                cwd=root,
                env=_environment(),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
    except (subprocess.TimeoutExpired, TrustedKernelError) as error:
        reason = (
            f"nbgrader did not finish in {timeout:.0f} s"
            if isinstance(error, subprocess.TimeoutExpired)
            else str(error)
        )
        return Result(
            job.assignment,
            job.student,
            "failed",
            time.monotonic() - start,
            error=reason,
            time=stamp,
        )
    seconds = time.monotonic() - start
    notes = re.findall(r"NOTE: (.*)", done.stderr)
    autograded = Path(root) / "autograded" / job.student / job.assignment
    notebooks = sorted(autograded.glob("*.ipynb"))
    errors = [line for line in done.stderr.splitlines() if "| ERROR]" in line]
    if done.returncode != 0 or not notebooks:
        reason = errors[-1] if errors else (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Result(
            job.assignment,
            job.student,
            "failed",
            seconds,
            notes=notes,
            error=reason[-300:],
            time=stamp,
        )
    score, max_score = read_score(db_url, job)
    faults = [f for nb in notebooks for f in faults_in(nb)]
    return Result(
        job.assignment, job.student, "graded", seconds, score, max_score, faults, notes, time=stamp
    )


def append_log(root: Path, result: Result) -> None:
    path = Path(root) / LOG_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    record = asdict(result)
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")


def _collect(root: Path, finished, total: int, report) -> list[Result]:
    """Log and report each result as its job finishes (in whatever order they finish)."""
    results = []
    for number, future in enumerate(finished, start=1):
        result = future.result()
        append_log(root, result)
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
