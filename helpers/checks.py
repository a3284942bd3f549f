"""Checks for the assignments' test cells, with failure messages that say what went wrong.

``np.testing.assert_allclose`` tells a student that "48 / 48" numbers differ and dumps two arrays;
in nbgrader's feedback a hidden test shows nothing but its message. The checks here fail with one
or two lines that name the case (its inputs, briefly), the expected and the received values in a
few numbers, and, when the received value matches a known common mistake, that mistake and its
fix. The test cells compute each mistake's value themselves, from the Keras oracle or from the
inputs, so no solution code lives here. Non-finite numbers are written out in words, never as
``nan``. Every failed check raises ``CheckFailed``, an ``AssertionError``.
"""

import math
from collections.abc import Callable, Mapping

import numpy as np

__all__ = [
    "CheckFailed",
    "check_close",
    "check_equal",
    "check_raises",
    "check_type",
    "inputs",
    "number",
    "preview",
]

PREVIEW_VALUES = 3  # how many numbers of an array a message quotes


class CheckFailed(AssertionError):
    """A test's check failed; the message is meant for the student."""


def number(x) -> str:
    """``x`` with 4 significant digits; non-finite values in words ("not-a-number", "infinity")."""
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
    return f"{value:.4g}"


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
            return f" Likely mistake: {explanation}"
    return ""


def _finish(message: str, hint: str | None) -> str:
    return f"{message} {hint}" if hint else message


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
        raise CheckFailed(_finish(f"{case}: {what} should be {kind}, got {preview(got)}.", hint))
    if array.shape != expected.shape:
        message = f"{case}: {what} should have shape {expected.shape}, got shape {array.shape}."
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
    bad = ~np.isclose(array, expected, rtol=rtol, atol=atol)
    first = np.unravel_index(int(np.argmax(bad)), array.shape) if array.ndim else ()
    where = f" at index {tuple(int(i) for i in first)}" if array.ndim else ""
    if array.ndim:
        summary = (
            f"{int(bad.sum())} of {bad.size} values are off; first{where}: expected "
            f"{number(expected[first])}, got {number(array[first])}"
        )
    else:
        summary = f"expected {number(expected)}, got {number(array)}"
    non_finite = int((~np.isfinite(array)).sum())
    if non_finite:
        summary += f" ({non_finite} values are not finite numbers)"
    message = f"{case}: {what} is wrong: {summary} (tolerance rtol={rtol:g}, atol={atol:g})."
    if array.ndim and array.size > 1:
        message += f" Expected {preview(expected)}, got {preview(array)}."
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
        message = f"{case}: {what} should be {preview(expected)}, got {preview(got)}."
        for explanation, wrong in ((mistakes() if callable(mistakes) else mistakes) or {}).items():
            if wrong != expected and got == wrong:
                message += f" Likely mistake: {explanation}"
                break
        raise CheckFailed(_finish(message, hint))

    def same(a, b):
        return a.shape == b.shape and bool(np.array_equal(a, b))

    if same(got_array, expected_array):
        return
    if got_array.shape != expected_array.shape:
        message = (
            f"{case}: {what} should have shape {expected_array.shape}, got shape "
            f"{got_array.shape}."
        )
        message += _diagnosis(
            got_array, expected_array, mistakes, 0, 0, lambda a, b: a.shape == b.shape
        )
        raise CheckFailed(_finish(message, hint))
    if expected_array.ndim == 0:
        message = f"{case}: {what} should be {preview(expected)}, got {preview(got)}."
    else:
        bad = got_array != expected_array
        first = np.unravel_index(int(np.argmax(bad)), bad.shape)
        shown_expected, shown_got = np.asarray(expected), np.asarray(got)
        message = (
            f"{case}: {what} is wrong: {int(bad.sum())} of {bad.size} values differ; first at "
            f"index {tuple(int(i) for i in first)}: expected {number(shown_expected[first])}, "
            f"got {number(shown_got[first])}. Expected {preview(shown_expected, 8)}, got "
            f"{preview(shown_got, 8)}."
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
            f"{case}: expected a {exception.__name__}, got {type(error).__name__}: {error}. "
            f"Raise {exception.__name__} for bad input, with a message naming the argument."
        ) from None
    raise CheckFailed(
        f"{case}: expected a {exception.__name__}, but nothing was raised (the call returned "
        f"{preview(result)})."
    )


def check_type(value, types, case: str, *, what: str = "the result") -> None:
    """Fail unless ``value`` is an instance of ``types`` (a type or a tuple of types)."""
    if isinstance(value, types):
        return
    names = types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
    raise CheckFailed(
        f"{case}: {what} should be a {names}, got a {type(value).__name__} ({preview(value)})."
    )
