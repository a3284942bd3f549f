"""Grading throughput: one worker against two, on the same submissions, in one run.

    python benchmarks/autograde_parallel.py                         # 40 submissions of a2, 1 vs 2
    python benchmarks/autograde_parallel.py --submissions 60 --assignment a1_unstable_gradients

A throw-away course (``tests.support.course``) gets ``--submissions`` submissions of one
assignment, a realistic mix: the solution, the blank release, and the solution with one function
broken, in turn. The course's grading engine (``python -m grading.engine.autograde``, what ``make
autograde`` runs: sandboxed kernels, one nbgrader job per submission) grades all of them once per
worker count, with ``--force`` after the first. Reported per worker count: wall seconds,
submissions per hour, and the speedup over the first; every run must give every student exactly the
scores of the first (checked, cell by cell, from the gradebook).

Then what one submission costs, end to end, measured piece by piece: nbgrader's start-up (a fork
of the engine's preloaded nbgrader, ``grading.engine.launcher``), the sandbox (bubblewrap)
start-up, a sandboxed kernel until it answers, and the rest (the notebook's cells in the
student's and the trusted kernel, nbgrader's pre- and post-processing), from the first run's
wall seconds times its workers, per submission. TensorFlow's import is timed too, but not
charged to each submission: the trusted test kernel pays it once per worker, and a student's
kernel only when the student's own cells use Keras (``grading.plugins.trusted.lazy_imports``).
The machine's load average is printed before and after: numbers taken on a busy machine are
slower and the speedup is smaller. Results also go to ``build/bench-autograde-parallel.json``.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.course import (  # noqa: E402
    make_course,
    nbgrader_env,
    read_scores,
    run_engine,
    run_nbgrader,
    submit,
    with_broken_answer,
)


def build_course(folder: Path, assignment: str, count: int) -> Path:
    root = make_course(folder)
    done = run_nbgrader(root, "generate_assignment", assignment)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    solution_path = root / "solutions" / assignment / f"{assignment}.ipynb"
    solution = json.loads(solution_path.read_text())
    kinds = (
        solution_path,
        root / "assignments" / assignment / f"{assignment}.ipynb",
        with_broken_answer(solution),
    )
    for number in range(count):
        submit(root, f"student-{number:03d}", assignment, kinds[number % len(kinds)])
    return root


def grade(root: Path, workers: int, force: bool) -> tuple[float, dict]:
    args = ["--jobs", str(workers), "--no-backup"] + (["--force"] if force else [])
    start = time.monotonic()
    done = run_engine(root, *args, timeout=24 * 3600)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        raise RuntimeError(f"the engine failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    scores = {
        student: (s.code_score, sorted((g, v[0]) for g, v in s.grades.items()))
        for (_, student), s in read_scores(root).items()
    }
    return seconds, scores


def _plain(command: list[str]) -> None:
    subprocess.run(command, capture_output=True, check=True, env=nbgrader_env())


def _forked(command: list[str]) -> None:
    """``command`` forked from the engine's preloaded nbgrader (``grading.engine.launcher``)."""
    from grading.engine.launcher import run

    done = run(command, cwd=str(ROOT), env=nbgrader_env(), timeout=300)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])


def seconds_of(command: list[str], repeat: int = 3, runner=_plain) -> float:
    """The fastest of ``repeat`` runs of ``command`` by ``runner``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.monotonic()
        runner(command)
        best = min(best, time.monotonic() - start)
    return best


def forked_seconds(command: list[str]) -> float:
    """``seconds_of`` a command the engine forks; the server's own start, once per run, is left
    out (a first run starts it)."""
    _forked(command)
    return seconds_of(command, runner=_forked)


def sandbox_seconds() -> float:
    from grading.plugins.sandbox import SandboxSpec, bwrap_command, python_paths

    with tempfile.TemporaryDirectory() as run_dir:
        spec = SandboxSpec(
            run_dir=run_dir,
            read_only=python_paths(sys.executable),
            drop_privileges=os.geteuid() == 0,
        )
        return seconds_of(bwrap_command(["/bin/true"], spec))


def kernel_seconds() -> tuple[float, float]:
    """Seconds until a sandboxed kernel answers, then seconds to import TensorFlow in it."""
    from grading.plugins.sandbox import SandboxedKernelManager

    async def measure():
        km = SandboxedKernelManager(kernel_name="python3")
        start = time.monotonic()
        await km.start_kernel()
        client = km.client()
        client.start_channels()
        await client.wait_for_ready(timeout=120)
        ready = time.monotonic() - start
        start = time.monotonic()
        reply = await client.execute_interactive("import tensorflow", timeout=300)
        imported = time.monotonic() - start
        client.stop_channels()
        await km.shutdown_kernel(now=True)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"TensorFlow did not import in the sandbox: {reply['content']}")
        return ready, imported

    return asyncio.run(measure())


def per_submission_cost(serial_mean: float) -> dict:
    """Where one submission's seconds go, printed and returned: the start-ups measured on their
    own, the rest charged to the cells and nbgrader's own work."""
    start_up = forked_seconds([sys.executable, "-m", "nbgrader", "--version"])
    sandbox = sandbox_seconds()
    ready, tf_import = kernel_seconds()
    cost = {
        "nbgrader start-up": start_up,
        "sandbox start-up (bwrap)": sandbox,
        "sandboxed kernel until ready": ready,
    }
    cost["cells and nbgrader's own work (the rest)"] = serial_mean - sum(cost.values())
    print(
        "\none submission, end to end (first run: wall x workers / submissions): "
        f"{serial_mean:.1f} s"
    )
    for name, value in cost.items():
        print(f"  {name:<42} {value:6.2f} s")
    print(f"  {'TensorFlow import (once per worker)':<42} {tf_import:6.2f} s")
    cost["TensorFlow import (once per worker)"] = tf_import
    return cost


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="a2_batch_normalization")
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    if args.submissions < 1 or min(args.workers) < 1:
        parser.error("--submissions and --workers must be 1 or more")
    load_before = os.getloadavg()
    print(
        f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}"
        f" on {os.cpu_count()} cores"
    )
    rows, first = [], None
    with tempfile.TemporaryDirectory() as tmp:
        root = build_course(Path(tmp) / "course", args.assignment, args.submissions)
        for workers in args.workers:
            seconds, scores = grade(root, workers, force=first is not None)
            if first is None:
                first = (seconds, scores)
            same = scores == first[1]
            rows.append(
                {
                    "workers": workers,
                    "seconds": round(seconds, 1),
                    "per_hour": round(3600 * args.submissions / seconds),
                    "speedup": round(first[0] / seconds, 2),
                    "same_scores": same,
                }
            )
            print(
                f"{workers} worker(s): {seconds:7.1f} s, {rows[-1]['per_hour']:5d} "
                f"submissions/hour, speedup {rows[-1]['speedup']:.2f}x, "
                f"scores identical to the first run: {same}"
            )
            if not same:
                print("ERROR: scores differ between runs", file=sys.stderr)
                return 1
    serial_mean = first[0] * args.workers[0] / args.submissions
    cost = per_submission_cost(serial_mean)
    load_after = os.getloadavg()
    print(f"load average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    out = ROOT / "build" / "bench-autograde-parallel.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "assignment": args.assignment,
                "submissions": args.submissions,
                "runs": rows,
                "per_submission": cost,
                "serial_mean": serial_mean,
                "load_before": load_before,
                "load_after": load_after,
            },
            indent=1,
        )
    )
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
