"""``nbgrader autograde`` without paying for Python's imports on every submission.

Each job is still an nbgrader process of its own, started with the command line and environment
a shell would give it: a fresh application, the course's ``nbgrader_config.py`` read again, its
own exit code, its own stdout and stderr. Only the start-up differs: the process is a fork of a
server (``multiprocessing``'s forkserver) that imported nbgrader and the course's plugins once,
so a submission no longer spends about a second importing nbconvert, jupyter_client, SQLAlchemy
and traitlets before its first cell.

The server is started by the first job and lives as long as the process that runs the jobs.
Where a process may not have children of its own (a daemonic Dask worker), ``run`` starts the
command as a plain subprocess: same command, same result, a slower start.
"""

import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

# What every ``nbgrader autograde`` imports before it grades (the course's nbgrader_config.py
# imports the grading plugins; the execution plugin brings jupyter_client and nbclient).
PRELOAD = [
    "nbgrader.apps.nbgraderapp",
    "nbgrader.apps.autogradeapp",
    "nbgrader.converters.autograde",
    "nbgrader.api",
    "grading.classroom.settings",
    "grading.engine.backup",
    "grading.engine.launcher",
    "grading.plugins.execution",
    "grading.plugins.feedback",
    "grading.plugins.feedback_page",
    "grading.plugins.late",
    "grading.plugins.sanitize",
    "grading.plugins.stderr",
    # what grading a routed submission imports next: the trusted session (NumPy) and, to find
    # the kernel spec, IPython and ipykernel (0.08 s a submission)
    "grading.plugins.trusted.kernel",
    "grading.plugins.trusted.session",
    "IPython",
    "ipykernel.kernelspec",
]
NBGRADER_MODULE = ["-m", "nbgrader"]

_context = None
_context_lock = threading.Lock()


def forks_allowed() -> bool:
    """Whether this process may have children through multiprocessing (a daemonic one may not)."""
    return not multiprocessing.current_process().daemon


def _forkserver():
    """The forkserver context, with nbgrader preloaded (set once, before its first use)."""
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            _context = context
        return _context


def _nbgrader_main(argv: list[str], cwd: str, env: dict, out: str, err: str) -> None:
    """In the forked child: become ``nbgrader ARGV`` run in ``cwd`` with ``env``."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    for path, fd in ((out, 1), (err, 2)):
        target = os.open(path, os.O_WRONLY | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    if cwd not in sys.path:
        sys.path.insert(0, cwd)  # as `python -m` puts the working directory first
    sys.argv = ["nbgrader", *argv]
    from nbgrader.apps.nbgraderapp import main

    main()


def _nbgrader_argv(command: list[str]) -> list[str]:
    """The arguments after ``python -m nbgrader`` in ``command``."""
    if command[1:3] != NBGRADER_MODULE:
        raise ValueError(f"command must start with python -m nbgrader, got {command[:3]}")
    return command[3:]


def run(command: list[str], cwd: str, env: dict, timeout: float) -> subprocess.CompletedProcess:
    """Run ``command`` (``python -m nbgrader ...``) like ``subprocess.run(capture_output=True,
    text=True)``, forked from the preloaded server where this process may have children.
    Raises ``subprocess.TimeoutExpired`` (after killing it) when it outlives ``timeout``."""
    argv = _nbgrader_argv(command)
    if not forks_allowed():
        return subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
    with tempfile.TemporaryDirectory(prefix="nbgrader-job-") as folder:
        out, err = Path(folder, "stdout"), Path(folder, "stderr")
        out.touch()
        err.touch()
        child = _forkserver().Process(
            target=_nbgrader_main, args=(argv, str(cwd), dict(env), str(out), str(err))
        )
        child.start()
        child.join(timeout)
        if child.exitcode is None:
            child.kill()
            child.join()
            raise subprocess.TimeoutExpired(command, timeout)
        return subprocess.CompletedProcess(
            command,
            child.exitcode,
            out.read_text(errors="replace"),
            err.read_text(errors="replace"),
        )
