"""grading.plugins.stderr: a warning on stderr in a test cell is shown, marked, and not scored;
student cells and errors are left alone, so a failed check still costs its points."""

from nbformat.v4 import new_code_cell, new_output
from nbgrader.utils import determine_grade

from grading.plugins.stderr import StderrIsNotFailure


def grade_cell(outputs, grade=True, solution=False):
    meta = {"grade": grade, "solution": solution, "grade_id": "t", "points": 2, "locked": True}
    return new_code_cell("check()", metadata={"nbgrader": meta}, outputs=outputs)


def warning():
    return new_output("stream", name="stderr", text="UserWarning: retracing\n")


def run(cell):
    return StderrIsNotFailure().preprocess_cell(cell, {}, 0)[0]


def test_a_warning_alone_no_longer_zeroes_the_test():
    cell = grade_cell([warning()])
    assert determine_grade(cell) == (0, 2)  # nbgrader's own rule, without the plugin
    cell = run(cell)
    assert determine_grade(cell) == (2, 2)
    shown = cell.outputs[0]
    assert shown.output_type == "display_data"
    assert shown.data["text/plain"] == "[stderr, not graded]\nUserWarning: retracing\n"


def test_an_error_after_a_warning_still_fails():
    error = new_output("error", ename="CheckFailed", evalue="w is wrong", traceback=[])
    cell = run(grade_cell([warning(), error]))
    assert determine_grade(cell) == (0, 2)
    assert [o.output_type for o in cell.outputs] == ["display_data", "error"]


def test_student_cells_and_stdout_are_untouched():
    answer = run(grade_cell([warning()], grade=False, solution=True))
    assert answer.outputs[0].output_type == "stream"
    printed = new_output("stream", name="stdout", text="ok\n")
    assert run(grade_cell([printed])).outputs[0] == printed


def test_stderr_html_is_escaped():
    cell = run(grade_cell([new_output("stream", name="stderr", text="<script>x</script>")]))
    assert "<script>" not in cell.outputs[0].data["text/html"]
    assert "&lt;script&gt;" in cell.outputs[0].data["text/html"]
