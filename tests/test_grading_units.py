"""The grading engine's parts, one at a time: sizes, the sandbox's command line and its cgroup,
backups, the job list and the command line's errors. The end-to-end tests are
``test_grading_sandbox.py`` (hostile submissions) and ``test_grading_at_scale.py`` (Dask and
PostgreSQL)."""

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grading.backup import backup, list_backups, restore, sqlite_path  # noqa: E402
from grading.cgroups import CgroupError, KernelCgroup, format_bytes, parse_bytes  # noqa: E402
from grading.engine import Job, faults_in, find_jobs  # noqa: E402
from grading.execution import cell_timeout  # noqa: E402
from grading.sandbox import HOME, SandboxSpec, bwrap_command, kernel_env  # noqa: E402


@pytest.mark.parametrize(
    "value, expected",
    [
        ("4G", 4 * 2**30),
        ("512M", 512 * 2**20),
        ("4GiB", 4 * 2**30),
        (1024, 1024),
        ("1.5G", 3 * 2**29),
    ],
)
def test_parse_bytes(value, expected):
    assert parse_bytes(value) == expected


@pytest.mark.parametrize("value", ["", "lots", "-1G", 0])
def test_parse_bytes_names_the_argument_and_the_forms(value):
    with pytest.raises(ValueError, match="memory limit must be a positive size such as '4G'"):
        parse_bytes(value)


def test_format_bytes():
    assert format_bytes(4 * 2**30) == "4 GiB"
    assert format_bytes(1536 * 2**20) == "1.5 GiB"
    assert format_bytes(512) == "512 bytes"


def test_cell_timeout_gives_instructor_code_longer():
    setup = {"metadata": {"nbgrader": {"locked": True, "grade": False, "solution": False}}}
    test = {"metadata": {"nbgrader": {"locked": True, "grade": True, "solution": False}}}
    student = {"metadata": {}}
    assert cell_timeout(setup) == 120
    assert cell_timeout(test) == cell_timeout(student) == 30
    assert cell_timeout(student, student=5) == 5


def spec(tmp_path, **kw) -> SandboxSpec:
    return SandboxSpec(run_dir=str(tmp_path / "run"), **kw)


def test_bwrap_command_shares_nothing_it_was_not_told_to(tmp_path):
    course = tmp_path / "course"
    (course / ".venv").mkdir(parents=True)
    (course / "solutions").mkdir()
    released = tmp_path / "data.csv"
    released.write_text("1,2")
    args = bwrap_command(
        ["python", "-m", "ipykernel_launcher"],
        spec(
            tmp_path,
            read_only=[str(course / ".venv")],
            work_files={"data.csv": str(released)},
            env={"HOME": HOME},
        ),
    )
    assert {"--unshare-net", "--unshare-pid", "--die-with-parent", "--clearenv"} <= set(args)
    pairs = list(zip(args, args[1:], args[2:], strict=False))
    assert ("--ro-bind", str(course / ".venv"), str(course / ".venv")) in pairs
    assert ("--ro-bind", str(released), f"{HOME}/work/data.csv") in pairs
    assert str(course / "solutions") not in args and str(course) not in args[args.index("--") :]
    assert ("--bind", str(tmp_path / "run"), str(tmp_path / "run")) in pairs  # the only rw bind
    assert sum(a == "--bind" for a in args) == 1
    assert args[-3:] == ["python", "-m", "ipykernel_launcher"]


def test_package_dirs_are_where_the_kernel_imports_from(tmp_path, monkeypatch):
    """A course copy with its own helpers/ on the grader's path (as nbgrader_config.py puts
    it there) must not change what the sandbox shares: the kernel imports the installed one."""
    from grading.sandbox import package_dirs

    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    package_dirs.cache_clear()
    assert package_dirs(sys.executable, ("helpers",)) == [str(ROOT / "helpers")]
    assert package_dirs(sys.executable, ("no_such_package_here",)) == []


def test_bwrap_command_drops_to_nobody_when_asked(tmp_path):
    args = bwrap_command(["python"], spec(tmp_path, drop_privileges=True))
    tail = args[args.index("--") + 1 :]
    assert tail[0] == "setpriv" and "--reuid=65534" in tail and "--bounding-set=-all" in tail


