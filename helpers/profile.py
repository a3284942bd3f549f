"""The run profile: "fast" for CI and grading, "full" for a student's own run.

One place decides, so a notebook reads naturally in both modes::

    epochs = pick(fast=2, full=20)

Fast mode is on when ``COURSE_FAST`` is truthy, or when nbgrader is executing the notebook
(nbgrader sets ``NBGRADER_EXECUTION`` while it validates or autogrades).
"""

import os

FAST_ENV = "COURSE_FAST"
NBGRADER_ENV = "NBGRADER_EXECUTION"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def fast_mode() -> bool:
    """Return True when notebooks should use small data and few epochs."""
    if os.environ.get(NBGRADER_ENV):
        return True
    value = os.environ.get(FAST_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"Environment variable {FAST_ENV}={value!r} is not understood; "
        f"use one of {_TRUE + _FALSE[1:]} (or leave it unset for full mode)."
    )


def pick(*, fast, full):
    """Return ``fast`` in fast mode and ``full`` otherwise."""
    return fast if fast_mode() else full


def describe() -> str:
    """One line for a notebook's setup cell saying which profile is in use and why."""
    if os.environ.get(NBGRADER_ENV):
        return (
            f"Run profile: fast ({NBGRADER_ENV}={os.environ[NBGRADER_ENV]}, nbgrader is grading)"
        )
    if fast_mode():
        return f"Run profile: fast ({FAST_ENV}={os.environ[FAST_ENV]})"
    return f"Run profile: full (set {FAST_ENV}=1 for a quick run)"
