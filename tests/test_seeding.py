import numpy as np
import pytest

from helpers.models import build_mlp
from helpers.seeding import set_seed


def _train_once(seed):
    set_seed(seed)
    rng = np.random.default_rng(0)
    X = rng.random((256, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 256)
    model = build_mlp((32,))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(X, y, epochs=2, batch_size=32, verbose=0)
    return history.history["loss"], model.get_weights()[0]


def test_same_seed_gives_same_metrics_and_weights():
    loss_a, w_a = _train_once(7)
    loss_b, w_b = _train_once(7)
    assert loss_a == loss_b
    np.testing.assert_array_equal(w_a, w_b)


def test_different_seed_gives_different_weights():
    _, w_a = _train_once(7)
    _, w_b = _train_once(8)
    assert not np.allclose(w_a, w_b)


def test_seed_controls_numpy_and_python_random():
    import random

    set_seed(3)
    first = (random.random(), np.random.rand())
    set_seed(3)
    assert (random.random(), np.random.rand()) == first


@pytest.mark.parametrize("seed", [-1, 1.5, "42", True])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        set_seed(seed)
