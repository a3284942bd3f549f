import keras
import pytest

from helpers.models import build_bn_mlp, build_mlp, count_params


def test_fashion_mlp_has_the_chapters_266610_parameters():
    model = build_mlp()
    counts = count_params(model)
    assert counts == {"trainable": 266_610, "non_trainable": 0, "total": 266_610}
    assert model.count_params() == 266_610  # Keras' own count agrees
    assert [type(layer).__name__ for layer in model.layers] == [
        "Flatten",
        "Dense",
        "Dense",
        "Dense",
    ]
    assert model.output_shape == (None, 10)


def test_bn_mlp_has_271346_parameters_of_which_2368_non_trainable():
    model = build_bn_mlp()
    counts = count_params(model)
    assert counts == {"trainable": 268_978, "non_trainable": 2_368, "total": 271_346}
    assert model.count_params() == 271_346
    bn_layers = [
        layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)
    ]
    # Each BN layer keeps 4 vectors per feature: gamma, beta (trained), moving mean and variance.
    assert [layer.count_params() for layer in bn_layers] == [4 * 784, 4 * 300, 4 * 100]


def test_build_mlp_options_reach_the_layers():
    model = build_mlp((50,), n_classes=3, activation="selu", kernel_initializer="lecun_normal")
    dense = model.layers[1]
    assert dense.activation is keras.activations.selu
    assert isinstance(dense.kernel_initializer, keras.initializers.LecunNormal)
    assert model.output_shape == (None, 3)


def test_bn_mlp_takes_build_mlps_options():
    model = build_bn_mlp((20,), n_classes=3, activation="selu", name="small")
    assert [type(layer).__name__ for layer in model.layers] == [
        "Flatten",
        "BatchNormalization",
        "Dense",
        "BatchNormalization",
        "Dense",
    ]
    assert model.layers[2].activation is keras.activations.selu
    assert isinstance(model.layers[2].kernel_initializer, keras.initializers.HeNormal)
    assert model.output_shape == (None, 3) and model.name == "small"
    plain = build_mlp((20,), batch_norm=True)
    assert [type(a) for a in plain.layers] == [type(b) for b in model.layers]


@pytest.mark.parametrize("units", [(), (10, 0), (10, -3), ("10",)])
def test_bad_hidden_units(units):
    with pytest.raises(ValueError, match="hidden_units must be a non-empty sequence"):
        build_mlp(units)
