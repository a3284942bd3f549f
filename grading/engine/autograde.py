"""``make autograde``: grade every new submission, sandboxed, in parallel, with a backup first.

    python -m grading.engine.autograde             # all new submissions, one job per core
    python -m grading.engine.autograde --jobs 1    # one at a time
    python -m grading.engine.autograde --assignment a1_unstable_gradients --student alice --force
    python -m grading.engine.autograde --scheduler tcp://host:8786 --db postgresql://...

Run from the course root (where ``nbgrader_config.py`` is). Prints one line per submission
(its score after any late penalty, the penalty, the points still to grade by hand) and a total;
exits 0 when every submission was graded and recorded (a student's failing tests, crashes and
timeouts are grades; a file that cannot be read at all is listed as such, and its student told
what to resubmit), 1 when nbgrader could not grade some submission, 2 for bad arguments: an
assignment or a student the course does not know is named with the valid ones. Manual grades
and comments are kept by a forced regrade (nbgrader updates only the automatic scores).
"""

import argparse
import os
import sys
import time
from pathlib import Path

from grading.classroom.names import check_assignments, check_students
from grading.engine.backup import backup, backup_dir_for
from grading.engine.jobs import add_students, default_db_url, find_jobs, run_dask, run_local


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default=None, help="only this assignment")
    parser.add_argument("--student", default=None, help="only this student")
    parser.add_argument("--force", action="store_true", help="regrade submissions already graded")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="submissions graded at once on this machine (default: cores)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        help="a Dask scheduler address (tcp://host:8786): grade on that cluster",
    )
    parser.add_argument(
        "--db",
        default=None,
        help="gradebook URL (default: sqlite gradebook.db in the course root)",
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course root")
    parser.add_argument("--no-backup", action="store_true", help="skip the gradebook backup")
    args, extra = parser.parse_known_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be 1 or more, got {args.jobs}")
    if extra and not all(a.startswith("--") and "=" in a for a in extra):
        parser.error(f"unrecognised arguments {extra}: nbgrader options go as --Class.trait=value")
    args.extra = extra
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    root = args.root.resolve()
    if not (root / "nbgrader_config.py").is_file():
        print(
            f"autograde: no nbgrader_config.py in {root}: run from the course root",
            file=sys.stderr,
        )
        return 2
    try:
        check_assignments([args.assignment] if args.assignment else [], root)
        check_students([args.student] if args.student else [], root)
    except ValueError as error:
        print(f"autograde: {error}", file=sys.stderr)
        return 2
    db_url = args.db or default_db_url(root)
    jobs = find_jobs(root, args.assignment, args.student, args.force)
    if not jobs:
        which = " ".join(
            f"{k}={v}"
            for k, v in (("assignment", args.assignment), ("student", args.student))
            if v
        )
        print(
            f"Nothing to grade{' for ' + which if which else ''}: new submissions go in "
            "submitted/<student>/<assignment>/ (FORCE=1 regrades graded ones)."
        )
        return 0
    if not args.no_backup:
        made = backup(db_url, backup_dir_for(db_url, root))
        if made:
            shown = made.relative_to(root) if made.is_relative_to(root) else made
            print(f"Gradebook backed up to {shown}")
    add_students(db_url, jobs)
    where = f"on {args.scheduler}" if args.scheduler else f"{args.jobs} at a time"
    print(f"Grading {len(jobs)} submission(s), {where}")
    start = time.monotonic()
    if args.scheduler:
        results = run_dask(root, jobs, db_url, args.scheduler, args.force, args.extra)
    else:
        results = run_local(root, jobs, db_url, args.jobs, args.force, args.extra)
    failed = [r for r in results if r.status == "failed"]
    unreadable = [r for r in results if r.status == "unreadable"]
    graded = len(results) - len(failed) - len(unreadable)
    elapsed = time.monotonic() - start
    print(
        f"Graded {graded} of {len(results)} in {elapsed:.0f} s "
        f"({3600 * len(results) / max(elapsed, 1e-9):.0f} submissions/hour)"
        + (f"; {len(unreadable)} could not be read (listed above)" if unreadable else "")
        + (f"; {len(failed)} FAILED: see above" if failed else "")
    )
    for result in unreadable:
        print(f"could not be read: {result.student} {result.assignment}: {result.error}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
