import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers.plotting import plot_activation, plot_image_grid, plot_learning_curves


def test_learning_curves_pair_training_and_validation():
    history = {
        "loss": [1.0, 0.5],
        "val_loss": [1.1, 0.7],
        "accuracy": [0.5, 0.8],
        "val_accuracy": [0.4, 0.7],
        "learning_rate": [0.1, 0.1],
    }
    ax = plot_learning_curves(history)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["loss", "val_loss", "accuracy", "val_accuracy"]
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), [1.1, 0.7])
    assert ax.get_lines()[1].get_linestyle() == "--"
    plt.close("all")


def test_learning_curves_reject_unknown_metric():
    with pytest.raises(ValueError, match=r"metrics \['auc'\] are not in the history"):
        plot_learning_curves({"loss": [1.0]}, metrics=["auc"])
    with pytest.raises(ValueError, match="history must be"):
        plot_learning_curves({})


def test_image_grid_marks_wrong_predictions_red():
    images = np.zeros((3, 28, 28))
    fig = plot_image_grid(images, [0, 1, 2], ["a", "b", "c"], predictions=[0, 2, 2], n_cols=2)
    titles = [(ax.get_title(), ax.title.get_color()) for ax in fig.axes if ax.get_title()]
    assert titles == [("a", "black"), ("c", "red"), ("c", "black")]
    assert len(fig.axes) == 4  # 2x2 grid, last one empty
    plt.close("all")


def test_image_grid_rejects_flat_images():
    with pytest.raises(ValueError, match=r"images must have shape \(n, height, width\)"):
        plot_image_grid(np.zeros((3, 784)))


@pytest.mark.parametrize(
    "name, kwargs, expected_derivative",
    [
        ("relu", {}, lambda z: (z > 0).astype(float)),
        ("sigmoid", {}, lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
        ("leaky_relu", {"negative_slope": 0.2}, lambda z: np.where(z > 0, 1.0, 0.2)),
    ],
)
def test_activation_derivative_matches_calculus(name, kwargs, expected_derivative):
    z = np.array([-3.0, -0.5, 0.5, 3.0], dtype=np.float32)
    ax = plot_activation(name, z=z, **kwargs)
    f_line, df_line = ax.get_lines()[:2]
    np.testing.assert_allclose(df_line.get_ydata(), expected_derivative(z), rtol=1e-5, atol=1e-6)
    assert df_line.get_label() == f"{name}'"
    plt.close("all")
