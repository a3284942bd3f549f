import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import tensorflow as tf

from helpers.figures import neuron_gradients, plot_neuron_graph, plot_search_trials


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
