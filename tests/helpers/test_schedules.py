"""Learning-rate schedules really change the rate the optimizer uses during ``fit``.

Two independent measurements per step: the rate read from ``model.optimizer.learning_rate``
before the batch (``LearningRateRecorder``), and the rate recovered from the update SGD really
made, ``-<dw, g> / <g, g>``, where ``g`` is the gradient (by ``GradientTape``) at the weights
before the step. Full-batch training on a linear model keeps one step per epoch where needed.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers.schedules import LearningRateRecorder, OneCycleScheduler

X = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype("float32")  # batch_size=16: full batch


class EffectiveRateProbe(keras.callbacks.Callback):
    """Recover the learning rate of each SGD step from the weight change it made."""

    def __init__(self, X, y, batch_size):
        super().__init__()
        self.X, self.y, self.batch_size = X, y, batch_size
        self.rates = []

    def on_train_batch_begin(self, batch, logs=None):
        variables = self.model.trainable_variables
        self._before = [v.numpy().copy() for v in variables]
        rows = slice(batch * self.batch_size, (batch + 1) * self.batch_size)  # shuffle=False
        with tf.GradientTape() as tape:
            loss = keras.losses.MeanSquaredError()(self.y[rows], self.model(self.X[rows]))
        self._grads = [g.numpy() for g in tape.gradient(loss, variables)]

    def on_train_batch_end(self, batch, logs=None):
        deltas = [
            v.numpy() - b
            for v, b in zip(self.model.trainable_variables, self._before, strict=True)
        ]
        num = sum(float(np.sum(d * g)) for d, g in zip(deltas, self._grads, strict=True))
        den = sum(float(np.sum(g * g)) for g in self._grads)
        self.rates.append(-num / den)


def _fit(optimizer, epochs, callbacks=(), batch_size=16, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    probe, recorder = EffectiveRateProbe(X, Y, batch_size), LearningRateRecorder()
    history = model.fit(
        X,
        Y,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=False,
        verbose=0,
        callbacks=[*callbacks, probe, recorder],
    )
    return history, recorder, probe


@pytest.mark.parametrize(
    "schedule, expected",
    [
        # power scheduling: lr0 / (1 + t / s) with s = 4
        (
            keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=4, decay_rate=1.0),
            [0.1 / (1 + t / 4) for t in range(8)],
        ),
        # exponential scheduling: lr0 * 0.1 ** (t / s) with s = 4
        (
            keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.1),
            [0.1 * 0.1 ** (t / 4) for t in range(8)],
        ),
        # piecewise constant: a boundary belongs to the interval before it (t <= 2 -> 0.1)
        (
            keras.optimizers.schedules.PiecewiseConstantDecay([2, 5], [0.1, 0.05, 0.01]),
            [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.01, 0.01],
        ),
    ],
    ids=["power", "exponential", "piecewise"],
)
def test_schedule_objects_set_the_rate_of_every_step(schedule, expected):
    _, recorder, probe = _fit(keras.optimizers.SGD(learning_rate=schedule), epochs=8)
    # Keras' own schedule agrees with the formula ...
    np.testing.assert_allclose(np.asarray(schedule(np.arange(8))), expected, rtol=1e-6)
    # ... the optimizer reports it before each step ...
    np.testing.assert_allclose(recorder.rates, expected, rtol=1e-6)
    # ... and the weight updates really used it.
    np.testing.assert_allclose(probe.rates, expected, rtol=1e-3)
    assert recorder.epochs == list(range(8))


def test_learning_rate_scheduler_sets_a_power_schedule_per_epoch():
    power = keras.optimizers.schedules.InverseTimeDecay(0.2, decay_steps=2, decay_rate=1.0)
    callback = keras.callbacks.LearningRateScheduler(lambda epoch, lr: float(power(epoch)))
    # 16 samples in batches of 8: two steps per epoch, both at the epoch's rate.
    history, recorder, probe = _fit(
        keras.optimizers.SGD(learning_rate=0.5), epochs=5, callbacks=[callback], batch_size=8
    )
    per_epoch = [0.2 / (1 + epoch / 2) for epoch in range(5)]
    np.testing.assert_allclose(history.history["learning_rate"], per_epoch, rtol=1e-6)
    per_step = np.repeat(per_epoch, 2)
    np.testing.assert_allclose(recorder.rates, per_step, rtol=1e-6)
    assert recorder.epochs == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    np.testing.assert_allclose(probe.rates, per_step, rtol=1e-3)  # 0.5 is never used


def test_learning_rate_scheduler_rejects_a_tensor_from_a_schedule_object():
    power = keras.optimizers.schedules.InverseTimeDecay(0.2, decay_steps=2, decay_rate=1.0)
    callback = keras.callbacks.LearningRateScheduler(lambda epoch, lr: power(epoch))
    with pytest.raises(ValueError, match="should be a float"):
        _fit(keras.optimizers.SGD(learning_rate=0.5), epochs=1, callbacks=[callback])


def test_reduce_lr_on_plateau_halves_the_rate_after_patience_epochs_without_progress():
    # A model already at its optimum (zero weights, zero targets): the loss stays at 0, so it
    # never improves by min_delta, and after every `patience` epochs the rate is halved.
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input(shape=(3,)), keras.layers.Dense(1, kernel_initializer="zeros")]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2)
    recorder = LearningRateRecorder()
    history = model.fit(
        X, np.zeros_like(Y), epochs=8, batch_size=16, verbose=0, callbacks=[plateau, recorder]
    )
    assert history.history["loss"] == [0.0] * 8
    expected = [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125]
    np.testing.assert_allclose(recorder.rates, expected, rtol=1e-6)
    np.testing.assert_allclose(history.history["learning_rate"], expected, rtol=1e-6)


def test_sgd_decay_argument_is_ignored_by_keras_3():
    with pytest.warns(UserWarning, match="decay.*no longer supported"):
        optimizer = keras.optimizers.SGD(learning_rate=0.1, decay=0.5)
    _, recorder, probe = _fit(optimizer, epochs=4)
    np.testing.assert_allclose(recorder.rates, [0.1] * 4, rtol=1e-6)
    np.testing.assert_allclose(probe.rates, [0.1] * 4, rtol=1e-3)
    # Keras 2's decay would have used lr / (1 + decay * t): 0.1, 0.0667, 0.05, 0.04.
    assert not np.allclose(probe.rates, [0.1 / (1 + 0.5 * t) for t in range(4)], rtol=1e-2)


def test_one_cycle_rises_then_falls_and_the_optimizer_uses_its_rates():
    one_cycle = OneCycleScheduler(max_lr=0.1, total_steps=11, last_steps=2)
    history, recorder, probe = _fit(
        keras.optimizers.SGD(learning_rate=0.5), epochs=11, callbacks=[one_cycle]
    )
    # start 0.01 -> 0.1 at step 4 -> 0.01 at step 8 -> last_lr = 0.01 / 1000 at step 10
    expected = [0.01, 0.0325, 0.055, 0.0775, 0.1, 0.0775, 0.055, 0.0325, 0.01, 0.005005, 1e-5]
    np.testing.assert_allclose(one_cycle.learning_rates, expected, rtol=1e-6)
    np.testing.assert_allclose(recorder.rates, expected, rtol=1e-6)
    np.testing.assert_allclose(probe.rates, expected, rtol=1e-3)
    np.testing.assert_allclose(history.history["learning_rate"], expected, rtol=1e-6)
    rates = np.array(one_cycle.learning_rates)
    assert one_cycle.peak_step == int(np.argmax(rates)) == 4
    assert np.all(np.diff(rates[:5]) > 0) and np.all(np.diff(rates[4:]) < 0)


def test_one_cycle_counts_batches_across_epochs_and_restarts_with_fit():
    one_cycle = OneCycleScheduler(max_lr=0.05, total_steps=8)  # defaults: last_steps = 0
    assert (one_cycle.start_lr, one_cycle.last_steps) == (0.005, 0)
    assert one_cycle.last_lr == pytest.approx(5e-6)
    _, recorder, _ = _fit(
        keras.optimizers.SGD(), epochs=4, callbacks=[one_cycle], batch_size=8
    )  # 2 steps per epoch, 8 in all
    assert len(one_cycle.learning_rates) == 8 and recorder.epochs == [0, 0, 1, 1, 2, 2, 3, 3]
    assert max(recorder.rates) == pytest.approx(0.05) and recorder.rates[3] == pytest.approx(0.05)
    assert recorder.rates[-1] == pytest.approx(0.005)
    # The schedule as a function: clipped to its final value after total_steps.
    np.testing.assert_allclose(
        one_cycle.rate(np.array([0, 3, 7, 100])), [0.005, 0.05, 0.005, 0.005]
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_lr": 0.1, "total_steps": 2}, r"total_steps must be an int >= 3, got 2"),
        ({"max_lr": 0.1, "total_steps": 10.0}, r"total_steps must be an int >= 3"),
        ({"max_lr": 0, "total_steps": 10}, r"max_lr must be a positive number, got 0"),
        ({"max_lr": 0.1, "total_steps": 10, "start_lr": 0.2}, r"start_lr must be .*<= max_lr"),
        ({"max_lr": 0.1, "total_steps": 10, "last_lr": 0.05}, r"last_lr must be .*\[0, start_lr"),
        ({"max_lr": 0.1, "total_steps": 10, "last_steps": 8}, r"last_steps must be an int in"),
        ({"max_lr": 0.1, "total_steps": 10, "last_steps": -1}, r"last_steps must be an int in"),
    ],
)
def test_one_cycle_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        OneCycleScheduler(**kwargs)
