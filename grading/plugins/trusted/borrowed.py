"""Trusted kernels that another process started and keeps, borrowed by their connection files.

A process that grades many courses one after another (the test suite: a dozen engine runs and
nbgrader commands per test worker) would start and stop trusted kernels for each run, and every
start imports TensorFlow (3.6 s of CPU). Such a process can start its trusted kernels once
(``kernel.TrustedKernel``) and name their connection files in ``GRADING_TRUSTED_KERNELS``
(``os.pathsep`` between them): the engine's pool (``grading.engine.trusted_pool``) and a plain
nbgrader process (``kernel.shared_kernel``) then borrow one instead of starting their own.

A kernel is lent to one grader at a time: an exclusive ``flock`` on ``<connection file>.lock``,
held for the loan, so processes grading side by side never share one, and a grader that dies
gives it back with its last file. It is lent only when it answers at once; a kernel that is
busy, gone or held by someone else is passed over, and when none is left the grader starts its
own, as without the variable. Borrowed kernels are never stopped here: their owner stops them.
Grading is the same either way: every submission begins with a fresh namespace and the
kernel's own environment (``runtime.begin``).
"""

import fcntl
import os
from contextlib import contextmanager

from jupyter_client import BlockingKernelClient

ENV = "GRADING_TRUSTED_KERNELS"
ANSWER_SECONDS = 5  # an idle kernel answers in milliseconds; a busy one is passed over

_held: dict[str, object] = {}  # connection file -> its open lock file, while borrowed


def listed() -> list[str]:
    """The connection files ``GRADING_TRUSTED_KERNELS`` names that exist."""
    value = os.environ.get(ENV, "")
    return [path for path in value.split(os.pathsep) if path and os.path.isfile(path)]


def answers(connection_file: str, timeout: float | None = None) -> bool:
    """Whether the kernel behind ``connection_file`` runs a statement within ``timeout``
    (default ``ANSWER_SECONDS``)."""
    timeout = ANSWER_SECONDS if timeout is None else timeout
    client = BlockingKernelClient(connection_file=connection_file)
    try:
        client.load_connection_file()
        client.start_channels()
        reply = client.execute_interactive("pass", timeout=timeout, silent=True)
        return reply["content"]["status"] == "ok"
    except Exception:  # noqa: BLE001 - a kernel that cannot answer is simply not lent
        return False
    finally:
        client.stop_channels()


def take() -> str | None:
    """Borrow a listed kernel no one else holds and that answers: its connection file, or
    None. Give it back with ``give_back``."""
    for path in listed():
        if path in _held:
            continue
        lock = open(path + ".lock", "a")  # noqa: SIM115 - held open for the loan
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        if answers(path):
            _held[path] = lock
            return path
        lock.close()
    return None


def give_back(path: str) -> None:
    lock = _held.pop(path, None)
    if lock is not None:
        lock.close()  # closing the file releases the lock


@contextmanager
def borrowed():
    """A borrowed kernel's connection file for the ``with`` block, or None if none is free."""
    path = take()
    try:
        yield path
    finally:
        if path is not None:
            give_back(path)
