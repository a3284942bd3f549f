"""Render lectures to HTML that reads well offline: formulas typeset by a local MathJax.

    python tools/render_lectures.py               # execute every lecture into build/lectures
    python tools/render_lectures.py --no-execute --output-dir /tmp/x lectures/00_*.ipynb

nbconvert's HTML loads MathJax from a CDN, so without a network every formula shows as raw LaTeX.
``make mathjax`` installs MathJax 2 (the version nbconvert's template configures) and require.js
from npm into ``build/web``; this script points each page at them with paths relative to the
output folder, so ``build/`` can be copied or zipped as a whole.

Each lecture is executed in its own fresh kernel, one line of progress each, and checked as the
tests check it (``helpers.lecture_checks.problems``): no cell wrote to stderr, every verdict its
markdown announces was printed and, on the offline data, no verdict compares accuracies above
the ceiling. The script exits 1 when a lecture fails a check, after rendering all of them (the
page shows what went wrong; the problems are listed under its progress line).
"""

import argparse
import os
import sys
import time
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


def render(notebooks, output_dir: Path, execute_cells: bool = True, timeout: int = 900) -> int:
    """Execute (optionally) and render each notebook; print one line each; return the failures.

    The executed notebook is written next to its HTML page, so a reader can open it in Jupyter.
    """
    import nbformat

    output_dir.mkdir(parents=True, exist_ok=True)
    html = exporter(output_dir)
    failures = 0
    for i, path in enumerate(notebooks, 1):
        print(f"[{i}/{len(notebooks)}] {path.name} ...", end=" ", flush=True)
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        problems = []
        if execute_cells:
            error = execute(nb, path, timeout)
            problems = [f"stopped: {error}"] if error else check(nb)
            nbformat.write(nb, output_dir / path.name)
        body, _ = html.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        (output_dir / f"{path.stem}.html").write_text(body, encoding="utf-8")
        failures += bool(problems)
        print(
            f"{time.perf_counter() - start:.0f} s, {'PROBLEMS' if problems else 'ok'}", flush=True
        )
        for problem in problems:
            print("    - " + problem.replace("\n", "\n      "))
    return failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: lectures/*.ipynb")
    parser.add_argument("--output-dir", type=Path, default=ROOT / "build" / "lectures")
    parser.add_argument("--no-execute", dest="execute", action="store_false")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "lectures").glob("*.ipynb"))
    failures = render(notebooks, args.output_dir, execute_cells=args.execute, timeout=args.timeout)
    print(f"Rendered {len(notebooks)} notebook(s) to {args.output_dir}; {failures} with problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
