"""nbgrader for a student on the course's JupyterHub: the course id and the shared exchange.

``hub/jupyterhub_config.py`` puts this folder on every student's ``JUPYTER_CONFIG_PATH``; the
Assignment List then fetches from and submits to ``NBGRADER_EXCHANGE_ROOT``.
"""

import os

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.course_id = "training-deep-nets"
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE_ROOT", "/srv/nbgrader/exchange")
