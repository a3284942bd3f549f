import pytest

from helpers import profile


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv(profile.FAST_ENV, raising=False)
    monkeypatch.delenv(profile.NBGRADER_ENV, raising=False)
    return monkeypatch


def test_full_mode_by_default(clean_env):
    assert profile.fast_mode() is False
    assert profile.pick(fast=2, full=20) == 20
    assert "full" in profile.describe()


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_course_fast_switches_on_fast_mode(clean_env, value):
    clean_env.setenv(profile.FAST_ENV, value)
    assert profile.fast_mode() is True
    assert profile.pick(fast=2, full=20) == 2


@pytest.mark.parametrize("value", ["0", "false", "no", ""])
def test_course_fast_false_values(clean_env, value):
    clean_env.setenv(profile.FAST_ENV, value)
    assert profile.fast_mode() is False


def test_nbgrader_execution_forces_fast_mode(clean_env):
    clean_env.setenv(profile.FAST_ENV, "0")
    clean_env.setenv(profile.NBGRADER_ENV, "autograde")
    assert profile.fast_mode() is True
    assert "nbgrader" in profile.describe()


def test_unknown_value_names_variable_and_allowed_values(clean_env):
    clean_env.setenv(profile.FAST_ENV, "maybe")
    with pytest.raises(ValueError, match=r"COURSE_FAST.*'maybe'.*'1'"):
        profile.fast_mode()
