import keras
import numpy as np
import pytest

from helpers.diagnostics import (
    activation_stats_by_layer,
    dead_unit_fraction,
    dense_layers,
    gradient_norms_by_layer,
    kernel_stats,
    pre_activations_by_layer,
)
from helpers.seeding import set_seed


def _mlp(units, activation, init, n_in=20, n_out=3):
    layers = [keras.Input(shape=(n_in,))]
    layers += [
        keras.layers.Dense(u, activation=activation, kernel_initializer=init) for u in units
    ]
    layers.append(keras.layers.Dense(n_out, activation="softmax"))
    return keras.Sequential(layers)


def _data(n=64, n_in=20, n_out=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_in)).astype(np.float32), rng.integers(0, n_out, n)


# ----------------------------------------------------------------------------- gradient norms
def test_gradient_norms_equal_the_step_keras_takes_with_learning_rate_one():
    """One full-batch SGD step with learning rate 1 moves each kernel by exactly its gradient."""
    set_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(4, 5)),
            keras.layers.Flatten(),  # not a Dense layer: skipped
            keras.layers.Dense(8, activation="sigmoid"),
            keras.layers.Dense(6, activation="tanh"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    X, y = _data(n=32, n_in=20)
    X = X.reshape(32, 4, 5)
    norms = gradient_norms_by_layer(model, X, y)
    assert list(norms) == [layer.name for layer in model.layers[1:]]  # input to output

    before = [layer.kernel.numpy().copy() for layer in model.layers[1:]]
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=1.0), loss=["sparse_categorical_crossentropy"]
    )
    model.fit(X, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    steps = [
        np.linalg.norm(b - layer.kernel.numpy())
        for b, layer in zip(before, model.layers[1:], strict=True)
    ]
    np.testing.assert_allclose(list(norms.values()), steps, rtol=1e-4)


def test_gradient_norm_of_linear_regression_matches_the_formula():
    """For MSE on a linear layer, dL/dW = 2 X^T (XW + b - Y) / (n * outputs)."""
    set_seed(1)
    model = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(2)])
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 5)).astype(np.float32)
    Y = rng.normal(size=(40, 2)).astype(np.float32)
    W, b = model.layers[0].kernel.numpy(), model.layers[0].bias.numpy()
    expected = np.linalg.norm(2 * X.T @ (X @ W + b - Y) / Y.size)
    (norm,) = gradient_norms_by_layer(model, X, Y, loss="mse").values()
    assert norm == pytest.approx(expected, rel=1e-5)


def test_the_lectures_gradient_patterns_in_deep_untrained_nets():
    """Lecture 1's claims: with N(0, 1) weights sigmoid units saturate and ReLU activations
    explode; with Glorot weights the sigmoid's gradient vanishes towards the input; ReLU + He
    keeps the first and last hidden layers' gradients within a factor of 10."""
    X, y = _data(n=256, n_in=50, n_out=10)
    nets = {}
    for key, activation, init in [
        ("sigmoid_normal", "sigmoid", keras.initializers.RandomNormal(stddev=1.0)),
        ("sigmoid_glorot", "sigmoid", "glorot_uniform"),
        ("relu_normal", "relu", keras.initializers.RandomNormal(stddev=1.0)),
        ("relu_he", "relu", "he_normal"),
    ]:
        set_seed(42)
        nets[key] = _mlp([50] * 8, activation, init, 50, 10)

    z_std = [
        s["std"]
        for s in activation_stats_by_layer(nets["sigmoid_normal"], X, pre_activation=True).values()
    ]
    assert min(z_std[:-1]) > 4  # every hidden layer mostly in the flat part of the sigmoid

    g = list(gradient_norms_by_layer(nets["sigmoid_glorot"], X, y).values())
    assert len(g) == 9 and g[0] < 1e-3 * g[-2]
    assert all(a < b for a, b in zip(g[:-2], g[1:-1], strict=True))  # shrinking layer by layer

    z_std = [
        s["std"]
        for s in activation_stats_by_layer(nets["relu_normal"], X, pre_activation=True).values()
    ]
    assert z_std[-2] > 1e3 * z_std[0]

    g = list(gradient_norms_by_layer(nets["relu_he"], X, y).values())
    assert 0.1 < g[0] / g[-2] < 10


