"""Verdicts printed from the measured numbers, never typed ahead of them.

A lecture that compares two results prints its conclusion with :func:`compare` (or states a
measured yes/no with :func:`claim`), so the sentence on the page is true whatever the data, the
seed or the run profile. Every verdict line starts with ``Verdict [key]:``; the lectures' markdown
names the keys it expects (``<!-- verdict: key -->``) and :mod:`helpers.lecture_checks` reports
an executed lecture in which one of them was not printed.

When is a gap real? Only when its 95 % interval excludes 0 (:mod:`helpers.statistics`). With
several seeds (paired: seed *s* of A against seed *s* of B) the interval is Student's t over the
per-seed gaps, with one degree of freedom fewer than seeds; the verdict gives each side's mean
and standard deviation over the seeds (the spread a student sees when rerunning), on how many
seeds each side was ahead, the mean gap and its interval. With one run per side, the interval is
the binomial noise of the evaluation set, counted in *independent* examples: pass the data set
and split (or ``n_eff``), since ``digits_distorted`` evaluates several distorted copies of each
source digit. An interval that covers 0 is printed as **not resolved**, never as "no
difference": the design could not tell the two apart. Equivalence is claimed only against a
``margin`` the lecture states before the run, with the whole interval inside it. A resolved gap
names the winner. Long verdicts wrap at :data:`WIDTH` characters, continuation lines indented.
:func:`helpers.seeding.over_seeds` collects the per-seed numbers, and
:func:`helpers.statistics.seeds_needed` (or ``benchmarks/power.py``) says how many a design needs.

:func:`printed_keys` and :func:`held_out_accuracies` read printed verdicts back, next to the
code that words them, for :mod:`helpers.lecture_checks`: a data set must leave the models
headroom (no held-out accuracy above about 98 %), or the effects have nowhere to show.
"""

import math
import re
import textwrap
from dataclasses import dataclass

import numpy as np

from helpers.data import SPLITS
from helpers.statistics import Interval, binomial_interval, paired_interval, sign_count
from helpers.statistics import t_quantile as t_quantile  # where the lectures imported it from

PREFIX = "Verdict"
KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
LINE = re.compile(r"^Verdict \[([a-z0-9-]+)\]: ", re.M)
WIDTH = 95  # characters per printed line: verdicts are read in notebooks and HTML pages
INDENT = "    "  # continuation lines of a wrapped verdict (held_out_accuracies reads them)
# Never split across lines: "Verdict [key]:", the compared values (held_out_accuracies reads
# them), "0.951 ± 0.002", "95 %" and a number with its unit ("3 seeds", "1.76 points").
UNBROKEN = re.compile(
    r"^Verdict |\(\d\.\d{3}(?: ± \d\.\d{3})? vs \d\.\d{3}(?: ± \d\.\d{3})?;"
    r"| ± |95 % |(?<=\d) (?=[a-z])"
)


@dataclass(frozen=True)
class Verdict:
    """One printed conclusion: ``winner`` is the label that won, or None when the evidence named
    none (not resolved, equivalent within ``margin``, or a claim).

    ``gap`` is ``A - B`` (in points for accuracies), ``interval`` its 95 % interval (None for a
    single run whose noise is unknown), ``noise`` the interval's half-width, ``equivalent``
    whether the interval lies inside the stated margin.
    """

    key: str
    text: str
    winner: str | None = None
    gap: float = 0.0
    noise: float = 0.0
    interval: Interval | None = None
    equivalent: bool = False

    def __str__(self) -> str:
        return _wrap(f"{PREFIX} [{self.key}]: {self.text}")

    def _ipython_display_(self):
        """A notebook cell ending in ``compare(...)`` shows nothing more: it printed already."""


