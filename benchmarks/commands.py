"""Wall time, CPU time and cores used of the README's commands, and whether running lectures side
by side changes a single number they print.

    python benchmarks/commands.py                        # make check, make test, make lectures
    python benchmarks/commands.py check test             # some of them
    python benchmarks/commands.py --compare-lectures     # serial vs parallel verdicts (fast mode)
    python benchmarks/commands.py --compare-lectures --full

"Cores used" is CPU seconds over wall seconds: 2.0 on this machine means both cores were busy
the whole time. Two CPU figures are given: the command's own (user + system of the command and
every descendant it waited for) and the machine's busy seconds over the run (``/proc/stat``),
which also count processes nobody waits for (the grading engine's preloaded nbgrader server and
its forks, kernels that outlive their parent) and, on a busy machine, everybody else's work.
Take the figures on a machine doing nothing else; the load average before each run is printed
beside it, so a figure taken under load says so.

``--compare-lectures`` executes the lectures twice, ``JOBS=1`` and ``JOBS=<cores>``, into two
folders under ``build/`` and compares every ``Verdict [...]`` line and every printed number of
the two runs: ``make lectures`` may run lectures side by side only if that leaves what they
teach unchanged. Exits 1 when a verdict differs.
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from itertools import zip_longest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "check": ["make", "check"],
    "test": ["make", "test"],
    "lectures": ["make", "lectures"],
}
NUMBER = re.compile(r"-?\d+\.\d+")
# A verdict on time (seconds per fit, times as slow, loss after so many seconds) measures the
# machine's load as much as the lecture's effect: it may differ between two runs, and is not
# counted as a verdict that side-by-side runs changed.
TIMING = re.compile(
    r"\d s\b| s per |seconds|times as (slow|fast)|per second|-per-second|slower|faster"
)


def measure(command: list[str], env: dict | None = None) -> dict:
    """Run ``command`` in the repository; its wall and CPU seconds and the exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    machine_before = machine_busy_seconds()
    load = os.getloadavg()[0]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    machine = machine_busy_seconds() - machine_before
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "command": " ".join(command),
        "returncode": done.returncode,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "cores_used": round(cpu / wall, 2) if wall else 0.0,
        "machine_cpu_s": round(machine, 1),
        "machine_cores_used": round(machine / wall, 2) if wall else 0.0,
        "load_before": round(load, 2),
    }


def machine_busy_seconds() -> float:
    """CPU seconds this machine's cores have spent not idle since boot (0 without /proc)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def printed_lines(notebook: Path) -> list[str]:
    """Every line the notebook's code cells printed, in order."""
    nb = json.loads(notebook.read_text())
    lines = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            lines += "".join(text).splitlines()
    return lines


VERDICT = re.compile(r"Verdict \[([^\]]+)\]")


def verdict_lines(lines: list[str]) -> dict[str, str]:
    """Each verdict's first line, by its key (a verdict wrapped over more lines is cut the same
    way in both runs only when its numbers have the same width)."""
    return {m.group(1): line for line in lines if (m := VERDICT.search(line))}


def differences(serial_dir: Path, parallel_dir: Path) -> tuple[list[str], list[str]]:
    """The verdicts (by key, timing verdicts aside) and the other lines with numbers that differ
    between two runs."""
    verdicts, numbers = [], []
    for serial in sorted(serial_dir.glob("*.ipynb")):
        parallel = parallel_dir / serial.name
        if not parallel.is_file():
            verdicts.append(f"{serial.name}: missing from the parallel run")
            continue
        ours, theirs = printed_lines(serial), printed_lines(parallel)
        a_verdicts, b_verdicts = verdict_lines(ours), verdict_lines(theirs)
        for key in sorted(set(a_verdicts) | set(b_verdicts)):
            a, b = a_verdicts.get(key, "(not printed)"), b_verdicts.get(key, "(not printed)")
            if a != b and not (TIMING.search(a) or TIMING.search(b)):
                verdicts.append(f"{serial.name}:\n  serial:   {a}\n  parallel: {b}")
        for a, b in zip_longest(ours, theirs, fillvalue=""):
            if a != b and not VERDICT.search(a) and NUMBER.search(a) and not TIMING.search(a):
                numbers.append(f"{serial.name}:\n  serial:   {a}\n  parallel: {b}")
    return verdicts, numbers


def compare_lectures(full: bool) -> int:
    """Run the lectures serially and in parallel; print and return the verdicts that differ."""
    env = {} if full else {"COURSE_FAST": "1"}
    cores = os.cpu_count() or 1
    runs = {}
    for jobs in (1, cores):
        out = ROOT / "build" / f"lectures-jobs{jobs}"
        command = [sys.executable, "tools/render_lectures.py", "--output-dir", str(out)]
        runs[jobs] = measure(command, {**env, "JOBS": str(jobs)})
        runs[jobs]["output"] = str(out)
        print(json.dumps(runs[jobs]), flush=True)
    verdicts, numbers = differences(Path(runs[1]["output"]), Path(runs[cores]["output"]))
    print(f"{len(verdicts)} verdict line(s) and {len(numbers)} other printed number(s) differ")
    for line in verdicts + numbers[:20]:
        print(line)
    return 1 if verdicts else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "commands", nargs="*", help=f"some of {', '.join(COMMANDS)} (default: all)"
    )
    parser.add_argument("--compare-lectures", action="store_true")
    parser.add_argument("--full", action="store_true", help="full profile for --compare-lectures")
    args = parser.parse_args(argv)
    unknown = [name for name in args.commands if name not in COMMANDS]
    if unknown:
        parser.error(f"unknown command(s) {unknown}; choose from {list(COMMANDS)}")
    if args.compare_lectures:
        return compare_lectures(args.full)
    print(
        f"{'command':<16}{'wall':>10}{'CPU':>10}{'cores used':>12}{'machine CPU':>13}"
        f"{'cores used':>12}{'load before':>13}"
    )
    failed = 0
    for name in args.commands or COMMANDS:
        row = measure(COMMANDS[name])
        failed += row["returncode"] != 0
        print(
            f"{row['command']:<16}{row['wall_s']:>9.0f}s{row['cpu_s']:>9.0f}s"
            f"{row['cores_used']:>12.2f}{row['machine_cpu_s']:>12.0f}s"
            f"{row['machine_cores_used']:>12.2f}{row['load_before']:>13.2f}"
            + ("" if row["returncode"] == 0 else f"  (exit {row['returncode']})"),
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
