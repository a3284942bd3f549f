import keras
import numpy as np
import pytest

from helpers.lr_finder import LearningRateFinder


def _linear_problem(n=640, seed=0, noise=0.0):
    """y = 2 x (+ noise, so that no weight fits every batch exactly and a too-large rate
    has a gradient to blow up on)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 1)).astype("float32")
    return X, (2.0 * X[:, 0] + noise * rng.normal(size=n)).astype("float32")


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
    X, y = _linear_problem(n=6_400, noise=0.3)
    finder = LearningRateFinder(min_lr=1e-4, max_lr=100.0, steps=200)
    _model().fit(X, y, batch_size=32, epochs=1, verbose=0, callbacks=[finder])
    assert len(finder.rates) < 200, "the loss exploded, so the sweep must stop early"
    assert not finder.losses[-1] <= 4 * finder.losses[0]  # stopped on the blow-up (or a nan)
    assert 0.01 < finder.best_rate() < 1.5
    assert 0.5 < finder.blow_up_rate() < 3.0  # divergence starts at 1
    assert finder.suggestion() == pytest.approx(finder.blow_up_rate() / 10)


def _recorded(losses, window=5):
    finder = LearningRateFinder(min_lr=1e-3, max_lr=10.0, steps=len(losses), window=window)
    finder.rates = list(np.geomspace(1e-3, 10.0, len(losses)))
    finder.losses = list(losses)
    return finder


def test_smoothing_is_a_centred_moving_average_that_skips_non_finite_losses():
    finder = _recorded([1.0, 2.0, 3.0, 4.0, 5.0, np.nan, 7.0], window=3)
    np.testing.assert_allclose(finder.smoothed_losses(), [1.5, 2.0, 3.0, 4.0, 4.5, 6.0, 7.0])


def test_a_lucky_batch_does_not_move_the_reading():
    """A falling-then-climbing curve with one very low batch before the true turn: the raw
    minimum is the lucky batch, the smoothed minimum is the turn, and the blow-up is where the
    smoothed loss has climbed half-way back to its start."""
    n = 41
    losses = np.concatenate([np.linspace(2.0, 1.0, 21), np.linspace(1.1, 3.0, 20)])
    losses[8] = 0.1  # the lucky batch
    finder = _recorded(losses)
    rates = np.asarray(finder.rates)
    assert int(np.argmin(finder.losses)) == 8
    assert abs(finder.best_rate() - rates[20]) <= rates[20] * (rates[1] / rates[0]) ** 2
    smooth = finder.smoothed_losses()
    lowest = int(np.nanargmin(smooth))
    threshold = smooth[lowest] + 0.5 * (smooth[0] - smooth[lowest])
    first = next(i for i in range(lowest + 1, n) if smooth[i] > threshold)
    assert finder.blow_up_rate() == pytest.approx(rates[first])
    assert finder.suggestion() == pytest.approx(rates[first] / 10)


def test_a_sweep_that_never_blew_up_says_so():
    with pytest.raises(ValueError, match="never blew up"):
        _recorded(np.linspace(2.0, 1.0, 30)).blow_up_rate()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"min_lr": 0}, "min_lr must be a positive number"),
        ({"min_lr": 1.0, "max_lr": 0.1}, "max_lr must be a number >= min_lr"),
        ({"steps": 1}, "steps must be an int >= 2"),
        ({"stop_factor": 1}, "stop_factor must be a number above 1"),
        ({"window": 4}, "window must be an odd positive int"),
        ({"window": 0}, "window must be an odd positive int"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LearningRateFinder(**kwargs)


def test_suggestion_before_fit_explains():
    with pytest.raises(ValueError, match="call fit"):
        LearningRateFinder().suggestion()
