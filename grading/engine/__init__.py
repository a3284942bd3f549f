"""``make autograde``: grading a class, not a notebook.

- ``jobs``: one ``nbgrader autograde --student`` job per submission, run side by side locally or on
  a Dask cluster; the faults a run found, the grading log.
- ``readable``: submitted files nbgrader cannot read, named with the reason; the student is told
  what to resubmit.
- ``autograde``: the command line (``python -m grading.engine.autograde``).
- ``backup``: a gradebook backup before every run, and ``make restore``.
"""
