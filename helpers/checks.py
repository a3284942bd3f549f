"""Checks for the assignments' test cells, with failure messages that say what went wrong.

``np.testing.assert_allclose`` tells a student that "48 / 48" numbers differ and dumps two arrays;
in nbgrader's feedback a hidden test shows nothing but its message. The checks here fail with a
few short lines: the case (its inputs, briefly), what is wrong with the expected and the received
values in a few numbers, and, when the received value matches a known common mistake, that
mistake and its fix ("Likely mistake: ..."), each on a line of its own (``nbgrader validate``
cuts long lines). The
test cells compute each mistake's value themselves, from the Keras oracle or from the inputs, so
no solution code lives here. Non-finite numbers are written out in words, never as ``nan``.
Every failed check raises ``CheckFailed``, an ``AssertionError``.

Two failures hide their cause behind wrong numbers, so they get checks of their own:
``call_unmodified`` calls a student's function and fails first if the call changed one of its
array arguments in place, and ``builds_on`` turns the failure of a test that goes through another
graded function into "fix that function first" when that function fails its own tests.
"""

import inspect
import math
from collections.abc import Callable, Mapping

import numpy as np

__all__ = [
    "CheckFailed",
    "builds_on",
    "call_unmodified",
    "check_close",
    "check_equal",
    "check_raises",
    "check_tuple",
    "check_type",
    "failure_of",
    "inputs",
    "number",
    "preview",
]

PREVIEW_VALUES = 3  # how many numbers of an array a message quotes


class CheckFailed(AssertionError):
    """A test's check failed; the message is meant for the student."""


def number(x, digits: int = 4) -> str:
    """``x`` with 4 (or ``digits``) significant digits; non-finite values in words
    ("not-a-number", "infinity")."""
    try:
        value = float(x)
    except (TypeError, ValueError):
        return repr(x)
    if math.isnan(value):
        return "not-a-number"
    if math.isinf(value):
        return "infinity" if value > 0 else "minus infinity"
    if value == int(value) and abs(value) < 1e6:
        return str(int(value)) if isinstance(x, int | np.integer) else f"{value:.1f}"
    return f"{value:.{digits}g}"


def _both(expected, got) -> str:
    """ "expected 0.1547, got 0.1548": with more digits where 4 would print the two alike."""
    for digits in (4, 6, 8, 12):
        shown = number(expected, digits), number(got, digits)
        if shown[0] != shown[1]:
            break
    return f"expected {shown[0]}, got {shown[1]}"


def preview(values, n: int = PREVIEW_VALUES) -> str:
    """A few numbers of ``values`` and its shape: "[0.1, 0.2, 0.3, ...] (shape (4, 5))"."""
    try:
        array = np.asarray(values)
    except (TypeError, ValueError):
        array = np.asarray(None)
    if array.dtype.kind not in "biuf" or array.size == 0:
        text = repr(values)
        return text if len(text) <= 60 else text[:57] + "..."
    if array.ndim == 0:
        return number(array)
    flat = array.ravel()
    shown = ", ".join(number(v) for v in flat[:n])
    more = ", ..." if flat.size > n else ""
    return f"[{shown}{more}] (shape {array.shape})"


def inputs(**named) -> str:
    """A case described by its inputs, briefly: arrays by their shape, numbers by 4 digits."""
    parts = []
    for name, value in named.items():
        if isinstance(value, np.ndarray) and value.ndim > 0:
            if value.size <= PREVIEW_VALUES:
                parts.append(f"{name}={preview(value).split(' (shape')[0]}")
            else:
                parts.append(f"{name} of shape {value.shape}")
        elif isinstance(value, bool | str | None | tuple | list):
            parts.append(f"{name}={value!r}")
        else:
            parts.append(f"{name}={number(value)}")
    return ", ".join(parts)


def _as_numbers(value):
    """``value`` as a float64 array, or None when it is not an array of numbers."""
    if value is None:
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _close(got, expected, rtol, atol) -> bool:
    return got.shape == expected.shape and bool(
        np.all(np.isclose(got, expected, rtol=rtol, atol=atol))
    )


