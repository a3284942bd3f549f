"""grading.plugins.cgroups: sizes, memory and process caps on a real cgroup, delegation to an
unprivileged grader, and errors that say how to fix them."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grading.plugins.cgroups import CgroupError, KernelCgroup, format_bytes, parse_bytes
from tests import ROOT


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
    """What a JupyterHub instructor gets after
    `python -m grading.plugins.cgroups delegate USER`."""
    from grading.plugins.cgroups import delegate

    delegate("nobody")
    probe = (
        "import subprocess, sys\n"
        "from grading.plugins.cgroups import KernelCgroup\n"
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
    from grading.plugins.cgroups import delegate

    with pytest.raises(ValueError, match="user must be an existing account"):
        delegate("no-such-user-here")


def test_cgroup_error_says_how_to_fix(monkeypatch):
    import grading.plugins.cgroups as cgroups

    monkeypatch.setattr(cgroups, "CGROUP_ROOT", Path("/proc/no-cgroup-here"))  # unwritable
    with pytest.raises(CgroupError, match="Grade as root"):
        KernelCgroup("x", 2**30, 10)
