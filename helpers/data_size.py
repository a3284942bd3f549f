"""Should we gather more data? Accuracy against training-set size, measured.

The practical guidelines answer "would more data help?" with a curve: train the same
model on growing subsets of the training set, with sizes on a logarithmic scale (each double the
previous one), and plot training and validation accuracy against the size. If the validation
accuracy is still climbing at the largest size, more data is likely to help; if training accuracy
itself is poor, the model (or the optimisation) is the problem, not the amount of data. The
loop is easy to get subtly wrong (different initial weights per size, scoring the training
accuracy with dropout on, on the wrong subset), so it lives here, tested
(``tests/helpers/test_data_size.py`` checks every point against a run by hand), though one
lecture uses it: lecture 7, section 4.

Not to be confused with ``helpers.plotting.plot_learning_curves``, which plots the metrics of one
training run against the *epoch*.
"""

import numpy as np

from helpers.seeding import DEFAULT_SEED, set_seed

RESULT_KEYS = (
    "size",
    "train_accuracy",
    "valid_accuracy",
    "train_loss",
    "valid_loss",
    "epochs",
    "steps",
)


def doubling_sizes(smallest: int, largest: int) -> list[int]:
    """``smallest``, twice that, four times that, ... and finally ``largest`` itself.

    >>> doubling_sizes(100, 1000)
    [100, 200, 400, 800, 1000]
    """
    for name, value in (("smallest", smallest), ("largest", largest)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}.")
    if smallest > largest:
        raise ValueError(f"smallest must be <= largest, got {smallest} > {largest}.")
    sizes = [int(smallest)]
    while sizes[-1] * 2 < largest:
        sizes.append(sizes[-1] * 2)
    if sizes[-1] != largest:
        sizes.append(int(largest))
    return sizes


def accuracy_by_train_size(
    build_model,
    X_train,
    y_train,
    X_valid,
    y_valid,
    sizes,
    *,
    epochs: int | None = None,
    batch_size: int = 32,
    callbacks=(),
    seed: int = DEFAULT_SEED,
    steps: int | None = None,
) -> dict:
    """Train a fresh model on the first ``n`` training examples for every ``n`` in ``sizes``.

    Parameters
    ----------
    build_model : callable
        ``build_model()`` returns a new *compiled* Keras model with an ``"accuracy"`` metric.
        It is called once per size, after ``set_seed(seed)``, so every size starts from the same
        initial weights and the same shuffling.
    X_train, y_train : arrays
        The subsets are their first ``n`` rows (nested: a larger subset contains every smaller
        one). Shuffle beforehand if the order is not random (``load_dataset`` already is).
    X_valid, y_valid : arrays
        Every model is scored on all of them, and they are passed to ``fit`` as
        ``validation_data`` so that callbacks such as ``EarlyStopping`` can watch them.
    sizes : sequence of int
        Strictly increasing, each between 1 and ``len(X_train)``; see ``doubling_sizes``.
    epochs, batch_size, callbacks
        Passed to ``fit`` (``verbose=0``).
    steps : int, optional
        Instead of ``epochs``: train every size for about the same number of gradient steps,
        ``ceil(steps / batches per epoch)`` epochs (at least one). With the same epochs for every
        size, a small subset gets few steps, so the curve would mix "less data" with "less
        training"; with the same steps it measures the data alone. Give ``epochs`` or ``steps``.
        The ``steps`` batches are run as *one* ``fit`` epoch over consecutive shuffled passes of
        the subset (Keras' per-epoch overhead would otherwise dominate the small sizes), so
        per-epoch callbacks see one epoch; without callbacks ``fit`` gets no
        ``validation_data``.

    Returns
    -------
    dict of lists, one entry per size: ``"size"``, ``"train_accuracy"`` (on the subset the
    model was trained on), ``"valid_accuracy"``, ``"train_loss"``, ``"valid_loss"`` (all
    measured with ``model.evaluate`` after training, i.e. with dropout off) and ``"epochs"``
    (epochs actually run, fewer than ``epochs`` if a callback stopped training early; with
    ``steps``, the passes over the subset, the last one possibly partial) and ``"steps"``
    (gradient steps run).
    """
    _check_budget(epochs, steps)
    sizes = _check_inputs(
        build_model, X_train, y_train, X_valid, y_valid, sizes, 1 if epochs is None else epochs
    )
    train, valid = (X_train, y_train), (X_valid, y_valid)
    fit = {"batch_size": batch_size, "callbacks": list(callbacks)}
    rows = [_size_row(build_model, n, train, valid, seed, fit, epochs, steps) for n in sizes]
    return {key: [row[key] for row in rows] for key in RESULT_KEYS}


def _check_budget(epochs, steps) -> None:
    """Exactly one of ``epochs`` and ``steps``; ``steps`` a positive int."""
    if (epochs is None) == (steps is None):
        raise ValueError(f"give exactly one of epochs and steps, got {epochs!r} and {steps!r}.")
    if steps is not None:
        if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
            raise ValueError(f"steps must be a positive int, got {steps!r}.")


