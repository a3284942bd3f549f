import nbformat

from helpers.lecture_checks import (
    CEILING,
    CEILING_DATASET,
    above_ceiling,
    expected_keys,
    missing_verdicts,
    problems,
    stray_stderr,
    stream_text,
)
from helpers.verdicts import compare

FONT_NOTICE = "Matplotlib is building the font cache; this may take a moment.\n\n"


def _executed(markdown, *outputs):
    """An executed notebook: one markdown cell, then one code cell per list of outputs."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(markdown)]
    for cell_outputs in outputs:
        cell = nbformat.v4.new_code_cell("...")
        cell.outputs = [nbformat.v4.new_output("stream", name=n, text=t) for n, t in cell_outputs]
        nb.cells.append(cell)
    return nb


def test_a_clean_lecture_has_no_problems():
    nb = _executed(
        "<!-- verdict: a --> and <!-- verdict: b -->",
        [("stdout", "Verdict [a]: yes\n"), ("stderr", FONT_NOTICE)],
        [("stdout", str(compare("b", 0.90, 0.85, labels=("x", "y"), show=False)))],
    )
    assert problems(nb, dataset=CEILING_DATASET) == []


def test_each_problem_is_one_sentence_naming_what_went_wrong():
    too_easy = compare("b", 0.99, 0.95, labels=("x", "y"), n_eval=1000, show=False)
    nb = _executed(
        "<!-- verdict: a --> <!-- verdict: b --> <!-- verdict: c -->",
        [("stdout", f"{too_easy}\n")],
        [("stderr", "WARNING: 5 out of the last 5 calls triggered retracing\n")],
    )
    found = problems(nb, dataset=CEILING_DATASET)
    assert found == [
        "cell 2 (`...`) wrote to stderr (a red box on the page):\n"
        "WARNING: 5 out of the last 5 calls triggered retracing",
        "verdicts announced in the markdown but never printed: ['a', 'c'] (printed: ['b'])",
        f"accuracies above {CEILING:.1%} compared in verdicts on {CEILING_DATASET}: [0.99]; "
        "the comparison needs a harder task or less data",
    ]


def test_the_ceiling_applies_to_the_offline_data_only():
    line = str(compare("k", 0.995, 0.99, labels=("x", "y"), n_eval=1000, show=False))
    nb = _executed("<!-- verdict: k -->", [("stdout", line)])
    assert len(problems(nb, dataset=CEILING_DATASET)) == 1
    assert problems(nb, dataset="digits_tiled") == []
    assert problems(nb, dataset=None) == []


def test_a_notebook_read_as_json_works_too():
    """The nbval hook passes the committed JSON (sources as lists of lines) with its outputs."""
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["Gap? ", "<!-- verdict: a -->"]},
            {"cell_type": "code", "source": ["print()"], "outputs": []},
        ]
    }
    assert problems(nb, dataset=None) == [
        "verdicts announced in the markdown but never printed: ['a'] (printed: [])"
    ]


def test_the_pieces_of_the_check():
    md = "Look at the gap. <!-- verdict: a-b -->\n\n<!--verdict:c-->"
    assert expected_keys(md) == ["a-b", "c"]
    assert missing_verdicts(md, "Verdict [c]: yes\n") == ["a-b"]
    assert missing_verdicts(md, "Verdict [a-b]: x\nVerdict [c]: y\n") == []
    line = compare("k", 0.99, 0.95, labels=("x", "y"), n_eval=1000, show=False)
    assert above_ceiling(str(line)) == [0.99]
    assert stray_stderr(FONT_NOTICE) == ""
    assert stray_stderr(FONT_NOTICE + "WARNING: retracing\n") == "WARNING: retracing"
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "a"},
        {"output_type": "stream", "name": "stderr", "text": "b"},
        {"output_type": "execute_result", "data": {}},
        {"output_type": "stream", "name": "stdout", "text": "c"},
    ]
    assert stream_text(outputs, "stdout") == "ac" and stream_text(None, "stderr") == ""


def test_download_and_exception_text_on_the_page_is_a_problem():
    keras_offline = (
        "Downloading data from https://storage.googleapis.com/tensorflow/tf-keras-datasets/x.gz\n"
    )
    nb = _executed("", [("stdout", keras_offline)])
    error = nbformat.v4.new_output("error", ename="Exception", evalue="URL fetch failure on x")
    error.traceback = ["[Errno -2] Name or service not known"]
    nb.cells[1].outputs.append(error)
    (found,) = problems(nb, dataset=None)
    assert found.startswith("cell 1 (`...`) shows download or exception text on the page")
    assert "'Downloading data from'" in found and "'URL fetch failure'" in found
    assert "'[Errno'" in found
    notice = _executed("", [("stdout", "Dataset: digits (no network).\n")])
    assert problems(notice, dataset=None) == []


def test_an_epoch_log_longer_than_a_few_lines_is_a_problem():
    log = "".join(
        f"Epoch {e}/6\n38/38 - 1s - 13ms/step - accuracy: 0.8 - loss: 0.5\n" for e in range(1, 7)
    )
    (found,) = problems(_executed("", [("stdout", log)]), dataset=None)
    assert "prints 12 lines of epoch log (at most 4)" in found and "epoch_summary" in found
    short = "Epoch 1/2\n38/38 - 1s - 13ms/step - loss: 0.5\nEpoch 2/2\n"
    assert problems(_executed("", [("stdout", short)]), dataset=None) == []