def _diagnosis(got, expected, mistakes, rtol, atol, compare) -> str:
    """The words "Likely mistake: ..." for the first mistake whose value ``got`` matches."""
    if callable(mistakes):
        mistakes = mistakes()
    for explanation, wrong in (mistakes or {}).items():
        wrong = _as_numbers(wrong)
        if wrong is None or compare(wrong, expected):
            continue  # a mistake that gives the right answer here says nothing
        if compare(got, wrong):
            return f"\nLikely mistake: {explanation}"
    return ""


def _finish(message: str, hint: str | None) -> str:
    return f"{message}\n{hint}" if hint else message


def _what_is_off(array, expected, rtol, atol) -> str:
    """How ``array`` differs from ``expected`` of the same shape: how many values, the first one,
    and how many are not finite numbers."""
    if array.ndim:
        bad = ~np.isclose(array, expected, rtol=rtol, atol=atol)
        first = np.unravel_index(int(np.argmax(bad)), array.shape)
        summary = (
            f"{int(bad.sum())} of {bad.size} values are off; first at index "
            f"{tuple(int(i) for i in first)}: {_both(expected[first], array[first])}"
        )
    else:
        summary = _both(expected, array)
    non_finite = int((~np.isfinite(array)).sum())
    if non_finite == 1:
        summary += " (1 value is not a finite number)"
    elif non_finite:
        summary += f" ({non_finite} values are not finite numbers)"
    return summary


def check_close(
    got,
    expected,
    case: str,
    *,
    what: str = "the result",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    mistakes: Mapping[str, object] | Callable[[], Mapping] | None = None,
    hint: str | None = None,
    alternatives: tuple | Callable[[], tuple] = (),
) -> None:
    """Fail unless ``got`` equals ``expected`` within ``rtol``/``atol``, elementwise.

    ``mistakes`` maps an explanation ("your variance is the unbiased one (ddof=1); batch norm
    divides by m") to the value that mistake gives on this case; the first one ``got`` matches
    is named in the message. ``hint`` is added to every failure of this check.
    ``alternatives`` are other values that are right too (for example the result of another
    placement of epsilon that the text allows); ``got`` passes when it matches one of them.
    ``mistakes`` and ``alternatives`` may also be functions that return them: they are then
    computed only when ``got`` differs from ``expected``, which keeps a correct solution fast.
    """
    expected = np.asarray(expected, dtype=np.float64)
    array = _as_numbers(got)
    if array is None:
        kind = "a number" if expected.ndim == 0 else f"an array of shape {expected.shape}"
        raise CheckFailed(_finish(f"{case}:\n{what} should be {kind}, got {preview(got)}.", hint))
    if array.shape != expected.shape:
        message = f"{case}:\n{what} should have shape {expected.shape}, got shape {array.shape}."
        message += _diagnosis(
            array, expected, mistakes, rtol, atol, lambda a, b: a.shape == b.shape
        )
        raise CheckFailed(_finish(message, hint))
    if _close(array, expected, rtol, atol):
        return
    for other in alternatives() if callable(alternatives) else alternatives:
        other = _as_numbers(other)
        if other is not None and _close(array, other, rtol, atol):
            return
    summary = _what_is_off(array, expected, rtol, atol)
    message = f"{case}:\n{what} is wrong: {summary} (tolerance rtol={rtol:g}, atol={atol:g})."
    if array.ndim and array.size > 1:
        message += f"\nExpected {preview(expected)}, got {preview(array)}."
    message += _diagnosis(
        array, expected, mistakes, rtol, atol, lambda a, b: _close(a, b, rtol, atol)
    )
    raise CheckFailed(_finish(message, hint))


