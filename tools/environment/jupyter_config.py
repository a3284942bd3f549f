"""Every Jupyter application of the course environment: JupyterLab, nbconvert, nbgrader.

``tools/setup_environment.py`` (``make setup``) installs this file as the environment's
``etc/jupyter/jupyter_config.py``, which every Jupyter application reads before its own
configuration.

A kernel warns at every start that it "is running over TCP without encryption", a line in the
output of ``nbgrader validate``, ``jupyter nbconvert --execute`` and ``make lab``. The course's
kernel (ipykernel's ``python3``) declares CurveZMQ support, so the kernel manager gives it keys
and the kernel's traffic is encrypted instead: the warning's own advice. Without CurveZMQ in
this pyzmq, nothing changes.
"""

import zmq

c = get_config()  # noqa: F821 - provided by traitlets when Jupyter loads this file

if zmq.has("curve"):
    c.KernelManager.transport_encryption = "auto"
