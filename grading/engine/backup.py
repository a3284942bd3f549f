"""Timestamped gradebook backups before every autograde, and a way back.

``backup`` copies the gradebook into ``<course>/backups/`` (SQLite through its online backup API,
so a copy taken while another process writes is still consistent; PostgreSQL through
``pg_dump``) and keeps the newest ``keep``. ``restore`` first backs up the gradebook as it is
(nothing is lost by restoring the wrong one), then puts the chosen copy in its place.

    python -m grading.engine.backup list
    python -m grading.engine.backup restore                 # the newest backup
    python -m grading.engine.backup restore gradebook-20261202-114501.db

``BackupGradebook`` is the same backup as an nbgrader preprocessor, first in
``Autograde.sanitize_preprocessors``: a plain ``nbgrader autograde`` and formgrader's Autograde
button back up too, at most once per process every ``min_interval`` seconds. ``make autograde``
backs up once itself and tells its nbgrader runs to skip it (``GRADING_BACKUP_DONE``).
"""

import argparse
import os
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Integer

from grading.coursedir import gradebook_url

KEEP = 10
SKIP_ENV = "GRADING_BACKUP_DONE"


def sqlite_path(db_url: str) -> Path | None:
    """The file of a ``sqlite:///...`` URL (query such as ``?timeout=60`` dropped), else None."""
    if not db_url.startswith("sqlite:///"):
        return None
    return Path(db_url[len("sqlite:///") :].split("?", 1)[0])


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-%f")[:-3]


def list_backups(backup_dir: Path) -> list[Path]:
    """Backups in ``backup_dir``, oldest first."""
    backup_dir = Path(backup_dir)
    if not backup_dir.is_dir():
        return []
    return sorted(p for p in backup_dir.iterdir() if p.name.startswith("gradebook-"))


def backup(db_url: str, backup_dir: Path, keep: int = KEEP) -> Path | None:
    """Copy the gradebook into ``backup_dir``; keep the newest ``keep``. None if none exists."""
    if keep < 1:
        raise ValueError(f"keep must be 1 or more, got {keep}")
    backup_dir = Path(backup_dir)
    backup_dir.mkdir(parents=True, exist_ok=True)
    path = sqlite_path(db_url)
    if path is not None:
        if not path.is_file():
            return None
        target = backup_dir / f"gradebook-{_stamp()}.db"
        with sqlite3.connect(path, timeout=120) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        copy.close()
    elif db_url.startswith(("postgresql", "postgres")):
        target = backup_dir / f"gradebook-{_stamp()}.pgdump"
        subprocess.run(
            ["pg_dump", "--format=custom", f"--file={target}", _pg_url(db_url)], check=True
        )
    else:
        scheme = urlsplit(db_url).scheme
        raise ValueError(f"db_url must be sqlite or postgresql to back it up, got {scheme!r}")
    for old in list_backups(backup_dir)[:-keep]:
        old.unlink()
    return target


def _pg_url(db_url: str) -> str:
    """SQLAlchemy's ``postgresql+psycopg2://`` as libpq's ``postgresql://``."""
    scheme, rest = db_url.split("://", 1)
    return "postgresql://" + rest


def restore(db_url: str, backup_dir: Path, name: str | None = None) -> Path:
    """Put backup ``name`` (default: the newest) in place of the gradebook; return its path."""
    backups = list_backups(backup_dir)
    if not backups:
        raise ValueError(f"no backups in {backup_dir}")
    chosen = backups[-1] if name is None else Path(backup_dir) / name
    if chosen not in backups:
        names = ", ".join(p.name for p in backups)
        raise ValueError(f"name must be one of the backups ({names}), got {name!r}")
    backup(db_url, backup_dir, keep=len(backups) + 1)  # the current state, so nothing is lost
    path = sqlite_path(db_url)
    if path is not None:
        with sqlite3.connect(chosen) as source, sqlite3.connect(path, timeout=120) as target:
            source.backup(target)
        target.close()
    else:
        subprocess.run(
            ["pg_restore", "--clean", "--if-exists", f"--dbname={_pg_url(db_url)}", str(chosen)],
            check=True,
        )
    return chosen


class BackupGradebook(NbGraderPreprocessor):
    """Back up the gradebook before grading (once per process every ``min_interval`` s)."""

    enabled = Bool(True, help="Back up the gradebook before autograding.").tag(config=True)
    min_interval = Integer(600, help="Seconds between two backups by one process.").tag(
        config=True
    )
    keep = Integer(KEEP, help="How many backups to keep.").tag(config=True)
    _last = None  # class-wide: one process, one clock

    def preprocess(self, nb, resources):
        now = time.monotonic()
        recent = BackupGradebook._last is not None and now - BackupGradebook._last < (
            self.min_interval
        )
        if self.enabled and not os.environ.get(SKIP_ENV) and not recent:
            db_url = resources["nbgrader"]["db_url"]
            made = backup(db_url, backup_dir_for(db_url), keep=self.keep)
            self.log.info("Gradebook backed up to %s", made)
            BackupGradebook._last = now
        return nb, resources


def backup_dir_for(db_url: str, root: Path | None = None) -> Path:
    """``backups/`` beside an SQLite gradebook, else in the course root (or the cwd)."""
    path = sqlite_path(db_url)
    if path is not None:
        return path.parent / "backups"
    return Path(root or os.getcwd()) / "backups"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["list", "restore", "backup"])
    parser.add_argument("name", nargs="?", help="with restore: the backup (default: newest)")
    parser.add_argument("--db", default=None, help="gradebook URL (default: ./gradebook.db)")
    args = parser.parse_args(argv)
    db_url = args.db or gradebook_url(Path.cwd())
    backup_dir = backup_dir_for(db_url)
    if args.action == "list":
        for path in list_backups(backup_dir):
            print(path.name)
    elif args.action == "backup":
        print(f"Backed up to {backup(db_url, backup_dir)}")
    else:
        try:
            chosen = restore(db_url, backup_dir, args.name)
        except ValueError as error:
            print(f"restore: {error}", file=sys.stderr)
            return 2
        print(f"Restored {chosen.name}; the gradebook as it was is backed up beside it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
