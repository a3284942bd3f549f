"""helpers.checks: failure messages name the case, a few numbers and the matched mistake (on a
line of its own); arguments changed in place are caught before any value; a test that goes
through a wrong graded function says to fix that function first."""

import re

import numpy as np
import pytest

from helpers.checks import (
    CheckFailed,
    builds_on,
    call_unmodified,
    check_close,
    check_equal,
    check_raises,
    check_tuple,
    check_type,
    failure_of,
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
    assert message.startswith("eps=0.01, x of shape (20, 50):\ny is wrong: 1 of 1000 values")
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
    assert message.endswith("\nLikely mistake: the standard deviation instead of the variance.")
    assert message.splitlines()[2].startswith("Expected [")  # the previews: a line of their own
    message = failure(check_close, x.var(axis=0) + 1, x.var(axis=0), "x", mistakes=mistakes)
    assert "Likely mistake" not in message


def test_a_mistake_that_gives_the_right_answer_is_not_named():
    message = failure(check_close, [5.0], [1.0], "case", mistakes={"same as right": [1.0]})
    assert "Likely mistake" not in message


def test_shape_and_type_problems_are_explained():
    message = failure(check_close, np.zeros((3, 1)), np.zeros(3), "case", what="batch_mean")
    assert message == "case:\nbatch_mean should have shape (3,), got shape (3, 1)."
    message = failure(
        check_close,
        np.zeros((3, 1)),
        np.zeros(3),
        "case",
        mistakes={"keepdims=True; return shape (n,).": np.zeros((3, 1))},
    )
    assert message.endswith("Likely mistake: keepdims=True; return shape (n,).")
    message = failure(check_close, None, np.zeros(3), "case", what="w")
    assert message == "case:\nw should be an array of shape (3,), got None."
    message = failure(check_close, "0.1", 0.2, "case", hint="Return a float.")
    assert message.startswith("case:\nthe result is wrong: expected 0.2, got 0.1 (tolerance")
    assert message.endswith("\nReturn a float.")


def test_non_finite_values_are_reported_in_words():
    got = np.array([1.0, np.nan, np.inf])
    message = failure(check_close, got, np.ones(3), "case")
    assert "2 values are not finite numbers" in message
    assert not re.search(r"\bnan\b", message, flags=re.IGNORECASE), message
    message = failure(check_close, [1.0, np.inf], [1.0, 2.0], "case")
    assert "(1 value is not a finite number)" in message
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
    assert message.endswith(
        "\nLikely mistake: 1 marks the first class; it should mark the second."
    )
    message = failure(check_equal, (2, 4), (2, 2), "n=1", mistakes={"counted all four.": (2, 4)})
    assert "Likely mistake: counted all four." in message
    message = failure(check_equal, "relu", "sigmoid", "case", what="activation")
    assert message == "case:\nactivation should be 'sigmoid', got 'relu'."


def test_raises_says_what_happened_instead():
    def key_error():
        raise KeyError("xavier")

    check_raises(lambda: int("x"), "int('x')")
    message = failure(check_raises, key_error, "scheme='xavier'")
    assert message.startswith("scheme='xavier':\nexpected a ValueError, got KeyError: 'xavier'.\n")
    message = failure(check_raises, lambda: 0.25, "scheme='xavier'")
    assert message == (
        "scheme='xavier':\nexpected a ValueError, but nothing was raised (the call returned 0.25)."
    )


def test_type_check_names_the_expected_and_received_types():
    check_type(1.5, float, "case")
    check_type(np.float32(1.5), (float, np.floating), "case")
    message = failure(check_type, [1.0], (float, np.floating), "n=3", what="the variance")
    assert (
        message
        == "n=3:\nthe variance should be a float or floating, got a list ([1.0] (shape (1,)))."
    )


def test_an_alternative_right_answer_passes_and_others_still_fail():
    inside, outside = 1 / np.sqrt(4 + 0.5), 1 / (np.sqrt(4) + 0.5)
    check_close(outside, inside, "eps=0.5", alternatives=(outside,))
    message = failure(check_close, 0.3, inside, "eps=0.5", alternatives=(outside,))
    assert message.startswith("eps=0.5:\nthe result is wrong: expected 0.4714, got 0.3")


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


def test_numbers_that_print_alike_get_the_digits_that_tell_them_apart():
    message = failure(check_close, 0.154789, 0.154781, "case", rtol=1e-6)
    assert "expected 0.154781, got 0.154789" in message
    message = failure(check_close, [2.2081, 1.0], [2.2083, 1.0], "case", rtol=1e-6)
    assert "first at index (0,): expected 2.2083, got 2.2081" in message


def test_a_result_of_the_wrong_kind_is_named_before_it_is_unpacked():
    assert check_tuple([1, 2], ("w", "v"), "case") == (1, 2)
    message = failure(check_tuple, None, ("w", "v"), "step(w, v)")
    assert message == "step(w, v):\nthe result (w, v) should be a tuple of 2 values, got None."
    message = failure(check_tuple, (1, 2, 3), ("w", "v"), "step(w, v)")
    assert message == "step(w, v):\nthe result (w, v) should hold 2 values, got 3: return w, v."


def test_an_argument_changed_in_place_is_named_before_any_value():
    def in_place(w, g, learning_rate=0.1):
        w -= learning_rate * g
        return w, g

    def on_a_copy(w, g, learning_rate=0.1):
        w = w.copy()
        w -= learning_rate * g
        return w, g

    w, g = np.array([1.0, 2.0]), np.array([5.0, 0.0])
    message = failure(call_unmodified, in_place, w, g, case="step(w, g)")
    assert message.startswith(
        "step(w, g):\nthe call modified its argument `w` in place: 1 of 2 values changed (first "
        "at index (0,): was 1.0, now 0.5)."
    )
    assert (
        "\nLikely mistake: `w -= ...`, `w *= ...` or `w[...] = ...` change the caller's" in message
    )
    assert np.array_equal(w, [1.0, 2.0]), "the argument was not put back for the next test"
    new_w, _ = call_unmodified(on_a_copy, w, g, learning_rate=0.2, case="c", returns=("w", "g"))
    assert np.array_equal(w, [1.0, 2.0]) and np.allclose(new_w, [0.0, 2.0])
    message = failure(call_unmodified, on_a_copy, w, g, case="c", returns=("w",))
    assert message == "c:\nthe result (w) should hold 1 values, got 2: return w."


def test_lists_and_functions_without_a_signature_are_watched_too():
    boundaries = [5, 15]
    message = failure(call_unmodified, lambda b: b.append(99), boundaries, case="f(b)")
    assert message.startswith(
        "f(b):\nthe call modified its argument `b` in place: it had shape (2,)"
    )
    assert boundaries == [5, 15]

    class Opaque:
        """A callable whose signature cannot be read (a proxy, say)."""

        __signature__ = "not readable"

        def __call__(self, *args):
            args[1][0] = 0.0

    x = np.array([1.0, -2.0])
    message = failure(call_unmodified, Opaque(), 3, x, case="opaque(3, x)")
    assert "its argument `argument 2` in place: 1 of 2 values changed" in message
    assert call_unmodified(np.negative, np.array([3.0]), case="negative") == -3.0


def test_failure_of_gives_the_message_or_the_error_or_none():
    assert failure_of(lambda: check_close(1.0, 1.0, "c")) is None
    assert failure_of(lambda: check_close(2.0, 1.0, "c")).startswith("c:\nthe result is wrong")
    assert (
        failure_of(lambda: int("x")) == "ValueError: invalid literal for int() with base 10: 'x'"
    )


def test_a_test_through_a_failing_function_says_to_fix_that_function_first():
    calls = []

    def own_tests_fail():
        calls.append("own")
        check_close(0.5, 1.0, "inner(1)", mistakes={"halved.": 0.5})

    def dependent_check():
        check_close(3.0, 2.0, "outer(1)", mistakes={"one too many.": 3.0})

    with pytest.raises(CheckFailed) as info:
        with builds_on("inner", own_tests_fail, by="outer"):
            dependent_check()
    lines = str(info.value).splitlines()
    assert lines[0] == "Fix `inner` first: it fails its own tests, and `outer` builds on it."
    tolerance = "(tolerance rtol=1e-06, atol=1e-09)."
    assert lines[1:4] == [
        "inner's test: inner(1):",
        f"the result is wrong: expected 1.0, got 0.5 {tolerance}",
        "Likely mistake: halved.",
    ]
    assert lines[4:] == [
        "This test: outer(1):",
        f"the result is wrong: expected 2.0, got 3.0 {tolerance}",
        "Likely mistake: one too many.",
    ]
    assert info.value.__cause__ is None and calls == ["own"]

    with pytest.raises(TypeError) as error:  # an error of the student's own code, shown as such
        with builds_on("inner", lambda: None):
            raise TypeError("unsupported operand")
    with pytest.raises(CheckFailed) as info:
        with builds_on("inner", own_tests_fail):
            raise error.value
    assert str(info.value).startswith("Fix `inner` first: it fails its own tests.\n")
    assert "This test: TypeError: unsupported operand" in str(info.value)
    assert info.value.__cause__ is error.value


def test_a_dependent_test_is_judged_alone_when_the_function_it_builds_on_passes():
    calls = []
    with pytest.raises(CheckFailed) as info:
        with builds_on("inner", lambda: calls.append("own"), by="outer"):
            check_close(3.0, 2.0, "outer(1)")
    assert str(info.value).startswith("outer(1):\nthe result is wrong") and calls == ["own"]
    with builds_on("inner", lambda: calls.append("again")):
        check_close(2.0, 2.0, "outer(1)")
    assert calls == ["own"], "the function's own tests ran although nothing failed"


def test_a_test_through_several_functions_names_the_first_that_fails_its_own_tests():
    def fails():
        check_close(0.0, 1.0, "f(0)")

    def passes():
        return None

    prerequisites = {"activation": passes, "activation_derivative": fails}
    with pytest.raises(CheckFailed) as info:
        with builds_on(prerequisites, by="chain_gradients"):
            check_close(3.0, 2.0, "chain(1)")
    assert str(info.value).startswith(
        "Fix `activation_derivative` first: it fails its own tests, and `chain_gradients` builds "
        "on it.\nactivation_derivative's test: f(0):"
    )
    with pytest.raises(CheckFailed) as info:
        with builds_on({"activation": passes}, by="chain_gradients"):
            check_close(3.0, 2.0, "chain(1)")
    assert str(info.value).startswith("chain(1):\n")
