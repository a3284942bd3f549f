"""Calibration: does a classifier's confidence match how often it is right?

A model is *calibrated* when, among the predictions it makes with confidence 0.8, about 80% are
correct. Accuracy cannot tell: two models with the same accuracy can be honest or overconfident.
MC dropout is claimed to give "more reliable" probabilities, and the practical guidelines
recommend it for risk-sensitive applications, so the course measures calibration rather than
asserting it.

The confidence of a prediction is its largest class probability; the predicted class is the
argmax. Confidences are grouped into ``n_bins`` equal-width bins on [0, 1], each closed on the
right, ``(lower, upper]`` (the first bin also holds 0), the binning of
``sklearn.calibration.calibration_curve``. The *expected calibration error* (ECE) is the
average gap between accuracy and mean confidence over the bins, weighted by how many predictions
fall in each:

    ECE = sum_b (n_b / n) * |accuracy_b - confidence_b|

0 is perfect; an overconfident model (confidence above accuracy) and an underconfident one both
score above 0. The *reliability diagram* draws accuracy against confidence per bin: a calibrated
model follows the diagonal.

*Temperature scaling* (Guo et al., 2017) is the standard baseline against which any other
calibration fix is judged: divide the logits by one number ``T`` fitted on the validation set
(the ``T`` with the lowest log loss there), then apply the softmax. ``T > 1`` softens an
overconfident model, ``T < 1`` sharpens an underconfident one; the predicted class never changes,
so the accuracy does not either. From probabilities, ``log(p)`` serves as the logits (the softmax
ignores the constant that separates them): :func:`fit_temperature`, :func:`apply_temperature`.

Serves one lecture: lecture 6, sections 1 and 3 (the ECE in its table of metrics and its
verdicts, the reliability diagram of section 3.1, the temperature-scaled baseline). It is a
module rather than cells because the ECE and the temperature behind a verdict are exact claims:
``tests/helpers/test_calibration.py`` checks the binning against scikit-learn's, the ECE against
values worked out by hand, and the fitted temperature against a grid search and a known answer.
"""

import matplotlib.pyplot as plt
import numpy as np

SUM_TOLERANCE = 1e-3  # softmax outputs in float32 sum to 1 only up to rounding
TEMPERATURE_RANGE = (0.05, 20.0)  # the fitted temperature is searched in this range


