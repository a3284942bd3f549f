"""grading.plugins.trusted.keras_values: a model of Keras' own layers crosses as config and
weights and comes back the same; one holding code (a Lambda layer) or a class Keras does not
export is refused by the trusted side."""

import json

import keras
import numpy as np
import pytest

from grading.plugins.trusted import keras_values


def small_model():
    model = keras.Sequential(
        [
            keras.Input(shape=(4,)),
            keras.layers.Dense(
                3, activation="relu", kernel_regularizer=keras.regularizers.L2(0.1)
            ),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=0.05))
    return model


def test_a_built_in_model_round_trips_with_weights_and_compile_state():
    model = small_model()
    text = json.dumps(keras_values.serialize(model))
    copy = keras_values.rebuild(text, keras_values.weights_of(model))
    assert [type(a) for a in copy.layers] == [type(b) for b in model.layers]
    for a, b in zip(copy.get_weights(), model.get_weights(), strict=True):
        assert np.array_equal(a, b)
    assert copy.compiled and float(copy.optimizer.learning_rate) == pytest.approx(0.05)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    assert np.allclose(copy(x), model(x))
    assert keras.layers.Dense(1).name not in {layer.name for layer in copy.layers}


def test_a_functional_model_with_frozen_layers_round_trips():
    inputs = keras.Input(shape=(4,))
    hidden = keras.layers.Dense(3, activation="relu")
    outputs = keras.layers.Dense(1, activation="sigmoid")(hidden(inputs))
    model = keras.Model(inputs, outputs)
    hidden.trainable = False
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=0.01))
    text = json.dumps(keras_values.serialize(model))
    assert keras_values.config_problem(json.loads(text)) is None
    copy = keras_values.rebuild(text, keras_values.weights_of(model))
    assert [layer.trainable for layer in copy.layers] == [True, False, True]
    assert len(copy.trainable_weights) == 2 and copy.compiled
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    assert np.allclose(copy(x), model(x))


def test_code_and_unknown_classes_are_refused_by_the_trusted_side():
    lambda_model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Lambda(lambda x: x)])
    config = keras_values.serialize(lambda_model)
    assert "Lambda" in keras_values.config_problem(config)

    class Custom(keras.layers.Layer):
        def call(self, x):
            return x

    custom = keras_values.serialize(keras.Sequential([keras.Input(shape=(2,)), Custom()]))
    assert "Custom" in keras_values.config_problem(custom)
    with pytest.raises(ValueError, match="not rebuilt here"):
        keras_values.rebuild(json.dumps(custom), [])
    forged = keras_values.serialize(keras.layers.Dense(2))
    forged.update(module="os", class_name="system")
    assert keras_values.config_problem(forged) == "the class 'system' of 'os'"
    forged = {"module": "keras.activations", "class_name": "function", "config": "__import__"}
    assert keras_values.config_problem(forged)


def test_a_config_that_would_allocate_gigabytes_is_refused_unbuilt():
    huge = keras_values.serialize(keras.layers.Dense(10_000))
    huge["build_config"] = {"input_shape": [None, 100_000]}
    assert "more than 50,000,000" in keras_values.config_problem(huge)
    assert keras_values.config_problem(keras_values.serialize(small_model())) is None


def test_weights_that_do_not_fit_are_refused():
    model = small_model()
    text = json.dumps(keras_values.serialize(model))
    with pytest.raises(ValueError, match="do not fit"):
        keras_values.rebuild(text, [np.zeros(7)])
