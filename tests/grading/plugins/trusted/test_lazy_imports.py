"""grading.plugins.trusted.lazy_imports: in a student's kernel a NumPy assignment's setup cell
no longer loads TensorFlow, and when Keras does load, every generator is where it would be had
it loaded at the start."""

import json
import subprocess
import sys

import pytest

from tests import ROOT

SETUP = """
import keras
import numpy as np
from helpers import set_seed
from helpers.models import build_bn_mlp, count_params
set_seed(42)
first = float(np.random.rand())
"""
AFTER = """
import sys, json
import tensorflow as tf
loaded_before = {loaded}
print(json.dumps({{
    "loaded_before_use": loaded_before,
    "numpy": [first, float(np.random.rand())],
    "tensorflow": float(tf.random.uniform(())),
    "layers": count_params(build_bn_mlp())["total"],
}}))
"""


def run(lazy: bool) -> dict:
    install = "from grading.plugins.trusted import lazy_imports\nlazy_imports.install()\n"
    loaded = "lazy_imports.loaded('keras')" if lazy else "True"
    code = (install if lazy else "") + SETUP + AFTER.format(loaded=loaded)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_keras_loads_on_first_use_with_every_generator_as_if_loaded_at_once():
    lazy, eager = run(lazy=True), run(lazy=False)
    assert lazy.pop("loaded_before_use") is False
    eager.pop("loaded_before_use")
    assert lazy == eager
    assert lazy["layers"] == 271_346


# The cells a student's kernel runs when a solution is graded (its answers and the instructor's
# cells it runs too, as grading.plugins.trusted.plan decides), with Keras lazy: which one, if
# any, loads TensorFlow.
STUDENT_SIDE = """
import json, os, sys
from grading.plugins.trusted import lazy_imports
from grading.plugins.trusted.plan import BOTH, STUDENT, SourceCell, make_plan, text
name = sys.argv[1]
nb = json.load(open(f"solutions/{name}/{name}.ipynb"))
sources = {}
for cell in nb["cells"]:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta.get("grade_id"):
        sources[meta["grade_id"]] = SourceCell(
            text(cell), bool(meta.get("locked")), bool(meta.get("grade")),
            bool(meta.get("solution")), cell["cell_type"] == "code",
        )
plan = make_plan(nb["cells"], sources)
lazy_imports.install()
os.chdir(f"solutions/{name}")
from IPython.testing.globalipapp import start_ipython
shell = start_ipython()
loaded_by = None
for index, where in sorted(plan.where.items()):
    if where in (BOTH, STUDENT):
        result = shell.run_cell(text(nb["cells"][index]), silent=True)
        assert result.success, (index, result.error_in_exec or result.error_before_exec)
        if lazy_imports.loaded("keras") or lazy_imports.loaded("tensorflow"):
            loaded_by = nb["cells"][index]["metadata"]["nbgrader"].get("grade_id", index)
            break
print(json.dumps({"uses_keras": plan.uses_keras, "loaded_by": loaded_by}))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["a1_unstable_gradients", "a2_batch_normalization", "a3_optimizers"]
)
def test_grading_a_numpy_assignment_never_loads_tensorflow_in_the_students_kernel(name):
    done = subprocess.run(
        [sys.executable, "-c", STUDENT_SIDE, name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={
            "PATH": "/usr/bin:/bin",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONPATH": str(ROOT),
            "COURSE_FAST": "1",
            "COURSE_DATASET": "digits",
        },
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"uses_keras": False, "loaded_by": None}, found