def _wrap(text):
    """At most :data:`WIDTH` characters a line, continuation lines indented by :data:`INDENT`,
    never breaking inside a number ± its spread or the compared values."""
    keep = "\x1f"  # not whitespace to textwrap: a space that must not break
    text = UNBROKEN.sub(lambda m: m.group().replace(" ", keep), text)
    lines = []
    for paragraph in text.split("\n"):
        indent = INDENT if lines else ""
        lines += textwrap.wrap(
            paragraph,
            WIDTH,
            initial_indent=indent,
            subsequent_indent=INDENT,
            break_long_words=False,
            break_on_hyphens=False,
        ) or [indent]
    return "\n".join(lines).replace(keep, " ")


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
    margin=None,
    data=None,
    split=None,
    n_eval=None,
    n_eff=None,
    show=True,
) -> Verdict:
    """Compare result(s) ``a`` of ``labels[0]`` with ``b`` of ``labels[1]`` and print the verdict.

    ``a`` and ``b`` are one number each (one run) or one number per seed (same seeds, same
    order). ``percent=True`` reports accuracies in percentage points.

    ``margin`` (in the metric's units: 0.01 is 1 point of accuracy), stated in the lecture before
    the run, is the only way to a verdict of equivalence: the whole 95 % interval inside
    ``±margin``. Without it, an interval covering 0 is "not resolved".

    A single run is judged against the sampling noise of the evaluation set, counted in
    independent examples: ``data`` and ``split`` ("train", "valid" or "test") take them from the
    data set (:meth:`helpers.data.Dataset.effective_size`); otherwise ``n_eval`` examples, of
    which ``n_eff`` independent (default: all). Without any of these a single run names the
    better side with "noise not estimated". With several seeds the interval comes from the seeds.

    >>> v = compare("demo", [0.91, 0.93, 0.92], [0.90, 0.90, 0.90], labels=("A", "B"))
    Verdict [demo]: A vs B in validation accuracy (0.920 ± 0.010 vs 0.900 ± 0.000; mean ± sd of
        3 seeds): A ahead on 3 of 3 seeds; gap +2.00 points, 95 % interval -0.48 to +4.48: not
        resolved by 3 seeds.
    """
    _check_key(key)
    if not (isinstance(labels, (tuple, list)) and len(labels) == 2):
        raise ValueError(f"labels must be a pair of names, got {labels!r}.")
    a, b = _values("a", a), _values("b", b)
    if a.size != b.size:
        raise ValueError(f"a and b need one value per seed each; got {a.size} and {b.size}.")
    n_eval, n_eff = _evaluation_size(data, split, n_eval, n_eff, percent)
    scale, unit = (100.0, " points") if percent else (1.0, "")
    interval = _interval(a, b, scale, n_eff)
    _check_margin(margin, interval)
    text, winner, equivalent = _word(
        a, b, labels, what, higher_is_better, scale, unit, interval, margin, n_eval
    )
    gap = float(((a - b) * scale).mean())
    noise = interval.half_width if interval is not None else 0.0
    verdict = Verdict(key, text, winner, gap, noise, interval, equivalent)
    if show:
        print(verdict)
    return verdict


def _check_margin(margin, interval) -> None:
    """A margin is a positive number, and needs an interval to hold against it."""
    if margin is None:
        return
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not margin > 0:
        raise ValueError(f"margin must be a positive number (0.01 = 1 point), got {margin!r}.")
    if interval is None:
        raise ValueError(
            "margin needs an interval: several seeds, or for one run data and split "
            "(or n_eval) to estimate the evaluation set's noise."
        )


