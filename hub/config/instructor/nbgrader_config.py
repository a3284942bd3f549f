"""nbgrader for the instructor on the course's JupyterHub: the course's own configuration.

The instructor's server starts in their home, where nbgrader finds no ``nbgrader_config.py``;
this file (on the instructor's ``JUPYTER_CONFIG_PATH``, see ``hub/jupyterhub_config.py``) loads
the one of the course copy in ``COURSE_HUB_COURSE_DIR``: its root, ``solutions/`` as source,
the grading extensions of ``grading/`` and, with ``NBGRADER_EXCHANGE_ROOT`` set, the shared
exchange.
"""

import os

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

course = os.environ["COURSE_HUB_COURSE_DIR"]
load_subconfig(os.path.join(course, "nbgrader_config.py"))  # noqa: F821 - from traitlets
