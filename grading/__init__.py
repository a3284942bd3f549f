"""The instructor's tooling for grading the course's assignments with nbgrader.

Not part of the students' ``helpers`` package and not in the student bundle. ``nbgrader_config.py``
puts the course root on ``sys.path``, so nbgrader, formgrader and ``make`` load the same pieces.
One room per role:

- ``grading.coursedir``: the course root, course id, assignments and gradebook URL, once.
- ``grading.plugins``: what nbgrader loads from ``nbgrader_config.py`` while it grades: the
  sandboxed, capped execution of a submission, repaired cell metadata, warnings that cost no
  points, feedback without hidden tests, the late penalty.
- ``grading.engine``: ``make autograde``: one sandboxed nbgrader job per submission, many at a
  time, locally or on a Dask cluster, with a gradebook backup first.
- ``grading.classroom``: the term around grading: ``classroom.toml``, the roster, LMS zips in,
  grades and feedback out, the class report, the student bundle.
- ``grading.cli``: how the command-line entry points end on bad input.
"""
