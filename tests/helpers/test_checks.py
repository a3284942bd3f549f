"""helpers.checks: failure messages name the case, a few numbers and the matched mistake."""

import re

import numpy as np
import pytest

from helpers.checks import (
    CheckFailed,
    check_close,
    check_equal,
    check_raises,
    check_type,
    inputs,
    number,
    preview,
)


def failure(check, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as info:
        check(*args, **kwargs)
    assert isinstance(info.value, AssertionError)
    return str(info.value)


def test_numbers_are_short_and_never_nan():
    assert number(0.123456789) == "0.1235"
    assert number(3) == "3"
    assert number(np.float32(2.0)) == "2.0"
    assert number(float("nan")) == "not-a-number"
    assert number(np.inf) == "infinity" and number(-np.inf) == "minus infinity"
    assert preview(np.arange(10.0)) == "[0.0, 1.0, 2.0, ...] (shape (10,))"
    assert preview(None) == "None"


def test_inputs_describe_arrays_by_shape():
    text = inputs(x=np.zeros((8, 6)), eps=0.01, gamma=np.array([1.0, 2.0]), nesterov=True)
    assert text == "x of shape (8, 6), eps=0.01, gamma=[1.0, 2.0], nesterov=True"


def test_close_values_pass_within_tolerance():
    check_close([1.0, 2.0], np.array([1.0, 2.0 + 1e-9]), "case")
    check_close(np.float32(0.1), 0.1, "case", rtol=1e-6)
    check_close(np.ones((2, 3), dtype=np.float32), np.ones((2, 3)), "case")


def test_a_wrong_array_gets_a_short_message_with_the_first_difference():
    expected = np.linspace(0, 1, 1000).reshape(20, 50)
    got = expected.copy()
    got[3, 7] += 1.0
    message = failure(check_close, got, expected, "eps=0.01, x of shape (20, 50)", what="y")
    assert message.startswith("eps=0.01, x of shape (20, 50): y is wrong: 1 of 1000 values")
    assert "first at index (3, 7)" in message
    assert f"expected {number(expected[3, 7])}, got {number(got[3, 7])}" in message
    assert len(message) < 400, "an array dump"
    assert "Likely mistake" not in message


def test_a_matched_mistake_is_named():
    x = np.random.default_rng(0).normal(size=(8, 3))
    mistakes = {
        "the unbiased variance (ddof=1); batch norm divides by m.": x.var(axis=0, ddof=1),
        "the standard deviation instead of the variance.": x.std(axis=0),
    }
    message = failure(
        check_close, x.std(axis=0), x.var(axis=0), "x of shape (8, 3)", mistakes=mistakes
    )
    assert message.endswith("Likely mistake: the standard deviation instead of the variance.")
    message = failure(check_close, x.var(axis=0) + 1, x.var(axis=0), "x", mistakes=mistakes)
    assert "Likely mistake" not in message


def test_a_mistake_that_gives_the_right_answer_is_not_named():
    message = failure(check_close, [5.0], [1.0], "case", mistakes={"same as right": [1.0]})
    assert "Likely mistake" not in message


def test_shape_and_type_problems_are_explained():
    message = failure(check_close, np.zeros((3, 1)), np.zeros(3), "case", what="batch_mean")
    assert message == "case: batch_mean should have shape (3,), got shape (3, 1)."
    message = failure(
        check_close,
        np.zeros((3, 1)),
        np.zeros(3),
        "case",
        mistakes={"keepdims=True; return shape (n,).": np.zeros((3, 1))},
    )
    assert message.endswith("Likely mistake: keepdims=True; return shape (n,).")
    message = failure(check_close, None, np.zeros(3), "case", what="w")
    assert message == "case: w should be an array of shape (3,), got None."
    message = failure(check_close, "0.1", 0.2, "case", hint="Return a float.")
    assert message.startswith("case: the result is wrong: expected 0.2, got 0.1 (tolerance")
    assert message.endswith(" Return a float.")


def test_non_finite_values_are_reported_in_words():
    got = np.array([1.0, np.nan, np.inf])
    message = failure(check_close, got, np.ones(3), "case")
    assert "2 values are not finite numbers" in message
    assert not re.search(r"\bnan\b", message, flags=re.IGNORECASE), message
    message = failure(check_close, np.nan, 1.0, "case")
    assert "got not-a-number" in message and "nan " not in message.lower()


def test_exact_comparison_of_labels_counts_and_tuples():
    check_equal([0, 1, 2], np.array([0, 1, 2]), "case")
    check_equal((20, 20), (20, 20), "case")
    message = failure(
        check_equal,
        [0, 1, 1, 0],
        [1, 0, 0, 1],
        "b_classes=(6, 5)",
        what="y_b",
        mistakes={"1 marks the first class; it should mark the second.": [0, 1, 1, 0]},
    )
    assert "4 of 4 values differ; first at index (0,): expected 1, got 0" in message
    assert message.endswith("Likely mistake: 1 marks the first class; it should mark the second.")
    message = failure(check_equal, (2, 4), (2, 2), "n=1", mistakes={"counted all four.": (2, 4)})
    assert "Likely mistake: counted all four." in message
    message = failure(check_equal, "relu", "sigmoid", "case", what="activation")
    assert message == "case: activation should be 'sigmoid', got 'relu'."


def test_raises_says_what_happened_instead():
    def key_error():
        raise KeyError("xavier")

    check_raises(lambda: int("x"), "int('x')")
    message = failure(check_raises, key_error, "scheme='xavier'")
    assert message.startswith("scheme='xavier': expected a ValueError, got KeyError: 'xavier'.")
    message = failure(check_raises, lambda: 0.25, "scheme='xavier'")
    assert message == (
        "scheme='xavier': expected a ValueError, but nothing was raised (the call returned 0.25)."
    )


def test_type_check_names_the_expected_and_received_types():
    check_type(1.5, float, "case")
    check_type(np.float32(1.5), (float, np.floating), "case")
    message = failure(check_type, [1.0], (float, np.floating), "n=3", what="the variance")
    assert (
        message
        == "n=3: the variance should be a float or floating, got a list ([1.0] (shape (1,)))."
    )


def test_an_alternative_right_answer_passes_and_others_still_fail():
    inside, outside = 1 / np.sqrt(4 + 0.5), 1 / (np.sqrt(4) + 0.5)
    check_close(outside, inside, "eps=0.5", alternatives=(outside,))
    message = failure(check_close, 0.3, inside, "eps=0.5", alternatives=(outside,))
    assert message.startswith("eps=0.5: the result is wrong: expected 0.4714, got 0.3")


def test_mistakes_and_alternatives_given_as_functions_are_computed_only_on_failure():
    calls = []

    def mistakes():
        calls.append("mistakes")
        return {"the sign is flipped.": -1.0}

    def alternatives():
        calls.append("alternatives")
        return (2.0,)

    check_close(1.0, 1.0, "case", mistakes=mistakes, alternatives=alternatives)
    assert calls == []
    check_close(2.0, 1.0, "case", mistakes=mistakes, alternatives=alternatives)
    assert calls == ["alternatives"]
    message = failure(check_close, -1.0, 1.0, "case", mistakes=mistakes)
    assert message.endswith("Likely mistake: the sign is flipped.")
