"""grading.plugins.late: the penalty per started day, capped, taken from the current total.

A gradebook made with nbgrader's own API (``nbgrader.api.Gradebook``) holds the shape of a2: 30
autograded points in test cells and a 4-point written answer. Richard's submission came 30 hours
after the due date (two started days: 20 %). nbgrader's autograde would store 20 % of the 30
autograded points (6.0); the written answer graded afterwards must raise the penalty to 20 % of
34 (6.8) without a regrade, whether the grade is written in a process that loaded the course's
nbgrader configuration (formgrader does: the session hook) or by any other means
(``refresh_penalties``, which every reader calls).
"""

import datetime as dt

import pytest
from nbgrader.api import Gradebook

from grading.coursedir import nbgrader_env
from grading.plugins.late import (
    DailyLatePenalty,
    LatePolicy,
    follow_grade_changes,
    penalty_share,
    refresh_penalties,
    stop_following_grade_changes,
)

A2 = "a2"
DUE = dt.datetime(2026, 11, 1, 12, 0)  # nbgrader stores naive UTC
TESTS = {"test-a": 9.0, "test-b": 21.0}  # 30 autograded points
WRITTEN, WRITTEN_POINTS = "answer", 4.0
POLICY = LatePolicy(per_day=0.10, cap=0.30)


@pytest.mark.parametrize(
    "hours, share", [(0, 0.0), (0.01, 0.1), (24, 0.1), (25, 0.2), (72.5, 0.3), (24 * 30, 0.3)]
)
def test_penalty_per_started_day_is_capped(hours, share):
    assert penalty_share(hours * 3600, per_day=0.10, cap=0.30) == pytest.approx(share)


def test_policy_gives_no_penalty_on_time_and_a_share_of_the_score_when_late():
    assert POLICY.penalty(30.0, 0) is None
    assert POLICY.penalty(30.0, 30 * 3600) == pytest.approx(6.0)
    assert POLICY.penalty(34.0, 30 * 3600) == pytest.approx(6.8)
    assert POLICY.penalty(0.0, 30 * 3600) == 0.0


def test_nbgraders_plugin_computes_what_the_policy_computes():
    plugin = DailyLatePenalty(per_day=0.10, cap=0.30)
    assert plugin.late_submission_penalty("rroe", 30.0, 30 * 3600) == pytest.approx(6.0)
    assert plugin.late_submission_penalty("rroe", 30.0, 0) is None


@pytest.fixture
def gradebook(tmp_path, monkeypatch):
    """a2 with Richard 30 h late and Jane on time, both with every autograded point and the
    written answer not graded yet; nbgrader's autograde penalty (6.0) stored for Richard.
    (nbgrader runs ``alembic`` by name to make a gradebook: this Python's bin/ goes on PATH.)"""
    monkeypatch.setenv("PATH", nbgrader_env()["PATH"])
    stop_following_grade_changes()  # whatever ran before in this process, no hook to start with
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.update_or_create_assignment(A2, duedate=DUE)
        gb.add_notebook(A2, A2)
        for name, points in TESTS.items():
            gb.add_grade_cell(name, A2, A2, max_score=points, cell_type="code")
        gb.add_grade_cell(WRITTEN, A2, A2, max_score=WRITTEN_POINTS, cell_type="markdown")
        gb.add_solution_cell(WRITTEN, A2, A2)
        for student, late in (("rroe", dt.timedelta(hours=30)), ("jdoe", -dt.timedelta(hours=1))):
            gb.add_student(student)
            gb.add_submission(A2, student, timestamp=DUE + late)
            for name, points in TESTS.items():
                grade = gb.find_grade(name, A2, A2, student)
                grade.auto_score, grade.needs_manual_grade = points, False
        gb.find_submission_notebook(A2, A2, "rroe").late_submission_penalty = 6.0
        gb.db.commit()
    yield url
    stop_following_grade_changes()


def grade_written_answer(url, student, score):
    """What formgrader's grade API does with a manual score."""
    with Gradebook(url) as gb:
        grade = gb.find_grade(WRITTEN, A2, A2, student)
        grade.manual_score, grade.needs_manual_grade = score, False
        gb.db.commit()


def stored(url, student):
    with Gradebook(url) as gb:
        submission = gb.find_submission(A2, student)
        return submission.score, submission.notebooks[0].late_submission_penalty


@pytest.mark.slow  # a real nbgrader, kernel or training run: make test, not make check
def test_a_written_answer_graded_later_is_penalised_by_refresh(gradebook):
    grade_written_answer(gradebook, "rroe", WRITTEN_POINTS)
    assert stored(gradebook, "rroe") == (34.0, 6.0)  # nbgrader's value, from 30 points
    with Gradebook(gradebook) as gb:
        changed = refresh_penalties(gb, POLICY)
    assert changed == [(A2, "rroe", 6.0, pytest.approx(6.8))]
    assert stored(gradebook, "rroe") == (34.0, pytest.approx(6.8))
    assert stored(gradebook, "jdoe") == (30.0, None)
    with Gradebook(gradebook) as gb:
        assert refresh_penalties(gb, POLICY) == []  # nothing left to change


@pytest.mark.slow  # a real nbgrader, kernel or training run: make test, not make check
def test_the_hook_follows_every_grade_written_in_the_process(gradebook):
    follow_grade_changes(POLICY)
    grade_written_answer(gradebook, "rroe", WRITTEN_POINTS)
    assert stored(gradebook, "rroe") == (34.0, pytest.approx(6.8))
    grade_written_answer(gradebook, "rroe", 1.5)  # a regrade by hand lowers it again
    assert stored(gradebook, "rroe") == (31.5, pytest.approx(6.3))
    grade_written_answer(gradebook, "jdoe", 2.0)  # on time: nothing to take
    assert stored(gradebook, "jdoe") == (32.0, None)
    stop_following_grade_changes()
    grade_written_answer(gradebook, "rroe", WRITTEN_POINTS)
    assert stored(gradebook, "rroe") == (34.0, pytest.approx(6.3))  # no hook, no change


@pytest.mark.slow  # a real nbgrader, kernel or training run: make test, not make check
def test_an_extension_or_a_moved_due_date_is_followed_too(gradebook):
    with Gradebook(gradebook) as gb:
        gb.find_submission(A2, "rroe").extension = dt.timedelta(hours=12)  # 18 h late: 1 day
        gb.db.commit()
        refresh_penalties(gb, POLICY)
    assert stored(gradebook, "rroe") == (30.0, pytest.approx(3.0))
    with Gradebook(gradebook) as gb:
        gb.find_assignment(A2).duedate = DUE + dt.timedelta(days=3)
        gb.db.commit()
        assert refresh_penalties(gb, POLICY, students=["rroe"]) == [
            (A2, "rroe", pytest.approx(3.0), None)
        ]
