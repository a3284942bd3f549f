"""grading.engine.jobs: which submissions a run grades, and the faults an autograded notebook
records, by cell."""

import json

from grading.engine.jobs import Job, faults_in, find_jobs


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
