"""Autograde one solution submission of each assignment; print seconds per assignment.

    python benchmarks/autograde.py                  # every assignment in solutions/
    python benchmarks/autograde.py a5_regularization

Everything happens in a throw-away course (``tests.support.course``): nbgrader generates the
assignments from ``solutions/``, then ``nbgrader autograde <assignment> --student solution``
runs once per assignment. The seconds are those of that whole command (nbgrader's start-up, the
kernel, TensorFlow's import and the notebook in the fast profile). Budget: 60 s per assignment on
a 2-core machine. Data: ``COURSE_DATASET`` as set, else the digits (what CI grades with).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.course import (  # noqa: E402
    available_assignments,
    make_course,
    read_scores,
    run_nbgrader,
    submit,
)

BUDGET_SECONDS = 60


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="default: every assignment in solutions/")
    args = parser.parse_args(argv)
    names = args.assignments or available_assignments()
    unknown = sorted(set(names) - set(available_assignments()))
    if unknown:
        parser.error(f"no solutions/<name>/<name>.ipynb for {unknown}")
    os.environ.setdefault("COURSE_DATASET", "digits")
    print(
        f"dataset={os.environ['COURSE_DATASET']} budget={BUDGET_SECONDS}s per assignment, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )

    with tempfile.TemporaryDirectory(prefix="autograde-bench-") as tmp:
        course = make_course(Path(tmp) / "course")
        start = time.perf_counter()
        result = run_nbgrader(course, "generate_assignment", "*", "--force")
        if result.returncode:
            print(result.stdout + result.stderr)
            return 1
        print(f"generate_assignment (all): {time.perf_counter() - start:.1f} s")

        rows, failed = [], 0
        for name in names:
            submit(course, "solution", name, course / "solutions" / name / f"{name}.ipynb")
            start = time.perf_counter()
            result = run_nbgrader(course, "autograde", name, "--student", "solution")
            seconds = time.perf_counter() - start
            score = read_scores(course).get((name, "solution"))
            points = f"{score.code_score:g}/{score.max_code_score:g}" if score else "-"
            ok = result.returncode == 0 and score and score.code_score == score.max_code_score
            within = seconds <= BUDGET_SECONDS
            failed += not (ok and within)
            rows.append((name, seconds, points, "ok" if within else "OVER BUDGET"))
            if not ok:
                print(result.stdout[-2000:] + result.stderr[-2000:])

    print(f"\n{'assignment':<26}{'seconds':>9}{'autograded':>12}  budget")
    for name, seconds, points, verdict in rows:
        print(f"{name:<26}{seconds:>9.1f}{points:>12}  {verdict}")
    print(f"load average now {os.getloadavg()[0]:.1f} (timings are inflated on a busy machine)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
