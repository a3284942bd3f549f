import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.calibration import calibration_curve

from helpers.calibration import (
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
    log_loss,
    plot_reliability_diagram,
    reliability_table,
)


def _binary(p_first):
    """Two-class probabilities whose first column is ``p_first``."""
    p = np.asarray(p_first, dtype=float)
    return np.column_stack([p, 1 - p])


def test_overconfident_model_has_ece_equal_to_its_gap():
    # Ten predictions, all with confidence 0.9, six of them right: one bin, gap 0.9 - 0.6.
    proba = _binary([0.9] * 10)
    y = np.array([0] * 6 + [1] * 4)
    assert expected_calibration_error(y, proba) == pytest.approx(0.3)


def test_calibrated_bins_give_zero_ece():
    # 0.7 confidence and 7 of 10 right; 0.95 confidence and 19 of 20 right.
    proba = np.vstack([_binary([0.7] * 10), _binary([0.05] * 20)])
    y = np.array([0] * 7 + [1] * 3 + [1] * 19 + [0])
    assert expected_calibration_error(y, proba) == pytest.approx(0.0, abs=1e-12)


def test_ece_by_hand_with_two_bins_and_three_classes():
    proba = np.array(
        [
            [0.2, 0.7, 0.1],  # confidence 0.7, predicts 1, right
            [0.6, 0.3, 0.1],  # confidence 0.6, predicts 0, wrong
            [0.05, 0.05, 0.9],  # confidence 0.9, predicts 2, right
            [0.92, 0.04, 0.04],  # confidence 0.92, predicts 0, wrong
        ]
    )
    y = np.array([1, 2, 2, 1])
    table = reliability_table(y, proba, n_bins=2)
    np.testing.assert_array_equal(table["count"], [0, 4])
    # All four fall in (0.5, 1]: mean confidence 0.78, accuracy 0.5.
    assert table["confidence"][1] == pytest.approx(0.78)
    assert table["accuracy"][1] == pytest.approx(0.5)
    assert np.isnan(table["accuracy"][0])
    assert expected_calibration_error(y, proba, n_bins=2) == pytest.approx(0.28)
    # With five bins they split into (0.4, 0.6], (0.6, 0.8] and (0.8, 1].
    table = reliability_table(y, proba, n_bins=5)
    np.testing.assert_array_equal(table["count"], [0, 0, 1, 1, 2])
    expected = (1 / 4) * abs(0 - 0.6) + (1 / 4) * abs(1 - 0.7) + (2 / 4) * abs(0.5 - 0.91)
    assert expected_calibration_error(y, proba, n_bins=5) == pytest.approx(expected)


def test_bins_are_closed_on_the_right():
    table = reliability_table([0, 0, 0], _binary([0.5, 0.6, 1.0]), n_bins=10)
    assert table["count"][4] == 1  # 0.5 belongs to (0.4, 0.5]
    assert table["count"][5] == 1  # 0.6 belongs to (0.5, 0.6]
    assert table["count"][9] == 1  # 1.0 belongs to (0.9, 1.0]
    np.testing.assert_allclose(table["lower"][[0, 9]], [0.0, 0.9])
    np.testing.assert_allclose(table["upper"][[0, 9]], [0.1, 1.0])


def test_reliability_table_agrees_with_scikit_learn():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2000, 10)) * 3
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = rng.integers(0, 10, size=2000)
    y[:1200] = proba[:1200].argmax(axis=1)  # 60%+ right, so the bins are not all wrong
    table = reliability_table(y, proba, n_bins=15)
    correct = proba.argmax(axis=1) == y
    prob_true, prob_pred = calibration_curve(
        correct, proba.max(axis=1), n_bins=15, strategy="uniform"
    )
    filled = table["count"] > 0
    np.testing.assert_allclose(table["accuracy"][filled], prob_true)
    np.testing.assert_allclose(table["confidence"][filled], prob_pred)
    assert table["count"].sum() == 2000


