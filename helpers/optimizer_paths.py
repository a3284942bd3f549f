"""Paths of Keras' optimizers on two-weight loss surfaces, and the contour plot that shows them.

An update rule is easiest to understand on a function of two weights, where every step can be
drawn: plain gradient descent zig-zags across a narrow valley, momentum overshoots and then
accelerates along it, adaptive methods rescale each coordinate.

The paths come from Keras itself (``optimizer.apply_gradients`` on a ``keras.Variable``, with the
gradient from ``tf.GradientTape``), never from a re-implementation of the update rules.

Serves one lecture: lecture 4, sections 1 to 3 (plain gradient descent, momentum, Nesterov and
the adaptive methods, on the two surfaces). It is a module rather than cells because the paths
are exact claims, ``tests/helpers/test_optimizer_paths.py`` checking their first steps against
the update rules Keras documents, and the graph-compiled loop and the contour plot would take
forty lines of cells that teach nothing about optimizers.
"""

import matplotlib.pyplot as plt
import numpy as np


def elongated_bowl(w):
    """A narrow quadratic valley, ``J(x, y) = x**2 / 2 + 10 * y**2``, minimum 0 at (0, 0).

    The curvature is 1 along x and 20 along y, so plain gradient descent must use a learning rate
    below 2 / 20 = 0.1 to stay stable across the valley and then crawls along it. ``w`` is a
    ``keras.Variable`` of two weights, or an array whose first axis holds x and y (a grid).
    """
    return 0.5 * w[0] ** 2 + 10.0 * w[1] ** 2


def rosenbrock(w, b=10.0):
    """A curved banana-shaped valley, ``J(x, y) = (1 - x)**2 + b * (y - x**2)**2``.

    The minimum is 0 at (1, 1), at the end of a flat, bent valley floor. ``b=100`` is the classic
    test function; the default ``b=10`` keeps the gradients small enough for one learning rate
    per optimizer to work on the whole plot. ``w`` is as for ``elongated_bowl``.
    """
    return (1.0 - w[0]) ** 2 + b * (w[1] - w[0] ** 2) ** 2


def optimizer_path(optimizer, loss_fn, start, n_steps):
    """Run a fresh Keras optimizer on ``loss_fn`` from ``start``; return every point visited.

    Parameters
    ----------
    optimizer : keras.optimizers.Optimizer
        A new optimizer instance (its state must not have been used yet).
    loss_fn : callable
        Maps a ``keras.Variable`` of shape ``(d,)`` to a scalar loss (for example
        ``elongated_bowl``).
    start : sequence of float
        The initial weights, shape ``(d,)``.
    n_steps : int
        Number of optimizer steps.

    Returns
    -------
    numpy.ndarray of shape ``(n_steps + 1, d)``: the start, then the weights after each step.
    """
    import keras
    import tensorflow as tf

    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise ValueError(
            f"optimizer must be a keras.optimizers.Optimizer instance, got {optimizer!r}."
        )
    if int(keras.ops.convert_to_numpy(optimizer.iterations)) != 0:
        raise ValueError("optimizer has already taken steps; pass a fresh optimizer instance.")
    if not callable(loss_fn):
        raise ValueError(f"loss_fn must be callable, got {loss_fn!r}.")
    start = np.asarray(start, dtype=np.float32)
    if start.ndim != 1 or start.size == 0:
        raise ValueError(f"start must be a non-empty 1-D sequence of weights, got {start!r}.")
    if not isinstance(n_steps, int) or isinstance(n_steps, bool) or n_steps <= 0:
        raise ValueError(f"n_steps must be a positive int, got {n_steps!r}.")

    w = keras.Variable(start, name="w")
    optimizer.build([w])

    @tf.function
    def run():
        path = tf.TensorArray(tf.float32, size=n_steps + 1)
        path = path.write(0, tf.identity(w.value))
        for i in tf.range(n_steps):
            with tf.GradientTape() as tape:
                loss = loss_fn(w)
            grads = tape.gradient(loss, [w])
            optimizer.apply_gradients(zip(grads, [w], strict=True))
            path = path.write(i + 1, tf.identity(w.value))
        return path.stack()

    # Every call traces its own small graph on purpose (one per optimizer); keep TensorFlow's
    # "frequent retracing" warning, meant for accidental retracing, out of the notebooks.
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        return run().numpy()
    finally:
        logger.setLevel(level)


def plot_optimizer_paths(
    paths, loss_fn, *, xlim, ylim, minimum=None, ax=None, n_levels=20, title=None
):
    """Draw the loss contours and each path (a dict of name -> array of points) on one Axes.

    Contour levels are spaced logarithmically, so the valley floor stays visible. ``minimum``
    (x, y), if given, is marked with a star. Returns the Axes.
    """
    if not isinstance(paths, dict) or not paths:
        raise ValueError("paths must be a non-empty dict of name -> array of shape (n, 2).")
    for name, path in paths.items():
        if np.ndim(path) != 2 or np.shape(path)[1] != 2:
            raise ValueError(
                f"paths[{name!r}] must have shape (n, 2), got {np.shape(path)}; "
                "only two-weight paths can be drawn."
            )
    if len(xlim) != 2 or len(ylim) != 2 or xlim[0] >= xlim[1] or ylim[0] >= ylim[1]:
        raise ValueError(f"xlim and ylim must be (low, high) pairs, got {xlim!r}, {ylim!r}.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    xs = np.linspace(*xlim, 200)
    ys = np.linspace(*ylim, 200)
    grid = np.stack(np.meshgrid(xs, ys))
    z = np.asarray(loss_fn(grid), dtype=float)
    low = max(float(z.min()), 1e-3)
    levels = np.geomspace(low, float(z.max()), n_levels)
    ax.contour(xs, ys, z, levels=levels, cmap="Greys", linewidths=0.7)
    for i, (name, path) in enumerate(paths.items()):
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], ".-", color=f"C{i}", ms=3, lw=1, label=name)
    if minimum is not None:
        ax.plot(*minimum, "k*", ms=12, label="minimum")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.legend(fontsize=8, loc="best")
    if title:
        ax.set_title(title)
    return ax
