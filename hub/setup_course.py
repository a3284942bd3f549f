"""Set up a machine for the course's JupyterHub: unix users, nbgrader's exchange, the course.

    python hub/setup_course.py   # run by `make hub` (as root); prints the trial's logins

- ``create_user``: a unix account with a home folder and a password (PAM logs it in);
- ``make_exchange``: nbgrader's exchange folder, writable by every user (nbgrader's
  documentation: ``mkdir -p /srv/nbgrader/exchange && chmod ugo+rw /srv/nbgrader/exchange``,
  plus ``x`` so that users can enter it);
- ``install_course``: the files git tracks in this repository (solutions included) copied into
  the instructor's home and handed to the instructor, as an instructor would ``git clone`` it.

The end-to-end test (``tests/hub/test_hub.py``) uses the same functions for its throw-away users.
"""

import os
import pwd
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the course's grading/ package


def create_user(name: str, password: str) -> Path:
    """A unix user ``name`` with a home folder and ``password``; its home folder."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
    subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)
    return Path(pwd.getpwnam(name).pw_dir)


def remove_user(name: str) -> None:
    """Delete ``name`` and its home folder (its processes must have ended)."""
    subprocess.run(["userdel", "--force", "--remove", name], capture_output=True)


def make_exchange(path: Path) -> Path:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o777)
    return path


def delegate_grading_cgroups(user: str | None) -> list[Path]:
    """Hand a cgroup subtree to ``user`` (``None``: give it back) with the engine's own
    ``grading.plugins.cgroups.delegate``, so that formgrader's Autograde button, which runs as
    the instructor, can cap each sandboxed kernel with a cgroup. cgroup v1: the parent groups;
    v2: ``grading/<user>``, in which the Hub starts that user's server
    (``hub/jupyterhub_config.py``). Where neither can be had, grading falls back to caps
    without cgroups (``grading.plugins.caps``)."""
    from grading.plugins.cgroups import delegate, undelegate

    return delegate(user) if user else undelegate()


def _chown_tree(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    for folder, dirs, files in os.walk(path):
        for name in [folder, *(os.path.join(folder, x) for x in dirs + files)]:
            os.chown(name, entry.pw_uid, entry.pw_gid)


def install_course(dest: Path, owner: str, root: Path = ROOT) -> Path:
    """Copy the files git tracks from ``root`` into the new folder ``dest``, owned by ``owner``."""
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    dest = Path(dest)
    if dest.exists():
        raise ValueError(f"dest must be a new folder, got {dest} (exists)")
    for rel in (p for p in listing.split("\0") if p):
        if (root / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / rel, dest / rel)
    _chown_tree(dest, owner)
    return dest


def main() -> int:
    if os.geteuid() != 0:
        print("make hub creates unix users and runs JupyterHub as root: run it as root (sudo).")
        return 1
    instructor = os.environ.get("COURSE_HUB_INSTRUCTOR", "instructor")
    students = os.environ.get("COURSE_HUB_STUDENTS", "student1,student2").split(",")
    state = Path(os.environ.get("COURSE_HUB_STATE", ROOT / "build" / "hub"))
    state.mkdir(parents=True, exist_ok=True)
    logins = state / "logins.txt"
    known = (
        dict(line.split(" ", 1) for line in logins.read_text().splitlines())
        if logins.is_file()
        else {}
    )
    for user in (instructor, *students):
        known.setdefault(user, secrets.token_urlsafe(9))
        create_user(user, known[user])
    logins.write_text("".join(f"{u} {p}\n" for u, p in known.items()))
    logins.chmod(0o600)
    make_exchange(Path(os.environ.get("COURSE_HUB_EXCHANGE", "/srv/nbgrader/exchange")))
    course = Path(
        os.environ.get("COURSE_HUB_COURSE_DIR", f"/home/{instructor}/training-deep-nets")
    )
    if not course.exists():
        install_course(course, instructor)
        # classroom.toml's due dates into the instructor's gradebook, written as the instructor
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
        subprocess.run(
            [
                "runuser",
                "-u",
                instructor,
                "--",
                sys.executable,
                "-m",
                "grading.classroom.settings",
                "due-dates",
            ],
            cwd=course,
            env=env,
            check=True,
        )
    delegate_grading_cgroups(instructor)
    print(f"Course for {instructor}: {course}")
    print(f"Logins (user password), also in {logins}:")
    for user, password in known.items():
        print(f"  {user} {password}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
