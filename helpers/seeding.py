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
