"""The course environment as `make setup` leaves it (``tools/setup_environment.py``).

The environment running these tests holds the files of ``tools/environment/``, as they are now;
and installed into a new environment, they act from the first line of any of its Pythons, before
anything is imported: TensorFlow's settings are in ``os.environ`` unless the user set their own.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import ROOT
from tools.setup_environment import INSTALLED, SOURCE, prefix_paths

SETUP = ROOT / "tools" / "setup_environment.py"
PROBE = (
    "import os; "
    "print(os.environ.get('TF_ENABLE_ONEDNN_OPTS'), os.environ.get('TF_CPP_MIN_LOG_LEVEL'))"
)


@pytest.mark.parametrize("source", sorted(INSTALLED))
def test_this_environment_holds_the_course_files(source):
    folder, name = INSTALLED[source]
    target = prefix_paths()[folder] / name
    assert target.is_file(), f"{target} is missing: run `make setup`"
    assert target.read_bytes() == (SOURCE / source).read_bytes(), (
        f"{target} differs from tools/environment/{source}: run `make setup`"
    )


def _run(python, code: str, **env) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    done = subprocess.run(
        [str(python), "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def test_a_new_environment_gets_tensorflow_quiet_at_every_start(tmp_path):
    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    assert _run(python, PROBE) == "None None"  # nothing set before the installation

    done = subprocess.run(
        [str(python), str(SETUP)], capture_output=True, text=True, check=True, timeout=60
    )

    installed = [line.removeprefix("Installed ") for line in done.stdout.splitlines()]
    assert len(installed) == len(INSTALLED), done.stdout
    assert all(path.startswith(str(env_dir)) for path in installed), installed
    assert (env_dir / "etc" / "jupyter" / "nbgrader_config.py").is_file()
    assert (env_dir / "etc" / "jupyter" / "jupyter_config.py").is_file()
    assert _run(python, PROBE) == "0 2"
    assert _run(python, PROBE, TF_ENABLE_ONEDNN_OPTS="1") == "1 2"  # the user's own value wins


def test_this_environment_imports_nbformat_without_the_unused_slow_packages():
    code = (
        "import sys, nbformat; "
        "nb = nbformat.read('solutions/a2_batch_normalization/a2_batch_normalization.ipynb', 4); "
        "nbformat.validate(nb); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'rfc3987_syntax', 'lark'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]", f"{done.stdout}: run `make setup`"


def test_setup_removes_an_unused_slow_package_pip_installed(tmp_path):
    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, timeout=120)
    python = env_dir / "bin" / "python"
    site = Path(_run(python, "import sysconfig; print(sysconfig.get_path('purelib'))"))
    # A distribution as pip records it: its module, and a dist-info listing the module.
    (site / "rfc3987_syntax.py").write_text("SLOW = True\n")
    info = site / "rfc3987_syntax-1.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rfc3987-syntax\nVersion: 1.1.0\n")
    (info / "INSTALLER").write_text("pip\n")
    (info / "RECORD").write_text(
        "rfc3987_syntax.py,,\n"
        + "".join(f"{info.name}/{n},,\n" for n in ("METADATA", "INSTALLER", "RECORD"))
    )
    assert _run(python, "import rfc3987_syntax; print(rfc3987_syntax.SLOW)") == "True"

    done = subprocess.run([str(python), str(SETUP)], capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr[-2000:]
    assert "Removed rfc3987-syntax" in done.stdout, done.stdout
    assert not (site / "rfc3987_syntax.py").exists()
    assert not info.exists()
