"""Per-cell time limits while nbgrader executes a notebook (``Execute.timeout_func``).

A student's infinite loop must not stall grading, so every cell a student can change, and every
test cell that calls a student's code, gets ``STUDENT_CELL_TIMEOUT`` seconds; nbgrader then
interrupts the kernel, records the error and goes on with the next cell. The instructor's own
read-only code cells (the setup cell that imports TensorFlow, an experiment at the end) get
``INSTRUCTOR_CELL_TIMEOUT`` seconds, so that a busy machine cannot fail a whole notebook at its
imports.
"""

STUDENT_CELL_TIMEOUT = 30
INSTRUCTOR_CELL_TIMEOUT = 120


def cell_timeout(cell) -> int:
    """Seconds ``cell`` may run: read-only instructor code gets longer than everything else."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    instructor_code = meta.get("locked") and not meta.get("grade") and not meta.get("solution")
    return INSTRUCTOR_CELL_TIMEOUT if instructor_code else STUDENT_CELL_TIMEOUT
