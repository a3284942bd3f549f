"""grading.engine.backup: backups rotate, a restore keeps what it replaced, unknown databases are
refused."""

import sqlite3
from pathlib import Path

import pytest

from grading.engine.backup import backup, list_backups, restore, sqlite_path


def make_gradebook(path: Path, value: str) -> str:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS t (v TEXT)")
        db.execute("DELETE FROM t")
        db.execute("INSERT INTO t VALUES (?)", (value,))
    return f"sqlite:///{path}?timeout=30"


def read_value(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT v FROM t").fetchone()[0]


def test_backups_rotate_and_restore_keeps_the_replaced_state(tmp_path):
    url = make_gradebook(tmp_path / "gradebook.db", "v0")
    assert sqlite_path(url) == tmp_path / "gradebook.db"
    for number in range(12):
        make_gradebook(tmp_path / "gradebook.db", f"v{number}")
        backup(url, tmp_path / "backups", keep=10)
    kept = list_backups(tmp_path / "backups")
    assert len(kept) == 10
    assert read_value(kept[0]) == "v2"  # the two oldest went
    restore(url, tmp_path / "backups", kept[3].name)
    assert read_value(tmp_path / "gradebook.db") == "v5"
    assert read_value(list_backups(tmp_path / "backups")[-1]) == "v11"  # what it replaced


def test_backup_rejects_unknown_databases(tmp_path):
    with pytest.raises(ValueError, match="db_url must be sqlite or postgresql"):
        backup("mysql://x/y", tmp_path)
    assert backup(f"sqlite:///{tmp_path / 'none.db'}", tmp_path / "b") is None
