"""A copy of the course for students: what they use, with a Makefile and a README written for them.

    python -m grading.classroom.bundle                    # build/student-bundle/ and its .zip
    python -m grading.classroom.bundle --out /tmp/bundle  # another folder, the zip next to it

The bundle holds the paths of ``STUDENT_FILES`` that git tracks (so local grading data such as
``submitted/`` or ``gradebook.db`` never leaks), copied as they are in the working tree: the
lectures, the released assignments, ``helpers``, the students' guide, the files that set up
the course environment and validate an assignment, and the tests that check a student's copy
works (``tests/helpers``, ``tests/environment``). Everything else stays out: solutions and
hidden tests, the grading tools, the instructors' and developers' guides, tests and
benchmarks. Four files are written for students instead of copied:

- ``Makefile`` and ``README.md`` from ``grading/classroom/student/``: ``make setup`` installs
  only the course's dependencies (no extras), ``make test`` adds pytest and runs the bundle's
  own tests, and nothing comes from apt or npm;
- ``nbgrader_config.py``: ``tools/environment/nbgrader_config.py`` (whole lines in
  ``nbgrader validate``, and no "No nbgrader_config.py file found");
- ``environment.yml``: the repository's, without the instructors' and developers' packages.

As a last check, no notebook in the bundle may contain nbgrader's solution or hidden-test
delimiters.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from grading.coursedir import ROOT

# Paths (a folder ends with "/") of the student's copy, as git tracks them.
STUDENT_FILES = (
    ".gitignore",
    "pyproject.toml",
    "conftest.py",
    "jupyter_server_config.py",
    "lectures/",
    "assignments/",
    "helpers/",
    "docs/students.md",
    "docs/img/jupyterlab.png",
    "tools/environment/",
    "tools/setup_environment.py",
    "tools/validate_assignment.py",
    "tests/__init__.py",
    "tests/helpers/",
    "tests/environment/",
    "benchmarks/power.py",  # tests/helpers/test_statistics.py runs it
)
# Inside those folders, but the repository's own: nbval's hook for its runs of the lectures.
LEFT_OUT = ("lectures/conftest.py",)
TEMPLATES = Path(__file__).resolve().parent / "student"
# Extras of pyproject.toml a student installs; the others stay out of the bundle's environment.yml.
STUDENT_EXTRAS = ("test",)
ENVIRONMENT_HEADER = """\
# The course environment with conda instead of `make setup` (the same packages):
#   conda env create -f environment.yml && conda activate training-deep-nets
#   python tools/setup_environment.py   # what `make setup` adds: quiet TensorFlow, whole lines
"""
DELIMITERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def _is_student_file(path: str) -> bool:
    return path not in LEFT_OUT and any(
        path == p or (p.endswith("/") and path.startswith(p)) for p in STUDENT_FILES
    )


def student_files(root: Path = ROOT) -> list[str]:
    """Paths (relative to ``root``) of ``STUDENT_FILES`` that git tracks."""
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise ValueError(f"root must be a git checkout of the course: {root} ({error})") from None
    paths = [p for p in listing.split("\0") if p]
    return sorted(p for p in paths if _is_student_file(p) and (root / p).is_file())


def student_environment(root: Path = ROOT) -> str:
    """The repository's ``environment.yml`` with only the packages a student installs: the
    dependencies and the ``STUDENT_EXTRAS`` (its own comments replaced by the students')."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    others = {r for name, reqs in extras.items() if name not in STUDENT_EXTRAS for r in reqs}
    lines = (root / "environment.yml").read_text(encoding="utf-8").splitlines()
    body = [line for line in lines if not line.startswith("#")]
    kept = [line for line in body if re.sub(r"^\s*- ", "", line).strip() not in others]
    return ENVIRONMENT_HEADER + "\n".join(kept) + "\n"


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
    shutil.copy2(TEMPLATES / "Makefile", out / "Makefile")
    shutil.copy2(TEMPLATES / "README.md", out / "README.md")
    shutil.copy2(root / "tools" / "environment" / "nbgrader_config.py", out / "nbgrader_config.py")
    (out / "environment.yml").write_text(student_environment(root), encoding="utf-8")
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
    print(f"Student bundle: {out} ({n_files} files)")
    if not args.no_zip:
        print(f"Zip: {out}.zip")
    return 0


if __name__ == "__main__":
    sys.exit(main())
