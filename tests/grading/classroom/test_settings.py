"""grading.classroom.settings: ``classroom.toml`` and roster errors name the key or column, and the
course's own ``classroom.toml`` covers every assignment."""

import pytest

from grading.classroom.settings import load, read_roster
from tests import ROOT
from tests.support.course import make_course


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


def test_canvas_id_makes_the_header_canvas_matches_by_id(tmp_path):
    (tmp_path / "classroom.toml").write_text(
        '[assignments.a1]\nlms_column = "A1 Gradients"\ncanvas_id = 4567\n'
        '[assignments.a2]\nlms_column = "A2 Batch norm (1002)"\n'
        '[assignments.a3]\nlms_column = "A3 (draft)"\n'
    )
    a = load(tmp_path).assignments
    assert (a["a1"].canvas_header, a["a1"].moodle_header) == (
        "A1 Gradients (4567)",
        "Assignment: A1 Gradients (Real)",
    )
    # a header copied from Canvas's own export is read as name and id
    assert (a["a2"].lms_column, a["a2"].canvas_id) == ("A2 Batch norm", 1002)
    assert (a["a3"].canvas_header, a["a3"].canvas_id) == ("A3 (draft)", None)
    (tmp_path / "classroom.toml").write_text('[assignments.a1]\ncanvas_id = "A1"\n')
    with pytest.raises(ValueError, match=r"\[assignments.a1\] canvas_id must be Canvas's numeric"):
        load(tmp_path)


def test_the_gradebook_is_the_one_nbgrader_config_names(tmp_path):
    from grading.classroom.settings import course_gradebook_url
    from grading.plugins.late import following_grade_changes

    assert course_gradebook_url(tmp_path) == f"sqlite:///{tmp_path.resolve() / 'gradebook.db'}"
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.db_url = 'postgresql://grader@db-host/gradebook'\n"
    )
    assert course_gradebook_url(tmp_path) == "postgresql://grader@db-host/gradebook"
    # the course's own file installs the grade hook; reading it here leaves none behind
    course = make_course(tmp_path / "course")
    assert course_gradebook_url(course) == f"sqlite:///{course.resolve() / 'gradebook.db'}"
    assert not following_grade_changes()
