"""A late penalty per started day, capped: nbgrader's late-submission plugin, configured.

nbgrader's ``AssignLatePenalties`` (run by ``nbgrader autograde``) compares a submission's
timestamp (``timestamp.txt``, written by ``nbgrader collect`` or ``zip_collect``) with the
assignment's due date in the gradebook (``make due-dates``) and asks the plugin for a penalty in
points, per notebook. ``DailyLatePenalty`` takes ``per_day`` of the notebook's score for every
started day late, never more than ``cap`` of it: with 10 % and a cap of 50 %, one minute late
costs 10 %, 25 hours late 20 %, a week late 50 %. The feedback shows the penalty ("Late
submission penalty") and the exports subtract it. ``classroom.toml`` sets both numbers.

nbgrader computes the penalty when it autogrades, from the score at that moment: a manual grade
given later is not penalised until the submission is autograded again.
"""

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

SECONDS_PER_DAY = 86400


def penalty_share(seconds_late: float, per_day: float, cap: float) -> float:
    """The share of the score lost ``seconds_late`` seconds after the due date."""
    if seconds_late <= 0:
        return 0.0
    return min(cap, per_day * math.ceil(seconds_late / SECONDS_PER_DAY))


class DailyLatePenalty(LateSubmissionPlugin):
    """``per_day`` of the score per started day late, at most ``cap`` of it."""

    per_day = Float(0.10, help="Share of the score lost per started day late.").tag(config=True)
    cap = Float(0.50, help="Largest share of the score a late submission can lose.").tag(
        config=True
    )

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        share = penalty_share(total_seconds_late, self.per_day, self.cap)
        days = math.ceil(total_seconds_late / SECONDS_PER_DAY)
        self.log.warning(
            "%s is %.1f h late (%d started day(s)): penalty %.0f %% of %s = %.2f points",
            student_id,
            total_seconds_late / 3600,
            days,
            100 * share,
            score,
            share * score,
        )
        return round(share * score, 4)
