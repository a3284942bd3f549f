"""A learning-rate finder: one short run with an exponentially growing rate, loss against rate.

The handouts' advice for choosing a learning rate is to try 10, 1, 0.1, ... and plot; Smith's
(2015) and Géron's finder does it in a single run: start tiny, multiply the rate by a constant
factor after every batch, record each batch's loss, stop once the loss has clearly blown up. The
loss first falls faster as the rate grows, then turns and climbs; a good rate sits about ten
times below the rate at the lowest loss.

Keras 3 logs the *running mean* of the loss over the epoch at each batch end, not the batch's own
loss; the finder recovers the latter as ``(t + 1) * mean_t - t * mean_{t-1}``.

Serves one lecture: lecture 4, section 4.1. It is a module rather than cells because that
recovery and the geometric growth of the rate are exact claims, checked by
``tests/helpers/test_lr_finder.py`` against a Keras run.
"""

import keras
import numpy as np


class LearningRateFinder(keras.callbacks.Callback):
    """Grow the rate from ``min_lr`` to ``max_lr`` over ``steps`` batches; record rate and loss.

    Training stops early once a batch's loss exceeds ``stop_factor`` times the lowest loss seen.
    After ``fit``: ``rates`` and ``losses`` (one per batch) and :meth:`suggestion`.
    """

    def __init__(self, min_lr=1e-5, max_lr=10.0, steps=100, stop_factor=4.0):
        super().__init__()
        if not (isinstance(min_lr, (int, float)) and min_lr > 0):
            raise ValueError(f"min_lr must be a positive number, got {min_lr!r}.")
        if not (isinstance(max_lr, (int, float)) and max_lr >= min_lr):
            raise ValueError(f"max_lr must be a number >= min_lr={min_lr}, got {max_lr!r}.")
        if not (isinstance(steps, int) and steps >= 2):
            raise ValueError(f"steps must be an int >= 2, got {steps!r}.")
        if not (isinstance(stop_factor, (int, float)) and stop_factor > 1):
            raise ValueError(f"stop_factor must be a number above 1, got {stop_factor!r}.")
        self.min_lr, self.max_lr, self.steps = float(min_lr), float(max_lr), steps
        self.stop_factor = float(stop_factor)
        self.factor = (self.max_lr / self.min_lr) ** (1 / (steps - 1))
        self.rates, self.losses = [], []

    def on_train_begin(self, logs=None):
        self.rates, self.losses = [], []
        self.model.optimizer.learning_rate.assign(self.min_lr)

    def on_epoch_begin(self, epoch, logs=None):
        self._previous_mean = 0.0

    def on_train_batch_end(self, batch, logs=None):
        mean = float(logs["loss"])
        loss = (batch + 1) * mean - batch * self._previous_mean
        self._previous_mean = mean
        rate = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        self.rates.append(rate)
        self.losses.append(loss)
        if not np.isfinite(loss) or loss > self.stop_factor * min(self.losses):
            self.model.stop_training = True
        elif len(self.rates) >= self.steps:
            self.model.stop_training = True
        else:
            self.model.optimizer.learning_rate.assign(rate * self.factor)

    def best_rate(self) -> float:
        """The rate at which the recorded loss was lowest."""
        if not self.losses:
            raise ValueError("the finder has recorded nothing yet: call fit() with it first.")
        return self.rates[int(np.nanargmin(self.losses))]

    def suggestion(self) -> float:
        """A learning rate to train with: ten times below the rate of the lowest loss."""
        return self.best_rate() / 10
