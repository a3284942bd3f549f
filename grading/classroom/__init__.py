"""The term around grading, from ``classroom.toml`` to the LMS and back.

- ``settings``: ``classroom.toml`` (due dates, weights, late policy, LMS columns), due dates and
  the roster into the gradebook.
- ``lms``: an LMS's "download all submissions" zip into ``submitted/``.
- ``export``: grades and feedback back to the LMS.
- ``report``: how the class did, on one page.
- ``bundle``: the course for students, without the instructor's material.
"""
