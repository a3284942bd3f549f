"""A check on the lectures as nbval executes them (``make test``), beyond "no cell raised":
once the last code cell of a lecture has run, the lecture as executed goes through
:func:`helpers.lecture_checks.problems`, the same check ``make lectures`` and
``benchmarks/lectures.py`` make, and any problem fails that last cell's test: a cell that wrote
to stderr, a verdict announced in the markdown (``<!-- verdict: key -->``) but never printed, and,
on the offline data, accuracies compared with no headroom. (TensorFlow's import-time log lines
are checked by ``tests/lectures/test_outputs.py``: under pytest, ipykernel does not forward the
process's own stderr, so nbval never sees them.)

nbval keeps each code cell's outputs in ``item.test_outputs``; the hook collects them and puts
them back into the committed notebook's cells, markdown included, for the check.

Data: the assignments and their grading tests run on ``COURSE_DATASET=digits`` (the Makefile's
``test``), but the lectures demonstrate effects that need headroom, so their kernels get the
offline fallback students see without a network, ``digits_distorted``. Choose another set for
the lectures with ``COURSE_LECTURE_DATASET`` (``digits_tiled`` checks the verdicts at full size).
"""

import functools
import json
import os
from pathlib import Path

import pytest

from helpers.data import OFFLINE_FALLBACK
from helpers.lecture_checks import problems

LECTURE_DATASET_ENV = "COURSE_LECTURE_DATASET"
_outputs: dict[str, dict[int, list]] = {}  # notebook -> code cell number -> outputs


def _lecture_dataset() -> str:
    return os.environ.get(LECTURE_DATASET_ENV) or OFFLINE_FALLBACK


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    """nbval starts a notebook's kernel while setting up its first cell: give it the data."""
    saved = os.environ.get("COURSE_DATASET")
    os.environ["COURSE_DATASET"] = _lecture_dataset()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("COURSE_DATASET", None)
        else:
            os.environ["COURSE_DATASET"] = saved


@functools.cache
def _cells(path) -> list:
    """The committed notebook's cells, read once per notebook (not once per cell)."""
    return json.loads(Path(path).read_text())["cells"]


def _is_last_code_cell(item) -> bool:
    """nbval numbers the code cells only, from 0."""
    n_code = sum(c["cell_type"] == "code" for c in _cells(str(item.parent.path)))
    return getattr(item, "cell_num", None) == n_code - 1


def _executed(path) -> dict:
    """The committed notebook with each code cell's outputs as nbval collected them."""
    outputs, cells, number = _outputs.get(path, {}), [], 0
    for cell in _cells(path):
        if cell["cell_type"] == "code":
            cell = {**cell, "outputs": outputs.get(number, [])}
            number += 1
        cells.append(cell)
    return {"cells": cells}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when != "call" or not hasattr(item, "test_outputs"):
        return
    path = str(item.parent.path)
    _outputs.setdefault(path, {})[item.cell_num] = item.test_outputs
    if report.failed or not _is_last_code_cell(item):
        return
    found = problems(_executed(path), dataset=_lecture_dataset())
    if found:
        report.outcome = "failed"
        report.longrepr = f"{Path(path).name}, as executed:\n- " + "\n- ".join(found)
