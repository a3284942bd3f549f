import numpy as np
import pytest

from helpers.models import build_mlp
from helpers.seeding import over_seeds, set_seed


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


def _weight_sum():
    """A model's first weight after seeding: differs per seed, repeats for the same seed."""
    return {"mlp": float(build_mlp((4,)).get_weights()[0].sum())}


def test_over_seeds_runs_each_seed_in_order_and_reseeds(capsys):
    got = over_seeds(_weight_sum, [3, 5], show=True)
    set_seed(3)
    expected_3 = _weight_sum()["mlp"]
    set_seed(5)
    expected_5 = _weight_sum()["mlp"]
    np.testing.assert_allclose(got["mlp"], [expected_3, expected_5])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("seed   3: mlp ")


def test_over_seeds_puts_the_first_run_first_without_rerunning_it(capsys):
    calls = []

    def run():
        calls.append(np.random.randint(1000))
        return {"a": 1.0, "b": 2.0}

    got = over_seeds(run, [1, 2], first={"a": 0.5, "b": 0.7})
    assert len(calls) == 2
    np.testing.assert_array_equal(got["a"], [0.5, 1.0, 1.0])
    np.testing.assert_array_equal(got["b"], [0.7, 2.0, 2.0])
    assert "(the run above)" in capsys.readouterr().out.splitlines()[0]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"seeds": []}, "seeds must be a non-empty list of ints"),
        ({"seeds": [1, 2.5]}, "seeds must be a non-empty list of ints"),
        ({"seeds": [42], "first": {"a": 1.0}}, "first_seed must not be among seeds"),
        ({"seeds": [1], "run": lambda: 0.9}, "run\\(\\) must return a dict"),
    ],
)
def test_over_seeds_bad_input(kwargs, message):
    kwargs = {"run": lambda: {"a": 1.0}, **kwargs}
    with pytest.raises(ValueError, match=message):
        over_seeds(show=False, **kwargs)


def test_over_seeds_needs_the_same_labels_every_seed():
    answers = iter([{"a": 1.0}, {"b": 1.0}])
    with pytest.raises(ValueError, match="returned labels \\['b'\\] for seed 2"):
        over_seeds(lambda: next(answers), [1, 2], show=False)


def test_over_seeds_hands_the_seed_to_a_run_that_takes_one():
    got = over_seeds(lambda seed: {"seed": seed, "draw": np.random.rand()}, [4, 9], show=False)
    np.testing.assert_array_equal(got["seed"], [4, 9])
    set_seed(9)
    assert got["draw"][1] == np.random.rand()  # seeded before the call, as without the argument
