"""Replace a set of folders all at once, or leave every one of them as it was.

``make collect-zip`` builds the new ``downloaded/<assignment>/`` (with the records that name the
feedback files later) and each student's ``submitted/<student>/<assignment>/`` in a staging area
first. ``replace_folders`` then moves them into place by renames (atomic on one file system):
each old folder is moved aside before the new one takes its place, and if any step fails every
step done so far is undone, so a failed collection leaves the course exactly as it was. A
staged folder whose files are identical to the folder in place is not moved, so nothing about
an unchanged submission changes (not even its files' times).
"""

import filecmp
import os
import shutil
from pathlib import Path


def same_files(a: Path, b: Path) -> bool:
    """Whether two folders hold the same file names with the same bytes."""
    a, b = Path(a), Path(b)
    if not (a.is_dir() and b.is_dir()):
        return False
    names_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    names_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    if names_a != names_b:
        return False
    return all(filecmp.cmp(a / n, b / n, shallow=False) for n in names_a)


def replace_folders(pairs, aside: Path) -> list[Path]:
    """Move each staged folder onto its target (``pairs``: [(staged, target)]), the old target
    kept in ``aside`` until all are in place, then deleted; the targets actually replaced.
    Any failure restores every target and re-raises."""
    aside = Path(aside)
    aside.mkdir(parents=True, exist_ok=True)
    done = []  # (staged, target, moved-aside copy or None)
    made = []  # parent folders created here (a new student's submitted/<student>/)
    try:
        for index, (staged, target) in enumerate(pairs):
            staged, target = Path(staged), Path(target)
            if same_files(staged, target):
                continue
            old = None
            if target.exists():
                old = aside / str(index)
                os.rename(target, old)
            done.append((staged, target, old))
            if not target.parent.exists():
                target.parent.mkdir(parents=True)
                made.append(target.parent)
            os.rename(staged, target)
    except BaseException:
        for staged, target, old in reversed(done):
            if target.exists() and not staged.exists():
                os.rename(target, staged)
            if old is not None:
                os.rename(old, target)
        for folder in reversed(made):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise
    shutil.rmtree(aside, ignore_errors=True)
    return [target for _, target, _ in done]
