"""Execute every lecture notebook in one run profile; print seconds and peak memory per notebook.

    python benchmarks/lectures.py --mode fast             # what CI runs (COURSE_FAST=1)
    python benchmarks/lectures.py --mode full             # a student's run
    python benchmarks/lectures.py --mode full --dataset digits_tiled   # full size, offline
    python benchmarks/lectures.py --slowest 5 lectures/02_*.ipynb     # where the time goes

Each notebook runs in a fresh worker process, so the peak resident memory reported is that of the
worker's largest descendant: the Jupyter kernel that ran the notebook. A notebook that raises, or
does not print every verdict its markdown announces (``helpers.verdicts``), counts as an ERROR;
so does, on the offline ``digits_distorted``, a verdict comparing accuracies above ``CEILING``.
Budgets (issue 3): fast at most 90 s, full at most 300 s per notebook on a 2-core machine.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from helpers.verdicts import (  # noqa: E402
    CEILING,
    above_ceiling,
    held_out_accuracies,
    missing_verdicts,
    stream_text,
)

BUDGET_SECONDS = {"fast": 90, "full": 300}
MODES = tuple(BUDGET_SECONDS)


def run_one(path: Path, timeout: int) -> dict:
    """Execute one notebook in this process's kernel child; return seconds and peak RSS (MiB)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    error = ""
    try:
        client.execute()
    except CellExecutionError as exc:
        error = str(exc).strip().splitlines()[-1][:200]
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    stdout = "".join(stream_text(c.get("outputs"), "stdout") for c in nb.cells)
    missing = missing_verdicts(markdown, stdout)
    if not error and missing:
        error = f"verdicts not printed: {missing}"
    too_easy = above_ceiling(stdout)
    if not error and too_easy and os.environ.get("COURSE_DATASET") == "digits_distorted":
        error = f"accuracies above {CEILING:.1%} in verdicts: {too_easy}"
    return {
        "top_acc": max(held_out_accuracies(stdout), default=float("nan")),
        "seconds": round(seconds, 1),
        "peak_mib": round(peak_kib / 1024),
        "error": error,
        "cells": _cell_seconds(nb),
    }


def _cell_seconds(nb) -> list:
    """(index, seconds) of every executed code cell, from the timing nbclient records."""
    from datetime import datetime

    timed = []
    for i, cell in enumerate(nb.cells):
        execution = cell.get("metadata", {}).get("execution", {})
        start, end = execution.get("iopub.execute_input"), execution.get("shell.execute_reply")
        if start and end:
            span = datetime.fromisoformat(end[:26]) - datetime.fromisoformat(start[:26])
            timed.append((i, round(span.total_seconds(), 2)))
    return timed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=MODES, default="fast")
    parser.add_argument(
        "--dataset", default=None, help="COURSE_DATASET for the run (default: unset)"
    )
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    parser.add_argument(
        "--slowest", type=int, default=0, help="also list each notebook's N slowest cells"
    )
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # worker mode
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: lectures/*.ipynb")
    args = parser.parse_args(argv)

    if args.one:
        print(json.dumps(run_one(args.one, args.timeout)))
        return 0

    notebooks = args.notebooks or sorted((ROOT / "lectures").glob("*.ipynb"))
    if not notebooks:
        parser.error("no notebooks found")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TF_ENABLE_ONEDNN_OPTS="0")
    env.pop("NBGRADER_EXECUTION", None)
    env["COURSE_FAST"] = "1" if args.mode == "fast" else "0"
    if args.dataset:
        env["COURSE_DATASET"] = args.dataset
    budget = BUDGET_SECONDS[args.mode]
    print(
        f"mode={args.mode} dataset={env.get('COURSE_DATASET', 'fashion_mnist (default)')} "
        f"budget={budget}s per notebook, {os.cpu_count()} cores"
    )
    rows, failed = [], 0
    for i, nb in enumerate(notebooks, 1):
        print(f"[{i}/{len(notebooks)}] {nb.name} ...", end=" ", flush=True)
        proc = subprocess.run(
            [sys.executable, __file__, "--one", str(nb.resolve()), "--timeout", str(args.timeout)],
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            result = {"seconds": float("nan"), "peak_mib": 0, "error": proc.stderr.strip()[-200:]}
        else:
            result = json.loads(proc.stdout.strip().splitlines()[-1])
        over = result["seconds"] > budget
        status = "ERROR" if result["error"] else ("OVER BUDGET" if over else "ok")
        failed += status != "ok"
        print(f"{result['seconds']:.1f} s, {status}", flush=True)
        if args.slowest:
            slow = sorted(result.get("cells", []), key=lambda c: -c[1])[: args.slowest]
            print("    slowest cells: " + ", ".join(f"[{i}] {t:.1f} s" for i, t in slow))
        rows.append((nb.name, result, status))

    width = max(len(name) for name, _, _ in rows)
    print()
    print(f"| {'notebook':<{width}} | seconds | peak MiB | top acc | status |")
    print(f"| {'-' * width} | ------: | -------: | ------: | ------ |")
    for name, result, status in rows:
        top = result.get("top_acc", float("nan"))
        print(
            f"| {name:<{width}} | {result['seconds']:7.1f} | {result['peak_mib']:8d} "
            f"| {top:7.3f} | {status} |"
        )
        if result["error"]:
            print(f"    {result['error']}")
    total = sum(r["seconds"] for _, r, _ in rows)
    summary = f"{failed} failed" if failed else ""
    print(f"| {'total':<{width}} | {total:7.1f} | {'':8} | {'':7} | {summary} |")
    print("top acc: the highest held-out accuracy compared in a verdict (a ceiling check)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
