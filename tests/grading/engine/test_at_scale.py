"""Grading beyond one machine: a real Dask cluster and a real PostgreSQL gradebook.

The same submissions are graded twice, from two copies of one course:

- serially into SQLite: ``python -m grading.engine.autograde --jobs 1`` (the one-machine default);
- on a Dask ``LocalCluster`` of two worker processes into a PostgreSQL server this test starts
  (Debian's binaries, installed by ``make postgres-deps``; its own data folder, port and
  socket, trust authentication on 127.0.0.1 only): ``python -m grading.engine.autograde --scheduler
  tcp://... --db postgresql://...``, what ``make autograde SCHEDULER=... DB=...`` runs.

Every student must get the same score, cell by cell, from both. Afterwards: a forced regrade
keeps a manual grade and comment, and ``make restore``'s restore puts a backup back.
"""

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.support.course import (
    gradebook_url,
    kept_trusted_kernels,
    make_course,
    read_scores,
    run_engine,
    run_nbgrader,
    submit,
    with_broken_answer,
    with_code,
)

pytestmark = pytest.mark.slow

ASSIGNMENT = "a2_batch_normalization"
STUDENTS = ("alice", "bob-one-wrong", "carol-blank", "dave-exits")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class PostgresServer:
    """A throw-away PostgreSQL server on 127.0.0.1 (run as ``postgres`` when we are root)."""

    def __init__(self):
        # Not under pytest's tmp folder: the postgres user must be able to reach its files.
        folder = Path(tempfile.mkdtemp(prefix="grading-postgres-"))
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        folder.mkdir(parents=True, exist_ok=True)
        if self.as_user:
            shutil.chown(folder, "postgres", "postgres")

    def run(self, *command):
        return subprocess.run(
            [*self.as_user, *command], capture_output=True, text=True, timeout=120, check=True
        )

    def start(self):
        self.run(postgres_bin("initdb"), "-D", str(self.data), "--auth=trust", "-U", "postgres")
        options = f"-c listen_addresses=127.0.0.1 -c port={self.port} "
        options += f"-c unix_socket_directories={self.folder}"
        self.run(
            postgres_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "start",
            "-l",
            str(self.folder / "server.log"),
        )
        self.run(
            postgres_bin("createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "gradebook",
        )

    def stop(self):
        subprocess.run(
            [
                *self.as_user,
                postgres_bin("pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/gradebook"


def make_graded_course(folder: Path, db_url: str | None) -> Path:
    root = make_course(folder)
    args = ["generate_assignment", ASSIGNMENT] + ([f"--db={db_url}"] if db_url else [])
    done = run_nbgrader(root, *args)
    assert done.returncode == 0, done.stderr[-2000:]
    solution_path = root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    solution = json.loads(solution_path.read_text())
    submit(root, "alice", ASSIGNMENT, solution_path)
    submit(root, "bob-one-wrong", ASSIGNMENT, with_broken_answer(solution))
    submit(
        root, "carol-blank", ASSIGNMENT, root / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    )
    submit(root, "dave-exits", ASSIGNMENT, with_code(solution, "import os\nos._exit(3)", "last"))
    return root


def grades(scores: dict) -> dict:
    return {
        student: (s.code_score, {g: v[0] for g, v in s.grades.items()})
        for (assignment, student), s in scores.items()
        if assignment == ASSIGNMENT
    }


def postgres_scores(db_url: str) -> dict:
    from nbgrader.api import Gradebook

    result = {}
    with Gradebook(db_url) as gb:
        for submission in gb.find_assignment(ASSIGNMENT).submissions:
            per_cell = {g.name: g.auto_score for nb in submission.notebooks for g in nb.grades}
            result[submission.student.id] = (submission.code_score, per_cell)
    return result


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    if postgres_bin("initdb") is None:
        pytest.fail("PostgreSQL is not installed: run `make postgres-deps` (make test does)")
    from dask.distributed import Client, LocalCluster

    base = tmp_path_factory.mktemp("scale")
    serial_root = make_graded_course(base / "serial", None)
    serial = run_engine(serial_root, "--jobs", "1")
    server = PostgresServer()
    server.start()
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
        env=kept_trusted_kernels(),  # the workers borrow this process's trusted kernels
    )
    try:
        with Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 2
            cluster_root = make_graded_course(base / "cluster", server.url)
            start = time.monotonic()
            distributed = run_engine(
                cluster_root, "--scheduler", cluster.scheduler_address, f"--db={server.url}"
            )
            seconds = time.monotonic() - start
            workers_used = {str(w) for w in client.run(lambda: os.getpid()).values()}
        yield {
            "serial": serial,
            "serial_root": serial_root,
            "distributed": distributed,
            "cluster_root": cluster_root,
            "server": server,
            "seconds": seconds,
            "workers": workers_used,
        }
    finally:
        cluster.close()
        server.stop()


def test_both_runs_grade_everyone(runs):
    for name in ("serial", "distributed"):
        done = runs[name]
        assert done.returncode == 0, f"{name}: {done.stdout}\n{done.stderr[-3000:]}"
        assert f"Graded {len(STUDENTS)} of {len(STUDENTS)}" in done.stdout, done.stdout
    assert "on tcp://127.0.0.1:" in runs["distributed"].stdout


def test_dask_and_postgresql_give_the_serial_sqlite_scores_cell_by_cell(runs):
    serial = grades(read_scores(runs["serial_root"]))
    distributed = postgres_scores(runs["server"].url)
    assert set(serial) == set(STUDENTS)
    assert distributed == serial
    alice, bob, carol, dave = (serial[s][0] for s in STUDENTS)
    assert alice > dave > 0 and alice > bob and carol == 0  # the four are really different


def test_the_cluster_shared_the_work(runs):
    log = runs["cluster_root"] / "build" / "grading-log.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(r["student"] for r in records) == sorted(STUDENTS)
    assert len(runs["workers"]) == 2


def test_forced_regrade_keeps_manual_grades_and_comments(runs):
    from nbgrader.api import Gradebook

    root = runs["serial_root"]
    db = gradebook_url(root)
    with Gradebook(db) as gb:
        submission = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "alice")
        answer = next(g for g in submission.grades if g.cell_type == "markdown")
        answer.manual_score = answer.max_score - 1
        comment = next(c for c in submission.comments if c.name == answer.name)
        comment.manual_comment = "Good reasoning; cite the numbers."
        gb.db.commit()
        name, points = answer.name, answer.manual_score
    done = run_engine(root, "--student", "alice", "--force", "--jobs", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    with Gradebook(db) as gb:
        submission = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "alice")
        answer = next(g for g in submission.grades if g.name == name)
        comment = next(c for c in submission.comments if c.name == name)
        assert answer.manual_score == points
        assert comment.manual_comment == "Good reasoning; cite the numbers."


def alice_comment(db: str) -> str:
    from nbgrader.api import Gradebook

    with Gradebook(db) as gb:
        submission = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "alice")
        return next(c for c in submission.comments if c.manual_comment).manual_comment


def set_alice_comment(db: str, text: str) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(db) as gb:
        submission = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "alice")
        next(c for c in submission.comments if c.manual_comment).manual_comment = text
        gb.db.commit()


