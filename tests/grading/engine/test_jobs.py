"""grading.engine.jobs: which submissions a run grades, and the faults an autograded notebook
records, by cell."""

import json

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


def test_the_summary_line_shows_the_late_penalty_and_what_is_left_to_grade():
    late = Result(
        "a2", "rroe", "graded", 41.2, score=30.0, max_score=34.0, penalty=6.0, hours_late=30.0,
        to_grade_by_hand=4.0,
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
