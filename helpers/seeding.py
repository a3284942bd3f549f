"""Reproducibility: one call seeds Python, NumPy and Keras' backend.

``keras.utils.set_random_seed`` is used rather than ``tf.random.set_seed`` alone, which leaves
Python's and NumPy's generators unseeded and so differs between processes.
"""

DEFAULT_SEED = 42


def set_seed(seed: int = DEFAULT_SEED, deterministic: bool = False) -> int:
    """Seed every generator a notebook uses and return the seed.

    With ``deterministic=True`` TensorFlow's op determinism is switched on too, so that runs agree
    bit for bit even where a kernel would otherwise pick a non-deterministic algorithm (slower;
    on CPU the seed alone is normally enough).
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}.")
    import keras

    keras.utils.set_random_seed(seed)
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return seed


def over_seeds(run, seeds, *, first=None, first_seed=DEFAULT_SEED, show=True):
    """Repeat a comparison over several seeds and return each model's results in seed order.

    One run can mislead: two models a point apart on one seed may swap places on the next. For
    each seed, ``set_seed(seed)`` is called and then ``run()``, which trains the models being
    compared and returns ``{label: number}``; a ``run(seed)`` with one parameter gets the seed
    (to give two models the same initial weights or batch order, say). ``first`` is a dict of the
    same labels already measured with ``first_seed`` (the lecture's main run, whose curves it
    plotted): it becomes the first entry, so that run is not paid for twice. Returns
    ``{label: numpy array}``, ready for :func:`helpers.verdicts.compare`; with ``show``, one
    progress line per seed.
    """
    import time

    import numpy as np

    seeds = list(seeds)
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of ints, got {seeds!r}.")
    if first is not None and (not isinstance(first, dict) or first_seed in seeds):
        raise ValueError(
            "first must be a dict {label: number} measured with first_seed, and first_seed must "
            f"not be among seeds; got first={first!r}, first_seed={first_seed!r}."
        )
    rows = []

    def add(seed, result, seconds):
        """Keep one seed's results and print its progress line at once, not after the last."""
        if rows and list(result) != list(rows[0][1]):
            raise ValueError(
                f"run() returned labels {list(result)} for seed {seed}, "
                f"expected {list(rows[0][1])}."
            )
        rows.append((seed, result))
        if show:
            numbers = ", ".join(f"{k} {float(v):.3f}" for k, v in result.items())
            took = "the run above" if seconds is None else f"{seconds:.1f} s"
            print(f"seed {seed:>3}: {numbers}  ({took})", flush=True)

    if first is not None:
        add(first_seed, dict(first), None)
    with_seed = _takes_seed(run)
    for seed in seeds:
        set_seed(seed)
        start = time.perf_counter()
        result = run(seed) if with_seed else run()
        if not isinstance(result, dict) or not result:
            raise ValueError(f"run() must return a dict {{label: number}}, got {result!r}.")
        add(seed, result, time.perf_counter() - start)
    return {label: np.array([float(r[label]) for _, r in rows]) for label in rows[0][1]}


def _takes_seed(run) -> bool:
    """True for ``run(seed)``: exactly one parameter without a default."""
    import inspect

    try:
        params = list(inspect.signature(run).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature
        return False
    required = [
        p
        for p in params
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return len(params) == 1 and len(required) == 1