def _evaluation_size(data, split, n_eval, n_eff, percent):
    """``(n_eval, n_eff)``: examples a single run's accuracy was measured on, independent ones."""
    for name, value in (("n_eval", n_eval), ("n_eff", n_eff)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise ValueError(f"{name} must be a positive int or None, got {value!r}.")
        if value is not None and value <= 0:
            raise ValueError(f"{name} must be a positive int or None, got {value!r}.")
    if data is not None or split is not None:
        if split not in SPLITS or not hasattr(data, "effective_size"):
            raise ValueError(
                f"data (a helpers.data.Dataset) and split (one of {SPLITS}) go together; "
                f"got data={data!r}, split={split!r}."
            )
        if n_eval is not None or n_eff is not None:
            raise ValueError("give data and split, or n_eval (and n_eff), not both.")
        n_eval, n_eff = len(getattr(data, f"X_{split}")), data.effective_size(split)
    if n_eff is not None and n_eval is not None and n_eff > n_eval:
        raise ValueError(f"n_eff must not exceed n_eval; got n_eff={n_eff}, n_eval={n_eval}.")
    n_eff = n_eval if n_eff is None else n_eff
    if n_eff is not None and not percent:
        raise ValueError("n_eval, n_eff and data apply to accuracies (percent=True) only.")
    return (n_eval or n_eff), n_eff


def _interval(a, b, scale, n_eff) -> Interval | None:
    """The 95 % interval of ``A - B`` in printed units: over the seeds, from the evaluation set's
    noise for one run, or None (one run, noise unknown)."""
    if a.size > 1:
        return paired_interval((a - b) * scale)
    if n_eff is None:
        return None
    pa, pb = (float(np.clip(x[0], 0, 1)) for x in (a, b))
    return binomial_interval(pa, pb, n_eff).scaled(scale)


def _word(a, b, labels, what, higher_is_better, scale, unit, interval, margin, n_eval):
    """``(text, winner, equivalent)``: the verdict's sentence, read the same whichever side the
    numbers favour. The gap printed is the leader's advantage (positive means ahead)."""
    direction = 1.0 if higher_is_better else -1.0
    advantage_a = direction * float(((a - b) * scale).mean())
    leader, other = labels if advantage_a >= 0 else labels[::-1]
    flip = direction if advantage_a >= 0 else -direction  # turns A - B into the leader's lead
    values = _compared_values(a, b)
    if interval is None:
        if advantage_a == 0:
            return f"{labels[0]} and {labels[1]} level in {what} ({values}).", None, False
        head = f"{leader} beat {other} by {_number(abs(advantage_a))}{unit} in {what}"
        return f"{head} ({values}, noise not estimated).", leader, False

    lead = interval.scaled(flip)
    evidence = (
        f"gap {_number(lead.gap, '+')}{unit}, 95 % interval {_number(lead.low, '+')} to "
        f"{_number(lead.high, '+')}"
    )
    if a.size > 1:
        evidence = f"{_sign_counts(flip * (a - b), leader, other)}; {evidence}"
        by = f"{a.size} seeds"
    else:
        n_eff = interval.n_eff
        copies = f" ({n_eval:,} evaluated: copies of {n_eff:,} sources)" if n_eval > n_eff else ""
        evidence += f" from the sampling noise of {n_eff:,} independent examples{copies}"
        by = "one run"
    equivalent = margin is not None and interval.within(margin * scale)
    stated = margin and f"the margin of ±{_margin(margin, scale, unit)} stated before the run"
    if _seeds_agree_exactly(a, b) and advantage_a != 0:
        # a zero-width interval from identical gaps is no evidence of precision: those runs
        # differ in nothing the seeds change, and the evaluation set's noise is left out
        head = f"{labels[0]} vs {labels[1]} in {what}"
        end = f"not resolved: all {a.size} seeds gave the same gap, so their spread shows no noise"
        return f"{head} ({values}): {evidence}: {end}.", None, False
    if interval.resolved:
        head = f"{leader} beat {other} by {_number(abs(lead.gap))}{unit} in {what}"
        end = f"resolved by {by}" + (f", a gap inside {stated}" if equivalent else "")
        winner = leader
    elif equivalent:
        head = f"{labels[0]} and {labels[1]} equivalent within ±{_margin(margin, scale, unit)}"
        head += f" in {what}"
        end = f"inside {stated}"
        winner = None
    else:
        head = f"{labels[0]} vs {labels[1]} in {what}"
        end = f"not resolved by {by}" + (f", nor inside {stated}" if margin is not None else "")
        winner = None
    return f"{head} ({values}): {evidence}: {end}.", winner, equivalent


def _seeds_agree_exactly(a, b) -> bool:
    """Whether several seeds gave one and the same gap (to rounding)."""
    gaps = a - b
    return a.size > 1 and bool(np.allclose(gaps, gaps[0], rtol=0.0, atol=1e-12))


def _compared_values(a, b):
    """What was measured: each side's mean ± sd over the seeds, or the two numbers of one run."""
    if a.size == 1:
        return f"{a[0]:.3f} vs {b[0]:.3f}; one run"
    return (
        f"{a.mean():.3f} ± {a.std(ddof=1):.3f} vs {b.mean():.3f} ± {b.std(ddof=1):.3f}; "
        f"mean ± sd of {a.size} seeds"
    )


def _sign_counts(lead, leader, other):
    """On how many seeds each side was ahead, from the leader's per-seed lead."""
    signs = sign_count(lead)
    text = f"{leader} ahead on {signs.positive} of {signs.seeds} seeds"
    text += f", {other} on {signs.negative}" if signs.negative else ""
    return text + (f", level on {signs.zero}" if signs.zero else "")


def _number(x, sign=""):
    """Two decimals, or two significant digits below 0.1 (an ECE gap of 0.0041)."""
    x = float(x) + 0.0  # no "-0.00"
    decimals = 2 if x == 0 or abs(x) >= 0.1 else 1 - math.floor(math.log10(abs(x)))
    return f"{x:{sign}.{decimals}f}"


def _margin(margin, scale, unit):
    value = margin * scale
    if unit == " points":
        return f"{value:g} point" + ("" if value == 1 else "s")
    return f"{value:g}"


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
    r"^Verdict \[[a-z0-9-]+\]: (?:.|\n    )*(?<!training )(?<!training\n    )accuracy"
    r"(?:[^;\n]|\n    )*?\((\d\.\d{3})(?: ± \d\.\d{3})? vs (\d\.\d{3})(?: ± \d\.\d{3})?;",
    re.M,
)


def held_out_accuracies(text) -> list[float]:
    """Accuracies compared in printed verdicts, except training accuracies (which may well reach
    100 %): the numbers a ceiling check looks at."""
    return [float(x) for pair in HELD_OUT.findall(text) for x in pair]
