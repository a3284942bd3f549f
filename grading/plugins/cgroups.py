"""Memory and process caps for one student's kernel, from the Linux cgroup controllers.

A sandboxed kernel gets a cgroup of its own under ``grading/`` in the memory and pids
controllers. The kernel is started inside it (``launcher_prefix`` writes the launching shell's
pid into ``cgroup.procs`` before it ``exec``s the sandbox), so every byte and every process the
student's code creates is charged from the first instruction. When grading ends, ``close`` kills
whatever is still in the group (a detached ``sleep`` included) and removes it.

cgroup v1 (separate ``memory`` and ``pids`` hierarchies, as on this course's CI machines) and v2
(one unified hierarchy) are both handled. Creating a group needs write access to the hierarchy:
root, or a delegated subtree. ``CgroupError`` says how to get it. On a JupyterHub, where the
instructor grades from their own unprivileged server, root delegates the course's subtree once:

    sudo python -m grading.plugins.cgroups delegate instructor
"""

import argparse
import os
import pwd
import signal
import sys
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP_PARENT = "grading"


class CgroupError(RuntimeError):
    """No cgroup could be made for a kernel; the message says how to fix it."""


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


class KernelCgroup:
    """One kernel's memory and process caps; ``close`` ends every process left in it."""

    def __init__(self, name: str, memory_bytes: int, max_processes: int):
        self.name = name
        self.memory_bytes = memory_bytes
        self.max_processes = max_processes
        if _unified():
            base = CGROUP_ROOT / GROUP_PARENT
            self.dirs = {"memory": base / name, "pids": base / name}
        else:
            self.dirs = {c: CGROUP_ROOT / c / GROUP_PARENT / name for c in ("memory", "pids")}
        try:
            self._create()
        except OSError as error:
            self.close()
            raise CgroupError(
                f"cannot create the cgroup that caps a kernel's memory and processes "
                f"({error}). Grade as root, or in a cgroup subtree delegated to you, or set "
                "`sudo python -m grading.plugins.cgroups delegate $USER` once, or set "
                "c.SandboxedExecute.memory_limit = '' and c.SandboxedExecute.max_processes = 0 "
                "in nbgrader_config.py to grade without caps (not recommended)."
            ) from None

    def _create(self):
        if _unified():
            parent = CGROUP_ROOT / GROUP_PARENT
            parent.mkdir(exist_ok=True)
            (CGROUP_ROOT / "cgroup.subtree_control").write_text("+memory +pids")
            (parent / "cgroup.subtree_control").write_text("+memory +pids")
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

    def _read(self, controller: str, filename: str) -> str:
        try:
            return (self.dirs[controller] / filename).read_text()
        except OSError:
            return ""

    def oom_killed(self) -> bool:
        """Whether the kernel's memory cap made the OOM killer end a process in the group."""
        name = "memory.events" if _unified() else "memory.oom_control"
        for line in self._read("memory", name).splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit() and int(value) > 0:
                return True
        if not _unified():  # kernels without an oom_kill counter: the cap was hit
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
            text = ""
            try:
                text = (group / "cgroup.procs").read_text()
            except OSError:
                pass
            found.update(int(p) for p in text.split())
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


def parent_dirs() -> list[Path]:
    """The course's parent cgroup in each hierarchy it uses."""
    if _unified():
        return [CGROUP_ROOT / GROUP_PARENT]
    return [CGROUP_ROOT / controller / GROUP_PARENT for controller in ("memory", "pids")]


def delegate(user: str) -> list[Path]:
    """Create the parent cgroups and hand them to ``user`` (run as root), so that user's
    grading can make a capped group per kernel without root."""
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        raise ValueError(f"user must be an existing account, got {user!r}") from None
    made = []
    for parent in parent_dirs():
        parent.mkdir(parents=True, exist_ok=True)
        if _unified():
            (CGROUP_ROOT / "cgroup.subtree_control").write_text("+memory +pids")
        for path in [parent, *parent.iterdir()]:
            if path.is_dir() or path.name in ("cgroup.procs", "cgroup.subtree_control", "tasks"):
                os.chown(path, account.pw_uid, account.pw_gid)
        made.append(parent)
    return made


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Delegate the grading cgroups to a user.")
    parser.add_argument("action", choices=["delegate"])
    parser.add_argument("user", help="the account that runs nbgrader autograde")
    args = parser.parse_args(argv)
    try:
        for path in delegate(args.user):
            print(f"{path} now belongs to {args.user}")
    except (ValueError, OSError) as error:
        print(f"delegate: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
