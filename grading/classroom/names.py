"""Assignment and student names given on the command line, checked before anything runs.

A typo (``make autograde ASSIGNMENT=a2_batchnorm``) used to mean "nothing to grade" and exit 0;
every instructor command now checks the names it is given against the course and stops with the
valid ones:

- assignments: those with an instructor notebook in ``solutions/`` (``make release``), or those
  released to ``assignments/`` (every later step);
- students: those in the gradebook (the roster) or with a folder in ``submitted/``.

    python -m grading.classroom.names --assignment a2_batch_normalization [--student jdoe]
"""

import argparse
import difflib
from pathlib import Path

from grading.classroom.settings import course_gradebook_url
from grading.cli import run_command
from grading.coursedir import ROOT

KINDS = ("released", "source")


def source_assignments(root: Path = ROOT) -> list[str]:
    """Assignments with an instructor notebook in ``solutions/<assignment>/``."""
    return sorted(p.parent.name for p in (Path(root) / "solutions").glob("*/*.ipynb"))


def released_assignments(root: Path = ROOT) -> list[str]:
    """Assignments released to students: a notebook in ``assignments/<assignment>/``."""
    return sorted({p.parent.name for p in (Path(root) / "assignments").glob("*/*.ipynb")})


def known_students(root: Path = ROOT) -> list[str]:
    """Students in the gradebook (the roster, and anyone graded) or with a submission folder."""
    root = Path(root)
    students = {p.name for p in (root / "submitted").glob("*") if p.is_dir()}
    url = course_gradebook_url(root)
    sqlite_file = url.removeprefix("sqlite:///").split("?")[0] if url.startswith("sqlite") else ""
    if not sqlite_file or Path(sqlite_file).is_file():  # not made here just to be read
        from nbgrader.api import Gradebook

        with Gradebook(url) as gb:
            students.update(s.id for s in gb.students)
    return sorted(students)


def _unknown(what: str, given: str, valid: list[str]) -> ValueError:
    close = difflib.get_close_matches(given, valid, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    listed = ", ".join(valid) if valid else "none yet"
    return ValueError(f"unknown {what} {given!r}.{hint} The {what}s are: {listed}")


def split_names(text: str | None) -> list[str]:
    """``"a1 a2"``, ``"a1,a2"`` or None as a list of names."""
    return [n for n in (text or "").replace(",", " ").split() if n]


def check_assignments(names, root: Path = ROOT, kind: str = "released") -> list[str]:
    """``names`` (a list or "a1,a2"), each one of the course's assignments of ``kind``
    ("released" or "source"); a ``ValueError`` listing the valid names otherwise."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    names = split_names(names) if isinstance(names, str) or names is None else list(names)
    valid = released_assignments(root) if kind == "released" else source_assignments(root)
    for name in names:
        if name not in valid:
            raise _unknown("assignment", name, valid)
    return names


def check_students(names, root: Path = ROOT) -> list[str]:
    """``names`` (a list or "a,b"), each a student the course knows; a ``ValueError`` listing
    the valid names otherwise."""
    names = split_names(names) if isinstance(names, str) or names is None else list(names)
    if names:
        valid = known_students(root)
        for name in names:
            if name not in valid:
                raise _unknown("student", name, valid)
    return names


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the course root")
    parser.add_argument("--assignment", default=None, help="names, separated by commas")
    parser.add_argument("--kind", default="released", choices=KINDS)
    parser.add_argument("--student", default=None, help="names, separated by commas")
    args = parser.parse_args(argv)
    check_assignments(args.assignment, args.root, args.kind)
    check_students(args.student, args.root)
    return 0


if __name__ == "__main__":
    run_command(main)
