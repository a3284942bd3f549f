import pytest

"""grading.plugins.sanitize: cells pasted from elsewhere and duplicated cells become ordinary
cells (run, not graded on their own) instead of crashing nbgrader; known cells are kept."""

from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.api import Gradebook

from grading.coursedir import nbgrader_env
from grading.plugins.sanitize import DeduplicateCells, RepairCellMetadata


def graded(grade_id, grade=True, solution=False):
    meta = {"grade": grade, "solution": solution, "grade_id": grade_id, "locked": not solution}
    if grade:
        meta["points"] = 1
    return new_code_cell(f"# {grade_id}", metadata={"nbgrader": meta})


def gradebook_with(tmp_path, monkeypatch, *cell_names) -> str:
    """A real gradebook knowing these cells of notebook ``nb`` (nbgrader runs ``alembic`` by name,
    so this Python's bin/ goes on PATH, as ``make`` does)."""
    monkeypatch.setenv("PATH", nbgrader_env()["PATH"])
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.add_assignment("a1")
        gb.add_notebook("nb", "a1")
        for name in cell_names:
            gb.add_source_cell(name, "nb", "a1", cell_type="code", source="", checksum="x")
    return url


@pytest.mark.slow  # a real nbgrader, kernel or training run: make test, not make check
def test_pasted_cells_are_ungraded_and_known_ones_kept(tmp_path, monkeypatch):
    url = gradebook_with(tmp_path, monkeypatch, "answer-1", "test-1")
    cells = [graded("answer-1", grade=False, solution=True), graded("test-1"), graded("other-nb")]
    nameless = graded("x")
    del nameless.metadata["nbgrader"]["grade_id"]
    nb = new_notebook(cells=[*cells, nameless, new_code_cell("print(1)")])
    resources = {"nbgrader": {"db_url": url, "notebook": "nb", "assignment": "a1"}}
    nb, _ = RepairCellMetadata().preprocess(nb, resources)
    kept = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    assert kept == ["answer-1", "test-1", None, None, None]
    assert nb.cells[2].source == "# other-nb"  # still runs


def test_duplicated_cells_keep_one_graded_copy_and_no_empty_metadata():
    nb = new_notebook(cells=[graded("test-1"), graded("test-1"), graded("test-2")])
    nb, _ = DeduplicateCells().preprocess(nb, {})
    metas = [c.metadata.get("nbgrader") for c in nb.cells]
    assert metas[0] is None  # not {}: OverwriteCells would stop with KeyError: 'grade_id'
    assert metas[1]["grade_id"] == "test-1" and metas[2]["grade_id"] == "test-2"
