"""Test-wide settings. Tests never wait on the network: the packaged digits are the default data
set, and TensorFlow's C++ log lines are silenced."""

import os

os.environ.setdefault("COURSE_DATASET", "digits")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # its absl notice ignores the level above
os.environ.setdefault("MPLBACKEND", "Agg")
