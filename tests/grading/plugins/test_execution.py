"""grading.plugins.execution, one setting at a time: time limits per kind of cell, the memory cap
per assignment. A whole sandboxed run is in ``tests/grading/test_hostile_submissions.py``."""

from grading.plugins.execution import cell_timeout


def test_cell_timeout_gives_instructor_code_longer():
    setup = {"metadata": {"nbgrader": {"locked": True, "grade": False, "solution": False}}}
    test = {"metadata": {"nbgrader": {"locked": True, "grade": True, "solution": False}}}
    student = {"metadata": {}}
    assert cell_timeout(setup) == 120
    assert cell_timeout(test) == cell_timeout(student) == 30
    assert cell_timeout(student, student=5) == 5


def test_memory_cap_per_assignment():
    from grading.plugins.execution import SandboxedExecute

    execute = SandboxedExecute(memory_limit="4G", memory_limit_per_assignment={"a5": "6G"})
    execute._assignment = "a5"
    assert execute.memory_limit_bytes() == 6 * 2**30
    execute._assignment = "a1"
    assert execute.memory_limit_bytes() == 4 * 2**30
    assert SandboxedExecute(memory_limit="").memory_limit_bytes() is None
