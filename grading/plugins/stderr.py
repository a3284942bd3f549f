"""A warning is not a wrong answer: keep stderr in test cells visible, but out of the score.

nbgrader's ``determine_grade`` gives 0 points to a test cell whose output contains anything on
stderr. Keras, TensorFlow and NumPy write warnings there (a deprecation, a retracing notice), so
a correct solution whose code merely warns would lose the test's points. ``StderrIsNotFailure``
runs after execution and before ``SaveAutoGrades``: in every autograded test cell it turns
stderr text into a displayed block, marked as such, that the student still reads in the
feedback. Only an error (a failed check, an exception) still costs points.
"""

import html

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution

STYLE = "background:#fff5e6;border-left:3px solid #e69500;padding:4px 8px;margin:0"


def shown_stderr(text: str) -> NotebookNode:
    """The stderr ``text`` as display data: visible, marked, and not a stream nbgrader scores."""
    return NotebookNode(
        output_type="display_data",
        metadata={},
        data={
            "text/plain": f"[stderr, not graded]\n{text}",
            "text/html": f'<pre style="{STYLE}">[stderr, not graded]\n{html.escape(text)}</pre>',
        },
    )


class StderrIsNotFailure(NbGraderPreprocessor):
    """In autograded test cells, stderr streams become displayed text; errors still fail."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
            cell.outputs = [
                shown_stderr(out.text)
                if out.get("output_type") == "stream" and out.get("name") == "stderr"
                else out
                for out in cell.get("outputs", [])
            ]
        return cell, resources