def _size_row(build_model, n, train, valid, seed, fit, epochs, steps) -> dict:
    """One size's row: ``epochs`` epochs over the subset, or ``steps`` batches as one epoch."""
    batch_size = fit["batch_size"]
    if steps is None:
        row = _point(build_model, n, train, valid, seed, fit | {"epochs": int(epochs)})
        return row | {"steps": row["epochs"] * -(-n // batch_size)}
    # steps * batch_size images in one fit epoch: consecutive shuffled passes over the subset
    # (the last one cut short), so that a small subset does not pay Keras' per-epoch overhead
    # dozens of times
    need = int(steps) * batch_size
    rng = np.random.default_rng(seed)
    passes = -(-need // n)
    order = np.concatenate([rng.permutation(n) for _ in range(passes)])[:need]
    fit = fit | {"epochs": 1, "shuffle": False}
    watch = bool(fit["callbacks"])
    row = _point(build_model, n, train, valid, seed, fit, watch=watch, order=order)
    return row | {"epochs": passes, "steps": int(steps)}


def _point(build_model, n, train, valid, seed, fit, watch=True, order=None) -> dict:
    """One point of the curve: a fresh model from ``seed``, fitted (``fit``: the arguments) on
    the first ``n`` training examples (in the index ``order`` given, if any; ``valid`` passed to
    ``fit`` if ``watch``), then scored with ``evaluate`` on them and on ``valid``."""
    (X, y), (X_valid, y_valid) = train, valid
    set_seed(seed)
    model = build_model()
    if not getattr(model, "compiled", False):
        raise ValueError("build_model must return a compiled model (call model.compile).")
    X_fit, y_fit = (X[:n], y[:n]) if order is None else (X[:n][order], y[:n][order])
    history = model.fit(X_fit, y_fit, validation_data=valid if watch else None, verbose=0, **fit)
    on_train = model.evaluate(X[:n], y[:n], verbose=0, return_dict=True)
    on_valid = model.evaluate(X_valid, y_valid, verbose=0, return_dict=True)
    if "accuracy" not in on_valid:
        raise ValueError(
            "build_model must compile its model with metrics=['accuracy']; the model "
            f"reports {sorted(on_valid)}."
        )
    return {
        "size": int(n),
        "train_accuracy": float(on_train["accuracy"]),
        "valid_accuracy": float(on_valid["accuracy"]),
        "train_loss": float(on_train["loss"]),
        "valid_loss": float(on_valid["loss"]),
        "epochs": len(history.history["loss"]),
    }


def _check_inputs(build_model, X_train, y_train, X_valid, y_valid, sizes, epochs) -> list[int]:
    """``accuracy_by_train_size``'s arguments checked; the sizes as a list of ints."""
    if not callable(build_model):
        raise ValueError(
            f"build_model must be a callable returning a compiled model, got "
            f"{type(build_model).__name__}."
        )
    if len(X_train) != len(y_train):
        raise ValueError(
            f"X_train and y_train must have the same length, got {len(X_train)} and "
            f"{len(y_train)}."
        )
    if len(X_valid) != len(y_valid) or len(X_valid) == 0:
        raise ValueError(
            f"X_valid and y_valid must be non-empty and of the same length, got {len(X_valid)} "
            f"and {len(y_valid)}."
        )
    sizes = _check_sizes(sizes, len(X_train))
    if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}.")
    return sizes


def plot_accuracy_by_train_size(results: dict, *, ax=None, title=None):
    """Training and validation accuracy against training-set size (log2 axis). Returns the Axes.

    ``results`` is what ``accuracy_by_train_size`` returns. The shaded band between the two
    curves is the generalisation gap.
    """
    needed = ("size", "train_accuracy", "valid_accuracy")
    if not isinstance(results, dict) or any(k not in results for k in needed):
        raise ValueError(
            f"results must be a dict with keys {needed}, as accuracy_by_train_size returns."
        )
    sizes = np.asarray(results["size"])
    train = np.asarray(results["train_accuracy"])
    valid = np.asarray(results["valid_accuracy"])
    if not (len(sizes) == len(train) == len(valid) >= 1):
        raise ValueError("results must hold the same, non-zero number of sizes and accuracies.")
    import matplotlib.pyplot as plt

    from helpers.plotting import finish

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    ax.plot(sizes, train, "o-", label="training accuracy")
    ax.plot(sizes, valid, "s--", label="validation accuracy")
    ax.fill_between(sizes, valid, train, alpha=0.15, color="grey", label="gap")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("training-set size (log scale)")
    ax.set_ylabel("accuracy")
    return finish(ax, title)


def _check_sizes(sizes, n_train):
    try:
        sizes = [s for s in sizes]
    except TypeError:
        raise ValueError(f"sizes must be a sequence of ints, got {sizes!r}.") from None
    if (
        not sizes
        or any(isinstance(s, bool) or not isinstance(s, int | np.integer) for s in sizes)
        or any(s < 1 or s > n_train for s in sizes)
        or any(b <= a for a, b in zip(sizes, sizes[1:], strict=False))
    ):
        raise ValueError(
            f"sizes must be strictly increasing ints between 1 and len(X_train)={n_train}, "
            f"got {sizes!r}."
        )
    return [int(s) for s in sizes]
