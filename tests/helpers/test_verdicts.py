import doctest

import numpy as np
import pytest

from helpers import verdicts
from helpers.data import load_dataset
from helpers.verdicts import (
    Verdict,
    claim,
    compare,
    held_out_accuracies,
    printed_keys,
    t_quantile,
)


def test_single_run_without_noise_estimate_names_the_winner(capsys):
    v = compare("bn-vs-plain", 0.912, 0.891, labels=("BN", "plain"))
    out = capsys.readouterr().out
    assert out == f"{v}\n"
    assert out.startswith("Verdict [bn-vs-plain]: BN beat plain by 2.10 points")
    assert v.winner == "BN" and v.gap == pytest.approx(2.1)


def test_lower_is_better_for_a_loss(capsys):
    v = compare(
        "loss",
        0.64,
        1.25,
        labels=("mini-batch", "stochastic"),
        what="loss",
        higher_is_better=False,
        percent=False,
    )
    assert v.winner == "mini-batch"
    assert "mini-batch beat stochastic by 0.61 in loss (0.640 vs 1.250" in capsys.readouterr().out


def test_several_seeds_within_the_spread_are_not_resolved():
    # differences +1, -1, +2, -2 points: mean 0, clearly noise
    a = np.array([0.90, 0.88, 0.91, 0.87])
    b = np.array([0.89, 0.89, 0.89, 0.89])
    v = compare("tie", a, b, labels=("A", "B"), show=False)
    assert v.winner is None and not v.equivalent
    assert "mean ± sd of 4 seeds" in v.text and "A ahead on 2 of 4 seeds, B on 2" in v.text
    assert v.text.endswith(": not resolved by 4 seeds.")
    sd = np.std((a - b) * 100, ddof=1)
    assert v.noise == pytest.approx(3.182 * sd / 2, rel=1e-3)  # t(0.975, 3 df) = 3.182
    assert (v.interval.low, v.interval.high) == pytest.approx((-v.noise, v.noise), abs=1e-9)


def test_several_seeds_print_each_side_mean_and_spread():
    a = np.array([0.93, 0.94, 0.935])
    b = np.array([0.90, 0.905, 0.90])
    v = compare("real", a, b, labels=("A", "B"), show=False)
    assert f"(0.935 ± {a.std(ddof=1):.3f} vs 0.902 ± {b.std(ddof=1):.3f};" in v.text
    assert "95 % interval" in v.text


def test_three_seeds_use_a_students_t_interval():
    # gaps 1, 3, 2 points: mean 2, sd 1, se 0.577; 2 se = 1.15 would call it real,
    # t(2 df) = 4.303 gives 2.48 > 2, so three seeds do not resolve it
    a, b = np.array([0.91, 0.93, 0.92]), np.array([0.90, 0.90, 0.90])
    v = compare("t", a, b, labels=("A", "B"), show=False)
    assert v.winner is None and v.noise == pytest.approx(4.303 / np.sqrt(3), rel=1e-3)
    assert "A ahead on 3 of 3 seeds; gap +2.00 points, 95 % interval -0.48 to +4.48: " in v.text
    assert v.text.endswith("not resolved by 3 seeds.")
    assert t_quantile(1000) == pytest.approx(1.962, abs=1e-3)


def test_several_seeds_consistent_gap_is_real():
    a = np.array([0.93, 0.94, 0.935])
    b = np.array([0.90, 0.905, 0.90])
    v = compare("real", a, b, labels=("A", "B"), show=False)
    assert v.winner == "A" and v.gap == pytest.approx(100 * (a - b).mean())
    assert v.text.startswith("A beat B by 3.33 points in validation accuracy")
    assert "A ahead on 3 of 3 seeds; gap +3.33 points" in v.text
    assert v.text.endswith(": resolved by 3 seeds.")


