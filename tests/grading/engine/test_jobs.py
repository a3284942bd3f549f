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
