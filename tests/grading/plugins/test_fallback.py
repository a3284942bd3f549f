"""grading.plugins.fallback and grading.plugins.watchdog: the caps without any cgroup, on real
bubblewrap sandboxes started with the engine's own command line. The memory watchdog follows
every process of the sandbox (children, detached and daemonised ones, a nested pid namespace)
and its in-memory files, counts pages a fork shares once, and ends the sandbox at the cap; the
process limit is the kernel's own, not shared with other processes of the same user."""

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from grading.plugins.caps import kernel_caps, preferred
from grading.plugins.fallback import DEDICATED_UID_BASE, FallbackCaps, _mapped, dedicated_uid
from grading.plugins.sandbox import HOME, SandboxSpec, bwrap_command, kernel_env, python_paths

MiB = 2**20
needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="switches users: needs root")


class Sandbox:
    """``code`` run by Python in a sandbox capped by ``caps``, as a kernel would be."""

    def __init__(self, caps: FallbackCaps, code: str, python=sys.executable, **watchdog_options):
        self.caps = caps
        self.run_dir = tempfile.mkdtemp(prefix="grading-test-")
        uid = caps.sandbox_uid or 65534
        if os.geteuid() == 0:
            os.chown(self.run_dir, uid, uid)
        spec = SandboxSpec(
            run_dir=self.run_dir,
            read_only=python_paths(python),
            env=kernel_env([python]),
            drop_privileges=os.geteuid() == 0,
            uid=uid,
        )
        inner = caps.kernel_prefix() + [python, "-u", "-c", textwrap.dedent(code)]
        command = caps.launcher_prefix() + bwrap_command(inner, spec)
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        caps.started(self.process.pid, **watchdog_options)

    def run(self, timeout=60) -> tuple[int, str]:
        """Wait for the end, then close: its exit status and what it printed."""
        try:
            return self.wait(timeout)
        finally:
            self.close()

    def wait(self, timeout=60) -> tuple[int, str]:
        out, _ = self.process.communicate(timeout=timeout)
        return self.process.returncode, out

    def close(self) -> int:
        killed = self.caps.close(grace=0.5)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.run_dir, ignore_errors=True)
        return killed


def fallback(memory=256 * MiB, processes=64) -> FallbackCaps:
    return FallbackCaps("test", memory, processes, tmpfs=("/tmp", "/dev/shm", HOME))


GROW = """
    import time
    held = []
    for step in range(40):
        held.append(bytearray(32 * 2**20))  # bytearray() writes its zeros: resident at once
        print("held", 32 * len(held), flush=True)
        time.sleep(0.05)
    print("SURVIVED")
"""


@needs_bwrap
def test_the_watchdog_ends_the_sandbox_at_the_cap():
    sandbox = Sandbox(fallback(256 * MiB), GROW)
    code, out = sandbox.run()
    held = [int(line.split()[1]) for line in out.splitlines() if line.startswith("held")]
    assert "SURVIVED" not in out and code != 0
    assert sandbox.caps.oom_killed()
    assert sandbox.caps.watchdog.exceeded >= 256 * MiB
    assert 200 <= held[-1] <= 256 + 3 * 32, held  # ended within a few steps after the cap


@needs_bwrap
def test_a_sandbox_under_the_cap_runs_to_the_end():
    sandbox = Sandbox(fallback(2048 * MiB), GROW)
    code, out = sandbox.run()
    assert code == 0 and "SURVIVED" in out
    assert not sandbox.caps.oom_killed()
    assert 1280 * MiB <= sandbox.caps.watchdog.peak_bytes < 2048 * MiB


@needs_bwrap
def test_detached_and_daemonised_processes_are_counted_together():
    """Three processes of 96 MiB each, none over the 256 MiB cap alone and no two of them
    together: a child, a double-forked daemon in its own session, and the parent. Only the
    three together pass the cap, and are ended."""
    code = """
        import os, time
        def hold_forever(who):
            block = bytearray(96 * 2**20)
            print("holding", who, flush=True)
            time.sleep(120)
        if os.fork() == 0:
            hold_forever("child")
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                hold_forever("daemon")
            os._exit(0)  # the daemon is re-parented to the sandbox's init
        time.sleep(0.5)
        hold_forever("parent")
    """
    sandbox = Sandbox(fallback(256 * MiB), code)
    status, out = sandbox.run()
    assert status != 0 and sandbox.caps.oom_killed(), out
    assert sandbox.caps.watchdog.exceeded >= 256 * MiB
    assert sandbox.caps.pids() == []


