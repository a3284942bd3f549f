"""How sure is a measured gap? The statistics behind :mod:`helpers.verdicts`, and the power check
a lecture runs to choose its number of seeds before it trains.

A lecture compares A with B in one of two designs, and each has its interval:

- **Paired seeds.** A and B are trained once per seed (seed *s* of A against seed *s* of B), so
  the per-seed gaps ``d_1 .. d_n`` carry the run-to-run spread of training. Their mean has the
  95 % interval ``mean ± t(0.975, n - 1) * sd / sqrt(n)`` (:func:`paired_interval`), Student's t
  because ``sd`` itself comes from only ``n`` seeds: with 3 seeds ``t`` is 4.30, not 1.96, and
  the interval is wide. That is the honest answer, not a defect. The interval measures how much
  training randomness moves the gap on *this* evaluation set; it does not add the evaluation
  set's own sampling noise.
- **One run per side.** An accuracy measured on ``n`` independent examples has the binomial
  standard error ``sqrt(p (1 - p) / n)``; the gap of two such accuracies gets the interval
  ``gap ± z(0.975) * sqrt((pa (1 - pa) + pb (1 - pb)) / n)`` (:func:`binomial_interval`). This
  treats the two accuracies as independent; two models judged on the same images err on many
  of the same ones, so the true noise is smaller and the interval errs on the side of caution.
  ``n`` counts *independent* examples: ``digits_distorted``'s 1,200 validation images are 5
  distorted copies of each of 240 source digits, and copies of one digit tend to be right or
  wrong together, so its accuracy is about as noisy as one on 240 images
  (:meth:`helpers.data.Dataset.effective_size`).

An interval that excludes 0 **resolves** the gap: its sign says who is ahead. One that covers 0
does *not* show that A and B are equal; it shows that this design cannot tell them apart.
Equality is a claim of its own (an equivalence test, the "two one-sided tests" of
pharmacology): it needs a margin stated before the run, such as "within 1 point", and the whole
interval inside ``±margin`` (:meth:`Interval.within`; the 95 % interval is stricter than the
90 % one the two one-sided tests at 5 % need). :func:`sign_count` gives the plainest summary:
on how many seeds each side was ahead. Note that 3 of 3 seeds happens one time in four by a
coin flip for the leader (two-sided), 5 of 5 one time in sixteen.

Power: a design that cannot resolve the effect a lecture wants to show teaches nothing. From
the per-seed gaps of a pilot (or a guess of their standard deviation), :func:`seeds_needed`
says how many seeds resolve a true gap ``d`` with a given probability (the power, from the
non-central t distribution), :func:`seed_resolution` how small a mean gap ``n`` seeds resolve,
and :func:`run_resolution` how small a gap a single run resolves on an evaluation set of
``n_eff`` independent examples. ``benchmarks/power.py`` prints them from the command line.
A pilot of 3 seeds estimates ``sd`` roughly (it may well be off by a factor of 2): prefer a
pessimistic ``sd``.
"""

import math
from dataclasses import dataclass

import numpy as np

LEVEL = 0.95  # two-sided confidence level of every interval the course prints
POWER = 0.8  # the conventional probability of resolving a real effect when planning a design


def _probability(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"{name} must be a probability strictly between 0 and 1, got {value!r}.")
    return float(value)


def _count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}.")
    return int(value)


def _finite(name, value, *, positive=False, non_negative=False):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"{name} must be a number, got {value!r}.")
    value = float(value)
    if not math.isfinite(value) or (positive and value <= 0) or (non_negative and value < 0):
        kind = "positive" if positive else "non-negative" if non_negative else "finite"
        raise ValueError(f"{name} must be a {kind} number, got {value!r}.")
    return value


def _gaps(gaps):
    array = np.atleast_1d(np.asarray(gaps, dtype=float))
    if array.ndim != 1 or array.size == 0 or not np.all(np.isfinite(array)):
        raise ValueError(f"gaps must be a non-empty list of finite numbers, got {gaps!r}.")
    return array


def t_quantile(df: int, level: float = LEVEL) -> float:
    """Two-sided Student-t critical value: 12.71 for 1 degree of freedom, 4.30 for 2, 2.78 for
    4, towards 1.96 for many. Few seeds make a wide interval, which is the honest answer."""
    from scipy.stats import t

    df, level = _count("df", df, 1), _probability("level", level)
    return float(t.ppf(0.5 + level / 2, df))


