"""Jupyter server settings for the course, used by `make lab` and tests/lab/test_browser_ui.py.

Both start JupyterLab from the course root with ``--config=jupyter_server_config.py``, so the
settings below come on top of a user's own Jupyter configuration instead of replacing it.
nbgrader's extensions (Validate, formgrader, the assignment list) read ``nbgrader_config.py``
from the server's working directory, which is why the server is started from the course root.
"""

import os
import shutil
import sys

c = get_config()  # noqa: F821 - provided by traitlets when Jupyter loads this file

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

# The file browser opens on the course: lectures/, assignments/ (and solutions/ for instructors).
c.ServerApp.root_dir = COURSE_ROOT
# Local only: the server is reachable from this machine, not from the network.
c.ServerApp.ip = "127.0.0.1"
# JupyterLab refuses to start as root (containers, CI) unless told to; allow it only then.
c.ServerApp.allow_root = hasattr(os, "geteuid") and os.geteuid() == 0
# nbgrader runs `alembic` (installed beside this Python) by name when it opens the gradebook, so
# formgrader fails with "No such file or directory: 'alembic'" unless the environment's bin/ is on
# PATH. Put it first, so `.venv/bin/jupyter lab` works without activating the environment.
_bin = os.path.dirname(sys.executable)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")

# The terminal (File > New > Terminal) runs bash with the user's own ~/.bashrc and then the
# course's environment activated (tools/environment/lab_terminal.bashrc), so `python`, `jupyter`
# and `nbgrader validate` are the course's: a ~/.bashrc that activates conda or pyenv would
# otherwise come first, and when the server does not run in a terminal Jupyter starts a login
# shell, whose /etc/profile resets PATH.
os.environ["COURSE_ENV_BIN"] = _bin
if os.name != "nt" and shutil.which("bash"):
    c.ServerApp.terminado_settings = {
        "shell_command": [
            "bash",
            "--rcfile",
            os.path.join(COURSE_ROOT, "tools", "environment", "lab_terminal.bashrc"),
            "-i",
        ]
    }
