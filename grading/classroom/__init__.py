"""The term around grading, from ``classroom.toml`` to the LMS and back.

- ``settings``: ``classroom.toml`` (due dates, weights, late policy, LMS columns), due dates and
  the roster into the gradebook.
- ``names``: assignment and student names on the command line, checked before anything runs.
- ``lms``: an LMS's "download all submissions" zip into ``submitted/``, with ``archive`` (the
  zip checked whole first) and ``staging`` (the results swapped in all at once, or not at all).
- ``standing``: one submission's score after the late penalty, and what is still to grade.
- ``export``: grades for Canvas and Moodle (and the instructor's totals), feedback zips.
- ``report``: how the class did, on one page, with ``mistakes`` (the named mistakes per graded
  function) and ``figures``.
- ``bundle``: the course for students, without the instructor's material.
"""
