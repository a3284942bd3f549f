"""grading.plugins.execution, one setting at a time: time limits per kind of cell (and the same
limits in the students' validation, tools/environment/nbgrader_config.py), the memory cap per
assignment. A whole sandboxed run is in ``tests/grading/test_hostile_submissions.py``."""

import json

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
