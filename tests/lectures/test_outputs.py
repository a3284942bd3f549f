"""No TensorFlow log line in a lecture's output.

TensorFlow prints its oneDNN notice through absl at import, before ``TF_CPP_MIN_LOG_LEVEL``
applies; the kernel forwards it into the first cell's output as a red stderr box. The project
sets ``TF_ENABLE_ONEDNN_OPTS=0`` (in every Python of the course environment, see
``tools/environment/quiet_tensorflow.pth``; conftest.py, benchmarks, tools/render_lectures.py).
This test runs a lecture's setup cell in a real kernel with the environment the test suite
passes on, as JupyterLab and ``make lectures`` start theirs, and reads what the cell printed.
"""

import json
import os

import nbformat
import pytest
from nbclient import NotebookClient

from tests import ROOT
from tests.environment import TF_LOG_MARKERS

LECTURE = ROOT / "lectures" / "00_keras_refresher.ipynb"


def _setup_cell_outputs(env_overrides):
    cells = json.loads(LECTURE.read_text())["cells"]
    setup = next("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(setup), nbformat.v4.new_code_cell("print('done')")]
    saved = dict(os.environ)
    os.environ.update(env_overrides)
    # ipykernel stops forwarding the process's own stderr when it sees it runs under pytest;
    # a student's kernel (JupyterLab, `make lectures`) forwards it: test what they see.
    os.environ.pop("PYTEST_CURRENT_TEST", None)
    try:
        NotebookClient(nb, kernel_name="python3", timeout=300).execute(cwd=str(LECTURE.parent))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return [out for cell in nb.cells for out in cell.outputs]


@pytest.mark.slow
def test_setup_cell_prints_no_tensorflow_log_lines():
    outputs = _setup_cell_outputs({"COURSE_FAST": "1"})
    stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    stdout = "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")
    assert "Dataset:" in stdout and "done" in stdout, stdout  # the cell really ran
    found = [m for m in TF_LOG_MARKERS if m in stderr]
    assert not found, f"TensorFlow log lines in the setup cell's output:\n{stderr}"


@pytest.mark.slow
def test_the_check_sees_the_lines_when_onednn_is_left_on():
    """The same check fails without the project's setting: it can catch a regression."""
    outputs = _setup_cell_outputs({"COURSE_FAST": "1", "TF_ENABLE_ONEDNN_OPTS": "1"})
    stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    assert "oneDNN custom operations" in stderr
