"""What the course environment needs beyond its packages; ``make setup`` runs this after pip.

    .venv/bin/python tools/setup_environment.py   # into the environment of the Python that runs it

The files of ``tools/environment/`` go where every program of the environment finds them,
whichever folder it starts in and however it is started:

- ``quiet_tensorflow.pth`` into site-packages: TensorFlow starts without its oneDNN and
  cpu_feature_guard lines (JupyterLab, VS Code, nbconvert, ``nbgrader validate``, scripts);
- ``jupyter_config.py`` into ``etc/jupyter``: kernels without the "running over TCP without
  encryption" warning;
- ``nbgrader_config.py`` into ``etc/jupyter``: ``nbgrader validate`` prints whole lines, and no
  longer warns that it found no ``nbgrader_config.py``.

A conda environment made from ``environment.yml`` gets them the same way: run this script with
its Python. Running it again replaces the files.
"""

import shutil
import sys
import sysconfig
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "environment"
# file in tools/environment/ -> (a folder from prefix_paths(), its name there)
INSTALLED = {
    "quiet_tensorflow.pth": ("site-packages", "course_quiet_tensorflow.pth"),
    "jupyter_config.py": ("jupyter config", "jupyter_config.py"),
    "nbgrader_config.py": ("jupyter config", "nbgrader_config.py"),
}


def prefix_paths() -> dict[str, Path]:
    """This environment's site-packages and its Jupyter configuration folder."""
    return {
        "site-packages": Path(sysconfig.get_path("purelib")),
        "jupyter config": Path(sys.prefix) / "etc" / "jupyter",
    }


def install() -> list[Path]:
    """Copy the files of ``tools/environment/`` into this environment; returns where they went."""
    folders = prefix_paths()
    written = []
    for source, (folder, name) in INSTALLED.items():
        target = folders[folder] / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SOURCE / source, target)
        written.append(target)
    return written


def main() -> int:
    for path in install():
        print(f"Installed {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
