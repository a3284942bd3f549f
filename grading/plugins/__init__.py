"""What nbgrader loads from ``nbgrader_config.py`` while it grades one submission.

- ``execution.SandboxedExecute`` (with ``sandbox`` and ``caps``): every submission's kernel in a
  bubblewrap sandbox with memory, process, time and output caps; a dead kernel costs only the
  cells it did not run. The memory and process caps come from a cgroup (``cgroups``: v1, or v2
  in a subtree the grader owns) or, where none can be made, from ``fallback`` (a per-kernel
  process limit and ``watchdog``, which follows the kernel's processes and memory).
- ``trusted``: the instructor's tests in a trusted kernel, the student's functions as proxies
  whose calls return data only: grades the student's code cannot forge.
- ``sanitize``: pasted, duplicated or deleted cells are repaired before grading.
- ``stderr.StderrIsNotFailure``: a warning on stderr does not cost a test its points.
- ``feedback.HideHiddenTests``: feedback names a failed hidden test and its message, never its
  code.
- ``late``: a late penalty per started day, capped, taken from the current total whenever a
  grade changes (``DailyLatePenalty`` at autograde, ``CurrentLatePenalty`` before feedback).
- ``feedback_page``: the feedback page's summary names every test cell.
"""
