"""Training and scoring a classifier the way the lectures do, written once.

Lectures 3, 4, 5 and 7 train many small classifiers that differ in one thing at a time (the
optimizer, a regulariser, the architecture) and score each the same way. The common part lives
here, so that a comparison cannot differ by accident in how the two models were compiled,
seeded or scored:

- :func:`compile_classifier`: integer class labels, sparse categorical cross-entropy, accuracy;
- :func:`fit_classifier`: compile, optionally reseed (so that every model sees the same
  mini-batch order), fit silently, return the history dict;
- :func:`accuracy`: the share of correct predictions of one inference-mode call (dropout and
  augmentation off), for a softmax model or a one-unit sigmoid model alike.

``model(X, training=False)`` is used rather than ``model.predict``: one call, no predict
function to trace, the same numbers.
"""

import numpy as np

from helpers.seeding import set_seed

LOSS = "sparse_categorical_crossentropy"


def compile_classifier(model, optimizer):
    """Compile ``model`` for integer labels with ``optimizer`` and an ``"accuracy"`` metric."""
    if not hasattr(model, "compile"):
        raise ValueError(f"model must be a Keras model, got {type(model).__name__}.")
    model.compile(optimizer=optimizer, loss=LOSS, metrics=["accuracy"])
    return model


def fit_classifier(
    model,
    optimizer,
    X,
    y,
    *,
    epochs: int,
    validation_data=None,
    callbacks=(),
    batch_size: int | None = None,
    seed: int | None = None,
) -> dict:
    """Compile ``model`` (:func:`compile_classifier`), fit it silently, return its history dict.

    ``seed``, if given, is set after compiling and before fitting, so models compared with the
    same seed see the same mini-batches in the same order; ``None`` continues from the
    generators' current state (seed once before building the model instead). ``batch_size=None``
    is Keras' default of 32. The dict holds one value per epoch for every metric, ``"val_..."``
    ones too when ``validation_data`` is given.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}.")
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(
            f"X and y must be non-empty and of the same length, got {len(X)} and {len(y)}."
        )
    compile_classifier(model, optimizer)
    if seed is not None:
        set_seed(seed)
    history = model.fit(
        X,
        y,
        epochs=int(epochs),
        batch_size=batch_size,
        validation_data=validation_data,
        callbacks=list(callbacks),
        verbose=0,
    )
    return history.history


def accuracy(model, X, y) -> float:
    """Share of the rows of ``X`` whose predicted class is ``y``, from one inference-mode call.

    A softmax output (one column per class) predicts its largest column; a single sigmoid unit
    (one column) predicts class 1 when its output exceeds 0.5.
    """
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(
            f"X and y must be non-empty and of the same length, got {len(X)} and {len(y)}."
        )
    proba = np.asarray(model(X, training=False))
    if proba.ndim != 2:
        raise ValueError(
            f"model must output one row of class scores per example, got shape {proba.shape}."
        )
    predicted = (proba[:, 0] > 0.5) if proba.shape[1] == 1 else proba.argmax(axis=1)
    return float(np.mean(predicted == np.asarray(y)))
