import numpy as np
import pytest

from helpers.clipping import clipped_gradient, cosine_similarity

G = [0.9, 100.0]  # the lecture's gradient: one small and one exploding component


def test_no_clipping_returns_the_gradient_itself():
    np.testing.assert_allclose(clipped_gradient(G), G, rtol=1e-6)


def test_clipvalue_clips_each_component_and_turns_the_direction():
    used = clipped_gradient(G, clipvalue=1.0)
    np.testing.assert_allclose(used, np.clip(G, -1.0, 1.0), rtol=1e-6)  # [0.9, 1.0]
    cos = cosine_similarity(used, G)
    expected = (0.9 * 0.9 + 100.0) / (np.hypot(0.9, 1.0) * np.hypot(0.9, 100.0))
    assert cos == pytest.approx(expected, rel=1e-6)
    assert cos < 0.76  # about 0.75: the step now points 41.5 degrees away from the gradient


def test_clipnorm_rescales_to_norm_one_and_keeps_the_direction():
    used = clipped_gradient(G, clipnorm=1.0)
    assert np.linalg.norm(used) == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_allclose(used, np.array(G) / np.linalg.norm(G), rtol=1e-5)
    assert cosine_similarity(used, G) == pytest.approx(1.0, abs=1e-7)


def test_clipnorm_leaves_a_small_gradient_alone():
    small = [0.3, -0.4]  # norm 0.5
    np.testing.assert_allclose(clipped_gradient(small, clipnorm=1.0), small, rtol=1e-6)
    np.testing.assert_allclose(clipped_gradient(small, clipvalue=1.0), small, rtol=1e-6)


def test_clipnorm_is_per_variable_but_global_clipnorm_is_not():
    grads = [np.array([3.0, 4.0]), np.array([0.0, 0.5])]  # norms 5 and 0.5
    per_variable = clipped_gradient(grads, clipnorm=1.0)
    assert [float(np.linalg.norm(g)) for g in per_variable] == pytest.approx([1.0, 0.5])
    assert cosine_similarity(per_variable, grads) < 0.99  # each kept its direction, the whole not
    together = clipped_gradient(grads, global_clipnorm=1.0)
    assert np.linalg.norm(np.concatenate(together)) == pytest.approx(1.0, rel=1e-6)
    assert cosine_similarity(together, grads) == pytest.approx(1.0, abs=1e-7)


def test_cosine_similarity_values():
    assert cosine_similarity([1, 0], [0, 2]) == pytest.approx(0.0)
    assert cosine_similarity([1, 1], [-2, -2]) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="non-zero"):
        cosine_similarity([0, 0], [1, 0])
    with pytest.raises(ValueError, match="same size"):
        cosine_similarity([1, 0], [1, 0, 0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"clipvalue": 1.0, "clipnorm": 1.0}, "at most one of"),
        ({"clipnorm": 0}, "clipnorm must be a positive number"),
        ({"clipvalue": -1.0}, "clipvalue must be a positive number"),
        ({"global_clipnorm": "1"}, "global_clipnorm must be a positive number"),
    ],
)
def test_bad_clipping_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        clipped_gradient(G, **kwargs)


@pytest.mark.parametrize("gradient", [[], np.array([]), [1.0, np.nan]])
def test_bad_gradient(gradient):
    with pytest.raises(ValueError, match="gradient must"):
        clipped_gradient(gradient)
