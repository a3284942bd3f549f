"""The README and the guides in docs/ against the Makefile and against each other.

A page that names a `make` target the Makefile no longer has, or links to a file or heading that
moved, fails here instead of in a reader's shell. The Makefile's side: every target `make help`
lists exists, and every phony target has its help line. The README stays a front door: at most
100 lines, linking the four guides (in a student bundle, whose README keeps only the students'
sections, the students' guide).
"""

import functools
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests import ROOT

STUDENT_BUNDLE = (ROOT / ".student-bundle").is_file()
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
GUIDES = ("docs/students.md", "docs/instructors.md", "docs/deployment.md", "docs/development.md")
README_MAX_LINES = 100

FENCED = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
INLINE_CODE = re.compile(r"`([^`]+)`")
# `make TARGET`, `sudo make TARGET`, `COURSE_FAST=1 make TARGET`, `make VAR=x TARGET`
MAKE_COMMAND = re.compile(r"(?<![\w./-])make[ \t]+(?:[A-Z_]+=\S*[ \t]+)*([a-z][\w.-]*)")
LINK = re.compile(r"\]\(([^)\s]+)\)")
HELP_LINE = re.compile(r"^  (\S+) {2,}\S", re.M)


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _make(*args: str) -> subprocess.CompletedProcess:
    # Under `make test` the parent make's flags would leak into the child (directory messages,
    # its jobserver): ask the Makefile as a reader's shell would.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@functools.cache
def _help_targets(section: str = "help") -> tuple[str, ...]:
    done = _make(section)
    assert done.returncode == 0, done.stderr
    return tuple(HELP_LINE.findall(done.stdout))


@functools.cache
def _make_database() -> str:
    # -p prints make's rule database; -q runs nothing; -r/-R leave out the built-in rules.
    return _make("-pRrq", "help").stdout


def _real_targets() -> set[str]:
    targets, skip = set(), False
    for line in _make_database().splitlines():
        if line.startswith("# Not a target:"):
            skip = True
            continue
        match = re.match(r"([^\s#:=][^\s:=]*):(?:\s|$)", line)
        if match and not skip and not match.group(1).startswith("."):
            targets.add(match.group(1))
        skip = False
    return targets


def _phony_targets() -> set[str]:
    lines = re.findall(r"^\.PHONY: (.*)$", _make_database(), re.M)
    return {name for line in lines for name in line.split()}


def _code(text: str) -> list[str]:
    """The page's fenced blocks and inline code spans: where a command a reader runs is written.
    An inline span may wrap onto the next line; its line break is a space."""
    spans = INLINE_CODE.findall(FENCED.sub("", text))
    return FENCED.findall(text) + [span.replace("\n", " ") for span in spans]


def _make_targets_named(page: Path) -> set[str]:
    pieces = _code(page.read_text(encoding="utf-8"))
    return {target for piece in pieces for target in MAKE_COMMAND.findall(piece)}


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = FENCED.sub("", page.read_text(encoding="utf-8"))  # a shell comment is no heading
    return {_slug(h) for h in re.findall(r"^#{1,6} +(.+?) *#*$", text, re.M)}


def test_make_help_lists_every_target_and_only_real_ones():
    listed = set(_help_targets())
    real = _real_targets()
    assert {"lectures", "test", "lab", "autograde"} <= listed, listed
    assert listed <= real, f"make help lists targets the Makefile lacks: {sorted(listed - real)}"
    phony = _phony_targets()
    assert len(phony) >= 25, phony
    assert phony <= listed, f"targets without a '## ' help line: {sorted(phony - listed)}"


def test_help_sections_list_their_own_targets():
    instructors, classroom = _help_targets("help-instructors"), _help_targets("help-classroom")
    assert {"release", "autograde", "feedback", "export"} <= set(instructors), instructors
    assert {"roster", "collect-zip", "report", "hub"} <= set(classroom), classroom
    assert not {"lectures", "test"} & set(instructors + classroom)


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_every_make_command_on_the_page_is_a_target_make_help_lists(page):
    named = _make_targets_named(page)
    unknown = named - set(_help_targets())
    assert not unknown, f"{_id(page)} names make targets `make help` does not list: {unknown}"


def test_readme_names_the_two_commands():
    text = README.read_text(encoding="utf-8")
    commands = {m for block in FENCED.findall(text) for m in MAKE_COMMAND.findall(block)}
    assert {"lectures", "test"} <= commands, commands


def test_readme_is_a_front_door_to_the_guides():
    text = README.read_text(encoding="utf-8")
    n_lines = len(text.splitlines())
    assert n_lines <= README_MAX_LINES, (
        f"README.md has {n_lines} lines, at most {README_MAX_LINES}"
    )
    linked = {target.split("#")[0] for target in LINK.findall(text)}
    expected = {"docs/students.md"} if STUDENT_BUNDLE else set(GUIDES)
    assert expected <= linked, f"README.md does not link {sorted(expected - linked)}"


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_relative_links_point_at_files_and_headings_that_exist(page):
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.is_file():
            broken.append(f"{target} (no such file)")
        elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{_id(page)}: {broken}"
