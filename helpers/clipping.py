"""Gradient clipping exactly as Keras' optimizers do it, made visible.

Keras clips gradients inside ``optimizer.apply_gradients`` (the ``clipvalue``, ``clipnorm`` and
``global_clipnorm`` arguments of every optimizer) and never hands the clipped gradient back.
``clipped_gradient`` makes it observable: it applies one plain SGD step with learning rate 1 to
variables that start at zero, so each variable ends at minus the gradient the optimizer really
used. ``cosine_similarity`` then says whether clipping kept the gradient's direction.

Serves one lecture: lecture 2, sections 6.1 and 6.2. It is a module rather than cells because
clipping directions are exact claims (``clipvalue`` turns a gradient, ``clipnorm`` keeps its
direction, per variable unlike ``global_clipnorm``), each checked by
``tests/helpers/test_clipping.py``; the lecture shows the few Keras lines it wraps.
"""

import numpy as np

CLIP_ARGS = ("clipvalue", "clipnorm", "global_clipnorm")


def clipped_gradient(gradient, *, clipvalue=None, clipnorm=None, global_clipnorm=None):
    """The gradient a Keras SGD optimizer applies after its own clipping.

    Parameters
    ----------
    gradient : array-like, or a list of arrays
        One variable's gradient (``[0.9, 100.0]`` is one vector), or a list of arrays, one per
        variable (``clipnorm`` clips each variable's gradient on its own, ``global_clipnorm``
        clips them together).
    clipvalue, clipnorm, global_clipnorm : float, optional
        Passed to ``keras.optimizers.SGD``; at most one may be set (none: no clipping).

    Returns
    -------
    numpy.ndarray, or a list of them when ``gradient`` is a list.
    """
    import keras

    settings = {"clipvalue": clipvalue, "clipnorm": clipnorm, "global_clipnorm": global_clipnorm}
    chosen = {k: v for k, v in settings.items() if v is not None}
    if len(chosen) > 1:
        raise ValueError(f"set at most one of {CLIP_ARGS}, got {sorted(chosen)}.")
    for name, value in chosen.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}.")

    as_list = isinstance(gradient, list | tuple) and all(
        isinstance(g, list | tuple | np.ndarray) for g in gradient
    )
    grads = [np.asarray(g, dtype=np.float32) for g in (gradient if as_list else [gradient])]
    if not grads or any(g.size == 0 for g in grads):
        raise ValueError("gradient must be a non-empty array or a list of non-empty arrays.")
    if any(not np.all(np.isfinite(g)) for g in grads):
        raise ValueError("gradient must hold finite numbers only.")

    optimizer = keras.optimizers.SGD(learning_rate=1.0, **chosen)
    variables = [keras.Variable(np.zeros_like(g)) for g in grads]
    tensors = [keras.ops.convert_to_tensor(g) for g in grads]
    optimizer.apply_gradients(zip(tensors, variables, strict=True))
    used = [-keras.ops.convert_to_numpy(v) for v in variables]  # w = 0 - 1 * g_clipped
    return used if as_list else used[0]


def cosine_similarity(a, b) -> float:
    """Cosine of the angle between two gradients (lists are concatenated into one vector).

    1.0 means the same direction; anything below 1.0 means clipping turned the gradient.
    """
    u = _flat(a, "a")
    v = _flat(b, "b")
    if u.shape != v.shape:
        raise ValueError(f"a and b must have the same size, got {u.size} and {v.size}.")
    norms = np.linalg.norm(u) * np.linalg.norm(v)
    if norms == 0:
        raise ValueError("a and b must both be non-zero vectors; a zero vector has no direction.")
    return float(u @ v / norms)


def _flat(x, name):
    parts = x if isinstance(x, list | tuple) else [x]
    try:
        flat = np.concatenate([np.ravel(np.asarray(p, dtype=np.float64)) for p in parts])
    except ValueError as error:
        raise ValueError(f"{name} must be an array or a list of arrays of numbers.") from error
    return flat
