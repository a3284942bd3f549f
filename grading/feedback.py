"""Feedback that names a failed hidden test and its message, without the hidden test's code.

nbgrader renders feedback from the autograded notebook, in which every test cell holds the
instructor's full source, hidden tests included, and IPython's tracebacks quote the failing lines
(upstream issue #917). ``HideHiddenTests`` runs in ``GenerateFeedback.preprocessors`` (see
``nbgrader_config.py``): in every cell with a hidden-test region it replaces the region by one
comment line and cuts the cell's tracebacks down to the exception's name and message. Visible
tests keep their source and full tracebacks. The delimiters are nbgrader's own
(``ClearHiddenTests.begin_test_delimeter`` and ``end_test_delimeter``), so configuring them once
configures both the release and the feedback.
"""

from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from traitlets import List, Unicode

ANSI_RED, ANSI_RESET = "\x1b[0;31m", "\x1b[0m"


class HideHiddenTests(ClearHiddenTests):
    """Replace hidden-test regions by a placeholder and shorten their cells' tracebacks."""

    # nbconvert's HTML exporter configures this for every preprocessor; nbgrader's base class
    # declares it without config=True, which logs a warning (GetGrades redeclares it the same way).
    display_data_priority = List(NbGraderPreprocessor.display_data_priority.default_value).tag(
        config=True
    )

    placeholder = Unicode(
        "# [hidden tests: their code is not shown in the feedback]",
        help="The line shown in place of each hidden-test region (indentation is kept).",
    ).tag(config=True)

    def _hide_regions(self, source: str) -> tuple[str, bool]:
        lines, hidden, inside = [], False, False
        for line in source.split("\n"):
            if self.begin_test_delimeter in line:
                if inside:
                    raise RuntimeError("Encountered nested begin hidden tests statements")
                inside = hidden = True
                indent = line[: len(line) - len(line.lstrip())]
                lines.append(indent + self.placeholder)
            elif self.end_test_delimeter in line:
                inside = False
            elif not inside:
                lines.append(line)
        if inside:
            raise RuntimeError("No end hidden tests statement found")
        return "\n".join(lines), hidden

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        cell.source, hidden = self._hide_regions(cell.source)
        if hidden:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    # The message only: IPython's traceback quotes the hidden lines.
                    output["traceback"] = [
                        f"{ANSI_RED}{output.get('ename', 'Error')}{ANSI_RESET}: "
                        f"{output.get('evalue', '')}"
                    ]
        return cell, resources
