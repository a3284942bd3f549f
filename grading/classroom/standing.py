"""Where one submission stands: its score after the late penalty, and what is still open.

The autograde line, the exports and the report all say the same things about a submission, so
they read them here, from nbgrader's gradebook: the points (``score``, nbgrader's sum of the
grades, manual ones included), the late penalty stored on its notebooks (kept current by
``grading.plugins.late``), how late it was, and two kinds of written answers still open:

- *to grade*: no manual score yet (nobody has graded the answer in formgrader);
- *to review*: a manual score that nbgrader flagged again because the submission was
  autograded after it was given (a forced regrade keeps the score and asks for a look).
"""

from dataclasses import dataclass


@dataclass
class Standing:
    score: float  # after the late penalty
    max_score: float
    penalty: float = 0.0  # points taken for lateness
    hours_late: float = 0.0
    to_grade: float = 0.0  # points of answers without a manual score
    to_review: float = 0.0  # points of manual scores nbgrader asks to look at again

    @property
    def percent(self) -> float:
        return 100 * self.score / self.max_score if self.max_score else 0.0

    @classmethod
    def of(cls, submission, max_score: float | None = None) -> "Standing":
        """The standing of an nbgrader ``SubmittedAssignment``."""
        penalty = float(submission.late_submission_penalty or 0.0)
        flagged = [g for nb in submission.notebooks for g in nb.grades if g.needs_manual_grade]
        return cls(
            score=max(0.0, float(submission.score) - penalty),
            max_score=float(submission.max_score if max_score is None else max_score),
            penalty=penalty,
            hours_late=submission.total_seconds_late / 3600,
            to_grade=float(sum(g.max_score for g in flagged if g.manual_score is None)),
            to_review=float(sum(g.max_score for g in flagged if g.manual_score is not None)),
        )

    def open_items(self) -> list[str]:
        """What is still open, in words ("4 points to grade by hand")."""
        items = []
        if self.to_grade:
            items.append(f"{self.to_grade:g} points to grade by hand")
        if self.to_review:
            items.append(f"{self.to_review:g} hand-graded points to review after a regrade")
        return items
