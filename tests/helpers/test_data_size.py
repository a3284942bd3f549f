import matplotlib

matplotlib.use("Agg")

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers.data_size import accuracy_by_train_size, doubling_sizes, plot_accuracy_by_train_size
from helpers.seeding import set_seed


def _blobs(n, seed):
    """Two overlapping Gaussian blobs in 2-D, labels 0 and 1, shuffled."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    X = rng.normal(size=(n, 2)).astype("float32") + np.where(y[:, None] == 1, 1.5, -1.5)
    return X.astype("float32"), y


def _build():
    model = keras.Sequential(
        [keras.Input(shape=(2,)), keras.layers.Dense(2, activation="softmax")]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.1),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


@pytest.mark.parametrize(
    "smallest, largest, expected",
    [
        (100, 1000, [100, 200, 400, 800, 1000]),
        (100, 800, [100, 200, 400, 800]),
        (5, 5, [5]),
        (1, 9, [1, 2, 4, 8, 9]),
    ],
)
def test_doubling_sizes(smallest, largest, expected):
    assert doubling_sizes(smallest, largest) == expected


def test_doubling_sizes_rejects_bad_bounds():
    with pytest.raises(ValueError, match="smallest must be a positive int"):
        doubling_sizes(0, 10)
    with pytest.raises(ValueError, match="smallest must be <= largest"):
        doubling_sizes(20, 10)


@pytest.mark.slow  # a real nbgrader, kernel or training run: make test, not make check
def test_each_size_matches_a_run_by_hand():
    X, y = _blobs(200, seed=0)
    X_valid, y_valid = _blobs(100, seed=1)
    built = []

    def build():
        built.append(_build())
        return built[-1]

    results = accuracy_by_train_size(
        build, X, y, X_valid, y_valid, [8, 64], epochs=3, batch_size=8, seed=7
    )
    assert results["size"] == [8, 64]
    assert results["epochs"] == [3, 3]
    assert len(built) == 2
    # Keras as the oracle: the same seed, the same subset, by hand.
    for i, n in enumerate([8, 64]):
        set_seed(7)
        model = _build()
        model.fit(X[:n], y[:n], epochs=3, batch_size=8, verbose=0)
        train_loss, train_acc = model.evaluate(X[:n], y[:n], verbose=0)
        valid_loss, valid_acc = model.evaluate(X_valid, y_valid, verbose=0)
        np.testing.assert_allclose(built[i].get_weights()[0], model.get_weights()[0], rtol=1e-6)
        assert results["train_accuracy"][i] == pytest.approx(train_acc)
        assert results["valid_accuracy"][i] == pytest.approx(valid_acc)
        assert results["train_loss"][i] == pytest.approx(train_loss, rel=1e-6)
        assert results["valid_loss"][i] == pytest.approx(valid_loss, rel=1e-6)
    # Every size starts from the same initial weights: the 8-image model took one step per
    # epoch, so it stayed closer to them than the 64-image model (eight steps per epoch).
    set_seed(7)
    initial = _build().get_weights()[0]
    moved = [np.abs(m.get_weights()[0] - initial).sum() for m in built]
    assert 0 < moved[0] < moved[1]


def test_early_stopping_callback_reaches_fit():
    X, y = _blobs(64, seed=0)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=0, min_delta=10.0)
    results = accuracy_by_train_size(_build, X, y, X, y, [32, 64], epochs=5, callbacks=[stop])
    assert results["epochs"] == [2, 2]  # no epoch improves val_loss by 10: stop after patience


@pytest.mark.parametrize("sizes", [[], [0, 10], [10, 10], [20, 10], [10, 65], [2.5], "abc", 10])
def test_bad_sizes(sizes):
    X, y = _blobs(64, seed=0)
    with pytest.raises(ValueError, match="sizes must be"):
        accuracy_by_train_size(_build, X, y, X, y, sizes, epochs=1)


def test_bad_models_and_arguments():
    X, y = _blobs(16, seed=0)
    with pytest.raises(ValueError, match="build_model must return a compiled model"):
        accuracy_by_train_size(
            lambda: keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2)]),
            X, y, X, y, [16], epochs=1,
        )  # fmt: skip

    def no_accuracy():
        model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2, "softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        return model

    with pytest.raises(ValueError, match=r"metrics=\['accuracy'\]"):
        accuracy_by_train_size(no_accuracy, X, y, X, y, [16], epochs=1)
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        accuracy_by_train_size(_build, X, y, X, y, [16], epochs=0)
    with pytest.raises(ValueError, match="X_train and y_train must have the same length"):
        accuracy_by_train_size(_build, X, y[:8], X, y, [8], epochs=1)
    with pytest.raises(ValueError, match="build_model must be a callable"):
        accuracy_by_train_size(None, X, y, X, y, [8], epochs=1)


def test_plot_draws_both_curves_on_a_log2_axis():
    results = {"size": [100, 200, 400], "train_accuracy": [1.0, 0.98, 0.95],
               "valid_accuracy": [0.7, 0.8, 0.86]}  # fmt: skip
    ax = plot_accuracy_by_train_size(results, title="t")
    train, valid = ax.get_lines()
    np.testing.assert_array_equal(train.get_xdata(), [100, 200, 400])
    np.testing.assert_array_equal(train.get_ydata(), [1.0, 0.98, 0.95])
    np.testing.assert_array_equal(valid.get_ydata(), [0.7, 0.8, 0.86])
    assert ax.get_xscale() == "log"
    assert ax.get_title() == "t"
    with pytest.raises(ValueError, match="results must be a dict with keys"):
        plot_accuracy_by_train_size({"size": [1]})
    plt.close("all")


def test_steps_give_every_size_the_same_number_of_gradient_steps(monkeypatch):
    """With steps=, every size trains on steps * batch_size images: a subset four times smaller
    is passed over four times as often, each pass a new shuffle of the whole subset."""
    fitted = []
    original = keras.Model.fit

    def spy(self, x, y, **kwargs):
        fitted.append((np.asarray(x).copy(), kwargs["epochs"], kwargs.get("shuffle", True)))
        return original(self, x, y, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    X, y = _blobs(400, seed=0)
    Xv, yv = _blobs(100, seed=1)
    curve = accuracy_by_train_size(_build, X, y, Xv, yv, [64, 256], steps=16, batch_size=32)
    assert curve["epochs"] == [8, 2] and curve["steps"] == [16, 16]
    for (x_fit, n_epochs, shuffle), n in zip(fitted, [64, 256], strict=True):
        assert (len(x_fit), n_epochs, shuffle) == (16 * 32, 1, False)
        # every pass holds each of the first n images exactly once
        for k in range(0, len(x_fit), n):
            rows = {r.tobytes() for r in x_fit[k : k + n]}
            assert rows == {r.tobytes() for r in X[:n]}
        assert not np.array_equal(x_fit[:n], X[:n])  # shuffled
    uneven = accuracy_by_train_size(_build, X, y, Xv, yv, [50, 400], steps=16, batch_size=32)
    assert uneven["epochs"] == [11, 2] and uneven["steps"] == [16, 16]  # 512 images: 10.24 passes
    by_epochs = accuracy_by_train_size(_build, X, y, Xv, yv, [64, 256], epochs=2, batch_size=32)
    assert by_epochs["steps"] == [4, 16]  # the same epochs: a small subset gets few steps


def test_steps_without_callbacks_skip_the_per_epoch_validation(monkeypatch):
    """No validation pass inside fit unless a callback needs it; the results still score the
    validation set once, at the end."""
    seen = []
    original = keras.Model.fit

    def spy(self, *args, **kwargs):
        seen.append(kwargs.get("validation_data") is not None)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    X, y = _blobs(200, seed=0)
    Xv, yv = _blobs(50, seed=1)
    curve = accuracy_by_train_size(_build, X, y, Xv, yv, [32], steps=4)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=1)
    accuracy_by_train_size(_build, X, y, Xv, yv, [32], steps=4, callbacks=[stop])
    accuracy_by_train_size(_build, X, y, Xv, yv, [32], epochs=1)
    assert seen == [False, True, True]
    assert 0.0 <= curve["valid_accuracy"][0] <= 1.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "give exactly one of epochs and steps"),
        ({"epochs": 2, "steps": 10}, "give exactly one of epochs and steps"),
        ({"steps": 0}, "steps must be a positive int"),
        ({"steps": 2.5}, "steps must be a positive int"),
    ],
)
def test_epochs_or_steps(kwargs, message):
    X, y = _blobs(100, seed=0)
    with pytest.raises(ValueError, match=message):
        accuracy_by_train_size(_build, X, y, X, y, [50], **kwargs)