# ------------------------------------------------------------------------ activation statistics
def test_activation_stats_match_keras_outputs():
    set_seed(2)
    model = _mlp([7, 5], "relu", "he_normal")
    X, _ = _data()
    stats = activation_stats_by_layer(model, X)
    first = keras.Model(model.inputs[0], model.layers[0].output)(X).numpy()
    output = model.predict(X, verbose=0)
    names = [layer.name for layer in model.layers]
    assert list(stats) == names
    assert stats[names[0]]["mean"] == pytest.approx(first.mean(), rel=1e-5)
    assert stats[names[0]]["std"] == pytest.approx(first.std(), rel=1e-5)
    assert stats[names[-1]]["mean"] == pytest.approx(1 / 3, rel=1e-5)  # softmax rows sum to 1
    assert stats[names[-1]]["std"] == pytest.approx(output.std(), rel=1e-4)


def test_pre_activation_stats_are_before_the_activation():
    set_seed(3)
    model = _mlp([6], "sigmoid", "glorot_uniform")
    X, _ = _data()
    layer = model.layers[0]
    z = X @ layer.kernel.numpy() + layer.bias.numpy()
    stats = activation_stats_by_layer(model, X, pre_activation=True)[layer.name]
    assert stats["mean"] == pytest.approx(z.mean(), rel=1e-5, abs=1e-6)
    assert stats["std"] == pytest.approx(z.std(), rel=1e-5)
    post = activation_stats_by_layer(model, X)[layer.name]
    assert 0 < post["mean"] < 1  # sigmoid outputs


