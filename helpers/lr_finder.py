"""A learning-rate finder: one short run with an exponentially growing rate, loss against rate.

The handouts' advice for choosing a learning rate is to try 10, 1, 0.1, ... and plot; Smith's
(2015) and Géron's finder does it in a single run: start tiny, multiply the rate by a constant
factor after every batch, record each batch's loss, stop once the loss has clearly blown up. The
loss first falls faster as the rate grows, then turns and climbs; a good rate sits about an order
of magnitude below the rate at which it blows up.

One batch's loss is noisy: its lowest point is often a lucky batch, not the rate at which the
loss turns. So the finder reads the curve after smoothing it (:meth:`smoothed_losses`, a centred
moving average over a few batches), and :meth:`blow_up_rate` is the first rate past the smoothed
curve's lowest point at which the smoothed loss has climbed back half-way to where it started:
the sweep is now undoing what the smaller rates learned. :meth:`suggestion` is ten times below it.

Keras 3 logs the *running mean* of the loss over the epoch at each batch end, not the batch's own
loss; the finder recovers the latter as ``(t + 1) * mean_t - t * mean_{t-1}``.

Serves one lecture: lecture 4, section 4.1. It is a module rather than cells because that
recovery, the geometric growth of the rate and the reading of the smoothed curve are exact
claims, checked by ``tests/helpers/test_lr_finder.py`` (against a Keras run, and on curves whose
answer is known).
"""

import keras
import numpy as np


class LearningRateFinder(keras.callbacks.Callback):
    """Grow the rate from ``min_lr`` to ``max_lr`` over ``steps`` batches; record rate and loss.

    Training stops early once a batch's loss is not finite or exceeds ``stop_factor`` times the
    first batch's loss (the untrained model's): the sweep has blown up. After ``fit``: ``rates``
    and ``losses`` (one per batch), :meth:`smoothed_losses`, :meth:`blow_up_rate` and
    :meth:`suggestion`. ``window`` is the number of batches the smoothing averages.
    """

    def __init__(self, min_lr=1e-5, max_lr=10.0, steps=100, stop_factor=4.0, window=9):
        super().__init__()
        if not (isinstance(min_lr, (int, float)) and min_lr > 0):
            raise ValueError(f"min_lr must be a positive number, got {min_lr!r}.")
        if not (isinstance(max_lr, (int, float)) and max_lr >= min_lr):
            raise ValueError(f"max_lr must be a number >= min_lr={min_lr}, got {max_lr!r}.")
        if not (isinstance(steps, int) and steps >= 2):
            raise ValueError(f"steps must be an int >= 2, got {steps!r}.")
        if not (isinstance(stop_factor, (int, float)) and stop_factor > 1):
            raise ValueError(f"stop_factor must be a number above 1, got {stop_factor!r}.")
        if (
            isinstance(window, bool)
            or not isinstance(window, int)
            or window < 1
            or window % 2 == 0
        ):
            raise ValueError(f"window must be an odd positive int, got {window!r}.")
        self.min_lr, self.max_lr, self.steps = float(min_lr), float(max_lr), steps
        self.stop_factor = float(stop_factor)
        self.window = window
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
        if not np.isfinite(loss) or loss > self.stop_factor * self.losses[0]:
            self.model.stop_training = True
        elif len(self.rates) >= self.steps:
            self.model.stop_training = True
        else:
            self.model.optimizer.learning_rate.assign(rate * self.factor)

    def _recorded(self):
        if not self.losses:
            raise ValueError("the finder has recorded nothing yet: call fit() with it first.")
        return np.asarray(self.rates), np.asarray(self.losses, dtype=float)

    def smoothed_losses(self) -> np.ndarray:
        """Each batch's loss averaged with its neighbours: a centred moving average over
        ``window`` batches (fewer at the two ends), skipping losses that are not finite."""
        _, losses = self._recorded()
        finite = np.isfinite(losses)
        kernel = np.ones(min(self.window, len(losses) - 1 + len(losses) % 2))  # odd, <= n
        total = np.convolve(np.where(finite, losses, 0.0), kernel, mode="same")
        count = np.convolve(finite.astype(float), kernel, mode="same")
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)

    def best_rate(self) -> float:
        """The rate at which the smoothed loss is lowest: where the curve turns."""
        rates, _ = self._recorded()
        return float(rates[int(np.nanargmin(self.smoothed_losses()))])

    def blow_up_rate(self) -> float:
        """The first rate past the smoothed curve's lowest point at which the smoothed loss has
        climbed back half-way to its starting value (or a batch's loss stopped being finite)."""
        rates, losses = self._recorded()
        smooth = self.smoothed_losses()
        lowest = int(np.nanargmin(smooth))
        threshold = smooth[lowest] + 0.5 * (smooth[0] - smooth[lowest])
        after = np.arange(len(rates)) > lowest
        blown = after & ((smooth > threshold) | ~np.isfinite(losses))
        if not blown.any():
            raise ValueError(
                f"the loss never blew up between {rates[0]:.2g} and {rates[-1]:.2g}: "
                "sweep to a larger max_lr (or for more steps)."
            )
        return float(rates[int(np.argmax(blown))])

    def suggestion(self) -> float:
        """A learning rate to train with: an order of magnitude below :meth:`blow_up_rate`."""
        return self.blow_up_rate() / 10
