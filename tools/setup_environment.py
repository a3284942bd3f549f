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

It also takes out ``UNUSED_SLOW``: packages the dependencies pull in that nothing here uses and
that every start of a program pays for. ``rfc3987-syntax`` (jupyter-events asks for
``jsonschema[format-nongpl]``) is jsonschema's checker of the ``iri`` format, which no Jupyter
schema uses; jsonschema imports it whenever nbformat is imported, and it compiles 38 grammars on
import: 0.7 s of CPU in every ``nbgrader`` command, grading job, Jupyter server and test worker
(``import nbformat`` 0.80 s -> 0.11 s). Without it jsonschema skips that one format, as it does
for any checker that is not installed; ``pip check`` stays clean. A later ``pip install`` may
bring it back: ``make setup`` runs this script after pip, so it goes again.

A conda environment made from ``environment.yml`` gets them the same way: run this script with
its Python. Running it again replaces the files.
"""

import importlib.metadata
import shutil
import subprocess
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


# Distributions removed after pip (see above): name -> what it is.
UNUSED_SLOW = {
    "rfc3987-syntax": "jsonschema's 'iri' format checker: 0.7 s at every import of nbformat",
}


def remove_unused_slow() -> list[str]:
    """Uninstall the ``UNUSED_SLOW`` distributions this environment holds; returns their names."""
    removed = []
    for name in UNUSED_SLOW:
        try:
            importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        command = [sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", name]
        subprocess.run(command, check=True)
        removed.append(name)
    return removed


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
    for name in remove_unused_slow():
        print(f"Removed {name} ({UNUSED_SLOW[name]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