def test_single_run_judged_against_test_set_noise():
    # 0.90 vs 0.89 on 300 examples: 1.96 * sqrt((.09 + .0979) / 300) * 100 = 4.91 points
    v = compare("n", 0.90, 0.89, labels=("A", "B"), n_eval=300, show=False)
    assert v.winner is None and v.noise == pytest.approx(4.905, abs=0.01)
    assert "95 % interval -3.91 to +5.91 from the sampling noise of 300 independent" in v.text
    assert v.text.endswith(": not resolved by one run.")
    v = compare("n", 0.90, 0.70, labels=("A", "B"), n_eval=300, show=False)
    assert v.winner == "A" and v.text.endswith(": resolved by one run.")


# Phrases that would read an unresolved gap as a finding of equality.
SAMENESS = (
    "no real difference",
    "no difference",
    "not distinguishable",
    "indistinguishable",
    "equivalent",
    "the same",
    "identical",
    "within the seed-to-seed spread",
    "within the sampling noise",
    "hardly matter",
    "no effect",
)


def _cases():
    """Comparisons of every shape: 2 to 6 seeds or one run (with or without copies), either
    metric direction, accuracies and losses, gaps from none to large, spreads small and big."""
    rng = np.random.default_rng(16)
    for _ in range(400):
        seeds = int(rng.choice([1, 2, 3, 5, 6]))
        percent = bool(rng.random() < 0.75)
        base = rng.uniform(0.55, 0.95) if percent else rng.uniform(0.1, 2.0)
        gap = rng.choice([0.0, rng.normal(0, 0.03)])
        spread = rng.choice([0.001, 0.01, 0.04])
        a = np.clip(base + gap + rng.normal(0, spread, seeds), 0, 1 if percent else None)
        b = np.clip(base + rng.normal(0, spread, seeds), 0, 1 if percent else None)
        kwargs = dict(percent=percent, higher_is_better=bool(rng.random() < 0.5))
        if seeds == 1 and percent:
            n_eval = int(rng.choice([300, 1200, 1440]))
            kwargs.update(n_eval=n_eval, n_eff=int(rng.choice([n_eval, n_eval // 5])))
        elif seeds == 1:
            continue  # a loss of one run has no noise estimate: no interval to judge
        yield np.round(a, 4), np.round(b, 4), kwargs


def test_an_unresolved_gap_is_never_worded_as_equality():
    outcomes = {"resolved": 0, "not resolved": 0}
    for a, b, kwargs in _cases():
        v = compare("scan", a, b, labels=("A", "B"), what="the metric", show=False, **kwargs)
        printed = str(v).lower()
        if v.interval.resolved:
            assert v.winner in ("A", "B") and f"{v.winner.lower()} beat" in printed
            assert "not resolved" not in printed
            outcomes["resolved"] += 1
        else:
            assert v.winner is None and v.text.endswith(f"not resolved by {_by(a)}.")
            assert "beat" not in printed and "95 % interval" in printed
            outcomes["not resolved"] += 1
        assert not [phrase for phrase in SAMENESS if phrase in printed], printed
    assert min(outcomes.values()) > 40  # both outcomes were exercised


def _by(a):
    return f"{a.size} seeds" if a.size > 1 else "one run"


def test_identical_gaps_on_every_seed_are_not_read_as_infinite_precision(capsys):
    verdict = compare("same", [0.91, 0.92, 0.93], [0.90, 0.91, 0.92], labels=("A", "B"))
    out = capsys.readouterr().out
    assert verdict.winner is None and "resolved by" not in out
    assert "not resolved: all 3 seeds gave the same gap" in " ".join(out.split())
    level = compare("level", [0.9, 0.9], [0.9, 0.9], labels=("A", "B"), show=False)
    assert level.winner is None and "same gap" not in level.text  # no gap: nothing to qualify


def test_the_sign_count_is_printed_from_the_leaders_side():
    # A ahead on two seeds, B on one, one level; A leads on average
    a, b = [0.92, 0.93, 0.90, 0.91], [0.90, 0.91, 0.91, 0.91]
    v = compare("signs", a, b, labels=("A", "B"), show=False)
    assert "A ahead on 2 of 4 seeds, B on 1, level on 1; gap +0.75 points" in v.text
    # the same numbers read as errors (lower is better): B leads, ahead on A's two seeds
    v = compare("signs", a, b, labels=("A", "B"), higher_is_better=False, show=False)
    assert "B ahead on 2 of 4 seeds, A on 1, level on 1; gap +0.75 points" in v.text
    # a loss: the gap printed is the leader's advantage, positive
    v = compare(
        "loss",
        [1.25, 1.3, 1.2],
        [0.64, 0.7, 0.6],
        labels=("SGD", "mini-batch"),
        what="loss",
        higher_is_better=False,
        percent=False,
        show=False,
    )
    assert v.winner == "mini-batch" and "mini-batch ahead on 3 of 3 seeds; gap +0.60" in v.text


def test_equivalence_only_against_a_stated_margin():
    a = [0.902, 0.905, 0.899, 0.903, 0.901]
    b = [0.899, 0.902, 0.900, 0.898, 0.897]  # gap +0.28 points, 95 % interval -0.003 to +0.56
    without = compare("eq", a, b, labels=("dropout", "baseline"), show=False)
    assert without.winner is None and not without.equivalent
    assert "equivalent" not in without.text and without.text.endswith("not resolved by 5 seeds.")
    v = compare("eq", a, b, labels=("dropout", "baseline"), margin=0.01, show=False)
    assert v.equivalent and v.winner is None
    assert v.text.startswith("dropout and baseline equivalent within ±1 point in validation")
    assert v.text.endswith(": inside the margin of ±1 point stated before the run.")
    # a margin the interval does not fit in: neither a gap nor equivalence
    v = compare("eq", a, b, labels=("dropout", "baseline"), margin=0.005, show=False)
    assert not v.equivalent and v.winner is None and "equivalent" not in v.text
    assert v.text.endswith(
        "not resolved by 5 seeds, nor inside the margin of ±0.5 points stated before the run."
    )
    # a resolved gap smaller than the margin: the winner, and the margin said
    v = compare(
        "eq",
        [0.903, 0.905, 0.905],
        [0.900, 0.901, 0.902],
        labels=("A", "B"),
        margin=0.01,
        show=False,
    )
    assert v.winner == "A" and v.equivalent
    assert v.text.endswith(
        "resolved by 3 seeds, a gap inside the margin of ±1 point stated before the run."
    )
    # a loss margin in its own units
    v = compare(
        "eq",
        [0.50, 0.51, 0.52],
        [0.51, 0.50, 0.52],
        labels=("A", "B"),
        what="loss",
        higher_is_better=False,
        percent=False,
        margin=0.05,
        show=False,
    )
    assert v.equivalent and "equivalent within ±0.05 in loss" in v.text


def test_single_runs_use_the_effective_sample_size_of_a_data_set_with_copies():
    data = load_dataset("digits_distorted", verbose=False)
    assert (data.effective_size("valid"), data.effective_size("test")) == (240, 360)
    # 0.90 vs 0.87: resolved by 1,200 independent images, not by 240 source digits
    as_if_independent = compare("n", 0.90, 0.87, labels=("A", "B"), n_eval=1200, show=False)
    assert as_if_independent.winner == "A"
    v = compare("n", 0.90, 0.87, labels=("A", "B"), data=data, split="valid", show=False)
    assert v.winner is None and v.interval.n_eff == 240
    noise = 100 * 1.959964 * np.sqrt((0.9 * 0.1 + 0.87 * 0.13) / 240)
    assert v.noise == pytest.approx(noise, rel=1e-5)
    assert "sampling noise of 240 independent examples (1,200 evaluated: copies of 240" in v.text
    assert v == compare("n", 0.90, 0.87, labels=("A", "B"), n_eval=1200, n_eff=240, show=False)
    test = compare("n", 0.90, 0.87, labels=("A", "B"), data=data, split="test", show=False)
    assert test.interval.n_eff == 360 and "1,440 evaluated: copies of 360" in test.text
    # one image per source: the whole split counts, and no copies are mentioned
    digits = load_dataset("digits", verbose=False)
    v = compare("n", 0.90, 0.87, labels=("A", "B"), data=digits, split="test", show=False)
    assert v.interval.n_eff == 297 and "297 independent examples:" in v.text


def test_printed_verdicts_wrap_and_read_back():
    long = compare(
        "a-long-key-for-wrapping",
        [0.9012, 0.9034, 0.9011],
        [0.8811, 0.8802, 0.8853],
        labels=("SGD(momentum=0.9, nesterov=True)", "Adam with a decoupled weight decay"),
        what="validation accuracy after the fast profile's epochs",
        show=False,
    )
    lines = str(long).split("\n")
    assert len(lines) >= 3 and lines[0].startswith("Verdict [a-long-key-for-wrapping]: ")
    assert all(len(line) <= verdicts.WIDTH for line in lines)
    assert all(line.startswith(verdicts.INDENT) for line in lines[1:])
    assert " ".join(line.strip() for line in lines) == f"Verdict [{long.key}]: {long.text}"
    assert printed_keys(str(long)) == ["a-long-key-for-wrapping"]
    assert held_out_accuracies(str(long)) == [0.902, 0.882]
    # a wrap between "training" and "accuracy" still keeps training accuracies out
    wrapped = "Verdict [k]: x beat y by 1.00 points in training\n    accuracy (0.999 vs 0.989; one"
    assert held_out_accuracies(wrapped) == []
    assert held_out_accuracies(wrapped.replace("training", "test")) == [0.999, 0.989]


def test_the_docstring_example_runs():
    result = doctest.testmod(verdicts)
    assert result.attempted >= 1 and result.failed == 0


def test_claim_prints_the_true_sentence(capsys):
    claim("fires", False, "it fired", "it never fired")
    claim("ok", np.bool_(True), "yes", "no")
    assert capsys.readouterr().out == "Verdict [fires]: it never fired\nVerdict [ok]: yes\n"


def test_keys_are_read_back_from_printed_output():
    text = "epoch 1\nVerdict [a-b]: x\nVerdict [c]: y\nnot a Verdict [d]: z\n"
    assert printed_keys(text) == ["a-b", "c"]
    assert str(Verdict("k", "t")) == "Verdict [k]: t"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: compare("Bad Key", 1, 2, labels=("a", "b")), "key must be lowercase"),
        (lambda: compare("k", [1, 2], [1], labels=("a", "b")), "one value per seed"),
        (lambda: compare("k", [], [], labels=("a", "b")), "a must be a number"),
        (lambda: compare("k", 1, np.nan, labels=("a", "b")), "b must be a number"),
        (lambda: compare("k", 1, 2, labels=("a",)), "labels must be a pair"),
        (lambda: compare("k", 0.1, 0.2, labels=("a", "b"), n_eval=0), "n_eval must be"),
        (lambda: compare("k", 0.1, 0.2, labels=("a", "b"), n_eff=2.5), "n_eff must be"),
        (lambda: compare("k", 0.1, 0.2, labels=("a", "b"), n_eval=9, n_eff=10), "not exceed"),
        (lambda: compare("k", 1, 2, labels=("a", "b"), n_eval=9, percent=False), "accuracies"),
        (lambda: compare("k", 0.1, 0.2, labels=("a", "b"), split="test"), "data .* and split"),
        (lambda: compare("k", [1, 2], [2, 1], labels=("a", "b"), margin=0), "margin must be"),
        (lambda: compare("k", 0.1, 0.2, labels=("a", "b"), margin=0.01), "margin needs"),
        (lambda: claim("k", 1, "a", "b"), "holds must be a bool"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_held_out_accuracies_are_read_back_from_verdicts_but_not_training_ones():
    lines = [
        compare("a", 0.991, 0.95, labels=("SGD(momentum=0.9)", "B"), n_eval=1000, show=False),
        compare(
            "b",
            [0.9, 0.92],
            [0.8, 0.85],
            labels=("x", "y"),
            what="test accuracy on B (62 images)",
            show=False,
        ),
        compare("c", 0.999, 0.998, labels=("x", "y"), what="training accuracy", show=False),
        compare("d", 0.1, 0.2, labels=("x", "y"), what="loss", percent=False, show=False),
        claim("e", True, "accuracy (0.999 vs 0.5; made up)", "no"),
    ]
    text = "\n".join(map(str, lines))
    assert held_out_accuracies(text) == [0.991, 0.95, 0.91, 0.825]
