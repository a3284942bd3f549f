"""grading.engine.jobs: which submissions a run grades, and the faults an autograded notebook
records, by cell."""

import json
import os

from grading.engine.jobs import Job, Result, faults_in, find_jobs


def test_find_jobs_narrows_and_skips_graded(tmp_path):
    for student, assignment in [("a", "x"), ("b", "x"), ("a", "y")]:
        folder = tmp_path / "submitted" / student / assignment
        folder.mkdir(parents=True)
        (folder / f"{assignment}.ipynb").write_text("{}")
    (tmp_path / "submitted" / "c" / "x").mkdir(parents=True)  # no notebook: nothing to grade
    (tmp_path / "autograded" / "b" / "x").mkdir(parents=True)
    assert find_jobs(tmp_path) == [Job("x", "a"), Job("y", "a")]
    assert find_jobs(tmp_path, force=True) == [Job("x", "a"), Job("y", "a"), Job("x", "b")]
    assert find_jobs(tmp_path, assignment="x", force=True) == [Job("x", "a"), Job("x", "b")]
    assert find_jobs(tmp_path, student="a", assignment="y") == [Job("y", "a")]


def test_faults_name_the_cell_and_the_reason(tmp_path):

    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {"nbgrader": {"grade_id": "answer-1"}},
                "outputs": [
                    {
                        "output_type": "error",
                        "ename": "KernelDied",
                        "evalue": "memory limit of 4 GiB exceeded, in this cell.",
                    }
                ],
            },
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [{"output_type": "error", "ename": "CellNotRun", "evalue": "not run"}],
            },
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [{"output_type": "error", "ename": "CellNotRun", "evalue": "not run"}],
            },
        ]
    }
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    assert faults_in(path) == [
        {"cell": "answer-1", "reason": "memory limit of 4 GiB exceeded, in this cell"},
        {"cell": "2 later cells", "reason": "not run"},
    ]


def test_the_caps_in_force_are_logged_per_job_and_printed_once(tmp_path):
    from concurrent.futures import Future

    from grading.engine.jobs import Result, _collect

    def done(student, caps):
        future = Future()
        future.set_result(Result("a1", student, "graded", 1.0, 3.0, 4.0, caps=caps))
        return future

    cgroup, fallback = "cgroup v1: a group per kernel", "fallback without cgroups"
    lines = []
    futures = [done("s1", cgroup), done("s2", cgroup), done("s3", fallback), done("s4", "")]
    _collect(tmp_path, futures, 4, lines.append)
    printed = [line for line in lines if line.startswith("Memory and process caps: ")]
    assert printed == [
        f"Memory and process caps: {cgroup}",
        f"Memory and process caps: {fallback}",
    ]
    assert lines.index(printed[0]) < lines.index(next(x for x in lines if "s1" in x))
    records = [
        json.loads(x)
        for x in (tmp_path / "build" / "grading-log.jsonl").read_text().split("\n")
        if x
    ]
    assert [r["caps"] for r in records] == [cgroup, cgroup, fallback, ""]


def test_the_summary_line_shows_the_late_penalty_and_what_is_left_to_grade():
    late = Result(
        "a2", "rroe", "graded", 41.2, score=30.0, max_score=34.0, penalty=6.0, hours_late=30.0,
        still_open=["4 points to grade by hand"],
    )  # fmt: skip
    assert late.summary() == (
        f"{'rroe':<16} {'a2':<24} 24 / 34 LATE 30.0 h: 30 minus a late penalty of 6; "
        "4 points to grade by hand (41.2 s)"
    )
    on_time = Result("a2", "jdoe", "graded", 9.0, score=34.0, max_score=34.0)
    assert on_time.summary().endswith(" 34 / 34 (9.0 s)")
    unreadable = Result("a2", "bcut", "unreadable", 0.1, error="a2.ipynb: the file is empty")
    assert unreadable.summary() == (
        f"{'bcut':<16} {'a2':<24} could not be read: a2.ipynb: the file is empty "
        "(the student's feedback says so)"
    )


def test_a_submission_changed_since_it_was_graded_is_graded_again(tmp_path):
    def folder(*parts, stamp):
        path = tmp_path.joinpath(*parts)
        path.mkdir(parents=True)
        (path / "x.ipynb").write_text("{}")
        (path / "timestamp.txt").write_text(stamp)
        return path

    times = {"same": (1e9, 2e9), "again": (1e9, 2e9), "copied": (2e9, 1e9)}
    for student, (submitted, graded) in times.items():
        later = "2026-11-01 11:30:00" if student == "again" else "2026-11-01 10:00:00"
        path = folder("submitted", student, "x", stamp=later) / "x.ipynb"
        os.utime(path, (submitted, submitted))
        path = folder("autograded", student, "x", stamp="2026-11-01 10:00:00") / "x.ipynb"
        os.utime(path, (graded, graded))  # "copied": a new file put there after grading
    jobs = find_jobs(tmp_path)
    assert jobs == [Job("x", "again"), Job("x", "copied")]
    assert all(job.resubmitted for job in jobs)
    assert not any(job.resubmitted for job in find_jobs(tmp_path, force=True))
