"""nbgrader configuration for the course: solutions/ is the source, assignments/ the release.

Instructor notebooks (with solutions and hidden tests) live in ``solutions/<assignment>/``;
``nbgrader generate_assignment`` writes the student versions to ``assignments/<assignment>/``.
``submitted/``, ``autograded/``, ``feedback/`` and ``gradebook.db`` stay local (git ignores them).
"""

import os

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = COURSE_ROOT
c.CourseDirectory.course_id = "training-deep-nets"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"

# The default exchange (/usr/local/share/nbgrader/exchange) is not writable for most users.
c.Exchange.root = os.path.join(COURSE_ROOT, ".exchange")
# nbgrader only uses an exchange that exists ("Unwritable directory" otherwise); git ignores it.
os.makedirs(c.Exchange.root, exist_ok=True)
