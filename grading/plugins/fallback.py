"""Memory and process caps for one kernel without any cgroup: a per-kernel process limit set
inside the sandbox, and the memory watchdog (``grading.plugins.watchdog``).

For hosts where the grader cannot create a cgroup: a container whose ``/sys/fs/cgroup`` is
read-only (most Kubernetes pods, Docker without ``--privileged``), a cgroup v2 host without a
delegated subtree, an instructor's account nobody delegated anything to. ``FallbackCaps`` has
``KernelCgroup``'s interface, so the sandbox and the feedback treat both alike: at the memory
cap the kernel is ended and the cell says "memory limit of N exceeded, in this cell".

Processes: ``RLIMIT_NPROC``, set by ``prlimit`` as the last step before the kernel starts. The
kernel counts it per user, so the user must run nothing but this kernel, or one kernel's fork
bomb would use up its neighbour's allowance (two jobs grade side by side) and any daemon of that
user would count against the student:

- grading as root, the kernel runs as a user of its own, ``DEDICATED_UID_BASE`` plus the
  grader's pid (unique among running graders, and one grader runs one kernel at a time), in a
  range no distribution and no systemd component hands out;
- grading as an unprivileged instructor, bubblewrap puts the kernel in a user namespace of its
  own, and since Linux 5.14 the kernel counts processes per user *and* user namespace: the
  instructor's server and other kernels do not count.

Root is exempt from ``RLIMIT_NPROC``, which is why the kernel never runs as a uid that maps to
root. What is left when grading ends is found by the sandbox's pid namespace and killed.
"""

import os
import shutil
import time

from grading.plugins.cgroups import format_bytes
from grading.plugins.watchdog import MemoryWatchdog

# systemd's UIDS-GIDS.md leaves 0x70000000-0x7FFEFFFF unassigned (its containers end below, its
# "foreign" range starts above); pids are below 2**22, so base + pid stays in it.
DEDICATED_UID_BASE = 0x70000000
NOBODY = 65534


def _mapped(number: int, map_file: str) -> bool:
    """Whether ``number`` is a valid id in this process's user namespace (a container may map
    only 65536 ids)."""
    try:
        lines = open(map_file).read().splitlines()
    except OSError:
        return number < 2**32 - 1
    for line in lines:
        inside, _, count = (int(x) for x in line.split())
        if inside <= number < inside + count:
            return True
    return False


def dedicated_uid(pid: int | None = None) -> int | None:
    """The user a root grader's kernel runs as: one no other process uses. ``None`` when this
    user namespace cannot hold it (the kernel then runs as ``nobody``)."""
    uid = DEDICATED_UID_BASE + (pid or os.getpid())
    if _mapped(uid, "/proc/self/uid_map") and _mapped(uid, "/proc/self/gid_map"):
        return uid
    return None


class FallbackCaps:
    """One kernel's caps without a cgroup; ``close`` ends every process left in its sandbox."""

    mechanism = "fallback"

    def __init__(
        self, name: str, memory_bytes: int, max_processes: int, reason: str = "", tmpfs=()
    ):
        self.name = name
        self.memory_bytes = memory_bytes
        self.max_processes = max_processes
        self.reason = reason
        self.tmpfs = tuple(tmpfs)
        self.uid = None
        self.shared_uid = False
        if os.geteuid() == 0:
            self.uid = dedicated_uid()
            self.shared_uid = self.uid is None
        self.watchdog = None

    @property
    def sandbox_uid(self) -> int | None:
        """Whom the kernel runs as when the grader is root (``None``: the sandbox's default)."""
        return self.uid

    def describe(self) -> str:
        """What holds the kernel, in words for the grading log."""
        if os.geteuid() != 0:
            who = "the kernel's own user namespace"
        elif self.shared_uid:
            who = f"uid {NOBODY}, shared with every process of that user (no free uid mapped)"
        else:
            who = "a uid of its own per kernel"
        why = f" ({self.reason})" if self.reason else ""
        return (
            f"fallback without cgroups{why}: at most {self.max_processes} processes per kernel "
            f"(RLIMIT_NPROC, {who}); memory watched in the kernel's pid namespace, ended at "
            f"{format_bytes(self.memory_bytes)}"
        )

    def launcher_prefix(self) -> list[str]:
        return []

    def kernel_prefix(self) -> list[str]:
        """Inside the sandbox, just before the kernel: its process limit."""
        limit = self.max_processes
        prlimit = shutil.which("prlimit") or "prlimit"  # util-linux, as setpriv
        return [prlimit, f"--nproc={limit}", "--"] if limit else []

    def started(self, bwrap_pid: int, **watchdog_options) -> None:
        """Watch the sandbox bubblewrap ``bwrap_pid`` has started."""
        self.watchdog = MemoryWatchdog(
            bwrap_pid, self.memory_bytes, tmpfs=self.tmpfs, **watchdog_options
        )
        self.watchdog.start()

    def oom_killed(self) -> bool:
        """Whether the watchdog ended the kernel at the memory cap."""
        return self.watchdog is not None and self.watchdog.exceeded is not None

    def process_limit_hit(self) -> bool:
        """Whether the kernel was seen at its process limit (the watchdog samples, so a limit
        reached between two checks goes unseen)."""
        return self.watchdog is not None and self.watchdog.peak_tasks >= self.max_processes - 1

    def pids(self) -> list[int]:
        """The sandbox's processes still running (zombies left out: they hold nothing)."""
        return self.watchdog.tree.living_members() if self.watchdog is not None else []

    def close(self, timeout: float = 10.0, grace: float = 2.0) -> int:
        """Stop watching, kill every process still in the sandbox after ``grace`` seconds (a
        kernel asked to shut down is still exiting); return how many were left to kill."""
        if self.watchdog is None:
            return 0
        self.watchdog.stop()
        settle = time.monotonic() + grace
        while self.pids() and time.monotonic() < settle:
            time.sleep(0.05)
        left = self.pids()
        deadline = time.monotonic() + timeout
        while self.pids() and time.monotonic() < deadline:
            self.watchdog.tree.kill()
            time.sleep(0.05)
        self.watchdog.tree.release()
        return len(left)
