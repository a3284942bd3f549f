"""In a student's sandboxed kernel, Keras and TensorFlow load when a cell first uses them.

A NumPy assignment's setup cell still says ``import keras`` (the tests' oracles need it, and
they run in the trusted kernel), so without this every student's kernel would spend seconds
importing TensorFlow it never uses. ``install()`` makes ``import keras`` and ``import tensorflow``
bind modules that load on their first attribute access (unlike ``importlib.util.LazyLoader``,
not on importing them again, which reads ``__spec__``), and
makes ``helpers.set_seed`` seed Python and NumPy at once and Keras' backend when Keras loads:
the same generators end up in the same states as when everything loads at the start, because
nothing can draw from TensorFlow's generator before TensorFlow is loaded.
"""

import functools
import importlib.util
import random
import sys
import types

LAZY = ("keras", "tensorflow")
# What importing a module reads of it again (``import keras`` a second time looks at
# ``__spec__``): these do not load it.
QUIET = {"__spec__", "__name__", "__loader__", "__class__", "__dict__", "__package__"}
_pending_seed: list[int] = []
_loading = [0]
_real_loaders: dict[str, object] = {}


def loaded(name: str) -> bool:
    module = sys.modules.get(name)
    return module is not None and not isinstance(module, _LazyModule)


class _LazyModule(types.ModuleType):
    """A module not executed yet: the first attribute read (or write) executes it in place."""

    def __getattribute__(self, name):
        if name in QUIET:
            return object.__getattribute__(self, name)
        _load(self)
        return getattr(self, name)

    def __setattr__(self, name, value):
        _load(self)
        setattr(self, name, value)


def _load(module) -> None:
    object.__setattr__(module, "__class__", types.ModuleType)
    name = module.__name__
    loader = _real_loaders.pop(name)
    module.__loader__ = loader
    module.__spec__.loader = loader
    _loading[0] += 1
    try:
        loader.exec_module(module)
    finally:
        _loading[0] -= 1
    if _loading[0] == 0 and _pending_seed:
        _replay_seed(_pending_seed.pop())


def _replay_seed(seed: int) -> None:
    """Seed Keras' backend as ``keras.utils.set_random_seed`` would have, without touching
    Python's and NumPy's generators again (they were seeded when ``set_seed`` ran)."""
    import keras
    import numpy as np

    python_state, numpy_state = random.getstate(), np.random.get_state()
    keras.utils.set_random_seed(seed)
    random.setstate(python_state)
    np.random.set_state(numpy_state)


class _DeferringLoader:
    """Creates the module as its real loader would, and executes it on first use."""

    def create_module(self, spec):
        return _real_loaders[spec.name].create_module(spec)

    def exec_module(self, module):
        object.__setattr__(module, "__class__", _LazyModule)


class _LazyFinder:
    def find_spec(self, name, path=None, target=None):
        if name not in LAZY:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        _real_loaders[name] = spec.loader
        spec.loader = _DeferringLoader()
        return spec


class _SeedRecorder:
    """Stands in for ``keras`` while ``helpers.set_seed`` runs before Keras is loaded."""

    def __init__(self):
        self.utils = self

    def set_random_seed(self, seed):
        import numpy as np

        random.seed(seed)
        np.random.seed(seed)
        _pending_seed[:] = [seed]


def _deferring(set_seed):
    @functools.wraps(set_seed)
    def deferring_set_seed(seed=42, deterministic=False):
        if loaded("keras") or deterministic:
            return set_seed(seed, deterministic)
        saved = sys.modules.get("keras")
        sys.modules["keras"] = _SeedRecorder()
        try:
            return set_seed(seed, deterministic)
        finally:
            if saved is None:
                sys.modules.pop("keras", None)
            else:
                sys.modules["keras"] = saved

    return deferring_set_seed


def install() -> None:
    """Lazy Keras and TensorFlow, and a ``helpers.set_seed`` that does not load them."""
    if any(isinstance(finder, _LazyFinder) for finder in sys.meta_path):
        return
    if not any(loaded(name) for name in LAZY):
        sys.meta_path.insert(0, _LazyFinder())
    try:
        import helpers
        import helpers.seeding
    except ImportError:
        return
    deferring = _deferring(helpers.seeding.set_seed)
    deferring.__defaults__ = helpers.seeding.set_seed.__defaults__
    helpers.seeding.set_seed = deferring
    helpers.set_seed = deferring
