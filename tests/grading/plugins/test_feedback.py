"""grading.plugins.feedback: hidden-test regions and their lines never reach the feedback, the
failed test's message does, and a student cell with the marker text is left alone."""

from nbformat.v4 import new_code_cell, new_notebook, new_output

from grading.plugins.feedback import REDACTED, HideHiddenTests

HIDDEN = "check_close(secret_function(3), 42.0, 'hidden case')"
TEST = f"""# visible part
check_close(f(1), 2.0, 'case')
### BEGIN HIDDEN TESTS
{HIDDEN}
### END HIDDEN TESTS"""


def grade_cell(source, outputs=()):
    meta = {"grade": True, "solution": False, "grade_id": "t", "points": 1, "locked": True}
    return new_code_cell(source, metadata={"nbgrader": meta}, outputs=list(outputs))


def answer_cell(source, outputs=()):
    meta = {"grade": False, "solution": True, "grade_id": "a", "locked": False}
    return new_code_cell(source, metadata={"nbgrader": meta}, outputs=list(outputs))


def hide(*cells):
    nb = new_notebook(cells=list(cells))
    return HideHiddenTests().preprocess(nb, {})[0]


def test_hidden_region_becomes_one_placeholder_line():
    nb = hide(grade_cell(TEST))
    source = nb.cells[0].source
    assert "secret_function" not in source and "BEGIN HIDDEN" not in source
    assert source.splitlines() == [
        "# visible part",
        "check_close(f(1), 2.0, 'case')",
        "# [hidden tests: their code is not shown in the feedback]",
    ]


def test_traceback_is_cut_to_the_message_in_a_cell_with_hidden_tests():
    error = new_output(
        "error", ename="CheckFailed", evalue="hidden case: expected 42.0", traceback=[HIDDEN]
    )
    nb = hide(grade_cell(TEST, [error]))
    (out,) = nb.cells[0].outputs
    assert out.evalue == "hidden case: expected 42.0"
    assert len(out.traceback) == 1 and "secret_function" not in out.traceback[0]
    assert "CheckFailed" in out.traceback[0]


def test_visible_tests_keep_their_full_traceback():
    error = new_output("error", ename="CheckFailed", evalue="case", traceback=["line 1", "line 2"])
    nb = hide(grade_cell("check_close(f(1), 2.0, 'case')", [error]))
    assert nb.cells[0].outputs[0].traceback == ["line 1", "line 2"]


def test_output_repeating_a_hidden_line_is_redacted_anywhere():
    printed = new_output("stream", name="stdout", text=f"spy:\n{HIDDEN}\nbye\n")
    nb = hide(grade_cell(TEST), answer_cell("print(In[-1])", [printed]))
    assert nb.cells[1].outputs[0].text.splitlines() == ["spy:", REDACTED, "bye"]


def test_marker_text_in_a_student_cell_is_left_alone():
    source = "# my notes: ### BEGIN HIDDEN TESTS\nx = 1"
    nb = hide(answer_cell(source), grade_cell("check_close(x, 1, 'x')"))
    assert nb.cells[0].source == source
    assert nb.cells[1].source == "check_close(x, 1, 'x')"


def test_an_unclosed_region_hides_to_the_end_of_the_cell():
    nb = hide(grade_cell("visible()\n### BEGIN HIDDEN TESTS\nsecret_one()\nsecret_two()"))
    assert "secret" not in nb.cells[0].source
