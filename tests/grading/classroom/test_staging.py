"""grading.classroom.staging: staged folders replace their targets all together, or, when one
step fails, every target is left exactly as it was (files, bytes and times)."""

import os

import pytest

from grading.classroom.staging import replace_folders, same_files


def write(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def snapshot(root):
    """Every path under ``root``; each file with its bytes and modification time (a folder's
    own time changes with any rename inside it, and says nothing about a grade)."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) if p.is_file() else None
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def course(tmp_path):
    root = tmp_path / "course"
    write(root / "submitted" / "jdoe" / "a2", {"a2.ipynb": "old jane", "timestamp.txt": "t1"})
    write(root / "submitted" / "rroe" / "a2", {"a2.ipynb": "richard", "timestamp.txt": "t2"})
    write(root / "downloaded" / "a2", {"collect-records.jsonl": "earlier run"})
    stage = root / "downloaded" / ".staging-a2"
    write(stage / "submitted" / "jdoe" / "a2", {"a2.ipynb": "new jane", "timestamp.txt": "t3"})
    write(stage / "submitted" / "rroe" / "a2", {"a2.ipynb": "richard", "timestamp.txt": "t2"})
    write(stage / "submitted" / "amiller" / "a2", {"a2.ipynb": "ann"})
    write(stage / "downloaded" / "a2", {"collect-records.jsonl": "this run"})
    return root, stage


def pairs_of(root, stage, students=("jdoe", "rroe", "amiller")):
    pairs = [(stage / "downloaded" / "a2", root / "downloaded" / "a2")]
    return pairs + [
        (stage / "submitted" / s / "a2", root / "submitted" / s / "a2") for s in students
    ]


def test_staged_folders_take_their_places_and_identical_ones_are_left_alone(course):
    root, stage = course
    richard = snapshot(root / "submitted" / "rroe")
    assert same_files(stage / "submitted" / "rroe" / "a2", root / "submitted" / "rroe" / "a2")
    assert not same_files(stage / "submitted" / "jdoe" / "a2", root / "submitted" / "jdoe" / "a2")
    replaced = replace_folders(pairs_of(root, stage), stage / "previous")
    assert replaced == [
        root / "downloaded" / "a2",
        root / "submitted" / "jdoe" / "a2",
        root / "submitted" / "amiller" / "a2",
    ]
    assert (root / "submitted" / "jdoe" / "a2" / "a2.ipynb").read_text() == "new jane"
    assert (root / "submitted" / "amiller" / "a2" / "a2.ipynb").read_text() == "ann"
    assert (root / "downloaded" / "a2" / "collect-records.jsonl").read_text() == "this run"
    assert snapshot(root / "submitted" / "rroe") == richard  # unchanged, not even touched
    assert not (stage / "previous").exists()


def test_a_failing_step_puts_every_folder_back(course):
    root, stage = course
    (root / "submitted" / "zed").write_text("a file where a student's folder would go")
    write(stage / "submitted" / "zed" / "a2", {"a2.ipynb": "zed"})
    before = snapshot(root / "submitted") | {
        "downloaded/a2/" + k: v for k, v in snapshot(root / "downloaded" / "a2").items()
    }
    with pytest.raises(OSError):
        replace_folders(pairs_of(root, stage, ("jdoe", "amiller", "zed")), stage / "previous")
    after = snapshot(root / "submitted") | {
        "downloaded/a2/" + k: v for k, v in snapshot(root / "downloaded" / "a2").items()
    }
    assert after == before
    assert not (root / "submitted" / "amiller").exists()  # the new student's folder is gone
    assert (stage / "submitted" / "jdoe" / "a2" / "a2.ipynb").read_text() == "new jane"
    assert not os.listdir(stage / "previous")
