"""Execute every lecture notebook in one run profile; print seconds and peak memory per notebook.

    python benchmarks/lectures.py --mode fast             # what CI runs (COURSE_FAST=1)
    python benchmarks/lectures.py --mode full             # a student's run
    python benchmarks/lectures.py --mode full --dataset digits_tiled   # full size, offline
    python benchmarks/lectures.py --slowest 5 lectures/02_*.ipynb     # where the time goes

Each notebook runs in a fresh worker process, so the peak resident memory reported is that of the
worker's largest descendant: the Jupyter kernel that ran the notebook. A notebook that raises, or
that ``helpers.lecture_checks.problems`` finds fault with (stderr, a verdict its markdown
announces but never printed, and with ``--dataset digits_distorted`` accuracies compared above
the ceiling), counts as an ERROR. Budgets (STYLE_GUIDE.md): fast at most 90 s, full at most
300 s per notebook on a 2-core machine.
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
from helpers.lecture_checks import problems, stream_text  # noqa: E402
from helpers.verdicts import held_out_accuracies  # noqa: E402

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
    if not error:
        error = "\n".join(problems(nb, dataset=os.environ.get("COURSE_DATASET")))
    stdout = "".join(stream_text(c.get("outputs"), "stdout") for c in nb.cells)
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


def parser() -> argparse.ArgumentParser:
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
    return parser


def worker_environment(mode: str, dataset: str | None) -> dict:
    """The environment each worker (and so its kernel) runs in: the profile, the data, quiet TF."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TF_ENABLE_ONEDNN_OPTS="0")
    env.pop("NBGRADER_EXECUTION", None)
    env["COURSE_FAST"] = "1" if mode == "fast" else "0"
    if dataset:
        env["COURSE_DATASET"] = dataset
    return env


def run_in_worker(notebook: Path, env: dict, timeout: int) -> dict:
    """``run_one`` in a fresh process, so its peak memory is this notebook's alone."""
    proc = subprocess.run(
        [sys.executable, __file__, "--one", str(notebook.resolve()), "--timeout", str(timeout)],
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        return {"seconds": float("nan"), "peak_mib": 0, "error": proc.stderr.strip()[-200:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def print_table(rows) -> None:
    """One markdown row per notebook (name, result, status), the errors under their rows."""
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
            print("    " + result["error"].replace("\n", "\n    "))
    total = sum(r["seconds"] for _, r, _ in rows)
    failed = sum(status != "ok" for _, _, status in rows)
    summary = f"{failed} failed" if failed else ""
    print(f"| {'total':<{width}} | {total:7.1f} | {'':8} | {'':7} | {summary} |")
    print("top acc: the highest held-out accuracy compared in a verdict (a ceiling check)")


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.timeout)))
        return 0
    notebooks = args.notebooks or sorted((ROOT / "lectures").glob("*.ipynb"))
    if not notebooks:
        parser().error("no notebooks found")
    env = worker_environment(args.mode, args.dataset)
    budget = BUDGET_SECONDS[args.mode]
    print(
        f"mode={args.mode} dataset={env.get('COURSE_DATASET', 'fashion_mnist (default)')} "
        f"budget={budget}s per notebook, {os.cpu_count()} cores"
    )
    rows = []
    for i, nb in enumerate(notebooks, 1):
        print(f"[{i}/{len(notebooks)}] {nb.name} ...", end=" ", flush=True)
        result = run_in_worker(nb, env, args.timeout)
        over = result["seconds"] > budget
        status = "ERROR" if result["error"] else ("OVER BUDGET" if over else "ok")
        print(f"{result['seconds']:.1f} s, {status}", flush=True)
        if args.slowest:
            slow = sorted(result.get("cells", []), key=lambda c: -c[1])[: args.slowest]
            print("    slowest cells: " + ", ".join(f"[{i}] {t:.1f} s" for i, t in slow))
        rows.append((nb.name, result, status))
    print_table(rows)
    return 1 if any(status != "ok" for _, _, status in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
