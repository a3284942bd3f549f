"""Plots several notebooks draw. Every function returns the matplotlib Figure or Axes it drew on,
so a notebook can restyle or save it and a test can inspect it."""

import matplotlib.pyplot as plt
import numpy as np


def plot_learning_curves(history, *, metrics=None, ax=None, title=None):
    """Plot every series of a Keras ``History`` (or its ``.history`` dict) against the epoch.

    Validation series are dashed, in the colour of their training twin. Returns the Axes.
    """
    curves = getattr(history, "history", history)
    if not isinstance(curves, dict) or not curves:
        raise ValueError("history must be a keras History or a non-empty dict of lists.")
    if metrics is None:
        metrics = [k for k in curves if not k.startswith("val_") and k != "learning_rate"]
    unknown = [m for m in metrics if m not in curves]
    if unknown:
        raise ValueError(
            f"metrics {unknown} are not in the history; choose from {sorted(curves)}."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for i, metric in enumerate(metrics):
        colour = f"C{i}"
        epochs = np.arange(1, len(curves[metric]) + 1)
        ax.plot(epochs, curves[metric], color=colour, label=metric)
        if f"val_{metric}" in curves:
            ax.plot(epochs, curves[f"val_{metric}"], "--", color=colour, label=f"val_{metric}")
    ax.set_xlabel("epoch")
    ax.grid(True, alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def plot_image_grid(images, labels=None, class_names=None, *, predictions=None, n_cols=8):
    """Show images in a grid, titled with their class (and prediction, red when wrong).

    Returns the Figure.
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (n, height, width), got {images.shape}.")
    if n_cols <= 0:
        raise ValueError(f"n_cols must be a positive int, got {n_cols!r}.")
    n = len(images)
    n_rows = max(1, int(np.ceil(n / n_cols)))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(1.4 * n_cols, 1.6 * n_rows), squeeze=False)

    def name(k):
        return class_names[int(k)] if class_names is not None else str(int(k))

    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="binary")
        if labels is not None and predictions is not None:
            wrong = int(labels[i]) != int(predictions[i])
            ax.set_title(f"{name(predictions[i])}", fontsize=8, color="red" if wrong else "black")
        elif labels is not None:
            ax.set_title(name(labels[i]), fontsize=8)
    fig.tight_layout()
    return fig


def plot_activation(name, *, z=None, ax=None, **kwargs):
    """Plot a Keras activation and its derivative (by ``GradientTape``) on the same Axes.

    ``name`` is anything ``keras.activations.get`` accepts ("relu", "selu", "swish", ...);
    extra keyword arguments go to the activation (for example ``negative_slope=0.2`` for
    ``"leaky_relu"``). Returns the Axes.
    """
    import keras
    import tensorflow as tf

    fn = keras.activations.get(name)
    z = np.linspace(-5, 5, 401, dtype=np.float32) if z is None else np.asarray(z, np.float32)
    zt = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(zt)
        a = fn(zt, **kwargs)
    dz = tape.gradient(a, zt)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 3))
    label = name if isinstance(name, str) else getattr(name, "__name__", "activation")
    ax.plot(z, np.asarray(a), label=label)
    ax.plot(z, np.asarray(dz), "--", label=f"{label}'")
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_xlabel("z")
    ax.set_title(label)
    ax.legend()
    ax.grid(True, alpha=0.3)
    return ax
