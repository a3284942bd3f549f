"""A late penalty per started day, capped, that follows the grade it is taken from.

nbgrader's ``AssignLatePenalties`` (run by ``nbgrader autograde``) compares a submission's
timestamp (``timestamp.txt``, written by ``nbgrader collect`` or ``zip_collect``) with the
assignment's due date in the gradebook (``make due-dates``) and stores a penalty in points on
each submitted notebook (``SubmittedNotebook.late_submission_penalty``); every reader (nbgrader's
feedback and CSV export, this course's exports and report) shows ``score - penalty``.
``LatePolicy`` takes ``per_day`` of the notebook's score for every started day late, never more
than ``cap`` of it: with 10 % and a cap of 50 %, one minute late costs 10 %, 25 hours late 20 %,
a week late 50 %. ``classroom.toml`` sets both numbers.

nbgrader computes its penalty once, at autograde time, from the score at that moment: a written
answer graded afterwards in formgrader would go unpenalised until a forced regrade. Here the
penalty is the policy applied to the *current* total, kept so in two ways:

- ``follow_grade_changes`` hooks the gradebook's database session (``nbgrader_config.py``
  installs it in every nbgrader process, formgrader's included): whenever a grade is written,
  the penalty of its notebook is recomputed in the same transaction;
- ``refresh_penalties`` recomputes every stored penalty from the gradebook (the grades, the
  timestamp, the due date and any extension), and every reader of this course calls it before
  reading, so a grade changed by a script, a due date moved or an extension given is followed
  too.
"""

import math
from dataclasses import dataclass

from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, List

SECONDS_PER_DAY = 86400


def penalty_share(seconds_late: float, per_day: float, cap: float) -> float:
    """The share of the score lost ``seconds_late`` seconds after the due date."""
    if seconds_late <= 0:
        return 0.0
    return min(cap, per_day * math.ceil(seconds_late / SECONDS_PER_DAY))


@dataclass(frozen=True)
class LatePolicy:
    """``per_day`` of the score per started day late, at most ``cap`` of it."""

    per_day: float = 0.10
    cap: float = 0.50

    def share(self, seconds_late: float) -> float:
        return penalty_share(seconds_late, self.per_day, self.cap)

    def penalty(self, score: float, seconds_late: float) -> float | None:
        """Points lost by a notebook scoring ``score``; None when it was on time (nbgrader's
        own value for "no penalty")."""
        if seconds_late <= 0:
            return None
        return round(self.share(seconds_late) * max(0.0, float(score)), 4)


def grade_points(grade) -> float:
    """A grade's points as nbgrader counts them (``Grade.score``): the manual score when one
    was given, else the automatic one, plus extra credit. Computed from the object's own
    fields, so it is right for a grade changed in this transaction and not yet flushed."""
    base = grade.manual_score if grade.manual_score is not None else grade.auto_score
    if base is None:
        return 0.0
    return float(base) + float(grade.extra_credit or 0.0)


def notebook_penalty(notebook, policy: LatePolicy) -> float | None:
    """The penalty ``policy`` gives a submitted notebook on its current grades."""
    seconds = notebook.assignment.total_seconds_late
    return policy.penalty(sum(grade_points(g) for g in notebook.grades), seconds)


def _differs(old: float | None, new: float | None) -> bool:
    """Whether a stored penalty must change (None: on time; 0.0: late, with nothing to lose)."""
    return (old is None) != (new is None) or abs((old or 0.0) - (new or 0.0)) > 1e-9


