"""The statistics behind the verdicts, against scipy (quantiles, the one-sample t-test) and hand
computations; the power calculation against published sample sizes and a simulation."""

import doctest
import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from helpers import statistics
from helpers.statistics import (
    Interval,
    binomial_interval,
    paired_interval,
    paired_power,
    pilot_sd,
    run_resolution,
    seed_resolution,
    seeds_needed,
    sign_count,
    t_quantile,
    z_quantile,
)
from tests import ROOT


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
@pytest.mark.parametrize("df", [1, 2, 3, 4, 9, 29, 1000])
def test_t_quantile_is_scipys_two_sided_critical_value(df, level):
    assert t_quantile(df, level) == pytest.approx(stats.t.ppf(1 - (1 - level) / 2, df), rel=1e-12)


def test_t_and_z_quantiles_match_the_printed_tables():
    # the rows of a t table every statistics book prints (two-sided 95 %)
    assert [round(t_quantile(df), 3) for df in (1, 2, 4, 30)] == [12.706, 4.303, 2.776, 2.042]
    assert z_quantile() == pytest.approx(1.959964, abs=1e-6)
    assert z_quantile(0.99) == pytest.approx(stats.norm.ppf(0.995), rel=1e-12)


def test_paired_interval_by_hand():
    # gaps 1, 3, 2: mean 2, sd 1, se 1/sqrt(3); t(0.975, 2) = 4.302653 -> half-width 2.484138
    interval = paired_interval([1.0, 3.0, 2.0])
    assert interval.gap == pytest.approx(2.0)
    assert interval.low == pytest.approx(2 - 2.484138, abs=1e-6)
    assert interval.high == pytest.approx(2 + 2.484138, abs=1e-6)
    assert interval.half_width == pytest.approx(2.484138, abs=1e-6)
    assert interval.seeds == 3 and interval.n_eff is None
    assert not interval.resolved  # 2 se would have called it real; 3 seeds do not
    # gaps 2, 3, 4, 3, 3: mean 3, sd sqrt(0.5), t(0.975, 4) = 2.776445 -> half 0.877989
    interval = paired_interval([2.0, 3.0, 4.0, 3.0, 3.0])
    assert (interval.low, interval.high) == pytest.approx((2.122011, 3.877989), abs=1e-6)
    assert interval.resolved


def test_paired_interval_excludes_zero_exactly_when_scipys_t_test_rejects():
    rng = np.random.default_rng(0)
    checked = {True: 0, False: 0}
    for _ in range(300):
        n = int(rng.integers(2, 9))
        gaps = rng.normal(rng.uniform(-2, 2), rng.uniform(0.2, 3), n)
        rejects = stats.ttest_1samp(gaps, 0.0).pvalue < 0.05
        interval = paired_interval(gaps)
        assert interval.resolved == rejects, gaps
        low, high = stats.t.interval(0.95, n - 1, loc=gaps.mean(), scale=stats.sem(gaps))
        assert (interval.low, interval.high) == pytest.approx((low, high), rel=1e-9, abs=1e-12)
        checked[bool(rejects)] += 1
    assert min(checked.values()) > 50  # both outcomes were exercised


def test_binomial_interval_by_hand():
    # 0.90 vs 0.89 on 300: se = sqrt((0.09 + 0.0979) / 300) = 0.0250267, half = 1.959964 se
    interval = binomial_interval(0.90, 0.89, 300)
    assert interval.gap == pytest.approx(0.01)
    assert interval.half_width == pytest.approx(0.0490514, abs=1e-6)
    assert interval.n_eff == 300 and interval.seeds == 1
    assert not interval.resolved
    assert binomial_interval(0.90, 0.80, 300).resolved
    # the noise of 240 independent examples is sqrt(5) times that of 1,200
    ratio = (
        binomial_interval(0.9, 0.88, 240).half_width
        / binomial_interval(0.9, 0.88, 1200).half_width
    )
    assert ratio == pytest.approx(math.sqrt(5))


def test_interval_scaling_and_the_margin():
    interval = Interval(0.01, -0.004, 0.024)
    points = interval.scaled(100)
    assert (points.gap, points.low, points.high) == pytest.approx((1.0, -0.4, 2.4))
    flipped = points.scaled(-1)  # B - A
    assert (flipped.gap, flipped.low, flipped.high) == pytest.approx((-1.0, -2.4, 0.4))
    assert points.within(2.5) and not points.within(2.4) and not points.within(1.0)
    assert Interval(0.5, 0.1, 0.9).resolved and Interval(-0.5, -0.9, -0.1).resolved
    assert not Interval(0.0, 0.0, 0.0).resolved  # a zero gap on every seed resolves nothing
    with pytest.raises(ValueError, match="margin must be a positive number"):
        points.within(0)


def test_sign_count():
    counts = sign_count([0.5, -0.2, 0.0, 1.0])
    assert (counts.positive, counts.negative, counts.zero, counts.seeds) == (2, 1, 1, 4)


def test_power_matches_published_sample_sizes():
    # one-sample (paired) t-test, two-sided 5 %, power 80 %: G*Power and R's pwr.t.test give
    # n = 10 for an effect of one standard deviation and n = 34 for half of one
    assert seeds_needed(1.0, sd=1.0) == 10
    assert seeds_needed(0.5, sd=1.0) == 34
    assert paired_power(1.0, 1.0, 10) == pytest.approx(0.8031, abs=5e-4)
    assert seeds_needed(2.0, sd=4.0) == 34  # only the ratio matters


