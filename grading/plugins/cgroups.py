"""Memory and process caps for one student's kernel, from the Linux cgroup controllers.

A sandboxed kernel gets a cgroup of its own in the memory and pids controllers. The kernel is
started inside it (``launcher_prefix`` writes the launching shell's pid into ``cgroup.procs``
before it ``exec``s the sandbox), so every byte and every process the student's code creates is
charged from the first instruction. When grading ends, ``close`` kills whatever is still in the
group (a detached ``sleep`` included) and removes it.

cgroup v1 (separate ``memory`` and ``pids`` hierarchies, as on this course's CI machines): the
groups live under ``grading/`` in each hierarchy; root makes them, or an instructor after root
handed ``grading/`` over once (``delegate``).

cgroup v2 (one unified hierarchy: Ubuntu 22.04 and later, Debian 12, GitHub's runners,
Kubernetes nodes): a process may only be moved between groups by someone who can write the
common ancestor's ``cgroup.procs``, and a group that holds processes cannot give controllers to
children (the "no internal processes" rule). So the grader works inside the subtree it owns
(``delegation_root``: the highest group above its own that it may write; the whole hierarchy for
root): the processes sitting in that group are moved to a leaf (``leaf/``), memory and pids are
enabled on it, and each kernel gets ``grading/<kernel>`` below it. Who owns a subtree:

- root: the whole hierarchy (``/sys/fs/cgroup/grading/<kernel>``), or a container's whole
  cgroup namespace when ``/sys/fs/cgroup`` is mounted writable in it;
- a systemd unit with ``Delegate=yes`` (TLJH: ``c.SystemdSpawner.unit_extra_properties``), or a
  ``systemd-run --user --scope -p Delegate=yes`` command;
- an instructor whose server root placed in ``grading/<instructor>`` (``delegate`` makes it,
  ``enter_delegated`` moves a process into it: the course's JupyterHub does both).

``CgroupError`` says how to get one. Where none can be had, ``grading.plugins.caps`` uses a
fallback that needs no cgroup at all.

    sudo python -m grading.plugins.cgroups delegate instructor
"""

import argparse
import errno
import os
import pwd
import signal
import sys
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP_PARENT = "grading"
LEAF = "leaf"  # where a delegated group's own processes go, so that it may have children
V1_CONTROLLERS = ("memory", "pids")
V2_CONTROLLERS = ("memory", "pids")
DELEGATED_FILES = ("cgroup.procs", "cgroup.subtree_control", "cgroup.threads")  # systemd's set


class CgroupError(RuntimeError):
    """No cgroup could be made for a kernel; the message says how to fix it, ``cause`` why."""

    def __init__(self, message: str, cause: str = ""):
        super().__init__(message)
        self.cause = cause or message


def _unified() -> bool:
    return (CGROUP_ROOT / "cgroup.controllers").is_file()


def format_bytes(n: int) -> str:
    """``4294967296`` -> ``"4 GiB"``: how limits are named in feedback."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


def parse_bytes(value) -> int:
    """``"4G"``, ``"512M"``, ``"4GiB"`` or an int of bytes -> bytes."""
    if isinstance(value, int) and value > 0:
        return value
    text = str(value).strip().upper().removesuffix("IB").removesuffix("B")
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    try:
        if text and text[-1] in units:
            number = float(text[:-1]) * units[text[-1]]
        else:
            number = float(text)
    except ValueError:
        number = -1
    if number <= 0:
        raise ValueError(
            f"memory limit must be a positive size such as '4G', '512M' or a number of bytes, "
            f"got {value!r}"
        )
    return int(number)


# ---------------------------------------------------------------- cgroup v2: the owned subtree


def own_cgroup() -> Path:
    """This process's group in the unified hierarchy, as a directory under ``CGROUP_ROOT``."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return CGROUP_ROOT / line[3:].strip().lstrip("/")
    return CGROUP_ROOT


def _writable(group: Path) -> bool:
    """Whether this process may create children in ``group`` and move processes into it
    (``access`` also says no on a read-only mount, as containers usually have)."""
    return all(
        os.access(path, os.W_OK)
        for path in (group, group / "cgroup.procs", group / "cgroup.subtree_control")
    )