def check_equal(
    got,
    expected,
    case: str,
    *,
    what: str = "the result",
    mistakes: Mapping[str, object] | None = None,
    hint: str | None = None,
) -> None:
    """Fail unless ``got`` equals ``expected`` exactly (ints, labels, counts, tuples, arrays)."""
    expected_array = _as_numbers(expected)
    got_array = _as_numbers(got)
    if expected_array is None or got_array is None:
        if got == expected:
            return
        message = f"{case}:\n{what} should be {preview(expected)}, got {preview(got)}."
        for explanation, wrong in ((mistakes() if callable(mistakes) else mistakes) or {}).items():
            if wrong != expected and got == wrong:
                message += f"\nLikely mistake: {explanation}"
                break
        raise CheckFailed(_finish(message, hint))

    def same(a, b):
        return a.shape == b.shape and bool(np.array_equal(a, b))

    if same(got_array, expected_array):
        return
    if got_array.shape != expected_array.shape:
        message = (
            f"{case}:\n{what} should have shape {expected_array.shape}, got shape "
            f"{got_array.shape}."
        )
        message += _diagnosis(
            got_array, expected_array, mistakes, 0, 0, lambda a, b: a.shape == b.shape
        )
        raise CheckFailed(_finish(message, hint))
    if expected_array.ndim == 0:
        message = f"{case}:\n{what} should be {preview(expected)}, got {preview(got)}."
    else:
        bad = got_array != expected_array
        first = np.unravel_index(int(np.argmax(bad)), bad.shape)
        shown_expected, shown_got = np.asarray(expected), np.asarray(got)
        message = (
            f"{case}:\n{what} is wrong: {int(bad.sum())} of {bad.size} values differ; first at "
            f"index {tuple(int(i) for i in first)}: "
            f"{_both(shown_expected[first], shown_got[first])}.\n"
            f"Expected {preview(shown_expected, 8)}, got {preview(shown_got, 8)}."
        )
    message += _diagnosis(got_array, expected_array, mistakes, 0, 0, same)
    raise CheckFailed(_finish(message, hint))


def check_raises(
    call: Callable[[], object], case: str, exception: type[BaseException] = ValueError
) -> None:
    """Fail unless ``call()`` raises ``exception``; say what happened instead."""
    try:
        result = call()
    except exception:
        return
    except Exception as error:  # noqa: BLE001 - any other error is the student's to see
        raise CheckFailed(
            f"{case}:\nexpected a {exception.__name__}, got {type(error).__name__}: {error}.\n"
            f"Raise {exception.__name__} for bad input, with a message naming the argument."
        ) from None
    raise CheckFailed(
        f"{case}:\nexpected a {exception.__name__}, but nothing was raised (the call returned "
        f"{preview(result)})."
    )


def check_type(value, types, case: str, *, what: str = "the result") -> None:
    """Fail unless ``value`` is an instance of ``types`` (a type or a tuple of types)."""
    if isinstance(value, types):
        return
    names = types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
    raise CheckFailed(
        f"{case}:\n{what} should be a {names}, got a {type(value).__name__} ({preview(value)})."
    )


def check_tuple(result, names: tuple[str, ...], case: str) -> tuple:
    """Fail unless ``result`` holds one value per name (a tuple, or a list); return it as a tuple.

    A test unpacks what a function returns; unpacking ``None`` or a single array would fail with
    Python's "cannot unpack" instead of a sentence that says what to return.
    """
    what = f"the result ({', '.join(names)})"
    if not isinstance(result, tuple | list):
        raise CheckFailed(
            f"{case}:\n{what} should be a tuple of {len(names)} values, got {preview(result)}."
        )
    if len(result) != len(names):
        raise CheckFailed(
            f"{case}:\n{what} should hold {len(names)} values, got {len(result)}: "
            f"return {', '.join(names)}."
        )
    return tuple(result)


def _argument_names(function: Callable, args: tuple, kwargs: dict) -> dict:
    """{parameter name: value} of a call, from ``function``'s signature when it has one."""
    try:
        return dict(inspect.signature(function).bind(*args, **kwargs).arguments)
    except (TypeError, ValueError):  # no signature, or one the call does not fit
        return {f"argument {i + 1}": value for i, value in enumerate(args)} | kwargs


