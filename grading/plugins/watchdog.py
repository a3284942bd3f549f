"""A memory watchdog for one sandboxed kernel, for hosts where no cgroup can be made.

Without a cgroup nothing in the kernel charges a kernel's processes together, so the watchdog
does it from outside, in a thread of the grader:

- **which processes**: bubblewrap gives the kernel a pid namespace of its own. Every process the
  student's code starts is in it, or in a namespace nested in it, for good: a detached or
  daemonised process is re-parented to the sandbox's own init, never to the host's. So the
  sandbox is every process whose pid namespace is the sandbox's or descends from it
  (``SandboxTree``), however the student forked, double-forked or called ``setsid``.
- **how much memory**: the resident set of each process, summed, plus what the sandbox's
  ``tmpfs`` mounts hold (files in its ``/tmp`` and home live in memory too). That sum is cheap
  (``/proc/<pid>/stat``) but counts pages shared between processes once per process (a forked
  child shares its parent's pages), so when it reaches the cap the proportional set size
  (``smaps_rollup``'s ``Pss``, each shared page divided among its sharers) decides.
- **the end**: at the cap, every process of the sandbox gets ``SIGKILL`` (its init first: a pid
  namespace whose init dies takes everything in it along), through a pidfd checked to still be
  in the sandbox, so a recycled pid of the host is never hit.

A watchdog polls: it checks every ``interval`` seconds (every ``fast_interval`` once half the cap
is used), so memory allocated faster than that passes the cap by what was allocated in between
before the kernel is ended. The cgroup path has no such window.
"""

import errno
import fcntl
import os
import signal
import threading
import time
from collections.abc import Iterable

NS_GET_PARENT = 0xB702  # ioctl on a namespace file: the parent namespace (linux/nsfs.h)
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _ns_of(pid) -> tuple[int, int] | None:
    """The pid namespace of ``pid`` as (device, inode), ``None`` once it is gone (or hidden)."""
    try:
        found = os.stat(f"/proc/{pid}/ns/pid")
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _stat_fields(pid: int) -> list[bytes]:
    """``/proc/<pid>/stat`` after the command name (field 3, the state, first); [] once gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _parent_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def _living(pid: int) -> bool:
    """Not yet a zombie: a zombie holds no memory and no signal reaches it."""
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] not in (b"Z", b"X")


def _host_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


class SandboxTree:
    """The processes of one bubblewrap sandbox, found by their pid namespace."""

    def __init__(self, bwrap_pid: int):
        self.bwrap_pid = bwrap_pid
        self.init_pid = None  # bwrap's child: the sandbox's init (pid 1 inside)
        self.namespace = None
        self._held = None  # an open handle on the namespace: its inode is not reused meanwhile
        self._released = False
        self._own = _ns_of("self")
        self._nested = {}  # namespace -> (whether it is the sandbox's or below, a handle on it)
        self._lock = threading.RLock()  # the watchdog's thread and the grader's both ask

    def _find_init(self) -> bool:
        for pid in _host_pids():
            if _parent_of(pid) != self.bwrap_pid:
                continue
            try:
                held = os.open(f"/proc/{pid}/ns/pid", os.O_RDONLY)
            except OSError:
                continue
            found = os.fstat(held)
            namespace = (found.st_dev, found.st_ino)
            if namespace == self._own or _parent_of(pid) != self.bwrap_pid:
                os.close(held)  # not yet in its namespace, or not bwrap's child any more
                continue
            self.init_pid, self.namespace, self._held = pid, namespace, held
            return True
        return False

    def release(self) -> None:
        """Let the namespace go (after the last kill): from then on its inode may be reused."""
        with self._lock:
            self._release()

    def _release(self) -> None:
        self._released = True
        if self._held is not None:
            os.close(self._held)
            self._held = None
        for _, handle in self._nested.values():
            os.close(handle)
        self._nested.clear()

    def _inside(self, namespace: tuple[int, int], pid: int) -> bool:
        """Whether ``namespace`` is the sandbox's or below it, walking up its parents once. The
        verdict is kept with a handle on the namespace, so that its inode cannot be reused by
        another namespace while the verdict stands."""
        known = self._nested.get(namespace)
        if known is not None:
            return known[0]
        try:
            start = os.open(f"/proc/{pid}/ns/pid", os.O_RDONLY)
        except OSError:
            return False
        found = os.fstat(start)
        if (found.st_dev, found.st_ino) != namespace:  # the pid was reused meanwhile
            os.close(start)
            return False
        inside, current = False, os.dup(start)
        try:
            for _ in range(32):  # the kernel nests pid namespaces 32 deep at most
                found = os.fstat(current)
                if (found.st_dev, found.st_ino) == self.namespace:
                    inside = True
                    break
                parent = fcntl.ioctl(current, NS_GET_PARENT)
                os.close(current)
                current = parent
        except OSError:
            pass  # EPERM: the walk left the namespaces this process may see, so not inside
        finally:
            os.close(current)
        self._nested[namespace] = (inside, start)
        return inside

    def members(self) -> list[int]:
        """Every process in the sandbox now (empty before bwrap has made it, and after)."""
        with self._lock:
            return self._members()

    def _members(self) -> list[int]:
        if self._released or (self.namespace is None and not self._find_init()):
            return []
        found = []
        for pid in _host_pids():
            namespace = _ns_of(pid)
            if namespace is None or namespace == self._own:
                continue
            if namespace == self.namespace or self._inside(namespace, pid):
                found.append(pid)
        return found

    def living_members(self) -> list[int]:
        return [pid for pid in self.members() if _living(pid)]

    def is_member(self, pid: int) -> bool:
        namespace = _ns_of(pid)
        return (
            namespace is not None
            and self.namespace is not None
            and (namespace == self.namespace or self._inside(namespace, pid))
        )

    def kill(self) -> int:
        """``SIGKILL`` to every process of the sandbox, its init first; how many were sent."""
        with self._lock:
            return self._kill()

    def _kill(self) -> int:
        pids = self.living_members()
        if self.init_pid in pids:
            pids.remove(self.init_pid)
            pids.insert(0, self.init_pid)
        sent = 0
        for pid in pids:
            try:
                handle = os.pidfd_open(pid)
            except OSError:
                continue
            try:
                if self.is_member(pid):  # the pidfd holds this very process from here on
                    signal.pidfd_send_signal(handle, signal.SIGKILL)
                    sent += 1
            except OSError as error:
                if error.errno != errno.ESRCH:
                    raise
            finally:
                os.close(handle)
        return sent


def resident(pid: int) -> tuple[int, int]:
    """(resident bytes, threads) of one process, from ``/proc/<pid>/stat``; zeros once gone."""
    fields = _stat_fields(pid)
    return (int(fields[21]) * PAGE_SIZE, int(fields[17])) if len(fields) > 21 else (0, 0)


def proportional(pid: int) -> int:
    """Bytes of memory ``pid`` accounts for with shared pages split among their sharers."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _same_file(one: str, other: str) -> bool:
    try:
        a, b = os.stat(one), os.stat(other)
    except OSError:
        return True
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def tmpfs_used(init_pid: int, mounts: Iterable[str]) -> int:
    """Bytes held by the sandbox's in-memory file systems, seen through its init's root; 0
    while bubblewrap is still setting up (its root is still the host's, whose ``/tmp`` is not
    the sandbox's)."""
    if _same_file(f"/proc/{init_pid}/root", "/"):
        return 0
    used = 0
    for mount in mounts:
        try:
            found = os.statvfs(f"/proc/{init_pid}/root{mount}")
        except OSError:
            continue
        used += (found.f_blocks - found.f_bfree) * found.f_frsize
    return used


