"""grading.plugins.late: the penalty per started day, capped."""

import pytest

from grading.plugins.late import penalty_share


@pytest.mark.parametrize(
    "hours, share", [(0, 0.0), (0.01, 0.1), (24, 0.1), (25, 0.2), (72.5, 0.3), (24 * 30, 0.3)]
)
def test_penalty_per_started_day_is_capped(hours, share):
    assert penalty_share(hours * 3600, per_day=0.10, cap=0.30) == pytest.approx(share)