def _snapshot(value):
    """A copy of an array argument's numbers, or None for arguments that are not arrays."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return _as_numbers(value)
    return None


def _restore(value, copy) -> None:
    """Put the numbers of ``copy`` back into the argument ``value`` the call changed."""
    if isinstance(value, np.ndarray) and value.shape == copy.shape and value.flags.writeable:
        np.copyto(value, copy, casting="unsafe")
    elif isinstance(value, list):
        value[:] = copy.tolist()


def call_unmodified(
    function: Callable, *args, case: str, returns: tuple[str, ...] | None = None, **kwargs
):
    """``function(*args, **kwargs)``, failing first if the call changed an array argument in place.

    A step written ``w -= learning_rate * g`` changes the caller's array, and the test that then
    compares the new weights with the old ones reads the new values twice: a value check reports
    "|w_new - w| is 0" instead of the cause. Every array (or list of numbers) among the arguments
    is compared with a copy taken before the call, before any value is checked, and put back
    when it changed: the tests share their inputs, and one in-place slip must not spoil the next
    test. With ``returns`` (the names of the values the function returns), the result is checked
    by ``check_tuple``.
    """
    before = {
        name: (value, copy)
        for name, value in _argument_names(function, args, kwargs).items()
        if (copy := _snapshot(value)) is not None
    }
    result = function(*args, **kwargs)
    for name, (value, copy) in before.items():
        after = _as_numbers(value)
        if after is not None and after.shape == copy.shape:
            changed = ~((after == copy) | (np.isnan(after) & np.isnan(copy)))
            if not changed.any():
                continue
            first = np.unravel_index(int(np.argmax(changed)), changed.shape)
            where = f" at index {tuple(int(i) for i in first)}" if changed.ndim else ""
            detail = (
                f"{int(changed.sum())} of {changed.size} values changed (first{where}: was "
                f"{number(copy[first])}, now {number(np.asarray(value)[first])})"
            )
        else:
            detail = f"it had shape {copy.shape}, now {np.shape(value)}"
        _restore(value, copy)
        raise CheckFailed(
            f"{case}:\nthe call modified its argument `{name}` in place: {detail}.\n"
            f"Likely mistake: `{name} -= ...`, `{name} *= ...` or `{name}[...] = ...` change the "
            f"caller's array; write `{name} = ...` to make a new one."
        )
    return result if returns is None else check_tuple(result, returns, case)


def failure_of(check: Callable[[], object]) -> str | None:
    """What ``check()`` fails with (the check's message, or the error), or None if it passes."""
    try:
        check()
    except CheckFailed as failed:
        return str(failed)
    except Exception as error:  # noqa: BLE001 - any error of the student's code is a failure
        return f"{type(error).__name__}: {error}"
    return None


def _gist(message: str) -> str:
    """A failure without its previews: the case, what is wrong, the likely mistake."""
    return "\n".join(line for line in message.splitlines() if not line.startswith("Expected "))


class builds_on:  # a context manager, named like the function it reads as: `with builds_on(...)`
    """Around a test that goes through the graded function ``name``: when the test fails and
    ``own_tests()`` (``name``'s own checks) fails too, say to fix ``name`` first.

    One wrong ``adam_step`` otherwise fails the AdamW tests with numbers only, and the student
    looks for the mistake in the wrong function. ``own_tests`` runs only after a failure, and
    only its verdict counts: a dependent function written without ``name`` is judged alone.
    ``by`` names the function under test when it is another one than ``name``. A test that
    goes through several functions passes ``{name: own_tests}``, in the order to fix them.
    """

    def __init__(self, name, own_tests: Callable[[], object] | None = None, *, by=None):
        self.prerequisites = dict(name) if isinstance(name, Mapping) else {name: own_tests}
        self.by = by

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if not isinstance(error, Exception):
            return False
        failing = (
            (name, cause)
            for name, own_tests in self.prerequisites.items()
            if (cause := failure_of(own_tests)) is not None
        )
        name, cause = next(failing, (None, None))
        if name is None:
            return False
        checked = isinstance(error, CheckFailed)
        here = str(error) if checked else f"{type(error).__name__}: {error}"
        user = f", and `{self.by}` builds on it" if self.by else ""
        message = (
            f"Fix `{name}` first: it fails its own tests{user}.\n"
            f"{name}'s test: {_gist(cause)}\nThis test: {_gist(here)}"
        )
        if checked:  # the numbers are in the message; the traceback would repeat them
            raise CheckFailed(message) from None
        raise CheckFailed(message) from error