def z_quantile(level: float = LEVEL) -> float:
    """Two-sided normal critical value: 1.96 for a 95 % interval."""
    from scipy.stats import norm

    return float(norm.ppf(0.5 + _probability("level", level) / 2))


@dataclass(frozen=True)
class Interval:
    """A gap ``A - B`` and its two-sided confidence interval ``[low, high]``.

    ``seeds`` is the number of paired seeds it comes from (1 for one run), ``n_eff`` the
    independent examples a single run was judged on (None with seeds).
    """

    gap: float
    low: float
    high: float
    level: float = LEVEL
    seeds: int = 1
    n_eff: int | None = None

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    @property
    def resolved(self) -> bool:
        """The interval excludes 0: the data say which side is ahead."""
        return self.low > 0 or self.high < 0

    def within(self, margin) -> bool:
        """The whole interval lies inside ``(-margin, +margin)``: equal up to a margin stated
        before the run. Not the same as "not resolved": a wide interval is neither."""
        margin = _finite("margin", margin, positive=True)
        return -margin < self.low and self.high < margin

    def scaled(self, factor) -> "Interval":
        """The same interval in other units (100 for percentage points) or, with a negative
        factor, for ``B - A``."""
        factor = _finite("factor", factor)
        low, high = sorted((self.low * factor, self.high * factor))
        return Interval(self.gap * factor, low, high, self.level, self.seeds, self.n_eff)


def paired_interval(gaps, level: float = LEVEL) -> Interval:
    """Mean of the per-seed gaps ``A_s - B_s`` and its Student-t interval, ``n - 1`` degrees of
    freedom for ``n`` seeds."""
    gaps = _gaps(gaps)
    if gaps.size < 2:
        raise ValueError(f"gaps needs at least two seeds for an interval, got {gaps.size}.")
    mean = float(gaps.mean())
    half = t_quantile(gaps.size - 1, level) * float(gaps.std(ddof=1)) / math.sqrt(gaps.size)
    return Interval(mean, mean - half, mean + half, level, seeds=int(gaps.size))


def binomial_interval(accuracy_a, accuracy_b, n_eff: int, level: float = LEVEL) -> Interval:
    """Gap of two accuracies measured once each on ``n_eff`` independent examples, with the
    normal interval of the difference of two binomial proportions."""
    pa = _finite("accuracy_a", accuracy_a)
    pb = _finite("accuracy_b", accuracy_b)
    for name, p in (("accuracy_a", pa), ("accuracy_b", pb)):
        if not 0 <= p <= 1:
            raise ValueError(f"{name} must be an accuracy between 0 and 1, got {p!r}.")
    n_eff = _count("n_eff", n_eff, 1)
    half = z_quantile(level) * binomial_noise(pa, pb, n_eff)
    gap = pa - pb
    return Interval(gap, gap - half, gap + half, level, seeds=1, n_eff=n_eff)


def binomial_noise(accuracy_a: float, accuracy_b: float, n_eff: int) -> float:
    """Standard error of ``accuracy_a - accuracy_b``, each measured on ``n_eff`` independent
    examples: ``sqrt((pa (1 - pa) + pb (1 - pb)) / n_eff)``."""
    pa, pb = float(accuracy_a), float(accuracy_b)
    return math.sqrt((pa * (1 - pa) + pb * (1 - pb)) / n_eff)


@dataclass(frozen=True)
class SignCount:
    """On how many seeds the gap ``A - B`` was positive, negative and exactly 0."""

    positive: int
    negative: int
    zero: int

    @property
    def seeds(self) -> int:
        return self.positive + self.negative + self.zero


def sign_count(gaps) -> SignCount:
    """Count the seeds on which A was ahead (gap > 0), behind (gap < 0) and level (gap = 0)."""
    gaps = _gaps(gaps)
    return SignCount(int((gaps > 0).sum()), int((gaps < 0).sum()), int((gaps == 0).sum()))


def pilot_sd(gaps) -> float:
    """Standard deviation of the per-seed gaps of a pilot run (at least two seeds)."""
    gaps = _gaps(gaps)
    if gaps.size < 2:
        raise ValueError(f"gaps needs at least two seeds for a spread, got {gaps.size}.")
    return float(gaps.std(ddof=1))