def reliability_table(y_true, proba, n_bins: int = 10) -> dict:
    """Per-bin counts, mean confidence and accuracy of the top-label predictions.

    Parameters
    ----------
    y_true : array-like of int, shape (n,)
        The true classes, ``0 <= y < n_classes``.
    proba : array-like, shape (n, n_classes)
        Predicted class probabilities (each row sums to 1), for example the output of a softmax.
    n_bins : int
        Number of equal-width confidence bins on [0, 1].

    Returns
    -------
    dict of NumPy arrays of length ``n_bins``: ``"lower"`` and ``"upper"`` (the bin edges),
    ``"count"``, ``"confidence"`` (mean confidence in the bin) and ``"accuracy"`` (fraction
    correct in the bin). Empty bins have count 0 and NaN confidence and accuracy.
    """
    y_true, proba = _check(y_true, proba)
    n_bins = _check_bins(n_bins)
    confidence = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y_true).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Bin b holds (edges[b], edges[b + 1]]; a confidence of exactly 0 goes to the first bin.
    index = np.clip(np.searchsorted(edges[1:-1], confidence, side="left"), 0, n_bins - 1)
    count = np.bincount(index, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(index, weights=confidence, minlength=n_bins) / count
        accuracy = np.bincount(index, weights=correct, minlength=n_bins) / count
    return {
        "lower": edges[:-1],
        "upper": edges[1:],
        "count": count,
        "confidence": mean_confidence,
        "accuracy": accuracy,
    }


def expected_calibration_error(y_true, proba, n_bins: int = 10) -> float:
    """The count-weighted mean of ``|accuracy - confidence|`` over the bins (see module doc)."""
    table = reliability_table(y_true, proba, n_bins)
    filled = table["count"] > 0
    weights = table["count"][filled] / table["count"].sum()
    gaps = np.abs(table["accuracy"][filled] - table["confidence"][filled])
    return float(np.sum(weights * gaps))


def plot_reliability_diagram(y_true, proba, n_bins: int = 10, *, ax=None, label=None):
    """Accuracy against mean confidence per bin, with the diagonal of perfect calibration.

    Each non-empty bin is a point at (mean confidence, accuracy); the points are joined by a
    line labelled ``label`` followed by the ECE. Points below the diagonal are overconfident
    bins. Call it several times on the same ``ax`` to compare models. Returns the Axes.
    """
    table = reliability_table(y_true, proba, n_bins)
    ece = expected_calibration_error(y_true, proba, n_bins)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    if not any(line.get_label() == "perfect calibration" for line in ax.get_lines()):
        ax.plot([0, 1], [0, 1], ":", color="grey", label="perfect calibration")
    filled = table["count"] > 0
    name = f"{label}, " if label else ""
    ax.plot(
        table["confidence"][filled],
        table["accuracy"][filled],
        "o-",
        label=f"{name}ECE={ece:.3f}",
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("confidence (mean of the bin)")
    ax.set_ylabel("accuracy in the bin")
    ax.set_aspect("equal")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left")
    return ax


def apply_temperature(proba, temperature):
    """The probabilities ``softmax(log(proba) / temperature)``: sharper for ``temperature < 1``,
    softer for ``temperature > 1``, the same predicted class."""
    proba = _check_proba(proba)
    temperature = _check_temperature(temperature)
    logits = np.log(np.clip(proba, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=1, keepdims=True)


def log_loss(y_true, proba) -> float:
    """Mean of ``-log p(true class)`` (probabilities clipped at 1e-12)."""
    y_true, proba = _check(y_true, proba)
    return float(-np.mean(np.log(np.clip(proba[np.arange(len(y_true)), y_true], 1e-12, 1.0))))


def fit_temperature(y_true, proba) -> float:
    """The temperature whose scaled probabilities have the lowest log loss on ``(y_true,
    proba)``: fit it on the validation set, apply it to the test set."""
    from scipy.optimize import minimize_scalar

    y_true, proba = _check(y_true, proba)
    low, high = np.log(TEMPERATURE_RANGE)
    found = minimize_scalar(
        lambda log_t: log_loss(y_true, apply_temperature(proba, float(np.exp(log_t)))),
        bounds=(low, high),
        method="bounded",
        options={"xatol": 1e-5},
    )
    return float(np.exp(found.x))


def _check_temperature(temperature):
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, (int, float, np.floating))
        or not np.isfinite(temperature)
        or temperature <= 0
    ):
        raise ValueError(f"temperature must be a positive number, got {temperature!r}.")
    return float(temperature)


def _check_proba(proba):
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape[0] == 0 or proba.shape[1] < 2:
        raise ValueError(
            f"proba must have shape (n_samples, n_classes) with n_samples >= 1 and "
            f"n_classes >= 2, got {proba.shape}."
        )
    if not np.all(np.isfinite(proba)) or proba.min() < 0 or proba.max() > 1:
        raise ValueError("proba must hold probabilities: finite values between 0 and 1.")
    if np.max(np.abs(proba.sum(axis=1) - 1)) > SUM_TOLERANCE:
        raise ValueError(
            f"each row of proba must sum to 1 (within {SUM_TOLERANCE}); pass probabilities, "
            "not logits."
        )
    return proba


def _check(y_true, proba):
    proba = _check_proba(proba)
    y_true = np.asarray(y_true)
    if y_true.shape != (proba.shape[0],):
        raise ValueError(
            f"y_true must have shape ({proba.shape[0]},) to match proba, got {y_true.shape}."
        )
    if not np.issubdtype(y_true.dtype, np.integer):
        raise ValueError(f"y_true must hold integer class labels, got dtype {y_true.dtype}.")
    if y_true.min() < 0 or y_true.max() >= proba.shape[1]:
        raise ValueError(
            f"y_true must hold classes 0 to {proba.shape[1] - 1} (the columns of proba), got "
            f"values from {y_true.min()} to {y_true.max()}."
        )
    return y_true, proba


def _check_bins(n_bins):
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive int, got {n_bins!r}.")
    return int(n_bins)
