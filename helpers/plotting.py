"""The lectures' plots, in one module. Every function returns the matplotlib Figure or Axes it drew
on, so a notebook can restyle or save it and a test can inspect it.

- ``plot_learning_curves``: a Keras ``History`` against the epoch (lectures 0, 5 and 6);
- ``plot_image_grid``: images titled with their class or prediction (lectures 0, 5, 6 and 7);
- ``plot_activation``: an activation and its derivative (lecture 1, sections 1, 4, 5 and 6);
- ``plot_neuron_graph``: the computational graph of one sigmoid neuron with squared error,
  forward values above the arrows and backward gradients below (lecture 0, section 1.1);
- ``plot_search_trials``: grid against random hyperparameter search, trial by trial (lecture 7,
  section 2).

The last two are drawn once, in one lecture, but take fifty and thirty lines of layout: they live
here, tested, so the lecture's cell shows only what the figure is about. The picture of one
measurement lives with it: ``helpers.calibration.plot_reliability_diagram``,
``helpers.data_size.plot_accuracy_by_train_size`` and
``helpers.optimizer_paths.plot_optimizer_paths``.
"""

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
    return finish(ax, title)


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
    return finish(ax, label)


_BOX = {"boxstyle": "round", "fc": "#e8f0fe", "ec": "#4a6fa5"}
_PLAIN = {"fc": "white", "ec": "none", "pad": 0.5}  # keeps labels readable over arrows


def neuron_gradients(x, w, b, y) -> dict:
    """Forward values and chain-rule gradients of L = (sigmoid(w x + b) - y)^2."""
    z = w * x + b
    a = 1 / (1 + np.exp(-z))
    dL_da = 2 * (a - y)
    dL_dz = dL_da * a * (1 - a)
    return {
        "z": z,
        "a": a,
        "L": (a - y) ** 2,
        "dL_da": dL_da,
        "dL_dz": dL_dz,
        "dL_dw": dL_dz * x,
        "dL_db": dL_dz,
        "dL_dx": dL_dz * w,
    }


def plot_neuron_graph(x, w, b, y):
    """Draw the graph x, w, b -> z -> a -> L with forward values and backward gradients."""
    for name, value in (("x", x), ("w", w), ("b", b), ("y", y)):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueError(f"{name} must be a number, got {value!r}.")
    v = neuron_gradients(x, w, b, y)
    fig, ax = plt.subplots(figsize=(10, 3.8))
    nodes = {
        "x": (0.0, 2.4),
        "w": (0.0, 1.2),
        "b": (0.0, 0.0),
        "z = wx + b": (2.6, 1.2),
        "a = σ(z)": (5.0, 1.2),
        "L = (a - y)²": (7.4, 1.2),
    }
    for label, (px, py) in nodes.items():
        ax.text(px, py, label, ha="center", va="center", fontsize=11, bbox=_BOX)
    edges = [
        ("x", "z = wx + b", f"x = {x}", f"∂L/∂x = {v['dL_dx']:.3f}"),
        ("w", "z = wx + b", f"w = {w}", f"∂L/∂w = {v['dL_dw']:.3f}"),
        ("b", "z = wx + b", f"b = {b}", f"∂L/∂b = {v['dL_db']:.3f}"),
        ("z = wx + b", "a = σ(z)", f"z = {v['z']:.3f}", f"∂L/∂z = {v['dL_dz']:.3f}"),
        ("a = σ(z)", "L = (a - y)²", f"a = {v['a']:.3f}", f"∂L/∂a = {v['dL_da']:.3f}"),
    ]
    for start, end, forward, backward in edges:
        (x0, y0), (x1, y1) = nodes[start], nodes[end]
        x0, x1 = x0 + 0.15 + 0.055 * len(start), x1 - 0.15 - 0.055 * len(end)  # box edges
        arrow = {"arrowstyle": "->", "color": "#4a6fa5"}
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=arrow)
        mx, my = x0 + 0.4 * (x1 - x0), y0 + 0.4 * (y1 - y0)  # label 40% along the arrow
        ax.text(mx, my + 0.12, forward, ha="center", fontsize=9, bbox=_PLAIN)
        ax.text(mx, my - 0.3, backward, ha="center", fontsize=9, color="#c0392b", bbox=_PLAIN)
    ax.text(7.4, 0.7, f"L = {v['L']:.4f}   (y = {y})", ha="center", fontsize=9)
    ax.set_xlim(-0.5, 8.4)
    ax.set_ylim(-0.4, 2.8)
    ax.axis("off")
    ax.set_title("Forward values (black) and backward gradients (red) for one sigmoid neuron")
    return fig


def plot_search_trials(searches, *, xlim=(7e-4, 0.5), ylim=(0, 320)):
    """One panel per search (learning rate x hidden units, coloured by validation accuracy,
    best trial circled), and validation accuracy against learning rate for all of them.

    ``searches`` maps a method name to a list of trials, each a dict with ``learning_rate``,
    ``units`` and ``valid_accuracy``.
    """
    keys = {"learning_rate", "units", "valid_accuracy"}
    if not isinstance(searches, dict) or not searches:
        raise ValueError("searches must be a non-empty dict: method name -> list of trials.")
    for method, rows in searches.items():
        if not rows or any(not keys <= set(r) for r in rows):
            raise ValueError(f"every trial of searches[{method!r}] needs the keys {sorted(keys)}.")
    n = len(searches)
    fig, axes = plt.subplots(1, n + 1, figsize=(5 * (n + 1), 4), layout="constrained")
    all_acc = [r["valid_accuracy"] for rows in searches.values() for r in rows]
    for ax, (method, rows) in zip(axes[:n], searches.items(), strict=True):
        lr, units, acc = (
            [r[k] for r in rows] for k in ("learning_rate", "units", "valid_accuracy")
        )
        points = ax.scatter(lr, units, c=acc, s=80, vmin=min(all_acc), vmax=max(all_acc))
        best = int(np.argmax(acc))
        ax.scatter(lr[best], units[best], s=250, facecolors="none", edgecolors="red")
        ax.set(xscale="log", xlim=xlim, ylim=ylim, xlabel="learning rate", ylabel="hidden units")
        ax.set_title(f"{method} search ({len(rows)} trials)")
    fig.colorbar(points, ax=axes[n - 1], label="validation accuracy")
    for (method, rows), marker in zip(searches.items(), "so^v", strict=False):
        lr, acc = [r["learning_rate"] for r in rows], [r["valid_accuracy"] for r in rows]
        axes[n].scatter(lr, acc, marker=marker, label=method, alpha=0.8)
    axes[n].set(xscale="log", xlim=xlim, xlabel="learning rate", ylabel="validation accuracy")
    axes[n].legend()
    axes[n].grid(True, alpha=0.3)
    return fig


def finish(ax, title=None):
    """The course's finish on a plot: a light grid, the legend and the ``title`` if given.

    Returns the Axes.
    """
    ax.grid(True, alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return ax
