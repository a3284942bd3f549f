"""The paths come from Keras' optimizers and follow the update rules Keras documents.

The expected points are worked out by hand on ``elongated_bowl``, whose gradient at (x, y) is
(x, 20 y).
"""

import matplotlib

matplotlib.use("Agg")

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
import tensorflow as tf

from helpers.optimizer_paths import (
    elongated_bowl,
    optimizer_path,
    plot_optimizer_paths,
    rosenbrock,
)


def test_surfaces_have_their_minimum_and_gradient():
    w = keras.Variable([1.0, 1.0])
    with tf.GradientTape() as tape:
        loss = elongated_bowl(w)
    np.testing.assert_allclose(tape.gradient(loss, w), [1.0, 20.0])
    assert float(loss) == pytest.approx(10.5)
    assert elongated_bowl(np.zeros(2)) == 0.0
    assert rosenbrock(np.ones(2)) == 0.0 and rosenbrock(np.ones(2), b=100.0) == 0.0
    assert rosenbrock(np.array([0.0, 0.0])) == 1.0
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-1, 3, 5)))
    assert rosenbrock(grid).shape == (5, 5) and rosenbrock(grid).min() == 0.0  # (1, 1) on grid


def test_sgd_first_step_is_minus_learning_rate_times_gradient():
    path = optimizer_path(keras.optimizers.SGD(learning_rate=0.01), elongated_bowl, [1, 1], 2)
    assert path.shape == (3, 2) and path.dtype == np.float32
    np.testing.assert_array_equal(path[0], [1.0, 1.0])
    np.testing.assert_allclose(path[1], [1 - 0.01 * 1, 1 - 0.01 * 20], rtol=1e-6)
    np.testing.assert_allclose(path[2], [0.99 - 0.01 * 0.99, 0.8 - 0.01 * 16], rtol=1e-6)


def test_momentum_accumulates_as_keras_documents():
    # Keras: velocity = momentum * velocity - lr * g; w = w + velocity (lr 0.01, momentum 0.9)
    # step 1: g = (1, 20)      v = (-0.01, -0.2)                  w = (0.99, 0.8)
    # step 2: g = (0.99, 16)   v = (-0.009 - 0.0099, -0.18 - 0.16)  w = (0.9711, 0.46)
    # step 3: g = (0.9711, 9.2) v = (-0.01701 - 0.009711, -0.306 - 0.092)
    optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)
    path = optimizer_path(optimizer, elongated_bowl, [1, 1], 3)
    expected = [[1, 1], [0.99, 0.8], [0.9711, 0.46], [0.944379, 0.062]]
    np.testing.assert_allclose(path, expected, rtol=1e-5, atol=1e-6)


def test_nesterov_takes_the_look_ahead_step():
    # Keras: velocity = momentum * velocity - lr * g; w = w + momentum * velocity - lr * g
    # step 1: v = (-0.01, -0.2); w = (1, 1) + (-0.009 - 0.01, -0.18 - 0.2) = (0.981, 0.62)
    # step 2: g = (0.981, 12.4); v = (-0.01881, -0.304)
    #         w = (0.981, 0.62) + (-0.016929 - 0.00981, -0.2736 - 0.124) = (0.954261, 0.2224)
    optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
    path = optimizer_path(optimizer, elongated_bowl, [1, 1], 2)
    np.testing.assert_allclose(path, [[1, 1], [0.981, 0.62], [0.954261, 0.2224]], rtol=1e-5)


def test_adam_first_step_has_the_size_of_the_learning_rate_whatever_the_gradient():
    # The gradient is 20 times larger along y, yet both coordinates move by lr.
    path = optimizer_path(keras.optimizers.Adam(learning_rate=0.1), elongated_bowl, [1, 1], 1)
    np.testing.assert_allclose(path[1], [0.9, 0.9], rtol=1e-5)


def test_adagrad_steps_shrink_while_rmsprop_steps_do_not():
    # On a straight slope (constant gradient) AdaGrad's accumulated squares grow without end.
    def slope(w):
        return w[0] + w[1]

    ada = optimizer_path(keras.optimizers.Adagrad(learning_rate=0.1), slope, [0, 0], 100)
    rms = optimizer_path(keras.optimizers.RMSprop(learning_rate=0.1), slope, [0, 0], 100)
    ada_steps = np.abs(np.diff(ada[:, 0]))
    rms_steps = np.abs(np.diff(rms[:, 0]))
    assert ada_steps[-1] < ada_steps[0] / 5
    assert rms_steps[-1] == pytest.approx(0.1, rel=1e-3)  # lr * g / sqrt(g**2)


def test_paths_are_reproducible_and_each_optimizer_must_be_fresh():
    first = optimizer_path(keras.optimizers.Nadam(0.1), rosenbrock, [-1.5, 2.0], 20)
    second = optimizer_path(keras.optimizers.Nadam(0.1), rosenbrock, [-1.5, 2.0], 20)
    np.testing.assert_array_equal(first, second)
    used = keras.optimizers.SGD(0.1)
    optimizer_path(used, elongated_bowl, [1, 1], 1)
    with pytest.raises(ValueError, match="already taken steps; pass a fresh optimizer"):
        optimizer_path(used, elongated_bowl, [1, 1], 1)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"optimizer": "sgd"}, r"optimizer must be a keras.optimizers.Optimizer instance"),
        ({"loss_fn": 3}, r"loss_fn must be callable, got 3"),
        ({"start": [[1.0, 2.0]]}, r"start must be a non-empty 1-D sequence"),
        ({"start": []}, r"start must be a non-empty 1-D sequence"),
        ({"n_steps": 0}, r"n_steps must be a positive int, got 0"),
        ({"n_steps": 2.5}, r"n_steps must be a positive int, got 2.5"),
    ],
)
def test_optimizer_path_rejects_bad_arguments(kwargs, message):
    arguments = {
        "optimizer": keras.optimizers.SGD(0.1),
        "loss_fn": elongated_bowl,
        "start": [1.0, 1.0],
        "n_steps": 3,
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        optimizer_path(**arguments)


def test_plot_draws_each_path_and_the_minimum():
    paths = {"a": np.array([[0.0, 1.0], [0.5, 0.5]]), "b": np.array([[1.0, 1.0], [0.0, 0.0]])}
    ax = plot_optimizer_paths(
        paths, elongated_bowl, xlim=(-1, 1), ylim=(-1, 1), minimum=(0, 0), title="t"
    )
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["a", "b", "minimum"]
    np.testing.assert_array_equal(lines[1].get_xdata(), [1.0, 0.0])
    assert ax.get_title() == "t" and ax.get_xlim() == (-1, 1)
    plt.close("all")


def test_plot_rejects_bad_input():
    with pytest.raises(ValueError, match="paths must be a non-empty dict"):
        plot_optimizer_paths({}, elongated_bowl, xlim=(-1, 1), ylim=(-1, 1))
    with pytest.raises(ValueError, match=r"paths\['a'\] must have shape \(n, 2\)"):
        plot_optimizer_paths({"a": np.zeros((4, 3))}, elongated_bowl, xlim=(-1, 1), ylim=(-1, 1))
    with pytest.raises(ValueError, match="xlim and ylim must be"):
        plot_optimizer_paths({"a": np.zeros((4, 2))}, elongated_bowl, xlim=(1, -1), ylim=(-1, 1))
