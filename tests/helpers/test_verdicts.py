import numpy as np
import pytest

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


def test_several_seeds_within_the_spread_is_a_tie():
    # differences +1, -1, +2, -2 points: mean 0, clearly noise
    a = np.array([0.90, 0.88, 0.91, 0.87])
    b = np.array([0.89, 0.89, 0.89, 0.89])
    v = compare("tie", a, b, labels=("A", "B"), show=False)
    assert v.winner is None
    assert "within the seed-to-seed spread" in v.text and "mean ± sd of 4 seeds" in v.text
    sd = np.std((a - b) * 100, ddof=1)
    assert v.noise == pytest.approx(3.182 * sd / 2, rel=1e-3)  # t(0.975, 3 df) = 3.182


def test_several_seeds_print_each_side_mean_and_spread():
    a = np.array([0.93, 0.94, 0.935])
    b = np.array([0.90, 0.905, 0.90])
    v = compare("real", a, b, labels=("A", "B"), show=False)
    assert f"(0.935 ± {a.std(ddof=1):.3f} vs 0.902 ± {b.std(ddof=1):.3f};" in v.text
    assert "95 % interval" in v.text


def test_three_seeds_use_a_students_t_interval():
    # gaps 1, 3, 2 points: mean 2, sd 1, se 0.577; 2 se = 1.15 would call it real,
    # t(2 df) = 4.303 gives 2.48 > 2, so it is not distinguishable on three seeds
    a, b = np.array([0.91, 0.93, 0.92]), np.array([0.90, 0.90, 0.90])
    v = compare("t", a, b, labels=("A", "B"), show=False)
    assert v.winner is None and v.noise == pytest.approx(4.303 / np.sqrt(3), rel=1e-3)
    assert t_quantile(1000) == pytest.approx(1.962, abs=1e-3)


def test_several_seeds_consistent_gap_is_real():
    a = np.array([0.93, 0.94, 0.935])
    b = np.array([0.90, 0.905, 0.90])
    v = compare("real", a, b, labels=("A", "B"), show=False)
    assert v.winner == "A" and v.gap == pytest.approx(100 * (a - b).mean())


def test_single_run_judged_against_test_set_noise():
    # 0.90 vs 0.89 on 300 examples: noise 2*sqrt((.09+.0979)/300)*100 = 5.0 points
    v = compare("n", 0.90, 0.89, labels=("A", "B"), n_eval=300, show=False)
    assert v.winner is None and v.noise == pytest.approx(5.006, abs=0.01)
    assert "sampling noise" in v.text
    v = compare("n", 0.90, 0.70, labels=("A", "B"), n_eval=300, show=False)
    assert v.winner == "A"


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
