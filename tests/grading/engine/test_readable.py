"""grading.engine.readable: each kind of file nbgrader cannot read gets its own reason, a real
notebook none, and the student's page says what to resubmit."""

import json

import nbformat
import pytest

from grading.engine.readable import (
    cut_off,
    unreadable_notebooks,
    why_unreadable,
    write_unreadable_feedback,
)
from tests import ROOT

A2 = "a2_batch_normalization"
RELEASED = ROOT / "assignments" / A2 / f"{A2}.ipynb"


def v3_notebook() -> str:
    """A notebook as Jupyter wrote them before version 4 (nbformat's own v3 writer)."""
    nb = nbformat.v3.new_notebook(
        worksheets=[nbformat.v3.new_worksheet(cells=[nbformat.v3.new_code_cell("x = 1")])]
    )
    return nbformat.writes(nb, version=3)


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "the file is empty (0 bytes)"),
        (b"  \n", "the file is empty (3 bytes)"),
        (RELEASED.read_bytes()[:700], "the notebook is cut off: its text stops after 700 bytes"),
        (b"this is not a notebook {", "it is not a notebook: not valid JSON at line 1"),
        (b"%PDF-1.7 ...", "it is a PDF document, not a notebook"),
        (b"\x00\x01\x02\xff", "it is not a text file, so not a notebook"),
        (b'{"cells": []}', "it is JSON but not a Jupyter notebook (it has no nbformat version)"),
        (v3_notebook().encode(), "it is an old notebook format (nbformat 3); nbgrader reads"),
    ],
)
def test_every_unreadable_kind_has_its_reason(tmp_path, content, reason):
    path = tmp_path / "a2.ipynb"
    path.write_bytes(content)
    assert why_unreadable(path).startswith(reason)


def test_a_real_notebook_is_readable(tmp_path):
    assert why_unreadable(RELEASED) is None
    assert not cut_off(RELEASED.read_text())
    assert cut_off('{"cells": [{"source": "x = [1, 2')
    assert not cut_off('{"cells": ]')  # broken, but not by an early end


def test_the_students_page_says_what_to_resubmit(tmp_path):
    folder = tmp_path / "submitted" / "bcut" / A2
    folder.mkdir(parents=True)
    (folder / "A2 final (1).ipynb").write_bytes(RELEASED.read_bytes()[:700])
    (folder / "notes.ipynb").write_text(json.dumps(json.loads(RELEASED.read_text())))
    reasons = unreadable_notebooks(folder)
    assert list(reasons) == ["A2 final (1).ipynb"]
    (page,) = write_unreadable_feedback(tmp_path, "bcut", A2, reasons, released=[f"{A2}.ipynb"])
    assert page == tmp_path / "feedback" / "bcut" / A2 / f"{A2}.html"
    text = page.read_text()
    assert (
        "Your file <code>A2 final (1).ipynb</code> could not be read: the notebook is cut" in text
    )
    assert f"upload that {A2}.ipynb again" in text
    assert "no score was recorded" in text
