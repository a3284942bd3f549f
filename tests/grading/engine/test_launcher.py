"""grading.engine.launcher: an ``nbgrader`` command forked from the preloaded server gives what
the same command gives as a plain subprocess (exit code, stdout, stderr, working directory and
environment), a command that outlives its time is killed, and a daemonic process (a Dask
worker's) falls back to a plain subprocess."""

import multiprocessing
import os
import subprocess
import sys

import pytest

from grading.coursedir import nbgrader_env
from grading.engine import launcher
from tests.support.course import make_course

pytestmark = pytest.mark.slow

NBGRADER = [sys.executable, "-m", "nbgrader"]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("launcher") / "course")


def both(command, cwd, env):
    forked = launcher.run(command, cwd=str(cwd), env=env, timeout=300)
    plain = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    return forked, plain


def test_a_forked_command_gives_what_the_plain_one_gives(course):
    forked, plain = both(NBGRADER + ["--version"], course, nbgrader_env())
    assert forked.returncode == plain.returncode == 0
    assert forked.stdout == plain.stdout and forked.stdout.strip()


def test_a_failing_command_gives_its_exit_code_and_error_in_the_courses_folder(course):
    command = NBGRADER + ["autograde", "no_such_assignment", "--student", "nobody"]
    forked, plain = both(command, course, nbgrader_env())
    assert forked.returncode == plain.returncode != 0
    errors = [line for line in plain.stderr.splitlines() if "ERROR" in line]
    assert errors and all(line in forked.stderr for line in errors), forked.stderr[-2000:]


PROBE = """
print("probe", os.environ.get("LAUNCHER_PROBE"), os.getcwd(), sep="|")
__import__("time").sleep(float(os.environ.get("LAUNCHER_SLEEP", "0")))
"""


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    """A course whose nbgrader_config.py prints what the process was given, and can sleep."""
    root = make_course(tmp_path_factory.mktemp("probed") / "course")
    with (root / "nbgrader_config.py").open("a") as config:
        config.write(PROBE)
    return root


def test_the_child_gets_the_working_directory_and_environment_given(probed):
    env = {**nbgrader_env(), "LAUNCHER_PROBE": "given"}
    command = NBGRADER + ["db", "student", "list"]
    forked = launcher.run(command, cwd=str(probed), env=env, timeout=300)
    assert forked.returncode == 0, forked.stderr[-2000:]
    assert f"probe|given|{probed}" in forked.stdout.splitlines()
    assert "LAUNCHER_PROBE" not in os.environ  # the engine's own environment is left alone


def test_a_command_that_outlives_its_time_is_killed(probed):
    env = {**nbgrader_env(), "LAUNCHER_SLEEP": "120"}
    with pytest.raises(subprocess.TimeoutExpired):
        launcher.run(NBGRADER + ["db", "student", "list"], cwd=str(probed), env=env, timeout=3)


def test_only_nbgrader_commands_are_taken(course):
    with pytest.raises(ValueError, match="command must start with python -m nbgrader"):
        launcher.run([sys.executable, "-c", "pass"], cwd=str(course), env={}, timeout=10)


def _in_a_daemon(course, queue):
    done = launcher.run(NBGRADER + ["--version"], cwd=course, env=nbgrader_env(), timeout=300)
    queue.put((launcher.forks_allowed(), done.returncode, done.stdout))


def test_a_daemonic_process_runs_the_command_as_a_plain_subprocess(course):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    daemon = context.Process(target=_in_a_daemon, args=(str(course), queue), daemon=True)
    daemon.start()
    forks, code, out = queue.get(timeout=300)
    daemon.join(60)
    assert (forks, code) == (False, 0) and out.strip()
