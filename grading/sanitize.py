"""Put deleted test cells back into a submission before it is autograded.

nbgrader's ``OverwriteCells`` (``add_missing_cells=True``) re-inserts a deleted grade cell after
the cell that precedes it in the source notebook, but looks that cell up among the submission's
grade and solution cells only. When the predecessor is a read-only cell (a question above a
written answer, a setup cell above a test), autograding the submission stops with a ``KeyError``.
``RestoreDeletedCells`` places every missing grade cell after the nearest preceding source cell
that is present in the submission, whatever its kind, or first if there is none. Everything else
(edited test cells replaced by the originals, points and checksums restored) is nbgrader's own.
"""

import re

from nbgrader.preprocessors import OverwriteCells
from traitlets import Bool


class RestoreDeletedCells(OverwriteCells):
    """``OverwriteCells`` whose re-insertion of deleted grade cells never fails."""

    add_missing_cells = Bool(
        True, help="Whether deleted grade cells are added back to the submission."
    ).tag(config=True)

    @staticmethod
    def _position(nb, grade_id):
        for index, cell in enumerate(nb.cells):
            if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
                return index
        return None

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        grade_cells = {cell.name: cell for cell in source_nb.grade_cells}
        solution_ids = {cell.name for cell in source_nb.solution_cells}
        previous = None  # grade_id of the last source cell found in the submission
        for source_cell in source_nb.source_cells:
            name = source_cell.name
            if name in grade_cells and self._position(nb, name) is None:
                self.log.warning("Missing grade cell %s encountered, adding to notebook", name)
                cell = self.missing_cell_transform(
                    source_cell, grade_cells[name].max_score, is_solution=name in solution_ids
                )
                cell["id"] = re.sub(r"[^a-zA-Z0-9_-]", "-", f"restored-{name}")[:64]
                at = 0 if previous is None else self._position(nb, previous) + 1
                nb.cells.insert(at, cell)
            if self._position(nb, name) is not None:
                previous = name
        return nb, resources