def test_pre_activations_feed_the_activation_to_give_keras_outputs():
    set_seed(7)
    model = keras.Sequential(
        [
            keras.Input(shape=(20,)),
            keras.layers.Dense(6, activation="tanh"),
            keras.layers.Dropout(0.5),  # inference mode: identity
            keras.layers.Dense(4),
            keras.layers.LeakyReLU(negative_slope=0.2),  # activation as a separate layer
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    X, _ = _data(n=10)
    zs = pre_activations_by_layer(model, X)
    assert [z.shape for z in zs.values()] == [(10, 6), (10, 4), (10, 3)]
    first, second, out = zs.values()
    hidden = keras.Model(model.inputs[0], model.layers[1].output)(X).numpy()
    np.testing.assert_allclose(np.tanh(first), hidden, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        keras.Model(model.inputs[0], model.layers[2].output)(X).numpy(),
        second,
        rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        keras.activations.softmax(out).numpy(), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_functional_models_work_too():
    inputs = keras.Input(shape=(20,))
    hidden = keras.layers.Dense(4, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(3, activation="softmax", name="out")(hidden)
    model = keras.Model(inputs, outputs)
    X, y = _data()
    assert list(activation_stats_by_layer(model, X)) == ["hidden", "out"]
    assert list(gradient_norms_by_layer(model, X, y)) == ["hidden", "out"]
    assert list(dead_unit_fraction(model, X)) == ["hidden"]


# ------------------------------------------------------------------------------- dead units
def _set_biases(model, biases):
    """Zero kernels and the given biases: a unit's pre-activation is its bias for every input."""
    for layer, b in zip(dense_layers(model), biases, strict=True):
        layer.kernel.assign(np.zeros(layer.kernel.shape, np.float32))
        layer.bias.assign(np.asarray(b, np.float32))


def test_dead_unit_fraction_counts_units_negative_on_every_example():
    model = _mlp([4, 5], "relu", "zeros")
    X, _ = _data()
    _set_biases(model, [[-1, 2, -3, 4], [-1, -1, 0, 1, 1], [0, 0, 0]])  # bias 0 gives ReLU 0
    fractions = dead_unit_fraction(model, X)
    assert list(fractions.values()) == [0.5, 0.6]
    assert len(dead_unit_fraction(model, X, include_output=True)) == 3


def test_a_unit_alive_on_one_example_is_not_dead():
    set_seed(4)
    model = _mlp([3], "relu", "zeros", n_in=2)
    layer = model.layers[0]
    layer.kernel.assign(np.array([[1, 0, 0], [0, 1, 0]], np.float32))
    layer.bias.assign(np.array([-5, -5, -5], np.float32))
    X = np.array([[0, 0], [0, 0], [6, 0]], np.float32)  # unit 0 fires on the last row only
    assert dead_unit_fraction(model, X)[layer.name] == pytest.approx(2 / 3)
    assert dead_unit_fraction(model, X[:2])[layer.name] == 1.0


def test_dead_units_after_a_huge_learning_rate():
    """The lecture's claim: a too-large learning rate leaves many ReLU units dead."""
    X, y = _data(n=512, n_in=20, n_out=3)
    set_seed(5)
    model = _mlp([64, 64], "relu", "he_normal")
    before = dead_unit_fraction(model, X)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=3.0), loss="sparse_categorical_crossentropy"
    )
    model.fit(X, y, epochs=3, batch_size=32, verbose=0)
    after = dead_unit_fraction(model, X)
    assert max(before.values()) < 0.1
    assert max(after.values()) > 0.3


# ------------------------------------------------------------------- initializers, variances
FAN_IN, FAN_OUT = 800, 200
FAN_AVG = (FAN_IN + FAN_OUT) / 2


@pytest.mark.parametrize(
    "initializer, expected_var, uniform",
    [
        ("glorot_normal", 1 / FAN_AVG, False),
        ("glorot_uniform", 1 / FAN_AVG, True),
        ("he_normal", 2 / FAN_IN, False),
        ("he_uniform", 2 / FAN_IN, True),
        ("lecun_normal", 1 / FAN_IN, False),
        ("lecun_uniform", 1 / FAN_IN, True),
        (
            keras.initializers.VarianceScaling(2.0, mode="fan_avg", distribution="uniform"),
            2 / FAN_AVG,
            True,
        ),
        (
            keras.initializers.VarianceScaling(
                1.0, mode="fan_out", distribution="truncated_normal"
            ),
            1 / FAN_OUT,
            False,
        ),
        (keras.initializers.RandomNormal(stddev=1.0), 1.0, False),
    ],
    ids=lambda p: p if isinstance(p, str) else None,
)
def test_keras_initializers_draw_the_variance_of_the_table(initializer, expected_var, uniform):
    set_seed(6)
    model = keras.Sequential(
        [keras.Input(shape=(FAN_IN,)), keras.layers.Dense(FAN_OUT, kernel_initializer=initializer)]
    )
    (stats,) = kernel_stats(model).values()
    assert (stats["fan_in"], stats["fan_out"]) == (FAN_IN, FAN_OUT)
    assert stats["var"] == pytest.approx(expected_var, rel=0.01)  # 160,000 draws
    assert abs(stats["mean"]) < 0.01 * np.sqrt(expected_var)
    limit = np.sqrt(3 * expected_var)
    if uniform:  # U(-r, r) with r = sqrt(3 var): the largest draw is just below r
        assert 0.999 * limit < stats["max_abs"] <= limit
    else:  # a normal distribution goes beyond r
        assert stats["max_abs"] > limit


def test_kernel_stats_reads_the_kernel():
    model = _mlp([4], "relu", "zeros", n_in=2, n_out=2)
    model.layers[0].kernel.assign(np.array([[1, -3, 0, 0], [0, 0, 0, 2]], np.float32))
    stats = kernel_stats(model)[model.layers[0].name]
    assert stats == {"fan_in": 2, "fan_out": 4, "mean": 0.0, "var": 1.75, "max_abs": 3.0}


# -------------------------------------------------------------------------------- bad input
def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="model must be a keras.Model"):
        kernel_stats("mlp")
    no_dense = keras.Sequential([keras.Input(shape=(4,)), keras.layers.ReLU()])
    with pytest.raises(ValueError, match="model must contain at least one keras.layers.Dense"):
        dead_unit_fraction(no_dense, np.zeros((2, 4)))
    model = _mlp([4], "relu", "he_normal")
    X, y = _data()
    with pytest.raises(ValueError, match="X and y must have the same length, got 64 and 63"):
        gradient_norms_by_layer(model, X, y[:-1])
    with pytest.raises(ValueError, match="X must hold at least one example"):
        activation_stats_by_layer(model, X[:0])
    one_layer = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="pass include_output=True"):
        dead_unit_fraction(one_layer, X)
