"""A check on the lectures as nbval executes them (``make test``), beyond "no cell raised":
every verdict the markdown announces (``<!-- verdict: key -->``) was printed by the code as
``Verdict [key]: ...`` (``helpers.verdicts``), so prose and numbers cannot drift apart.
(TensorFlow's import-time log lines are checked by ``tests/lectures/test_outputs.py``: under
pytest, ipykernel does not forward the process's own stderr, so nbval never sees them.)

On the offline data the check goes further: no accuracy compared in a verdict (training accuracy
aside) may exceed ``CEILING``; a data set on which models score 99 % leaves effects no room.

A cell that writes to stderr fails too: a warning or a TensorFlow log line is a red box on the
rendered page and noise in the student's notebook (matplotlib's one-time font-cache notice aside).

nbval keeps each cell's outputs in ``item.test_outputs``; the last cell of a notebook also
carries the notebook-wide verdict check, so a missing verdict fails that cell's test.

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

from helpers.verdicts import (
    CEILING,
    above_ceiling,
    missing_verdicts,
    printed_keys,
    stray_stderr,
    stream_text,
)

LECTURE_DATASET_ENV = "COURSE_LECTURE_DATASET"
OFFLINE_DATASET = "digits_distorted"
_printed: dict[str, str] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    """nbval starts a notebook's kernel while setting up its first cell: give it the data."""
    saved = os.environ.get("COURSE_DATASET")
    os.environ["COURSE_DATASET"] = os.environ.get(LECTURE_DATASET_ENV) or OFFLINE_DATASET
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


def _markdown(path) -> str:
    return "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "markdown")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when != "call" or not hasattr(item, "test_outputs") or report.failed:
        return
    path = str(item.parent.path)
    _printed[path] = _printed.get(path, "") + stream_text(item.test_outputs, "stdout")
    stderr = stray_stderr(stream_text(item.test_outputs, "stderr"))
    if stderr:
        report.outcome = "failed"
        report.longrepr = f"{Path(path).name}: a lecture cell wrote to stderr:\n{stderr[:2000]}"
        return
    if not _is_last_code_cell(item):
        return
    missing = missing_verdicts(_markdown(path), _printed[path])
    too_easy = above_ceiling(_printed[path])
    if (os.environ.get(LECTURE_DATASET_ENV) or OFFLINE_DATASET) != OFFLINE_DATASET:
        too_easy = []
    if missing:
        report.outcome = "failed"
        report.longrepr = (
            f"{Path(path).name}: verdicts announced in the markdown but never printed: "
            f"{missing} (printed: {printed_keys(_printed[path])})"
        )
    elif too_easy:
        report.outcome = "failed"
        report.longrepr = (
            f"{Path(path).name}: accuracies above {CEILING:.1%} compared in verdicts on "
            f"{OFFLINE_DATASET}: {too_easy}; the comparison needs a harder task or less data"
        )