def paired_power(gap, sd, seeds: int, level: float = LEVEL) -> float:
    """Probability that ``seeds`` paired seeds resolve a true mean gap ``gap`` (their interval
    excludes 0) when per-seed gaps spread with standard deviation ``sd``: the two tails of the
    non-central t distribution with ``seeds - 1`` degrees of freedom beyond ``t_quantile``."""
    from scipy.stats import nct

    gap = _finite("gap", gap)
    sd = _finite("sd", sd, non_negative=True)
    seeds = _count("seeds", seeds, 2)
    if sd == 0:  # every seed gives the same gap: a zero-width interval
        return 1.0 if gap != 0 else 0.0
    df, critical = seeds - 1, t_quantile(seeds - 1, level)
    shift = gap * math.sqrt(seeds) / sd
    return float(nct.sf(critical, df, shift) + nct.cdf(-critical, df, shift))


def seeds_needed(
    gap, *, sd=None, gaps=None, level: float = LEVEL, power: float = POWER, max_seeds: int = 200
) -> int:
    """Fewest paired seeds that resolve a true mean gap ``gap`` with probability ``power``.

    The spread of the per-seed gaps is ``sd``, or estimated from a pilot's per-seed ``gaps``
    (give one of the two, in the same units as ``gap``). ``power=0.5`` asks for the seeds whose
    interval half-width about equals ``gap``: a run that measures exactly ``gap`` just resolves.

    >>> seeds_needed(1.0, sd=1.0)          # a gap as large as its seed-to-seed spread
    10
    >>> seeds_needed(1.7, gaps=[0.4, 1.2, 3.5])   # a 3-seed pilot's gaps, in points
    10
    """
    if (sd is None) == (gaps is None):
        raise ValueError("give exactly one of sd (spread of the per-seed gaps) and gaps (pilot).")
    sd = pilot_sd(gaps) if gaps is not None else _finite("sd", sd, non_negative=True)
    gap = abs(_finite("gap", gap))
    power = _probability("power", power)
    max_seeds = _count("max_seeds", max_seeds, 2)
    if gap == 0:
        raise ValueError("gap must be non-zero: no number of seeds resolves a gap of 0.")
    for seeds in range(2, max_seeds + 1):
        if paired_power(gap, sd, seeds, level) >= power:
            return seeds
    raise ValueError(
        f"gap={gap:g} with per-seed spread sd={sd:g} needs more than max_seeds={max_seeds} "
        "seeds: choose a sharper contrast or a larger budget instead."
    )


def seed_resolution(sd, seeds: int, level: float = LEVEL) -> float:
    """Smallest mean gap ``seeds`` paired seeds resolve: the interval's half-width
    ``t(n - 1) * sd / sqrt(n)`` for per-seed gaps of spread ``sd``."""
    sd = _finite("sd", sd, non_negative=True)
    seeds = _count("seeds", seeds, 2)
    return t_quantile(seeds - 1, level) * sd / math.sqrt(seeds)


def run_resolution(accuracy, n_eff: int, level: float = LEVEL, power: float | None = None):
    """Smallest accuracy gap one run per side resolves on ``n_eff`` independent examples, both
    models near ``accuracy``.

    Without ``power``: the measured gap whose interval just excludes 0,
    ``z * sqrt(2 p (1 - p) / n_eff)``. With ``power``: the true gap a run resolves with that
    probability, ``(z + z_power) * sqrt(2 p (1 - p) / n_eff)``.

    >>> round(100 * run_resolution(0.9, 240), 1)    # digits_distorted's validation set
    5.4
    >>> round(100 * run_resolution(0.9, 1200), 1)   # had its 1,200 images been independent
    2.4
    """
    p = _finite("accuracy", accuracy)
    if not 0 <= p <= 1:
        raise ValueError(f"accuracy must be between 0 and 1, got {accuracy!r}.")
    n_eff = _count("n_eff", n_eff, 1)
    z = z_quantile(level)
    if power is not None:
        from scipy.stats import norm

        z += float(norm.ppf(_probability("power", power)))
    return z * binomial_noise(p, p, n_eff)
