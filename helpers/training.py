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


def epoch_summary(every: int | None = None, metrics=("loss", "val_accuracy")):
    """A Keras callback that reports a ``fit`` in one line instead of ``verbose=2``'s line per
    epoch, which buries a lecture's page under dozens of log lines.

    At the end of training it prints, for each of ``metrics`` the run logged, its first and last
    value, and for accuracies the best one and its epoch::

        20 epochs in 14.2 s: loss 1.812 -> 0.311; val_accuracy 0.552 -> 0.901 (best 0.905,
        epoch 17)

    ``every=N`` also prints the epoch's values every N epochs while a long run goes on (progress
    a student can watch). Metrics the run did not log are left out.
    """
    import time

    import keras

    if every is not None and (isinstance(every, bool) or not isinstance(every, int) or every < 1):
        raise ValueError(f"every must be None or a positive int, got {every!r}.")

    class EpochSummary(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start, self.seen = time.perf_counter(), []

        def on_epoch_end(self, epoch, logs=None):
            self.seen.append(dict(logs or {}))
            if every and (epoch + 1) % every == 0 and epoch + 1 < self.params.get("epochs", 0):
                now = self.seen[-1]
                values = ", ".join(f"{m} {now[m]:.3f}" for m in metrics if m in now)
                print(f"epoch {epoch + 1}: {values}")

        def on_train_end(self, logs=None):
            seconds = time.perf_counter() - self.start
            parts = [
                _metric_course(m, self.seen) for m in metrics if self.seen and m in self.seen[0]
            ]
            epochs = len(self.seen)
            head = f"{epochs} epoch{'s' if epochs != 1 else ''} in {seconds:.1f} s"
            print(head + (": " + "; ".join(parts) if parts else ""))

    return EpochSummary()


def _metric_course(name: str, seen: list[dict]) -> str:
    """``name first -> last``, with the best epoch for an accuracy."""
    values = [float(logs[name]) for logs in seen]
    text = f"{name} {values[0]:.3f} -> {values[-1]:.3f}"
    if "accuracy" in name and len(values) > 1:
        best = int(np.argmax(values))
        text += f" (best {values[best]:.3f}, epoch {best + 1})"
    return text
