"""The course environment a student runs: set up by ``make setup``, run every way a notebook is.

What the tests here share: a student's process environment, and the lines TensorFlow prints when
it starts loudly.
"""

import os

# TensorFlow's start-up lines: the absl preamble, the oneDNN notice, the CPU-features line.
TF_LOG_MARKERS = ("absl::InitializeLog", "oneDNN custom operations", "cpu_feature_guard", "I0000")
TCP_WARNING = "running over TCP without encryption"
NO_CONFIG_WARNING = "No nbgrader_config.py file found"


def student_env(**overrides: str) -> dict[str, str]:
    """This process's environment as a student's shell has it: without the TensorFlow settings
    the Makefile and conftest.py add, and without pytest's marker, which makes ipykernel stop
    forwarding the kernel's own stderr (where TensorFlow's lines go) to the notebook."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TF_") and key != "PYTEST_CURRENT_TEST"
    }
    return {**env, **overrides}
