"""Verdicts printed from the measured numbers, never typed ahead of them.

A lecture that compares two results prints its conclusion with :func:`compare` (or states a
measured yes/no with :func:`claim`), so the sentence on the page is true whatever the data, the
seed or the run profile. Every verdict line starts with ``Verdict [key]:``; the lectures' markdown
names the keys it expects (``<!-- verdict: key -->``) and :mod:`helpers.lecture_checks` reports
an executed lecture in which one of them was not printed.

When is a gap real? With several seeds (paired: seed *s* of A against seed *s* of B), the mean
gap must lie outside its 95 % confidence interval around zero, Student's t with one degree of
freedom fewer than seeds times the standard error of the per-seed gaps; the verdict also gives
each side's mean and standard deviation over the seeds, the spread a student sees when rerunning.
With one run on ``n_eval`` examples, the gap must exceed twice the binomial standard error of the
difference of two accuracies on ``n_eval`` examples. Otherwise the verdict says the two are not
distinguishable on this run. :func:`helpers.seeding.over_seeds` collects the per-seed numbers.

:func:`printed_keys` and :func:`held_out_accuracies` read printed verdicts back, next to the
code that words them, for :mod:`helpers.lecture_checks`: a data set must leave the models
headroom (no held-out accuracy above about 98 %), or the effects have nowhere to show.
"""

import math
import re
from dataclasses import dataclass

import numpy as np

PREFIX = "Verdict"
KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
LINE = re.compile(r"^Verdict \[([a-z0-9-]+)\]: ", re.M)


@dataclass(frozen=True)
class Verdict:
    """One printed conclusion: ``winner`` is the label that won, or None for a tie."""

    key: str
    text: str
    winner: str | None = None
    gap: float = 0.0
    noise: float = 0.0

    def __str__(self) -> str:
        return f"{PREFIX} [{self.key}]: {self.text}"

    def _ipython_display_(self):
        """A notebook cell ending in ``compare(...)`` shows nothing more: it printed already."""


def _check_key(key):
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise ValueError(
            f"key must be lowercase words joined by '-', like 'bn-vs-plain'; got {key!r}."
        )


def _values(name, values):
    array = np.atleast_1d(np.asarray(values, dtype=float))
    if array.ndim != 1 or array.size == 0 or not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be a number or a non-empty list of finite numbers.")
    return array


def compare(
    key,
    a,
    b,
    *,
    labels,
    what="validation accuracy",
    higher_is_better=True,
    percent=True,
    n_eval=None,
    show=True,
) -> Verdict:
    """Compare result(s) ``a`` of ``labels[0]`` with ``b`` of ``labels[1]`` and print the verdict.

    ``a`` and ``b`` are one number each (one run) or one number per seed (same seeds, same order).
    ``percent=True`` reports accuracies in percentage points. ``n_eval`` (examples the metric
    was measured on) lets a single run be judged against the test set's sampling noise.
    """
    a, b = _check_comparison(key, a, b, labels, n_eval)
    scale, unit = (100.0, " points") if percent else (1.0, "")
    diff = (a - b) * scale
    gap = float(diff.mean())
    noise, basis, tie = _noise(a, b, diff, n_eval if percent else None, unit)
    values = _values_text(a, b)
    better_a = gap > 0 if higher_is_better else gap < 0
    if gap == 0 or abs(gap) <= noise:
        text = (
            f"no real difference between {labels[0]} and {labels[1]} in {what} "
            f"({values}; {basis}): {tie or 'identical'}."
        )
        winner = None
    else:
        winner, loser = (labels[0], labels[1]) if better_a else (labels[1], labels[0])
        text = f"{winner} beat {loser} by {abs(gap):.2f}{unit} in {what} ({values}; {basis})."
    verdict = Verdict(key, text, winner, gap, noise)
    if show:
        print(verdict)
    return verdict


def _check_comparison(key, a, b, labels, n_eval):
    """``compare``'s arguments checked; ``a`` and ``b`` as arrays of one value per seed."""
    _check_key(key)
    if not (isinstance(labels, (tuple, list)) and len(labels) == 2):
        raise ValueError(f"labels must be a pair of names, got {labels!r}.")
    a, b = _values("a", a), _values("b", b)
    if a.size != b.size:
        raise ValueError(f"a and b need one value per seed each; got {a.size} and {b.size}.")
    if n_eval is not None and (not isinstance(n_eval, int) or n_eval <= 0):
        raise ValueError(f"n_eval must be a positive int or None, got {n_eval!r}.")
    return a, b


def _noise(a, b, diff, n_eval, unit):
    """How large a gap chance alone makes, the sentence saying how it was judged, and the tie's
    wording: over seeds, over the evaluation set's sampling (percentages on ``n_eval``
    examples), or not at all."""
    gap = float(diff.mean())
    if a.size > 1:
        noise = t_quantile(a.size - 1) * float(diff.std(ddof=1)) / math.sqrt(a.size)
        basis = (
            f"mean ± sd of {a.size} seeds; paired gap {gap:+.2f} ± {noise:.2f}{unit}, "
            "95 % interval"
        )
        return noise, basis, "within the seed-to-seed spread"
    if n_eval is not None:
        pa, pb = float(np.clip(a[0], 0, 1)), float(np.clip(b[0], 0, 1))
        noise = 2 * 100.0 * math.sqrt((pa * (1 - pa) + pb * (1 - pb)) / n_eval)
        basis = f"one run on {n_eval:,} examples, noise ±{noise:.2f}{unit}"
        return noise, basis, "within the sampling noise of the evaluation set"
    return 0.0, "one run, no estimate of the noise", ""


def _values_text(a, b) -> str:
    """Each side's value, or its mean ± standard deviation over the seeds."""
    if a.size > 1:
        return f"{a.mean():.3f} ± {a.std(ddof=1):.3f} vs {b.mean():.3f} ± {b.std(ddof=1):.3f}"
    return f"{a[0]:.3f} vs {b[0]:.3f}"


def t_quantile(df: int, level: float = 0.95) -> float:
    """Two-sided Student-t critical value: 12.71 for 1 degree of freedom, 4.30 for 2, ~1.96 for
    many. Few seeds make a wide interval, which is the honest answer."""
    from scipy.stats import t

    return float(t.ppf(0.5 + level / 2, df))


def claim(key, holds, if_true, if_false, *, show=True) -> Verdict:
    """Print whichever of two sentences the measurement ``holds`` makes true."""
    _check_key(key)
    if not isinstance(holds, (bool, np.bool_)):
        raise ValueError(f"holds must be a bool (the measured condition), got {holds!r}.")
    verdict = Verdict(key, if_true if holds else if_false, winner=None)
    if show:
        print(verdict)
    return verdict


def printed_keys(text) -> list[str]:
    """The verdict keys found in printed output, in order."""
    return LINE.findall(text)


HELD_OUT = re.compile(
    r"^Verdict \[[a-z0-9-]+\]: .*(?<!training )accuracy[^;\n]*?"
    r"\((\d\.\d{3})(?: ± \d\.\d{3})? vs (\d\.\d{3})(?: ± \d\.\d{3})?;",
    re.M,
)


def held_out_accuracies(text) -> list[float]:
    """Accuracies compared in printed verdicts, except training accuracies (which may well reach
    100 %): the numbers a ceiling check looks at."""
    return [float(x) for pair in HELD_OUT.findall(text) for x in pair]
