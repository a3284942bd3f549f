"""Which mechanism caps a kernel's memory and processes on this host, chosen once per kernel.

- ``cgroup``: a cgroup per kernel (``grading.plugins.cgroups``): v1, or v2 in a subtree the
  grader owns. The kernel's own accounting: nothing escapes it, nothing overshoots.
- ``fallback``: no cgroup at all (``grading.plugins.fallback``): a per-kernel process limit and
  a memory watchdog. For hosts where no cgroup can be had; it holds against the same hostile
  submissions, but the watchdog polls, so a fast allocation passes the cap briefly.
- ``auto`` (the default): a cgroup where the grader can make one, else the fallback.

Set ``c.SandboxedKernelManager.caps`` in ``nbgrader_config.py``, or ``COURSE_CAPS`` in the
environment (it wins: CI grades the same submissions both ways with it). The mechanism in force
is logged once per grading process, on a line starting with ``CAPS_LOG_PREFIX``; the grading
engine copies it into each job's record of ``build/grading-log.jsonl``.
"""

import os

from grading.plugins.cgroups import CgroupError, KernelCgroup
from grading.plugins.fallback import FallbackCaps

CHOICES = ("auto", "cgroup", "fallback")
ENV = "COURSE_CAPS"
CAPS_LOG_PREFIX = "Memory and process caps: "
_announced = set()


def preferred(configured: str = "auto") -> str:
    """The mechanism asked for: ``COURSE_CAPS`` if set, else ``configured``."""
    value = os.environ.get(ENV) or configured
    if value not in CHOICES:
        source = ENV if os.environ.get(ENV) else "caps"
        raise ValueError(f"{source} must be one of {', '.join(CHOICES)}, got {value!r}")
    return value


def kernel_caps(
    name: str, memory_bytes: int, max_processes: int, prefer: str = "auto", tmpfs=()
) -> KernelCgroup | FallbackCaps:
    """Caps for one kernel by the mechanism ``prefer`` names (see the module's docstring);
    ``tmpfs``: the sandbox's in-memory mounts, which the fallback counts as memory."""
    prefer = preferred(prefer)
    reason = "forced by configuration"
    if prefer != "fallback":
        try:
            return KernelCgroup(name, memory_bytes, max_processes)
        except CgroupError as error:
            if prefer == "cgroup":
                raise
            reason = f"no cgroup: {error.cause}"
    return FallbackCaps(name, memory_bytes, max_processes, reason=reason, tmpfs=tmpfs)


def announce(caps, log) -> None:
    """Log the mechanism in force, once per grading process (and again only if it changes)."""
    text = caps.describe()
    if text not in _announced:
        _announced.add(text)
        log.info("%s%s", CAPS_LOG_PREFIX, text)