def test_reliability_diagram_plots_the_bins():
    proba = np.vstack([_binary([0.7] * 10), _binary([0.95] * 20)])
    y = np.array([0] * 7 + [1] * 3 + [0] * 10 + [1] * 10)
    ax = plot_reliability_diagram(y, proba, n_bins=10, label="model")
    diagonal, curve = ax.get_lines()
    assert diagonal.get_label() == "perfect calibration"
    np.testing.assert_allclose(curve.get_xdata(), [0.7, 0.95])
    np.testing.assert_allclose(curve.get_ydata(), [0.7, 0.5])
    ece = (20 / 30) * 0.45
    assert curve.get_label() == f"model, ECE={ece:.3f}"
    # A second model on the same Axes adds one curve, not a second diagonal.
    plot_reliability_diagram(y, _binary([0.6] * 30), ax=ax)
    assert len(ax.get_lines()) == 3
    plt.close("all")


@pytest.mark.parametrize(
    "y, proba, match",
    [
        ([0, 1], [0.2, 0.8], r"proba must have shape \(n_samples, n_classes\)"),
        ([0], [[1.0]], r"proba must have shape"),
        ([0, 1], [[0.5, 0.6], [0.5, 0.5]], "each row of proba must sum to 1"),
        ([0, 1], [[2.0, -1.0], [0.5, 0.5]], "proba must hold probabilities"),
        ([0, 1, 1], [[0.5, 0.5], [0.5, 0.5]], r"y_true must have shape \(2,\)"),
        ([0, 2], [[0.5, 0.5], [0.5, 0.5]], "y_true must hold classes 0 to 1"),
        ([0.0, 1.0], [[0.5, 0.5], [0.5, 0.5]], "y_true must hold integer class labels"),
    ],
)
def test_bad_input(y, proba, match):
    with pytest.raises(ValueError, match=match):
        expected_calibration_error(y, proba)


@pytest.mark.parametrize("n_bins", [0, -3, 2.5, True])
def test_bad_n_bins(n_bins):
    with pytest.raises(ValueError, match="n_bins must be a positive int"):
        reliability_table([0], [[0.9, 0.1]], n_bins=n_bins)


def _softmax(logits):
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def test_apply_temperature_divides_the_logits_and_keeps_the_prediction():
    logits = np.random.default_rng(0).normal(size=(50, 4)) * 3
    proba = _softmax(logits)
    for t in (0.3, 1.0, 2.5):
        np.testing.assert_allclose(apply_temperature(proba, t), _softmax(logits / t), atol=1e-9)
        assert (apply_temperature(proba, t).argmax(1) == proba.argmax(1)).all()


def test_log_loss_agrees_with_scikit_learn():
    from sklearn.metrics import log_loss as sk_log_loss

    rng = np.random.default_rng(1)
    proba = _softmax(rng.normal(size=(40, 3)))
    y = rng.integers(0, 3, 40)
    assert log_loss(y, proba) == pytest.approx(sk_log_loss(y, proba, labels=[0, 1, 2]))


def test_fit_temperature_recovers_the_temperature_that_made_the_data():
    """Labels drawn from softmax(z); the model reports softmax(3 z), three times overconfident:
    the fitted temperature undoes that (about 3) and matches a grid search of the log loss."""
    rng = np.random.default_rng(2)
    z = rng.normal(size=(20_000, 5)) * 2
    true_p = _softmax(z)
    y = np.array([rng.choice(5, p=p) for p in true_p])
    overconfident = _softmax(3 * z)
    t = fit_temperature(y, overconfident)
    assert t == pytest.approx(3.0, rel=0.05)
    grid = np.linspace(1, 5, 401)
    best = grid[np.argmin([log_loss(y, apply_temperature(overconfident, g)) for g in grid])]
    assert t == pytest.approx(best, abs=0.02)
    # an underconfident model gets a temperature below 1, and its ECE falls
    under = _softmax(z / 2)
    t_under = fit_temperature(y, under)
    assert t_under == pytest.approx(0.5, rel=0.05)
    fixed = apply_temperature(under, t_under)
    assert expected_calibration_error(y, fixed) < expected_calibration_error(y, under)


@pytest.mark.parametrize("t", [0, -1.0, float("nan"), float("inf"), True, "2"])
def test_bad_temperature(t):
    with pytest.raises(ValueError, match="temperature must be a positive number"):
        apply_temperature([[0.5, 0.5]], t)


def test_fit_temperature_checks_its_input():
    with pytest.raises(ValueError, match=r"y_true must have shape \(2,\)"):
        fit_temperature([0], [[0.5, 0.5], [0.4, 0.6]])