class MemoryWatchdog(threading.Thread):
    """Ends the sandbox of ``bwrap_pid`` when its processes and in-memory files pass
    ``limit_bytes``; ``exceeded`` then holds the bytes measured."""

    def __init__(
        self,
        bwrap_pid: int,
        limit_bytes: int,
        tmpfs: Iterable[str] = (),
        interval: float = 0.2,
        fast_interval: float = 0.05,
        precise_every: float = 1.0,
    ):
        super().__init__(name=f"memory-watchdog-{bwrap_pid}", daemon=True)
        self.tree = SandboxTree(bwrap_pid)
        self.limit_bytes = limit_bytes
        self.tmpfs = tuple(tmpfs)
        self.interval = interval
        self.fast_interval = fast_interval
        self.precise_every = precise_every
        self.exceeded = None
        self.peak_bytes = 0
        self.peak_tasks = 0
        self.checks = 0
        self.cpu_seconds = 0.0  # what the checks cost this thread: the fallback's overhead
        self._halt = threading.Event()
        self._precise = None  # (time, resident sum then, proportional sum then)

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=5)

    def measure(self) -> int:
        """The sandbox's memory now: resident sizes summed, the proportional sum when that
        reaches the cap, plus the in-memory files."""
        pids = self.tree.members()
        files = tmpfs_used(self.tree.init_pid, self.tmpfs) if pids else 0
        sizes = [resident(pid) for pid in pids]
        rss = sum(size for size, _ in sizes)
        self.peak_tasks = max(self.peak_tasks, sum(threads for _, threads in sizes))
        if rss + files < self.limit_bytes:
            return rss + files
        now = time.monotonic()
        if self._precise is not None:
            then, rss_then, pss_then = self._precise
            # Resident sizes only grew since the last exact sum: the shared pages were split the
            # same way, so the exact sum grew by at most as much.
            bound = pss_then + rss - rss_then
            recent = now - then < self.precise_every
            if rss >= rss_then and recent and bound + files < self.limit_bytes:
                return bound + files
        pss = sum(proportional(pid) for pid in pids)
        self._precise = (now, rss, pss)
        return pss + files

    def run(self) -> None:
        while not self._halt.is_set():
            started = time.thread_time()
            used = self.measure()
            self.cpu_seconds += time.thread_time() - started
            self.checks += 1
            self.peak_bytes = max(self.peak_bytes, used)
            if used >= self.limit_bytes:
                self.exceeded = used
                self.tree.kill()
                return
            fast = used >= self.limit_bytes / 2
            self._halt.wait(self.fast_interval if fast else self.interval)
