"""Prediction latency, measured one way wherever a lecture compares two models.

A single timing on a shared machine is mostly noise, and the first call of a Keras model also
traces and compiles its predict function. ``time_predictions`` therefore warms the model up first,
then times several repeats and returns them all, so that a notebook can report the best repeat
(the least disturbed one) next to the median. It calls ``model.predict_on_batch``: one compiled
forward pass over the whole input, without ``predict``'s per-call data pipeline, so that what is
measured is the model's own arithmetic (for example the extra work of batch-normalisation layers).
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
    for arg, value, low in (("repeats", repeats, 1), ("number", number, 1), ("warmup", warmup, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            allowed = "a positive int" if low else "a non-negative int"
            raise ValueError(f"{arg} must be {allowed}, got {value!r}.")
    if not callable(getattr(model, "predict_on_batch", None)):
        raise ValueError(
            f"model must be a Keras model (an object with predict_on_batch), got {type(model)}."
        )
    if len(X) == 0:
        raise ValueError("X must hold at least one sample, got an empty array.")

    for _ in range(warmup):
        model.predict_on_batch(X)
    timings = np.empty(repeats)
    for r in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            model.predict_on_batch(X)
        timings[r] = (time.perf_counter() - start) / number
    return timings
