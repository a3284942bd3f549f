"""Where a course lives and how nbgrader is called on it: defined here once.

Every instructor command works on a *course root*: the folder with ``nbgrader_config.py``,
``solutions/``, ``classroom.toml`` and (made by the first release) ``gradebook.db``. The course id,
the assignments, the gradebook's URL and the environment nbgrader runs in are the same for all of
them, and for the test suite's throw-away copies of the course.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE_ID = "training-deep-nets"
ASSIGNMENTS = (
    "a1_unstable_gradients",
    "a2_batch_normalization",
    "a3_optimizers",
    "a4_transfer_learning",
    "a5_regularization",
)
GRADEBOOK = "gradebook.db"
SQLITE_TIMEOUT = 300  # seconds a writer waits for another's lock (parallel grading jobs)


def available_assignments(root: Path = ROOT) -> list[str]:
    """The course's assignments whose instructor notebook exists in ``root/solutions``."""
    return [a for a in ASSIGNMENTS if (root / "solutions" / a / f"{a}.ipynb").is_file()]


def gradebook_url(root: Path = ROOT, timeout: int | None = None) -> str:
    """The SQLite gradebook of the course at ``root``; ``timeout`` (seconds) lets parallel
    writers wait for each other's lock instead of failing at once."""
    url = f"sqlite:///{Path(root).resolve() / GRADEBOOK}"
    return f"{url}?timeout={timeout}" if timeout else url


def nbgrader_env() -> dict:
    """The environment for nbgrader: this Python's bin/ on PATH (nbgrader runs ``alembic`` by
    name), TensorFlow's C++ logging off, and no leftover grading flag from a parent process."""
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    env.pop("NBGRADER_EXECUTION", None)
    return env


def run_module(
    root: Path, module: str, *args: str, timeout: float = 1800, env: dict | None = None
):
    """Run ``python -m module *args`` in the course at ``root`` (``env``: variables added to
    ``nbgrader_env()``); the finished process (output captured), so a caller can report
    nbgrader's own words when it fails."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=root,
        env={**nbgrader_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_nbgrader(
    root: Path, *args: str, timeout: float = 1800, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run ``nbgrader *args`` (its real command line, in a subprocess) in the course at
    ``root``."""
    return run_module(root, "nbgrader", *args, timeout=timeout, env=env)
