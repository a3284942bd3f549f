"""grading.plugins.cgroups on cgroup v2, against this host's real cgroup2 hierarchy: the subtree
a grader owns, its processes moved to a leaf, controllers enabled on the parent, the "no
internal processes" rule of a container whose cgroup namespace root holds processes, and
delegation to an unprivileged instructor.

Where memory and pids are bound to cgroup v1 (a hybrid host, like this course's CI machines),
the cgroup2 hierarchy still exists but offers other controllers (``hugetlb`` here): the
delegation logic is exercised with the controller it offers; the memory and process caps
themselves need memory and pids on v2 and say so in their skip reason."""

import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import grading.plugins.cgroups as cgroups
from tests import ROOT

WANTED = cgroups.V2_CONTROLLERS


def cgroup2_mount() -> Path | None:
    for line in Path("/proc/self/mounts").read_text().splitlines():
        fields = line.split()
        if fields[2] == "cgroup2":
            return Path(fields[1])
    return None


MOUNT = cgroup2_mount()
OFFERED = (MOUNT / "cgroup.controllers").read_text().split() if MOUNT else []
# The controllers to exercise the logic with: memory and pids where v2 has them, else one it has.
CONTROLLERS = tuple(c for c in WANTED if c in OFFERED) or tuple(OFFERED[:1])

needs_v2 = pytest.mark.skipif(
    os.geteuid() != 0 or MOUNT is None or not CONTROLLERS,
    reason="needs root and a cgroup2 hierarchy offering a controller "
    f"(mounted at {MOUNT}, offering {OFFERED or 'none'}; running as uid {os.geteuid()})",
)
needs_v2_memory = pytest.mark.skipif(
    os.geteuid() != 0 or MOUNT is None or not set(WANTED) <= set(OFFERED),
    reason="memory.max and pids.max need the memory and pids controllers on cgroup v2; this "
    f"host's cgroup2 hierarchy ({MOUNT}) offers only {OFFERED or 'none'}: they are bound to "
    "cgroup v1 here (a hybrid host), and moving them would mean tearing down the v1 hierarchies "
    "every process on the machine is in",
)


@pytest.fixture
def unified(monkeypatch):
    """The cgroup2 hierarchy as the module's root, with the controllers given to the root's
    children for the test (and taken back after, if the test gave them)."""
    monkeypatch.setattr(cgroups, "CGROUP_ROOT", MOUNT)
    control = MOUNT / "cgroup.subtree_control"
    before = set(control.read_text().split())
    shared = MOUNT / "grading"
    existed = shared.exists()
    cgroups.enable_controllers(MOUNT, CONTROLLERS)
    made = []  # groups a test made for itself alone (grading/ may be in use by real grading)
    yield made
    for group in reversed(made):
        inner = [p for p in group.rglob("*") if p.is_dir()]
        for path in sorted(inner, key=lambda p: -len(p.parts)) + [group]:
            os.rmdir(path)
    if not existed:
        try:
            shared.rmdir()
        except OSError:
            pass  # real grading uses it meanwhile
    added = [c for c in CONTROLLERS if c not in before]
    if added:
        try:
            control.write_text(" ".join(f"-{c}" for c in added))
        except OSError:
            pass  # another group still uses it: left on, as any v2 host has it


def run_probe(code: str, *, preexec=None, prefix=(), python=sys.executable) -> str:
    """Run ``code`` in a fresh process (as the grader would be), with the module pointed at the
    hierarchy it mounts or was given; its stdout."""
    done = subprocess.run(
        [*prefix, python, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT)},
        preexec_fn=preexec,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@needs_v2
def test_root_grades_under_grading_at_the_top_of_the_hierarchy(unified):
    parent = cgroups.kernels_parent(CONTROLLERS)
    assert parent == MOUNT / "grading"
    assert set(CONTROLLERS) <= set((parent / "cgroup.subtree_control").read_text().split())
    kernel = parent / f"kernel-{secrets.token_hex(3)}"
    kernel.mkdir()
    unified.append(kernel)
    assert set(CONTROLLERS) <= set((kernel / "cgroup.controllers").read_text().split())
    sleeper = subprocess.Popen(
        ["/bin/sh", "-c", f'echo $$ > "{kernel}/cgroup.procs" && exec sleep 60']
    )
    try:
        for _ in range(100):
            if cgroups.group_pids(kernel):
                break
            subprocess.run(["sleep", "0.05"])
        assert cgroups.group_pids(kernel) == [sleeper.pid]
    finally:
        sleeper.kill()
        sleeper.wait()


