"""The course's reference models, built once here because several notebooks train them.

Parameter counts are part of what the lectures teach: the plain MLP has 266,610 parameters and the
batch-normalised one 271,346, of which 2,368 (the moving means and variances) are non-trainable.
``tests/helpers/test_models.py`` checks both against Keras' own counts.
"""

# Annotations stay unevaluated: importing this module does not load Keras until a model is built
# (an autograder's sandboxed kernel for a NumPy assignment never needs it).
from __future__ import annotations

import keras

IMAGE_SHAPE = (28, 28)
HIDDEN_UNITS = (300, 100)


def build_mlp(
    hidden_units=HIDDEN_UNITS,
    *,
    n_classes: int = 10,
    input_shape=IMAGE_SHAPE,
    activation="relu",
    kernel_initializer="glorot_uniform",
    batch_norm: bool = False,
    name: str = "mlp",
) -> keras.Sequential:
    """The chapter's Fashion-MNIST classifier: Flatten, Dense hidden layers, softmax output.

    With ``batch_norm=True``, a ``BatchNormalization`` layer follows Flatten and every hidden
    layer (see :func:`build_bn_mlp`).
    """
    _check_units(hidden_units)
    layers = [keras.Input(shape=input_shape), keras.layers.Flatten()]
    if batch_norm:
        layers.append(keras.layers.BatchNormalization())
    for units in hidden_units:
        layers.append(
            keras.layers.Dense(units, activation=activation, kernel_initializer=kernel_initializer)
        )
        if batch_norm:
            layers.append(keras.layers.BatchNormalization())
    layers.append(keras.layers.Dense(n_classes, activation="softmax"))
    return keras.Sequential(layers, name=name)


def build_bn_mlp(
    hidden_units=HIDDEN_UNITS, *, kernel_initializer="he_normal", name: str = "bn_mlp", **options
) -> keras.Sequential:
    """The handout's batch-normalised MLP: a BN layer after Flatten and after each hidden layer,
    He initialisation. ``options`` (``n_classes``, ``input_shape``, ``activation``) are
    :func:`build_mlp`'s."""
    return build_mlp(
        hidden_units,
        kernel_initializer=kernel_initializer,
        batch_norm=True,
        name=name,
        **options,
    )


def count_params(model: keras.Model) -> dict:
    """Trainable, non-trainable and total parameter counts, as ``model.summary()`` shows them."""
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    non_trainable = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    return {
        "trainable": trainable,
        "non_trainable": non_trainable,
        "total": trainable + non_trainable,
    }


def _check_units(hidden_units) -> None:
    if not hidden_units or any(not isinstance(u, int) or u <= 0 for u in hidden_units):
        raise ValueError(
            f"hidden_units must be a non-empty sequence of positive ints, got {hidden_units!r}."
        )
