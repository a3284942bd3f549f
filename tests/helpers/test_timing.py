import time

import keras
import numpy as np
import pytest

from helpers.timing import compare_predictions, time_predictions


class SlowModel:
    """Stands in for a Keras model: sleeps a known time and counts its calls."""

    def __init__(self, seconds, log=None, name=""):
        self.seconds = seconds
        self.calls = 0
        self.inputs = []
        self.log, self.name = log, name

    def predict_on_batch(self, X):
        self.calls += 1
        self.inputs.append(X)
        if self.log is not None:
            self.log.append(self.name)
        time.sleep(self.seconds)


def test_returns_one_timing_per_repeat_and_calls_the_model_as_asked():
    model = SlowModel(0.01)
    X = np.zeros((3, 2))
    timings = time_predictions(model, X, repeats=4, number=2, warmup=3)
    assert timings.shape == (4,)
    assert model.calls == 3 + 4 * 2
    assert all(x is X for x in model.inputs)
    assert timings.min() >= 0.01  # each call sleeps 10 ms, so no timing can be shorter


def test_times_a_keras_model_and_leaves_its_predictions_alone():
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
    X = np.ones((8, 4), dtype=np.float32)
    before = model.predict_on_batch(X)
    timings = time_predictions(model, X, repeats=3)
    assert timings.shape == (3,) and np.all(timings > 0)
    np.testing.assert_array_equal(model.predict_on_batch(X), before)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"repeats": 0}, "repeats must be a positive int"),
        ({"repeats": 2.5}, "repeats must be a positive int"),
        ({"number": 0}, "number must be a positive int"),
        ({"warmup": -1}, "warmup must be a non-negative int"),
    ],
)
def test_bad_counts(kwargs, message):
    with pytest.raises(ValueError, match=message):
        time_predictions(SlowModel(0), np.zeros((1, 1)), **kwargs)


def test_bad_model_and_empty_input():
    with pytest.raises(ValueError, match="model must be a Keras model"):
        time_predictions(object(), np.zeros((1, 1)))
    with pytest.raises(ValueError, match="X must hold at least one sample"):
        time_predictions(SlowModel(0), np.zeros((0, 1)))


def test_compare_predictions_interleaves_the_models_round_by_round():
    log = []
    models = {"a": SlowModel(0.002, log, "a"), "b": SlowModel(0.02, log, "b")}
    X = np.zeros((2, 3))
    timings = compare_predictions(models, X, repeats=3, number=2, warmup=1)
    assert list(timings) == ["a", "b"]
    assert all(t.shape == (3,) for t in timings.values())
    # warm-up a, b; then three rounds of (a, a, b, b)
    assert log == ["a", "b"] + ["a", "a", "b", "b"] * 3
    assert timings["a"].min() >= 0.002 and timings["b"].min() >= 0.02
    assert all(x is X for m in models.values() for x in m.inputs)


def test_compare_predictions_bad_input():
    with pytest.raises(ValueError, match="models must be a non-empty dict"):
        compare_predictions({}, np.zeros((1, 1)))
    with pytest.raises(ValueError, match="models must be a non-empty dict"):
        compare_predictions([SlowModel(0)], np.zeros((1, 1)))
    with pytest.raises(ValueError, match=r"models\['b'\] must be a Keras model"):
        compare_predictions({"a": SlowModel(0), "b": object()}, np.zeros((1, 1)))
    with pytest.raises(ValueError, match="repeats must be a positive int"):
        compare_predictions({"a": SlowModel(0)}, np.zeros((1, 1)), repeats=0)
