"""grading.plugins.execution, one setting at a time: time limits per kind of cell (and the same
limits in the students' validation, tools/environment/nbgrader_config.py), the memory cap per
assignment. A whole sandboxed run is in ``tests/grading/test_hostile_submissions.py``."""

import json
import os
import shutil

import nbformat
import pytest
from nbgrader.preprocessors import Execute
from nbgrader.validator import Validator
from traitlets.config.loader import PyFileConfigLoader

from grading.plugins.execution import SandboxedExecute, cell_timeout
from tests import ROOT


def test_cell_timeout_gives_instructor_code_longer():
    setup = {"metadata": {"nbgrader": {"locked": True, "grade": False, "solution": False}}}
    test = {"metadata": {"nbgrader": {"locked": True, "grade": True, "solution": False}}}
    student = {"metadata": {}}
    assert cell_timeout(setup) == 120
    assert cell_timeout(test) == cell_timeout(student) == 30
    assert cell_timeout(student, student=5) == 5


def test_memory_cap_per_assignment():
    execute = SandboxedExecute(memory_limit="4G", memory_limit_per_assignment={"a5": "6G"})
    execute._assignment = "a5"
    assert execute.memory_limit_bytes() == 6 * 2**30
    execute._assignment = "a1"
    assert execute.memory_limit_bytes() == 4 * 2**30
    assert SandboxedExecute(memory_limit="").memory_limit_bytes() is None


def _students_config():
    """The students' nbgrader configuration (tools/environment/nbgrader_config.py), loaded by
    traitlets as nbgrader loads it."""
    folder = ROOT / "tools" / "environment"
    return PyFileConfigLoader("nbgrader_config.py", path=str(folder)).load_config()


def test_validation_gives_each_cell_the_time_grading_gives_it():
    config = _students_config()
    execute = Execute(parent=Validator(config=config))  # as Validator._preprocess makes it
    cells = [
        cell
        for path in sorted((ROOT / "assignments").glob("*/*.ipynb"))
        for cell in json.loads(path.read_text())["cells"]
        if cell["cell_type"] == "code"
    ]
    limits = {execute._get_timeout(cell) for cell in cells}
    assert limits == {30, 120}, limits  # nbgrader's own default is 30 s for every cell
    assert all(execute._get_timeout(cell) == cell_timeout(cell) for cell in cells)


def test_validation_time_limits_leave_grading_alone():
    execute = SandboxedExecute(config=_students_config())
    assert execute.timeout_func is None
    assert not execute._timeout_configured()  # grading keeps its own per-cell limits


@pytest.mark.slow  # a real nbgrader, kernel or training run: make test, not make check
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
@pytest.mark.parametrize("caps", ["cgroup", "fallback"])
def test_a_kernel_ended_at_the_cap_after_its_time_limit_says_why(caps, monkeypatch):
    """A cell that ignores the interrupt at its time limit and then passes the memory cap: the
    kernel dies while the grader checks whether it is stuck. The cell says why, in the words
    of a cell that died at once, and the cells after it did not run."""
    from grading.plugins.cgroups import CgroupError, KernelCgroup
    from grading.plugins.execution import SandboxedExecute

    if caps == "cgroup":
        try:
            KernelCgroup(f"grading-unit-test-probe-{os.getpid()}", 2**30, 16).close(grace=0)
        except CgroupError as error:
            pytest.skip(f"this host cannot give a kernel a cgroup ({error.cause})")
    monkeypatch.setenv("COURSE_CAPS", caps)
    late_hog = (
        "import signal, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "time.sleep(9)\n"  # past the time limit and the 4 s nbclient drains output after it
        "hog = bytearray(600 * 2**20)\n"
    )
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(late_hog), nbformat.v4.new_code_cell("print('after')")]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    execute = SandboxedExecute(memory_limit="256M", student_cell_timeout=2, timeout=None)
    execute.preprocess(nb, {"nbgrader": {"assignment": "a1"}})
    errors = [o for o in nb.cells[0].outputs if o.get("output_type") == "error"]
    assert [o["ename"] for o in errors] == ["CellTimeoutError", "KernelDied"]
    assert errors[-1]["evalue"] == "memory limit of 256 MiB exceeded, in this cell."
    assert nb.cells[1].outputs[0]["evalue"].startswith("not run: the kernel died in an earlier")
