import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import tensorflow as tf

from helpers.plotting import (
    finish,
    neuron_gradients,
    plot_activation,
    plot_image_grid,
    plot_learning_curves,
    plot_neuron_graph,
    plot_search_trials,
)


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


def test_neuron_gradients_match_gradient_tape():
    x, w, b, y = 1.5, 0.8, -0.5, 1.0
    v = neuron_gradients(x, w, b, y)
    wt, bt, xt = tf.Variable(w), tf.Variable(b), tf.Variable(x)
    with tf.GradientTape() as tape:
        loss = (tf.sigmoid(wt * xt + bt) - y) ** 2
    gw, gb, gx = tape.gradient(loss, [wt, bt, xt])
    np.testing.assert_allclose([v["dL_dw"], v["dL_db"], v["dL_dx"]], [gw, gb, gx], rtol=1e-5)
    np.testing.assert_allclose(v["L"], float(loss), rtol=1e-6)


def test_neuron_graph_labels_show_the_gradients():
    fig = plot_neuron_graph(1.5, 0.8, -0.5, 1.0)
    texts = {t.get_text() for t in fig.axes[0].texts}
    v = neuron_gradients(1.5, 0.8, -0.5, 1.0)
    assert f"∂L/∂w = {v['dL_dw']:.3f}" in texts and f"a = {v['a']:.3f}" in texts
    assert {"x", "w", "b", "z = wx + b", "a = σ(z)", "L = (a - y)²"} <= texts
    red = [t for t in fig.axes[0].texts if t.get_color() == "#c0392b"]
    assert len(red) == 5  # one backward gradient per edge
    plt.close("all")


def test_neuron_graph_rejects_non_numbers():
    with pytest.raises(ValueError, match="w must be a number"):
        plot_neuron_graph(1.0, "0.8", 0.0, 1.0)


def test_search_trials_one_panel_per_method_and_best_circled():
    searches = {
        "grid": [
            {"learning_rate": 0.01, "units": 10, "valid_accuracy": 0.5},
            {"learning_rate": 0.1, "units": 100, "valid_accuracy": 0.9},
        ],
        "random": [{"learning_rate": 0.003, "units": 50, "valid_accuracy": 0.7}],
    }
    fig = plot_search_trials(searches)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == [
        "grid search (2 trials)",
        "random search (1 trials)",
    ]
    best = panels[0].collections[1].get_offsets()
    np.testing.assert_allclose(best, [[0.1, 100]])
    last = fig.axes[2]
    assert last.get_xscale() == "log" and len(last.collections) == 2
    plt.close("all")


def test_search_trials_bad_input():
    with pytest.raises(ValueError, match="needs the keys"):
        plot_search_trials({"grid": [{"learning_rate": 0.1}]})
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_search_trials({})


def test_finish_adds_the_grid_the_legend_and_the_title_only_if_given():
    _, ax = plt.subplots()
    ax.plot([0, 1], label="a line")
    assert finish(ax, "a title") is ax
    assert ax.get_title() == "a title" and ax.xaxis.get_gridlines()[0].get_visible()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a line"]
    _, bare = plt.subplots()
    bare.plot([0, 1], label="x")
    assert finish(bare).get_title() == ""
    plt.close("all")
