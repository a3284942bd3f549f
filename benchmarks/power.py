"""Power check: can a lecture's design resolve the gap its lesson rests on? Run it before
choosing the number of seeds (or the budget, or the contrast), and rerun it after a pilot.

Over seeds, from a pilot's per-seed gaps (A minus B, in points) or a guess of their spread:

    python benchmarks/power.py --gap 1.7 --gaps 0.4 1.2 3.5
    python benchmarks/power.py --gap 1.7 --sd 1.6 --power 0.9

prints, for 2 to 10 seeds (and the number needed), the probability that the 95 % interval of the
mean gap excludes 0 when the true gap is ``--gap`` (Student's t with n - 1 degrees of freedom,
:func:`helpers.statistics.paired_power`) and the smallest mean gap that many seeds resolve
(the interval's half-width). For example, a 3-seed pilot whose gaps were 0.4, 1.2 and 3.5
points (sd 1.6) needs 10 seeds to resolve a true gap of 1.7 points 80 % of the time; 3 seeds
resolve it 19 % of the time.

For one run per side, the smallest accuracy gap the evaluation set's binomial noise resolves,
counted in independent examples (copies of one source image count once):

    python benchmarks/power.py --accuracy 0.9 --dataset digits_distorted
    python benchmarks/power.py --accuracy 0.9 --n-eff 240

On ``digits_distorted`` near 90 % that is 5.4 points on the validation set (240 source digits,
not 1,200 images) and 4.4 on the test set (360, not 1,440). The numbers come from
:mod:`helpers.statistics`, the same code that words the lectures' verdicts.
"""

import argparse
import sys

from helpers.statistics import (
    LEVEL,
    POWER,
    paired_power,
    pilot_sd,
    run_resolution,
    seed_resolution,
    seeds_needed,
)

SHOWN_SEEDS = range(2, 11)


def over_seeds(gap, sd, power):
    """Lines of the seed table, then the number of seeds needed."""
    needed = seeds_needed(gap, sd=sd, power=power)
    lines = [
        f"true gap {gap:g}, per-seed spread sd {sd:.3g}, {LEVEL:.0%} intervals (t with n - 1 df)",
        f"{'seeds':>5}  {'P(resolved)':>11}  {'smallest mean gap resolved':>26}",
    ]
    for n in sorted(set(SHOWN_SEEDS) | {needed}):
        lines.append(f"{n:>5}  {paired_power(gap, sd, n):>11.2f}  {seed_resolution(sd, n):>26.2f}")
    lines.append(f"seeds needed to resolve a gap of {gap:g} with probability {power:g}: {needed}")
    return lines


def one_run(accuracy, sizes, power):
    """Lines of the single-run table, one per evaluation set ``(name, n_images, n_eff)``."""
    lines = [
        f"one run per side near accuracy {accuracy:g}, {LEVEL:.0%} intervals, gaps in points",
        f"{'evaluation set':<24}{'images':>8}{'independent':>13}{'resolved':>10}"
        f"{f'true gap, P={power:g}':>18}",
    ]
    for name, n_images, n_eff in sizes:
        observed = 100 * run_resolution(accuracy, n_eff)
        planned = 100 * run_resolution(accuracy, n_eff, power=power)
        lines.append(f"{name:<24}{n_images:>8,}{n_eff:>13,}{observed:>10.2f}{planned:>18.2f}")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gap", type=float, help="true gap to resolve over seeds (points)")
    spread = parser.add_mutually_exclusive_group()
    spread.add_argument("--gaps", type=float, nargs="+", help="a pilot's per-seed gaps")
    spread.add_argument("--sd", type=float, help="spread of the per-seed gaps")
    parser.add_argument("--accuracy", type=float, help="accuracy near which one run is judged")
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--n-eff", type=int, help="independent examples of the evaluation set")
    sizes.add_argument("--dataset", help="take the validation and test sizes from a data set")
    parser.add_argument("--power", type=float, default=POWER, help=f"default {POWER}")
    args = parser.parse_args(argv)
    if args.gap is None and args.accuracy is None:
        parser.error(
            "give --gap (with --gaps or --sd) and/or --accuracy (with --n-eff or --dataset)"
        )
    lines = []
    if args.gap is not None:
        if args.gaps is None and args.sd is None:
            parser.error("--gap needs --gaps (a pilot's per-seed gaps) or --sd")
        sd = pilot_sd(args.gaps) if args.gaps is not None else args.sd
        lines += over_seeds(args.gap, sd, args.power)
    if args.accuracy is not None:
        if args.dataset is not None:
            from helpers.data import load_dataset

            data = load_dataset(args.dataset, verbose=False)
            sizes = [
                (
                    f"{data.name} {split}",
                    len(getattr(data, f"X_{split}")),
                    data.effective_size(split),
                )
                for split in ("valid", "test")
            ]
        elif args.n_eff is not None:
            sizes = [("given", args.n_eff, args.n_eff)]
        else:
            parser.error("--accuracy needs --n-eff or --dataset")
        lines += ([""] if lines else []) + one_run(args.accuracy, sizes, args.power)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
