"""Instructor tooling for grading the course's assignments with nbgrader.

Not part of the students' ``helpers`` package and not shipped in the student bundle (see
``grading.bundle``). ``nbgrader_config.py`` puts the course root on ``sys.path`` so that nbgrader
can load the pieces below by name:

- ``grading.feedback.HideHiddenTests``: a feedback preprocessor that shows which hidden test
  failed and its message, never the hidden test's code (nbgrader's default feedback does, see
  upstream issue #917).
- ``grading.execution.SandboxedExecute`` (with ``grading.sandbox`` and ``grading.cgroups``):
  every submission's kernel in a bubblewrap sandbox with memory, process, time and output caps.
- ``grading.sanitize``, ``grading.stderr``, ``grading.backup``: pasted or deleted cells,
  warnings that do not cost points, gradebook backups before autograding.
- ``grading.engine`` and ``grading.autograde``: ``make autograde``, parallel or on Dask.
- ``grading.course``: a throw-away course directory and nbgrader runs, for tests and benchmarks.
- ``grading.bundle``: a copy of the course for students, without ``solutions/``.
"""
