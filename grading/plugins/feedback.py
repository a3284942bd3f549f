"""Feedback that names a failed hidden test and its message, without the hidden test's code.

nbgrader renders feedback from the autograded notebook, in which every test cell holds the
instructor's full source, hidden tests included, and IPython's tracebacks quote the failing lines
(nbgrader issue #917). ``HideHiddenTests`` runs in ``GenerateFeedback.preprocessors`` (see
``nbgrader_config.py``): in every cell with a hidden-test region it replaces the region by one
comment line and cuts the cell's tracebacks down to the exception's name and message. Visible
tests keep their source and full tracebacks. The delimiters are nbgrader's own
(``ClearHiddenTests.begin_test_delimeter`` and ``end_test_delimeter``), so configuring them once
configures both the release and the feedback.

Only the instructor's test cells are read for hidden regions: a student's answer that merely
contains the delimiter text is left as it is and never breaks the student's feedback, and an
unclosed region in a test cell hides everything to the end of the cell. Student code can also
print a hidden test's source while the test runs (the kernel holds every cell it executed), so
any output line anywhere in the notebook that repeats a hidden line is redacted too.
"""

from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from nbgrader.utils import is_solution
from traitlets import List, Unicode

ANSI_RED, ANSI_RESET = "\x1b[0;31m", "\x1b[0m"
REDACTED = "[redacted: a line of a hidden test]"
MIN_REDACTED_LENGTH = 8  # shorter hidden lines (")", "else:") are not secrets


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

    def _hide_regions(self, source: str) -> tuple[str, list[str]]:
        """The source with hidden regions replaced, and the hidden lines (for redaction)."""
        lines, hidden_lines, inside = [], [], False
        for line in source.split("\n"):
            if self.begin_test_delimeter in line:
                if not inside:
                    indent = line[: len(line) - len(line.lstrip())]
                    lines.append(indent + self.placeholder)
                inside = True
            elif self.end_test_delimeter in line:
                inside = False
            elif inside:
                hidden_lines.append(line.strip())
            else:
                lines.append(line)
        return "\n".join(lines), hidden_lines

    def preprocess(self, nb, resources):
        self._secrets = set()
        for cell in nb.cells:
            if cell.cell_type == "code" and not is_solution(cell):
                cell.source, hidden = self._hide_regions(cell.source)
                cell.metadata["hidden_tests"] = bool(hidden)
                self._secrets.update(h for h in hidden if len(h) >= MIN_REDACTED_LENGTH)
        return super().preprocess(nb, resources)

    def _redact(self, text: str) -> str:
        if not self._secrets or not isinstance(text, str):
            return text
        return "\n".join(
            REDACTED if any(secret in line for secret in self._secrets) else line
            for line in text.split("\n")
        )

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = self._redact(output["text"])
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/"):
                    output["data"][mime] = self._redact(value)
            if output.get("output_type") == "error":
                output["evalue"] = self._redact(output.get("evalue", ""))
        if cell.metadata.pop("hidden_tests", False):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    # The message only: IPython's traceback quotes the hidden lines.
                    output["traceback"] = [
                        f"{ANSI_RED}{output.get('ename', 'Error')}{ANSI_RESET}: "
                        f"{output.get('evalue', '')}"
                    ]
        return cell, resources
