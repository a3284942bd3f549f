"""Render lectures to HTML that reads well offline: formulas typeset by a local MathJax.

    python tools/render_lectures.py               # execute every lecture into build/lectures
    python tools/render_lectures.py --no-execute --output-dir /tmp/x lectures/00_*.ipynb

nbconvert's HTML loads MathJax from a CDN, so without a network every formula shows as raw LaTeX.
``make mathjax`` installs MathJax 2 (the version nbconvert's template configures) and require.js
from npm into ``build/web``; this script points each page at them with paths relative to the
output folder, so ``build/`` can be copied or zipped as a whole.
"""

import argparse
import os
import subprocess
import sys
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


def render(notebooks, output_dir: Path, execute: bool = True, timeout: int = 900) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "nbconvert",
        "--to",
        "html",
        f"--HTMLExporter.mathjax_url={local_url(MATHJAX_JS, output_dir)}?{MATHJAX_CONFIG}",
        f"--HTMLExporter.require_js_url={local_url(REQUIRE_JS, output_dir)}",
        "--output-dir",
        str(output_dir),
    ]
    if execute:
        command += ["--execute", f"--ExecutePreprocessor.timeout={timeout}"]
    env = dict(os.environ, **QUIET_TENSORFLOW)
    subprocess.run([*command, *map(str, notebooks)], check=True, env=env)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: lectures/*.ipynb")
    parser.add_argument("--output-dir", type=Path, default=ROOT / "build" / "lectures")
    parser.add_argument("--no-execute", dest="execute", action="store_false")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "lectures").glob("*.ipynb"))
    render(notebooks, args.output_dir, execute=args.execute, timeout=args.timeout)
    print(f"Rendered {len(notebooks)} notebook(s) to {args.output_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
