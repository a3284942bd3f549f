"""Put deleted test cells back into a submission before it is autograded.

nbgrader's ``OverwriteCells`` (``add_missing_cells=True``) re-inserts a deleted grade cell after
the cell that precedes it in the source notebook, but looks that cell up among the submission's
grade and solution cells only. When the predecessor is a read-only cell (a question above a
written answer, a setup cell above a test), autograding the submission stops with a ``KeyError``.
``RestoreDeletedCells`` places every missing grade cell after the nearest preceding source cell
that is present in the submission, whatever its kind, or first if there is none. Everything else
(edited test cells replaced by the originals, points and checksums restored) is nbgrader's own.
A restored cell gets a cell ``id`` only where the notebook's format has ids (nbformat 4.5 and
later): an ``id`` in a 4.0 notebook makes it invalid.

``RepairCellMetadata`` runs first and keeps a student's copy-and-paste from crashing grading
(nbgrader issues #1682 and #1941): a cell whose nbgrader metadata has no ``grade_id``, or a
``grade_id`` this notebook does not have (pasted from another notebook), becomes an ordinary cell:
its code still runs, it is not graded on its own, and the log names it for the instructor.
``DeduplicateCells`` is nbgrader's ``DeduplicateIds`` (a duplicated cell: the last copy keeps
the grade id), except that the other copies become ordinary cells instead of cells with empty
nbgrader metadata, on which ``OverwriteCells`` stops with ``KeyError: 'grade_id'``.
"""

import re

from nbgrader.api import Gradebook
from nbgrader.preprocessors import DeduplicateIds, NbGraderPreprocessor, OverwriteCells
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
        nb, resources = self._add_missing_grade_cells(nb, resources)
        if (nb.nbformat, nb.nbformat_minor) < (4, 5):
            for cell in nb.cells:
                cell.pop("id", None)
        return nb, resources

    def _add_missing_grade_cells(self, nb, resources):
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


class RepairCellMetadata(NbGraderPreprocessor):
    """Ungrade cells whose nbgrader metadata cannot be matched to this notebook's source cells."""

    def preprocess(self, nb, resources):
        with Gradebook(resources["nbgrader"]["db_url"]) as gb:
            notebook = gb.find_notebook(
                resources["nbgrader"]["notebook"], resources["nbgrader"]["assignment"]
            )
            self._known = {cell.name for cell in notebook.source_cells}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        meta = cell.get("metadata", {}).get("nbgrader")
        if not meta or not (meta.get("grade") or meta.get("solution") or meta.get("locked")):
            return cell, resources
        grade_id = meta.get("grade_id")
        if grade_id not in self._known:
            why = f"has grade id {grade_id!r}, unknown here" if grade_id else "has no grade id"
            self.log.warning(
                "NOTE: cell %d %s (pasted from another notebook?): run, but not graded on its own",
                cell_index + 1,
                why,
            )
            del cell.metadata["nbgrader"]
        return cell, resources


class DeduplicateCells(DeduplicateIds):
    """``DeduplicateIds`` whose ungraded copies carry no nbgrader metadata at all."""

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        for index, cell in enumerate(nb.cells):
            if cell.get("metadata", {}).get("nbgrader") == {}:
                del cell.metadata["nbgrader"]
                self.log.warning(
                    "NOTE: cell %d is a copy of a graded cell: run, but only the last copy is "
                    "graded",
                    index + 1,
                )
        return nb, resources
