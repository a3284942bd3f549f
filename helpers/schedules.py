"""Learning-rate schedules that Keras does not ship, and a way to see what a schedule really does.

Keras has schedule objects (``keras.optimizers.schedules``) and two callbacks
(``LearningRateScheduler``, ``ReduceLROnPlateau``), but no 1cycle schedule, and nothing that shows
which learning rate the optimizer actually used at each step:

- ``OneCycleScheduler``: the 1cycle policy (Smith, 2018) as a per-batch callback. The rate rises
  linearly from ``start_lr`` to ``max_lr`` over the first half of the cycle, falls linearly back
  to ``start_lr`` over the second half, then drops linearly to ``last_lr`` (several orders of
  magnitude lower) over the last ``last_steps`` steps. It keeps the rates it set.
- ``LearningRateRecorder``: reads ``model.optimizer.learning_rate`` before every training batch,
  whatever sets it (a schedule object, a callback, nothing), so a notebook can plot the rates an
  optimizer really used and a test can compare them with the expected values.

Serves one lecture: lecture 4, sections 5.2 to 5.6. It is a module rather than cells because
the rates are exact claims: ``tests/helpers/test_schedules.py`` checks both against the weight
updates SGD really made.
"""

import keras
import numpy as np


def _current_rate(optimizer) -> float:
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


class LearningRateRecorder(keras.callbacks.Callback):
    """Record the optimizer's learning rate before every training batch.

    The value read before batch ``t`` is the rate the optimizer applies in step ``t``: a schedule
    object is evaluated at the optimizer's step counter, and a callback that sets the rate does so
    at the start of the batch or epoch. Put the recorder *last* in the ``callbacks`` list, so that
    it reads the rate after the other callbacks have set it.

    Attributes
    ----------
    rates : list of float
        One learning rate per training step, across every ``fit`` call.
    epochs : list of int
        The epoch (0-based, within its ``fit`` call) of each recorded step.
    """

    def __init__(self):
        super().__init__()
        self.rates = []
        self.epochs = []
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        self.rates.append(_current_rate(self.model.optimizer))
        self.epochs.append(self._epoch)


class OneCycleScheduler(keras.callbacks.Callback):
    """The 1cycle learning-rate policy, set on the optimizer before every training batch.

    Parameters
    ----------
    max_lr : float
        The peak learning rate, reached half-way through the cycle.
    total_steps : int
        Number of training steps (batches) in the whole run: ``epochs * ceil(n_train / batch)``.
    start_lr : float, optional
        Rate at the first step and at the end of the cycle (default ``max_lr / 10``).
    last_steps : int, optional
        Steps of the final drop from ``start_lr`` to ``last_lr`` (default ``total_steps // 10``).
    last_lr : float, optional
        Rate at the very last step (default ``start_lr / 1000``).

    Attributes
    ----------
    peak_step : int
        The step at which the rate is ``max_lr``.
    learning_rates : list of float
        The rate set before each batch of the latest ``fit`` call, in order.

    The step count restarts at every ``fit`` call. After ``total_steps`` steps the rate stays at
    its final value (``last_lr``, or ``start_lr`` when ``last_steps=0``). At the end of every
    epoch the current rate is logged as ``"learning_rate"``, so that
    ``history.history["learning_rate"]`` holds the rate of each epoch's last step.
    """

    def __init__(self, max_lr, total_steps, *, start_lr=None, last_steps=None, last_lr=None):
        super().__init__()
        if not isinstance(total_steps, int) or isinstance(total_steps, bool) or total_steps < 3:
            raise ValueError(f"total_steps must be an int >= 3, got {total_steps!r}.")
        if not _positive_number(max_lr):
            raise ValueError(f"max_lr must be a positive number, got {max_lr!r}.")
        start_lr = max_lr / 10 if start_lr is None else start_lr
        if not _positive_number(start_lr) or start_lr > max_lr:
            raise ValueError(
                f"start_lr must be a positive number <= max_lr={max_lr}, got {start_lr!r}."
            )
        last_lr = start_lr / 1000 if last_lr is None else last_lr
        if not (_positive_number(last_lr) or last_lr == 0) or last_lr > start_lr:
            raise ValueError(
                f"last_lr must be a number in [0, start_lr={start_lr}], got {last_lr!r}."
            )
        last_steps = total_steps // 10 if last_steps is None else last_steps
        if (
            not isinstance(last_steps, int)
            or isinstance(last_steps, bool)
            or not 0 <= last_steps <= total_steps - 3
        ):
            raise ValueError(
                f"last_steps must be an int in [0, total_steps - 3 = {total_steps - 3}], "
                f"got {last_steps!r}."
            )
        self.max_lr = float(max_lr)
        self.total_steps = total_steps
        self.start_lr = float(start_lr)
        self.last_steps = last_steps
        self.last_lr = float(last_lr)
        # Corner points of the piecewise-linear schedule: up, down, then the final drop.
        end_of_cycle = total_steps - 1 - last_steps
        self.peak_step = end_of_cycle // 2
        self._steps = [0, self.peak_step, end_of_cycle]
        self._rates = [self.start_lr, self.max_lr, self.start_lr]
        if last_steps > 0:
            self._steps.append(total_steps - 1)
            self._rates.append(self.last_lr)
        self.learning_rates = []
        self._step = 0

    def rate(self, step):
        """The learning rate at ``step`` (0-based); works on an int or an array of steps."""
        value = np.interp(step, self._steps, self._rates)
        return float(value) if np.ndim(value) == 0 else value

    def on_train_begin(self, logs=None):
        self._step = 0
        self.learning_rates = []

    def on_train_batch_begin(self, batch, logs=None):
        lr = self.rate(self._step)
        self.model.optimizer.learning_rate = lr
        self.learning_rates.append(lr)
        self._step += 1

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _current_rate(self.model.optimizer)


def _positive_number(value) -> bool:
    return (
        isinstance(value, (int, float, np.floating))
        and not isinstance(value, bool)
        and np.isfinite(value)
        and value > 0
    )
