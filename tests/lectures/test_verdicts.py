"""Every lecture prints its conclusions from its own numbers (helpers.verdicts), and the nbval
hook in lectures/conftest.py fails a lecture that helpers.lecture_checks finds fault with: an
announced verdict not printed, a cell writing to stderr, accuracies with no headroom.

The static checks read the committed notebooks; the hook itself is exercised on a tiny notebook
run by a real nbval in a subprocess, once printing every announced verdict and once not.
"""

import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from helpers.lecture_checks import expected_keys
from helpers.verdicts import KEY
from tests import ROOT

LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))


def _cells(path, kind):
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == kind]


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_lecture_announces_its_verdicts_and_computes_them(path):
    keys = expected_keys("\n".join(_cells(path, "markdown")))
    assert len(keys) >= 2, f"{path.name} announces {keys}: compare results with printed verdicts"
    assert len(keys) == len(set(keys)), f"{path.name} announces a verdict twice: {keys}"
    assert all(KEY.fullmatch(k) for k in keys), keys
    code = "\n".join(_cells(path, "code"))
    assert "from helpers.verdicts import" in code, f"{path.name} does not use helpers.verdicts"


def _notebook(tmp_path, printed, line="measured"):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("A beats B? <!-- verdict: a-vs-b --> <!-- verdict: c -->"),
        nbformat.v4.new_code_cell("\n".join(f"print('Verdict [{k}]: {line}')" for k in printed)),
        nbformat.v4.new_code_cell("print('done')"),
    ]
    folder = tmp_path / "lectures"
    folder.mkdir()
    shutil.copy(ROOT / "lectures" / "conftest.py", folder / "conftest.py")
    nbformat.write(nb, folder / "tiny.ipynb")
    return folder / "tiny.ipynb"


def _nbval(path, **env):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", str(path)],
        cwd=path.parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )


@pytest.mark.slow
def test_hook_fails_a_notebook_that_did_not_print_an_announced_verdict(tmp_path):
    result = _nbval(_notebook(tmp_path, printed=["a-vs-b"]))
    assert result.returncode != 0, result.stdout
    assert "verdicts announced in the markdown but never printed: ['c']" in result.stdout


@pytest.mark.slow
def test_hook_passes_a_notebook_that_printed_them_all(tmp_path):
    result = _nbval(_notebook(tmp_path, printed=["c", "a-vs-b"]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


TOO_EASY = "A beat B by 1.00 points in test accuracy (0.995 vs 0.985; one run on 1,440 examples)."


@pytest.mark.slow
def test_hook_fails_a_comparison_of_near_perfect_models_on_the_offline_data(tmp_path):
    result = _nbval(_notebook(tmp_path, ["a-vs-b", "c"], line=TOO_EASY), COURSE_LECTURE_DATASET="")
    assert result.returncode != 0, result.stdout
    assert "accuracies above 98.5% compared in verdicts on digits_distorted: [0.995, 0.995]" in (
        result.stdout
    )


@pytest.mark.slow
def test_hook_leaves_the_ceiling_to_the_offline_data(tmp_path):
    result = _nbval(
        _notebook(tmp_path, ["a-vs-b", "c"], line=TOO_EASY), COURSE_LECTURE_DATASET="digits_tiled"
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_hook_fails_a_notebook_in_which_a_cell_wrote_to_stderr(tmp_path):
    path = _notebook(tmp_path, ["a-vs-b", "c"])
    nb = nbformat.read(path, as_version=4)
    retracing = "print('5 out of the last 5 calls triggered retracing', file=sys.stderr)"
    nb.cells[1].source = f"import sys\n{retracing}\n{nb.cells[1].source}"  # not the last cell
    nbformat.write(nb, path)
    result = _nbval(path)
    assert result.returncode != 0, result.stdout
    assert "cell 1 (`import sys`) wrote to stderr (a red box on the page):" in result.stdout
    assert "5 out of the last 5 calls triggered retracing" in result.stdout