def test_seeds_needed_is_the_fewest_with_enough_power():
    for gap, sd, power in [(1.7, 1.6, 0.8), (0.8, 0.3, 0.9), (3.0, 5.0, 0.5)]:
        n = seeds_needed(gap, sd=sd, power=power)
        assert paired_power(gap, sd, n) >= power
        assert n == 2 or paired_power(gap, sd, n - 1) < power
    pilot = [0.4, 1.2, 3.5]
    assert pilot_sd(pilot) == pytest.approx(np.std(pilot, ddof=1))
    assert seeds_needed(1.7, gaps=pilot) == seeds_needed(1.7, sd=pilot_sd(pilot))
    assert seeds_needed(-1.7, gaps=pilot) == seeds_needed(1.7, gaps=pilot)  # the size counts


def test_power_agrees_with_a_simulation_of_the_t_test():
    rng = np.random.default_rng(1)
    for gap, sd, n in [(1.0, 1.0, 5), (1.7, 1.6, 3), (0.5, 1.0, 20)]:
        gaps = rng.normal(gap, sd, (40_000, n))
        simulated = np.mean(stats.ttest_1samp(gaps, 0.0, axis=1).pvalue < 0.05)
        assert paired_power(gap, sd, n) == pytest.approx(simulated, abs=0.01)
    assert paired_power(1.0, 0.0, 2) == 1.0 and paired_power(0.0, 0.0, 5) == 0.0
    # with no effect, the interval excludes 0 five times in a hundred
    assert paired_power(0.0, 1.0, 6) == pytest.approx(0.05)


def test_seed_resolution_is_the_half_width_of_the_interval():
    gaps = np.array([0.4, 1.2, 3.5, 2.0, 0.9])
    sd = np.std(gaps, ddof=1)
    assert seed_resolution(sd, 5) == pytest.approx(paired_interval(gaps).half_width)
    assert seed_resolution(1.0, 3) == pytest.approx(4.302653 / math.sqrt(3), abs=1e-6)


def test_run_resolution_by_hand_and_against_the_interval():
    # p = 0.9 on 240 independent examples: 1.959964 * sqrt(2 * 0.09 / 240) = 0.0536758
    assert run_resolution(0.9, 240) == pytest.approx(0.0536758, abs=1e-6)
    assert run_resolution(0.9, 1200) == pytest.approx(0.0536758 / math.sqrt(5), abs=1e-6)
    with_power = run_resolution(0.9, 240, power=0.8)
    assert with_power == pytest.approx((1.959964 + 0.841621) * math.sqrt(0.18 / 240), abs=1e-6)
    # a gap a little above the resolution around 0.9 resolves, a little below does not
    d = run_resolution(0.9, 360)
    assert binomial_interval(0.9 + 0.55 * d, 0.9 - 0.55 * d, 360).resolved
    assert not binomial_interval(0.9 + 0.45 * d, 0.9 - 0.45 * d, 360).resolved


def test_the_power_script_prints_the_helpers_numbers():
    """benchmarks/power.py, as a lecture engineer runs it after a pilot."""
    args = ["--gap", "1.7", "--gaps", "0.4", "1.2", "3.5", "--accuracy", "0.9", "--n-eff", "240"]
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "power.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = result.stdout.splitlines()
    sd = pilot_sd([0.4, 1.2, 3.5])
    three = next(line for line in lines if line.split()[:1] == ["3"]).split()
    assert float(three[1]) == pytest.approx(paired_power(1.7, sd, 3), abs=0.005)
    assert float(three[2]) == pytest.approx(seed_resolution(sd, 3), abs=0.005)
    assert lines[11] == "seeds needed to resolve a gap of 1.7 with probability 0.8: 10"
    given = next(line for line in lines if line.startswith("given")).split()
    assert given[1:4] == ["240", "240", f"{100 * run_resolution(0.9, 240):.2f}"]
    assert given[4] == f"{100 * run_resolution(0.9, 240, power=0.8):.2f}"


def test_the_docstring_examples_run():
    result = doctest.testmod(statistics)
    assert result.attempted >= 4 and result.failed == 0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: t_quantile(0), "df must be an int >= 1"),
        (lambda: t_quantile(3, level=95), "level must be a probability"),
        (lambda: paired_interval([1.0]), "at least two seeds"),
        (lambda: paired_interval([1.0, np.nan]), "gaps must be a non-empty list"),
        (lambda: binomial_interval(1.2, 0.5, 100), "accuracy_a must be an accuracy"),
        (lambda: binomial_interval(0.9, 0.5, 0), "n_eff must be an int >= 1"),
        (lambda: seeds_needed(1.0), "give exactly one of sd"),
        (lambda: seeds_needed(1.0, sd=1.0, gaps=[1, 2]), "give exactly one of sd"),
        (lambda: seeds_needed(0.0, sd=1.0), "gap must be non-zero"),
        (lambda: seeds_needed(0.01, sd=1.0, max_seeds=50), "needs more than max_seeds=50"),
        (lambda: seeds_needed(1.0, sd=-1.0), "sd must be a non-negative number"),
        (lambda: seeds_needed(1.0, sd=1.0, power=1.0), "power must be a probability"),
        (lambda: paired_power(1.0, 1.0, 1), "seeds must be an int >= 2"),
        (lambda: run_resolution(0.9, 2.5), "n_eff must be an int"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
