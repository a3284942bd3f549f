"""``make lectures`` runs lectures side by side (tools/render_lectures.py ``--jobs``): each kernel
gets TensorFlow's thread pools at one thread whatever the jobs, the progress lines keep the
lectures' order, and a bad ``JOBS`` is refused by name. Whether side-by-side runs print the
same verdicts as a serial run is measured on the real lectures by ``benchmarks/commands.py
--compare-lectures`` (minutes of training; not a unit test)."""

import importlib.util
import os
import subprocess
import sys

import nbformat
import pytest

from tests import ROOT

RENDER = ROOT / "tools" / "render_lectures.py"
MATHJAX_JS = ROOT / "build" / "web" / "node_modules" / "mathjax" / "MathJax.js"


def _module():
    spec = importlib.util.spec_from_file_location("render_lectures", RENDER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_kernel_gets_the_same_thread_pools_whatever_the_jobs(monkeypatch):
    render = _module()
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    pools = render.threads_per_kernel()
    assert pools["TF_NUM_INTRAOP_THREADS"] == pools["TF_NUM_INTEROP_THREADS"] == "1"


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_a_bad_jobs_value_is_refused_by_name(monkeypatch, value):
    render = _module()
    monkeypatch.setenv("JOBS", value)
    with pytest.raises(ValueError, match="JOBS must be a positive whole number"):
        render.default_jobs()
    with pytest.raises(ValueError, match="jobs must be a positive int"):
        render.render([], ROOT / "build" / "unused", jobs=0)


def test_jobs_default_to_the_environment_then_the_cores(monkeypatch):
    render = _module()
    monkeypatch.setenv("JOBS", "3")
    assert render.default_jobs() == 3
    monkeypatch.delenv("JOBS")
    assert render.default_jobs() == os.cpu_count()


def _notebook(path, seconds):
    """A notebook that sleeps, then prints its kernel's thread setting."""
    code = (
        f"import os, time\ntime.sleep({seconds})\nprint(os.environ.get('TF_NUM_INTRAOP_THREADS'))"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nbformat.write(nb, path)
    return path


@pytest.mark.slow  # two real kernels
def test_side_by_side_kernels_report_in_the_lectures_order(tmp_path):
    if not MATHJAX_JS.is_file():
        pytest.fail(f"no local MathJax at {MATHJAX_JS}: run `make mathjax` (make test does)")
    slow = _notebook(tmp_path / "a_slow.ipynb", 4)  # finishes after the second one
    quick = _notebook(tmp_path / "b_quick.ipynb", 0)
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            str(RENDER),
            "--jobs",
            "2",
            "--output-dir",
            str(out),
            str(slow),
            str(quick),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("[")]
    assert [line.split()[1] for line in lines] == ["a_slow.ipynb", "b_quick.ipynb"]
    for name in ("a_slow", "b_quick"):
        executed = nbformat.read(out / f"{name}.ipynb", as_version=4)
        assert executed.cells[0].outputs[0]["text"].strip() == "1"
        assert (out / f"{name}.html").is_file()
