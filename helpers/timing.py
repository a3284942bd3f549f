"""Prediction latency of several models, measured fairly on a shared machine.

A single timing on a shared machine is mostly noise, and the first call of a Keras model also
traces and compiles its predict function. ``time_predictions`` therefore warms the model up
first, then times several repeats and returns them all, so that a notebook can report the best
repeat (the least disturbed one) next to the median. ``compare_predictions`` times several models
in interleaved rounds, so that a burst of load from other processes slows all of them alike
rather than whichever model happened to be measured at that moment. Both call
``model.predict_on_batch``: one compiled forward pass over the whole input, without
``predict``'s per-call data pipeline, so that what is measured is the model's own arithmetic
(for example the extra work of batch-normalisation layers).

Serves one lecture: lecture 2, section 5 (the cost of BN at prediction time, and of fusing it
away), and its exercise 2. It is a module rather than cells because the method (warm-up,
repeats, interleaved rounds) decides whether the latency table is fair, and
``tests/helpers/test_timing.py`` checks it call by call.
"""

import time

import numpy as np


def time_predictions(model, X, repeats: int = 5, *, number: int = 1, warmup: int = 1):
    """Seconds per ``model.predict_on_batch(X)`` call, one value per repeat.

    Parameters
    ----------
    model : keras.Model (or any object with ``predict_on_batch``)
    X : array-like
        The inputs, predicted in one batch.
    repeats : int
        How many timings to return.
    number : int
        Calls per repeat; each returned value is their mean.
    warmup : int
        Untimed calls first (the first call compiles the predict function).

    Returns
    -------
    numpy.ndarray of shape ``(repeats,)``, in seconds per call.
    """
    _check_counts(repeats, number, warmup)
    _check_model(model, "model")
    _check_inputs(X)

    for _ in range(warmup):
        model.predict_on_batch(X)
    timings = np.empty(repeats)
    for r in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            model.predict_on_batch(X)
        timings[r] = (time.perf_counter() - start) / number
    return timings


def compare_predictions(models: dict, X, repeats: int = 5, *, number: int = 1, warmup: int = 1):
    """Time several models on the same inputs in interleaved rounds.

    Every model is warmed up first; then each of the ``repeats`` rounds times every model once
    (``number`` calls, averaged), in the order of ``models``.

    Parameters
    ----------
    models : dict
        Name -> Keras model (or any object with ``predict_on_batch``).
    X, repeats, number, warmup
        As for :func:`time_predictions`.

    Returns
    -------
    dict
        Name -> numpy.ndarray of shape ``(repeats,)``, in seconds per call.
    """
    if not isinstance(models, dict) or not models:
        raise ValueError(f"models must be a non-empty dict of name -> model, got {models!r}.")
    _check_counts(repeats, number, warmup)
    for name, model in models.items():
        _check_model(model, f"models[{name!r}]")
    _check_inputs(X)

    for model in models.values():
        for _ in range(warmup):
            model.predict_on_batch(X)
    timings = {name: np.empty(repeats) for name in models}
    for r in range(repeats):
        for name, model in models.items():
            timings[name][r] = time_predictions(model, X, repeats=1, number=number, warmup=0)[0]
    return timings


def _check_counts(repeats, number, warmup):
    for arg, value, low in (("repeats", repeats, 1), ("number", number, 1), ("warmup", warmup, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            allowed = "a positive int" if low else "a non-negative int"
            raise ValueError(f"{arg} must be {allowed}, got {value!r}.")


def _check_model(model, label):
    if not callable(getattr(model, "predict_on_batch", None)):
        raise ValueError(
            f"{label} must be a Keras model (an object with predict_on_batch), got {type(model)}."
        )


def _check_inputs(X):
    if len(X) == 0:
        raise ValueError("X must hold at least one sample, got an empty array.")
