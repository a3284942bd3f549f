"""JupyterHub for one course: an instructor with formgrader, students with the Assignment List.

    make hub          # on 127.0.0.1:8000, as root: unix users, exchange and course set up first

Everything a deployment changes comes from environment variables (``hub/setup_course.py`` and
the end-to-end test set them; the defaults are those of ``make hub``):

- ``COURSE_HUB_INSTRUCTOR`` / ``COURSE_HUB_STUDENTS`` (comma-separated): unix accounts, logged in
  with their unix passwords through PAM (JupyterHub's default authenticator);
- ``COURSE_HUB_COURSE_DIR``: the instructor's copy of the course (with ``solutions/`` and
  ``nbgrader_config.py``), inside the instructor's home;
- ``COURSE_HUB_EXCHANGE``: nbgrader's exchange, a directory every user can write to
  (``chmod ugo+rwx``, as nbgrader's documentation sets it up);
- ``COURSE_HUB_PORT`` (and the two ports after it for the Hub's API and the proxy's API) and
  ``COURSE_HUB_STATE`` (the Hub's database, cookie secret and logs).

Each user's server is ``jupyterhub-singleuser`` from the environment JupyterHub runs from
(``build/hub-venv``, made by ``make hub-deps`` from a Python every user may run), started as
that unix user (``LocalProcessSpawner``), with ``JUPYTER_CONFIG_PATH`` pointing at ``hub/config/
instructor`` or ``hub/config/student``: the course id and the exchange for everyone, the
course's own ``nbgrader_config.py`` (and so its grading extensions) for the instructor, and
formgrader and Create Assignment switched off for students. On cgroup v2 a user's server starts
in the cgroup ``hub/setup_course.py`` delegated to that user (``CourseSpawner``), so that the
instructor's grading can cap each kernel with a cgroup of its own.
"""

import os
import sys

from jupyterhub.spawner import LocalProcessSpawner

c = get_config()  # noqa: F821 - provided by traitlets when JupyterHub loads this file

HUB_DIR = os.path.dirname(os.path.abspath(__file__))
COURSE_ROOT = os.path.dirname(HUB_DIR)
if COURSE_ROOT not in sys.path:
    sys.path.append(COURSE_ROOT)  # the course's grading/ package

from grading.plugins.cgroups import enter_delegated  # noqa: E402

VENV_BIN = os.path.dirname(sys.executable)  # build/hub-venv/bin: the users' environment
INSTRUCTOR = os.environ.get("COURSE_HUB_INSTRUCTOR", "instructor")
STUDENTS = [s for s in os.environ.get("COURSE_HUB_STUDENTS", "student1,student2").split(",") if s]
COURSE_DIR = os.environ.get("COURSE_HUB_COURSE_DIR", f"/home/{INSTRUCTOR}/training-deep-nets")
EXCHANGE = os.environ.get("COURSE_HUB_EXCHANGE", "/srv/nbgrader/exchange")
STATE = os.environ.get("COURSE_HUB_STATE", os.path.join(COURSE_ROOT, "build", "hub"))
PORT = int(os.environ.get("COURSE_HUB_PORT", "8000"))
PROXY = os.path.join(COURSE_ROOT, "build", "hub-node", "node_modules", ".bin")

os.makedirs(STATE, exist_ok=True)

# ---------------------------------------------------------------- network: this machine only
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = PORT
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = PORT + 1
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PORT + 2}"
c.ConfigurableHTTPProxy.command = [os.path.join(PROXY, "configurable-http-proxy")]

# ---------------------------------------------------------------- state
c.JupyterHub.db_url = f"sqlite:///{os.path.join(STATE, 'jupyterhub.sqlite')}"
c.JupyterHub.cookie_secret_file = os.path.join(STATE, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(STATE, "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = os.path.join(STATE, "proxy.pid")

# ---------------------------------------------------------------- who may log in
# PAM: the unix accounts and their passwords (hub/setup_course.py creates them on a trial).
c.Authenticator.allowed_users = {INSTRUCTOR, *STUDENTS}
c.Authenticator.admin_users = {INSTRUCTOR}

# ---------------------------------------------------------------- each user's JupyterLab


class CourseSpawner(LocalProcessSpawner):
    """``LocalProcessSpawner`` that starts a server in its user's delegated cgroup, if any (v2
    lets a process into a delegated group only from someone who may write the group above, so
    root does it, just before dropping to the user; a no-op on v1 and for other users)."""

    def make_preexec_fn(self, name):
        drop_to_user = super().make_preexec_fn(name)

        def preexec():
            try:
                enter_delegated(name)
            except OSError:
                pass  # no cgroup then: grading falls back to caps without one
            drop_to_user()

        return preexec


c.JupyterHub.spawner_class = CourseSpawner
c.Spawner.cmd = [os.path.join(VENV_BIN, "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120


def _role_config(spawner) -> str:
    role = "instructor" if spawner.user.name == INSTRUCTOR else "student"
    return os.path.join(HUB_DIR, "config", role)


c.Spawner.environment = {
    # nbgrader runs `alembic` by name; kernels and nbgrader come from the course environment.
    "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
    "JUPYTER_CONFIG_PATH": _role_config,
    "COURSE_HUB_COURSE_DIR": COURSE_DIR,
    "NBGRADER_EXCHANGE_ROOT": EXCHANGE,
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "COURSE_DATASET": os.environ.get("COURSE_DATASET", ""),
    "COURSE_FAST": os.environ.get("COURSE_FAST", ""),
}
