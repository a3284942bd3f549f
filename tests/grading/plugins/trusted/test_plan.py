"""grading.plugins.trusted.plan: only the instructor's unedited read-only cells, as the gradebook
holds them, run in the trusted kernel; the student's names come from the released answer cells.
"""

from grading.plugins.trusted.plan import (
    BOTH,
    STUDENT,
    TRUSTED,
    SourceCell,
    defined_names,
    make_plan,
)

SETUP = "import numpy as np\nfrom helpers.checks import check_close"
STUB = "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\nCONSTANT = 3"
TEST = "check_close(f(1), 2, 'f(1)')"
DEMO = "print(f(2))"
SOURCES = {
    "setup": SourceCell(SETUP, locked=True, grade=False, solution=False),
    "answer": SourceCell(STUB, locked=False, grade=False, solution=True),
    "test": SourceCell(TEST, locked=True, grade=True, solution=False),
    "demo": SourceCell(DEMO, locked=True, grade=False, solution=False),
    "written": SourceCell("", locked=False, grade=True, solution=True, code=False),
}


def cell(source, grade_id=None, cell_type="code"):
    meta = {"nbgrader": {"grade_id": grade_id}} if grade_id else {}
    return {"cell_type": cell_type, "source": source, "metadata": meta}


def test_instructor_cells_run_trusted_and_setup_before_student_code_in_both():
    cells = [
        cell(SETUP, "setup"),
        cell("def f(x):\n    return 2 * x\n\ndef check_close(*a, **k): pass", "answer"),
        cell(TEST, "test"),
        cell("scratch = 1"),  # a cell the student added
        cell(DEMO, "demo"),
        cell("", "written", "markdown"),
    ]
    plan = make_plan(cells, SOURCES)
    assert plan.where == {0: BOTH, 1: STUDENT, 2: TRUSTED, 3: STUDENT, 4: TRUSTED}
    assert plan.names == ["f", "CONSTANT"]  # not check_close: the student added it


def test_a_name_a_test_reads_from_a_plain_cell_is_the_students_unless_trusted_code_binds_it():
    """nbgrader's own examples test a function defined in a plain cell: as in one kernel, the
    test sees it. A name a trusted cell binds (imports included) or a builtin never crosses."""
    test = "assert foo() and check_close(np.ones(1), 1, 'c') is None and len(bar) == 1"
    sources = dict(SOURCES, test=SourceCell(test, locked=True, grade=True, solution=False))
    cells = [
        cell(SETUP, "setup"),
        cell("def foo():\n    return True\n\ndef check_close(*a): pass\nnp = None\nlen = 1"),
        cell("bar = [1]"),
        cell(test, "test"),
    ]
    plan = make_plan(cells, sources)
    assert plan.where[3] == TRUSTED
    assert plan.names == ["f", "CONSTANT", "foo", "bar"]


def test_a_demo_after_the_last_student_cell_runs_only_trusted():
    cells = [cell(SETUP, "setup"), cell("def f(x): return x", "answer"), cell(DEMO, "demo")]
    assert make_plan(cells, SOURCES).where == {0: BOTH, 1: STUDENT, 2: TRUSTED}


def test_edited_or_impostor_instructor_cells_run_in_the_student_kernel():
    cells = [
        cell(TEST + "\nimport os", "test"),  # not the instructor's source
        cell(TEST, "no-such-cell"),  # a grade id the gradebook does not have
        cell(TEST),  # no metadata at all
        cell(SETUP, "answer"),  # claims the answer cell's id
    ]
    assert set(make_plan(cells, SOURCES).where.values()) == {STUDENT}


def test_keras_is_loaded_up_front_only_when_a_student_cell_names_it():
    numpy_only = [cell(SETUP, "setup"), cell("def f(x):\n    return np.tanh(x)", "answer")]
    assert make_plan(numpy_only, SOURCES).uses_keras is False
    for code in ("import keras", "from tensorflow import nn", "def f(x):\n    return tf.nn(x)"):
        assert make_plan([cell(SETUP, "setup"), cell(code, "answer")], SOURCES).uses_keras


def test_names_are_found_by_parsing():
    assert defined_names("class A(B):\n    pass\nx, (y, z) = 1, (2, 3)\nq: int = 4") == [
        "A",
        "x",
        "y",
        "z",
        "q",
    ]
    assert defined_names("def g(:\nclass H:\n") == ["g", "H"]  # a stub that does not parse