def delegation_root() -> Path:
    """The highest group above (or at) this process's own that it may write: the subtree it
    owns. Root owns the whole hierarchy (or its container's); a delegated instructor the group
    systemd or ``delegate`` handed over."""
    group = own_cgroup()
    if not group.is_dir():  # the hierarchy is mounted from another cgroup namespace
        group = CGROUP_ROOT
    owned = None
    while _writable(group):
        owned = group
        if group == CGROUP_ROOT:
            break
        group = group.parent
    if owned is None:
        raise CgroupError(
            f"no cgroup subtree is writable for this user (this process is in {own_cgroup()}). "
            "Grade as root, or from a systemd unit with Delegate=yes (TLJH: "
            "c.SystemdSpawner.unit_extra_properties = {'Delegate': 'yes'}; a shell: "
            "`systemd-run --user --scope -p Delegate=yes make autograde`), or from a server "
            "root placed in a delegated group (`sudo python -m grading.plugins.cgroups "
            "delegate $USER`, then the course's JupyterHub starts it there)"
        )
    return owned


def group_pids(group: Path) -> list[int]:
    try:
        return [int(p) for p in (group / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def move_to_leaf(group: Path) -> Path:
    """Move every process of ``group`` into ``group/leaf``, so that ``group`` may give
    controllers to children; new ones can be forked meanwhile, hence the rounds."""
    leaf = group / LEAF
    leaf.mkdir(exist_ok=True)
    for _ in range(20):
        pids = group_pids(group)
        if not pids:
            return leaf
        for pid in pids:
            try:
                (leaf / "cgroup.procs").write_text(str(pid))
            except ProcessLookupError:
                pass  # it ended meanwhile
            except OSError as error:
                if error.errno != errno.ESRCH:
                    raise
    raise CgroupError(f"the processes in {group} could not all be moved to {leaf}")


def enable_controllers(group: Path, controllers=V2_CONTROLLERS) -> None:
    """Give ``controllers`` to ``group``'s children. A group other than the hierarchy's root that
    holds processes cannot (EBUSY): its processes go to a leaf first."""
    enabled = set((group / "cgroup.subtree_control").read_text().split())
    missing = [c for c in controllers if c not in enabled]
    if not missing:
        return
    available = set((group / "cgroup.controllers").read_text().split())
    absent = [c for c in missing if c not in available]
    if absent:
        raise CgroupError(
            f"the {' and '.join(absent)} controller is not available in {group} (it offers: "
            f"{' '.join(sorted(available)) or 'none'}): the group above did not delegate it "
            "(systemd: Delegate=yes, or Delegate=memory pids), or the controller is bound to a "
            "cgroup v1 hierarchy on this host"
        )
    request = " ".join(f"+{c}" for c in missing)
    try:
        (group / "cgroup.subtree_control").write_text(request)
    except OSError as error:
        if error.errno != errno.EBUSY:
            raise
        move_to_leaf(group)
        (group / "cgroup.subtree_control").write_text(request)


def kernels_parent(controllers=V2_CONTROLLERS) -> Path:
    """``grading/`` in the owned subtree, with ``controllers`` for each kernel's group."""
    owned = delegation_root()
    enable_controllers(owned, controllers)
    parent = owned / GROUP_PARENT
    parent.mkdir(exist_ok=True)
    enable_controllers(parent, controllers)
    return parent


# ---------------------------------------------------------------- one kernel's group


class KernelCgroup:
    """One kernel's memory and process caps; ``close`` ends every process left in it."""

    def __init__(self, name: str, memory_bytes: int, max_processes: int):
        self.name = name
        self.memory_bytes = memory_bytes
        self.max_processes = max_processes
        self.unified = _unified()
        self.dirs = {}
        try:
            if self.unified:
                group = kernels_parent() / name
                self.dirs = {c: group for c in V2_CONTROLLERS}
            else:
                self.dirs = {c: CGROUP_ROOT / c / GROUP_PARENT / name for c in V1_CONTROLLERS}
            self._create()
        except (OSError, CgroupError) as error:
            self.close(grace=0)
            raise CgroupError(
                f"cannot create the cgroup that caps a kernel's memory and processes "
                f"({error}). Grade as root, or in a cgroup subtree delegated to you, or run "
                "`sudo python -m grading.plugins.cgroups delegate $USER` once, or set "
                "c.SandboxedKernelManager.caps = 'fallback' in nbgrader_config.py (no cgroup: "
                "a per-kernel process limit and a memory watchdog).",
                cause=str(error),
            ) from None

    sandbox_uid = None  # the sandbox's usual user: the group counts processes, whoever runs them

    @property
    def mechanism(self) -> str:
        return "cgroup v2" if self.unified else "cgroup v1"

    def describe(self) -> str:
        """Which groups hold the kernels, in words for the grading log."""
        parents = sorted({str(d.parent) for d in self.dirs.values()})
        return f"{self.mechanism}: a group per kernel under {', '.join(parents)}"

    def _create(self):
        if self.unified:
            group = self.dirs["memory"]
            group.mkdir(exist_ok=True)
            (group / "memory.max").write_text(str(self.memory_bytes))
            if (group / "memory.swap.max").exists():
                (group / "memory.swap.max").write_text("0")
            (group / "pids.max").write_text(str(self.max_processes))
            return
        for group in self.dirs.values():
            group.mkdir(parents=True, exist_ok=True)
        memory = self.dirs["memory"]
        (memory / "memory.limit_in_bytes").write_text(str(self.memory_bytes))
        swap = memory / "memory.memsw.limit_in_bytes"
        if swap.exists():
            swap.write_text(str(self.memory_bytes))
        (self.dirs["pids"] / "pids.max").write_text(str(self.max_processes))

    def launcher_prefix(self) -> list[str]:
        """A command prefix that enters this cgroup, then ``exec``s the rest of the command."""
        targets = " && ".join(
            f'echo $$ > "{d}/cgroup.procs"' for d in sorted({str(d) for d in self.dirs.values()})
        )
        return ["/bin/sh", "-c", f'{targets} && exec "$@"', "enter-cgroup"]

    def kernel_prefix(self) -> list[str]:
        return []

    def started(self, bwrap_pid: int) -> None:
        """Nothing to watch: the group holds the kernel from its first instruction."""

    def _read(self, controller: str, filename: str) -> str:
        try:
            return (self.dirs[controller] / filename).read_text()
        except OSError:
            return ""

    def oom_killed(self) -> bool:
        """Whether the kernel's memory cap made the OOM killer end a process in the group."""
        name = "memory.events" if self.unified else "memory.oom_control"
        for line in self._read("memory", name).splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit() and int(value) > 0:
                return True
        if not self.unified:  # kernels without an oom_kill counter: the cap was hit
            failcnt = self._read("memory", "memory.failcnt").strip()
            peak = self._read("memory", "memory.max_usage_in_bytes").strip()
            return (
                failcnt.isdigit()
                and int(failcnt) > 0
                and peak.isdigit()
                and (int(peak) >= self.memory_bytes * 0.98)
            )
        return False

    def process_limit_hit(self) -> bool:
        """Whether a fork or a thread was refused because of the process cap."""
        for line in self._read("pids", "pids.events").splitlines():
            key, _, value = line.partition(" ")
            if key == "max" and value.strip().isdigit() and int(value) > 0:
                return True
        return False

    def pids(self) -> list[int]:
        found = set()
        for group in self.dirs.values():
            found.update(group_pids(group))
        return sorted(found)

    def close(self, timeout: float = 10.0, grace: float = 2.0) -> int:
        """Kill every process still in the group after ``grace`` seconds (a kernel that was
        asked to shut down is still exiting), remove it; return how many were killed."""
        killed = 0
        settle = time.monotonic() + grace
        while self.pids() and time.monotonic() < settle:
            time.sleep(0.05)
        deadline = time.monotonic() + timeout
        while True:
            pids = self.pids()
            if not pids or time.monotonic() > deadline:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
        for group in {str(d) for d in self.dirs.values()}:
            try:
                os.rmdir(group)
            except FileNotFoundError:
                pass
            except OSError:
                time.sleep(0.2)  # the last zombie is still being reaped
                try:
                    os.rmdir(group)
                except OSError:
                    pass
        return killed


# ---------------------------------------------------------------- delegation (run as root)


def parent_dirs() -> list[Path]:
    """The course's parent cgroup in each hierarchy it uses."""
    if _unified():
        return [CGROUP_ROOT / GROUP_PARENT]
    return [CGROUP_ROOT / controller / GROUP_PARENT for controller in V1_CONTROLLERS]


def _account(user: str):
    try:
        return pwd.getpwnam(user)
    except KeyError:
        raise ValueError(f"user must be an existing account, got {user!r}") from None


def delegate(user: str, controllers=V2_CONTROLLERS) -> list[Path]:
    """Hand a cgroup subtree to ``user`` (run as root), so that user's grading can make a
    capped group per kernel without root.

    v1: the parent groups ``grading/`` themselves. v2: ``grading/<user>``, with the files systemd
    hands over for ``Delegate=yes``; v2 lets a process into it only from someone who may write
    the common ancestor, so root must also start the user's server there
    (``enter_delegated``, as the course's JupyterHub does)."""
    account = _account(user)
    if _unified():
        enable_controllers(CGROUP_ROOT, controllers)
        parent = CGROUP_ROOT / GROUP_PARENT
        parent.mkdir(exist_ok=True)
        enable_controllers(parent, controllers)
        group = parent / user
        group.mkdir(exist_ok=True)
        for path in (group, *(group / name for name in DELEGATED_FILES)):
            os.chown(path, account.pw_uid, account.pw_gid)
        return [group]
    made = []
    for parent in parent_dirs():
        parent.mkdir(parents=True, exist_ok=True)
        for path in [parent, *parent.iterdir()]:
            if path.is_dir() or path.name in ("cgroup.procs", "tasks", *DELEGATED_FILES):
                os.chown(path, account.pw_uid, account.pw_gid)
        made.append(parent)
    return made


def delegated_group(user: str) -> Path | None:
    """``grading/<user>`` on v2 when ``delegate`` made it, else ``None`` (v1 needs no move)."""
    if not _unified():
        return None
    group = CGROUP_ROOT / GROUP_PARENT / user
    return group if group.is_dir() else None


def enter_delegated(user: str, pid: int = 0) -> Path | None:
    """Move process ``pid`` (0: this one) into ``user``'s delegated v2 group (run as root, e.g.
    just before a spawner drops to ``user``), so everything it starts is in a subtree ``user``
    owns. A no-op on v1 and for users without one."""
    group = delegated_group(user)
    if group is None:
        return None
    target = group / LEAF if (group / LEAF).is_dir() else group
    (target / "cgroup.procs").write_text(str(pid or os.getpid()))
    return target


def undelegate(user: str | None = None) -> list[Path]:
    """Give the delegated subtree back to root: v1 the parents; v2 ``user``'s group (or every
    user's when ``None``) is removed once no process is left in it."""
    if not _unified():
        return delegate("root")
    parent = CGROUP_ROOT / GROUP_PARENT
    groups = [parent / user] if user else [p for p in parent.iterdir() if p.is_dir()]
    removed = []
    for group in (g for g in groups if g.is_dir()):
        inner = sorted((p for p in group.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
        for path in [*inner, group]:  # the deepest first: a group with children stays
            try:
                path.rmdir()
            except OSError:
                pass
        if not group.exists():
            removed.append(group)
    return removed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Delegate the grading cgroups to a user.")
    parser.add_argument("action", choices=["delegate"])
    parser.add_argument("user", help="the account that runs nbgrader autograde")
    args = parser.parse_args(argv)
    try:
        for path in delegate(args.user):
            print(f"{path} now belongs to {args.user}")
        if _unified():
            print(
                "cgroup v2: the user's grading must start inside that group: the course's "
                "JupyterHub starts the user's server there; elsewhere use systemd's "
                "Delegate=yes instead (docs/deployment.md)."
            )
    except (ValueError, OSError, CgroupError) as error:
        print(f"delegate: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
