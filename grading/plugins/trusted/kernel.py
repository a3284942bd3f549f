"""Trusted test kernels: started once per grading worker, then lent to one submission at a time.

A trusted kernel is an IPython kernel in the grader's own environment (not sandboxed: it never
runs a student's code) that imports Keras when it starts (``runtime.install``), so no submission
pays for that import. ``TrustedKernel`` starts and stops one; ``shared_kernel()`` is the one an
nbgrader process started for itself (plain ``nbgrader autograde``, formgrader's button), kept
for the next submission it grades and stopped when the process ends. ``make autograde`` lends
each job a kernel of its pool instead (``grading.engine.trusted_pool``), and nbgrader connects to
it through its connection file (``SandboxedExecute.trusted_kernel``).

``student_bootstrap`` is the code that installs the agent (``agent``, with ``wire``,
``keras_values`` and ``lazy_imports``) in a student's kernel, sent there before the first cell.
"""

import atexit
import json
import os
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from jupyter_client.manager import KernelManager

from grading.plugins.trusted import borrowed

HERE = Path(__file__).resolve().parent
COURSE_CODE = HERE.parents[2]  # the folder holding the grading package
STUDENT_MODULES = ("wire", "keras_values", "lazy_imports", "agent")
INSTALL = "import grading.plugins.trusted.runtime as _grading_runtime\n_grading_runtime.install()"
START_SECONDS = 600  # a loaded machine can take minutes to import TensorFlow

_shared = None
_loan = None  # the connection file of a kernel borrowed for this process's life
_shared_lock = threading.Lock()


class TrustedKernelError(RuntimeError):
    """The trusted kernel could not start or stopped working."""


def kernel_env() -> dict:
    """The grader's environment, with the course's ``grading`` package importable."""
    env = dict(os.environ)
    paths = [str(COURSE_CODE)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env.pop("NBGRADER_EXECUTION", None)  # set per submission by runtime.begin
    return env


class TrustedKernel:
    """One trusted kernel process, started and prepared (Keras imported)."""

    def __init__(self):
        # Unix sockets in a private folder (Jupyter's TCP ports on localhost are open to anyone
        # on the machine who has the connection file's key; these are not even visible).
        self.run_dir = tempfile.mkdtemp(prefix="grading-trusted-")
        self.km = KernelManager(kernel_name="python3", transport="ipc")
        self.km.ip = os.path.join(self.run_dir, "kernel")
        self.km.connection_file = os.path.join(self.run_dir, "kernel.json")
        self.km.start_kernel(
            env=kernel_env(),
            cwd=str(COURSE_CODE),
            extra_arguments=["--HistoryManager.hist_file=:memory:"],
            stdout=subprocess.DEVNULL,  # the kernel's banner; cell output goes over its channels
        )
        client = self.km.blocking_client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=START_SECONDS)
            reply = client.execute_interactive(INSTALL, timeout=START_SECONDS, silent=True)
        except Exception as error:  # noqa: BLE001 - any failure to start is the same failure
            client.stop_channels()
            self.shutdown()
            raise TrustedKernelError(f"the trusted test kernel did not start: {error}") from None
        client.stop_channels()
        if reply["content"]["status"] != "ok":
            self.shutdown()
            content = reply["content"]
            raise TrustedKernelError(
                f"the trusted test kernel did not start: {content.get('ename')}: "
                f"{content.get('evalue')}"
            )

    @property
    def connection_file(self) -> str:
        return self.km.connection_file

    def alive(self) -> bool:
        return bool(self.km.is_alive())

    def ready(self, timeout: float = 10) -> bool:
        """Alive and idle (a job that was stopped may have left it inside a cell: it is then
        interrupted once)."""
        if not self.alive():
            return False
        client = self.km.blocking_client()
        client.start_channels()
        try:
            for attempt in range(2):
                try:
                    client.execute_interactive("pass", timeout=timeout, silent=True)
                    return True
                except TimeoutError:
                    if attempt == 0:
                        self.km.interrupt_kernel()
            return False
        finally:
            client.stop_channels()

    def shutdown(self) -> None:
        if self.km.has_kernel:
            self.km.shutdown_kernel(now=True)
        self.km.cleanup_resources()
        shutil.rmtree(self.run_dir, ignore_errors=True)


def shared_kernel() -> TrustedKernel:
    """This process's own trusted kernel, started on first use and stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.alive():
            _shared = TrustedKernel()
            atexit.register(_shared.shutdown)
        return _shared


def shared_kernel_soon():
    """A function giving the connection file of this process's trusted kernel: one borrowed
    for the process's life when ``GRADING_TRUSTED_KERNELS`` lends one (``borrowed``), else
    ``shared_kernel()``, which starts now in the background (its Keras import then overlaps the
    student's kernel starting)."""
    loan = borrowed_for_process()
    if loan is not None:
        return lambda: loan
    future = _starter.submit(shared_kernel)
    return lambda: future.result().connection_file


def borrowed_for_process() -> str | None:
    """A kernel borrowed for the rest of this process (the lock goes with its last file), kept
    while it answers; None when no kernel is lent."""
    global _loan
    with _shared_lock:
        if _loan is not None and not borrowed.answers(_loan):
            borrowed.give_back(_loan)
            _loan = None
        if _loan is None:
            _loan = borrowed.take()
        return _loan


_starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trusted-kernel")


def student_bootstrap(socket_path: str, max_bytes: int, lazy_keras: bool = True) -> str:
    """Code for the student's kernel: install the agent, listening on ``socket_path``, and
    (``lazy_keras``) make Keras and TensorFlow load on first use."""
    sources = {name: (HERE / f"{name}.py").read_text() for name in STUDENT_MODULES}
    return BOOTSTRAP.format(
        sources=json.dumps(sources),
        socket=json.dumps(socket_path),
        max_bytes=int(max_bytes),
        lazy=bool(lazy_keras),
    )


SERVE = "__import__('sys').modules['grading.plugins.trusted.agent'].AGENT.serve({token})"

BOOTSTRAP = """
def _grading_install(sources, socket_path, max_bytes, lazy):
    import sys, types
    for package in ("grading", "grading.plugins", "grading.plugins.trusted"):
        module = types.ModuleType(package)
        module.__path__ = []
        sys.modules[package] = module
    for name, source in sources.items():
        module = types.ModuleType("grading.plugins.trusted." + name)
        module.__file__ = "<grading agent>"
        sys.modules[module.__name__] = module
        exec(compile(source, "<grading agent>", "exec"), module.__dict__)
        setattr(sys.modules["grading.plugins.trusted"], name, module)
    if lazy:
        sys.modules["grading.plugins.trusted.lazy_imports"].install()
    agent = sys.modules["grading.plugins.trusted.agent"]
    agent.AGENT = agent.install(socket_path, max_bytes)
_grading_install({sources}, {socket}, {max_bytes}, {lazy})
del _grading_install
"""
