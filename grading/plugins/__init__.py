"""What nbgrader loads from ``nbgrader_config.py`` while it grades one submission.

- ``execution.SandboxedExecute`` (with ``sandbox`` and ``cgroups``): every submission's kernel in a
  bubblewrap sandbox with memory, process, time and output caps; a dead kernel costs only the
  cells it did not run.
- ``trusted``: the instructor's tests in a trusted kernel, the student's functions as proxies
  whose calls return data only: grades the student's code cannot forge.
- ``sanitize``: pasted, duplicated or deleted cells are repaired before grading.
- ``stderr.StderrIsNotFailure``: a warning on stderr does not cost a test its points.
- ``feedback.HideHiddenTests``: feedback names a failed hidden test and its message, never its
  code.
- ``late.DailyLatePenalty``: a late penalty per started day, capped.
"""
