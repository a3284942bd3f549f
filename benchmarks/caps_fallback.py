"""What the caps' fallback (no cgroup: a process limit and a memory watchdog) costs per submission.

    python benchmarks/caps_fallback.py                       # 4 submissions of a2, 2 rounds
    python benchmarks/caps_fallback.py --submissions 6 --rounds 3 --assignment a5_regularization

Two measurements:

1. **End to end.** A throw-away course gets ``--submissions`` submissions, the mix of
   ``benchmarks/autograde_parallel.py`` (the solution, the blank release, a broken function).
   The course's grading engine (``python -m grading.engine.autograde``, one job at a time)
   grades all of them with the cgroup forced (``COURSE_CAPS=cgroup``), then with the fallback
   forced (``COURSE_CAPS=fallback``), ``--rounds`` times, the order swapped every round, so
   that a change in the machine's load hits both alike. Per mechanism: the seconds of every
   job (from the grading log), their mean and median, and the difference of the means with the
   per-round differences. Every run must give every student the same score, and the log must
   name the mechanism asked for.
2. **The watchdog alone.** A sandboxed Python holding ``--hold-mib`` of memory in 40 threads, as
   a kernel with TensorFlow loaded does, watched for ``--watch-seconds``: checks per second, the
   watchdog thread's CPU time per check and per minute of grading, and the time ``close`` takes.

The machine's load average is printed before and after: on a busy machine both mechanisms are
slower and the difference is noisier. Results also go to ``build/bench-caps-fallback.json``.
This needs root (the cgroup run, and the fallback's own uid per kernel) and bubblewrap.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.autograde_parallel import build_course  # noqa: E402
from grading.plugins.fallback import FallbackCaps  # noqa: E402
from grading.plugins.sandbox import (  # noqa: E402
    HOME,
    SandboxSpec,
    bwrap_command,
    kernel_env,
    python_paths,
)
from tests.support.course import read_scores, run_engine  # noqa: E402

MECHANISMS = ("cgroup", "fallback")


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def grade(root: Path, mechanism: str, force: bool) -> tuple[list[float], dict]:
    """Grade every submission once with ``mechanism``; each job's seconds and the scores."""
    log = root / "build" / "grading-log.jsonl"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    os.environ["COURSE_CAPS"] = mechanism
    try:
        args = ["--jobs", "1", "--no-backup"] + (["--force"] if force else [])
        done = run_engine(root, *args, timeout=24 * 3600)
    finally:
        del os.environ["COURSE_CAPS"]
    if done.returncode != 0:
        raise RuntimeError(f"the engine failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    records = [json.loads(line) for line in log.read_text().splitlines()[before:]]
    wrong = [r["caps"] for r in records if not r["caps"].startswith(mechanism)]
    if wrong:
        raise RuntimeError(f"asked for {mechanism}, the log says {wrong[0]!r}")
    scores = {s: v.code_score for (_, s), v in read_scores(root).items()}
    return [r["seconds"] for r in records], scores


def end_to_end(assignment: str, submissions: int, rounds: int) -> dict:
    seconds = {m: [] for m in MECHANISMS}
    differences = []
    with tempfile.TemporaryDirectory(prefix="bench-caps-") as folder:
        root = build_course(Path(folder) / "course", assignment, submissions)
        reference = None
        for number in range(rounds):
            means = {}
            order = MECHANISMS if number % 2 == 0 else MECHANISMS[::-1]  # ABBA: a load trend
            for mechanism in order:  # favours neither
                force = reference is not None
                took, scores = grade(root, mechanism, force)
                if reference is None:
                    reference = scores
                elif scores != reference:
                    raise RuntimeError(f"{mechanism} gave other scores: {scores} != {reference}")
                seconds[mechanism] += took
                means[mechanism] = statistics.mean(took)
                print(
                    f"  round {number + 1}, {mechanism:<8}: {means[mechanism]:.1f} s per "
                    f"submission (load {load()})",
                    flush=True,
                )
            differences.append(means["fallback"] - means["cgroup"])
    summary = {
        m: {
            "seconds": seconds[m],
            "mean": statistics.mean(seconds[m]),
            "median": statistics.median(seconds[m]),
        }
        for m in MECHANISMS
    }
    summary["fallback_minus_cgroup"] = {
        "mean": statistics.mean(differences),
        "per_round": differences,
        "stdev": statistics.stdev(differences) if len(differences) > 1 else None,
    }
    return summary


HOLD = """
import threading, time
block = bytearray({hold} * 2**20)
stop = threading.Event()
threads = [threading.Thread(target=stop.wait) for _ in range(40)]
[t.start() for t in threads]
print("ready", flush=True)
time.sleep(3600)
"""


def watchdog_alone(hold_mib: int, watch_seconds: float) -> dict:
    caps = FallbackCaps("bench", 4 * 2**30, 512, tmpfs=("/tmp", "/dev/shm", HOME))
    run_dir = tempfile.mkdtemp(prefix="bench-caps-")
    uid = caps.sandbox_uid or 65534
    os.chown(run_dir, uid, uid)
    spec = SandboxSpec(
        run_dir=run_dir,
        read_only=python_paths(sys.executable),
        env=kernel_env([sys.executable]),
        drop_privileges=True,
        uid=uid,
    )
    code = HOLD.format(hold=hold_mib)
    command = bwrap_command(caps.kernel_prefix() + [sys.executable, "-c", code], spec)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        caps.started(process.pid)
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("the sandboxed process did not start")
        first_checks, first_cpu = caps.watchdog.checks, caps.watchdog.cpu_seconds
        time.sleep(watch_seconds)
        checks = caps.watchdog.checks - first_checks
        cpu = caps.watchdog.cpu_seconds - first_cpu
        members = len(caps.pids())
        peak = caps.watchdog.peak_bytes
    finally:
        start = time.monotonic()
        caps.close(grace=0)
        closing = time.monotonic() - start
        if process.poll() is None:
            process.kill()
        process.wait()
        shutil.rmtree(run_dir, ignore_errors=True)
    return {
        "processes_watched": members,
        "memory_seen_mib": round(peak / 2**20),
        "checks_per_second": checks / watch_seconds,
        "cpu_ms_per_check": 1000 * cpu / max(checks, 1),
        "cpu_seconds_per_minute": 60 * cpu / watch_seconds,
        "close_seconds": closing,
        "host_processes": sum(1 for p in os.listdir("/proc") if p.isdigit()),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="a2_batch_normalization")
    parser.add_argument("--submissions", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--hold-mib", type=int, default=600)
    parser.add_argument("--watch-seconds", type=float, default=20.0)
    parser.add_argument("--skip-end-to-end", action="store_true")
    args = parser.parse_args(argv)
    if os.geteuid() != 0 or shutil.which("bwrap") is None:
        print("caps_fallback: needs root and bubblewrap (see the docstring)", file=sys.stderr)
        return 2
    results = {"load_before": load()}
    print(f"Load average before: {results['load_before']}")
    print(f"The watchdog alone, {args.watch_seconds:.0f} s on a {args.hold_mib} MiB sandbox:")
    alone = watchdog_alone(args.hold_mib, args.watch_seconds)
    results["watchdog"] = alone
    print(
        f"  {alone['processes_watched']} processes, {alone['memory_seen_mib']} MiB seen; "
        f"{alone['checks_per_second']:.1f} checks/s at {alone['cpu_ms_per_check']:.2f} ms CPU "
        f"each = {alone['cpu_seconds_per_minute']:.2f} s CPU per minute of grading "
        f"({alone['host_processes']} processes on the host); close {alone['close_seconds']:.2f} s"
    )
    if not args.skip_end_to_end:
        print(
            f"End to end: {args.submissions} submissions of {args.assignment}, one at a time, "
            f"{args.rounds} rounds, cgroup and fallback in turn:"
        )
        results["end_to_end"] = end_to_end(args.assignment, args.submissions, args.rounds)
        e2e = results["end_to_end"]
        diff = e2e["fallback_minus_cgroup"]
        spread = f" (per round: {', '.join(f'{d:+.1f}' for d in diff['per_round'])})"
        print(
            f"  cgroup   {e2e['cgroup']['mean']:.1f} s mean, {e2e['cgroup']['median']:.1f} s "
            f"median per submission\n"
            f"  fallback {e2e['fallback']['mean']:.1f} s mean, "
            f"{e2e['fallback']['median']:.1f} s median per submission\n"
            f"  the fallback adds {diff['mean']:+.1f} s per submission{spread}"
        )
    results["load_after"] = load()
    print(f"Load average after: {results['load_after']}")
    out = ROOT / "build" / "bench-caps-fallback.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"Written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
