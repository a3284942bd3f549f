import keras
import numpy as np
import pytest

from helpers.seeding import set_seed
from helpers.training import accuracy, compile_classifier, epoch_summary, fit_classifier


def _blobs(n=96, seed=0):
    """Three overlapping Gaussian blobs in 2-D, labels 0 to 2."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    centres = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.5]])
    X = rng.normal(scale=0.9, size=(n, 2)) + centres[y]
    return X.astype("float32"), y


def _net(units=8, dropout=0.0, seed=1):
    set_seed(seed)
    return keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dropout(dropout),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )


def test_compile_classifier_sets_the_loss_and_the_accuracy_metric():
    X, y = _blobs()
    model = compile_classifier(_net(), keras.optimizers.SGD(learning_rate=0.1))
    scores = model.evaluate(X, y, verbose=0, return_dict=True)
    proba = np.asarray(model(X))
    cross_entropy = -np.mean(np.log(proba[np.arange(len(y)), y]))
    assert scores["loss"] == pytest.approx(cross_entropy, rel=1e-5)
    assert scores["accuracy"] == pytest.approx(np.mean(proba.argmax(axis=1) == y))


def test_fit_classifier_is_compile_then_seed_then_a_silent_fit():
    """The same numbers as the lines it replaces in the lectures, Keras doing the work."""
    X, y = _blobs()
    by_hand = _net()
    by_hand.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.1),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    set_seed(7)
    expected = by_hand.fit(X, y, epochs=3, batch_size=16, validation_data=(X, y), verbose=0)
    history = fit_classifier(
        _net(),
        keras.optimizers.SGD(learning_rate=0.1),
        X,
        y,
        epochs=3,
        batch_size=16,
        validation_data=(X, y),
        seed=7,
    )
    assert sorted(history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    np.testing.assert_allclose(history["loss"], expected.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(history["val_loss"], expected.history["val_loss"], rtol=1e-6)


def test_the_seed_fixes_the_batch_order_and_none_keeps_the_current_state():
    X, y = _blobs()

    def losses(seed, reseed_before=None):
        model = _net()  # the same initial weights every time
        if reseed_before is not None:
            set_seed(reseed_before)
        sgd = keras.optimizers.SGD(learning_rate=0.1)
        return fit_classifier(model, sgd, X, y, epochs=2, batch_size=8, seed=seed)["loss"]

    assert losses(3) == losses(3)
    assert losses(3) != losses(4)  # another shuffling of the same data
    assert losses(None, reseed_before=3) == losses(3)  # None: continue from the current state


def test_callbacks_reach_the_fit():
    X, y = _blobs()
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    history = fit_classifier(_net(), "sgd", X, y, epochs=5, callbacks=[stop])
    assert len(history["loss"]) == 2  # no epoch improves by 10: stopped after the second


def test_fit_classifier_bad_input():
    X, y = _blobs()
    for epochs in (0, True, 1.5):
        with pytest.raises(ValueError, match="epochs must be a positive int"):
            fit_classifier(_net(), "sgd", X, y, epochs=epochs)
    with pytest.raises(ValueError, match="X and y must be non-empty and of the same length"):
        fit_classifier(_net(), "sgd", X, y[:3], epochs=1)


def test_accuracy_of_a_softmax_model_is_keras_accuracy_with_dropout_off():
    X, y = _blobs()
    model = _net(dropout=0.9)
    fit_classifier(model, keras.optimizers.SGD(learning_rate=0.1), X, y, epochs=3, seed=0)
    oracle = keras.metrics.SparseCategoricalAccuracy()
    oracle.update_state(y, model.predict(X, verbose=0))
    assert accuracy(model, X, y) == pytest.approx(float(oracle.result()))
    assert accuracy(model, X, y) == accuracy(model, X, y)  # inference mode: no dropout noise
    assert 1 / 3 < accuracy(model, X, y) <= 1


def test_accuracy_of_a_sigmoid_model_thresholds_at_one_half():
    X = np.array([[-2.0], [-0.1], [0.1], [3.0]], dtype="float32")
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1, "sigmoid")])
    model.set_weights([np.ones((1, 1), "float32"), np.zeros(1, "float32")])  # sigmoid(x)
    y = np.array([0.0, 1.0, 1.0, 1.0], dtype="float32")
    oracle = keras.metrics.BinaryAccuracy(threshold=0.5)
    oracle.update_state(y[:, None], model(X))
    assert accuracy(model, X, y) == 0.75 == pytest.approx(float(oracle.result()))


def test_accuracy_bad_input():
    X, y = _blobs(6)
    with pytest.raises(ValueError, match="X and y must be non-empty and of the same length"):
        accuracy(_net(), X, y[:5])
    flat = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Flatten()])
    flat_out = keras.Sequential([flat, keras.layers.Reshape((2, 1))])
    with pytest.raises(ValueError, match="one row of class scores per example"):
        accuracy(flat_out, X, y)
    with pytest.raises(ValueError, match="model must be a Keras model"):
        compile_classifier(object(), "sgd")


def test_epoch_summary_reports_the_fit_in_one_line(capsys):
    set_seed(0)
    X, y = np.random.default_rng(0).normal(size=(64, 4)), np.arange(64) % 2
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2, "softmax")])
    history = fit_classifier(
        model, "sgd", X, y, epochs=4, validation_data=(X, y), callbacks=[epoch_summary()]
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    loss, acc = history["loss"], history["val_accuracy"]
    best = int(np.argmax(acc))
    assert lines[0].startswith("4 epochs in ")
    assert f"loss {loss[0]:.3f} -> {loss[-1]:.3f}" in lines[0]
    course = f"val_accuracy {acc[0]:.3f} -> {acc[-1]:.3f} (best {acc[best]:.3f}, epoch {best + 1})"
    assert course in lines[0]


def test_epoch_summary_every_n_epochs_and_bad_input(capsys):
    set_seed(0)
    X, y = np.random.default_rng(1).normal(size=(32, 3)), np.arange(32) % 2
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, "softmax")])
    fit_classifier(model, "sgd", X, y, epochs=5, callbacks=[epoch_summary(every=2)])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == ["epoch 2", "epoch 4"]
    assert len(lines) == 3 and lines[2].startswith("5 epochs in ") and "val_" not in lines[2]
    with pytest.raises(ValueError, match="every must be None or a positive int"):
        epoch_summary(every=0)
