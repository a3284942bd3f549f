"""TensorFlow starts quietly in a notebook run by nbconvert, as in JupyterLab or VS Code.

``jupyter nbconvert --execute`` runs a notebook that imports TensorFlow in the course's kernel,
from a student's shell (no TensorFlow settings in it: ``student_env``). Neither the notebook's
outputs nor the terminal show TensorFlow's start-up lines or the kernel's TCP warning. The same
run with oneDNN switched on shows the lines, so the check can see them.
"""

import subprocess
import sys

import nbformat
import pytest

from tests.environment import TCP_WARNING, TF_LOG_MARKERS, student_env

pytestmark = pytest.mark.slow

CODE = "import tensorflow as tf\n\nprint('TensorFlow', tf.__version__)"


def _nbconvert_execute(folder, env) -> tuple[str, str, str]:
    """The cell's stdout, its stderr and the terminal's output of `jupyter nbconvert --execute`."""
    notebook = folder / "imports_tensorflow.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CODE)]), notebook)
    done = subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", notebook.name],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ran = nbformat.read(folder / "imports_tensorflow.nbconvert.ipynb", as_version=4)
    outputs = ran.cells[0].outputs
    stdout = "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")
    stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    return stdout, stderr, done.stdout + done.stderr


def test_nbconvert_execute_shows_no_tensorflow_lines_and_no_tcp_warning(tmp_path):
    stdout, stderr, terminal = _nbconvert_execute(tmp_path, student_env())
    assert stdout.startswith("TensorFlow 2."), stdout  # the cell ran
    found = [m for m in TF_LOG_MARKERS if m in stderr + terminal]
    assert not found, f"TensorFlow's lines in the cell:\n{stderr}\nin the terminal:\n{terminal}"
    assert TCP_WARNING not in terminal, terminal


def test_the_check_sees_tensorflow_lines_when_onednn_is_switched_on(tmp_path):
    _, stderr, terminal = _nbconvert_execute(tmp_path, student_env(TF_ENABLE_ONEDNN_OPTS="1"))
    assert "oneDNN custom operations" in stderr + terminal