@needs_v2
def test_a_container_whose_namespace_root_holds_processes(unified, tmp_path):
    """Kubernetes and Docker: the grader's /sys/fs/cgroup is its cgroup namespace's root, and
    that root holds the container's processes. Enabling a controller there fails (EBUSY) until
    they are moved to a leaf; then every kernel gets its group."""
    container = MOUNT / f"grading-test-container-{secrets.token_hex(3)}"
    container.mkdir()
    unified.append(container)
    inside = tmp_path / "cgroup"
    inside.mkdir()
    probe = f"""
        import errno, os, subprocess
        from pathlib import Path
        import grading.plugins.cgroups as cgroups
        cgroups.CGROUP_ROOT = root = Path({str(inside)!r})
        print("own", cgroups.own_cgroup())
        other = subprocess.Popen(["sleep", "60"])  # another process of the container
        try:
            (root / "cgroup.subtree_control").write_text("+{CONTROLLERS[0]}")
        except OSError as error:
            print("direct", errno.errorcode[error.errno])
        parent = cgroups.kernels_parent({CONTROLLERS!r})
        print("parent", parent.relative_to(root))
        print("left in root", cgroups.group_pids(root))
        moved = sorted(cgroups.group_pids(root / "leaf"))
        print("in leaf", moved == sorted([os.getpid(), other.pid]))
        print("own after", cgroups.own_cgroup().relative_to(root))
        print("enabled", (root / "cgroup.subtree_control").read_text().split())
        other.kill()
    """
    mount_and_run = f'mount -t cgroup2 none "{inside}" && exec "$@"'
    out = run_probe(
        probe,
        prefix=[
            "/bin/sh",
            "-c",
            f'echo $$ > "{container}/cgroup.procs" && exec "$@"',
            "enter",
            "unshare",
            "--cgroup",
            "--mount",
            "--propagation",
            "private",
            "/bin/sh",
            "-c",
            mount_and_run,
            "mount",
        ],
    )
    assert f"own {inside}\n" in out  # the namespace's root: the container sees itself at "/"
    assert "direct EBUSY" in out  # the rule is real here
    assert "parent grading" in out
    assert "left in root []" in out and "in leaf True" in out
    assert "own after leaf" in out
    assert CONTROLLERS[0] in out.split("enabled", 1)[1]
    assert (container / "grading").is_dir() and (container / "leaf").is_dir()


@needs_v2
def test_delegation_to_an_unprivileged_instructor(unified):
    """What `sudo python -m grading.plugins.cgroups delegate USER` and the course's JupyterHub
    give an instructor on v2: a group of their own, their server started in it by root
    (``enter_delegated``), and from there a capped group per kernel without root."""
    group = cgroups.delegate("nobody", CONTROLLERS)[0]
    assert group == MOUNT / "grading" / "nobody"
    assert group.stat().st_uid == 65534 and (group / "cgroup.procs").stat().st_uid == 65534
    probe = f"""
        import os, subprocess, time
        from pathlib import Path
        import grading.plugins.cgroups as cgroups
        cgroups.CGROUP_ROOT = Path({str(MOUNT)!r})
        print("uid", os.getuid())
        print("owned", cgroups.delegation_root())
        parent = cgroups.kernels_parent({CONTROLLERS!r})
        print("parent", parent)
        kernel = parent / "kernel-1"
        kernel.mkdir()
        enter = f'echo $$ > "{{kernel}}/cgroup.procs" && exec sleep 60'
        child = subprocess.Popen(["/bin/sh", "-c", enter])
        for _ in range(100):
            if cgroups.group_pids(kernel):
                break
            time.sleep(0.05)
        print("kernel holds child", cgroups.group_pids(kernel) == [child.pid])
        child.kill(); child.wait(); kernel.rmdir()
    """
    try:
        out = run_probe(
            probe,
            preexec=lambda: cgroups.enter_delegated("nobody"),
            prefix=["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"],
            python="/usr/bin/python3",
        )
        leaf_made = (group / "leaf").is_dir()  # the server's processes went to a leaf
    finally:
        removed = cgroups.undelegate("nobody")
    assert "uid 65534" in out
    assert f"owned {group}\n" in out
    assert f"parent {group / 'grading'}\n" in out
    assert "kernel holds child True" in out
    assert leaf_made
    assert removed == [group] and not group.exists()


@needs_v2
def test_an_instructor_outside_any_delegated_group_is_told_how(unified):
    probe = f"""
        from pathlib import Path
        import grading.plugins.cgroups as cgroups
        cgroups.CGROUP_ROOT = Path({str(MOUNT)!r})
        try:
            cgroups.delegation_root()
        except cgroups.CgroupError as error:
            print("refused:", error)
    """
    out = run_probe(
        probe,
        prefix=["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"],
        python="/usr/bin/python3",
    )
    assert "refused: no cgroup subtree is writable for this user" in out
    assert "Delegate=yes" in out


@needs_v2
def test_a_controller_the_parent_did_not_delegate_is_named(unified):
    missing = "no-such-controller"
    with pytest.raises(cgroups.CgroupError, match=f"the {missing} controller is not available"):
        cgroups.enable_controllers(MOUNT, (missing,))


@needs_v2_memory
def test_memory_and_process_caps_on_v2(monkeypatch):
    monkeypatch.setattr(cgroups, "CGROUP_ROOT", MOUNT)
    group = cgroups.KernelCgroup("grading-unit-test-v2", 64 * 2**20, 8)
    try:
        hog = "b = bytearray(256 * 2**20); b[::4096] = b'x' * len(b[::4096])"
        done = subprocess.run(
            [*group.launcher_prefix(), sys.executable, "-c", hog], capture_output=True
        )
        assert done.returncode != 0 and group.oom_killed()
        forks = "import subprocess\n[subprocess.Popen(['sleep', '30']) for _ in range(20)]"
        subprocess.run(
            [*group.launcher_prefix(), sys.executable, "-c", forks], capture_output=True
        )
        assert group.process_limit_hit()
    finally:
        group.close()