def backup_cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "grading.engine.backup", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_restore_brings_a_backup_back(runs):
    from grading.engine.backup import list_backups, restore

    root = runs["serial_root"]
    db = gradebook_url(root)
    assert len(list_backups(root / "backups")) >= 2  # one before each engine run
    set_alice_comment(db, "as it was")
    assert backup_cli(root, "backup").returncode == 0
    set_alice_comment(db, "a mistake made after the backup")
    count = len(list_backups(root / "backups"))
    restored = backup_cli(root, "restore")
    assert restored.returncode == 0, restored.stderr
    assert alice_comment(db) == "as it was"
    assert len(list_backups(root / "backups")) == count + 1  # the state it replaced is kept
    bad = backup_cli(root, "restore", "nonsense.db")
    assert bad.returncode == 2 and "name must be one of the backups" in bad.stderr
    with pytest.raises(ValueError, match="no backups"):
        restore(db, root / "no-such-folder")


def test_one_new_student_two_assignments_at_once(tmp_path):
    """Two jobs of one student not yet in the gradebook, graded side by side: both land.
    (Before the engine added the students first, both nbgrader processes could insert the
    student and one failed; that race is timing-dependent, so this run cannot force it.)"""
    root = make_course(tmp_path / "course")
    other = "a1_unstable_gradients"
    assert run_nbgrader(root, "generate_assignment", ASSIGNMENT).returncode == 0
    assert run_nbgrader(root, "generate_assignment", other).returncode == 0
    for name in (ASSIGNMENT, other):
        submit(root, "erin", name, root / "assignments" / name / f"{name}.ipynb")
    done = run_engine(root, "--jobs", "2")
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert {key for key in read_scores(root)} == {(ASSIGNMENT, "erin"), (other, "erin")}
