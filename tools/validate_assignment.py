"""Validate one assignment as JupyterLab's Validate button does, and say in one line how it went.

    python tools/validate_assignment.py a3_optimizers   # or a3: `make check ASSIGNMENT=a3`
                                                        # (student bundle), `make validate ...`

``nbgrader validate`` runs the notebook from the top in a fresh kernel, in the fast profile,
and prints every test cell that fails with its whole error (the course environment's
``nbgrader_config.py`` keeps lines whole). nbgrader itself exits 0 even when tests fail; this
script exits 1 then, and ends with a line that says so, so ``make`` reports it too.
"""

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ROOT / "assignments"
PASSED = "Success! Your notebook passes all the tests."


def assignment_names(folder: Path = ASSIGNMENTS) -> list[str]:
    """The released assignments: folders of ``assignments/`` that hold a notebook."""
    return sorted(p.parent.name for p in folder.glob("*/*.ipynb"))


def find_notebook(assignment: str, folder: Path = ASSIGNMENTS) -> Path:
    """The notebook of ``assignment``, named in full or by its start ("a3")."""
    names = assignment_names(folder)
    matches = [n for n in names if n == assignment] or [
        n for n in names if assignment and n.startswith(assignment)
    ]
    if len(matches) != 1:
        raise ValueError(
            f"assignment must be one of {', '.join(names)} (or its start, e.g. a3), "
            f"got {assignment!r}"
        )
    notebooks = sorted((folder / matches[0]).glob("*.ipynb"))
    return notebooks[0]


def validate(notebook: Path) -> bool:
    """Run ``nbgrader validate`` on ``notebook``, echoing its output; True when every test
    passed."""
    # From the course root, where nbgrader also finds the course's own nbgrader_config.py.
    nbgrader = [sys.executable, "-m", "nbgrader", "validate", str(notebook.relative_to(ROOT))]
    passed = False
    with subprocess.Popen(
        nbgrader,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as process:
        for line in process.stdout:
            print(line, end="", flush=True)
            passed = passed or line.strip() == PASSED
    return passed and process.returncode == 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", help="e.g. a3_optimizers, or a3")
    args = parser.parse_args(argv)
    try:
        notebook = find_notebook(args.assignment)
    except ValueError as error:
        parser.error(str(error))
    print(f"Validating {notebook.relative_to(ROOT)} (as the Validate button does)...", flush=True)
    if validate(notebook):
        print(f"{notebook.parent.name}: every test in it passes (grading adds hidden ones).")
        return 0
    print(
        f"{notebook.parent.name}: not every test passes (see above). Fix the cells named there, "
        "then check again."
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
