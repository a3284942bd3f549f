"""Grades a student's code cannot forge: the instructor's tests run in a trusted kernel, the
student's code in the sandboxed one, and only data crosses between them.

- ``plan``: which kernel runs which cell, and which of the student's names the tests call.
- ``kernel``: trusted kernels (one per grading worker, Keras imported once) and the code that
  installs the agent in a student's kernel.
- ``session``: one submission's two kernels, from nbgrader's side (``execution`` drives it).
- ``runtime``: what the trusted kernel runs besides the instructor's cells.
- ``proxies``: the student's functions, classes and objects as seen from the trusted kernel.
- ``agent``: the grader's side inside the student's kernel (untrusted by construction).
- ``wire``: the frames and the data-only value format between the two, read as hostile input.
- ``keras_values``: Keras models and layers as config and weights, rebuilt with ``safe_mode``.
- ``lazy_imports``: Keras and TensorFlow load in the student's kernel only when used.
"""