@needs_bwrap
def test_a_nested_pid_namespace_is_still_the_sandbox():
    code = """
        import subprocess, sys
        hold = "import time; b = bytearray(300 * 2**20); time.sleep(60)"
        done = subprocess.run(["unshare", "--user", "--pid", "--fork", sys.executable, "-c", hold])
        print("exit", done.returncode)
    """
    sandbox = Sandbox(fallback(256 * MiB), code)
    status, out = sandbox.run()
    if "unshare failed" in out or "exit 1" in out:
        pytest.skip("unprivileged user namespaces are not allowed inside the sandbox here")
    assert sandbox.caps.oom_killed(), out


@needs_bwrap
def test_files_in_the_sandboxes_memory_count():
    code = """
        import time
        with open("/tmp/big", "wb") as f:
            for step in range(12):
                f.write(bytes(32 * 2**20))
                f.flush()
                print("wrote", 32 * (step + 1), flush=True)
                time.sleep(0.05)
        print("SURVIVED")
    """
    sandbox = Sandbox(fallback(256 * MiB), code)
    status, out = sandbox.run()
    assert "SURVIVED" not in out and sandbox.caps.oom_killed()


@needs_bwrap
def test_pages_shared_by_forks_count_once():
    """A 200 MiB parent with ten forked children: 2.2 GiB of resident sets, 200 MiB of memory."""
    code = """
        import os, time
        block = bytearray(200 * 2**20)
        for _ in range(10):
            if os.fork() == 0:
                time.sleep(3)
                os._exit(0)
        time.sleep(3)
        print("SURVIVED", flush=True)
    """
    sandbox = Sandbox(fallback(512 * MiB), code)
    status, out = sandbox.run()
    assert "SURVIVED" in out and not sandbox.caps.oom_killed()
    assert 200 * MiB <= sandbox.caps.watchdog.peak_bytes < 512 * MiB


FORKS = textwrap.dedent("""
    import subprocess
    started = []
    try:
        for _ in range(60):
            started.append(subprocess.Popen(["sleep", "30"]))
        print("started all", len(started))
    except OSError as error:
        print("refused after", len(started), type(error).__name__)
""")


def refused_after(out: str) -> int:
    assert "refused after" in out, out
    return int(out.split("refused after")[1].split()[0])


@needs_bwrap
@needs_root
def test_the_process_limit_is_the_kernels_own_uid():
    """Grading as root: the kernel runs as a uid of its own, so a process limit of 20 allows
    about 20 processes however many other sandboxes (as nobody) run."""
    others = [
        subprocess.Popen(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "sleep", "30"]
        )
        for _ in range(25)
    ]
    caps = fallback(processes=20)
    assert caps.sandbox_uid == DEDICATED_UID_BASE + os.getpid()
    try:
        status, out = Sandbox(caps, FORKS + "\nimport os; print('uid', os.getuid())").run()
    finally:
        for other in others:
            other.kill()
            other.wait()
    assert f"uid {caps.sandbox_uid}" in out
    assert 15 <= refused_after(out) < 20
    assert caps.pids() == []


@needs_bwrap
@needs_root
def test_an_unprivileged_graders_kernel_is_counted_in_its_own_user_namespace(tmp_path):
    """Grading as an instructor (here: nobody), the kernel shares its uid with the
    instructor's server and other kernels. In bubblewrap's user namespace only its own
    processes count: 25 sleepers of the same user outside leave it its 20."""
    script = tmp_path / "probe.py"
    script.write_text(
        textwrap.dedent(f"""
        import subprocess, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})
        from tests.grading.plugins.test_fallback import Sandbox, fallback, FORKS
        others = [subprocess.Popen(["sleep", "30"]) for _ in range(25)]
        plain = subprocess.run(["prlimit", "--nproc=20", "/usr/bin/python3", "-c", FORKS],
                               capture_output=True, text=True)
        print("without a namespace:", plain.stdout.strip())
        # a Python this user may run (the test's own lives under root's home)
        sandbox = Sandbox(fallback(processes=20), FORKS, python="/usr/bin/python3")
        status, out = sandbox.wait()
        print("sandboxed:", out.strip(), "killed", sandbox.close())
        for other in others:
            other.kill()
        """)
    )
    for path in (script, *script.parents):
        if path == Path("/tmp"):
            break
        path.chmod(path.stat().st_mode | 0o755)  # for nobody
    done = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        + [sys.executable, str(script)],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    outside, inside = done.stdout.split("sandboxed:")
    assert refused_after(outside) == 0  # the same uid's 25 sleepers used the allowance up
    assert 15 <= refused_after(inside) < 20


