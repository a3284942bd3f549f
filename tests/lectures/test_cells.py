"""Readable lectures: short code cells (none over 30 lines, median at most 8 over all lecture code
cells), with prose between the steps. Scaffolding that would make a cell long
belongs in helpers/, tested."""

import json
import statistics

from tests import ROOT

LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
MAX_LINES, MAX_MEDIAN = 30, 8


def _code_cell_lengths():
    for path in LECTURES:
        for index, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] == "code":
                yield path.name, index, len("".join(cell["source"]).splitlines())


def test_no_lecture_code_cell_is_over_30_lines():
    long = [(name, i, n) for name, i, n in _code_cell_lengths() if n > MAX_LINES]
    assert not long, f"code cells over {MAX_LINES} lines (notebook, cell, lines): {long}"


def test_median_lecture_code_cell_is_short():
    lengths = [n for _, _, n in _code_cell_lengths()]
    assert len(lengths) > 100, "expected the eight lectures' code cells"
    assert statistics.median(lengths) <= MAX_MEDIAN, statistics.median(lengths)


def test_prose_between_code_cells():
    """Each step gets a sentence on what it does and what to look for in its output."""
    bare = []
    for path in LECTURES:
        kinds = [cell["cell_type"] for cell in json.loads(path.read_text())["cells"]]
        bare += [
            (path.name, i)
            for i in range(1, len(kinds))
            if kinds[i] == "code" and kinds[i - 1] == "code"
        ]
    assert not bare, (
        f"code cells right after a code cell, no prose between (notebook, cell): {bare}"
    )


def test_lectures_are_valid_notebooks():
    """Cell ids need nbformat 4.5: a notebook saying 4.4 with ids fails validation (and Jupyter
    rewrites it on the next save, a noisy diff)."""
    import nbformat

    for path in LECTURES:
        nbformat.validate(nbformat.read(path, as_version=4))
