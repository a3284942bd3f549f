"""Look inside a Keras model, layer by layer: gradient norms, activation statistics, dead units
and weight statistics.

The chapter's first problems (vanishing and exploding gradients, saturation, dying ReLUs,
self-normalisation) are claims about what happens *inside* a network. These functions measure
them, so that a lecture can print a table instead of asserting the claim. Every function looks
at the model's ``Dense`` layers, in the order data flows through them (input to output), and
returns a dict keyed by layer name in that order.

Serves one lecture: lecture 1, sections 1.2, 2.2, 2.4, 2.5, 3 and 5.1 (gradient norms, the
variances initializers draw, dead units, self-normalisation). It is a module rather than cells
because it is long (forward passes to every layer's pre-activations, functional models too) and
its tables are exact claims, checked by ``tests/helpers/test_diagnostics.py`` against the step
Keras takes and against formulas.
"""

import keras
import numpy as np
import tensorflow as tf


def dense_layers(model) -> list:
    """The model's ``Dense`` layers, input to output. ``ValueError`` if there are none."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}.")
    layers = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if not layers:
        raise ValueError(
            "model must contain at least one keras.layers.Dense layer; it has "
            f"{[type(layer).__name__ for layer in model.layers]}."
        )
    return layers


def gradient_norms_by_layer(
    model, X, y, *, loss="sparse_categorical_crossentropy", training=False
) -> dict:
    """L2 norm of the gradient of the mean loss on ``(X, y)`` with respect to each Dense kernel.

    This is the quantity the vanishing-gradient tables show: if the norms shrink from the output
    layer towards the input layer, the lower layers barely learn. ``loss`` is anything
    ``keras.losses.get`` accepts; it is averaged over the batch as ``fit()`` does. With
    ``training=True`` layers such as ``Dropout`` run in training mode.

    Returns ``{layer name: norm}``, ordered input to output.
    """
    layers = dense_layers(model)
    X, y = _check_xy(X, y)
    loss_fn = keras.losses.get(loss)
    if loss_fn is None:
        raise ValueError(f"loss must name a Keras loss or be a callable, got {loss!r}.")
    kernels = [layer.kernel for layer in layers]
    with tf.GradientTape() as tape:
        y_pred = model(X, training=training)
        value = tf.reduce_mean(loss_fn(y, y_pred))
    grads = tape.gradient(value, kernels)
    return {
        layer.name: float(np.linalg.norm(np.asarray(g))) if g is not None else 0.0
        for layer, g in zip(layers, grads, strict=True)
    }


def activation_stats_by_layer(model, X, *, pre_activation=False) -> dict:
    """Mean and standard deviation of each ``Dense`` layer's output over ``X`` (all units pooled).

    With ``pre_activation=True`` the statistics are those of ``z = x @ kernel + bias``, before the
    layer's activation function: the numbers that tell whether a sigmoid saturates. Through a
    self-normalising (SELU) stack both stay near 0 and 1. Returns
    ``{layer name: {"mean": ..., "std": ...}}``, ordered input to output.
    """
    layers = dense_layers(model)
    stats = {}
    for layer, z in zip(layers, _pre_activations(model, layers, X), strict=True):
        values = z if pre_activation else np.asarray(layer.activation(z))
        stats[layer.name] = {"mean": float(np.mean(values)), "std": float(np.std(values))}
    return stats


def dead_unit_fraction(model, X, *, include_output=False) -> dict:
    """Fraction of each hidden Dense layer's units whose pre-activation is <= 0 for all of ``X``.

    Behind a ReLU such a unit outputs 0 for the whole data set, and its gradient is 0 too, so
    gradient descent can never revive it: it is *dead*. (Behind a leaky ReLU the same unit still
    passes a small gradient, so it can come back.) The output layer is left out unless
    ``include_output=True``. Returns ``{layer name: fraction}``, ordered input to output.
    """
    layers = dense_layers(model)
    zs = _pre_activations(model, layers, X)
    if not include_output:
        layers, zs = layers[:-1], zs[:-1]
        if not layers:
            raise ValueError(
                "model has a single Dense layer, its output layer; pass include_output=True "
                "to measure it."
            )
    return {
        layer.name: float(np.mean(np.all(z <= 0, axis=0)))
        for layer, z in zip(layers, zs, strict=True)
    }


def pre_activations_by_layer(model, X) -> dict:
    """The pre-activations ``z = x @ kernel + bias`` of each Dense layer for the rows of ``X``.

    For histograms and for statistics the other functions do not compute (for example the share
    of sigmoid units in their flat, saturated region). Returns ``{layer name: array of shape
    (len(X), units)}``, ordered input to output, computed in inference mode.
    """
    layers = dense_layers(model)
    return dict(
        zip([layer.name for layer in layers], _pre_activations(model, layers, X), strict=True)
    )


def kernel_stats(model) -> dict:
    """Fan-in, fan-out and the mean, variance and largest magnitude of each ``Dense`` kernel.

    With a large kernel the measured variance is what the initializer's formula promises
    (for example ``2 / fan_in`` for He), and a uniform initializer's largest magnitude approaches
    its limit ``r = sqrt(3 * variance)``. Returns
    ``{layer name: {"fan_in", "fan_out", "mean", "var", "max_abs"}}``, ordered input to output.
    """
    stats = {}
    for layer in dense_layers(model):
        if not layer.built:
            raise ValueError(
                f"model must be built (start it with keras.Input); layer {layer.name!r} has no "
                "kernel yet."
            )
        w = np.asarray(layer.kernel)
        stats[layer.name] = {
            "fan_in": int(w.shape[0]),
            "fan_out": int(w.shape[1]),
            "mean": float(w.mean()),
            "var": float(w.var()),
            "max_abs": float(np.abs(w).max()),
        }
    return stats


def _check_xy(X, y):
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    if len(X) == 0:
        raise ValueError("X must hold at least one example, got an empty array.")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got {len(X)} and {len(y)}.")
    return X, y


def _pre_activations(model, layers, X) -> list:
    """``x @ kernel + bias`` of each Dense layer in ``layers`` for the inputs ``X`` (inference)."""
    X = np.asarray(X, dtype=np.float32)
    if len(X) == 0:
        raise ValueError("X must hold at least one example, got an empty array.")
    if isinstance(model, keras.Sequential):
        inputs, x, wanted = [], X, {id(layer) for layer in layers}
        for layer in model.layers:
            if id(layer) in wanted:
                inputs.append(x)
            x = layer(x, training=False)
    else:
        sources = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        probe = keras.Model(sources, [layer.input for layer in layers])
        inputs = probe(X, training=False)
        inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    zs = []
    for layer, x in zip(layers, inputs, strict=True):
        z = np.asarray(x, dtype=np.float32) @ np.asarray(layer.kernel)
        if layer.use_bias:
            z = z + np.asarray(layer.bias)
        zs.append(z)
    return zs
