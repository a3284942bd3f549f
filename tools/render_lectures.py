"""Render lectures to HTML that reads well offline: formulas typeset by a local MathJax.

    python tools/render_lectures.py               # execute every lecture into build/lectures
    python tools/render_lectures.py --no-execute --output-dir /tmp/x lectures/00_*.ipynb

nbconvert's HTML loads MathJax from a CDN, so without a network every formula shows as raw LaTeX.
``make mathjax`` installs MathJax 2 (the version nbconvert's template configures) and require.js
from npm into ``build/web``; this script points each page at them with paths relative to the
output folder, so ``build/`` can be copied or zipped as a whole.

Each lecture is executed in its own fresh kernel, one line of progress each (in the lectures'
order, whichever finishes first), and checked as the tests check it
(``helpers.lecture_checks.problems``): no cell wrote to stderr, every verdict its markdown
announces was printed and, on the offline data, no verdict compares accuracies above the
ceiling. The script exits 1 when a lecture fails a check, after rendering all of them (the page
shows what went wrong; the problems are listed under its progress line).

Lectures run ``--jobs`` at a time (``make lectures JOBS=...``; default: one per core), each
kernel with TensorFlow's thread pools at one thread (``threads_per_kernel``): kernels side by
side do not fight for the cores, and the numbers a lecture prints do not depend on ``--jobs``
(``--jobs 1`` runs them one after another with the same pools).
``benchmarks/commands.py --compare-lectures`` checks that both ways print the same verdicts.
"""

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "build" / "web" / "node_modules"  # `make mathjax`: npm packages, no CDN
MATHJAX_JS = WEB / "mathjax" / "MathJax.js"
REQUIRE_JS = WEB / "requirejs" / "require.js"
MATHJAX_CONFIG = "config=TeX-AMS_CHTML-full,Safe"  # nbconvert's own choice, from the CDN URL
# TensorFlow prints its oneDNN notice through absl before TF_CPP_MIN_LOG_LEVEL applies; turning
# the oneDNN custom operations off (the notice's own advice) is what removes it from outputs.
QUIET_TENSORFLOW = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}


def local_url(script: Path, output_dir: Path) -> str:
    """A script installed by ``make mathjax``, as seen from a page in ``output_dir``."""
    if not script.is_file():
        raise FileNotFoundError(f"no {script.name} at {script}: run `make mathjax` first")
    return Path(os.path.relpath(script, output_dir.resolve())).as_posix()


def exporter(output_dir: Path):
    """nbconvert's HTML exporter with the local MathJax and require.js instead of the CDN's."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.mathjax_url = f"{local_url(MATHJAX_JS, output_dir)}?{MATHJAX_CONFIG}"
    config.HTMLExporter.require_js_url = local_url(REQUIRE_JS, output_dir)
    return HTMLExporter(config=config)


def execute(nb, path: Path, timeout: int) -> str:
    """Run the notebook in a fresh kernel; return '' or the error that stopped it."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    os.environ.update(QUIET_TENSORFLOW)  # the kernel inherits this process's environment
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        # the kernel's own start-up notices (TCP without encryption) would break the progress line
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        return str(exc).strip().splitlines()[-1][:300]
    return ""


def check(nb) -> list[str]:
    """What a reader would find wrong on the page (``helpers.lecture_checks.problems``): stderr,
    announced verdicts that were not printed and, on the offline data, compared accuracies with
    no headroom. The kernel loads ``$COURSE_DATASET``, offline the fallback when it is unset."""
    sys.path.insert(0, str(ROOT))
    from helpers.data import OFFLINE_FALLBACK
    from helpers.lecture_checks import problems

    return problems(nb, dataset=os.environ.get("COURSE_DATASET", OFFLINE_FALLBACK))


def threads_per_kernel() -> dict:
    """TensorFlow's thread pools for a lecture's kernel: one thread each, whatever ``--jobs``.

    The pools' size changes how TensorFlow splits a sum, so it changes the last digits of every
    result and, through training, the verdicts' numbers: measured, a serial run with TensorFlow's
    default pools and a side-by-side run with one thread each disagreed on 3 of 18 non-timing
    verdicts of lectures 1-2, and agreed on all of them with one thread each in both. With the
    same size in every run, ``--jobs`` changes only how long the lectures take."""
    return {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "1"}


def run_one(path: Path, output_dir: Path, execute_cells: bool, timeout: int, env: dict):
    """Execute (optionally), check and render one notebook: ``(seconds, problems)``. The
    executed notebook is written next to its HTML page, so a reader can open it in Jupyter."""
    import nbformat

    os.environ.update(env)  # this process's kernel inherits it
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    problems = []
    if execute_cells:
        error = execute(nb, path, timeout)
        problems = [f"stopped: {error}"] if error else check(nb)
        nbformat.write(nb, output_dir / path.name)
    body, _ = exporter(output_dir).from_notebook_node(
        nb, resources={"metadata": {"name": path.stem}}
    )
    (output_dir / f"{path.stem}.html").write_text(body, encoding="utf-8")
    return time.perf_counter() - start, problems


def render(
    notebooks, output_dir: Path, execute_cells: bool = True, timeout: int = 900, jobs: int = 1
) -> int:
    """Execute (optionally) and render each notebook, ``jobs`` at a time; print one line each,
    in the notebooks' order; return the number with problems."""
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs must be a positive int, got {jobs!r}.")
    output_dir.mkdir(parents=True, exist_ok=True)
    exporter(output_dir)  # no MathJax: say so before any lecture runs
    env = threads_per_kernel()
    args = (output_dir, execute_cells, timeout, env)
    failures = 0
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_one, path, *args) for path in notebooks]
        for i, (path, future) in enumerate(zip(notebooks, futures, strict=True), 1):
            print(f"[{i}/{len(notebooks)}] {path.name} ...", end=" ", flush=True)
            seconds, problems = future.result()
            failures += bool(problems)
            print(f"{seconds:.0f} s, {'PROBLEMS' if problems else 'ok'}", flush=True)
            for problem in problems:
                print("    - " + problem.replace("\n", "\n      "))
    return failures


def default_jobs() -> int:
    """``$JOBS`` when set (``make lectures JOBS=1``), else one job per core."""
    value = os.environ.get("JOBS", "").strip()
    if not value:
        return os.cpu_count() or 1
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"JOBS must be a positive whole number, got {value!r}.")
    return int(value)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: lectures/*.ipynb")
    parser.add_argument("--output-dir", type=Path, default=ROOT / "build" / "lectures")
    parser.add_argument("--no-execute", dest="execute", action="store_false")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    parser.add_argument(
        "--jobs", type=int, default=None, help="lectures at a time (default: $JOBS, else cores)"
    )
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "lectures").glob("*.ipynb"))
    jobs = args.jobs if args.jobs is not None else default_jobs()
    failures = render(
        notebooks, args.output_dir, execute_cells=args.execute, timeout=args.timeout, jobs=jobs
    )
    print(f"Rendered {len(notebooks)} notebook(s) to {args.output_dir}; {failures} with problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
