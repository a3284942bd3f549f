"""grading.plugins.trusted.lazy_imports: in a student's kernel a NumPy assignment's setup cell
no longer loads TensorFlow, and when Keras does load, every generator is where it would be had
it loaded at the start."""

import json
import subprocess
import sys

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
