"""grading.plugins.trusted.borrowed with real trusted kernels (the ones this test process keeps
and lends to its grading runs, ``tests.support.course.kept_trusted_kernels``): a listed kernel
that answers is lent to one process at a time, one that does not answer is passed over, and
the engine's pool and a plain nbgrader process borrow before they start a kernel of their own."""

import json
import os
import subprocess
import sys

import pytest

from grading.engine.trusted_pool import TrustedPool
from grading.plugins.trusted import borrowed
from grading.plugins.trusted import kernel as kernel_module
from tests import ROOT
from tests.support.course import kept_trusted_kernels

pytestmark = pytest.mark.slow

TAKE = "from grading.plugins.trusted import borrowed; print(borrowed.take())"


@pytest.fixture
def kept() -> list[str]:
    return kept_trusted_kernels()[borrowed.ENV].split(os.pathsep)


def take_in_another_process(listed: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", TAKE],
        cwd=ROOT,
        env={**os.environ, borrowed.ENV: listed},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_a_listed_kernel_is_lent_to_one_process_at_a_time(kept, monkeypatch):
    monkeypatch.setenv(borrowed.ENV, kept[0])
    taken = borrowed.take()
    try:
        assert taken == kept[0]
        assert take_in_another_process(kept[0]) == "None"
    finally:
        borrowed.give_back(taken)
    assert take_in_another_process(kept[0]) == kept[0]


def test_a_kernel_that_does_not_answer_is_passed_over(kept, monkeypatch, tmp_path):
    silent = tmp_path / "kernel.json"  # a connection file no kernel listens on
    fields = json.loads(open(kept[0]).read())
    silent.write_text(json.dumps({**fields, "ip": str(tmp_path / "nobody")}))
    monkeypatch.setattr(borrowed, "ANSWER_SECONDS", 0.5)
    monkeypatch.setenv(borrowed.ENV, os.pathsep.join([str(silent), str(tmp_path / "gone.json")]))
    assert borrowed.take() is None
    monkeypatch.setenv(borrowed.ENV, os.pathsep.join([str(silent), kept[1]]))
    with borrowed.borrowed() as taken:
        assert taken == kept[1]
    assert take_in_another_process(kept[1]) == kept[1]  # given back


def test_the_engines_pool_lends_a_borrowed_kernel_before_starting_one(kept, monkeypatch):
    monkeypatch.setenv(borrowed.ENV, kept[0])
    pool = TrustedPool()
    with pool.lease() as connection:
        assert connection == kept[0]
        assert take_in_another_process(kept[0]) == "None"
    assert pool.idle == []  # none of its own started


def test_a_plain_nbgrader_process_borrows_for_its_life(kept, monkeypatch):
    monkeypatch.setenv(borrowed.ENV, kept[1])
    monkeypatch.setattr(kernel_module, "_loan", None)
    try:
        assert kernel_module.shared_kernel_soon()() == kept[1]
        assert kernel_module._shared is None  # none of its own started
        assert kernel_module.shared_kernel_soon()() == kept[1]  # the same loan, still held
        assert take_in_another_process(kept[1]) == "None"
    finally:
        borrowed.give_back(kept[1])
