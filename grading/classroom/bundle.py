"""A copy of the course for students: everything git tracks except the instructor's material.

    python -m grading.classroom.bundle                    # build/student-bundle/ and its .zip
    python -m grading.classroom.bundle --out /tmp/bundle  # another folder, the zip next to it

Left out: ``solutions/`` (solutions and hidden tests), ``grading/``, ``nbgrader_config.py``,
``classroom.toml`` and ``hub/`` (instructor tooling; nbgrader's Validate works without them), and
the tests and benchmarks that need ``solutions/`` or formgrader. The README loses its
Instructors and Contributing sections, and a ``.student-bundle`` marker tells the repository
test that it checks a student's copy, so the bundle's own ``make test`` passes. Files are copied
as they are in the working tree, but only the paths git tracks, so local grading data
(``submitted/``, ``autograded/``, ``gradebook.db``, ...) never leaks. As a last check, no
notebook in the bundle may contain nbgrader's solution or hidden-test delimiters.
"""

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

from grading.coursedir import ROOT

INSTRUCTOR_ONLY = (
    "solutions/",
    "grading/",
    "nbgrader_config.py",
    "classroom.toml",
    "hub/",
    "docs/instructors.md",
    "docs/deployment.md",
    "docs/img/hub-formgrader.png",
    "tests/grading/",  # every grading test needs solutions/ or grading/
    "tests/assignments/",  # read solutions/ and grade through grading/
    "tests/support/",  # a throw-away course with solutions/; correct solutions written differently
    "tests/hub/",
    "tests/lab/",  # opens formgrader on a course with solutions/
    "tests/fixtures/grading/",
    "benchmarks/autograde",
)
# Written into the bundle: tests that check instructor material (tests/test_repository.py) see
# it and check the student's copy instead.
MARKER = ".student-bundle"
# README sections for instructors and contributors only; the bundle's README leaves them out.
README_DROP = ("## Instructors", "## Contributing")
DELIMITERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def student_files(root: Path = ROOT) -> list[str]:
    """Paths (relative to ``root``) git tracks, minus the instructor-only ones."""
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise ValueError(f"root must be a git checkout of the course: {root} ({error})") from None
    paths = [p for p in listing.split("\0") if p]
    return sorted(
        p
        for p in paths
        if not any(p == x or p.startswith(x) for x in INSTRUCTOR_ONLY) and (root / p).is_file()
    )


def student_readme(text: str) -> str:
    """The course README for students: without the instructors' and contributors' sections and
    without the lines that describe files the bundle does not have."""
    kept, dropping = [], False
    for line in text.split("\n"):
        if line.startswith("## "):
            dropping = line.strip() in README_DROP
        row = re.match(r"\| `([^`]+)` \|", line)  # a row of the README's table of folders
        if not dropping and not (row and row.group(1).startswith(INSTRUCTOR_ONLY)):
            kept.append(line)
    return "\n".join(kept).rstrip("\n") + "\n"


def build_bundle(out: Path, root: Path = ROOT, make_zip: bool = True) -> Path:
    """Copy the student files into ``out`` (replaced if it exists); optionally zip it."""
    out, course = Path(out).resolve(), Path(root).resolve()
    inside = course in out.parents or out == course
    if out in course.parents or (inside and course / "build" not in out.parents):
        # out is replaced: never let that be the course, a folder holding it, or part of it.
        raise ValueError(f"out must be outside the course or inside its build/ folder: {out}")
    files = student_files(root)
    if out.exists():
        shutil.rmtree(out)
    for rel in files:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target)
    (out / MARKER).write_text(
        "A copy of the course for students, made by grading/classroom/bundle.py.\n"
    )
    readme = out / "README.md"
    if readme.is_file():
        readme.write_text(student_readme(readme.read_text(encoding="utf-8")), encoding="utf-8")
    leaks = [
        str(p.relative_to(out))
        for p in out.rglob("*.ipynb")
        if any(d in p.read_text(encoding="utf-8") for d in DELIMITERS)
    ]
    if leaks:
        shutil.rmtree(out)
        raise RuntimeError(f"solution or hidden-test delimiters in {leaks}; bundle removed")
    if make_zip:
        shutil.make_archive(str(out), "zip", root_dir=out.parent, base_dir=out.name)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "student-bundle")
    parser.add_argument("--no-zip", action="store_true", help="only the folder")
    args = parser.parse_args(argv)
    out = build_bundle(args.out, make_zip=not args.no_zip)
    n_files = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"Student bundle: {out} ({n_files} files, without {', '.join(INSTRUCTOR_ONLY)})")
    if not args.no_zip:
        print(f"Zip: {out}.zip")
    return 0


if __name__ == "__main__":
    sys.exit(main())
