"""grading.coursedir: one definition of the course's root, id, assignments and gradebook."""

import re

from grading.coursedir import (
    ASSIGNMENTS,
    COURSE_ID,
    ROOT,
    available_assignments,
    gradebook_url,
    nbgrader_env,
)


def test_every_assignment_has_its_instructor_notebook():
    assert available_assignments() == list(ASSIGNMENTS)
    assert len(ASSIGNMENTS) == 5


def test_assignments_not_in_a_copy_are_left_out(tmp_path):
    (tmp_path / "solutions" / ASSIGNMENTS[1]).mkdir(parents=True)
    (tmp_path / "solutions" / ASSIGNMENTS[1] / f"{ASSIGNMENTS[1]}.ipynb").write_text("{}")
    assert available_assignments(tmp_path) == [ASSIGNMENTS[1]]


def test_gradebook_url_is_absolute_with_an_optional_lock_timeout(tmp_path):
    assert gradebook_url(tmp_path) == f"sqlite:///{tmp_path.resolve()}/gradebook.db"
    assert gradebook_url(tmp_path, timeout=300).endswith("/gradebook.db?timeout=300")


def test_nbgrader_config_uses_the_same_course_id():
    config = (ROOT / "nbgrader_config.py").read_text()
    assert "course_id = COURSE_ID" in config
    assert not re.search(r"course_id\s*=\s*\"", config)  # no second definition
    assert COURSE_ID == "training-deep-nets"


def test_nbgrader_env_drops_a_parent_grading_flag(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    env = nbgrader_env()
    assert "NBGRADER_EXECUTION" not in env
    assert env["TF_ENABLE_ONEDNN_OPTS"] == "0"