def refresh_penalties(
    gradebook, policy: LatePolicy, assignments=None, students=None
) -> list[tuple]:
    """Recompute and store the penalty of every submitted notebook (of ``assignments`` and
    ``students`` when given); [(assignment, student, old penalty, new penalty)] for those
    that changed."""
    from nbgrader.api import SubmittedAssignment

    session = gradebook.db
    changed = []
    for submission in session.query(SubmittedAssignment).all():
        if assignments and submission.assignment.name not in assignments:
            continue
        if students and submission.student.id not in students:
            continue
        for notebook in submission.notebooks:
            new = notebook_penalty(notebook, policy)
            old = notebook.late_submission_penalty
            if _differs(old, new):
                notebook.late_submission_penalty = new
                changed.append((submission.assignment.name, submission.student.id, old, new))
    if changed:
        session.commit()
    return changed


_following: dict = {}  # the installed session hook and its policy


def _recompute_changed_notebooks(session, flush_context, instances) -> None:
    from nbgrader.api import Grade

    policy = _following.get("policy")
    if policy is None:
        return
    notebooks = {
        id(obj.notebook): obj.notebook
        for obj in list(session.dirty) + list(session.new)
        if isinstance(obj, Grade) and obj.notebook is not None
    }
    for notebook in notebooks.values():
        if notebook.assignment is None:
            continue
        new = notebook_penalty(notebook, policy)
        if _differs(notebook.late_submission_penalty, new):
            notebook.late_submission_penalty = new


def follow_grade_changes(policy: LatePolicy) -> None:
    """From now on, in this process, writing a grade to any nbgrader gradebook recomputes its
    notebook's late penalty with ``policy`` before the write is flushed."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    _following["policy"] = policy
    if not event.contains(Session, "before_flush", _recompute_changed_notebooks):
        event.listen(Session, "before_flush", _recompute_changed_notebooks)


def following_grade_changes() -> bool:
    """Whether ``follow_grade_changes`` is in force in this process."""
    return "policy" in _following


def stop_following_grade_changes() -> None:
    """Undo ``follow_grade_changes`` (tests that set penalties by hand need it gone)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    _following.pop("policy", None)
    if event.contains(Session, "before_flush", _recompute_changed_notebooks):
        event.remove(Session, "before_flush", _recompute_changed_notebooks)


class DailyLatePenalty(LateSubmissionPlugin):
    """nbgrader's late-submission plugin with ``LatePolicy``: what ``nbgrader autograde``
    stores, the same number ``refresh_penalties`` would."""

    per_day = Float(0.10, help="Share of the score lost per started day late.").tag(config=True)
    cap = Float(0.50, help="Largest share of the score a late submission can lose.").tag(
        config=True
    )

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        policy = LatePolicy(self.per_day, self.cap)
        penalty = policy.penalty(score, total_seconds_late)
        self.log.warning(
            "%s is %.1f h late (%d started day(s)): penalty %.0f %% of %s = %s points",
            student_id,
            total_seconds_late / 3600,
            math.ceil(total_seconds_late / SECONDS_PER_DAY),
            100 * policy.share(total_seconds_late),
            score,
            penalty,
        )
        return penalty


class CurrentLatePenalty(NbGraderPreprocessor):
    """First of ``GenerateFeedback.preprocessors``: the penalty of the submission whose feedback
    is being written is recomputed from its current grades, so that nbgrader's ``GetGrades``
    puts the right "Late submission penalty" and total on the page."""

    per_day = Float(0.10, help="Share of the score lost per started day late.").tag(config=True)
    cap = Float(0.50, help="Largest share of the score a late submission can lose.").tag(
        config=True
    )
    # nbconvert's HTML exporter configures this for every preprocessor; nbgrader's base class
    # declares it without config=True, which logs a warning (GetGrades redeclares it the same way).
    display_data_priority = List(NbGraderPreprocessor.display_data_priority.default_value).tag(
        config=True
    )

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            changed = refresh_penalties(
                gb,
                LatePolicy(self.per_day, self.cap),
                assignments=[info["assignment"]],
                students=[info["student"]],
            )
        for assignment, student, old, new in changed:
            self.log.info("Late penalty of %s %s now %s (was %s)", student, assignment, new, old)
        return nb, resources
