import keras
import numpy as np
import pytest

from helpers.lr_finder import LearningRateFinder


def _linear_problem(n=640, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 1)).astype("float32")
    return X, (2.0 * X[:, 0]).astype("float32")


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1, use_bias=False)])
    model.compile(optimizer=keras.optimizers.SGD(), loss="mse")
    return model


def test_rates_grow_geometrically_from_min_to_max():
    X, y = _linear_problem()
    finder = LearningRateFinder(min_lr=1e-4, max_lr=1e-2, steps=20, stop_factor=1e9)
    _model().fit(X, y, batch_size=32, epochs=1, verbose=0, callbacks=[finder])
    assert len(finder.rates) == 20
    np.testing.assert_allclose(finder.rates[0], 1e-4, rtol=1e-5)
    np.testing.assert_allclose(finder.rates[-1], 1e-2, rtol=1e-4)
    ratios = np.array(finder.rates[1:]) / np.array(finder.rates[:-1])
    np.testing.assert_allclose(ratios, 10 ** (2 / 19), rtol=1e-4)


def test_each_batch_loss_is_recovered_from_keras_running_mean():
    """With a rate too small to move the weight, batch t's loss is the model's loss on batch t."""
    X, y = _linear_problem()
    model = _model()
    finder = LearningRateFinder(min_lr=1e-12, max_lr=1e-12, steps=20, stop_factor=1e9)
    model.fit(X, y, batch_size=32, epochs=1, shuffle=False, verbose=0, callbacks=[finder])
    expected = [
        float(model.evaluate(X[i : i + 32], y[i : i + 32], verbose=0)) for i in range(0, 640, 32)
    ]
    np.testing.assert_allclose(finder.losses, expected, rtol=1e-3)


def test_stops_when_the_loss_blows_up_and_suggests_a_stable_rate():
    """SGD on this MSE diverges for rates above 1 (gradient 2 E[x^2] (w - 2), E[x^2] = 1)."""
    X, y = _linear_problem(n=6_400)
    finder = LearningRateFinder(min_lr=1e-4, max_lr=100.0, steps=200)
    _model().fit(X, y, batch_size=32, epochs=1, verbose=0, callbacks=[finder])
    assert len(finder.rates) < 200, "the loss exploded, so the sweep must stop early"
    assert finder.losses[-1] > 4 * min(finder.losses)
    assert 0.01 < finder.best_rate() < 1.5
    assert finder.suggestion() == pytest.approx(finder.best_rate() / 10)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"min_lr": 0}, "min_lr must be a positive number"),
        ({"min_lr": 1.0, "max_lr": 0.1}, "max_lr must be a number >= min_lr"),
        ({"steps": 1}, "steps must be an int >= 2"),
        ({"stop_factor": 1}, "stop_factor must be a number above 1"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LearningRateFinder(**kwargs)


def test_suggestion_before_fit_explains():
    with pytest.raises(ValueError, match="call fit"):
        LearningRateFinder().suggestion()
