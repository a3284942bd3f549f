"""grading.classroom.settings: ``classroom.toml`` and roster errors name the key or column, and the
course's own ``classroom.toml`` covers every assignment."""

import pytest

from grading.classroom.settings import load, read_roster
from tests import ROOT


def test_roster_errors_name_the_problem(tmp_path):
    bad = tmp_path / "roster.csv"
    bad.write_text("student,name\nx,y\n")
    with pytest.raises(ValueError, match="roster columns must include 'id'"):
        read_roster(bad)
    bad.write_text("id,first_name\na,A\na,B\n")
    with pytest.raises(ValueError, match=r"repeated: \['a'\]"):
        read_roster(bad)


def test_classroom_config_errors_name_the_key(tmp_path):
    (tmp_path / "classroom.toml").write_text('[assignments.a1]\ndue = "next monday"\n')
    with pytest.raises(ValueError, match=r"\[assignments.a1\] due must be a date"):
        load(tmp_path)
    (tmp_path / "classroom.toml").write_text("[late_penalty]\nper_day = 2\n")
    with pytest.raises(ValueError, match=r"late_penalty.per_day must be a number in \[0.0, 1.0\]"):
        load(tmp_path)


def test_the_course_classroom_toml_covers_every_assignment():
    classroom = load(ROOT)
    released = sorted(p.parent.name for p in (ROOT / "solutions").glob("*/*.ipynb"))
    assert sorted(classroom.assignments) == released
    assert all(a.due is not None for a in classroom.assignments.values())
    assert sum(classroom.weights().values()) == pytest.approx(1.0)
