"""Trusted test kernels for ``make autograde``: started once per worker, lent to one job at a time.

Each job is an ``nbgrader autograde`` process of its own (``grading.engine.jobs``); a trusted
kernel (``grading.plugins.trusted.kernel``, Keras imported) outlives the jobs, so no submission
pays for starting one. ``lease()`` lends a kernel that no other job uses (starting one if none is
idle) and gives its connection file, which the job passes on as
``--SandboxedExecute.trusted_kernel``. A kernel that comes back dead or busy is ended, not lent
again. The pool lives in the process that runs the jobs: the engine itself, or each Dask worker.
A process that starts many engine runs (the test suite) can lend its own kernels to all of them
(``GRADING_TRUSTED_KERNELS``, ``grading.plugins.trusted.borrowed``): those go first.
"""

import atexit
import threading
from contextlib import contextmanager

from grading.plugins.trusted import borrowed
from grading.plugins.trusted.kernel import TrustedKernel


class TrustedPool:
    """Idle trusted kernels, and a way to borrow one."""

    def __init__(self):
        self.idle: list[TrustedKernel] = []
        self.lock = threading.Lock()

    @contextmanager
    def lease(self):
        """A trusted kernel's connection file, for one job: a borrowed one when
        ``GRADING_TRUSTED_KERNELS`` lends one (``grading.plugins.trusted.borrowed``), else one
        of this pool's."""
        with borrowed.borrowed() as loan:
            if loan is not None:
                yield loan
                return
        kernel = None
        while kernel is None:
            with self.lock:
                kernel = self.idle.pop() if self.idle else None
            if kernel is None:
                kernel = TrustedKernel()
            elif not kernel.alive():
                kernel.shutdown()
                kernel = None
        try:
            yield kernel.connection_file
        finally:
            if kernel.ready():
                with self.lock:
                    self.idle.append(kernel)
            else:
                kernel.shutdown()

    def shutdown(self) -> None:
        with self.lock:
            kernels, self.idle = self.idle, []
        for kernel in kernels:
            kernel.shutdown()


POOL = TrustedPool()
atexit.register(POOL.shutdown)