@pytest.mark.skipif(not Path("/usr/bin/bwrap").exists(), reason="needs bubblewrap")
def test_the_sandbox_really_isolates(tmp_path):
    """bwrap with the engine's own command line: no network, no course, a private /tmp."""
    secret = tmp_path / "secret.txt"
    secret.write_text("solution")
    run_dir = Path(tempfile.mkdtemp(prefix="grading-test-"))
    try:
        probe = (
            "import os, socket\n"
            f"print('secret', os.path.exists({str(secret)!r}))\n"
            "print('interfaces', sorted(n for _, n in socket.if_nameindex()))\n"
            "open('/tmp/probe-written', 'w').write('1'); print('tmp ok')\n"
            "print('uid', os.getuid())\n"
        )
        from grading.sandbox import python_paths

        args = bwrap_command(
            [sys.executable, "-c", probe],
            SandboxSpec(
                run_dir=str(run_dir),
                read_only=python_paths(sys.executable),
                env=kernel_env([sys.executable]),
                drop_privileges=os.geteuid() == 0,
            ),
        )
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    finally:
        os.rmdir(run_dir)
    assert done.returncode == 0, done.stderr
    assert "secret False" in done.stdout
    assert "interfaces ['lo']" in done.stdout  # a network namespace with loopback only
    assert "tmp ok" in done.stdout
    if os.geteuid() == 0:
        assert "uid 65534" in done.stdout


@pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/sys/fs/cgroup/memory").is_dir(), reason="needs root + v1"
)
def test_cgroup_caps_memory_and_kills_what_is_left():
    group = KernelCgroup("grading-unit-test", memory_bytes=64 * 2**20, max_processes=16)
    try:
        hog = subprocess.run(
            [
                *group.launcher_prefix(),
                sys.executable,
                "-c",
                "b = bytearray(256 * 2**20); b[::4096] = b'x' * len(b[::4096])",
            ],
            capture_output=True,
            timeout=60,
        )
        assert hog.returncode != 0 and group.oom_killed()
        sleeper = subprocess.Popen(
            [*group.launcher_prefix(), "sleep", "600"], start_new_session=True
        )
        for _ in range(50):
            if sleeper.pid in group.pids():
                break
            time.sleep(0.1)
        assert sleeper.pid in group.pids()
    finally:
        killed = group.close()
    assert killed >= 1
    assert sleeper.wait(timeout=10) != 0
    assert not Path("/sys/fs/cgroup/memory/grading/grading-unit-test").exists()


@pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/sys/fs/cgroup/pids").is_dir(), reason="needs root + v1"
)
def test_cgroup_caps_processes():
    group = KernelCgroup("grading-unit-test-pids", memory_bytes=2**30, max_processes=8)
    spawn = (
        "import subprocess\n"
        "started = []\n"
        "try:\n"
        "    for _ in range(40):\n"
        "        started.append(subprocess.Popen(['sleep', '30'], stdout=-3, stderr=-3))\n"
        "except OSError as error:\n"
        "    print('refused after', len(started), type(error).__name__)\n"
    )
    try:
        done = subprocess.run(
            [*group.launcher_prefix(), sys.executable, "-c", spawn],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "refused after" in done.stdout, done.stdout + done.stderr
        assert int(done.stdout.split()[2]) < 8
        assert group.process_limit_hit()
    finally:
        group.close()


@pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/sys/fs/cgroup/memory").is_dir(), reason="needs root + v1"
)
def test_delegated_cgroups_let_an_unprivileged_grader_cap_its_kernels():
    """What a JupyterHub instructor gets after `python -m grading.cgroups delegate USER`."""
    from grading.cgroups import delegate

    delegate("nobody")
    probe = (
        "import subprocess, sys\n"
        "from grading.cgroups import KernelCgroup\n"
        "group = KernelCgroup('grading-unit-test-delegated', 48 * 2**20, 8)\n"
        "hog = 'b = bytearray(200 * 2**20); b[::4096] = bytes(len(b[::4096]))'\n"
        "done = subprocess.run([*group.launcher_prefix(), sys.executable, '-c', hog])\n"
        "print('killed', done.returncode != 0, 'oom', group.oom_killed())\n"
        "group.close()\n"
    )
    try:
        done = subprocess.run(
            [
                "setpriv",
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                "/usr/bin/python3",
                "-c",
                probe,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        for parent in (Path("/sys/fs/cgroup/memory/grading"), Path("/sys/fs/cgroup/pids/grading")):
            os.chown(parent, 0, 0)
    assert "killed True oom True" in done.stdout, done.stdout + done.stderr


def test_delegate_names_a_missing_user():
    from grading.cgroups import delegate

    with pytest.raises(ValueError, match="user must be an existing account"):
        delegate("no-such-user-here")


def test_memory_cap_per_assignment():
    from grading.execution import SandboxedExecute

    execute = SandboxedExecute(memory_limit="4G", memory_limit_per_assignment={"a5": "6G"})
    execute._assignment = "a5"
    assert execute.memory_limit_bytes() == 6 * 2**30
    execute._assignment = "a1"
    assert execute.memory_limit_bytes() == 4 * 2**30
    assert SandboxedExecute(memory_limit="").memory_limit_bytes() is None


def test_cgroup_error_says_how_to_fix(monkeypatch):
    import grading.cgroups as cgroups

    monkeypatch.setattr(cgroups, "CGROUP_ROOT", Path("/proc/no-cgroup-here"))  # unwritable
    with pytest.raises(CgroupError, match="Grade as root"):
        KernelCgroup("x", 2**30, 10)


def make_gradebook(path: Path, value: str) -> str:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS t (v TEXT)")
        db.execute("DELETE FROM t")
        db.execute("INSERT INTO t VALUES (?)", (value,))
    return f"sqlite:///{path}?timeout=30"


def read_value(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT v FROM t").fetchone()[0]


def test_backups_rotate_and_restore_keeps_the_replaced_state(tmp_path):
    url = make_gradebook(tmp_path / "gradebook.db", "v0")
    assert sqlite_path(url) == tmp_path / "gradebook.db"
    for number in range(12):
        make_gradebook(tmp_path / "gradebook.db", f"v{number}")
        backup(url, tmp_path / "backups", keep=10)
    kept = list_backups(tmp_path / "backups")
    assert len(kept) == 10
    assert read_value(kept[0]) == "v2"  # the two oldest went
    restore(url, tmp_path / "backups", kept[3].name)
    assert read_value(tmp_path / "gradebook.db") == "v5"
    assert read_value(list_backups(tmp_path / "backups")[-1]) == "v11"  # what it replaced


def test_backup_rejects_unknown_databases(tmp_path):
    with pytest.raises(ValueError, match="db_url must be sqlite or postgresql"):
        backup("mysql://x/y", tmp_path)
    assert backup(f"sqlite:///{tmp_path / 'none.db'}", tmp_path / "b") is None


def test_find_jobs_narrows_and_skips_graded(tmp_path):
    for student, assignment in [("a", "x"), ("b", "x"), ("a", "y")]:
        folder = tmp_path / "submitted" / student / assignment
        folder.mkdir(parents=True)
        (folder / f"{assignment}.ipynb").write_text("{}")
    (tmp_path / "submitted" / "c" / "x").mkdir(parents=True)  # no notebook: nothing to grade
    (tmp_path / "autograded" / "b" / "x").mkdir(parents=True)
    assert find_jobs(tmp_path) == [Job("x", "a"), Job("y", "a")]
    assert find_jobs(tmp_path, force=True) == [Job("x", "a"), Job("y", "a"), Job("x", "b")]
    assert find_jobs(tmp_path, assignment="x", force=True) == [Job("x", "a"), Job("x", "b")]
    assert find_jobs(tmp_path, student="a", assignment="y") == [Job("y", "a")]


def test_faults_name_the_cell_and_the_reason(tmp_path):
    import json

    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {"nbgrader": {"grade_id": "answer-1"}},
                "outputs": [
                    {
                        "output_type": "error",
                        "ename": "KernelDied",
                        "evalue": "memory limit of 4 GiB exceeded, in this cell.",
                    }
                ],
            },
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [{"output_type": "error", "ename": "CellNotRun", "evalue": "not run"}],
            },
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [{"output_type": "error", "ename": "CellNotRun", "evalue": "not run"}],
            },
        ]
    }
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    assert faults_in(path) == [
        {"cell": "answer-1", "reason": "memory limit of 4 GiB exceeded, in this cell"},
        {"cell": "2 later cells", "reason": "not run"},
    ]


def test_autograde_command_line_errors(tmp_path):
    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "grading.autograde", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    bad_jobs = run("--jobs", "0")
    assert bad_jobs.returncode == 2 and "--jobs must be 1 or more, got 0" in bad_jobs.stderr
    no_course = run("--root", str(tmp_path))
    assert no_course.returncode == 2 and "no nbgrader_config.py" in no_course.stderr
    (tmp_path / "nbgrader_config.py").write_text("")
    nothing = run("--root", str(tmp_path), "--student", "zoe")
    assert nothing.returncode == 0 and "Nothing to grade for student=zoe" in nothing.stdout