@needs_bwrap
def test_close_ends_what_is_still_running():
    """What the kernel leaves behind (a detached sleeper in a session of its own) while the
    sandbox still runs is ended by ``close``, and nothing of it is left."""
    code = """
        import subprocess, time
        subprocess.Popen(["sleep", "300"], start_new_session=True)
        print("started", flush=True)
        time.sleep(300)
    """
    sandbox = Sandbox(fallback(), code)
    line = sandbox.process.stdout.readline()
    pids = sandbox.caps.pids()
    killed = sandbox.close()
    assert line.strip() == "started"
    assert len(pids) >= 3  # the sandbox's init, Python, sleep
    assert killed >= 3 and sandbox.caps.pids() == []
    assert not any(
        Path(f"/proc/{pid}").exists() and b"sleep" in Path(f"/proc/{pid}/cmdline").read_bytes()
        for pid in pids
    )


def test_a_dedicated_uid_must_be_mapped(tmp_path):
    container = tmp_path / "uid_map"
    container.write_text("         0     100000      65536\n")
    assert _mapped(1000, str(container)) and not _mapped(DEDICATED_UID_BASE, str(container))
    if os.geteuid() == 0 and _mapped(DEDICATED_UID_BASE + 2**22, "/proc/self/uid_map"):
        assert dedicated_uid(123) == DEDICATED_UID_BASE + 123


def test_the_mechanism_is_asked_for_by_name(monkeypatch):
    monkeypatch.delenv("COURSE_CAPS", raising=False)
    assert preferred("fallback") == "fallback"
    monkeypatch.setenv("COURSE_CAPS", "fallback")
    assert preferred("cgroup") == "fallback"  # the environment wins
    monkeypatch.setenv("COURSE_CAPS", "none")
    with pytest.raises(ValueError, match="COURSE_CAPS must be one of auto, cgroup, fallback"):
        preferred()
    monkeypatch.delenv("COURSE_CAPS")
    with pytest.raises(ValueError, match="caps must be one of auto, cgroup, fallback, got 'x'"):
        preferred("x")


def test_auto_falls_back_where_no_cgroup_can_be_made(monkeypatch):
    import grading.plugins.cgroups as cgroups

    monkeypatch.delenv("COURSE_CAPS", raising=False)
    monkeypatch.setattr(cgroups, "CGROUP_ROOT", Path("/proc/no-cgroup-here"))  # unwritable
    caps = kernel_caps("x", 2**30, 10, prefer="auto")
    assert isinstance(caps, FallbackCaps)
    assert caps.describe().startswith("fallback without cgroups (no cgroup: ")
    assert "at most 10 processes per kernel" in caps.describe()
    with pytest.raises(cgroups.CgroupError, match="Grade as root"):
        kernel_caps("x", 2**30, 10, prefer="cgroup")
    assert isinstance(kernel_caps("x", 2**30, 10, prefer="fallback"), FallbackCaps)


@needs_root
def test_auto_takes_the_cgroup_where_it_can(monkeypatch):
    monkeypatch.delenv("COURSE_CAPS", raising=False)
    caps = kernel_caps(f"grading-unit-test-auto-{os.getpid()}", 2**30, 10)
    try:
        assert caps.mechanism.startswith("cgroup")
        assert caps.describe().startswith(caps.mechanism)
    finally:
        caps.close(grace=0)


def test_the_hosts_tmp_never_counts_as_the_sandboxes():
    """Before bubblewrap has moved into the sandbox's root, its init sees the host's ``/tmp``;
    what the host keeps there is not the student's."""
    from grading.plugins.watchdog import tmpfs_used

    assert tmpfs_used(os.getpid(), ["/tmp", "/dev/shm"]) == 0
